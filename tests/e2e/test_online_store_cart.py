"""S4 on a phone: with "Buy Now" set to the online store, the store has its own cart, in its own
look, whose "Checkout" is the store's checkout (any country, discount codes); the order summary and
total come before "Place order" (items 2 and 6 of issue 11)."""
import re

from playwright.sync_api import Browser, expect

from pageshop.extensions import db
from pageshop.models import DiscountCode, Order
from tests.e2e.driver import fill_address, place_order

PHONE = {"width": 390, "height": 844}


def test_the_online_store_sells_from_its_own_cart_on_a_phone(browser: Browser, shop, store, make_product):
    store.buy_now_destination = "online_store"
    db.session.add(DiscountCode(code="WELCOME10", kind="percentage", value=10))
    db.session.commit()
    make_product(title="Knitting Kit", price_cents=4000, facebook=False)  # only in the online store
    page = browser.new_context(viewport=PHONE).new_page()

    page.goto(shop.url("/"))
    page.get_by_role("link", name="Buy Now").click()
    expect(page).to_have_url(re.compile(r"/store$"))
    page.get_by_role("link", name="Knitting Kit").click()
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("status").filter(has_text="Added to your cart")).to_contain_text("Knitting Kit × 1")
    cart_link = page.get_by_role("banner").get_by_role("link", name=re.compile(r"^Cart"))
    expect(cart_link).to_have_text("Cart (1)")

    cart_link.click()
    expect(page).to_have_url(re.compile(r"/store/cart$"))
    expect(page.get_by_role("banner").get_by_role("link", name="Maple & Thread")).to_be_visible()  # the store's look
    expect(page.get_by_role("link", name="facebook")).to_have_count(0)
    expect(page.get_by_text("can't be bought")).to_have_count(0)
    page.get_by_role("link", name="Checkout").click()

    expect(page.get_by_role("heading", name="Checkout", exact=True)).to_be_visible()
    summary = page.get_by_role("region", name="Order summary")
    expect(summary).to_contain_text("1 × Knitting Kit")
    page.get_by_label("Email").fill("robin@example.com")
    fill_address(page, country="Canada")
    page.get_by_label("Discount code").fill("WELCOME10")
    page.get_by_role("button", name="Apply").click()
    expect(summary).to_contain_text("Discount (WELCOME10)")
    expect(summary).to_contain_text("$41.00")  # 40 - 4 + 5 shipping
    # On a phone the summary and its total come first, "Place order" after them; nothing sideways.
    assert summary.bounding_box()["y"] < page.get_by_role("button", name="Place order").bounding_box()["y"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    place_order(page)

    db.session.rollback()
    order = db.session.scalars(db.select(Order)).one()
    assert (order.sales_channel, order.checkout, order.country, order.discount_code) == (
        "online_store", "store", "CA", "WELCOME10")
    page.context.close()

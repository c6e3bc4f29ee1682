"""A shopper buys on Facebook (S5-S7, S9), and on the store's own checkout with a discount code."""
import re

from playwright.sync_api import Page, expect

from pageshop.extensions import db
from pageshop.models import DiscountCode, Order, Store, Variant
from tests.e2e.driver import fill_address


def order_count() -> int:
    db.session.rollback()
    return db.session.scalar(db.select(db.func.count(Order.id)))


def test_logged_in_shopper_buys_with_facebook_checkout(page: Page, shop, make_product):
    make_product(title="Linen Shirt", price_cents=4000, stock=5)

    page.goto(shop.url("/"))
    page.get_by_role("link", name="Log in to Facebook").click()
    page.get_by_label("Email").fill("alex@example.com")
    page.get_by_label("Password").fill("pageshop-demo")
    page.get_by_role("button", name="Log in").click()

    page.get_by_role("link", name="Shop", exact=True).click()
    page.get_by_role("link", name="Linen Shirt").first.click()
    page.get_by_role("button", name="Buy Now").click()
    expect(page.get_by_role("heading", name="Facebook checkout")).to_be_visible()
    expect(page.get_by_label("Discount code")).to_have_count(0)
    expect(page.get_by_label("Email")).to_have_value("alex@example.com")

    # A German address is refused next to the Country field; what was typed stays.
    fill_address(page, country="Germany")
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_text("Facebook checkout ships only to addresses in the United States")).to_be_visible()
    expect(page.get_by_label("Country")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Address")).to_have_value("1 Main St")
    assert order_count() == 0

    # The summary follows the shipping rate in place.
    page.get_by_label("Express · $15.00").check()
    expect(page.locator("#order-summary")).to_contain_text("$55.00")

    page.get_by_label("Country").select_option(label="United States")
    page.get_by_label("Card number").fill("1")
    opt_in = page.get_by_role("checkbox", name="Send order updates to Messenger")
    expect(opt_in).not_to_be_checked()
    opt_in.check()
    page.get_by_role("button", name="Place order").click()

    expect(page.get_by_role("heading", name="Order #1001")).to_be_visible()
    expect(page.get_by_text("1 × Linen Shirt")).to_be_visible()
    expect(page.get_by_text("$55.00")).to_be_visible()
    expect(page.get_by_text("Messenger updates are on for Alex Rivera")).to_be_visible()
    expect(page.get_by_role("link", name="Contact seller")).to_be_visible()
    assert order_count() == 1
    db.session.rollback()
    assert db.session.scalar(db.select(Variant.stock)) == 4

    page.get_by_role("link", name="Purchase history").click()
    expect(page.get_by_role("link", name="#1001")).to_be_visible()
    expect(page.get_by_role("link", name="Contact seller")).to_be_visible()


def test_store_checkout_takes_a_discount_code(page: Page, shop, make_product):
    make_product(title="Wool Sweater", price_cents=6000, stock=3)
    store = db.session.scalars(db.select(Store)).one()
    store.checkout_choice = "store"
    db.session.add(DiscountCode(code="WELCOME10", kind="percentage", value=10, usage_limit=5))
    db.session.commit()

    page.goto(shop.url("/shop"))
    page.get_by_role("link", name="Wool Sweater").first.click()
    page.get_by_role("button", name="Buy Now").click()
    expect(page.get_by_role("heading", name="Checkout", exact=True)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/checkout\?"))

    page.get_by_label("Email").fill("robin@example.com")
    fill_address(page, country="Germany")  # the store's own checkout ships anywhere
    summary = page.locator("#order-summary")
    code = page.get_by_label("Discount code")
    posted = []
    page.on("request", lambda request: posted.append(request.url) if request.method == "POST" else None)

    # A code that can't be used is said at once, next to the field; Enter applies it, never orders.
    code.fill("nope")
    code.press("Enter")
    expect(page.get_by_text("The discount code \"NOPE\" doesn't exist.")).to_be_visible()
    expect(code).to_have_attribute("aria-invalid", "true")
    expect(summary).to_contain_text("$65.00")

    # The right code shows in the summary before the order is placed.
    code.fill("welcome10")
    code.press("Enter")
    expect(summary).to_contain_text("Discount (WELCOME10)")
    expect(summary).to_contain_text("-$6.00")
    expect(summary).to_contain_text("$59.00")
    expect(page.get_by_text("Code WELCOME10 applied.")).to_be_visible()
    expect(page.get_by_text("doesn't exist")).to_have_count(0)
    page.get_by_role("button", name="Apply").click()
    expect(summary).to_contain_text("$59.00")
    assert posted == [] and order_count() == 0
    expect(page).to_have_url(re.compile(r"/checkout\?"))

    # A declined card: the page opens at the top, where the message is.
    page.get_by_label("Card number").fill("2")
    page.get_by_role("button", name="Place order").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Your card was declined. Try another card.")
    expect(alert).to_be_in_viewport()
    assert order_count() == 0

    page.get_by_label("Card number").fill("1")
    page.get_by_role("button", name="Place order").click()

    expect(page.get_by_role("heading", name="Order #1001")).to_be_visible()
    expect(page.get_by_text("Discount (WELCOME10)")).to_be_visible()
    expect(page.get_by_text("-$6.00")).to_be_visible()
    expect(page.get_by_text("$59.00")).to_be_visible()  # 60.00 - 6.00 + 5.00 shipping
    expect(page.get_by_text("Germany")).to_be_visible()
    db.session.rollback()
    assert db.session.scalar(db.select(DiscountCode.times_used)) == 1

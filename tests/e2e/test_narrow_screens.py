"""The pages a shopper uses on a phone fit a 390px wide screen: nothing is cut off or needs sideways
scrolling (S4 cart, S9 purchase history)."""
from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from pageshop.extensions import db
from pageshop.models import FacebookAccount
from tests.e2e.driver import PASSWORD

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser: Browser):
    context = browser.new_context(viewport=PHONE)
    yield context.new_page()
    context.close()


def assert_fits(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide on a {PHONE['width']}px screen"


def test_cart_and_purchase_history_fit_a_phone(phone: Page, shop, make_product, make_order):
    blanket = make_product(title="Hand-woven Merino Wool Throw Blanket",
                           variants=[("Large / Charcoal Grey", 12000, 5), ("Small / Oat", 9000, 5)])
    mug = make_product(title="Stoneware Mug", price_cents=1800, stock=9)
    phone.goto(shop.url("/purchase-history"))  # logged out: the page offers to log in, and comes back
    phone.get_by_role("main").get_by_role("link", name="Log in to Facebook").click()
    phone.get_by_label("Email").fill("alex@example.com")
    phone.get_by_label("Password").fill(PASSWORD)
    phone.get_by_role("button", name="Log in").click()
    expect(phone.get_by_text("You haven't bought anything on Facebook yet.")).to_be_visible()
    for product in (blanket, mug):
        phone.goto(shop.url(f"/products/{product.handle}"))
        phone.get_by_label("Quantity").fill("2")
        phone.get_by_role("button", name="Add to cart").click()
        expect(phone.get_by_role("status").filter(has_text="Added to your cart")).to_be_visible()

    phone.goto(shop.url("/cart"))
    assert_fits(phone)
    for title, total in (("Hand-woven Merino Wool Throw Blanket", "$240.00"), ("Stoneware Mug", "$36.00")):
        line = phone.get_by_role("row").filter(has_text=title)
        expect(line.get_by_text(total)).to_be_in_viewport(ratio=1)  # the line's total
        expect(line.get_by_role("spinbutton")).to_be_in_viewport(ratio=1)
        expect(line.get_by_role("button", name="Remove")).to_be_in_viewport(ratio=1)
    expect(phone.get_by_role("link", name="Checkout")).to_be_in_viewport(ratio=1)

    alex = db.session.scalars(db.select(FacebookAccount).filter_by(email="alex@example.com")).one()
    for _ in range(2):
        make_order(product=blanket, quantity=3, facebook_account=alex)
    phone.goto(shop.url("/purchase-history"))
    assert_fits(phone)
    first = phone.get_by_role("row").filter(has_text="#1001")
    expect(first).to_contain_text("$365.00")
    expect(first.get_by_role("link", name="Contact seller")).to_be_in_viewport(ratio=1)
    expect(first.get_by_text("$365.00")).to_be_in_viewport(ratio=1)

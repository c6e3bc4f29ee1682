"""The admin on a phone and the tabs of "Messenger customizations" (A7): a merchant can find their way."""
from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.driver import admin_sign_in

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def merchant_on_a_phone(browser: Browser, shop):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    admin_sign_in(page, shop.base)
    yield page
    context.close()


def test_the_admin_fits_a_phone_with_its_navigation_above_the_page(merchant_on_a_phone: Page, shop,
                                                                    make_product, make_order):
    page = merchant_on_a_phone
    make_order(product=make_product(title="Hand-woven Merino Wool Throw Blanket", price_cents=12000))
    for path, heading in (("/admin/orders", "Orders"), ("/admin/products", "Products"),
                          ("/admin/messenger/customizations", "Messenger customizations"),
                          ("/admin/channels", "Channels"), ("/admin/inbox", "Inbox")):
        page.goto(shop.url(path))
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{path} is {width}px wide on a {PHONE['width']}px screen"
        navigation = page.get_by_role("navigation", name="Admin")
        main = page.get_by_role("main")
        # the navigation sits above the page, whole, and leaves the page's heading on the screen
        assert navigation.bounding_box()["y"] + navigation.bounding_box()["height"] <= main.bounding_box()["y"] + 1
        expect(navigation.get_by_role("link", name="Inquiries")).to_be_in_viewport(ratio=1)
        expect(navigation.get_by_role("button", name="Sign out")).to_be_in_viewport(ratio=1)
        expect(main.get_by_role("heading", name=heading, level=1)).to_be_in_viewport(ratio=1)
    # a wide table scrolls inside itself: its last column can be reached
    page.goto(shop.url("/admin/orders"))
    table = page.get_by_role("table")
    assert table.evaluate("t => t.scrollWidth > t.clientWidth && getComputedStyle(t).overflowX === 'auto'")


def test_the_customization_tabs_are_tabs_with_the_current_one_marked(page: Page, shop):
    admin_sign_in(page, shop.base)
    page.goto(shop.url("/admin/messenger/customizations?event=shipping_update"))
    tabs = page.get_by_role("navigation", name="Order messages")
    current = tabs.get_by_role("link", name="Shipping update")
    expect(current).to_have_attribute("aria-current", "page")
    expect(tabs.locator("[aria-current]")).to_have_count(1)
    style = "el => { const s = getComputedStyle(el); return [s.borderBottomWidth, s.borderBottomColor, s.color]; }"
    width, line, color = current.evaluate(style)
    assert width == "3px" and line == color == "rgb(0, 100, 209)"  # underlined in (text-dark) Facebook blue
    other = tabs.get_by_role("link", name="Out for delivery")
    assert other.evaluate(style)[1] == "rgba(0, 0, 0, 0)"
    # the tabs don't run together: space between one and the next
    boxes = [tabs.get_by_role("link", name=n).bounding_box() for n in
             ("Order confirmation", "Shipping update", "Out for delivery", "Delivered")]
    for left, right in zip(boxes, boxes[1:], strict=False):
        assert right["x"] - (left["x"] + left["width"]) >= 4
    assert current.evaluate("el => parseFloat(getComputedStyle(el).paddingLeft)") >= 8  # padded, not bare text

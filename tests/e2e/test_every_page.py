"""Every page a shopper or the merchant opens, with real content in it (an order with its receipt
and shipping update in Messenger, a chat search, an inquiry, saved replies, long names), at 1280
and at 390 pixels wide: axe scans each one (tests/e2e/accessibility.py), and on a phone no page
scrolls sideways. E2E_SCREENSHOTS=<folder> keeps a picture of each page there."""
from __future__ import annotations

import os
import re
from datetime import datetime

from playwright.sync_api import Browser, Page, expect

from pageshop import clock
from pageshop.extensions import db
from pageshop.inquiries import send_inquiry
from pageshop.models import (
    Collection,
    Conversation,
    DiscountCode,
    Email,
    FacebookAccount,
    Inquiry,
    Order,
    Product,
    SavedReply,
)
from tests.e2e import driver

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
LONG_TITLE = "Hand-woven Merino Wool Throw Blanket with Extra-long Tassels"
LONG_MESSAGE = ("Hello! Could you tell me whether the https://maple-and-thread.example/products/"
                "hand-woven-merino-wool-throw-blanket-with-extra-long-tassels comes in oat?")


def _id(model, **where) -> int:
    db.session.rollback()
    return db.session.scalars(db.select(model.id).filter_by(**where).order_by(model.id)).first()


def _shopper_pages(shirt: Product, gift: Product, order_token: str) -> list[str]:
    return [
        "/", "/shop", "/shop?q=linen", "/collections/shirts", f"/products/{shirt.handle}", "/cart",
        "/checkout", f"/checkout?variant={shirt.variants[0].id}&quantity=1", "/store", "/store/cart",
        f"/products/{gift.handle}?channel=online_store",
        f"/checkout?variant={gift.variants[0].id}&quantity=1&source=online_store",
        f"/orders/{order_token}", f"/orders/{order_token}/contact", "/purchase-history", "/messenger",
    ]


def _merchant_pages() -> list[str]:
    order = _id(Order, number=1001)
    return [
        "/admin/orders", f"/admin/orders/{order}", f"/admin/orders/{order}/status", "/admin/products",
        "/admin/products/new", f"/admin/products/{_id(Product)}", "/admin/collections",
        "/admin/collections/new", f"/admin/collections/{_id(Collection)}", "/admin/discounts",
        "/admin/discounts/new", f"/admin/discounts/{_id(DiscountCode)}", "/admin/channels",
        "/admin/messenger/customizations", "/admin/messenger/customizations?event=shipping_update",
        "/admin/messenger/notifications", "/admin/inbox", f"/admin/inbox/{_id(Conversation)}",
        "/admin/inquiries", f"/admin/inquiries/{_id(Inquiry)}/answer", "/admin/saved-replies",
        f"/admin/saved-replies/{_id(SavedReply)}", "/admin/emails", f"/admin/emails/{_id(Email)}",
    ]


def _visit(page: Page, base: str, path: str, phone: bool) -> None:
    response = page.goto(base + path)
    assert response.status == 200, f"{path} answered {response.status}"
    if os.environ.get("E2E_SCREENSHOTS"):  # a folder: every page's picture, to look at
        name = re.sub(r"[^a-z0-9]+", "-", path.split("?")[0].lower()).strip("-") or "page"
        name += "-" + re.sub(r"[^a-z0-9]+", "-", path.split("?", 1)[1])[:40] if "?" in path else ""
        page.screenshot(path=os.path.join(os.environ["E2E_SCREENSHOTS"],
                                          f"{name}-{'390' if phone else '1280'}.png"), full_page=True)
    if phone:
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{path} is {width}px wide on a {PHONE['width']}px screen"


def test_every_page_at_desktop_and_phone_widths(browser: Browser, shop, make_product, axe):
    clock.set_now(datetime(2026, 3, 4, 10, 0))
    shirt = make_product(title="Linen Shirt", variants=[("S / White", 3000, 5), ("M / Blue", 3500, 4)],
                         collection="Shirts")
    make_product(title=LONG_TITLE, price_cents=12000, stock=3, collection="Shirts")
    make_product(title="Linen Tote", price_cents=1500, stock=0)
    gift = make_product(title="Gift Wrapping", price_cents=500, facebook=False)
    db.session.add(DiscountCode(code="WELCOME10", kind="percentage", value=10))
    db.session.add(SavedReply(title="Shipping times", body="Hi {{ first_name }}, orders ship within 3 days."))
    db.session.commit()

    # The shopper buys with Messenger updates, searches in the chat and writes; the merchant ships.
    shopper = browser.new_context(viewport=DESKTOP).new_page()
    driver.facebook_log_in(shopper, shop.base)
    driver.buy_with_facebook_checkout(shopper, shop.base, shirt.variants[0].id)
    merchant = browser.new_context(viewport=DESKTOP).new_page()
    driver.admin_sign_in(merchant, shop.base)
    driver.fulfil(merchant, shop.base, 1001, "1Z999AA10123456784")
    shopper.goto(shop.url("/messenger"))
    conversation = shopper.get_by_role("log", name="Conversation")
    expect(conversation.get_by_text("1Z999AA10123456784", exact=True)).to_be_visible()
    shopper.get_by_role("button", name="Search products").click()
    expect(conversation.get_by_text("What are you looking for?")).to_be_visible()
    shopper.get_by_label("Message").fill("linen")
    shopper.get_by_role("button", name="Send").click()
    expect(conversation.get_by_role("link", name="View")).to_have_count(2)
    shopper.get_by_role("button", name="Order update settings").click()
    expect(conversation.get_by_role("button", name="Keep receiving updates")).to_be_visible()
    shopper.get_by_label("Message").fill(LONG_MESSAGE)
    shopper.get_by_role("button", name="Send").click()
    expect(conversation.get_by_text("comes in oat?")).to_be_visible()
    alex = db.session.scalars(db.select(FacebookAccount).filter_by(email="alex@example.com")).one()
    order = db.session.scalars(db.select(Order).filter_by(number=1001)).one()
    send_inquiry(order, LONG_MESSAGE, clock.now(), alex)
    shopper.context.close()
    merchant.context.close()

    for viewport in (DESKTOP, PHONE):
        phone = viewport is PHONE
        shopper = browser.new_context(viewport=viewport).new_page()
        _visit(shopper, shop.base, "/facebook/login", phone)
        _visit(shopper, shop.base, "/messenger", phone)  # logged out
        driver.facebook_log_in(shopper, shop.base, next_path="/")
        shopper.goto(shop.url(f"/products/{shirt.handle}"))
        shopper.get_by_role("button", name="Add to cart").click()
        expect(shopper.get_by_role("status").filter(has_text="Added to your cart")).to_be_visible()
        for path in _shopper_pages(shirt, gift, order.token):
            _visit(shopper, shop.base, path, phone)
        shopper.context.close()

        merchant = browser.new_context(viewport=viewport).new_page()
        _visit(merchant, shop.base, "/admin/sign-in", phone)
        driver.admin_sign_in(merchant, shop.base)
        for path in _merchant_pages():
            _visit(merchant, shop.base, path, phone)
        merchant.context.close()
    assert axe.scans >= 2 * (len(_merchant_pages()) + 16)

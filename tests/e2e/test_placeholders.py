"""A7 and A8: one placeholder syntax. The merchant's saved reply with `{first_name}` is refused with
the valid placeholders; with `{{ first_name }}` it goes into a reply filled in; a customization
with `{first_name}` is not saved either (item 4 of issue 11)."""
from playwright.sync_api import Page, expect

from pageshop.extensions import db
from pageshop.messenger.conversations import open_conversation, record_incoming
from pageshop.models import FacebookAccount
from tests.e2e.driver import admin_sign_in

VALID = ("You can use: {{ order_number }}, {{ first_name }}, {{ tracking_number }}, {{ tracking_link }}, "
         "{{ shop_name }}.")


def test_saved_replies_and_customizations_take_only_double_braces(page: Page, shop, store, make_order):
    alex = db.session.scalars(db.select(FacebookAccount).filter_by(email="alex@example.com")).one()
    make_order(facebook_account=alex)
    conversation = open_conversation(store.messenger_page, alex)
    record_incoming(conversation, "Where is my order?")
    db.session.commit()
    admin_sign_in(page, shop.base)

    page.goto(shop.url("/admin/saved-replies"))
    page.get_by_label("Title").fill("Order update")
    page.get_by_label("Text").fill("Hi {first_name}, order {{ order_number }} ships today.")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Write placeholders with two braces on each side: {{ first_name }}, not "
                            "{first_name}. " + VALID)).to_be_visible()
    page.get_by_label("Text").fill("Hi {{ first_name }}, order {{ order_number }} ships today.")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved reply “Order update” created.")).to_be_visible()

    page.goto(shop.url(f"/admin/inbox/{conversation.id}"))
    page.get_by_label("Saved replies").select_option(label="Order update")
    page.get_by_role("button", name="Insert").click()
    expect(page.get_by_label("Reply", exact=True)).to_have_value("Hi Alex, order #1001 ships today.")

    page.goto(shop.url("/admin/messenger/customizations?event=delivered"))
    page.get_by_label("Message text").fill("Delivered, {first_name}!")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#body-error")).to_have_text(
        "Write placeholders with two braces on each side: {{ first_name }}, not {first_name}. " + VALID)
    page.goto(shop.url("/admin/messenger/customizations?event=delivered"))
    expect(page.get_by_label("Message text")).not_to_have_value("Delivered, {first_name}!")

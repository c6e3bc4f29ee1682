"""The Messenger channel end to end: a shopper (opted in at Facebook checkout) watches Messenger while
the merchant works in the admin. Messages must appear without reload, within 2 seconds."""
from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from pageshop import clock
from pageshop.extensions import db
from pageshop.models import Notification
from tests.e2e.driver import (
    admin_sign_in,
    buy_with_facebook_checkout,
    confirm,
    customize,
    facebook_log_in,
    fulfil,
    order_id,
)

ARRIVES = 20_000  # ms: that it arrives; how fast is measured by bench/messenger_latency.py, not here


@pytest.fixture
def people(browser: Browser, shop, app):
    app.config["PUBLIC_URL"] = shop.base  # links the worker puts in messages point at this server
    shopper = browser.new_context().new_page()
    merchant = browser.new_context().new_page()
    facebook_log_in(shopper, shop.base)
    admin_sign_in(merchant, shop.base)
    yield shopper, merchant
    shopper.context.close()
    merchant.context.close()


def receipt(page: Page, number: int):
    return page.get_by_role("region", name=f"Receipt for order #{number}")


def shipping_update(page: Page, number: int):
    return page.get_by_role("region", name=f"Shipping update for order #{number}")


def test_opt_in_receipt_shipping_then_turn_off(people, shop, make_product):
    shopper, merchant = people
    apron = make_product(title="Linen Apron", price_cents=3200, stock=5)

    buy_with_facebook_checkout(shopper, shop.base, apron.variants[0].id)
    shopper.get_by_role("link", name="Messenger").click()
    card = receipt(shopper, 1001)
    expect(card).to_be_visible(timeout=ARRIVES)
    expect(card).to_contain_text("Linen Apron × 1")
    expect(card).to_contain_text("$37.00")
    expect(card.get_by_role("link", name="View order")).to_be_visible()

    fulfil(merchant, shop.base, 1001, "1Z999AA10123456784")
    update = shipping_update(shopper, 1001)
    expect(update).to_be_visible(timeout=ARRIVES)  # no reload
    expect(update).to_contain_text("1Z999AA10123456784")
    expect(update.get_by_role("link", name="Track package")).to_have_attribute(
        "href", "https://www.ups.com/track?tracknum=1Z999AA10123456784")

    # The shopper writes; the message shows and the composer empties.
    shopper.get_by_label("Message").fill("Thanks! Can't wait.")
    shopper.get_by_role("button", name="Send").click()
    expect(shopper.locator(".bubble.out", has_text="Thanks! Can't wait.")).to_be_visible(timeout=ARRIVES)
    expect(shopper.get_by_label("Message")).to_have_value("")

    shopper.get_by_role("button", name="Order update settings").click()
    shopper.get_by_role("button", name="Turn off order updates").click()
    expect(shopper.get_by_text("You won't get order updates from Maple & Thread anymore.")).to_be_visible(
        timeout=ARRIVES)
    # answered: the question's quick replies can't be tapped again
    expect(shopper.get_by_role("button", name="Turn off order updates")).to_be_disabled()
    expect(shopper.get_by_role("button", name="Keep receiving updates")).to_be_disabled()

    merchant.get_by_role("button", name="Mark as delivered").click()
    expect(merchant.get_by_text("Order #1001 is delivered.")).to_be_visible()
    db.session.rollback()
    assert db.session.scalars(db.select(Notification.event).order_by(Notification.id)).all() == [
        "order_confirmation", "shipping_update"]  # nothing queued for "delivered"
    # Shift+Enter starts a new line, Enter sends
    composer = shopper.get_by_label("Message")
    composer.fill("Two lines:")
    composer.press("Shift+Enter")
    composer.press_sequentially("the second one")
    expect(composer).to_have_value("Two lines:\nthe second one")
    composer.press("Enter")
    sent = shopper.locator(".bubble.out", has_text="the second one")
    expect(sent).to_be_visible(timeout=ARRIVES)
    assert sent.evaluate("el => el.firstChild.textContent") == "Two lines:\nthe second one"
    expect(composer).to_have_value("")
    # A long conversation, so that it scrolls: the product cards must still show in it.
    for n in range(12):
        shopper.get_by_label("Message").fill(f"Question {n + 1:02d}")
        shopper.get_by_label("Message").press("Enter")  # Enter sends
        expect(shopper.locator(".bubble.out", has_text=f"Question {n + 1:02d}")).to_be_visible(timeout=ARRIVES)
    conversation = shopper.get_by_role("log", name="Conversation")
    assert conversation.evaluate("m => m.scrollHeight > m.clientHeight"), "the conversation scrolls"
    # and search in the chat ends in the Facebook checkout with that item
    shopper.get_by_role("button", name="Search products").click()
    expect(shopper.get_by_text("What are you looking for?")).to_be_visible(timeout=ARRIVES)
    shopper.get_by_label("Message").fill("apron")
    shopper.get_by_role("button", name="Send").click()
    buy_now = conversation.get_by_role("link", name="Buy Now")
    expect(buy_now).to_have_attribute(
        "href", f"http://127.0.0.1:{shop.server.server_port}/checkout?variant={apron.variants[0].id}"
                f"&quantity=1&source=messenger", timeout=ARRIVES)
    # the conversation scrolls to its newest message by itself, and the card is shown whole, not
    # squeezed to nothing
    expect(buy_now).to_be_in_viewport(ratio=1)
    expect(conversation.get_by_role("link", name="View", exact=True)).to_be_in_viewport(ratio=1)
    expect(shopper.get_by_role("region", name="Delivery update for order #1001")).to_have_count(0)


def test_mute_remove_and_add_the_channel_and_the_window(people, shop, make_product):
    shopper, merchant = people
    apron = make_product(title="Linen Apron", price_cents=3200, stock=10)

    # A customized confirmation with a promotional note (A7).
    merchant.goto(shop.url("/admin/messenger/customizations?event=order_confirmation"))
    merchant.get_by_label("Message text").fill("Thank you {{ first_name }}! Order {{ order_number }} is in.")
    merchant.get_by_label("Promotional note").fill("Show this for 10% off in our shop: THANKS10")
    expect(merchant.locator("#preview")).to_contain_text("Thank you Alex! Order #1001 is in.")
    merchant.get_by_role("button", name="Save").click()
    customize(merchant, shop.base, "shipping_update",
              "On its way, {{ first_name }}: {{ tracking_number }}", "Shipping is free on your next order.")

    buy_with_facebook_checkout(shopper, shop.base, apron.variants[0].id)  # order #1001: opted in, then muted by the merchant
    shopper.goto(shop.url("/messenger"))
    first = receipt(shopper, 1001)
    expect(first).to_contain_text("Thank you Alex! Order #1001 is in.", timeout=ARRIVES)
    expect(first).to_contain_text("THANKS10")  # inside the window: the note too

    merchant.goto(shop.url(f"/admin/orders/{order_id(1001)}/status"))
    expect(merchant.get_by_text("Messenger updates go to Alex Rivera (alex@example.com)")).to_be_visible()
    merchant.get_by_role("button", name="Turn off").click()  # asks first, saying what will happen
    expect(merchant.get_by_role("dialog", name="Turn off Messenger updates for order #1001?")).to_contain_text(
        "Alex Rivera won't get any more Messenger updates about this order, not even the ones already queued.")
    confirm(merchant, "Turn off Messenger updates for order #1001?", "Cancel")
    expect(merchant.get_by_text("Updates: on")).to_be_visible()
    merchant.get_by_role("button", name="Turn off").click()
    confirm(merchant, "Turn off Messenger updates for order #1001?", "Turn off updates")
    expect(merchant.get_by_text("Updates: turned off")).to_be_visible()
    fulfil(merchant, shop.base, 1001, "1ZMUTED")

    buy_with_facebook_checkout(shopper, shop.base, apron.variants[0].id)  # order #1002: opted in, keeps its updates
    shopper.goto(shop.url("/messenger"))
    expect(receipt(shopper, 1002)).to_be_visible(timeout=ARRIVES)

    merchant.goto(shop.url("/admin/channels"))
    merchant.get_by_role("button", name="Remove Messenger channel").click()
    confirm(merchant, "Remove the Messenger channel from Maple & Thread?", "Remove channel")
    expect(merchant.get_by_role("button", name="Add Messenger channel")).to_be_visible()
    checkout = shopper.context.new_page()
    checkout.goto(shop.url(f"/checkout?variant={apron.variants[0].id}&quantity=1"))
    expect(checkout.get_by_role("button", name="Place order")).to_be_visible()
    expect(checkout.get_by_role("checkbox", name="Send order updates to Messenger")).to_have_count(0)
    checkout.close()

    clock.advance(timedelta(hours=25))  # the window closed: outside it, the utility wording
    admin_sign_in(merchant, shop.base)  # a day later: the admin's session ended after 12 hours unused
    fulfil(merchant, shop.base, 1002, "1ZSTILL")
    update = shipping_update(shopper, 1002)
    expect(update).to_be_visible(timeout=ARRIVES)  # the channel is removed, the subscription goes on
    expect(update).to_contain_text("Order #1002 has shipped. Tracking number: 1ZSTILL.")
    expect(update).not_to_contain_text("free on your next order")
    expect(shipping_update(shopper, 1001)).to_have_count(0)  # muted

    merchant.goto(shop.url("/admin/channels"))
    merchant.get_by_role("button", name="Add Messenger channel").click()
    expect(merchant.get_by_role("button", name="Remove Messenger channel")).to_be_visible()
    shopper.reload()
    expect(receipt(shopper, 1001)).to_be_visible()  # the same conversation goes on
    expect(shopper.get_by_label("Message")).to_be_visible()

"""The Messenger journeys over the real Messenger Platform's contracts (`MESSENGER_TRANSPORT=graph`).

The shopper buys in Chromium and ticks Meta's checkbox plugin; Facebook's SDK can't load here, so
the browser gets tests/e2e/fake_facebook_sdk.js in its place, which hands the
MessengerCheckboxUserConfirmation (logged on the order status page the checkout leads to) to the
fake Platform. From there on everything is HTTP as in production: the fake Platform calls the app's
webhook with signed events (the opt-in, the shopper's messages and menu taps, the echoes of what the
Page sent), and the app's worker calls the fake Platform's Send API. What reached the shopper's
Messenger is what the fake Platform accepted; the merchant works in the admin in Chromium.
"""
from __future__ import annotations

import time
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from pageshop import clock
from tests.e2e.driver import (
    admin_sign_in,
    confirm,
    customize,
    fill_facebook_checkout,
    fulfil,
    order_id,
    place_order,
    stand_in_for_facebook,
)
from tests.fake_messenger_platform import platform  # noqa: F401

ALEX = "24681357900"  # Alex's page-scoped id (PSID) at the fake Platform
ARRIVES = 20.0  # seconds at most for a message to reach Messenger (on a busy machine; bench/ times it)


@pytest.fixture
def people(browser: Browser, shop, app, platform):
    app.config["PUBLIC_URL"] = shop.base
    platform.webhook_url = shop.url("/webhooks/messenger")
    shopper_context = browser.new_context()
    confirmations = stand_in_for_facebook(shopper_context, platform, ALEX, app.config["MESSENGER_APP_ID"])
    shopper = shopper_context.new_page()
    shopper.confirmations = confirmations
    merchant = browser.new_context().new_page()
    admin_sign_in(merchant, shop.base)
    yield shopper, merchant
    shopper.context.close()
    merchant.context.close()


def buy(shop, page: Page, variant_id: int, tick: bool = True) -> None:
    """Buy one item, ticking Meta's checkbox; with it ticked, the order status page confirms the
    opt-in with Meta (waited for here, as the shopper would read the page)."""
    confirmed = len(page.confirmations)
    fill_facebook_checkout(page, shop.base, variant_id, opt_in=False)
    page.get_by_label("Email").fill("alex@example.com")
    plugin = page.get_by_role("checkbox", name="Send to Messenger")
    expect(plugin).not_to_be_checked()  # never pre-checked
    if tick:
        plugin.check()
    place_order(page)
    if tick:
        expect(page.get_by_text("Messenger updates are on.")).to_be_visible()
        deadline = time.monotonic() + ARRIVES
        while len(page.confirmations) == confirmed and time.monotonic() < deadline:
            page.wait_for_timeout(100)
        assert len(page.confirmations) == confirmed + 1, "the order status page didn't confirm the opt-in"


def arrives(platform, page: Page, what, timeout: float = ARRIVES) -> dict:
    """The first message to Alex for which what(body) holds, waiting for it as a person would."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [body for body in platform.sent_to(ALEX) if what(body)]
        if found:
            return found[0]
        page.wait_for_timeout(100)  # keeps Playwright's bindings and routes served meanwhile
    raise AssertionError(f"no such message reached Alex; he got: {platform.sent_to(ALEX)}")


def template(body: dict) -> dict:
    return body["message"].get("attachment", {}).get("payload", {})


def text(body: dict) -> str:
    return body["message"].get("text", "")


def test_checkbox_opt_in_receipt_shipping_search_and_turn_off(people, shop, platform, make_product):
    shopper, merchant = people
    make_product(title="Walnut Board", price_cents=4500, stock=5)
    apron = make_product(title="Linen Apron", price_cents=3200, stock=5)

    buy(shop, shopper, apron.variants[0].id)
    (name, confirmation), = shopper.confirmations
    assert name == "MessengerCheckboxUserConfirmation"
    user_ref = confirmation["user_ref"]

    # The receipt reaches Alex at the checkbox's user_ref: the Platform knows him, we don't yet.
    receipt = arrives(platform, shopper, lambda b: template(b).get("template_type") == "receipt")
    assert receipt["recipient"] == {"user_ref": user_ref}
    assert receipt["messaging_type"] == "UPDATE"  # the opt-in opened the 24-hour window
    card = template(receipt)
    assert card["order_number"] == "#1001"
    assert card["recipient_name"] == "Alex Rivera"
    assert [(e["title"], e["quantity"], e["price"]) for e in card["elements"]] == [("Linen Apron", 1, 32.0)]
    assert card["order_url"].startswith(shop.base)

    # Alex answers in Messenger; the merchant sees it in the inbox.
    platform.person_writes(ALEX, "Thanks! When does it ship?")
    merchant.goto(shop.url("/admin/inbox"))
    expect(merchant.get_by_text("Thanks! When does it ship?").first).to_be_visible()

    # From his first message on, Alex is addressed by his PSID.
    fulfil(merchant, shop.base, 1001, "1ZGRAPH0001")
    shipping = arrives(platform, shopper, lambda b: "1ZGRAPH0001" in text(b))
    assert shipping["recipient"] == {"id": ALEX}
    assert shipping["messaging_type"] == "UPDATE"

    # "Search products" from the persistent menu, then a word: product cards.
    platform.person_taps(ALEX, "search_products", "Search products")
    arrives(platform, shopper, lambda b: "What are you looking for?" in text(b))
    platform.person_writes(ALEX, "apron")
    cards = arrives(platform, shopper, lambda b: template(b).get("template_type") == "generic")
    assert [e["title"] for e in template(cards)["elements"]] == ["Linen Apron"]
    assert cards["messaging_type"] == "RESPONSE"

    # "Order update settings" from the menu, then "Turn off updates" (the Platform's 20 characters).
    platform.person_taps(ALEX, "order_update_settings", "Order update settings")
    question = arrives(platform, shopper, lambda b: b["message"].get("quick_replies"))
    assert [r["payload"] for r in question["message"]["quick_replies"]] == ["turn_off", "keep"]
    assert [r["title"] for r in question["message"]["quick_replies"]] == ["Turn off updates", "Keep updates"]
    platform.person_writes(ALEX, "Turn off updates", quick_reply="turn_off")
    arrives(platform, shopper, lambda b: "won't get order updates" in text(b))
    before = len(platform.sent_to(ALEX))

    merchant.goto(shop.url(f"/admin/orders/{order_id(1001)}/status"))
    expect(merchant.get_by_text("Updates: turned off by the customer")).to_be_visible()
    merchant.goto(shop.url(f"/admin/orders/{order_id(1001)}"))
    merchant.get_by_role("button", name="Mark as out for delivery").click()
    merchant.get_by_role("button", name="Mark as delivered").click()
    expect(merchant.get_by_role("button", name="Mark as delivered")).to_have_count(0)
    shopper.wait_for_timeout(1000)  # ten worker rounds

    assert len(platform.sent_to(ALEX)) == before  # nothing more reached Alex
    log = merchant.locator("#messenger-notifications-heading").locator("..")
    expect(log.get_by_role("listitem")).to_have_count(2)  # confirmation and shipping update only


def test_unticked_checkbox_sends_nothing(people, shop, platform, make_product):
    shopper, merchant = people
    apron = make_product(title="Linen Apron", price_cents=3200, stock=5)

    buy(shop, shopper, apron.variants[0].id, tick=False)

    assert shopper.confirmations == []  # no confirmation logged with Meta
    merchant.goto(shop.url(f"/admin/orders/{order_id(1001)}/status"))
    expect(merchant.get_by_text("The customer didn't ask for order updates in Messenger.")).to_be_visible()
    assert platform.sent == []


def test_mute_remove_and_add_the_channel_and_the_window(people, shop, platform, make_product):
    shopper, merchant = people
    apron = make_product(title="Linen Apron", price_cents=3200, stock=10)
    customize(merchant, shop.base, "order_confirmation",
              "Thank you {{ first_name }}! Order {{ order_number }} is in.", "Show this for 10% off in our shop: THANKS10")
    customize(merchant, shop.base, "shipping_update",
              "On its way, {{ first_name }}: {{ tracking_number }}", "Shipping is free on your next order.")

    buy(shop, shopper, apron.variants[0].id)  # #1001: opted in, then muted by the merchant
    buy(shop, shopper, apron.variants[0].id)  # #1002: opted in, keeps its updates
    first, second = (c["user_ref"] for _, c in shopper.confirmations)
    arrives(platform, shopper, lambda b: template(b).get("order_number") == "#1002")

    merchant.goto(shop.url(f"/admin/orders/{order_id(1001)}/status"))
    expect(merchant.get_by_text("Messenger updates go to the person who opted in on Messenger")).to_be_visible()
    merchant.get_by_role("button", name="Turn off").click()
    confirm(merchant, "Turn off Messenger updates for order #1001?", "Turn off updates")
    expect(merchant.get_by_text("Updates: turned off")).to_be_visible()
    fulfil(merchant, shop.base, 1001, "1ZMUTED")

    # Inside the window: the merchant's own words, promotional note included.
    fulfil(merchant, shop.base, 1002, "1ZINSIDE")
    inside = arrives(platform, shopper, lambda b: "1ZINSIDE" in text(b))
    assert inside["recipient"] == {"user_ref": second}
    assert inside["messaging_type"] == "UPDATE"
    assert text(inside).startswith("On its way, Alex: 1ZINSIDE")
    assert "Shipping is free on your next order." in text(inside)

    # Removing the channel takes the plugin off the checkout; subscriptions go on.
    merchant.goto(shop.url("/admin/channels"))
    merchant.get_by_role("button", name="Remove Messenger channel").click()
    confirm(merchant, "Remove the Messenger channel from Maple & Thread?", "Remove channel")
    expect(merchant.get_by_role("button", name="Add Messenger channel")).to_be_visible()
    shopper.goto(shop.url(f"/checkout?variant={apron.variants[0].id}&quantity=1"))
    expect(shopper.get_by_role("button", name="Place order")).to_be_visible()
    expect(shopper.locator(".fb-messenger-checkbox")).to_have_count(0)

    # Outside the window, known only by the checkbox's user_ref: no utility message (Meta documents
    # them by PSID), the update goes by e-mail and the order's timeline says why.
    clock.advance(timedelta(hours=25))
    admin_sign_in(merchant, shop.base)  # a day later: the admin's session ended after 12 hours unused
    merchant.goto(shop.url(f"/admin/orders/{order_id(1002)}"))
    merchant.get_by_role("button", name="Mark as out for delivery").click()
    merchant.wait_for_timeout(1000)  # ten worker rounds
    merchant.reload()
    expect(merchant.get_by_text("Out for delivery sent by e-mail: Messenger can reach this shopper again "
                                "once they reply.")).to_be_visible()
    assert not [b for b in platform.sent if b["messaging_type"] == "UTILITY"]

    # Alex writes: his PSID is known from now on. A day later the next update is the approved
    # utility template, to the PSID, no promotion.
    platform.person_writes(ALEX, "Where is it now?")
    merchant.goto(shop.url("/admin/inbox"))
    expect(merchant.get_by_text("Where is it now?").first).to_be_visible()
    clock.advance(timedelta(hours=25))
    admin_sign_in(merchant, shop.base)  # another day: signed out again after 12 hours unused
    merchant.goto(shop.url(f"/admin/orders/{order_id(1002)}"))
    merchant.get_by_role("button", name="Mark as delivered").click()
    outside = arrives(platform, shopper, lambda b: b["messaging_type"] == "UTILITY")
    assert outside["recipient"] == {"id": ALEX}
    assert outside["message"]["template"]["name"] == "pageshop_delivered"
    assert outside["message"]["template"]["components"][0]["parameters"][0]["text"] == "#1002"
    assert "free on your next order" not in str(outside)

    merchant.goto(shop.url("/admin/channels"))
    merchant.get_by_role("button", name="Add Messenger channel").click()
    expect(merchant.get_by_role("button", name="Remove Messenger channel")).to_be_visible()
    shopper.goto(shop.url(f"/checkout?variant={apron.variants[0].id}&quantity=1"))
    expect(shopper.get_by_role("checkbox", name="Send to Messenger")).to_be_visible()

    # The muted order's receipt came with the merchant's words; after that, nothing.
    to_first = [b for b in platform.sent if b["recipient"] == {"user_ref": first}]
    assert [template(b).get("template_type") for b in to_first] == ["receipt", None]
    assert text(to_first[1]) == "Thank you Alex! Order #1001 is in.\n\nShow this for 10% off in our shop: THANKS10"

"""The Messenger Platform's webhook: the subscription check, signed calls (right, wrong, missing),
replays, batches, menu postbacks and quick replies answered over the Send API, the checkbox opt-in
linked to the PSID by the shopper's first message; and the checkout's checkbox plugin and CSP."""
from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from flask import render_template

from pageshop import worker
from pageshop.extensions import db
from pageshop.messenger.webhook import checkbox_confirmed, process_pending_deliveries
from pageshop.models import Conversation, Message, Notification, Subscription, WebhookDelivery

from .fake_messenger_platform import APP_SECRET, VERIFY_TOKEN, now_ms, platform  # noqa: F401

URL = "/webhooks/messenger"
PSID = "5550001111"


def signed(body: bytes, secret: str = APP_SECRET) -> dict:
    return {"X-Hub-Signature-256": "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(),
            "Content-Type": "application/json"}


def call(page_id: str, *events, entries: list | None = None) -> bytes:
    entries = entries or [{"id": page_id, "time": now_ms(), "messaging": list(events)}]
    return json.dumps({"object": "page", "entry": entries}).encode()


def text_event(page_id: str, text: str, mid: str, psid: str = PSID, **extra) -> dict:
    """A message as Meta sends it (developers.facebook.com/docs/messenger-platform/reference/
    webhook-events/messages), timestamped now by the Platform's clock."""
    return {"sender": {"id": psid}, "recipient": {"id": page_id}, "timestamp": now_ms(),
            "message": {"mid": mid, "text": text, **extra}}


def postback_event(page_id: str, payload: str, title: str, mid: str | None = None, psid: str = PSID) -> dict:
    """.../webhook-events/messaging_postbacks"""
    postback = {"title": title, "payload": payload}
    if mid:
        postback["mid"] = mid
    return {"sender": {"id": psid}, "recipient": {"id": page_id}, "timestamp": now_ms(), "postback": postback}


def post(client, body: bytes, headers: dict | None = None):
    """A call to the app's webhook as the Platform; a signed one is known to the fake Platform too
    (the people's actions in it open their windows there)."""
    fake = client.application.extensions.get("fake_messenger_platform")
    if fake is not None and headers is None:
        fake.heard(json.loads(body))
    return client.post(URL, data=body, headers=headers if headers is not None else signed(body))


def process(app) -> None:
    worker.run_once(app)


def incoming(psid: str = PSID) -> list[Message]:
    return list(db.session.scalars(
        db.select(Message).join(Conversation).where(Conversation.psid == psid, Message.direction == "in")
        .order_by(Message.id)))


# --- GET: the subscription check -------------------------------------------------------------


def test_verification_answers_the_challenge_for_our_token(client, platform):
    response = client.get(URL, query_string={"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN,
                                             "hub.challenge": "1158201444"})
    assert response.status_code == 200 and response.get_data(as_text=True) == "1158201444"


@pytest.mark.parametrize("params", [
    {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
    {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"},
    {"hub.challenge": "1"},
])
def test_verification_refuses_anything_else(client, platform, params):
    response = client.get(URL, query_string=params)
    assert response.status_code == 403
    assert "1" != response.get_data(as_text=True)


def test_verification_refuses_when_no_verify_token_is_configured(app, client, platform):
    app.config["MESSENGER_VERIFY_TOKEN"] = None
    response = client.get(URL, query_string={"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"})
    assert response.status_code == 403


# --- POST: signed events --------------------------------------------------------------------


def test_a_signed_message_is_answered_at_once_and_processed_once(app, client, platform, store):
    body = call(platform.page_id, text_event(platform.page_id, "Is the blue mug back?", "m_in_1"))

    response = post(client, body)

    assert response.status_code == 200
    assert db.session.scalars(db.select(WebhookDelivery)).one().processed_at is None
    assert incoming() == []  # processed after the answer, by the worker
    process(app)
    messages = incoming()
    assert [(m.text, m.mid, m.author) for m in messages] == [("Is the blue mug back?", "m_in_1", "customer")]
    conversation = messages[0].conversation
    assert conversation.page_id == store.messenger_page_id
    assert conversation.unread_count == 1 and conversation.last_customer_action_at is not None
    assert db.session.scalars(db.select(WebhookDelivery)).one().processed_at is not None


@pytest.mark.parametrize("headers", [
    "wrong-secret",
    "unsigned",
    "sha1",
])
def test_wrongly_signed_or_unsigned_calls_are_refused_and_nothing_is_stored(app, client, platform, store, headers):
    body = call(platform.page_id, text_event(platform.page_id, "Hello", "m_in_2"))
    if headers == "wrong-secret":
        sent_headers = signed(body, "not-the-secret")
    elif headers == "unsigned":
        sent_headers = {"Content-Type": "application/json"}
    else:
        sent_headers = {"X-Hub-Signature": "sha1=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha1).hexdigest()}

    response = post(client, body, sent_headers)

    assert response.status_code == 403
    process(app)
    assert db.session.scalars(db.select(WebhookDelivery)).all() == []
    assert db.session.scalars(db.select(Message)).all() == []


def test_a_body_changed_after_signing_is_refused(client, platform, store):
    body = call(platform.page_id, text_event(platform.page_id, "Hello", "m_in_3"))
    headers = signed(body)
    response = post(client, body.replace(b"Hello", b"Hellx"), headers)
    assert response.status_code == 403


def test_the_webhook_needs_no_csrf_token_but_the_signature(client, platform, store):
    body = call(platform.page_id, text_event(platform.page_id, "Hi", "m_in_4"))
    assert post(client, body).status_code == 200  # no CSRF token sent


def test_a_replayed_call_is_processed_once(app, client, platform, store):
    body = call(platform.page_id, text_event(platform.page_id, "Where is my order?", "m_in_5"))

    assert post(client, body).status_code == 200
    process(app)
    assert post(client, body).status_code == 200  # the Platform sends it again after a slow answer
    process(app)

    assert [m.text for m in incoming()] == ["Where is my order?"]
    assert len(db.session.scalars(db.select(WebhookDelivery)).all()) == 2


def test_a_batched_call_with_several_entries_and_events(app, client, platform, store):
    page_id = platform.page_id
    body = call(page_id, entries=[
        {"id": page_id, "time": 1, "messaging": [text_event(page_id, "one", "m_b1", psid="111"),
                                                 text_event(page_id, "two", "m_b2", psid="111")]},
        {"id": page_id, "time": 2, "messaging": [
            text_event(page_id, "three", "m_b3", psid="222"),
            {"sender": {"id": "222"}, "recipient": {"id": page_id}, "timestamp": 3,
             "delivery": {"mids": ["m_fake1"], "watermark": 3}},
            {"sender": {"id": "222"}, "recipient": {"id": page_id}, "timestamp": 4, "read": {"watermark": 4}},
            {"sender": {"id": page_id}, "recipient": {"id": "222"}, "timestamp": 5,
             "message": {"mid": "m_echo", "is_echo": True, "app_id": 1234567890, "text": "our own reply"}},
        ]},
    ])

    assert post(client, body).status_code == 200
    process(app)

    assert [m.text for m in incoming("111")] == ["one", "two"]
    assert [m.text for m in incoming("222")] == ["three"]
    assert db.session.scalars(db.select(Message).filter_by(mid="m_echo")).first() is None
    assert db.session.scalars(db.select(Conversation)).all().__len__() == 2


def test_an_event_for_another_page_is_ignored(app, client, platform, store):
    body = call("999999", text_event("999999", "Hello", "m_other"))
    assert post(client, body).status_code == 200
    process(app)
    assert db.session.scalars(db.select(Message)).all() == []


# --- postbacks and quick replies: the bot over the Platform -----------------------------------


def test_get_started_and_order_update_settings_are_answered_over_the_send_api(app, client, platform, store):
    page_id = platform.page_id
    post(client, call(page_id, postback_event(page_id, "get_started", "Get Started", mid="m_p0")))
    post(client, call(page_id, postback_event(page_id, "order_update_settings", "Order update settings",
                                              mid="m_p1")))
    process(app)

    sent = platform.sent
    assert len(sent) == 2
    assert all(body["recipient"] == {"id": PSID} and body["messaging_type"] == "RESPONSE" for body in sent)
    replies = sent[1]["message"]["quick_replies"]
    assert [r["payload"] for r in replies] == ["turn_off", "keep"]
    # The apps cut titles after 20 characters: the Platform gets words that fit.
    assert [r["title"] for r in replies] == ["Turn off updates", "Keep updates"]
    out = db.session.scalars(db.select(Message).filter_by(direction="out").order_by(Message.id)).all()
    assert [m.mid for m in out] == ["m_fake1", "m_fake2"]
    assert [m.kind for m in incoming()] == ["postback", "postback"]


def test_a_postback_without_mid_sent_twice_is_processed_once(app, client, platform, store):
    body = call(platform.page_id, postback_event(platform.page_id, "search_products", "Search products"))
    post(client, body)
    post(client, body)
    process(app)

    assert [m.text for m in incoming()] == ["Search products"]
    assert len(platform.sent) == 1


def test_search_products_then_a_query_gets_product_cards(app, client, platform, store, make_product):
    make_product("Blue Mug", price_cents=1800)
    make_product("Red Scarf")
    page_id = platform.page_id
    post(client, call(page_id, postback_event(page_id, "search_products", "Search products", mid="m_s1")))
    process(app)
    post(client, call(page_id, text_event(page_id, "mug", "m_s2")))
    process(app)

    cards = platform.sent[-1]["message"]["attachment"]["payload"]
    assert cards["template_type"] == "generic"
    assert [e["title"] for e in cards["elements"]] == ["Blue Mug"]
    assert cards["elements"][0]["buttons"][0]["url"].endswith("source=messenger")
    assert db.session.scalars(db.select(Conversation)).one().awaiting is None


def test_turn_off_order_updates_by_quick_reply(app, client, platform, store, make_order):
    order = make_order()
    subscription = Subscription(order=order, page_id=store.messenger_page_id, psid=PSID, state="active")
    db.session.add(subscription)
    db.session.commit()
    page_id = platform.page_id

    post(client, call(page_id, text_event(page_id, "Turn off updates", "m_q1",
                                          quick_reply={"payload": "turn_off"})))
    process(app)

    assert db.session.get(Subscription, subscription.id).state == "turned_off"
    assert "won't get order updates" in platform.sent[-1]["message"]["text"]
    assert incoming()[0].payload == {"quick_reply": "turn_off"}


# --- the checkbox plugin --------------------------------------------------------------------


def test_checkbox_optin_then_the_first_message_links_the_user_ref_to_the_psid(app, client, platform, store, make_order):
    from pageshop.messenger.graph import conversation_for_subscription
    from pageshop.messenger.transport import Outgoing, get_transport

    page_id = platform.page_id
    order = make_order()
    subscription = Subscription(order=order, page_id=store.messenger_page_id, user_ref="ref-checkout-42")
    db.session.add(subscription)
    db.session.commit()
    optin = {"recipient": {"id": page_id}, "timestamp": now_ms(),
             "optin": {"ref": "checkout", "user_ref": "ref-checkout-42"}}

    post(client, call(page_id, optin))
    post(client, call(page_id, optin))  # replayed
    process(app)

    assert checkbox_confirmed("ref-checkout-42") and not checkbox_confirmed("ref-other")
    assert db.session.scalars(db.select(Message)).all() == []

    # The order's confirmation goes to the user_ref: the Platform knows the person, we don't yet.
    platform.user_refs["ref-checkout-42"] = "777000"
    notification = Notification(order=order, subscription=subscription, event="order_confirmation")
    db.session.add(notification)
    db.session.commit()
    process(app)
    assert db.session.get(Notification, notification.id).state == "sent"
    assert platform.sent[-1]["recipient"] == {"user_ref": "ref-checkout-42"}
    waiting = db.session.scalars(db.select(Conversation)).one()
    assert waiting.psid is None and waiting.user_ref == "ref-checkout-42"

    reply = text_event(page_id, "Thanks!", "m_c1", psid="777000")
    reply["prior_message"] = {"source": "checkbox_plugin", "identifier": "ref-checkout-42"}
    post(client, call(page_id, reply))
    process(app)

    subscription = db.session.get(Subscription, subscription.id)
    assert subscription.psid == "777000"
    conversation = db.session.scalars(db.select(Conversation).filter_by(psid="777000")).one()
    assert conversation.id == waiting.id  # the conversation kept for the user_ref is now the PSID's
    assert [m.direction for m in conversation.messages] == ["out", "in"]

    # From now on the order's updates go to the PSID.
    assert conversation_for_subscription(subscription).id == conversation.id
    get_transport().send(Outgoing(conversation=conversation, kind="text", text="Shipped", lane="UPDATE"))
    db.session.commit()
    assert platform.sent[-1]["recipient"] == {"id": "777000"}


def test_the_checkbox_partial_renders_metas_plugin_unchecked(app, platform, store):
    with app.test_request_context("/checkout"):
        html = render_template("storefront/_messenger_checkbox.html", messenger_user_ref="ref-xyz")

    assert 'class="fb-messenger-checkbox"' in html
    assert f'page_id="{platform.page_id}"' in html
    assert 'messenger_app_id="1234567890"' in html
    assert 'user_ref="ref-xyz"' in html
    assert 'origin="http://localhost"' in html
    assert "checked" not in html.replace('value="unchecked"', "")
    assert "js/messenger-checkbox." in html  # (fingerprinted name)
    assert "<script>" not in html  # no inline script: the CSP allows none


def test_csp_allows_facebook_only_on_the_checkout_with_graph(app, client, platform, store, make_product):
    product = make_product()
    checkout = client.get("/checkout", query_string={"variant": product.variants[0].id, "quantity": 1})
    assert checkout.status_code == 200
    policy = checkout.headers["Content-Security-Policy"]
    assert "https://connect.facebook.net" in policy and "frame-src https://www.facebook.com" in policy

    # Every page has a policy (pageshop.security); only this one admits Facebook.
    assert "facebook" not in client.get("/").headers["Content-Security-Policy"]
    app.config["MESSENGER_TRANSPORT"] = "local"
    checkout = client.get("/checkout", query_string={"variant": product.variants[0].id, "quantity": 1})
    assert "facebook" not in checkout.headers["Content-Security-Policy"]


def test_webhook_processing_keeps_a_failing_delivery_for_a_retry(app, client, platform, store, monkeypatch):
    from pageshop.messenger import webhook

    calls = {"n": 0}
    real = webhook._handle

    def flaky(page, event, standby=False):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("database hiccup")
        return real(page, event, standby)

    monkeypatch.setattr(webhook, "_handle", flaky)
    post(client, call(platform.page_id, text_event(platform.page_id, "Hello?", "m_r1")))
    process(app)
    delivery = db.session.scalars(db.select(WebhookDelivery)).one()
    assert delivery.processed_at is None and delivery.attempts == 1 and "hiccup" in delivery.last_error

    process(app)
    assert [m.text for m in incoming()] == ["Hello?"]


# --- a whole journey over the Platform --------------------------------------------------------


def test_journey_checkbox_opt_in_receipt_shipping_turn_off(app, client, platform, store, make_order):
    """The checkout's checkbox opt-in, the receipt to the user_ref, the shopper's first message,
    the shipping update to the PSID, "Turn off order updates" from Messenger, nothing more after."""
    from pageshop import events
    from pageshop.orders import fulfill_order, mark_out_for_delivery

    page_id = platform.page_id
    order = make_order()
    events.publish("order_placed", order, opt_in_user_ref="ref-journey-1")
    db.session.commit()
    platform.user_refs["ref-journey-1"] = "888000"
    post(client, call(page_id, {"recipient": {"id": page_id}, "timestamp": now_ms(),
                                "optin": {"ref": "checkout", "user_ref": "ref-journey-1"}}))
    process_pending_deliveries()  # the opt-in confirmed (and the window opened) first,
    process(app)  # then the confirmation goes out

    receipt = platform.sent[-1]
    assert receipt["recipient"] == {"user_ref": "ref-journey-1"}
    assert receipt["messaging_type"] == "UPDATE"  # the opt-in opened the window
    assert receipt["message"]["attachment"]["payload"]["order_number"] == order.name

    first = text_event(page_id, "Great, thanks", "m_j1", psid="888000")
    first["prior_message"] = {"source": "checkbox_plugin", "identifier": "ref-journey-1"}
    post(client, call(page_id, first))
    process(app)
    fulfill_order(db.session.get(type(order), order.id), "UPS", "1Z999AA10123456784")
    process(app)

    shipping = platform.sent[-1]
    assert shipping["recipient"] == {"id": "888000"}
    assert "1Z999AA10123456784" in shipping["message"]["text"]

    post(client, call(page_id, text_event(page_id, "Turn off updates", "m_j2", psid="888000",
                                          quick_reply={"payload": "turn_off"})))
    process(app)
    count = len(platform.sent)
    mark_out_for_delivery(db.session.get(type(order), order.id))
    process(app)

    assert len(platform.sent) == count
    states = [n.state for n in db.session.scalars(db.select(Notification).order_by(Notification.id))]
    assert states == ["sent", "sent"]  # turned off: no update is even queued
    assert db.session.scalars(db.select(Subscription)).one().state == "turned_off"
    conversation = db.session.scalars(db.select(Conversation).filter_by(psid="888000")).one()
    assert [(m.direction, m.kind) for m in conversation.messages] == [
        ("out", "receipt"), ("in", "text"), ("out", "shipping_update"), ("in", "postback"), ("out", "text")]


def test_old_receipts_and_calls_are_forgotten_after_30_days(app, client, platform, store):
    from datetime import timedelta

    from pageshop import clock
    from pageshop.messenger import webhook
    from pageshop.models import WebhookReceipt

    post(client, call(platform.page_id, text_event(platform.page_id, "Hi", "m_old")))
    process(app)
    assert db.session.scalars(db.select(WebhookReceipt)).all()
    clock.advance(timedelta(days=31))
    webhook._last_forget["at"] = None

    process(app)

    assert db.session.scalars(db.select(WebhookReceipt)).all() == []
    assert db.session.scalars(db.select(WebhookDelivery)).all() == []
    assert [m.text for m in incoming()] == ["Hi"]  # the conversation itself stays


def test_a_first_postback_after_the_checkbox_also_links_the_psid(app, client, platform, store, make_order):
    order = make_order()
    subscription = Subscription(order=order, page_id=store.messenger_page_id, user_ref="ref-pb-1")
    db.session.add(subscription)
    db.session.commit()
    event = postback_event(platform.page_id, "order_update_settings", "Order update settings", mid="m_pb1",
                           psid="999111")
    event["prior_message"] = {"source": "checkbox_plugin", "identifier": "ref-pb-1"}

    post(client, call(platform.page_id, event))
    process(app)

    assert db.session.get(Subscription, subscription.id).psid == "999111"
    assert platform.sent[-1]["recipient"] == {"id": "999111"}
    assert [r["payload"] for r in platform.sent[-1]["message"]["quick_replies"]] == ["turn_off", "keep"]


# --- updates wait for the Platform to confirm a checkbox opt-in --------------------------------


def _optin(page_id: str, user_ref: str) -> dict:
    return {"recipient": {"id": page_id}, "timestamp": now_ms(),
            "optin": {"ref": "checkout", "user_ref": user_ref}}


def test_updates_wait_for_the_platform_to_confirm_the_checkbox(app, client, auth, platform, store, make_order):
    from pageshop import events

    order = make_order()
    events.publish("order_placed", order, opt_in_user_ref="ref-wait-1")
    db.session.commit()
    platform.user_refs["ref-wait-1"] = "121212"
    process(app)

    assert platform.requests == []  # an unconfirmed user_ref is not messaged
    assert db.session.scalars(db.select(Notification)).one().state == "queued"
    auth.sign_in()
    status_page = client.get(f"/admin/orders/{order.id}/status").get_data(as_text=True)
    assert "Waiting for Messenger to confirm the opt-in." in status_page

    post(client, call(platform.page_id, _optin(platform.page_id, "ref-wait-1")))
    process(app)  # the opt-in wakes the waiting confirmation
    process(app)

    assert platform.sent[-1]["recipient"] == {"user_ref": "ref-wait-1"}
    assert db.session.scalars(db.select(Notification)).one().state == "sent"
    status_page = client.get(f"/admin/orders/{order.id}/status").get_data(as_text=True)
    assert "Waiting for Messenger to confirm the opt-in." not in status_page


def test_a_confirmation_that_came_before_the_order_counts(app, client, platform, store, make_order):
    from pageshop import events

    post(client, call(platform.page_id, _optin(platform.page_id, "ref-early-1")))
    process(app)  # the Platform's webhook was quicker than the checkout's transaction
    platform.user_refs["ref-early-1"] = "343434"
    order = make_order()
    events.publish("order_placed", order, opt_in_user_ref="ref-early-1")
    db.session.commit()

    process(app)

    assert platform.sent[-1]["recipient"] == {"user_ref": "ref-early-1"}
    assert db.session.scalars(db.select(Subscription)).one().confirmed_at is not None


def test_an_opt_in_never_confirmed_is_skipped_with_the_reason(app, client, auth, platform, store, make_order):
    from datetime import timedelta

    from pageshop import clock, events

    order = make_order()
    events.publish("order_placed", order, opt_in_user_ref="ref-never-1")
    db.session.commit()
    process(app)
    clock.advance(timedelta(seconds=app.config["MESSENGER_OPTIN_WAIT_SECONDS"] + 1))

    process(app)

    assert platform.requests == []
    notification = db.session.scalars(db.select(Notification)).one()
    assert notification.state == "skipped"
    auth.sign_in()
    assert "Messenger never confirmed the opt-in at checkout." in client.get(
        f"/admin/orders/{order.id}").get_data(as_text=True)

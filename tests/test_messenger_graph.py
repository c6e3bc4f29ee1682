"""The `graph` transport against a fake Messenger Platform (a real HTTP server): the Send API's
request shapes, error classification, secrets kept out of errors, `flask messenger-setup`, and the
outbox's retries and holds over the Platform."""
from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from flask import current_app

from pageshop import clock, events
from pageshop.extensions import db
from pageshop.messenger.conversations import open_conversation
from pageshop.messenger.graph import GraphClient, GraphTransport, Scrubber, build_request
from pageshop.messenger.transport import Outgoing, SendError, get_transport
from pageshop.models import Conversation, FacebookAccount, Message, Notification, Store, Subscription

from .fake_messenger_platform import APP_SECRET, EPOCH, PAGE_TOKEN, check_send, platform  # noqa: F401

PSID = "2468013579"


@pytest.fixture
def conversation(store, platform):
    page = store.messenger_page
    conversation = Conversation(page_id=page.id, psid=PSID, display_name="Alex Rivera",
                                last_customer_action_at=clock.now())
    db.session.add(conversation)
    db.session.commit()
    platform.heard_from(PSID)  # Alex wrote to the Page just now
    return conversation


def send(conversation, kind="text", text="Hello", lane="RESPONSE", payload=None, **extra) -> Message:
    message = get_transport().send(Outgoing(conversation=conversation, kind=kind, text=text, lane=lane,
                                            payload=payload, **extra))
    db.session.commit()
    return message


# --- request shapes -------------------------------------------------------------------------


def test_text_with_quick_replies_is_sent_and_stored_with_its_mid(platform, conversation):
    message = send(conversation, kind="quick_replies", text="Keep getting updates?",
                   payload={"quick_replies": [{"title": "Turn off order updates", "choice": "turn_off"},  # 22 characters
                                              {"title": "Keep receiving updates", "choice": "keep"}]})

    request = platform.requests[-1]
    assert request.accepted, request.answer
    assert request.path == f"/v26.0/{platform.page_id}/messages"
    assert request.query["access_token"] == PAGE_TOKEN
    assert request.body["recipient"] == {"id": PSID}
    assert request.body["messaging_type"] == "RESPONSE"
    assert request.body["message"]["text"] == "Keep getting updates?"
    assert [r["payload"] for r in request.body["message"]["quick_replies"]] == ["turn_off", "keep"]
    assert [r["title"] for r in request.body["message"]["quick_replies"]] == ["Turn off updates", "Keep updates"]
    stored = db.session.get(Message, message.id)
    assert (stored.direction, stored.mid, stored.lane, stored.kind) == ("out", "m_fake1", "RESPONSE", "quick_replies")
    assert stored.conversation_id == conversation.id


def test_update_lane_and_human_agent_tag(platform, conversation):
    send(conversation, lane="UPDATE", text="Your order shipped")
    send(conversation, lane="HUMAN_AGENT", text="Sorry for the wait!", author="merchant")

    update, human = platform.requests[-2:]
    assert update.accepted and update.body["messaging_type"] == "UPDATE" and "tag" not in update.body
    assert human.accepted
    assert human.body["messaging_type"] == "MESSAGE_TAG" and human.body["tag"] == "HUMAN_AGENT"


def test_product_cards_are_a_generic_template_of_at_most_ten(platform, conversation):
    cards = [{"title": f"Mug {n}", "price_cents": 1800, "image_url": f"https://shop.example.com/i/{n}.jpg",
              "product_url": f"https://shop.example.com/products/mug-{n}",
              "buy_url": f"https://shop.example.com/checkout?variant={n}&quantity=1&source=messenger"}
             for n in range(12)]
    send(conversation, kind="product_cards", text="Here's what I found", payload={"cards": cards})

    request = platform.requests[-1]
    assert request.accepted, request.answer
    template = request.body["message"]["attachment"]["payload"]
    assert template["template_type"] == "generic"
    assert len(template["elements"]) == 10
    buttons = template["elements"][0]["buttons"]
    assert [b["type"] for b in buttons] == ["web_url", "web_url", "postback"]
    assert [b["title"] for b in buttons][:2] == ["Buy Now", "View"]
    assert buttons[0]["url"].endswith("source=messenger")


def _opted_in_order(store, make_order, psid: str | None = PSID):
    account = db.session.scalars(db.select(FacebookAccount).filter_by(email="alex@example.com")).one()
    order = make_order(facebook_account=account)
    events.publish("order_placed", order, opt_in_account=account)
    db.session.commit()
    if psid:
        conversation = open_conversation(store.messenger_page, account)
        conversation.psid = psid
        db.session.commit()
        fake = current_app.extensions["fake_messenger_platform"]
        fake.heard_from(psid, int((conversation.last_customer_action_at - EPOCH).total_seconds() * 1000))
    return order


def _deliver() -> int:
    from pageshop.messenger.outbox import deliver_due_notifications

    return deliver_due_notifications()


def test_order_confirmation_is_a_receipt_template(platform, store, make_order):
    order = _opted_in_order(store, make_order)

    _deliver()

    request = platform.requests[-1]
    assert request.accepted, request.answer
    assert request.body["messaging_type"] == "UPDATE"
    receipt = request.body["message"]["attachment"]["payload"]
    assert receipt["template_type"] == "receipt"
    assert receipt["order_number"] == order.name
    assert receipt["recipient_name"] == "Alex Rivera"
    assert receipt["currency"] == "USD"
    assert receipt["summary"]["total_cost"] == order.total_cents / 100
    assert receipt["address"]["city"] == "Springfield"
    assert receipt["order_url"].startswith("https://shop.example.com/")
    assert receipt["elements"][0]["quantity"] == 1
    notification = db.session.scalars(db.select(Notification).filter_by(order_id=order.id)).one()
    assert notification.state == "sent"
    message = db.session.scalars(db.select(Message).filter_by(notification_id=notification.id)).one()
    assert message.mid and message.kind == "receipt" and message.lane == "UPDATE"


def test_outside_the_window_a_utility_template_is_sent(platform, app, store, make_order):
    app.config["MESSENGER_UTILITY_TEMPLATE_ORDER_CONFIRMATION"] = "maple_order_confirmed"
    order = _opted_in_order(store, make_order)
    clock.advance(timedelta(hours=25))  # the opt-in's window has closed

    _deliver()

    request = platform.requests[-1]
    assert request.accepted, request.answer
    assert request.body["messaging_type"] == "UTILITY"
    assert "tag" not in request.body
    template = request.body["message"]["template"]
    assert template["name"] == "maple_order_confirmed"
    assert template["language"] == {"code": "en_US"}
    assert template["components"][0]["parameters"][0]["text"] == order.name
    notification = db.session.scalars(db.select(Notification).filter_by(order_id=order.id)).one()
    assert (notification.state, notification.lane) == ("sent", "UTILITY")


def test_checkbox_opt_in_not_yet_linked_is_addressed_by_user_ref(platform, store, make_order):
    order = make_order()
    subscription = Subscription(order=order, page_id=store.messenger_page_id, user_ref="ref-abc-123")
    conversation = Conversation(page_id=store.messenger_page_id, display_name="Alex Rivera")
    db.session.add_all([subscription, conversation])
    db.session.commit()
    platform.user_refs["ref-abc-123"] = PSID
    platform.heard_from("ref-abc-123")  # the checkbox opt-in, just now
    notification = Notification(order=order, subscription=subscription, event="order_confirmation")
    db.session.add(notification)
    db.session.commit()

    send(conversation, kind="text", text="Thanks for your order", lane="UPDATE", notification_id=notification.id)

    assert platform.requests[-1].accepted
    assert platform.requests[-1].body["recipient"] == {"user_ref": "ref-abc-123"}


def test_the_transport_never_sends_a_retired_tag_and_the_platform_refuses_them(platform, conversation):
    for lane in ("RESPONSE", "UPDATE", "HUMAN_AGENT"):
        body = build_request(Outgoing(conversation=conversation, kind="text", text="Hi", lane=lane),
                             {"id": PSID}, "pageshop")
        check_send(body)  # the fake's rules
        assert body.get("tag") in (None, "HUMAN_AGENT")

    client = GraphClient(platform.graph_url, PAGE_TOKEN, 2)
    for tag in ("POST_PURCHASE_UPDATE", "CONFIRMED_EVENT_UPDATE", "ACCOUNT_UPDATE"):
        with pytest.raises(SendError) as refused:
            client.request("POST", f"{platform.page_id}/messages", {
                "recipient": {"id": PSID}, "messaging_type": "MESSAGE_TAG", "tag": tag,
                "message": {"text": "Your order shipped"}})
        assert refused.value.code == 100 and not refused.value.transient and not refused.value.hold


def test_unknown_fields_are_refused_with_error_100(platform):
    client = GraphClient(platform.graph_url, PAGE_TOKEN, 2)
    with pytest.raises(SendError) as refused:
        client.request("POST", f"{platform.page_id}/messages", {
            "recipient": {"id": PSID}, "messaging_type": "RESPONSE", "message": {"text": "Hi", "colour": "red"}})
    assert refused.value.code == 100 and not refused.value.transient
    with pytest.raises(SendError):
        client.request("POST", f"{platform.page_id}/messages", {
            "recipient": {"id": PSID}, "messaging_type": "NON_PROMOTIONAL_SUBSCRIPTION", "message": {"text": "Hi"}})


# --- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize("code, subcode, transient, hold", [
    (1, None, True, False),
    (2, None, True, False),
    (4, None, True, False),
    (613, None, True, False),
    (551, None, False, False),
    (10, 2018278, False, False),
    (100, 2018001, False, False),
    (100, None, False, False),
    (190, None, False, True),
])
def test_platform_errors_are_classified(platform, conversation, code, subcode, transient, hold):
    platform.fail_with(code, subcode)

    with pytest.raises(SendError) as failed:
        send(conversation)

    error = failed.value
    assert (error.transient, error.hold, error.code) == (transient, hold, code)
    assert error.message
    db.session.rollback()
    assert db.session.scalars(db.select(Message).filter_by(conversation_id=conversation.id)).all() == []


def test_readable_reasons(platform, conversation):
    platform.fail_with(551)
    with pytest.raises(SendError) as failed:
        send(conversation)
    assert "isn't available" in failed.value.message
    platform.fail_with(10, 2018278)
    with pytest.raises(SendError) as failed:
        send(conversation)
    assert "24-hour" in failed.value.message


def test_http_5xx_and_timeouts_are_transient(platform, conversation):
    platform.server_errors(1, status=502)
    with pytest.raises(SendError) as failed:
        send(conversation)
    assert failed.value.transient and "502" in failed.value.message

    platform.hang()
    with pytest.raises(SendError) as failed:
        send(conversation)
    assert failed.value.transient and "didn't answer within" in failed.value.message


def test_connection_refused_is_transient(app, platform, conversation):
    app.config["GRAPH_URL"] = "http://127.0.0.1:9/v26.0"
    with pytest.raises(SendError) as failed:
        send(conversation)
    assert failed.value.transient


def test_token_and_secret_never_appear_in_errors_logs_or_stored_errors(app, platform, store, make_order, caplog):
    caplog.set_level(logging.DEBUG)
    platform.fail_with(100, message=f"(#100) Invalid parameter access_token={PAGE_TOKEN} secret {APP_SECRET}")
    order = _opted_in_order(store, make_order)

    _deliver()

    notification = db.session.scalars(db.select(Notification).filter_by(order_id=order.id)).one()
    assert notification.state == "failed"
    assert "Invalid parameter" in notification.last_error
    assert PAGE_TOKEN not in notification.last_error and APP_SECRET not in notification.last_error
    app.config["GRAPH_URL"] = "http://127.0.0.1:9/v26.0"
    with pytest.raises(SendError) as failed:
        send(db.session.scalars(db.select(Conversation)).first())
    assert PAGE_TOKEN not in failed.value.message
    assert PAGE_TOKEN not in caplog.text and APP_SECRET not in caplog.text


def test_scrubber_hides_tokens_in_urls():
    scrub = Scrubber("tok/en+1", "s3cret")
    text = scrub("GET https://graph.facebook.com/v26.0/me?access_token=tok%2Fen%2B1&x=1 s3cret tok/en+1")
    assert "tok/en" not in text and "tok%2F" not in text and "s3cret" not in text
    assert "access_token=[redacted]" in text


def test_missing_page_id_is_a_clear_error(app, platform):
    app.config["MESSENGER_PAGE_ID"] = None
    with pytest.raises(SendError) as failed:
        GraphTransport(app.config).check_ready()
    assert "MESSENGER_PAGE_ID" in failed.value.message and failed.value.hold


# --- the outbox over the Platform -------------------------------------------------------------


def test_an_outage_ends_with_every_message_delivered_exactly_once(app, platform, store, make_order):
    app.config.update(OUTBOX_MAX_ATTEMPTS=10, OUTBOX_BACKOFF_CAP_SECONDS=60)
    order = _opted_in_order(store, make_order)
    order.carrier, order.tracking_number, order.tracking_url = "UPS", "1Z999", "https://ups.example/1Z999"
    events.publish("order_fulfilled", order)
    db.session.commit()
    platform.server_errors(4)
    platform.fail_with(2)
    platform.hang()

    for _ in range(20):
        _deliver()
        clock.advance(timedelta(seconds=61))
        if all(n.state == "sent" for n in db.session.scalars(db.select(Notification))):
            break

    notifications = list(db.session.scalars(db.select(Notification).order_by(Notification.id)))
    assert [n.state for n in notifications] == ["sent", "sent"]
    assert notifications[0].attempts == 7  # 4 x HTTP 5xx, error 2, a timeout, then delivered
    kinds = ["receipt" if "attachment" in body["message"] else "text" for body in platform.sent]
    assert kinds == ["receipt", "text"]  # in order, each accepted once
    assert len(db.session.scalars(db.select(Message).filter(Message.direction == "out")).all()) == 2


def test_an_outage_of_5xx_ends_with_each_message_sent_once(app, platform, store, make_order):
    app.config.update(OUTBOX_MAX_ATTEMPTS=10, OUTBOX_BACKOFF_CAP_SECONDS=60)
    order = _opted_in_order(store, make_order)
    order.carrier, order.tracking_number, order.tracking_url = "UPS", "1Z999", "https://ups.example/1Z999"
    events.publish("order_fulfilled", order)
    db.session.commit()
    platform.server_errors(5)

    for _ in range(30):
        _deliver()
        clock.advance(timedelta(seconds=61))

    notifications = list(db.session.scalars(db.select(Notification).order_by(Notification.id)))
    assert [n.state for n in notifications] == ["sent", "sent"]
    assert [n.attempts for n in notifications][0] >= 2
    assert len(platform.sent) == 2
    assert "attachment" in platform.sent[0]["message"] and "text" in platform.sent[1]["message"]
    mids = db.session.scalars(db.select(Message.mid).filter(Message.direction == "out")).all()
    assert sorted(mids) == ["m_fake1", "m_fake2"]


def test_an_expired_token_holds_messages_until_the_page_is_reconnected(app, platform, store, make_order):
    from pageshop.messenger.outbox import release_held_notifications

    order = _opted_in_order(store, make_order)
    app.config["MESSENGER_PAGE_ACCESS_TOKEN"] = "EAAexpired-token"

    _deliver()

    notification = db.session.scalars(db.select(Notification).filter_by(order_id=order.id)).one()
    assert notification.state == "held"
    assert "EAAexpired-token" not in (notification.last_error or "")
    assert db.session.get(Store, store.id).messenger_needs_reconnect is True
    order.carrier, order.tracking_number, order.tracking_url = "UPS", "1Z999", "https://ups.example/1Z999"
    events.publish("order_fulfilled", order)
    db.session.commit()
    for _ in range(3):
        _deliver()
        clock.advance(timedelta(minutes=10))
    assert platform.sent == []
    assert {n.state for n in db.session.scalars(db.select(Notification))} <= {"held", "queued"}

    app.config["MESSENGER_PAGE_ACCESS_TOKEN"] = PAGE_TOKEN  # the merchant reconnected the Page
    release_held_notifications()
    for _ in range(3):
        _deliver()

    assert [n.state for n in db.session.scalars(db.select(Notification).order_by(Notification.id))] == ["sent", "sent"]
    assert len(platform.sent) == 2
    assert db.session.get(Store, store.id).messenger_needs_reconnect is False


# --- flask messenger-setup --------------------------------------------------------------------


def test_messenger_setup_sets_get_started_and_the_menu_once(platform, runner, store):
    first = runner.invoke(args=["messenger-setup"])
    assert first.exit_code == 0, first.output
    assert "updated" in first.output
    posts = [r for r in platform.requests if r.method == "POST"]
    assert len(posts) == 1 and posts[0].accepted, posts[0].answer
    assert platform.profile["get_started"] == {"payload": "get_started"}
    titles = [a["title"] for a in platform.profile["persistent_menu"][0]["call_to_actions"]]
    assert titles == ["Order update settings", "Search products"]

    second = runner.invoke(args=["messenger-setup"])

    assert second.exit_code == 0, second.output
    assert "already up to date" in second.output
    assert len([r for r in platform.requests if r.method == "POST"]) == 1
    assert [r.method for r in platform.requests] == ["GET", "POST", "GET"]


def test_messenger_setup_with_a_bad_token_says_so_without_the_token(app, platform, runner, store):
    app.config["MESSENGER_PAGE_ACCESS_TOKEN"] = "EAAwrong-token"
    result = runner.invoke(args=["messenger-setup"])
    assert result.exit_code != 0
    assert "reconnect" in result.output and "EAAwrong-token" not in result.output


def test_the_merchants_late_reply_from_the_inbox_goes_as_a_human_agent_message(platform, conversation):
    from pageshop.inbox import reply

    conversation.last_customer_message_at = clock.now() - timedelta(hours=30)
    conversation.last_customer_action_at = conversation.last_customer_message_at
    db.session.commit()

    message = reply(conversation, "Sorry for the wait: your parcel left today.", clock.now())

    request = platform.requests[-1]
    assert request.accepted, request.answer
    assert (request.body["messaging_type"], request.body["tag"]) == ("MESSAGE_TAG", "HUMAN_AGENT")
    assert (message.lane, message.author, message.mid) == ("HUMAN_AGENT", "merchant", "m_fake1")


def test_an_unconfigured_page_id_holds_messages_and_flags_the_channel(app, platform, store, make_order):
    order = _opted_in_order(store, make_order)
    app.config["MESSENGER_PAGE_ID"] = None

    _deliver()

    notification = db.session.scalars(db.select(Notification).filter_by(order_id=order.id)).one()
    assert notification.state == "held"  # kept, not retried in a loop, not dropped
    assert "MESSENGER_PAGE_ID" in notification.last_error
    assert db.session.get(Store, store.id).messenger_needs_reconnect is True
    assert platform.requests == []


# --- the merchant's words with the receipt card ---------------------------------------------------


def test_a_customized_confirmation_sends_its_text_after_the_receipt(platform, store, make_order):
    from pageshop.models import MessageTemplate

    db.session.add(MessageTemplate(event="order_confirmation", body="Thank you {{ first_name }}! {{ order_number }} is in.",
                                   promo_note="Show this for 10% off: THANKS10"))
    db.session.commit()
    order = _opted_in_order(store, make_order)

    _deliver()

    receipt, words = platform.sent
    assert receipt["message"]["attachment"]["payload"]["template_type"] == "receipt"
    assert words["recipient"] == receipt["recipient"] and words["messaging_type"] == "UPDATE"
    assert words["message"]["text"].startswith(f"Thank you Alex! {order.name} is in.")
    assert "THANKS10" in words["message"]["text"]
    stored = db.session.scalars(db.select(Message).filter_by(direction="out")).one()  # one message here
    assert stored.kind == "receipt" and stored.payload["text_mid"]


def test_the_standard_confirmation_is_the_receipt_alone(platform, store, make_order):
    _opted_in_order(store, make_order)

    _deliver()

    assert [body["message"]["attachment"]["payload"]["template_type"] for body in platform.sent] == ["receipt"]


def test_a_receipt_whose_text_fails_stays_sent_once(platform, store, make_order):
    from pageshop.models import MessageTemplate

    db.session.add(MessageTemplate(event="order_confirmation", body="Thanks {{ first_name }}!", promo_note=""))
    db.session.commit()
    order = _opted_in_order(store, make_order)
    platform.fail_with(2, after=1)  # the receipt is accepted, its text is not

    _deliver()
    _deliver()

    notification = db.session.scalars(db.select(Notification).filter_by(order_id=order.id)).one()
    assert notification.state == "sent"
    assert len(platform.requests) == 2  # the text was tried once and not retried with the receipt
    assert [b["message"]["attachment"]["payload"]["template_type"] for b in platform.sent] == ["receipt"]


def test_receipt_lines_show_the_products_picture(platform, store, make_product, make_order):
    product = make_product(title="Linen Apron")
    product.image_filename = "linen-apron.jpg"
    db.session.commit()
    account = db.session.scalars(db.select(FacebookAccount).filter_by(email="alex@example.com")).one()
    order = make_order(product=product, facebook_account=account)
    events.publish("order_placed", order, opt_in_account=account)
    open_conversation(store.messenger_page, account).psid = PSID
    db.session.commit()
    platform.heard_from(PSID)

    _deliver()

    element, = platform.sent[-1]["message"]["attachment"]["payload"]["elements"]
    assert element["image_url"] == "https://shop.example.com/images/linen-apron.jpg"

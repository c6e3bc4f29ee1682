"""Issue 9: a real Page, for real. The Messenger Platform's own rules (who can be addressed how, the
windows on the Platform's clock, standby and echoes, appsecret_proof, the User Profile API) and
every order update delivered exactly once through slow answers, dropped connections, a lost
database and outages, against the fake Platform in tests/fake_messenger_platform.py."""
from __future__ import annotations

import hashlib
import hmac
import json
import re
import sqlite3
import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import create_engine
from sqlalchemy import text as sql

from pageshop import clock, events
from pageshop.extensions import db
from pageshop.inbox import window_state
from pageshop.messenger import outbox
from pageshop.messenger.graph import GraphClient, build_request
from pageshop.messenger.transport import Outgoing, SendError
from pageshop.models import Conversation, Email, FacebookAccount, Message, Notification, Order, Store, Subscription
from pageshop.orders import fulfill_order
from pageshop.worker import run_once

from .factories import checkout_form
from .fake_messenger_platform import (
    APP_SECRET,
    EPOCH,
    PAGE_TOKEN,
    checkbox_optin_event,
    echo_event,
    message_event,
    page_call,
    platform,  # noqa: F401  (the fixture)
    postback_event,
    referral_event,
)
from .test_messenger_webhook import post

PSID = "7770001111"
BUSINESS_SUITE = "263902037430900"


def ms(moment: datetime) -> int:
    return int((moment - EPOCH) / timedelta(milliseconds=1))


def webhook(client, platform, *events, standby=None) -> None:
    """The Platform calls the app's webhook (signed); the worker processes it."""
    assert post(client, json.dumps(page_call(platform.page_id, *events, standby=standby)).encode()).status_code == 200
    run_once(client.application)


def deliver_echoes(client, platform) -> int:
    count = platform.deliver_echoes(lambda call: post(client, json.dumps(call).encode()))
    run_once(client.application)
    return count


def work(app, rounds: int = 2) -> None:
    for _ in range(rounds):
        run_once(app)
    db.session.expire_all()


def checkbox_order(client, platform, make_order, user_ref: str = "ref-1", psid: str = PSID,
                   confirm: bool = True) -> Order:
    """An order whose shopper ticked Meta's checkbox; the Platform confirms the opt-in now."""
    order = make_order()
    events.publish("order_placed", order, opt_in_user_ref=user_ref)
    db.session.commit()
    platform.user_refs[user_ref] = psid
    if confirm:
        webhook(client, platform, checkbox_optin_event(platform.page_id, user_ref))
    return order


def psid_order(platform, store, make_order, psid: str = PSID, acted_at: datetime | None = None) -> Order:
    """An order whose updates go to a person the Page knows by PSID, who acted at `acted_at`."""
    account = db.session.scalars(db.select(FacebookAccount).filter_by(email="alex@example.com")).one()
    order = make_order(facebook_account=account)
    events.publish("order_placed", order, opt_in_account=account)
    db.session.commit()
    conversation = db.session.scalars(db.select(Conversation).filter_by(facebook_account_id=account.id)).one()
    conversation.psid = psid
    if acted_at is not None:
        conversation.last_customer_action_at = acted_at
    db.session.commit()
    platform.heard_from(psid, ms(conversation.last_customer_action_at))
    return order


def notifications() -> list[Notification]:
    return list(db.session.scalars(db.select(Notification).order_by(Notification.id)))


def metadata_of(body: dict) -> str | None:
    return body["message"].get("metadata")


# --- 1. the checkbox confirmation can't be cut off ----------------------------------------------


def test_a_checkout_re_rendered_after_an_error_gets_a_new_user_ref(client, platform, store, make_product):
    url = f"/checkout?variant={make_product().variants[0].id}&quantity=1"
    fields = checkout_form(client, url, email="", messenger_checkbox_state="checked",
                           messenger_user_ref="ref-first-render")

    response = client.post_form(url, fields)

    assert response.status_code == 422 and "Enter your email." in response.get_data(as_text=True)
    refs = re.findall(r'name="messenger_user_ref" value="([^"]+)"', response.get_data(as_text=True))
    assert len(refs) == 1 and refs[0] != "ref-first-render"
    assert f'user_ref="{refs[0]}"' in response.get_data(as_text=True)  # the plugin renders with it
    again = re.findall(r'name="messenger_user_ref" value="([^"]+)"', client.get(url).get_data(as_text=True))
    assert again[0] not in (refs[0], "ref-first-render")


def test_the_order_status_page_confirms_the_opt_in_with_the_checkouts_user_ref(app, client, platform, store,
                                                                               make_product):
    url = f"/checkout?variant={make_product().variants[0].id}&quantity=1"
    fields = checkout_form(client, url, messenger_checkbox_state="checked", messenger_user_ref="ref-status-1")

    placed = client.post_form(url, fields)

    assert placed.status_code == 303
    page = client.get(placed.location)
    html = page.get_data(as_text=True)
    assert 'id="messenger-checkbox-confirmation"' in html and 'data-user-ref="ref-status-1"' in html
    assert "js/messenger-checkbox." in html and "<script>" not in html  # (fingerprinted name)
    assert "https://connect.facebook.net" in page.headers["Content-Security-Policy"]
    assert "Messenger updates are on." in html
    # Another browser with the link doesn't confirm anything.
    stranger = app.test_client()
    assert "messenger-checkbox-confirmation" not in stranger.get(placed.location).get_data(as_text=True)

    platform.user_refs["ref-status-1"] = PSID
    webhook(client, platform, checkbox_optin_event(platform.page_id, "ref-status-1"))

    assert "messenger-checkbox-confirmation" not in client.get(placed.location).get_data(as_text=True)


# --- 2. who can be reached, and how -------------------------------------------------------------


def test_an_update_outside_the_window_for_a_user_ref_goes_by_email_once(app, client, auth, platform, store,
                                                                        make_order, smtp_server):
    order = checkbox_order(client, platform, make_order, "ref-mail-1")
    work(app)
    assert platform.sent[-1]["recipient"] == {"user_ref": "ref-mail-1"}  # inside the window: Messenger
    clock.advance(timedelta(hours=25))
    calls = len(platform.send_calls)

    fulfill_order(db.session.get(Order, order.id), "UPS", "1Z999AA10123456784")
    work(app, 3)

    assert len(platform.send_calls) == calls  # never a utility message to a user_ref
    shipping = notifications()[-1]
    assert (shipping.state, shipping.lane) == ("emailed", None)
    [received] = smtp_server.wait_for(1)
    assert received["To"] == "alex@example.com"
    assert received["Subject"] == f"Order {order.name}: Shipping update"
    assert "1Z999AA10123456784" in received.get_content()
    work(app, 2)
    assert len(smtp_server.messages) == 1
    assert db.session.scalars(db.select(Email).filter_by(kind="order_update")).one().state == "sent"
    auth.sign_in()
    detail = client.get(f"/admin/orders/{order.id}").get_data(as_text=True)
    assert "Shipping update sent by e-mail: Messenger can reach this shopper again once they reply." in detail
    assert "Sent by e-mail" in detail


def test_the_platform_refuses_a_utility_message_to_a_user_ref(platform, store):
    platform.user_refs["ref-util-1"] = PSID
    platform.heard_from("ref-util-1")
    client = GraphClient(platform.graph_url, PAGE_TOKEN, 2, APP_SECRET)
    body = {"recipient": {"user_ref": "ref-util-1"}, "messaging_type": "UTILITY",
            "message": {"template": {"name": "pageshop_shipping_update", "language": {"code": "en_US"}}}}

    with pytest.raises(SendError) as refused:
        client.request("POST", f"{platform.page_id}/messages", body)

    assert refused.value.code == 100 and not refused.value.transient
    conversation = Conversation(page_id=store.messenger_page_id, user_ref="ref-util-1")
    with pytest.raises(SendError, match="Messenger can reach this shopper again once they reply"):
        build_request(Outgoing(conversation=conversation, kind="shipping_update", text="Shipped", lane="UTILITY",
                               payload={"event": "shipping_update"}), {"user_ref": "ref-util-1"})


def test_the_first_reply_gives_the_psid_and_later_updates_go_to_it_as_utility(app, client, platform, store,
                                                                             make_order):
    order = checkbox_order(client, platform, make_order, "ref-psid-1")
    work(app)
    webhook(client, platform, message_event(platform.page_id, PSID, "Thanks!", "m_r1",
                                            prior_message={"source": "checkbox_plugin", "identifier": "ref-psid-1"}))
    clock.advance(timedelta(hours=25))

    fulfill_order(db.session.get(Order, order.id), "UPS", "1Z1")
    work(app)

    assert platform.sent[-1]["recipient"] == {"id": PSID}
    assert platform.sent[-1]["messaging_type"] == "UTILITY"
    assert notifications()[-1].state == "sent"


def test_a_postback_from_a_user_ref_is_kept_and_answered_there(app, client, platform, store, make_order):
    checkbox_order(client, platform, make_order, "ref-pb-9")
    work(app)

    webhook(client, platform, postback_event(platform.page_id, "order_update_settings", "Order update settings",
                                             mid="m_pb9", user_ref="ref-pb-9"))

    answer = platform.sent[-1]
    assert answer["recipient"] == {"user_ref": "ref-pb-9"}
    assert [r["payload"] for r in answer["message"]["quick_replies"]] == ["turn_off", "keep"]
    conversation = db.session.scalars(db.select(Conversation).filter_by(user_ref="ref-pb-9")).one()
    assert [(m.direction, m.kind) for m in conversation.messages][-2:] == [("in", "postback"), ("out", "quick_replies")]


def test_an_echo_that_names_the_person_of_a_user_ref_links_the_psid(app, client, platform, store, make_order):
    order = checkbox_order(client, platform, make_order, "ref-echo-3")
    work(app)
    [notification] = notifications()
    echo = echo_event(platform.page_id, {"id": PSID}, "m_fake1", None, platform.app_id,
                      f"pageshop:notification:{notification.id}")

    webhook(client, platform, echo)

    assert db.session.scalars(db.select(Subscription).filter_by(order_id=order.id)).one().psid == PSID
    assert len(db.session.scalars(db.select(Message).filter_by(direction="out")).all()) == 1


def test_an_opt_in_that_names_its_sender_links_the_psid(app, client, platform, store, make_order):
    order = checkbox_order(client, platform, make_order, "ref-opt-2", confirm=False)
    event = checkbox_optin_event(platform.page_id, "ref-opt-2")
    event["sender"] = {"id": PSID}

    webhook(client, platform, event)

    assert db.session.scalars(db.select(Subscription).filter_by(order_id=order.id)).one().psid == PSID


# --- 3. the window runs on the Platform's clock ---------------------------------------------------


def test_a_message_timestamped_three_days_ago_opens_no_24_hour_window(client, platform, store):
    written = clock.now() - timedelta(days=3)

    webhook(client, platform, message_event(platform.page_id, PSID, "Still there?", "m_old3", at=ms(written)))

    conversation = db.session.scalars(db.select(Conversation).filter_by(psid=PSID)).one()
    assert abs(conversation.last_customer_action_at - written) < timedelta(milliseconds=2)
    assert window_state(conversation, clock.now()).lane == "HUMAN_AGENT"  # 3 days: only 7-day replies


@pytest.mark.parametrize("action", ["postback", "quick_reply", "referral", "optin"])
def test_every_action_opens_both_windows_from_its_own_timestamp(client, platform, store, action):
    acted = clock.now() - timedelta(hours=2)
    page_id = platform.page_id
    event = {
        "postback": postback_event(page_id, "get_started", "Get Started", mid="m_a1", psid=PSID, at=ms(acted)),
        "quick_reply": message_event(page_id, PSID, "Keep updates", "m_a2", at=ms(acted), quick_reply="keep"),
        "referral": referral_event(page_id, PSID, at=ms(acted)),
        "optin": {"sender": {"id": PSID}, "recipient": {"id": page_id}, "timestamp": ms(acted),
                  "optin": {"ref": "newsletter"}},
    }[action]

    webhook(client, platform, event)

    conversation = db.session.scalars(db.select(Conversation).filter_by(psid=PSID)).one()
    assert abs(conversation.last_customer_action_at - acted) < timedelta(milliseconds=2)
    assert window_state(conversation, clock.now()).lane == "RESPONSE"
    assert window_state(conversation, acted + timedelta(days=6, hours=23)).lane == "HUMAN_AGENT"
    assert window_state(conversation, acted + timedelta(days=7)).lane is None


def test_outside_the_window_by_the_platforms_clock_an_update_is_rebuilt_once_as_utility(app, platform, store,
                                                                                      make_order):
    order = psid_order(platform, store, make_order)
    platform.last_action[PSID] = ms(clock.now() - timedelta(hours=25))  # what the Platform saw last

    work(app)

    refused, rebuilt = platform.send_calls
    assert refused.body["messaging_type"] == "UPDATE" and refused.answer["error"]["error_subcode"] == 2018278
    assert rebuilt.accepted and rebuilt.body["messaging_type"] == "UTILITY"
    assert rebuilt.body["recipient"] == {"id": PSID}
    assert metadata_of(rebuilt.body) == f"pageshop:notification:{notifications()[0].id}"
    [notification] = notifications()
    assert (notification.state, notification.lane, notification.attempts) == ("sent", "UTILITY", 2)
    assert db.session.scalars(db.select(Message).filter_by(notification_id=notification.id)).one().lane == "UTILITY"
    assert order.id == notification.order_id


def test_a_rebuilt_update_refused_again_fails_and_retry_never_rebuilds_it(app, platform, store, make_order):
    psid_order(platform, store, make_order)
    platform.last_action[PSID] = ms(clock.now() - timedelta(hours=25))
    platform.fail_with(100, message="(#100) Template name does not exist in the translation", after=1)

    work(app, 3)

    [notification] = notifications()
    assert notification.state == "failed" and "Template name does not exist" in notification.last_error
    assert len(platform.send_calls) == 2  # the update, its utility rebuild: no loop

    outbox.retry_notification(notification)
    work(app, 3)

    notification = notifications()[0]
    assert notification.state == "failed" and "(error 10/2018278)" in notification.last_error
    assert [c.body["messaging_type"] for c in platform.send_calls] == ["UPDATE", "UTILITY", "UPDATE"]


def test_an_inbox_reply_the_platform_says_is_outside_the_window_is_refused_with_its_text_kept(
        client, auth, platform, store):
    webhook(client, platform, message_event(platform.page_id, PSID, "Hello?", "m_w1"))
    conversation = db.session.scalars(db.select(Conversation).filter_by(psid=PSID)).one()
    platform.last_action[PSID] = ms(clock.now() - timedelta(hours=30))  # the Platform's clock disagrees
    auth.sign_in()

    response = client.htmx("post", f"/admin/inbox/{conversation.id}/reply", target="reply-form",
                           data={"text": "Yes, we're here!"})

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The reply was not sent: Outside the 24-hour messaging window" in html
    assert "Yes, we&#39;re here!</textarea>" in html
    assert len(platform.send_calls) == 1 and platform.sent == []


# --- 4. standby and echoes ---------------------------------------------------------------------


def test_standby_messages_are_kept_and_shown_but_not_answered(client, auth, platform, store):
    page_id = platform.page_id

    webhook(client, platform, standby=[
        message_event(page_id, PSID, "Is the walnut board food safe?", "m_sb1"),
        postback_event(page_id, "search_products", "Search products", mid="m_sb2", psid=PSID),
    ])

    assert platform.send_calls == []  # another app holds the thread: it answers, not us
    conversation = db.session.scalars(db.select(Conversation).filter_by(psid=PSID)).one()
    assert [m.text for m in conversation.messages] == ["Is the walnut board food safe?", "Search products"]
    assert conversation.awaiting is None
    auth.sign_in()
    assert "Is the walnut board food safe?" in client.get(f"/admin/inbox/{conversation.id}").get_data(as_text=True)


def test_a_reply_written_in_meta_business_suite_shows_as_the_pages_marked_where_written(client, auth, platform,
                                                                                       store):
    webhook(client, platform, message_event(platform.page_id, PSID, "Do you gift wrap?", "m_g1"))
    echo = echo_event(platform.page_id, {"id": PSID}, "m_bs1", "We do, for free!", BUSINESS_SUITE)

    webhook(client, platform, echo)
    webhook(client, platform, echo)  # sent again by the Platform

    conversation = db.session.scalars(db.select(Conversation).filter_by(psid=PSID)).one()
    assert [(m.direction, m.text) for m in conversation.messages] == [("in", "Do you gift wrap?"),
                                                                      ("out", "We do, for free!")]
    auth.sign_in()
    thread = client.get(f"/admin/inbox/{conversation.id}").get_data(as_text=True)
    assert re.search(r"We do, for free!<span class=\"meta\">Sent from Meta Business Suite · ", thread)


def test_the_echo_of_our_own_update_confirms_it_and_is_never_stored_twice(app, client, platform, store,
                                                                          make_order):
    psid_order(platform, store, make_order)
    work(app)

    assert deliver_echoes(client, platform) == 1

    [notification] = notifications()
    [message] = db.session.scalars(db.select(Message).filter_by(direction="out")).all()
    assert notification.state == "sent" and message.notification_id == notification.id
    assert message.mid == "m_fake1"


# --- 5. exactly once, also when an answer never comes ----------------------------------------------


def test_every_send_api_call_names_its_notification_in_the_metadata(app, platform, store, make_order):
    order = psid_order(platform, store, make_order)
    work(app)
    fulfill_order(db.session.get(Order, order.id), "UPS", "1Z2")
    work(app)

    confirmation, shipping = notifications()
    assert [metadata_of(body) for body in platform.sent] == [
        f"pageshop:notification:{confirmation.id}", f"pageshop:notification:{shipping.id}"]


@pytest.mark.parametrize("fault", ["slow answer", "dropped connection"])
def test_an_unanswered_send_waits_for_its_echo_and_is_not_sent_twice(app, client, platform, store, make_order,
                                                                      fault):
    psid_order(platform, store, make_order)
    if fault == "slow answer":
        platform.answer_slowly(app.config["GRAPH_TIMEOUT"] + 1)
    else:
        platform.drop_connections()

    work(app, 1)

    [notification] = notifications()
    assert (notification.state, notification.attempts) == ("unconfirmed", 1)
    assert "Waiting until" in notification.last_error
    assert len(platform.delivered) == 1  # it did reach the shopper

    deliver_echoes(client, platform)
    clock.advance(timedelta(seconds=app.config["MESSENGER_ECHO_WAIT_SECONDS"] + 1))
    work(app)

    [notification] = notifications()
    assert (notification.state, notification.attempts) == ("sent", 1)
    assert len(platform.delivered) == 1
    [message] = db.session.scalars(db.select(Message).filter_by(direction="out")).all()
    assert message.notification_id == notification.id and message.kind == "receipt" and message.mid


def test_an_echo_that_comes_before_the_slow_answer_settles_the_update(app, client, platform, store, make_order):
    psid_order(platform, store, make_order)
    platform.answer_slowly(app.config["GRAPH_TIMEOUT"] + 1)
    # While the worker still waits for its answer, another worker processes the echo.
    def echo_at_once(body):
        with app.app_context():
            deliver_echoes(app.test_client(), platform)

    platform.on_delivered = echo_at_once

    work(app, 1)
    clock.advance(timedelta(seconds=app.config["MESSENGER_ECHO_WAIT_SECONDS"] + 1))
    work(app)

    [notification] = notifications()
    assert (notification.state, notification.attempts) == ("sent", 1)
    assert len(platform.delivered) == 1
    assert len(db.session.scalars(db.select(Message).filter_by(notification_id=notification.id)).all()) == 1


def test_without_an_echo_a_send_is_tried_again_once_then_left_to_the_merchant(app, platform, store, make_order):
    psid_order(platform, store, make_order)
    platform.hang(2)  # nothing delivered, no answer, twice
    wait = timedelta(seconds=app.config["MESSENGER_ECHO_WAIT_SECONDS"] + 1)

    work(app, 1)
    assert notifications()[0].state == "unconfirmed"
    clock.advance(wait)
    work(app)  # no echo came: sent again, once
    assert (notifications()[0].state, notifications()[0].attempts) == ("unconfirmed", 2)
    clock.advance(wait)
    work(app)

    [notification] = notifications()
    assert (notification.state, notification.attempts) == ("failed", 2)
    assert "sent twice without an answer" in notification.last_error
    assert len(platform.send_calls) == 2


def lose_the_database(app, seconds: float):
    """A fault for `platform.on_delivered`: the database goes away right after the Platform took
    the message, before the worker records it. PostgreSQL: every other connection is terminated;
    SQLite: another process holds the write lock for a while."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]

    def fault(body):
        if url.startswith("sqlite"):
            holder = sqlite3.connect(url.removeprefix("sqlite:///"), check_same_thread=False)
            holder.execute("BEGIN IMMEDIATE")
            threading.Timer(seconds, lambda: (holder.rollback(), holder.close())).start()
        else:
            engine = create_engine(url)
            with engine.connect() as connection:
                connection.execute(sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                       "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
            engine.dispose()
    return fault


def test_a_send_accepted_just_before_the_database_is_lost_is_recorded_once(app, platform, store, make_order):
    psid_order(platform, store, make_order)
    platform.on_delivered = lose_the_database(app, seconds=2)

    work(app, 1)
    platform.on_delivered = None
    db.session().invalidate()  # the test's own connection was lost too
    work(app)

    [notification] = notifications()
    assert (notification.state, notification.attempts) == ("sent", 1)
    assert len(platform.delivered) == 1
    assert len(db.session.scalars(db.select(Message).filter_by(notification_id=notification.id)).all()) == 1


def test_a_send_whose_worker_died_is_confirmed_by_its_echo(app, client, platform, store, make_order):
    psid_order(platform, store, make_order)
    platform.hang()  # the worker never hears back: as if it was killed mid-send
    work(app, 1)
    notification = notifications()[0]
    notification.state, notification.claimed_by = "sending", "dead-worker"
    notification.claimed_until = clock.now() + timedelta(seconds=60)
    db.session.commit()
    # The Platform did deliver it and says so.
    platform.echoes.append(echo_event(platform.page_id, {"id": PSID}, "m_late1", None, platform.app_id,
                                      f"pageshop:notification:{notification.id}"))

    deliver_echoes(client, platform)
    clock.advance(timedelta(seconds=61 + app.config["MESSENGER_ECHO_WAIT_SECONDS"]))
    work(app)

    [notification] = notifications()
    assert notification.state == "sent"
    assert len(platform.send_calls) == 1
    [message] = db.session.scalars(db.select(Message).filter_by(notification_id=notification.id)).all()
    assert (message.mid, message.kind) == ("m_late1", "receipt")


# --- 6. outages lose nothing and need no click -----------------------------------------------------


def test_an_outage_pauses_the_channel_and_everything_resumes_without_retry(app, client, auth, platform, store,
                                                                          make_order):
    orders = [psid_order(platform, store, make_order) for _ in range(3)]
    platform.server_errors(4)

    work(app, 1)

    assert len(platform.send_calls) == 1  # the first failure paused the channel: nobody else tried
    assert [n.state for n in notifications()] == ["queued"] * 3
    assert all(n.last_error.startswith("Paused: Messenger is not answering since ") for n in notifications())
    assert [n.attempts for n in notifications()] == [1, 0, 0]
    auth.sign_in()
    assert "Paused: Messenger is not answering since" in client.get(
        f"/admin/orders/{orders[1].id}").get_data(as_text=True)

    for _ in range(6):  # one probe at a time, each after a wait
        clock.advance(timedelta(minutes=10))
        work(app, 1)

    assert [n.state for n in notifications()] == ["sent"] * 3
    assert len(platform.send_calls) == 4 + 3  # four failed probes, then each update once
    assert sorted(metadata_of(body) for body in platform.sent) == sorted(
        f"pageshop:notification:{n.id}" for n in notifications())


def test_an_outage_longer_than_the_retry_budget_fails_the_update_with_the_truth_and_retry_resumes(
        app, platform, store, make_order):
    app.config["MESSENGER_RETRY_BUDGET_SECONDS"] = 3600
    psid_order(platform, store, make_order)
    platform.server_errors(1000)
    work(app, 1)
    for _ in range(7):  # an hour and more of probes, every 10 minutes at the most
        clock.advance(timedelta(minutes=10))
        work(app, 1)

    [notification] = notifications()
    assert notification.state == "failed"
    assert notification.last_error.startswith("Gave up after 1 hour of tries. Last error: Messenger has not "
                                              "been answering since ")
    tries = len(platform.send_calls)
    assert tries <= 12  # probes, not a storm

    platform.recover()
    outbox.retry_notification(notification)
    clock.advance(timedelta(minutes=10))
    work(app)

    assert notifications()[0].state == "sent"
    assert len(platform.sent) == 1


def test_an_error_about_one_message_fails_only_that_message(app, platform, store, make_order):
    for _ in range(2):
        psid_order(platform, store, make_order)
    platform.fail_with(551)

    work(app, 1)

    first, second = notifications()
    assert (first.state, second.state) == ("failed", "sent")
    assert "isn't available on Messenger" in first.last_error


def test_a_restricted_page_holds_updates_with_its_own_explanation(app, client, auth, platform, store,
                                                                  make_order):
    for _ in range(2):
        psid_order(platform, store, make_order)
    platform.fail_with(10, 1893063, message="(#10) This Page is restricted from messaging")

    work(app)

    assert [n.state for n in notifications()] == ["held", "held"]
    assert len(platform.send_calls) == 1
    auth.sign_in()
    channels = client.get("/admin/channels").get_data(as_text=True)
    assert "Meta has temporarily restricted this Page from sending messages (error 10/1893063)" in channels

    client.post_form("/admin/channels/messenger/reconnect")
    work(app)

    assert [n.state for n in notifications()] == ["sent", "sent"]
    assert db.session.get(Store, store.id).messenger_hold_reason is None


def test_while_paused_only_one_worker_probes(app, platform, store, make_order):
    for _ in range(2):
        psid_order(platform, store, make_order)
    platform.server_errors(1)
    work(app, 1)
    clock.advance(timedelta(minutes=10))

    first, first_probing = outbox._claim("worker-a")
    second, second_probing = outbox._claim("worker-b")

    assert (len(first), first_probing, second, second_probing) == (1, True, [], False)


# --- 7. smaller Platform habits ------------------------------------------------------------------


def test_every_graph_call_carries_the_appsecret_proof(app, client, platform, store, make_order):
    platform.people[PSID] = {"first_name": "Jamie", "last_name": "Lee"}
    webhook(client, platform, message_event(platform.page_id, PSID, "Hi", "m_p1"))
    psid_order(platform, store, make_order, psid="7770002222")
    work(app)

    proof = hmac.new(APP_SECRET.encode(), PAGE_TOKEN.encode(), hashlib.sha256).hexdigest()
    assert len(platform.requests) == 2 and all(r.status == 200 for r in platform.requests)
    assert {r.query.get("appsecret_proof") for r in platform.requests} == {proof}

    app.config["MESSENGER_APP_SECRET"] = "not-the-apps-secret"
    with pytest.raises(SendError, match="appsecret_proof"):
        GraphClient.from_config(app.config).request("GET", PSID)


def test_the_inbox_shows_the_shoppers_name_and_picture_asked_once(client, auth, platform, store):
    picture = "https://platform-lookaside.fbsbx.com/platform/profilepic/?psid=7770001111"
    platform.people[PSID] = {"first_name": "Jamie", "last_name": "Lee", "profile_pic": picture}

    webhook(client, platform, message_event(platform.page_id, PSID, "Hello!", "m_n1"))
    webhook(client, platform, message_event(platform.page_id, PSID, "Anyone?", "m_n2"))

    assert [r.path for r in platform.requests] == [f"/v26.0/{PSID}"]  # cached
    auth.sign_in()
    inbox = client.get("/admin/inbox").get_data(as_text=True)
    assert "Jamie Lee" in inbox and "Messenger user" not in inbox
    assert f'src="{picture.replace("&", "&amp;")}"' in inbox


def test_control_characters_in_a_message_are_stored_safely(client, auth, platform, store):
    webhook(client, platform, message_event(platform.page_id, PSID, "Hi\x00 there\x07, order 1001\tplease",
                                            "m_c0"))

    [message] = db.session.scalars(db.select(Message)).all()
    assert message.text == "Hi\ufffd there\ufffd, order 1001\tplease"
    auth.sign_in()
    assert "order 1001" in client.get("/admin/inbox").get_data(as_text=True)

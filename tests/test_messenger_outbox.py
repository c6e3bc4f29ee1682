"""M1-M3, M5: opt-ins, one notification per event, delivery by the worker, retries, at most once."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest

from pageshop import clock, events
from pageshop.extensions import db
from pageshop.messenger import outbox
from pageshop.messenger.local import LocalTransport
from pageshop.messenger.outbox import release_held_notifications, retry_notification
from pageshop.messenger.subscriptions import mute_order, turn_off_updates
from pageshop.messenger.transport import SendError
from pageshop.models import FacebookAccount, FacebookPage, Message, Notification, Store, Subscription
from pageshop.orders import fulfill_order, mark_delivered, mark_out_for_delivery
from pageshop.worker import run_once


def account(email="alex@example.com") -> FacebookAccount:
    return db.session.scalars(db.select(FacebookAccount).filter_by(email=email)).one()


def place(make_order, opt_in=True, who="alex@example.com", **kwargs):
    """An order as checkout makes it: the order and its "order_placed" event in one transaction."""
    order = make_order(facebook_account=account(who), **kwargs)
    events.publish("order_placed", order, opt_in_account=account(who) if opt_in else None)
    db.session.commit()
    return order


def page_messages(order=None) -> list[Message]:
    select = db.select(Message).where(Message.direction == "out").order_by(Message.id)
    return list(db.session.scalars(select))


def notifications(order) -> list[Notification]:
    return list(db.session.scalars(db.select(Notification).filter_by(order_id=order.id).order_by(Notification.id)))


def test_opt_in_subscribes_the_order_and_the_worker_sends_a_receipt(app, store, make_order):
    order = place(make_order)

    subscription = db.session.scalars(db.select(Subscription).filter_by(order_id=order.id)).one()
    assert subscription.state == "active"
    assert subscription.facebook_account.email == "alex@example.com"
    assert subscription.page_id == store.messenger_page_id
    [notification] = notifications(order)
    assert (notification.event, notification.state) == ("order_confirmation", "queued")

    assert run_once(app) == 1
    db.session.expire_all()
    [message] = page_messages()
    assert message.kind == "receipt"
    assert message.payload["order_number"] == "#1001"
    assert message.payload["total_cents"] == order.total_cents
    assert message.payload["items"][0]["quantity"] == 1
    assert message.payload["order_url"].endswith(f"/orders/{order.token}")
    assert "Alex" in message.text and "#1001" in message.text
    assert message.lane == "UPDATE"
    assert notifications(order)[0].state == "sent"
    assert notifications(order)[0].lane == "UPDATE"
    assert notifications(order)[0].attempts == 1


def test_no_opt_in_or_no_channel_means_no_messages(app, store, make_order):
    place(make_order, opt_in=False)
    store.messenger_page_id = None
    db.session.commit()
    place(make_order)
    assert db.session.scalars(db.select(Subscription)).all() == []
    assert db.session.scalars(db.select(Notification)).all() == []


def test_every_update_in_order_exactly_once(app, store, make_order):
    order = place(make_order)
    fulfill_order(order, "UPS", "1Z999AA10123456784")
    mark_out_for_delivery(order)
    mark_delivered(order)
    assert [n.event for n in notifications(order)] == [
        "order_confirmation", "shipping_update", "out_for_delivery", "delivered"]

    while run_once(app):
        pass
    run_once(app)
    db.session.expire_all()
    messages = page_messages()
    assert [m.kind for m in messages] == ["receipt", "shipping_update", "delivery_update", "delivery_update"]
    assert messages[1].payload["tracking_number"] == "1Z999AA10123456784"
    assert messages[1].payload["carrier"] == "UPS"
    assert messages[1].payload["tracking_url"].startswith("https://www.ups.com/")
    assert {n.state for n in notifications(order)} == {"sent"}


def test_a_later_update_waits_for_the_earlier_one(app, store, make_order):
    order = place(make_order)
    fulfill_order(order, "UPS", "1Z1")
    first = notifications(order)[0]
    first.next_attempt_at = clock.now() + timedelta(minutes=5)  # the confirmation is backing off
    db.session.commit()

    run_once(app)
    db.session.expire_all()
    assert page_messages() == []
    assert [n.state for n in notifications(order)] == ["queued", "queued"]

    clock.advance(timedelta(minutes=6))
    while run_once(app):
        pass
    db.session.expire_all()
    assert [m.kind for m in page_messages()] == ["receipt", "shipping_update"]


def test_turned_off_or_muted_after_queueing_is_skipped_with_the_reason(app, store, make_order):
    alex_order = place(make_order)
    sam_order = place(make_order, who="sam@example.com", email="sam@example.com", first_name="Sam")
    turn_off_updates(account(), store.messenger_page)
    db.session.commit()
    mute_order(sam_order)

    run_once(app)
    db.session.expire_all()
    assert page_messages() == []
    [alex_n] = notifications(alex_order)
    [sam_n] = notifications(sam_order)
    assert (alex_n.state, alex_n.skipped_reason) == ("skipped", "Order updates turned off by the customer")
    assert (sam_n.state, sam_n.skipped_reason) == ("skipped", "Muted by the merchant")

    # and later events of those orders make no notification at all
    fulfill_order(alex_order, "UPS", "1Z2")
    assert len(notifications(alex_order)) == 1


def test_turning_off_stops_only_this_accounts_orders_at_this_page(app, store, make_order):
    alex_order = place(make_order)
    sam_order = place(make_order, who="sam@example.com", email="sam@example.com")
    other_page = FacebookPage(name="Another Page")
    db.session.add(other_page)
    db.session.commit()
    assert turn_off_updates(account(), other_page) == 0
    assert turn_off_updates(account(), store.messenger_page) == 1
    db.session.commit()
    assert alex_order.subscription.state == "turned_off"
    assert sam_order.subscription.state == "active"


class FlakyTransport(LocalTransport):
    """A remote transport (it can't share our transaction) that fails as told, then delivers."""

    name = "flaky"
    shares_transaction = False
    needs_connection = True

    def __init__(self, errors):
        self.errors = list(errors)
        self.sent = []

    def send(self, outgoing):
        if self.errors:
            raise self.errors.pop(0)
        message = super().send(outgoing)
        self.sent.append(outgoing)
        return message


@pytest.fixture
def transport(monkeypatch):
    def install(*errors):
        fake = FlakyTransport(errors)
        monkeypatch.setattr(outbox, "get_transport", lambda: fake)
        return fake
    return install


def test_transient_errors_are_retried_with_backoff_for_the_budget_then_failed(app, store, make_order, transport):
    app.config.update(MESSENGER_RETRY_BUDGET_SECONDS=60, OUTBOX_BACKOFF_BASE_SECONDS=10,
                      OUTBOX_BACKOFF_CAP_SECONDS=15)
    fake = transport(*[SendError("Something went wrong.", transient=True)] * 6)
    order = place(make_order)

    run_once(app)
    db.session.expire_all()
    [n] = notifications(order)
    assert (n.state, n.attempts) == ("queued", 1)
    first_wait = (n.next_attempt_at - clock.now()).total_seconds()
    assert 4 <= first_wait <= 10
    assert n.last_error == f"Something went wrong. Will retry at {n.next_attempt_at:%H:%M} UTC."

    assert run_once(app) == 0  # not due yet
    clock.advance(timedelta(seconds=11))
    run_once(app)
    db.session.expire_all()
    n = notifications(order)[0]
    assert (n.state, n.attempts) == ("queued", 2)  # counted once per try
    assert (n.next_attempt_at - clock.now()).total_seconds() <= 15  # capped

    clock.advance(timedelta(seconds=50))  # the 60-second budget is spent
    run_once(app)
    db.session.expire_all()
    n = notifications(order)[0]
    assert (n.state, n.attempts) == ("failed", 2)
    assert n.last_error.startswith("Gave up after 0.0166667 hours of tries. Last error: Something went wrong.")
    assert fake.sent == []

    retry_notification(n)  # a fresh budget
    assert (n.state, n.attempts) == ("queued", 2)
    fake.errors.clear()
    run_once(app)
    db.session.expire_all()
    assert notifications(order)[0].state == "sent"
    assert len(page_messages()) == 1


def test_permanent_error_fails_at_once_and_hold_waits_for_reconnect(app, store, make_order, transport):
    transport(SendError("This person isn't available right now.", transient=False, code=551))
    first = place(make_order)
    run_once(app)
    db.session.expire_all()
    n = notifications(first)[0]
    assert (n.state, n.attempts, n.last_error) == ("failed", 1, "This person isn't available right now.")

    transport(SendError("Page access token expired (code 190)", transient=False, hold=True))
    second = place(make_order)
    run_once(app)
    db.session.expire_all()
    assert notifications(second)[0].state == "held"
    assert db.session.get(Store, store.id).messenger_needs_reconnect is True

    assert release_held_notifications() == 1
    assert db.session.get(Store, store.id).messenger_needs_reconnect is False
    run_once(app)
    db.session.expire_all()
    assert notifications(second)[0].state == "sent"


def test_a_send_stuck_in_sending_waits_for_its_echo_then_is_sent_again_once(app, store, make_order, transport):
    app.config["MESSENGER_ECHO_WAIT_SECONDS"] = 120
    fake = transport()
    order = place(make_order)
    n = notifications(order)[0]
    # A worker marked it "sending", then died before it heard back.
    n.state, n.claimed_by, n.claimed_until = "sending", "dead-worker", clock.now() + timedelta(seconds=60)
    n.attempts = 1
    db.session.commit()
    run_once(app)
    db.session.expire_all()
    assert notifications(order)[0].state == "sending"

    clock.advance(timedelta(seconds=61))
    run_once(app)
    db.session.expire_all()
    n = notifications(order)[0]
    assert n.state == "unconfirmed"  # not resent blind: waiting for the Platform's echo
    assert "The worker stopped before Messenger answered" in n.last_error
    assert fake.sent == []

    clock.advance(timedelta(seconds=121))  # no echo came
    run_once(app)
    run_once(app)
    db.session.expire_all()
    n = notifications(order)[0]
    assert (n.state, n.attempts, n.resent_unconfirmed) == ("sent", 2, True)
    assert len(fake.sent) == 1


def test_the_database_refuses_a_second_message_for_a_notification(app, store, make_order):
    from sqlalchemy.exc import IntegrityError

    order = place(make_order)
    run_once(app)
    db.session.expire_all()
    [message] = page_messages()
    db.session.add(Message(conversation_id=message.conversation_id, direction="out", kind="receipt",
                           text="again", notification_id=message.notification_id))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    with pytest.raises(IntegrityError):
        db.session.add(Notification(order_id=order.id, subscription_id=order.subscription.id,
                                    event="order_confirmation"))
        db.session.commit()
    db.session.rollback()


# `flask worker`, with each send taking 50 ms, so the kill surely lands mid-way.
SLOW_FLASK_WORKER = """
import sys, time
from pageshop.messenger.local import LocalTransport
send = LocalTransport.send
LocalTransport.send = lambda self, outgoing: (time.sleep(0.05), send(self, outgoing))[1]
from flask.cli import main
sys.argv = ["flask", "worker"]
main()
"""


def test_two_workers_one_killed_midway_send_each_notification_exactly_once(app, store, make_product, make_order):
    product = make_product(stock=1000)
    orders = [place(make_order, product=product) for _ in range(50)]
    assert db.session.scalar(db.select(db.func.count(Notification.id))) == 50
    env = dict(os.environ, FLASK_APP="wsgi:app", DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
               SECRET_KEY="test-secret", MESSENGER_TRANSPORT="local", OUTBOX_CLAIM_SECONDS="2", WORKER_POLL_SECONDS="0.05")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    workers = [subprocess.Popen([sys.executable, "-c", SLOW_FLASK_WORKER], env=env, cwd=root,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(2)]
    try:
        deadline = time.monotonic() + 60
        victim_killed = False
        while time.monotonic() < deadline:
            db.session.rollback()
            sent = db.session.scalar(db.select(db.func.count(Message.id)).where(Message.notification_id.isnot(None)))
            if not victim_killed and sent >= 5:
                assert workers[0].poll() is None and sent < 50, "the kill must land mid-way"
                workers[0].send_signal(signal.SIGKILL)  # mid-way, holding claims
                workers[0].wait()
                victim_killed = True
            if victim_killed and sent >= 50:
                break
            time.sleep(0.1)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                worker.wait(timeout=10)
    db.session.rollback()
    assert victim_killed
    states = db.session.execute(db.select(Notification.state, db.func.count()).group_by(Notification.state)).all()
    assert dict(states) == {"sent": 50}
    per_notification = db.session.execute(
        db.select(Message.notification_id, db.func.count()).where(Message.notification_id.isnot(None))
        .group_by(Message.notification_id)
    ).all()
    assert len(per_notification) == 50
    assert {count for _, count in per_notification} == {1}
    assert {n.order_id for n in db.session.scalars(db.select(Notification))} == {o.id for o in orders}


def test_flask_worker_once_delivers_what_is_due(app, store, make_order, runner):
    place(make_order)
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0
    assert "1 delivered." in result.output
    db.session.expire_all()
    assert [m.kind for m in page_messages()] == ["receipt"]

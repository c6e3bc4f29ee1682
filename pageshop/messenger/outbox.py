"""Delivering the outbox (M3, M5): the worker claims due notifications and sends each at most once.

Claiming: on PostgreSQL `SELECT ... FOR UPDATE SKIP LOCKED`, so several `flask worker`s share the
rows; on SQLite a conditional UPDATE per row. A claim expires (OUTBOX_CLAIM_SECONDS), so the rows of
a worker that died are taken over by another.

Sending: with the `local` transport the message is stored and the notification marked sent in one
transaction, and Message.notification_id is unique, so a crash can lose neither nor double it. A
remote transport can't share our transaction: the row is marked "sending" first, and a row found
still "sending" after its claim expired is failed ("outcome unknown") for the merchant to decide,
never resent on its own.
"""
from __future__ import annotations

import logging
import os
import random
import socket
import threading
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import exists, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from .. import clock, worker
from ..errors import NotAllowed
from ..extensions import db
from ..models import Message, Notification, Store
from .compose import compose_notification
from .conversations import open_conversation
from .subscriptions import SKIPPED_REASONS
from .transport import SendError, get_transport
from .webhook import checkbox_confirmed

log = logging.getLogger(__name__)

CLAIM_BATCH = 10
PENDING_STATES = ("queued", "sending", "held")
OPT_IN_RECHECK_SECONDS = 5  # a safety net: the opt-in's webhook wakes waiting notifications at once


def _setting(name: str, default: float) -> float:
    value = current_app.config.get(name)
    if value is None:
        value = os.environ.get(name, default)
    return float(value)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"[:64]


def _store() -> Store | None:
    return db.session.scalars(db.select(Store).order_by(Store.id).limit(1)).first()


# --- claiming ---------------------------------------------------------------------------


def _due_conditions(now: datetime) -> list:
    earlier = aliased(Notification)
    # Per order, in order: a later update waits while an earlier one is still on its way.
    waiting_for_earlier = exists().where(
        earlier.order_id == Notification.order_id, earlier.id < Notification.id,
        earlier.state.in_(PENDING_STATES),
    )
    return [
        Notification.state == "queued",
        or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now),
        or_(Notification.claimed_until.is_(None), Notification.claimed_until < now),
        ~waiting_for_earlier,
    ]


def claim_due_notifications(worker_id: str, limit: int = CLAIM_BATCH) -> list[int]:
    now = clock.now()
    until = now + timedelta(seconds=_setting("OUTBOX_CLAIM_SECONDS", 60))
    select = db.select(Notification.id).where(*_due_conditions(now)).order_by(Notification.id).limit(limit)
    if db.session.get_bind().dialect.name == "postgresql":
        ids = list(db.session.scalars(select.with_for_update(skip_locked=True, of=Notification)))
        if ids:
            db.session.execute(
                update(Notification).where(Notification.id.in_(ids))
                .values(claimed_by=worker_id, claimed_until=until)
                .execution_options(synchronize_session=False)
            )
        db.session.commit()
        return ids
    claimed = []
    for notification_id in list(db.session.scalars(select)):
        result = db.session.execute(
            update(Notification)
            .where(Notification.id == notification_id, Notification.state == "queued",
                   or_(Notification.claimed_until.is_(None), Notification.claimed_until < now))
            .values(claimed_by=worker_id, claimed_until=until)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:
            claimed.append(notification_id)
    db.session.commit()
    return claimed


def fail_stuck_sending() -> int:
    """A remote send that never reported back: we can't know if it arrived, so don't resend it."""
    now = clock.now()
    stuck = (Notification.state == "sending", Notification.claimed_until < now)
    # Look before writing: on SQLite even an UPDATE of no rows takes the database's write lock.
    if db.session.scalars(db.select(Notification.id).where(*stuck).limit(1)).first() is None:
        db.session.rollback()
        return 0
    result = db.session.execute(
        update(Notification)
        .where(*stuck)
        .values(state="failed", claimed_by=None, claimed_until=None,
                last_error=_("Outcome unknown after a crash: check the conversation, and use "
                             "\"Retry\" only if the message didn't arrive."))
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount


# --- sending ----------------------------------------------------------------------------


def deliver_due_notifications() -> int:
    """The worker's job: send what is due; returns how many notifications it handled."""
    worker_id = worker_name()
    fail_stuck_sending()
    ids = claim_due_notifications(worker_id)
    for notification_id in ids:
        try:
            deliver_notification(notification_id, worker_id)
        except Exception as exc:  # a bug must not stop the others; retried like a transient error
            log.exception("delivering notification %s failed", notification_id)
            db.session.rollback()
            notification = db.session.get(Notification, notification_id)
            if notification is not None and notification.state in ("queued", "sending"):
                notification.attempts += 1
                _after_error(notification, SendError(str(exc) or type(exc).__name__, transient=True))
                db.session.commit()
    return len(ids)


def deliver_notification(notification_id: int, worker_id: str) -> Notification | None:
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.state != "queued" or notification.claimed_by != worker_id:
        db.session.rollback()
        return None
    now = clock.now()
    subscription = notification.subscription
    if subscription.state != "active":  # M5: checked at send time
        notification.state = "skipped"
        notification.skipped_reason = str(SKIPPED_REASONS[subscription.state])
        _release(notification)
        db.session.commit()
        return notification
    store = _store()
    try:
        transport = get_transport()
    except SendError as exc:  # not configured: held like an expired token, until it is
        _after_error(notification, exc, store)
        db.session.commit()
        return notification
    if transport.name != "local" and store is not None and store.messenger_needs_reconnect:
        notification.state = "held"
        _release(notification)
        db.session.commit()
        return notification
    if (transport.name != "local" and subscription.user_ref and not subscription.psid
            and subscription.confirmed_at is None):
        if not checkbox_confirmed(subscription.user_ref):
            return _wait_for_opt_in(notification, subscription, now)
        subscription.confirmed_at = now  # the webhook came before or while the order was placed
    if subscription.facebook_account is not None:
        conversation = open_conversation(subscription.page, subscription.facebook_account)
    elif transport.name != "local" and (subscription.psid or subscription.user_ref):
        # An opt-in through the Platform's checkbox plugin: addressed by its PSID or user_ref.
        from .graph import conversation_for_subscription

        conversation = conversation_for_subscription(subscription)
    else:
        notification.attempts += 1
        _after_error(notification, SendError(_("Nobody to send to: the opt-in has no Facebook account."),
                                             transient=False))
        db.session.commit()
        return notification
    outgoing = compose_notification(notification, conversation, store, now)
    notification.attempts += 1
    notification.lane = outgoing.lane
    if transport.name == "local":
        return _send_in_one_transaction(notification, transport, outgoing)

    notification.state = "sending"
    db.session.commit()
    try:
        transport.send(outgoing)
    except SendError as exc:
        db.session.rollback()
        notification = db.session.get(Notification, notification_id)
        _after_error(notification, exc, store)
        db.session.commit()
        return notification
    _mark_sent(notification)
    db.session.commit()
    return notification


def _wait_for_opt_in(notification: Notification, subscription, now: datetime) -> Notification:
    """A checkbox opt-in the Platform hasn't confirmed yet can't be messaged: wait for its webhook
    (which wakes the notification), and give up after MESSENGER_OPTIN_WAIT_SECONDS."""
    waited = (now - subscription.created_at).total_seconds()
    if waited >= _setting("MESSENGER_OPTIN_WAIT_SECONDS", 600):
        notification.state = "skipped"
        notification.skipped_reason = _("Messenger never confirmed the opt-in at checkout.")
    else:
        notification.next_attempt_at = now + timedelta(seconds=OPT_IN_RECHECK_SECONDS)
    _release(notification)
    db.session.commit()
    return notification


def _send_in_one_transaction(notification: Notification, transport, outgoing) -> Notification:
    notification_id = notification.id
    try:
        transport.send(outgoing)
        _mark_sent(notification)
        db.session.commit()
    except IntegrityError:
        # Another worker stored this notification's message already: the database said no.
        db.session.rollback()
        notification = db.session.get(Notification, notification_id)
        already = db.session.scalars(db.select(Message.id).filter_by(notification_id=notification_id)).first()
        if already and notification.state != "sent":
            _mark_sent(notification)
            db.session.commit()
    return notification


def _mark_sent(notification: Notification) -> None:
    notification.state = "sent"
    notification.sent_at = clock.now()
    notification.last_error = None
    notification.next_attempt_at = None
    _release(notification)


def _release(notification: Notification) -> None:
    notification.claimed_by = None
    notification.claimed_until = None


def backoff_seconds(attempts: int) -> float:
    """Capped exponential backoff with jitter: about base * 2^(attempts-1), at most the cap."""
    base = _setting("OUTBOX_BACKOFF_BASE_SECONDS", 2)
    cap = _setting("OUTBOX_BACKOFF_CAP_SECONDS", 300)
    delay = min(cap, base * 2 ** max(attempts - 1, 0))
    return random.uniform(delay / 2, delay)


def _after_error(notification: Notification, error: SendError, store: Store | None = None) -> None:
    notification.last_error = error.message
    _release(notification)
    if error.hold:
        notification.state = "held"
        store = store or _store()
        if store is not None:
            store.messenger_needs_reconnect = True
    elif error.transient and notification.attempts < _setting("OUTBOX_MAX_ATTEMPTS", 6):
        notification.state = "queued"
        notification.next_attempt_at = clock.now() + timedelta(seconds=backoff_seconds(notification.attempts))
    else:
        notification.state = "failed"


# --- the merchant's side ------------------------------------------------------------------


def retry_notification(notification: Notification) -> Notification:
    """A9 "Retry": a failed notification goes back in the queue; its attempts are kept."""
    if notification.state != "failed":
        raise NotAllowed(_("Only a failed message can be retried."))
    result = db.session.execute(
        update(Notification).where(Notification.id == notification.id, Notification.state == "failed")
        .values(state="queued", next_attempt_at=None, claimed_by=None, claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    db.session.refresh(notification)
    if result.rowcount != 1:
        raise NotAllowed(_("Only a failed message can be retried."))
    return notification


def release_held_notifications() -> int:
    """After the merchant reconnected the Page: held notifications go back in the queue."""
    result = db.session.execute(
        update(Notification).where(Notification.state == "held")
        .values(state="queued", next_attempt_at=None, claimed_by=None, claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    store = _store()
    if store is not None:
        store.messenger_needs_reconnect = False
    db.session.commit()
    return result.rowcount


def register() -> None:
    worker.register_job(deliver_due_notifications)

"""Delivering the outbox (M3, M5): the worker claims due notifications and sends each exactly once.

Claiming: on PostgreSQL `SELECT ... FOR UPDATE SKIP LOCKED`, so several `flask worker`s share the
rows; on SQLite a conditional UPDATE per row. A claim expires (OUTBOX_CLAIM_SECONDS), so the rows of
a worker that died are taken over by another.

Sending with a transport that shares our transaction (`local`): the message is stored and the
notification marked sent in one transaction, and Message.notification_id is unique, so a crash can
lose neither nor double it.

Sending with a remote transport (`graph`): the try is counted and the row marked "sending" with the
message as composed, then the request goes out with metadata naming the notification.
- Answered: the message is stored and the row marked sent; if that commit fails (the database
  connection was lost) it is written again on a fresh connection, and the Platform's echo of the
  message would confirm it anyway.
- No answer (timeout, connection reset, worker killed): the outcome is unknown. The row waits
  MESSENGER_ECHO_WAIT_SECONDS for the echo that carries its metadata (pageshop.messenger.webhook),
  which marks it sent; only if none came is it sent again, once.
- The Platform failing for everyone pauses the channel (pageshop.messenger.pause); an update keeps
  being tried for MESSENGER_RETRY_BUDGET_SECONDS; only an error about the message itself fails it.
- An update due outside the 24-hour window for a shopper known only by a checkbox user_ref goes by
  e-mail instead (pageshop.messenger.by_email); "outside the window" from the Platform rebuilds an
  update once as the utility template.
"""
from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import exists, func, or_, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import aliased

from .. import clock, worker
from ..errors import NotAllowed
from ..extensions import db
from ..models import Conversation, Message, Notification, NotificationState, Store, SubscriptionState
from ..shopper_language import plural_count
from . import pause
from .by_email import send_by_email_instead
from .compose import compose_notification
from .subscriptions import SKIPPED_REASONS
from .transport import Outgoing, SendError, get_transport, hold

log = logging.getLogger(__name__)

State = NotificationState
CLAIM_BATCH = 10
PENDING_STATES = (State.QUEUED, State.SENDING, State.UNCONFIRMED, State.HELD)
OPT_IN_RECHECK_SECONDS = 5  # a safety net: the opt-in's webhook wakes waiting notifications at once
RECORD_TRIES = 6  # writing a sent message again after the database connection was lost


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"[:64]


def _rollback() -> None:
    """Roll back; a connection the database dropped (PostgreSQL restarted, the connection killed)
    is thrown away instead, and the next query gets a fresh one."""
    try:
        db.session.rollback()
    except DBAPIError:
        db.session().invalidate()


def _store() -> Store | None:
    return db.session.scalars(db.select(Store).order_by(Store.id).limit(1)).first()


def _seconds(name: str) -> timedelta:
    return timedelta(seconds=float(current_app.config[name]))


# --- claiming ---------------------------------------------------------------------------


def _due_conditions(now: datetime) -> list:
    earlier = aliased(Notification)
    # Per order, in order: a later update waits while an earlier one is still on its way.
    waiting_for_earlier = exists().where(
        earlier.order_id == Notification.order_id, earlier.id < Notification.id,
        earlier.state.in_(PENDING_STATES),
    )
    return [
        Notification.state == State.QUEUED,
        or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now),
        or_(Notification.claimed_until.is_(None), Notification.claimed_until < now),
        ~waiting_for_earlier,
    ]


def claim_due_notifications(worker_id: str, limit: int = CLAIM_BATCH) -> list[int]:
    return _claim(worker_id, limit)[0]


def _claim(worker_id: str, limit: int = CLAIM_BATCH) -> tuple[list[int], bool]:
    """The due notifications this worker may send now; while the channel is paused, only the one
    probe, and only by the worker that got it (then the second value is True)."""
    now = clock.now()
    until = now + _seconds("OUTBOX_CLAIM_SECONDS")
    if pause.paused_since() is not None:
        first = db.session.scalars(db.select(Notification.id).where(*_due_conditions(now))
                                   .order_by(Notification.id).limit(1)).first()
        if first is None or not pause.claim_probe(now, current_app.config["OUTBOX_CLAIM_SECONDS"]):
            _rollback()
            return [], False
        limit = 0
    probing = limit == 0
    select = db.select(Notification.id).where(*_due_conditions(now)).order_by(Notification.id).limit(limit or 1)
    if db.session.get_bind().dialect.name == "postgresql":
        ids = list(db.session.scalars(select.with_for_update(skip_locked=True, of=Notification)))
        if ids:
            db.session.execute(
                update(Notification).where(Notification.id.in_(ids))
                .values(claimed_by=worker_id, claimed_until=until)
                .execution_options(synchronize_session=False)
            )
    else:
        ids = []
        for notification_id in list(db.session.scalars(select)):
            result = db.session.execute(
                update(Notification)
                .where(Notification.id == notification_id, Notification.state == State.QUEUED,
                       or_(Notification.claimed_until.is_(None), Notification.claimed_until < now))
                .values(claimed_by=worker_id, claimed_until=until)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 1:
                ids.append(notification_id)
    if probing and not ids:
        pause.release_probe()
    db.session.commit()
    return ids, probing


# --- what a worker finds when it looks: unknown outcomes, spent budgets --------------------------


def settle_unknown_outcomes() -> int:
    """A try still "sending" after its claim expired: its worker died or lost the database; the
    outcome is unknown, so it waits for the echo. A try whose echo didn't come in time is sent
    again, once; a second unknown outcome fails it for the merchant to check."""
    now = clock.now()
    stuck = (Notification.state == State.SENDING, Notification.claimed_until < now)
    overdue = (Notification.state == State.UNCONFIRMED, Notification.next_attempt_at <= now)
    # Look before writing: on SQLite even an UPDATE of no rows takes the database's write lock.
    found = db.session.scalars(db.select(Notification.id).where(or_(
        Notification.id.in_(db.select(Notification.id).where(*stuck)),
        Notification.id.in_(db.select(Notification.id).where(*overdue)))).limit(1)).first()
    if found is None:
        _rollback()
        return 0
    echo_until = now + _seconds("MESSENGER_ECHO_WAIT_SECONDS")
    count = db.session.execute(
        update(Notification).where(*stuck)
        .values(state=State.UNCONFIRMED, claimed_by=None, claimed_until=None, next_attempt_at=echo_until,
                last_error=_("The worker stopped before Messenger answered: waiting until %(time)s for "
                             "Messenger to confirm the message, sent again once if it doesn't.",
                             time=pause.at(echo_until)))
        .execution_options(synchronize_session=False)
    ).rowcount
    count += db.session.execute(
        update(Notification).where(*overdue, Notification.resent_unconfirmed.is_(False))
        .values(state=State.QUEUED, resent_unconfirmed=True, next_attempt_at=None,
                last_error=_("Messenger never confirmed the last try: sending it again, once."))
        .execution_options(synchronize_session=False)
    ).rowcount
    count += db.session.execute(
        update(Notification).where(*overdue, Notification.resent_unconfirmed.is_(True))
        .values(state=State.FAILED, next_attempt_at=None,
                last_error=_("Messenger never confirmed this message, sent twice without an answer: "
                             "check the conversation, and use \"Retry\" only if it didn't arrive."))
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return count


def give_up_after_budget() -> int:
    """Updates that kept failing for the whole retry budget are failed, with "Retry" for the merchant."""
    now = clock.now()
    cutoff = now - _seconds("MESSENGER_RETRY_BUDGET_SECONDS")
    spent = (Notification.state == State.QUEUED, Notification.last_error.is_not(None),
             func.coalesce(Notification.budget_started_at, Notification.created_at) < cutoff)
    if db.session.scalars(db.select(Notification.id).where(*spent).limit(1)).first() is None:
        _rollback()
        return 0
    budget_hours = float(current_app.config["MESSENGER_RETRY_BUDGET_SECONDS"]) / 3600
    hours = f"{budget_hours:g}"
    paused = pause.current()
    count = 0
    for notification in db.session.scalars(db.select(Notification).where(*spent)):
        if paused is not None and paused.failing_since is not None:
            error = _("Messenger has not been answering since %(since)s (%(error)s).",
                      since=pause.at(paused.failing_since), error=(paused.last_error or "").rstrip("."))
        else:
            error = notification.last_error
        notification.state = State.FAILED
        notification.next_attempt_at = None
        notification.last_error = ngettext(
            "Gave up after %(hours)s hour of tries. Last error: %(error)s Use \"Retry\" to try again.",
            "Gave up after %(hours)s hours of tries. Last error: %(error)s Use \"Retry\" to try again.",
            plural_count(budget_hours), hours=hours, error=error)
        count += 1
    db.session.commit()
    return count


# --- sending ----------------------------------------------------------------------------


def deliver_due_notifications() -> int:
    """The worker's job: send what is due; returns how many notifications it handled."""
    worker_id = worker_name()
    settle_unknown_outcomes()
    give_up_after_budget()
    ids, probing = _claim(worker_id)
    for notification_id in ids:
        try:
            deliver_notification(notification_id, worker_id, probing)
        except Exception as exc:  # a bug or a lost database must not stop the others
            log.exception("delivering notification %s failed", notification_id)
            _rollback()
            _after_crash(notification_id, worker_id, exc)
    if probing:  # whatever came of it, the next probe is free to go when due
        pause.release_probe()
        db.session.commit()
    return len(ids)


def _after_crash(notification_id: int, worker_id: str, exc: Exception) -> None:
    """After an unexpected error: a try already on its way has an unknown outcome; a try that never
    started is tried again later (no attempt counted)."""
    try:
        notification = db.session.get(Notification, notification_id)
        if notification is None or notification.claimed_by != worker_id:
            return
        if notification.state == State.SENDING:
            _await_echo(notification, SendError(str(exc) or type(exc).__name__, transient=True))
        elif notification.state == State.QUEUED:
            _release(notification)
            now = clock.now()
            notification.next_attempt_at = now + timedelta(seconds=backoff_seconds(notification.attempts + 1))
            notification.last_error = _("%(error)s Will retry at %(time)s.", error=str(exc) or type(exc).__name__,
                                        time=pause.at(notification.next_attempt_at))
        db.session.commit()
    except DBAPIError:  # the database is gone: the claim expires and another round settles it
        _rollback()


def deliver_notification(notification_id: int, worker_id: str, probing: bool = False) -> Notification | None:
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.state != State.QUEUED or notification.claimed_by != worker_id:
        _rollback()
        return None
    now = clock.now()
    subscription = notification.subscription
    if subscription.state != SubscriptionState.ACTIVE:  # M5: checked at send time
        notification.state = State.SKIPPED
        notification.skipped_reason = str(SKIPPED_REASONS[subscription.state])
        return _done(notification)
    store = _store()
    transport = get_transport()
    try:
        transport.check_ready()
    except SendError as exc:  # not configured: held like an expired token, until it is
        _after_error(notification, exc, store)
        return _done(notification)
    if transport.needs_connection and store is not None and store.messenger_needs_reconnect:
        notification.state = State.HELD
        return _done(notification)
    if not transport.opt_in_confirmed(subscription):
        return _wait_for_opt_in(notification, subscription, now)
    if not probing and pause.paused_since() is not None:
        # Paused since this batch was claimed: back in the queue without spending a try.
        return _done(notification)
    conversation = transport.conversation_for(subscription)
    if conversation is None:
        notification.attempts += 1
        _after_error(notification, SendError(_("Nobody to send to: the opt-in has no Facebook account."),
                                             transient=False), store)
        return _done(notification)
    outgoing = compose_notification(notification, conversation, store, now)
    if not transport.reaches(conversation, outgoing.lane):
        send_by_email_instead(notification, outgoing, store)
        return _done(notification)
    notification.attempts += 1
    notification.lane = outgoing.lane
    if transport.shares_transaction:
        return _send_in_one_transaction(notification, transport, outgoing)
    return _send_remote(notification, transport, outgoing, store)


def _done(notification: Notification) -> Notification:
    _release(notification)
    db.session.commit()
    return notification


def _wait_for_opt_in(notification: Notification, subscription, now: datetime) -> Notification:
    """A checkbox opt-in the Platform hasn't confirmed yet can't be messaged: wait for its webhook
    (which wakes the notification), and give up after MESSENGER_OPTIN_WAIT_SECONDS."""
    waited = now - subscription.created_at
    if waited >= _seconds("MESSENGER_OPTIN_WAIT_SECONDS"):
        notification.state = State.SKIPPED
        notification.skipped_reason = _("Messenger never confirmed the opt-in at checkout.")
    else:
        notification.next_attempt_at = now + timedelta(seconds=OPT_IN_RECHECK_SECONDS)
    return _done(notification)


def _send_in_one_transaction(notification: Notification, transport, outgoing) -> Notification:
    notification_id = notification.id
    try:
        transport.send(outgoing)
        _mark_sent(notification)
        db.session.commit()
    except SendError as exc:
        _rollback()
        notification = db.session.get(Notification, notification_id)
        notification.attempts += 1
        _after_error(notification, exc)
        db.session.commit()
    except IntegrityError:
        # Another worker stored this notification's message already: the database said no.
        _rollback()
        notification = db.session.get(Notification, notification_id)
        already = db.session.scalars(db.select(Message.id).filter_by(notification_id=notification_id)).first()
        if already and notification.state != State.SENT:
            _mark_sent(notification)
            db.session.commit()
    return notification


def snapshot(outgoing: Outgoing) -> dict:
    """The message as composed for this try: what an echo that confirms it stores."""
    return {"conversation_id": outgoing.conversation.id, "kind": outgoing.kind, "text": outgoing.text,
            "lane": outgoing.lane, "author": outgoing.author, "payload": outgoing.payload}


def _send_remote(notification: Notification, transport, outgoing: Outgoing, store) -> Notification:
    notification_id = notification.id
    notification.state = State.SENDING
    notification.outgoing = snapshot(outgoing)
    db.session.commit()  # the try is counted and known to be on its way before it leaves
    try:
        message = transport.send(outgoing)
    except SendError as exc:
        _rollback()
        notification = db.session.get(Notification, notification_id)
        if notification.state != State.SENDING:
            # Settled meanwhile: its echo came before the answer (or instead of it).
            db.session.commit()
            return notification
        if exc.unknown_outcome:
            _await_echo(notification, exc)
            if exc.platform_wide:
                pause.platform_failed(exc.message, clock.now())
            db.session.commit()
            return notification
        if not exc.platform_wide and not exc.hold:
            pause.platform_answered()  # it answered, about this one message
        if exc.outside_window and outgoing.lane != "UTILITY" and not notification.rebuilt_as_utility:
            return _rebuild_as_utility(notification, transport, store)
        _after_error(notification, exc, store)
        db.session.commit()
        return notification
    values = {column: getattr(message, column) for column in (
        "conversation_id", "direction", "kind", "text", "payload", "lane", "author", "notification_id",
        "mid", "created_at")}
    values["conversation_id"] = outgoing.conversation.id
    _record_sent(notification_id, values)
    return db.session.get(Notification, notification_id)


def _rebuild_as_utility(notification: Notification, transport, store) -> Notification:
    """The Platform's clock says the window closed (10/2018278): the update goes once more, as the
    utility template to the PSID, or by e-mail when only a user_ref is known. Never again."""
    notification.rebuilt_as_utility = True
    conversation = db.session.get(Conversation, (notification.outgoing or {}).get("conversation_id"))
    if conversation is None:
        conversation = transport.conversation_for(notification.subscription)
    outgoing = compose_notification(notification, conversation, store, clock.now(), outside_window=True)
    if not transport.reaches(conversation, outgoing.lane):
        send_by_email_instead(notification, outgoing, store)
        return _done(notification)
    notification.attempts += 1
    notification.lane = outgoing.lane
    return _send_remote(notification, transport, outgoing, store)


def _record_sent(notification_id: int, values: dict) -> None:
    """The Platform accepted the message: store it and mark the notification sent. A lost database
    connection doesn't lose this: it is written again on a fresh one (and the echo confirms it if
    the database stays away longer)."""
    for attempt in range(RECORD_TRIES):
        try:
            if attempt:
                _rollback()
                if db.session.scalars(db.select(Message.id).filter_by(notification_id=notification_id)).first() is None:
                    db.session.add(Message(**values))
            notification = db.session.get(Notification, notification_id)
            _mark_sent(notification)
            pause.platform_answered()
            db.session.commit()
            return
        except IntegrityError:
            # Its echo was quicker and stored the message: only the state is left to write.
            _rollback()
            notification = db.session.get(Notification, notification_id)
            _mark_sent(notification)
            db.session.commit()
            return
        except DBAPIError:
            log.warning("recording sent notification %s: the database connection was lost, trying again",
                        notification_id)
            time.sleep(min(2.0, 0.1 * 2 ** attempt))
    _rollback()
    log.error("notification %s was sent but couldn't be recorded: its echo will confirm it", notification_id)


def _mark_sent(notification: Notification) -> None:
    notification.state = State.SENT
    notification.sent_at = clock.now()
    notification.last_error = None
    notification.next_attempt_at = None
    _release(notification)


def _release(notification: Notification) -> None:
    notification.claimed_by = None
    notification.claimed_until = None


def _await_echo(notification: Notification, error: SendError) -> None:
    until = clock.now() + _seconds("MESSENGER_ECHO_WAIT_SECONDS")
    notification.state = State.UNCONFIRMED
    notification.next_attempt_at = until
    notification.last_error = _("%(error)s Waiting until %(time)s for Messenger to confirm the message; "
                                "sent again once if it doesn't.", error=error.message, time=pause.at(until))
    _release(notification)


def backoff_seconds(attempts: int) -> float:
    """Capped exponential backoff with jitter: about base * 2^(attempts-1), at most the cap."""
    config = current_app.config
    base, cap = config["OUTBOX_BACKOFF_BASE_SECONDS"], config["OUTBOX_BACKOFF_CAP_SECONDS"]
    delay = min(cap, base * 2 ** max(attempts - 1, 0))
    return random.uniform(delay / 2, delay)


def _after_error(notification: Notification, error: SendError, store: Store | None = None) -> None:
    """What the error means for this notification; the stored error says what happens next."""
    now = clock.now()
    _release(notification)
    notification.last_error = error.message
    if error.hold:
        notification.state = State.HELD
        store = store or _store()
        if store is not None:
            hold(store, error)
    elif error.platform_wide:
        notification.state = State.QUEUED
        notification.next_attempt_at = None  # the pause's probe decides when
        notification.last_error = pause.note(pause.platform_failed(error.message, now))
    elif error.transient:
        notification.state = State.QUEUED
        notification.next_attempt_at = now + timedelta(seconds=backoff_seconds(notification.attempts))
        notification.last_error = _("%(error)s Will retry at %(time)s.", error=error.message,
                                    time=pause.at(notification.next_attempt_at))
    else:
        notification.state = State.FAILED


# --- confirmed by the Platform's echo -------------------------------------------------------------


def confirm_by_echo(notification_id: int, mid: str | None, recipient: dict) -> bool:
    """An echo carried this notification's metadata: the Platform delivered it. Stored once (the
    message of a send we recorded ourselves only gets its mid), and the notification is sent.
    True when the echo was of use."""
    notification = db.session.get(Notification, notification_id)
    if notification is None:
        return False
    pause.platform_answered()
    message = db.session.scalars(db.select(Message).filter_by(notification_id=notification_id)).first()
    if message is not None:
        if message.mid is None and mid and db.session.scalars(db.select(Message.id).filter_by(mid=mid)).first() is None:
            message.mid = mid
        elif message.mid != mid:
            log.warning("notification %s was delivered twice (echo %s)", notification_id, mid)
        if notification.state != State.SENT:
            _mark_sent(notification)
        return True
    if notification.state not in (State.SENDING, State.UNCONFIRMED, State.QUEUED, State.FAILED):
        return False
    composed = notification.outgoing or {}
    conversation = db.session.get(Conversation, composed.get("conversation_id"))
    if conversation is None:
        return False
    payload = dict(composed.get("payload") or {})
    payload["recipient"] = recipient
    now = clock.now()
    try:
        with db.session.begin_nested():
            db.session.add(Message(conversation=conversation, direction="out", kind=composed.get("kind", "text"),
                                   text=composed.get("text", ""), payload=payload, lane=composed.get("lane"),
                                   author=composed.get("author", "page"), notification_id=notification_id,
                                   mid=mid, created_at=now))
    except IntegrityError:  # the sending worker recorded it at the same moment
        pass
    conversation.last_message_at = now
    _mark_sent(notification)
    return True


# --- the merchant's side ------------------------------------------------------------------


def retry_notification(notification: Notification) -> Notification:
    """A9 "Retry": a failed notification goes back in the queue with a fresh retry budget; its
    attempts are kept, and a message the Platform refused is not rebuilt again."""
    if notification.state != State.FAILED:
        raise NotAllowed(_("Only a failed message can be retried."))
    result = db.session.execute(
        update(Notification).where(Notification.id == notification.id, Notification.state == State.FAILED)
        .values(state=State.QUEUED, next_attempt_at=None, claimed_by=None, claimed_until=None,
                budget_started_at=clock.now(), resent_unconfirmed=False)
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
        update(Notification).where(Notification.state == State.HELD)
        .values(state=State.QUEUED, next_attempt_at=None, claimed_by=None, claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    store = _store()
    if store is not None:
        store.messenger_needs_reconnect = False
        store.messenger_hold_reason = None
    db.session.commit()
    return result.rowcount


def register() -> None:
    worker.register_job(deliver_due_notifications)

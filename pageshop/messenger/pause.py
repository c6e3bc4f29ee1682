"""The Messenger channel's pause (a circuit breaker), kept in the database so that every worker
shares it.

When the Platform fails a send for everyone (HTTP 5xx, codes 1/2, rate limits, no answer), the
channel pauses: no order update spends a try on it, one probe at a time tries the oldest due update
after a growing wait, and the first probe the Platform answers resumes everything. An error about
one message (551, a refused template, bad parameters) is an answer: it resumes the channel too.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..localized import format_clock_time
from ..models import MessengerPause, Notification, NotificationState

CHANNEL = "messenger"


def at(moment: datetime) -> str:
    """A time in what the admin stores and shows (naive UTC)."""
    return format_clock_time(moment)


def current() -> MessengerPause | None:
    return db.session.scalars(db.select(MessengerPause).filter_by(channel=CHANNEL)).first()


def paused_since() -> datetime | None:
    pause = current()
    return pause.failing_since if pause is not None else None


def probe_wait(failures: int) -> timedelta:
    """Between probes: the outbox's backoff, doubling per failed probe, capped, with some jitter."""
    config = current_app.config
    base, cap = config["OUTBOX_BACKOFF_BASE_SECONDS"], config["OUTBOX_BACKOFF_CAP_SECONDS"]
    delay = min(cap, base * 2 ** max(failures - 1, 0))
    return timedelta(seconds=random.uniform(delay * 0.75, delay))


def note(pause: MessengerPause) -> str:
    """What a paused update says about itself: since when, why, and when the next try is."""
    return _("Paused: Messenger is not answering since %(since)s (%(error)s). Next try at %(next)s; "
             "nothing to do, it resumes on its own.",
             since=at(pause.failing_since), error=(pause.last_error or "").rstrip("."),
             next=at(pause.next_probe_at))


def claim_probe(now: datetime, claim_seconds: float) -> bool:
    """While paused: may this worker send the one probe now? (At most one worker at a time.)"""
    result = db.session.execute(
        update(MessengerPause)
        .where(MessengerPause.channel == CHANNEL, MessengerPause.failing_since.is_not(None),
               MessengerPause.next_probe_at <= now,
               (MessengerPause.probe_until.is_(None)) | (MessengerPause.probe_until < now))
        .values(probe_until=now + timedelta(seconds=claim_seconds))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def release_probe() -> None:
    """The probe's worker is done without hearing from the Platform (nothing was sent)."""
    db.session.execute(
        update(MessengerPause).where(MessengerPause.channel == CHANNEL, MessengerPause.probe_until.is_not(None))
        .values(probe_until=None).execution_options(synchronize_session=False))


def platform_failed(error_message: str, now: datetime) -> MessengerPause:
    """The Platform failed a send for everyone: pause (or stay paused) and plan the next probe.
    Every waiting update's stored error says so."""
    pause = current()
    if pause is None:
        pause = MessengerPause(channel=CHANNEL, failures=0)
        try:
            with db.session.begin_nested():
                db.session.add(pause)
        except IntegrityError:  # another worker created it at the same moment
            pause = current()
    if pause.failing_since is None:
        pause.failing_since = now
        pause.failures = 0
    pause.failures += 1
    pause.next_probe_at = now + probe_wait(pause.failures)
    pause.probe_until = None
    pause.last_error = error_message[:500]
    db.session.execute(
        update(Notification).where(Notification.state == NotificationState.QUEUED)
        .values(last_error=note(pause)).execution_options(synchronize_session=False))
    return pause


def platform_answered() -> bool:
    """The Platform answered (a send, an echo, a refusal of one message): resume. True if it was paused."""
    pause = current()
    if pause is None or pause.failing_since is None:
        return False
    pause.failing_since = None
    pause.failures = 0
    pause.next_probe_at = None
    pause.probe_until = None
    return True

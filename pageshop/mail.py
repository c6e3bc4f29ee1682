"""E-mail through SMTP, kept in the e-mail log (A9) until it is sent.

An e-mail is written as a row in the transaction of what causes it (an order, an inquiry), then
delivered: at once when possible, otherwise by the worker, with capped exponential backoff. With no
SMTP server configured it is kept as "not_sent" and shown in the admin's e-mail log; once a server
is configured the worker sends it.
"""
from __future__ import annotations

import logging
import smtplib
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid

from flask import current_app
from sqlalchemy import or_, update

from . import clock
from .extensions import db
from .models import Email, EmailState
from .worker import register_job

log = logging.getLogger(__name__)

# While one sender holds an e-mail, nobody else picks it up (several workers may run).
CLAIM_SECONDS = 120
BATCH_SIZE = 20


def mail_configured() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def queue_email(kind: str, recipient: str, subject: str, body: str, sender_name: str,
                sender_email: str, reply_to: str | None = None, order=None,
                dedupe_key: str | None = None) -> Email:
    """Add an e-mail to the caller's transaction; it is sent once that transaction commits.

    With a dedupe_key, the e-mail already written under that key is returned instead of a second one.
    """
    if dedupe_key:
        existing = db.session.scalars(db.select(Email).where(Email.dedupe_key == dedupe_key)).first()
        if existing is not None:
            return existing
    email = Email(
        kind=kind,
        recipient=recipient,
        subject=subject,
        body=body,
        sender_name=sender_name,
        sender_email=sender_email,
        reply_to=reply_to,
        order_id=order.id if order is not None else None,
        dedupe_key=dedupe_key,
        state=EmailState.QUEUED if mail_configured() else EmailState.NOT_SENT,
        next_attempt_at=clock.now(),
    )
    db.session.add(email)
    return email


def _due_states() -> tuple[str, ...]:
    return (EmailState.QUEUED, EmailState.NOT_SENT) if mail_configured() else (EmailState.QUEUED,)


def _claim(email_id: int) -> bool:
    """Take the e-mail for one sending attempt; False if it is not due or someone else has it."""
    now = clock.now()
    result = db.session.execute(
        update(Email)
        .where(
            Email.id == email_id,
            Email.state.in_(_due_states()),
            or_(Email.next_attempt_at.is_(None), Email.next_attempt_at <= now),
        )
        .values(next_attempt_at=now + timedelta(seconds=CLAIM_SECONDS), attempts=Email.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def deliver(email_id: int, timeout: float | None = None) -> bool:
    """Send one e-mail now if it is due; True when the SMTP server accepted it.

    A failure is recorded on the e-mail (last error, next attempt); nothing is raised.
    """
    if not mail_configured():
        db.session.execute(
            update(Email).where(Email.id == email_id, Email.state == EmailState.QUEUED)
            .values(state=EmailState.NOT_SENT).execution_options(synchronize_session=False)
        )
        db.session.commit()
        return False
    return _attempt(email_id, timeout) == "sent"


def send_due_emails() -> int:
    """The worker's job: send what is due; returns how many e-mails it handled."""
    if not mail_configured():
        return 0
    now = clock.now()
    due = list(db.session.scalars(
        db.select(Email.id)
        .where(Email.state.in_(_due_states()),
               or_(Email.next_attempt_at.is_(None), Email.next_attempt_at <= now))
        .order_by(Email.next_attempt_at, Email.id)
        .limit(BATCH_SIZE)
    ))
    db.session.rollback()
    return sum(1 for email_id in due if _attempt(email_id, None) is not None)


def _attempt(email_id: int, timeout: float | None) -> str | None:
    """One sending attempt: "sent", "failed", or None when the e-mail was not ours to send."""
    if not _claim(email_id):
        return None
    email = db.session.get(Email, email_id)
    db.session.refresh(email)
    try:
        _send(email, timeout)
    except (smtplib.SMTPException, OSError) as exc:
        _record_failure(email_id, exc)
        return "failed"
    email.state = EmailState.SENT
    email.sent_at = clock.now()
    email.last_error = None
    email.next_attempt_at = None
    db.session.commit()
    return "sent"


def backoff(attempts: int) -> timedelta:
    config = current_app.config
    base = config.get("OUTBOX_BACKOFF_BASE_SECONDS", 2)
    cap = config.get("OUTBOX_BACKOFF_CAP_SECONDS", 300)
    return timedelta(seconds=min(cap, base * 2 ** max(attempts - 1, 0)))


def build_message(email: Email) -> EmailMessage:
    message = EmailMessage()
    message["From"] = formataddr((email.sender_name, email.sender_email))
    message["To"] = email.recipient
    if email.reply_to:
        message["Reply-To"] = email.reply_to
    message["Subject"] = email.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=email.sender_email.rpartition("@")[2] or None)
    message.set_content(email.body)
    return message


def _send(email: Email, timeout: float | None) -> None:
    config = current_app.config
    timeout = timeout if timeout is not None else config.get("MAIL_TIMEOUT", 10)
    with smtplib.SMTP(config["MAIL_SERVER"], config.get("MAIL_PORT") or 25, timeout=timeout) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        smtp.send_message(build_message(email), from_addr=email.sender_email, to_addrs=[email.recipient])


def _record_failure(email_id: int, exc: Exception) -> None:
    db.session.rollback()
    email = db.session.get(Email, email_id)
    max_attempts = current_app.config.get("MAIL_MAX_ATTEMPTS", 10)
    email.last_error = f"{type(exc).__name__}: {exc}"[:2000] or type(exc).__name__
    if email.attempts >= max_attempts:
        email.state = EmailState.FAILED
        email.next_attempt_at = None
    else:
        email.state = EmailState.QUEUED
        email.next_attempt_at = clock.now() + backoff(email.attempts)
    db.session.commit()
    log.warning("e-mail %s not sent (attempt %s): %s", email.id, email.attempts, email.last_error)


register_job(send_due_emails)

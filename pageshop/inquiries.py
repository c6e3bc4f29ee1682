"""S8 and A8: "Contact seller" inquiries, their answer deadline, and the merchant's answer.

The inquiry and its e-mail to the store's support address are committed together, then sent at
once when the SMTP server answers; otherwise the e-mail outbox retries it (pageshop.mail), so an
inquiry is never lost.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _

from . import mail
from .business_days import add_business_days
from .errors import DomainError, NotAllowed
from .extensions import db
from .localized import format_datetime
from .models import FacebookAccount, Inquiry, Order
from .shopper_language import in_language
from .store import get_store
from .validation import clip

MAX_MESSAGE_LENGTH = 5000
MAX_ANSWER_LENGTH = 10000
# Facebook asks sellers using its checkout to answer within 2 business days.
ANSWER_BUSINESS_DAYS = 2


def answer_due_at(order: Order, received_at: datetime) -> datetime | None:
    if not order.placed_with_facebook_checkout:
        return None
    return add_business_days(received_at, ANSWER_BUSINESS_DAYS)


def is_overdue(inquiry: Inquiry, now: datetime) -> bool:
    return inquiry.answered_at is None and inquiry.answer_due_at is not None and now > inquiry.answer_due_at


def inquiry_subject(order: Order) -> str:
    return _("Inquiry about order %(name)s", name=order.name)


def send_inquiry(order: Order, message: str | None, now: datetime,
                 facebook_account: FacebookAccount | None = None) -> Inquiry:
    """Record the shopper's message and e-mail it to the store's support address."""
    message = (message or "").strip()
    if not message:
        raise DomainError(_("Write your message to the seller."), "message")
    if len(message) > MAX_MESSAGE_LENGTH:
        raise DomainError(_("A message can have at most %(max)s characters; this one has %(count)s.",
                            max=f"{MAX_MESSAGE_LENGTH:,}", count=f"{len(message):,}"), "message")
    store = get_store()
    account_id = order.facebook_account_id or (facebook_account.id if facebook_account else None)
    inquiry = Inquiry(
        order=order, facebook_account_id=account_id, name=clip(order.customer_name, Inquiry.name),
        email=order.email,
        message=message, received_at=now, answer_due_at=answer_due_at(order, now),
    )
    db.session.add(inquiry)
    email = mail.queue_email(
        "inquiry", store.support_email, inquiry_subject(order), _inquiry_body(inquiry, order),
        sender_name=store.name, sender_email=store.email, reply_to=order.email, order=order,
    )
    db.session.commit()
    _deliver_now(email.id)
    return inquiry


def _inquiry_body(inquiry: Inquiry, order: Order) -> str:
    lines = [
        _("%(name)s <%(email)s> wrote about order %(order)s:", name=inquiry.name or inquiry.email,
          email=inquiry.email, order=order.name),
        "",
        inquiry.message,
        "",
        _("Reply to this e-mail to answer them."),
    ]
    if inquiry.answer_due_at is not None:
        lines.append(_("Please answer by %(due)s: the order was placed with Facebook checkout.",
                       due=format_datetime(inquiry.answer_due_at, "yMMMEd")))
    return "\n".join(lines)


def _deliver_now(email_id: int) -> None:
    """Try at once; a failure leaves the e-mail queued for the worker's retries."""
    mail.deliver(email_id)


def list_inquiries() -> list[Inquiry]:
    """Every inquiry: those waiting for an answer first, the most urgent on top."""
    return list(db.session.scalars(
        db.select(Inquiry).order_by(
            Inquiry.answered_at.is_not(None),
            Inquiry.answer_due_at.is_(None),
            Inquiry.answer_due_at,
            Inquiry.received_at.desc(),
            Inquiry.id.desc(),
        )
    ))


def mark_answered(inquiry: Inquiry, now: datetime) -> Inquiry:
    if inquiry.answered_at is not None:
        raise NotAllowed(_("This inquiry is already answered."))
    inquiry.answered_at = now
    db.session.commit()
    return inquiry


def answer_by_email(inquiry: Inquiry, answer: str | None, now: datetime) -> Inquiry:
    """E-mail the merchant's answer to the shopper, from the store, and mark the inquiry answered."""
    answer = (answer or "").strip()
    if not answer:
        raise DomainError(_("Write your answer."), "answer")
    if len(answer) > MAX_ANSWER_LENGTH:
        raise DomainError(_("An answer can have at most %(max)s characters.", max=f"{MAX_ANSWER_LENGTH:,}"),
                          "answer")
    store = get_store()
    with in_language(inquiry.order.locale):  # the shopper's language; the answer is the merchant's
        subject = _("Re: %(subject)s", subject=inquiry_subject(inquiry.order))
    email = mail.queue_email(
        "inquiry_answer", inquiry.email, subject,
        answer, sender_name=store.name, sender_email=store.email, reply_to=store.support_email,
        order=inquiry.order,
    )
    inquiry.answer = answer
    inquiry.answered_at = inquiry.answered_at or now
    db.session.commit()
    _deliver_now(email.id)
    return inquiry


def order_by_token(token: str) -> Order | None:
    """The order of an order status link (S7), whose token is the only key a shopper has."""
    return db.session.scalars(db.select(Order).where(Order.token == token)).first()

"""Conversations between a Facebook account and a Page."""
from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from .. import clock
from ..extensions import db
from ..models import Conversation, FacebookAccount, FacebookPage, Message


def find_conversation(page_id: int, facebook_account_id: int) -> Conversation | None:
    return db.session.scalars(
        db.select(Conversation).filter_by(page_id=page_id, facebook_account_id=facebook_account_id)
    ).first()


def open_conversation(page: FacebookPage, account: FacebookAccount) -> Conversation:
    """The account's conversation with the Page, started if there is none yet."""
    conversation = find_conversation(page.id, account.id)
    if conversation is None:
        conversation = insert_once(
            Conversation(page_id=page.id, facebook_account_id=account.id, display_name=account.name,
                         created_at=clock.now()),
            lambda: find_conversation(page.id, account.id))
    return conversation


def insert_once(conversation: Conversation, find) -> Conversation:
    """Insert a new conversation, or, when a concurrent transaction (two first orders, two workers
    on one new person's webhooks) inserted the same one first, the database's unique key says so
    and theirs is used: a savepoint keeps the rest of our transaction."""
    try:
        with db.session.begin_nested():
            db.session.add(conversation)
    except IntegrityError:
        existing = find()
        if existing is None:
            raise
        return existing
    return conversation


# NUL and the other control characters (tab and new line aside) can't be stored by PostgreSQL or
# shown: they become U+FFFD, so the message itself is kept.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(text: str) -> str:
    return CONTROL_CHARACTERS.sub("\ufffd", text)


def record_customer_action(conversation: Conversation, at: datetime | None = None) -> None:
    """Any action towards the Page (message, menu choice, quick reply, opt-in, referral) opens the
    window, from when it happened (the Platform's timestamp); an older one than we know changes nothing."""
    at = at or clock.now()
    if conversation.last_customer_action_at is None or at > conversation.last_customer_action_at:
        conversation.last_customer_action_at = at


def record_incoming(conversation: Conversation, text: str, kind: str = "text",
                    payload: dict | None = None, mid: str | None = None, at: datetime | None = None) -> Message:
    """A message from the person: stored, counted unread for the merchant, and opens both windows."""
    now = clock.now()
    message = Message(conversation=conversation, direction="in", kind=kind, text=clean_text(text),
                      payload=payload, author="customer", mid=mid, created_at=now)
    db.session.add(message)
    record_customer_action(conversation, at or now)
    if kind == "text":
        conversation.last_customer_message_at = at or now
        conversation.unread_count = (conversation.unread_count or 0) + 1
    conversation.last_message_at = now
    return message


def messages_after(conversation: Conversation, after_id: int = 0) -> list[Message]:
    """Only what is new since `after_id`: what the live views poll for."""
    return list(db.session.scalars(
        db.select(Message).where(Message.conversation_id == conversation.id, Message.id > after_id)
        .order_by(Message.id)
    ))

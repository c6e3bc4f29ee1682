"""A8: the merchant's inbox: the Page's conversations, their window state, and replies.

Replying follows the Messenger Platform's windows (pageshop.messenger.window): inside the 24-hour
window a reply is an ordinary `RESPONSE`; from 24 hours to 7 days after the person's last action
towards the Page it goes out as a `HUMAN_AGENT` reply; after that it is refused.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import false, func, or_, tuple_, union_all
from sqlalchemy.orm import aliased, joinedload

from .errors import DomainError
from .extensions import db
from .listing import ListingPage
from .messenger.conversations import messages_after
from .messenger.transport import Outgoing, SendError, get_transport, remember_hold
from .messenger.window import (
    human_agent_window_closes_at,
    human_agent_window_open,
    messaging_window_open,
    window_closes_at,
)
from .models import Conversation, Message, Order, Subscription

# The Messenger Platform's limit for one text message.
MAX_REPLY_LENGTH = 2000
INBOX_PER_PAGE = 50

WINDOW_LABELS = {
    "open": _l("Open"),
    "human_agent": _l("Human agent only"),
    "closed": _l("Closed"),
}


@dataclass(frozen=True)
class WindowState:
    state: str  # open, human_agent or closed
    time_left: timedelta | None
    lane: str | None  # the lane a reply would take now: RESPONSE, HUMAN_AGENT or None

    @property
    def time_left_text(self) -> str:
        return format_time_left(self.time_left) if self.time_left is not None else ""

    @property
    def label(self) -> str:
        """"Open · 3 h left", "Human agent only · 5 days left", "Closed"."""
        name = str(WINDOW_LABELS[self.state])
        return f"{name} · {self.time_left_text}" if self.time_left is not None else name


@dataclass(frozen=True)
class InboxRow:
    conversation: Conversation
    last_message: Message | None

    @property
    def id(self) -> int:
        return self.conversation.id


def window_state(conversation: Conversation, now: datetime) -> WindowState:
    """Where the conversation stands: the one rule for the list, the page and `reply`."""
    if messaging_window_open(conversation.last_customer_action_at, now):
        return WindowState("open", window_closes_at(conversation.last_customer_action_at) - now, "RESPONSE")
    # Every action towards the Page counts for the 7 days too (a menu tap, a quick reply, an opt-in).
    if human_agent_window_open(conversation.last_customer_action_at, now):
        closes_at = human_agent_window_closes_at(conversation.last_customer_action_at)
        return WindowState("human_agent", closes_at - now, "HUMAN_AGENT")
    return WindowState("closed", None, None)


def format_time_left(left: timedelta) -> str:
    """"3 h left", "5 days left": rounded down, never below one minute."""
    minutes = max(1, int(left.total_seconds() // 60))
    if minutes >= 24 * 60:
        days = minutes // (24 * 60)
        return ngettext("%(num)d day left", "%(num)d days left", days)
    if minutes >= 60:
        return ngettext("%(num)d h left", "%(num)d h left", minutes // 60)
    return ngettext("%(num)d min left", "%(num)d min left", minutes)


def list_conversations(after: int | None = None, per_page: int = INBOX_PER_PAGE) -> ListingPage:
    """The conversations with all of the merchant's Pages, the most recent first, each with its last
    message, a page at a time: the first, or the one after the conversation `after` names. A Page's
    conversations stay after the Messenger channel is removed or moved to another Page: people can
    still write there (A6), so the merchant still sees them."""
    cursor = db.session.execute(
        db.select(Conversation.last_message_at, Conversation.id).where(Conversation.id == after)
    ).first() if after else None
    # Those without any message yet come last. Each part is read in its own index's order, at
    # most a page of each, in one query.
    dated = db.select(Conversation).where(Conversation.last_message_at.is_not(None))
    undated = db.select(Conversation).where(Conversation.last_message_at.is_(None))
    if cursor is not None and cursor.last_message_at is not None:
        dated = dated.where(tuple_(Conversation.last_message_at, Conversation.id) < tuple_(*cursor))
    elif cursor is not None:
        dated = dated.where(false())
        undated = undated.where(Conversation.id < cursor.id)
    parts = [
        dated.order_by(Conversation.last_message_at.desc(), Conversation.id.desc())
        .limit(per_page + 1).subquery(),
        undated.order_by(Conversation.id.desc()).limit(per_page + 1).subquery(),
    ]
    listed = aliased(Conversation, union_all(*(db.select(*part.c) for part in parts)).subquery())
    # Each one's last message id comes from the (conversation_id, id) index, one look each.
    last_id = (db.select(func.max(Message.id)).where(Message.conversation_id == listed.id)
               .scalar_subquery())
    found = db.session.execute(
        db.select(listed, last_id).options(joinedload(listed.page))
        .order_by(listed.last_message_at.is_(None), listed.last_message_at.desc(), listed.id.desc())
        .limit(per_page + 1)).all()
    more = len(found) > per_page
    found = found[:per_page]
    conversations = [conversation for conversation, _last_id in found]
    last_ids = [message_id for _conversation, message_id in found if message_id is not None]
    last_messages = {m.conversation_id: m for m in db.session.scalars(
        db.select(Message).where(Message.id.in_(last_ids)))} if last_ids else {}
    rows = [InboxRow(c, last_messages.get(c.id)) for c in conversations]
    return ListingPage(rows, has_previous=cursor is not None, has_next=more)


def mark_read(conversation: Conversation) -> None:
    if conversation.unread_count:
        conversation.unread_count = 0
        db.session.commit()


def new_messages(conversation: Conversation, after_id: int) -> list[Message]:
    """What arrived since `after_id`; the merchant is looking at them, so they count as read."""
    messages = messages_after(conversation, after_id)
    if messages:
        mark_read(conversation)
    return messages


def latest_order(conversation: Conversation) -> Order | None:
    """The customer's most recent order: through the Facebook account of the conversation, or over
    the Messenger Platform through the order updates the person opted into (PSID or checkbox user_ref)."""
    customer = []
    if conversation.facebook_account_id is not None:
        customer.append(Order.facebook_account_id == conversation.facebook_account_id)
    opted_in = [Subscription.psid == conversation.psid] if conversation.psid else []
    if conversation.user_ref:
        opted_in.append(Subscription.user_ref == conversation.user_ref)
    if opted_in:
        customer.append(Order.id.in_(db.select(Subscription.order_id).where(
            Subscription.page_id == conversation.page_id, or_(*opted_in))))
    if not customer:
        return None
    return db.session.scalars(
        db.select(Order).where(or_(*customer))
        .order_by(Order.placed_at.desc(), Order.id.desc()).limit(1)
    ).first()


def check_reply_text(text: str | None) -> str:
    text = (text or "").strip()
    if not text:
        raise DomainError(_("Write a reply before sending."), "text")
    if len(text) > MAX_REPLY_LENGTH:
        raise DomainError(_("A reply can have at most %(max)s characters; this one has %(count)s.",
                            max=f"{MAX_REPLY_LENGTH:,}", count=f"{len(text):,}"), "text")
    return text


def reply(conversation: Conversation, text: str | None, now: datetime) -> Message:
    """Send the merchant's reply on behalf of the Page, in the lane the windows allow."""
    text = check_reply_text(text)
    state = window_state(conversation, now)
    if state.lane is None:
        if conversation.display_name:
            refusal = _("This reply can't be sent: more than 7 days have passed since %(name)s's last "
                        "message, and the Messenger Platform allows replies only up to 7 days after it. "
                        "You can reply once they write again.", name=conversation.display_name)
        else:
            refusal = _("This reply can't be sent: more than 7 days have passed since the customer's last "
                        "message, and the Messenger Platform allows replies only up to 7 days after it. "
                        "You can reply once they write again.")
        raise DomainError(refusal, "text")
    try:
        message = get_transport().send(Outgoing(
            conversation=conversation, kind="text", text=text, lane=state.lane, author="merchant",
        ))
    except SendError as exc:
        db.session.rollback()
        remember_hold(exc)
        raise DomainError(_("The reply was not sent: %(reason)s", reason=exc.message), "text") from exc
    db.session.commit()
    return message

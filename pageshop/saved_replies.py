"""A8: saved replies: texts the merchant keeps for questions that come up again and again.

A saved reply may hold the placeholders of the message customizations (A7), in their syntax:
`{{ first_name }}`, `{{ order_number }}`, `{{ tracking_number }}`, `{{ tracking_link }}` and
`{{ shop_name }}`; any other is refused when it is saved. They are filled with the customer's values
(their latest order's) when the reply is put into the reply box.
"""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError

from . import clock
from .errors import DomainError
from .extensions import db
from .inbox import MAX_REPLY_LENGTH, latest_order
from .messenger.compose import order_values
from .messenger.graph import stand_in_name
from .messenger.message_templates import check_template, fill_known
from .models import Conversation, SavedReply
from .shopper_language import DEFAULT_LANGUAGE, in_language
from .store import find_store
from .validation import column_length

MAX_TITLE_LENGTH = column_length(SavedReply.title)
MAX_MATCHES = 8


def list_saved_replies() -> list[SavedReply]:
    return list(db.session.scalars(db.select(SavedReply).order_by(func.lower(SavedReply.title))))


def get_saved_reply(reply_id: int | None) -> SavedReply | None:
    return db.session.get(SavedReply, reply_id) if reply_id else None


def create_saved_reply(title: str | None, body: str | None) -> SavedReply:
    saved = SavedReply(created_at=clock.now())
    return _save(saved, title, body)


def update_saved_reply(saved: SavedReply, title: str | None, body: str | None) -> SavedReply:
    return _save(saved, title, body)


def delete_saved_reply(saved: SavedReply) -> None:
    db.session.delete(saved)
    db.session.commit()


def _save(saved: SavedReply, title: str | None, body: str | None) -> SavedReply:
    title = " ".join((title or "").split())
    body = (body or "").strip()
    if not title:
        raise DomainError(_("Enter a title."), "title")
    if len(title) > MAX_TITLE_LENGTH:
        raise DomainError(_("A title can have at most %(max)d characters.", max=MAX_TITLE_LENGTH), "title")
    if not body:
        raise DomainError(_("Enter the text of the reply."), "body")
    if len(body) > MAX_REPLY_LENGTH:
        raise DomainError(_("A saved reply can have at most %(max)s characters, like any reply.",
                            max=f"{MAX_REPLY_LENGTH:,}"), "body")
    check_template(body, "body")
    if _title_taken(title, saved.id):
        raise DomainError(_("There is already a saved reply called “%(title)s”.", title=title), "title")
    saved.title = title
    saved.body = body
    db.session.add(saved)
    try:
        db.session.commit()
    except IntegrityError as exc:  # the same title saved at the same moment elsewhere
        db.session.rollback()
        raise DomainError(_("There is already a saved reply called “%(title)s”.", title=title), "title") from exc
    return saved


def _title_taken(title: str, own_id: int | None) -> bool:
    query = db.select(SavedReply.id).where(func.lower(SavedReply.title) == title.lower())
    if own_id is not None:
        query = query.where(SavedReply.id != own_id)
    return db.session.scalars(query.limit(1)).first() is not None


def matching_saved_replies(prefix: str) -> list[SavedReply]:
    """Saved replies whose title starts with `prefix` (any case), for the `/` shortcut."""
    prefix = prefix.strip().lower()
    return list(db.session.scalars(
        db.select(SavedReply)
        .where(func.lower(SavedReply.title).startswith(prefix, autoescape=True))
        .order_by(func.lower(SavedReply.title)).limit(MAX_MATCHES)
    ))


def fill_placeholders(body: str, conversation: Conversation) -> str:
    """The saved reply as the customer should read it, the order values from their latest order.
    Without a known value the text stays readable: "there" for a missing first name; a missing
    order number or tracking number keeps its placeholder, so the merchant sees what to fill in
    before sending."""
    order = latest_order(conversation)
    store = find_store()
    values = order_values(order, store) if order is not None else {"shop_name": store.name if store else ""}
    values["first_name"] = _first_name(conversation) or _("there")
    return fill_known(body, values)


def _first_name(conversation: Conversation) -> str:
    account = conversation.facebook_account
    if account is not None and account.first_name:
        return account.first_name
    name = conversation.display_name or ""
    # A Messenger user whose name the Platform didn't give us is called after their PSID:
    # "Messenger" is no one's first name.
    if conversation.psid and name == stand_in_name(conversation.psid):
        return ""
    return name.split(" ")[0]


def insert_into(current: str | None, filled: str) -> str:
    """The reply box's text with a saved reply put in: replacing the `/title` being typed at the
    end, or after what is already written."""
    current = current or ""
    shortcut = shortcut_prefix(current)
    if shortcut is not None:
        return current[: len(current) - len(shortcut) - 1] + filled
    if current.strip():
        return current.rstrip() + " " + filled
    return filled


def shortcut_prefix(text: str | None) -> str | None:
    """The title being typed after a `/` at the end of the reply box, or None without one."""
    text = text or ""
    slash = text.rfind("/")
    if slash == -1 or (slash > 0 and not text[slash - 1].isspace()):
        return None
    typed = text[slash + 1:]
    if "\n" in typed or len(typed) > MAX_TITLE_LENGTH:
        return None
    return typed


# Translators keep the {{ placeholders }} as they are.
DEMO_SAVED_REPLIES = (
    (_l("Thanks for your order"), _l("Hi {{ first_name }}, thanks for your order {{ order_number }}! "
                                     "We'll let you know here as soon as it ships.")),
    (_l("Shipping times"), _l("Hi {{ first_name }}, orders ship within 3 business days and arrive 3 to 5 "
                              "business days later.")),
    (_l("Returns"), _l("You can return any item within 30 days of delivery. Just reply here and we'll "
                       "send you a return label.")),
)


def add_demo_saved_replies(language: str = DEFAULT_LANGUAGE) -> None:
    """A few saved replies for the demo store (`flask seed`), once, in the merchant's language."""
    if db.session.scalars(db.select(SavedReply.id).limit(1)).first() is not None:
        return
    with in_language(language):
        for title, body in DEMO_SAVED_REPLIES:
            db.session.add(SavedReply(title=str(title), body=str(body), created_at=clock.now()))
    db.session.commit()

"""How a message leaves the Page. One small module per transport (M6):

- `local` (pageshop.messenger.local): the conversation lives in Pageshop (S10).
- `graph` (pageshop.messenger.graph): the Messenger Platform's Send API.

Every transport also stores the sent message in the conversation, so the admin's inbox and the
order's timeline show it whatever the transport.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from flask import current_app

from ..models import Conversation, Message


@dataclass
class Outgoing:
    conversation: Conversation
    # text, receipt, shipping_update, delivery_update, product_cards, quick_replies, notice
    kind: str
    text: str
    lane: str  # RESPONSE, UPDATE, UTILITY or HUMAN_AGENT
    author: str = "page"  # page (automated) or merchant
    payload: dict[str, Any] | None = field(default=None)
    notification_id: int | None = None
    # Graph transport: {"id": psid} or {"user_ref": ...}; None means the conversation's PSID.
    recipient: dict[str, str] | None = None


class SendError(Exception):
    """The transport could not deliver. `transient` errors are retried by the outbox;
    `hold` means stop sending until the merchant reconnects (e.g. an expired Page token)."""

    def __init__(self, message: str, *, transient: bool, hold: bool = False, code: int | None = None):
        super().__init__(message)
        self.message = message
        self.transient = transient
        self.hold = hold
        self.code = code


class Transport(Protocol):
    name: str

    def send(self, outgoing: Outgoing) -> Message:
        """Deliver the message and return it as stored (added to the session, not committed)."""


def get_transport() -> Transport:
    name = current_app.config.get("MESSENGER_TRANSPORT", "local")
    if name == "local":
        from .local import LocalTransport

        return LocalTransport()
    if name == "graph":
        from .graph import GraphTransport  # built by the Messenger Platform issue

        return GraphTransport.from_config(current_app.config)
    raise RuntimeError(f"Unknown MESSENGER_TRANSPORT {name!r}: use 'local' or 'graph'.")


def remember_hold(error: SendError) -> None:
    """After a failed direct send (a chat answer, an inbox reply): an expired Page token is shown to
    the merchant as "needs reconnection", as the outbox does for order updates."""
    if not error.hold:
        return
    from ..extensions import db
    from ..models import Store

    store = db.session.scalars(db.select(Store).order_by(Store.id).limit(1)).first()
    if store is not None:
        store.messenger_needs_reconnect = True
        db.session.commit()

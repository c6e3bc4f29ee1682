"""How a message leaves the Page. One small module per transport (M6):

- `local` (pageshop.messenger.local): the conversation lives in Pageshop (S10).
- `graph` (pageshop.messenger.graph): the Messenger Platform's Send API.

What differs between them is said by the `Transport` they implement (how the checkout asks for the
opt-in, whether a send shares the database transaction, who can be addressed, whether the Page must
stay connected), never by testing a transport's name: a third transport is one new module.

Every transport also stores the sent message in the conversation, so the admin's inbox and the
order's timeline show it whatever the transport.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import current_app

from ..models import Conversation, Message, Subscription


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
    # The shopper's language ("en", "de"): the order's, for messages about an order. None: the
    # language of the moment (a reply in the shopper's own request).
    locale: str | None = None


class SendError(Exception):
    """The transport could not deliver.

    - `transient`: worth another try of this message later (with backoff);
    - `platform_wide`: the Platform fails every send (5xx, codes 1/2, rate limits, timeouts): the
      outbox pauses the channel instead of spending each message's tries;
    - `unknown_outcome`: the request may have reached the Platform (no answer in time, connection
      lost): not resent blind, the outbox waits for its echo first;
    - `hold`: stop sending until the merchant reconnects the Page (an expired token, a restriction).
    """

    def __init__(self, message: str, *, transient: bool, hold: bool = False, code: int | None = None,
                 subcode: int | None = None, platform_wide: bool = False, unknown_outcome: bool = False):
        super().__init__(message)
        self.message = message
        self.transient = transient or platform_wide
        self.hold = hold
        self.code = code
        self.subcode = subcode
        self.platform_wide = platform_wide
        self.unknown_outcome = unknown_outcome

    @property
    def outside_window(self) -> bool:
        """The Platform's own clock says the 24-hour window is closed (error 10/2018278)."""
        return self.code == 10 and self.subcode == 2018278


class Transport:
    """What the engine asks of a transport; the `local` one's answers are the defaults."""

    name = ""
    # The message is stored and the notification marked sent in one transaction, so a crash can
    # neither lose nor double it. A remote send can't be part of our transaction.
    shares_transaction = True
    # Sending depends on the merchant's connection to a Page (a token that can expire).
    needs_connection = False
    # What the checkout shows to ask for the opt-in (inside _messenger_optin.html).
    checkout_opt_in_template = "storefront/_messenger_optin_account.html"
    # What the Content-Security-Policy admits beyond our own origin (pageshop.security): on the pages
    # of the opt-in (the checkout, and the order status page that confirms it), and images in the admin.
    opt_in_page_sources: dict[str, list[str]] = {}
    admin_image_sources: list[str] = []

    def check_ready(self) -> None:
        """Raise SendError(hold=True) while the transport lacks its settings."""

    def checkout_user_ref(self, form: Mapping[str, str]) -> str | None:
        """The opt-in's reference posted by the checkout, when the opt-in is made by a plugin."""
        return None

    def opt_in_confirmed(self, subscription: Subscription) -> bool:
        """May the subscription be messaged yet (a plugin's opt-in waits for its confirmation)?"""
        return True

    def conversation_for(self, subscription: Subscription) -> Conversation | None:
        """The conversation the subscription's updates go to; None: nobody can be addressed."""
        if subscription.facebook_account is None:
            return None
        from .conversations import open_conversation

        return open_conversation(subscription.page, subscription.facebook_account)

    def reaches(self, conversation: Conversation, lane: str) -> bool:
        """Can a message in this lane be addressed to the conversation's person now?"""
        return True

    def send(self, outgoing: Outgoing) -> Message:
        """Deliver the message and return it as stored (added to the session, not committed)."""
        raise NotImplementedError


def get_transport() -> Transport:
    name = current_app.config.get("MESSENGER_TRANSPORT", "local")
    if name == "local":
        from .local import LocalTransport

        return LocalTransport()
    if name == "graph":
        from .graph import GraphTransport

        return GraphTransport(current_app.config)
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
        hold(store, error)
        db.session.commit()


def hold(store, error: SendError) -> None:
    """The channel needs the merchant: reconnect the Page, or wait out Meta's restriction."""
    store.messenger_needs_reconnect = True
    store.messenger_hold_reason = error.message if error.code != 190 and error.code is not None else None

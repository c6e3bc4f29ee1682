"""The shop's data. Money is in cents, times are naive UTC (see pageshop.clock)."""
from __future__ import annotations

import secrets
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from . import clock
from .extensions import db
from .search import attach_indexes, fold


class PasswordMixin:
    password_hash: Mapped[str]
    # Written into the session at sign-in; moving it on ends every copy of the account's sessions.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    def set_password(self, password: str) -> None:
        # Tests choose a cheap method; everything else uses werkzeug's default (scrypt).
        method = current_app.config.get("PASSWORD_HASH_METHOD") if has_app_context() else None
        self.password_hash = generate_password_hash(password, **({"method": method} if method else {}))
        # A new password ends the sessions signed in with the old one.
        self.session_generation = (self.session_generation or 0) + 1

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)


def one_of(column: str, values: type[StrEnum]) -> str:
    """A CHECK constraint's condition: the column holds one of the enum's values."""
    return f"{column} IN ({','.join(repr(str(value)) for value in values)})"


class SalesChannel(StrEnum):
    """Where the order was placed."""

    FACEBOOK_CHECKOUT = "facebook_checkout"
    ONLINE_STORE = "online_store"
    MESSENGER = "messenger"


class Checkout(StrEnum):
    """Which checkout took the order (and which one the store chose): Facebook's or its own."""

    FACEBOOK = "facebook"
    STORE = "store"


class FulfillmentStatus(StrEnum):
    """An order's way to the shopper, one step at a time (pageshop.orders)."""

    UNFULFILLED = "unfulfilled"
    FULFILLED = "fulfilled"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"


# --- people -----------------------------------------------------------------


class AdminUser(PasswordMixin, db.Model):
    __tablename__ = "admin_users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    # The admin's language switch's choice (pageshop.languages); None: the browser's language.
    language: Mapped[str | None] = mapped_column(String(8))


class FacebookAccount(PasswordMixin, db.Model):
    """A shopper's Facebook account; the app plays Facebook."""

    __tablename__ = "facebook_accounts"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    avatar_color: Mapped[str] = mapped_column(String(7), default="#1877f2")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)

    @property
    def first_name(self) -> str:
        return self.name.split(" ")[0] if self.name else ""

    @property
    def initials(self) -> str:
        return "".join(part[0] for part in self.name.split()[:2]).upper()


# --- the store and its Pages -----------------------------------------------------


class FacebookPage(db.Model):
    __tablename__ = "facebook_pages"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    about: Mapped[str] = mapped_column(Text, default="")
    avatar_color: Mapped[str] = mapped_column(String(7), default="#1877f2")
    cover_color: Mapped[str] = mapped_column(String(7), default="#dfe3ee")
    # The Page's id on the real Messenger Platform, when connected (graph transport).
    platform_page_id: Mapped[str | None] = mapped_column(String(64))


class Store(db.Model):
    """The one store this installation runs, with its channel settings (A5, A6)."""

    __tablename__ = "stores"
    __table_args__ = (
        CheckConstraint("review_state IN ('not_submitted','submitted','approved')", name="review_state"),
        CheckConstraint(one_of("checkout_choice", Checkout), name="checkout_choice"),
        CheckConstraint("buy_now_destination IN ('shop','online_store')", name="buy_now_destination"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    country: Mapped[str] = mapped_column(String(2), default="US")
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    email: Mapped[str] = mapped_column(String(254))  # sender of the store's own e-mails
    support_email: Mapped[str] = mapped_column(String(254))
    # Facebook channel (A5)
    facebook_page_id: Mapped[int | None] = mapped_column(ForeignKey("facebook_pages.id"))
    review_state: Mapped[str] = mapped_column(String(20), default="not_submitted")
    checkout_choice: Mapped[str] = mapped_column(String(10), default="store")
    buy_now_destination: Mapped[str] = mapped_column(String(20), default="shop")
    ship_by_business_days: Mapped[int] = mapped_column(Integer, default=3)
    # Messenger channel (A6): the Page it is added to; None while removed.
    messenger_page_id: Mapped[int | None] = mapped_column(ForeignKey("facebook_pages.id"))
    # Set when the Platform said the Page token expired (code 190); messages are held.
    messenger_needs_reconnect: Mapped[bool] = mapped_column(Boolean, default=False)
    # Why messages are held when it isn't the token (e.g. Meta restricted the Page: 10/1893063).
    messenger_hold_reason: Mapped[str | None] = mapped_column(Text)
    next_order_number: Mapped[int] = mapped_column(Integer, default=1001)

    facebook_page: Mapped[FacebookPage | None] = relationship(foreign_keys=[facebook_page_id])
    messenger_page: Mapped[FacebookPage | None] = relationship(foreign_keys=[messenger_page_id])

    @property
    def messenger_active(self) -> bool:
        return self.messenger_page_id is not None


class ShippingRate(db.Model):
    __tablename__ = "shipping_rates"
    __table_args__ = (CheckConstraint("price_cents >= 0", name="price_not_negative"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    price_cents: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)


# --- the catalog's version (issue 12) ----------------------------------------------------


class CatalogVersion(db.Model):
    """One row whose number moves on in the same transaction as every change to what the catalog
    pages show (pageshop.page_cache): every process sees the change at its next request."""

    __tablename__ = "catalog_version"
    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


def first_catalog_version() -> dict:
    """The row a new database starts with. A random start: two databases (a reset demo, the tests')
    sharing one Redis never share a version, so never a cached page."""
    return {"id": 1, "value": secrets.randbits(48)}


@event.listens_for(CatalogVersion.__table__, "after_create")
def _insert_first_catalog_version(table, connection, **_kw):
    connection.execute(table.insert().values(**first_catalog_version()))


# --- catalog (A2) ------------------------------------------------------------------

product_collections = Table(
    "product_collections",
    db.metadata,
    Column("product_id", ForeignKey("products.id", ondelete="CASCADE"), primary_key=True),
    Column("collection_id", ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True),
    # A collection's products (the key starts with the product).
    Index("ix_product_collections_collection_id", "collection_id", "product_id"),
)


class Collection(db.Model):
    __tablename__ = "collections"
    id: Mapped[int] = mapped_column(primary_key=True)
    handle: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    products: Mapped[list[Product]] = relationship(
        secondary=product_collections, back_populates="collections"
    )


def trigram_index(name: str) -> Index:
    """PostgreSQL's trigram index on the folded search text (SQLite has its FTS5 table instead)."""
    return Index(name, "search_text", postgresql_using="gin",
                 postgresql_ops={"search_text": "gin_trgm_ops"}).ddl_if(dialect="postgresql")


class Product(db.Model):
    __tablename__ = "products"
    __table_args__ = (
        # (title, id): the listings' order, and their keyset pagination's cursor.
        Index("ix_products_facebook_title", "published_facebook", "title", "id"),
        Index("ix_products_online_title", "published_online_store", "title", "id"),
        trigram_index("ix_products_search_text"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    handle: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    # The title folded for search (pageshop.search), set whenever the product is saved.
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    description: Mapped[str] = mapped_column(Text, default="")
    image_filename: Mapped[str | None] = mapped_column(String(255))
    published_online_store: Mapped[bool] = mapped_column(Boolean, default=True)
    published_facebook: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)

    variants: Mapped[list[Variant]] = relationship(
        back_populates="product", order_by="Variant.position", cascade="all, delete-orphan"
    )
    collections: Mapped[list[Collection]] = relationship(
        secondary=product_collections, back_populates="products"
    )

    @property
    def sold_out(self) -> bool:
        return all(v.stock <= 0 for v in self.variants)

    @property
    def min_price_cents(self) -> int:
        return min((v.price_cents for v in self.variants), default=0)


# The title of a product's only variant when it has no options: shoppers never see it.
DEFAULT_VARIANT_TITLE = "Default"


def shown_variant_title(title: str | None) -> str:
    """A variant's title as shoppers see it beside the product's: "" for the Default variant."""
    return "" if not title or title == DEFAULT_VARIANT_TITLE else title


class Variant(db.Model):
    __tablename__ = "variants"
    __table_args__ = (
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint("price_cents >= 0", name="price_not_negative"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200), default=DEFAULT_VARIANT_TITLE)
    sku: Mapped[str] = mapped_column(String(64), default="")
    price_cents: Mapped[int] = mapped_column(Integer)
    stock: Mapped[int] = mapped_column(Integer, default=0)
    position: Mapped[int] = mapped_column(Integer, default=0)

    product: Mapped[Product] = relationship(back_populates="variants")


class DiscountKind(StrEnum):
    PERCENTAGE = "percentage"  # value: percent off, 1 to 100
    FIXED = "fixed"  # value: cents off


class DiscountCode(db.Model):
    __tablename__ = "discount_codes"
    __table_args__ = (
        CheckConstraint(one_of("kind", DiscountKind), name="kind"),
        CheckConstraint("value > 0", name="value_positive"),
        CheckConstraint("kind != 'percentage' OR value <= 100", name="percentage_max"),
        CheckConstraint("usage_limit IS NULL OR times_used <= usage_limit", name="usage_limit"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)  # stored upper-case
    kind: Mapped[str] = mapped_column(String(12))
    value: Mapped[int] = mapped_column(Integer)  # percent, or cents for fixed
    starts_at: Mapped[datetime | None] = mapped_column(DateTime)
    ends_at: Mapped[datetime | None] = mapped_column(DateTime)
    usage_limit: Mapped[int | None] = mapped_column(Integer)
    times_used: Mapped[int] = mapped_column(Integer, default=0)


class Cart(db.Model):
    __tablename__ = "carts"
    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    items: Mapped[list[CartItem]] = relationship(
        back_populates="cart", cascade="all, delete-orphan", order_by="CartItem.id"
    )


class CartItem(db.Model):
    __tablename__ = "cart_items"
    __table_args__ = (
        UniqueConstraint("cart_id", "variant_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    cart_id: Mapped[int] = mapped_column(ForeignKey("carts.id", ondelete="CASCADE"), index=True)
    variant_id: Mapped[int] = mapped_column(ForeignKey("variants.id", ondelete="CASCADE"))
    quantity: Mapped[int] = mapped_column(Integer)
    cart: Mapped[Cart] = relationship(back_populates="items")
    variant: Mapped[Variant] = relationship()


# --- orders (S5, S7, A3) ------------------------------------------------------------


class Order(db.Model):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint(one_of("sales_channel", SalesChannel), name="sales_channel"),
        CheckConstraint(one_of("checkout", Checkout), name="checkout"),
        CheckConstraint(one_of("fulfillment_status", FulfillmentStatus), name="fulfillment_status"),
        CheckConstraint("total_cents >= 0", name="total_not_negative"),
        # Newest first, alone or within a status or channel: the list's order and keyset cursor.
        Index("ix_orders_placed_at_id", "placed_at", "id"),
        Index("ix_orders_status_placed_at", "fulfillment_status", "placed_at", "id"),
        Index("ix_orders_channel_placed_at", "sales_channel", "placed_at", "id"),
        trigram_index("ix_orders_search_text"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    # The order status page's secret (S7): 32 random bytes, URL-safe.
    token: Mapped[str] = mapped_column(String(64), unique=True)
    # One order per checkout form, however often it is submitted.
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    sales_channel: Mapped[str] = mapped_column(String(20))
    checkout: Mapped[str] = mapped_column(String(10))
    fulfillment_status: Mapped[str] = mapped_column(String(20), default=FulfillmentStatus.UNFULFILLED)
    financial_status: Mapped[str] = mapped_column(String(20), default="paid")

    email: Mapped[str] = mapped_column(String(254), index=True)
    first_name: Mapped[str] = mapped_column(String(120))
    last_name: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(255))
    city: Mapped[str] = mapped_column(String(120))
    region: Mapped[str] = mapped_column(String(120), default="")
    postal_code: Mapped[str] = mapped_column(String(20))
    country: Mapped[str] = mapped_column(String(2))

    currency: Mapped[str] = mapped_column(String(3), default="USD")
    # The language the shopper checked out in: every e-mail and Messenger message about the order
    # is written in it (pageshop.languages), whoever or whatever sends it.
    locale: Mapped[str] = mapped_column(String(10), default="en", server_default="en")
    subtotal_cents: Mapped[int] = mapped_column(Integer)
    discount_cents: Mapped[int] = mapped_column(Integer, default=0)
    shipping_cents: Mapped[int] = mapped_column(Integer, default=0)
    total_cents: Mapped[int] = mapped_column(Integer)
    discount_code: Mapped[str | None] = mapped_column(String(64))
    shipping_rate_name: Mapped[str] = mapped_column(String(80), default="")
    payment_gateway: Mapped[str] = mapped_column(String(40), default="bogus")
    payment_reference: Mapped[str] = mapped_column(String(64), default="")
    card_last_digits: Mapped[str] = mapped_column(String(4), default="")

    facebook_account_id: Mapped[int | None] = mapped_column(ForeignKey("facebook_accounts.id"), index=True)
    page_id: Mapped[int | None] = mapped_column(ForeignKey("facebook_pages.id"))

    carrier: Mapped[str | None] = mapped_column(String(80))
    tracking_number: Mapped[str | None] = mapped_column(String(120))
    tracking_url: Mapped[str | None] = mapped_column(String(500))

    placed_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    fulfilled_at: Mapped[datetime | None] = mapped_column(DateTime)
    out_for_delivery_at: Mapped[datetime | None] = mapped_column(DateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime)
    ship_by: Mapped[date | None] = mapped_column(Date)  # Facebook checkout only
    # Name and e-mail folded for the admin's search (pageshop.search), set whenever it is saved.
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The e-mail folded, so that a whole address finds its orders at once whatever its case.
    search_email: Mapped[str] = mapped_column(String(254), default="", server_default="", index=True)

    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.id"
    )
    events: Mapped[list[OrderEvent]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderEvent.id"
    )
    facebook_account: Mapped[FacebookAccount | None] = relationship()
    subscription: Mapped[Subscription | None] = relationship(back_populates="order", uselist=False)

    @property
    def name(self) -> str:
        return f"#{self.number}"

    @hybrid_property
    def placed_with_facebook_checkout(self) -> bool:
        """On the Page or from a Messenger product card: what Facebook's deadlines apply to."""
        return self.checkout == Checkout.FACEBOOK

    @property
    def customer_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class OrderLine(db.Model):
    __tablename__ = "order_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    variant_id: Mapped[int | None] = mapped_column(ForeignKey("variants.id", ondelete="SET NULL"))
    product_title: Mapped[str] = mapped_column(String(200))
    variant_title: Mapped[str] = mapped_column(String(200))
    price_cents: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)
    order: Mapped[Order] = relationship(back_populates="lines")

    @property
    def total_cents(self) -> int:
        return self.price_cents * self.quantity

    @property
    def shown_variant_title(self) -> str:
        return shown_variant_title(self.variant_title)


class OrderEvent(db.Model):
    """The order's timeline: placed, fulfilled, out_for_delivery, delivered, and notes."""

    __tablename__ = "order_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    # Before revision f020067c273c the text itself, in the language of whoever caused it; now
    # empty for the kinds pageshop.order_events words, which it writes in the viewer's language
    # from `params`.
    message: Mapped[str] = mapped_column(Text, default="")
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default="{}")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    order: Mapped[Order] = relationship(back_populates="events")

    @property
    def text(self) -> str:
        from .order_events import describe

        return describe(self)


# --- e-mail (S5, S8, A9) --------------------------------------------------------------


class EmailState(StrEnum):
    QUEUED = "queued"  # waiting to be sent or retried
    SENT = "sent"
    NOT_SENT = "not_sent"  # no SMTP server configured: kept, sent once one is
    FAILED = "failed"


class Email(db.Model):
    """Every e-mail the shop sends, kept until sent; the admin's e-mail log."""

    __tablename__ = "emails"
    __table_args__ = (
        CheckConstraint(one_of("state", EmailState), name="state"),
        Index("ix_emails_due", "state", "next_attempt_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    # Makes "one confirmation per order" a database rule (e.g. "order-confirmation:17").
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"), index=True)
    sender_name: Mapped[str] = mapped_column(String(120))
    sender_email: Mapped[str] = mapped_column(String(254))
    recipient: Mapped[str] = mapped_column(String(254))
    reply_to: Mapped[str | None] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(12), default=EmailState.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)


# --- Messenger (M1-M6, S10, A4, A6-A8) ---------------------------------------------------


class Conversation(db.Model):
    """A Facebook account's conversation with one Page."""

    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("page_id", "facebook_account_id"),
        UniqueConstraint("page_id", "psid"),
        # The inbox's order (latest message first) and its keyset cursor.
        Index("ix_conversations_last_message_at_id", "last_message_at", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("facebook_pages.id"))
    facebook_account_id: Mapped[int | None] = mapped_column(ForeignKey("facebook_accounts.id"))
    # Page-scoped id of the person on the real Messenger Platform (graph transport).
    psid: Mapped[str | None] = mapped_column(String(64))
    # Graph transport: the checkbox opt-in's user_ref, while the person's PSID is not known yet.
    user_ref: Mapped[str | None] = mapped_column(String(120), index=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    # Graph transport: the person's picture from the User Profile API, and when it was last asked.
    picture_url: Mapped[str | None] = mapped_column(String(1000))
    profile_checked_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The person's last action towards the Page, by the Platform's clock: opens the 24-hour window
    # and, for 7 days, human-agent replies (M4, A8).
    last_customer_action_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The person's last own message.
    last_customer_message_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_message_at: Mapped[datetime | None] = mapped_column(DateTime)
    unread_count: Mapped[int] = mapped_column(Integer, default=0)
    # What the Page is waiting for from this person, e.g. "search_query".
    awaiting: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)

    page: Mapped[FacebookPage] = relationship()
    facebook_account: Mapped[FacebookAccount | None] = relationship()
    messages: Mapped[list[Message]] = relationship(
        back_populates="conversation", order_by="Message.id", cascade="all, delete-orphan"
    )


class Message(db.Model):
    """One message in a conversation, either way."""

    __tablename__ = "messages"
    __table_args__ = (
        CheckConstraint("direction IN ('in','out')", name="direction"),
        CheckConstraint(
            "lane IS NULL OR lane IN ('RESPONSE','UPDATE','UTILITY','HUMAN_AGENT')", name="lane"
        ),
        Index("ix_messages_conversation_id_id", "conversation_id", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    direction: Mapped[str] = mapped_column(String(3))
    # text, receipt, shipping_update, delivery_update, product_cards, quick_replies, notice, postback
    kind: Mapped[str] = mapped_column(String(30), default="text")
    text: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    lane: Mapped[str | None] = mapped_column(String(12))
    # page (automated), merchant (a person in the admin), customer
    author: Mapped[str] = mapped_column(String(10), default="page")
    # At most one message per notification, enforced by the database (M3).
    notification_id: Mapped[int | None] = mapped_column(
        ForeignKey("notifications.id", ondelete="SET NULL"), unique=True
    )
    # The Platform's message id, so a webhook delivered twice is stored once.
    mid: Mapped[str | None] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)

    conversation: Mapped[Conversation] = relationship(back_populates="messages")


class SubscriptionState(StrEnum):
    ACTIVE = "active"
    TURNED_OFF = "turned_off"  # by the shopper (S10)
    MUTED = "muted"  # by the merchant (A4)


class Subscription(db.Model):
    """An opt-in: one order's updates go to one Facebook account at one Page (M1)."""

    __tablename__ = "subscriptions"
    __table_args__ = (
        CheckConstraint(one_of("state", SubscriptionState), name="state"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("facebook_pages.id"))
    facebook_account_id: Mapped[int | None] = mapped_column(ForeignKey("facebook_accounts.id"), index=True)
    # Graph transport: the checkbox plugin's user_ref until the first message gives the PSID.
    user_ref: Mapped[str | None] = mapped_column(String(120), unique=True)
    psid: Mapped[str | None] = mapped_column(String(64), index=True)
    # When the Platform confirmed the checkbox opt-in (messaging_optins webhook, or the first message
    # that names the user_ref). Until then nothing is sent to the user_ref.
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime)
    state: Mapped[str] = mapped_column(String(12), default=SubscriptionState.ACTIVE)
    state_changed_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)

    order: Mapped[Order] = relationship(back_populates="subscription")
    facebook_account: Mapped[FacebookAccount | None] = relationship()
    page: Mapped[FacebookPage] = relationship()


NOTIFICATION_EVENTS = ("order_confirmation", "shipping_update", "out_for_delivery", "delivered")


class NotificationState(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"  # a try is on its way to a remote transport
    UNCONFIRMED = "unconfirmed"  # the try's outcome is unknown: waiting for the Platform's echo
    SENT = "sent"
    EMAILED = "emailed"  # Messenger couldn't reach the shopper: the update went by e-mail
    SKIPPED = "skipped"
    FAILED = "failed"
    HELD = "held"  # until the merchant reconnects the Page


class Notification(db.Model):
    """The outbox (M3): written with the event, sent by the worker, exactly once."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("order_id", "event", "channel"),
        CheckConstraint(one_of("state", NotificationState), name="state"),
        Index("ix_notifications_due", "state", "next_attempt_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(30))
    channel: Mapped[str] = mapped_column(String(20), default="messenger")
    state: Mapped[str] = mapped_column(String(12), default=NotificationState.QUEUED)
    # Tries that reached the transport, counted once each.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # When queued: the next try; when unconfirmed: until when the echo is awaited.
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The retry budget (a duration, MESSENGER_RETRY_BUDGET_SECONDS) runs from here; "Retry" restarts it.
    budget_started_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The message of the try on its way, as composed: an echo that confirms it stores it from here.
    outgoing: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Sent again because no echo confirmed an unknown outcome: done at most once.
    resent_unconfirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    # Rebuilt as the utility template after the Platform said "outside the window": at most once.
    rebuilt_as_utility: Mapped[bool] = mapped_column(Boolean, default=False)
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(Text)
    skipped_reason: Mapped[str | None] = mapped_column(Text)
    lane: Mapped[str | None] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)

    order: Mapped[Order] = relationship()
    subscription: Mapped[Subscription] = relationship()


class MessageTemplate(db.Model):
    """The merchant's customization of one notification in one language (A7); absent means that
    language's default."""

    __tablename__ = "message_templates"
    __table_args__ = (UniqueConstraint("event", "locale"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event: Mapped[str] = mapped_column(String(30))
    locale: Mapped[str] = mapped_column(String(10), default="en", server_default="en")
    body: Mapped[str] = mapped_column(Text)
    promo_note: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)


class SavedReply(db.Model):
    __tablename__ = "saved_replies"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120), unique=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)


class Inquiry(db.Model):
    """A "Contact seller" message (S8, A8)."""

    __tablename__ = "inquiries"
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    facebook_account_id: Mapped[int | None] = mapped_column(ForeignKey("facebook_accounts.id"))
    name: Mapped[str] = mapped_column(String(240))
    email: Mapped[str] = mapped_column(String(254))
    message: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now, index=True)
    answer_due_at: Mapped[datetime | None] = mapped_column(DateTime)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)
    answer: Mapped[str | None] = mapped_column(Text)

    order: Mapped[Order] = relationship()


class MessengerPause(db.Model):
    """The channel's circuit breaker, shared by every worker: while the Messenger Platform fails
    every send (5xx, codes 1/2, timeouts) the outbox pauses and one probe at a time tries again."""

    __tablename__ = "messenger_pauses"
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20), unique=True)
    # None while the channel is working.
    failing_since: Mapped[datetime | None] = mapped_column(DateTime)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    next_probe_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The probe on its way: nobody else probes until it reports or this passes.
    probe_until: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


class WebhookReceipt(db.Model):
    """A Messenger Platform webhook event already processed (dedupe of retried deliveries)."""

    __tablename__ = "webhook_receipts"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    received_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)


class WebhookDelivery(db.Model):
    """A Messenger Platform webhook call as received (raw, signature checked): kept before the 200
    is sent, processed by the worker, so nothing is lost and the Platform never waits."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_due", "processed_at", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    processed_at: Mapped[datetime | None] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


# --- search (pageshop.search) ----------------------------------------------------------------


def product_search_text(title: str | None) -> str:
    return fold(title)


def order_search_text(first_name: str | None, last_name: str | None, email: str | None) -> str:
    return fold(f"{first_name or ''} {last_name or ''} {email or ''}")


@event.listens_for(Product, "before_insert")
@event.listens_for(Product, "before_update")
def _fold_product_title(_mapper, _connection, product: Product) -> None:
    product.search_text = product_search_text(product.title)


@event.listens_for(Order, "before_insert")
@event.listens_for(Order, "before_update")
def _fold_order_customer(_mapper, _connection, order: Order) -> None:
    order.search_text = order_search_text(order.first_name, order.last_name, order.email)
    order.search_email = fold(order.email)


attach_indexes(db.metadata, [Product.__table__, Order.__table__])

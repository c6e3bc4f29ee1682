"""The two checkouts (S5): Facebook checkout and the store's own checkout, and what the shopper sees
of an order afterwards (S7, S9).

Each rule lives in one function here, used by the checkout form, its view and the purchase from a
Messenger product card alike. `place_order` writes the order, takes the stock, counts the discount
code's use, publishes "order_placed" and queues the confirmation e-mail in one transaction: either
all of it happens or none of it.
"""
from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import render_template
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from . import clock, events, mail
from .business_days import add_business_days
from .cart import cart_lines, clear_cart, get_cart
from .catalog import published_on
from .channels import effective_checkout, facebook_shop_open
from .discounts import discount_amount, find_valid_code, normalize_code, use_code
from .errors import DomainError
from .extensions import db
from .ids import parse_id
from .localized import country_name, is_country
from .models import (
    Checkout,
    DiscountCode,
    FacebookAccount,
    Order,
    OrderEvent,
    OrderLine,
    Product,
    SalesChannel,
    ShippingRate,
    Store,
    Variant,
    shown_variant_title,
)
from .money import format_money
from .payments import charge, check_card_number
from .shopper_language import DEFAULT_LANGUAGE, in_language, language_of
from .validation import check_email, check_length

MAX_QUANTITY = 999


# --- which checkout ---------------------------------------------------------------------


@dataclass(frozen=True)
class CheckoutKind:
    checkout: Checkout
    sales_channel: SalesChannel

    @property
    def is_facebook(self) -> bool:
        return self.checkout == Checkout.FACEBOOK

    @property
    def channel(self) -> str:
        """The channel whose products this checkout sells: Facebook's for Facebook checkout and
        Messenger, the online store's for the store's own checkout."""
        if self.is_facebook or self.sales_channel == SalesChannel.MESSENGER:
            return "facebook"
        return "online_store"


def checkout_kind(store: Store, source: str | None = None) -> CheckoutKind:
    """The checkout a purchase goes through: the store's own for one made in the online store;
    otherwise the store's effective choice (Facebook checkout only while the store is eligible),
    for a purchase from a Messenger product card too."""
    if source == SalesChannel.ONLINE_STORE:
        return CheckoutKind(Checkout.STORE, SalesChannel.ONLINE_STORE)
    checkout = effective_checkout(store)
    if source == SalesChannel.MESSENGER:
        return CheckoutKind(checkout, SalesChannel.MESSENGER)
    if checkout == Checkout.FACEBOOK:
        return CheckoutKind(Checkout.FACEBOOK, SalesChannel.FACEBOOK_CHECKOUT)
    return CheckoutKind(Checkout.STORE, SalesChannel.ONLINE_STORE)


def unavailable_reason(store: Store, kind: CheckoutKind, product: Product) -> str | None:
    """Why this checkout can't sell the product, or None when it can: a checkout sells only what
    is published to its channel, and Facebook sells nothing before its review approved the shop."""
    if not (product.published_facebook or product.published_online_store):
        return _("%(product)s is no longer available.", product=product.title)
    if kind.channel == "facebook":
        if not product.published_facebook:
            return _("%(product)s can't be bought on Facebook.", product=product.title)
        if not facebook_shop_open(store):
            return _("%(product)s can't be bought on Facebook yet: the Page's shop opens once "
                     "Facebook has approved it.", product=product.title)
    elif not product.published_online_store:
        return _("%(product)s can't be bought in the online store.", product=product.title)
    return None


# --- the rules -------------------------------------------------------------------------


def check_shipping_country(kind: CheckoutKind, country: str | None) -> str:
    """The country code to ship to; Facebook checkout ships only within the United States."""
    code = (country or "").strip().upper()
    if not is_country(code):
        raise DomainError(_("Choose a country."), "country")
    if kind.is_facebook and code != "US":
        raise DomainError(
            _("Facebook checkout ships only to addresses in the United States; "
              "%(country)s isn't possible.", country=country_name(code)),
            "country",
        )
    return code


def check_discount_allowed(kind: CheckoutKind, code: str | None) -> str:
    """The code as stored (upper case), or "" for none; Facebook checkout takes no discount codes."""
    code = normalize_code(code)
    if code and kind.is_facebook:
        raise DomainError(_("Discount codes can't be used with Facebook checkout."), "discount_code")
    return code


def find_discount(kind: CheckoutKind, code: str | None) -> DiscountCode | None:
    """The usable discount code the shopper entered (None for none), or why it can't be used."""
    code = check_discount_allowed(kind, code)
    return find_valid_code(code) if code else None


# --- what is being bought ----------------------------------------------------------------


class Unavailable(DomainError):
    """An item the checkout can't sell (see unavailable_reason)."""


class SoldOut(DomainError):
    """An item's stock can't cover the quantity any more; says which product it is."""

    def __init__(self, message: str, product_handle: str, variant_id: int):
        super().__init__(message)
        self.product_handle = product_handle
        self.variant_id = variant_id


@dataclass
class CheckoutLine:
    variant: Variant
    quantity: int
    in_cart: bool = False  # the wording of an error depends on it: a cart line can be removed

    @property
    def product_title(self) -> str:
        return self.variant.product.title

    @property
    def variant_title(self) -> str:
        return self.variant.title

    @property
    def shown_variant_title(self) -> str:
        return shown_variant_title(self.variant.title)

    @property
    def title(self) -> str:
        """ "Linen Apron (Small)", or the product's title alone for its Default variant."""
        variant = self.shown_variant_title
        return f"{self.product_title} ({variant})" if variant else self.product_title

    @property
    def price_cents(self) -> int:
        return self.variant.price_cents

    @property
    def total_cents(self) -> int:
        return self.variant.price_cents * self.quantity


def buy_now_lines(variant_id, quantity) -> list[CheckoutLine]:
    """The one item of a "Buy Now" (?variant=<id>&quantity=<n>)."""
    variant_id = parse_id(variant_id)
    if variant_id is None:
        raise DomainError(_("This product is no longer available."), "variant")
    try:
        quantity = int(quantity) if quantity not in (None, "") else 1
    except (TypeError, ValueError):
        quantity = 0
    if not 1 <= quantity <= MAX_QUANTITY:
        raise DomainError(_("Enter a quantity from 1 to %(max)d.", max=MAX_QUANTITY), "quantity")
    variant = db.session.scalars(
        select(Variant).where(Variant.id == variant_id).options(joinedload(Variant.product))
    ).first()
    if variant is None:
        raise DomainError(_("This product is no longer available."), "variant")
    return [CheckoutLine(variant, quantity)]


def cart_checkout_lines(cart_token: str | None) -> list[CheckoutLine]:
    summary = cart_lines(get_cart(cart_token))
    return [CheckoutLine(line.variant, line.quantity, in_cart=True) for line in summary.lines]


def check_lines_available(store: Store, kind: CheckoutKind, lines: list[CheckoutLine]) -> None:
    """Refuse the first item this checkout can't sell, saying why (and, in a cart, what to do)."""
    for line in lines:
        reason = unavailable_reason(store, kind, line.variant.product)
        if reason is not None:
            raise _unavailable(line, reason)


def _unavailable(line: CheckoutLine, reason: str) -> Unavailable:
    if line.in_cart:
        return Unavailable(_("%(reason)s Remove it from your cart to place your order.", reason=reason))
    return Unavailable(reason)


def shipping_rates() -> list[ShippingRate]:
    return list(db.session.scalars(select(ShippingRate).order_by(ShippingRate.position, ShippingRate.id)))


def find_shipping_rate(rate_id) -> ShippingRate:
    rate_id = parse_id(rate_id)
    rate = db.session.get(ShippingRate, rate_id) if rate_id else None
    if rate is None:
        raise DomainError(_("Choose a shipping rate."), "shipping_rate")
    return rate


@dataclass
class Summary:
    lines: list[CheckoutLine]
    shipping_rate: ShippingRate | None
    discount: DiscountCode | None = None
    subtotal_cents: int = field(init=False)
    discount_cents: int = field(init=False)
    shipping_cents: int = field(init=False)
    total_cents: int = field(init=False)

    def __post_init__(self):
        self.subtotal_cents = sum(line.total_cents for line in self.lines)
        self.discount_cents = discount_amount(self.discount, self.subtotal_cents)
        self.shipping_cents = self.shipping_rate.price_cents if self.shipping_rate else 0
        self.total_cents = self.subtotal_cents - self.discount_cents + self.shipping_cents

    # Named as the order's, so that totals_rows takes either.
    @property
    def discount_code(self) -> str | None:
        return self.discount.code if self.discount else None

    @property
    def shipping_rate_name(self) -> str:
        return self.shipping_rate.name if self.shipping_rate else ""


@dataclass(frozen=True)
class TotalsRow:
    label: str
    amount: str
    total: bool = False


def totals_rows(amounts: Summary | Order, currency: str) -> list[TotalsRow]:
    """The lines under an order's items: subtotal, discount, shipping, total. One rule for the
    checkout's summary, the order pages (templates/_order_totals.html) and the confirmation e-mail."""
    rows = [TotalsRow(_("Subtotal"), format_money(amounts.subtotal_cents, currency))]
    if amounts.discount_code or amounts.discount_cents:
        label = (_("Discount (%(code)s)", code=amounts.discount_code) if amounts.discount_code
                 else _("Discount"))
        rows.append(TotalsRow(label, "-" + format_money(amounts.discount_cents, currency)))
    shipping = (_("Shipping (%(rate)s)", rate=amounts.shipping_rate_name) if amounts.shipping_rate_name
                else _("Shipping"))
    rows.append(TotalsRow(shipping, format_money(amounts.shipping_cents, currency)))
    rows.append(TotalsRow(_("Total"), format_money(amounts.total_cents, currency), total=True))
    return rows


def summarize(lines: list[CheckoutLine], shipping_rate_id=None, discount_code: str | None = None,
              kind: CheckoutKind | None = None) -> Summary:
    """The order summary as the form shows it; an invalid rate or code is left out, not raised."""
    rates = shipping_rates()
    rate = next((r for r in rates if str(r.id) == str(shipping_rate_id)), rates[0] if rates else None)
    discount = None
    if discount_code and (kind is None or not kind.is_facebook):
        try:
            discount = find_valid_code(discount_code)
        except DomainError:
            discount = None
    return Summary(lines, rate, discount)


# --- placing the order ---------------------------------------------------------------------


@dataclass
class CheckoutDetails:
    """What the shopper typed into the checkout form."""

    email: str
    first_name: str
    last_name: str
    address: str
    city: str
    region: str
    postal_code: str
    country: str
    shipping_rate_id: object
    card_number: str
    idempotency_key: str
    discount_code: str = ""
    messenger_opt_in: bool = False
    # Graph transport: the checkbox plugin's user_ref, when the shopper ticked it.
    messenger_user_ref: str | None = None


DRAFT_FIELDS = ("email", "first_name", "last_name", "address", "city", "region", "postal_code",
                "country", "shipping_rate", "discount_code")


def new_idempotency_key() -> str:
    return secrets.token_urlsafe(32)


def find_order_by_idempotency_key(key: str | None) -> Order | None:
    if not key:
        return None
    return db.session.scalars(select(Order).where(Order.idempotency_key == key)).first()


def _text(value: str | None, column, message: str | None = None) -> str:
    """One line of text for an order column: spaces collapsed, required when there is a `message`,
    no longer than the column."""
    value = " ".join((value or "").split())
    if not value and message:
        raise DomainError(message, column.key)
    return check_length(value, column, column.key)


def check_details(kind: CheckoutKind, details: CheckoutDetails) -> dict:
    """The order's contact and address fields, cleaned, or the first field's error."""
    if not (details.email or "").strip():
        raise DomainError(_("Enter your email."), "email")
    values = {
        "email": check_email(details.email),
        "first_name": _text(details.first_name, Order.first_name, _("Enter your first name.")),
        "last_name": _text(details.last_name, Order.last_name, _("Enter your last name.")),
        "address": _text(details.address, Order.address, _("Enter your address.")),
        "city": _text(details.city, Order.city, _("Enter your city.")),
        "region": _text(details.region, Order.region),
        "postal_code": _text(details.postal_code, Order.postal_code, _("Enter your postal code.")),
        "country": check_shipping_country(kind, details.country),
    }
    return values


def place_order(
    store: Store,
    kind: CheckoutKind,
    lines: list[CheckoutLine],
    details: CheckoutDetails,
    status_url: Callable[[Order], str],
    facebook_account: FacebookAccount | None = None,
    cart_token: str | None = None,
    locale: str = DEFAULT_LANGUAGE,
) -> Order:
    """Pay and place the order, or raise DomainError saying what to fix; nothing is kept then.

    `locale` is the language the shopper checked out in: the order's e-mails and Messenger
    messages are written in it.

    A second submit of the same form (same idempotency key) returns the order the first one placed.
    """
    existing = find_order_by_idempotency_key(details.idempotency_key)
    if existing is not None:
        return existing
    if not details.idempotency_key or len(details.idempotency_key) > 64:
        raise DomainError(_("This checkout form is out of date. Please reload the page and try again."))
    if not lines:
        raise DomainError(_("Your cart is empty."))
    check_lines_available(store, kind, lines)

    values = check_details(kind, details)
    rate = find_shipping_rate(details.shipping_rate_id)
    discount = find_discount(kind, details.discount_code)
    check_card_number(details.card_number)
    summary = Summary(lines, rate, discount)
    opt_in_account = (facebook_account if details.messenger_opt_in and facebook_account is not None
                      and store.messenger_active else None)

    # Everything below is one transaction: stock, discount use, order number, order, e-mail. The
    # payment comes last, once the database took everything else: nothing refuses the order after
    # the card was charged.
    try:
        for line in sorted(lines, key=lambda each: each.variant.id):
            _take_stock(line, kind)
        if discount is not None:
            use_code(discount)
        placed_at = clock.now()
        order = Order(
            number=_next_order_number(store),
            token=secrets.token_urlsafe(32),
            idempotency_key=details.idempotency_key,
            sales_channel=kind.sales_channel,
            checkout=kind.checkout,
            currency=store.currency,
            locale=language_of(locale),
            subtotal_cents=summary.subtotal_cents,
            discount_cents=summary.discount_cents,
            shipping_cents=summary.shipping_cents,
            total_cents=summary.total_cents,
            discount_code=discount.code if discount else None,
            shipping_rate_name=rate.name,
            facebook_account_id=facebook_account.id if kind.is_facebook and facebook_account else None,
            page_id=store.messenger_page_id or store.facebook_page_id,
            placed_at=placed_at,
            ship_by=(add_business_days(placed_at, store.ship_by_business_days).date()
                     if kind.is_facebook else None),
            **values,
        )
        for line in lines:
            order.lines.append(OrderLine(
                variant_id=line.variant.id, product_title=line.product_title,
                variant_title=line.variant_title, price_cents=line.price_cents, quantity=line.quantity,
            ))
        order.events.append(OrderEvent(kind="placed", created_at=placed_at))
        db.session.add(order)
        db.session.flush()
        events.publish("order_placed", order, opt_in_account=opt_in_account, opt_in_user_ref=details.messenger_user_ref or None)
        queue_confirmation(store, order, status_url(order))
        if cart_token:
            clear_cart(cart_token, commit=False)
        db.session.flush()
        payment = charge(details.card_number, summary.total_cents)
        order.payment_gateway = payment.gateway
        order.payment_reference = payment.reference
        order.card_last_digits = payment.card_last_digits
        db.session.commit()
    except IntegrityError:
        # The same form was submitted twice at once: the other request placed the order.
        db.session.rollback()
        existing = find_order_by_idempotency_key(details.idempotency_key)
        if existing is not None:
            return existing
        raise
    except Exception:
        # A refused payment, a sold-out item, a used-up code: nothing of this order is kept.
        db.session.rollback()
        raise
    return order


def _take_stock(line: CheckoutLine, kind: CheckoutKind) -> None:
    """Take the line's quantity from stock, only if that much is still there and the product is
    still published to the checkout's channel (unpublished meanwhile: nothing is taken)."""
    variant_id, handle, quantity = line.variant.id, line.variant.product.handle, line.quantity
    title = line.title
    published = (select(Product.id)
                 .where(Product.id == Variant.product_id, published_on(kind.channel)).exists())
    result = db.session.execute(
        update(Variant)
        .where(Variant.id == variant_id, Variant.stock >= quantity, published)
        .values(stock=Variant.stock - quantity)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:
        return
    db.session.rollback()
    still_published = db.session.scalar(
        select(Product.id).join(Variant, Variant.product_id == Product.id)
        .where(Variant.id == variant_id, published_on(kind.channel)))
    if still_published is None:  # unpublished while the shopper was checking out
        raise _unavailable(line, _("%(product)s is no longer available.", product=title))
    left = db.session.scalar(select(Variant.stock).where(Variant.id == variant_id)) or 0
    raise _sold_out(title, line.in_cart, left, handle, variant_id)


def check_lines_in_stock(lines: list[CheckoutLine]) -> None:
    """Say an item is sold out (or short) when the checkout opens, before the shopper types an
    address: a link to a checkout can outlive the stock. Placing the order checks again, atomically."""
    for line in lines:
        if line.variant.stock < line.quantity:
            raise _sold_out(line.title, line.in_cart, line.variant.stock, line.variant.product.handle,
                            line.variant.id)


def _sold_out(title: str, in_cart: bool, left: int, handle: str, variant_id: int) -> SoldOut:
    if in_cart:
        if left <= 0:
            return SoldOut(_("%(item)s is sold out. Remove it to place your order.", item=title),
                           handle, variant_id)
        return SoldOut(ngettext("Only %(num)d of %(item)s left. Lower the quantity to place your order.",
                                "Only %(num)d of %(item)s left. Lower the quantity to place your order.",
                                left, item=title), handle, variant_id)
    # Buy Now: there is no cart to change; the checkout links back to the product instead.
    if left <= 0:
        return SoldOut(_("%(item)s is sold out.", item=title), handle, variant_id)
    return SoldOut(ngettext("Only %(num)d of %(item)s left.", "Only %(num)d of %(item)s left.", left, item=title),
                   handle, variant_id)


def _next_order_number(store: Store) -> int:
    """The next order number; the row stays locked until the order commits, so numbers never repeat."""
    db.session.execute(
        update(Store).where(Store.id == store.id)
        .values(next_order_number=Store.next_order_number + 1)
        .execution_options(synchronize_session=False)
    )
    return db.session.scalar(select(Store.next_order_number - 1).where(Store.id == store.id))


# --- the confirmation e-mail ---------------------------------------------------------------


def confirmation_sender(store: Store, order: Order, facebook_sender: str) -> tuple[str, str]:
    """Facebook checkout (and Messenger) confirmations come from Facebook, others from the store."""
    if order.checkout == Checkout.FACEBOOK:
        return "Facebook", facebook_sender
    return store.name, store.email


def queue_confirmation(store: Store, order: Order, status_url: str):
    from flask import current_app

    sender_name, sender_email = confirmation_sender(
        store, order, current_app.config["FACEBOOK_MAIL_SENDER"])
    with in_language(order.locale):
        body = render_template("email/order_confirmation.txt", order=order, store=store,
                               status_url=status_url, country=country_name(order.country))
        subject = _("Order %(number)s confirmed", number=order.name)
    return mail.queue_email(
        "order_confirmation", order.email, subject,
        body, sender_name=sender_name, sender_email=sender_email,
        reply_to=store.support_email if order.checkout == Checkout.STORE else None,
        order=order, dedupe_key=f"order-confirmation:{order.id}",
    )


def deliver_confirmation(order: Order, timeout: float = 3.0) -> None:
    """Try the confirmation at once; if the SMTP server is slow or down the worker retries it."""
    from .models import Email

    email_id = db.session.scalar(
        select(Email.id).where(Email.dedupe_key == f"order-confirmation:{order.id}"))
    if email_id is not None:
        mail.deliver(email_id, timeout=timeout)


def confirmation_state(order: Order) -> str | None:
    """Where the order's confirmation e-mail is: "sent"; "queued" (about to be sent, or retried);
    "not_sent" (kept: no SMTP server configured yet); "failed"; None when the order has none."""
    from .models import Email

    return db.session.scalar(
        select(Email.state).where(Email.dedupe_key == f"order-confirmation:{order.id}"))


# --- after checkout: the order status page and the purchase history --------------------------


def find_order_by_token(token: str | None) -> Order | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalars(
        select(Order).where(Order.token == token).options(joinedload(Order.lines))
    ).unique().first()


@dataclass(frozen=True)
class TimelineStep:
    kind: str
    title: str
    done: bool
    at: object = None
    detail: str = ""


def order_timeline(order: Order) -> list[TimelineStep]:
    """Confirmed, shipped, out for delivery, delivered: each with when it happened, if it did."""
    happened = {}
    for event in order.events:
        happened.setdefault(event.kind, event.created_at)
    shipped_at = order.fulfilled_at or happened.get("fulfilled")
    out_at = order.out_for_delivery_at or happened.get("out_for_delivery")
    delivered_at = order.delivered_at or happened.get("delivered")
    shipped_detail = ""
    if shipped_at and order.carrier:
        shipped_detail = _("%(carrier)s, tracking number %(number)s",
                           carrier=order.carrier, number=order.tracking_number or "")
    return [
        TimelineStep("confirmed", _("Confirmed"), True, happened.get("placed") or order.placed_at),
        TimelineStep("shipped", _("Shipped"), shipped_at is not None, shipped_at, shipped_detail),
        TimelineStep("out_for_delivery", _("Out for delivery"), out_at is not None, out_at),
        TimelineStep("delivered", _("Delivered"), delivered_at is not None, delivered_at),
    ]


def messenger_updates_account(order: Order) -> FacebookAccount | None:
    """The account getting this order's updates in Messenger, or None when they are off."""
    subscription = order.subscription
    if subscription is None or subscription.state != "active":
        return None
    return subscription.facebook_account


def purchase_history(account: FacebookAccount) -> list[Order]:
    """The account's own orders placed on Facebook (Facebook checkout or Messenger), newest first."""
    return list(db.session.scalars(
        select(Order)
        .where(Order.facebook_account_id == account.id,
               Order.placed_with_facebook_checkout)
        .order_by(Order.placed_at.desc(), Order.id.desc())
    ))

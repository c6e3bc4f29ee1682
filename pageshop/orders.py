"""What happens to an order after checkout (A3): fulfilment, delivery, the ship-by deadline, and the
admin's list of orders.

Each step is a conditional UPDATE on the order's fulfilment status, so two admins clicking at once
cannot apply it twice; the step's event is published in the same transaction (M3).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import quote, urlsplit

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value

from . import clock, events
from .business_days import add_business_days
from .errors import DomainError, NotAllowed
from .extensions import db
from .listing import ListingPage, cursor_of, keyset_page, page_of
from .models import Email, FulfillmentStatus, Order, OrderEvent, SalesChannel, Store
from .search import fold, newest_matches, query_words
from .validation import check_length

ORDERS_PER_PAGE = 25

CHANNEL_LABELS = {
    SalesChannel.FACEBOOK_CHECKOUT: _l("Facebook checkout"),
    SalesChannel.ONLINE_STORE: _l("Online store"),
    SalesChannel.MESSENGER: _l("Messenger"),
}

STATUS_LABELS = {
    FulfillmentStatus.UNFULFILLED: _l("Unfulfilled"),
    FulfillmentStatus.FULFILLED: _l("Fulfilled"),
    FulfillmentStatus.OUT_FOR_DELIVERY: _l("Out for delivery"),
    FulfillmentStatus.DELIVERED: _l("Delivered"),
}
# What the merchant may do next, by the order's status.
NEXT_ACTIONS = {
    FulfillmentStatus.UNFULFILLED: {"fulfill"},
    FulfillmentStatus.FULFILLED: {"out_for_delivery", "delivered"},
    FulfillmentStatus.OUT_FOR_DELIVERY: {"delivered"},
    FulfillmentStatus.DELIVERED: set(),
}

# Tracking pages of the carriers people use most; any other carrier needs its URL given.
CARRIER_TRACKING_URLS = {
    "UPS": "https://www.ups.com/track?tracknum={number}",
    "USPS": "https://tools.usps.com/go/TrackConfirmAction?tLabels={number}",
    "FedEx": "https://www.fedex.com/fedextrack/?trknbr={number}",
    "DHL": "https://www.dhl.com/en/express/tracking.html?AWB={number}",
}
CARRIERS = tuple(CARRIER_TRACKING_URLS)


# --- the lifecycle --------------------------------------------------------------------


def fulfill_order(order: Order, carrier: str, tracking_number: str,
                  tracking_url: str | None = None) -> Order:
    """Ship the order: unfulfilled -> fulfilled, with carrier and tracking."""
    if order.fulfillment_status != FulfillmentStatus.UNFULFILLED:
        raise NotAllowed(_refusal(order.fulfillment_status, FulfillmentStatus.FULFILLED))
    carrier = _canonical_carrier(carrier)
    tracking_number = (tracking_number or "").strip()
    if not carrier:
        raise DomainError(_("Enter the carrier."), "carrier")
    check_length(carrier, Order.carrier, "carrier")
    if not tracking_number:
        raise DomainError(_("Enter the tracking number."), "tracking_number")
    check_length(tracking_number, Order.tracking_number, "tracking_number")
    tracking_url = _tracking_url(carrier, tracking_number, tracking_url)

    now = clock.now()
    _advance(order, (FulfillmentStatus.UNFULFILLED,), FulfillmentStatus.FULFILLED, {
        "carrier": carrier,
        "tracking_number": tracking_number,
        "tracking_url": tracking_url,
        "fulfilled_at": now,
    })
    order.events.append(OrderEvent(kind="fulfilled", created_at=now,
                                   params={"carrier": carrier, "number": tracking_number}))
    events.publish("order_fulfilled", order)
    db.session.commit()
    return order


def mark_out_for_delivery(order: Order) -> Order:
    now = clock.now()
    _advance(order, (FulfillmentStatus.FULFILLED,), FulfillmentStatus.OUT_FOR_DELIVERY,
             {"out_for_delivery_at": now})
    order.events.append(OrderEvent(kind="out_for_delivery", created_at=now))
    events.publish("order_out_for_delivery", order)
    db.session.commit()
    return order


def mark_delivered(order: Order) -> Order:
    now = clock.now()
    _advance(order, (FulfillmentStatus.FULFILLED, FulfillmentStatus.OUT_FOR_DELIVERY),
             FulfillmentStatus.DELIVERED, {"delivered_at": now})
    order.events.append(OrderEvent(kind="delivered", created_at=now))
    events.publish("order_delivered", order)
    db.session.commit()
    return order


def allowed_actions(order: Order) -> set[str]:
    """Which of "fulfill", "out_for_delivery", "delivered" the order's state allows now."""
    return NEXT_ACTIONS[order.fulfillment_status]


def _advance(order: Order, expected: tuple[FulfillmentStatus, ...], new_status: FulfillmentStatus,
             values: dict) -> None:
    if order.fulfillment_status not in expected:
        raise NotAllowed(_refusal(order.fulfillment_status, new_status))
    result = db.session.execute(
        update(Order)
        .where(Order.id == order.id, Order.fulfillment_status.in_(expected))
        .values(fulfillment_status=new_status, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        # Someone else changed the order meanwhile: nothing of ours is applied.
        db.session.rollback()
        db.session.refresh(order)
        raise NotAllowed(_refusal(order.fulfillment_status, new_status))
    # Already in the database: update the object without making the session write it again.
    set_committed_value(order, "fulfillment_status", new_status)
    for name, value in values.items():
        set_committed_value(order, name, value)


def _refusal(current: str, wanted: str) -> str:
    if current == FulfillmentStatus.UNFULFILLED:
        return _("Fulfill this order first: it hasn't been shipped yet.")
    if wanted == FulfillmentStatus.FULFILLED or current == FulfillmentStatus.FULFILLED:
        return _("This order is already fulfilled.")
    # Whole sentences: a status label can't be lowercased into one (German nouns keep capitals).
    if current == FulfillmentStatus.OUT_FOR_DELIVERY:
        return _("This order is already out for delivery.")
    return _("This order is already delivered.")


def _canonical_carrier(carrier: str | None) -> str:
    carrier = " ".join((carrier or "").split())
    for known in CARRIERS:
        if carrier.lower() == known.lower():
            return known
    return carrier


def _tracking_url(carrier: str, tracking_number: str, given: str | None) -> str | None:
    given = (given or "").strip()
    if given:
        parts = urlsplit(given)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise DomainError(_("Enter a web address starting with http:// or https://."), "tracking_url")
        return check_length(given, Order.tracking_url, "tracking_url")
    pattern = CARRIER_TRACKING_URLS.get(carrier)
    return pattern.format(number=quote(tracking_number, safe="")) if pattern else None


# --- the ship-by deadline (Facebook checkout) --------------------------------------------


@dataclass(frozen=True)
class ShipBy:
    deadline: date
    late: bool


def ship_by_date(order: Order, business_days: int | None = None) -> date | None:
    """The date a Facebook-checkout order must ship by; None for other orders. `business_days`:
    the store's ship-by days, when the caller has the store at hand (a list of orders)."""
    if order.ship_by is not None:
        return order.ship_by
    if not order.placed_with_facebook_checkout or order.placed_at is None:
        return None
    if business_days is None:
        store = db.session.scalars(db.select(Store).order_by(Store.id).limit(1)).first()
        business_days = store.ship_by_business_days if store else 3
    return add_business_days(order.placed_at, business_days).date()


def ship_by_status(order: Order, now: datetime | None = None,
                   business_days: int | None = None) -> ShipBy | None:
    """The deadline and whether the order is late: still unfulfilled after its ship-by date."""
    deadline = ship_by_date(order, business_days)
    if deadline is None:
        return None
    now = now or clock.now()
    late = order.fulfillment_status == FulfillmentStatus.UNFULFILLED and now.date() > deadline
    return ShipBy(deadline=deadline, late=late)


# --- the admin's views of orders ---------------------------------------------------------


def search_orders(query: str = "", status: str = "", channel: str = "", after: int | None = None,
                  before: int | None = None, last: bool = False,
                  per_page: int = ORDERS_PER_PAGE) -> ListingPage:
    """Newest first; `query` finds the number (with or without #), or the words of a name or
    e-mail (accents and case aside, through the search index). A page follows the order `after`
    names, or precedes the order `before` names, or is the last (oldest) one; else the newest."""
    conditions = []
    if status in STATUS_LABELS:
        conditions.append(Order.fulfillment_status == status)
    if channel in CHANNEL_LABELS:
        conditions.append(Order.sales_channel == channel)
    query = (query or "").strip()

    def page(*found):
        order = [Order.placed_at, Order.id]
        cursor = cursor_of(Order, after or before, order)
        return keyset_page(db.select(Order).where(*conditions, *found), order, per_page,
                           descending=True, after=cursor if after else None,
                           before=cursor if before and not after else None, last=last)

    if "@" in query and " " not in query:
        # A whole address through its own index; part of one ("@example.com") as text below.
        by_email = page(Order.search_email == fold(query))
        if by_email.items:
            return by_email
    if query:
        # The newest matches of the words and the order with that number, paged here (few).
        words = query_words(query)
        found = db.session.execute(newest_matches(
            Order.__table__, words, [Order.placed_at], conditions)).all() if words else []
        number = query.lstrip("#").strip()
        if number.isascii() and number.isdigit() and len(number) < 10:
            found += db.session.execute(
                db.select(Order.id, Order.placed_at).where(Order.number == int(number), *conditions)).all()
        listed = page_of([((placed_at, row_id), row_id) for row_id, placed_at in set(found)], per_page,
                         after=after, before=before, last=last, descending=True)
        loaded = {o.id: o for o in db.session.scalars(db.select(Order).where(Order.id.in_(listed.items)))}
        listed.items = [loaded[row_id] for row_id in listed.items]
        return listed
    return page()


def order_emails(order: Order) -> list[Email]:
    return list(db.session.scalars(
        db.select(Email).where(Email.order_id == order.id).order_by(Email.created_at, Email.id)
    ))

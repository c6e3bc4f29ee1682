"""Opt-ins and their order updates (M1, M2, M5, A4).

The listeners run inside the transaction of the order change that publishes the event: they only add
rows to the session, so the notification is committed with the change or not at all (M3).
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_

from .. import clock, events
from ..extensions import db
from ..models import (
    FacebookAccount,
    FacebookPage,
    Notification,
    NotificationState,
    Order,
    Store,
    Subscription,
    SubscriptionState,
)
from .conversations import open_conversation, record_customer_action

ORDER_EVENTS = {
    "order_fulfilled": "shipping_update",
    "order_out_for_delivery": "out_for_delivery",
    "order_delivered": "delivered",
}

SKIPPED_REASONS = {
    SubscriptionState.TURNED_OFF: _l("Order updates turned off by the customer"),
    SubscriptionState.MUTED: _l("Muted by the merchant"),
}

STATE_LABELS = {
    SubscriptionState.ACTIVE: _l("on"),
    SubscriptionState.TURNED_OFF: _l("turned off by the customer"),
    SubscriptionState.MUTED: _l("turned off"),
}


def _store() -> Store | None:
    return db.session.scalars(db.select(Store).order_by(Store.id).limit(1)).first()


def on_order_placed(order: Order, opt_in_account: FacebookAccount | None = None,
                    opt_in_user_ref: str | None = None, **_ignored) -> Subscription | None:
    """The opt-in at checkout links this one order to the account at the Messenger channel's Page."""
    store = _store()
    if store is None or not store.messenger_active or (opt_in_account is None and not opt_in_user_ref):
        return None
    now = clock.now()
    subscription = Subscription(
        order=order, page_id=store.messenger_page_id,
        facebook_account_id=opt_in_account.id if opt_in_account else None,
        user_ref=opt_in_user_ref, state=SubscriptionState.ACTIVE, state_changed_at=now, created_at=now,
    )
    db.session.add(subscription)
    if opt_in_account is not None:
        conversation = open_conversation(store.messenger_page, opt_in_account)
        record_customer_action(conversation)  # the opt-in opens the 24-hour window (M4)
    # A checkbox opt-in opens it when the Platform confirms it, at the time the Platform says.
    _queue(order, subscription, "order_confirmation")
    return subscription


def on_order_event(kind: str):
    event = ORDER_EVENTS[kind]

    def listener(order: Order, **_ignored) -> Notification | None:
        subscription = db.session.scalars(
            db.select(Subscription).filter_by(order_id=order.id)
        ).first()
        if subscription is None or subscription.state != SubscriptionState.ACTIVE:
            return None
        return _queue(order, subscription, event)

    listener.__name__ = f"queue_{event}"
    return listener


def _queue(order: Order, subscription: Subscription, event: str) -> Notification:
    now = clock.now()
    notification = Notification(order=order, subscription=subscription, event=event, channel="messenger",
                                state=NotificationState.QUEUED, created_at=now, budget_started_at=now)
    db.session.add(notification)
    return notification


def register() -> None:
    events.subscribe("order_placed", on_order_placed)
    for kind in ORDER_EVENTS:
        events.subscribe(kind, _listeners[kind])


_listeners = {kind: on_order_event(kind) for kind in ORDER_EVENTS}


# --- turning updates off ---------------------------------------------------------------


def turn_off_updates(account: FacebookAccount, page: FacebookPage) -> int:
    """S10 "Turn off order updates": every active subscription of the account at this Page."""
    return turn_off_subscriptions(page.id, Subscription.facebook_account_id == account.id)


def turn_off_subscriptions(page_id: int, *person) -> int:
    """Turn off every active subscription at the Page of the person any of `person` (SQL
    conditions on Subscription: their account, PSID or user_ref) names; how many were on."""
    if not person:
        return 0
    return db.session.execute(
        db.update(Subscription)
        .where(Subscription.page_id == page_id, or_(*person), Subscription.state == SubscriptionState.ACTIVE)
        .values(state=SubscriptionState.TURNED_OFF, state_changed_at=clock.now())
        .execution_options(synchronize_session="fetch")
    ).rowcount


def mute_order(order: Order) -> Subscription | None:
    """A4 "Turn off": the merchant stops this order's updates (e.g. the wrong account opted in)."""
    subscription = db.session.scalars(db.select(Subscription).filter_by(order_id=order.id)).first()
    if subscription is None:
        return None
    if subscription.state != SubscriptionState.MUTED:
        subscription.state = SubscriptionState.MUTED
        subscription.state_changed_at = clock.now()
    db.session.commit()
    return subscription


def order_notifications(order: Order) -> list[Notification]:
    return list(db.session.scalars(
        db.select(Notification).filter_by(order_id=order.id).order_by(Notification.id)
    ))

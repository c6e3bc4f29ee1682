"""What an order notification says (M4): the merchant's text inside the 24-hour window, the standard
utility wording outside it, and the structured part (receipt card, tracking details).

Links in messages must be absolute (the shopper opens them from Messenger): they use the PUBLIC_URL
setting, in a request as in the worker, never the request's Host header.
"""
from __future__ import annotations

from datetime import datetime

from ..extensions import db
from ..models import Conversation, Notification, Order, OrderLine, Product, Store, Variant
from ..urls import public_url as absolute_url
from .message_templates import get_customization, inside_text, render_text, utility_body
from .transport import Outgoing
from .window import messaging_window_open

KINDS = {
    "order_confirmation": "receipt",
    "shipping_update": "shipping_update",
    "out_for_delivery": "delivery_update",
    "delivered": "delivery_update",
}


def order_values(order: Order, store: Store | None) -> dict[str, str]:
    return {
        "order_number": order.name,
        "first_name": order.first_name,
        "tracking_number": order.tracking_number or "",
        "tracking_link": order.tracking_url or "",
        "shop_name": store.name if store else "",
    }


def compose_notification(notification: Notification, conversation: Conversation, store: Store | None,
                         now: datetime, outside_window: bool = False) -> Outgoing:
    """The update as the window allows it; `outside_window` when the Platform said it's closed.
    Written in the order's language, with the merchant's text for that language."""
    order = notification.order
    event = notification.event
    values = order_values(order, store)
    payload = notification_payload(order, event)
    if not outside_window and messaging_window_open(conversation.last_customer_action_at, now):
        custom = get_customization(event, order.locale)
        text, lane = inside_text(custom.body, custom.promo_note, values), "UPDATE"
        # A receipt template has no room for words: the graph transport sends the merchant's own
        # text for it as a message of its own.
        payload["customized"] = custom.customized
    else:
        text, lane = render_text(utility_body(event, order.locale), values), "UTILITY"
    return Outgoing(conversation=conversation, kind=KINDS[event], text=text, lane=lane,
                    payload=payload, notification_id=notification.id, locale=order.locale)


def notification_payload(order: Order, event: str) -> dict:
    payload = {
        "event": event,
        "order_number": order.name,
        "order_url": order_status_url(order),
    }
    if event == "order_confirmation":
        payload.update(
            items=[{"title": line.product_title, "variant": line.variant_title,
                    "quantity": line.quantity, "price_cents": line.price_cents,
                    "image_url": line_image_url(line)}
                   for line in order.lines],
            subtotal_cents=order.subtotal_cents, shipping_cents=order.shipping_cents,
            discount_cents=order.discount_cents, total_cents=order.total_cents,
            currency=order.currency,
        )
    elif event == "shipping_update":
        payload.update(carrier=order.carrier or "", tracking_number=order.tracking_number or "",
                       tracking_url=order.tracking_url or "")
    else:
        payload.update(status=event)
    return payload


def line_image_url(line: OrderLine) -> str | None:
    """The product's picture for a receipt line, while the product still has one."""
    if line.variant_id is None:
        return None
    filename = db.session.scalars(
        db.select(Product.image_filename).join(Variant).where(Variant.id == line.variant_id)).first()
    return absolute_url("storefront.product_image", filename=filename) if filename else None


def order_status_url(order: Order) -> str:
    return absolute_url("storefront.order_status", token=order.token)

"""What an order's timeline says about each event, in the language of whoever reads it.

An event stores its kind and its values (`params`), never its text: the merchant reads the
timeline in their language, whatever language caused the event (the shopper's checkout, the
worker). Events written before that (issue 14) keep the text they were stored with.
"""
from __future__ import annotations

from flask_babel import gettext as _

from .models import OrderEvent


def describe(event: OrderEvent) -> str:
    if event.message:
        return event.message
    params = event.params or {}
    if event.kind == "placed":
        return _("Order placed and confirmed")
    if event.kind == "fulfilled":
        return _("Shipped with %(carrier)s, tracking number %(number)s",
                 carrier=params.get("carrier", ""), number=params.get("number", ""))
    if event.kind == "out_for_delivery":
        return _("Out for delivery")
    if event.kind == "delivered":
        return _("Delivered")
    if event.kind == "messenger_by_email":
        from .messenger.message_templates import EVENT_LABELS

        label = EVENT_LABELS.get(params.get("event"))
        return _("%(update)s sent by e-mail: Messenger can reach this shopper again once they reply.",
                 update=label if label is not None else params.get("event", ""))
    return event.kind

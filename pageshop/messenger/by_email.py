"""An order update Messenger can't deliver goes by e-mail instead (M4, issue 9).

A shopper known only by the checkbox plugin's user_ref can be messaged only inside the window their
opt-in opened; a utility message needs their PSID, which their first reply in Messenger gives us.
Until then an update due outside the window is e-mailed, once, and the order's timeline says why.
"""
from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _

from .. import mail
from ..models import Notification, NotificationState, OrderEvent, Store
from ..shopper_language import in_language
from .compose import order_status_url
from .message_templates import EVENT_LABELS
from .transport import Outgoing


def send_by_email_instead(notification: Notification, outgoing: Outgoing, store: Store | None) -> None:
    """Queue the update's standard wording as an e-mail (one per notification) and note it."""
    from ..checkout import confirmation_sender

    order = notification.order
    sender_name, sender_email = confirmation_sender(store, order, current_app.config["FACEBOOK_MAIL_SENDER"])
    # Rendered without a request (the worker): the template's own values only, in the order's
    # language (the outgoing text was composed in it too).
    with in_language(order.locale):
        body = current_app.jinja_env.get_template("email/order_update.txt").render(
            order=order, store=store, text=outgoing.text, status_url=order_status_url(order))
        subject = _("Order %(number)s: %(update)s", number=order.name,
                    update=EVENT_LABELS[notification.event])
    mail.queue_email(
        "order_update", order.email, subject,
        body, sender_name=sender_name, sender_email=sender_email,
        reply_to=store.support_email if store is not None and order.checkout == "store" else None,
        order=order, dedupe_key=f"messenger-by-email:{notification.id}",
    )
    order.events.append(OrderEvent(kind="messenger_by_email", params={"event": notification.event}))
    notification.state = NotificationState.EMAILED
    notification.lane = None
    notification.skipped_reason = _("Messenger can reach this shopper again once they reply: sent by e-mail instead.")

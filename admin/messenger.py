"""The order's Messenger updates in the admin: A4 "Turn off" and A9's notifications with "Retry"."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from pageshop.errors import DomainError
from pageshop.extensions import db
from pageshop.ids import parse_page
from pageshop.messenger import outbox
from pageshop.messenger.message_templates import EVENT_LABELS
from pageshop.messenger.subscriptions import STATE_LABELS, mute_order, order_notifications
from pageshop.models import Notification, NotificationState, Order
from pageshop.urls import safe_next

from . import bp
from .forms import TokenForm


@bp.app_context_processor
def messenger_partials():
    """What the order pages' Messenger partials need (they're included with only `order`)."""
    return {"order_notifications": order_notifications, "notification_event_labels": EVENT_LABELS,
            "subscription_state_labels": STATE_LABELS, "messenger_form": TokenForm}


@bp.post("/orders/<int:order_id>/messenger/turn-off")
def turn_off_order_updates(order_id):
    order = db.get_or_404(Order, order_id)
    if TokenForm().validate_on_submit():
        if mute_order(order) is None:
            flash(_("Order %(name)s has no Messenger updates to turn off.", name=order.name), "error")
        else:
            flash(_("Messenger updates for order %(name)s are turned off.", name=order.name), "success")
    return redirect(url_for("admin.order_status_page", order_id=order.id), code=303)


@bp.post("/notifications/<int:notification_id>/retry")
def retry_notification(notification_id):
    notification = db.get_or_404(Notification, notification_id)
    order_id = notification.order_id
    if TokenForm().validate_on_submit():
        try:
            outbox.retry_notification(notification)
        except DomainError as exc:
            flash(exc.message, "error")
        else:
            flash(_("The message is queued again."), "success")
    default = url_for("admin.order_detail", order_id=order_id)
    return redirect(safe_next(request.form.get("next"), default), code=303)


NOTIFICATION_STATES = tuple(NotificationState)


@bp.get("/messenger/notifications")
def notification_log():
    """A9: every Messenger notification, newest first, optionally only those in one state."""
    state = request.args.get("state", "")
    select = db.select(Notification).order_by(Notification.created_at.desc(), Notification.id.desc())
    if state in NOTIFICATION_STATES:
        select = select.where(Notification.state == state)
    results = db.paginate(select, page=parse_page(request.args.get("page")), per_page=50,
                          error_out=False)
    return render_template("admin/messenger_notifications.html", results=results, state=state,
                           states=NOTIFICATION_STATES)

"""A3: the merchant's orders: the list, the detail with its actions, and the order status page (A4)."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from pageshop import clock
from pageshop.errors import DomainError, NotAllowed
from pageshop.extensions import db
from pageshop.ids import parse_id
from pageshop.live import event_stream
from pageshop.models import Order
from pageshop.orders import (
    CARRIERS,
    CHANNEL_LABELS,
    STATUS_LABELS,
    allowed_actions,
    fulfill_order,
    mark_delivered,
    mark_out_for_delivery,
    order_emails,
    search_orders,
    ship_by_status,
)
from pageshop.templating import render_page

from . import bp
from .forms import FulfillForm, TokenForm, add_error


@bp.context_processor
def order_labels():
    return {"channel_labels": CHANNEL_LABELS, "status_labels": STATUS_LABELS,
            "ship_by_status": ship_by_status}


@bp.get("/orders")
def orders():
    filters = {
        "q": request.args.get("q", "").strip(),
        "status": request.args.get("status", ""),
        "channel": request.args.get("channel", ""),
    }
    results = search_orders(filters["q"], filters["status"], filters["channel"],
                            after=parse_id(request.args.get("after")),
                            before=parse_id(request.args.get("before")),
                            last=request.args.get("page") == "last")
    return render_page("admin/orders.html", {"order-results": "results"},
                       results=results, filters=filters, now=clock.now())


def _render_detail(order, fulfill_form=None, status=200):
    return render_page(
        "admin/order_detail.html", {"order-live": "order_live"}, status=status,
        order=order,
        fulfill_form=fulfill_form or FulfillForm(),
        action_form=TokenForm(),
        actions=allowed_actions(order),
        carriers=CARRIERS,
        emails=order_emails(order),
        ship_by=ship_by_status(order, clock.now()),
    )


@bp.get("/orders/<int:order_id>")
def order_detail(order_id):
    return _render_detail(db.get_or_404(Order, order_id))


@bp.get("/orders/<int:order_id>/live")
def order_live(order_id):
    """Server-sent events: "order" when the order, its messages or e-mails changed."""
    order = db.get_or_404(Order, order_id)
    return event_stream({f"order:{order.id}": "order"})


@bp.post("/orders/<int:order_id>/fulfill")
def fulfill(order_id):
    order = db.get_or_404(Order, order_id)
    form = FulfillForm()
    if not form.validate_on_submit():
        return _render_detail(order, form, 422)
    try:
        fulfill_order(order, form.carrier.data, form.tracking_number.data, form.tracking_url.data)
    except NotAllowed as exc:
        flash(exc.message, "error")
        return redirect(url_for("admin.order_detail", order_id=order.id), code=303)
    except DomainError as exc:
        if not add_error(form, exc.field, exc.message):
            flash(exc.message, "error")
        return _render_detail(order, form, 422)
    flash(_("Order %(name)s is fulfilled.", name=order.name), "success")
    return redirect(url_for("admin.order_detail", order_id=order.id), code=303)


@bp.post("/orders/<int:order_id>/out-for-delivery")
def out_for_delivery(order_id):
    return _step(order_id, mark_out_for_delivery, _("Order %(name)s is out for delivery."))


@bp.post("/orders/<int:order_id>/delivered")
def delivered(order_id):
    return _step(order_id, mark_delivered, _("Order %(name)s is delivered."))


def _step(order_id, action, done_message):
    order = db.get_or_404(Order, order_id)
    if TokenForm().validate_on_submit():
        try:
            action(order)
        except DomainError as exc:
            flash(exc.message, "error")
        else:
            flash(done_message % {"name": order.name}, "success")
    return redirect(url_for("admin.order_detail", order_id=order.id), code=303)


@bp.get("/orders/<int:order_id>/status")
def order_status_page(order_id):
    order = db.get_or_404(Order, order_id)
    return render_template("admin/order_status_page.html", order=order,
                           ship_by=ship_by_status(order, clock.now()))

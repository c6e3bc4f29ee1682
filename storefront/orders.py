"""S7: the order status page (reached by its unguessable link) and S9: the Facebook purchase history."""
from flask import abort, render_template, session

from pageshop import checkout as checkouts
from pageshop.localized import country_name
from pageshop.orders import STATUS_LABELS
from pageshop.sessions import current_facebook_account

from . import bp
from .checkout import CONFIRM_OPT_IN_KEY


@bp.get("/purchase-history")
def purchase_history():
    account = current_facebook_account()
    orders = checkouts.purchase_history(account) if account else []
    return render_template("storefront/purchase_history.html", account=account, orders=orders,
                           status_labels=STATUS_LABELS)


@bp.get("/orders/<token>")
def order_status(token):
    order = checkouts.find_order_by_token(token)
    if order is None:
        abort(404)
    return render_template(
        "storefront/order_status.html", order=order,
        timeline=checkouts.order_timeline(order),
        messenger_account=checkouts.messenger_updates_account(order),
        confirmation_state=checkouts.confirmation_state(order),
        country=country_name(order.country),
        messenger_confirmation=_opt_in_to_confirm(order),
        layout="storefront/_layout.html" if order.checkout == "facebook"
        else "storefront/_online_store_layout.html",
    )


def _opt_in_to_confirm(order) -> str | None:
    """Right after the order, in the browser that ticked Meta's checkbox: its user_ref, to confirm
    the opt-in with Meta here (until the Platform has confirmed it)."""
    subscription = order.subscription
    if (session.get(CONFIRM_OPT_IN_KEY) != order.token or subscription is None or not subscription.user_ref
            or subscription.confirmed_at is not None or subscription.psid):
        return None
    return subscription.user_ref

"""S7: the order status page (reached by its unguessable link) and S9: the Facebook purchase history."""
from flask import abort, render_template

from pageshop import checkout as checkouts
from pageshop.countries import country_name
from pageshop.orders import STATUS_LABELS
from pageshop.sessions import current_facebook_account

from . import bp


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
        layout="storefront/_layout.html" if order.checkout == "facebook"
        else "storefront/_online_store_layout.html",
    )

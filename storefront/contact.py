"""S8: "Contact seller": the shopper writes to the store about an order."""
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from pageshop import clock
from pageshop.errors import DomainError
from pageshop.inquiries import order_by_token, send_inquiry
from pageshop.sessions import current_facebook_account
from pageshop.store import get_store

from . import bp
from .forms import ContactSellerForm


def _layout_for(order) -> str:
    """Orders placed on Facebook stay in Facebook's chrome; the online store's in the store's."""
    if order.checkout == "store":
        return "storefront/_online_store_layout.html"
    return "storefront/_layout.html"


@bp.route("/orders/<token>/contact", methods=["GET", "POST"])
def contact_seller(token):
    order = order_by_token(token)
    if order is None:
        abort(404)
    form = ContactSellerForm()
    status = 200
    if form.is_submitted():
        try:
            send_inquiry(order, form.message.data, clock.now(), current_facebook_account())
        except DomainError as exc:
            form.message.errors = [exc.message]
            status = 422
        else:
            flash(_("Your message was sent to %(store)s. They will answer you by e-mail at %(email)s.",
                    store=get_store().name, email=order.email), "success")
            return redirect(url_for("storefront.contact_seller", token=order.token), code=303)
    return render_template("storefront/contact.html", order=order, form=form,
                           layout=_layout_for(order)), status

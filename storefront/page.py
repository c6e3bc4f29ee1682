"""S1: the Facebook Page with its "Home" and "Shop" tabs and its "Buy Now" button."""
from flask import abort, redirect, render_template, url_for

from pageshop.catalog import featured_products
from pageshop.channels import facebook_shop_open
from pageshop.store import find_store

from . import bp


def shop_is_open(store) -> bool:
    """The Shop tab exists only once the Facebook channel is approved (A5)."""
    return facebook_shop_open(store)


@bp.get("/")
def page():
    store = find_store()
    if store is None:
        abort(404)
    featured = featured_products("facebook") if shop_is_open(store) else []
    return render_template("storefront/page.html", active_tab="home", featured=featured)


@bp.get("/buy-now")
def buy_now():
    store = find_store()
    if shop_is_open(store) and store.buy_now_destination == "shop":
        return redirect(url_for("storefront.shop"), code=303)
    return redirect(url_for("storefront.online_store"), code=303)

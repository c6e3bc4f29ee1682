"""S1: the Facebook Page with its "Home" and "Shop" tabs and its "Buy Now" button."""
from flask import abort, redirect, render_template, url_for
from flask_wtf.csrf import generate_csrf

from pageshop.catalog import featured_products
from pageshop.channels import facebook_shop_open
from pageshop.page_cache import cached_for_visitors
from pageshop.store import find_store

from . import bp


def shop_is_open(store) -> bool:
    """The Shop tab exists only once the Facebook channel is approved (A5)."""
    return facebook_shop_open(store)


@bp.get("/")
@cached_for_visitors
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


@bp.get("/csrf-token")
def csrf_token():
    """This visitor's CSRF token, for the forms of a page served from the cache without one
    (static/js/csrf.js asks for it when such a form is sent)."""
    return generate_csrf(), 200, {"Content-Type": "text/plain", "Cache-Control": "no-store"}

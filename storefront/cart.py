"""S4: the cart. The cart itself is in the database; the session holds its token."""
from flask import abort, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from jinja2_fragments.flask import render_block

from pageshop import cart as carts
from pageshop import checkout as checkouts
from pageshop.catalog import get_variant
from pageshop.errors import DomainError
from pageshop.ids import parse_id
from pageshop.store import find_store

from . import bp
from .shop import product_channel, product_context

CART_TOKEN = "cart_token"
CART_TARGET = "cart"
NOTICE_TARGET = "cart-notice"
CART_LINK_TARGET = "cart-link"  # the header's "Cart (n)" link, refreshed on "cart-updated"


@bp.app_context_processor
def cart_link_context():
    """`cart_item_count()` for the header's cart link: a query only where a page shows the link."""
    return {"cart_item_count": lambda: carts.item_count(session.get(CART_TOKEN))}


def _htmx_target() -> str | None:
    return request.headers.get("HX-Target")


def _render_cart(status: int = 200, errors: dict | None = None, cart_error: str | None = None):
    """The cart page, or only its block when htmx asks for it."""
    summary = carts.cart_lines(carts.get_cart(session.get(CART_TOKEN)))
    context = dict(
        summary=summary,
        errors=errors or {},
        cart_error=cart_error,
        refusals=_refusals(summary),
    )
    if _htmx_target() == CART_TARGET:
        response = make_response(render_block("storefront/cart.html", "cart", **context), status)
        if status == 200:
            response.headers["HX-Trigger"] = "cart-updated"
    else:
        response = make_response(render_template("storefront/cart.html", **context), status)
    response.vary.add("HX-Request")
    response.vary.add("HX-Target")
    return response


def _refusals(summary) -> dict:
    """The lines the cart's checkout can't sell (unpublished since), each with the reason."""
    store = find_store()
    if store is None or summary.is_empty:
        return {}
    kind = checkouts.checkout_kind(store)
    reasons = {line.item.id: checkouts.unavailable_reason(store, kind, line.product) for line in summary.lines}
    return {item_id: reason for item_id, reason in reasons.items() if reason}


@bp.get("/cart")
def cart():
    if _htmx_target() == CART_LINK_TARGET:
        response = make_response(render_template("storefront/_cart_link.html"))
        response.vary.add("HX-Request")
        response.vary.add("HX-Target")
        return response
    return _render_cart()


@bp.post("/cart/add")
def add_to_cart():
    """"Add to cart" on a product page: adds the chosen variant, or more of it."""
    variant_id = parse_id(request.form.get("variant"))
    variant = get_variant(variant_id) if variant_id else None
    if variant is None:
        if _htmx_target() == NOTICE_TARGET:
            html = render_block("storefront/product.html", "cart_notice", notice=None,
                                error=_("This product is no longer available."))
            return html, 422
        abort(404)
    try:
        quantity = carts.parse_quantity(request.form.get("quantity", "1"))
        cart = carts.open_cart(session.get(CART_TOKEN))
        session[CART_TOKEN] = cart.token
        item = carts.add_to_cart(cart, variant.id, quantity)
    except DomainError as error:
        if _htmx_target() == NOTICE_TARGET:
            return render_block("storefront/product.html", "cart_notice", notice=None,
                                error=error.message), 422
        product = variant.product
        context = product_context(product, variant, product_channel(product, request.form.get("channel")),
                                  error=error.message, error_field=error.field)
        return render_template("storefront/product.html", **context), 422

    if item.quantity == quantity:
        notice = _("Added to your cart: %(title)s × %(quantity)d.", title=_line_title(variant),
                   quantity=quantity)
    else:
        notice = _("Added to your cart: %(title)s × %(quantity)d (%(in_cart)d in your cart).",
                   title=_line_title(variant), quantity=quantity, in_cart=item.quantity)
    if _htmx_target() == NOTICE_TARGET:
        response = make_response(render_block("storefront/product.html", "cart_notice",
                                               notice=notice, error=None))
        response.headers["HX-Trigger"] = "cart-updated"
        return response
    flash(notice, "success")
    return redirect(url_for("storefront.product", handle=variant.product.handle, variant=variant.id,
                            channel=request.form.get("channel") or None), code=303)


def _line_title(variant) -> str:
    if len(variant.product.variants) > 1:
        return f"{variant.product.title} ({variant.title})"
    return variant.product.title


def _change(item_id: int, change):
    """Apply a change to one line, then show the cart (303 back to it without htmx)."""
    cart = carts.get_cart(session.get(CART_TOKEN))
    try:
        if cart is None:
            raise carts.NotFound(_("This item is no longer in your cart."))
        change(cart)
    except carts.NotFound as error:
        return _render_cart(422, cart_error=error.message)
    except DomainError as error:
        if not any(item.id == item_id for item in cart.items):
            # Removed meanwhile (in another tab): there is no line to show the error next to.
            return _render_cart(422, cart_error=_("This item is no longer in your cart."))
        return _render_cart(422, errors={item_id: error.message})
    if _htmx_target() == CART_TARGET:
        return _render_cart()
    return redirect(url_for("storefront.cart"), code=303)


@bp.post("/cart/items/<int:item_id>")
def update_cart_item(item_id):
    def change(cart):
        quantity = carts.parse_quantity(request.form.get("quantity"), minimum=0)
        carts.set_quantity(cart, item_id, quantity)
    return _change(item_id, change)


@bp.post("/cart/items/<int:item_id>/remove")
def remove_cart_item(item_id):
    return _change(item_id, lambda cart: carts.remove(cart, item_id))

"""S4: the carts. A browser has two, one per storefront: the Facebook shop's (`/cart`, Facebook's
look, its "Checkout" leads to the checkout the merchant chose) and the online store's (`/store/cart`,
the store's look, its "Checkout" leads to the store's own checkout). A product goes into the cart of
the storefront its page belongs to, so each cart holds only what its checkout sells. The carts are
in the database; the session holds their tokens."""
from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from jinja2_fragments.flask import render_block

from pageshop import cart as carts
from pageshop import checkout as checkouts
from pageshop.catalog import get_variant
from pageshop.errors import DomainError
from pageshop.ids import parse_id
from pageshop.store import find_store
from pageshop.templating import fragment_response, htmx_target, render_page, trigger

from . import bp
from .page import shop_is_open
from .shop import CART_NOTICE, checkout_source, product_channel, product_context

CART_TOKEN = "cart_token"  # the session key of the Facebook shop's cart
STORE_CART_TOKEN = "store_cart_token"  # and of the online store's
CART_TOKENS = {"facebook": CART_TOKEN, "online_store": STORE_CART_TOKEN}
CART_TARGET = "cart"
NOTICE_TARGET = "cart-notice"
CART_LINK_TARGET = "cart-link"  # the header's "Cart (n)" link, refreshed on "cart-updated"


def cart_token(storefront: str) -> str | None:
    """The token of this storefront's cart ("facebook" or "online_store"), if it has one."""
    return session.get(CART_TOKENS[storefront])


def checkout_storefront(source: str | None) -> str:
    """The storefront whose cart a checkout sells: the online store's for its own checkout."""
    return "online_store" if source == "online_store" else "facebook"


@bp.app_context_processor
def cart_link_context():
    """`cart_item_count(storefront)` for the header's cart link: a query only where a page shows it."""
    return {"cart_item_count": lambda storefront="facebook": carts.item_count(cart_token(storefront))}


def _render_cart(storefront: str, status: int = 200, errors: dict | None = None,
                 cart_error: str | None = None):
    """A storefront's cart page, or only its block when htmx asks for it."""
    summary = carts.cart_lines(carts.get_cart(cart_token(storefront)))
    online_store = storefront == "online_store"
    context = dict(
        summary=summary,
        errors=errors or {},
        cart_error=cart_error,
        refusals=_refusals(storefront, summary),
        storefront=storefront,
        layout="storefront/_online_store_layout.html" if online_store else "storefront/_layout.html",
        checkout_url=url_for("storefront.checkout", source=checkout_source(storefront)),
        shopping_url=url_for("storefront.online_store" if online_store else "storefront.page"),
        channel_arg="online_store" if online_store else None,
    )
    response = render_page("storefront/cart.html", {CART_TARGET: "cart"}, status=status, **context)
    if htmx_target() == CART_TARGET and status == 200:
        trigger(response, "cart-updated")
    return response


def _refusals(storefront: str, summary) -> dict:
    """The lines the cart's checkout can't sell (unpublished since), each with the reason."""
    store = find_store()
    if store is None or summary.is_empty:
        return {}
    kind = checkouts.checkout_kind(store, checkout_source(storefront))
    reasons = {line.item.id: checkouts.unavailable_reason(store, kind, line.product) for line in summary.lines}
    return {item_id: reason for item_id, reason in reasons.items() if reason}


def _cart_page(storefront: str):
    if htmx_target() == CART_LINK_TARGET:
        return fragment_response(render_template("storefront/_cart_link.html", storefront=storefront))
    return _render_cart(storefront)


@bp.get("/cart")
def cart():
    """The Facebook shop's cart."""
    return _cart_page("facebook")


@bp.get("/store/cart")
def store_cart():
    """The online store's cart."""
    return _cart_page("online_store")


@bp.post("/cart/add")
def add_to_cart():
    """"Add to cart" on a product page: adds the chosen variant, or more of it."""
    variant_id = parse_id(request.form.get("variant"))
    variant = get_variant(variant_id) if variant_id else None
    if variant is None:
        if htmx_target() == NOTICE_TARGET:
            html = render_block("storefront/product.html", "cart_notice", notice=None,
                                error=_("This product is no longer available."))
            return html, 422
        abort(404)
    product = variant.product
    storefront = product_channel(product, request.form.get("channel"), shop_is_open(find_store()))
    try:
        quantity = carts.parse_quantity(request.form.get("quantity", "1"))
        cart = carts.open_cart(cart_token(storefront))
        session[CART_TOKENS[storefront]] = cart.token
        item = carts.add_to_cart(cart, variant.id, quantity)
    except DomainError as error:
        if htmx_target() == NOTICE_TARGET:
            return render_block("storefront/product.html", "cart_notice", notice=None,
                                error=error.message), 422
        context = product_context(product, variant, storefront, error=error.message, error_field=error.field)
        return render_template("storefront/product.html", **context), 422

    if item.quantity == quantity:
        notice = _("Added to your cart: %(title)s × %(quantity)d.", title=_line_title(variant),
                   quantity=quantity)
    else:
        notice = _("Added to your cart: %(title)s × %(quantity)d (%(in_cart)d in your cart).",
                   title=_line_title(variant), quantity=quantity, in_cart=item.quantity)
    if htmx_target() == NOTICE_TARGET:
        return trigger(fragment_response(render_block("storefront/product.html", "cart_notice",
                                                      notice=notice, error=None, channel=storefront)),
                       "cart-updated")
    flash(notice, CART_NOTICE)  # shown in the product's cart notice, with its Checkout link
    return redirect(url_for("storefront.product", handle=product.handle, variant=variant.id,
                            channel="online_store" if storefront == "online_store" else None,
                            _anchor=NOTICE_TARGET), code=303)  # scrolled to the notice


def _line_title(variant) -> str:
    if len(variant.product.variants) > 1:
        return f"{variant.product.title} ({variant.title})"
    return variant.product.title


def _storefront_of_line(item_id: int) -> str:
    """Which of the browser's carts holds this line (the Facebook shop's when neither does)."""
    for storefront in ("online_store", "facebook"):
        cart = carts.get_cart(cart_token(storefront))
        if cart is not None and any(item.id == item_id for item in cart.items):
            return storefront
    return request.form.get("storefront") if request.form.get("storefront") in CART_TOKENS else "facebook"


def _change(item_id: int, change):
    """Apply a change to one line, then show its cart (303 back to it without htmx)."""
    storefront = _storefront_of_line(item_id)
    cart = carts.get_cart(cart_token(storefront))
    try:
        if cart is None:
            raise carts.NotFound(_("This item is no longer in your cart."))
        change(cart)
    except carts.NotFound as error:
        return _render_cart(storefront, 422, cart_error=error.message)
    except DomainError as error:
        if not any(item.id == item_id for item in cart.items):
            # Removed meanwhile (in another tab): there is no line to show the error next to.
            return _render_cart(storefront, 422, cart_error=_("This item is no longer in your cart."))
        return _render_cart(storefront, 422, errors={item_id: error.message})
    if htmx_target() == CART_TARGET:
        return _render_cart(storefront)
    return redirect(url_for("storefront.store_cart" if storefront == "online_store" else "storefront.cart"),
                    code=303)


@bp.post("/cart/items/<int:item_id>")
def update_cart_item(item_id):
    def change(cart):
        quantity = carts.parse_quantity(request.form.get("quantity"), minimum=0)
        carts.set_quantity(cart, item_id, quantity)
    return _change(item_id, change)


@bp.post("/cart/items/<int:item_id>/remove")
def remove_cart_item(item_id):
    return _change(item_id, lambda cart: carts.remove(cart, item_id))

"""S2 and S3: the Page's Shop tab, collections, the online store's catalog, product pages, and
the uploaded product images."""
from flask import (
    abort,
    current_app,
    get_flashed_messages,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _

from pageshop import checkout as checkouts
from pageshop.cart import parse_quantity
from pageshop.catalog import (
    check_available,
    clean_query,
    get_collection_by_handle,
    get_product_by_handle,
    published_collections,
    select_variant,
    shop_products,
)
from pageshop.errors import DomainError
from pageshop.ids import parse_id
from pageshop.images import CARD_WIDTHS, card_image
from pageshop.page_cache import cached_for_visitors
from pageshop.store import find_store
from pageshop.templating import render_page

from . import bp
from .page import shop_is_open

RESULTS_TARGET = "shop-results"
OFFER_TARGET = "offer"
CART_NOTICE = "cart"  # the flash category of "Add to cart" without JavaScript (templates/_flashes.html)


def _shop_closed():
    return render_template(
        "error.html", title=_("This shop isn't open yet"),
        message=_("The Page's shop opens once Facebook has approved it. Please come back later."),
    ), 404


def _int_arg(name: str, default: int) -> int:
    return request.args.get(name, default, type=int)


def _listing(channel: str, template: str, endpoint: str, path_args: dict,
             collection_handle: str | None, **context):
    """A page of products: the whole page, or only the results when htmx asks for them."""
    collection = None
    if collection_handle:
        collection = get_collection_by_handle(collection_handle)
        if collection is None:
            abort(404)
    q = clean_query(request.args.get("q"))
    products = shop_products(channel, q=q, collection=collection,
                             after=parse_id(request.args.get("after")),
                             before=parse_id(request.args.get("before")),
                             last=request.args.get("page") == "last")
    # What the search form and the "Previous"/"Next" links keep besides the path.
    kept = {"collection": collection_handle} if "handle" not in path_args and collection_handle else {}

    def page_url(**cursor) -> str:
        """The first page, or the one a cursor names: after=id, before=id or page="last"."""
        return url_for(endpoint, **path_args, **kept, q=q or None, **cursor)

    context.update(
        channel=channel,
        products=products,
        q=q,
        collection=collection,
        collections=published_collections(channel),
        form_action=url_for(endpoint, **path_args),
        hidden_args=kept,
        page_url=page_url,
        # An int: ngettext's %(num)d can't take "1,000" (a formatted number crashed the page).
        count_limit=products.count_limit,
    )
    return render_page(template, {RESULTS_TARGET: "storefront/_shop_results.html"}, **context)


@bp.get("/shop")
@cached_for_visitors
def shop():
    if not shop_is_open(find_store()):
        return _shop_closed()
    handle = request.args.get("collection") or None
    return _listing("facebook", "storefront/shop.html", "storefront.shop",
                    {}, handle, active_tab="shop")


@bp.get("/collections/<handle>")
@cached_for_visitors
def collection(handle):
    if not shop_is_open(find_store()):
        return _shop_closed()
    return _listing("facebook", "storefront/shop.html", "storefront.collection",
                    {"handle": handle}, handle, active_tab="shop")


@bp.get("/store")
@cached_for_visitors
def online_store():
    handle = request.args.get("collection") or None
    return _listing("online_store", "storefront/online_store.html", "storefront.online_store",
                    {}, handle)


def product_channel(product, requested: str | None, shop_open: bool = True) -> str:
    """Which channel's look a product page has: the online store's when the shopper came from
    there (or the product is only published there, or the Page's shop isn't open yet), otherwise
    the Page's."""
    if requested == "online_store" and product.published_online_store:
        return "online_store"
    return "facebook" if product.published_facebook and shop_open else "online_store"


def checkout_source(channel: str) -> str | None:
    """What "Buy Now" tells the checkout: bought in the online store, it is the store's own."""
    return "online_store" if channel == "online_store" else None


def purchase_refusal(store, product, channel: str) -> str | None:
    """Why the checkout "Buy Now" leads to can't sell this product, or None when it can."""
    return checkouts.unavailable_reason(store, checkouts.checkout_kind(store, checkout_source(channel)),
                                        product)


def product_context(product, variant, channel: str, quantity: int = 1, **extra) -> dict:
    context = dict(
        product=product,
        variant=variant,
        channel=channel,
        channel_arg="online_store" if channel == "online_store" else None,
        layout=("storefront/_layout.html" if channel == "facebook"
                else "storefront/_online_store_layout.html"),
        active_tab="shop",
        quantity=max(1, min(quantity, variant.stock)) if variant.stock > 0 else 1,
        notice=None,
        error=None,
        error_field=None,
        refusal=None,  # why this product can't be bought here, if it can't
    )
    context.update(extra)
    return context


def _variant_arg(source) -> int | None:
    """The chosen variant's id; None when none was chosen; -1 (no variant) when it is not a number."""
    raw = (source.get("variant") or "").strip()
    if not raw:
        return None
    return parse_id(raw) or -1


def _shown_product(handle):
    """The product a shopper may see here and the channel whose look it has; a product only on
    the Page's shop is not shown (nor sold) before Facebook has approved the shop."""
    store = find_store()
    product = get_product_by_handle(handle)
    if product is None:
        abort(404)
    shop_open = shop_is_open(store)
    if not shop_open and not product.published_online_store:
        return store, product, None
    return store, product, product_channel(product, request.values.get("channel"), shop_open)


@bp.get("/products/<handle>")
@cached_for_visitors
def product(handle):
    store, product, channel = _shown_product(handle)
    if channel is None:
        return _shop_closed()
    variant = select_variant(product, _variant_arg(request.args))
    if variant is None:
        abort(404)
    added = get_flashed_messages(category_filter=[CART_NOTICE])  # "Add to cart" without JavaScript
    context = product_context(product, variant, channel, quantity=_int_arg("quantity", 1),
                              refusal=purchase_refusal(store, product, channel), notice=(added or [None])[-1])
    return render_page("storefront/product.html", {OFFER_TARGET: "offer"}, **context)


@bp.post("/products/<handle>/buy")
def buy_product(handle):
    """"Buy Now": straight to the checkout with this item, if it can be bought."""
    store, product, channel = _shown_product(handle)
    if channel is None:
        return _shop_closed()
    variant = select_variant(product, _variant_arg(request.form))
    if variant is None:
        abort(404)
    refusal = purchase_refusal(store, product, channel)
    try:
        if refusal:
            raise DomainError(refusal)
        quantity = parse_quantity(request.form.get("quantity", "1"))
        check_available(variant, quantity)
    except DomainError as error:
        context = product_context(product, variant, channel, refusal=refusal,
                                  error=None if refusal else error.message, error_field=error.field)
        return render_template("storefront/product.html", **context), 422
    return redirect(url_for("storefront.checkout", variant=variant.id, quantity=quantity,
                            source=checkout_source(channel)), code=303)


@bp.get("/images/<path:filename>")
def product_image(filename):
    """Product images are uploads (A2), kept outside static/."""
    return send_from_directory(current_app.config["UPLOAD_FOLDER"], filename, max_age=3600)


@bp.get("/images/card/<int:width>/<path:filename>")
def product_card_image(width, filename):
    """A product image at a card's size (pageshop.images.CARD_WIDTHS), as WebP."""
    if width not in CARD_WIDTHS:
        abort(404)
    name = card_image(filename, width) or filename  # the upload as it is, if it can't be scaled
    return send_from_directory(current_app.config["UPLOAD_FOLDER"], name, max_age=3600)

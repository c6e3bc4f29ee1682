"""What shoppers can see of the catalog (S2, S3), and the product search Messenger uses (S10).

A channel is "facebook" (the Page's Shop tab) or "online_store" (the store's own website); a
product is listed on a channel only when it is published there.

Listings stay as fast with 100,000 products as with 1,000 (issue 12): a page is found by its
neighbour (pageshop.listing: keyset pagination on the indexed (title, id), never OFFSET) and
counted only up to COUNT_LIMIT; a search takes the newest matches from the trigram index
(pageshop.search) and pages through them in memory; a page's variants come in one more query
(selectinload).
"""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import exists, literal, select
from sqlalchemy.orm import selectinload

from . import search as search_index
from .errors import DomainError
from .extensions import db
from .listing import ListingPage, count_up_to, cursor_of, keyset_page, page_of
from .models import Collection, Product, Variant, product_collections
from .search import matches, newest_matches, query_words

CHANNELS = ("facebook", "online_store")
PER_PAGE = 24
MAX_QUERY_LENGTH = 100
ProductPage = ListingPage


def published_on(channel: str):
    """The SQL condition "published to this channel"."""
    if channel == "facebook":
        return Product.published_facebook.is_(True)
    if channel == "online_store":
        return Product.published_online_store.is_(True)
    raise ValueError(f"unknown channel {channel!r}")


def title_matches(query: str | None):
    """The SQL condition "the title contains every word of `query`", accents and case aside
    ("macrame" finds "Macramé"), for the newest matches the search index gives (it is asked here,
    once); None for an empty query."""
    words = query_words(clean_query(query))
    return matches(Product.__table__, words) if words else None


def clean_query(query: str | None) -> str:
    return " ".join((query or "").split())[:MAX_QUERY_LENGTH]


def _in_collection(collection: Collection):
    return exists().where(
        product_collections.c.product_id == Product.id,
        product_collections.c.collection_id == collection.id,
    )


def _in_stock():
    return exists().where(Variant.product_id == Product.id, Variant.stock > 0)


def get_collection_by_handle(handle: str) -> Collection | None:
    return db.session.scalars(select(Collection).filter_by(handle=handle)).first()


def published_collections(channel: str) -> list[Collection]:
    """Collections with at least one product published to the channel, by title."""
    # LIMIT 1 stops at a collection's first published product (EXISTS let PostgreSQL hash them all).
    a_published_product = (
        select(literal(1))
        .select_from(product_collections.join(Product, Product.id == product_collections.c.product_id))
        .where(product_collections.c.collection_id == Collection.id, published_on(channel))
        .limit(1).scalar_subquery()
    )
    return list(db.session.scalars(
        select(Collection).where(a_published_product.is_not(None))
        .order_by(Collection.title, Collection.id)
    ))


def shop_products(channel: str, q: str | None = None, collection: Collection | None = None,
                  after: int | None = None, before: int | None = None, last: bool = False,
                  per_page: int = PER_PAGE) -> ProductPage:
    """A page of the products published to `channel`, by title; optionally only those of one
    collection and those whose title contains the words of `q` (the newest MATCH_LIMIT of them).

    The first page by default; with `after` (a product's id) the page that follows that product,
    with `before` the page that precedes it, with `last` the last page. A cursor that names no
    product is ignored."""
    conditions = [published_on(channel)]
    if collection is not None:
        conditions.append(_in_collection(collection))
    with_variants = selectinload(Product.variants)
    if words := query_words(clean_query(q)):
        # A search's matches are few (MATCH_LIMIT at most): ordered and paged here, then loaded.
        found = db.session.execute(
            newest_matches(Product.__table__, words, [Product.search_text], conditions)).all()
        # By title, as the listing: the folded title is at hand, and sorts without regard to case.
        page = page_of([((folded, row_id), row_id) for row_id, folded in found], per_page,
                       after=after, before=before, last=last)
        page.count_limit = search_index.MATCH_LIMIT
        loaded = {product.id: product for product in db.session.scalars(
            select(Product).where(Product.id.in_(page.items)).options(with_variants))}
        page.items = [loaded[row_id] for row_id in page.items]
        return page
    order = [Product.title, Product.id]
    cursor = cursor_of(Product, after or before, order)
    page = keyset_page(
        select(Product).where(*conditions).options(with_variants), order, per_page,
        after=cursor if after else None, before=cursor if before and not after else None, last=last)
    page.total = count_up_to(select(Product.id).where(*conditions))
    return page


def featured_products(channel: str, limit: int = 4) -> list[Product]:
    """The newest products of the channel, for the Page's "Home" tab."""
    return list(db.session.scalars(
        select(Product)
        .where(published_on(channel))
        .options(selectinload(Product.variants))
        .order_by(Product.created_at.desc(), Product.id.desc())
        .limit(limit)
    ))


def get_product_by_handle(handle: str) -> Product | None:
    """The product with this handle if a shopper may see it: published to Facebook or to the
    online store. Unpublished products are not found."""
    return db.session.scalars(
        select(Product)
        .where(Product.handle == handle,
               Product.published_facebook.is_(True) | Product.published_online_store.is_(True))
        .options(selectinload(Product.variants))
    ).first()


def select_variant(product: Product, variant_id: int | None) -> Variant | None:
    """The variant the shopper chose; with no choice, the first one in stock (or the first one).
    None when `variant_id` is not one of this product's variants."""
    if variant_id is None:
        in_stock = [v for v in product.variants if v.stock > 0]
        return (in_stock or product.variants or [None])[0]
    return next((v for v in product.variants if v.id == variant_id), None)


def get_variant(variant_id: int) -> Variant | None:
    """A variant a shopper may buy: its product is published to some channel."""
    variant = db.session.get(Variant, variant_id)
    if variant is None:
        return None
    product = variant.product
    if not (product.published_facebook or product.published_online_store):
        return None
    return variant


def check_available(variant: Variant, quantity: int, in_cart: int = 0) -> None:
    """Refuse a quantity the variant's stock cannot cover (`in_cart`: already in the cart)."""
    if variant.stock <= 0:
        raise DomainError(_("Sold out."), "quantity")
    if quantity > variant.stock:
        if in_cart:
            raise DomainError(
                ngettext("Only %(num)d left in stock, and %(in_cart)d already in your cart.",
                         "Only %(num)d left in stock, and %(in_cart)d already in your cart.",
                         variant.stock, in_cart=in_cart), "quantity")
        raise DomainError(ngettext("Only %(num)d left in stock.", "Only %(num)d left in stock.", variant.stock),
                          "quantity")


def search_facebook_products(query: str, limit: int = 10) -> list[Product]:
    """Products published to Facebook whose title contains the words of `query` (accents and case
    aside), those in stock first (Messenger's "Search products")."""
    matched = title_matches(query)
    if matched is None:
        return []
    return list(db.session.scalars(
        select(Product)
        .where(published_on("facebook"), matched)
        .options(selectinload(Product.variants))
        .order_by(_in_stock().desc(), Product.title, Product.id)
        .limit(limit)
    ))

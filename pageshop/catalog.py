"""What shoppers can see of the catalog (S2, S3), and the product search Messenger uses (S10).

A channel is "facebook" (the Page's Shop tab) or "online_store" (the store's own website); a
product is listed on a channel only when it is published there.

Listings stay fast with 10,000 products: one COUNT, one page of rows (LIMIT/OFFSET, ordered by the
indexed title), and the page's variants in one more query (selectinload).
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import exists, func, select
from sqlalchemy.orm import selectinload

from .errors import DomainError
from .extensions import db
from .models import Collection, Product, Variant, product_collections

CHANNELS = ("facebook", "online_store")
PER_PAGE = 24
MAX_QUERY_LENGTH = 100


@dataclass
class ProductPage:
    """One page of a product listing."""

    items: list[Product]
    total: int
    page: int
    pages: int
    per_page: int

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def published_on(channel: str):
    """The SQL condition "published to this channel"."""
    if channel == "facebook":
        return Product.published_facebook.is_(True)
    if channel == "online_store":
        return Product.published_online_store.is_(True)
    raise ValueError(f"unknown channel {channel!r}")


def _title_matches(query: str):
    # The shopper's % and _ are letters, not wildcards.
    escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return Product.title.ilike(f"%{escaped}%", escape="\\")


def clean_query(query: str | None) -> str:
    return " ".join((query or "").split())[:MAX_QUERY_LENGTH]


def _in_collection(collection: Collection):
    return exists().where(
        product_collections.c.product_id == Product.id,
        product_collections.c.collection_id == collection.id,
    )


def _in_stock():
    return exists().where(Variant.product_id == Product.id, Variant.stock > 0)


def get_collection(handle: str) -> Collection | None:
    return db.session.scalars(select(Collection).filter_by(handle=handle)).first()


def published_collections(channel: str) -> list[Collection]:
    """Collections with at least one product published to the channel, by title."""
    has_products = (
        select(product_collections.c.collection_id)
        .join(Product, Product.id == product_collections.c.product_id)
        .where(published_on(channel))
    )
    return list(db.session.scalars(
        select(Collection).where(Collection.id.in_(has_products)).order_by(Collection.title, Collection.id)
    ))


def shop_products(channel: str, q: str | None = None, collection_handle: str | None = None,
                  page: int = 1, per_page: int = PER_PAGE) -> ProductPage:
    """A page of the products published to `channel`, by title; optionally only those of one
    collection and those whose title contains `q`. An unknown collection lists nothing; a page
    past the end shows the last one."""
    conditions = [published_on(channel)]
    query = clean_query(q)
    if query:
        conditions.append(_title_matches(query))
    if collection_handle:
        collection = get_collection(collection_handle)
        if collection is None:
            return ProductPage(items=[], total=0, page=1, pages=1, per_page=per_page)
        conditions.append(_in_collection(collection))

    total = db.session.scalar(select(func.count()).select_from(Product).where(*conditions)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    items = list(db.session.scalars(
        select(Product)
        .where(*conditions)
        .options(selectinload(Product.variants))
        .order_by(Product.title, Product.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ))
    return ProductPage(items=items, total=total, page=page, pages=pages, per_page=per_page)


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
                _("Only %(stock)d left in stock, and %(in_cart)d already in your cart.",
                  stock=variant.stock, in_cart=in_cart), "quantity")
        raise DomainError(_("Only %(stock)d left in stock.", stock=variant.stock), "quantity")


def search_products(query: str, limit: int = 10) -> list[Product]:
    """Products published to Facebook whose title contains `query`, those in stock first
    (Messenger's "Search products")."""
    query = clean_query(query)
    if not query:
        return []
    in_stock = _in_stock()
    return list(db.session.scalars(
        select(Product)
        .where(published_on("facebook"), _title_matches(query))
        .options(selectinload(Product.variants))
        .order_by(in_stock.desc(), Product.title, Product.id)
        .limit(limit)
    ))

"""The shopper's cart (S4), kept in the database; the browser holds only its random token (the
views keep it in the Flask session, one cart per storefront: see storefront/cart.py).

- get_cart(token) -> Cart | None: the cart with this token, if any.
- open_cart(token) -> Cart: the cart with this token, or a new one (commits).
- add_to_cart(cart, variant_id, quantity) -> CartItem: adds, or increases the line (commits).
- set_quantity(cart, item_id, quantity) -> CartItem | None: 0 removes the line (then None).
- remove(cart, item_id): removes the line.
- cart_lines(cart) -> CartSummary: the lines with product, variant, prices, and the subtotal.
- item_count(token) -> int: how many items the cart holds (quantities added up), in one query.
- clear_cart(token, commit=True): empties the cart after an order was placed from it; pass
  commit=False to make it part of the order's own transaction.

A quantity above the variant's stock is refused with a DomainError (field "quantity") and the
cart stays as it was; an item or variant that is not there raises NotFound.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from .catalog import check_available, get_variant
from .errors import DomainError
from .extensions import db
from .models import Cart, CartItem, Product, Variant

MAX_QUANTITY = 999


class NotFound(DomainError):
    """The cart line or the product variant does not exist (any more)."""


@dataclass
class CartLine:
    item: CartItem
    variant: Variant
    product: Product

    @property
    def quantity(self) -> int:
        return self.item.quantity

    @property
    def price_cents(self) -> int:
        return self.variant.price_cents

    @property
    def total_cents(self) -> int:
        return self.variant.price_cents * self.item.quantity

    @property
    def available(self) -> bool:
        """Still in stock in the quantity asked for."""
        return self.variant.stock >= self.item.quantity


@dataclass
class CartSummary:
    lines: list[CartLine]
    subtotal_cents: int

    @property
    def item_count(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def is_empty(self) -> bool:
        return not self.lines


def parse_quantity(text: str | None, minimum: int = 1) -> int:
    """A quantity typed by the shopper; a readable error for anything but a whole number."""
    try:
        quantity = int(str(text).strip())
    except (TypeError, ValueError):
        quantity = None
    if quantity is None or quantity < minimum or quantity > MAX_QUANTITY:
        if minimum == 0:
            raise DomainError(_("Enter a quantity from 0 to %(max)d.", max=MAX_QUANTITY), "quantity")
        raise DomainError(_("Enter a quantity from 1 to %(max)d.", max=MAX_QUANTITY), "quantity")
    return quantity


def get_cart(token: str | None) -> Cart | None:
    if not token:
        return None
    return db.session.scalars(select(Cart).filter_by(token=token)).first()


def open_cart(token: str | None) -> Cart:
    cart = get_cart(token)
    if cart is None:
        cart = Cart(token=secrets.token_urlsafe(32))
        db.session.add(cart)
        db.session.commit()
    return cart


def _find_item(cart: Cart, item_id: int) -> CartItem:
    item = db.session.scalars(select(CartItem).filter_by(id=item_id, cart_id=cart.id)).first()
    if item is None:
        raise NotFound(_("This item is no longer in your cart."))
    return item


def add_to_cart(cart: Cart, variant_id: int, quantity: int) -> CartItem:
    variant = get_variant(variant_id)
    if variant is None:
        raise NotFound(_("This product is no longer available."), "variant")
    if quantity < 1:
        raise DomainError(_("Enter a quantity from 1 to %(max)d.", max=MAX_QUANTITY), "quantity")
    item = db.session.scalars(select(CartItem).filter_by(cart_id=cart.id, variant_id=variant.id)).first()
    in_cart = item.quantity if item else 0
    check_available(variant, in_cart + quantity, in_cart)
    if item is not None:
        item.quantity = in_cart + quantity
    else:
        try:
            with db.session.begin_nested():
                item = CartItem(cart_id=cart.id, variant_id=variant.id, quantity=quantity)
                db.session.add(item)
        except IntegrityError:
            # The same line was added by a request running at the same moment (a double click).
            item = db.session.scalars(
                select(CartItem).filter_by(cart_id=cart.id, variant_id=variant.id)).one()
            check_available(variant, item.quantity + quantity, item.quantity)
            item.quantity += quantity
    db.session.commit()
    return item


def set_quantity(cart: Cart, item_id: int, quantity: int) -> CartItem | None:
    item = _find_item(cart, item_id)
    if quantity <= 0:
        db.session.delete(item)
        db.session.commit()
        return None
    check_available(item.variant, quantity)
    item.quantity = quantity
    db.session.commit()
    return item


def remove(cart: Cart, item_id: int) -> None:
    item = _find_item(cart, item_id)
    db.session.delete(item)
    db.session.commit()


def cart_lines(cart: Cart | None) -> CartSummary:
    """The cart's lines in the order they were added, with their products loaded (one query)."""
    if cart is None:
        return CartSummary(lines=[], subtotal_cents=0)
    items = db.session.scalars(
        select(CartItem)
        .where(CartItem.cart_id == cart.id)
        .options(joinedload(CartItem.variant).joinedload(Variant.product))
        .order_by(CartItem.id)
    ).all()
    lines = [CartLine(item=item, variant=item.variant, product=item.variant.product) for item in items]
    return CartSummary(lines=lines, subtotal_cents=sum(line.total_cents for line in lines))


def item_count(token: str | None) -> int:
    """The number of items in the cart with this token (0 without one), for the header's "Cart (n)"."""
    if not token:
        return 0
    return db.session.scalar(
        select(func.coalesce(func.sum(CartItem.quantity), 0))
        .join(Cart, Cart.id == CartItem.cart_id)
        .where(Cart.token == token)
    ) or 0


def clear_cart(token: str | None, commit: bool = True) -> None:
    cart = get_cart(token)
    if cart is not None:
        db.session.execute(delete(CartItem).where(CartItem.cart_id == cart.id))
        db.session.expire(cart, ["items"])
    if commit:
        db.session.commit()

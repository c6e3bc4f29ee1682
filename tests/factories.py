"""Small factories for tests. Each commits, so a request made next sees the rows."""
from __future__ import annotations

import itertools
import secrets

from pageshop import clock
from pageshop.extensions import db
from pageshop.models import (
    AdminUser,
    Collection,
    FacebookAccount,
    FacebookPage,
    Order,
    OrderEvent,
    OrderLine,
    Product,
    ShippingRate,
    Store,
    Variant,
)

PASSWORD = "pageshop-demo"
_seq = itertools.count(1)


def make_store(
    name: str = "Maple & Thread",
    country: str = "US",
    currency: str = "USD",
    review_state: str = "approved",
    checkout_choice: str = "facebook",
    buy_now_destination: str = "shop",
    messenger: bool = True,
) -> Store:
    page = FacebookPage(name=name, about="Hand-made goods.")
    db.session.add(page)
    db.session.flush()
    store = Store(
        name=name,
        country=country,
        currency=currency,
        email="shop@example.com",
        support_email="support@example.com",
        facebook_page_id=page.id,
        review_state=review_state,
        checkout_choice=checkout_choice,
        buy_now_destination=buy_now_destination,
        messenger_page_id=page.id if messenger else None,
    )
    db.session.add(store)
    db.session.add_all([
        ShippingRate(name="Standard", price_cents=500, position=0),
        ShippingRate(name="Express", price_cents=1500, position=1),
    ])
    db.session.commit()
    return store


def make_admin(email: str = "merchant@example.com", password: str = PASSWORD) -> AdminUser:
    user = AdminUser(email=email, name="Merchant")
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def make_facebook_account(email: str = "alex@example.com", name: str = "Alex Rivera",
                          password: str = PASSWORD) -> FacebookAccount:
    account = FacebookAccount(email=email, name=name)
    account.set_password(password)
    db.session.add(account)
    db.session.commit()
    return account


def make_shop(**store_options) -> Store:
    store = make_store(**store_options)
    make_admin()
    make_facebook_account("alex@example.com", "Alex Rivera")
    make_facebook_account("sam@example.com", "Sam Chen")
    return store


def make_product(
    title: str | None = None,
    price_cents: int = 2500,
    stock: int = 10,
    variants: list[tuple[str, int, int]] | None = None,
    facebook: bool = True,
    online_store: bool = True,
    collection: str | None = None,
    handle: str | None = None,
) -> Product:
    """variants: [(title, price_cents, stock), ...]; default one "Default" variant."""
    n = next(_seq)
    title = title or f"Product {n}"
    product = Product(
        handle=handle or f"{title.lower().replace(' ', '-')}-{n}",
        title=title,
        description=f"About {title}.",
        published_facebook=facebook,
        published_online_store=online_store,
    )
    for position, (v_title, v_price, v_stock) in enumerate(variants or [("Default", price_cents, stock)]):
        product.variants.append(Variant(title=v_title, price_cents=v_price, stock=v_stock, position=position))
    if collection:
        handle_ = collection.lower().replace(" ", "-")
        found = db.session.scalars(db.select(Collection).filter_by(handle=handle_)).first()
        product.collections.append(found or Collection(handle=handle_, title=collection))
    db.session.add(product)
    db.session.commit()
    return product


def make_order(
    product: Product | None = None,
    quantity: int = 1,
    sales_channel: str = "facebook_checkout",
    facebook_account: FacebookAccount | None = None,
    email: str = "alex@example.com",
    first_name: str = "Alex",
    last_name: str = "Rivera",
    country: str = "US",
) -> Order:
    """An order written directly (no payment, no e-mail): for tests of what comes after checkout."""
    store = db.session.scalars(db.select(Store)).first()
    product = product or make_product()
    variant = product.variants[0]
    number = store.next_order_number
    store.next_order_number = number + 1
    subtotal = variant.price_cents * quantity
    order = Order(
        number=number,
        token=secrets.token_urlsafe(32),
        idempotency_key=secrets.token_urlsafe(16),
        sales_channel=sales_channel,
        checkout="facebook" if sales_channel != "online_store" else "store",
        email=email,
        first_name=first_name,
        last_name=last_name,
        address="1 Main St",
        city="Springfield",
        region="IL",
        postal_code="62701",
        country=country,
        subtotal_cents=subtotal,
        shipping_cents=500,
        total_cents=subtotal + 500,
        shipping_rate_name="Standard",
        card_last_digits="1",
        facebook_account_id=facebook_account.id if facebook_account else None,
        page_id=store.facebook_page_id,
        placed_at=clock.now(),
    )
    order.lines.append(OrderLine(
        variant_id=variant.id, product_title=product.title, variant_title=variant.title,
        price_cents=variant.price_cents, quantity=quantity,
    ))
    order.events.append(OrderEvent(kind="placed", message="Order placed"))
    db.session.add(order)
    db.session.commit()
    return order


# --- checkout (S5): what a shopper types, with the form's own idempotency key ------------------

US_ADDRESS = {
    "email": "alex@example.com",
    "first_name": "Alex",
    "last_name": "Rivera",
    "address": "1 Main St",
    "city": "Springfield",
    "region": "IL",
    "postal_code": "62701",
    "country": "US",
    "card_number": "1",
}


def checkout_form(client, url: str, **overrides) -> dict:
    """Open the checkout at `url` as a browser would and return the filled-in form's fields
    (a US address, the first shipping rate, card "1"), with the page's own idempotency key."""
    import re

    from pageshop.models import ShippingRate

    html = client.get(url).get_data(as_text=True)
    found = re.search(r'name="idempotency_key"[^>]*value="([^"]+)"', html)
    assert found, "the checkout form has no idempotency key"
    rate = db.session.scalars(db.select(ShippingRate).order_by(ShippingRate.position)).first()
    fields = dict(US_ADDRESS, idempotency_key=found.group(1), shipping_rate=str(rate.id))
    fields.update(overrides)
    return {name: value for name, value in fields.items() if value is not None}

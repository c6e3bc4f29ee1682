"""Demo data: `flask seed` makes the demo store; `flask seed --products N --orders N
--conversations N` adds generated products, orders and inbox conversations for benchmarks.
seed_demo() and the add_generated_*() functions are used by tests and bench/."""
from __future__ import annotations

import os
import random
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

import click
from flask import Flask, current_app
from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import func, insert, select
from sqlalchemy.exc import OperationalError, ProgrammingError

from . import clock
from .extensions import db
from .models import (
    AdminUser,
    Collection,
    Conversation,
    DiscountCode,
    FacebookAccount,
    FacebookPage,
    Message,
    Order,
    OrderEvent,
    OrderLine,
    Product,
    ShippingRate,
    Store,
    Variant,
    order_search_text,
    product_collections,
    product_search_text,
)
from .shopper_language import DEFAULT_LANGUAGE, LANGUAGES

DEMO_PASSWORD = "pageshop-demo"
ADMIN_EMAIL = "merchant@example.com"
FACEBOOK_ACCOUNTS = [
    ("alex@example.com", "Alex Rivera", "#e4405f"),
    ("sam@example.com", "Sam Chen", "#2e8b57"),
]

COLLECTIONS = [
    ("knitwear", "Knitwear", "Warm layers knitted from natural wool."),
    ("home-kitchen", "Home & Kitchen", "Things made to be used every day."),
    ("accessories", "Accessories", "Small things that finish an outfit."),
    ("gifts", "Gifts", "Easy presents for the people you love."),
]


@dataclass
class DemoProduct:
    handle: str
    title: str
    description: str
    # (variant title, price in cents, stock)
    variants: list[tuple[str, int, int]]
    collections: tuple[str, ...]
    shape: str
    background: str
    colour: str
    facebook: bool = True
    online_store: bool = True


DEMO_PRODUCTS = [
    DemoProduct("merino-wool-beanie", "Merino Wool Beanie",
                "A soft ribbed beanie knitted from extra-fine merino.",
                [("Oatmeal", 2800, 12), ("Forest", 2800, 7), ("Charcoal", 3000, 0)],
                ("knitwear", "accessories", "gifts"), "beanie", "#f3e9dc", "#8a6f4e"),
    DemoProduct("chunky-knit-cardigan", "Chunky Knit Cardigan",
                "An oversized cardigan with horn buttons and deep pockets.",
                [("S", 8900, 4), ("M", 8900, 6), ("L", 8900, 3), ("XL", 9400, 2)],
                ("knitwear",), "sweater", "#e8eef2", "#5b7c99"),
    DemoProduct("cable-knit-sweater", "Cable Knit Sweater",
                "A classic fisherman sweater in undyed wool.",
                [("S", 7200, 5), ("M", 7200, 9), ("L", 7200, 0)],
                ("knitwear",), "sweater", "#f6efe4", "#c2a878"),
    DemoProduct("ribbed-wool-socks", "Ribbed Wool Socks",
                "Cosy boot socks with a reinforced heel.",
                [("S/M", 1600, 25), ("L/XL", 1600, 18)],
                ("knitwear", "accessories"), "sock", "#fde8e4", "#c0504d"),
    DemoProduct("cashmere-scarf", "Cashmere Scarf",
                "Featherlight cashmere, woven in Scotland. Back next season.",
                [("Camel", 9500, 0), ("Grey", 9500, 0)],
                ("knitwear", "accessories", "gifts"), "scarf", "#efe6da", "#a67b5b"),
    DemoProduct("wool-throw-blanket", "Wool Throw Blanket",
                "A herringbone throw for the end of the sofa.",
                [("Default", 12000, 5)],
                ("knitwear", "home-kitchen"), "blanket", "#e6efe9", "#4f7f6a"),
    DemoProduct("stoneware-mug", "Stoneware Mug",
                "Wheel-thrown and glazed by hand; holds 12 oz.",
                [("Sand", 1800, 20), ("Slate", 1800, 15), ("Sage", 2000, 8)],
                ("home-kitchen", "gifts"), "mug", "#eef3ea", "#7d9a6f"),
    DemoProduct("linen-tea-towel-set", "Linen Tea Towel Set",
                "Three stonewashed linen towels that dry glasses without lint.",
                [("Default", 2400, 30)],
                ("home-kitchen",), "towel", "#eaf0f6", "#6c8ebf"),
    DemoProduct("soy-candle", "Hand-poured Soy Candle",
                "Cedar, fig and a little smoke, in a reusable amber jar.",
                [("8 oz", 2200, 25), ("16 oz", 3400, 10)],
                ("home-kitchen", "gifts"), "candle", "#fbf1e1", "#c98b3c"),
    DemoProduct("walnut-serving-board", "Walnut Serving Board",
                "Cut from one piece of black walnut and finished with beeswax.",
                [("Default", 5600, 6)],
                ("home-kitchen",), "board", "#f1e7df", "#6b4a33"),
    DemoProduct("macrame-wall-hanging", "Macramé Wall Hanging",
                "Knotted cotton cord on a driftwood branch.",
                [("Default", 4800, 4)],
                ("home-kitchen", "gifts"), "hanging", "#f7f1e8", "#b89b72"),
    DemoProduct("leather-card-wallet", "Leather Card Wallet",
                "Vegetable-tanned leather, four card slots, saddle-stitched.",
                [("Tan", 4200, 14), ("Black", 4200, 9)],
                ("accessories", "gifts"), "wallet", "#f4e8dc", "#9c5b2e"),
    DemoProduct("canvas-tote-bag", "Canvas Tote Bag",
                "Heavy canvas with a leather-reinforced strap.",
                [("Natural", 3200, 18), ("Navy", 3200, 9)],
                ("accessories",), "tote", "#eef0f5", "#2f4b7c"),
    # Published only to the online store: not on the Page's Shop tab.
    DemoProduct("knitting-starter-kit", "Knitting Starter Kit",
                "Needles, two skeins and a pattern for your first scarf.",
                [("Default", 3900, 10)],
                ("gifts",), "yarn", "#f9ecf1", "#b5527a", facebook=False),
    # Unpublished everywhere: still being photographed.
    DemoProduct("patchwork-quilt", "Patchwork Quilt",
                "A queen-size quilt pieced from cotton offcuts.",
                [("Default", 18000, 3)],
                ("home-kitchen",), "blanket", "#eef2f7", "#50648a", facebook=False, online_store=False),
]


# --- images -------------------------------------------------------------------

IMAGE_SIZE = 600


def _font(size: int):
    for path in ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
                 "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf"):
        if os.path.exists(path):
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size=size)


def _lighter(hex_colour: str, amount: float) -> tuple[int, int, int]:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return tuple(int(c + (255 - c) * amount) for c in (r, g, b))


def _draw_shape(draw: ImageDraw.ImageDraw, shape: str, colour: str) -> None:
    c = IMAGE_SIZE // 2
    light = _lighter(colour, 0.35)
    if shape == "beanie":
        draw.pieslice((c - 150, 120, c + 150, 420), 180, 360, fill=colour)
        draw.rounded_rectangle((c - 165, 260, c + 165, 330), 18, fill=light)
        draw.ellipse((c - 35, 90, c + 35, 160), fill=light)
    elif shape == "sweater":
        draw.polygon([(c - 110, 130), (c - 220, 210), (c - 180, 290), (c - 130, 260), (c - 130, 420),
                      (c + 130, 420), (c + 130, 260), (c + 180, 290), (c + 220, 210), (c + 110, 130)],
                     fill=colour)
        draw.pieslice((c - 50, 95, c + 50, 165), 0, 180, fill=light)
        for x in (c - 60, c, c + 60):
            draw.line((x, 190, x, 410), fill=light, width=8)
    elif shape == "sock":
        draw.rounded_rectangle((c - 40, 100, c + 50, 330), 20, fill=colour)
        draw.rounded_rectangle((c - 150, 270, c + 50, 370), 48, fill=colour)
        draw.rectangle((c - 40, 100, c + 50, 140), fill=light)
    elif shape == "scarf":
        draw.rounded_rectangle((c - 170, 130, c + 170, 200), 30, fill=colour)
        draw.rounded_rectangle((c + 40, 150, c + 110, 420), 20, fill=colour)
        for x in range(c + 48, c + 110, 14):
            draw.line((x, 420, x, 445), fill=colour, width=5)
    elif shape == "blanket":
        draw.rounded_rectangle((c - 190, 140, c + 190, 400), 16, fill=colour)
        for y in range(170, 390, 40):
            draw.line((c - 190, y, c + 190, y), fill=light, width=6)
    elif shape == "mug":
        draw.rounded_rectangle((c - 120, 150, c + 90, 400), 28, fill=colour)
        draw.ellipse((c + 50, 200, c + 170, 340), outline=colour, width=26)
        draw.ellipse((c - 120, 135, c + 90, 175), fill=light)
    elif shape == "towel":
        for i, tone in enumerate((light, colour, _lighter(colour, 0.6))):
            draw.rounded_rectangle((c - 160 + i * 30, 130 + i * 60, c + 160 + i * 30, 300 + i * 60),
                                   12, fill=tone)
    elif shape == "candle":
        draw.rounded_rectangle((c - 110, 200, c + 110, 420), 24, fill=colour)
        draw.rectangle((c - 80, 260, c + 80, 340), fill=light)
        draw.line((c, 200, c, 160), fill="#333333", width=6)
        draw.ellipse((c - 22, 95, c + 22, 165), fill="#f4b942")
    elif shape == "board":
        draw.rounded_rectangle((c - 200, 180, c + 130, 380), 60, fill=colour)
        draw.rounded_rectangle((c + 110, 250, c + 220, 310), 28, fill=colour)
        draw.ellipse((c + 180, 265, c + 205, 295), fill=_lighter(colour, 0.8))
    elif shape == "hanging":
        draw.line((c - 180, 130, c + 180, 130), fill="#7a5c3e", width=14)
        for i in range(9):
            x = c - 160 + i * 40
            draw.line((x, 130, c, 300 + abs(4 - i) * 20), fill=colour, width=8)
        draw.polygon([(c - 90, 300), (c + 90, 300), (c, 430)], fill=colour)
    elif shape == "wallet":
        draw.rounded_rectangle((c - 170, 170, c + 170, 390), 24, fill=colour)
        draw.rounded_rectangle((c - 170, 170, c + 170, 250), 24, fill=light)
        draw.line((c - 150, 360, c + 150, 360), fill=_lighter(colour, 0.6), width=4)
    elif shape == "tote":
        draw.arc((c - 90, 90, c + 90, 270), 180, 360, fill=colour, width=18)
        draw.polygon([(c - 170, 180), (c + 170, 180), (c + 150, 420), (c - 150, 420)], fill=colour)
    elif shape == "yarn":
        draw.ellipse((c - 140, 130, c + 140, 410), fill=colour)
        for offset in range(-100, 120, 40):
            draw.arc((c - 140 + offset, 130, c + 140 + offset, 410), 100, 260, fill=light, width=6)
        draw.line((c + 60, 380, c + 200, 440), fill="#777777", width=10)
    else:
        draw.ellipse((c - 140, 130, c + 140, 410), fill=colour)


def _wrap(text: str, font, width: int, draw: ImageDraw.ImageDraw) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and draw.textlength(lines[-1] + " " + word, font=font) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def make_product_image(title: str, shape: str, background: str, colour: str, filename: str) -> str:
    """A flat illustration of the product with its name, saved as a PNG under UPLOAD_FOLDER."""
    image = Image.new("RGB", (IMAGE_SIZE, IMAGE_SIZE), background)
    draw = ImageDraw.Draw(image)
    _draw_shape(draw, shape, colour)
    font = _font(34)
    lines = _wrap(title, font, IMAGE_SIZE - 60, draw)
    y = IMAGE_SIZE - 40 - 44 * len(lines)
    for line in lines:
        width = draw.textlength(line, font=font)
        draw.text(((IMAGE_SIZE - width) / 2, y), line, font=font, fill="#2b2b2b")
        y += 44
    folder = current_app.config["UPLOAD_FOLDER"]
    os.makedirs(folder, exist_ok=True)
    image.save(os.path.join(folder, filename), "PNG", optimize=True)
    return filename


# --- the demo store --------------------------------------------------------------


def seed_demo() -> Store:
    """The demo store of SPEC ("Labels and demo data"), on an empty database."""
    now = clock.now()
    page = FacebookPage(name="Maple & Thread", avatar_color="#b5523b", cover_color="#e9dcc9",
                        about="Small-batch knitwear and homeware, made in Vermont.")
    outlet = FacebookPage(name="Maple & Thread Outlet", avatar_color="#5b7c99", cover_color="#dfe6ee",
                          about="Last season's favourites at outlet prices.")
    db.session.add_all([page, outlet])
    db.session.flush()
    store = Store(
        name="Maple & Thread", country="US", currency="USD",
        email="shop@example.com", support_email="support@example.com",
        facebook_page_id=page.id, review_state="approved", checkout_choice="facebook",
        buy_now_destination="shop", messenger_page_id=page.id,
    )
    db.session.add(store)
    db.session.add_all([
        ShippingRate(name="Standard", price_cents=500, position=0),
        ShippingRate(name="Express", price_cents=1500, position=1),
    ])

    admin = AdminUser(email=ADMIN_EMAIL, name="Morgan Lee")
    admin.set_password(DEMO_PASSWORD)
    db.session.add(admin)
    for email, name, colour in FACEBOOK_ACCOUNTS:
        account = FacebookAccount(email=email, name=name, avatar_color=colour)
        account.set_password(DEMO_PASSWORD)
        db.session.add(account)

    collections = {handle: Collection(handle=handle, title=title, description=description)
                   for handle, title, description in COLLECTIONS}
    db.session.add_all(collections.values())
    for item in DEMO_PRODUCTS:
        filename = make_product_image(item.title, item.shape, item.background, item.colour,
                                      f"demo-{item.handle}.png")
        product = Product(
            handle=item.handle, title=item.title, description=item.description,
            image_filename=filename, published_facebook=item.facebook,
            published_online_store=item.online_store, created_at=now,
        )
        slug = "".join(word[0] for word in item.handle.split("-")).upper()
        for position, (title, price, stock) in enumerate(item.variants):
            sku = f"MT-{slug}-{position + 1:02d}"
            product.variants.append(Variant(title=title, sku=sku, price_cents=price, stock=stock,
                                            position=position))
        product.collections.extend(collections[handle] for handle in item.collections)
        db.session.add(product)

    db.session.add_all([
        DiscountCode(code="WELCOME10", kind="percentage", value=10),
        DiscountCode(code="FIVEOFF", kind="fixed", value=500, usage_limit=100),
        DiscountCode(code="SUMMER25", kind="percentage", value=25,
                     starts_at=now - timedelta(days=120), ends_at=now - timedelta(days=30)),
    ])
    db.session.commit()
    return store


# --- generated products for benchmarks ------------------------------------------------

ADJECTIVES = ["Cozy", "Classic", "Rustic", "Everyday", "Heritage", "Soft", "Woven", "Natural",
              "Vintage", "Modern", "Handmade", "Organic", "Chunky", "Light", "Coastal", "Alpine"]
MATERIALS = ["Wool", "Linen", "Cotton", "Leather", "Oak", "Walnut", "Ceramic", "Stoneware",
             "Merino", "Cashmere", "Hemp", "Brass", "Canvas", "Alpaca", "Bamboo", "Glass"]
NOUNS = ["Scarf", "Mug", "Blanket", "Tote", "Beanie", "Bowl", "Candle", "Sweater", "Socks",
         "Pillow", "Basket", "Wallet", "Apron", "Coaster Set", "Vase", "Mittens"]
SIZES = ["S", "M", "L"]
CHUNK = 2000  # rows per INSERT: bulk, yet a modest statement


def insert_rows(model, rows: list[dict]) -> None:
    """INSERT the rows (all with the same keys) in bulk: sqlite3's executemany runs in C; on
    PostgreSQL an executemany costs a round trip per row, so the rows go in by COPY."""
    if not rows:
        return
    if db.engine.dialect.name != "postgresql":
        db.session.execute(insert(model), rows)
        return
    table = getattr(model, "__table__", model)
    columns = list(rows[0])
    cursor = db.session.connection().connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[column] for column in columns])


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _new_batch_tag() -> str:
    """A short tag that no existing handle uses, so running the command twice never collides."""
    while True:
        tag = secrets.token_hex(3)
        taken = db.session.scalar(
            select(func.count()).select_from(Product).where(Product.handle.like(f"%-{tag}-%")))
        if not taken:
            return tag


def add_generated_products(count: int, seed: int | None = None) -> int:
    """Add `count` products published to Facebook and the online store, in bulk; returns count."""
    if count <= 0:
        return 0
    rng = random.Random(seed)
    tag = _new_batch_tag()
    now = clock.now()
    collection_ids = list(db.session.scalars(select(Collection.id).order_by(Collection.id)))
    for start in range(0, count, CHUNK):
        rows = []
        for i in range(start, min(start + CHUNK, count)):
            title = f"{rng.choice(ADJECTIVES)} {rng.choice(MATERIALS)} {rng.choice(NOUNS)} {i + 1}"
            rows.append({
                "handle": f"{_slug(title)}-{tag}-{i + 1}",
                "title": title,
                "search_text": product_search_text(title),
                "description": f"{title}: generated for benchmarks.",
                "image_filename": None,
                "published_facebook": True,
                "published_online_store": True,
                "created_at": now,
            })
        ids = list(db.session.scalars(
            insert(Product).returning(Product.id, sort_by_parameter_order=True), rows))
        variants, links = [], []
        for product_id in ids:
            price = rng.randrange(900, 15000, 100)
            sized = rng.random() < 0.3
            for position, title in enumerate(SIZES if sized else ["Default"]):
                variants.append({
                    "product_id": product_id, "title": title, "sku": f"GEN-{product_id}-{position}",
                    "price_cents": price, "stock": 0 if rng.random() < 0.05 else rng.randrange(1, 40),
                    "position": position,
                })
            if collection_ids:
                links.append({"product_id": product_id,
                              "collection_id": collection_ids[product_id % len(collection_ids)]})
        insert_rows(Variant, variants)
        if links:
            insert_rows(product_collections, links)
    db.session.commit()
    return count


FIRST_NAMES = ["Alex", "Sam", "Jordan", "Taylor", "Morgan", "Riley", "Casey", "Jamie", "Avery",
               "Quinn", "Renée", "José", "Zoë", "Chloé", "Noah", "Emma", "Liam", "Olivia"]
LAST_NAMES = ["Rivera", "Chen", "Müller", "García", "Smith", "Johnson", "Nguyen", "Kowalski",
              "O'Brien", "Dubois", "Rossi", "Svensson", "Tanaka", "Patel", "Brown", "Lopez"]
CITIES = [("Springfield", "IL", "62701"), ("Burlington", "VT", "05401"), ("Portland", "OR", "97201"),
          ("Austin", "TX", "73301"), ("Boston", "MA", "02108"), ("Denver", "CO", "80202")]
# (fulfillment status, weight): most generated orders are done, some wait for the merchant.
ORDER_STATES = [("unfulfilled", 25), ("fulfilled", 15), ("out_for_delivery", 5), ("delivered", 55)]


def generated_customer_email(n: int) -> str:
    """The e-mail of generated customer `n`: benchmarks search for one of them."""
    return f"customer{n}@example.com"


def add_generated_orders(count: int, seed: int | None = None) -> int:
    """Add `count` paid orders of generated customers (one to three lines each, placed over the last
    year, in every fulfillment state and sales channel), in bulk; returns count."""
    if count <= 0:
        return 0
    store = db.session.scalars(select(Store).order_by(Store.id).limit(1)).first()
    if store is None:
        raise ValueError("seed the demo store first")
    rng = random.Random(seed)
    variants = db.session.execute(
        select(Variant.id, Variant.title, Variant.price_cents, Product.title)
        .join(Product, Product.id == Variant.product_id).order_by(Variant.id).limit(5000)).all()
    if not variants:
        raise ValueError("add products first")
    first_number = store.next_order_number
    store.next_order_number = first_number + count
    now = clock.now()
    customers = max(1, count // 3)  # most customers order more than once
    states = [state for state, _weight in ORDER_STATES]
    weights = [weight for _state, weight in ORDER_STATES]
    for start in range(0, count, CHUNK):
        orders, picked = [], []
        for i in range(start, min(start + CHUNK, count)):
            # Every customer orders once before any orders again: each name is among the orders.
            customer = i if i < customers else rng.randrange(customers)
            first, last = FIRST_NAMES[customer % len(FIRST_NAMES)], LAST_NAMES[customer % len(LAST_NAMES)]
            city, region, postal_code = CITIES[customer % len(CITIES)]
            lines = rng.sample(variants, rng.choice((1, 1, 2, 3)))
            quantities = [rng.choice((1, 1, 1, 2)) for _line in lines]
            subtotal = sum(line[2] * quantity for line, quantity in zip(lines, quantities, strict=True))
            channel = rng.choice(("facebook_checkout", "facebook_checkout", "online_store", "messenger"))
            status = rng.choices(states, weights)[0]
            placed_at = now - timedelta(minutes=(count - i) * 5 + rng.randrange(5))
            shipped = status != "unfulfilled"
            orders.append({
                "number": first_number + i, "token": secrets.token_urlsafe(24),
                "idempotency_key": secrets.token_urlsafe(12), "sales_channel": channel,
                "checkout": "store" if channel == "online_store" else "facebook",
                "fulfillment_status": status, "financial_status": "paid",
                "email": generated_customer_email(customer), "first_name": first, "last_name": last,
                "search_text": order_search_text(first, last, generated_customer_email(customer)),
                "search_email": generated_customer_email(customer),
                "address": f"{customer % 900 + 1} Main St", "city": city, "region": region,
                "postal_code": postal_code, "country": "US", "currency": "USD",
                "subtotal_cents": subtotal, "discount_cents": 0, "shipping_cents": 500,
                "total_cents": subtotal + 500, "shipping_rate_name": "Standard",
                "payment_gateway": "bogus", "payment_reference": f"gen-{first_number + i}",
                "card_last_digits": "1", "page_id": store.facebook_page_id,
                "carrier": "UPS" if shipped else None,
                "tracking_number": f"1Z{first_number + i:010d}" if shipped else None,
                "placed_at": placed_at,
                "fulfilled_at": placed_at + timedelta(days=1) if shipped else None,
                "delivered_at": placed_at + timedelta(days=4) if status == "delivered" else None,
                "ship_by": (placed_at + timedelta(days=3)).date() if channel != "online_store" else None,
            })
            picked.append((lines, quantities, placed_at))
        # The numbers find the new ids: RETURNING in parameter order is row by row on SQLite.
        insert_rows(Order, orders)
        ids = dict(db.session.execute(select(Order.number, Order.id).where(
            Order.number.between(orders[0]["number"], orders[-1]["number"]))).all())
        order_lines, order_events = [], []
        for order, (lines, quantities, placed_at) in zip(orders, picked, strict=True):
            order_id = ids[order["number"]]
            for (variant_id, variant_title, price, product_title), quantity in zip(lines, quantities, strict=True):
                order_lines.append({"order_id": order_id, "variant_id": variant_id,
                                    "product_title": product_title, "variant_title": variant_title,
                                    "price_cents": price, "quantity": quantity})
            # Worded when shown, in the reader's language (pageshop.order_events).
            order_events.append({"order_id": order_id, "kind": "placed", "message": "",
                                 "created_at": placed_at})
        insert_rows(OrderLine, order_lines)
        insert_rows(OrderEvent, order_events)
    db.session.commit()
    return count


def add_generated_conversations(count: int, seed: int | None = None) -> int:
    """Add `count` Messenger conversations with the store's Page (people known by their PSID), each
    with a question and most with the Page's answer, in bulk; returns count."""
    if count <= 0:
        return 0
    store = db.session.scalars(select(Store).order_by(Store.id).limit(1)).first()
    if store is None or not (store.messenger_page_id or store.facebook_page_id):
        raise ValueError("seed the demo store first")
    page_id = store.messenger_page_id or store.facebook_page_id
    rng = random.Random(seed)
    tag = secrets.token_hex(3)
    now = clock.now()
    for start in range(0, count, CHUNK):
        conversations, talks = [], []
        for i in range(start, min(start + CHUNK, count)):
            asked_at = now - timedelta(minutes=(count - i) * 7 + rng.randrange(7))
            answered = rng.random() < 0.8
            last_at = asked_at + timedelta(minutes=3) if answered else asked_at
            conversations.append({
                "page_id": page_id, "psid": f"gen-{tag}-{i + 1}",
                "display_name": f"{FIRST_NAMES[i % len(FIRST_NAMES)]} {LAST_NAMES[i % len(LAST_NAMES)]}",
                "last_customer_action_at": asked_at, "last_customer_message_at": asked_at,
                "last_message_at": last_at, "unread_count": 0 if answered else 1, "created_at": asked_at,
            })
            talks.append((asked_at, answered))
        insert_rows(Conversation, conversations)
        ids = dict(db.session.execute(select(Conversation.psid, Conversation.id).where(
            Conversation.psid.in_([c["psid"] for c in conversations]))).all())
        messages = []
        for conversation, (asked_at, answered) in zip(conversations, talks, strict=True):
            conversation_id = ids[conversation["psid"]]
            messages.append({"conversation_id": conversation_id, "direction": "in", "kind": "text",
                             "text": "Hi! Do you ship to Canada?", "author": "customer",
                             "created_at": asked_at})
            if answered:
                messages.append({"conversation_id": conversation_id, "direction": "out", "kind": "text",
                                 "text": "We ship to the US only for now, sorry!", "author": "merchant",
                                 "lane": "RESPONSE", "created_at": asked_at + timedelta(minutes=3)})
        insert_rows(Message, messages)
    db.session.commit()
    return count


# --- flask seed --------------------------------------------------------------------


def register(app: Flask) -> None:
    @app.cli.command("seed")
    @click.option("--products", "products", type=click.IntRange(min=1), default=None,
                  help="Add this many generated products (for benchmarks).")
    @click.option("--orders", "orders", type=click.IntRange(min=1), default=None,
                  help="Add this many generated orders (for benchmarks).")
    @click.option("--conversations", "conversations", type=click.IntRange(min=1), default=None,
                  help="Add this many generated inbox conversations (for benchmarks).")
    @click.option("--language", "language", type=click.Choice(LANGUAGES), default=DEFAULT_LANGUAGE,
                  help="The language of the demo's saved replies (the merchant's).")
    def seed_command(products: int | None, orders: int | None, conversations: int | None,
                     language: str) -> None:
        """Load the demo store (once); --products, --orders and --conversations N add N generated
        rows of each."""
        try:
            seeded = db.session.scalar(select(func.count()).select_from(Store))
        except (OperationalError, ProgrammingError):
            db.session.rollback()
            raise click.ClickException("The database has no tables yet: run `flask db upgrade` first.")
        if seeded:
            if not (products or orders or conversations):
                click.echo("Already seeded: the store exists, nothing changed.")
                return
        else:
            store = seed_demo()
            from .saved_replies import add_demo_saved_replies

            add_demo_saved_replies(language)
            db.session.commit()
            click.echo(f"Demo store {store.name!r} created with {len(DEMO_PRODUCTS)} products.")
            click.echo(f"Logins (password {DEMO_PASSWORD}): admin {ADMIN_EMAIL}; Facebook "
                       + ", ".join(email for email, _name, _colour in FACEBOOK_ACCOUNTS) + ".")
        if products:
            add_generated_products(products)
            click.echo(f"Added {products} generated products.")
        if orders:
            add_generated_orders(orders)
            click.echo(f"Added {orders} generated orders.")
        if conversations:
            add_generated_conversations(conversations)
            click.echo(f"Added {conversations} generated conversations.")

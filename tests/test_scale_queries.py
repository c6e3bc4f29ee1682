"""Flat as data grows (issue 12): each busy page costs the same number of queries, at most 8, with
60 rows as with 300 (products, orders, conversations; 60 is more than a page of each list).
Timing lives in bench/catalog_scale.py."""
import re
from urllib.parse import urlencode

import pytest
from sqlalchemy import event

from pageshop.extensions import db
from pageshop.models import Conversation, Order
from pageshop.seed import add_generated_conversations, add_generated_orders, add_generated_products

MAX_QUERIES = 8


def _middle_order() -> Order:
    ids = db.session.scalars(db.select(Order.id).order_by(Order.id)).all()
    return db.session.get(Order, ids[len(ids) // 2])


def _middle_conversation_id() -> int:
    ids = db.session.scalars(db.select(Conversation.id).order_by(Conversation.id)).all()
    return ids[len(ids) // 2]


def _link(client, path: str, rel: str) -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(rf'href="([^"]+)"[^>]*rel="{rel}"', html).group(1).replace("&amp;", "&")


PAGES = {
    "Shop tab, page 1": lambda client: "/shop",
    "Shop tab, next page": lambda client: _link(client, "/shop", "next"),
    "Shop tab, last page": lambda client: _link(client, "/shop", "last"),
    "Shop tab, previous page": lambda client: _link(client, _link(client, "/shop", "last"), "prev"),
    "search": lambda client: "/shop?q=macrame",
    "search, common word": lambda client: "/shop?q=wool",
    "collection": lambda client: "/collections/knitwear",
    "product": lambda client: "/products/macrame-wall-hanging",
    "online store": lambda client: "/store?q=wool",
    "orders, page 1": lambda client: "/admin/orders",
    "orders, next page": lambda client: _link(client, "/admin/orders", "next"),
    "orders, a filter": lambda client: "/admin/orders?status=unfulfilled&channel=online_store",
    "orders, search by e-mail": lambda client: "/admin/orders?" + urlencode({"q": _middle_order().email}),
    "orders, search by number": lambda client: "/admin/orders?" + urlencode({"q": _middle_order().name}),
    "orders, search by name": lambda client: "/admin/orders?q=renee",
    "order detail": lambda client: f"/admin/orders/{_middle_order().id}",
    "inbox": lambda client: "/admin/inbox",
    "inbox, older conversations": lambda client: _link(client, "/admin/inbox", "next"),
    "a conversation": lambda client: f"/admin/inbox/{_middle_conversation_id()}",
}


def _queries_per_page(client) -> dict[str, int]:
    counts = {}
    statements = []

    def count(*_args):
        statements.append(1)

    for label, path_of in PAGES.items():
        path = path_of(client)
        assert client.get(path).status_code == 200, (label, path)  # warm: templates compiled
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert client.get(path).status_code == 200, (label, path)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        counts[label] = len(statements)
    return counts


def _grow_to(rows: int, have: int) -> None:
    add_generated_products(rows - have, seed=rows)
    add_generated_orders(rows - have, seed=rows)
    add_generated_conversations(rows - have, seed=rows)


@pytest.fixture
def shop(auth, store, make_product):
    """The shop with a knitwear collection, a product with an accent, and the merchant signed in."""
    make_product(title="Merino Wool Beanie", collection="Knitwear")
    make_product(title="Macramé Wall Hanging", handle="macrame-wall-hanging")
    auth.sign_in()
    return store


def test_busy_pages_cost_the_same_few_queries_at_60_and_300_rows(client, shop):
    _grow_to(60, 0)  # more than a page of each list: every page has neighbours
    small = _queries_per_page(client)
    _grow_to(300, 60)
    large = _queries_per_page(client)
    assert large == small
    too_many = {label: count for label, count in large.items() if count > MAX_QUERIES}
    assert not too_many, f"more than {MAX_QUERIES} queries: {too_many}"


def test_a_shop_of_more_products_than_it_counts_says_more_than_in_each_language(client, store):
    """Past the count's limit the Shop tab says "More than 1,000 products", the number written as
    the viewer's language writes it (it once answered 500 there)."""
    from pageshop.listing import COUNT_LIMIT

    add_generated_products(COUNT_LIMIT + 1, seed=1)
    english = client.get("/shop", headers={"Accept-Language": "en"})
    assert english.status_code == 200
    assert f"More than {COUNT_LIMIT:,} products" in english.get_data(as_text=True)
    german = client.get("/shop", headers={"Accept-Language": "de"})
    assert f"Mehr als {COUNT_LIMIT:,} Produkte".replace(",", ".") in german.get_data(as_text=True)

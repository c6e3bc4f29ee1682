"""Catalog pages from a cache (issue 12, pageshop.page_cache): a visitor without a session gets the
cached page, which is the live one; a change shows on the next request; nothing personal crosses
from one visitor to another; no cookie is set by looking; every change still needs its token."""
import gzip
import re

import pytest
from sqlalchemy import event, update

from pageshop.extensions import db
from pageshop.models import Product, Store, Variant

from .conftest import Auth


def _catalog_urls(product) -> list[tuple[str, dict]]:
    results = {"HX-Request": "true", "HX-Target": "shop-results"}
    return [("/", {}), ("/shop", {}), ("/shop?q=linen", {}), ("/shop?q=linen", results),
            ("/shop?page=last", {}), ("/collections/summer", {}), ("/store", {}),
            (f"/products/{product.handle}", {}), (f"/products/{product.handle}?channel=online_store", {})]


@pytest.fixture
def shirt(store, make_product):
    return make_product(title="Linen Shirt", price_cents=2500, stock=10, collection="Summer")


class Queries:
    def __init__(self):
        self.count = 0

    def __call__(self, *_args):
        self.count += 1


def _get(client, url, headers=None):
    counter = Queries()
    event.listen(db.engine, "before_cursor_execute", counter)
    try:
        response = client.get(url, headers=headers or {})
    finally:
        event.remove(db.engine, "before_cursor_execute", counter)
    return response, counter.count


def test_a_visitor_gets_from_the_cache_what_a_live_render_gives_without_a_cookie(client, shirt):
    for url, headers in _catalog_urls(shirt):
        live, live_queries = _get(client, url, headers)
        cached, cached_queries = _get(client, url, headers)
        assert live.status_code == 200, url
        # Served from the cache: only the catalog's version is read, on the raw DB-API connection.
        assert cached_queries == 0 < live_queries, url
        assert cached.get_data() == live.get_data(), url
        assert sorted(cached.headers.items()) == sorted(live.headers.items()), url
        assert "Set-Cookie" not in live.headers and "Set-Cookie" not in cached.headers, url
        assert "default-src 'self'" in cached.headers["Content-Security-Policy"], url
    whole = client.get("/shop?q=linen").get_data(as_text=True)
    results = client.get("/shop?q=linen", headers={"HX-Request": "true", "HX-Target": "shop-results"})
    assert "<html" in whole and "<html" not in results.get_data(as_text=True)


def test_a_change_to_the_catalog_shows_on_the_very_next_request(client, shirt):
    product_url = f"/products/{shirt.handle}"
    for url in ("/shop", product_url, "/collections/summer", "/store"):
        assert "$25.00" in client.get(url).get_data(as_text=True), url

    shirt.variants[0].price_cents = 1900
    db.session.commit()
    for url in ("/shop", product_url, "/collections/summer", "/store"):
        assert "$19.00" in client.get(url).get_data(as_text=True), url

    # Stock taken by an UPDATE statement, as an order takes it.
    db.session.execute(update(Variant).where(Variant.id == shirt.variants[0].id).values(stock=3))
    db.session.commit()
    assert "Only 3 left" in client.get(product_url).get_data(as_text=True)

    product = db.session.get(Product, shirt.id)
    product.title = "Hemp Shirt"
    product.image_filename = "hemp-shirt.jpg"
    db.session.commit()
    assert "Hemp Shirt" in client.get("/shop").get_data(as_text=True)
    assert "hemp-shirt.jpg" in client.get(product_url).get_data(as_text=True)

    db.session.scalars(db.select(Store)).one().currency = "EUR"
    db.session.commit()
    assert "€19.00" in client.get(product_url).get_data(as_text=True)

    db.session.get(Product, shirt.id).published_facebook = False
    db.session.commit()
    assert "Hemp Shirt" not in client.get("/shop").get_data(as_text=True)
    assert "Hemp Shirt" in client.get("/store").get_data(as_text=True)
    db.session.get(Product, shirt.id).published_online_store = False
    db.session.commit()
    assert "Hemp Shirt" not in client.get("/store").get_data(as_text=True)


def test_nothing_personal_crosses_from_one_visitor_to_another(app, client, shirt):
    alex = app.test_client()
    Auth(alex).facebook_login()
    alex.post_form("/cart/add", {"variant": shirt.variants[0].id, "quantity": "2"})
    alex.post_form("/cart/add", {"variant": shirt.variants[0].id, "quantity": "2", "channel": "online_store"})
    for url, headers in _catalog_urls(shirt):
        if headers:
            continue
        for visitor_first in (True, False):
            if visitor_first:
                client.get(url)
            alexs = alex.get(url).get_data(as_text=True)
            visitors = client.get(url).get_data(as_text=True)
            token = re.search(r'name="csrf-token" content="([^"]+)"', alexs).group(1)
            assert "Cart (2)" in alexs, url
            if "store" not in url:  # the Facebook bar
                assert "Alex Rivera" in alexs, url
            assert "Alex Rivera" not in visitors and "Cart (" not in visitors, url
            assert token not in visitors and 'name="csrf-token" content=""' in visitors, url


def test_every_change_still_needs_the_visitors_token(client, shirt):
    html = client.get(f"/products/{shirt.handle}").get_data(as_text=True)
    assert 'name="csrf_token" value=""' in html
    sent = {"variant": shirt.variants[0].id, "quantity": "1"}

    refused = client.post("/cart/add", data=sent)
    assert refused.status_code == 400
    assert "Set-Cookie" in refused.headers  # reloading the page now shows the form with a token
    assert 'name="csrf_token" value=""' not in client.get(f"/products/{shirt.handle}").get_data(as_text=True)

    visitor = client.application.test_client()
    token = visitor.get("/csrf-token")
    assert token.headers["Cache-Control"] == "no-store"
    assert visitor.post("/cart/add", data={**sent, "csrf_token": "forged"}).status_code == 400
    added = visitor.post("/cart/add", data=sent, headers={"X-CSRFToken": token.get_data(as_text=True)})
    assert added.status_code == 303
    assert "Cart (1)" in visitor.get("/shop").get_data(as_text=True)


def test_with_redis_the_page_is_shared_and_redis_down_is_only_a_miss(app, shirt):
    import secrets

    from pageshop import create_app

    prefix = f"pageshop-test-{secrets.token_hex(4)}:"
    config = {**app.config, "CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": "redis://127.0.0.1:6379/0",
              "CACHE_KEY_PREFIX": prefix}
    first, second = create_app(config), create_app(config)  # two processes sharing one Redis
    url = f"/products/{shirt.handle}"
    with first.test_client() as client:
        assert "$25.00" in client.get(url).get_data(as_text=True)
    shirt.variants[0].price_cents = 2100
    db.session.commit()
    with second.test_client() as client:
        assert "$21.00" in client.get(url).get_data(as_text=True)
        assert client.get(url).get_data() == client.get(url).get_data()

    down = create_app({**config, "CACHE_REDIS_URL": "redis://127.0.0.1:1/0"})
    with down.test_client() as client:
        response = client.get(url)
        assert response.status_code == 200 and "$21.00" in response.get_data(as_text=True)
    for made in (first, second, down):
        with made.app_context():
            db.engine.dispose()  # and the catalog version's pool with it


def test_a_cached_page_is_answered_before_flask_in_the_visitors_language(app, client, shirt):
    from flask import request_started

    rendered = []

    def note(_sender, **_extra):
        rendered.append(1)

    request_started.connect(note, app)
    try:
        english = client.get("/shop")
        assert client.get("/shop").get_data() == english.get_data()
        assert len(rendered) == 1  # the second came from the cache, before Flask
        german = client.get("/shop", headers={"Accept-Language": "de-DE,de;q=0.9"})
        assert len(rendered) == 2 and '<html lang="de">' in german.get_data(as_text=True)
        assert '<html lang="en">' in client.get("/shop").get_data(as_text=True)
        zipped = client.get("/shop", headers={"Accept-Encoding": "gzip, br"})
        assert len(rendered) == 2
        assert zipped.headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(zipped.get_data()) == english.get_data()
    finally:
        request_started.disconnect(note, app)

"""Every shopper page has one banner (Facebook's bar, or the online store's) and exactly one <main>,
never nested: screen readers and browsers jump to it."""
import re

import pytest

from pageshop.extensions import db
from pageshop.models import FacebookAccount


def landmarks(html: str) -> tuple[int, int]:
    return len(re.findall(r"<main\b", html)), len(re.findall(r'<header class="(?:fb-bar|store-bar)"', html))


@pytest.fixture
def pages(store, make_product, make_order):
    shirt = make_product(title="Linen Shirt", stock=5)
    alex = db.session.scalars(db.select(FacebookAccount).filter_by(email="alex@example.com")).one()
    on_facebook = make_order(product=shirt, facebook_account=alex)
    in_the_store = make_order(product=shirt, sales_channel="online_store")
    return {
        "facebook": ["/", "/shop", f"/products/{shirt.handle}", "/cart", f"/checkout?variant={shirt.variants[0].id}",
                     "/messenger", "/purchase-history", f"/orders/{on_facebook.token}",
                     f"/orders/{on_facebook.token}/contact", "/facebook/login"],
        "online store": ["/store", f"/products/{shirt.handle}?channel=online_store", "/store/cart",
                         f"/orders/{in_the_store.token}", f"/orders/{in_the_store.token}/contact"],
    }


@pytest.mark.parametrize("logged_in", [False, True], ids=["logged out", "logged into Facebook"])
def test_each_page_has_one_banner_and_one_main(client, auth, pages, logged_in):
    if logged_in:
        auth.facebook_login()
    for chrome, paths in pages.items():
        for path in paths:
            response = client.get(path, follow_redirects=True)  # logged in, the log-in page moves on
            assert response.status_code == 200, path
            assert landmarks(response.get_data(as_text=True)) == (1, 1), f"{path} ({chrome})"


def test_the_facebook_login_page_wears_facebooks_chrome_without_offering_itself(client, store):
    html = client.get("/facebook/login?next=/purchase-history").get_data(as_text=True)
    assert '<header class="fb-bar">' in html and "<h1>Log in to Facebook</h1>" in html
    assert 'href="/facebook/login' not in html  # the bar's own link to this page is left out here
    assert "style=" not in html  # no inline style

"""Money: amounts in the store's currency, with its symbol, never converted (item 10 of issue 11)."""
from html import unescape

import pytest

from pageshop.extensions import db
from pageshop.money import format_money


@pytest.mark.parametrize("currency, shown", [
    ("USD", "$1,234.50"), ("CAD", "CA$1,234.50"), ("GBP", "£1,234.50"), ("EUR", "€1,234.50"),
    ("CHF", "CHF 1,234.50"), ("AUD", "A$1,234.50"), ("usd", "$1,234.50"), ("XYZ", "1,234.50 XYZ"),
    ("", "1,234.50"),
])
def test_each_currency_has_its_symbol(currency, shown):
    assert format_money(123450, currency) == shown


def test_small_negative_and_missing_amounts():
    assert format_money(5, "EUR") == "€0.05"
    assert format_money(-500, "GBP") == "-£5.00"
    assert format_money(None) == "$0.00"


def test_switching_the_currency_shows_the_same_prices_with_the_new_symbol(client, auth, store, make_product):
    shirt = make_product(title="Linen Shirt", price_cents=3000)
    auth.sign_in()
    page = unescape(client.get("/admin/channels").get_data(as_text=True))
    assert "prices are not converted" in page
    response = client.post_form("/admin/channels/store-location", {"country": "DE", "currency": "EUR"})
    assert response.status_code == 303
    for path in (f"/products/{shirt.handle}", "/shop", "/store", "/admin/products"):
        html = unescape(client.get(path).get_data(as_text=True))
        assert "€30.00" in html and "$30.00" not in html, path
    client.post_form("/cart/add", {"variant": shirt.variants[0].id, "quantity": "2"})
    cart = unescape(client.get("/cart").get_data(as_text=True))
    assert "€60.00" in cart
    checkout = unescape(client.get("/checkout").get_data(as_text=True))
    assert "Standard · €5.00" in checkout and "€65.00" in checkout and "$" not in checkout.split("<main", 1)[1]
    db.session.rollback()

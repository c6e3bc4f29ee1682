"""Issue 14.3: Babel formats money, dates and country names in the viewer's language; money typed
by a German admin is read as German writes it."""
from datetime import datetime
from html import unescape

import pytest
from flask_babel import force_locale

from pageshop import create_app
from pageshop.extensions import db
from pageshop.localized import country_choices, country_name, format_clock_time, format_date, format_datetime
from pageshop.models import Product
from pageshop.money import format_money, parse_amount

GERMAN = {"Accept-Language": "de-DE,de;q=0.9"}
MOMENT = datetime(2026, 12, 1, 18, 40, 5)  # naive UTC, as stored


def html(client, path, **headers):
    response = client.get(path, headers=headers)
    assert response.status_code == 200, path
    return unescape(response.get_data(as_text=True))


@pytest.mark.parametrize("language, currency, shown", [
    ("en", "USD", "$72.00"), ("de", "USD", "72,00\xa0$"), ("de", "EUR", "72,00\xa0€"),
    ("en", "EUR", "€72.00"), ("de", "CHF", "72,00\xa0CHF"), ("en", "CHF", "CHF 72.00"),
])
def test_money_in_the_store_currency_and_the_viewer_language(app, language, currency, shown):
    with app.test_request_context(), force_locale(language):
        assert format_money(7200, currency) == shown
    with app.test_request_context(), force_locale("de"):
        assert format_money(123450, "EUR") == "1.234,50\xa0€" and format_money(-500, "GBP") == "-5,00\xa0£"


@pytest.mark.parametrize("language, typed, amount", [
    ("en", "12.50", "12.50"), ("en", "$1,200", "1200"), ("de", "12,50", "12.50"),
    ("de", "1.200,50 €", "1200.50"), ("de", "10", "10"),
])
def test_amounts_are_read_as_the_viewer_writes_them(app, language, typed, amount):
    with app.test_request_context(), force_locale(language):
        assert str(parse_amount(typed)) == amount


def test_dates_and_times_in_both_languages(app):
    with app.test_request_context():
        with force_locale("en"):
            assert format_datetime(MOMENT) == "Dec 1, 2026 6:40 PM UTC"
            assert format_date(MOMENT) == "Tue, Dec 1, 2026"
            assert format_clock_time(MOMENT) == "18:40 UTC"
        with force_locale("de"):
            assert format_datetime(MOMENT) == "1. Dez. 2026 18:40 UTC"
            assert format_date(MOMENT) == "Di., 1. Dez. 2026"
            assert format_date(MOMENT, "yMMMd") == "1. Dez. 2026"


def test_dates_are_shown_in_the_store_time_zone(tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "BABEL_DEFAULT_TIMEZONE": "Europe/Berlin",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'zone.sqlite'}"})
    with app.test_request_context(), force_locale("de"):
        assert format_datetime(MOMENT) == "1. Dez. 2026 19:40 MEZ"


def test_country_names_in_the_viewer_language_sorted_for_it_united_states_first(app):
    with app.test_request_context():
        with force_locale("en"):
            choices = country_choices()
            assert choices[0] == ("US", "United States") and country_name("DE") == "Germany"
            names = [name for _code, name in choices]
            assert names.index("Åland Islands") < names.index("Albania")
            assert len(choices) == 246 and "European Union" not in names
        with force_locale("de"):
            choices = country_choices()
            assert choices[0] == ("US", "Vereinigte Staaten") and country_name("de") == "Deutschland"
            names = [name for _code, name in choices]
            assert names.index("Norwegen") < names.index("Österreich") < names.index("Pakistan")
            assert names.index("Ägypten") < names.index("Albanien")
        assert country_name("XX") == "XX"


def test_the_pages_in_german(client, store, make_product, make_order):
    shirt = make_product(title="Linen Shirt", price_cents=4000, stock=5)
    order = make_order(product=shirt, quantity=2, country="DE")
    order.placed_at = MOMENT
    db.session.commit()
    status = html(client, f"/orders/{order.token}", **GERMAN)
    assert '<html lang="de">' in status
    assert "80,00\xa0$" in status and "85,00\xa0$" in status and "Deutschland" in status
    assert "Aufgegeben am 1. Dez. 2026 18:40 UTC" in status
    english = html(client, f"/orders/{order.token}")
    assert "$80.00" in english and "Germany" in english and "Placed Dec 1, 2026 6:40 PM UTC" in english


def test_the_checkout_country_select_in_german(client, store, make_product):
    shirt = make_product(title="Linen Shirt", price_cents=4000)
    client.post_form("/cart/add", {"variant": shirt.variants[0].id, "quantity": "1"})
    page = html(client, "/checkout", **GERMAN)
    assert '<option selected value="US">Vereinigte Staaten</option>' in page or \
        '<option value="US" selected>Vereinigte Staaten</option>' in page
    assert '<option value="DE">Deutschland</option>' in page
    assert page.index('value="US"') < page.index('value="AF"')


def test_a_german_admin_types_prices_the_german_way(client, auth, store):
    auth.sign_in()
    client.post_form("/language", {"language": "de", "next": "/"})
    form = {"title": "Leinenschürze", "handle": "", "description": "Handgenäht.",
            "published_online_store": "y", "published_facebook": "y", "variants-0-id": "",
            "variants-0-title": "Klein", "variants-0-price": "1.232,50", "variants-0-stock": "4"}
    response = client.post_form("/admin/products/new", form)
    assert response.status_code == 303
    product = db.session.scalars(db.select(Product)).one()
    assert product.variants[0].price_cents == 123250
    page = html(client, response.location)
    assert 'value="1.232,50"' in page
    assert "1.232,50\xa0$" in html(client, "/admin/products")
    for nonsense in ("12.50", "zwölf", "1,2,3", "NaN"):
        response = client.post_form("/admin/products/new", dict(form, **{"variants-0-price": nonsense}))
        assert response.status_code == 422
        assert "Geben Sie einen Betrag wie 12,50 ein." in unescape(response.get_data(as_text=True))

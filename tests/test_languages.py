"""Issue 14.2: which language a viewer gets (the switch's cookie, an admin's stored choice, the
browser's Accept-Language) and the language switch in the footer."""
from html import unescape

import pytest

from pageshop.extensions import db
from pageshop.models import AdminUser


def page(client, path="/", **headers):
    response = client.get(path, headers=headers)
    assert response.status_code == 200
    return response, unescape(response.get_data(as_text=True))


@pytest.mark.parametrize("accept, lang", [
    ("de", "de"), ("de-DE", "de"), ("de-AT", "de"), ("de-CH", "de"), ("de-CH,en;q=0.5", "de"),
    ("fr-FR, de;q=0.7, en;q=0.3", "de"), ("en-US,en;q=0.9", "en"), ("fr", "en"), ("", "en"),
    ("*", "en"), ("en;q=0.4, de-AT;q=0.9", "de"), ("de;q=0, en", "en"),
])
def test_the_browser_language_picks_german_or_english(client, store, accept, lang):
    response, html = page(client, "/", **{"Accept-Language": accept})
    assert f'<html lang="{lang}">' in html
    assert ("Bei Facebook anmelden" if lang == "de" else "Log in to Facebook") in html
    assert {"Accept-Language", "Cookie"} <= set(response.vary)


def test_the_switch_sets_the_cookie_and_returns_to_the_same_page(client, store, make_product):
    shirt = make_product(title="Linen Shirt", price_cents=7200)
    _response, html = page(client, f"/products/{shirt.handle}")
    assert "$72.00" in html and '<span id="language-switch-label">Language:</span>' in html
    assert f'name="next" value="/products/{shirt.handle}?"' in html
    response = client.post_form("/language", {"language": "de", "next": f"/products/{shirt.handle}?"})
    assert response.status_code == 303 and response.location == f"/products/{shirt.handle}"
    assert "language=de" in response.headers["Set-Cookie"] and "HttpOnly" in response.headers["Set-Cookie"]
    _response, html = page(client, f"/products/{shirt.handle}", **{"Accept-Language": "en-US"})
    assert '<html lang="de">' in html and "72,00\xa0$" in html and "In den Warenkorb" in html
    assert 'value="de" lang="de" aria-current="true">Deutsch</button>' in html
    client.post_form("/language", {"language": "en", "next": "/"})
    _response, html = page(client, "/", **{"Accept-Language": "de"})
    assert '<html lang="en">' in html  # the switch's choice outranks the browser's


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)", "", "shop",
])
def test_the_switch_only_returns_to_a_page_of_this_site(client, store, target):
    response = client.post_form("/language", {"language": "de", "next": target})
    assert response.status_code == 303 and response.location == "/"


@pytest.mark.parametrize("language", ["fr", "", "de-DE", "<script>"])
def test_a_language_not_offered_is_refused_with_a_message(client, store, language):
    response = client.post_form("/language", {"language": language, "next": "/"})
    assert response.status_code == 400
    assert "Choose one of the languages offered." in response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers or "language=" not in response.headers["Set-Cookie"]


def test_the_switch_needs_its_csrf_token(client, store):
    assert client.post("/language", data={"language": "de", "next": "/"}).status_code == 400
    assert client.post("/admin/language", data={"language": "de"}).status_code in (302, 400)


def test_an_admin_choice_is_kept_on_the_account(client, auth, store):
    auth.sign_in()
    _response, html = page(client, "/admin/orders")
    assert 'action="/admin/language"' in html and '<html lang="en">' in html
    response = client.post_form("/admin/language", {"language": "de", "next": "/admin/orders?"})
    assert response.status_code == 303 and response.location == "/admin/orders"
    admin = db.session.scalars(db.select(AdminUser)).one()
    db.session.refresh(admin)
    assert admin.language == "de"
    _response, html = page(client, "/admin/orders")
    assert '<html lang="de">' in html and "Bestellungen" in html

    # Without the cookie (another browser, an English one): the account's choice, in the admin only.
    client.delete_cookie("language")
    _response, html = page(client, "/admin/orders", **{"Accept-Language": "en-US"})
    assert '<html lang="de">' in html
    _response, html = page(client, "/", **{"Accept-Language": "en-US"})
    assert '<html lang="en">' in html


def test_the_admin_switch_needs_a_signed_in_admin(client, store):
    response = client.post_form("/admin/language", {"language": "de", "next": "/admin/orders"})
    assert response.status_code in (302, 303) and "/admin/sign-in" in response.location

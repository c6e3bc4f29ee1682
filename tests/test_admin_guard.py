"""A1: every admin URL refuses a visitor who is not signed in, and changes nothing; also (issue 10)
a copy of a session that signed out, and a session unused for 12 hours."""
from urllib.parse import urlsplit

import pytest
from flask import url_for

from pageshop.extensions import db
from pageshop.models import Collection, DiscountCode, Store


def admin_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("admin.") and rule.endpoint != "admin.sign_in":
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule, method


def dummy_url(app, rule) -> str:
    values = {name: 1 if type(rule._converters.get(name)).__name__ == "IntegerConverter" else "1"
              for name in rule.arguments}
    with app.test_request_context():
        return url_for(rule.endpoint, **values)


def snapshot() -> dict:
    """Row counts of every table and the store's settings."""
    db.session.expire_all()
    counts = {table.name: db.session.execute(db.select(db.func.count()).select_from(table)).scalar_one()
              for table in db.metadata.sorted_tables}
    store = db.session.scalars(db.select(Store)).one()
    settings = {column.name: getattr(store, column.key) for column in Store.__table__.columns}
    return {"counts": counts, "store": settings}


@pytest.fixture
def targets(store, make_order, make_product):
    """Something behind every id 1, so a guard that let people through would show it."""
    make_order(product=make_product(collection="Aprons"))
    db.session.add(DiscountCode(code="WELCOME10", kind="percentage", value=10))
    db.session.commit()
    assert db.session.get(Collection, 1) is not None


def test_there_are_admin_rules_to_check(app):
    endpoints = {rule.endpoint for rule, _method in admin_rules(app)}
    assert {"admin.orders", "admin.order_detail", "admin.products", "admin.channels",
            "admin.email_log"} <= endpoints


def test_every_admin_url_refuses_a_visitor(app, client, targets):
    before = snapshot()
    checked = 0
    for rule, method in admin_rules(app):
        url = dummy_url(app, rule)
        if method == "GET":
            response = client.get(url)
            assert response.status_code == 302, (rule.endpoint, response.status_code)
            assert urlsplit(response.headers["Location"]).path == "/admin/sign-in", rule.endpoint
        else:
            response = client.open(url, method=method, data={"csrf_token": client.csrf_token()})
            assert response.status_code in (302, 303, 401), (rule.endpoint, method, response.status_code)
            if response.status_code != 401:
                assert urlsplit(response.headers["Location"]).path == "/admin/sign-in", rule.endpoint
            htmx = client.htmx(method, url, data={"csrf_token": client.csrf_token()})
            assert htmx.status_code == 401, rule.endpoint
            assert urlsplit(htmx.headers["HX-Redirect"]).path == "/admin/sign-in"
        checked += 1
    assert checked > 10
    assert snapshot() == before


def test_sign_in_page_itself_is_open(client, store):
    assert client.get("/admin/sign-in").status_code == 200


def test_facebook_login_is_not_an_admin_session(client, auth, targets):
    auth.facebook_login()
    assert client.get("/admin/orders").status_code == 302
    assert client.get("/admin/orders/1").status_code == 302


def _refused(app, cookie: str, rule, method) -> bool:
    """A browser holding `cookie` is sent to the sign-in page by this URL."""
    browser = app.test_client()
    browser.set_cookie("session", cookie)
    url = dummy_url(app, rule)
    if method == "GET":
        response = browser.get(url)
        return response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/admin/sign-in"
    response = browser.htmx(method, url, data={"csrf_token": browser.csrf_token()})
    return response.status_code == 401 and urlsplit(response.headers["HX-Redirect"]).path == "/admin/sign-in"


def test_every_admin_url_refuses_a_copy_of_a_signed_out_session(app, client, auth, targets):
    """Issue 10: signing out ends every copy of the cookie, not only the browser's own."""
    auth.sign_in()
    copy = client.get_cookie("session").value
    assert not _refused(app, copy, next(r for r, m in admin_rules(app) if r.endpoint == "admin.orders"),
                        "GET")
    auth.sign_out()
    before = snapshot()
    for rule, method in admin_rules(app):
        assert _refused(app, copy, rule, method), (rule.endpoint, method)
    assert snapshot() == before


def test_every_admin_url_refuses_a_session_unused_for_12_hours(app, client, auth, targets):
    from datetime import timedelta

    from pageshop import clock

    auth.sign_in()
    cookie = client.get_cookie("session").value
    clock.advance(timedelta(hours=12, seconds=1))
    before = snapshot()
    for rule, method in admin_rules(app):
        assert _refused(app, cookie, rule, method), (rule.endpoint, method)
    assert snapshot() == before

"""Issue 10, item 3: sessions end when they should. Signing out and a new password end every copy of
the cookie; the admin's session ends after 12 hours unused and 30 days after signing in; the cookie is
HttpOnly, SameSite=Lax and Secure over https; SECRET_KEY is required outside the demo and the tests."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from pageshop import clock, create_app
from pageshop.extensions import db
from pageshop.models import AdminUser, FacebookAccount

from .conftest import free_port

ROOT = Path(__file__).resolve().parent.parent


def session_cookie(client) -> str:
    return client.get_cookie("session").value


def with_cookie(app, value: str):
    """Another browser holding a copy of the cookie."""
    other = app.test_client()
    other.set_cookie("session", value)
    return other


def facebook_name_shown(client) -> bool:
    return "Alex Rivera" in client.get("/").get_data(as_text=True)


# --- every copy ends ----------------------------------------------------------------------


def test_a_copied_admin_cookie_stops_working_after_sign_out(app, client, auth, store):
    auth.sign_in()
    copy = session_cookie(client)
    assert with_cookie(app, copy).get("/admin/orders").status_code == 200

    assert auth.sign_out().status_code == 303

    for url in ("/admin/orders", "/admin/channels", "/admin/inbox"):
        response = with_cookie(app, copy).get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/admin/sign-in")
    # Signing in again makes a new session that works.
    auth.sign_in()
    assert client.get("/admin/orders").status_code == 200


def test_a_copied_facebook_cookie_stops_working_after_log_out(app, client, auth, store):
    auth.facebook_login()
    copy = session_cookie(client)
    assert facebook_name_shown(with_cookie(app, copy))

    client.post_form("/facebook/logout")

    assert not facebook_name_shown(client)
    assert not facebook_name_shown(with_cookie(app, copy))


@pytest.mark.parametrize("model, email", [(AdminUser, "merchant@example.com"),
                                          (FacebookAccount, "alex@example.com")])
def test_a_new_password_ends_the_sessions_signed_in_with_the_old_one(app, client, auth, store, model,
                                                                     email):
    auth.sign_in()
    auth.facebook_login()
    account = db.session.scalars(db.select(model).filter_by(email=email)).one()

    account.set_password("a whole new password")
    db.session.commit()

    assert (client.get("/admin/orders").status_code == 200) is (model is FacebookAccount)
    assert facebook_name_shown(client) is (model is AdminUser)


# --- the admin's session expires ------------------------------------------------------------


def test_an_admin_session_ends_after_12_hours_unused(client, auth, store):
    auth.sign_in()
    clock.advance(timedelta(hours=11, minutes=59))
    assert client.get("/admin/orders").status_code == 200  # still in use: the 12 hours start again
    clock.advance(timedelta(hours=11, minutes=59))
    assert client.get("/admin/orders").status_code == 200

    clock.advance(timedelta(hours=12, minutes=1))

    response = client.get("/admin/orders")
    assert response.status_code == 302 and response.headers["Location"].startswith("/admin/sign-in")


def test_an_admin_session_ends_30_days_after_signing_in_however_busy(client, auth, store):
    auth.sign_in()
    for _ in range(65):  # 65 × 11 hours: 29 days 19 hours, never 12 hours unused
        clock.advance(timedelta(hours=11))
        assert client.get("/admin/orders").status_code == 200
    clock.advance(timedelta(hours=11))  # 30 days 6 hours after signing in

    assert client.get("/admin/orders").status_code == 302
    auth.sign_in()
    assert client.get("/admin/orders").status_code == 200


# --- the cookie ---------------------------------------------------------------------------


def set_cookie(response) -> str:
    return next(value for name, value in response.headers.items()
                if name == "Set-Cookie" and value.startswith("session="))


def test_the_session_cookie_is_httponly_and_samesite_lax_and_not_secure_over_http(client, auth, store):
    cookie = set_cookie(auth.sign_in())
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # the demo on http://127.0.0.1 must keep its session


def test_the_session_cookie_is_secure_when_public_url_is_https(app, client, auth, store):
    app.config["PUBLIC_URL"] = "https://shop.example.com"
    cookie = set_cookie(auth.sign_in())
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_behind_a_trusted_proxy_x_forwarded_proto_makes_the_cookie_secure(store, app):
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.4"}
    plain = app.test_client()
    response = plain.get("/admin/sign-in", headers=forwarded)
    assert "Secure" not in set_cookie(response)  # nobody said there is a proxy: the header is ignored
    assert "Strict-Transport-Security" not in response.headers

    proxied = create_app({**app.config, "TRUSTED_PROXIES": 1})
    response = proxied.test_client().get("/admin/sign-in", headers=forwarded)
    with proxied.app_context():
        db.engine.dispose()  # its own connection pool, closed before the garbage collector finds it
    assert "Secure" in set_cookie(response)
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


# --- SECRET_KEY -----------------------------------------------------------------------------


def test_without_secret_key_only_the_demo_debug_and_the_tests_start(app):
    production = {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": None,
                  "TESTING": False, "DEMO": False, "DEBUG": False}
    with pytest.raises(RuntimeError, match="SECRET_KEY is not set"):
        create_app(production)
    for allowed in ({"DEMO": True}, {"DEBUG": True}, {"TESTING": True}):
        started = create_app({**production, **allowed})
        assert len(started.config["SECRET_KEY"]) >= 32
    assert create_app({**production, "SECRET_KEY": "from-the-environment"}).config["SECRET_KEY"] \
        == "from-the-environment"


def _environment(app, **settings) -> dict:
    env = {key: value for key, value in os.environ.items()
           if key not in ("SECRET_KEY", "PAGESHOP_DEMO", "FLASK_DEBUG")}
    env.update(FLASK_APP="wsgi:app", DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], **settings)
    return env


def _run(args, env, timeout=60):
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def test_production_processes_refuse_to_start_without_secret_key(app, store):
    env = _environment(app)
    worker = _run([sys.executable, "-m", "flask", "worker"], env)
    assert worker.returncode != 0
    assert "SECRET_KEY is not set" in worker.stderr

    port = free_port()
    gunicorn = _run([sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}",
                     "wsgi:app"], env)
    assert gunicorn.returncode != 0
    assert "SECRET_KEY is not set" in gunicorn.stderr


def test_the_demo_starts_without_settings(tmp_path):
    """What `make run` does before it serves, with PAGESHOP_DEMO=1 and no other setting."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("SECRET_KEY", "DATABASE_URL", "FLASK_DEBUG")}
    env.update(FLASK_APP="wsgi:app", PAGESHOP_DEMO="1",
               # Where the demo keeps its database and uploads is instance/; a fresh one here.
               DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite'}")
    for command in (["db", "upgrade"], ["seed"], ["routes"]):
        result = _run([sys.executable, "-m", "flask", *command], env, timeout=300)
        assert result.returncode == 0, (command, result.stderr[-2000:])
    assert "/admin/sign-in" in result.stdout

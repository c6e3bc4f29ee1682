"""A1: the merchant signs in and out; passwords are stored hashed; `flask create-admin`."""
from urllib.parse import urlsplit

import pytest
from sqlalchemy import text

from pageshop.extensions import db
from pageshop.models import AdminUser, FacebookAccount

from .conftest import PASSWORD


def stored_password_hashes(table: str) -> dict[str, str]:
    """What the database itself holds, read past the models."""
    rows = db.session.execute(text(f"SELECT email, password_hash FROM {table}"))  # noqa: S608 (fixed names)
    return dict(rows.all())


# --- signing in and out ---------------------------------------------------------------------


@pytest.mark.parametrize("email, password", [
    ("merchant@example.com", "wrong-password"),
    ("merchant@example.com", PASSWORD.upper()),
    ("nobody@example.com", PASSWORD),
])
def test_wrong_email_or_password_is_refused_with_a_message(client, auth, store, email, password):
    response = auth.sign_in(email, password)

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert '<p class="error" role="alert">Incorrect email or password.</p>' in html
    assert f'value="{email}"' in html  # the e-mail stays filled in; the password does not
    assert client.get("/admin/orders").status_code == 302


def test_empty_fields_are_refused_with_a_message(client, auth, store):
    response = auth.sign_in("", "")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Enter your email." in html and "Enter your password." in html
    assert client.get("/admin/orders").status_code == 302


def test_sign_in_opens_the_admin_and_sign_out_closes_it(client, auth, store, make_order):
    order = make_order()
    auth.sign_in()
    assert client.get("/admin/orders").status_code == 200

    response = auth.sign_out()

    assert response.status_code == 303
    assert urlsplit(response.headers["Location"]).path == "/admin/sign-in"
    for url in ("/admin/orders", f"/admin/orders/{order.id}", "/admin/inbox", "/admin/channels"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert urlsplit(response.headers["Location"]).path == "/admin/sign-in"
    htmx = client.htmx("get", "/admin/orders", target="orders")
    assert htmx.status_code == 401


def test_sign_out_needs_the_forms_token(client, auth, store):
    auth.sign_in()
    response = client.post("/admin/sign-out")  # a cross-site form has no token
    assert response.status_code == 400
    assert client.get("/admin/orders").status_code == 200


# --- passwords are hashed -------------------------------------------------------------------


def test_passwords_are_stored_hashed_and_salted(app, client, auth, store):
    second = AdminUser(email="second@example.com")
    second.set_password(PASSWORD)
    db.session.add(second)
    db.session.commit()

    for table in ("admin_users", "facebook_accounts"):
        hashes = stored_password_hashes(table)
        assert hashes, table
        for email, stored in hashes.items():
            assert PASSWORD not in stored, (table, email)
            assert stored.startswith(("scrypt:", "pbkdf2:")), (table, email)
    admins = stored_password_hashes("admin_users")
    assert admins["merchant@example.com"] != admins["second@example.com"]  # salted: same password
    assert auth.sign_in("second@example.com", PASSWORD).status_code == 303


def test_outside_the_tests_passwords_use_werkzeugs_default_scrypt(app):
    app.config.pop("PASSWORD_HASH_METHOD")
    account = FacebookAccount(email="jo@example.com", name="Jo")
    account.set_password(PASSWORD)
    assert account.password_hash.startswith("scrypt:")
    assert account.check_password(PASSWORD) and not account.check_password(PASSWORD.upper())


# --- flask create-admin ---------------------------------------------------------------------


def test_create_admin_makes_an_admin_who_can_sign_in(runner, client, auth, store):
    result = runner.invoke(args=["create-admin", "--email", "Owner@Example.com", "--name", "Kim Owner"],
                           input="correct horse battery\ncorrect horse battery\n")

    assert result.exit_code == 0, result.output
    assert "Admin owner@example.com created." in result.output
    assert "correct horse battery" not in result.output  # typed, not shown
    user = db.session.scalars(db.select(AdminUser).filter_by(email="owner@example.com")).one()
    assert user.name == "Kim Owner"
    assert "correct horse battery" not in stored_password_hashes("admin_users")["owner@example.com"]
    assert auth.sign_in("owner@example.com", "correct horse battery").status_code == 303
    assert client.get("/admin/orders").status_code == 200


def test_create_admin_asks_for_the_email_when_not_given(runner, store):
    result = runner.invoke(args=["create-admin"], input="kim@example.com\nlong enough\nlong enough\n")
    assert result.exit_code == 0, result.output
    assert db.session.scalars(db.select(AdminUser).filter_by(email="kim@example.com")).one()


@pytest.mark.parametrize("email", ["nope", "kim@", "kim@localhost", "kim @example.com", ""])
def test_create_admin_refuses_a_bad_email_before_asking_for_a_password(runner, store, email):
    result = runner.invoke(args=["create-admin", "--email", email])

    assert result.exit_code == 1
    assert "Error: Enter a valid email address, like you@example.com." in result.output
    assert "Password" not in result.output
    assert db.session.scalars(db.select(AdminUser).filter_by(email=email)).first() is None


@pytest.mark.parametrize("typed, error", [
    ("short\nshort\n", "Error: Use a password of at least 8 characters."),
    ("long enough\nlong enougH\n", "Error: The passwords don't match."),
])
def test_create_admin_refuses_a_bad_password(runner, store, typed, error):
    result = runner.invoke(args=["create-admin", "--email", "kim@example.com"], input=typed)

    assert result.exit_code == 1
    assert error in result.output
    assert db.session.scalars(db.select(AdminUser).filter_by(email="kim@example.com")).first() is None


def test_create_admin_refuses_an_email_already_used(runner, store):
    result = runner.invoke(args=["create-admin", "--email", "Merchant@example.com"],
                           input="long enough\nlong enough\n")

    assert result.exit_code == 1
    assert "Error: An admin with this email already exists." in result.output
    assert db.session.scalars(db.select(db.func.count()).select_from(AdminUser)).one() == 1

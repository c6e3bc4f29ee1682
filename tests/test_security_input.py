"""Issue 10, item 5 (and 13.3's lengths and e-mail): no 5xx on any input. Long names fit where they
are copied (a Messenger conversation's display name, an inquiry's name), a newline in `next` is
ignored, every text limit comes from its model column, an e-mail address is checked one way."""
from __future__ import annotations

import pytest
from wtforms.validators import Length

from pageshop import checkout as checkouts
from pageshop.errors import DomainError
from pageshop.extensions import db
from pageshop.messenger.graph import conversation_for_subscription
from pageshop.models import AdminUser, Conversation, Email, Inquiry, Order, Store, Subscription
from pageshop.validation import column_length
from storefront.forms import CheckoutForm

from .factories import US_ADDRESS, checkout_form

LONG_FIRST, LONG_LAST = "F" * 61, "L" * 60


def fits(row, attribute) -> bool:
    """The stored value fits its column (SQLite would keep a longer one; PostgreSQL refuses it)."""
    return len(getattr(row, attribute.key)) <= column_length(attribute)


def test_a_long_name_with_the_messenger_checkbox_places_the_order(app, client, store, make_product):
    app.config.update(MESSENGER_TRANSPORT="graph", MESSENGER_PAGE_ID="1234", MESSENGER_APP_ID="5678")
    url = f"/checkout?variant={make_product().variants[0].id}&quantity=1"
    fields = checkout_form(client, url, first_name=LONG_FIRST, last_name=LONG_LAST,
                           messenger_checkbox_state="checked", messenger_user_ref="ref-long")

    response = client.post_form(url, fields)

    assert response.status_code == 303
    order = db.session.scalars(db.select(Order)).one()
    assert (order.first_name, order.last_name) == (LONG_FIRST, LONG_LAST)
    assert order.payment_reference  # paid once, and kept
    subscription = db.session.scalars(db.select(Subscription)).one()
    assert subscription.user_ref == "ref-long"
    # The conversation kept for the user_ref is made when the Page first writes (or hears) to it.
    conversation_for_subscription(subscription)
    db.session.commit()
    conversation = db.session.scalars(db.select(Conversation).filter_by(user_ref="ref-long")).one()
    assert fits(conversation, Conversation.display_name)
    assert conversation.display_name.startswith(LONG_FIRST + " L")


def test_contact_seller_with_the_longest_names_keeps_the_message(client, store, make_order):
    order = make_order(first_name="F" * 120, last_name="L" * 120)

    response = client.post_form(f"/orders/{order.token}/contact", {"message": "Where is my order?"})

    assert response.status_code == 303
    inquiry = db.session.scalars(db.select(Inquiry)).one()
    assert inquiry.message == "Where is my order?" and fits(inquiry, Inquiry.name)
    email = db.session.scalars(db.select(Email).filter_by(kind="inquiry")).one()
    assert "Where is my order?" in email.body


NEXT_WITH_NEWLINE = "/orders\r\nSet-Cookie: taken=1"


@pytest.mark.parametrize("url, fields, home", [
    ("/admin/sign-in", {"email": "merchant@example.com", "password": "pageshop-demo"}, "/admin/orders"),
    ("/facebook/login", {"email": "alex@example.com", "password": "pageshop-demo"}, "/"),
    ("/facebook/logout", {}, "/"),
])
@pytest.mark.parametrize("next_path", [NEXT_WITH_NEWLINE, "/\\evil.example/", "/ok\x7f"])
def test_a_next_that_cant_be_a_location_goes_home(client, store, url, fields, home, next_path):
    response = client.post_form(url, dict(fields, next=next_path))
    assert response.status_code == 303
    assert response.headers["Location"] == home
    assert "taken" not in response.headers.get("Set-Cookie", "")


def test_a_next_on_this_site_is_still_followed(client, store):
    response = client.post_form("/admin/sign-in", {"email": "merchant@example.com",
                                                   "password": "pageshop-demo", "next": "/admin/inbox"})
    assert response.headers["Location"] == "/admin/inbox"


# --- lengths come from the columns ---------------------------------------------------------


def test_the_checkout_forms_limits_are_the_order_columns(app):
    with app.test_request_context():
        form = CheckoutForm()
    checked = 0
    for field in form:
        column = getattr(Order, field.name, None)
        length = getattr(getattr(column, "type", None), "length", None)
        if length and field.type in ("StringField", "EmailField"):  # what a person types
            limits = [v.max for v in field.validators if isinstance(v, Length)]
            assert limits == [length], field.name
            checked += 1
    assert checked >= 8


@pytest.mark.parametrize("field", ["first_name", "last_name", "address", "city", "region",
                                   "postal_code", "email"])
def test_one_character_over_the_column_is_refused_with_a_message(client, store, make_product, field):
    url = f"/checkout?variant={make_product().variants[0].id}&quantity=1"
    limit = column_length(getattr(Order, field))
    value = "x" * (limit - 11) + "@example.com" if field == "email" else "x" * (limit + 1)
    fields = checkout_form(client, url, **{field: value})

    response = client.post_form(url, fields)

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f"Use at most {limit} characters." in html or "Enter a valid email address" in html
    assert db.session.scalars(db.select(Order)).first() is None


# --- e-mail addresses: one rule ------------------------------------------------------------


@pytest.mark.parametrize("email, valid", [
    ("alex@example.com", True),
    ("Alex.Rivera+shop@Example.COM", True),
    ("alex..rivera@example.com", False),  # the old checkout pattern let these through
    ("alex@-example.com", False),
    ("alex@example", False),
    ("alex @example.com", False),
])
def test_an_email_address_gets_the_same_verdict_everywhere(app, client, auth, runner, store,
                                                           make_product, email, valid):
    url = f"/checkout?variant={make_product().variants[0].id}&quantity=1"
    checkout = client.post_form(url, checkout_form(client, url, email=email))
    auth.sign_in()
    settings = client.post_form("/admin/channels/facebook/settings", {
        "checkout_choice": "facebook", "buy_now_destination": "shop", "support_email": email})
    new_admin = runner.invoke(args=["create-admin", "--email", email],
                              input="long enough\nlong enough\n")

    details = checkouts.CheckoutDetails(**dict(US_ADDRESS, email=email), shipping_rate_id=None,
                                        idempotency_key="k")
    try:
        checkouts.check_details(checkouts.checkout_kind(db.session.scalars(db.select(Store)).one(), None),
                                details)
        domain = True
    except DomainError:
        domain = False

    verdicts = {"checkout": checkout.status_code == 303, "support email": settings.status_code == 303,
                "create-admin": new_admin.exit_code == 0, "place_order's own check": domain}
    assert verdicts == dict.fromkeys(verdicts, valid)
    if not valid:
        assert "Enter a valid email address" in checkout.get_data(as_text=True)
        assert db.session.scalars(db.select(Store)).one().support_email == "support@example.com"
        assert db.session.scalars(db.select(db.func.count()).select_from(AdminUser)).one() == 1

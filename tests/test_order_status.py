"""S7: the order status page reached by its secret link, and S9: the Facebook purchase history."""
import re
from datetime import timedelta
from html import unescape

import pytest

from pageshop import clock
from pageshop.extensions import db
from pageshop.models import FacebookAccount, OrderEvent, Subscription
from pageshop.orders import fulfill_order, mark_delivered, mark_out_for_delivery


def account(email):
    return db.session.scalars(db.select(FacebookAccount).filter_by(email=email)).one()


def page_of(client, order):
    response = client.get(f"/orders/{order.token}")
    assert response.status_code == 200
    return unescape(response.get_data(as_text=True))


@pytest.fixture
def order(store, make_product, make_order):
    shirt = make_product(title="Linen Shirt", price_cents=4000, stock=5)
    return make_order(product=shirt, quantity=2)


def test_the_status_page_is_the_receipt(client, order):
    html = page_of(client, order)
    assert "Order #1001" in html
    assert "2 × Linen Shirt" in html
    assert "$80.00" in html and "$5.00" in html and "$85.00" in html
    assert "1 Main St" in html and "Springfield, IL 62701" in html and "United States" in html
    assert "Confirmed" in html
    assert f'href="/orders/{order.token}/contact"' in html and ">Contact seller</a>" in html


def test_a_wrong_token_is_not_found(client, order):
    assert client.get("/orders/not-the-token").status_code == 404
    assert client.get(f"/orders/{order.token[:-1]}x").status_code == 404
    assert client.get("/orders/" + "a" * 500).status_code == 404


def test_the_timeline_follows_the_order(client, order):
    html = page_of(client, order)
    assert 'class="done"><strong>Confirmed' in html.replace("\n", "").replace("  ", "")
    assert "UPS" not in html

    fulfill_order(order, "UPS", "1Z999AA10123456784")
    html = page_of(client, order)
    assert "Shipped" in html and "UPS" in html
    assert 'href="https://www.ups.com/track?tracknum=1Z999AA10123456784"' in html
    assert ">1Z999AA10123456784</a>" in html

    clock.advance(timedelta(hours=20))
    mark_out_for_delivery(order)
    clock.advance(timedelta(hours=3))
    mark_delivered(order)
    html = page_of(client, order)
    compact = html.replace("\n", "").replace("  ", "")
    for step in ("Shipped", "Out for delivery", "Delivered"):
        assert f'class="done"><strong>{step}' in compact
    kinds = [e.kind for e in db.session.scalars(db.select(OrderEvent).order_by(OrderEvent.id))]
    assert kinds == ["placed", "fulfilled", "out_for_delivery", "delivered"]


def test_steps_not_reached_yet_are_pending(client, order):
    compact = page_of(client, order).replace("\n", "").replace("  ", "")
    for step in ("Shipped", "Out for delivery", "Delivered"):
        assert f'class="pending"><strong>{step}' in compact


@pytest.mark.parametrize("state, shown", [
    (None, "Messenger updates are off for this order."),
    ("active", "Messenger updates are on for Alex Rivera"),
    ("turned_off", "Messenger updates are off for this order."),
    ("muted", "Messenger updates are off for this order."),
])
def test_whether_messenger_updates_are_on(client, order, state, shown):
    if state:
        db.session.add(Subscription(order_id=order.id, page_id=order.page_id,
                                    facebook_account_id=account("alex@example.com").id, state=state))
        db.session.commit()
    assert shown in page_of(client, order)


# --- S9: purchase history -------------------------------------------------------------------


def test_purchase_history_needs_a_facebook_login(client, store):
    response = client.get("/purchase-history")
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert "Log in to Facebook to see the orders" in html
    assert 'href="/facebook/login?next=/purchase-history' in html
    # the page itself offers the log-in, not only Facebook's bar
    assert re.search(r'<a class="button primary" href="/facebook/login\?next=/purchase-history">\s*Log in to Facebook</a>',
                     html)


def test_purchase_history_lists_only_the_accounts_facebook_orders(client, auth, store, make_order,
                                                                  make_product):
    alex, sam = account("alex@example.com"), account("sam@example.com")
    first = make_order(facebook_account=alex)
    clock.advance(timedelta(days=1))
    from_messenger = make_order(facebook_account=alex, sales_channel="messenger")
    sams = make_order(facebook_account=sam)
    online = make_order(facebook_account=alex, sales_channel="online_store")
    anonymous = make_order()

    auth.facebook_login("alex@example.com")
    html = client.get("/purchase-history").get_data(as_text=True)
    assert html.index(from_messenger.name) < html.index(first.name)  # newest first
    for other in (sams, online, anonymous):
        assert other.name not in html
    assert f'href="/orders/{first.token}"' in html
    assert f'href="/orders/{first.token}/contact"' in html
    assert html.count(">Contact seller</a>") == 2
    assert "Unfulfilled" in html and "$30.00" in html


def test_an_account_without_orders_is_told_so(client, auth, store):
    auth.facebook_login("sam@example.com")
    html = unescape(client.get("/purchase-history").get_data(as_text=True))
    assert "You haven't bought anything on Facebook yet." in html


# --- the confirmation e-mail, as it is ----------------------------------------------------------


def confirmation_line(html):
    return " ".join(re.search(r'<p class="muted confirmation-email">(.*?)</p>', html, re.S).group(1).split())


@pytest.mark.parametrize("state, shown", [
    ("sent", "Confirmation sent to alex@example.com"),
    ("queued", "Confirmation will be sent to alex@example.com"),
    ("not_sent", "No confirmation e-mail has been sent to alex@example.com yet."),
    ("failed", "The confirmation e-mail to alex@example.com couldn't be sent."),
    (None, "No confirmation e-mail has been sent to alex@example.com yet."),
])
def test_the_page_says_what_became_of_the_confirmation_email(client, order, state, shown):
    from pageshop.models import Email

    if state:
        db.session.add(Email(kind="order_confirmation", order_id=order.id, recipient=order.email,
                             subject="Order #1001 confirmed", body="…", sender_name="Facebook",
                             sender_email="notification@facebookmail.example", state=state,
                             dedupe_key=f"order-confirmation:{order.id}"))
        db.session.commit()
    assert confirmation_line(page_of(client, order)) == shown


def test_without_an_smtp_server_the_page_does_not_claim_the_email_was_sent(client, store, make_product):
    from .factories import checkout_form

    shirt = make_product(title="Linen Shirt", stock=5)
    url = f"/checkout?variant={shirt.variants[0].id}&quantity=1"
    response = client.post_form(url, checkout_form(client, url, email="pat@example.com"))
    html = unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "Confirmation sent to" not in html
    assert confirmation_line(html) == "No confirmation e-mail has been sent to pat@example.com yet."


def test_with_an_smtp_server_the_page_says_the_email_was_sent(client, store, make_product, smtp_server):
    from .factories import checkout_form

    shirt = make_product(title="Linen Shirt", stock=5)
    url = f"/checkout?variant={shirt.variants[0].id}&quantity=1"
    response = client.post_form(url, checkout_form(client, url, email="pat@example.com"))
    smtp_server.wait_for(1)
    html = unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    assert confirmation_line(html) == "Confirmation sent to pat@example.com"


def _state(html: str) -> str:
    return " ".join(re.search(r'<p class="order-state">(.*?)</p>', html, re.S).group(1).split())


def test_the_page_says_the_latest_state_of_the_order(client, order):
    assert _state(page_of(client, order)) == "Thank you, Alex! Your order is confirmed."
    fulfill_order(order, "UPS", "1Z999AA10123456784")
    assert _state(page_of(client, order)) == "Good news, Alex: your order is on its way."
    mark_out_for_delivery(order)
    assert _state(page_of(client, order)) == "Your order is out for delivery, Alex."
    mark_delivered(order)
    html = page_of(client, order)
    assert _state(html) == "Your order was delivered, Alex. Thank you for shopping with us!"
    assert "Your order is confirmed" not in html

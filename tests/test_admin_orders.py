"""A3: the merchant's orders: list, filters, detail, fulfilment steps, ship-by deadline, e-mail log."""
import re
from datetime import datetime, timedelta

import pytest

from pageshop import clock, events
from pageshop.errors import DomainError, NotAllowed
from pageshop.extensions import db
from pageshop.models import Email, Order, OrderEvent
from pageshop.orders import fulfill_order, mark_delivered, mark_out_for_delivery, ship_by_status


@pytest.fixture
def signed_in(auth, store):
    auth.sign_in()
    return store


def text(response) -> str:
    return response.get_data(as_text=True)


# --- the lifecycle (domain) --------------------------------------------------------------


def test_fulfil_then_out_for_delivery_then_delivered(store, make_order):
    order = make_order()
    fulfill_order(order, "ups", "1Z999AA10123456784")
    assert order.fulfillment_status == "fulfilled"
    assert order.carrier == "UPS"
    assert order.tracking_url == "https://www.ups.com/track?tracknum=1Z999AA10123456784"
    assert order.fulfilled_at is not None
    mark_out_for_delivery(order)
    mark_delivered(order)
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert order.fulfillment_status == "delivered"
    assert order.out_for_delivery_at and order.delivered_at
    kinds = [event.kind for event in order.events]
    assert kinds == ["placed", "fulfilled", "out_for_delivery", "delivered"]
    assert "UPS" in order.events[1].text and "1Z999AA10123456784" in order.events[1].text


def test_delivered_straight_from_fulfilled(store, make_order):
    order = make_order()
    fulfill_order(order, "USPS", "9400")
    mark_delivered(order)
    assert order.fulfillment_status == "delivered"
    assert order.tracking_url.startswith("https://tools.usps.com/")


@pytest.mark.parametrize("carrier, url", [
    ("FedEx", "https://www.fedex.com/fedextrack/?trknbr=123"),
    ("dhl", "https://www.dhl.com/en/express/tracking.html?AWB=123"),
    ("Canada Post", None),
])
def test_tracking_url_derived_from_known_carriers(store, make_order, carrier, url):
    order = make_order()
    fulfill_order(order, carrier, "123")
    assert order.tracking_url == url


def test_given_tracking_url_must_be_a_web_address(store, make_order):
    order = make_order()
    with pytest.raises(DomainError) as error:
        fulfill_order(order, "Canada Post", "123", "javascript:alert(1)")
    assert error.value.field == "tracking_url"
    fulfill_order(order, "Canada Post", "123", "https://canadapost.example/track/123")
    assert order.tracking_url == "https://canadapost.example/track/123"


def test_carrier_and_tracking_number_are_required(store, make_order):
    order = make_order()
    with pytest.raises(DomainError) as error:
        fulfill_order(order, " ", "123")
    assert error.value.field == "carrier"
    with pytest.raises(DomainError) as error:
        fulfill_order(order, "UPS", "")
    assert error.value.field == "tracking_number"
    db.session.expire_all()
    assert db.session.get(Order, order.id).fulfillment_status == "unfulfilled"


def test_wrong_state_is_refused_and_changes_nothing(store, make_order):
    order = make_order()
    with pytest.raises(NotAllowed, match="Fulfill this order first"):
        mark_out_for_delivery(order)
    with pytest.raises(NotAllowed, match="Fulfill this order first"):
        mark_delivered(order)
    fulfill_order(order, "UPS", "1Z1")
    with pytest.raises(NotAllowed, match="already fulfilled"):
        fulfill_order(order, "UPS", "1Z2")
    mark_delivered(order)
    with pytest.raises(NotAllowed, match="already delivered"):
        mark_out_for_delivery(order)
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert order.tracking_number == "1Z1"
    assert [e.kind for e in order.events] == ["placed", "fulfilled", "delivered"]


def test_a_stale_copy_cannot_apply_a_step_twice(store, make_order):
    """Two admins click at once: the second one's UPDATE finds the state changed and is refused."""
    order = make_order()
    db.session.execute(db.update(Order).where(Order.id == order.id)
                       .values(fulfillment_status="fulfilled", carrier="USPS", tracking_number="1"))
    db.session.commit()
    stale = db.session.get(Order, order.id)
    # The session still believes the order is unfulfilled until told otherwise.
    from sqlalchemy.orm.attributes import set_committed_value
    set_committed_value(stale, "fulfillment_status", "unfulfilled")
    with pytest.raises(NotAllowed):
        fulfill_order(stale, "UPS", "1Z-second")
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert order.carrier == "USPS"
    assert [e.kind for e in order.events] == ["placed"]


def test_events_are_published_inside_the_transaction(store, make_order):
    seen = []

    def listener(order, **data):
        # Written in the same session before the commit, like the Messenger outbox does.
        seen.append((order.fulfillment_status, db.session().in_transaction()))
        db.session.add(OrderEvent(order_id=order.id, kind="note", message="listener was here"))

    for kind in ("order_fulfilled", "order_out_for_delivery", "order_delivered"):
        events.subscribe(kind, listener)
    try:
        order = make_order()
        fulfill_order(order, "UPS", "1Z")
        mark_out_for_delivery(order)
        mark_delivered(order)
    finally:
        for kind in ("order_fulfilled", "order_out_for_delivery", "order_delivered"):
            events._listeners[kind].remove(listener)
    assert seen == [("fulfilled", True), ("out_for_delivery", True), ("delivered", True)]
    db.session.expire_all()
    notes = db.session.scalars(db.select(OrderEvent).filter_by(order_id=order.id, kind="note")).all()
    assert len(notes) == 3


def test_ship_by_is_three_business_days_and_late_after(store, make_order):
    clock.set_now(datetime(2026, 3, 6, 10, 0))  # a Friday
    order = make_order()
    status = ship_by_status(order, clock.now())
    assert status.deadline.isoformat() == "2026-03-11"  # Wednesday
    assert not status.late
    assert not ship_by_status(order, datetime(2026, 3, 11, 23, 0)).late
    assert ship_by_status(order, datetime(2026, 3, 12, 9, 0)).late
    fulfill_order(order, "UPS", "1Z")
    assert not ship_by_status(order, datetime(2026, 3, 12, 9, 0)).late


def test_online_store_orders_have_no_ship_by(store, make_order):
    order = make_order(sales_channel="online_store")
    assert ship_by_status(order, clock.now()) is None


# --- the list --------------------------------------------------------------------------


def test_orders_list_newest_first_with_details(client, signed_in, make_order):
    first = make_order(first_name="Alex", last_name="Rivera")
    clock.advance(timedelta(minutes=5))
    second = make_order(sales_channel="online_store", first_name="Sam", last_name="Chen",
                        email="sam@example.com")
    page = text(client.get("/admin/orders"))
    assert page.index("#1002") < page.index("#1001")
    assert "Sam Chen" in page and "Online store" in page and "Facebook checkout" in page
    assert "Unfulfilled" in page
    assert "$30.00" in page  # 25.00 + 5.00 shipping
    assert first.number == 1001 and second.number == 1002


@pytest.mark.parametrize("query", ["#1002", "1002", "sam chen", "SAM@example"])
def test_search_by_number_name_or_email(client, signed_in, make_order, query):
    make_order()
    make_order(first_name="Sam", last_name="Chen", email="sam@example.com")
    page = text(client.get("/admin/orders", query_string={"q": query}))
    assert "#1002" in page
    assert "#1001" not in page


def test_filter_by_status_and_channel(client, signed_in, make_order):
    shipped = make_order()
    fulfill_order(shipped, "UPS", "1Z")
    make_order(sales_channel="online_store")
    make_order(sales_channel="messenger")
    page = text(client.get("/admin/orders?status=fulfilled"))
    assert "#1001" in page and "#1002" not in page and "#1003" not in page
    page = text(client.get("/admin/orders?channel=messenger"))
    assert "#1003" in page and "#1001" not in page
    page = text(client.get("/admin/orders?status=delivered"))
    assert "No orders match." in page


def test_pagination_25_per_page(client, signed_in, make_order, make_product):
    product = make_product()
    for _ in range(27):
        make_order(product=product)
    first = text(client.get("/admin/orders"))
    assert first.count('href="/admin/orders/') == 25
    assert "#1027" in first and "#1003" in first and "#1002" not in first
    assert 'rel="prev"' not in first
    next_href = re.search(r'href="([^"]+)"[^>]*rel="next"', first).group(1).replace("&amp;", "&")
    second = text(client.get(next_href))
    assert second.count('href="/admin/orders/') == 2
    assert "#1002" in second and "#1001" in second and 'rel="next"' not in second
    previous_href = re.search(r'href="([^"]+)"[^>]*rel="prev"', second).group(1).replace("&amp;", "&")
    assert "#1027" in text(client.get(previous_href))
    last = text(client.get("/admin/orders?page=last"))
    assert "#1001" in last and "#1025" in last and "#1027" not in last
    for junk in ("?page=99", "?after=abc", "?before=999999", "?after=-1", "?page=last&after=3"):
        assert client.get("/admin/orders" + junk).status_code == 200


def test_pages_keep_the_filters(client, signed_in, make_order, make_product):
    product = make_product()
    for n in range(60):  # the odd ones (#1002, #1004, ...) in Messenger
        make_order(product=product, sales_channel="messenger" if n % 2 else "online_store")
    first = text(client.get("/admin/orders?channel=messenger"))
    assert "#1060" in first and "#1012" in first and "#1010" not in first and "#1059" not in first
    next_href = re.search(r'href="([^"]+)"[^>]*rel="next"', first).group(1).replace("&amp;", "&")
    assert "channel=messenger" in next_href
    second = text(client.get(next_href))
    assert second.count('href="/admin/orders/') == 5
    assert "#1010" in second and "#1002" in second and "#1001" not in second


def test_htmx_filter_swaps_only_the_results(client, signed_in, make_order):
    make_order()
    response = client.htmx("get", "/admin/orders?q=1001", target="order-results")
    body = text(response)
    assert "#1001" in body
    assert "<html" not in body and "admin-nav" not in body
    assert "HX-Request" in response.headers["Vary"]
    whole = text(client.get("/admin/orders?q=1001"))
    assert "<html" in whole and "admin-nav" in whole


def test_late_flag_in_list_and_detail(client, signed_in, make_order):
    clock.set_now(datetime(2026, 3, 6, 10, 0))
    order = make_order()
    assert "Late" not in text(client.get("/admin/orders"))
    clock.advance(timedelta(days=6))
    assert "Late" in text(client.get("/admin/orders"))
    detail = text(client.get(f"/admin/orders/{order.id}"))
    assert "Ship by Wed, Mar 11, 2026" in detail and "Late" in detail


# --- the detail and its actions --------------------------------------------------------------


def test_detail_shows_items_customer_payment_and_emails(client, signed_in, make_order, make_product):
    product = make_product(title="Linen Apron", price_cents=3200)
    order = make_order(product=product, quantity=2)
    db.session.add(Email(kind="order_confirmation", order_id=order.id, sender_name="Facebook",
                         sender_email="fb@example.com", recipient=order.email,
                         subject="Your order #1001", body="Thanks", state="not_sent"))
    db.session.commit()
    page = text(client.get(f"/admin/orders/{order.id}"))
    for expected in ("Linen Apron", "$64.00", "$69.00", "Alex Rivera", "alex@example.com",
                     "1 Main St", "Springfield", "United States", "Card ending in 1", "bogus", "Order placed",
                     "Your order #1001", "not sent: no SMTP server configured",
                     "More actions", "View order status page", "Fulfill", "Carrier", "Tracking number"):
        assert expected in page, expected
    assert "Mark as out for delivery" not in page
    assert "Mark as delivered" not in page


def test_unknown_order_is_404(client, signed_in):
    assert client.get("/admin/orders/999").status_code == 404
    assert client.get("/admin/orders/999/status").status_code == 404


def test_fulfil_from_the_admin_then_deliver(client, signed_in, make_order):
    order = make_order()
    response = client.post_form(f"/admin/orders/{order.id}/fulfill",
                                {"carrier": "UPS", "tracking_number": "1Z999"})
    assert response.status_code == 303
    page = text(client.get(response.headers["Location"]))
    assert "is fulfilled" in page
    assert "Shipped with UPS, tracking number 1Z999" in page
    assert "https://www.ups.com/track?tracknum=1Z999" in page
    assert "Mark as out for delivery" in page and "Mark as delivered" in page
    assert 'class="fulfill-form"' not in page

    assert client.post_form(f"/admin/orders/{order.id}/out-for-delivery").status_code == 303
    page = text(client.get(f"/admin/orders/{order.id}"))
    assert "Mark as out for delivery" not in page and "Mark as delivered" in page
    assert client.post_form(f"/admin/orders/{order.id}/delivered").status_code == 303
    page = text(client.get(f"/admin/orders/{order.id}"))
    assert "Mark as delivered" not in page
    assert db.session.get(Order, order.id).fulfillment_status == "delivered"


def test_fulfil_without_tracking_number_shows_the_field_error(client, signed_in, make_order):
    order = make_order()
    response = client.post_form(f"/admin/orders/{order.id}/fulfill", {"carrier": "UPS", "tracking_number": ""})
    assert response.status_code == 422
    page = text(response)
    assert "Enter the tracking number." in page
    assert 'value="UPS"' in page
    assert db.session.get(Order, order.id).fulfillment_status == "unfulfilled"


def test_wrong_state_posts_are_refused_with_a_message(client, signed_in, make_order):
    order = make_order()
    response = client.post_form(f"/admin/orders/{order.id}/delivered")
    assert response.status_code == 303
    assert "Fulfill this order first" in text(client.get(response.headers["Location"]))
    fulfill_order(order, "UPS", "1Z1")
    response = client.post_form(f"/admin/orders/{order.id}/fulfill", {"carrier": "DHL", "tracking_number": "2"})
    assert response.status_code == 303
    assert "already fulfilled" in text(client.get(response.headers["Location"]))
    order = db.session.get(Order, order.id)
    assert order.carrier == "UPS" and order.fulfillment_status == "fulfilled"
    assert [e.kind for e in order.events] == ["placed", "fulfilled"]


def test_order_status_page_has_customer_section_and_link(client, signed_in, make_order, make_facebook_account):
    order = make_order()
    page = text(client.get(f"/admin/orders/{order.id}/status"))
    assert "<h2" in page and ">Customer</h2>" in page
    assert "Alex Rivera" in page and "alex@example.com" in page and "1 Main St" in page
    assert f"/orders/{order.token}" in page
    assert "Order placed" in page


# --- the e-mail log ------------------------------------------------------------------


def test_email_log_lists_every_state(client, signed_in, make_order):
    order = make_order()
    now = clock.now()
    rows = [
        ("sent", dict(sent_at=now, attempts=1)),
        ("queued", dict(next_attempt_at=datetime(2026, 5, 1, 12, 0), attempts=2, last_error="Connection refused")),
        ("not_sent", {}),
        ("failed", dict(attempts=6, last_error="550 mailbox unavailable")),
    ]
    for i, (state, extra) in enumerate(rows):
        db.session.add(Email(kind="order_confirmation", order_id=order.id, sender_name="Maple & Thread",
                             sender_email="shop@example.com", recipient="alex@example.com",
                             subject=f"Subject {state}", body=f"Body of {state}", state=state,
                             created_at=now + timedelta(seconds=i), **extra))
    db.session.commit()
    page = text(client.get("/admin/emails"))
    assert page.index("Subject failed") < page.index("Subject sent")
    for expected in ("sent", "queued", "next attempt May 1, 2026", "not sent: no SMTP server configured",
                     "failed", "6 attempts", "550 mailbox unavailable", "Connection refused",
                     "Maple &amp; Thread", "alex@example.com"):
        assert expected in page, expected
    email = db.session.scalars(db.select(Email).filter_by(state="failed")).one()
    detail = text(client.get(f"/admin/emails/{email.id}"))
    assert "Body of failed" in detail
    assert client.get("/admin/emails/999").status_code == 404


def test_email_log_paginates(client, signed_in):
    for i in range(51):
        db.session.add(Email(kind="inquiry", sender_name="S", sender_email="s@example.com",
                             recipient="r@example.com", subject=f"Mail {i:02d}", body="b", state="not_sent",
                             created_at=datetime(2026, 1, 1) + timedelta(minutes=i)))
    db.session.commit()
    first = text(client.get("/admin/emails"))
    assert "Mail 50" in first and "Mail 00" not in first
    assert "Mail 00" in text(client.get("/admin/emails?page=2"))

"""S8 and A8: "Contact seller", the e-mail to the store, answer deadlines, and the merchant's answer."""
from datetime import datetime, timedelta

import pytest

from pageshop import clock
from pageshop.extensions import db
from pageshop.inquiries import answer_due_at, is_overdue
from pageshop.mail import send_due_emails
from pageshop.models import Email, Inquiry

from .conftest import free_port

FRIDAY_AFTERNOON = datetime(2026, 3, 6, 15, 30)


# --- the deadline ------------------------------------------------------------------------------


def test_facebook_checkout_inquiries_are_due_in_2_business_days(store, make_order):
    order = make_order(sales_channel="facebook_checkout")
    monday = datetime(2026, 3, 2, 9, 0)
    assert answer_due_at(order, monday) == datetime(2026, 3, 4, 9, 0)
    # Friday afternoon: the weekend does not count, so Tuesday afternoon.
    assert answer_due_at(order, FRIDAY_AFTERNOON) == datetime(2026, 3, 10, 15, 30)
    # Written on a weekend: counted from Monday.
    assert answer_due_at(order, datetime(2026, 3, 7, 10, 0)) == datetime(2026, 3, 11, 10, 0)
    assert answer_due_at(order, datetime(2026, 3, 8, 23, 0)) == datetime(2026, 3, 11, 23, 0)


def test_facebook_checkout_from_the_messenger_chat_has_the_same_deadline(store, make_order):
    order = make_order(sales_channel="messenger")
    assert order.checkout == "facebook"
    assert answer_due_at(order, FRIDAY_AFTERNOON) == datetime(2026, 3, 10, 15, 30)


def test_store_checkout_orders_have_no_deadline(store, make_order):
    assert answer_due_at(make_order(sales_channel="online_store"), FRIDAY_AFTERNOON) is None


def test_overdue_means_past_the_deadline_and_not_answered():
    inquiry = Inquiry(answer_due_at=datetime(2026, 3, 10, 15, 30))
    assert not is_overdue(inquiry, datetime(2026, 3, 10, 15, 30))
    assert is_overdue(inquiry, datetime(2026, 3, 10, 15, 31))
    inquiry.answered_at = datetime(2026, 3, 11)
    assert not is_overdue(inquiry, datetime(2026, 3, 12))
    assert not is_overdue(Inquiry(answer_due_at=None), datetime(2030, 1, 1))


# --- the shopper writes ------------------------------------------------------------------------


def test_contact_seller_form_shows_the_order_number(client, store, make_order):
    order = make_order()
    html = client.get(f"/orders/{order.token}/contact").get_data(as_text=True)
    assert 'value="#1001"' in html
    assert '<label for="message">Message</label>' in html
    assert ">Send</button>" in html


def test_unknown_order_link_is_not_found(client, store):
    assert client.get("/orders/not-a-token/contact").status_code == 404
    assert client.post_form("/orders/not-a-token/contact", {"message": "Hi"}).status_code == 404


def test_inquiry_is_emailed_to_the_support_address_and_recorded(client, store, make_order, smtp_server):
    clock.set_now(FRIDAY_AFTERNOON)
    order = make_order(sales_channel="facebook_checkout", email="alex@example.com")

    response = client.post_form(f"/orders/{order.token}/contact", {"message": "Can I change the size?"})

    assert response.status_code == 303
    confirmation = client.get(response.location).get_data(as_text=True)
    assert "Your message was sent to Maple &amp; Thread." in confirmation
    [message] = smtp_server.wait_for(1)
    assert message["To"] == "support@example.com"
    assert message["Reply-To"] == "alex@example.com"
    assert message["Subject"] == "Inquiry about order #1001"
    assert "Maple & Thread" in message["From"] and "shop@example.com" in message["From"]
    assert "Can I change the size?" in message.get_content()
    inquiry = db.session.scalars(db.select(Inquiry)).one()
    assert (inquiry.order_id, inquiry.email, inquiry.name) == (order.id, "alex@example.com", "Alex Rivera")
    assert inquiry.answer_due_at.date() == datetime(2026, 3, 10).date()
    email = db.session.scalars(db.select(Email).filter_by(kind="inquiry")).one()
    assert email.state == "sent"


@pytest.mark.parametrize("text, error", [
    ("  ", "Write your message to the seller."),
    ("z" * 5001, "A message can have at most 5,000 characters; this one has 5,001."),
])
def test_empty_or_oversized_message_is_refused_and_kept(client, store, make_order, text, error):
    order = make_order()

    response = client.post_form(f"/orders/{order.token}/contact", {"message": text})

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert error in html and f"{text}</textarea>" in html
    assert db.session.scalars(db.select(Inquiry)).all() == []
    assert db.session.scalars(db.select(Email)).all() == []


def test_smtp_down_keeps_the_inquiry_and_retries_the_email(app, client, store, make_order, smtp_server):
    order = make_order()
    app.config["MAIL_PORT"] = free_port()  # nothing listens there

    response = client.post_form(f"/orders/{order.token}/contact", {"message": "Is it gift-wrapped?"})

    assert response.status_code == 303
    assert db.session.scalars(db.select(Inquiry)).one().message == "Is it gift-wrapped?"
    email = db.session.scalars(db.select(Email).filter_by(kind="inquiry")).one()
    assert (email.state, email.attempts) == ("queued", 1)
    assert email.last_error

    app.config["MAIL_PORT"] = smtp_server.port
    clock.advance(timedelta(minutes=10))
    send_due_emails()

    [message] = smtp_server.wait_for(1)
    assert message["Subject"] == "Inquiry about order #1001"
    db.session.refresh(email)
    assert email.state == "sent"


# --- the merchant's inquiries -------------------------------------------------------------------


def test_inquiries_list_deadlines_and_overdue(client, auth, store, make_order):
    clock.set_now(FRIDAY_AFTERNOON)
    facebook = make_order(sales_channel="facebook_checkout")
    online = make_order(sales_channel="online_store", email="jo@example.com", first_name="Jo", last_name="Park")
    client.post_form(f"/orders/{facebook.token}/contact", {"message": "Where is it?"})
    client.post_form(f"/orders/{online.token}/contact", {"message": "Colour?"})
    auth.sign_in()

    html = client.get("/admin/inquiries").get_data(as_text=True)
    assert "Where is it?" in html and "Colour?" in html
    assert "Mar 10, 2026 3:30 PM UTC" in html
    assert "No deadline" in html
    assert f'href="/admin/orders/{facebook.id}"' in html
    assert "Jo Park" in html and "Overdue" not in html

    clock.advance(timedelta(days=4, minutes=1))
    auth.sign_in()  # days later: the session ended after 12 hours unused
    html = client.get("/admin/inquiries").get_data(as_text=True)
    assert html.count(">Overdue<") == 1


def test_inquiries_about_orders_bought_in_the_messenger_chat_are_flagged_overdue(client, auth, store,
                                                                                 make_order):
    clock.set_now(FRIDAY_AFTERNOON)
    order = make_order(sales_channel="messenger")
    client.post_form(f"/orders/{order.token}/contact", {"message": "Bought it in the chat, where is it?"})
    auth.sign_in()

    html = client.get("/admin/inquiries").get_data(as_text=True)
    assert "Mar 10, 2026 3:30 PM UTC" in html and "No deadline" not in html

    clock.advance(timedelta(days=4, minutes=1))
    auth.sign_in()  # days later: the session ended after 12 hours unused
    html = client.get("/admin/inquiries").get_data(as_text=True)
    assert html.count(">Overdue<") == 1


def test_mark_as_answered(client, auth, store, make_order):
    order = make_order()
    client.post_form(f"/orders/{order.token}/contact", {"message": "Hello?"})
    inquiry = db.session.scalars(db.select(Inquiry)).one()
    auth.sign_in()

    response = client.post_form(f"/admin/inquiries/{inquiry.id}/answered")

    assert response.status_code == 303
    assert db.session.get(Inquiry, inquiry.id).answered_at is not None
    html = client.get("/admin/inquiries").get_data(as_text=True)
    assert ">Answered<" in html and "Mark as answered" not in html


def test_answer_by_email_reaches_the_shopper(client, auth, store, make_order, smtp_server):
    order = make_order(email="alex@example.com")
    client.post_form(f"/orders/{order.token}/contact", {"message": "Does it come in blue?"})
    smtp_server.wait_for(1)
    inquiry = db.session.scalars(db.select(Inquiry)).one()
    auth.sign_in()
    assert "Does it come in blue?" in client.get(f"/admin/inquiries/{inquiry.id}/answer").get_data(as_text=True)

    empty = client.post_form(f"/admin/inquiries/{inquiry.id}/answer", {"answer": " "})
    assert empty.status_code == 422 and "Write your answer." in empty.get_data(as_text=True)

    response = client.post_form(f"/admin/inquiries/{inquiry.id}/answer", {"answer": "Yes, in navy blue."})

    assert response.status_code == 303
    answer = smtp_server.wait_for(2)[1]
    assert answer["To"] == "alex@example.com"
    assert answer["Subject"] == "Re: Inquiry about order #1001"
    assert "Maple & Thread" in answer["From"]
    assert "Yes, in navy blue." in answer.get_content()
    inquiry = db.session.get(Inquiry, inquiry.id)
    assert inquiry.answer == "Yes, in navy blue." and inquiry.answered_at is not None


def test_inquiries_need_a_signed_in_merchant(client, store, make_order):
    order = make_order()
    client.post_form(f"/orders/{order.token}/contact", {"message": "Hi"})
    inquiry = db.session.scalars(db.select(Inquiry)).one()
    assert client.get("/admin/inquiries").status_code == 302
    assert client.post_form(f"/admin/inquiries/{inquiry.id}/answered").status_code == 302
    assert db.session.get(Inquiry, inquiry.id).answered_at is None

"""E-mail: the order confirmation from Facebook or from the store, kept when there is no SMTP server,
retried when the server is down."""
from datetime import timedelta

import pytest

from pageshop import clock, mail
from pageshop.extensions import db
from pageshop.models import Email, Order, Store

from .conftest import free_port
from .factories import checkout_form


@pytest.fixture
def shirt(store, make_product):
    return make_product(title="Linen Shirt", price_cents=4000, stock=5)


def place(client, shirt, **fields):
    url = f"/checkout?variant={shirt.variants[0].id}&quantity=1"
    response = client.post_form(url, checkout_form(client, url, **fields))
    assert response.status_code == 303, response.get_data(as_text=True)
    return db.session.scalars(db.select(Order).order_by(Order.id.desc())).first()


def emails():
    return db.session.scalars(db.select(Email).order_by(Email.id)).all()


def test_facebook_checkout_confirmation_comes_from_facebook(client, shirt, smtp_server):
    order = place(client, shirt, email="pat@example.com")
    message = smtp_server.wait_for(1)[0]
    assert message["From"] == "Facebook <notification@facebookmail.example>"
    assert message["To"] == "pat@example.com"
    assert message["Subject"] == "Order #1001 confirmed"
    body = message.get_content()
    assert "Linen Shirt" in body and "$45.00" in body and "1 Main St" in body
    assert f"{client.application.config['PUBLIC_URL']}/orders/{order.token}" in body
    assert smtp_server.envelopes[0] == ("notification@facebookmail.example", ["pat@example.com"])
    email = emails()[0]
    assert (email.state, email.kind, email.order_id, email.attempts) == ("sent", "order_confirmation", order.id, 1)
    assert email.sent_at is not None


def test_store_checkout_confirmation_comes_from_the_store(client, store, shirt, smtp_server):
    store.checkout_choice = "store"
    db.session.commit()
    place(client, shirt)
    message = smtp_server.wait_for(1)[0]
    sender = message["From"].addresses[0]
    assert (sender.display_name, sender.addr_spec) == ("Maple & Thread", "shop@example.com")
    assert message["Reply-To"] == "support@example.com"
    assert message["Subject"] == "Order #1001 confirmed"


def test_messenger_purchase_confirmation_comes_from_facebook(client, shirt, smtp_server):
    url = f"/checkout?variant={shirt.variants[0].id}&quantity=1&source=messenger"
    client.post_form(url, checkout_form(client, url))
    assert smtp_server.wait_for(1)[0]["From"] == "Facebook <notification@facebookmail.example>"


def test_without_an_smtp_server_the_email_is_kept_as_not_sent(client, shirt):
    order = place(client, shirt)
    assert order.name == "#1001"
    email = emails()[0]
    assert email.state == "not_sent" and email.order_id == order.id
    assert email.sender_name == "Facebook"
    assert mail.send_due_emails() == 0
    assert emails()[0].state == "not_sent"


def test_a_kept_email_is_sent_once_a_server_is_configured(client, shirt, app):
    place(client, shirt)
    assert emails()[0].state == "not_sent"
    from aiosmtpd.controller import Controller

    from .conftest import Mailbox

    mailbox, port = Mailbox(), free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
        assert mail.send_due_emails() == 1
        assert mailbox.wait_for(1)[0]["Subject"] == "Order #1001 confirmed"
        assert emails()[0].state == "sent"
    finally:
        controller.stop()


def test_smtp_down_keeps_the_order_and_retries_the_email(client, shirt, app, smtp_server):
    app.config["MAIL_PORT"] = free_port()  # nothing listens there
    order = place(client, shirt)
    assert order.name == "#1001"
    email = emails()[0]
    assert email.state == "queued" and email.attempts == 1
    assert email.last_error
    assert email.next_attempt_at > clock.now()

    app.config["MAIL_PORT"] = smtp_server.port  # the server is back
    assert mail.send_due_emails() == 0  # not due yet: backing off
    clock.advance(timedelta(minutes=6))
    assert mail.send_due_emails() == 1
    assert smtp_server.wait_for(1)[0]["Subject"] == "Order #1001 confirmed"
    email = emails()[0]
    assert (email.state, email.attempts) == ("sent", 2)
    assert mail.send_due_emails() == 0  # sent once only
    assert len(smtp_server.messages) == 1


def test_backoff_grows_and_is_capped(app):
    assert mail.backoff(1) == timedelta(seconds=2)
    assert mail.backoff(3) == timedelta(seconds=8)
    assert mail.backoff(30) == timedelta(seconds=300)


def test_after_the_last_attempt_the_email_is_failed_and_kept(app, store):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_MAX_ATTEMPTS=2)
    email = mail.queue_email("inquiry", "support@example.com", "Hello", "Body",
                             sender_name="Maple & Thread", sender_email="shop@example.com",
                             reply_to="pat@example.com")
    db.session.commit()
    assert mail.deliver(email.id) is False
    clock.advance(timedelta(minutes=10))
    assert mail.send_due_emails() == 1
    email = emails()[0]
    assert (email.state, email.attempts, email.next_attempt_at) == ("failed", 2, None)
    assert email.last_error


def test_queue_email_sends_reply_to_and_writes_one_per_dedupe_key(app, store, smtp_server):
    first = mail.queue_email("inquiry", "support@example.com", "About #1001", "Hi", "Maple & Thread",
                             "shop@example.com", reply_to="pat@example.com", dedupe_key="k1")
    second = mail.queue_email("inquiry", "support@example.com", "About #1001", "Hi", "Maple & Thread",
                              "shop@example.com", reply_to="pat@example.com", dedupe_key="k1")
    db.session.commit()
    assert first is second and len(emails()) == 1
    assert mail.deliver(first.id) is True
    message = smtp_server.wait_for(1)[0]
    assert message["Reply-To"] == "pat@example.com"
    assert mail.deliver(first.id) is False  # already sent: not again
    assert len(smtp_server.messages) == 1


def test_the_worker_runs_the_email_job(app, store, smtp_server):
    from pageshop.worker import run_once

    mail.queue_email("inquiry", "support@example.com", "Worker", "Body", "Maple & Thread",
                     "shop@example.com")
    db.session.commit()
    assert run_once(app) >= 1
    assert smtp_server.wait_for(1)[0]["Subject"] == "Worker"
    assert db.session.scalar(db.select(Store.name)) == "Maple & Thread"

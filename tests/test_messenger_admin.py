"""A4 "Turn off" on the order status page, A9 the order's Messenger messages with "Retry"."""
from pageshop import events
from pageshop.extensions import db
from pageshop.messenger import outbox
from pageshop.messenger.local import LocalTransport
from pageshop.messenger.transport import SendError
from pageshop.models import FacebookAccount, Message, Notification
from pageshop.orders import fulfill_order
from pageshop.worker import run_once


def account(email="alex@example.com"):
    return db.session.scalars(db.select(FacebookAccount).filter_by(email=email)).one()


def place(make_order, who="alex@example.com"):
    order = make_order(facebook_account=account(who))
    events.publish("order_placed", order, opt_in_account=account(who))
    db.session.commit()
    return order


def test_status_page_shows_who_gets_updates_and_turn_off_mutes_queued_ones_too(app, store, client, auth, make_order):
    order = place(make_order, who="sam@example.com")  # the wrong account opted in
    auth.sign_in()
    html = client.get(f"/admin/orders/{order.id}/status").get_data(as_text=True)
    assert "Messenger updates go to Sam Chen (sam@example.com)" in html
    assert "Updates: on" in html
    assert ">Turn off</button>" in html

    response = client.post_form(f"/admin/orders/{order.id}/messenger/turn-off")
    assert response.status_code == 303
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Updates: turned off" in html
    assert ">Turn off</button>" not in html

    run_once(app)  # the confirmation was still queued: it is skipped, not sent
    db.session.expire_all()
    assert db.session.scalars(db.select(Message)).all() == []
    [notification] = db.session.scalars(db.select(Notification)).all()
    assert (notification.state, notification.skipped_reason) == ("skipped", "Muted by the merchant")
    fulfill_order(order, "UPS", "1Z1")
    run_once(app)
    assert db.session.scalars(db.select(Message)).all() == []


def test_order_without_opt_in_says_so(app, store, client, auth, make_order):
    order = make_order()
    auth.sign_in()
    html = client.get(f"/admin/orders/{order.id}/status").get_data(as_text=True)
    assert "didn&#39;t ask for order updates in Messenger" in html or "didn't ask for order updates" in html
    assert client.post_form(f"/admin/orders/{order.id}/messenger/turn-off").status_code == 303


def test_order_detail_lists_every_notification_with_state_attempts_and_retry(app, store, client, auth,
                                                                            make_order, monkeypatch):
    order = place(make_order)
    run_once(app)
    fulfill_order(order, "UPS", "1Z1")

    class Down(LocalTransport):
        shares_transaction = False

        def send(self, outgoing):
            raise SendError("(#100) The Page can't message this person", transient=False)

    monkeypatch.setattr(outbox, "get_transport", lambda: Down())
    run_once(app)
    monkeypatch.undo()
    auth.sign_in()
    html = client.get(f"/admin/orders/{order.id}").get_data(as_text=True)
    assert "Messenger messages" in html
    assert "Order confirmation" in html and "Sent" in html and "as UPDATE" in html
    assert "Shipping update" in html and "Failed" in html
    assert "(#100) The Page can&#39;t message this person" in html
    assert "1 attempt" in html
    assert html.count(">Retry</button>") == 1

    failed = db.session.scalars(db.select(Notification).filter_by(event="shipping_update")).one()
    response = client.post_form(f"/admin/notifications/{failed.id}/retry")
    assert response.status_code == 303
    assert db.session.get(Notification, failed.id).state == "queued"
    run_once(app)
    db.session.expire_all()
    assert db.session.get(Notification, failed.id).state == "sent"
    assert db.session.get(Notification, failed.id).attempts == 2
    # a second Retry of a sent message does nothing
    client.post_form(f"/admin/notifications/{failed.id}/retry")
    assert db.session.scalars(db.select(Message).filter_by(notification_id=failed.id)).all().__len__() == 1


def test_skipped_is_shown_with_its_reason(app, store, client, auth, make_order):
    order = place(make_order)
    client.post_form("/facebook/login", {"email": "alex@example.com", "password": "pageshop-demo"})
    client.post_form("/messenger/quick-reply", {"choice": "turn_off"})
    run_once(app)
    auth.sign_in()
    html = client.get(f"/admin/orders/{order.id}").get_data(as_text=True)
    assert "Skipped" in html and "Order updates turned off by the customer" in html


def test_messenger_actions_need_an_admin(app, store, client, make_order):
    order = place(make_order)
    assert client.post_form(f"/admin/orders/{order.id}/messenger/turn-off").status_code == 302
    assert order.subscription.state == "active"


def test_notification_log_lists_every_notification_and_filters_by_state(app, store, client, auth, make_order):
    first = place(make_order)
    second = place(make_order, who="sam@example.com")
    run_once(app)
    fulfill_order(first, "UPS", "1Z1")
    auth.sign_in()
    html = client.get("/admin/messenger/notifications").get_data(as_text=True)
    assert html.count('id="notification-') == 3
    assert f'href="/admin/orders/{second.id}"' in html
    html = client.get("/admin/messenger/notifications?state=queued").get_data(as_text=True)
    assert html.count('id="notification-') == 1 and "Shipping update" in html
    assert 'href="/admin/messenger/notifications"' in client.get("/admin/messenger/customizations").get_data(as_text=True)


def test_retry_from_the_log_comes_back_to_the_log(app, store, client, auth, make_order):
    order = place(make_order)
    notification = db.session.scalars(db.select(Notification)).one()
    notification.state, notification.last_error = "failed", "Outcome unknown after a crash"
    db.session.commit()
    auth.sign_in()
    html = client.get("/admin/messenger/notifications?state=failed").get_data(as_text=True)
    assert ">Retry</button>" in html
    response = client.post_form(f"/admin/notifications/{notification.id}/retry",
                                {"next": "/admin/messenger/notifications?state=failed"})
    assert response.headers["Location"] == "/admin/messenger/notifications?state=failed"
    response = client.post_form(f"/admin/notifications/{notification.id}/retry", {"next": "https://evil.example/"})
    assert response.headers["Location"] == f"/admin/orders/{order.id}"

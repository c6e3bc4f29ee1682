"""M4: inside the 24-hour window the merchant's text and note (UPDATE); outside it the standard
utility wording (UTILITY); never the retired POST_PURCHASE_UPDATE tag."""
from datetime import timedelta

from pageshop import clock, events
from pageshop.extensions import db
from pageshop.messenger.message_templates import save_customization
from pageshop.models import Conversation, FacebookAccount, Message, Notification
from pageshop.orders import fulfill_order, mark_delivered
from pageshop.worker import run_once


def alex():
    return db.session.scalars(db.select(FacebookAccount).filter_by(email="alex@example.com")).one()


def place(make_order):
    order = make_order(facebook_account=alex())
    events.publish("order_placed", order, opt_in_account=alex())
    db.session.commit()
    return order


def deliver(app):
    while run_once(app):
        pass
    db.session.expire_all()


def sent():
    return list(db.session.scalars(db.select(Message).where(Message.direction == "out").order_by(Message.id)))


def test_confirmation_right_after_opt_in_is_the_customized_text_with_the_note(app, store, make_order):
    save_customization("order_confirmation", "en", "Thank you {{ first_name }} for {{ order_number }}!",
                       "Follow us for 10% off your next order.")
    place(make_order)
    conversation = db.session.scalars(db.select(Conversation)).one()
    assert conversation.last_customer_action_at is not None  # the opt-in opened the window
    deliver(app)
    [message] = sent()
    assert message.text == "Thank you Alex for #1001!\n\nFollow us for 10% off your next order."
    assert message.lane == "UPDATE"


def test_shipping_update_three_days_later_is_the_utility_wording(app, store, make_order):
    save_customization("shipping_update", "en", "Yay {{ first_name }}! {{ tracking_number }}", "PROMO CODE")
    order = place(make_order)
    deliver(app)
    clock.advance(timedelta(days=3))
    fulfill_order(order, "UPS", "1Z999")
    deliver(app)
    confirmation, shipping = sent()
    assert shipping.lane == "UTILITY"
    assert "PROMO" not in shipping.text and "Yay" not in shipping.text
    assert shipping.text.startswith("Order #1001 has shipped. Tracking number: 1Z999.")
    assert db.session.scalars(db.select(Notification).filter_by(event="shipping_update")).one().lane == "UTILITY"


def test_the_window_closes_after_24_hours_and_a_message_reopens_it(app, store, make_order, client, auth):
    order = place(make_order)
    deliver(app)
    fulfill_order(order, "UPS", "1Z1")
    clock.advance(timedelta(hours=23, minutes=59))
    deliver(app)
    assert sent()[-1].lane == "UPDATE"

    clock.advance(timedelta(hours=1))
    auth.facebook_login()
    client.post_form("/messenger/messages", {"text": "When does it arrive?"})  # reopens the window
    mark_delivered(order)
    deliver(app)
    assert sent()[-1].lane == "UPDATE"


def test_outside_the_window_after_25_hours(app, store, make_order):
    order = place(make_order)
    deliver(app)
    clock.advance(timedelta(hours=25))
    fulfill_order(order, "USPS", "9400")
    deliver(app)
    assert sent()[-1].lane == "UTILITY"


def test_no_message_ever_uses_the_retired_tag(app, store, make_order):
    order = place(make_order)
    fulfill_order(order, "UPS", "1Z1")
    clock.advance(timedelta(days=2))
    mark_delivered(order)
    deliver(app)
    lanes = {m.lane for m in sent()}
    assert lanes <= {"RESPONSE", "UPDATE", "UTILITY", "HUMAN_AGENT"}
    assert all("POST_PURCHASE_UPDATE" not in str(m.payload) for m in sent())

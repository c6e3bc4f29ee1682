"""With the graph transport the checkout shows Meta's checkbox plugin, and a ticked checkbox links
the order to the plugin's user_ref (issue 5)."""
import re

from pageshop.extensions import db
from pageshop.models import Order, Subscription

from .factories import checkout_form


def _graph(app):
    app.config.update(MESSENGER_TRANSPORT="graph", MESSENGER_PAGE_ID="1234", MESSENGER_APP_ID="5678")


def test_checkout_renders_the_checkbox_plugin_unchecked_with_a_fresh_user_ref(app, client, auth, store, make_product):
    _graph(app)
    product = make_product()
    auth.facebook_login()
    url = f"/checkout?variant={product.variants[0].id}&quantity=1"
    first = client.get(url).get_data(as_text=True)
    second = client.get(url).get_data(as_text=True)
    assert 'class="fb-messenger-checkbox"' in first
    refs = [re.search(r'name="messenger_user_ref" value="([^"]+)"', html).group(1) for html in (first, second)]
    assert refs[0] != refs[1]
    assert 'value="unchecked" data-messenger-checkbox-state' in first
    assert "Send order updates to Messenger" not in first  # our own checkbox is replaced


def test_ticked_checkbox_subscribes_the_order_by_user_ref(app, client, store, make_product):
    _graph(app)
    product = make_product()
    url = f"/checkout?variant={product.variants[0].id}&quantity=1"
    fields = checkout_form(client, url, messenger_checkbox_state="checked", messenger_user_ref="ref-abc")
    response = client.post_form(url, fields)
    assert response.status_code == 303
    order = db.session.scalars(db.select(Order)).one()
    subscription = db.session.scalars(db.select(Subscription)).one()
    assert subscription.order_id == order.id
    assert subscription.user_ref == "ref-abc"
    assert subscription.state == "active"


def test_unticked_checkbox_makes_no_subscription(app, client, store, make_product):
    _graph(app)
    product = make_product()
    url = f"/checkout?variant={product.variants[0].id}&quantity=1"
    fields = checkout_form(client, url, messenger_checkbox_state="unchecked", messenger_user_ref="ref-xyz")
    assert client.post_form(url, fields).status_code == 303
    assert db.session.scalars(db.select(Subscription)).first() is None


def test_expired_token_is_shown_and_reconnect_releases_held_updates(app, client, auth, store, make_order):
    from pageshop.models import Notification, Store

    order = make_order()
    subscription = Subscription(order_id=order.id, page_id=store.messenger_page_id, user_ref="ref-1")
    db.session.add(subscription)
    db.session.flush()
    db.session.add(Notification(order_id=order.id, subscription_id=subscription.id,
                                event="order_confirmation", state="held"))
    db.session.get(Store, store.id).messenger_needs_reconnect = True
    db.session.commit()
    auth.sign_in()
    page = client.get("/admin/channels").get_data(as_text=True)
    assert "Messenger needs reconnection" in page
    response = client.post_form("/admin/channels/messenger/reconnect")
    assert response.status_code in (302, 303)
    assert db.session.scalars(db.select(Notification)).one().state == "queued"
    assert db.session.get(Store, store.id).messenger_needs_reconnect is False
    assert "Messenger needs reconnection" not in client.get("/admin/channels").get_data(as_text=True)


def test_checkbox_opt_in_opens_the_24_hour_window(app, client, store, make_product):
    from pageshop.models import Conversation

    _graph(app)
    product = make_product()
    url = f"/checkout?variant={product.variants[0].id}&quantity=1"
    fields = checkout_form(client, url, messenger_checkbox_state="checked", messenger_user_ref="ref-win")
    assert client.post_form(url, fields).status_code == 303
    conversation = db.session.scalars(db.select(Conversation).filter_by(user_ref="ref-win")).one()
    assert conversation.last_customer_action_at is not None


def test_inbox_reply_with_an_expired_token_flags_the_channel(app, store, make_facebook_account):
    import pytest

    from pageshop import clock
    from pageshop.errors import DomainError
    from pageshop.inbox import reply
    from pageshop.messenger import transport
    from pageshop.messenger.conversations import open_conversation, record_incoming
    from pageshop.models import FacebookAccount, Store

    account = db.session.scalars(db.select(FacebookAccount).filter_by(email="alex@example.com")).one()
    conversation = open_conversation(store.messenger_page, account)
    record_incoming(conversation, "Hello?")
    db.session.commit()

    class ExpiredToken:
        name = "expired"

        def send(self, outgoing):
            raise transport.SendError("The Page's access token expired.", transient=False, hold=True, code=190)

    original = transport.get_transport
    transport.get_transport = lambda: ExpiredToken()
    import pageshop.inbox as inbox_module
    inbox_module.get_transport = transport.get_transport
    try:
        with pytest.raises(DomainError):
            reply(conversation, "We're on it", clock.now())
    finally:
        transport.get_transport = original
        inbox_module.get_transport = original
    assert db.session.get(Store, store.id).messenger_needs_reconnect is True

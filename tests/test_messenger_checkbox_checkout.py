"""With the graph transport the checkout shows Meta's checkbox plugin, and a ticked checkbox links
the order to the plugin's user_ref (issue 5)."""
import re

from pageshop.extensions import db
from pageshop.models import Order, Subscription

from .factories import checkout_form
from .fake_messenger_platform import EPOCH, PAGE_TOKEN, checkbox_optin_event, platform  # noqa: F401
from .test_messenger_webhook import PSID, call, post, process, text_event


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


def _buy_with_the_plugin(app, client, make_product, state: str, user_ref: str):
    """A Facebook checkout under the graph transport, the plugin's state and user_ref posted."""
    _graph(app)
    url = f"/checkout?variant={make_product().variants[0].id}&quantity=1"
    fields = checkout_form(client, url, messenger_checkbox_state=state, messenger_user_ref=user_ref)
    return client.post_form(url, fields)


def test_ticked_checkbox_subscribes_the_order_by_user_ref(app, client, store, make_product):
    response = _buy_with_the_plugin(app, client, make_product, "checked", "ref-abc")
    assert response.status_code == 303
    order = db.session.scalars(db.select(Order)).one()
    subscription = db.session.scalars(db.select(Subscription)).one()
    assert subscription.order_id == order.id
    assert subscription.user_ref == "ref-abc"
    assert subscription.state == "active"


def test_unticked_checkbox_makes_no_subscription(app, client, store, make_product):
    assert _buy_with_the_plugin(app, client, make_product, "unchecked", "ref-xyz").status_code == 303
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


def test_checkbox_opt_in_opens_the_24_hour_window_when_the_platform_confirms_it(app, client, platform, store,
                                                                                make_product):
    from datetime import timedelta

    from pageshop import clock
    from pageshop.models import Conversation

    assert _buy_with_the_plugin(app, client, make_product, "checked", "ref-win").status_code == 303
    assert db.session.scalars(db.select(Conversation).filter_by(user_ref="ref-win")).first() is None
    ticked_at = clock.now() - timedelta(seconds=30)  # when the shopper's confirmation reached Meta

    page_id = app.config["MESSENGER_PAGE_ID"]
    post(client, call(page_id, checkbox_optin_event(page_id, "ref-win",
                                                    at=int((ticked_at - EPOCH).total_seconds() * 1000))))
    process(app)

    conversation = db.session.scalars(db.select(Conversation).filter_by(user_ref="ref-win")).one()
    assert abs(conversation.last_customer_action_at - ticked_at) < timedelta(milliseconds=2)


def test_inbox_reply_with_an_expired_token_flags_the_channel(app, client, auth, platform, store):
    from pageshop.models import Conversation, Message, Store

    page_id = platform.page_id
    post(client, call(page_id, text_event(page_id, "Has my parcel left?", "m_expired_1")))
    process(app)
    conversation = db.session.scalars(db.select(Conversation).filter_by(psid=PSID)).one()
    platform.fail_with(190, 463)  # the Page's token expired since the shopper wrote
    auth.sign_in()

    response = client.post_form(f"/admin/inbox/{conversation.id}/reply", {"text": "It left this morning."})

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert ("The reply was not sent: The Page&#39;s access token expired or was revoked: reconnect the Page."
            in html)
    assert "It left this morning.</textarea>" in html  # kept in the box, to send after reconnecting
    assert PAGE_TOKEN not in html
    assert [r.body["message"]["text"] for r in platform.send_calls] == ["It left this morning."]
    assert platform.sent == []
    assert db.session.scalars(db.select(Message).filter_by(direction="out")).all() == []
    assert db.session.get(Store, store.id).messenger_needs_reconnect is True
    assert "Messenger needs reconnection" in client.get("/admin/channels").get_data(as_text=True)

"""S10: the shopper's Messenger: the conversation, live updates of only what is new, the composer,
"Order update settings" and "Search products"; A6: the channel removed and added again."""
import re
from html import unescape

from pageshop import events
from pageshop.extensions import db
from pageshop.models import Conversation, FacebookAccount, FacebookPage, Message, Store
from pageshop.orders import fulfill_order
from pageshop.worker import run_once


def account(email="alex@example.com"):
    return db.session.scalars(db.select(FacebookAccount).filter_by(email=email)).one()


def place(make_order, who="alex@example.com", **kwargs):
    order = make_order(facebook_account=account(who), **kwargs)
    events.publish("order_placed", order, opt_in_account=account(who))
    db.session.commit()
    return order


def deliver(app):
    while run_once(app):
        pass


def last_id(html):
    return int(re.search(r'id="last-message-id" name="after" value="(\d+)"', html).group(1))


def test_logged_out_shopper_is_asked_to_log_in(app, store, client):
    response = client.get("/messenger")
    assert response.status_code == 200
    assert "Log in to Facebook" in response.get_data(as_text=True)
    response = client.post_form("/messenger/messages", {"text": "hi"})
    assert response.status_code == 303 and "/facebook/login" in response.headers["Location"]


def test_the_receipt_card_and_the_shipping_update(app, store, client, auth, make_product, make_order):
    product = make_product("Linen Apron", price_cents=3200, variants=[("Sage", 3200, 5)])
    order = place(make_order, product=product, quantity=2)
    deliver(app)
    fulfill_order(order, "UPS", "1Z999AA10123456784")
    deliver(app)
    auth.facebook_login()
    html = client.get("/messenger").get_data(as_text=True)
    assert 'aria-label="Receipt for order #1001"' in html
    assert "Linen Apron · Sage × 2" in html
    assert "$64.00" in html  # the line
    assert "$69.00" in html  # the total with shipping
    assert f'href="http://localhost/orders/{order.token}"' in html or f"/orders/{order.token}" in html
    assert "View order" in html
    assert "Shipping update for order #1001" in html
    assert "1Z999AA10123456784" in html and "UPS" in html
    assert 'href="https://www.ups.com/track?tracknum=1Z999AA10123456784"' in html
    # only this account's conversation: Sam sees nothing of it
    client.post_form("/facebook/logout")
    auth.facebook_login("sam@example.com")
    assert "Receipt for order" not in client.get("/messenger").get_data(as_text=True)


def test_polling_returns_only_what_is_new_or_204(app, store, client, auth, make_order):
    auth.facebook_login()
    order = place(make_order)
    deliver(app)
    html = client.get("/messenger").get_data(as_text=True)
    after = last_id(html)
    poll = client.htmx("get", f"/messenger?after={after}", target="messages")
    assert poll.status_code == 204

    fulfill_order(order, "UPS", "1Z42")
    deliver(app)
    poll = client.htmx("get", f"/messenger?after={after}", target="messages")
    assert poll.status_code == 200
    assert "HX-Request" in poll.headers["Vary"]
    fragment = poll.get_data(as_text=True)
    assert "1Z42" in fragment
    assert "Receipt for order" not in fragment  # already shown
    assert "<html" not in fragment
    assert 'hx-swap-oob="true"' in fragment and last_id(fragment) > after


def test_composer_sends_and_clears_and_opens_the_window(app, store, client, auth):
    auth.facebook_login()
    response = client.htmx("post", "/messenger/messages", target="composer", data={"text": "Is the apron linen?"})
    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "messages-changed"
    assert "Is the apron linen?" not in response.get_data(as_text=True)  # the composer is empty again
    conversation = db.session.scalars(db.select(Conversation)).one()
    assert conversation.last_customer_action_at is not None
    assert conversation.unread_count == 1  # for the merchant's inbox
    html = client.get("/messenger").get_data(as_text=True)
    assert "Is the apron linen?" in html


def test_composer_refuses_empty_and_too_long_messages(app, store, client, auth):
    auth.facebook_login()
    response = client.htmx("post", "/messenger/messages", target="composer", data={"text": "   "})
    assert response.status_code == 422
    assert "Write a message first." in response.get_data(as_text=True)
    response = client.htmx("post", "/messenger/messages", target="composer", data={"text": "x" * 2001})
    assert response.status_code == 422
    assert "at most 2000 characters" in response.get_data(as_text=True)
    assert db.session.scalars(db.select(Message)).all() == []
    # without JavaScript: the whole page with the error
    response = client.post_form("/messenger/messages", {"text": ""})
    assert response.status_code == 422 and "<html" in response.get_data(as_text=True)


def test_message_text_is_escaped(app, store, client, auth):
    auth.facebook_login()
    client.post_form("/messenger/messages", {"text": "<script>alert(1)</script>"})
    html = client.get("/messenger").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html


def test_order_update_settings_turn_off(app, store, client, auth, make_order):
    auth.facebook_login()
    order = place(make_order)
    other = place(make_order)
    response = client.htmx("post", "/messenger/menu", data={"choice": "order_update_settings"})
    assert response.status_code == 204 and response.headers["HX-Trigger"] == "messages-changed"
    html = client.get("/messenger").get_data(as_text=True)
    assert "Do you want to keep getting updates about your orders from Maple &amp; Thread here?" in html
    assert ">Turn off order updates</button>" in html and ">Keep receiving updates</button>" in html

    client.post_form("/messenger/quick-reply", {"choice": "turn_off"})
    html = client.get("/messenger").get_data(as_text=True)
    assert "You won&#39;t get order updates from Maple &amp; Thread anymore." in html
    assert {order.subscription.state, other.subscription.state} == {"turned_off"}
    answers = db.session.scalars(db.select(Message).where(Message.direction == "out")).all()
    assert {m.lane for m in answers} == {"RESPONSE"}

    fulfill_order(order, "UPS", "1Z1")
    deliver(app)
    assert "1Z1" not in client.get("/messenger").get_data(as_text=True)


def test_keep_receiving_updates(app, store, client, auth, make_order):
    auth.facebook_login()
    order = place(make_order)
    client.post_form("/messenger/menu", {"choice": "order_update_settings"})
    client.post_form("/messenger/quick-reply", {"choice": "keep"})
    html = client.get("/messenger").get_data(as_text=True)
    assert "You&#39;ll keep getting order updates from Maple &amp; Thread here." in html
    assert order.subscription.state == "active"


def test_search_products_answers_with_cards(app, store, client, auth, make_product):
    apron = make_product("Linen Apron", variants=[("Small", 3200, 0), ("Large", 3400, 4)])
    make_product("Linen Napkins", stock=0)
    make_product("Linen Secret", facebook=False)
    make_product("Wool Scarf")
    auth.facebook_login()
    client.post_form("/messenger/menu", {"choice": "search_products"})
    assert "What are you looking for?" in client.get("/messenger").get_data(as_text=True)
    client.post_form("/messenger/messages", {"text": "linen"})
    html = client.get("/messenger").get_data(as_text=True)
    assert "Linen Apron" in html and "Linen Napkins" in html
    assert "Linen Secret" not in html and "Wool Scarf" not in html
    assert f"/checkout?variant={apron.variants[1].id}&amp;quantity=1&amp;source=messenger" in html
    assert f"/products/{apron.handle}" in html
    assert ">Buy Now</a>" in html and ">View</a>" in html
    assert "Sold out" in html
    assert html.index("Linen Apron") < html.index("Linen Napkins")  # in stock first

    # A card buys one variant and names it; a product with one variant needs no name.
    apron_card = html[html.index("Linen Apron"):html.index("Linen Napkins")]
    assert "Option: Large" in apron_card and "$34.00" in apron_card
    assert "Option:" not in html[html.index("Linen Napkins"):]

    # cards end the search: the next message is an ordinary one again
    client.post_form("/messenger/messages", {"text": "linen please"})
    assert len(cards_answers()) == 1


def cards_answers() -> list[Message]:
    return db.session.scalars(db.select(Message).filter_by(kind="product_cards")).all()


def test_a_search_that_found_nothing_answers_the_retry(app, store, client, auth, make_product):
    make_product("Wool Scarf")
    auth.facebook_login()
    client.post_form("/messenger/menu", {"choice": "search_products"})
    client.post_form("/messenger/messages", {"text": "Schal"})
    html = client.get("/messenger").get_data(as_text=True)
    assert "Nothing matched “Schal”. Send another word, or tap “Stop searching”." in html
    assert ">Stop searching</button>" in html
    client.post_form("/messenger/messages", {"text": "scarf"})
    assert [m.payload["query"] for m in cards_answers()] == ["scarf"]

    # Nothing again, then the shopper stops searching: what they write next is for the Page.
    client.post_form("/messenger/menu", {"choice": "search_products"})
    client.post_form("/messenger/messages", {"text": "zebra"})
    client.post_form("/messenger/quick-reply", {"choice": "stop_search"})
    client.post_form("/messenger/messages", {"text": "Do you ship to Canada?"})
    html = client.get("/messenger").get_data(as_text=True)
    assert "OK. Write to us here any time, or choose “Search products” to search again." in html
    assert html.count("Nothing matched") == 2  # Schal and zebra, not the question
    assert len(cards_answers()) == 1
    # "Order update settings" leaves a search too
    client.post_form("/messenger/menu", {"choice": "search_products"})
    client.post_form("/messenger/messages", {"text": "zebra"})
    client.post_form("/messenger/menu", {"choice": "order_update_settings"})
    client.post_form("/messenger/messages", {"text": "Thanks!"})
    assert client.get("/messenger").get_data(as_text=True).count("Nothing matched") == 3


def test_channel_removed_existing_conversation_goes_on_new_ones_cannot_start(app, store, client, auth, make_order):
    order = place(make_order)
    deliver(app)
    store.messenger_page_id = None
    db.session.commit()

    fulfill_order(order, "UPS", "1Z77")  # the existing subscription still gets its update
    deliver(app)
    auth.facebook_login()
    html = client.get("/messenger").get_data(as_text=True)
    assert "1Z77" in html
    assert client.post_form("/messenger/messages", {"text": "still there?"}).status_code == 303

    client.post_form("/facebook/logout")
    auth.facebook_login("sam@example.com")
    html = client.get("/messenger").get_data(as_text=True)
    assert "Maple &amp; Thread isn't taking messages right now" in html
    assert 'id="composer"' not in html
    assert client.post_form("/messenger/messages", {"text": "hello?"}).status_code == 422
    assert db.session.scalars(db.select(Conversation).filter_by(facebook_account_id=account("sam@example.com").id)).all() == []


def test_added_again_same_page_goes_on_other_page_starts_fresh(app, store, client, auth, make_order):
    page_id = store.messenger_page_id
    place(make_order)
    deliver(app)
    store.messenger_page_id = None
    db.session.commit()
    store.messenger_page_id = page_id
    db.session.commit()
    auth.facebook_login()
    assert "Receipt for order #1001" in client.get("/messenger").get_data(as_text=True)

    other = FacebookPage(name="Maple Outlet")
    db.session.add(other)
    db.session.commit()
    db.session.get(Store, store.id).messenger_page_id = other.id
    db.session.commit()
    html = client.get("/messenger").get_data(as_text=True)
    assert "Maple Outlet" in html and "Receipt for order" not in html
    client.post_form("/messenger/messages", {"text": "hi outlet"})
    assert db.session.scalars(db.select(Conversation).filter_by(page_id=other.id)).one().messages[0].text == "hi outlet"


def test_placeholder_values_are_escaped_on_the_page(app, store, client, auth, make_order):
    from pageshop.messenger.message_templates import save_customization

    save_customization("order_confirmation", "en", "Hi {{ first_name }}!", "")
    place(make_order, first_name="<img src=x onerror=alert(1)>")
    deliver(app)
    auth.facebook_login()
    html = client.get("/messenger").get_data(as_text=True)
    assert "Hi &lt;img src=x onerror=alert(1)&gt;!" in html
    assert "<img src=x" not in html


def test_two_first_orders_at_once_share_one_conversation(app, store, make_facebook_account, monkeypatch):
    """The other order's transaction inserts Alex's conversation after ours looked and found none:
    the unique key refuses our copy and ours goes on with theirs, its own work intact."""
    from pageshop import clock
    from pageshop.messenger import conversations

    account = db.session.scalars(db.select(FacebookAccount).filter_by(email="alex@example.com")).one()
    page = store.messenger_page
    theirs = Conversation(page_id=page.id, facebook_account_id=account.id, display_name=account.name,
                          created_at=clock.now())
    db.session.add(theirs)
    db.session.commit()
    looked = []
    real_find = conversations.find_conversation

    def looked_before_they_committed(page_id, account_id):
        looked.append(page_id)
        return None if len(looked) == 1 else real_find(page_id, account_id)

    monkeypatch.setattr(conversations, "find_conversation", looked_before_they_committed)
    account.name = "Alex R."  # our transaction's own work, before the conflict

    ours = conversations.open_conversation(page, account)
    db.session.commit()

    assert ours.id == theirs.id
    assert db.session.scalars(db.select(db.func.count(Conversation.id))).one() == 1
    assert db.session.get(FacebookAccount, account.id).name == "Alex R."


def test_a_new_conversation_says_what_the_shopper_can_do(app, store, client, auth):
    auth.facebook_login()
    html = client.get("/messenger").get_data(as_text=True)
    assert "Start a conversation with Maple &amp; Thread" in html
    assert "“Search products”" in html and "“Order update settings”" in html
    client.post_form("/messenger/messages", {"text": "Hello"})
    assert "Start a conversation with" not in client.get("/messenger").get_data(as_text=True)


def test_enter_sends_from_a_script_file_not_an_inline_one(app, store, client, auth):
    auth.facebook_login()
    html = client.get("/messenger").get_data(as_text=True)
    assert re.search(r'<script src="/static/js/messenger\.[0-9a-f]{12}\.js" defer></script>', html)  # fingerprinted
    assert not re.search(r"<script(?![^>]*\ssrc=)", html)  # every script is a file
    assert "hx-on" not in html
    assert "Enter sends; Shift+Enter starts a new line." in html


def quick_replies(html, question_id):
    return re.search(rf'<fieldset class="quick-replies" id="quick-replies-{question_id}"[^>]*>', html).group(0)


def test_quick_replies_are_disabled_once_a_later_message_exists(app, store, client, auth):
    auth.facebook_login()
    client.post_form("/messenger/menu", {"choice": "order_update_settings"})
    question = db.session.scalars(db.select(Message).filter_by(kind="quick_replies")).one()
    html = client.get("/messenger").get_data(as_text=True)
    assert " disabled" not in quick_replies(html, question.id)  # the newest message: it can be answered

    # The live page has it on screen; the poll that brings the answer disables it there too.
    after = last_id(html)
    assert after == question.id
    client.htmx("post", "/messenger/quick-reply", data={"choice": "keep"})
    poll = client.htmx("get", f"/messenger?after={after}", target="messages")
    fragment = poll.get_data(as_text=True)
    assert "You&#39;ll keep getting order updates" in fragment
    oob = quick_replies(fragment, question.id)
    assert " disabled" in oob and 'hx-swap-oob="true"' in oob
    assert ">Keep receiving updates</button>" in fragment

    # reloaded: answered, so disabled; a new question asked is the one that can be answered
    client.post_form("/messenger/menu", {"choice": "order_update_settings"})
    newer = db.session.scalars(db.select(Message).filter_by(kind="quick_replies").order_by(Message.id.desc())).first()
    html = client.get("/messenger").get_data(as_text=True)
    assert " disabled" in quick_replies(html, question.id)
    assert " disabled" not in quick_replies(html, newer.id)
    # polled after the menu choice: the question comes, already overtaken by the next message
    client.post_form("/messenger/messages", {"text": "thanks"})
    fragment = client.htmx("get", f"/messenger?after={newer.id - 1}", target="messages").get_data(as_text=True)
    assert " disabled" in quick_replies(fragment, newer.id)
    assert fragment.count("<fieldset") == 1  # nothing out of band: the last shown was no question


def test_the_page_has_a_message_button_that_opens_the_conversation(app, store, client, auth):
    for path in ("/", "/shop"):
        html = client.get(path).get_data(as_text=True)
        assert re.search(r'<a class="button message-page" href="/messenger">Message</a>', html), path
    # Logged out: "Log in to Facebook", which comes back to the conversation.
    html = client.get("/messenger").get_data(as_text=True)
    assert 'href="/facebook/login?next=/messenger"' in html and "Log in to Facebook" in html
    response = client.post_form("/facebook/login?next=/messenger",
                                {"email": "alex@example.com", "password": "pageshop-demo", "next": "/messenger"})
    assert response.headers["Location"] == "/messenger"
    assert 'id="composer"' in client.get("/messenger").get_data(as_text=True)


def test_with_the_channel_removed_the_message_button_says_why_nothing_can_start(app, store, client, auth):
    store.messenger_page_id = None
    db.session.commit()
    html = unescape(client.get("/messenger").get_data(as_text=True))  # logged out
    assert ("Maple & Thread isn't taking messages right now: it has turned off Messenger, so a new "
            "conversation can't be started.") in html
    auth.facebook_login()
    html = unescape(client.get("/messenger").get_data(as_text=True))
    assert "it has turned off Messenger, so a new conversation can't be started." in html
    assert 'id="composer"' not in html


def test_the_pages_order_messages_show_their_time(app, store, client, auth, make_order):
    from datetime import datetime

    from pageshop import clock

    clock.set_now(datetime(2026, 3, 4, 9, 5))
    order = place(make_order)
    deliver(app)
    fulfill_order(order, "UPS", "1Z1")
    deliver(app)
    auth.facebook_login()
    html = client.get("/messenger").get_data(as_text=True)
    receipt = html[html.index('class="receipt"'):]
    # The clock ticks on from 9:05:00 (a slow machine may take seconds to deliver).
    sent_at = r'<time class="meta" datetime="2026-03-04T09:05:\d\dZ">Mar 4, 2026 9:05 AM UTC</time>'
    assert re.search(sent_at, receipt[:receipt.index("</section>")])
    update = html[html.index('class="msg-card shipping-update"'):]
    assert '<time class="meta"' in update[:update.index("</section>")]

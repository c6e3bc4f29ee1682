"""A8: the merchant's inbox, the live conversation, and replies within the Messenger windows."""
import re
from datetime import datetime, timedelta

import pytest

from pageshop import clock
from pageshop.channels import add_messenger_channel, remove_messenger_channel
from pageshop.errors import DomainError
from pageshop.extensions import db
from pageshop.inbox import format_time_left, reply, window_state
from pageshop.messenger.conversations import open_conversation, record_incoming
from pageshop.models import Conversation, FacebookAccount, FacebookPage, Message

MONDAY_NOON = datetime(2026, 3, 2, 12, 0)


def account(email="alex@example.com") -> FacebookAccount:
    return db.session.scalars(db.select(FacebookAccount).filter_by(email=email)).one()


def customer_writes(store, text="Hi! Where is my parcel?", email="alex@example.com") -> Conversation:
    conversation = open_conversation(store.messenger_page, account(email))
    write(conversation, text)
    return conversation


def write(conversation, text):
    # record_incoming reads the conversation before adding the message to the session; an expired
    # conversation would autoflush in between (SAWarning), so keep autoflush off here.
    with db.session.no_autoflush:
        record_incoming(conversation, text)
    db.session.commit()


# --- the window arithmetic ------------------------------------------------------------------


def test_window_is_open_for_24_hours_then_human_agent_for_7_days(store):
    clock.set_now(MONDAY_NOON)
    conversation = customer_writes(store)
    written = conversation.last_customer_message_at

    inside = window_state(conversation, written + timedelta(hours=21))
    assert (inside.state, inside.lane, inside.label) == ("open", "RESPONSE", "Open · 3 h left")

    just_before = window_state(conversation, written + timedelta(hours=24) - timedelta(seconds=1))
    assert just_before.state == "open"
    at_24h = window_state(conversation, written + timedelta(hours=24))
    assert (at_24h.state, at_24h.lane) == ("human_agent", "HUMAN_AGENT")
    assert at_24h.label == "Human agent only · 6 days left"

    later = window_state(conversation, written + timedelta(days=1, hours=12))
    assert later.label == "Human agent only · 5 days left"
    last_second = window_state(conversation, written + timedelta(days=7) - timedelta(seconds=1))
    assert last_second.state == "human_agent"

    at_7_days = window_state(conversation, written + timedelta(days=7))
    assert (at_7_days.state, at_7_days.lane, at_7_days.label) == ("closed", None, "Closed")


def test_time_left_reads_like_a_person_would_say_it():
    assert format_time_left(timedelta(hours=3, minutes=59)) == "3 h left"
    assert format_time_left(timedelta(minutes=42)) == "42 min left"
    assert format_time_left(timedelta(seconds=5)) == "1 min left"
    assert format_time_left(timedelta(days=1, hours=2)) == "1 day left"


def test_reply_inside_the_window_is_a_normal_response(store):
    clock.set_now(MONDAY_NOON)
    conversation = customer_writes(store)
    clock.advance(timedelta(hours=23, minutes=59))

    message = reply(conversation, "  It ships tomorrow!  ", clock.now())

    stored = db.session.get(Message, message.id)
    assert (stored.direction, stored.author, stored.lane, stored.text) == ("out", "merchant", "RESPONSE", "It ships tomorrow!")


def test_reply_at_exactly_24_hours_is_a_human_agent_reply(store):
    conversation = customer_writes(store)
    message = reply(conversation, "Sorry for the wait.", conversation.last_customer_message_at + timedelta(hours=24))
    assert message.lane == "HUMAN_AGENT"


def test_reply_at_exactly_7_days_is_refused_and_nothing_is_sent(store):
    conversation = customer_writes(store)
    with pytest.raises(DomainError) as refused:
        reply(conversation, "Still there?", conversation.last_customer_message_at + timedelta(days=7))
    assert "7 days" in refused.value.message
    assert refused.value.field == "text"
    assert db.session.scalars(db.select(Message).filter_by(direction="out")).all() == []


def test_human_agent_window_counts_from_every_action_menu_choices_too(store):
    """Issue 9: every action towards the Page counts for the 7 days of HUMAN_AGENT, as for the 24 hours."""
    conversation = customer_writes(store)
    written = conversation.last_customer_message_at
    # A quick reply three days later opens the standard window again, and the 7 days from then.
    conversation.last_customer_action_at = written + timedelta(days=3)
    db.session.commit()
    assert window_state(conversation, written + timedelta(days=3, hours=1)).lane == "RESPONSE"
    assert window_state(conversation, written + timedelta(days=7)).lane == "HUMAN_AGENT"
    assert window_state(conversation, written + timedelta(days=10)).state == "closed"


@pytest.mark.parametrize("text, error", [
    ("   ", "Write a reply before sending."),
    ("x" * 2001, "A reply can have at most 2,000 characters; this one has 2,001."),
])
def test_empty_or_oversized_reply_is_refused(store, text, error):
    conversation = customer_writes(store)
    with pytest.raises(DomainError, match=error):
        reply(conversation, text, clock.now())


def test_a_reply_of_exactly_2000_characters_is_sent(store):
    conversation = customer_writes(store)
    assert len(reply(conversation, "x" * 2000, clock.now()).text) == 2000


# --- the inbox list --------------------------------------------------------------------------


def test_inbox_lists_conversations_newest_first_with_unread_counts_and_window(client, auth, store):
    clock.set_now(MONDAY_NOON)
    alex = customer_writes(store, "Do you ship to Canada?")
    clock.advance(timedelta(hours=2))
    sam = customer_writes(store, "Is the scarf wool?", email="sam@example.com")
    write(sam, "And does it itch?")
    clock.advance(timedelta(hours=1))
    auth.sign_in()

    html = client.get("/admin/inbox").get_data(as_text=True)

    assert html.index("Sam Chen") < html.index("Alex Rivera")
    assert "2 unread" in html and "1 unread" in html
    assert "And does it itch?" in html and "Do you ship to Canada?" in html
    # The clock ticks on, and time left is rounded down.
    assert "Open · 20 h left" in html and "Open · 22 h left" in html
    assert 'hx-trigger="sse:inbox, live-poll"' in html  # refreshed when the stream says so
    assert alex.id != sam.id


def test_inbox_list_fragment_for_polling(client, auth, store):
    customer_writes(store, "Hello there")
    auth.sign_in()

    response = client.htmx("get", "/admin/inbox", target="inbox-list")

    html = response.get_data(as_text=True)
    assert "Hello there" in html
    assert "<html" not in html and "admin-nav" not in html
    assert "HX-Request" in response.headers["Vary"]


def test_inbox_keeps_every_pages_conversations_while_messenger_is_removed(client, auth, store):
    customer_writes(store, "Still open?")
    other_page = FacebookPage(name="Other Page")
    db.session.add(other_page)
    db.session.flush()
    earlier = Conversation(page_id=other_page.id, facebook_account_id=account("sam@example.com").id,
                           display_name="Sam Chen")
    db.session.add(earlier)
    db.session.commit()
    write(earlier, "Hello from the other Page")
    remove_messenger_channel(store)
    auth.sign_in()

    html = client.get("/admin/inbox").get_data(as_text=True)

    # Both can still write (A6: existing conversations go on), so both stay in the list, each
    # with its Page.
    assert "Still open?" in html and "Hello from the other Page" in html
    assert '<span class="muted">Other Page</span>' in html
    assert '<span class="muted">Maple &amp; Thread</span>' in html


def test_inbox_keeps_the_old_pages_conversations_after_messenger_moves(client, auth, store):
    old = customer_writes(store, "Question on the old Page")
    new_page = FacebookPage(name="New Page")
    db.session.add(new_page)
    db.session.commit()
    remove_messenger_channel(store)
    add_messenger_channel(store, new_page.id)
    auth.facebook_login()
    client.post_form("/messenger/messages", {"text": "Hello, new Page"})  # a fresh start there
    auth.sign_in()

    html = client.get("/admin/inbox").get_data(as_text=True)

    assert "Question on the old Page" in html and "Hello, new Page" in html
    assert html.index("Hello, new Page") < html.index("Question on the old Page")  # most recent first
    assert '<span class="muted">New Page</span>' in html
    response = client.post_form(f"/admin/inbox/{old.id}/reply", {"text": "Sorry for the wait!"})
    assert response.status_code == 303
    assert "Sorry for the wait!" in client.get(response.location).get_data(as_text=True)


def test_inbox_names_no_page_while_all_conversations_are_at_one(client, auth, store):
    customer_writes(store, "Hi")
    auth.sign_in()
    html = client.get("/admin/inbox").get_data(as_text=True)
    assert '<span class="muted">Maple &amp; Thread</span>' not in html


def test_window_states_in_the_list(client, auth, store):
    clock.set_now(MONDAY_NOON)
    customer_writes(store, "Old question")
    clock.advance(timedelta(days=1, hours=12))
    auth.sign_in()
    assert "Human agent only · 5 days left" in client.get("/admin/inbox").get_data(as_text=True)
    clock.advance(timedelta(days=6))
    auth.sign_in()  # days later: the session ended after 12 hours unused
    assert "Closed" in client.get("/admin/inbox").get_data(as_text=True)


def test_inbox_needs_a_signed_in_merchant(client, store):
    conversation = customer_writes(store)
    for url in ("/admin/inbox", f"/admin/inbox/{conversation.id}",
                f"/admin/inbox/{conversation.id}/messages?after=0"):
        assert client.get(url).status_code == 302
    assert client.post_form(f"/admin/inbox/{conversation.id}/reply", {"text": "Hi"}).status_code == 302


# --- the conversation -------------------------------------------------------------------------


def test_opening_a_conversation_shows_it_and_marks_it_read(client, auth, store):
    conversation = customer_writes(store, "Where is my order?")
    assert conversation.unread_count == 1
    auth.sign_in()

    html = client.get(f"/admin/inbox/{conversation.id}").get_data(as_text=True)

    assert "Where is my order?" in html
    assert '<label for="reply-text">Reply</label>' in html
    assert db.session.get(Conversation, conversation.id).unread_count == 0


def test_suggested_products_show_in_the_conversation(client, auth, store, make_product):
    apron = make_product("Linen Apron", variants=[("Small", 3200, 0), ("Large", 3400, 4)])
    napkins = make_product("Linen Napkins", price_cents=1250, stock=0)
    auth.facebook_login()
    client.post_form("/messenger/menu", {"choice": "search_products"})
    client.post_form("/messenger/messages", {"text": "linen"})
    conversation = db.session.scalars(db.select(Conversation)).one()
    auth.sign_in()

    html = client.get(f"/admin/inbox/{conversation.id}").get_data(as_text=True)

    suggestion = db.session.scalars(db.select(Message).filter_by(kind="product_cards")).one()
    cards = html[html.index(f'id="message-{suggestion.id}"'):]
    cards = cards[:cards.index('<span class="meta">')]
    assert "Here&#39;s what I found for “linen”:" in cards
    site = re.escape(client.application.config["PUBLIC_URL"])  # links leaving the site use PUBLIC_URL
    assert re.search(rf'<a href="{site}/products/{apron.handle}"[^>]*>Linen Apron</a>\s*'
                     r'<span>\$34\.00</span>', cards)
    assert re.search(rf'<a href="{site}/products/{napkins.handle}"[^>]*>Linen Napkins</a>\s*'
                     r'<span>\$12\.50 · Sold out</span>', cards)


def test_unknown_conversation_is_not_found(client, auth, store):
    auth.sign_in()
    assert client.get("/admin/inbox/999").status_code == 404


def test_live_conversation_sends_only_what_is_new(client, auth, store):
    conversation = customer_writes(store, "First")
    auth.sign_in()
    client.get(f"/admin/inbox/{conversation.id}")
    first_id = conversation.messages[-1].id

    nothing = client.htmx("get", f"/admin/inbox/{conversation.id}/messages?after={first_id}",
                          target="thread-messages")
    assert nothing.status_code == 204

    write(conversation, "Second")
    response = client.htmx("get", f"/admin/inbox/{conversation.id}/messages?after={first_id}",
                           target="thread-messages")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Second" in html and "First" not in html
    second_id = db.session.scalars(db.select(Message.id).filter_by(text="Second")).one()
    assert f"after={second_id}" in html and 'hx-swap-oob="true"' in html
    assert db.session.get(Conversation, conversation.id).unread_count == 0


def test_reply_from_the_admin_reaches_the_conversation(client, auth, store):
    conversation = customer_writes(store, "Do you gift wrap?")
    auth.sign_in()

    response = client.post_form(f"/admin/inbox/{conversation.id}/reply", {"text": "Yes, for free!"})

    assert response.status_code == 303
    sent = db.session.scalars(db.select(Message).filter_by(direction="out")).one()
    assert (sent.text, sent.lane, sent.author) == ("Yes, for free!", "RESPONSE", "merchant")
    assert "Yes, for free!" in client.get(response.location).get_data(as_text=True)


def test_reply_with_htmx_returns_a_fresh_form_and_announces_it(client, auth, store):
    conversation = customer_writes(store)
    auth.sign_in()

    response = client.htmx("post", f"/admin/inbox/{conversation.id}/reply", target="reply-form",
                           data={"text": "On its way"})

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "reply-sent"
    assert 'id="reply-form"' in html and "<html" not in html
    assert "On its way</textarea>" not in html


def test_admin_says_before_sending_that_the_reply_goes_as_human_agent(client, auth, store):
    clock.set_now(MONDAY_NOON)
    conversation = customer_writes(store)
    clock.advance(timedelta(days=2))
    auth.sign_in()

    html = client.get(f"/admin/inbox/{conversation.id}").get_data(as_text=True)
    assert "this reply will be sent as a human agent reply" in html

    client.post_form(f"/admin/inbox/{conversation.id}/reply", {"text": "Sorry for the delay"})
    sent = db.session.scalars(db.select(Message).filter_by(direction="out")).one()
    assert sent.lane == "HUMAN_AGENT"


def test_reply_after_7_days_is_refused_with_the_reason_and_the_text_kept(client, auth, store):
    clock.set_now(MONDAY_NOON)
    conversation = customer_writes(store)
    clock.advance(timedelta(days=7))
    auth.sign_in()

    response = client.htmx("post", f"/admin/inbox/{conversation.id}/reply", target="reply-form",
                           data={"text": "Are you still interested?"})

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "more than 7 days have passed since Alex Rivera" in html
    assert "Are you still interested?</textarea>" in html
    assert db.session.scalars(db.select(Message).filter_by(direction="out")).all() == []


@pytest.mark.parametrize("text, error", [
    ("", "Write a reply before sending."),
    ("y" * 2001, "A reply can have at most 2,000 characters"),
])
def test_invalid_reply_rerenders_the_form(client, auth, store, text, error):
    conversation = customer_writes(store)
    auth.sign_in()

    response = client.post_form(f"/admin/inbox/{conversation.id}/reply", {"text": text})

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert error in html and 'aria-invalid="true"' in html
    assert f"{text}</textarea>" in html


def test_a_transport_failure_is_shown_and_the_text_kept(client, auth, store, monkeypatch):
    from pageshop import inbox
    from pageshop.messenger.transport import SendError

    class RefusingTransport:
        name = "refusing"

        def send(self, outgoing):
            raise SendError("The Page's access token has expired.", transient=False, hold=True, code=190)

    monkeypatch.setattr(inbox, "get_transport", lambda: RefusingTransport())
    conversation = customer_writes(store)
    auth.sign_in()

    response = client.post_form(f"/admin/inbox/{conversation.id}/reply", {"text": "Hello again"})

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The reply was not sent: The Page&#39;s access token has expired." in html
    assert "Hello again</textarea>" in html
    assert db.session.scalars(db.select(Message).filter_by(direction="out")).all() == []


def test_window_notice_refreshes_while_the_conversation_is_open(client, auth, store):
    clock.set_now(MONDAY_NOON)
    conversation = customer_writes(store)
    auth.sign_in()
    assert "your reply is sent as a normal reply" in client.get(f"/admin/inbox/{conversation.id}").get_data(as_text=True)

    clock.advance(timedelta(hours=24))
    auth.sign_in()  # a day later: the session ended after 12 hours unused
    response = client.htmx("get", f"/admin/inbox/{conversation.id}", target="window-notice")

    html = response.get_data(as_text=True)
    assert html.strip().startswith('<p id="window-notice"')
    assert "this reply will be sent as a human agent reply" in html

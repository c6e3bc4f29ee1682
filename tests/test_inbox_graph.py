"""The merchant's inbox over the Messenger Platform (issues 4 and 5): shoppers' messages arrive by
signed webhook, the merchant's replies leave through the Send API in the lane the windows allow.
tests/test_inbox.py has the same feature over the local transport; tests/test_messenger_graph.py the
Send API's shapes and errors on their own."""
from __future__ import annotations

import html as markup
import re
from datetime import timedelta

import pytest

from pageshop import clock
from pageshop.extensions import db
from pageshop.models import Conversation, Message, SavedReply, Store

from .factories import checkout_form
from .fake_messenger_platform import (
    now_ms,
    platform,  # noqa: F401
)
from .test_messenger_webhook import PSID, call, post, process, text_event

NAME = "Messenger user 1111"  # a PSID's conversation is named after the PSID's last digits


def shopper_writes(app, client, platform, text: str, mid: str, psid: str = PSID,
                   prior_message: dict | None = None) -> Conversation:
    """The shopper's message, as the Platform delivers it: a signed webhook call, processed by the worker."""
    page_id = platform.page_id
    event = text_event(page_id, text, mid, psid=psid)
    if prior_message:
        event["prior_message"] = prior_message
    assert post(client, call(page_id, event)).status_code == 200
    process(app)
    return db.session.scalars(db.select(Conversation).filter_by(psid=psid)).one()


def reply_box(html: str) -> str:
    return markup.unescape(re.search(r'<textarea id="reply-text"[^>]*>([^<]*)</textarea>', html).group(1))


def sent_replies() -> list[Message]:
    return list(db.session.scalars(db.select(Message).filter_by(direction="out").order_by(Message.id)))


# --- a shopper's message arrives -------------------------------------------------------------


def test_a_message_from_messenger_appears_in_the_inbox_and_its_thread(app, client, auth, platform, store):
    shopper_writes(app, client, platform, "Do you ship to Canada?", "m_in_1")
    conversation = shopper_writes(app, client, platform, "And how long does it take?", "m_in_2")
    auth.sign_in()

    inbox = client.get("/admin/inbox").get_data(as_text=True)

    assert NAME in inbox and "2 unread" in inbox
    assert "And how long does it take?" in inbox  # the last message
    assert "Open · 23 h left" in inbox
    assert platform.send_calls == []  # a plain question gets no automated answer

    thread = client.get(f"/admin/inbox/{conversation.id}").get_data(as_text=True)

    assert f"<h2>{NAME}</h2>" in thread
    assert "Do you ship to Canada?" in thread and "And how long does it take?" in thread
    assert "your reply is sent as a normal reply" in thread
    assert "unread" not in client.get("/admin/inbox").get_data(as_text=True)

    # Another message while the thread is open: the thread's poll brings only that one.
    last_id = conversation.messages[-1].id
    shopper_writes(app, client, platform, "It's a gift, by the way.", "m_in_3")
    response = client.htmx("get", f"/admin/inbox/{conversation.id}/messages?after={last_id}",
                           target="thread-messages")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "It&#39;s a gift, by the way." in html and "Do you ship to Canada?" not in html


# --- replies in the Platform's windows --------------------------------------------------------


def test_a_reply_inside_24_hours_goes_to_the_psid_as_a_response(app, client, auth, platform, store):
    conversation = shopper_writes(app, client, platform, "Is the blue mug dishwasher safe?", "m_in_1")
    clock.advance(timedelta(hours=23, minutes=59))
    auth.sign_in()

    response = client.post_form(f"/admin/inbox/{conversation.id}/reply", {"text": "Yes, it is!"})

    assert response.status_code == 303
    assert platform.sent == [{"recipient": {"id": PSID}, "messaging_type": "RESPONSE",
                              "message": {"text": "Yes, it is!", "metadata": "pageshop"}}]
    thread = client.get(response.location).get_data(as_text=True)
    assert "Reply sent." in thread
    assert re.search(r"Yes, it is!<span class=\"meta\">You · ", thread)
    assert "You: Yes, it is!" in client.get("/admin/inbox").get_data(as_text=True)
    assert [(m.lane, m.author, m.mid) for m in sent_replies()] == [("RESPONSE", "merchant", "m_fake1")]


@pytest.mark.parametrize("later", [timedelta(hours=24), timedelta(days=6, hours=23)])
def test_a_reply_between_24_hours_and_7_days_goes_as_a_human_agent_message(app, client, auth, platform, store,
                                                                           later):
    conversation = shopper_writes(app, client, platform, "Any news about my order?", "m_in_1")
    clock.advance(later)
    auth.sign_in()
    url = f"/admin/inbox/{conversation.id}"
    assert "this reply will be sent as a human agent reply" in client.get(url).get_data(as_text=True)

    response = client.post_form(f"{url}/reply", {"text": "Sorry for the wait: it ships today."})

    assert response.status_code == 303
    assert platform.sent == [{"recipient": {"id": PSID}, "messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT",
                              "message": {"text": "Sorry for the wait: it ships today.", "metadata": "pageshop"}}]
    thread = client.get(response.location).get_data(as_text=True)
    assert re.search(r"Sorry for the wait: it ships today\.<span class=\"meta\">You · [^<]* · Human agent reply",
                     thread)


def test_a_reply_after_7_days_is_refused_and_the_platform_receives_nothing(app, client, auth, platform, store):
    conversation = shopper_writes(app, client, platform, "Do you still have the scarf?", "m_in_1")
    clock.advance(timedelta(days=7))
    auth.sign_in()
    url = f"/admin/inbox/{conversation.id}"
    assert "Replies are closed" in client.get(url).get_data(as_text=True)

    response = client.htmx("post", f"{url}/reply", target="reply-form", data={"text": "We do, in red!"})

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f"more than 7 days have passed since {NAME}&#39;s last message" in html
    assert "We do, in red!</textarea>" in html
    assert platform.send_calls == []
    assert sent_replies() == []


def test_a_platform_error_551_is_shown_readably_and_the_text_kept(app, client, auth, platform, store):
    conversation = shopper_writes(app, client, platform, "Can I change my address?", "m_in_1")
    platform.fail_with(551)
    auth.sign_in()
    url = f"/admin/inbox/{conversation.id}/reply"

    response = client.htmx("post", url, target="reply-form", data={"text": "Sure, what's the new one?"})

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<html" not in html and 'id="reply-form"' in html
    assert ("The reply was not sent: This person isn&#39;t available on Messenger right now (error 551)."
            in html)
    assert "Sure, what&#39;s the new one?</textarea>" in html
    assert [(r.status, r.answer["error"]["code"]) for r in platform.send_calls] == [(400, 551)]
    assert platform.sent == [] and sent_replies() == []
    assert db.session.get(Store, store.id).messenger_needs_reconnect is False  # not a token problem

    # The person is back: the kept text goes out, once.
    again = client.htmx("post", url, target="reply-form", data={"text": "Sure, what's the new one?"})

    assert again.status_code == 200 and again.headers["HX-Trigger"] == "reply-sent"
    assert [body["message"]["text"] for body in platform.sent] == ["Sure, what's the new one?"]
    assert len(sent_replies()) == 1


# --- saved replies over the Platform -----------------------------------------------------------


def test_a_saved_reply_reaches_the_platform_with_its_placeholders_filled(app, client, auth, platform, store,
                                                                        make_product):
    # The shopper ticked Meta's checkbox at checkout, then wrote to the Page: the conversation
    # belongs to the order's customer.
    product = make_product("Blue Mug")
    checkout = f"/checkout?variant={product.variants[0].id}&quantity=1"
    fields = checkout_form(client, checkout, messenger_checkbox_state="checked", messenger_user_ref="ref-mug-1")
    assert client.post_form(checkout, fields).status_code == 303
    platform.user_refs["ref-mug-1"] = PSID
    page_id = platform.page_id
    post(client, call(page_id, {"recipient": {"id": page_id}, "timestamp": now_ms(),
                                "optin": {"ref": "checkout", "user_ref": "ref-mug-1"}}))
    process(app)
    conversation = shopper_writes(app, client, platform, "When will it ship?", "m_in_1",
                                  prior_message={"source": "checkbox_plugin", "identifier": "ref-mug-1"})
    auth.sign_in()
    client.post_form("/admin/saved-replies", {"title": "Ships soon",
                                              "body": "Hi {{ first_name }}, your order {{ order_number }} ships today."})
    saved = db.session.scalars(db.select(SavedReply)).one()
    platform.reset()

    # The picker puts the saved reply into the box, filled; the merchant sends the box's text.
    page = client.get(f"/admin/inbox/{conversation.id}?insert={saved.id}").get_data(as_text=True)
    text = reply_box(page)
    assert text == "Hi Alex, your order #1001 ships today."
    assert "Latest order #1001" in page
    response = client.post_form(f"/admin/inbox/{conversation.id}/reply", {"text": text})

    assert response.status_code == 303
    assert platform.sent == [{"recipient": {"id": PSID}, "messaging_type": "RESPONSE",
                              "message": {"text": "Hi Alex, your order #1001 ships today.",
                                                          "metadata": "pageshop"}}]
    assert "Hi Alex, your order #1001 ships today." in client.get(response.location).get_data(as_text=True)


def test_a_saved_reply_to_a_messenger_user_without_a_known_name_greets_them_readably(app, client, auth, platform,
                                                                                     store):
    conversation = shopper_writes(app, client, platform, "Hello?", "m_in_1")
    auth.sign_in()
    client.post_form("/admin/saved-replies", {"title": "Hello", "body": "Hi {{ first_name }}, how can we help?"})
    saved = db.session.scalars(db.select(SavedReply)).one()

    page = client.get(f"/admin/inbox/{conversation.id}?insert={saved.id}").get_data(as_text=True)
    text = reply_box(page)
    assert text == "Hi there, how can we help?"  # not "Hi Messenger": that is no one's first name
    client.post_form(f"/admin/inbox/{conversation.id}/reply", {"text": text})

    assert [body["message"]["text"] for body in platform.sent] == ["Hi there, how can we help?"]

"""A8: saved replies: managing them, and putting them into a reply with placeholders filled."""
from html import unescape

import pytest

from pageshop.errors import DomainError
from pageshop.extensions import db
from pageshop.messenger.conversations import open_conversation, record_incoming
from pageshop.models import Conversation, FacebookAccount, SavedReply
from pageshop.saved_replies import (
    create_saved_reply,
    fill_placeholders,
    insert_into,
    matching_saved_replies,
    shortcut_prefix,
    update_saved_reply,
)


def conversation_with(store, email="alex@example.com") -> Conversation:
    account = db.session.scalars(db.select(FacebookAccount).filter_by(email=email)).one()
    conversation = open_conversation(store.messenger_page, account)
    with db.session.no_autoflush:
        record_incoming(conversation, "Hello")
    db.session.commit()
    return conversation


# --- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize("title, body, field, error", [
    ("", "Thanks!", "title", "Enter a title."),
    ("Thanks", "   ", "body", "Enter the text of the reply."),
    ("x" * 121, "Thanks!", "title", "at most 120 characters"),
    ("Thanks", "x" * 2001, "body", "at most 2,000 characters"),
])
def test_title_and_text_are_required(app, title, body, field, error):
    with pytest.raises(DomainError, match=error) as refused:
        create_saved_reply(title, body)
    assert refused.value.field == field


def test_titles_are_unique_whatever_their_case(app):
    create_saved_reply("Shipping times", "3 to 5 business days.")
    with pytest.raises(DomainError, match="There is already a saved reply called “shipping TIMES”"):
        create_saved_reply("shipping TIMES", "Another text")
    other = create_saved_reply("Returns", "30 days.")
    with pytest.raises(DomainError, match="already a saved reply"):
        update_saved_reply(other, "Shipping Times", "30 days.")
    # Keeping its own title is fine.
    assert update_saved_reply(other, "returns", "Within 30 days.").title == "returns"


def test_slash_shortcut_matches_titles_by_their_start(app):
    for title in ("Thanks for your order", "Thank you", "Shipping times", "100% wool"):
        create_saved_reply(title, "…")
    assert [s.title for s in matching_saved_replies("than")] == ["Thank you", "Thanks for your order"]
    assert [s.title for s in matching_saved_replies("THANKS")] == ["Thanks for your order"]
    assert [s.title for s in matching_saved_replies("100%")] == ["100% wool"]
    assert matching_saved_replies("%") == []
    assert len(matching_saved_replies("")) == 4


def test_shortcut_is_the_slash_word_being_typed_at_the_end():
    assert shortcut_prefix("/tha") == "tha"
    assert shortcut_prefix("Hi! /ship") == "ship"
    assert shortcut_prefix("/") == ""
    assert shortcut_prefix("see https://example.com/a") is None
    assert shortcut_prefix("no slash") is None
    assert insert_into("Hi! /tha", "Thanks, Alex.") == "Hi! Thanks, Alex."
    assert insert_into("Hello", "Thanks.") == "Hello Thanks."
    assert insert_into("", "Thanks.") == "Thanks."


# --- placeholders ------------------------------------------------------------------------------


def test_placeholders_are_filled_with_first_name_and_latest_order(store, make_order):
    conversation = conversation_with(store)
    alex = conversation.facebook_account
    make_order(facebook_account=alex)
    latest = make_order(facebook_account=alex)
    make_order(email="someone@example.com")

    text = fill_placeholders("Hi {{ first_name }}, order {{ order_number }} from {{ shop_name }} ships "
                             "today.", conversation)

    assert text == f"Hi Alex, order #{latest.number} from Maple & Thread ships today."
    assert latest.number == 1002


def test_unknown_values_stay_readable(store):
    conversation = conversation_with(store)
    conversation.facebook_account.name = ""
    conversation.display_name = ""
    db.session.commit()

    text = fill_placeholders("Hi {{ first_name }}, about {{ order_number }}:", conversation)

    assert text == "Hi there, about {{ order_number }}:"


# --- the pages ---------------------------------------------------------------------------------


def test_merchant_creates_edits_and_deletes_a_saved_reply(client, auth, store):
    auth.sign_in()
    assert "No saved replies yet." in client.get("/admin/saved-replies").get_data(as_text=True)

    created = client.post_form("/admin/saved-replies", {"title": "Thanks", "body": "Thanks {{ first_name }}!"})
    assert created.status_code == 303
    saved = db.session.scalars(db.select(SavedReply)).one()
    page = client.get("/admin/saved-replies").get_data(as_text=True)
    assert "Thanks {{ first_name }}!" in page and "Saved reply “Thanks” created." in page

    assert 'value="Thanks"' in client.get(f"/admin/saved-replies/{saved.id}").get_data(as_text=True)
    edited = client.post_form(f"/admin/saved-replies/{saved.id}", {"title": "Thank you", "body": "Thank you!"})
    assert edited.status_code == 303
    assert db.session.get(SavedReply, saved.id).title == "Thank you"

    deleted = client.post_form(f"/admin/saved-replies/{saved.id}/delete")
    assert deleted.status_code == 303
    assert db.session.scalars(db.select(SavedReply)).all() == []


def test_invalid_saved_reply_shows_the_error_and_keeps_the_input(client, auth, store):
    auth.sign_in()
    client.post_form("/admin/saved-replies", {"title": "Returns", "body": "30 days."})

    response = client.post_form("/admin/saved-replies", {"title": "RETURNS", "body": "Other text"})

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "There is already a saved reply called “RETURNS”." in html
    assert "Other text</textarea>" in html
    missing = client.post_form("/admin/saved-replies", {"title": "", "body": ""})
    assert missing.status_code == 422 and "Enter a title." in missing.get_data(as_text=True)


def test_editing_an_unknown_saved_reply_is_not_found(client, auth, store):
    auth.sign_in()
    assert client.get("/admin/saved-replies/99").status_code == 404
    assert client.post_form("/admin/saved-replies/99/delete").status_code == 404


def test_picker_and_slash_shortcut_in_the_conversation(client, auth, store, make_order):
    conversation = conversation_with(store)
    order = make_order(facebook_account=conversation.facebook_account)
    auth.sign_in()
    client.post_form("/admin/saved-replies", {"title": "Thanks for your order",
                                              "body": "Thanks {{ first_name }}! Order {{ order_number }} is on its way."})
    client.post_form("/admin/saved-replies", {"title": "Returns", "body": "30 days."})
    saved = db.session.scalars(db.select(SavedReply).filter_by(title="Thanks for your order")).one()
    url = f"/admin/inbox/{conversation.id}"

    page = client.get(url).get_data(as_text=True)
    assert '<label for="saved-reply-picker">Saved replies</label>' in page
    assert ">Thanks for your order</option>" in page
    assert f'<a href="/admin/orders/{order.id}">Latest order #{order.number}</a>' in page

    matches = client.htmx("get", f"{url}?text=Hello+/tha", target="saved-reply-matches")
    html = matches.get_data(as_text=True)
    assert "Thanks for your order" in html and "Returns" not in html and "<html" not in html
    none = client.htmx("get", f"{url}?text=/zzz", target="saved-reply-matches").get_data(as_text=True)
    assert "No saved reply starts with “zzz”." in none

    inserted = client.htmx("get", f"{url}?text=Hello+/tha&insert={saved.id}", target="reply-text")
    html = inserted.get_data(as_text=True)
    assert f"Hello Thanks Alex! Order #{order.number} is on its way.</textarea>" in html
    assert 'id="saved-reply-matches" class="saved-reply-matches" hx-swap-oob="true"' in html

    # Without JavaScript the picker opens the page with the reply in the box.
    no_js = client.get(f"{url}?insert={saved.id}").get_data(as_text=True)
    assert f"Thanks Alex! Order #{order.number} is on its way.</textarea>" in no_js


def test_demo_saved_replies_are_added_once(app):
    from pageshop.saved_replies import add_demo_saved_replies

    add_demo_saved_replies()
    add_demo_saved_replies()
    assert [s.title for s in matching_saved_replies("")] == ["Returns", "Shipping times", "Thanks for your order"]


# --- one placeholder syntax with the message customizations -----------------------------------


@pytest.mark.parametrize("body, error", [
    ("Thanks {first_name}!", "Write placeholders with two braces on each side: {{ first_name }}, not {first_name}."),
    ("Your code is {{ coupon }}", "Unknown placeholder {{ coupon }}."),
    ("{% if first_name %}Hi{% endif %}", "no {% ... %} blocks"),
])
def test_a_saved_reply_takes_only_the_customizations_placeholders(client, auth, store, body, error):
    auth.sign_in()
    response = client.post_form("/admin/saved-replies", {"title": "Thanks", "body": body})
    assert response.status_code == 422
    html = unescape(response.get_data(as_text=True))
    assert error in html
    assert f"{body}</textarea>" in html  # kept, to be corrected
    assert db.session.scalars(db.select(SavedReply)).all() == []


def test_every_placeholder_is_filled_from_the_latest_order(store, make_order):
    from pageshop.orders import fulfill_order

    conversation = conversation_with(store)
    order = make_order(facebook_account=conversation.facebook_account)
    body = ("Hi {{ first_name }}, order {{ order_number }} from {{ shop_name }} is on its way: "
            "{{ tracking_number }}")
    assert fill_placeholders(body, conversation) == (
        "Hi Alex, order #1001 from Maple & Thread is on its way: {{ tracking_number }}")
    fulfill_order(order, "UPS", "1Z999")
    assert fill_placeholders(body, conversation).endswith("is on its way: 1Z999")
    # A reply saved before placeholders were checked is put in as it is, never an error.
    assert fill_placeholders("Hi {{ first_name", conversation) == "Hi {{ first_name"

"""S10: the shopper's conversation with the Page, live without reload.

The page listens to its stream (`messenger/live`, server-sent events): an event says the conversation
changed, and the page then asks for what is new (`?after=<last id>` with HX-Target "messages") and
gets only the messages that are new, or 204. Where the stream can't connect, the page asks every
2 seconds instead (static/js/live.js). Every action posts, then tells the page through the
"messages-changed" event.
"""
from flask import Response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from jinja2_fragments.flask import render_block

from pageshop.errors import DomainError
from pageshop.ids import parse_id
from pageshop.live import event_stream
from pageshop.messenger.chat import (
    MAX_MESSAGE,
    choose_menu,
    choose_quick_reply,
    conversation_messages,
    question_with_quick_replies,
    send_message,
    shopper_view,
)
from pageshop.sessions import current_facebook_account
from pageshop.store import get_store
from pageshop.templating import fragment_response, htmx_target, is_htmx, retarget, trigger

from . import bp


@bp.get("/messenger")
def messenger():
    account = current_facebook_account()
    if account is None:
        return fragment_response(render_template("storefront/messenger_login.html"))
    view = shopper_view(account, get_store())
    if htmx_target() == "messages":
        after = parse_id(request.args.get("after")) or 0
        messages = conversation_messages(view.conversation, after)
        if not messages:
            return fragment_response("", 204)
        # The question shown last until now is overtaken: its quick replies are disabled on screen.
        response = fragment_response(render_template(
            "storefront/_message_updates.html", messages=messages,
            overtaken_question=question_with_quick_replies(view.conversation, after)))
    else:
        messages = conversation_messages(view.conversation)
        response = fragment_response(render_template(
            "storefront/messenger.html", view=view, messages=messages,
            last_id=messages[-1].id if messages else 0, error=None, text="", max_length=MAX_MESSAGE,
        ))
    return response


@bp.get("/messenger/live")
def messenger_live():
    """The shopper's own conversation changed: event "messages" (nothing else is sent)."""
    account = current_facebook_account()
    if account is None:
        return Response(_("Log in to Facebook to see your messages."), 403, mimetype="text/plain")
    return event_stream({f"shopper:{account.id}": "messages"})


def _done():
    """After an action: htmx refreshes the conversation; without JavaScript, back to the page."""
    if is_htmx():
        return trigger(fragment_response("", 204), "messages-changed")
    return redirect(url_for("storefront.messenger"), code=303)


def _account_or_login():
    account = current_facebook_account()
    if account is None:
        return None, redirect(url_for("storefront.facebook_login", next=url_for("storefront.messenger")),
                              code=303)
    return account, None


@bp.post("/messenger/messages")
def messenger_send():
    account, login = _account_or_login()
    if login:
        return login
    text = request.form.get("text", "")
    try:
        send_message(account, get_store(), text)
    except DomainError as exc:
        return _composer(account, text, exc.message, 422)
    if is_htmx():
        return trigger(_composer(account, "", None, 200), "messages-changed")
    return _done()


def _composer(account, text, error, status):
    """The composer again: emptied after sending, or with the text and its error."""
    view = shopper_view(account, get_store())
    if is_htmx():
        html = render_block("storefront/messenger.html", "composer", view=view, text=text, error=error,
                            max_length=MAX_MESSAGE)
        # Menu buttons swap nothing; their rare error goes to the composer too.
        return retarget(fragment_response(html, status), "#composer")
    messages = conversation_messages(view.conversation)
    return fragment_response(render_template(
        "storefront/messenger.html", view=view, messages=messages,
        last_id=messages[-1].id if messages else 0, error=error, text=text, max_length=MAX_MESSAGE,
    ), status)


def _choose(action):
    """A tap on a menu button or a quick reply: `action` records the choice in the conversation."""
    account, login = _account_or_login()
    if login:
        return login
    try:
        action(account, get_store(), request.form.get("choice", ""))
    except DomainError as exc:
        return _composer(account, "", exc.message, 422)
    return _done()


@bp.post("/messenger/menu")
def messenger_menu():
    return _choose(choose_menu)


@bp.post("/messenger/quick-reply")
def messenger_quick_reply():
    return _choose(choose_quick_reply)

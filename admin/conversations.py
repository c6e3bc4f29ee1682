"""A8: the inbox (conversations and replies), saved replies, and "Contact seller" inquiries."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from jinja2_fragments.flask import render_block

from pageshop import clock
from pageshop.errors import DomainError
from pageshop.extensions import db
from pageshop.ids import parse_id
from pageshop.inbox import (
    MAX_REPLY_LENGTH,
    latest_order,
    list_conversations,
    mark_read,
    new_messages,
    reply,
    window_state,
)
from pageshop.inquiries import answer_by_email, is_overdue, list_inquiries, mark_answered
from pageshop.live import event_stream
from pageshop.models import Conversation, Inquiry, SavedReply
from pageshop.saved_replies import (
    create_saved_reply,
    delete_saved_reply,
    fill_placeholders,
    get_saved_reply,
    insert_into,
    list_saved_replies,
    matching_saved_replies,
    shortcut_prefix,
    update_saved_reply,
)
from pageshop.templating import fragment_response, htmx_target, render_page, trigger

from . import bp
from .forms import AnswerForm, SavedReplyForm, TokenForm, add_error

# --- the inbox ------------------------------------------------------------------------------


@bp.context_processor
def inbox_helpers():
    return {"window_state": window_state, "max_reply_length": MAX_REPLY_LENGTH}


@bp.get("/inbox")
def inbox():
    after = parse_id(request.args.get("after"))
    conversations = list_conversations(after=after)
    return render_page(
        "admin/inbox.html", {"inbox-list": "conversation_list"},
        rows=conversations.items, inbox_page=conversations, after=after, now=clock.now(),
        current_id=request.args.get("current", type=int),
    )


def _conversation_page(conversation, status=200, reply_text="", reply_error=None):
    messages = list(conversation.messages)
    conversations = list_conversations()
    return render_page(
        "admin/conversation.html", {"reply-form": "reply_form"}, status=status,
        conversation=conversation, messages=messages, last_id=messages[-1].id if messages else 0,
        rows=conversations.items, inbox_page=conversations, current_id=conversation.id, now=clock.now(),
        saved_replies=list_saved_replies(), latest_order=latest_order(conversation),
        reply_text=reply_text, reply_error=reply_error,
    )


@bp.get("/inbox/live")
def inbox_live():
    """Server-sent events: "inbox" when any conversation changed, "conversation" when the one open
    (`?conversation=<id>`) did. The page then asks for what is new."""
    events = {"inbox": "inbox"}
    conversation_id = parse_id(request.args.get("conversation"))
    if conversation_id:
        events[f"conversation:{conversation_id}"] = "conversation"
    return event_stream(events)


@bp.get("/inbox/<int:conversation_id>")
def conversation(conversation_id):
    conversation = db.get_or_404(Conversation, conversation_id)
    target = htmx_target()
    text = request.args.get("text", "")
    if target == "saved-reply-matches":
        return _saved_reply_matches(conversation, text)
    if target == "window-notice":  # the windows close while the page is open
        return fragment_response(render_block("admin/conversation.html", "window_notice",
                                              conversation=conversation, now=clock.now()))
    saved = get_saved_reply(parse_id(request.args.get("insert")))
    if saved is not None:
        text = insert_into(text, fill_placeholders(saved.body, conversation))
    if target == "reply-text":
        html = render_block("admin/conversation.html", "reply_text", conversation=conversation,
                            reply_text=text, reply_error=None, autofocus=True)
        html += render_block("admin/conversation.html", "saved_reply_matches", conversation=conversation,
                             matches=[], oob=True)
        return trigger(fragment_response(html), "saved-reply-inserted", after_settle=True)
    mark_read(conversation)
    return _conversation_page(conversation, reply_text=text)


def _saved_reply_matches(conversation, text: str):
    """The saved replies whose title starts with what follows the `/` being typed."""
    prefix = shortcut_prefix(text)
    matches = matching_saved_replies(prefix) if prefix is not None else []
    html = render_block("admin/conversation.html", "saved_reply_matches", conversation=conversation,
                        matches=matches, prefix=prefix)
    return fragment_response(html)


@bp.get("/inbox/<int:conversation_id>/messages")
def conversation_messages(conversation_id):
    """What arrived after `after`, for the live conversation; 204 when nothing did."""
    conversation = db.get_or_404(Conversation, conversation_id)
    if htmx_target() != "thread-messages":
        return redirect(url_for("admin.conversation", conversation_id=conversation.id))
    messages = new_messages(conversation, parse_id(request.args.get("after")) or 0)
    if not messages:
        return fragment_response("", 204)
    context = dict(conversation=conversation, messages=messages, last_id=messages[-1].id,
                   now=clock.now(), oob=True)
    html = render_template("admin/_inbox_messages.html", **context)
    html += render_block("admin/conversation.html", "poller", **context)
    html += render_block("admin/conversation.html", "window_notice", **context)
    return fragment_response(html)


@bp.post("/inbox/<int:conversation_id>/reply")
def reply_to_conversation(conversation_id):
    conversation = db.get_or_404(Conversation, conversation_id)
    text = request.form.get("text", "")
    try:
        reply(conversation, text, clock.now())
    except DomainError as exc:
        return _conversation_page(conversation, 422, reply_text=text, reply_error=exc.message)
    if htmx_target() == "reply-form":
        return trigger(_conversation_page(conversation), "reply-sent")
    flash(_("Reply sent."), "success")
    return redirect(url_for("admin.conversation", conversation_id=conversation.id), code=303)


# --- saved replies --------------------------------------------------------------------------


def _saved_replies_page(form=None, status=200):
    return render_template("admin/saved_replies.html", saved_replies=list_saved_replies(),
                           form=form or SavedReplyForm(), delete_form=TokenForm()), status


@bp.get("/saved-replies")
def saved_replies():
    return _saved_replies_page()


@bp.post("/saved-replies")
def create_saved_reply_view():
    form = SavedReplyForm()
    try:
        saved = create_saved_reply(form.title.data, form.body.data)
    except DomainError as exc:
        add_error(form, exc.field, exc.message)
        return _saved_replies_page(form, 422)
    flash(_("Saved reply “%(title)s” created.", title=saved.title), "success")
    return redirect(url_for("admin.saved_replies"), code=303)


@bp.get("/saved-replies/<int:reply_id>")
def edit_saved_reply(reply_id):
    saved = db.get_or_404(SavedReply, reply_id)
    return render_template("admin/saved_replies_edit.html", saved=saved, form=SavedReplyForm(obj=saved))


@bp.post("/saved-replies/<int:reply_id>")
def update_saved_reply_view(reply_id):
    saved = db.get_or_404(SavedReply, reply_id)
    form = SavedReplyForm()
    try:
        update_saved_reply(saved, form.title.data, form.body.data)
    except DomainError as exc:
        add_error(form, exc.field, exc.message)
        return render_template("admin/saved_replies_edit.html", saved=saved, form=form), 422
    flash(_("Saved reply “%(title)s” updated.", title=saved.title), "success")
    return redirect(url_for("admin.saved_replies"), code=303)


@bp.post("/saved-replies/<int:reply_id>/delete")
def delete_saved_reply_view(reply_id):
    saved = db.get_or_404(SavedReply, reply_id)
    title = saved.title
    delete_saved_reply(saved)
    flash(_("Saved reply “%(title)s” deleted.", title=title), "success")
    return redirect(url_for("admin.saved_replies"), code=303)


# --- inquiries ------------------------------------------------------------------------------


@bp.get("/inquiries")
def inquiries():
    return render_template("admin/inquiries.html", inquiries=list_inquiries(), now=clock.now(),
                           is_overdue=is_overdue, action_form=TokenForm())


@bp.post("/inquiries/<int:inquiry_id>/answered")
def mark_inquiry_answered(inquiry_id):
    inquiry = db.get_or_404(Inquiry, inquiry_id)
    try:
        mark_answered(inquiry, clock.now())
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(_("The inquiry about order %(name)s is marked as answered.", name=inquiry.order.name), "success")
    return redirect(url_for("admin.inquiries"), code=303)


@bp.route("/inquiries/<int:inquiry_id>/answer", methods=["GET", "POST"])
def answer_inquiry(inquiry_id):
    inquiry = db.get_or_404(Inquiry, inquiry_id)
    form = AnswerForm()
    if request.method == "POST":
        try:
            answer_by_email(inquiry, form.answer.data, clock.now())
        except DomainError as exc:
            add_error(form, exc.field, exc.message)
            return render_template("admin/inquiries_answer.html", inquiry=inquiry, form=form), 422
        flash(_("Your answer was e-mailed to %(email)s.", email=inquiry.email), "success")
        return redirect(url_for("admin.inquiries"), code=303)
    return render_template("admin/inquiries_answer.html", inquiry=inquiry, form=form)

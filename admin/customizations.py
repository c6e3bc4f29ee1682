"""A7: the merchant's texts of the order messages, with a live preview of both forms. Each text is
kept per language (issue 14): a shopper gets the one of the language they ordered in."""
from flask import flash, redirect, request, url_for
from flask_babel import gettext as _

from pageshop.errors import DomainError
from pageshop.messenger.message_templates import (
    EVENT_LABELS,
    get_customization,
    placeholder_list,
    preview,
    reset_customization,
    save_customization,
)
from pageshop.models import NOTIFICATION_EVENTS
from pageshop.shopper_language import LANGUAGES, current_language
from pageshop.templating import render_page

from . import bp
from .forms import CustomizationForm, TokenForm, add_error

TEMPLATE = "admin/customizations.html"


def _event() -> str:
    """The message the page shows: the one asked for, or the first."""
    event = request.values.get("event", NOTIFICATION_EVENTS[0])
    return event if event in NOTIFICATION_EVENTS else NOTIFICATION_EVENTS[0]


def _language() -> str:
    """The language being edited: the one asked for, or the admin's own."""
    language = request.values.get("language", "")
    return language if language in LANGUAGES else current_language()


def _posted_event() -> str:
    """The message a save or reset is for, as sent: an unknown one is refused, not taken for the
    first message (which would overwrite that one's text)."""
    return request.values.get("event", "")


def _posted_language() -> str:
    """The language a save or reset is for, as sent (an unknown one is refused); the admin's own
    when none is sent."""
    return request.values.get("language") or current_language()


def _render(form: CustomizationForm, event: str, language: str, status: int = 200):
    customization = get_customization(event, language)
    try:
        shown = preview(event, language, form.body.data or "", form.promo_note.data or "")
        preview_error = None
    except DomainError as exc:
        shown, preview_error = None, exc.message
    context = dict(form=form, event=event, events=NOTIFICATION_EVENTS, event_labels=EVENT_LABELS,
                   text_language=language,
                   customized=customization.customized, shown=shown, preview_error=preview_error,
                   placeholders=placeholder_list(), reset_form=TokenForm())
    return render_page(TEMPLATE, {"preview": "preview"}, status=status, **context)


@bp.get("/messenger/customizations")
def messenger_customizations():
    event, language = _event(), _language()
    customization = get_customization(event, language)
    form = CustomizationForm(formdata=None, event=event, language=language, body=customization.body,
                             promo_note=customization.promo_note)
    return _render(form, event, language)


@bp.post("/messenger/customizations")
def save_messenger_customization():
    form = CustomizationForm()
    event, language = _event(), _language()
    if form.validate_on_submit():
        try:
            save_customization(_posted_event(), _posted_language(), form.body.data, form.promo_note.data)
        except DomainError as exc:
            if exc.field in ("event", "language"):  # hidden fields: their error goes on top
                flash(exc.message, "error")
            else:
                add_error(form, exc.field, exc.message)
        else:
            flash(_("%(message)s (%(language)s) saved.", message=EVENT_LABELS[event],
                    language=LANGUAGES[language]), "success")
            return redirect(url_for("admin.messenger_customizations", event=event, language=language),
                            code=303)
    return _render(form, event, language, 422)


@bp.post("/messenger/customizations/preview")
def preview_messenger_customization():
    form = CustomizationForm()  # only shown: the preview saves nothing
    event, language = _event(), _language()
    status = 200
    try:
        preview(event, language, form.body.data or "", form.promo_note.data or "")
    except DomainError:
        status = 422
    return _render(form, event, language, status)


@bp.post("/messenger/customizations/reset")
def reset_messenger_customization():
    event, language = _event(), _language()
    if TokenForm().validate_on_submit():
        try:
            reset_customization(_posted_event(), _posted_language())
        except DomainError as exc:
            flash(exc.message, "error")
        else:
            flash(_("%(message)s (%(language)s) is back to the default text.", message=EVENT_LABELS[event],
                    language=LANGUAGES[language]), "success")
    return redirect(url_for("admin.messenger_customizations", event=event, language=language), code=303)

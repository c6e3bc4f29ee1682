"""The texts of order notifications (A7, M4): the merchant's customizations, the defaults, and the
standard wording of the utility-message templates used outside the 24-hour window.

Merchant-edited texts are Jinja templates, but only plain placeholders are allowed: they are parsed,
checked node by node, and rendered in an `ImmutableSandboxedEnvironment` with `StrictUndefined`.
The texts are plain text (autoescape off); pages escape them when they show them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, meta, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from .. import clock
from ..errors import DomainError
from ..extensions import db
from ..models import NOTIFICATION_EVENTS, MessageTemplate
from ..shopper_language import LANGUAGES, in_language, language_of

PLACEHOLDERS = ("order_number", "first_name", "tracking_number", "tracking_link", "shop_name")
# `{first_name}` (one brace each side) is plain text to Jinja: the shopper would get the braces.
SINGLE_BRACES = re.compile(r"(?<!\{)\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}(?!\})")
MAX_BODY = 1000
MAX_PROMO_NOTE = 500

EVENT_LABELS = {
    "order_confirmation": _l("Order confirmation"),
    "shipping_update": _l("Shipping update"),
    "out_for_delivery": _l("Out for delivery"),
    "delivered": _l("Delivered"),
}

# The defaults, in each language of the catalog (a merchant's customization is per language too).
# Translators keep the {{ placeholders }} as they are.
DEFAULT_BODIES = {
    "order_confirmation": _l("Hi {{ first_name }}, thanks for your order {{ order_number }} from "
                             "{{ shop_name }}! We'll send you a message here when it ships."),
    "shipping_update": _l("Good news, {{ first_name }}: your order {{ order_number }} is on its way! "
                          "Tracking number: {{ tracking_number }}. Follow it here: {{ tracking_link }}"),
    "out_for_delivery": _l("Your order {{ order_number }} is out for delivery today, {{ first_name }}."),
    "delivered": _l("Your order {{ order_number }} was delivered. Thank you for shopping with "
                    "{{ shop_name }}, {{ first_name }}!"),
}

# The approved utility-message templates: the standard wording, never customized (M4). One
# template is approved per language (MESSENGER_UTILITY_TEMPLATE_NAME_DE ...); its wording is this
# text's translation.
UTILITY_BODIES = {
    "order_confirmation": _l("Order {{ order_number }} confirmed. Hi {{ first_name }}, {{ shop_name }} "
                             "received your order and will let you know when it ships."),
    "shipping_update": _l("Order {{ order_number }} has shipped. Tracking number: {{ tracking_number }}. "
                          "Track your package: {{ tracking_link }}"),
    "out_for_delivery": _l("Order {{ order_number }} is out for delivery."),
    "delivered": _l("Order {{ order_number }} has been delivered."),
}

SAMPLE_VALUES = {
    "order_number": "#1001",
    "first_name": "Alex",
    "tracking_number": "1Z999AA10123456784",
    "tracking_link": "https://www.ups.com/track?tracknum=1Z999AA10123456784",
    "shop_name": "Maple & Thread",
}

_env = ImmutableSandboxedEnvironment(autoescape=False, undefined=StrictUndefined,
                                     keep_trailing_newline=True)


@dataclass(frozen=True)
class Customization:
    event: str
    language: str
    body: str
    promo_note: str
    customized: bool


def check_event(event: str) -> str:
    if event not in NOTIFICATION_EVENTS:
        raise DomainError(_("Choose one of the order messages."), "event")
    return event


def check_language(language: str) -> str:
    if language not in LANGUAGES:
        raise DomainError(_("Choose the language of the text."), "language")
    return language


def default_body(event: str, language: str) -> str:
    with in_language(language):
        return str(DEFAULT_BODIES[event])


def utility_body(event: str, language: str) -> str:
    """The approved template's wording in `language`."""
    with in_language(language):
        return str(UTILITY_BODIES[event])


def get_customization(event: str, language: str) -> Customization:
    """The merchant's text of `event` in `language`, or that language's default."""
    language = language_of(language)
    saved = db.session.scalars(db.select(MessageTemplate).filter_by(event=event, locale=language)).first()
    if saved is None:
        return Customization(event, language, default_body(event, language), "", False)
    return Customization(event, language, saved.body, saved.promo_note or "", True)


def check_template(source: str, field: str) -> None:
    """Raise a DomainError unless `source` is plain text with documented `{{ placeholders }}`.
    The one syntax of the message customizations (A7) and the saved replies (A8)."""
    try:
        tree = _env.parse(source)
    except TemplateSyntaxError as exc:
        raise DomainError(_("This text can't be read as a template (line %(line)s: %(error)s). "
                            "Write placeholders like {{ order_number }}.",
                            line=exc.lineno, error=exc.message), field)
    unknown = sorted(meta.find_undeclared_variables(tree) - set(PLACEHOLDERS))
    for node in tree.body:
        if not isinstance(node, nodes.Output):
            raise DomainError(_("Only placeholders like {{ order_number }} are allowed here: "
                                "no {% ... %} blocks."), field)
        for part in node.nodes:
            if isinstance(part, nodes.TemplateData):
                _check_single_braces(part.data, field)
                continue
            if not isinstance(part, nodes.Name):
                raise DomainError(_("Only plain placeholders like {{ order_number }} are allowed: "
                                    "no attributes, calculations, filters or calls."), field)
            if part.name not in PLACEHOLDERS:
                unknown = unknown or [part.name]
    if unknown:
        raise DomainError(_("Unknown placeholder {{ %(name)s }}. You can use: %(names)s.",
                            name=unknown[0], names=placeholder_list()), field)
    try:
        _env.from_string(source).render(SAMPLE_VALUES)
    except TemplateError as exc:  # pragma: no cover - the checks above leave nothing to fail
        raise DomainError(_("This text can't be rendered: %(error)s", error=str(exc)), field)


def _check_single_braces(text: str, field: str) -> None:
    found = SINGLE_BRACES.search(text)
    if found is None:
        return
    name = found.group(1)
    if name in PLACEHOLDERS:
        raise DomainError(_("Write placeholders with two braces on each side: {{ %(name)s }}, not "
                            "{%(name)s}. You can use: %(names)s.", name=name, names=placeholder_list()), field)
    raise DomainError(_("Unknown placeholder {%(name)s}. You can use: %(names)s.",
                        name=name, names=placeholder_list()), field)


def placeholder_list() -> str:
    return ", ".join("{{ %s }}" % name for name in PLACEHOLDERS)


def render_text(source: str, values: dict[str, str]) -> str:
    """Render a checked template; values missing for this order render as empty text."""
    full = {name: values.get(name) or "" for name in PLACEHOLDERS}
    return _env.from_string(source).render(full).strip()


def fill_known(source: str, values: dict[str, str]) -> str:
    """Render a checked template with the values known; a placeholder without a value stays as it
    is written (a saved reply going into the reply box: the merchant sees what to fill in). A text
    that isn't a valid template (saved before placeholders were checked) comes back unchanged."""
    full = {name: values.get(name) or "{{ %s }}" % name for name in PLACEHOLDERS}
    try:
        return _env.from_string(source).render(full)
    except TemplateError:
        return source


def clean(event: str, body: str, promo_note: str) -> tuple[str, str]:
    check_event(event)
    body = (body or "").replace("\r\n", "\n").strip()
    promo_note = (promo_note or "").replace("\r\n", "\n").strip()
    if not body:
        raise DomainError(_("Write the message text."), "body")
    if len(body) > MAX_BODY:
        raise DomainError(_("Use at most %(max)s characters for the message.", max=MAX_BODY), "body")
    if len(promo_note) > MAX_PROMO_NOTE:
        raise DomainError(_("Use at most %(max)s characters for the promotional note.",
                            max=MAX_PROMO_NOTE), "promo_note")
    check_template(body, "body")
    if promo_note:
        check_template(promo_note, "promo_note")
    return body, promo_note


def save_customization(event: str, language: str, body: str, promo_note: str) -> MessageTemplate:
    check_language(language)
    body, promo_note = clean(event, body, promo_note)
    saved = db.session.scalars(db.select(MessageTemplate).filter_by(event=event, locale=language)).first()
    if saved is None:
        saved = MessageTemplate(event=event, locale=language, body=body)
        db.session.add(saved)
    saved.body = body
    saved.promo_note = promo_note
    saved.updated_at = clock.now()
    db.session.commit()
    return saved


def reset_customization(event: str, language: str) -> None:
    """Back to the default text in `language`; the other languages keep theirs."""
    check_event(event)
    check_language(language)
    db.session.execute(db.delete(MessageTemplate).where(MessageTemplate.event == event,
                                                        MessageTemplate.locale == language))
    db.session.commit()


@dataclass(frozen=True)
class Preview:
    inside: str
    outside: str


def preview(event: str, language: str, body: str, promo_note: str) -> Preview:
    """Both forms of the message with sample values, as a shopper of `language` would read them."""
    body, promo_note = clean(event, body, promo_note)
    return Preview(inside=inside_text(body, promo_note, SAMPLE_VALUES),
                   outside=render_text(utility_body(event, language), SAMPLE_VALUES))


def inside_text(body: str, promo_note: str, values: dict[str, str]) -> str:
    text = render_text(body, values)
    note = render_text(promo_note, values) if promo_note else ""
    return f"{text}\n\n{note}" if note else text

"""Each rule once (issue 13.3): how long a text may be comes from its model column, so a form can't
accept what the database refuses; an e-mail address is checked by email_validator, in one function
that the forms, the domain and the CLI all call."""
from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import ValidationError
from wtforms.validators import Length, NumberRange, StopValidation

from .errors import DomainError

# RFC 5321's limit, the same as every e-mail column's.
EMAIL_MAX_LENGTH = 254


def column_length(attribute) -> int:
    """The length of a model's String column: column_length(Order.first_name) == 120."""
    return attribute.property.columns[0].type.length


def check_length(value: str, attribute, field: str | None = None) -> str:
    """The value, or DomainError for `field` when it doesn't fit the column."""
    limit = column_length(attribute)
    if len(value) > limit:
        raise DomainError(_("Use at most %(max)d characters.", max=limit), field)
    return value


def clip(value: str, attribute) -> str:
    """A text derived from others (a display name made of a first and a last name) cut to fit its
    column: nobody typed it, so nobody can be asked to shorten it."""
    limit = column_length(attribute)
    return value if len(value) <= limit else value[:limit - 1] + "…"


def normalize_email(text: str | None) -> str:
    """How an account's e-mail is looked up: trimmed, lower case."""
    return (text or "").strip().lower()


def check_email(text: str | None, field: str | None = "email") -> str:
    """A valid address (domain in lower case, as email_validator normalizes it), or DomainError."""
    text = (text or "").strip()
    try:
        email = validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        email = None
    if email is None or len(email) > EMAIL_MAX_LENGTH:
        raise DomainError(_("Enter a valid email address, like you@example.com."), field)
    return email


class FitsColumn(Length):
    """WTForms validator: at most as many characters as the model's column holds (the input also
    gets maxlength)."""

    def __init__(self, attribute):
        super().__init__(max=column_length(attribute), message=_l("Use at most %(max)d characters."))


class EmailAddress:
    """WTForms validator: check_email's rule and message."""

    message = _l("Enter a valid email address, like you@example.com.")

    def __call__(self, form, field) -> None:
        if not (field.data or "").strip():
            return  # DataRequired says "Enter your email." where it is required
        try:
            check_email(field.data)
        except DomainError as exc:
            raise ValidationError(exc.message)


class Filled:
    """WTForms validator: something was typed (spaces aside); otherwise `message` alone, not also
    the field's "can't read it"."""

    def __init__(self, message: str):
        self.message = message

    def __call__(self, form, field) -> None:
        if not (field.raw_data and str(field.raw_data[0]).strip()):
            field.errors[:] = []
            raise StopValidation(self.message)


class InRange(NumberRange):
    """WTForms' NumberRange, silent when there is no number: an empty field may be optional, and
    an unreadable one already says so."""

    def __call__(self, form, field) -> None:
        if field.data is not None:
            super().__call__(form, field)

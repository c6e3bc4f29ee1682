"""The forms both blueprints share; each blueprint's own forms are in its forms.py."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, ValidationError

from .errors import DomainError
from .languages import check_language


class TokenForm(FlaskForm):
    """A button that only needs the CSRF token."""


class LanguageForm(FlaskForm):
    """The language switch in the footer: one button per language, and the page to go back to."""

    language = StringField(_l("Language"))
    next = HiddenField()

    def validate_language(self, field):
        try:
            check_language(field.data)
        except DomainError as error:
            raise ValidationError(error.message)

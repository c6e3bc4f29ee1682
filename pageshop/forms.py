"""The forms both blueprints share; each blueprint's own forms are in its forms.py."""
from functools import lru_cache

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import HiddenField, StringField, ValidationError
from wtforms.widgets import Select

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


class LongSelect(Select):
    """A <select> of many options that are the same on every request in one language (the 246
    countries of a checkout): their HTML is made once, where WTForms would make each option anew on
    every page (most of the time a checkout took to render)."""

    def __call__(self, field, **kwargs):
        empty = str(super().__call__(_WithoutChoices(field), **kwargs))  # <select ...></select>
        options = _options(tuple(field.choices)).replace(_plain(field.data), _selected(field.data), 1)
        return Markup(empty.removesuffix("</select>") + options + "</select>")


class _WithoutChoices:
    """The field as Select sees it: its name, id and flags, no options (LongSelect adds them)."""

    def __init__(self, field):
        self._field = field

    def __getattr__(self, name):
        return getattr(self._field, name)

    def has_groups(self) -> bool:
        return False

    def _iter_choices_normalized(self):
        return iter(())


@lru_cache(maxsize=16)
def _options(choices: tuple) -> str:
    return "".join(f'{_plain(value)}{escape(label)}</option>' for value, label in choices)


def _plain(value) -> str:
    return f'<option value="{escape(value)}">'


def _selected(value) -> str:
    return f'<option selected value="{escape(value)}">'

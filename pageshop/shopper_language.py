"""The shopper's language (issue 14): the one they checked out in, stored on the order, is the one
every e-mail and Messenger message about that order is written in, not the merchant's, and not the
worker's (which has no request and so no locale of its own)."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask_babel import force_locale, get_locale

from .languages import DEFAULT_LANGUAGE, LANGUAGES

# Messenger's names for them: a utility-message template is approved per language.
MESSENGER_LANGUAGE_CODES = {"en": "en_US", "de": "de_DE"}


def language_of(locale) -> str:
    """One of LANGUAGES for a Babel locale or a tag ("de", "de_AT", "de-CH"); English otherwise."""
    language = str(locale or "").replace("-", "_").split("_")[0].lower()
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def current_language() -> str:
    """The language the viewer sees this page in: what an order placed now is stored with."""
    return language_of(get_locale())


@contextmanager
def in_language(language: str | None) -> Iterator[None]:
    """Texts made inside are written in `language` (the order's), in a request or in the worker."""
    with force_locale(language_of(language)):
        yield


def plural_count(number: float) -> int:
    """The count ngettext picks the form by, for a number that may have a fraction: gettext takes
    whole numbers only, and a fraction takes the plural ("1.5 hours"), as 0 does in English and
    German."""
    return int(number) if float(number).is_integer() else 0


def messenger_language_code(language: str | None) -> str:
    return MESSENGER_LANGUAGE_CODES[language_of(language)]

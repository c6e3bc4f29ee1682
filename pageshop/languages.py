"""The languages Pageshop speaks, and which one a viewer gets: the language switch's choice (a
cookie), else a signed-in admin's stored choice in the admin, else the browser's Accept-Language
(German for de, de-DE, de-AT, de-CH; English otherwise). Adding a language: README, "Adding a
language"."""
from __future__ import annotations

from datetime import timedelta

from babel import Locale
from flask import Response, current_app, has_request_context, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import LanguageAccept

from .errors import DomainError
from .extensions import db
from .models import AdminUser

# Code -> the language's name in that language itself, as the switch shows it; the first is the default.
LANGUAGES = {"en": _l("English"), "de": _l("Deutsch")}
DEFAULT_LANGUAGE = "en"
COOKIE = "language"


def viewer_locale() -> Locale:
    """The locale Babel formats in: the viewer's (or the one a caller forces); the default language
    outside an app (a script, a unit test)."""
    return get_locale() or Locale.parse(DEFAULT_LANGUAGE)


def check_language(code: str | None) -> str:
    if code not in LANGUAGES:
        raise DomainError(_("Choose one of the languages offered."), "language")
    return code


def preferred_language(chosen: str | None, admin_language: str | None,
                       accept_languages: LanguageAccept) -> str:
    """The first of: the switch's choice, the admin's stored choice, the browser's best match."""
    for code in (chosen, admin_language):
        if code in LANGUAGES:
            return code
    # By the browser's order of preference, each tag by its language alone (de-CH is German):
    # Werkzeug's best_match would prefer a later exact "en" to a first "de-CH".
    for tag, quality in accept_languages:
        code = tag.replace("_", "-").split("-")[0].lower()
        if code in LANGUAGES and quality > 0:
            return code
    return DEFAULT_LANGUAGE


def select_locale() -> str | None:
    """Flask-Babel's locale selector; None outside a request (the worker): the default, unless the
    caller forces one (flask_babel.force_locale). Cheap: a page cache keys on it; only an admin page
    looks at the (already loaded) admin."""
    if not has_request_context():
        return None
    admin_language = None
    if request.blueprint == "admin" and request.cookies.get(COOKIE) not in LANGUAGES:
        from .sessions import current_admin

        admin = current_admin()
        admin_language = admin.language if admin is not None else None
    return preferred_language(request.cookies.get(COOKIE), admin_language, request.accept_languages)


def set_admin_language(admin: AdminUser, code: str) -> None:
    admin.language = check_language(code)
    db.session.commit()


def remember_language(response: Response, code: str) -> Response:
    """The switch's choice, kept in a cookie for the pages that follow."""
    response.set_cookie(COOKIE, check_language(code),
                        max_age=timedelta(days=current_app.config["LANGUAGE_COOKIE_DAYS"]),
                        secure=current_app.session_interface.get_cookie_secure(current_app),
                        httponly=True, samesite="Lax")
    return response

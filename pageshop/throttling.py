"""Sign-in throttling (issue 10): failed sign-ins are counted per account (the e-mail typed) and per
client address, in growing windows (SIGN_IN_LIMITS, e.g. 5 a minute, 20 an hour, 100 a day). Past the
limit a sign-in is refused with 429 and Retry-After before the password is even checked, and it is
logged. Flask-Limiter keeps the counts in Redis when REDIS_URL is set, so every gunicorn worker and
machine shares them; otherwise each process counts in its memory (the demo's single process).
"""
from __future__ import annotations

import logging
import math
import time

from flask import Flask, current_app, g, render_template, request
from flask_babel import ngettext

from .extensions import limiter
from .validation import normalize_email

log = logging.getLogger(__name__)


def init_throttling(app: Flask) -> None:
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    # Redis unreachable: each process counts in its memory until it is back, sign-ins go on.
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    limiter.init_app(app)


def client_address() -> str:
    """The client's address; behind a proxy, TRUSTED_PROXIES makes it the one the proxy saw."""
    return request.remote_addr or "unknown"


def _account() -> str:
    return "account:" + normalize_email(request.form.get("email"))[:254]


def note_failed_sign_in() -> None:
    """The view refused the e-mail and password: this attempt counts."""
    g.sign_in_failed = True


def _failed(_response) -> bool:
    return g.get("sign_in_failed", False)


def throttled(template: str, form_class):
    """Decorates a sign-in view: failed attempts (note_failed_sign_in) are counted per account and
    per address; past SIGN_IN_LIMITS the view's page answers 429 with a message instead."""

    def refuse(limit) -> object:
        retry_after = max(1, math.ceil(limit.window.reset_time - time.time()))
        log.warning("Sign-in refused at %s: more than %s failed from address %s or for %r; "
                    "retry after %ss", request.endpoint, limit.limit, client_address(),
                    normalize_email(request.form.get("email"))[:254], retry_after)
        minutes = math.ceil(retry_after / 60)
        message = ngettext("Too many failed attempts to sign in. Try again in %(num)d minute.",
                           "Too many failed attempts to sign in. Try again in %(num)d minutes.",
                           minutes)
        form = form_class()
        response = current_app.make_response(
            (render_template(template, form=form, error=message), 429))
        response.headers["Retry-After"] = str(retry_after)
        return response

    def decorate(view):
        options = {"methods": ["POST"], "deduct_when": _failed, "on_breach": refuse}
        limits = lambda: current_app.config["SIGN_IN_LIMITS"]  # noqa: E731 (read per request)
        view = limiter.limit(limits, key_func=client_address, **options)(view)
        return limiter.limit(limits, key_func=_account, scope="account", **options)(view)

    return decorate

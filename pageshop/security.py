"""What makes the app safe to put on the internet by default (issue 10): the SECRET_KEY rule, the
proxy headers it trusts, the session cookie, and the security headers of every response.

The SECRET_KEY rule: a process starts without SECRET_KEY only for the demo (PAGESHOP_DEMO=1, which
`make run`, `make seed` and `make worker` set), in debug mode (FLASK_DEBUG=1) or in the tests
(TESTING); it then signs with a random key of its own. Anything else is production: the web
processes (gunicorn, `flask run`), `flask worker` and every other command refuse to start without it.
"""
from __future__ import annotations

import logging
import secrets

from flask import Flask, current_app, has_request_context, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

log = logging.getLogger(__name__)

MISSING_SECRET_KEY = (
    "SECRET_KEY is not set. Pageshop signs sessions and forms with it, and every process must share "
    "it: set it to a long random value, e.g. "
    "SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(32))'). "
    "To run the demo without it, use `make run` (or set PAGESHOP_DEMO=1)."
)

# Only our own origin: no inline script, no eval, no inline style, no framing of our pages.
POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "frame-src": ["'none'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
# The pages where the transport's opt-in may load a third party's script (Meta's checkbox plugin):
# the checkout, and the order status page that confirms the opt-in.
OPT_IN_ENDPOINTS = {"storefront.checkout", "storefront.order_status"}
PERMISSIONS_POLICY = ("accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
                      "microphone=(), payment=(), usb=()")
HSTS = "max-age=31536000; includeSubDomains"


def content_security_policy(extra: dict[str, list[str]] | None = None) -> str:
    """The strict policy, with what `extra` admits on top of it."""
    policy = {name: list(sources) for name, sources in POLICY.items()}
    for name, sources in (extra or {}).items():
        policy[name] = [s for s in policy[name] if s != "'none'"] + sources
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in policy.items())


def served_over_https(app: Flask) -> bool:
    """PUBLIC_URL says https, or this request came over https (directly or through a trusted proxy)."""
    if (app.config.get("PUBLIC_URL") or "").lower().startswith("https://"):
        return True
    return has_request_context() and request.is_secure


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie, marked Secure whenever the site is served over https."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or served_over_https(app)


def require_secret_key(app: Flask) -> None:
    if app.config.get("SECRET_KEY"):
        return
    if not (app.testing or app.debug or app.config.get("DEMO")):
        raise RuntimeError(MISSING_SECRET_KEY)
    app.config["SECRET_KEY"] = secrets.token_hex(32)
    if not app.testing:
        log.warning("SECRET_KEY is not set: the demo signs with a random key; sessions end on restart.")


def init_security(app: Flask) -> None:
    require_secret_key(app)
    proxies = app.config.get("TRUSTED_PROXIES") or 0
    if proxies:
        # Behind n proxies: the client's address, the scheme (https) and host are the proxies' word.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    app.session_interface = SessionInterface()
    app.after_request(security_headers)


def security_headers(response):
    """Every response, pages, fragments, redirects, errors and files alike."""
    response.headers.update(_headers(current_app, _third_party_sources()))
    return response


def static_file_headers(app: Flask) -> dict[str, str]:
    """The same for the static files, which WhiteNoise serves before Flask sees the request."""
    return _headers(app, {})


def _headers(app: Flask, extra_sources: dict[str, list[str]]) -> dict[str, str]:
    headers = {
        "Content-Security-Policy": content_security_policy(extra_sources),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "Permissions-Policy": PERMISSIONS_POLICY,
    }
    if served_over_https(app):
        headers["Strict-Transport-Security"] = HSTS
    return headers


def _third_party_sources() -> dict[str, list[str]]:
    from .messenger.transport import get_transport

    if not has_request_context():
        return {}
    transport = get_transport()
    if request.endpoint in OPT_IN_ENDPOINTS:
        return transport.opt_in_page_sources
    if request.blueprint == "admin" and transport.admin_image_sources:
        return {"img-src": transport.admin_image_sources}
    return {}

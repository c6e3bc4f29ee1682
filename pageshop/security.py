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
# The checkout with Meta's checkbox plugin (graph transport): its SDK from connect.facebook.net, its
# iframe from facebook.com. The SDK adds a <style> element of its own, hence inline styles there.
FACEBOOK_PLUGIN = {
    "script-src": ["https://connect.facebook.net"],
    "style-src": ["'unsafe-inline'"],
    "img-src": ["https://www.facebook.com", "https://*.fbcdn.net"],
    "connect-src": ["https://connect.facebook.net", "https://www.facebook.com",
                    "https://graph.facebook.com"],
    "frame-src": ["https://www.facebook.com", "https://web.facebook.com",
                  "https://staticxx.facebook.com"],
}
FACEBOOK_PLUGIN_ENDPOINTS = {"storefront.checkout"}
PERMISSIONS_POLICY = ("accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
                      "microphone=(), payment=(), usb=()")
HSTS = "max-age=31536000; includeSubDomains"


def content_security_policy(facebook_plugin: bool = False) -> str:
    policy = {name: list(sources) for name, sources in POLICY.items()}
    if facebook_plugin:
        for name, sources in FACEBOOK_PLUGIN.items():
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
    app = current_app
    facebook_plugin = (request.endpoint in FACEBOOK_PLUGIN_ENDPOINTS
                       and app.config.get("MESSENGER_TRANSPORT") == "graph")
    headers = response.headers
    headers["Content-Security-Policy"] = content_security_policy(facebook_plugin)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    headers["Permissions-Policy"] = PERMISSIONS_POLICY
    if served_over_https(app):
        headers["Strict-Transport-Security"] = HSTS
    return response

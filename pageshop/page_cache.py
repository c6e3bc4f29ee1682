"""Catalog pages from a cache (issue 12): a visitor without a session (no cart, no Facebook log-in,
no CSRF token yet, nothing flashed) gets the same page as every other such visitor, so it is rendered
once and then served from Flask-Caching (each process's memory, or Redis when REDIS_URL is set).

Fresh on the very next request: the key holds the catalog's version, a number in the database
(CatalogVersion) that moves on in the same transaction as every write to a table these pages show,
so every process and worker sees it at once. Nothing personal is cached: anyone with a session
cookie gets a live render, and a cached page carries no CSRF token; its forms fetch the visitor's
token when they are sent (static/js/csrf.js, storefront.csrf_token).

Cheap: a page in the cache is answered before Flask (VisitorPages), with the headers Flask first
sent it with: the security headers (pageshop.security) hold no per-request nonce, and what they
depend on (https or not) is in the key.
"""
from __future__ import annotations

import gzip
import hashlib
import logging
import warnings
from functools import wraps
from urllib.parse import urlsplit
from weakref import WeakKeyDictionary

from flask import Flask, current_app, has_request_context, make_response, request, session
from flask_wtf.csrf import generate_csrf
from sqlalchemy import Engine, create_engine, event, update
from sqlalchemy.orm import Session
from werkzeug.datastructures import LanguageAccept
from werkzeug.exceptions import HTTPException
from werkzeug.http import parse_accept_header, parse_cookie

from .extensions import cache, db
from .languages import COOKIE as LANGUAGE_COOKIE
from .languages import preferred_language
from .models import CatalogVersion
from .templating import is_htmx

# What the catalog pages show: the store's settings (Buy Now's target, currency, the shop's review,
# the Messenger channel), its Page, shipping, collections, products and their variants.
CATALOG_TABLES = frozenset({
    "stores", "facebook_pages", "shipping_rates", "collections", "product_collections", "products",
    "variants",
})
log = logging.getLogger(__name__)
TUPLES_OK = 2  # libpq's PGRES_TUPLES_OK (psycopg.pq.ExecStatus)
VISITOR_PAGE = "pageshop.visitor_page"  # set in the WSGI environ of a page that may be cached
_VERSION = "SELECT value FROM catalog_version WHERE id = 1"
_NEXT_VERSION = (update(CatalogVersion.__table__).where(CatalogVersion.__table__.c.id == 1)
                 .values(value=CatalogVersion.__table__.c.value + 1))


# --- the catalog's version --------------------------------------------------------------------


def catalog_version() -> int | None:
    """The one query of a page served from the cache, on a DB-API cursor of a pool of its own: in
    autocommit and without the main pool's ping, one round trip to the database, and a third of
    what SQLAlchemy's execution costs (so its events don't see it). None when it can't be read."""
    try:
        connection = _version_engine().raw_connection()
    except Exception as error:  # noqa: BLE001 - the database is away: the live render will say so
        log.warning("the catalog's version could not be read: %s", error)
        return None
    try:
        pgconn = getattr(connection.driver_connection, "pgconn", None)
        if pgconn is not None:  # psycopg: libpq at once, without a cursor's Python work
            result = pgconn.exec_(_VERSION.encode())
            if result.status != TUPLES_OK:
                raise RuntimeError(pgconn.error_message.decode(errors="replace"))
            row = (int(result.get_value(0, 0)),) if result.ntuples else None
        else:
            cursor = connection.cursor()
            cursor.execute(_VERSION)
            row = cursor.fetchone()
            cursor.close()
    except Exception as error:  # noqa: BLE001 - a lost connection: render live, reconnect next time
        connection.invalidate()
        log.warning("the catalog's version could not be read: %s", error)
        return None
    finally:
        connection.close()  # back to the pool
    return row[0] if row else None


_version_engines: WeakKeyDictionary[Engine, Engine] = WeakKeyDictionary()


def _version_engine() -> Engine:
    """The version's pool, one per main engine (apps that share an engine share it)."""
    main = db.engine
    engine = _version_engines.get(main)
    if engine is None:
        engine = create_engine(main.url, isolation_level="AUTOCOMMIT",
                               **({"connect_args": {"timeout": 30}} if main.url.get_backend_name() == "sqlite" else {}))
        _version_engines[main] = engine
        # Let go of its connections with the main pool's (the tests drop their databases).
        event.listen(main, "engine_disposed", lambda _engine: engine.dispose())
    return engine


def _next_version(session: Session) -> None:
    # On the session's own connection: in the same transaction as the change, and no ORM events.
    session.connection().execute(_NEXT_VERSION)


def _changes_catalog(objects) -> bool:
    return any(getattr(obj, "__tablename__", None) in CATALOG_TABLES for obj in objects)


@event.listens_for(Session, "after_flush")
def _after_flush(session, _context):
    if _changes_catalog(session.new) or _changes_catalog(session.dirty) or _changes_catalog(session.deleted):
        _next_version(session)


@event.listens_for(Session, "do_orm_execute")
def _on_statement(state):
    """An UPDATE, DELETE or INSERT statement (stock taken by an order, a bulk import) bypasses the
    flush."""
    if state.is_update or state.is_delete or state.is_insert:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in CATALOG_TABLES:
            _next_version(state.session)


# --- the pages ----------------------------------------------------------------------------------


def init_page_cache(app: Flask) -> None:
    with warnings.catch_warnings():  # "NullCache: caching is disabled", as the setting says
        warnings.filterwarnings("ignore", "Flask-Caching: CACHE_TYPE is set to NullCache", UserWarning)
        cache.init_app(app)
    # A page that may be cached for every visitor carries no CSRF token (it is this visitor's own).
    # (Flask-WTF offers its own both as a global and from a context processor: this one goes after.)
    app.jinja_env.globals["csrf_token"] = page_csrf_token
    app.context_processor(lambda: {"csrf_token": page_csrf_token})
    app.wsgi_app = VisitorPages(app, app.wsgi_app)


def page_csrf_token() -> str:
    if has_request_context() and request.environ.get(VISITOR_PAGE):
        return ""
    return generate_csrf()


def is_visitor_without_session() -> bool:
    return request.cookies.get(current_app.config["SESSION_COOKIE_NAME"]) is None


def fields_to_send_again() -> list[tuple[str, str]] | None:
    """A form sent without its token (a cached page's, from a browser that hasn't run csrf.js):
    its fields, to be offered again with the visitor's token (templates/send_again.html). None when
    it had a token (a wrong one is refused), for htmx, for files, for a password, which is never
    put back into a page, and for a form another site sent: its fields are not ours to offer."""
    sender = request.headers.get("Origin") or request.referrer or ""
    if (request.form.get("csrf_token") or request.files or is_htmx() or urlsplit(sender).netloc != request.host
            or any("password" in name for name in request.form)):
        return None
    return [(name, value) for name, values in request.form.lists() if name != "csrf_token" for value in values]


def render_without_token() -> None:
    """This response gives a visitor without a session no CSRF token, and so no cookie: a page
    without forms, such as "Page not found" (a browser asks for /favicon.ico on its own)."""
    if is_visitor_without_session():
        request.environ[VISITOR_PAGE] = True


PAGE_KEY = "pageshop.page_key"  # the cached page's key, for the view to say whether it may be kept
KEEP = "pageshop.keep_page"  # set by the view: this response is the same for every such visitor
CACHED = "_cached_for_visitors"  # marks the views


class VisitorPages:
    """WSGI middleware in front of Flask: a visitor without a session who asks for a catalog page
    that is in the cache gets it from here, as it was sent the first time (its security headers and
    Vary included), without the request, session, locale and after-request work of a live page.
    Anything else goes on to Flask; when a catalog view says its page may be kept (KEEP), the
    response as Flask finished it is stored. Only responses without Set-Cookie are kept."""

    def __init__(self, app: Flask, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app
        self.cookie = app.config["SESSION_COOKIE_NAME"]
        self._endpoints: frozenset | None = None

    def _cached_endpoints(self) -> frozenset:
        if self._endpoints is None:  # the blueprints register their views after init_page_cache
            self._endpoints = frozenset(endpoint for endpoint, view in self.app.view_functions.items()
                                        if getattr(view, CACHED, False))
        return self._endpoints

    def _is_catalog_page(self, environ) -> bool:
        try:
            endpoint, _args = self.app.url_map.bind_to_environ(environ).match()
        except HTTPException:  # not found, a redirect to add a slash: Flask answers
            return False
        return endpoint in self._cached_endpoints()

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") != "GET":
            return self.wsgi_app(environ, start_response)
        cookies = parse_cookie(environ) if environ.get("HTTP_COOKIE") else {}
        if self.cookie in cookies or not self._is_catalog_page(environ):
            return self.wsgi_app(environ, start_response)
        with self.app.app_context():
            key = _page_key(environ, cookies.get(LANGUAGE_COOKIE))
            stored = _cached(key) if key else None
        gzip_ok = parse_accept_header(environ.get("HTTP_ACCEPT_ENCODING")).quality("gzip") > 0
        if stored is not None:
            return _send(start_response, stored, gzip_ok)
        if key is None:
            return self.wsgi_app(environ, start_response)
        environ[PAGE_KEY] = key
        sent = {}

        def keep_status(status, headers, exc_info=None):
            sent.update(status=status, headers=headers)
            if environ.get(KEEP) and exc_info is None:
                return lambda _data: None  # the body is sent below, compressed or not
            return start_response(status, headers, exc_info)

        body = self.wsgi_app(environ, keep_status)
        if not environ.get(KEEP) or not sent.get("status", "").startswith("200"):
            if environ.get(KEEP) and "status" in sent:  # kept back above: an error after the view
                start_response(sent["status"], sent["headers"])
            return body
        try:
            data = b"".join(body)
        finally:
            if hasattr(body, "close"):
                body.close()
        headers = [(name, value) for name, value in sent["headers"] if name.lower() != "content-length"]
        stored = (sent["status"], headers, data, gzip.compress(data, 6))  # once, for every visitor
        if not any(name.lower() == "set-cookie" for name, _value in headers):
            with self.app.app_context():
                _keep(key, stored)
        return _send(start_response, stored, gzip_ok)


def _send(start_response, stored, gzip_ok: bool):
    """A stored page, compressed when the browser takes gzip (every one does: a fifth of the HTML)."""
    status, headers, body, gzipped = stored
    headers = list(headers)
    if gzip_ok:
        body = gzipped
        headers.append(("Content-Encoding", "gzip"))
    headers.append(("Content-Length", str(len(body))))
    start_response(status, headers)
    return [body]


def _page_key(environ, language_cookie: str | None) -> str | None:
    """Everything the page varies on: the catalog's version, the language (the switch's cookie or
    the browser's Accept-Language, as pageshop.languages picks it for a visitor), the URL as sent
    (scheme, host, forwarded headers, path, query), PUBLIC_URL, and which part htmx asked for."""
    version = catalog_version()
    if version is None:
        return None
    language = preferred_language(language_cookie, None,
                                  parse_accept_header(environ.get("HTTP_ACCEPT_LANGUAGE"), LanguageAccept))
    parts = [str(version), language, current_app.config["PUBLIC_URL"] or ""]
    parts += [environ.get(name) or "" for name in _KEYED]
    return "visitor-page:" + hashlib.sha256("\n".join(parts).encode()).hexdigest()


_KEYED = ("wsgi.url_scheme", "HTTP_HOST", "SERVER_NAME", "SERVER_PORT", "SCRIPT_NAME", "PATH_INFO",
          "QUERY_STRING", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PORT",
          "HTTP_X_FORWARDED_PREFIX", "HTTP_HX_REQUEST", "HTTP_HX_TARGET", "HTTP_HX_TRIGGER_NAME",
          "HTTP_HX_BOOSTED", "HTTP_HX_HISTORY_RESTORE_REQUEST")


def cached_for_visitors(view):
    """A catalog page: a visitor without a session gets it from the cache (VisitorPages, before
    Flask); anyone else a live one. On a miss, the render is kept when it is the same for every
    visitor without a session."""

    @wraps(view)
    def cached_view(*args, **kwargs):
        visitor = request.method == "GET" and is_visitor_without_session()
        if visitor:
            request.environ[VISITOR_PAGE] = True
        response = make_response(view(*args, **kwargs))
        response.vary.add("Cookie")
        # A render that wrote to the session (and so will set a cookie) is this visitor's own.
        if visitor and request.environ.get(PAGE_KEY) and response.status_code == 200 \
                and not session.modified and "Set-Cookie" not in response.headers:
            response.vary.add("Accept-Encoding")
            request.environ[KEEP] = True
        return response

    setattr(cached_view, CACHED, True)
    return cached_view


def _cached(key: str):
    """The stored page, or None; a cache that doesn't answer (Redis down) is a miss, not an error."""
    try:
        return cache.get(key)
    except Exception as error:  # noqa: BLE001 - whatever the backend raises
        log.warning("page cache unavailable: %s", error)
        return None


def _keep(key: str, stored: tuple) -> None:
    try:
        cache.set(key, stored)
    except Exception as error:  # noqa: BLE001
        log.warning("page cache unavailable: %s", error)

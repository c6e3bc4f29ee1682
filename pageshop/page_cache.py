"""Catalog pages from a cache (issue 12): a visitor without a session (no cart, no Facebook log-in,
no CSRF token yet, nothing flashed) gets the same page as every other such visitor, so it is rendered
once and then served from Flask-Caching (each process's memory, or Redis when REDIS_URL is set).

Fresh on the very next request: the key holds the catalog's version, a number in the database
(CatalogVersion) that moves on in the same transaction as every write to a table these pages show,
so every process and worker sees it at once. Nothing personal is cached: anyone with a session
cookie gets a live render, and a cached page carries no CSRF token; its forms fetch the visitor's
token when they are sent (static/js/csrf.js, storefront.csrf_token). The security headers are added
to every response after the cache (pageshop.security); they hold no per-request nonce.
"""
from __future__ import annotations

import gzip
import hashlib
import logging
import warnings
from functools import wraps

from flask import Flask, current_app, has_request_context, make_response, request, session
from flask_babel import get_locale
from flask_wtf.csrf import generate_csrf
from sqlalchemy import Engine, create_engine, event, update
from sqlalchemy.orm import Session

from .extensions import cache, db
from .models import CatalogVersion

# What the catalog pages show: the store's settings (Buy Now's target, currency, the shop's review,
# the Messenger channel), its Page, shipping, collections, products and their variants.
CATALOG_TABLES = frozenset({
    "stores", "facebook_pages", "shipping_rates", "collections", "product_collections", "products",
    "variants",
})
log = logging.getLogger(__name__)
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


def _version_engine() -> Engine:
    engine = current_app.extensions.get("catalog_version_engine")
    if engine is None or engine.url != db.engine.url:
        engine = create_engine(db.engine.url, isolation_level="AUTOCOMMIT",
                               **({"connect_args": {"timeout": 30}} if db.engine.url.get_backend_name() == "sqlite" else {}))
        current_app.extensions["catalog_version_engine"] = engine
        # Let go of its connections with the main pool's (the tests drop their databases).
        event.listen(db.engine, "engine_disposed", lambda _engine: engine.dispose())
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


def page_csrf_token() -> str:
    if has_request_context() and request.environ.get(VISITOR_PAGE):
        return ""
    return generate_csrf()


def is_visitor_without_session() -> bool:
    return request.cookies.get(current_app.config["SESSION_COOKIE_NAME"]) is None


def render_without_token() -> None:
    """This response gives a visitor without a session no CSRF token, and so no cookie: a page
    without forms, such as "Page not found" (a browser asks for /favicon.ico on its own)."""
    if is_visitor_without_session():
        request.environ[VISITOR_PAGE] = True


def _page_key() -> str | None:
    """Everything the page varies on: the catalog's version, the locale, the full URL (scheme,
    host, path, query), PUBLIC_URL, and which part htmx asked for."""
    version = catalog_version()
    if version is None:
        return None
    headers = request.headers
    parts = (str(version), str(get_locale()), request.url, current_app.config["PUBLIC_URL"],
             headers.get("HX-Request", ""), headers.get("HX-Target", ""), headers.get("HX-Trigger-Name", ""))
    return "page:" + hashlib.sha256("\n".join(parts).encode()).hexdigest()


def cached_for_visitors(view):
    """A catalog page: a visitor without a session gets it from the cache; anyone else a live one."""

    @wraps(view)
    def cached_view(*args, **kwargs):
        if request.method != "GET" or not is_visitor_without_session():
            response = make_response(view(*args, **kwargs))
            response.vary.add("Cookie")
            return response
        request.environ[VISITOR_PAGE] = True
        key = _page_key()
        stored = _cached(key) if key else None
        if stored is not None:
            status, headers, body, gzipped = stored
            return _encoded(current_app.response_class(body, status=status, headers=headers), gzipped)
        response = make_response(view(*args, **kwargs))
        response.vary.add("Cookie")
        # A render that wrote to the session (and so will set a cookie) is this visitor's own.
        if key and response.status_code == 200 and not session.modified and "Set-Cookie" not in response.headers:
            body = response.get_data()
            gzipped = gzip.compress(body, 6)  # once, for every visitor served from the cache
            _keep(key, (response.status_code, list(response.headers.items()), body, gzipped))
            return _encoded(response, gzipped)
        return response

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


def _encoded(response, gzipped: bytes):
    """Compressed when the browser takes gzip (every one does): a cached Shop tab's HTML is a fifth."""
    response.vary.add("Accept-Encoding")
    if "gzip" in request.accept_encodings:
        response.set_data(gzipped)
        response.headers["Content-Encoding"] = "gzip"
    return response

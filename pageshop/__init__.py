"""Pageshop: a store's Facebook shop and Messenger sales channel."""
import os

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, generate_csrf

from .config import Config
from .extensions import babel, csrf, db, migrate
from .languages import select_locale
from .live import init_live
from .page_cache import fields_to_send_again, init_page_cache, is_visitor_without_session, render_without_token
from .security import init_security
from .static_files import init_static_files
from .throttling import init_throttling


def create_app(test_config: dict | None = None) -> Flask:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    app = Flask(
        __name__,
        instance_path=os.path.join(root, "instance"),
        template_folder=os.path.join(root, "templates"),
        static_folder=os.path.join(root, "static"),
    )
    app.config.from_object(Config)
    app.config.setdefault("UPLOAD_FOLDER", os.path.join(app.instance_path, "uploads"))
    if test_config:
        app.config.update(test_config)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        os.makedirs(app.instance_path, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(
            app.instance_path, "pageshop.sqlite"
        )
    app.config["SQLALCHEMY_DATABASE_URI"] = _with_driver(app.config["SQLALCHEMY_DATABASE_URI"])
    _tune_engine(app)

    # SECRET_KEY rule, proxy headers, session cookie, security headers on every response.
    init_security(app)

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(root, "migrations"),
                     render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    init_page_cache(app)
    init_throttling(app)
    init_live(app)

    from . import messenger as _messenger  # noqa: F401  (registers listeners and the delivery job)
    from . import models  # noqa: F401  (registers the tables)
    from .templating import register_templating

    register_templating(app)

    from admin import bp as admin_bp
    from storefront import bp as storefront_bp

    from .ids import IdConverter

    app.url_map.converters["int"] = IdConverter  # before the routes that use <int:...>

    app.register_blueprint(storefront_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")

    # Outermost: static files are answered before the rest of the app is reached.
    init_static_files(app)

    from .cli import register_cli

    register_cli(app)

    @app.get("/healthz")
    def healthz():
        return "ok", 200, {"Content-Type": "text/plain"}

    @app.before_request
    def refuse_nul_characters():
        # No one types U+0000 and no text column can keep it (PostgreSQL refuses it): say so.
        sent = [value for values in request.values.listvalues() for value in values]
        if "\x00" in request.path or any("\x00" in value for value in sent):
            message = _("What was sent contains a NUL character, which can't be saved. "
                        "Please go back, remove it and try again.")
            return render_template("error.html", title=_("Unreadable characters"), message=message), 400

    @app.after_request
    def vary_by_language(response):
        # A page is in the viewer's language: the language cookie's, or the browser's.
        if response.mimetype == "text/html":
            response.vary.update(("Accept-Language", "Cookie"))
        return response

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        message = _("Your session expired or the form was sent twice from an old page. "
                    "Please go back, reload the page and try again.")
        if is_visitor_without_session():
            # A cached page's form sent without JavaScript (which fetches the token): with this
            # session the page reloads live, with the visitor's token (pageshop.page_cache).
            generate_csrf()
            fields = fields_to_send_again()
            if fields is not None:  # nothing is lost: the same form once more, on the visitor's click
                return render_template("send_again.html", fields=fields,
                                       action=request.full_path.rstrip("?")), 400
        return render_template("error.html", title=_("Form expired"), message=message), 400

    @app.errorhandler(404)
    def not_found(error):
        render_without_token()
        return render_template("error.html", title=_("Page not found"),
                               message=_("This page doesn't exist or was removed.")), 404

    @app.errorhandler(413)
    def too_large(error):
        return render_template("error.html", title=_("Upload too large"),
                               message=_("The file you sent is too large.")), 413

    return app


def _with_driver(uri: str) -> str:
    """postgresql://... (as hosting providers hand it out) means psycopg 3 here."""
    for prefix in ("postgresql://", "postgres://"):
        if uri.startswith(prefix):
            return "postgresql+psycopg://" + uri[len(prefix):]
    return uri


def _tune_engine(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}))
    if uri.startswith("sqlite"):
        # Web server and worker share the file: wait for locks instead of failing at once.
        options.setdefault("connect_args", {"timeout": 30})
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        # Once per process: each app made (the tests make hundreds) would add another listener.
        if not event.contains(Engine, "connect", _sqlite_pragmas):
            event.listen(Engine, "connect", _sqlite_pragmas)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _sqlite_pragmas(dbapi_connection, _record):  # pragma: no cover - trivial
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

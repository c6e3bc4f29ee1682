"""Shared fixtures: a fresh database per test (SQLite, and PostgreSQL when TEST_DATABASE_URL is
set), a client that speaks CSRF and htmx, sign-in helpers, factories and a real SMTP server.

The schema and the demo shop are made once per test process (each xdist worker is one); a test
starts from a copy of the empty schema, or of the schema with the shop when it asks for `store`."""
from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import sqlite3
import threading
from contextlib import closing
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from flask import g
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from jinja2 import BytecodeCache
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from werkzeug.routing import Rule

from pageshop import clock, create_app, live
from pageshop.extensions import db
from pageshop.models import CatalogVersion, Store, first_catalog_version

from . import factories

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])
PASSWORD = "pageshop-demo"


def pytest_configure(config):
    """The German tests need the compiled catalog: `make install` compiles it; a bare `pytest`
    on a fresh clone does it here, once (the xdist controller, before its workers start)."""
    if not hasattr(config, "workerinput"):
        compile_catalogs()


def compile_catalogs() -> None:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in Path(__file__).resolve().parent.parent.glob("translations/*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as file:
            catalog = read_po(file, locale=po.parent.parent.name)
        partial = mo.with_suffix(f".mo.{os.getpid()}")
        with partial.open("wb") as file:
            write_mo(file, catalog)
        os.replace(partial, mo)  # whole or not at all, for a process that reads it meanwhile


def _driver_url(url: str) -> str:
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


@event.listens_for(Engine, "connect")
def _no_waiting_for_the_disk(dbapi_connection, _record):
    """A test's database is thrown away after it: commits need not wait until the disk has them
    (what one connection commits is seen by the others all the same)."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        dbapi_connection.execute("PRAGMA synchronous=OFF")


def _test_config(uri: str, folder: Path) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": uri,
        "UPLOAD_FOLDER": str(folder / "uploads"),
        "MAIL_SERVER": None,
        "MESSENGER_TRANSPORT": "local",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        # The test client reads a live stream whole: it ends at once (tests/e2e's server gives it
        # its production length).
        "LIVE_STREAM_SECONDS": 0.05,
    }


class CompiledTemplates(BytecodeCache):
    """Templates compiled once per test process, where each test's app would compile them again (a
    fifth of the suite's time). Jinja compares each template's source before it uses the code."""

    def __init__(self):
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


COMPILED_TEMPLATES = CompiledTemplates()


def _made_once_per_process(owner, name: str, key) -> None:
    """`owner.name(*args)` made once per `key(*args)` in this process, then handed out again."""
    make = getattr(owner, name)
    made: dict = {}

    def made_once(*args):
        found = key(*args)
        if found not in made:
            made[found] = make(*args)
        return made[found]

    setattr(owner, name, made_once)


# Each test's app has the same URL rules, and werkzeug writes and compiles Python code to build each
# rule's URLs (two functions per rule) for every app: two thirds of what making an app cost, a
# quarter of the fast loop's time. A builder is a function of the rule's text, its parsed parts and
# its defaults alone (it gets the rule as its first argument), so one compiled in this process
# serves every app's equal rule.
_made_once_per_process(Rule, "_compile_builder", lambda rule, append_unknown: (
    rule.rule, tuple(rule._trace), repr(sorted((rule.defaults or {}).items())), append_unknown))

# Each test's app would make its own engine for the same database (a test process reuses one SQLite
# path and one PostgreSQL database), and each engine compiles every SQL statement again. Apps with
# equal engine options share one engine here, with its cache of compiled statements; the app
# fixture disposes of its connections after each test.
_made_once_per_process(SQLAlchemy, "_make_engine", lambda _extension, bind_key, options, _app: (
    bind_key, repr(sorted(options.items()))))


def _stamped_tables() -> list:
    """The shop's tables that record when a row was made: a test sees its shop made just now."""
    return [table for table in db.metadata.sorted_tables
            if "created_at" in table.c and db.session.execute(table.select().limit(1)).first()]


def _stamp(tables: list) -> None:
    now = clock.now()
    for table in tables:
        db.session.execute(table.update().values(created_at=now))


@pytest.fixture(scope="session")
def sqlite_snapshots(tmp_path_factory) -> dict:
    """Two database files made once per test process, the schema alone and the schema with the
    demo shop; each test works on a copy of one."""
    folder = tmp_path_factory.mktemp("snapshots")
    snapshots = {}
    for name, with_shop in (("empty", False), ("shop", True)):
        path = folder / f"{name}.sqlite"
        app = create_app(_test_config(f"sqlite:///{path}", folder))
        with app.app_context():
            db.create_all()
            if with_shop:
                factories.make_shop()
                snapshots["stamped"] = _stamped_tables()
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
        # Fold the write-ahead log into the file, so that copying the file copies everything.
        with closing(sqlite3.connect(path)) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        snapshots[name] = path
    snapshots["current"] = folder / "test.sqlite"
    return snapshots


@pytest.fixture(scope="session")
def postgres_url():
    """A database of its own for this test process (each xdist worker has one), dropped at the end."""
    server = make_url(_driver_url(os.environ["TEST_DATABASE_URL"]))
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"pageshop_test_{worker}_{os.getpid()}_{secrets.token_hex(4)}"
    engine = create_engine(server, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        # As for SQLite above: a commit need not wait for the disk, in this process or any other.
        conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    url = server.set(database=name).render_as_string(hide_password=False)
    state = {"url": url, "snapshot": None}
    yield state
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


class PostgresSnapshot:
    """The schema, made once in the process's database, and the demo shop's rows and sequences as
    make_shop leaves them. A test empties the tables with DELETE (TRUNCATE took ten times as long),
    sets the sequences back, and inserts the shop's rows again when it asks for `store`."""

    def __init__(self):
        db.create_all()
        self.tables = db.metadata.sorted_tables
        # Autovacuum would let new rows take the place of deleted ones, and a scan return them out
        # of the order they were inserted in, which a new table never does.
        self._execute(f'ALTER TABLE "{table.name}" SET (autovacuum_enabled = false)' for table in self.tables)
        names = db.session.scalars(text(
            "SELECT quote_ident(sequencename) FROM pg_sequences WHERE schemaname = current_schema()")).all()
        self.empty_sequences = [(name, 1, False) for name in names]
        self.restore(with_shop=False)
        factories.make_shop()
        self.rows = {table: [row._asdict() for row in db.session.execute(table.select())]
                     for table in self.tables}
        self.shop_sequences = [
            (name, *db.session.execute(text(f"SELECT last_value, is_called FROM {name}")).one())
            for name in names]
        self.stamped = _stamped_tables()
        db.session.commit()

    @staticmethod
    def _execute(statements) -> None:
        db.session.execute(text("; ".join(statements)))

    def restore(self, with_shop: bool) -> None:
        self._execute(f'DELETE FROM "{table.name}"' for table in reversed(self.tables))
        sequences = self.shop_sequences if with_shop else self.empty_sequences
        if sequences:
            self._execute(["SELECT " + ", ".join(
                f"setval('{name}', {value}, {str(called).lower()})" for name, value, called in sequences)])
        if with_shop:
            for table, rows in self.rows.items():
                if rows:
                    db.session.execute(table.insert(), rows)
        else:
            # The row create_all made (the shop's rows hold it too): the cache needs a version.
            db.session.execute(CatalogVersion.__table__.insert().values(**first_catalog_version()))


class ShopClient(FlaskClient):
    """A test client that sends the CSRF token the way the pages do, and htmx headers on demand."""

    _csrf: str | None = None

    def csrf_token(self) -> str:
        if self._csrf is None:
            html = self.open("/admin/sign-in").get_data(as_text=True)  # with `g` cleared: two clients
            self._csrf = re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)
        return self._csrf

    def open(self, *args, **kwargs):
        # The test's own session may hold a transaction; commit it so the request sees the data and
        # is not blocked, and expire it afterwards so the test reads what the request wrote.
        if db.session.is_active:
            db.session.commit()
        # Requests reuse the test's app context, and with it `g`: clear what an earlier request (or
        # another client) cached there, such as the CSRF token and the signed-in users.
        for name in list(vars(g)):
            delattr(g, name)
        response = super().open(*args, **kwargs)
        db.session.expire_all()
        db.session.rollback()
        return response

    def post_form(self, url: str, data: dict | None = None, **kwargs):
        """POST a form as a browser would, with its CSRF token."""
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token())
        return self.post(url, data=data, **kwargs)

    def htmx(self, method: str, url: str, target: str | None = None, data: dict | None = None,
             trigger: str | None = None, **kwargs):
        headers = {"HX-Request": "true", "X-CSRFToken": self.csrf_token()}
        if target:
            headers["HX-Target"] = target
        if trigger:
            headers["HX-Trigger-Name"] = trigger
        headers.update(kwargs.pop("headers", {}))
        return self.open(url, method=method.upper(), data=data, headers=headers, **kwargs)


@pytest.fixture(params=BACKENDS)
def app(request, tmp_path):
    clock.reset()
    # The shop is in the copy when the test (or a fixture it uses) asks for `store`.
    with_shop = "store" in request.fixturenames
    if request.param == "sqlite":
        snapshots = request.getfixturevalue("sqlite_snapshots")
        path = snapshots["current"]  # one path per process: one engine (see _made_once_per_process)
        for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            leftover.unlink(missing_ok=True)
        shutil.copyfile(snapshots["shop" if with_shop else "empty"], path)
        uri = f"sqlite:///{path}"
    else:
        state = request.getfixturevalue("postgres_url")
        uri = state["url"]
    app = create_app(_test_config(uri, tmp_path))
    app.test_client_class = ShopClient
    app.jinja_env.bytecode_cache = COMPILED_TEMPLATES
    with app.app_context():
        if request.param == "sqlite":
            stamped = snapshots["stamped"]
        else:
            if state["snapshot"] is None:
                state["snapshot"] = PostgresSnapshot()
            state["snapshot"].restore(with_shop)
            stamped = state["snapshot"].stamped
        if with_shop:
            _stamp(stamped)
        db.session.commit()
        yield app
        live.close(app)
        db.session.remove()
        db.engine.dispose()
    clock.reset()


@pytest.fixture
def client(app) -> ShopClient:
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class Auth:
    def __init__(self, client: ShopClient):
        self.client = client

    def sign_in(self, email: str = "merchant@example.com", password: str = PASSWORD):
        return self.client.post_form("/admin/sign-in", {"email": email, "password": password})

    def sign_out(self):
        return self.client.post_form("/admin/sign-out")

    def facebook_login(self, email: str = "alex@example.com", password: str = PASSWORD):
        return self.client.post_form("/facebook/login", {"email": email, "password": password})


@pytest.fixture
def auth(client) -> Auth:
    return Auth(client)


# --- factories: small, explicit, committed ------------------------------------------------


@pytest.fixture
def make_store(app):
    return factories.make_store


@pytest.fixture
def make_product(app):
    return factories.make_product


@pytest.fixture
def make_facebook_account(app):
    return factories.make_facebook_account


@pytest.fixture
def make_admin(app):
    return factories.make_admin


@pytest.fixture
def make_order(app):
    return factories.make_order


@pytest.fixture
def store(make_store):
    """The usual demo set-up: US store in USD, Facebook channel approved with Facebook checkout,
    Messenger added, an admin and two Facebook accounts (`app` put them in the test's database)."""
    found = db.session.scalars(db.select(Store)).first()
    return found if found is not None else factories.make_shop()


# --- a real SMTP server -------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Mailbox:
    """What the SMTP server received: parsed messages with their envelope."""

    def __init__(self):
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.received = threading.Condition()

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.received:
            self.messages.append(message)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self.received.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, count: int = 1, timeout: float = 10.0) -> list[EmailMessage]:
        with self.received:
            self.received.wait_for(lambda: len(self.messages) >= count, timeout=timeout)
        return list(self.messages)


@pytest.fixture
def smtp_server(app):
    """aiosmtpd on a free local port; the app is configured to send through it."""
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    mailbox.port = port
    yield mailbox
    controller.stop()

"""A sweep over app.url_map with bad input: every URL, as a visitor and signed in (the merchant, who
is also logged into Facebook as a shopper), gets junk in every query parameter and form field it
reads: missing, empty, 10,000 characters, one character more than the column of that name holds,
NUL bytes and other control characters, other scripts, non-numbers and out-of-range numbers,
unknown choices, ids that don't exist, duplicated parameters; and junk in its path. One test per
URL and method, so a failure names the URL and the tests can run in parallel.

Which names a URL reads is found by asking it: its request parameters note the names the view asks
for; which HX-Target values it gets, from the templates' hx-get and hx-post. After a URL that takes
POSTs the scene is built afresh, so what one URL deletes doesn't hide the next one.

Never a 5xx. A 4xx page says what is wrong (a field error, an alert or a flashed error), a form
refused with 422 keeps what was typed, a refused POST leaves every table as it was (nothing
half-stored), and nothing stored is unreadable, longer than its column or out of range.
"""
from __future__ import annotations

import inspect
import io
import re
import secrets
import sys
from pathlib import Path

import pytest
from flask import g, request, url_for
from markupsafe import escape
from sqlalchemy import Integer, String, delete, event, select, update
from sqlalchemy.engine import Engine
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.routing import IntegerConverter, PathConverter, UnicodeConverter

from pageshop import clock, create_app
from pageshop.extensions import db
from pageshop.models import (
    AdminUser,
    Cart,
    CartItem,
    Conversation,
    DiscountCode,
    Email,
    FacebookAccount,
    Inquiry,
    Message,
    Notification,
    Order,
    SavedReply,
    ShippingRate,
    Store,
    Subscription,
)
from pageshop.sessions import admin_session, facebook_session
from storefront.cart import CART_TOKEN

from . import factories

LONG = "x" * 10_000
UNICODE = "Zoë 😀 \u202e<b>&"
COMMON = ["", "   ", LONG, "a\x00b", UNICODE, "\u00b2"]  # "²" passes str.isdigit(), not int()
# Control characters a form can carry: newlines where one line is expected, escapes, bell, separators.
CONTROL = ["line\r\nSet-Cookie: x=1", "a\x01\x07\x1bb", "tab\there", "a\u2028b", "\x7f"]


class Upload:
    """A file for a file field; opened afresh for every request."""

    def __init__(self, name: str, content: bytes):
        self.name, self.content = name, content

    def open(self):
        return (io.BytesIO(self.content), self.name)

    def __repr__(self):
        return f"<file {self.name[:20]!r}, {len(self.content)} bytes>"


JUNK = {
    "text": COMMON + ["nope"],
    "number": COMMON + ["abc", "-1", "0", "1.5", "999999", str(2**31), str(10**30)],
    "money": COMMON + ["abc", "-5", "0", "NaN", "Infinity", "1e30", str(10**30), "0.001"],
    "date": COMMON + ["nope", "9999-12-31T23:59", "0001-01-01", "2026-02-30T10:00"],
    "choice": COMMON + ["nope"],
    "email": COMMON + ["nope", "a@b", "x" * 300 + "@example.com"],
    "next": COMMON + ["//evil.example/", "https://evil.example/", "javascript:alert(1)"],
    "template": COMMON + ["{{", "{{ order_number.__class__ }}", "{% for x in y %}{% endfor %}"],
    "file": COMMON + [Upload("junk.png", b"not an image"), Upload("", b""),
                      Upload("x" * 300 + ".gif", b"GIF89a" + b"\x00" * 32)],
}
KINDS = {
    "number": {"page", "quantity", "variant", "shipping_rate", "page_id", "collections", "after",
               "current", "insert", "id", "stock", "usage_limit"},
    "money": {"price", "value"},
    "date": {"starts_at", "ends_at"},
    "choice": {"event", "state", "status", "channel", "kind", "checkout_choice", "buy_now_destination",
               "choice", "source", "country", "currency", "action", "messenger_checkbox_state",
               "hub.mode", "published_online_store", "published_facebook", "remove_image", "remove",
               "messenger_opt_in", "language"},
    "email": {"email", "support_email"},
    "next": {"next", "return_to", "tracking_url"},
    "template": {"body", "promo_note"},
    "file": {"image"},
}
VISITOR_JUNK = COMMON + ["nope", "-1", str(10**30)]
PATH_JUNK = [  # by converter, the first that matches
    (IntegerConverter, ["0", "999999", str(2**31), str(10**30)]),
    (PathConverter, ["nope.png", "../../secret.txt", "a\x00b.png"]),
    (UnicodeConverter, ["nope", LONG, "a\x00b", UNICODE]),
]
# Hidden fields that name what a POST changes: junk there is refused with a message, never applied
# to something else (the first message's text, a new variant in place of the old one).
MUST_REFUSE = {("admin.save_messenger_customization", "query", "event"),
               ("admin.reset_messenger_customization", "query", "event"),
               ("admin.edit_product", "form", "variants-0-id")}
NOT_ECHOED = {"password", "card_number", "csrf_token"}  # a refused form never shows these again
# Machine-to-machine: the Messenger Platform reads the status, not a page.
NO_PAGE = {"storefront.messenger_webhook"}
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def kind_of(name: str) -> str:
    name = re.sub(r"^\w+-\d+-", "", name)  # variants-0-price -> price
    return next((kind for kind, names in KINDS.items() if name in names), "text")


def column_lengths(name: str) -> list[int]:
    """The lengths of the text columns called `name` in any table (variants-0-title: title)."""
    name = re.sub(r"^\w+-\d+-", "", name)
    return sorted({column.type.length for table in db.metadata.sorted_tables for column in table.columns
                   if column.name == name and isinstance(column.type, String) and column.type.length})


def junk_for(name: str) -> list:
    """The junk of the name's kind, one character more than each column of that name holds (an
    address, for e-mails), and control characters."""
    too_long = [("x" * (length - 11) + "@example.com") if kind_of(name) == "email" else "x" * (length + 1)
                for length in column_lengths(name)]
    return JUNK[kind_of(name)] + too_long + CONTROL


def _base(scene: dict) -> dict:
    """Sensible values for every name a URL may read, so that junk in one is what gets refused."""
    return {
        "page": "1", "q": "scarf", "collection": scene["collection_handle"], "variant": scene["variant_id"],
        "quantity": "1", "after": "0", "current": scene["conversation_id"],
        "insert": scene["saved_reply_id"], "text": "Hello", "event": "order_confirmation",
        "state": "failed", "status": "unfulfilled", "next": "/", "return_to": "/checkout",
        "shipping_rate": scene["shipping_rate_id"], "email": "alex@example.com",
        "password": "pageshop-demo", "first_name": "Alex", "last_name": "Rivera", "address": "1 Main St",
        "city": "Springfield", "region": "IL", "postal_code": "62701", "country": "US",
        "currency": "USD", "card_number": "1", "idempotency_key": lambda: secrets.token_hex(8),
        "message": "Where is it?", "answer": "Tomorrow.", "title": "Changed",
        "body": "Order {{ order_number }}", "choice": "search_products", "carrier": "UPS",
        "tracking_number": "1Z999", "checkout_choice": "facebook", "buy_now_destination": "shop",
        "support_email": "support@example.com", "page_id": scene["page_id"], "code": "SWEEP20",
        "kind": "percentage", "value": "10", "description": "About it.",
        "collections": scene["collection_id"], "published_online_store": "y",
        "published_facebook": "y", "variants-0-id": scene["variant_id"], "variants-0-title": "Default",
        "variants-0-price": "25.00", "variants-0-stock": "500", "hub.mode": "subscribe",
        "hub.challenge": "42",
    }


# --- the scene -----------------------------------------------------------------------------


def _build_scene() -> dict:
    """A shop with one of everything a URL can name; the ids of what the URLs name."""
    store = factories.make_shop()
    product = factories.make_product("Sweep Scarf", stock=500, collection="Sweep")
    alex = db.session.scalars(select(FacebookAccount).filter_by(email="alex@example.com")).one()
    order = factories.make_order(product, facebook_account=alex)
    subscription = Subscription(order_id=order.id, page_id=order.page_id, facebook_account_id=alex.id)
    db.session.add(subscription)
    db.session.flush()
    notification = Notification(order_id=order.id, subscription_id=subscription.id,
                                event="order_confirmation", state="failed")
    now = clock.now()
    conversation = Conversation(page_id=order.page_id, facebook_account_id=alex.id, display_name=alex.name,
                                last_customer_action_at=now, last_customer_message_at=now,
                                last_message_at=now)
    conversation.messages.append(Message(direction="in", text="Hello", author="customer"))
    inquiry = Inquiry(order_id=order.id, name="Alex Rivera", email="alex@example.com",
                      message="Where is it?")
    saved_reply = SavedReply(title="Thanks", body="Thank you, {first_name}!")
    discount = DiscountCode(code="SWEEP10", kind="percentage", value=10)
    email = Email(kind="inquiry", sender_name="Maple & Thread", sender_email="shop@example.com",
                  recipient="support@example.com", subject="Hello", body="Hello", order_id=order.id)
    cart = Cart(token=secrets.token_urlsafe(16))
    cart.items.append(CartItem(variant_id=product.variants[0].id, quantity=1))
    db.session.add_all([notification, conversation, inquiry, saved_reply, discount, email, cart])
    db.session.commit()
    rate = db.session.scalars(select(ShippingRate).order_by(ShippingRate.position)).first()
    return {
        "product_id": product.id, "product_handle": product.handle, "variant_id": str(product.variants[0].id),
        "collection_id": str(product.collections[0].id), "collection_handle": product.collections[0].handle,
        "order_id": order.id, "token": order.token, "notification_id": notification.id,
        "conversation_id": str(conversation.id), "inquiry_id": inquiry.id,
        "saved_reply_id": str(saved_reply.id), "reply_id": saved_reply.id, "discount_id": discount.id,
        "email_id": email.id, "item_id": cart.items[0].id, "cart_token": cart.token,
        "shipping_rate_id": str(rate.id), "page_id": str(store.facebook_page_id),
        "admin_id": db.session.scalars(select(AdminUser.id)).one(), "alex_id": alex.id,
        "filename": "nope.png", "width": 240,
    }


def _rows() -> dict:
    """Every row of every table: what a refused request must leave as it was."""
    db.session.expire_all()
    return {table.name: db.session.execute(select(table).order_by(*table.primary_key.columns)).all()
            for table in db.metadata.sorted_tables}


# Statements that change no row: anything else (INSERT, UPDATE, DELETE, WITH ..., DDL) may.
READ_ONLY = re.compile(r"\s*(SELECT|PRAGMA|SAVEPOINT|RELEASE|ROLLBACK|BEGIN|COMMIT|SET|SHOW|LISTEN|UNLISTEN|"
                       r"NOTIFY)\b", re.IGNORECASE)


class Writes:
    """Statements that may change a row, counted on every connection of every engine while a sweep
    runs: a request that sent none left every table as it was, so the tables need not be read again
    to know it (reading them all before and after each POST was most of the sweep's queries)."""

    count = 0

    @classmethod
    def note(cls, _conn, _cursor, statement, *_args) -> None:
        if not READ_ONLY.match(statement):
            cls.count += 1


def _wipe() -> None:
    db.session.rollback()
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()


def _unfulfilled() -> None:
    db.session.execute(update(Order).values(fulfillment_status="unfulfilled"))
    db.session.execute(delete(Notification).where(Notification.event != "order_confirmation"))


def _without_messenger() -> None:
    db.session.execute(update(Store).values(messenger_page_id=None))


# A few URLs read their fields only in one state; they are put back in it before every request.
BEFORE_EACH = {"admin.fulfill": _unfulfilled, "admin.add_messenger": _without_messenger}


def _sign(client, scene: dict, signed_in: bool) -> None:
    """The client's session for the next URL: signed in as the merchant and as Alex on Facebook, or
    neither; with the scene's cart either way."""
    for name in list(vars(g)):  # csrf_token() must not reuse the other client's cached token
        delattr(g, name)
    client.csrf_token()
    with client.session_transaction() as session:
        for key in [k for k in session if k != "csrf_token"]:
            del session[key]
        session[CART_TOKEN] = scene["cart_token"]
        if signed_in:
            session.update(admin_session(db.session.get(AdminUser, scene["admin_id"])))
            session.update(facebook_session(db.session.get(FacebookAccount, scene["alex_id"])))


# --- which names a URL reads ---------------------------------------------------------------


class Reads:
    """The (where, name) pairs the view asked for while `names` is a set."""

    names: set | None = None


class RecordingDict(ImmutableMultiDict):
    def _note(self, key):
        if Reads.names is not None:
            current = request._get_current_object().__dict__
            where = "form" if self is current.get("form") or self is current.get("files") else "query"
            Reads.names.add((where, key))

    def __getitem__(self, key):
        self._note(key)
        return super().__getitem__(key)

    def get(self, key, default=None, type=None):
        self._note(key)
        return super().get(key, default, type)

    def getlist(self, key, type=None):
        self._note(key)
        return super().getlist(key, type)

    def __contains__(self, key):
        self._note(key)
        return super().__contains__(key)


def _htmx_requests() -> dict[tuple[str, str], set[str]]:
    """What the templates' hx-get and hx-post send: {(endpoint, method): HX-Target values}, the
    target being hx-target="#id", the element's own id, or "" (none). Where the URL is a variable
    rather than a url_for, the endpoint is "?": the view's module names the target then."""
    sent: dict[tuple[str, str], set[str]] = {}
    for path in TEMPLATES.rglob("*.html"):
        for tag in re.findall(r"<[a-z][^>]*>", path.read_text()):
            target = re.search(r'hx-target="#([\w-]+)"', tag) or re.search(r'\bid="([\w-]+)"', tag)
            for method, url in re.findall(r'\bhx-(get|post)="([^"]*)"', tag):
                endpoint = re.search(r"url_for\('([\w.]+)'", url)
                key = (endpoint.group(1) if endpoint else "?", method.upper())
                sent.setdefault(key, set()).add(target.group(1) if target else "")
    return sent


def _targets_for(app, rule, method, sent: dict) -> list[str | None]:
    """None (no htmx), then the HX-Target values the templates send to this URL with this method."""
    source = inspect.getsource(sys.modules[app.view_functions[rule.endpoint].__module__])
    targets = sent.get((rule.endpoint, method), set()) | {
        t for t in sent.get(("?", method), set()) if t and f'"{t}"' in source}
    return [None, *sorted(targets)]


# --- sending -------------------------------------------------------------------------------


def _value(value):
    if isinstance(value, Upload):
        return value.open()
    return value() if callable(value) else value


def _page(response) -> str:
    return response.get_data(as_text=True)


def _is_fragment(response) -> bool:
    return "<html" not in _page(response)


def _shows_error(response) -> bool:
    page = _page(response)
    return 'class="field-error"' in page or 'role="alert"' in page


def _readable(response) -> bool:
    if response.status_code == 401 and "HX-Redirect" in response.headers:
        return True
    if _is_fragment(response) and response.request.method == "GET":
        return True  # a piece of a page refreshed (an order summary): the page says what is wrong
    return _shows_error(response)


class Sweep:
    def __init__(self, app):
        self.app = app
        self.failures: list[str] = []
        self.cases = 0
        self.rows: dict | None = None  # every table's rows after the last POST, if known

    def set_the_scene(self, client, signed_in: bool, changed: bool) -> None:
        """A fresh scene after a URL that may have changed it (one that takes POSTs)."""
        if changed:
            _wipe()
            self.scene = _build_scene()
            self.base = _base(self.scene)
        _sign(client, self.scene, signed_in)
        self.rows = None

    def url(self, rule, **junk) -> str:
        values = {}
        for name in rule._converters:
            if name in junk:
                values[name] = junk[name]
            elif name == "handle":
                values[name] = (self.scene["collection_handle"] if "collection" in rule.rule
                                else self.scene["product_handle"])
            else:
                values[name] = self.scene[name]
        with self.app.test_request_context():
            return url_for(rule.endpoint, **values)

    def send(self, client, rule, method, url, query, form, target, label, junk_in=None, junk=None,
             follow=True):
        """One request (following redirects); its failures, if any, are noted. `junk_in` is
        (where, name): where the junk was sent ("query", "form", "path") and under which name."""
        self.cases += 1
        if rule.endpoint in BEFORE_EACH:
            BEFORE_EACH[rule.endpoint]()
            db.session.commit()
            self.rows = None
        headers = {}
        if target is not None:
            headers = {"HX-Request": "true", **({"HX-Target": target} if target else {})}
        data = None
        if method == "POST":
            data = MultiDict([(k, _value(v)) for k, v in form.items(multi=True)])
            data.setdefault("csrf_token", client.csrf_token())
        case = f"{method} {url[:120]} ({rule.endpoint}, {label}"
        case += f", HX-Target {target!r})" if target is not None else ")"
        place, field = junk_in or (None, None)
        if junk_in:
            case += f" {place} {field}={junk!r:.60}"
        query_string = MultiDict([(k, _value(v)) for k, v in query.items(multi=True)])
        # What the tables held before (known from the last POST's answer when nothing ran between).
        before = (self.rows or _rows()) if method == "POST" else None
        rows, writes = self.rows, Writes.count
        self.rows = None
        try:
            response = client.open(url, method=method, headers=headers, data=data,
                                   query_string=query_string, follow_redirects=follow)
        except Exception as exc:  # the test client re-raises what would have been a 500
            db.session.rollback()
            self.failures.append(f"{case}: raised {type(exc).__name__}: {str(exc).splitlines()[0][:150]}")
            return None
        status = response.status_code
        answer = response.history[0] if getattr(response, "history", None) else response
        if Writes.count == writes:
            self.rows = before or rows  # nothing was written: every table is as it was
        elif before is not None:
            self.rows = _rows()
            changed = [name for name in before if before[name] != self.rows[name]]
            if changed and answer.status_code >= 400:
                self.failures.append(f"{case}: refused with {answer.status_code} but changed {changed}")
        if status == 400 and "<title>Form expired" in _page(response):
            self.failures.append(f"{case}: the sweep's CSRF token was refused")
        elif status >= 500:
            self.failures.append(f"{case}: {status}")
        elif status >= 400 and rule.endpoint not in NO_PAGE and not _readable(response):
            self.failures.append(f"{case}: {status} without a readable message")
        elif ((rule.endpoint, place, field) in MUST_REFUSE and str(junk).strip()
              and not (status >= 400 or _shows_error(response))):
            self.failures.append(f"{case}: {status}, applied without a word")
        elif (status == 422 and target is None and junk == UNICODE and field not in NOT_ECHOED
              and kind_of(field) in ("text", "email", "template")
              and f'name="{field}"' in _page(response) and str(escape(UNICODE)) not in _page(response)):
            self.failures.append(f"{case}: 422 lost what was typed")
        return response

    def discover(self, client, rule, method, url, target) -> tuple[set, object]:
        """The names the URL reads with sensible values (query) and an empty form."""
        Reads.names = set()
        try:
            response = self.send(client, rule, method, url, self._query(None), MultiDict(), target,
                                 "empty form" if method == "POST" else "sensible query", follow=False)
            return Reads.names, response
        finally:
            Reads.names = None

    def _query(self, names) -> MultiDict:
        names = self.base if names is None else names
        return MultiDict([(n, self.base.get(n, "")) for n in names])

    def sweep(self, client, rule, method, targets, signed_in: bool) -> None:
        url = self.url(rule)
        role = "signed in" if signed_in else "visitor"
        self.send(client, rule, method, url, MultiDict(), MultiDict(), None, f"{role}, nothing sent")
        plain_reads, plain = self.discover(client, rule, method, url, None)
        variants, answers = [(None, plain_reads)], set()
        for target in targets[1:] if signed_in else []:
            reads, response = self.discover(client, rule, method, url, target)
            if response is None or plain is None:
                continue
            answer = (response.status_code, _page(response))
            if (answer[0] != plain.status_code or _is_fragment(response) != _is_fragment(plain)) \
                    and answer not in answers:
                variants.append((target, reads))  # the URL answers this target its own way
                answers.add(answer)
        for target, reads in variants:
            query_names = sorted(n for w, n in reads if w == "query")
            form_names = sorted(n for w, n in reads if w == "form" and n != "csrf_token")
            if not signed_in:
                # The visitor's pass is shorter: the same junk in every name at once.
                for junk in VISITOR_JUNK:
                    query = MultiDict([(n, junk) for n in query_names])
                    form = MultiDict([(n, junk) for n in form_names])
                    self.send(client, rule, method, url, query, form, None, role, ("all", "names"), junk)
                continue
            for where, names in (("query", query_names), ("form", form_names)):
                for name in names:
                    for junk in junk_for(name):
                        if where == "query" and isinstance(junk, Upload):
                            continue
                        query, form = self._query(query_names), self._query(form_names)
                        (query if where == "query" else form)[name] = junk
                        self.send(client, rule, method, url, query, form, target, role, (where, name), junk)
            if target is None and (query_names or form_names):
                # Every name twice: junk first, then the sensible value.
                query = MultiDict([(n, v) for n in query_names for v in ("abc", self.base.get(n, ""))])
                form = MultiDict([(n, v) for n in form_names for v in ("abc", self.base.get(n, ""))])
                self.send(client, rule, method, url, query, form, None, f"{role}, duplicated")
        plain_query = sorted(n for w, n in plain_reads if w == "query")
        for name, converter in rule._converters.items():
            for junk in next(junk for kind, junk in PATH_JUNK if isinstance(converter, kind)):
                self.send(client, rule, method, self.url(rule, **{name: junk}), self._query(plain_query),
                          MultiDict(), None, role, ("path", name), junk)

    def check_stored(self, rule) -> None:
        """Nothing unreadable was kept: no NUL, no text longer than its column, no negative or
        out-of-range numbers."""
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(select(table)).mappings():
                for column in table.columns:
                    value = row[column.name]
                    if isinstance(value, str):
                        limit = getattr(column.type, "length", None)
                        bad = "\x00" in value or (limit and len(value) > limit)
                    else:
                        bad = isinstance(column.type, Integer) and value is not None \
                            and not 0 <= value <= 2**31 - 1
                    if bad:
                        self.failures.append(f"{rule.endpoint} stored {table.name}.{column.name} = "
                                             f"{value!r:.60}")


def _rules(app):
    return sorted((r for r in app.url_map.iter_rules() if r.endpoint != "static"), key=lambda r: r.rule)


def run_sweep(app, rules, methods=("GET", "POST")) -> Sweep:
    app.request_class = type("RecordingRequest", (app.request_class,),
                             {"parameter_storage_class": RecordingDict})
    # The sweep signs in with wrong passwords and junk many times: let throttling count, not refuse.
    app.config["SIGN_IN_LIMITS"] = "100000 per minute"
    visitor, merchant = app.test_client(), app.test_client()
    sent = _htmx_requests()
    sweep, changed = Sweep(app), True
    event.listen(Engine, "before_cursor_execute", Writes.note)
    try:
        _run(app, sweep, rules, methods, visitor, merchant, sent, changed)
    finally:
        event.remove(Engine, "before_cursor_execute", Writes.note)
    return sweep


def _run(app, sweep, rules, methods, visitor, merchant, sent, changed) -> None:
    for rule in rules:
        for method in sorted(rule.methods & set(methods)):
            for client, signed_in in ((visitor, False), (merchant, True)):
                sweep.set_the_scene(client, signed_in, changed)
                guarded = rule.endpoint.startswith("admin.") and rule.endpoint != "admin.sign_in"
                changed = method == "POST" and not (guarded and not signed_in)
                if guarded and not signed_in:
                    # The guard sends a visitor to the sign-in page, whatever was sent.
                    url = sweep.url(rule)
                    sweep.send(client, rule, method, url, MultiDict(), MultiDict(), None, "visitor")
                    for junk in (LONG, "a\x00b", UNICODE):
                        sweep.send(client, rule, method, url, MultiDict({"page": junk, "q": junk}),
                                   MultiDict(), None, "visitor", ("query", "page and q"), junk, follow=False)
                    continue
                sweep.sweep(client, rule, method, _targets_for(app, rule, method, sent), signed_in)
                sweep.check_stored(rule)


def _every_url_and_method() -> list:
    """(rule, method) of the app's url_map, read from an app made for that (no database)."""
    app = create_app({"TESTING": True, "SECRET_KEY": "sweep", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return [pytest.param(rule.rule, rule.endpoint, method, id=f"{method} {rule.rule}")
            for rule in _rules(app) for method in sorted(rule.methods & {"GET", "POST"})]


URLS = _every_url_and_method()


def test_the_sweep_covers_the_whole_url_map(app):
    assert len(URLS) >= 75, "the sweep found too few URLs: is the url_map walked correctly?"
    assert {(rule.rule, rule.endpoint, method)
            for rule in _rules(app) for method in rule.methods & {"GET", "POST"}} \
        == {tuple(param.values) for param in URLS}


@pytest.mark.parametrize("path, endpoint, method", URLS)
def test_no_url_fails_on_bad_input(app, path, endpoint, method):
    [rule] = [rule for rule in _rules(app) if (rule.rule, rule.endpoint) == (path, endpoint)]
    sweep = run_sweep(app, [rule], methods=(method,))
    assert sweep.cases >= 4, f"only {sweep.cases} requests: are the names the URL reads found?"
    assert not sweep.failures, f"{len(sweep.failures)} failures:\n" + "\n".join(sweep.failures[:100])


def test_the_sweep_would_see_a_crash_a_silent_refusal_and_half_a_change(app):
    """The control: a view that fails on a non-number, one that refuses junk without a word, and one
    that keeps part of what it refuses."""
    def crash():
        return str(int(request.args.get("page", "1")))

    def silent():
        return ("", 422) if request.form.get("title") != "Changed" else ("ok", 200)

    def half():
        if request.form.get("title") != "Changed":
            db.session.add(SavedReply(title=secrets.token_hex(8), body="half"))
            db.session.commit()
            return '<p role="alert">Enter a title.</p>', 422
        return "ok", 200

    app.add_url_rule("/sweep-crash", "sweep_crash", crash)
    app.add_url_rule("/sweep-silent", "sweep_silent", silent, methods=["POST"])
    app.add_url_rule("/sweep-half", "sweep_half", half, methods=["POST"])
    sweep = run_sweep(app, [rule for rule in _rules(app) if rule.endpoint.startswith("sweep_")])
    assert any("/sweep-crash" in f and "page='abc': raised ValueError" in f for f in sweep.failures)
    assert any("/sweep-silent" in f and "title='nope': 422 without a readable message" in f
               for f in sweep.failures)
    assert any("/sweep-half" in f and "refused with 422 but changed ['saved_replies']" in f
               for f in sweep.failures)

"""Issue 12, goal 3: live updates. Who may open which stream; a committed change reaches an open
stream over real HTTP (a server in a thread, as the browser would see it); a rolled-back one never
does; the worker is woken by what is queued; the demo's two processes reach each other on SQLite;
streams end when the server stops."""
from __future__ import annotations

import http.client
import socket
import threading

import pytest
from werkzeug.serving import make_server

from pageshop import clock, create_app, events, live
from pageshop.extensions import db
from pageshop.inbox import reply
from pageshop.messenger.chat import send_message
from pageshop.messenger.conversations import open_conversation
from pageshop.models import FacebookAccount, Message, Store
from pageshop.worker import start_worker_thread
from tests.conftest import Auth

READ_TIMEOUT = 20  # seconds: a stream that never says anything fails the test instead of hanging it


def alex() -> FacebookAccount:
    return db.session.scalars(db.select(FacebookAccount).filter_by(email="alex@example.com")).one()


def the_store() -> Store:
    return db.session.scalars(db.select(Store)).one()


# --- who may listen --------------------------------------------------------------------------


def test_the_shopper_stream_needs_the_shopper_logged_in(client, auth, store):
    refused = client.get("/messenger/live")
    assert refused.status_code == 403
    assert refused.mimetype == "text/plain"
    assert "Log in to Facebook" in refused.get_data(as_text=True)

    auth.facebook_login()
    stream = client.get("/messenger/live")
    assert stream.status_code == 200
    assert stream.mimetype == "text/event-stream"
    assert stream.headers["Cache-Control"].startswith("no-cache")


@pytest.mark.parametrize("path", ["/admin/inbox/live", "/admin/inbox/live?conversation=1", "/admin/orders/1/live"])
def test_the_admin_streams_need_a_signed_in_admin(client, auth, store, make_order, path):
    make_order()
    refused = client.get(path)
    assert refused.status_code in (302, 303)
    assert "/admin/sign-in" in refused.headers["Location"]
    assert refused.mimetype != "text/event-stream"

    auth.facebook_login()  # a shopper is no admin
    assert client.get(path).status_code in (302, 303)

    auth.sign_in()
    stream = client.get(path)
    assert stream.status_code == 200
    assert stream.mimetype == "text/event-stream"


def test_an_unknown_order_has_no_stream(client, auth, store):
    auth.sign_in()
    assert client.get("/admin/orders/999/live").status_code == 404


def test_the_pages_listen_to_their_own_stream(client, auth, store, make_order):
    order = make_order()
    auth.facebook_login()
    assert 'sse-connect="/messenger/live"' in client.get("/messenger").get_data(as_text=True)
    auth.sign_in()
    assert 'sse-connect="/admin/inbox/live"' in client.get("/admin/inbox").get_data(as_text=True)
    page = client.get(f"/admin/orders/{order.id}").get_data(as_text=True)
    assert f'sse-connect="/admin/orders/{order.id}/live"' in page
    # The live part of the order page, alone, as the page asks for it when told.
    part = client.get(f"/admin/orders/{order.id}", headers={"HX-Request": "true", "HX-Target": "order-live"})
    html = part.get_data(as_text=True)
    assert "<html" not in html and 'id="order-live"' in html and "Timeline" in html


# --- over real HTTP ----------------------------------------------------------------------------


class Stream:
    """One open server-sent-events stream, read the way a browser reads it."""

    def __init__(self, base_port: int, path: str, cookie: str):
        self.connection = http.client.HTTPConnection("127.0.0.1", base_port, timeout=READ_TIMEOUT)
        self.connection.request("GET", path, headers={"Cookie": f"session={cookie}",
                                                      "Accept": "text/event-stream"})
        self.response = self.connection.getresponse()
        assert self.response.status == 200, self.response.read()
        assert self.response.getheader("Content-Type").startswith("text/event-stream")
        assert self.next_block() == ["retry: 1000", ": open"]

    def next_block(self) -> list[str]:
        """The lines up to the next blank line (one event, or one comment); [] when it has ended."""
        lines = []
        while True:
            line = self.response.readline()
            if not line:
                return lines
            line = line.decode().rstrip("\n")
            if not line:
                return lines
            lines.append(line)

    def next_event(self) -> tuple[str, str] | None:
        while True:
            block = self.next_block()
            if not block:
                return None
            fields = dict(line.split(": ", 1) for line in block if not line.startswith(":"))
            if "event" in fields:
                return fields["event"], fields["data"]

    def close(self):
        self.connection.close()


@pytest.fixture
def server(app):
    app.config["LIVE_STREAM_SECONDS"] = 600
    http_server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http_server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield http_server
    live.close(app)
    http_server.shutdown()
    thread.join(timeout=10)


def session_cookie(client) -> str:
    return client.get_cookie("session").value


def test_a_committed_message_reaches_the_shopper_and_the_inbox_streams(app, server, client, auth, store):
    auth.facebook_login()
    admin_client = app.test_client()
    Auth(admin_client).sign_in()
    send_message(alex(), the_store(), "Do you ship to Canada?")
    db.session.commit()
    conversation = open_conversation(the_store().messenger_page, alex())
    shopper = Stream(server.server_port, "/messenger/live", session_cookie(client))
    inbox = Stream(server.server_port, f"/admin/inbox/live?conversation={conversation.id}",
                   session_cookie(admin_client))
    try:
        # A change that is rolled back is never announced: the first event is the committed one.
        db.session.add(Message(conversation=conversation, direction="out", kind="text", text="Draft"))
        db.session.flush()
        db.session.rollback()
        reply(conversation, "Yes, we ship to Canada.", clock.now())

        assert shopper.next_event() == ("messages", f"shopper:{alex().id}")
        assert sorted([inbox.next_event(), inbox.next_event()]) == [
            ("conversation", f"conversation:{conversation.id}"), ("inbox", "inbox")]
        # What the page then asks for is in the database.
        page = client.get("/messenger", headers={"HX-Request": "true", "HX-Target": "messages"},
                          query_string={"after": 0})
        assert "Yes, we ship to Canada." in page.get_data(as_text=True)
    finally:
        shopper.close()
        inbox.close()


def test_a_stream_ends_when_the_server_stops(app, server, client, auth, store):
    auth.facebook_login()
    stream = Stream(server.server_port, "/messenger/live", session_cookie(client))
    live.close(app)
    assert stream.next_event() is None  # the stream ended (a hang would time out and fail)
    stream.close()


def test_an_order_placed_wakes_the_worker_and_its_receipt_reaches_the_order_stream(app, server, client, auth, store,
                                                                                   make_order):
    auth.sign_in()
    # The safety poll would come only after an hour: only the signal can wake the worker in time.
    worker, stop = start_worker_thread(app, poll_seconds=3600)
    try:
        order = make_order(facebook_account=alex())
        stream = Stream(server.server_port, f"/admin/orders/{order.id}/live", session_cookie(client))
        events.publish("order_placed", order, opt_in_account=alex())
        db.session.commit()
        # The order is announced when placed, and again when the worker has sent the receipt.
        while True:
            assert stream.next_event() == ("order", f"order:{order.id}")
            db.session.expire_all()
            if db.session.scalars(db.select(Message).filter_by(kind="receipt")).first() is not None:
                break
        stream.close()
    finally:
        stop.set()
        worker.join(timeout=10)
    assert not worker.is_alive()


def test_the_shoppers_own_message_is_announced_to_the_inbox(app, store):
    with live.subscribe({"inbox"}, app) as inbox:
        send_message(alex(), the_store(), "Do you ship to Canada?")
        db.session.commit()
        assert inbox.wait(READ_TIMEOUT) == {"inbox"}


# --- the demo's two processes on SQLite: the signal file ----------------------------------------


def test_on_sqlite_a_commit_in_one_process_reaches_the_other(app, store, request):
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if not uri.startswith("sqlite:///"):
        pytest.skip("the signal file is SQLite's")
    # A second app on the same file, with a hub of its own: `flask run` beside `flask worker`.
    web = create_app({**{k: app.config[k] for k in ("TESTING", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI")}})
    request.addfinalizer(lambda: live.close(web))
    with live.subscribe({f"shopper:{alex().id}"}, web) as shopper:
        send_message(alex(), the_store(), "Where is my order?")
        db.session.commit()
        assert shopper.wait(READ_TIMEOUT) == {f"shopper:{alex().id}"}


def test_through_redis_when_it_is_set(app, store, request):
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    app.config["REDIS_URL"] = "redis://127.0.0.1:6379/0"
    app.config["RATELIMIT_KEY_PREFIX"] = f"pageshop-test-{id(app)}"
    app.extensions["live"] = live.Hub(app)
    request.addfinalizer(lambda: live.close(app))
    assert live.hub(app).backend == "redis"
    with live.subscribe({"inbox"}, app) as inbox:
        send_message(alex(), the_store(), "Do you ship to Canada?")
        db.session.commit()
        assert inbox.wait(READ_TIMEOUT) == {"inbox"}

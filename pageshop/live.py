"""Live updates (issue 12): what a commit changed is announced to the pages that show it, by
server-sent events, and to the delivery worker, which then sends at once instead of polling.

A topic names what changed: "conversation:<id>", "shopper:<Facebook account id>" (the shopper's
Messenger), "inbox", "order:<id>", "outbox" (something to send). The topics of a transaction are
worked out from the rows it writes (`topics_of`, one place) and announced only once it is committed,
so whatever a page fetches after the announcement is in the database.

How the signal travels between processes, by the settings:
- `REDIS_URL` set: Redis pub/sub on the channel "<RATELIMIT_KEY_PREFIX>:live".
- PostgreSQL: `NOTIFY pageshop_live` inside the transaction; PostgreSQL delivers it at commit and
  drops it on rollback. Each process LISTENs on one connection of its own (not one of the pool).
- SQLite (the demo): in the process, plus a signal file beside the database (`<db>-live`): a commit
  appends one line, and every process that has a listener looks at the file's size 20 times a second
  (a `stat`, no database query), so `flask worker`'s sends reach the pages `flask run` serves.

Each process has one listener thread, started when the first page or worker subscribes; a stream
waits on its own condition, holding no database connection.
"""
from __future__ import annotations

import logging
import os
import secrets
import threading
import time
import weakref
from collections import defaultdict
from collections.abc import Iterable, Iterator

from flask import Flask, Response, current_app, has_app_context
from sqlalchemy import event, text
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

PG_CHANNEL = "pageshop_live"
LISTENER_START_SECONDS = 5
_hubs: weakref.WeakSet[Hub] = weakref.WeakSet()


class Subscription:
    """What one stream (or the worker) waits for: some topics, and those announced since it last looked."""

    def __init__(self, hub: Hub, topics: Iterable[str]):
        self.hub = hub
        self.topics = frozenset(topics)
        self._condition = threading.Condition()
        self._pending: set[str] = set()
        self.closed = False

    def notify(self, topics: set[str]) -> None:
        with self._condition:
            self._pending |= topics & self.topics
            self._condition.notify_all()

    def wake(self) -> None:
        with self._condition:
            self.closed = True
            self._condition.notify_all()

    def wait(self, timeout: float) -> set[str]:
        """The topics announced since the last call, waiting up to `timeout` seconds for one."""
        with self._condition:
            if not self._pending and not self.closed:
                self._condition.wait(timeout)
            announced, self._pending = self._pending, set()
            return announced

    def close(self) -> None:
        self.hub.unsubscribe(self)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()


class Hub:
    """One app's subscriptions in this process, and the way its announcements travel."""

    def __init__(self, app: Flask):
        self.closed = False
        self._lock = threading.RLock()  # RLock: a signal handler may wake the worker mid-delivery
        self._subscriptions: dict[str, set[Subscription]] = defaultdict(set)
        self._listener: threading.Thread | None = None
        self._stop = threading.Event()
        self._listening = threading.Event()
        self._token = secrets.token_hex(8)  # our own lines in the signal file are skipped
        uri = app.config["SQLALCHEMY_DATABASE_URI"]
        self.redis_url = app.config.get("REDIS_URL")
        self.redis_channel = f"{app.config.get('RATELIMIT_KEY_PREFIX', 'pageshop')}:live"
        self.postgres_url = None
        self.signal_file = None
        if self.redis_url:
            self.backend = "redis"
        elif uri.startswith("postgresql"):
            self.backend = "postgresql"
            from sqlalchemy.engine import make_url

            self.postgres_url = make_url(uri).set(drivername="postgresql").render_as_string(
                hide_password=False)
        else:
            self.backend = "local"
            path = uri.removeprefix("sqlite:///").split("?")[0]
            if uri.startswith("sqlite:///") and path and path != ":memory:":
                self.signal_file = path + "-live"
        self.poll_seconds = app.config["LIVE_SIGNAL_FILE_POLL_SECONDS"]
        _hubs.add(self)

    # --- subscribing --------------------------------------------------------------------------

    def subscribe(self, topics: Iterable[str]) -> Subscription:
        subscription = Subscription(self, topics)
        with self._lock:
            for topic in subscription.topics:
                self._subscriptions[topic].add(subscription)
            if self.closed:
                subscription.closed = True
            self._start_listener()
        # What is committed from now on reaches it: the listener listens (once per process).
        self._listening.wait(LISTENER_START_SECONDS)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            for topic in subscription.topics:
                subscribers = self._subscriptions.get(topic)
                if subscribers is not None:
                    subscribers.discard(subscription)
                    if not subscribers:
                        del self._subscriptions[topic]

    def deliver(self, topics: set[str]) -> None:
        """Wake this process's subscriptions to `topics`."""
        with self._lock:
            woken = {s for topic in topics for s in self._subscriptions.get(topic, ())}
        for subscription in woken:
            subscription.notify(topics)

    def close(self) -> None:
        """Ends every stream and the listener (the server stops)."""
        with self._lock:
            self.closed = True
            everyone = {s for subscribers in self._subscriptions.values() for s in subscribers}
        self._stop.set()
        for subscription in everyone:
            subscription.wake()

    # --- announcing ---------------------------------------------------------------------------

    def publish(self, topics: set[str]) -> None:
        """After a commit (Redis and SQLite; PostgreSQL's NOTIFY went with the transaction)."""
        if self.backend == "redis":
            try:
                _redis(self.redis_url).publish(self.redis_channel, " ".join(sorted(topics)))
            except Exception:  # the pages catch up on their next event or poll
                log.exception("could not announce %s through Redis", topics)
            return
        self.deliver(topics)
        if self.signal_file:
            line = f"{self._token} {' '.join(sorted(topics))}\n".encode()
            try:
                fd = os.open(self.signal_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    if os.fstat(fd).st_size > 1_000_000:  # readers start again from 0 when it shrinks
                        os.ftruncate(fd, 0)
                    os.write(fd, line)  # one write with O_APPEND: lines of processes don't mix
                finally:
                    os.close(fd)
            except OSError:
                log.exception("could not write the signal file %s", self.signal_file)

    # --- the listener: announcements of other processes ----------------------------------------

    def _start_listener(self) -> None:
        if self._listener is not None or self.closed:
            return
        run = {"redis": self._listen_redis, "postgresql": self._listen_postgres}.get(self.backend)
        if run is None:
            if not self.signal_file:
                self._listening.set()  # in the process only: nothing to wait for
                return
            run = self._listen_signal_file
        self._listener = threading.Thread(target=self._keep_listening, args=(run,), daemon=True,
                                          name=f"pageshop-live-{self.backend}")
        self._listener.start()

    def _keep_listening(self, run) -> None:
        while not self._stop.is_set():
            try:
                run()
            except Exception:  # the connection was lost: listen again in a moment
                log.exception("live updates: the %s listener failed", self.backend)
                self._stop.wait(1)

    def _received(self, payload: str) -> None:
        topics = set(payload.split())
        if topics:
            self.deliver(topics)

    def _listen_postgres(self) -> None:
        import psycopg

        with psycopg.connect(self.postgres_url, autocommit=True) as connection:
            connection.execute(f"LISTEN {PG_CHANNEL}")
            self._listening.set()
            while not self._stop.is_set():
                for notice in connection.notifies(timeout=0.5):
                    self._received(notice.payload)

    def _listen_redis(self) -> None:
        pubsub = _redis(self.redis_url).pubsub()
        try:
            pubsub.subscribe(self.redis_channel)
            pubsub.get_message(timeout=LISTENER_START_SECONDS)  # Redis confirms the subscription
            self._listening.set()
            while not self._stop.is_set():
                message = pubsub.get_message(timeout=0.5)
                if message and message["type"] == "message":
                    payload = message["data"]
                    self._received(payload.decode() if isinstance(payload, bytes) else payload)
        finally:
            pubsub.close()

    def _listen_signal_file(self) -> None:
        offset = _size(self.signal_file)
        self._listening.set()
        while not self._stop.wait(self.poll_seconds):
            size = _size(self.signal_file)
            if size < offset:
                offset = 0
            if size == offset:
                continue
            with open(self.signal_file, "rb") as signals:
                signals.seek(offset)
                chunk = signals.read(size - offset)
            complete = chunk.rfind(b"\n") + 1
            offset += complete
            for line in chunk[:complete].decode(errors="replace").splitlines():
                token, _, payload = line.partition(" ")
                if token != self._token:
                    self._received(payload)


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return 0


_redis_clients: dict[str, object] = {}


def _redis(url: str):
    client = _redis_clients.get(url)
    if client is None:
        import redis

        client = _redis_clients[url] = redis.Redis.from_url(url)
    return client


# --- the app's hub --------------------------------------------------------------------------


def init_live(app: Flask) -> None:
    app.extensions["live"] = Hub(app)
    if not event.contains(Session, "after_flush", _collect_topics):
        event.listen(Session, "after_flush", _collect_topics)
        event.listen(Session, "after_commit", _announce)
        event.listen(Session, "after_rollback", _forget)


def hub(app: Flask | None = None) -> Hub:
    return (app or current_app).extensions["live"]


def subscribe(topics: Iterable[str], app: Flask | None = None) -> Subscription:
    return hub(app).subscribe(topics)


def close(app: Flask) -> None:
    hub(app).close()


def close_all() -> None:
    """Every app's streams in this process end (gunicorn's worker is stopping)."""
    for each in list(_hubs):
        each.close()


# --- which rows announce which topics: the one place --------------------------------------------


def topics_of(session: Session) -> set[str]:
    from .models import Conversation, Email, Message, Notification, Order, OrderEvent, Subscription

    topics: set[str] = set()
    new = session.new  # a copy: made once (a seed flushes thousands of rows)
    for row in list(new) + list(session.dirty):
        is_new = row in new
        if isinstance(row, Message):
            conversation = _conversation(session, row)
            topics |= _conversation_topics(conversation) if conversation else {"inbox"}
        elif isinstance(row, Conversation):
            topics |= _conversation_topics(row)
        elif isinstance(row, Notification | Email):
            if row.order_id:
                topics.add(f"order:{row.order_id}")
            if is_new or getattr(row, "state", None) == "queued":
                topics.add("outbox")
        elif isinstance(row, Order) and row.id:
            topics.add(f"order:{row.id}")
        elif isinstance(row, OrderEvent | Subscription) and row.order_id:
            topics.add(f"order:{row.order_id}")
    return topics


def _conversation(session: Session, message):
    from .models import Conversation

    if message.conversation_id is None:
        return None
    with session.no_autoflush:
        return session.get(Conversation, message.conversation_id)


def _conversation_topics(conversation) -> set[str]:
    topics = {"inbox", f"conversation:{conversation.id}"}
    if conversation.facebook_account_id:
        topics.add(f"shopper:{conversation.facebook_account_id}")
    return topics


def _collect_topics(session: Session, _flush_context) -> None:
    if not has_app_context() or "live" not in current_app.extensions:
        return
    topics = topics_of(session)
    if not topics:
        return
    if hub().backend == "postgresql":
        # Delivered by PostgreSQL when this transaction commits, never if it rolls back.
        session.connection().execute(text("SELECT pg_notify(:channel, :payload)"),
                                     {"channel": PG_CHANNEL, "payload": " ".join(sorted(topics))})
    else:
        session.info.setdefault("live_topics", set()).update(topics)


def _announce(session: Session) -> None:
    topics = session.info.pop("live_topics", None)
    if topics and has_app_context() and "live" in current_app.extensions:
        hub().publish(topics)


def _forget(session: Session) -> None:
    if not session.in_transaction():
        session.info.pop("live_topics", None)


# --- a page's stream ------------------------------------------------------------------------


def event_stream(events: dict[str, str]) -> Response:
    """Server-sent events for a page: `events` maps a topic to the event the page hears when it is
    announced (its data is the topic). Only that is sent; the page fetches what is new itself."""
    from .extensions import db

    app = current_app._get_current_object()
    keep_alive = app.config["LIVE_KEEP_ALIVE_SECONDS"]
    lifetime = app.config["LIVE_STREAM_SECONDS"]
    subscription = subscribe(events, app)
    db.session.remove()  # an open stream holds no database connection

    def generate() -> Iterator[str]:
        try:
            # The browser reconnects a second after the stream ends; the page then catches up.
            yield "retry: 1000\n: open\n\n"
            ends = time.monotonic() + lifetime
            while not subscription.closed and time.monotonic() < ends:
                announced = subscription.wait(min(keep_alive, max(ends - time.monotonic(), 0)))
                if subscription.closed:
                    break
                names = sorted({(events[t], t) for t in announced if t in events})
                yield "".join(f"event: {name}\ndata: {topic}\n\n" for name, topic in names) or ": keep-alive\n\n"
        finally:
            subscription.close()

    return Response(generate(), mimetype="text/event-stream", headers={
        "Cache-Control": "no-cache, no-store",
        "X-Accel-Buffering": "no",  # nginx: pass each event on at once
    })

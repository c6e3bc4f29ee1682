"""Every order update delivered exactly once through the Messenger Platform's faults (issue 9).

    .venv/bin/python bench/messenger_faults.py [--orders 10] [--outage-seconds 90] [--workers 2]
                                               [--only outage,slow,database,sigkill]

Runs real `flask worker` processes against the fake Messenger Platform of the tests
(tests/fake_messenger_platform.py, a real HTTP server that delivers, echoes with the metadata it was
given, and refuses what Meta refuses) and the app's own webhook (a threaded HTTP server here, which
receives the echoes), on a PostgreSQL database of its own, through four faults:

- outage: every Send API call answers HTTP 500 for --outage-seconds (90 by default);
- slow answers: every send is delivered at once but answered after GRAPH_TIMEOUT + 1 s;
- database lost: at every send, once the Platform took the message and before it answers, every
  connection to the database is killed (pg_terminate_backend);
- worker killed: at each of the first sends, the workers are killed with SIGKILL once the Platform
  took the message, before it answers; new workers are started in their place.

Each scenario queues two updates (order confirmation, shipping update) for --orders orders, lets the
workers run until every update is settled, and never clicks "Retry". It prints, per scenario, the
updates expected, delivered (the fake Platform accepted a message naming the update in its
metadata), lost (never delivered), duplicated (delivered more than once), and how long it took.

It needs PostgreSQL: BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/postgres) names
a server where the user may create a database; the script creates pageshop_faults_<pid> and drops it.
Not a test: it prints figures.
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from sqlalchemy import create_engine, text  # noqa: E402
from werkzeug.serving import WSGIRequestHandler, make_server  # noqa: E402

from pageshop import clock, create_app  # noqa: E402
from pageshop.extensions import db  # noqa: E402
from pageshop.models import Conversation, Notification, NotificationState, Store, Subscription  # noqa: E402
from pageshop.seed import seed_demo  # noqa: E402
from tests.factories import make_order  # noqa: E402
from tests.fake_messenger_platform import APP_SECRET, PAGE_TOKEN, FakeMessengerPlatform  # noqa: E402

GRAPH_TIMEOUT = 2.0
SETTLED = {NotificationState.SENT, NotificationState.FAILED, NotificationState.SKIPPED,
           NotificationState.EMAILED, NotificationState.HELD}


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):  # the table is the output
        pass


@dataclass
class Row:
    scenario: str
    expected: int
    delivered: int
    lost: int
    duplicated: int
    seconds: float
    states: str


def database_urls(server_url: str) -> tuple[str, str]:
    """(the bench's database, the server's maintenance database); the driver is psycopg 3."""
    base = server_url.replace("postgresql://", "postgresql+psycopg://", 1).rsplit("/", 1)[0]
    return f"{base}/pageshop_faults_{os.getpid()}", f"{base}/postgres"


class Workers:
    """`flask worker` processes, replaced when they die (as a process supervisor would)."""

    def __init__(self, count: int, env: dict):
        self.count, self.env = count, env
        self.processes: list[subprocess.Popen] = []
        self.killed = 0
        self.lock = threading.Lock()

    def start(self) -> None:
        with self.lock:
            self.processes = [p for p in self.processes if p.poll() is None]
            while len(self.processes) < self.count:
                self.processes.append(subprocess.Popen(
                    [sys.executable, "-m", "flask", "worker"], cwd=ROOT, env=self.env,
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

    def kill_all(self) -> None:
        with self.lock:
            for process in self.processes:
                if process.poll() is None:
                    process.send_signal(signal.SIGKILL)
                    self.killed += 1

    def stop(self) -> None:
        with self.lock:
            for process in self.processes:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            for process in self.processes:
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
            self.processes = []


def prepare(app, platform: FakeMessengerPlatform, orders: int) -> list[int]:
    """A fresh database: the demo store, and `orders` orders whose shoppers opted in and wrote to the
    Page (so the Platform knows them, inside the window), each with two updates queued."""
    with app.app_context():
        db.drop_all()
        db.create_all()
        seed_demo()
        store = db.session.scalars(db.select(Store)).first()
        store.messenger_page.platform_page_id = platform.page_id
        now = clock.now()
        for n in range(orders):
            psid = f"90000{n:04d}"
            order = make_order(first_name=f"Shopper{n}")
            order.carrier, order.tracking_number = "UPS", f"1ZFAULT{n:04d}"
            subscription = Subscription(order=order, page_id=store.messenger_page_id, psid=psid,
                                        confirmed_at=now, created_at=now)
            db.session.add_all([
                subscription,
                Conversation(page_id=store.messenger_page_id, psid=psid, display_name=f"Shopper {n}",
                             last_customer_action_at=now, created_at=now),
            ])
            for event in ("order_confirmation", "shipping_update"):
                db.session.add(Notification(order=order, subscription=subscription, event=event,
                                            state=NotificationState.QUEUED, created_at=now, budget_started_at=now))
            platform.heard_from(psid)
        db.session.commit()
        ids = list(db.session.scalars(db.select(Notification.id).order_by(Notification.id)))
        db.session.remove()
    return ids


def delivered_counts(platform: FakeMessengerPlatform) -> Counter:
    return Counter(body["message"].get("metadata") for body in platform.delivered)


def run_scenario(name: str, args, bench_url: str, fault) -> Row:
    platform = FakeMessengerPlatform(access_token=PAGE_TOKEN).start()
    platform.app_secret = APP_SECRET
    settings = dict(
        MESSENGER_TRANSPORT="graph", GRAPH_URL=platform.graph_url, GRAPH_TIMEOUT=str(GRAPH_TIMEOUT),
        MESSENGER_PAGE_ID=platform.page_id, MESSENGER_PAGE_ACCESS_TOKEN=PAGE_TOKEN,
        MESSENGER_APP_ID=platform.app_id, MESSENGER_APP_SECRET=APP_SECRET,
        OUTBOX_CLAIM_SECONDS="10", MESSENGER_ECHO_WAIT_SECONDS="20",
        OUTBOX_BACKOFF_BASE_SECONDS="1", OUTBOX_BACKOFF_CAP_SECONDS="15",
        WORKER_POLL_SECONDS="0.1", MAIL_SERVER="",
    )
    app = create_app({"SQLALCHEMY_DATABASE_URI": bench_url, "SECRET_KEY": "bench", "MAIL_SERVER": None,
                      **{k: (float(v) if k.endswith(("SECONDS", "TIMEOUT")) else v) for k, v in settings.items()
                         if k != "MAIL_SERVER"}})
    ids = prepare(app, platform, args.orders)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    platform.webhook_url = base + "/webhooks/messenger"
    env = dict(os.environ, FLASK_APP="wsgi:app", DATABASE_URL=bench_url, PUBLIC_URL=base, **settings)
    workers = Workers(args.workers, env)
    fault(platform, workers, bench_url, args)
    started = time.monotonic()
    deadline = started + args.outage_seconds + 600
    workers.start()
    watcher = create_engine(bench_url, pool_pre_ping=True)
    states: dict = {}
    try:
        while time.monotonic() < deadline:
            time.sleep(0.5)
            workers.start()  # replace the killed ones
            try:
                with watcher.connect() as connection:
                    states = dict(connection.execute(
                        text("SELECT state, count(*) FROM notifications GROUP BY state")).all())
            except Exception:  # the fault may take our own connection too
                continue
            settled = sum(count for state, count in states.items() if state in SETTLED)
            if settled == len(ids):
                break
        seconds = time.monotonic() - started
        time.sleep(3)  # late echoes and answers, if any, would show a duplicate now
    finally:
        workers.stop()
        server.shutdown()
        platform.stop()
        watcher.dispose()
    counts = delivered_counts(platform)
    per_update = [counts.get(f"pageshop:notification:{i}", 0) for i in ids]
    with app.app_context():
        db.engine.dispose()
    return Row(name, len(ids), sum(1 for c in per_update if c), sum(1 for c in per_update if not c),
               sum(c - 1 for c in per_update if c > 1), seconds,
               ", ".join(f"{count} {state}" for state, count in sorted(states.items())))


# --- the faults ----------------------------------------------------------------------------------


def outage(platform, workers, url, args):
    platform.outage(args.outage_seconds)


def slow_answers(platform, workers, url, args):
    platform.slow_period(10 ** 6, answer_after=GRAPH_TIMEOUT + 1)


def database_lost(platform, workers, url, args):
    killer = create_engine(url, pool_pre_ping=True)

    def kill_connections(body):
        with killer.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
    platform.on_delivered = kill_connections


def workers_killed(platform, workers, url, args):
    left = {"kills": max(3, args.orders // 2)}

    def kill(body):
        if left["kills"] > 0:
            left["kills"] -= 1
            workers.kill_all()
            time.sleep(0.2)  # dead before the answer goes out
    platform.on_delivered = kill


SCENARIOS = {
    "outage": ("{seconds:g}-second outage (HTTP 500)", outage),
    "slow": (f"answers slower than GRAPH_TIMEOUT ({GRAPH_TIMEOUT:g} s)", slow_answers),
    "database": ("all PostgreSQL connections killed mid-send", database_lost),
    "sigkill": ("workers killed (SIGKILL) mid-send", workers_killed),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10)
    parser.add_argument("--outage-seconds", type=float, default=90)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", default=",".join(SCENARIOS))
    args = parser.parse_args()

    server_url = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    bench_url, admin_url = database_urls(server_url)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = bench_url.rsplit("/", 1)[1]
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    rows = []
    try:
        for key in args.only.split(","):
            title, fault = SCENARIOS[key.strip()]
            title = title.format(seconds=args.outage_seconds)
            print(f"running: {title} ...", flush=True)
            rows.append(run_scenario(title, args, bench_url, fault))
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    print()
    print(f"{args.workers} workers, {args.orders} orders x 2 updates each; no \"Retry\" clicked.")
    print()
    print("| scenario | updates expected | delivered | lost | duplicated | settled in | final states |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for row in rows:
        print(f"| {row.scenario} | {row.expected} | {row.delivered} | {row.lost} | {row.duplicated} "
              f"| {row.seconds:.0f} s | {row.states} |")


if __name__ == "__main__":
    main()

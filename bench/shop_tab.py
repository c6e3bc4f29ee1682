"""How fast the Shop tab stays with 10,000 products (S2).

Seeds the demo store plus 10,000 generated products into a fresh database, serves the app on a
real local port (gunicorn, one sync worker; or werkzeug in a thread with --server werkzeug), and
times the Shop tab's page 1, a search, a collection, page 200 and a product page, each interleaved
with /healthz of the same server. Prints the medians and each page's ratio to /healthz, which
cancels out how fast the machine is.

    .venv/bin/python bench/shop_tab.py                      # SQLite
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/shop_tab.py

With BENCH_DATABASE_URL, a throw-away database is created on that server (and dropped afterwards),
in addition to the SQLite run.
"""
from __future__ import annotations

import argparse
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

TARGETS = [
    ("Shop tab, page 1", "/shop"),
    ("Search ?q=linen", "/shop?q=linen"),
    ("Collection knitwear", "/collections/knitwear"),
    ("Shop tab, page 200", "/shop?page=200"),
    ("Product page", "/products/merino-wool-beanie"),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _driver_url(url: str) -> str:
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class PostgresDatabase:
    """A database of its own on the given server, dropped at the end."""

    def __init__(self, server_url: str):
        self.server = make_url(_driver_url(server_url))
        self.name = f"pageshop_bench_{os.getpid()}_{secrets.token_hex(3)}"
        self.engine = create_engine(self.server, isolation_level="AUTOCOMMIT")

    def __enter__(self) -> str:
        with self.engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        return self.server.set(database=self.name).render_as_string(hide_password=False)

    def __exit__(self, *exc):
        with self.engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.engine.dispose()


def seed(database_url: str, uploads: str, products: int) -> int:
    from pageshop import create_app
    from pageshop.extensions import db
    from pageshop.models import Product
    from pageshop.seed import add_generated_products, seed_demo

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "UPLOAD_FOLDER": uploads,
                      "SECRET_KEY": "bench"})
    with app.app_context():
        db.create_all()
        started = time.perf_counter()
        seed_demo()
        add_generated_products(products, seed=1)
        elapsed = time.perf_counter() - started
        total = db.session.scalar(db.select(db.func.count()).select_from(Product))
        db.session.remove()
        db.engine.dispose()
    print(f"  seeded {total:,} products in {elapsed:.1f} s")
    return total


class GunicornServer:
    def __init__(self, database_url: str, uploads: str):
        self.port = free_port()
        env = dict(os.environ, DATABASE_URL=database_url, SECRET_KEY="bench", PORT=str(self.port))
        # UPLOAD_FOLDER is not read from the environment; images are not timed here.
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{self.port}",
             "--log-level", "warning", "wsgi:app"],
            cwd=ROOT, env=env)
        self.base = f"http://127.0.0.1:{self.port}"

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


class WerkzeugServer:
    def __init__(self, database_url: str, uploads: str):
        from werkzeug.serving import make_server

        from pageshop import create_app

        app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "UPLOAD_FOLDER": uploads,
                          "SECRET_KEY": "bench"})
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()


def fetch(url: str) -> tuple[float, int, bytes]:
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            body = response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        body, status = error.read(), error.code
    return (time.perf_counter() - started) * 1000, status, body


def wait_until_up(base: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if fetch(base + "/healthz")[1] == 200:
                return
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(0.1)
    raise SystemExit(f"the server at {base} did not answer /healthz within {timeout:.0f} s")


def measure(base: str, requests: int) -> list[tuple[str, str, float, float, int]]:
    results = []
    for label, path in TARGETS:
        for _ in range(3):  # warm up: compiled templates, connection pool, caches
            fetch(base + path)
            fetch(base + "/healthz")
        page_ms, health_ms, statuses = [], [], set()
        for _ in range(requests):
            elapsed, status, _body = fetch(base + "/healthz")
            health_ms.append(elapsed)
            elapsed, status, _body = fetch(base + path)
            page_ms.append(elapsed)
            statuses.add(status)
        status = max(statuses) if statuses != {200} else 200
        results.append((label, path, statistics.median(page_ms), statistics.median(health_ms),
                        status))
    return results


def report(backend: str, results) -> None:
    print(f"  {'page':<22} {'path':<30} {'median ms':>10} {'healthz ms':>11} {'ratio':>7}")
    for label, path, page, health, status in results:
        note = "" if status == 200 else f"  (HTTP {status}!)"
        print(f"  {label:<22} {path:<30} {page:>10.2f} {health:>11.2f} {page / health:>7.1f}{note}")


def run(backend: str, database_url: str, args) -> None:
    print(f"\n== {backend}")
    with tempfile.TemporaryDirectory(prefix="pageshop-bench-") as tmp:
        uploads = os.path.join(tmp, "uploads")
        if database_url is None:
            database_url = f"sqlite:///{os.path.join(tmp, 'bench.sqlite')}"
        seed(database_url, uploads, args.products)
        server_class = GunicornServer if args.server == "gunicorn" else WerkzeugServer
        server = server_class(database_url, uploads)
        try:
            wait_until_up(server.base)
            report(backend, measure(server.base, args.requests))
        finally:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=10_000, help="generated products (10000)")
    parser.add_argument("--requests", type=int, default=50, help="requests per page (50)")
    parser.add_argument("--server", choices=["gunicorn", "werkzeug"], default="gunicorn")
    args = parser.parse_args()
    print(f"Shop tab benchmark: demo + {args.products:,} products, {args.requests} requests per page "
          f"(median), server: {args.server}" + (" (1 sync worker)" if args.server == "gunicorn" else ""))
    run("SQLite", None, args)
    postgres = os.environ.get("BENCH_DATABASE_URL")
    if postgres:
        with PostgresDatabase(postgres) as url:
            run("PostgreSQL", url, args)
    else:
        print("\n(set BENCH_DATABASE_URL=postgresql://... to measure PostgreSQL too)")


if __name__ == "__main__":
    main()

"""How the shop's busiest pages hold up as its data grows (issue 12): requests/s on `gunicorn -w 2`
and the ratio to /healthz of the same server in the same run, p50/p99 latency and queries per
request, at 1,000 / 10,000 / 100,000 products and orders, on SQLite and PostgreSQL.

    .venv/bin/python bench/catalog_scale.py                         # every size, both databases
    .venv/bin/python bench/catalog_scale.py --sizes 1000,10000 --databases sqlite

PostgreSQL is measured when BENCH_DATABASE_URL is set, or when the development server
postgresql://postgres@127.0.0.1:5432/postgres answers; a throw-away database is created on it and
dropped afterwards. The load comes from a second process: `wrk` when installed, else a small
threaded Python client (this file with --load).

Other benchmarks reuse the harness: `measure_pages(database_url, pages)` serves a seeded database
with gunicorn and measures a list of `Page`s against /healthz; `print_table(rows)` prints them.
"""
from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
ADMIN_EMAIL = "merchant@example.com"
ADMIN_PASSWORD = "pageshop-demo"
MAX_CONVERSATIONS = 10_000  # the inbox is measured with up to 10,000 conversations
MIN_REQUESTS = 8  # fewer completed requests than this under load tell nothing: measure longer


# --- what is measured ------------------------------------------------------------------------


@dataclass
class Page:
    """A page to measure. `path` is a URL path, or a function of the seeded app (called in its app
    context with a signed-in test client) that returns one. `admin`: needs the merchant signed in."""

    label: str
    path: str | Callable
    admin: bool = False


def _last_shop_page(client) -> str:
    """The Shop tab's "Last" link as a shopper follows it (rel="last"), or, on a listing without one,
    the numbered page that "Page 1 of N" names."""
    html = client.get("/shop").get_data(as_text=True)
    found = re.search(r'href="([^"]+)"[^>]*rel="last"', html)
    if found:
        return found.group(1).replace("&amp;", "&")
    pages = re.search(r"Page 1 of ([\d,]+)", html)
    return f"/shop?page={pages.group(1).replace(',', '')}" if pages else "/shop"


def _middle_order(client):
    from pageshop.extensions import db
    from pageshop.models import Order

    total = db.session.scalar(db.select(db.func.count()).select_from(Order))
    return db.session.scalars(db.select(Order).order_by(Order.id).offset(total // 2).limit(1)).one()


def _email_search(client) -> str:
    return "/admin/orders?" + urllib.parse.urlencode({"q": _middle_order(client).email})


def _number_search(client) -> str:
    return "/admin/orders?" + urllib.parse.urlencode({"q": _middle_order(client).name})


def _order_detail(client) -> str:
    return f"/admin/orders/{_middle_order(client).id}"


HEALTHZ = Page("/healthz", "/healthz")
PAGES = [
    Page("Shop tab, page 1", "/shop"),
    Page("Shop tab, last page", _last_shop_page),
    Page("Search ?q=linen", "/shop?q=linen"),
    Page("Search ?q=macrame", "/shop?q=macrame"),
    Page("Collection", "/collections/knitwear"),
    Page("Product", "/products/merino-wool-beanie"),
    Page("Orders, page 1", "/admin/orders", admin=True),
    Page("Orders, unfulfilled", "/admin/orders?status=unfulfilled", admin=True),
    Page("Orders, search e-mail", _email_search, admin=True),
    Page("Orders, search number", _number_search, admin=True),
    Page("Order detail", _order_detail, admin=True),
    Page("Inbox", "/admin/inbox", admin=True),
]
# The storefront's pages as someone with a session sees them (signed in, a cart): rendered on every
# request, never from the cache (pageshop.page_cache), so their times show how a render grows with
# the catalog. A visitor without a session gets the cached page (measured as PAGES above).
RENDERED = [Page(f"{page.label} (with a session: rendered)", page.path, admin=True)
            for page in PAGES if not page.admin]


@dataclass
class Row:
    label: str
    path: str
    rps: float
    ratio: float
    p50_ms: float
    p99_ms: float
    queries: int | None
    status: int
    extra: dict = field(default_factory=dict)


# --- databases -------------------------------------------------------------------------------


def _driver_url(url: str) -> str:
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class PostgresDatabase:
    """A database of its own on the given server, dropped at the end."""

    def __init__(self, server_url: str):
        from sqlalchemy import create_engine

        self.server = _make_url(server_url)
        self.name = f"pageshop_bench_{os.getpid()}_{secrets.token_hex(3)}"
        self.engine = create_engine(self.server, isolation_level="AUTOCOMMIT")

    def __enter__(self) -> str:
        from sqlalchemy import text

        with self.engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        return self.server.set(database=self.name).render_as_string(hide_password=False)

    def __exit__(self, *exc):
        from sqlalchemy import text

        with self.engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.engine.dispose()


def _make_url(url: str):
    from sqlalchemy.engine import make_url

    return make_url(_driver_url(url))


def benched_databases(option: str) -> list[tuple[str, str | None]]:
    """The databases named by --databases ("sqlite,postgresql"), each with its server (None for
    SQLite); PostgreSQL only when one answers."""
    wanted = {name.strip().lower() for name in option.split(",")}
    databases = [("SQLite", None)] if "sqlite" in wanted else []
    if "postgresql" in wanted:
        server = postgres_server()
        if server:
            databases.append(("PostgreSQL", server))
        else:
            print("(PostgreSQL not reachable: set BENCH_DATABASE_URL=postgresql://... to measure it)")
    return databases


def postgres_server() -> str | None:
    """BENCH_DATABASE_URL, or the development machine's PostgreSQL when it answers."""
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        return url
    from sqlalchemy import create_engine, text

    engine = create_engine(_make_url(DEFAULT_POSTGRES), connect_args={"connect_timeout": 2})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return DEFAULT_POSTGRES
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        return None
    finally:
        engine.dispose()


def bench_app(database_url: str, uploads: str):
    from pageshop import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": database_url, "UPLOAD_FOLDER": uploads,
                       "SECRET_KEY": "bench"})


def seed(database_url: str, uploads: str, size: int) -> dict:
    """The demo store plus `size` generated products and orders and min(size, 10,000)
    conversations; returns how long each took (seconds)."""
    from pageshop.extensions import db
    from pageshop.seed import add_generated_conversations, add_generated_orders, add_generated_products, seed_demo

    app = bench_app(database_url, uploads)
    timings = {}
    with app.app_context():
        db.create_all()
        seed_demo()
        for name, add, count in (("products", add_generated_products, size),
                                 ("orders", add_generated_orders, size),
                                 ("conversations", add_generated_conversations,
                                  min(size, MAX_CONVERSATIONS))):
            started = time.perf_counter()
            add(count, seed=1)
            timings[name] = time.perf_counter() - started
        if db.engine.dialect.name == "postgresql":
            db.session.commit()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
        else:
            db.session.execute(db.text("ANALYZE"))
            db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return timings


# --- the server and the load ----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class GunicornServer:
    """`gunicorn -w N wsgi:app` on a free port, serving the given database; with `config`
    (e.g. "python:pageshop.serving", the README's command) gunicorn takes its settings from it."""

    def __init__(self, database_url: str, workers: int = 2, extra_env: dict | None = None,
                 config: str | None = None):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, DATABASE_URL=database_url, SECRET_KEY="bench", PORT=str(self.port),
                   **(extra_env or {}))
        options = ["-c", config] if config else ["-w", str(workers)]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", *options, "-b", f"127.0.0.1:{self.port}",
             "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=env)

    def wait_until_up(self, timeout: float = 300) -> None:
        """On a busy machine the workers may take long to boot: wait for them, however they fail."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited with status {self.process.returncode}")
            try:
                if fetch(self.base + "/healthz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise SystemExit(f"the server at {self.base} did not answer /healthz within {timeout:.0f} s")

    def stop(self) -> float:
        """Stops it (SIGTERM, then SIGKILL after 60 s); returns how long it took."""
        started = time.monotonic()
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        return time.monotonic() - started


def fetch(url: str, cookie: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def admin_cookie(base: str) -> str:
    """Sign the demo merchant in through the real form; the session cookie as a Cookie header."""
    opener = urllib.request.build_opener(_NoRedirect)
    with opener.open(base + "/admin/sign-in", timeout=30) as response:
        html = response.read().decode()
        cookie = _cookies(response.headers)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or \
        re.search(r'name="csrf-token" content="([^"]+)"', html)
    body = urllib.parse.urlencode({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD,
                                   "csrf_token": token.group(1)}).encode()
    request = urllib.request.Request(base + "/admin/sign-in", data=body, headers={"Cookie": cookie})
    try:
        opener.open(request, timeout=30)
    except urllib.error.HTTPError as redirect:  # 303 to the orders: signed in
        if redirect.code != 303:
            raise SystemExit(f"signing in failed: HTTP {redirect.code}")
        return _cookies(redirect.headers) or cookie
    raise SystemExit("signing in failed: no redirect")


def _cookies(headers) -> str:
    return "; ".join(value.split(";", 1)[0] for value in headers.get_all("Set-Cookie") or [])


def load(url: str, seconds: float, connections: int, cookie: str | None = None) -> dict:
    """Requests/s and p50/p99 latency of `url` under `connections` concurrent clients, from a
    second process: wrk when installed, else this file's own threaded client."""
    if shutil.which("wrk"):
        command = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency", "--timeout", "30s"]
        if cookie:
            command += ["-H", f"Cookie: {cookie}"]
        output = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
        result = _parse_wrk(output)
        if result["requests"] >= MIN_REQUESTS:
            return result
    # Also for pages so slow that wrk finished too few requests to tell: the client waits for them.
    command = [sys.executable, os.path.abspath(__file__), "--load", url, "--seconds", str(seconds),
               "--connections", str(connections)] + (["--cookie", cookie] if cookie else [])
    return json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)


def _parse_wrk(output: str) -> dict:
    def milliseconds(value: str) -> float:
        number, unit = re.match(r"([\d.]+)(\w+)", value).groups()
        return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]

    percentiles = dict(re.findall(r"^\s+(\d+)%\s+(\S+)", output, re.M))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {"requests": int(re.search(r"(\d+) requests in", output).group(1)),
            "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
            "p50_ms": milliseconds(percentiles["50"]), "p99_ms": milliseconds(percentiles["99"]),
            "errors": int(errors.group(1)) if errors else 0}


def _threaded_client(url: str, seconds: float, connections: int, cookie: str | None) -> dict:
    parts = urllib.parse.urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    headers = {"Cookie": cookie} if cookie else {}
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client():
        mine, failed = [], 0
        while time.perf_counter() < deadline or len(mine) * connections < MIN_REQUESTS:
            started = time.perf_counter()
            connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
            connection.request("GET", target, headers=headers)
            response = connection.getresponse()
            response.read()
            connection.close()
            mine.append((time.perf_counter() - started) * 1000)
            failed += response.status >= 400
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    threads = [threading.Thread(target=client) for _ in range(connections)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {"requests": len(latencies), "rps": len(latencies) / elapsed, "p50_ms": statistics.median(latencies),
            "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
            "errors": errors[0]}


# --- queries per request (in-process) ---------------------------------------------------------


class QueryCounter:
    """Counts the SQL statements of one request through the Flask test client."""

    def __init__(self, app):
        from sqlalchemy import event

        from pageshop.extensions import db

        self.count = 0
        self.client = app.test_client()
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", self._one)

    def _one(self, *_args):
        self.count += 1

    def sign_in(self) -> None:
        html = self.client.get("/admin/sign-in").get_data(as_text=True)
        token = re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)
        self.client.post("/admin/sign-in", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD,
                                                  "csrf_token": token})

    def queries(self, path: str) -> tuple[int, int]:
        """(HTTP status, statements) of a GET of `path`, after one warm-up request. Called inside an
        app context, whose database session and `g` the requests share: both are renewed before the
        counted one, as a real request starts afresh."""
        from flask import g

        from pageshop.extensions import db

        self.client.get(path)
        db.session.remove()
        for name in list(vars(g)):  # what the warm-up cached for its request (the signed-in admin)
            delattr(g, name)
        self.count = 0
        status = self.client.get(path).status_code
        db.session.remove()
        return status, self.count


def resolve_paths(app, pages: list[Page]) -> tuple[list[tuple[Page, str, int, int]], QueryCounter]:
    """Each page's URL path, HTTP status and queries per request, measured in-process."""
    counter = QueryCounter(app)
    counter.sign_in()
    resolved = []
    with app.app_context():
        for page in pages:
            path = page.path(counter.client) if callable(page.path) else page.path
            status, queries = counter.queries(path)
            resolved.append((page, path, status, queries))
    return resolved, counter


# --- the harness -----------------------------------------------------------------------------


def measure_pages(database_url: str, pages: list[Page], *, uploads: str | None = None,
                  seconds: float = 3, connections: int = 4, workers: int = 2,
                  server_env: dict | None = None) -> list[Row]:
    """Serve the (seeded) database with `gunicorn -w workers` and measure each page under load,
    with /healthz measured first and last in the same run; each row's ratio is its requests/s
    over /healthz's (the mean of the two)."""
    uploads = uploads or tempfile.mkdtemp(prefix="pageshop-bench-uploads-")
    app = bench_app(database_url, uploads)
    resolved, _counter = resolve_paths(app, [HEALTHZ] + pages)
    with app.app_context():
        db_engine_dispose()
    server = GunicornServer(database_url, workers=workers, extra_env=server_env)
    try:
        server.wait_until_up()
        cookie = admin_cookie(server.base)
        measured = []
        for page, path, status, queries in resolved + resolved[:1]:
            url = server.base + path
            for _ in range(3):  # warm up: compiled templates, connection pools, caches
                fetch(url, cookie if page.admin else None)
            result = load(url, seconds, connections, cookie if page.admin else None)
            measured.append((page, path, status, queries, result))
    finally:
        server.stop()
    healthz = statistics.mean(result["rps"] for page, *_rest, result in measured if page is HEALTHZ)
    rows = []
    for page, path, status, queries, result in measured[:-1]:
        if result["errors"] and status == 200:
            status = 500
        rows.append(Row(page.label, path, result["rps"], result["rps"] / healthz, result["p50_ms"],
                        result["p99_ms"], queries, status))
    rows[0].rps, rows[0].ratio = healthz, 1.0
    return rows


def print_table(results: list[tuple[str, int | str, list[Row]]]) -> None:
    """One Markdown table: for each database and size (a number of rows, or a word such as "demo"),
    each page's figures. A row with extra["latency"] holds a median and a maximum only; one with
    extra["live_queries"] came from the cache, beside the queries of a live render."""
    print("| database | rows | page | req/s | ratio to /healthz | p50 ms | p99 ms | queries |")
    print("|---|---:|---|---:|---:|---:|---:|---:|")
    for database, size, rows in results:
        size_label = f"{size:,}" if isinstance(size, int) else size
        for row in rows:
            note = "" if row.status == 200 else f" (HTTP {row.status}!)"
            latency = row.extra.get("latency")
            rps = "" if latency else f"{row.rps:,.0f}"
            ratio = "" if latency else f"{row.ratio:.2f}"
            if row.queries is None:
                queries = ""
            elif "live_queries" in row.extra:
                queries = f"{row.queries} ({row.extra['live_queries']} live)"
            else:
                queries = str(row.queries)
            print(f"| {database} | {size_label} | {row.label}{note} | {rps} | {ratio} | {row.p50_ms:,.1f} | "
                  f"{row.p99_ms:,.1f} | {queries} |")
    sys.stdout.flush()


@contextlib.contextmanager
def database_for(database: str, server_url: str | None, folder: str):
    """A fresh, empty database: an SQLite file in `folder`, or one of its own on the server."""
    if database == "SQLite":
        yield f"sqlite:///{os.path.join(folder, 'bench.sqlite')}"
        return
    with PostgresDatabase(server_url) as url:
        yield url


def run(database: str, server_url: str | None, size: int, args) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="pageshop-bench-") as tmp, \
            database_for(database, server_url, tmp) as url:
        uploads = os.path.join(tmp, "uploads")
        timings = seed(url, uploads, size)
        print(seeded_line(database, size, timings), flush=True)
        if args.queries_only:
            app = bench_app(url, uploads)
            resolved, _counter = resolve_paths(app, PAGES + RENDERED)
            with app.app_context():
                db_engine_dispose()
            return [Row(page.label, path, 0, 0, 0, 0, queries, status)
                    for page, path, status, queries in resolved]
        return measure_pages(url, PAGES + RENDERED, uploads=uploads, seconds=args.seconds,
                             connections=args.connections)


def db_engine_dispose() -> None:
    from pageshop.extensions import db

    db.session.remove()
    db.engine.dispose()


def seeded_line(database: str, size: int, timings: dict) -> str:
    """What seeding took, as the scripts print it: "  SQLite 1,000: seeded products in 0.1 s, ..."."""
    return f"  {database} {size:,}: seeded " + ", ".join(
        f"{name} in {seconds:.1f} s" for name, seconds in timings.items())


def add_scale_options(parser: argparse.ArgumentParser) -> None:
    """The sizes, databases and load options of this script, shared by bench/report.py."""
    parser.add_argument("--sizes", default="1000,10000,100000",
                        help="generated products and orders, comma-separated (1000,10000,100000)")
    parser.add_argument("--databases", default="sqlite,postgresql",
                        help="sqlite, postgresql or both (PostgreSQL only when reachable)")
    parser.add_argument("--seconds", type=float, default=3, help="load per page, seconds (3)")
    parser.add_argument("--connections", type=int, default=4, help="concurrent clients (4)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_scale_options(parser)
    parser.add_argument("--queries-only", action="store_true",
                        help="only count each page's queries (in-process), no server and no load")
    parser.add_argument("--load", help=argparse.SUPPRESS)
    parser.add_argument("--cookie", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load:  # the threaded load client, in its own process
        print(json.dumps(_threaded_client(args.load, args.seconds, args.connections, args.cookie)))
        return

    sizes = [int(size) for size in args.sizes.split(",") if size.strip()]
    databases = benched_databases(args.databases)
    tool = "wrk" if shutil.which("wrk") else "a threaded Python client"
    print(f"Catalog at scale: gunicorn -w 2, {args.connections} connections from {tool}, "
          f"{args.seconds:g} s per page; conversations = min(rows, {MAX_CONVERSATIONS:,}).")
    results = []
    for size in sizes:
        for database, server in databases:
            results.append((database, size, run(database, server, size, args)))
    print()
    print_table(results)


if __name__ == "__main__":
    main()

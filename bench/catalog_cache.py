"""Catalog pages from the cache (issue 12, goal 1): for a visitor without a session, requests/s of the
Page, the Shop tab, a search, a late page, a collection, a product and the online store on
`gunicorn -w 2`, with their ratio to /healthz of the same server in the same run, p50/p99 latency
and queries per request; uncached (CACHE_TYPE=NullCache), cached in each process (SimpleCache) and
cached in Redis (RedisCache, when Redis answers at REDIS_URL or 127.0.0.1:6379), at 1,000 and
10,000 products, on SQLite and PostgreSQL.

    .venv/bin/python bench/catalog_cache.py
    .venv/bin/python bench/catalog_cache.py --sizes 1000 --databases sqlite --caches none,simple

It reuses catalog_scale.py's harness (databases, gunicorn, wrk or the threaded client).
"""
from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from catalog_scale import (  # noqa: E402
    GunicornServer,
    Row,
    _last_shop_page,
    bench_app,
    benched_databases,
    database_for,
    db_engine_dispose,
    fetch,
    load,
)

PAGES = [
    ("The Page", "/"),
    ("Shop tab, page 1", "/shop"),
    ("Shop tab, last page", _last_shop_page),
    ("Search ?q=linen", "/shop?q=linen"),
    ("Collection", "/collections/knitwear"),
    ("Product", "/products/merino-wool-beanie"),
    ("Online store", "/store"),
]
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"
CACHES = {
    "none": ("uncached", {"CACHE_TYPE": "NullCache"}),
    "simple": ("cached, SimpleCache", {"CACHE_TYPE": "SimpleCache"}),
    "redis": ("cached, Redis", {"CACHE_TYPE": "RedisCache"}),
}


def seed_products(database_url: str, uploads: str, size: int) -> float:
    from pageshop.extensions import db
    from pageshop.seed import add_generated_products, seed_demo

    app = bench_app(database_url, uploads)
    started = time.perf_counter()
    with app.app_context():
        db.create_all()
        seed_demo()
        add_generated_products(size, seed=1)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
        else:
            db.session.execute(db.text("ANALYZE"))
            db.session.commit()
        db_engine_dispose()
    return time.perf_counter() - started


def visitor_paths_and_queries(database_url: str, uploads: str, config: dict) -> list[tuple[str, str, int, int]]:
    """Each page's path, status and queries of a visitor's request (no cookie), after one that
    filled the cache: in-process, with the Flask test client."""
    from flask import g
    from sqlalchemy import event

    from pageshop import create_app, page_cache
    from pageshop.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "UPLOAD_FOLDER": uploads,
                      "SECRET_KEY": "bench", **config})
    count = [0]
    resolved = []
    read_version = page_cache.catalog_version

    def counted_version():  # read on the raw DB-API connection, which SQLAlchemy's events don't see
        count[0] += 1
        return read_version()

    page_cache.catalog_version = counted_version
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *_a: count.__setitem__(0, count[0] + 1))
        for label, path in [("/healthz", "/healthz")] + PAGES:
            client = app.test_client()
            path = path(client) if callable(path) else path
            client.get(path)
            db.session.remove()
            for name in list(vars(g)):
                delattr(g, name)
            count[0] = 0
            status = app.test_client().get(path).status_code
            db.session.remove()
            resolved.append((label, path, status, count[0], cpu_per_request(app, path)))
        db_engine_dispose()
    page_cache.catalog_version = read_version
    return resolved


def cpu_per_request(app, path: str, budget: float = 0.5) -> float:
    """CPU seconds of this process per request through the test client (a visitor without a cookie):
    unlike requests/s, it hardly moves when other work shares the machine."""
    from flask import g

    from pageshop.extensions import db

    client = app.test_client()
    requests, started = 0, time.process_time()
    while time.process_time() - started < budget or requests < 5:
        client.get(path)
        db.session.remove()
        for name in list(vars(g)):
            delattr(g, name)
        requests += 1
    return (time.process_time() - started) / requests


def measure(database_url: str, uploads: str, env: dict, seconds: float, connections: int) -> list[Row]:
    resolved = visitor_paths_and_queries(database_url, uploads, env)
    server = GunicornServer(database_url, workers=2, extra_env=env)
    try:
        server.wait_until_up()
        measured = []
        for label, path, status, queries, cpu in resolved + resolved[:1]:
            for _ in range(3):  # warm up: templates, pools, and the cache of both workers
                fetch(server.base + path)
            measured.append((label, path, status, queries, cpu, load(server.base + path, seconds, connections)))
    finally:
        server.stop()
    healthz = statistics.mean(result["rps"] for label, *_rest, result in measured if label == "/healthz")
    healthz_cpu = resolved[0][4]
    rows = []
    for label, path, status, queries, cpu, result in measured[:-1]:
        if result["errors"] and status == 200:
            status = 500
        rows.append(Row(label, path, result["rps"], result["rps"] / healthz, result["p50_ms"],
                        result["p99_ms"], queries, status, extra={"cpu_ratio": healthz_cpu / cpu}))
    rows[0].rps, rows[0].ratio = healthz, 1.0
    return rows


def redis_answers(url: str) -> bool:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port or 6379), timeout=1):
            return True
    except OSError:
        return False


def print_table(results: list[tuple[str, int, str, list[Row]]]) -> None:
    print("| database | products | cache | page | req/s | ratio to /healthz | p50 ms | p99 ms | queries "
          "| CPU ratio to /healthz |")
    print("|---|---:|---|---|---:|---:|---:|---:|---:|---:|")
    for database, size, cache_label, rows in results:
        for row in rows:
            note = "" if row.status == 200 else f" (HTTP {row.status}!)"
            print(f"| {database} | {size:,} | {cache_label} | {row.label}{note} | {row.rps:,.0f} | "
                  f"{row.ratio:.2f} | {row.p50_ms:.1f} | {row.p99_ms:.1f} | {row.queries} | "
                  f"{row.extra.get('cpu_ratio', 1.0):.2f} |")
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000", help="generated products (1000,10000)")
    parser.add_argument("--databases", default="sqlite,postgresql", help="sqlite, postgresql or both")
    parser.add_argument("--caches", default="none,simple,redis", help="none, simple, redis (all three)")
    parser.add_argument("--seconds", type=float, default=3, help="load per page, seconds (3)")
    parser.add_argument("--connections", type=int, default=4, help="concurrent clients (4)")
    args = parser.parse_args()

    redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS
    caches = []
    for name in (name.strip() for name in args.caches.split(",")):
        label, env = CACHES[name]
        if name == "redis":
            if not redis_answers(redis_url):
                print(f"(Redis not reachable at {redis_url}: set REDIS_URL to measure it)")
                continue
            env = dict(env, REDIS_URL=redis_url, CACHE_REDIS_URL=redis_url)
        caches.append((label, env))
    databases = benched_databases(args.databases)
    tool = "wrk" if shutil.which("wrk") else "a threaded Python client"
    print(f"Catalog pages for a visitor without a session: gunicorn -w 2, {args.connections} connections "
          f"from {tool}, {args.seconds:g} s per page.")
    results = []
    for size in (int(size) for size in args.sizes.split(",") if size.strip()):
        for database, server in databases:
            with tempfile.TemporaryDirectory(prefix="pageshop-bench-") as tmp, \
                    database_for(database, server, tmp) as url:
                uploads = os.path.join(tmp, "uploads")
                print(f"  {database} {size:,}: seeded in {seed_products(url, uploads, size):.1f} s", flush=True)
                for label, env in caches:
                    results.append((database, size, label, measure(url, uploads, env, args.seconds,
                                                                   args.connections)))
                    print_table(results[-1:])  # as it comes: a long run keeps what it measured
    print()
    print_table(results)


if __name__ == "__main__":
    main()

"""Issue 12's one table (`make bench`): for each page, requests/s on `gunicorn -w 2` and the ratio to
/healthz of the same server in the same run, p50/p99 latency and queries per request, at 1,000 /
10,000 / 100,000 rows on SQLite and PostgreSQL; the catalog pages as a visitor without a session
gets them (from the cache); the Shop tab with 1,000 live connections open; and the time from
"Place order" to the receipt on the open Messenger page (median and max of 20).

    .venv/bin/python bench/report.py                              # everything (30-40 minutes)
    .venv/bin/python bench/report.py --sizes 1000 --databases sqlite
    make bench BENCH_ARGS="--sizes 1000,10000"

It runs the other scripts' harnesses: catalog_scale.measure_pages (seeding, gunicorn, the load),
live_connections.measure_live and messenger_latency.measure.
"""
from __future__ import annotations

import argparse
import logging
import os
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from catalog_scale import (  # noqa: E402
    MAX_CONVERSATIONS,
    PAGES,
    RENDERED,
    Page,
    Row,
    add_scale_options,
    benched_databases,
    database_for,
    measure_pages,
    print_table,
    seed,
    seeded_line,
)

# What a visitor without a session gets from the cache (pageshop.page_cache): catalog_scale's
# storefront pages, with the Page and the online store beside them; then the admin's pages.
VISITOR_PAGES = [Page("The Page", "/")] + [page for page in PAGES if not page.admin] + \
    [Page("Online store", "/store")]
ADMIN_PAGES = [page for page in PAGES if page.admin] + RENDERED  # the merchant's pages, then renders
CACHED = " (visitor, cached)"


def loadavg() -> str:
    try:
        with open("/proc/loadavg") as file:
            return " ".join(file.read().split()[:3])
    except OSError:
        return "unknown"


def catalog_rows(database: str, server: str | None, size: int, args) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="pageshop-bench-") as tmp, \
            database_for(database, server, tmp) as url:
        uploads = os.path.join(tmp, "uploads")
        timings = seed(url, uploads, size)
        print(seeded_line(database, size, timings), f"(load average {loadavg()})", flush=True)
        rows = measure_pages(url, VISITOR_PAGES + ADMIN_PAGES, uploads=uploads, seconds=args.seconds,
                             connections=args.connections)
        for row in rows[1:len(VISITOR_PAGES) + 1]:
            row.extra["live_queries"] = row.queries
            row.queries = 1  # a page from the cache reads the catalog's version, nothing else
            row.label += CACHED
        if args.streams and size == min(args.size_list):
            rows += live_rows(url, uploads, args)
    return rows


def live_rows(url: str, uploads: str, args) -> list[Row]:
    from live_connections import measure_live

    live = measure_live(url, uploads, args.streams, args.seconds, args.connections)
    before, during = live["before"], live["during"]
    held = f"{live['still_open']:,} of {args.streams:,} held"
    return [
        Row("Shop tab, gthread (README's gunicorn), no live stream open", "/shop", before["rps"], 1.0,
            before["p50_ms"], before["p99_ms"], None, 200, extra={"ratio_to": "no stream"}),
        Row(f"Shop tab, gthread, {args.streams:,} live streams open ({held}; ratio to no stream)", "/shop",
            during["rps"], live["ratio"], during["p50_ms"], during["p99_ms"], None, 200),
    ]


def messenger_rows(args) -> list[Row]:
    from messenger_latency import measure

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # its server's line per request
    measured = measure(args.orders, args.orders)
    rows = []
    for label, seconds in ((f"Place order → receipt on screen, {args.orders} orders, by the browser's clocks "
                            "(p50 column: median, p99 column: max)", measured["in_browser"]),
                           (f"Place order → receipt on screen, {args.orders} orders, by the script's clock "
                            "(Playwright; p50 column: median, p99 column: max)", measured["latencies"]),
                           (f"Inbox Reply → shopper's screen, {args.orders} replies "
                            "(p50 column: median, p99 column: max)", measured["replies"])):
        rows.append(Row(label, "/messenger", 0, 0, statistics.median(seconds) * 1000,
                        max(seconds) * 1000, None, 200, extra={"latency": True}))
    if not measured["stream_open"]:
        rows[0].label += " (the live stream was NOT open: it polled)"
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_scale_options(parser)
    parser.add_argument("--streams", type=int, default=1000,
                        help="live connections held at the smallest size, on each database (1000; 0: skip)")
    parser.add_argument("--orders", type=int, default=20,
                        help="orders (and inbox replies) timed into Messenger (20; 0: skip)")
    args = parser.parse_args()
    args.size_list = [int(size) for size in args.sizes.split(",") if size.strip()]

    tool = "wrk" if shutil.which("wrk") else "a threaded Python client"
    started = time.monotonic()
    print(f"Issue 12's table: gunicorn -w 2 (sync), {args.connections} connections from {tool}, "
          f"{args.seconds:g} s per page; conversations = min(rows, {MAX_CONVERSATIONS:,}); "
          f"load average {loadavg()} at the start.", flush=True)
    results = []
    databases = benched_databases(args.databases)
    for size in args.size_list:
        for database, server in databases:
            rows = catalog_rows(database, server, size, args)
            results.append((database, size, rows))
            print_table(results[-1:])  # as it comes: a long run keeps what it measured
    if args.orders:
        print(f"  Messenger: {args.orders} orders and replies (load average {loadavg()})", flush=True)
        results.append(("SQLite", "demo", messenger_rows(args)))
    print(f"\nIn {(time.monotonic() - started) / 60:.0f} minutes; load average {loadavg()} at the end.\n")
    print_table(results)


if __name__ == "__main__":
    main()

"""Whether 1,000 open live pages slow the shop down (issue 12, goal 3): the Shop tab's requests/s on
gunicorn as the README runs it (`-c python:pageshop.serving`, two gthread processes), first with no
stream open, then with 1,000 server-sent-event streams of the admin's inbox open, and the ratio.

    .venv/bin/python bench/live_connections.py [--streams 1000] [--seconds 5] [--database sqlite]

It also checks that every stream is still open after the load, and times one announcement: a
message committed by a separate process (as `flask worker` does) until all the open streams have
received its event. The streams are held by a second process (asyncio, one socket each), the load
comes from wrk (or catalog_scale's threaded client) with 4 connections, as in catalog_scale.py.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "bench"))

from catalog_scale import GunicornServer, admin_cookie, database_for, load, postgres_server, seed  # noqa: E402

# --- the streams, held by a second process ---------------------------------------------------


async def _hold(url: str, cookie: str, count: int, commands) -> None:
    parts = urllib.parse.urlsplit(url)
    request = (f"GET {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.netloc}\r\nCookie: {cookie}\r\n"
               "Accept: text/event-stream\r\n\r\n").encode()
    opened, closed = [0], [0]
    heard: set[int] = set()  # the streams that got an event
    announced = asyncio.Event()

    async def one():
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port, limit=2**16)
        writer.write(request)
        await writer.drain()
        status = await reader.readline()
        if b" 200 " not in status:
            closed[0] += 1
            return
        seen_open = False
        while True:
            line = await reader.readline()
            if not line:
                closed[0] += 1
                return
            if line.startswith(b": open") and not seen_open:
                seen_open = True
                opened[0] += 1
            elif line.startswith(b"event: inbox"):
                heard.add(id(reader))
                if len(heard) == count:
                    announced.set()

    tasks = []
    for _ in range(count):
        tasks.append(asyncio.create_task(one()))
        await asyncio.sleep(0.002)  # a page opening after another, not all in one instant
    loop = asyncio.get_running_loop()
    while True:
        command = await loop.run_in_executor(None, commands.readline)
        command = command.strip()
        if command == "status" or not command:
            print(json.dumps({"opened": opened[0], "closed": closed[0], "events": len(heard)}), flush=True)
            if not command:
                return
        elif command == "wait-event":
            try:
                await asyncio.wait_for(announced.wait(), 30)
            except TimeoutError:
                pass
            print(json.dumps({"opened": opened[0], "closed": closed[0], "events": len(heard),
                              "at": time.time()}), flush=True)


def hold_streams(url: str, cookie: str, count: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, count + 100)), hard))
    asyncio.run(_hold(url, cookie, count, sys.stdin))


class Streams:
    def __init__(self, url: str, cookie: str, count: int):
        self.process = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--hold", url, "--cookie", cookie, "--streams", str(count)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def ask(self, command: str = "status") -> dict:
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def wait_open(self, count: int, timeout: float = 120) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.ask()
            if status["opened"] + status["closed"] >= count:
                return status
            time.sleep(0.5)
        return self.ask()

    def close(self):
        self.process.kill()
        self.process.wait()


def announce(database_url: str, uploads: str) -> float:
    """A message committed in this process (another than the server's, as `flask worker` is)."""
    from pageshop import create_app
    from pageshop.extensions import db
    from pageshop.messenger.chat import send_message
    from pageshop.models import FacebookAccount, Store

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "UPLOAD_FOLDER": uploads, "SECRET_KEY": "bench"})
    with app.app_context():
        alex = db.session.scalars(db.select(FacebookAccount).filter_by(email="alex@example.com")).one()
        store = db.session.scalars(db.select(Store)).one()
        started = time.time()
        send_message(alex, store, "Do you ship to Canada?")
        db.session.commit()
        db.session.remove()
    return started


def measure_live(database_url: str, uploads: str, streams: int = 1000, seconds: float = 5,
                 connections: int = 4) -> dict:
    """On a seeded database: the Shop tab's load (best of 2) with no stream open and with `streams`
    inbox streams open, how many opened and stayed open, one announcement's time to reach them all,
    and how long gunicorn took to stop with them open."""
    server = GunicornServer(database_url, config="python:pageshop.serving",
                            extra_env={"UPLOAD_FOLDER": uploads, "REDIS_URL": ""})
    held = None
    try:
        server.wait_until_up()
        shop = server.base + "/shop"
        load(shop, 1, connections)  # warm up
        before = [load(shop, seconds, connections) for _ in range(2)]
        held = Streams(server.base + "/admin/inbox/live", admin_cookie(server.base), streams)
        opened = held.wait_open(streams)
        time.sleep(2)
        during = [load(shop, seconds, connections) for _ in range(2)]
        after_load = held.ask()
        started = announce(database_url, uploads)
        heard = held.ask("wait-event")
        stop_seconds = server.stop()  # with the streams open
    finally:
        if held is not None:
            held.close()
        if server.process.poll() is None:
            server.stop()
    best_before = max(before, key=lambda r: r["rps"])
    best_during = max(during, key=lambda r: r["rps"])
    return {"streams": streams, "before": best_before, "during": best_during,
            "ratio": best_during["rps"] / best_before["rps"], "opened": opened["opened"],
            "still_open": after_load["opened"] - after_load["closed"], "heard": heard["events"],
            "announce_ms": (heard["at"] - started) * 1000, "stop_seconds": stop_seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--database", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--products", type=int, default=1000)
    parser.add_argument("--hold")
    parser.add_argument("--cookie")
    args = parser.parse_args()
    if args.hold:
        hold_streams(args.hold, args.cookie, args.streams)
        return

    with tempfile.TemporaryDirectory() as folder:
        name, server_url = ("SQLite", None) if args.database == "sqlite" else ("PostgreSQL", postgres_server())
        with database_for(name, server_url, folder) as database_url:
            uploads = os.path.join(folder, "uploads")
            seed(database_url, uploads, args.products)
            live = measure_live(database_url, uploads, args.streams, args.seconds, args.connections)

    print(f"\nShop tab (/shop, {args.products} products, {args.database}) on gunicorn -c python:pageshop.serving "
          f"(2 gthread processes), {args.connections} connections, best of 2 x {args.seconds:.0f} s:")
    print(f"{'':32} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for label, best in (("no stream open", live["before"]), (f"{args.streams:,} streams open", live["during"])):
        print(f"{label:32} {best['rps']:8.1f} {best['p50_ms']:8.1f} {best['p99_ms']:8.1f}")
    print(f"ratio with / without streams: {live['ratio']:.2f}")
    print(f"streams opened {live['opened']:,} of {args.streams:,}; still open after the load: {live['still_open']:,}")
    print(f"one message committed by another process reached {live['heard']:,} streams in "
          f"{live['announce_ms']:.0f} ms (all of them, as each stream reported it)")
    print(f"gunicorn stopped (SIGTERM) in {live['stop_seconds']:.1f} s with the streams open")


if __name__ == "__main__":
    main()

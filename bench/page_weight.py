"""How much the Shop tab transfers (issue 12, goal 4): the bytes a real browser (Chromium through
Playwright) receives over the network for the page and everything it loads (HTML, CSS, JS, images,
compressed as sent, headers included), on a first visit and on a repeat visit in the same browser.

    .venv/bin/python bench/page_weight.py            # the Shop tab
    .venv/bin/python bench/page_weight.py / /products/merino-wool-beanie

The demo store is served from a throw-away SQLite database by the app in this process (werkzeug's
server in a thread), as the end-to-end tests serve it; the goal is <= 60 KB first, only the HTML
again on a repeat visit.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

GOAL_FIRST_VISIT = 60 * 1024


def serve_demo(folder: str):
    from werkzeug.serving import make_server

    from pageshop import create_app
    from pageshop.extensions import db
    from pageshop.seed import seed_demo

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{os.path.join(folder, 'weight.sqlite')}",
                      "UPLOAD_FOLDER": os.path.join(folder, "uploads"), "SECRET_KEY": "bench"})
    with app.app_context():
        db.create_all()
        seed_demo()
        db.session.commit()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def chromium_path() -> str | None:
    for candidate in (os.environ.get("CHROMIUM_PATH"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


class Transfers:
    """What came over the network, per request, from the DevTools protocol's Network domain."""

    def __init__(self, cdp):
        self.urls: dict[str, str] = {}
        self.bytes: dict[str, int] = {}
        cdp.on("Network.responseReceived", lambda event: self.urls.__setitem__(
            event["requestId"], event["response"]["url"]))
        cdp.on("Network.loadingFinished", lambda event: self.bytes.__setitem__(
            event["requestId"], int(event["encodedDataLength"])))

    def take(self) -> list[tuple[str, int]]:
        rows = [(self.urls.get(request_id, request_id), size) for request_id, size in self.bytes.items()]
        self.urls.clear()
        self.bytes.clear()
        return rows


def measure(base: str, path: str, browser) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    context = browser.new_context()
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    transfers = Transfers(cdp)
    page.goto(base + path, wait_until="networkidle")
    first = transfers.take()
    page.goto(base + "/healthz", wait_until="networkidle")  # away, then back as by a link
    transfers.take()
    page.goto(base + path, wait_until="networkidle")
    repeat = transfers.take()
    context.close()
    return first, repeat


def report(path: str, first, repeat, base: str) -> None:
    for label, rows in (("first visit", first), ("repeat visit", repeat)):
        total = sum(size for _url, size in rows)
        print(f"{path} {label}: {total:,} bytes ({total / 1024:.1f} KB) in {len(rows)} responses")
        for url, size in sorted(rows, key=lambda row: -row[1]):
            if not size:
                continue  # from the browser's cache
            print(f"    {size:>8,}  {url.replace(base, '')}")
    total = sum(size for _url, size in first)
    verdict = "within" if total <= GOAL_FIRST_VISIT else "OVER"
    fetched = [url.replace(base, "") for url, size in repeat if size]
    print(f"  first visit {verdict} the 60 KB goal; repeat visit fetched over the network: {', '.join(fetched)}\n")


def main() -> None:
    from playwright.sync_api import sync_playwright

    paths = sys.argv[1:] or ["/shop"]
    with tempfile.TemporaryDirectory(prefix="pageshop-weight-") as folder:
        server, base = serve_demo(folder)
        try:
            with sync_playwright() as playwright:
                options = {"executable_path": chromium_path()} if chromium_path() else {}
                browser = playwright.chromium.launch(**options)
                for path in paths:
                    report(path, *measure(base, path, browser), base)
                browser.close()
        finally:
            server.shutdown()


if __name__ == "__main__":
    main()

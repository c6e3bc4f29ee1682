"""How long from clicking "Place order" (opted in to Messenger) until the receipt card is on screen in
the shopper's Messenger, open in a second tab; then from the merchant's "Reply" in the inbox until
the reply is on the shopper's screen. Prints the median, p90 and max of 20 of each, and the ratio to
a trivial round trip (/healthz) measured in the same run. The Messenger page hears of both by its
live stream (server-sent events; the worker is woken by the order's commit): the run says whether
the stream was open.

    .venv/bin/python bench/messenger_latency.py [--orders 20] [--replies 20] [--poll 2] [--transport graph]

With `--transport graph` the shopper ticks Meta's checkbox plugin instead (the fake SDK of the e2e
tests stands in for Facebook's) and the clock stops when the fake Messenger Platform
(tests/fake_messenger_platform.py) accepts the receipt: the whole chain of the confirmation's
signed webhook, the worker processing it, and the Send API call.

It serves the app like `make run` (a threaded HTTP server and the delivery worker beside it) on a
temporary SQLite database seeded with the demo store, and drives the system's Chromium.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from playwright.sync_api import expect, sync_playwright  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from pageshop import create_app  # noqa: E402
from pageshop.extensions import db  # noqa: E402
from pageshop.models import Conversation, Variant  # noqa: E402
from pageshop.seed import seed_demo  # noqa: E402
from pageshop.worker import start_worker_thread  # noqa: E402
from tests.e2e.driver import admin_sign_in, facebook_log_in, fill_facebook_checkout, stand_in_for_facebook  # noqa: E402
from tests.fake_messenger_platform import APP_SECRET, PAGE_TOKEN, FakeMessengerPlatform  # noqa: E402


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def chromium() -> str | None:
    for candidate in (os.environ.get("CHROMIUM_PATH"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


def wait_for_receipt(page, platform, already: int, timeout: float = 15.0) -> None:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if any("attachment" in body["message"] for body in platform.sent[already:]):
            return
        page.wait_for_timeout(5)  # Playwright serves the SDK's binding meanwhile
    sys.exit("The receipt never reached the fake Platform.")


# The browser's own clocks (Date.now(), the same in both tabs): when the checkout's form is sent, and
# when each new receipt enters the Messenger page. The script's clock adds Playwright's round trips
# and its checks that the button can be clicked, which a person's click doesn't wait for.
NOTE_CLICK = """() => document.querySelector("form.checkout-form").addEventListener(
    "submit", () => localStorage.setItem("placeOrderClickedAt", String(Date.now())))"""
NOTE_RECEIPTS = """() => {
  window.receiptShownAt = {};
  let count = document.querySelectorAll("section.receipt").length;
  new MutationObserver(() => {
    const now = Date.now(), shown = document.querySelectorAll("section.receipt").length;
    for (; count < shown; count++) window.receiptShownAt[count] = now;
  }).observe(document.body, {childList: true, subtree: true});
}"""


def measure(orders: int = 20, replies: int = 20, poll_seconds: float | None = None,
            transport: str = "local") -> dict:
    """Serves the demo store, places `orders` orders and sends `replies` replies, and returns each
    one's seconds: "latencies" (Place order → receipt), "after_commit", "placed", "replies",
    "healthz"; "stream_open" and the worker's "poll"."""
    tmp = tempfile.mkdtemp(prefix="pageshop-bench-")
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{os.path.join(tmp, 'bench.sqlite')}",
        "UPLOAD_FOLDER": os.path.join(tmp, "uploads"),
        "SECRET_KEY": "bench",
        "MAIL_SERVER": None,
        "MESSENGER_TRANSPORT": "local",
    })
    platform = None
    if transport == "graph":
        platform = FakeMessengerPlatform(access_token=PAGE_TOKEN).start()
        platform.app_secret = APP_SECRET
        app.config.update(MESSENGER_TRANSPORT="graph", GRAPH_URL=platform.graph_url,
                          MESSENGER_PAGE_ID=platform.page_id, MESSENGER_PAGE_ACCESS_TOKEN=PAGE_TOKEN,
                          MESSENGER_APP_ID="1234567890", MESSENGER_APP_SECRET=APP_SECRET)
    with app.app_context():
        db.create_all()
        seed_demo()
        variant_id = db.session.scalars(
            db.select(Variant.id).where(Variant.stock >= orders).order_by(Variant.id)
        ).first()
        db.session.remove()
    if variant_id is None:
        sys.exit("No seeded variant has enough stock for the run.")

    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_URL"] = base
    threading.Thread(target=server.serve_forever, daemon=True).start()
    if platform is not None:
        platform.webhook_url = base + "/webhooks/messenger"
    poll = poll_seconds if poll_seconds is not None else app.config["WORKER_POLL_SECONDS"]
    _worker, stop_worker = start_worker_thread(app, poll_seconds=poll)

    latencies: list[float] = []
    in_browser: list[float] = []  # the page's own clocks: the click's submit event → the receipt in the DOM
    healthz: list[float] = []
    reply_times: list[float] = []
    stream_open = False
    placed: list[float] = []  # until the order status page shows: the checkout's own share
    after_commit: list[float] = []  # from the checkout's answer (the order committed) to the receipt
    try:
        with sync_playwright() as playwright:
            # The Messenger tab counts as open on screen beside the checkout (as in the e2e tests):
            # Chromium would otherwise slow a background tab's timers to one a second.
            launch = {"args": ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                               "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
                               "--disable-backgrounding-occluded-windows"]}
            if chromium():
                launch["executable_path"] = chromium()
            browser = playwright.chromium.launch(**launch)
            context = browser.new_context()
            checkout = context.new_page()
            messenger = context.new_page()
            if platform is None:
                facebook_log_in(checkout, base)
                messenger.goto(base + "/messenger")
            else:
                stand_in_for_facebook(context, platform, "24681357900", app.config["MESSENGER_APP_ID"])
                messenger.goto(base + "/healthz")
            receipts = messenger.locator("section.receipt")
            if platform is None:
                messenger.evaluate(NOTE_RECEIPTS)

            for _ in range(orders):
                shown = receipts.count() if platform is None else len(platform.sent)
                checkout.bring_to_front()  # like a person clicking in that window
                fill_facebook_checkout(checkout, base, variant_id, opt_in=platform is None)
                if platform is not None:
                    checkout.get_by_label("Email").fill("alex@example.com")
                    checkout.get_by_role("checkbox", name="Send to Messenger").check()
                if platform is None:
                    checkout.evaluate(NOTE_CLICK)
                started = time.perf_counter()
                with checkout.expect_response(lambda r: r.request.method == "POST", timeout=15000):
                    checkout.get_by_role("button", name="Place order").click()
                answered = time.perf_counter()  # the checkout's answer: the order is committed
                if platform is None:
                    expect(receipts.nth(shown)).to_be_visible(timeout=15000)
                else:
                    wait_for_receipt(checkout, platform, shown)
                latencies.append(time.perf_counter() - started)
                after_commit.append(time.perf_counter() - answered)
                if platform is None:
                    clicked = float(checkout.evaluate("() => localStorage.getItem('placeOrderClickedAt')"))
                    in_browser.append((messenger.evaluate("(i) => window.receiptShownAt[i]", shown) - clicked) / 1000)
                expect(checkout.get_by_role("heading", name="Order #")).to_be_visible(timeout=15000)
                placed.append(time.perf_counter() - started)

            if platform is None:
                stream_open = messenger.locator("[sse-connect][data-live=open]").count() == 1
                merchant = browser.new_context().new_page()
                admin_sign_in(merchant, base)
                with app.app_context():
                    conversation_id = db.session.scalars(db.select(Conversation.id)).one()
                merchant.goto(f"{base}/admin/inbox/{conversation_id}")
                for number in range(replies):
                    text = f"Thanks for order {number}: it ships tomorrow."
                    merchant.get_by_label("Reply", exact=True).fill(text)
                    messenger.bring_to_front()
                    started = time.perf_counter()
                    merchant.get_by_role("button", name="Reply").click()
                    expect(messenger.get_by_text(text)).to_be_visible(timeout=15000)
                    reply_times.append(time.perf_counter() - started)
                    expect(merchant.get_by_label("Reply", exact=True)).to_have_value("")

            for _ in range(orders):  # the trivial round trip, from the same browser
                healthz.append(messenger.evaluate(
                    "async (url) => { const t = performance.now(); const r = await fetch(url, {cache: 'no-store'});"
                    " await r.text(); return (performance.now() - t) / 1000; }", base + "/healthz"))
            browser.close()
    finally:
        stop_worker.set()
        server.shutdown()
        if platform is not None:
            platform.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    return {"latencies": latencies, "in_browser": in_browser, "after_commit": after_commit, "placed": placed,
            "replies": reply_times,
            "healthz": healthz, "stream_open": stream_open, "poll": poll, "graph": platform is not None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=20)
    parser.add_argument("--replies", type=int, default=20)
    parser.add_argument("--poll", type=float, default=None,
                        help="the worker's safety poll in seconds (default: WORKER_POLL_SECONDS, as `make run`)")
    parser.add_argument("--transport", choices=("local", "graph"), default="local")
    args = parser.parse_args()

    measured = measure(args.orders, args.replies, args.poll, args.transport)
    latencies, after_commit, placed = measured["latencies"], measured["after_commit"], measured["placed"]
    replies, healthz, poll = measured["replies"], measured["healthz"], measured["poll"]
    stream_open, platform = measured["stream_open"], measured["graph"] or None
    median = statistics.median(latencies)
    p90 = percentile(latencies, 0.9)
    trivial = statistics.median(healthz)
    if platform is None:
        print(f"orders: {len(latencies)}  worker: woken by the commit (safety poll {poll:.2f}s)  "
              f"Messenger: server-sent events ({'open' if stream_open else 'NOT open: it polled'})")
        what = "receipt card on screen"
    else:
        print(f"orders: {len(latencies)}  worker poll: {poll:.2f}s  transport: graph (fake Platform)")
        what = "receipt accepted by the Send API"
    print(f"Place order -> {what}: median {median * 1000:.0f} ms, p90 {p90 * 1000:.0f} ms "
          f"(min {min(latencies) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms)")
    if replies:
        print(f"inbox Reply -> reply on the shopper's screen: median {statistics.median(replies) * 1000:.0f} ms, "
              f"p90 {percentile(replies, 0.9) * 1000:.0f} ms (min {min(replies) * 1000:.0f} ms, "
              f"max {max(replies) * 1000:.0f} ms) over {len(replies)} replies")
    if measured["in_browser"]:
        in_browser = measured["in_browser"]
        print(f"the same by the browser's clocks (the form's submit event -> the receipt in the page): median "
              f"{statistics.median(in_browser) * 1000:.0f} ms, max {max(in_browser) * 1000:.0f} ms")
    print(f"of which from the checkout's answer (the order committed) to the receipt: median "
          f"{statistics.median(after_commit) * 1000:.0f} ms, max {max(after_commit) * 1000:.0f} ms")
    print(f"(Place order until the order status page shows: median {statistics.median(placed) * 1000:.0f} ms)")
    print(f"/healthz round trip: median {trivial * 1000:.1f} ms")
    print(f"ratio (median / healthz median): {median / trivial:.0f}x")


if __name__ == "__main__":
    main()

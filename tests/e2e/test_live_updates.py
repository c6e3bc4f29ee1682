"""Issue 12, goal 3: the shopper's Messenger hears of new messages by its stream, costs no request
while nothing happens, and falls back to asking every 2 seconds where the stream can't connect."""
from __future__ import annotations

from playwright.sync_api import Page, expect

from pageshop import clock
from pageshop.extensions import db
from pageshop.inbox import reply
from pageshop.messenger.chat import send_message
from pageshop.messenger.conversations import open_conversation
from pageshop.models import FacebookAccount, Store
from tests.e2e.driver import facebook_log_in

ARRIVES = 20_000  # ms: that it arrives by the stream; how fast is bench/messenger_latency.py's
IDLE_MS = 3000


def settled(page: Page, state: str) -> None:
    """The page's stream is `state` ("open" or "polling") and no request of htmx is on its way."""
    expect(page.locator(f"[sse-connect][data-live={state}]")).to_have_count(1, timeout=5000)
    expect(page.locator(".htmx-request")).to_have_count(0)


def test_an_idle_messenger_page_makes_no_request_and_a_reply_arrives_by_its_stream(page: Page, shop, app):
    alex = db.session.scalars(db.select(FacebookAccount).filter_by(email="alex@example.com")).one()
    store = db.session.scalars(db.select(Store)).one()
    send_message(alex, store, "Do you ship to Canada?")
    db.session.commit()

    facebook_log_in(page, shop.base)
    page.get_by_role("link", name="Messenger").click()
    expect(page.get_by_text("Do you ship to Canada?")).to_be_visible()
    settled(page, "open")

    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.wait_for_timeout(IDLE_MS)  # a count over a few seconds, not a timing
    assert requests == []

    # The merchant answers from the inbox: the stream says so, the page asks for it once.
    reply(open_conversation(store.messenger_page, alex), "Yes, we ship to Canada.", clock.now())
    expect(page.get_by_text("Yes, we ship to Canada.")).to_be_visible(timeout=ARRIVES)
    assert [url for url in requests if "/messenger" in url] == [shop.url("/messenger?after=1")]


def test_without_its_stream_the_messenger_page_polls(page: Page, shop, app):
    alex = db.session.scalars(db.select(FacebookAccount).filter_by(email="alex@example.com")).one()
    store = db.session.scalars(db.select(Store)).one()
    send_message(alex, store, "Do you ship to Canada?")
    db.session.commit()
    # The stream fails (a proxy that refuses it, a server that can't hold it).
    page.route("**/messenger/live", lambda route: route.fulfill(status=503, body="Unavailable"))

    facebook_log_in(page, shop.base)
    page.get_by_role("link", name="Messenger").click()
    settled(page, "polling")

    reply(open_conversation(store.messenger_page, alex), "Yes, we ship to Canada.", clock.now())
    expect(page.get_by_text("Yes, we ship to Canada.")).to_be_visible()  # at the next poll

"""End-to-end fixtures: the app served by a real HTTP server in a thread, the delivery worker beside
it, and Chromium (the system's where present). Every test here is marked `e2e`, so that
`pytest -m "not e2e"` is the fast loop."""
from __future__ import annotations

import functools
import os
import re
import shutil
import threading
from pathlib import Path

import playwright
import pytest
from playwright.sync_api import Browser, Locator, expect
from werkzeug.serving import make_server

from pageshop import live
from pageshop.config import Config
from pageshop.worker import start_worker_thread
from tests.e2e.accessibility import Scanner

HERE = Path(__file__).parent
# What a test waits for appears within moments on a quiet machine; the whole suite runs several
# browsers at once on two cores, where a page can take seconds, and a page is left only after its
# axe scan (up to 15 s, tests/e2e/accessibility.py). Timing goals are bench/'s.
expect.set_options(timeout=20_000)


# A person acts on a page they see loaded; Playwright acts as soon as the element is in the document,
# which on a busy machine can be before the page's deferred scripts (htmx) have run: the click then
# does what it does without JavaScript (tested on its own: tests/e2e/test_shop_and_cart.py), not
# what the journey means to test. So each action first waits for the page's DOMContentLoaded, which
# comes after its deferred scripts (at once when the page has it already).
ACTIONS = ("click", "dblclick", "tap", "hover", "fill", "clear", "press", "press_sequentially", "type",
           "check", "uncheck", "set_checked", "select_option", "set_input_files")


def _once_the_page_has_loaded(action):
    @functools.wraps(action)
    def act(locator: Locator, *args, **kwargs):
        locator.page.wait_for_load_state("domcontentloaded")
        return action(locator, *args, **kwargs)
    return act


for _name in ACTIONS:
    setattr(Locator, _name, _once_the_page_has_loaded(getattr(Locator, _name)))


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items):
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.e2e)


def _system_chromium() -> str | None:
    for candidate in (os.environ.get("CHROMIUM_PATH"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


# Each browser context opens a window, and Chromium preloads the address bar's WebUI popups into
# every window, in renderers of their own, which a headless browser never shows: an eighth of the
# browser's CPU in the journeys (e2e on SQLite, two runs each: Chromium 339-345 -> 292-306
# CPU-seconds, 226-228 -> 204-214 s).
UNSHOWN_FEATURES = ["WebUIOmniboxPopup", "WebUIOmniboxAimPopup"]


def _playwrights_disabled_features() -> list[str] | None:
    """The features Playwright launches Chromium without: a second --disable-features replaces the
    first, so ours must repeat them. None when its bundle no longer reads as expected."""
    bundle = Path(playwright.__file__).parent / "driver" / "package" / "lib" / "coreBundle.js"
    try:
        found = re.search(r"disabledFeatures = \[(.*?)\]", bundle.read_text(), re.S)
    except OSError:
        return None
    return re.findall(r'"(\w+)"', found.group(1)) if found else None


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    args = dict(browser_type_launch_args)
    switches = list(args.get("args", []))
    chromium = _system_chromium()
    if chromium:
        args["executable_path"] = chromium
        switches += [
            "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync",
            # Shopper and merchant pages are open at once: keep the one in the background live.
            "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
            "--disable-backgrounding-occluded-windows",
        ]
    playwrights = _playwrights_disabled_features()
    if playwrights is not None:  # else Playwright's own list stays, and the popups with it
        switches.append("--disable-features=" + ",".join(playwrights + UNSHOWN_FEATURES))
    args["args"] = switches
    return args


class LiveServer:
    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        app.config["PUBLIC_URL"] = self.base  # links in messages and e-mails point at this server
        app.config["LIVE_STREAM_SECONDS"] = Config.LIVE_STREAM_SECONDS  # as in production
        # Polled for shutdown every 20 ms (the default, half a second, was each test's last wait).
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)

    def url(self, path: str = "/") -> str:
        return self.base + path

    def start(self):
        self.thread.start()
        self.worker_thread, self.worker_stop = start_worker_thread(self.app, poll_seconds=0.1)

    def stop(self):
        self.worker_stop.set()
        live.close(self.app)  # open streams end, so that the server's threads do
        self.server.shutdown()
        self.worker_thread.join(timeout=5)


@pytest.fixture
def live_server(app):
    """The app on a real port, with message delivery running (as `make run` does)."""
    server = LiveServer(app)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def shop(store, live_server):
    """The demo-like shop, served."""
    return live_server


# --- accessibility: axe scans every page of every journey (tests/e2e/accessibility.py) ----------


@pytest.fixture(autouse=True)
def axe(monkeypatch):
    """Every browser context a test opens (pytest-playwright's `page` or `browser.new_context()`)
    gets its pages scanned; the violations fail the test (see pytest_runtest_call below)."""
    scanner = Scanner()
    new_context = Browser.new_context

    def watched_new_context(browser, *args, **kwargs):
        context = new_context(browser, *args, **kwargs)
        scanner.watch_context(context)
        return context

    monkeypatch.setattr(Browser, "new_context", watched_new_context)
    return scanner


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    result = yield
    scanner = item.funcargs.get("axe")
    if scanner is not None:
        scanner.finish()
        failure = scanner.failure()
        if failure:
            pytest.fail(failure, pytrace=False)
    return result

"""axe-core in every end-to-end journey: each page a browser shows is scanned against WCAG 2.0 and
2.1 (A and AA) and axe's best practices, when it has loaded, after every htmx swap, and once more in
its final state when the test ends; any violation fails the test. A page is left (its navigation
request held) only once its scan is done.

axe is tests/e2e/axe/axe.min.js (the axe-core npm package, see tests/e2e/axe/README.md), put into
the page with `page.evaluate`: DevTools' evaluation is not bound by the app's Content-Security-Policy,
a <script> tag would be. `scan(page)` scans at a moment the events don't catch (a <dialog> opened).
Set AXE_REPORT=<file> to also append every violation found to that file (JSON lines), for counting.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import BrowserContext, Error, Page, Request, Route

AXE_SOURCE = (Path(__file__).with_name("axe") / "axe.min.js").read_text()
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]

# Runs in the page: waits for running CSS transitions (a colour half-way is no colour at all), then
# axe; returns what each violation is and where.
RUN_AXE = """async (tags) => {
  const settled = Promise.all(document.getAnimations().map((a) => a.finished.catch(() => null)));
  await Promise.race([settled, new Promise((resolve) => setTimeout(resolve, 2000))]);
  const results = await window.axe.run(document, {runOnly: {type: "tag", values: tags}});
  return results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => ({target: n.target.join(" "), summary: n.failureSummary, html: n.html})),
  }));
}"""

# After each htmx swap has settled the page asks for a scan (through the binding below).
WATCH_SWAPS = """() => {
  if (window.__axeWatching) return;
  window.__axeWatching = true;
  document.addEventListener("htmx:afterSettle", () => window.__axeSwapped && window.__axeSwapped());
}"""

# Errors that only mean the page moved on (or closed) while it was being scanned.
GONE = ("Execution context was destroyed", "has been closed", "Target closed", "navigat",
        "Cannot find context", "detached", "Most likely the page has been closed")


@dataclass
class Violation:
    url: str
    rule: str
    impact: str
    help: str
    target: str
    summary: str
    html: str

    def __str__(self) -> str:
        return f"{self.url}  [{self.impact}] {self.rule}: {self.help}\n    at {self.target}: {self.html[:160]}\n    {self.summary}"


@dataclass
class PageState:
    busy: bool = False
    again: bool = False


@dataclass
class Scanner:
    """Scans the pages of the contexts it watches and keeps what it found."""

    violations: list[Violation] = field(default_factory=list)
    pages: dict = field(default_factory=dict)  # Page -> PageState
    scans: int = 0

    def watch_context(self, context: BrowserContext) -> None:
        context.expose_binding("__axeSwapped", lambda source: self.scan_soon(source["page"]))
        context.route(lambda url: True, self.hold_navigation)
        context.on("page", self.watch_page)
        for page in context.pages:
            self.watch_page(page)

    def watch_page(self, page: Page) -> None:
        if page in self.pages:
            return
        self.pages[page] = PageState()
        page.on("load", lambda: self.scan_soon(page))

    def scan_soon(self, page: Page) -> None:
        """A scan from an event: one at a time per page; a page that moves on while it is scanned
        is scanned again once it has loaded."""
        state = self.pages.setdefault(page, PageState())
        if state.busy:
            state.again = True
            return
        state.busy = True
        try:
            while True:
                state.again = False
                try:
                    self.scan(page)
                except Error as exc:
                    if not any(words in str(exc) for words in GONE):
                        raise
                if not state.again or page.is_closed():
                    break
        finally:
            state.busy = False

    def hold_navigation(self, route: Route, request: Request) -> None:
        """A page leaves only once its scan is done (a click on a link right after the page loaded
        would otherwise end the scan half-way)."""
        frame = request.frame if request.is_navigation_request() else None
        if frame is not None and frame.parent_frame is None:
            self.wait(frame.page)
        route.fallback()

    def wait(self, page: Page) -> None:
        state = self.pages.get(page)
        for _ in range(200):  # at most 10 s
            if state is None or not state.busy or page.is_closed():
                return
            page.wait_for_timeout(50)

    def scan(self, page: Page) -> list[Violation]:
        """Scan the page as it is now; returns (and keeps) its violations."""
        if page.evaluate("typeof window.axe") == "undefined":
            page.evaluate(AXE_SOURCE + "\n;true")
        page.evaluate(WATCH_SWAPS)
        url = page.url
        found = [
            Violation(_path(url), v["id"], v["impact"] or "", v["help"], node["target"], node["summary"],
                      node["html"])
            for v in page.evaluate(RUN_AXE, TAGS) for node in v["nodes"]
        ]
        self.scans += 1
        self.violations.extend(found)
        _report(found)
        return found

    def finish(self) -> None:
        """The test has ended: let scans under way finish, then scan each open page as it ends."""
        for page in list(self.pages):
            if page.is_closed():
                continue
            self.wait(page)
            self.scan(page)

    def failure(self) -> str | None:
        unique = {(v.url, v.rule, v.target): v for v in self.violations}
        if not unique:
            return None
        lines = [str(v) for v in unique.values()]
        return f"axe found {len(unique)} accessibility violation(s):\n" + "\n".join(lines)


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _report(found: list[Violation]) -> None:
    report = os.environ.get("AXE_REPORT")
    if not report or not found:
        return
    test = os.environ.get("PYTEST_CURRENT_TEST", "").split(" ")[0]
    with open(report, "a") as out:
        for v in found:
            out.write(json.dumps({"test": test, "url": v.url, "rule": v.rule, "impact": v.impact,
                                  "target": v.target}) + "\n")

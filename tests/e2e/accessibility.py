"""axe-core in every end-to-end journey: each page a browser shows is scanned against WCAG 2.0 and
2.1 (A and AA) and axe's best practices when it has loaded, after every htmx swap and when a dialog
opens, and once more in its final state when the test ends; any violation fails the test.

axe (tests/e2e/axe/axe.min.js, the axe-core npm package, see tests/e2e/axe/README.md) and a small
runner go into every document of the browser contexts a test opens, as Playwright init scripts:
DevTools puts them in, so the app's Content-Security-Policy doesn't apply to them (a <script> tag
would be refused). The runner scans in the page and reports through a binding; a page is left (its
navigation request held) only once its scan is done, so a journey that clicks on at once is scanned
too. `Scanner.scan(page)` scans on demand. Set AXE_REPORT=<file> to append every violation found to
that file (JSON lines), for counting.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import BrowserContext, Page, Request, Route
from playwright.sync_api import Error as PlaywrightError

AXE_SOURCE = (Path(__file__).with_name("axe") / "axe.min.js").read_text()
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]

# In each top-level document: scan on load, after each htmx swap has settled and when a <dialog> or
# <details> opens or closes; one scan at a time (a change during one asks for another). Running CSS
# transitions are waited for first: a colour half-way is no colour at all.
RUNNER = """(() => {
  if (window.top !== window || window.__axeScan) return;
  const tags = %s;
  let running = null, again = false;
  async function scanOnce() {
    const settled = Promise.all(document.getAnimations().map((a) => a.finished.catch(() => null)));
    await Promise.race([settled, new Promise((resolve) => setTimeout(resolve, 2000))]);
    const results = await window.axe.run(document, {runOnly: {type: "tag", values: tags},
                                                    resultTypes: ["violations"]});
    return results.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map((n) => ({target: n.target.join(" "), summary: n.failureSummary, html: n.html})),
    }));
  }
  // The same document in the same state (a poll that swapped in what was there) is not scanned
  // again: its violations were reported already.
  let scanned = null;
  const state = () => location.href + " " + document.documentElement.outerHTML;
  async function scan(force) {
    if (running) { again = true; return running; }
    if (!force && scanned === state()) return [];
    window.__axeReport({busy: true});
    running = (async () => {
      let violations = [];
      try {
        do {
          again = false; const before = state(); violations = await scanOnce(); scanned = before;
          window.__axeReport({busy: true, url: location.href, violations});
        }
        while (again);
      } catch (error) {
        window.__axeReport({busy: true, url: location.href, error: String(error)});
      } finally {
        running = null;
        window.__axeReport({busy: false});
      }
      return violations;
    })();
    return running;
  }
  window.__axeScan = async () => { if (running) await running; return scan(true); };
  const changed = () => { scan(); };
  window.addEventListener("load", changed);
  document.addEventListener("htmx:afterSettle", changed);
  document.addEventListener("toggle", changed, true);
})();""" % json.dumps(TAGS)


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
        return (f"{self.url}  [{self.impact}] {self.rule}: {self.help}\n    at {self.target}: "
                f"{self.html[:160]}\n    {self.summary}")


@dataclass
class Scanner:
    """Watches the browser contexts of one test and keeps what their scans found."""

    violations: list[Violation] = field(default_factory=list)
    busy: dict = field(default_factory=dict)  # Page -> a scan is under way in it
    pages: list = field(default_factory=list)
    scans: int = 0

    def watch_context(self, context: BrowserContext) -> None:
        context.expose_binding("__axeReport", self.report)
        context.add_init_script(AXE_SOURCE)
        context.add_init_script(RUNNER)
        # Only documents are held; static files (matched by the browser, not here) go straight on.
        context.route(re.compile(r"^(?!.*/static/).*"), self.hold_navigation)
        context.on("page", lambda page: self.pages.append(page))

    def report(self, source: dict, message: dict) -> None:
        page = source["page"]
        self.busy[page] = message["busy"]
        if "error" in message:
            self._keep_error(message["url"], message["error"])
        elif "violations" in message:
            self._keep(message["url"], message["violations"])

    def _keep(self, url: str, violations: list[dict]) -> list[Violation]:
        found = [Violation(_path(url), v["id"], v["impact"] or "", v["help"], node["target"],
                           node["summary"], node["html"])
                 for v in violations for node in v["nodes"]]
        self.scans += 1
        self.violations.extend(found)
        _report(found)
        return found

    def _keep_error(self, url: str, error: str) -> None:
        """A scan that failed is a finding too: the page went unchecked."""
        self._keep(url, [{"id": "axe-error", "impact": "error", "help": error,
                          "nodes": [{"target": "", "summary": "", "html": ""}]}])

    def hold_navigation(self, route: Route, request: Request) -> None:
        """A page is left only once its scan is done (a click right after the page loaded would
        otherwise end the scan half-way)."""
        frame = request.frame if request.is_navigation_request() else None
        if frame is not None and frame.parent_frame is None:
            self.wait(frame.page)
        route.fallback()

    def wait(self, page: Page) -> None:
        for _ in range(300):  # at most 15 s
            if not self.busy.get(page) or page.is_closed():
                return
            try:
                page.wait_for_timeout(50)
            except PlaywrightError:
                if page.is_closed():
                    return  # closed while it was scanned: nothing left to hold
                raise

    def scan(self, page: Page) -> list[Violation]:
        """Scan the page as it is now (after a scan under way); returns its violations."""
        before = len(self.violations)
        finished = page.evaluate("""() => Promise.race([
            window.__axeScan().then(() => true),
            new Promise((resolve) => setTimeout(() => resolve(false), 30000))])""")
        if not finished:  # a failure to see, not a test that waits for ever
            self._keep_error(page.url, "the scan did not end within 30 s")
        self.wait(page)
        return self.violations[before:]

    def finish(self) -> None:
        """The test has ended: each page still open is scanned as it ends."""
        for page in self.pages:
            if not page.is_closed():
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

"""The axe scan that runs in every journey (tests/e2e/accessibility.py) sees a violation when a page
loads and when a swap changes the page, and doesn't scan a page again that didn't change."""
from playwright.sync_api import Page

PAGE = """<!doctype html><html lang="en"><head><title>Scan</title></head>
<body><main><h1>Scan</h1><img src="data:,"></main></body></html>"""


def _rules(axe) -> set[str]:
    return {violation.rule for violation in axe.violations}


def test_the_scan_sees_violations_on_load_and_after_a_swap_and_skips_an_unchanged_page(page: Page, axe):
    page.route("http://scan.test/", lambda route: route.fulfill(content_type="text/html", body=PAGE))
    page.goto("http://scan.test/")
    for _ in range(200):  # the scan on load runs in the page; wait for its report
        if axe.violations:
            break
        page.wait_for_timeout(50)
    assert _rules(axe) == {"image-alt"}

    axe.violations.clear()
    page.evaluate("""() => {
        document.querySelector("main").insertAdjacentHTML("beforeend", "<button></button>");
        document.dispatchEvent(new Event("htmx:afterSettle"));
    }""")
    for _ in range(200):
        if axe.violations:
            break
        page.wait_for_timeout(50)
    assert "button-name" in _rules(axe)

    scans = axe.scans
    page.evaluate("() => document.dispatchEvent(new Event('htmx:afterSettle'))")
    page.wait_for_timeout(300)
    assert axe.scans == scans  # the same page in the same state is not scanned twice

    axe.violations.clear()  # what this test planted is not a finding of the suite
    page.evaluate("() => document.querySelectorAll('img, button').forEach((node) => node.remove())")

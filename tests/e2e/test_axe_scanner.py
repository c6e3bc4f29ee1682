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


TOKENED = """<!doctype html><html lang="en"><head><title>Known</title>
<meta name="csrf-token" content="%s"></head>
<body><main><h1>Known</h1><a href="/orders/%s"></a></main></body></html>"""


def test_a_state_scanned_before_reports_its_violations_again_without_a_scan(browser, axe):
    """The same page with other random tokens (another test's rendering) is known: its violation is
    reported again; at another viewport it is scanned anew."""
    def open_page(context, token: str) -> None:
        page = context.new_page()
        page.route("http://known.test/", lambda route: route.fulfill(
            content_type="text/html", body=TOKENED % (f"IjA{token}Zk.aB3{token}", f"{token}x9Qz")))
        page.goto("http://known.test/")
        for _ in range(200):
            if axe.violations and not axe.busy.get(page):
                break
            page.wait_for_timeout(50)
        page.close()

    first = browser.new_context(viewport={"width": 1280, "height": 900})
    open_page(first, "c2VjcmV0LXRva2VuLW9uZQ")
    assert _rules(axe) == {"link-name"} and axe.known == 0

    axe.violations.clear()
    open_page(first, "YW5vdGhlci10b2tlbi10d28")
    assert _rules(axe) == {"link-name"} and axe.known == 1  # reported, from the first scan

    axe.violations.clear()
    phone = browser.new_context(viewport={"width": 390, "height": 844})
    open_page(phone, "dGhpcmQtdG9rZW4tdGhyZWU")
    assert _rules(axe) == {"link-name"} and axe.known == 1  # scanned: another viewport
    axe.violations.clear()  # what this test planted is not a finding of the suite
    first.close()
    phone.close()

"""Issue 10, item 4, in a real browser: under the strict Content-Security-Policy the pages a shopper
and a merchant use run without a single violation (no inline script, handler, style or eval left),
htmx still swaps, and the data's colours are still painted."""
from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.driver import admin_sign_in, buy_with_facebook_checkout, facebook_log_in, order_id

WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__violations.push(event.violatedDirective + " " + (event.blockedURI || "inline") + " at " +
                           event.sourceFile + ":" + event.lineNumber);
});
"""


def watch(page: Page) -> list[str]:
    """Violations the browser reports, in the page (securitypolicyviolation) and on its console."""
    console: list[str] = []
    page.add_init_script(WATCH)
    page.on("console", lambda message: console.append(message.text)
            if "Content Security Policy" in message.text else None)
    return console


def violations(page: Page, console: list[str]) -> list[str]:
    return console + page.evaluate("window.__violations")


def test_a_shopper_and_a_merchant_meet_no_policy_violation(page: Page, shop, make_product):
    scarf = make_product("Wool Scarf", stock=5)
    console = watch(page)
    seen = []

    page.goto(shop.url("/"))
    # The Page's picture gets its colour from the data, set by static/js/colors.js.
    avatar = page.locator(".page-header .avatar").first
    colour = avatar.get_attribute("data-background").lstrip("#")
    red, green, blue = (int(colour[i:i + 2], 16) for i in (0, 2, 4))
    expect(avatar).to_have_css("background-color", f"rgb({red}, {green}, {blue})")
    seen += violations(page, console)

    facebook_log_in(page, shop.base, next_path="/shop")
    page.get_by_role("searchbox").fill("scarf")  # htmx swaps the results as one types
    expect(page.get_by_role("link", name="Wool Scarf").first).to_be_visible()
    seen += violations(page, console)
    buy_with_facebook_checkout(page, shop.base, scarf.variants[0].id)
    seen += violations(page, console)
    page.goto(shop.url("/messenger"))
    expect(page.get_by_text("Order #1001").first).to_be_visible()
    seen += violations(page, console)

    admin_sign_in(page, shop.base)
    for path in ("/admin/orders", f"/admin/orders/{order_id(1001)}", "/admin/inbox", "/admin/products",
                 "/admin/messenger/customizations", "/admin/channels"):
        page.goto(shop.url(path))
        expect(page.get_by_role("main")).to_be_visible()
        seen += violations(page, console)
    page.get_by_role("link", name="Orders").first.click()
    page.get_by_role("searchbox").fill("1001")  # htmx again, in the admin
    expect(page.get_by_role("link", name="#1001")).to_be_visible()
    seen += violations(page, console)

    assert seen == []

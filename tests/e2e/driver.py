"""What a shopper and a merchant do in the browser, step by step, shared by the end-to-end tests and
the benchmarks. Each step takes a Playwright page and the base URL of the running shop."""
from __future__ import annotations

from playwright.sync_api import Page, expect

PASSWORD = "pageshop-demo"  # every demo account's


def facebook_log_in(page: Page, base: str, email: str = "alex@example.com",
                    next_path: str = "/messenger") -> None:
    page.goto(f"{base}/facebook/login?next={next_path}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def admin_sign_in(page: Page, base: str, email: str = "merchant@example.com") -> None:
    page.goto(f"{base}/admin/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def fill_facebook_checkout(page: Page, base: str, variant_id: int, opt_in: bool = True) -> None:
    """The Facebook checkout of one item, filled in up to "Place order" (a US address)."""
    page.goto(f"{base}/checkout?variant={variant_id}&quantity=1")
    page.get_by_label("First name").fill("Alex")
    page.get_by_label("Last name").fill("Rivera")
    page.get_by_label("Address").fill("1 Main St")
    page.get_by_label("City").fill("Springfield")
    page.get_by_label("State / region").fill("IL")
    page.get_by_label("Postal code").fill("62701")
    page.get_by_label("Country").select_option(label="United States")
    page.get_by_label("Card number").fill("1")
    if opt_in:
        page.get_by_role("checkbox", name="Send order updates to Messenger").check()


def place_order(page: Page, timeout: float | None = None) -> None:
    """Click "Place order" and wait for the order status page (`timeout` in ms, Playwright's default)."""
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_role("heading", name="Order #")).to_be_visible(timeout=timeout)


def buy_with_facebook_checkout(page: Page, base: str, variant_id: int, opt_in: bool = True) -> None:
    fill_facebook_checkout(page, base, variant_id, opt_in)
    place_order(page)

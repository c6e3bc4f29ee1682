"""What a shopper and a merchant do in the browser, step by step, shared by the end-to-end tests and
the benchmarks. Each step takes a Playwright page and the base URL of the running shop."""
from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Error, Page, expect

PASSWORD = "pageshop-demo"  # every demo account's


def facebook_log_in(page: Page, base: str, email: str = "alex@example.com",
                    next_path: str = "/messenger") -> None:
    page.goto(f"{base}/facebook/login?next={next_path}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def admin_sign_in(page: Page, base: str, email: str = "merchant@example.com") -> None:
    try:
        page.goto(f"{base}/admin/sign-in")
    except Error as error:
        # An admin page whose session has ended (its live stream or poll told it so) goes to the
        # sign-in page by itself, and may cut this navigation off: let it land, then go again.
        if "ERR_ABORTED" not in str(error):
            raise
        page.wait_for_load_state()
        page.goto(f"{base}/admin/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def fill_address(page: Page, country: str = "United States") -> None:
    """Alex's shipping address (in `country`) and the test gateway's approved card, on a checkout."""
    page.get_by_label("First name").fill("Alex")
    page.get_by_label("Last name").fill("Rivera")
    page.get_by_label("Address").fill("1 Main St")
    page.get_by_label("City").fill("Springfield")
    page.get_by_label("State / region").fill("IL")
    page.get_by_label("Postal code").fill("62701")
    page.get_by_label("Country").select_option(label=country)
    page.get_by_label("Card number").fill("1")


def fill_facebook_checkout(page: Page, base: str, variant_id: int, opt_in: bool = True) -> None:
    """The Facebook checkout of one item, filled in up to "Place order" (a US address)."""
    page.goto(f"{base}/checkout?variant={variant_id}&quantity=1")
    fill_address(page)
    if opt_in:
        page.get_by_role("checkbox", name="Send order updates to Messenger").check()


def place_order(page: Page, timeout: float | None = None) -> None:
    """Click "Place order" and wait for the order status page (`timeout` in ms, Playwright's default)."""
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_role("heading", name="Order #")).to_be_visible(timeout=timeout)


def buy_with_facebook_checkout(page: Page, base: str, variant_id: int, opt_in: bool = True) -> None:
    fill_facebook_checkout(page, base, variant_id, opt_in)
    place_order(page)


def order_id(number: int) -> int:
    """The database id of order #number (the admin's order URLs use it)."""
    from pageshop.extensions import db
    from pageshop.models import Order

    db.session.rollback()  # see what the server committed
    return db.session.scalars(db.select(Order.id).filter_by(number=number)).one()


def fulfil(merchant: Page, base: str, number: int, tracking: str) -> None:
    """The merchant fulfils order #number with UPS and a tracking number."""
    merchant.goto(f"{base}/admin/orders/{order_id(number)}")
    merchant.get_by_label("Carrier").fill("UPS")
    merchant.get_by_label("Tracking number").fill(tracking)
    merchant.get_by_role("button", name="Fulfill").click()
    expect(merchant.get_by_text(f"tracking number {tracking}").first).to_be_visible()


def confirm(page: Page, question: str, answer: str) -> None:
    """A dialog that asks before what can't be undone (templates/_confirm.html): answer it."""
    dialog = page.get_by_role("dialog", name=question)
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name=answer, exact=True).click()
    expect(dialog).to_be_hidden()


def customize(merchant: Page, base: str, event: str, text: str, note: str) -> None:
    """The merchant saves their own text and promotional note for one kind of order update (A7)."""
    merchant.goto(f"{base}/admin/messenger/customizations?event={event}")
    merchant.get_by_label("Message text").fill(text)
    merchant.get_by_label("Promotional note").fill(note)
    merchant.get_by_role("button", name="Save").click()
    expect(merchant.get_by_text(re.compile(r"saved\.$"))).to_be_visible()


FAKE_FACEBOOK_SDK = Path(__file__).with_name("fake_facebook_sdk.js")


def stand_in_for_facebook(context, platform, psid: str, app_id: str) -> list[tuple[str, dict]]:
    """The browser context gets tests/e2e/fake_facebook_sdk.js for Facebook's SDK, and its
    MessengerCheckboxUserConfirmation for this Page and app reaches the fake Platform, which then
    calls the app's webhook as Meta would (the user_ref becomes this PSID's). Returns the events
    the SDK logged, as (name, params)."""
    sdk = FAKE_FACEBOOK_SDK.read_text()
    logged: list[tuple[str, dict]] = []

    def meta(source, name, params):
        logged.append((name, params))
        if (name == "MessengerCheckboxUserConfirmation" and params.get("page_id") == platform.page_id
                and params.get("app_id") == app_id):
            platform.confirm_checkbox(params["user_ref"], psid)

    context.route("https://connect.facebook.net/**",
                  lambda route: route.fulfill(status=200, content_type="application/javascript", body=sdk))
    context.expose_binding("__fakeMeta", meta)
    return logged

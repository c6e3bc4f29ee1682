"""S1: the Page's "Message" button, for visitors logged in or not; with the Messenger channel
removed it says why no conversation can start (item 3 of issue 11). After logging in, Back doesn't
show the log-in form again."""
import re

from playwright.sync_api import Page, expect

from pageshop.extensions import db
from tests.e2e.driver import PASSWORD


def test_message_the_page_through_facebook_log_in(page: Page, shop, store):
    page.goto(shop.url("/"))
    page.get_by_role("link", name="Message", exact=True).click()
    page.get_by_role("main").get_by_role("link", name="Log in to Facebook").click()
    page.get_by_label("Email").fill("alex@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", name="Maple & Thread", exact=True)).to_be_visible()
    page.get_by_label("Message").fill("Hi! Do you ship to Canada?")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("log", name="Conversation")).to_contain_text("Do you ship to Canada?")

    page.go_back()  # the log-in form was here: logged in now, the server moves on
    expect(page).to_have_url(re.compile(r"/messenger$"))
    expect(page.get_by_role("button", name="Log in")).to_have_count(0)

    page.get_by_role("button", name="Log out").click()
    store.messenger_page_id = None  # the merchant removed the Messenger channel
    db.session.commit()
    page.goto(shop.url("/"))
    page.get_by_role("link", name="Message", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(
        "Maple & Thread isn't taking messages right now: it has turned off Messenger, so a new "
        "conversation can't be started.")

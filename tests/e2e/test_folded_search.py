"""Search that forgives (issue 11, item 8): "macrame" finds "Macramé", and "MACRAMÉ" finds it too,
in the Shop tab as one types and in the Messenger chat's "Search products"."""
from playwright.sync_api import Page, expect

from tests.e2e.driver import facebook_log_in


def test_macrame_finds_macrame_in_the_shop_tab_and_in_the_chat(page: Page, shop, make_product):
    make_product(title="Macramé Plant Hanger", price_cents=3400, stock=4)
    make_product(title="Wool Scarf", stock=3)

    page.goto(shop.url("/shop"))
    search = page.get_by_role("searchbox")
    search.fill("macrame")  # htmx swaps the results as one types
    expect(page.get_by_role("link", name="Macramé Plant Hanger").first).to_be_visible()
    expect(page.get_by_role("link", name="Wool Scarf")).to_have_count(0)
    search.fill("MACRAMÉ")
    expect(page.get_by_role("link", name="Macramé Plant Hanger").first).to_be_visible()

    facebook_log_in(page, shop.base)  # to /messenger
    log = page.get_by_role("log", name="Conversation")
    page.get_by_role("button", name="Search products").click()
    expect(log.get_by_text("What are you looking for?")).to_be_visible()
    page.get_by_label("Message").fill("macrame")
    page.get_by_role("button", name="Send").click()
    card = log.get_by_role("article", name="Macramé Plant Hanger")
    expect(card).to_contain_text("$34.00")
    expect(log.get_by_role("article", name="Wool Scarf")).to_have_count(0)

"""S10 in the browser: "Search products" answers the retry it asks for, and a product card's
"Buy Now" says which variant it buys (items 1 and 5 of issue 11); an error under the composer goes
away after the next action."""
from playwright.sync_api import Page, expect

from tests.e2e.driver import facebook_log_in


def test_search_again_after_nothing_matched_then_buy_the_named_variant(page: Page, shop, make_product):
    make_product(title="Wool Scarf", variants=[("Red", 2500, 0), ("Grey", 2700, 3)])
    facebook_log_in(page, shop.base)  # to /messenger
    log = page.get_by_role("log", name="Conversation")
    composer = page.get_by_label("Message")

    composer.fill("x" * 2001)
    page.get_by_role("button", name="Send").click()
    too_long = page.get_by_text("Your message is too long: use at most 2000 characters.")
    expect(too_long).to_be_visible()
    page.get_by_role("button", name="Search products").click()
    expect(log.get_by_text("What are you looking for?")).to_be_visible()
    expect(too_long).to_have_count(0)  # the next action went through: the error is gone

    composer.fill("Schal")
    page.get_by_role("button", name="Send").click()
    expect(log.get_by_text("Nothing matched “Schal”. Send another word, or tap “Stop searching”.")).to_be_visible()
    expect(log.get_by_role("button", name="Stop searching")).to_be_enabled()
    composer.fill("scarf")  # the retry the Page asked for gets its answer
    page.get_by_role("button", name="Send").click()
    card = log.get_by_role("article", name="Wool Scarf")
    expect(card).to_contain_text("Option: Grey")
    expect(card).to_contain_text("$27.00")
    buy = card.get_by_role("link", name="Buy Now")
    expect(buy).to_have_accessible_description("Option: Grey")
    expect(log.get_by_role("button", name="Stop searching")).to_be_disabled()  # answered

    buy.click()
    expect(page.get_by_role("heading", name="Facebook checkout")).to_be_visible()
    expect(page.locator("#order-summary")).to_contain_text("1 × Wool Scarf (Grey)")

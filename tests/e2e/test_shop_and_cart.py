"""A shopper browses the Page's shop, picks a variant and manages the cart (S1-S4)."""
import re

from playwright.sync_api import Page, expect


def test_shopper_finds_a_product_and_manages_the_cart(page: Page, shop, make_product):
    make_product(title="Linen Shirt", variants=[("S / White", 3000, 5), ("M / Blue", 3500, 4)])
    make_product(title="Wool Sweater", price_cents=6000, stock=3)
    make_product(title="Linen Tote", price_cents=1500, stock=8)

    page.goto(shop.url("/"))
    page.get_by_role("link", name="Shop", exact=True).click()
    expect(page).to_have_url(re.compile(r"/shop$"))
    results = page.locator("#shop-results")
    expect(results.get_by_role("link", name="Wool Sweater")).to_be_visible()

    # search as you type narrows the results without leaving the page
    page.evaluate("window.stillTheSamePage = true")
    page.get_by_role("searchbox", name="Search").fill("linen")
    expect(results.get_by_role("link", name="Wool Sweater")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"q=linen"))
    assert page.evaluate("window.stillTheSamePage") is True

    results.get_by_role("link", name="Linen Shirt").click()
    expect(page.get_by_role("heading", name="Linen Shirt")).to_be_visible()
    offer = page.locator("#offer")
    expect(offer).to_contain_text("$30.00")
    page.get_by_label("Options").select_option(label="M / Blue")
    expect(offer).to_contain_text("$35.00")
    cart_link = page.get_by_role("banner").get_by_role("link", name=re.compile(r"^Cart"))
    expect(cart_link).to_have_text("Cart")
    page.get_by_label("Quantity").fill("2")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("status").filter(has_text="Added to your cart")).to_contain_text(
        "Linen Shirt (M / Blue) × 2")
    expect(cart_link).to_have_text("Cart (2)")  # the header counts the items, updated in place

    page.goto(shop.url("/shop?q=tote"))
    page.get_by_role("link", name="Linen Tote").click()
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_text("Added to your cart: Linen Tote × 1")).to_be_visible()
    expect(cart_link).to_have_text("Cart (3)")

    cart_link.click()
    subtotal = page.locator("#cart-subtotal")
    expect(subtotal).to_have_text("$85.00")
    page.evaluate("window.stillTheSamePage = true")
    shirt = page.get_by_role("row").filter(has_text="Linen Shirt")
    shirt.get_by_label("Quantity of Linen Shirt (M / Blue)").fill("3")
    shirt.get_by_label("Quantity of Linen Shirt (M / Blue)").press("Tab")
    expect(subtotal).to_have_text("$120.00")
    expect(cart_link).to_have_text("Cart (4)")

    # more than in stock: a clear message, the cart unchanged
    page.get_by_label("Quantity of Linen Tote").fill("9")
    page.get_by_label("Quantity of Linen Tote").press("Tab")
    expect(page.get_by_text("Only 8 left in stock.")).to_be_visible()
    expect(subtotal).to_have_text("$120.00")

    page.get_by_role("row").filter(has_text="Linen Shirt").get_by_role("button", name="Remove").click()
    expect(page.get_by_role("row").filter(has_text="Linen Shirt")).to_have_count(0)
    expect(subtotal).to_have_text("$15.00")
    expect(cart_link).to_have_text("Cart (1)")
    assert page.evaluate("window.stillTheSamePage") is True
    expect(page.get_by_role("link", name="Checkout")).to_be_visible()


def test_before_its_scripts_run_add_to_cart_and_buy_now_still_lead_to_the_checkout(browser, shop, make_product):
    """A browser whose scripts haven't run (a slow connection, or none at all: here they are never
    sent) posts the product form itself. A first visit's page comes from the cache without the
    visitor's token (its script fetches it): nothing is done until the shopper confirms, and
    nothing they chose is lost. The product page it comes back to says what was added, with the
    way to the checkout, as htmx would have."""
    tote = make_product(title="Linen Tote", price_cents=1500, stock=8)
    context = browser.new_context()
    context.route(re.compile(r"/static/(js|vendor)/"), lambda route: route.abort())
    page = context.new_page()
    page.goto(shop.url("/shop"))
    page.get_by_role("link", name="Linen Tote").click()
    page.get_by_label("Quantity").fill("2")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("heading", name="Confirm to continue")).to_be_visible()
    page.get_by_role("button", name="Send again").click()
    notice = page.get_by_role("status").filter(has_text="Added to your cart")
    expect(notice).to_have_count(1)
    expect(notice).to_contain_text("Linen Tote × 2")
    notice.get_by_role("link", name="Checkout").click()
    expect(page.get_by_role("heading", name="Facebook checkout")).to_be_visible()
    expect(page.get_by_text("$30.00").first).to_be_visible()

    # "Buy Now" from a page rendered for the shopper's session: no confirmation needed.
    page.goto(shop.url(f"/products/{tote.handle}"))
    page.get_by_role("button", name="Buy Now").click()
    expect(page.get_by_role("heading", name="Facebook checkout")).to_be_visible()

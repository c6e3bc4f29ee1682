"""S5: a checkout link to a variant sold out since (a chat card, a bookmark) says so before the
shopper types an address, and leads back to the product (item 9 of issue 11)."""
from playwright.sync_api import Page, expect

from pageshop.extensions import db
from pageshop.models import Variant


def test_a_link_to_a_sold_out_variant_says_so_first(page: Page, shop, make_product):
    shirt = make_product(title="Linen Shirt", variants=[("S / White", 3000, 1), ("M / Blue", 3500, 4)])
    small = shirt.variants[0].id
    db.session.get(Variant, small).stock = 0  # bought by someone else since the link was made
    db.session.commit()

    page.goto(shop.url(f"/checkout?variant={small}&quantity=1&source=messenger"))
    expect(page.get_by_role("alert")).to_contain_text("Linen Shirt (S / White) is sold out.")
    expect(page.get_by_label("Address")).to_have_count(0)
    expect(page.get_by_role("button", name="Place order")).to_have_count(0)
    page.get_by_role("link", name="Back to the product").click()
    expect(page.get_by_role("heading", name="Linen Shirt")).to_be_visible()
    page.get_by_label("Options").select_option(label="M / Blue")
    page.get_by_role("button", name="Buy Now").click()
    expect(page.get_by_label("Address")).to_be_visible()

from playwright.sync_api import Page, expect


def test_shopper_logs_into_facebook_from_the_page(page: Page, shop):
    page.goto(shop.url("/"))
    page.get_by_role("link", name="Log in to Facebook").click()
    page.get_by_label("Email").fill("alex@example.com")
    page.get_by_label("Password").fill("pageshop-demo")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Alex Rivera")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

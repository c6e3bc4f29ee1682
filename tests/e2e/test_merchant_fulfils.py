"""A merchant fulfils an order step by step while the shopper follows it on the order status page."""
import re

from flask import url_for
from playwright.sync_api import Browser, expect

from pageshop.extensions import db
from pageshop.models import FacebookAccount, Order


def test_merchant_fulfils_while_the_shopper_watches(browser: Browser, shop, app, make_order, make_product):
    alex = db.session.scalars(db.select(FacebookAccount).filter_by(email="alex@example.com")).one()
    order = make_order(product=make_product(title="Linen Apron", price_cents=3200), facebook_account=alex)
    with app.test_request_context():
        status_path = url_for("storefront.order_status", token=order.token)

    merchant = browser.new_context().new_page()
    shopper = browser.new_context().new_page()

    shopper.goto(shop.url(status_path))
    expect(shopper.get_by_role("heading", name="Order #1001")).to_be_visible()

    # The merchant signs in and finds the order by its number.
    merchant.goto(shop.url("/admin/"))
    merchant.get_by_label("Email").fill("merchant@example.com")
    merchant.get_by_label("Password").fill("pageshop-demo")
    merchant.get_by_role("button", name="Sign in").click()
    merchant.get_by_role("link", name="Orders", exact=True).click()
    # Then Enter: typing alone searches only once htmx has set the form up, and Playwright can type
    # before that on a busy machine.
    merchant.get_by_label("Search orders").fill("#1001")
    merchant.get_by_label("Search orders").press("Enter")
    expect(merchant).to_have_url(re.compile(r"q=%231001"))
    merchant.get_by_role("link", name="#1001").click()
    expect(merchant.get_by_role("heading", name="Order #1001")).to_be_visible()
    expect(merchant.get_by_text("Linen Apron")).to_be_visible()
    expect(merchant.get_by_role("button", name="Mark as delivered")).to_have_count(0)

    # Fulfil with UPS: the shopper sees the carrier and the tracking link.
    merchant.get_by_label("Carrier").fill("UPS")
    merchant.get_by_label("Tracking number").fill("1Z999AA10123456784")
    merchant.get_by_role("button", name="Fulfill").click()
    expect(merchant.get_by_text("Shipped with UPS, tracking number 1Z999AA10123456784")).to_be_visible()
    expect(merchant.get_by_role("button", name="Fulfill")).to_have_count(0)
    shopper.reload()
    expect(shopper.get_by_role("link", name="1Z999AA10123456784")).to_have_attribute(
        "href", "https://www.ups.com/track?tracknum=1Z999AA10123456784")

    steps = shopper.get_by_role("listitem")
    merchant.get_by_role("button", name="Mark as out for delivery").click()
    expect(merchant.get_by_text("Order #1001 is out for delivery.")).to_be_visible()
    shopper.reload()
    expect(steps.filter(has_text="Out for delivery")).to_have_class(re.compile(r"\bdone\b"))
    expect(steps.filter(has_text="Delivered")).not_to_have_class(re.compile(r"\bdone\b"))

    merchant.get_by_role("button", name="Mark as delivered").click()
    expect(merchant.get_by_text("Order #1001 is delivered.")).to_be_visible()
    expect(merchant.get_by_role("button", name="Mark as delivered")).to_have_count(0)
    shopper.reload()
    expect(steps.filter(has_text="Delivered")).to_have_class(re.compile(r"\bdone\b"))

    # More actions -> View order status page: the admin's view with the Customer section.
    more_actions = merchant.get_by_role("button", name="More actions")
    expect(more_actions).to_have_attribute("aria-expanded", "false")
    expect(merchant.get_by_role("link", name="View order status page")).to_be_hidden()
    more_actions.click()
    expect(more_actions).to_have_attribute("aria-expanded", "true")
    merchant.get_by_role("link", name="View order status page").click()
    expect(merchant.get_by_role("heading", name="Customer")).to_be_visible()
    customer = merchant.locator("section", has=merchant.get_by_role("heading", name="Customer"))
    expect(customer.get_by_text("alex@example.com")).to_be_visible()
    expect(customer.get_by_text("1 Main St")).to_be_visible()

    db.session.rollback()
    order = db.session.get(Order, order.id)
    assert order.fulfillment_status == "delivered"
    assert [event.kind for event in order.events] == ["placed", "fulfilled", "out_for_delivery", "delivered"]
    merchant.context.close()
    shopper.context.close()

"""A8 and S8 in the browser: the shopper writes, the merchant answers from the inbox with a saved
reply; "Contact seller" reaches the merchant's inquiries and the store's support mailbox."""
from datetime import datetime

from playwright.sync_api import Browser, Page, expect

from pageshop import clock
from pageshop.extensions import db
from pageshop.models import FacebookAccount, Inquiry, SavedReply


def sign_in_merchant(page: Page, shop) -> None:
    page.goto(shop.url("/admin/sign-in"))
    page.get_by_label("Email").fill("merchant@example.com")
    page.get_by_label("Password").fill("pageshop-demo")
    page.get_by_role("button", name="Sign in").click()


def test_shopper_writes_and_merchant_answers_live_with_a_saved_reply(browser: Browser, shop, make_order):
    alex = db.session.scalars(db.select(FacebookAccount).filter_by(email="alex@example.com")).one()
    order = make_order(facebook_account=alex)
    db.session.add(SavedReply(title="Thanks for your order",
                              body="Thanks {{ first_name }}! Order {{ order_number }} ships tomorrow."))
    returns = SavedReply(title="Returns", body="You can return it within 30 days.")
    db.session.add(returns)
    db.session.commit()
    returns_id = returns.id
    merchant = browser.new_context().new_page()
    shopper = browser.new_context().new_page()

    sign_in_merchant(merchant, shop)
    merchant.get_by_role("link", name="Inbox").click()
    expect(merchant.get_by_role("heading", name="Inbox")).to_be_visible()

    shopper.goto(shop.url("/facebook/login?next=/messenger"))
    shopper.get_by_label("Email").fill("alex@example.com")
    shopper.get_by_label("Password").fill("pageshop-demo")
    shopper.get_by_role("button", name="Log in").click()
    shopper.get_by_label("Message").fill("Hi! When does my order ship?")
    shopper.get_by_role("button", name="Send").click()

    # The list updates by itself.
    conversation_link = merchant.get_by_role("link", name="Alex Rivera")
    expect(conversation_link).to_contain_text("When does my order ship?")
    expect(conversation_link).to_contain_text("1 unread")
    expect(conversation_link).to_contain_text("Open · 23 h left")
    conversation_link.click()
    expect(merchant.get_by_role("list", name="Messages")).to_contain_text("When does my order ship?")
    expect(merchant.get_by_role("link", name="Alex Rivera")).not_to_contain_text("unread")

    # A second message arrives while the conversation is open.
    shopper.get_by_label("Message").fill("It's order #%d." % order.number)
    shopper.get_by_role("button", name="Send").click()
    expect(merchant.get_by_role("list", name="Messages")).to_contain_text("It's order #1001.")

    reply_box = merchant.get_by_label("Reply", exact=True)
    reply_box.press_sequentially("/tha")
    expect(merchant.get_by_role("button", name="Returns")).to_have_count(0)
    merchant.get_by_role("button", name="Thanks for your order").click()
    expect(reply_box).to_have_value("Thanks Alex! Order #1001 ships tomorrow.")
    reply_box.press_sequentially(" See you!")  # typing goes on at the end
    expect(reply_box).to_have_value("Thanks Alex! Order #1001 ships tomorrow. See you!")
    merchant.get_by_role("button", name="Reply", exact=True).click()

    expect(reply_box).to_have_value("")
    answer = "Thanks Alex! Order #1001 ships tomorrow. See you!"
    expect(merchant.get_by_role("list", name="Messages")).to_contain_text(answer)
    expect(shopper.get_by_role("log", name="Conversation")).to_contain_text(answer)

    # The picker inserts too, once, on "Insert": moving through it with the arrow keys inserts nothing.
    picker = merchant.get_by_label("Saved replies")
    picker.focus()
    for key in ("ArrowDown", "ArrowDown", "ArrowUp"):
        picker.press(key)
    expect(picker).to_have_value(str(returns_id))
    expect(reply_box).to_have_value("")
    insert = merchant.get_by_role("button", name="Insert")
    insert.click()
    expect(reply_box).to_have_value("You can return it within 30 days.")
    expect(picker).to_have_value("")  # ready for the next one
    insert.click()  # again, with nothing chosen: nothing more goes in
    expect(insert).to_be_enabled()
    expect(reply_box).to_have_value("You can return it within 30 days.")


def test_contact_seller_reaches_inquiries_and_the_support_mailbox(page: Page, shop, make_order, smtp_server):
    clock.set_now(datetime(2026, 3, 6, 15, 30))  # a Friday afternoon
    order = make_order(sales_channel="facebook_checkout", email="alex@example.com")

    page.goto(shop.url(f"/orders/{order.token}"))
    page.get_by_role("link", name="Contact seller").click()
    expect(page.get_by_label("Order number")).to_have_value("#1001")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("Write your message to the seller.")).to_be_visible()
    page.get_by_label("Message").fill("Could you ship it gift-wrapped?")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("Your message was sent to Maple & Thread.")).to_be_visible()

    [email] = smtp_server.wait_for(1)
    assert email["To"] == "support@example.com"
    assert email["Reply-To"] == "alex@example.com"
    assert email["Subject"] == "Inquiry about order #1001"

    sign_in_merchant(page, shop)
    page.get_by_role("link", name="Inquiries").click()
    row = page.get_by_role("row").filter(has_text="Could you ship it gift-wrapped?")
    expect(row).to_contain_text("#1001")
    expect(row).to_contain_text("Mar 10, 2026 3:30 PM UTC")  # two business days: Tuesday
    row.get_by_role("button", name="Mark as answered").click()
    expect(page.get_by_role("row").filter(has_text="Could you ship it gift-wrapped?")).to_contain_text("Answered")
    db.session.rollback()
    assert db.session.scalars(db.select(Inquiry)).one().answered_at is not None

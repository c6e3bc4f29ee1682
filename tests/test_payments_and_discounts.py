"""The test gateway (card "1", "2", "3") and discount codes on the store's checkout."""
import re
from datetime import timedelta
from html import unescape

import pytest

from pageshop import clock
from pageshop.discounts import discount_amount, find_valid_code, use_code
from pageshop.errors import DomainError
from pageshop.extensions import db
from pageshop.models import DiscountCode, Email, Order, Store, Variant
from pageshop.payments import PaymentError, charge

from .factories import checkout_form


@pytest.fixture
def shirt(store, make_product):
    return make_product(title="Linen Shirt", price_cents=4000, stock=5)


@pytest.fixture
def store_checkout(store):
    store.checkout_choice = "store"
    db.session.commit()
    return store


def url_for_shirt(shirt, quantity=1):
    return f"/checkout?variant={shirt.variants[0].id}&quantity={quantity}"


def order_count():
    return db.session.scalar(db.select(db.func.count(Order.id)))


def stock_of(shirt):
    return db.session.scalar(db.select(Variant.stock).where(Variant.id == shirt.variants[0].id))


def add_code(code="SAVE10", kind="percentage", value=10, **options):
    discount = DiscountCode(code=code, kind=kind, value=value, **options)
    db.session.add(discount)
    db.session.commit()
    return discount


def times_used(code):
    return db.session.scalar(db.select(DiscountCode.times_used).where(DiscountCode.code == code))


# --- the gateway --------------------------------------------------------------------------


def test_card_1_is_approved(app):
    payment = charge("1", 4500)
    assert payment.amount_cents == 4500 and payment.card_last_digits == "1"
    assert payment.reference


@pytest.mark.parametrize("card, message", [
    ("2", "Your card was declined."),
    ("3", "The payment gateway had a problem and nothing was charged."),
    ("4242424242424242", "Use 1, 2 or 3 with the test gateway"),
    ("", "Enter a card number."),
])
def test_other_cards_are_refused_with_a_reason(app, card, message):
    with pytest.raises(PaymentError) as refused:
        charge(card, 4500)
    assert message in refused.value.message
    assert refused.value.field == "card_number"


@pytest.mark.parametrize("card, message", [
    ("2", "Your card was declined."),
    ("3", "The payment gateway had a problem and nothing was charged."),
    ("5", "Use 1, 2 or 3 with the test gateway"),
])
def test_a_failed_payment_places_no_order_and_takes_no_stock(client, shirt, card, message):
    url = url_for_shirt(shirt, 2)
    response = client.post_form(url, checkout_form(client, url, card_number=card))
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert message in html
    assert 'id="card_number-error"' in html
    assert order_count() == 0
    assert stock_of(shirt) == 5
    assert db.session.scalar(db.select(db.func.count(Email.id))) == 0
    assert db.session.scalar(db.select(Store.next_order_number)) == 1001


@pytest.mark.parametrize("card, message", [
    ("2", "Your card was declined. Try another card."),
    ("3", "The payment gateway had a problem and nothing was charged. Please try again."),
])
def test_a_refused_payment_is_said_at_the_top_of_the_page(client, shirt, card, message):
    url = url_for_shirt(shirt)
    response = client.post_form(url, checkout_form(client, url, card_number=card))
    html = unescape(response.get_data(as_text=True))
    alert = re.search(r'<p[^>]*role="alert"[^>]*>(.*?)</p>', html, re.S)
    assert alert and message in alert.group(1)
    assert html.index('role="alert"') < html.index('name="email"')  # above the form, where the page opens
    assert f'id="card_number-error">{message}' in html  # and still next to the card number
    assert order_count() == 0


def test_after_a_decline_the_same_form_can_pay_with_another_card(client, shirt):
    url = url_for_shirt(shirt)
    form = checkout_form(client, url, card_number="2")
    client.post_form(url, form)
    response = client.post_form(url, dict(form, card_number="1"))
    assert response.status_code == 303
    assert order_count() == 1
    assert stock_of(shirt) == 4


# --- discount codes -------------------------------------------------------------------------


def test_percentage_and_fixed_amounts(app):
    assert discount_amount(DiscountCode(kind="percentage", value=10), 4000) == 400
    assert discount_amount(DiscountCode(kind="percentage", value=15), 999) == 150  # rounded
    assert discount_amount(DiscountCode(kind="fixed", value=500), 4000) == 500
    assert discount_amount(DiscountCode(kind="fixed", value=9000), 4000) == 4000  # never below zero
    assert discount_amount(None, 4000) == 0


def test_codes_are_found_whatever_their_case(store):
    add_code("SAVE10")
    assert find_valid_code(" save10 ").code == "SAVE10"
    assert find_valid_code("") is None


@pytest.mark.parametrize("options, message", [
    ({"code": "OTHER"}, 'The discount code "SAVE10" doesn\'t exist.'),
    ({"starts_at": timedelta(days=1)}, 'The discount code "SAVE10" isn\'t active yet.'),
    ({"ends_at": timedelta(days=-1)}, 'The discount code "SAVE10" has expired.'),
    ({"usage_limit": 2, "times_used": 2}, 'The discount code "SAVE10" has been used up.'),
])
def test_each_unusable_code_has_its_own_message(client, store_checkout, shirt, options, message):
    options = {key: clock.now() + value if isinstance(value, timedelta) else value
               for key, value in options.items()}
    add_code(**{"code": "SAVE10", **options})
    with pytest.raises(DomainError) as refused:
        find_valid_code("SAVE10")
    assert refused.value.message == message and refused.value.field == "discount_code"

    url = url_for_shirt(shirt)
    response = client.post_form(url, checkout_form(client, url, discount_code="save10"))
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert message in html and 'id="discount_code-error"' in html
    assert order_count() == 0
    assert stock_of(shirt) == 5


def test_a_code_inside_its_dates_works(client, store_checkout, shirt):
    add_code("SPRING", kind="fixed", value=1000, starts_at=clock.now() - timedelta(days=1),
             ends_at=clock.now() + timedelta(days=1), usage_limit=1)
    url = url_for_shirt(shirt, 2)
    response = client.post_form(url, checkout_form(client, url, discount_code="spring"))
    order = db.session.scalars(db.select(Order)).one()
    assert response.status_code == 303
    assert (order.subtotal_cents, order.discount_cents, order.shipping_cents, order.total_cents) == (
        8000, 1000, 500, 7500)
    assert order.discount_code == "SPRING"
    assert times_used("SPRING") == 1
    status_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "-$10.00" in status_page and "$75.00" in status_page

    # The limit of one use is reached: the next shopper is told.
    response = client.post_form(url, checkout_form(client, url, discount_code="SPRING"))
    assert "has been used up" in response.get_data(as_text=True)
    assert order_count() == 1


def test_the_summary_shows_the_discount_before_the_order(client, store_checkout, shirt):
    add_code("SAVE10")
    url = url_for_shirt(shirt) + "&discount_code=SAVE10"
    html = client.htmx("get", url, target="order-summary").get_data(as_text=True)
    assert "Discount (SAVE10)" in html and "-$4.00" in html and "$41.00" in html


def test_apply_shows_the_code_in_the_summary_before_the_order(client, store_checkout, shirt):
    add_code("SAVE10")
    url = url_for_shirt(shirt)
    page = client.get(url).get_data(as_text=True)
    assert ">Apply</button>" in page and 'data-enter-clicks="apply-discount"' in page

    # With htmx, "Apply" (or Enter in the field) swaps the summary, and the field out of band.
    response = client.htmx("get", url + "&discount_code=save10&apply_discount=1", target="order-summary",
                           trigger="apply_discount")
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 200 and "<html" not in html
    assert "Discount (SAVE10)" in html and "-$4.00" in html and "$41.00" in html
    assert 'id="discount-field" class="discount-field" hx-swap-oob="true"' in html
    assert "Code SAVE10 applied." in html

    # A code that can't be used is said next to the field at once, not after "Place order".
    response = client.htmx("get", url + "&discount_code=nope&apply_discount=1", target="order-summary",
                           trigger="apply_discount")
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert 'id="discount_code-error">The discount code "NOPE" doesn\'t exist.' in html
    assert "Discount (" not in html and "$45.00" in html
    assert order_count() == 0 and times_used("SAVE10") == 0


def test_apply_without_javascript_shows_the_page_again_and_places_no_order(client, store_checkout, shirt):
    add_code("SAVE10")
    url = url_for_shirt(shirt)
    form = checkout_form(client, url, discount_code="save10", apply_discount="1")
    response = client.post_form(url, form)
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert "Discount (SAVE10)" in html and "$41.00" in html and "Code SAVE10 applied." in html
    assert 'value="1 Main St"' in html  # what was typed stays
    assert f'value="{form["idempotency_key"]}"' in html

    response = client.post_form(url, dict(form, discount_code="nope"))
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert 'id="discount_code-error">The discount code "NOPE" doesn\'t exist.' in html
    assert order_count() == 0 and times_used("SAVE10") == 0

    # "Place order" afterwards places it with the code.
    del form["apply_discount"]
    assert client.post_form(url, form).status_code == 303
    assert order_count() == 1 and times_used("SAVE10") == 1


def test_a_use_is_counted_only_while_the_limit_allows(store):
    discount = add_code("ONCE", usage_limit=1)
    use_code(discount)
    db.session.commit()
    with pytest.raises(DomainError, match="used up"):
        use_code(discount)  # another checkout counted it first
    db.session.rollback()
    assert times_used("ONCE") == 1


def test_a_declined_card_gives_the_code_use_back(client, store_checkout, shirt):
    add_code("ONCE", usage_limit=1)
    url = url_for_shirt(shirt)
    response = client.post_form(url, checkout_form(client, url, discount_code="ONCE", card_number="2"))
    assert response.status_code == 422
    assert times_used("ONCE") == 0
    assert order_count() == 0


def test_a_sold_out_item_gives_the_code_use_back(client, store_checkout, shirt):
    add_code("ONCE", usage_limit=1)
    url = url_for_shirt(shirt, 5)
    form = checkout_form(client, url, discount_code="ONCE")
    shirt.variants[0].stock = 4
    db.session.commit()
    response = client.post_form(url, form)
    assert response.status_code == 422
    assert times_used("ONCE") == 0
    assert stock_of(shirt) == 4

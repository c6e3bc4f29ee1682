"""S5 and S6: Facebook checkout and the store's checkout, one order per form, stock, the opt-in."""
import re
from html import unescape

import pytest

from pageshop import clock, events
from pageshop.business_days import add_business_days
from pageshop.cart import add_to_cart, open_cart
from pageshop.extensions import db
from pageshop.models import Email, FacebookAccount, Order, OrderEvent, ShippingRate, Store, Variant

from . import factories
from .factories import US_ADDRESS, checkout_form


def buy_now_url(product, quantity=1, **extra):
    query = f"variant={product.variants[0].id}&quantity={quantity}"
    for key, value in extra.items():
        query += f"&{key}={value}"
    return f"/checkout?{query}"


def orders():
    return db.session.scalars(db.select(Order).order_by(Order.id)).all()


def typed_form(key="typed-by-hand"):
    """The checkout form's fields as a shopper fills them in, for a checkout page that has no form."""
    rate = db.session.scalars(db.select(ShippingRate).order_by(ShippingRate.position)).first()
    return dict(US_ADDRESS, idempotency_key=key, shipping_rate=str(rate.id))


def set_store(**values):
    store = db.session.scalars(db.select(Store)).one()
    for name, value in values.items():
        setattr(store, name, value)
    db.session.commit()


def put_in_cart(client, *items):
    """(product, quantity) pairs into a cart that the client's session holds."""
    cart = open_cart(None)
    for product, quantity in items:
        add_to_cart(cart, product.variants[0].id, quantity)
    with client.session_transaction() as session:
        session["cart_token"] = cart.token


def stock_of(product):
    return db.session.scalar(db.select(Variant.stock).where(Variant.id == product.variants[0].id))


def account(email):
    return db.session.scalars(db.select(FacebookAccount).filter_by(email=email)).one()


def use_store_checkout():
    store = db.session.scalars(db.select(Store)).one()
    store.checkout_choice = "store"
    db.session.commit()


@pytest.fixture
def shirt(store, make_product):
    return make_product(title="Linen Shirt", price_cents=4000, stock=5)


@pytest.fixture
def placed():
    """What "order_placed" was published with, as the Messenger side receives it."""
    calls = []

    def listener(order, **data):
        calls.append((order.number, data))

    events.subscribe("order_placed", listener)
    yield calls
    events._listeners["order_placed"].remove(listener)


# --- Facebook checkout ----------------------------------------------------------------


def test_facebook_checkout_shows_the_form_inside_facebook(client, auth, shirt):
    auth.facebook_login("alex@example.com")
    response = client.get(buy_now_url(shirt, 2))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Facebook checkout" in html and 'class="fb-bar"' in html
    for label in ("Email", "First name", "Last name", "Address", "City", "State / region",
                  "Postal code", "Country", "Card number"):
        assert f">{label}</label>" in html
    assert "Discount code" not in html
    assert '<option value="DE">Germany</option>' in html
    assert "Standard · $5.00" in html and "Express · $15.00" in html
    assert "2 × Linen Shirt" in html and "$80.00" in html and "$85.00" in html
    assert ">Place order</button>" in html
    assert 'value="alex@example.com"' in html  # the account's e-mail to start with


def test_facebook_checkout_places_the_order(client, auth, shirt, placed):
    auth.facebook_login("alex@example.com")
    url = buy_now_url(shirt, 2)
    response = client.post_form(url, checkout_form(client, url))

    order = orders()[0]
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/orders/{order.token}")
    assert order.name == "#1001"
    assert (order.sales_channel, order.checkout) == ("facebook_checkout", "facebook")
    assert order.facebook_account_id == account("alex@example.com").id
    assert (order.subtotal_cents, order.shipping_cents, order.total_cents) == (8000, 500, 8500)
    assert [(line.product_title, line.quantity) for line in order.lines] == [("Linen Shirt", 2)]
    assert len(order.token) >= 43
    assert order.ship_by == add_business_days(order.placed_at, 3).date()
    assert [event.kind for event in order.events] == ["placed"]
    assert stock_of(shirt) == 3
    assert placed == [(1001, {"opt_in_account": None, "opt_in_user_ref": None})]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "#1001" in page


def test_order_numbers_count_up_from_1001(client, shirt):
    for _ in range(2):
        url = buy_now_url(shirt)
        client.post_form(url, checkout_form(client, url))
    assert [order.name for order in orders()] == ["#1001", "#1002"]
    assert db.session.scalar(db.select(Store.next_order_number)) == 1003


def test_a_double_submit_makes_one_order(client, shirt):
    url = buy_now_url(shirt)
    form = checkout_form(client, url)
    first = client.post_form(url, form)
    second = client.post_form(url, form)

    assert len(orders()) == 1
    assert first.status_code == second.status_code == 303
    assert second.headers["Location"] == first.headers["Location"]
    assert stock_of(shirt) == 4
    assert db.session.scalar(db.select(db.func.count(Email.id))) == 1


def test_a_german_address_is_refused_on_facebook_checkout(client, shirt):
    url = buy_now_url(shirt)
    response = client.post_form(url, checkout_form(client, url, country="DE", city="Berlin",
                                                    postal_code="10115", region=""))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Facebook checkout ships only to addresses in the United States" in html
    assert re.search(r'<select[^>]*aria-invalid="true"[^>]*id="country"', html)
    assert '<option selected value="DE">Germany</option>' in html
    assert 'value="Berlin"' in html and 'value="10115"' in html  # what was typed is kept
    assert orders() == []
    assert stock_of(shirt) == 5


def test_a_discount_code_is_refused_on_facebook_checkout(client, shirt):
    from pageshop.models import DiscountCode

    db.session.add(DiscountCode(code="SAVE10", kind="percentage", value=10))
    db.session.commit()
    url = buy_now_url(shirt)
    response = client.post_form(url, checkout_form(client, url, discount_code="SAVE10"))
    assert response.status_code == 422
    assert "Discount codes can't be used with Facebook checkout." in unescape(response.get_data(as_text=True))
    assert orders() == []
    assert db.session.scalar(db.select(DiscountCode.times_used)) == 0


def test_missing_fields_are_each_named(client, shirt):
    url = buy_now_url(shirt)
    response = client.post_form(url, checkout_form(client, url, email="", city="", card_number=""))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    for message in ("Enter your email.", "Enter your city.", "Enter a card number."):
        assert message in html
    assert orders() == []


def test_a_purchase_from_messenger_is_a_messenger_order(client, auth, shirt):
    auth.facebook_login("sam@example.com")
    url = buy_now_url(shirt, source="messenger")
    response = client.post_form(url, checkout_form(client, url, email="sam@example.com"))
    order = orders()[0]
    assert response.status_code == 303
    assert (order.sales_channel, order.checkout) == ("messenger", "facebook")
    assert order.facebook_account_id == account("sam@example.com").id


@pytest.mark.parametrize("country, currency, choice", [
    ("CA", "CAD", "facebook"),  # not eligible for Facebook checkout, whatever was chosen before
    ("US", "USD", "store"),
])
def test_a_purchase_from_messenger_follows_the_stores_checkout(client, auth, app, country, currency, choice):
    factories.make_shop(country=country, currency=currency, checkout_choice=choice)
    scarf = factories.make_product(title="Wool Scarf", price_cents=3000, stock=3)
    auth.facebook_login("sam@example.com")
    url = buy_now_url(scarf, source="messenger")
    html = client.get(url).get_data(as_text=True)
    assert "Facebook checkout" not in html and ">Discount code</label>" in html

    response = client.post_form(url, checkout_form(client, url, email="sam@example.com", country="CA",
                                                    city="Toronto", region="ON", postal_code="M5V 2T6"))
    assert response.status_code == 303
    order = orders()[0]
    assert (order.sales_channel, order.checkout, order.country) == ("messenger", "store", "CA")
    assert order.ship_by is None
    email = db.session.scalars(db.select(Email)).one()
    assert email.sender_name == "Maple & Thread"  # from the store, not from Facebook


def test_unknown_variant_is_not_found(client, store):
    assert client.get("/checkout?variant=999&quantity=1").status_code == 404
    assert client.get("/checkout?variant=abc").status_code == 404


def test_the_summary_follows_the_shipping_rate_in_place(client, shirt):
    express = db.session.scalars(db.select(ShippingRate).filter_by(name="Express")).one()
    url = buy_now_url(shirt) + f"&shipping_rate={express.id}"
    response = client.htmx("get", url, target="order-summary")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="order-summary"')
    assert "Express" in html and "$55.00" in html and "<form" not in html
    assert "HX-Request" in response.headers["Vary"]
    full = client.get(url).get_data(as_text=True)
    assert "<form" in full and "<html" in full


# --- stock -------------------------------------------------------------------------------


def test_an_item_sold_out_meanwhile_gives_a_clear_error_and_no_order(client, shirt):
    url = buy_now_url(shirt, 2)
    form = checkout_form(client, url)
    shirt.variants[0].stock = 1  # someone else bought most of them meanwhile
    db.session.commit()

    response = client.post_form(url, form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Only 1 of Linen Shirt left." in html
    assert orders() == []
    assert stock_of(shirt) == 1

    shirt.variants[0].stock = 0
    db.session.commit()
    response = client.post_form(url, form)
    assert "Linen Shirt is sold out." in response.get_data(as_text=True)
    assert orders() == []
    assert stock_of(shirt) == 0


def test_nothing_is_taken_when_one_of_several_items_is_sold_out(client, shirt, make_product):
    cap = make_product(title="Wool Cap", price_cents=1500, stock=0)
    cart = open_cart(None)
    add_to_cart(cart, shirt.variants[0].id, 2)
    cap.variants[0].stock = 3
    db.session.commit()
    add_to_cart(cart, cap.variants[0].id, 1)
    with client.session_transaction() as session:
        session["cart_token"] = cart.token
    form = checkout_form(client, "/checkout")
    cap.variants[0].stock = 0
    db.session.commit()

    response = client.post_form("/checkout", form)
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert "Wool Cap is sold out. Remove it to place your order." in html  # a cart line can be removed
    assert '<a href="/cart">Go to your cart</a>' in html
    assert orders() == []
    assert stock_of(shirt) == 5


def test_a_sold_out_buy_now_links_back_to_the_product(client, shirt):
    url = buy_now_url(shirt, 2)
    form = checkout_form(client, url)
    shirt.variants[0].stock = 0
    db.session.commit()
    html = unescape(client.post_form(url, form).get_data(as_text=True))
    alert = re.search(r'<p[^>]*role="alert"[^>]*>(.*?)</p>', html, re.S).group(1)
    assert alert.startswith("Linen Shirt is sold out. <a")
    assert "Remove it" not in html  # there is no cart to remove it from
    assert f'<a href="/products/{shirt.handle}?variant={shirt.variants[0].id}">Back to the product</a>' in alert

    shirt.variants[0].stock = 1
    db.session.commit()
    html = unescape(client.post_form(url, form).get_data(as_text=True))
    assert "Only 1 of Linen Shirt left. <a" in html and "Lower the quantity" not in html
    assert orders() == []


def test_checkout_of_the_cart_empties_it(client, shirt, make_product):
    cap = make_product(title="Wool Cap", price_cents=1500, stock=3)
    cart = open_cart(None)
    add_to_cart(cart, shirt.variants[0].id, 1)
    add_to_cart(cart, cap.variants[0].id, 2)
    with client.session_transaction() as session:
        session["cart_token"] = cart.token
    html = client.get("/checkout").get_data(as_text=True)
    assert "1 × Linen Shirt" in html and "2 × Wool Cap" in html

    response = client.post_form("/checkout", checkout_form(client, "/checkout"))
    order = orders()[0]
    assert response.status_code == 303
    assert order.subtotal_cents == 4000 + 3000
    assert stock_of(shirt) == 4 and stock_of(cap) == 1
    assert "Your cart is empty." in client.get("/checkout").get_data(as_text=True)


def test_an_empty_cart_cannot_be_checked_out(client, store):
    assert "Your cart is empty." in client.get("/checkout").get_data(as_text=True)
    response = client.post_form("/checkout", {"idempotency_key": "x"})
    assert response.status_code == 422
    assert orders() == []


# --- only what is published to the checkout's channel is sold -----------------------------------


def test_a_product_published_nowhere_cannot_be_bought(client, store, make_product):
    quilt = make_product(title="Patchwork Quilt", stock=3, facebook=False, online_store=False)
    url = buy_now_url(quilt)
    page = client.get(url)
    html = unescape(page.get_data(as_text=True))
    assert page.status_code == 422
    assert "Patchwork Quilt is no longer available." in html
    assert "Place order" not in html and "Your cart is empty." not in html

    response = client.post_form(url, typed_form())
    assert response.status_code == 422
    assert "Patchwork Quilt is no longer available." in unescape(response.get_data(as_text=True))
    assert orders() == []
    assert stock_of(quilt) == 3


def test_a_product_unpublished_after_going_into_the_cart_is_refused(client, shirt, make_product):
    cap = make_product(title="Wool Cap", price_cents=1500, stock=3)
    put_in_cart(client, (shirt, 1), (cap, 1))
    form = checkout_form(client, "/checkout")
    cap.published_facebook = cap.published_online_store = False
    db.session.commit()

    response = client.post_form("/checkout", form)
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert "Wool Cap is no longer available. Remove it from your cart to place your order." in html
    assert '<a href="/cart">Go to your cart</a>' in html
    assert orders() == []
    assert stock_of(shirt) == 5 and stock_of(cap) == 3

    # The cart says which line it is.
    cart = unescape(client.get("/cart").get_data(as_text=True))
    line = cart[cart.index("Wool Cap"):]
    assert "Wool Cap is no longer available." in line[:line.index("</tr>")]
    assert "Linen Shirt" in cart


def test_an_online_store_product_is_not_sold_with_facebook_checkout(client, store, make_product):
    kit = make_product(title="Knitting Starter Kit", stock=4, facebook=False)
    url = buy_now_url(kit)
    page = client.get(url)
    assert page.status_code == 422
    assert "Knitting Starter Kit can't be bought on Facebook." in unescape(page.get_data(as_text=True))
    response = client.post_form(url, typed_form())
    assert response.status_code == 422
    assert orders() == [] and stock_of(kit) == 4

    # Bought from the online store, it goes through the store's own checkout.
    url = buy_now_url(kit, source="online_store")
    assert 'class="store-bar"' in client.get(url).get_data(as_text=True)
    response = client.post_form(url, checkout_form(client, url))
    assert response.status_code == 303
    assert [(o.sales_channel, o.checkout) for o in orders()] == [("online_store", "store")]


def test_the_store_checkout_sells_only_what_the_online_store_shows(client, store, make_product):
    use_store_checkout()
    mug = make_product(title="Facebook Mug", stock=4, online_store=False)
    url = buy_now_url(mug)
    page = client.get(url)
    assert page.status_code == 422
    assert "Facebook Mug can't be bought in the online store." in unescape(page.get_data(as_text=True))
    assert client.post_form(url, typed_form()).status_code == 422
    assert orders() == [] and stock_of(mug) == 4


def test_nothing_is_sold_on_facebook_before_the_shop_is_approved(client, auth, shirt):
    set_store(review_state="submitted")
    auth.facebook_login("alex@example.com")
    for source in ({}, {"source": "messenger"}):
        url = buy_now_url(shirt, **source)
        page = client.get(url)
        assert page.status_code == 422
        assert ("Linen Shirt can't be bought on Facebook yet: the Page's shop opens once Facebook "
                "has approved it.") in unescape(page.get_data(as_text=True))
        assert client.post_form(url, typed_form(f"key-{len(source)}")).status_code == 422
    assert orders() == [] and stock_of(shirt) == 5


def test_the_rule_holds_for_any_caller_of_place_order(app, store, make_product):
    from pageshop import checkout as checkouts

    kit = make_product(title="Knitting Starter Kit", facebook=False)
    kind = checkouts.checkout_kind(store)
    details = checkouts.CheckoutDetails(
        email="alex@example.com", first_name="Alex", last_name="Rivera", address="1 Main St",
        city="Springfield", region="IL", postal_code="62701", country="US",
        shipping_rate_id=db.session.scalar(db.select(ShippingRate.id)), card_number="1",
        idempotency_key="from-elsewhere")
    with app.test_request_context(), pytest.raises(checkouts.DomainError, match="can't be bought on Facebook"):
        checkouts.place_order(store, kind, checkouts.buy_now_lines(kit.variants[0].id, 1), details,
                              status_url=lambda order: "/orders/x")
    assert orders() == []


# --- the store's own checkout ---------------------------------------------------------------


def test_store_checkout_ships_anywhere_and_is_an_online_store_order(client, shirt):
    use_store_checkout()
    url = buy_now_url(shirt)
    html = client.get(url).get_data(as_text=True)
    assert 'class="store-bar"' in html and 'class="fb-bar"' not in html
    assert ">Discount code</label>" in html

    response = client.post_form(url, checkout_form(client, url, country="DE", city="Berlin",
                                                    postal_code="10115", region=""))
    order = orders()[0]
    assert response.status_code == 303
    assert (order.sales_channel, order.checkout, order.country) == ("online_store", "store", "DE")
    assert order.ship_by is None


# --- S6: the Messenger opt-in --------------------------------------------------------------


def test_the_opt_in_shows_the_account_and_an_unticked_checkbox(client, auth, shirt):
    auth.facebook_login("alex@example.com")
    html = client.get(buy_now_url(shirt)).get_data(as_text=True)
    widget = html[html.index('class="messenger-optin"'):]
    assert "Alex Rivera" in widget and ">AR</span>" in widget
    checkbox = re.search(r'<input[^>]*name="messenger_opt_in"[^>]*>', widget).group(0)
    assert "checked" not in checkbox
    assert "Send order updates to Messenger" in widget
    assert ">Not you?</button>" in widget


def test_logged_out_the_widget_offers_to_log_in(client, shirt):
    html = client.get(buy_now_url(shirt)).get_data(as_text=True)
    widget = html[html.index('class="messenger-optin"'):]
    assert ">Log in to Facebook</button>" in widget
    assert "messenger_opt_in" not in html


def test_no_widget_while_the_messenger_channel_is_removed(client, auth, shirt):
    store = db.session.scalars(db.select(Store)).one()
    store.messenger_page_id = None
    db.session.commit()
    auth.facebook_login("alex@example.com")
    for checkout_choice in ("facebook", "store"):
        store.checkout_choice = checkout_choice
        db.session.commit()
        html = client.get(buy_now_url(shirt)).get_data(as_text=True)
        assert "messenger-optin" not in html and "Send order updates to Messenger" not in html


def test_the_widget_is_on_the_store_checkout_too(client, auth, shirt):
    use_store_checkout()
    auth.facebook_login("alex@example.com")
    html = client.get(buy_now_url(shirt)).get_data(as_text=True)
    assert "Send order updates to Messenger" in html


def test_a_ticked_opt_in_goes_with_the_order_once(client, auth, shirt, placed):
    auth.facebook_login("alex@example.com")
    url = buy_now_url(shirt)
    client.post_form(url, checkout_form(client, url, messenger_opt_in="y"))
    assert placed[0][1]["opt_in_account"].email == "alex@example.com"

    # The next checkout asks again.
    html = client.get(url).get_data(as_text=True)
    checkbox = re.search(r'<input[^>]*name="messenger_opt_in"[^>]*>', html).group(0)
    assert "checked" not in checkbox
    client.post_form(url, checkout_form(client, url))
    assert placed[1][1]["opt_in_account"] is None


def test_an_opt_in_without_a_facebook_login_is_ignored(client, shirt, placed):
    url = buy_now_url(shirt)
    client.post_form(url, checkout_form(client, url, messenger_opt_in="y"))
    assert placed[0][1]["opt_in_account"] is None
    assert orders()[0].facebook_account_id is None


def test_not_you_switches_account_and_keeps_what_was_typed(client, auth, shirt):
    auth.facebook_login("alex@example.com")
    url = buy_now_url(shirt, 2)
    typed = checkout_form(client, url, email="sam@example.com", first_name="Sam", last_name="Chen",
                          address="9 Elm St", city="Portland", region="OR", postal_code="97201",
                          card_number="1")
    response = client.post_form("/checkout/switch-account",
                                dict(typed, action="not_you", return_to=url))
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.startswith("/facebook/login?next=")
    assert "variant" in location and "quantity" in location
    with client.session_transaction() as session:
        assert "facebook_account_id" not in session
        assert "card_number" not in session["checkout_draft"]

    login = client.post_form("/facebook/login", {"email": "sam@example.com",
                                                 "password": "pageshop-demo", "next": url})
    assert login.headers["Location"] == url
    html = client.get(url).get_data(as_text=True)
    widget = html[html.index('class="messenger-optin"'):]
    assert "Sam Chen" in widget
    for value in ("sam@example.com", "Sam", "Chen", "9 Elm St", "Portland", "OR", "97201"):
        assert f'value="{value}"' in html
    card = re.search(r'<input[^>]*name="card_number"[^>]*>', html).group(0)
    assert 'value=""' in card


def test_not_you_forgets_the_previous_accounts_email(client, auth, shirt):
    auth.facebook_login("alex@example.com")
    url = buy_now_url(shirt)
    form = checkout_form(client, url, email=None)
    assert 'value="alex@example.com"' in client.get(url).get_data(as_text=True)  # from Alex's account
    client.post_form("/checkout/switch-account",
                     dict(form, email="Alex@Example.com ", action="not_you", return_to=url))
    auth.facebook_login("sam@example.com")
    html = client.get(url).get_data(as_text=True)
    email = re.search(r'<input[^>]*name="email"[^>]*>', html).group(0)
    assert 'value="sam@example.com"' in email
    assert "alex@example.com" not in html.lower()

    # An e-mail the shopper typed is theirs: it stays whoever logs in.
    client.post_form("/checkout/switch-account",
                     dict(form, email="robin@example.com", action="not_you", return_to=url))
    auth.facebook_login("alex@example.com")
    email = re.search(r'<input[^>]*name="email"[^>]*>', client.get(url).get_data(as_text=True)).group(0)
    assert 'value="robin@example.com"' in email


def test_log_in_from_the_widget_keeps_what_was_typed(client, shirt):
    url = buy_now_url(shirt)
    typed = checkout_form(client, url, address="77 Oak Ave")
    response = client.post_form("/checkout/switch-account", dict(typed, action="log_in", return_to=url))
    assert response.headers["Location"].startswith("/facebook/login?next=")
    assert 'value="77 Oak Ave"' in client.get(url).get_data(as_text=True)


def test_switching_account_never_leaves_the_site(client, shirt):
    response = client.post_form("/checkout/switch-account",
                                {"action": "log_in", "return_to": "https://evil.example/"})
    assert "evil" not in response.headers["Location"]


def test_the_draft_is_forgotten_after_the_order(client, shirt):
    url = buy_now_url(shirt)
    typed = checkout_form(client, url, address="77 Oak Ave")
    client.post_form("/checkout/switch-account", dict(typed, action="log_in", return_to=url))
    client.post_form(url, checkout_form(client, url))
    assert len(orders()) == 1
    assert 'value="77 Oak Ave"' not in client.get(url).get_data(as_text=True)


def test_the_placed_event_is_on_the_timeline(client, shirt):
    clock.reset()
    url = buy_now_url(shirt)
    client.post_form(url, checkout_form(client, url))
    event = db.session.scalars(db.select(OrderEvent)).one()
    assert event.kind == "placed"


# --- at the same moment ------------------------------------------------------------------------


def _place_at_once(app, variant_id, keys, card="1"):
    """Place one order per key from parallel requests; each result is an order number or an error."""
    import threading

    from pageshop import checkout as checkouts
    from pageshop.errors import DomainError
    from pageshop.store import get_store

    rate_id = db.session.scalar(db.select(ShippingRate.id).order_by(ShippingRate.position))
    db.session.commit()
    barrier = threading.Barrier(len(keys))
    results = [None] * len(keys)

    def shopper(index, key):
        with app.test_request_context():
            store = get_store()
            kind = checkouts.checkout_kind(store)
            details = checkouts.CheckoutDetails(
                email="alex@example.com", first_name="Alex", last_name="Rivera", address="1 Main St",
                city="Springfield", region="IL", postal_code="62701", country="US",
                shipping_rate_id=rate_id, card_number=card, idempotency_key=key)
            lines = checkouts.buy_now_lines(variant_id, 1)
            barrier.wait()
            try:
                results[index] = checkouts.place_order(store, kind, lines, details,
                                                       status_url=lambda order: "/orders/x").number
            except DomainError as exc:
                results[index] = exc.message
            finally:
                db.session.remove()

    threads = [threading.Thread(target=shopper, args=(i, key)) for i, key in enumerate(keys)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_the_same_form_sent_twice_at_once_makes_one_order(app, shirt):
    results = _place_at_once(app, shirt.variants[0].id, ["same-key", "same-key"])
    assert results == [1001, 1001]
    assert len(orders()) == 1
    assert stock_of(shirt) == 4


def test_two_shoppers_for_the_last_item_make_one_order(app, store, make_product):
    last = make_product(title="Last Scarf", price_cents=2000, stock=1)
    results = _place_at_once(app, last.variants[0].id, ["key-a", "key-b"])
    assert sorted(results, key=str) == [1001, "Last Scarf is sold out."]  # a Buy Now: no cart
    assert len(orders()) == 1
    assert stock_of(last) == 0


def test_a_checkout_without_the_csrf_token_is_refused(client, shirt):
    url = buy_now_url(shirt)
    form = checkout_form(client, url)
    assert client.post(url, data=form).status_code == 400
    assert client.post("/checkout/switch-account", data=dict(form, action="not_you")).status_code == 400
    assert orders() == []


# --- stale links: sold out before anything is typed ---------------------------------------------


def test_a_checkout_link_to_a_sold_out_variant_says_so_before_the_address(client, store, make_product):
    shirt = make_product(title="Linen Shirt", variants=[("S / White", 3000, 0), ("M / Blue", 3500, 2)])
    response = client.get(f"/checkout?variant={shirt.variants[0].id}&quantity=1")
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert "Linen Shirt (S / White) is sold out." in html
    assert f'<a href="/products/{shirt.handle}?variant={shirt.variants[0].id}">Back to the product</a>' in html
    assert "Place order" not in html and 'name="email"' not in html

    response = client.get(f"/checkout?variant={shirt.variants[1].id}&quantity=3&source=messenger")
    assert response.status_code == 422
    assert "Only 2 of Linen Shirt (M / Blue) left." in unescape(response.get_data(as_text=True))
    assert client.get(f"/checkout?variant={shirt.variants[1].id}&quantity=2").status_code == 200


def test_a_cart_with_a_sold_out_line_says_so_when_the_checkout_opens(client, store, make_product):
    mug = make_product(title="Mug", stock=3)
    cap = make_product(title="Cap", stock=3)
    put_in_cart(client, (mug, 1), (cap, 2))
    set_stock = db.session.get(Variant, cap.variants[0].id)
    set_stock.stock = 0
    db.session.commit()
    response = client.get("/checkout")
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert "Cap is sold out. Remove it to place your order." in html
    assert '<a href="/cart">Go to your cart</a>' in html and "Place order" not in html


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_country_select_is_the_one_wtforms_would_render(app, language):
    """The checkout's 246 countries are rendered once per language (pageshop.forms.LongSelect): the
    HTML is WTForms' own, with the chosen country selected and none for an unknown code."""
    from wtforms.widgets import Select

    from storefront.forms import CheckoutForm

    with app.test_request_context("/checkout", headers={"Accept-Language": language}):
        for country in ("US", "DE", "nope", '"><b>', None):
            form = CheckoutForm(data={"country": country} if country else None, meta={"csrf": False})
            assert str(form.country(autocomplete="country")) == \
                str(Select()(form.country, autocomplete="country"))
        german = CheckoutForm(data={"country": "DE"}, meta={"csrf": False}).country()
    assert ('<option selected value="DE">Deutschland</option>' if language == "de"
            else '<option selected value="DE">Germany</option>') in german

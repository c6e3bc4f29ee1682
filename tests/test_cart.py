"""S4: the cart, kept in the database under a token in the session."""
import re

from flask import g

from pageshop import cart as carts
from pageshop.extensions import db
from pageshop.models import Cart, CartItem


def _add(client, variant, quantity="1", htmx=False):
    data = {"variant": str(variant.id), "quantity": quantity}
    if htmx:
        return client.htmx("post", "/cart/add", target="cart-notice", data=data)
    return client.post_form("/cart/add", data)


def _items():
    return [(item.variant.title, item.quantity) for item in db.session.scalars(db.select(CartItem))]


def _item_id(html: str) -> int:
    return int(re.search(r'id="cart-line-(\d+)"', html).group(1))


def test_empty_cart(client, store):
    response = client.get("/cart")
    assert response.status_code == 200
    assert "Your cart is empty." in response.get_data(as_text=True)


def test_add_to_cart_then_see_it(client, store, make_product):
    product = make_product(title="Linen Shirt", variants=[("S", 3000, 5), ("M", 3500, 5)])
    response = _add(client, product.variants[1], "2")
    assert response.status_code == 303
    assert response.headers["Location"].startswith(f"/products/{product.handle}")
    assert response.headers["Location"].endswith("#cart-notice")  # the browser scrolls to what it says
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    # Without JavaScript the notice is where htmx would have put it, once, with the way to the checkout.
    notice = re.search(r'<div id="cart-notice"[^>]*>(.*?)</div>', html, re.S).group(1)
    assert "Added to your cart: Linen Shirt (M) × 2." in notice
    assert re.search(r'<a href="/checkout">Checkout</a>', notice)
    assert html.count("Added to your cart") == 1
    assert "Added to your cart" not in client.get(response.headers["Location"]).get_data(as_text=True)

    html = client.get("/cart").get_data(as_text=True)
    assert "Linen Shirt" in html and "M" in html
    assert "$35.00" in html and "$70.00" in html  # price and line total
    assert re.search(r'id="cart-subtotal">\$70.00<', html)
    assert ">Checkout</a>" in html
    assert ">Remove</button>" in html


def test_adding_again_increases_the_line(client, store, make_product):
    product = make_product(title="Mug", stock=5)
    _add(client, product.variants[0], "1")
    _add(client, product.variants[0], "2")
    assert _items() == [("Default", 3)]
    assert db.session.scalar(db.select(db.func.count()).select_from(Cart)) == 1


def test_add_to_cart_with_htmx_shows_a_confirmation_in_place(client, store, make_product):
    product = make_product(title="Mug", stock=5)
    response = _add(client, product.variants[0], "2", htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html and 'id="cart-notice"' in html
    assert "Added to your cart: Mug × 2" in html
    assert response.headers["HX-Trigger"] == "cart-updated"


def test_add_more_than_in_stock_is_refused(client, store, make_product):
    product = make_product(title="Mug", stock=3)
    _add(client, product.variants[0], "2")
    response = _add(client, product.variants[0], "2", htmx=True)
    assert response.status_code == 422
    assert "Only 3 left in stock, and 2 already in your cart." in response.get_data(as_text=True)
    response = _add(client, product.variants[0], "5")
    assert response.status_code == 422
    assert "<html" in response.get_data(as_text=True)  # the product page with the message
    assert _items() == [("Default", 2)]


def test_add_sold_out_or_bad_input_is_refused(client, store, make_product):
    gone = make_product(title="Gone", stock=0)
    mug = make_product(title="Mug")
    hidden = make_product(title="Hidden", facebook=False, online_store=False)
    assert _add(client, gone.variants[0]).status_code == 422
    assert _add(client, mug.variants[0], "abc").status_code == 422
    assert _add(client, mug.variants[0], "0").status_code == 422
    assert _add(client, mug.variants[0], "-1").status_code == 422
    assert _add(client, hidden.variants[0]).status_code == 404
    assert client.post_form("/cart/add", {"variant": "99999", "quantity": "1"}).status_code == 404
    assert client.post_form("/cart/add", {"variant": "x", "quantity": "1"}).status_code == 404
    response = client.htmx("post", "/cart/add", target="cart-notice", data={"variant": "99999"})
    assert response.status_code == 422
    assert "no longer available" in response.get_data(as_text=True)
    assert _items() == []


def test_add_to_cart_needs_the_csrf_token(client, store, make_product):
    product = make_product(title="Mug")
    response = client.post("/cart/add", data={"variant": product.variants[0].id, "quantity": "1"})
    assert response.status_code == 400
    assert _items() == []


def test_change_quantity_with_htmx_updates_line_and_subtotal(client, store, make_product):
    product = make_product(title="Mug", price_cents=1200, stock=10)
    _add(client, product.variants[0], "1")
    item_id = _item_id(client.get("/cart").get_data(as_text=True))
    response = client.htmx("post", f"/cart/items/{item_id}", target="cart", data={"quantity": "3"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html and 'id="cart"' in html
    assert re.search(r'id="cart-subtotal">\$36.00<', html)
    assert 'value="3"' in html
    assert _items() == [("Default", 3)]


def test_change_quantity_without_htmx_redirects_to_the_cart(client, store, make_product):
    product = make_product(title="Mug", stock=10)
    _add(client, product.variants[0], "1")
    item_id = _item_id(client.get("/cart").get_data(as_text=True))
    response = client.post_form(f"/cart/items/{item_id}", {"quantity": "4"})
    assert response.status_code == 303 and response.headers["Location"] == "/cart"
    assert _items() == [("Default", 4)]


def test_quantity_beyond_stock_keeps_the_cart(client, store, make_product):
    product = make_product(title="Mug", price_cents=1000, stock=3)
    _add(client, product.variants[0], "2")
    item_id = _item_id(client.get("/cart").get_data(as_text=True))
    response = client.htmx("post", f"/cart/items/{item_id}", target="cart", data={"quantity": "7"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Only 3 left in stock." in html
    assert 'aria-invalid="true"' in html
    assert re.search(r'id="cart-subtotal">\$20.00<', html)
    assert _items() == [("Default", 2)]


def test_bad_quantity_is_refused_with_a_message(client, store, make_product):
    product = make_product(title="Mug", stock=3)
    _add(client, product.variants[0], "2")
    item_id = _item_id(client.get("/cart").get_data(as_text=True))
    for bad in ("abc", "-2", "", "1.5"):
        response = client.post_form(f"/cart/items/{item_id}", {"quantity": bad})
        assert response.status_code == 422
        assert "Enter a quantity from 0 to 999." in response.get_data(as_text=True)
    assert _items() == [("Default", 2)]


def test_quantity_zero_or_remove_removes_the_line(client, store, make_product):
    shirt = make_product(title="Shirt", stock=3)
    mug = make_product(title="Mug", stock=3)
    _add(client, shirt.variants[0])
    _add(client, mug.variants[0])
    html = client.get("/cart").get_data(as_text=True)
    shirt_id, mug_id = map(int, re.findall(r'id="cart-line-(\d+)"', html))

    response = client.htmx("post", f"/cart/items/{shirt_id}", target="cart", data={"quantity": "0"})
    assert response.status_code == 200 and "Shirt" not in response.get_data(as_text=True)
    response = client.htmx("post", f"/cart/items/{mug_id}/remove", target="cart")
    assert response.status_code == 200
    assert "Your cart is empty." in response.get_data(as_text=True)
    assert _items() == []


def test_unknown_line_is_refused_with_a_message(client, store, make_product):
    response = client.post_form("/cart/items/12345", {"quantity": "1"})
    assert response.status_code == 422
    product = make_product(title="Mug")
    _add(client, product.variants[0])
    response = client.htmx("post", "/cart/items/12345/remove", target="cart")
    assert response.status_code == 422
    assert "no longer in your cart" in response.get_data(as_text=True)


def test_one_shoppers_cart_is_not_anothers(app, client, store, make_product):
    product = make_product(title="Mug")
    _add(client, product.variants[0])
    item_id = db.session.scalars(db.select(CartItem.id)).one()
    # The test's app context (and its `g`, where Flask-WTF keeps the CSRF token) outlives requests.
    for name in list(g):
        g.pop(name)
    other = app.test_client()
    assert "Your cart is empty." in other.get("/cart").get_data(as_text=True)
    assert other.post_form(f"/cart/items/{item_id}/remove").status_code == 422
    assert _items() == [("Default", 1)]


def test_cart_functions(app, store, make_product):
    mug = make_product(title="Mug", price_cents=1000, stock=5)
    plate = make_product(title="Plate", price_cents=250, stock=5)
    cart = carts.open_cart(None)
    assert carts.open_cart(cart.token).id == cart.id
    carts.add_to_cart(cart, mug.variants[0].id, 2)
    item = carts.add_to_cart(cart, plate.variants[0].id, 1)
    summary = carts.cart_lines(carts.get_cart(cart.token))
    assert [(line.product.title, line.quantity, line.total_cents) for line in summary.lines] == [
        ("Mug", 2, 2000), ("Plate", 1, 250)]
    assert (summary.subtotal_cents, summary.item_count) == (2250, 3)
    assert carts.set_quantity(cart, item.id, 0) is None
    carts.clear_cart(cart.token)
    assert carts.cart_lines(carts.get_cart(cart.token)).is_empty
    assert carts.cart_lines(None).is_empty
    assert carts.get_cart("no-such-token") is None


def _header_cart_link(html: str, path: str = "/cart") -> str:
    return re.search(rf'<span id="cart-link"[^>]*>\s*<a href="{path}">([^<]*)</a>', html).group(1)


def test_the_header_shows_how_many_items_are_in_the_cart(client, store, make_product):
    shirt = make_product(title="Linen Shirt", variants=[("S", 3000, 5), ("M", 3500, 5)])
    assert _header_cart_link(client.get("/").get_data(as_text=True)) == "Cart"
    _add(client, shirt.variants[0], "2")
    _add(client, shirt.variants[1], "1")
    for path in ("/", "/shop", f"/products/{shirt.handle}", "/cart"):
        assert _header_cart_link(client.get(path).get_data(as_text=True)) == "Cart (3)", path
    # The online store has a cart of its own, still empty.
    for path in ("/store", f"/products/{shirt.handle}?channel=online_store", "/store/cart"):
        assert _header_cart_link(client.get(path).get_data(as_text=True), "/store/cart") == "Cart", path


def test_the_header_link_refreshes_itself_when_the_cart_changes(client, store, make_product):
    mug = make_product(title="Mug", stock=5)
    html = client.get("/").get_data(as_text=True)
    link = re.search(r'<span id="cart-link"[^>]*>', html).group(0)
    assert 'hx-get="/cart"' in link and 'hx-trigger="cart-updated from:body"' in link
    assert 'hx-swap="outerHTML"' in link

    response = _add(client, mug.variants[0], "2", htmx=True)
    assert response.headers["HX-Trigger"] == "cart-updated"  # heard by the header's link
    fragment = client.htmx("get", "/cart", target="cart-link")
    html = fragment.get_data(as_text=True)
    assert "<html" not in html and "Your cart" not in html
    assert _header_cart_link(html) == "Cart (2)"
    assert {"HX-Request", "HX-Target"} <= {v.strip() for v in fragment.headers["Vary"].split(",")}

    item_id = _item_id(client.get("/cart").get_data(as_text=True))
    response = client.htmx("post", f"/cart/items/{item_id}", target="cart", data={"quantity": "4"})
    assert response.headers["HX-Trigger"] == "cart-updated"
    assert _header_cart_link(client.htmx("get", "/cart", target="cart-link").get_data(as_text=True)) == "Cart (4)"
    client.htmx("post", f"/cart/items/{item_id}/remove", target="cart")
    assert _header_cart_link(client.htmx("get", "/cart", target="cart-link").get_data(as_text=True)) == "Cart"


# --- two storefronts, two carts -------------------------------------------------------------


def _checkout_form(client, url: str) -> dict:
    from tests.factories import checkout_form

    return checkout_form(client, url)


def test_the_online_store_has_its_own_cart_and_checkout(client, store, make_product):
    store.buy_now_destination = "online_store"
    db.session.commit()
    kit = make_product(title="Knitting Kit", price_cents=4000, facebook=False)  # online store only
    mug = make_product(title="Mug", price_cents=1000)

    response = client.post_form("/cart/add", {"variant": kit.variants[0].id, "quantity": "1",
                                              "channel": "online_store"})
    assert response.headers["Location"] == f"/products/{kit.handle}?variant={kit.variants[0].id}&channel=online_store#cart-notice"
    _add(client, mug.variants[0], "2", htmx=True)  # from the Page's shop

    page = client.get("/store/cart").get_data(as_text=True)
    assert 'class="store-bar"' in page and 'class="fb-bar"' not in page  # the store's own look
    assert "Knitting Kit" in page and "Mug" not in page
    assert "Facebook" not in page  # nothing about what Facebook can't sell
    assert 'href="/checkout?source=online_store">Checkout</a>' in page
    assert _header_cart_link(page, "/store/cart") == "Cart (1)"

    facebook = client.get("/cart").get_data(as_text=True)
    assert 'class="fb-bar"' in facebook and "Mug" in facebook and "Knitting Kit" not in facebook
    assert 'href="/checkout">Checkout</a>' in facebook
    assert _header_cart_link(facebook) == "Cart (2)"

    # The online store's "Checkout": the store's own checkout with its cart, discount codes and all.
    checkout = client.get("/checkout?source=online_store").get_data(as_text=True)
    assert 'class="store-bar"' in checkout and "Knitting Kit" in checkout and "Mug" not in checkout
    assert "Discount code" in checkout
    form = _checkout_form(client, "/checkout?source=online_store")
    form["country"] = "CA"
    response = client.post_form("/checkout?source=online_store", form)
    assert response.status_code == 303
    from pageshop.models import Order

    order = db.session.scalars(db.select(Order)).one()
    assert (order.sales_channel, order.checkout, order.country) == ("online_store", "store", "CA")
    assert [line.product_title for line in order.lines] == ["Knitting Kit"]
    # Only the online store's cart was emptied; the Page's cart still holds the mug.
    assert "Your cart is empty." in client.get("/store/cart").get_data(as_text=True)
    assert "Mug" in client.get("/cart").get_data(as_text=True)

    # The Facebook shop's cart goes to Facebook checkout (the merchant's choice).
    facebook_checkout = client.get("/checkout").get_data(as_text=True)
    assert "Facebook checkout" in facebook_checkout and "Mug" in facebook_checkout


def test_each_cart_changes_its_own_lines(client, store, make_product):
    kit = make_product(title="Knitting Kit", price_cents=4000, stock=5, facebook=False)
    client.post_form("/cart/add", {"variant": kit.variants[0].id, "quantity": "1", "channel": "online_store"})
    item_id = _item_id(client.get("/store/cart").get_data(as_text=True))

    response = client.htmx("post", f"/cart/items/{item_id}", target="cart", data={"quantity": "3"})
    assert response.status_code == 200 and "$120.00" in response.get_data(as_text=True)
    response = client.post_form(f"/cart/items/{item_id}", {"quantity": "2"})
    assert response.headers["Location"] == "/store/cart"
    response = client.post_form(f"/cart/items/{item_id}/remove")
    assert response.headers["Location"] == "/store/cart"
    assert "Your cart is empty." in client.get("/store/cart").get_data(as_text=True)
    # a line of neither cart: refused on the cart page it came from
    response = client.post_form(f"/cart/items/{item_id}/remove", {"storefront": "online_store"})
    assert response.status_code == 422 and 'class="store-bar"' in response.get_data(as_text=True)

"""A sweep over app.url_map: every URL that changes something refuses a request without a valid
CSRF token (400, nothing written), for a signed-in merchant who is also logged into Facebook.
Only the Messenger Platform's webhook is exempt: it is authenticated by its signature instead."""
import re

from flask import g, url_for
from sqlalchemy import select
from werkzeug.routing.converters import NumberConverter

from pageshop.extensions import db
from pageshop.models import (
    Cart,
    CartItem,
    Collection,
    Conversation,
    DiscountCode,
    FacebookAccount,
    Inquiry,
    Message,
    Notification,
    SavedReply,
    Subscription,
)

EXEMPT = {"storefront.messenger_webhook"}
CHANGING = {"POST", "PUT", "PATCH", "DELETE"}

# What a filled-in form could carry, so that a request let through would change something.
FORM = {
    "email": "alex@example.com", "password": "pageshop-demo", "name": "Changed", "title": "Changed",
    "body": "Changed", "text": "Changed", "message": "Changed", "answer": "Changed",
    "choice": "turn_off", "quantity": "2", "variant": "1", "carrier": "UPS",
    "tracking_number": "1Z999", "first_name": "Alex", "last_name": "Rivera", "address": "1 Main St",
    "city": "Springfield", "region": "IL", "postal_code": "62701", "country": "US",
    "card_number": "1", "shipping_rate": "1", "idempotency_key": "sweep-key", "event": "delivered",
    "promo_note": "Changed", "code": "CHANGED", "kind": "fixed", "value": "100", "price": "1.00",
    "stock": "99", "handle": "changed", "checkout_choice": "store",
    "buy_now_destination": "online_store", "support_email": "changed@example.com", "page_id": "2",
}


def _set_the_scene(make_product, make_order):
    """Rows with id 1 for every kind of object a URL names, so each URL reaches a real object."""
    product = make_product("Sweep Scarf", collection="Sweep")
    alex = db.session.scalars(select(FacebookAccount).filter_by(email="alex@example.com")).one()
    order = make_order(product, facebook_account=alex)
    subscription = Subscription(order_id=order.id, page_id=order.page_id, facebook_account_id=alex.id)
    db.session.add(subscription)
    db.session.flush()
    db.session.add(Notification(order_id=order.id, subscription_id=subscription.id,
                                event="order_confirmation", state="failed"))
    conversation = Conversation(page_id=order.page_id, facebook_account_id=alex.id,
                                display_name=alex.name)
    conversation.messages.append(Message(direction="in", text="Hello", author="customer"))
    db.session.add(conversation)
    db.session.add(Inquiry(order_id=order.id, name="Alex Rivera", email="alex@example.com",
                           message="Where is it?"))
    db.session.add(SavedReply(title="Thanks", body="Thank you!"))
    db.session.add(DiscountCode(code="SWEEP10", kind="percentage", value=10))
    cart = Cart(token="sweep-cart")
    cart.items.append(CartItem(variant_id=product.variants[0].id, quantity=1))
    db.session.add(cart)
    db.session.commit()
    return product, order


def _url_values(rule, product, order) -> dict:
    values = {}
    for name, converter in rule._converters.items():
        if name == "handle":
            values[name] = db.session.get(Collection, 1).handle if "collection" in rule.rule \
                else product.handle
        elif name == "token":
            values[name] = order.token
        elif isinstance(converter, NumberConverter):
            values[name] = 1
        else:
            values[name] = "x"
    return values


def _snapshot() -> dict:
    """Every row of every table."""
    tables = {}
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(select(table).order_by(*table.primary_key.columns)).all()
        tables[table.name] = [tuple(row) for row in rows]
    return tables


def _changed(before: dict, after: dict) -> list[str]:
    return [name for name in before if before[name] != after[name]]


def _changing_rules(app):
    return sorted(
        (rule for rule in app.url_map.iter_rules()
         if rule.methods & CHANGING and rule.endpoint not in EXEMPT),
        key=lambda rule: rule.rule)


def test_every_changing_url_refuses_a_request_without_a_csrf_token(
        app, client, auth, store, make_product, make_order):
    product, order = _set_the_scene(make_product, make_order)
    assert auth.sign_in().status_code == 303
    assert auth.facebook_login().status_code == 303
    rules = _changing_rules(app)
    assert len(rules) >= 20, "the sweep found too few URLs: is the url_map walked correctly?"
    # A valid token, but of someone else's session (an attacker's own, planted in a form).
    for name in list(vars(g)):  # csrf_token() must not reuse the token cached for our client
        delattr(g, name)
    someone_else = app.test_client().csrf_token()
    assert someone_else != client.csrf_token()

    failures = []
    before = _snapshot()
    for rule in rules:
        with app.test_request_context():
            url = url_for(rule.endpoint, **_url_values(rule, product, order))
        for method in sorted(rule.methods & CHANGING):
            attempts = [
                ("no token", {"data": FORM}),
                ("wrong token", {"data": dict(FORM, csrf_token="not-the-token")}),
                ("another session's token", {"data": dict(FORM, csrf_token=someone_else)}),
                ("htmx, no token", {"data": FORM, "headers": {"HX-Request": "true",
                                                              "HX-Target": "main"}}),
                ("htmx, wrong header", {"data": FORM, "headers": {"HX-Request": "true",
                                                                  "X-CSRFToken": "forged"}}),
            ]
            for label, kwargs in attempts:
                response = client.open(url, method=method, **kwargs)
                if response.status_code != 400:
                    failures.append(f"{method} {url} ({rule.endpoint}, {label}): "
                                    f"{response.status_code}")
                after = _snapshot()
                changed = _changed(before, after)
                if changed:
                    failures.append(f"{method} {url} ({rule.endpoint}, {label}) changed {changed}")
                    before = after
    assert not failures, "\n".join(failures)

    # Still signed in on both sides: the refusals did not end either session.
    assert client.get("/admin/orders").status_code == 200
    assert "Alex Rivera" in client.get("/").get_data(as_text=True)


def test_the_sweep_would_see_a_change_let_through(client, store, make_product):
    """The control: the same request with the page's token does change the database."""
    product = make_product("Control Mug")
    before = _snapshot()
    response = client.post_form("/cart/add", {"variant": str(product.variants[0].id), "quantity": "1"})
    assert response.status_code in (200, 303)
    assert "carts" in _changed(before, _snapshot())


def test_the_webhook_is_the_only_exempt_url_and_it_checks_signatures(app, client, store):
    exempt = {rule.endpoint for rule in app.url_map.iter_rules()
              if rule.methods & CHANGING and rule.endpoint in EXEMPT}
    assert exempt <= EXEMPT
    view = app.view_functions.get("storefront.messenger_webhook")
    if view is None:
        return
    app.config["MESSENGER_APP_SECRET"] = "sweep-secret"
    response = client.post("/webhooks/messenger", data=b'{"object": "page", "entry": []}',
                           headers={"Content-Type": "application/json",
                                    "X-Hub-Signature-256": "sha256=" + "0" * 64})
    assert response.status_code == 403
    assert re.search(r"webhook", view.__module__)

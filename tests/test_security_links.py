"""Issue 10, item 6: links that leave the site (e-mails, Messenger messages) are built from
PUBLIC_URL, never from the request's Host header, which whoever sends the request chooses."""
from __future__ import annotations

import re

from pageshop.extensions import db
from pageshop.models import Message, Order

from .factories import checkout_form


def forged(client) -> dict:
    """A request naming another host, with the browser's session (cookies follow the host name)."""
    client.set_cookie("session", client.get_cookie("session").value, domain="evil.example")
    return {"Host": "evil.example"}


def test_a_forged_host_does_not_reach_the_confirmation_email(app, client, store, make_product,
                                                             smtp_server):
    app.config["PUBLIC_URL"] = "https://shop.example.com"
    url = f"/checkout?variant={make_product().variants[0].id}&quantity=1"

    fields = checkout_form(client, url)
    response = client.post_form(url, fields, headers=forged(client))

    assert response.status_code == 303
    order = db.session.scalars(db.select(Order)).one()
    body = smtp_server.wait_for(1)[0].get_content()
    assert f"https://shop.example.com/orders/{order.token}" in body
    assert "evil.example" not in body


def test_a_forged_host_does_not_reach_the_links_in_messenger(app, client, auth, store, make_product):
    app.config["PUBLIC_URL"] = "https://shop.example.com"
    product = make_product("Linen Apron")
    auth.facebook_login()
    client.post_form("/messenger/menu", {"choice": "search_products"}, headers=forged(client))
    client.post_form("/messenger/messages", {"text": "linen"}, headers=forged(client))

    cards = db.session.scalars(db.select(Message).filter_by(kind="product_cards")).one()
    links = re.findall(r"https?://[^\"' ]+", str(cards.payload))
    assert links and all(link.startswith("https://shop.example.com/") for link in links), links
    assert f"https://shop.example.com/products/{product.handle}" in links

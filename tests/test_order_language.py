"""Issue 14.2: an order keeps the language the shopper checked out in, and everything the shop
sends that shopper about it (the confirmation e-mail, Messenger's receipt and updates, the utility
template outside the window, the e-mail that stands in for Messenger) is in that language, whatever
language the merchant works in and although the worker has no request."""
from __future__ import annotations

import os
from datetime import timedelta

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import has_request_context, request
from flask_babel import force_locale

from pageshop import clock, events
from pageshop.extensions import babel, db
from pageshop.messenger.message_templates import get_customization, reset_customization, save_customization
from pageshop.models import FacebookAccount, Message, Order
from pageshop.orders import fulfill_order
from pageshop.worker import run_once

from .factories import checkout_form
from .fake_messenger_platform import platform  # noqa: F401

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="session")
def compiled_catalogs(tmp_path_factory):
    """translations/ compiled into a folder of this test run (the .mo files aren't committed)."""
    folder = tmp_path_factory.mktemp("translations")
    target = folder / "de" / "LC_MESSAGES"
    target.mkdir(parents=True)
    with open(os.path.join(ROOT, "translations", "de", "LC_MESSAGES", "messages.po"), "rb") as po:
        catalog = read_po(po, locale="de")
    with open(target / "messages.mo", "wb") as mo:
        write_mo(mo, catalog)
    return str(folder)


@pytest.fixture
def german(app, compiled_catalogs):
    """The app reads the compiled German catalog, and a request's Accept-Language picks its
    language wherever no locale selector does it yet."""
    config = app.extensions["babel"]
    directories, selector = config.translation_directories, config.locale_selector
    config.translation_directories = [compiled_catalogs]
    if selector is None:
        config.locale_selector = lambda: (request.accept_languages.best_match(["en", "de"])
                                          if has_request_context() else None)
    babel.domain_instance.cache.clear()  # Flask-Babel caches a language's catalog per process
    yield
    config.translation_directories, config.locale_selector = directories, selector
    babel.domain_instance.cache.clear()


GERMAN = {"Accept-Language": "de-DE,de;q=0.9"}
ENGLISH = {"Accept-Language": "en-US,en;q=0.9"}


@pytest.fixture
def shirt(store, make_product):
    return make_product(title="Linen Shirt", price_cents=4000, stock=5)


def checkout(client, product, headers, **fields) -> Order:
    url = f"/checkout?variant={product.variants[0].id}&quantity=1"
    client.get(url, headers=headers)
    response = client.post_form(url, checkout_form(client, url, **fields), headers=headers)
    assert response.status_code == 303, response.get_data(as_text=True)
    return db.session.scalars(db.select(Order).order_by(Order.id.desc())).first()


def deliver(app):
    while run_once(app):
        pass
    db.session.expire_all()


def test_an_order_placed_in_german_is_confirmed_in_german_and_an_english_one_in_english(
        client, auth, shirt, smtp_server, german):
    auth.sign_in()  # the merchant works in English all along
    german_order = checkout(client, shirt, GERMAN)
    english_order = checkout(client, shirt, ENGLISH)

    assert (german_order.locale, english_order.locale) == ("de", "en")
    first, second = smtp_server.wait_for(2)
    assert first["Subject"] == f"Bestellung {german_order.name} bestätigt"
    body = first.get_content()
    assert body.startswith("Hallo Alex,")
    assert "vielen Dank für Ihre Bestellung" in body and "Lieferadresse:" in body
    assert second["Subject"] == f"Order {english_order.name} confirmed"
    assert second.get_content().startswith("Hi Alex,") and "Shipping address:" in second.get_content()
    # The merchant's own pages stay in the merchant's language.
    html = client.get(f"/admin/orders/{german_order.id}", headers=ENGLISH).get_data(as_text=True)
    assert "Order placed and confirmed" in html


def _opted_in_order(make_order, locale: str) -> Order:
    alex = db.session.scalars(db.select(FacebookAccount).filter_by(email="alex@example.com")).one()
    order = make_order(facebook_account=alex)
    order.locale = locale
    events.publish("order_placed", order, opt_in_account=alex)
    db.session.commit()
    return order


def _texts(order: Order) -> list[str]:
    from pageshop.models import Notification

    return list(db.session.scalars(
        db.select(Message.text).join(Notification, Message.notification_id == Notification.id)
        .where(Notification.order_id == order.id).order_by(Message.id)))


def test_messenger_updates_are_in_the_orders_language_with_its_own_customization(
        app, store, make_order, german):
    # The merchant customizes the German shipping update only; the worker sends everything.
    with force_locale("en"):
        save_customization("shipping_update", "de", "Ihr Paket {{ order_number }} ist unterwegs, "
                           "{{ first_name }}!", "Mit GUTSCHEIN10 sparen Sie 10 %.")
    german_order = _opted_in_order(make_order, "de")
    english_order = _opted_in_order(make_order, "en")
    deliver(app)
    fulfill_order(german_order, "UPS", "1Z999")
    fulfill_order(english_order, "UPS", "1Z888")
    deliver(app)

    confirmation, shipping = _texts(german_order)
    assert confirmation.startswith("Hallo Alex, vielen Dank für Ihre Bestellung")
    assert shipping == (f"Ihr Paket {german_order.name} ist unterwegs, Alex!\n\n"
                        "Mit GUTSCHEIN10 sparen Sie 10 %.")
    confirmation, shipping = _texts(english_order)
    assert confirmation.startswith("Hi Alex, thanks for your order")
    assert shipping.startswith("Good news, Alex: your order")  # English has no customization: its default

    # "Reset to default" resets the German text only.
    save_customization("shipping_update", "en", "Shipped, {{ first_name }}!", "")
    reset_customization("shipping_update", "de")
    assert not get_customization("shipping_update", "de").customized
    assert get_customization("shipping_update", "de").body.startswith("Gute Nachrichten, {{ first_name }}")
    assert get_customization("shipping_update", "en").body == "Shipped, {{ first_name }}!"


def test_outside_the_window_a_german_order_gets_the_german_utility_template(app, platform, store, make_order,
                                                                          german):
    """Over the graph transport (a fake Messenger Platform on a real HTTP server)."""
    from .test_messenger_graph import _deliver
    from .test_messenger_graph import _opted_in_order as graph_order

    app.config["MESSENGER_UTILITY_TEMPLATE_SHIPPING_UPDATE_DE"] = "maple_versand"
    order = graph_order(store, make_order)
    order.locale = "de"
    db.session.commit()
    _deliver()
    receipt = platform.requests[-1].body["message"]["attachment"]["payload"]
    assert receipt["payment_method"].startswith("Karte")  # the receipt's own words are German too
    clock.advance(timedelta(hours=25))
    fulfill_order(order, "UPS", "1Z999")
    _deliver()

    request_body = platform.requests[-1].body
    assert request_body["messaging_type"] == "UTILITY"
    template = request_body["message"]["template"]
    assert template["name"] == "maple_versand"
    assert template["language"] == {"code": "de_DE"}


def test_outside_the_window_an_english_order_gets_the_english_utility_template(app, platform, store, make_order,
                                                                            german):
    from .test_messenger_graph import _deliver
    from .test_messenger_graph import _opted_in_order as graph_order

    order = graph_order(store, make_order)
    _deliver()
    clock.advance(timedelta(hours=25))
    fulfill_order(order, "UPS", "1Z999")
    _deliver()
    template = platform.requests[-1].body["message"]["template"]
    assert (template["name"], template["language"]) == ("pageshop_shipping_update", {"code": "en_US"})


def test_the_customizations_page_edits_one_language_at_a_time(client, auth, store, german):
    auth.sign_in()
    url = "/admin/messenger/customizations"
    html = client.get(url + "?event=delivered&language=de").get_data(as_text=True)
    assert 'aria-current="page">Deutsch</a>' in html
    assert "Ihre Bestellung {{ order_number }} wurde zugestellt." in html  # the German default

    response = client.post_form(url + "?event=delivered&language=de", {
        "event": "delivered", "language": "de", "body": "Zugestellt, {{ first_name }}!", "promo_note": ""})
    assert response.status_code == 303
    assert get_customization("delivered", "de").body == "Zugestellt, {{ first_name }}!"
    assert not get_customization("delivered", "en").customized
    html = client.get(url + "?event=delivered&language=en").get_data(as_text=True)
    assert "Your order {{ order_number }} was delivered." in html

    response = client.post_form(url + "?event=delivered", {
        "event": "delivered", "language": "fr", "body": "Livré !", "promo_note": ""})
    assert response.status_code == 422
    assert "Choose the language of the text." in response.get_data(as_text=True)


def test_the_persistent_menu_has_a_german_menu_within_messengers_limits(platform, runner, store, german):
    result = runner.invoke(args=["messenger-setup"])
    assert result.exit_code == 0, result.output  # the fake Platform refuses titles over 30 characters
    menus = {menu["locale"]: [a["title"] for a in menu["call_to_actions"]]
             for menu in platform.profile["persistent_menu"]}
    assert menus == {"default": ["Order update settings", "Search products"],
                     "de_DE": ["Bestellupdate-Einstellungen", "Produkte suchen"]}


def test_german_quick_reply_titles_fit_messenger(app, german):
    from pageshop.messenger.chat import quick_reply_label, quick_reply_short_label
    from pageshop.messenger.graph import MAX_QUICK_REPLY_TITLE

    with force_locale("de"):
        for choice in ("turn_off", "keep", "stop_search"):
            title = quick_reply_short_label(choice) or quick_reply_label(choice)
            assert len(title) <= MAX_QUICK_REPLY_TITLE, title
        assert quick_reply_short_label("turn_off") == "Updates ausschalten"


def test_the_demo_saved_replies_come_in_the_merchants_language(app, german):
    """What `flask seed --language de` adds."""
    from pageshop.models import SavedReply
    from pageshop.saved_replies import add_demo_saved_replies

    add_demo_saved_replies("de")
    titles = set(db.session.scalars(db.select(SavedReply.title)))
    assert titles == {"Danke für Ihre Bestellung", "Lieferzeiten", "Rücksendungen"}


def test_an_update_messenger_cant_deliver_is_emailed_in_the_orders_language(app, client, auth, platform, store,
                                                                           make_order, smtp_server, german):
    from .test_messenger_platform_rules import checkbox_order, work

    order = checkbox_order(client, platform, make_order, "ref-de-1")
    order.locale = "de"
    db.session.commit()
    work(app)
    clock.advance(timedelta(hours=25))  # the opt-in's window closed; only a user_ref is known
    fulfill_order(db.session.get(Order, order.id), "UPS", "1Z999AA10123456784")
    work(app, 3)

    [received] = smtp_server.wait_for(1)
    assert received["Subject"] == f"Bestellung {order.name}: Versandupdate"
    body = received.get_content()
    assert body.startswith("Hallo Alex,") and "Sendungsnummer: 1Z999AA10123456784" in body
    # The merchant reads the timeline in their own language.
    auth.sign_in()
    detail = client.get(f"/admin/orders/{order.id}", headers=ENGLISH).get_data(as_text=True)
    assert "Shipping update sent by e-mail: Messenger can reach this shopper again once they reply." in detail

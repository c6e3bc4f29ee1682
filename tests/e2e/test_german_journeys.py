"""The main journeys once more in German (issue 14): browsers that ask for German (Accept-Language
de-DE) and find every element by the German words of translations/GLOSSARY.md. A shopper buys with
Facebook checkout and opts in to Messenger, contacts the seller; the merchant fulfils and turns the
order's updates off ("Abschalten"); then the shopper and the merchant talk through the inbox."""
from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from pageshop.extensions import db
from pageshop.models import Inquiry, Order, SavedReply
from tests.e2e.driver import PASSWORD, order_id

ARRIVES = 20_000  # ms, as in the English Messenger journeys
GERMAN = "de-DE"


def facebook_anmelden(page: Page, base: str, next_path: str = "/") -> None:
    page.goto(f"{base}/facebook/login?next={next_path}")
    page.get_by_label("E-Mail").fill("alex@example.com")
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()


def admin_anmelden(page: Page, base: str) -> None:
    page.goto(f"{base}/admin/sign-in")
    page.get_by_label("E-Mail").fill("merchant@example.com")
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("link", name="Bestellungen", exact=True)).to_be_visible()


def test_german_facebook_checkout_contact_seller_fulfil_and_turn_off(browser: Browser, shop, app, make_product):
    app.config["PUBLIC_URL"] = shop.base
    make_product(title="Leinenschürze", price_cents=3200, stock=5)
    shopper = browser.new_context(locale=GERMAN).new_page()
    merchant = browser.new_context(locale=GERMAN).new_page()

    # The Page, its Shop tab and the product, in German with German money.
    shopper.goto(shop.url("/"))
    expect(shopper.locator("html")).to_have_attribute("lang", "de")
    shopper.get_by_role("link", name="Bei Facebook anmelden").click()
    shopper.get_by_label("E-Mail").fill("alex@example.com")
    shopper.get_by_label("Passwort").fill(PASSWORD)
    shopper.get_by_role("button", name="Anmelden").click()
    shopper.get_by_role("link", name="Shop", exact=True).click()
    shopper.get_by_role("link", name="Leinenschürze").first.click()
    expect(shopper.locator("#offer")).to_contain_text("32,00 $")
    shopper.get_by_role("button", name="In den Warenkorb").click()
    expect(shopper.get_by_role("status").filter(has_text="Zum Warenkorb hinzugefügt")).to_contain_text(
        "Leinenschürze × 1")
    shopper.get_by_role("link", name="Zur Kasse").click()

    # Facebook checkout: German labels, country names in German, the United States first.
    expect(shopper.get_by_role("heading", name="Facebook-Checkout")).to_be_visible()
    expect(shopper.get_by_label("Land", exact=True).locator("option").first).to_have_text("Vereinigte Staaten")
    shopper.get_by_label("Vorname").fill("Alex")
    shopper.get_by_label("Nachname").fill("Rivera")
    shopper.get_by_label("Adresse").fill("1 Main St")
    shopper.get_by_label("Stadt").fill("Springfield")
    shopper.get_by_label("Bundesland / Region").fill("IL")
    shopper.get_by_label("Postleitzahl").fill("62701")
    shopper.get_by_label("Land", exact=True).select_option(label="Deutschland")
    shopper.get_by_label("Kartennummer").fill("1")
    shopper.get_by_role("button", name="Bestellung aufgeben").click()
    expect(shopper.get_by_label("Land", exact=True)).to_have_attribute("aria-invalid", "true")  # US only
    shopper.get_by_label("Land", exact=True).select_option(label="Vereinigte Staaten")
    shopper.get_by_label("Kartennummer").fill("1")
    shopper.get_by_role("checkbox", name="Bestellupdates an Messenger senden").check()
    shopper.get_by_role("button", name="Bestellung aufgeben").click()

    expect(shopper.get_by_role("heading", name="Bestellung #1001")).to_be_visible()
    expect(shopper.get_by_text("37,00 $")).to_be_visible()
    expect(shopper.get_by_text("Messenger-Updates sind für Alex Rivera aktiviert")).to_be_visible()
    shopper.get_by_role("link", name="Einkaufshistorie").click()
    expect(shopper.get_by_role("link", name="#1001")).to_be_visible()

    # Verkäufer kontaktieren: the message reaches the merchant's inquiries.
    shopper.get_by_role("link", name="Verkäufer kontaktieren").first.click()
    expect(shopper.get_by_label("Bestellnummer")).to_have_value("#1001")
    shopper.get_by_role("button", name="Senden").click()
    expect(shopper.get_by_text("Schreiben Sie Ihre Nachricht an den Verkäufer.")).to_be_visible()
    shopper.get_by_label("Nachricht").fill("Könnten Sie es als Geschenk verpacken?")
    shopper.get_by_role("button", name="Senden").click()
    expect(shopper.get_by_text("Ihre Nachricht wurde an Maple & Thread gesendet.")).to_be_visible()

    # In Messenger the receipt, in German.
    shopper.get_by_role("link", name="Messenger").click()
    receipt = shopper.get_by_role("region", name="Beleg für Bestellung #1001")
    expect(receipt).to_be_visible(timeout=ARRIVES)
    expect(receipt).to_contain_text("37,00 $")

    # The merchant finds the order under Bestellungen and fulfils it.
    admin_anmelden(merchant, shop.base)
    merchant.get_by_role("link", name="Bestellungen", exact=True).click()
    merchant.get_by_label("Bestellungen suchen").fill("#1001")
    merchant.get_by_label("Bestellungen suchen").press("Enter")
    expect(merchant).to_have_url(re.compile(r"q=%231001"))
    merchant.get_by_role("link", name="#1001").click()
    expect(merchant.get_by_role("heading", name="Bestellung #1001")).to_be_visible()
    merchant.get_by_label("Versanddienstleister").fill("UPS")
    merchant.get_by_label("Sendungsnummer").fill("1Z999AA10123456784")
    merchant.get_by_role("button", name="Ausführen").click()
    expect(merchant.get_by_role("button", name="Ausführen")).to_have_count(0)
    update = shopper.get_by_role("region", name="Versandupdate für Bestellung #1001")
    expect(update).to_be_visible(timeout=ARRIVES)
    expect(update).to_contain_text("1Z999AA10123456784")

    # Weitere Aktionen -> Seite mit dem Bestellstatus anzeigen -> Abschalten (the help page's steps).
    more_actions = merchant.get_by_role("button", name="Weitere Aktionen")
    more_actions.click()
    merchant.get_by_role("link", name="Seite mit dem Bestellstatus anzeigen").click()
    expect(merchant.get_by_role("heading", name="Kunde")).to_be_visible()
    merchant.get_by_role("button", name="Abschalten").click()
    dialog = merchant.get_by_role("dialog", name="Messenger-Updates für die Bestellung #1001 ausschalten?")
    dialog.get_by_role("button", name="Updates ausschalten", exact=True).click()
    expect(merchant.get_by_text("Updates: ausgeschaltet")).to_be_visible()
    db.session.rollback()
    assert db.session.get(Order, order_id(1001)).fulfillment_status == "fulfilled"

    # The shopper's own settings in Messenger: Einstellungen für Bestellupdates.
    shopper.get_by_role("button", name="Einstellungen für Bestellupdates").click()
    expect(shopper.get_by_role("button", name="Bestellupdates ausschalten")).to_be_visible(timeout=ARRIVES)
    shopper.get_by_role("button", name="Weiterhin Updates erhalten").click()
    expect(shopper.get_by_role("button", name="Weiterhin Updates erhalten")).to_be_disabled(timeout=ARRIVES)
    expect(shopper.get_by_role("button", name="Bestellupdates ausschalten")).to_be_disabled()

    # The inquiry in the merchant's Anfragen, its due date in German.
    merchant.get_by_role("link", name="Anfragen").click()
    row = merchant.get_by_role("row").filter(has_text="Könnten Sie es als Geschenk verpacken?")
    expect(row).to_contain_text("#1001")
    row.get_by_role("button", name="Als beantwortet markieren").click()
    db.session.rollback()
    assert db.session.scalars(db.select(Inquiry)).one().answered_at is not None
    shopper.context.close()
    merchant.context.close()


def test_german_inbox_with_saved_replies_customizations_and_the_language_switch(browser: Browser, shop):
    db.session.add(SavedReply(title="Danke für Ihre Bestellung",
                              body="Vielen Dank, {{ first_name }}! Sie wird morgen verschickt."))
    db.session.commit()
    merchant = browser.new_context(locale=GERMAN).new_page()
    shopper = browser.new_context(locale=GERMAN).new_page()

    admin_anmelden(merchant, shop.base)
    merchant.get_by_role("link", name="Anpassungen").click()
    expect(merchant.get_by_role("heading", name="Anpassungen")).to_be_visible()
    merchant.get_by_role("link", name="Vertriebskanäle").click()
    expect(merchant.get_by_text("Messenger-Kanal: zu Maple & Thread hinzugefügt")).to_be_visible()
    merchant.get_by_role("link", name="Posteingang").click()
    expect(merchant.get_by_role("heading", name="Posteingang")).to_be_visible()

    facebook_anmelden(shopper, shop.base, "/messenger")
    shopper.get_by_label("Nachricht").fill("Hallo! Wann wird meine Bestellung verschickt?")
    shopper.get_by_role("button", name="Senden").click()

    conversation_link = merchant.get_by_role("link", name="Alex Rivera")
    expect(conversation_link).to_contain_text("Wann wird meine Bestellung verschickt?")
    conversation_link.click()
    expect(merchant.get_by_role("list", name="Nachrichten")).to_contain_text("Wann wird meine Bestellung")
    merchant.get_by_label("Gespeicherte Antworten").select_option(label="Danke für Ihre Bestellung")
    merchant.get_by_role("button", name="Einfügen").click()
    reply_box = merchant.get_by_label("Antwort", exact=True)
    expect(reply_box).to_have_value("Vielen Dank, Alex! Sie wird morgen verschickt.")
    merchant.get_by_role("button", name="Antworten", exact=True).click()
    expect(reply_box).to_have_value("")
    expect(shopper.get_by_role("log", name="Unterhaltung")).to_contain_text(
        "Vielen Dank, Alex! Sie wird morgen verschickt.", timeout=ARRIVES)

    # The footer's switch: English for this page and the next, and back to German.
    merchant.get_by_role("button", name="English").click()
    expect(merchant.locator("html")).to_have_attribute("lang", "en")
    expect(merchant.get_by_role("list", name="Messages")).to_contain_text("Vielen Dank, Alex!")
    merchant.get_by_role("link", name="Orders", exact=True).click()
    merchant.get_by_role("button", name="Deutsch").click()
    expect(merchant.get_by_role("heading", name="Bestellungen")).to_be_visible()
    merchant.context.close()
    shopper.context.close()

"""`flask messenger-setup`: the Page's Get Started button and persistent menu ("Order update
settings", "Search products") through the Messenger Profile API.

Idempotent: the current profile is read first, and written only when it differs.
"""
from __future__ import annotations

import click
from flask import Flask, current_app
from flask_babel import gettext as _
from flask_babel import pgettext

from ..shopper_language import DEFAULT_LANGUAGE, LANGUAGES, MESSENGER_LANGUAGE_CODES, in_language
from .graph import GraphClient
from .transport import SendError

FIELDS = ("get_started", "persistent_menu")
GET_STARTED_PAYLOAD = "get_started"


# A menu item's title has at most 30 characters; the help page's "Einstellungen für
# Bestellupdates" has 32, so the menu has words of its own.
MAX_MENU_TITLE = 30


def menu_title(choice: str) -> str:
    return {"order_update_settings": pgettext("Messenger persistent menu, at most 30 characters",
                                             "Order update settings"),
            "search_products": pgettext("Messenger persistent menu, at most 30 characters",
                                        "Search products")}[choice]


def _menu(messenger_locale: str, language: str) -> dict:
    with in_language(language):
        return {
            "locale": messenger_locale,
            "composer_input_disabled": False,
            "call_to_actions": [
                {"type": "postback", "title": menu_title(choice)[:MAX_MENU_TITLE], "payload": choice}
                for choice in ("order_update_settings", "search_products")
            ],
        }


def wanted_profile() -> dict:
    """English for everyone ("default"), and each other language for people whose Facebook is set
    to it (de_DE)."""
    menus = [_menu("default", DEFAULT_LANGUAGE)]
    menus += [_menu(MESSENGER_LANGUAGE_CODES[language], language)
              for language in LANGUAGES if language != DEFAULT_LANGUAGE]
    return {"get_started": {"payload": GET_STARTED_PAYLOAD}, "persistent_menu": menus}


def _normalized(profile: dict) -> dict:
    """The parts we set, in a form where the Platform's defaults compare equal to ours."""
    menus = []
    for menu in profile.get("persistent_menu") or []:
        menus.append({
            "locale": menu.get("locale", "default"),
            "composer_input_disabled": bool(menu.get("composer_input_disabled", False)),
            "call_to_actions": [{k: action.get(k) for k in ("type", "title", "payload", "url") if action.get(k)}
                                for action in menu.get("call_to_actions") or []],
        })
    return {"get_started": {"payload": (profile.get("get_started") or {}).get("payload")},
            "persistent_menu": menus}


def client_from_config(config) -> tuple[GraphClient, str]:
    page_id = config.get("MESSENGER_PAGE_ID")
    if not page_id or not config.get("MESSENGER_PAGE_ACCESS_TOKEN"):
        raise SendError(_("Set MESSENGER_PAGE_ID and MESSENGER_PAGE_ACCESS_TOKEN first."), transient=False)
    return GraphClient.from_config(config), page_id


def set_up_profile(config) -> bool:
    """Make the Page's profile what Pageshop needs; True when it had to be changed."""
    client, page_id = client_from_config(config)
    answer = client.request("GET", f"{page_id}/messenger_profile", params={"fields": ",".join(FIELDS)})
    current = (answer.get("data") or [{}])[0] if isinstance(answer.get("data"), list) else {}
    wanted = wanted_profile()
    if _normalized(current or {}) == _normalized(wanted):
        return False
    client.request("POST", f"{page_id}/messenger_profile", wanted)
    return True


def register(app: Flask) -> None:
    @app.cli.command("messenger-setup")
    def messenger_setup_command() -> None:
        """Set the Page's Get Started button and persistent menu on the Messenger Platform."""
        try:
            changed = set_up_profile(current_app.config)
        except SendError as exc:
            raise click.ClickException(exc.message)
        click.echo("Messenger profile updated: Get Started and the persistent menu are set." if changed
                   else "Messenger profile already up to date; nothing changed.")

"""The shopper's side of the conversation with the Page (S10): messages, the menu, quick replies and
product search. Every action of the shopper opens the 24-hour window (M4); the Page's answers to
them go in the RESPONSE lane.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import pgettext

from ..catalog import search_facebook_products
from ..errors import DomainError
from ..extensions import db
from ..models import Conversation, FacebookAccount, Message, Product, Store
from ..money import format_money
from .compose import absolute_url
from .conversations import find_conversation, open_conversation, record_incoming
from .subscriptions import turn_off_updates
from .transport import Outgoing, SendError, get_transport, remember_hold

MAX_MESSAGE = 2000
SEARCH_LIMIT = 10

MENU = ("order_update_settings", "search_products")
QUICK_REPLIES = ("turn_off", "keep")
STOP_SEARCH = "stop_search"  # the quick reply that leaves a search which found nothing


def menu_label(choice: str) -> str:
    return {"order_update_settings": _("Order update settings"),
            "search_products": _("Search products")}[choice]


def quick_reply_label(choice: str) -> str:
    return {"turn_off": _("Turn off order updates"), "keep": _("Keep receiving updates"),
            STOP_SEARCH: _("Stop searching")}[choice]


def quick_reply_short_label(choice: str) -> str | None:
    """The Messenger apps cut a quick reply's title after 20 characters: the words for them."""
    # At most 20 characters (MAX_QUICK_REPLY_TITLE), in every language.
    return {"turn_off": pgettext("Messenger quick reply, at most 20 characters", "Turn off updates"),
            "keep": pgettext("Messenger quick reply, at most 20 characters", "Keep updates")}.get(choice)


@dataclass
class ShopperView:
    """What the shopper's Messenger shows: the conversation, or why there is none."""

    conversation: Conversation | None
    page_name: str
    can_write: bool


def shopper_view(account: FacebookAccount, store: Store) -> ShopperView:
    """With the channel on: the conversation with its Page (maybe not started yet). With it removed:
    the account's latest conversation with the store goes on; without one, nothing can start."""
    if store.messenger_active:
        conversation = find_conversation(store.messenger_page_id, account.id)
        return ShopperView(conversation, store.messenger_page.name, True)
    conversation = db.session.scalars(
        db.select(Conversation).filter_by(facebook_account_id=account.id)
        .order_by(Conversation.last_message_at.desc().nulls_last(), Conversation.id.desc())
    ).first()
    if conversation is None:
        page = store.facebook_page
        return ShopperView(None, page.name if page else store.name, False)
    return ShopperView(conversation, conversation.page.name, True)


def _conversation_for_action(account: FacebookAccount, store: Store) -> Conversation:
    view = shopper_view(account, store)
    if not view.can_write:
        raise DomainError(_("%(page)s isn't taking messages right now.", page=view.page_name))
    if view.conversation is None:
        return open_conversation(store.messenger_page, account)
    return view.conversation


def _reply(conversation: Conversation, text: str, kind: str = "text", payload: dict | None = None) -> Message:
    try:
        return get_transport().send(Outgoing(conversation=conversation, kind=kind, text=text,
                                             lane="RESPONSE", payload=payload))
    except SendError as exc:
        db.session.rollback()
        remember_hold(exc)
        raise DomainError(_("The Page couldn't answer right now: %(reason)s", reason=exc.message))


def send_message(account: FacebookAccount, store: Store, text: str) -> Message:
    """The shopper writes to the Page. Free text goes to the merchant's inbox; after "Search
    products" it is the search query and the Page answers with product cards."""
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        raise DomainError(_("Write a message first."), "text")
    if len(text) > MAX_MESSAGE:
        raise DomainError(_("Your message is too long: use at most %(max)s characters.", max=MAX_MESSAGE),
                          "text")
    conversation = _conversation_for_action(account, store)
    message = record_incoming(conversation, text)
    if conversation.awaiting == "search_query":
        _reply(conversation, *search_reply(conversation, text))
    db.session.commit()
    return message


def choose_menu(account: FacebookAccount, store: Store, choice: str) -> None:
    if choice not in MENU:
        raise DomainError(_("Choose one of the menu's options."), "choice")
    conversation = _conversation_for_action(account, store)
    record_incoming(conversation, menu_label(choice), kind="postback", payload={"menu": choice})
    page_name = conversation.page.name
    if choice == "order_update_settings":
        conversation.awaiting = None
        _reply(conversation,
               _("Do you want to keep getting updates about your orders from %(page)s here?", page=page_name),
               kind="quick_replies",
               payload={"quick_replies": [{"title": quick_reply_label(c), "choice": c} for c in QUICK_REPLIES]})
    else:
        conversation.awaiting = "search_query"
        _reply(conversation, _("What are you looking for? Send a word or two, like a product name."))
    db.session.commit()


def choose_quick_reply(account: FacebookAccount, store: Store, choice: str) -> None:
    if choice not in QUICK_REPLIES + (STOP_SEARCH,):
        raise DomainError(_("Choose one of the answers."), "choice")
    conversation = _conversation_for_action(account, store)
    record_incoming(conversation, quick_reply_label(choice), kind="postback", payload={"quick_reply": choice})
    page = conversation.page
    if choice == STOP_SEARCH:
        _reply(conversation, stop_search(conversation))
    elif choice == "turn_off":
        turn_off_updates(account, page)
        _reply(conversation, _("You won't get order updates from %(page)s anymore.", page=page.name))
    else:
        _reply(conversation, _("You'll keep getting order updates from %(page)s here.", page=page.name))
    db.session.commit()


# --- product search -----------------------------------------------------------------------


def search_reply(conversation: Conversation, query: str) -> tuple[str, str, dict | None]:
    """The Page's answer to what the shopper sends while searching, whatever the transport:
    (text, kind, payload). Product cards end the search; when nothing matched the Page asks for
    another word and goes on searching (the next message is searched too) until the shopper taps
    "Stop searching" or chooses something from the menu."""
    text, payload = search_answer(query)
    if payload is not None:
        conversation.awaiting = None
        return text, "product_cards", payload
    conversation.awaiting = "search_query"
    return text, "quick_replies", {"quick_replies": [{"title": quick_reply_label(STOP_SEARCH),
                                                      "choice": STOP_SEARCH}]}


def stop_search(conversation: Conversation) -> str:
    """ "Stop searching": what the shopper writes next goes to the Page again; the Page's answer."""
    conversation.awaiting = None
    return _("OK. Write to us here any time, or choose “Search products” to search again.")


def search_answer(query: str) -> tuple[str, dict | None]:
    """The Page's answer to a search in chat: its text, and the product cards' payload (None when
    nothing matched). A card's "Buy Now" buys one variant: the card names it (the subtitle) when
    the product has several, and "View" opens the product to choose another."""
    products = find_products(query)
    if not products:
        return _("Nothing matched “%(query)s”. Send another word, or tap “Stop searching”.",
                 query=query), None
    currency = db.session.scalar(db.select(Store.currency).limit(1)) or "USD"
    cards = []
    for product in products:
        variant = next((v for v in product.variants if v.stock > 0), None)
        shown = variant or (product.variants[0] if product.variants else None)
        price_cents = shown.price_cents if shown else 0
        variant_title = shown.title if shown and len(product.variants) > 1 else None
        subtitle = format_money(price_cents, currency)
        if variant_title:
            subtitle = f"{variant_title} · {subtitle}"
        if variant is None:
            subtitle = f"{subtitle} · {_('Sold out')}"
        cards.append({
            "title": product.title,
            "variant_title": variant_title,
            "subtitle": subtitle,
            "price_cents": price_cents,
            "currency": currency,
            "image_url": absolute_url("storefront.product_image", filename=product.image_filename)
            if product.image_filename else None,
            "product_url": absolute_url("storefront.product", handle=product.handle),
            "buy_url": absolute_url("storefront.checkout", variant=variant.id, quantity=1, source="messenger")
            if variant else None,
            "sold_out": variant is None,
        })
    return _("Here's what I found for “%(query)s”:", query=query), {"query": query, "cards": cards}


def find_products(query: str) -> list[Product]:
    """The Shop tab's own search: accents and case folded, through the search index."""
    return search_facebook_products(query, limit=SEARCH_LIMIT)


def conversation_messages(conversation: Conversation | None, after_id: int = 0) -> list[Message]:
    if conversation is None:
        return []
    return list(db.session.scalars(
        db.select(Message).where(Message.conversation_id == conversation.id, Message.id > after_id)
        .order_by(Message.id)
    ))


def question_with_quick_replies(conversation: Conversation | None, message_id: int) -> Message | None:
    """Message `message_id` of this conversation if it is the Page's question with quick replies."""
    if conversation is None or not message_id:
        return None
    message = db.session.get(Message, message_id)
    if message is None or message.conversation_id != conversation.id or message.kind != "quick_replies":
        return None
    return message

"""The Messenger Platform's webhook, domain side (M6): what the Page's shoppers do in Messenger.

The route checks the call's signature, keeps the raw body as a WebhookDelivery and answers 200 at
once; the worker's job processes it after. Each event is processed once: its key (the message's
`mid`, or for a postback without one sender + timestamp + payload) is a unique WebhookReceipt
committed with what the event changed, so a call the Platform sends again changes nothing.

Events (payload shapes: developers.facebook.com/docs/messenger-platform/reference/webhook-events):
- `message`: text, `quick_reply.payload`, attachments; the first one after a checkbox opt-in names
  its `user_ref` in `prior_message`, which links it to the sender's PSID;
- `postback`: the persistent menu, Get Started, product cards; from the checkbox's user_ref before
  the PSID is known, `sender.user_ref` instead of `sender.id`;
- `optin`: the checkbox plugin's confirmation (a `user_ref`, no sender);
- `referral`: the person came through an m.me link or an ad;
- `message` with `is_echo`: a message the Page sent. An echo naming one of our order updates in its
  metadata confirms that update (pageshop.messenger.outbox.confirm_by_echo); an echo from another
  app (Meta Business Suite's inbox) is shown as the Page's message, marked where it was written;
  echoes of our other sends are already stored.
Events in `standby` (another app holds the thread) are stored like the others, and answered by
nobody here. Every action opens the windows from its own `timestamp`, the Platform's clock.
Deliveries, reads and reactions are ignored.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from .. import clock, worker
from ..extensions import db
from ..models import (
    Conversation,
    FacebookPage,
    Message,
    Notification,
    Store,
    Subscription,
    WebhookDelivery,
    WebhookReceipt,
)
from ..shopper_language import in_language
from .conversations import clean_text, record_customer_action, record_incoming
from .graph import (
    Scrubber,
    confirm_opt_in,
    conversation_for_psid,
    conversation_for_subscription,
    conversation_for_user_ref,
    fetch_profile,
    link_user_ref,
    notification_named,
    sent_by_pageshop,
    stand_in_name,
)
from .transport import Outgoing, SendError, get_transport, hold

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
KEEP = timedelta(days=30)
BATCH = 20
MAX_TEXT = 2000
GET_STARTED = "get_started"
MENU_PAYLOADS = ("order_update_settings", "search_products")
QUICK_REPLY_PAYLOADS = ("turn_off", "keep")
# Echoes of replies typed in Meta's own inboxes carry their app's id.
META_INBOX_APPS = {"263902037430900": "Meta Business Suite"}
EPOCH = datetime(1970, 1, 1)


# --- authenticating the Platform ------------------------------------------------------------


def challenge_answer(mode: str | None, token: str | None, challenge: str | None, verify_token: str | None) -> str | None:
    """The subscription check: the challenge echoed only for our verify token."""
    if mode != "subscribe" or not verify_token or token is None or challenge is None:
        return None
    if not hmac.compare_digest(token.encode(), verify_token.encode()):
        return None
    return challenge


def signature_valid(body: bytes, header: str | None, app_secret: str | None) -> bool:
    """X-Hub-Signature-256: "sha256=" + the HMAC-SHA256 of the raw body keyed with the app secret."""
    if not app_secret or not header or not header.startswith("sha256="):
        return False
    expected = "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header.strip().encode(), expected.encode())


def receive(body: bytes) -> WebhookDelivery:
    """Keep the call as received; the worker processes it (the Platform wants its 200 fast)."""
    delivery = WebhookDelivery(body=clean_text(body.decode("utf-8", errors="replace")), received_at=clock.now())
    db.session.add(delivery)
    db.session.commit()
    return delivery


# --- processing ---------------------------------------------------------------------------


def process_pending_deliveries() -> int:
    """The worker's job: every delivery not processed yet, oldest first."""
    _forget_old()
    ids = list(db.session.scalars(
        db.select(WebhookDelivery.id).where(WebhookDelivery.processed_at.is_(None))
        .order_by(WebhookDelivery.id).limit(BATCH)
    ))
    db.session.rollback()
    for delivery_id in ids:
        process_delivery(delivery_id)
    return len(ids)


_last_forget = {"at": None}


def _forget_old() -> None:
    """The Platform retries a call for hours, not weeks: older receipts and calls can go (checked
    once an hour, so that the worker's idle polls write nothing)."""
    now = clock.now()
    if _last_forget["at"] is not None and now - _last_forget["at"] < timedelta(hours=1):
        return
    _last_forget["at"] = now
    before = now - KEEP
    db.session.execute(db.delete(WebhookDelivery).where(WebhookDelivery.processed_at < before))
    db.session.execute(db.delete(WebhookReceipt).where(WebhookReceipt.received_at < before))
    db.session.commit()


def process_delivery(delivery_id: int) -> None:
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.processed_at is not None:
        db.session.rollback()
        return
    try:
        data = json.loads(delivery.body)
        for entry in data.get("entry", []) if data.get("object") == "page" else []:
            page = page_for_entry(str(entry.get("id", "")))
            for event in entry.get("messaging", []):
                process_event(page, event)
            for event in entry.get("standby", []):
                process_event(page, event, standby=True)
    except Exception as exc:  # kept and tried again; events already processed are not redone
        db.session.rollback()
        log.exception("processing webhook delivery %s failed", delivery_id)
        delivery = db.session.get(WebhookDelivery, delivery_id)
        delivery.attempts += 1
        delivery.last_error = _scrub(f"{type(exc).__name__}: {exc}")[:1000]
        if delivery.attempts >= MAX_ATTEMPTS:
            delivery.processed_at = clock.now()
        db.session.commit()
        return
    delivery = db.session.get(WebhookDelivery, delivery_id)
    delivery.attempts += 1
    delivery.processed_at = clock.now()
    db.session.commit()


def page_for_entry(platform_page_id: str) -> FacebookPage | None:
    page = db.session.scalars(db.select(FacebookPage).filter_by(platform_page_id=platform_page_id)).first()
    if page is not None:
        return page
    store = db.session.scalars(db.select(Store).order_by(Store.id).limit(1)).first()
    if store is None or platform_page_id != str(current_app.config.get("MESSENGER_PAGE_ID") or ""):
        return None
    # The configured Page: the Messenger channel's, or while it is removed the store's own Page,
    # so that existing conversations go on (A6).
    return store.messenger_page or store.facebook_page


def _sender(event: dict) -> dict:
    sender = event.get("sender")
    return sender if isinstance(sender, dict) else {}


def event_key(event: dict) -> str | None:
    """What makes an event the same event when the Platform sends it again; None: not kept."""
    sender = _sender(event)
    who = str(sender.get("id") or sender.get("user_ref") or "")
    if "message" in event:
        message = event["message"] or {}
        if not message.get("mid"):
            return None
        return ("echo:" if message.get("is_echo") else "mid:") + str(message["mid"])
    if "postback" in event:
        postback = event["postback"] or {}
        if postback.get("mid"):
            return "mid:" + str(postback["mid"])
        return _short("postback:" + ":".join([who, str(event.get("timestamp", "")),
                                                str(postback.get("payload", ""))]))
    if "optin" in event:
        optin = event["optin"] or {}
        if optin.get("user_ref"):
            return _short("optin:" + str(optin["user_ref"]))
        return _short("optin:" + ":".join([who, str(event.get("timestamp", "")), str(optin.get("ref", ""))]))
    if "referral" in event:
        return _short("referral:" + ":".join([who, str(event.get("timestamp", ""))]))
    return None  # delivery, read, reaction, ...


def event_time(event: dict) -> datetime:
    """When the person acted, by the Platform's clock (milliseconds since 1970); never later than now."""
    now = clock.now()
    try:
        at = EPOCH + timedelta(milliseconds=int(event.get("timestamp")))
    except (TypeError, ValueError, OverflowError):
        return now
    return min(at, now)


def _short(key: str) -> str:
    return key if len(key) <= 200 else key[:120] + ":" + hashlib.sha256(key.encode()).hexdigest()


def process_event(page: FacebookPage | None, event: dict, standby: bool = False) -> bool:
    """One event, at most once: its receipt and its effects are committed together."""
    key = event_key(event)
    if key is None or page is None:
        return False
    if db.session.scalars(db.select(WebhookReceipt.id).filter_by(key=key)).first() is not None:
        db.session.rollback()
        return False
    db.session.add(WebhookReceipt(key=key, received_at=clock.now()))
    try:
        db.session.flush()  # a concurrent copy of the event stops here, before anything is sent
    except IntegrityError:
        db.session.rollback()
        return False
    _handle(page, event, standby)
    db.session.commit()
    return True


def checkbox_confirmed(user_ref: str) -> bool:
    """Did the Platform confirm this checkbox opt-in (the shopper ticked it and placed the order)?"""
    key = _short("optin:" + user_ref)
    return db.session.scalars(db.select(WebhookReceipt.id).filter_by(key=key)).first() is not None


# --- what each event does -------------------------------------------------------------------


def _handle(page: FacebookPage, event: dict, standby: bool = False) -> None:
    if not isinstance(event, dict):
        return
    message = event.get("message") if isinstance(event.get("message"), dict) else None
    if message is not None and message.get("is_echo"):
        return _handle_echo(page, event, message)
    if "optin" in event:
        return _handle_optin(page, event)
    at = event_time(event)
    sender = _sender(event)
    psid = str(sender.get("id") or "")
    if psid:
        prior = event.get("prior_message") or {}
        if prior.get("source") == "checkbox_plugin" and prior.get("identifier"):
            link_user_ref(page, str(prior["identifier"]), psid)
        conversation = conversation_for_psid(page, psid)
        refresh_profile(conversation)
    elif sender.get("user_ref"):
        # A postback from a message sent to a checkbox user_ref: the person, before we know their PSID.
        conversation = _conversation_for_user_ref(page, str(sender["user_ref"]))
        if conversation is None:
            return
    else:
        return
    answer = not standby  # in standby another app holds the thread: it answers, not us
    if message is not None:
        mid = message.get("mid")
        choice = (message.get("quick_reply") or {}).get("payload")
        if choice:
            return _choose(conversation, choice, message.get("text") or choice, mid, at, answer)
        text = clean_text(message.get("text") or "").strip()[:MAX_TEXT]
        if not text and message.get("attachments"):
            text = _("(sent an attachment)")
        if not text:
            return record_customer_action(conversation, at)
        record_incoming(conversation, text, mid=mid, at=at)
        if answer and conversation.awaiting == "search_query":
            _answer_search(conversation, text)
    elif isinstance(event.get("postback"), dict):
        postback = event["postback"]
        payload = str(postback.get("payload") or "")
        label = clean_text(str(postback.get("title") or payload))
        if payload:
            _choose(conversation, payload, label, postback.get("mid"), at, answer)
        elif label:  # in standby the payload is only given to the app that sent the button
            record_incoming(conversation, label[:MAX_TEXT], kind="postback", mid=postback.get("mid"), at=at)
    else:  # a referral: the person opened the conversation through a link or an ad
        record_customer_action(conversation, at)


def _conversation_for_user_ref(page: FacebookPage, user_ref: str) -> Conversation | None:
    subscription = db.session.scalars(db.select(Subscription).filter_by(user_ref=user_ref)).first()
    if subscription is None or subscription.page_id != page.id:
        return None
    if subscription.psid:
        return conversation_for_psid(page, subscription.psid)
    return conversation_for_user_ref(page.id, user_ref, subscription.order.customer_name)


def _handle_optin(page: FacebookPage, event: dict) -> None:
    optin = event.get("optin") or {}
    at = event_time(event)
    sender = _sender(event).get("id")
    user_ref = optin.get("user_ref")
    if sender:  # an opt-in by a person the Page already knows: an action towards the Page (M4)
        if user_ref:
            link_user_ref(page, str(user_ref), str(sender))
        record_customer_action(conversation_for_psid(page, str(sender)), at)
    if not user_ref:
        return
    # A checkbox opt-in (user_ref, no sender): its receipt is the confirmation the checkout asks for,
    # and, once the order holds the subscription, an action towards the Page that opens the window.
    subscription = db.session.scalars(db.select(Subscription).filter_by(user_ref=str(user_ref))).first()
    if subscription is None:
        # Quicker than the checkout's transaction: the conversation kept for the user_ref
        # remembers when the window opened, for the order about to hold it.
        record_customer_action(conversation_for_user_ref(page.id, str(user_ref)), at)
    elif subscription.page_id == page.id:
        confirm_opt_in(subscription)
        record_customer_action(conversation_for_subscription(subscription), at)


def _handle_echo(page: FacebookPage, event: dict, message: dict) -> None:
    """A message the Page sent, told back by the Platform."""
    from .outbox import confirm_by_echo

    mid = str(message.get("mid") or "") or None
    metadata = message.get("metadata")
    recipient = event.get("recipient") if isinstance(event.get("recipient"), dict) else {}
    notification_id = notification_named(metadata)
    if notification_id is not None:
        confirm_by_echo(notification_id, mid, recipient)
        subscription = db.session.scalars(db.select(Subscription).join(Notification, Notification.subscription_id
                                                                        == Subscription.id)
                                          .where(Notification.id == notification_id)).first()
        if subscription is not None and subscription.user_ref and not subscription.psid and recipient.get("id"):
            link_user_ref(page, subscription.user_ref, str(recipient["id"]))  # the echo named the person
        return
    app_id = str(message.get("app_id") or "")
    ours = sent_by_pageshop(metadata) or app_id == str(current_app.config.get("MESSENGER_APP_ID") or "")
    if ours or (mid and db.session.scalars(db.select(Message.id).filter_by(mid=mid)).first()):
        return  # one of our own sends: stored when it was sent
    psid = str(recipient.get("id") or "")
    if not psid:
        return
    # Written elsewhere (Meta Business Suite's inbox, another app): the Page's message all the same.
    written_in = META_INBOX_APPS.get(app_id) or (_("another app (%(id)s)", id=app_id) if app_id else _("Meta's inbox"))
    text = clean_text(message.get("text") or "").strip()[:MAX_TEXT] or _("(sent an attachment)")
    conversation = conversation_for_psid(page, psid)
    now = clock.now()
    db.session.add(Message(conversation=conversation, direction="out", kind="text", text=text,
                           payload={"written_in": written_in, "app_id": app_id or None}, author="merchant",
                           mid=mid, created_at=now))
    conversation.last_message_at = now


def refresh_profile(conversation: Conversation) -> None:
    """The person's name and picture for the inbox, from the User Profile API; asked at most once
    per MESSENGER_PROFILE_MAX_AGE_SECONDS, kept when the Platform won't say."""
    now = clock.now()
    max_age = timedelta(seconds=float(current_app.config["MESSENGER_PROFILE_MAX_AGE_SECONDS"]))
    if conversation.profile_checked_at is not None and now - conversation.profile_checked_at < max_age:
        return
    conversation.profile_checked_at = now
    profile = fetch_profile(conversation.psid)
    if profile is None:
        return
    if profile["name"]:
        conversation.display_name = clean_text(profile["name"])
    elif not conversation.display_name:
        conversation.display_name = stand_in_name(conversation.psid)
    if profile["picture_url"]:
        conversation.picture_url = profile["picture_url"][:1000]


def shopper_language(conversation: Conversation) -> str | None:
    """The language of the person's latest order: the webhook has no request to tell theirs."""
    from ..inbox import latest_order

    order = latest_order(conversation)
    return order.locale if order is not None else None


def _choose(conversation: Conversation, choice: str, label: str, mid: str | None, at: datetime | None = None,
            answer: bool = True) -> None:
    with in_language(shopper_language(conversation)):
        _choose_in_language(conversation, choice, label, mid, at, answer)


def _choose_in_language(conversation: Conversation, choice: str, label: str, mid: str | None,
                        at: datetime | None, answer: bool) -> None:
    from .chat import STOP_SEARCH, menu_label, quick_reply_label, stop_search

    page = conversation.page
    if choice in MENU_PAYLOADS:
        record_incoming(conversation, menu_label(choice), kind="postback", payload={"menu": choice}, mid=mid, at=at)
        if not answer:
            return
        if choice == "order_update_settings":
            conversation.awaiting = None
            _reply(conversation,
                   _("Do you want to keep getting updates about your orders from %(page)s here?", page=page.name),
                   kind="quick_replies",
                   payload={"quick_replies": [{"title": quick_reply_label(c), "choice": c}
                                              for c in QUICK_REPLY_PAYLOADS]})
        else:
            conversation.awaiting = "search_query"
            _reply(conversation, _("What are you looking for? Send a word or two, like a product name."))
    elif choice in QUICK_REPLY_PAYLOADS:
        record_incoming(conversation, quick_reply_label(choice), kind="postback",
                        payload={"quick_reply": choice}, mid=mid, at=at)
        if choice == "turn_off":
            turn_off_for_psid(conversation)
        if not answer:
            return
        if choice == "turn_off":
            _reply(conversation, _("You won't get order updates from %(page)s anymore.", page=page.name))
        else:
            _reply(conversation, _("You'll keep getting order updates from %(page)s here.", page=page.name))
    elif choice == STOP_SEARCH:
        record_incoming(conversation, quick_reply_label(choice), kind="postback",
                        payload={"quick_reply": choice}, mid=mid)
        _reply(conversation, stop_search(conversation))
    elif choice == GET_STARTED:
        record_incoming(conversation, label, kind="postback", payload={"menu": GET_STARTED}, mid=mid, at=at)
        if not answer:
            return
        _reply(conversation, _("Hi! This is %(page)s. Use the menu for \"Order update settings\" or "
                               "\"Search products\", or just write to us.", page=page.name))
    else:
        record_incoming(conversation, str(label)[:MAX_TEXT], mid=mid, at=at)


def turn_off_for_psid(conversation: Conversation) -> int:
    """ "Turn off order updates" from Messenger: every active subscription of this person at the Page."""
    from .subscriptions import turn_off_subscriptions

    person = []
    if conversation.psid:
        person.append(Subscription.psid == conversation.psid)
    if conversation.user_ref:
        person.append(Subscription.user_ref == conversation.user_ref)
    if conversation.facebook_account_id is not None:
        person.append(Subscription.facebook_account_id == conversation.facebook_account_id)
    return turn_off_subscriptions(conversation.page_id, *person)


def _answer_search(conversation: Conversation, query: str) -> None:
    from .chat import search_reply

    with in_language(shopper_language(conversation)):
        _reply(conversation, *search_reply(conversation, query))


def _reply(conversation: Conversation, text: str, kind: str = "text", payload: dict | None = None) -> None:
    """The Page answers in the RESPONSE lane. A failed answer is logged: the shopper's own message is
    kept either way (they can ask again)."""
    try:
        get_transport().send(Outgoing(conversation=conversation, kind=kind, text=text, lane="RESPONSE",
                                      payload=payload))
    except SendError as exc:
        log.warning("The Page's answer in conversation %s was not sent: %s", conversation.id, exc.message)
        if exc.hold:
            store = db.session.scalars(db.select(Store).order_by(Store.id).limit(1)).first()
            if store is not None:
                hold(store, exc)


def _scrub(text: str) -> str:
    config = current_app.config
    return Scrubber(config.get("MESSENGER_PAGE_ACCESS_TOKEN"), config.get("MESSENGER_APP_SECRET"))(text)


def register() -> None:
    worker.register_job(process_pending_deliveries)

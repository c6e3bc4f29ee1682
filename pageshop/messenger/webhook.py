"""The Messenger Platform's webhook, domain side (M6): what the Page's shoppers do in Messenger.

The route checks the call's signature, keeps the raw body as a WebhookDelivery and answers 200 at
once; the worker's job processes it after. Each event is processed once: its key (the message's
`mid`, or for a postback without one sender + timestamp + payload) is a unique WebhookReceipt
committed with what the event changed, so a call the Platform sends again changes nothing.

Events: `message` (text, `quick_reply.payload`, a first message after a checkbox opt-in that links
its `user_ref` to the PSID), `postback` (the persistent menu, Get Started, product cards), `optin`
(the checkbox plugin: a `user_ref`, no sender). Deliveries, reads and echoes are ignored.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from .. import clock, worker
from ..extensions import db
from ..models import Conversation, FacebookPage, Store, Subscription, WebhookDelivery, WebhookReceipt
from .conversations import record_incoming
from .graph import Scrubber, confirm_opt_in, conversation_for_psid, conversation_for_subscription, link_user_ref
from .transport import Outgoing, SendError, get_transport

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
KEEP = timedelta(days=30)
BATCH = 20
MAX_TEXT = 2000
GET_STARTED = "get_started"
MENU_PAYLOADS = ("order_update_settings", "search_products")
QUICK_REPLY_PAYLOADS = ("turn_off", "keep")


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
    delivery = WebhookDelivery(body=body.decode("utf-8", errors="replace"), received_at=clock.now())
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


def event_key(event: dict) -> str | None:
    """What makes an event the same event when the Platform sends it again; None: not kept."""
    sender = str((event.get("sender") or {}).get("id", ""))
    if "message" in event:
        message = event["message"] or {}
        if message.get("is_echo") or not message.get("mid"):
            return None
        return "mid:" + message["mid"]
    if "postback" in event:
        postback = event["postback"] or {}
        if postback.get("mid"):
            return "mid:" + postback["mid"]
        return _short("postback:" + ":".join([sender, str(event.get("timestamp", "")),
                                                str(postback.get("payload", ""))]))
    if "optin" in event:
        optin = event["optin"] or {}
        if optin.get("user_ref"):
            return _short("optin:" + str(optin["user_ref"]))
        return _short("optin:" + ":".join([sender, str(event.get("timestamp", "")), str(optin.get("ref", ""))]))
    return None  # delivery, read, reaction, ...


def _short(key: str) -> str:
    return key if len(key) <= 200 else key[:120] + ":" + hashlib.sha256(key.encode()).hexdigest()


def process_event(page: FacebookPage | None, event: dict) -> bool:
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
    _handle(page, event)
    db.session.commit()
    return True


def checkbox_confirmed(user_ref: str) -> bool:
    """Did the Platform confirm this checkbox opt-in (the shopper ticked it and placed the order)?"""
    key = _short("optin:" + user_ref)
    return db.session.scalars(db.select(WebhookReceipt.id).filter_by(key=key)).first() is not None


# --- what each event does -------------------------------------------------------------------


def _handle(page: FacebookPage, event: dict) -> None:
    if "optin" in event:
        return _handle_optin(page, event)
    psid = str((event.get("sender") or {}).get("id", ""))
    if not psid:
        return
    prior = event.get("prior_message") or {}
    if prior.get("source") == "checkbox_plugin" and prior.get("identifier"):
        link_user_ref(page, str(prior["identifier"]), psid)
    conversation = conversation_for_psid(page, psid)
    if "message" in event:
        message = event["message"]
        mid = message.get("mid")
        choice = (message.get("quick_reply") or {}).get("payload")
        if choice:
            return _choose(conversation, choice, message.get("text") or choice, mid)
        text = (message.get("text") or "").strip()[:MAX_TEXT]
        if not text and message.get("attachments"):
            text = _("(sent an attachment)")
        if not text:
            return
        record_incoming(conversation, text, mid=mid)
        if conversation.awaiting == "search_query":
            _answer_search(conversation, text)
    elif "postback" in event:
        postback = event["postback"]
        payload = str(postback.get("payload") or "")
        _choose(conversation, payload, postback.get("title") or payload, postback.get("mid"))


def _handle_optin(page: FacebookPage, event: dict) -> None:
    optin = event.get("optin") or {}
    sender = (event.get("sender") or {}).get("id")
    if sender:  # an opt-in by a person the Page already knows: an action towards the Page (M4)
        conversation = conversation_for_psid(page, str(sender))
        conversation.last_customer_action_at = clock.now()
    user_ref = optin.get("user_ref")
    if not user_ref:
        return
    # A checkbox opt-in (user_ref, no sender): its receipt is the confirmation the checkout asks for,
    # and, once the order holds the subscription, an action towards the Page that opens the window.
    subscription = db.session.scalars(db.select(Subscription).filter_by(user_ref=str(user_ref))).first()
    if subscription is not None and subscription.page_id == page.id:
        confirm_opt_in(subscription)
        conversation_for_subscription(subscription).last_customer_action_at = clock.now()


def _choose(conversation: Conversation, choice: str, label: str, mid: str | None) -> None:
    from .chat import STOP_SEARCH, menu_label, quick_reply_label, stop_search

    page = conversation.page
    if choice in MENU_PAYLOADS:
        record_incoming(conversation, menu_label(choice), kind="postback", payload={"menu": choice}, mid=mid)
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
                        payload={"quick_reply": choice}, mid=mid)
        if choice == "turn_off":
            turn_off_for_psid(conversation)
            _reply(conversation, _("You won't get order updates from %(page)s anymore.", page=page.name))
        else:
            _reply(conversation, _("You'll keep getting order updates from %(page)s here.", page=page.name))
    elif choice == STOP_SEARCH:
        record_incoming(conversation, quick_reply_label(choice), kind="postback",
                        payload={"quick_reply": choice}, mid=mid)
        _reply(conversation, stop_search(conversation))
    elif choice == GET_STARTED:
        record_incoming(conversation, label, kind="postback", payload={"menu": GET_STARTED}, mid=mid)
        _reply(conversation, _("Hi! This is %(page)s. Use the menu for \"Order update settings\" or "
                               "\"Search products\", or just write to us.", page=page.name))
    else:
        record_incoming(conversation, str(label)[:MAX_TEXT], mid=mid)


def turn_off_for_psid(conversation: Conversation) -> int:
    """ "Turn off order updates" from Messenger: every active subscription of this person at the Page."""
    from .subscriptions import turn_off_updates

    result = db.session.execute(
        db.update(Subscription)
        .where(Subscription.page_id == conversation.page_id, Subscription.psid == conversation.psid,
               Subscription.state == "active")
        .values(state="turned_off", state_changed_at=clock.now())
        .execution_options(synchronize_session="fetch")
    )
    count = result.rowcount
    if conversation.facebook_account is not None:
        count += turn_off_updates(conversation.facebook_account, conversation.page)
    return count


def _answer_search(conversation: Conversation, query: str) -> None:
    from .chat import search_reply

    _reply(conversation, *search_reply(conversation, query))


def _reply(conversation: Conversation, text: str, kind: str = "text", payload: dict | None = None) -> None:
    """The Page answers in the RESPONSE lane. A failed answer is logged: the shopper's own message is
    kept either way (they can ask again)."""
    try:
        get_transport().send(Outgoing(conversation=conversation, kind=kind, text=text, lane="RESPONSE",
                                      payload=payload,
                                      recipient={"id": conversation.psid} if conversation.psid else None))
    except SendError as exc:
        log.warning("The Page's answer in conversation %s was not sent: %s", conversation.id, exc.message)
        if exc.hold:
            store = db.session.scalars(db.select(Store).order_by(Store.id).limit(1)).first()
            if store is not None:
                store.messenger_needs_reconnect = True


def _scrub(text: str) -> str:
    config = current_app.config
    return Scrubber(config.get("MESSENGER_PAGE_ACCESS_TOKEN"), config.get("MESSENGER_APP_SECRET"))(text)


def register() -> None:
    worker.register_job(process_pending_deliveries)

"""The `graph` transport (M6): the Messenger Platform's Send API.

`POST {GRAPH_URL}/{page-id}/messages?access_token=...&appsecret_proof=...` with a JSON body: the
recipient (a PSID, or the checkbox plugin's `user_ref` before the shopper wrote to the Page), the
`messaging_type` of the message's lane, and the message: text with quick replies, the receipt
template, the generic template for product cards, or, outside the 24-hour window, an approved
utility-message template (to a PSID only: Meta documents utility messages by `recipient.id`).
Every message carries `metadata` naming what it is ("pageshop:notification:17"), which the
Platform gives back in the `message_echoes` webhook: an order update whose answer never came is
confirmed by its echo instead of being sent twice.

The Platform's answer is classified for the outbox: failures of the whole Platform pause the
channel, an error about one message fails that message, an expired token (190) or a restricted Page
(10/1893063) holds the messages until the merchant acts. The Page token and the app secret never
leave this module: every text we keep or raise is scrubbed.
"""
from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import re
import socket
import urllib.error
import urllib.parse
import urllib.request
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import update

from .. import clock
from ..config import DEFAULT_GRAPH_URL
from ..extensions import db
from ..models import (
    Conversation,
    FacebookPage,
    Message,
    Notification,
    NotificationState,
    Subscription,
    shown_variant_title,
)
from ..shopper_language import DEFAULT_LANGUAGE, in_language, language_of, plural_count
from ..validation import clip
from .chat import quick_reply_short_label
from .conversations import insert_once
from .transport import Outgoing, SendError, Transport

log = logging.getLogger(__name__)

LANE_MESSAGING_TYPES = {"RESPONSE": "RESPONSE", "UPDATE": "UPDATE", "UTILITY": "UTILITY",
                        "HUMAN_AGENT": "MESSAGE_TAG"}
# Retired in April 2026: the Platform answers them with error 100. Never sent.
RETIRED_TAGS = frozenset({"POST_PURCHASE_UPDATE", "CONFIRMED_EVENT_UPDATE", "ACCOUNT_UPDATE"})
MAX_GENERIC_ELEMENTS = 10
MAX_TEXT = 2000
MAX_QUICK_REPLY_TITLE = 20
MAX_METADATA = 1000

UTILITY_EVENTS = ("order_confirmation", "shipping_update", "out_for_delivery", "delivered")
# The approved utility-message templates' named body parameters, per event.
UTILITY_PARAMETERS = {
    "order_confirmation": ("order_number",),
    "shipping_update": ("order_number", "tracking_number", "tracking_url"),
    "out_for_delivery": ("order_number",),
    "delivered": ("order_number",),
}

# Failures of the Platform, not of one message: the outbox pauses the channel on them.
PLATFORM_WIDE_CODES = frozenset({1, 2, 4, 17, 32, 341, 613})
TOKEN_CODES = frozenset({190})
PAGE_RESTRICTED = (10, 1893063)

# Only the checkout with the checkbox plugin (and the order status page that confirms it) loads
# Facebook's SDK (connect.facebook.net) and its frame (facebook.com); the SDK adds a <style> element
# of its own, hence inline styles there.
CHECKBOX_PLUGIN_SOURCES = {
    "script-src": ["https://connect.facebook.net"],
    "style-src": ["'unsafe-inline'"],
    "img-src": ["https://www.facebook.com", "https://*.fbcdn.net"],
    "connect-src": ["https://connect.facebook.net", "https://www.facebook.com", "https://graph.facebook.com"],
    "frame-src": ["https://www.facebook.com", "https://web.facebook.com", "https://staticxx.facebook.com"],
}
# The shoppers' profile pictures (User Profile API) in the admin's inbox come from Meta's CDN.
PROFILE_PICTURE_SOURCES = ["https://*.fbcdn.net", "https://platform-lookaside.fbsbx.com"]

METADATA_PREFIX = "pageshop"


def metadata_for(notification_id: int | None, part: str | None = None) -> str:
    """What a Send API call says it is: an order update's own message names its notification."""
    if notification_id is None:
        return METADATA_PREFIX
    return f"{METADATA_PREFIX}:notification:{notification_id}" + (f":{part}" if part else "")


def notification_named(metadata: str | None) -> int | None:
    """The notification an echo's metadata confirms (only its own message, not an extra part)."""
    match = re.fullmatch(METADATA_PREFIX + r":notification:(\d+)", metadata or "")
    return int(match.group(1)) if match else None


def sent_by_pageshop(metadata: str | None) -> bool:
    return (metadata or "").split(":", 1)[0] == METADATA_PREFIX


# --- keeping secrets out of what we say --------------------------------------------------


class Scrubber:
    """Replaces the token and the secret, and any `access_token=` in a URL, by "[redacted]"."""

    def __init__(self, *secrets: str | None):
        self.secrets = [s for s in secrets if s]

    def __call__(self, text: Any) -> str:
        text = str(text)
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
            quoted = urllib.parse.quote(secret, safe="")
            if quoted != secret:
                text = text.replace(quoted, "[redacted]")
        return re.sub(r"(access_token|appsecret_proof|client_secret)=[^&\s\"']+", r"\1=[redacted]", text)


# --- the Platform's answer ------------------------------------------------------------------


@dataclass
class PlatformError:
    status: int | None
    code: int | None = None
    subcode: int | None = None
    message: str = ""


def classify(error: PlatformError, scrub: Scrubber) -> SendError:
    """From the Platform's error to what the outbox does with it."""
    code, subcode = error.code, error.subcode
    detail = scrub(error.message)[:300]
    if code in TOKEN_CODES:
        return SendError(_("The Page's access token expired or was revoked: reconnect the Page. "
                           "Messages are held until then."), transient=False, hold=True, code=code,
                         subcode=subcode)
    if (code, subcode) == PAGE_RESTRICTED:
        return SendError(_("Meta has temporarily restricted this Page from sending messages "
                           "(error 10/1893063). Messages are held: once Meta lifts the restriction "
                           "(see the Page's quality in Meta Business Suite), reconnect the Page."),
                         transient=False, hold=True, code=code, subcode=subcode)
    if code == 551:
        return SendError(_("This person isn't available on Messenger right now (error 551)."),
                         transient=False, code=code, subcode=subcode)
    if code == 10 and subcode == 2018278:
        return SendError(_("Outside the 24-hour messaging window: the Platform refused the message "
                           "(error 10/2018278)."), transient=False, code=code, subcode=subcode)
    if code == 100 and subcode == 2018001:
        return SendError(_("No matching Messenger user: the person never opted in or blocked the Page "
                           "(error 100/2018001)."), transient=False, code=code, subcode=subcode)
    if code in PLATFORM_WIDE_CODES:
        return SendError(_("The Messenger Platform is busy or rate-limiting (error %(code)s).", code=code),
                         transient=True, platform_wide=True, code=code, subcode=subcode)
    if code is None and (error.status is None or error.status >= 500 or error.status == 429):
        return SendError(_("The Messenger Platform didn't answer properly (HTTP %(status)s).",
                           status=error.status or "?"), transient=True, platform_wide=True)
    if code is not None and error.status is not None and error.status >= 500 and code not in (100, 10, 200):
        return SendError(_("The Messenger Platform had an error (HTTP %(status)s, error %(code)s).",
                           status=error.status, code=code), transient=True, platform_wide=True, code=code)
    if code == 100:
        reason = _("Invalid parameter (error 100)")
    else:
        reason = _("Refused by the Messenger Platform (error %(code)s)", code=code if code is not None
                   else f"HTTP {error.status}")
    if subcode:
        reason += f"/{subcode}"
    return SendError(f"{reason}: {detail}" if detail else reason, transient=False, code=code, subcode=subcode)


# --- the HTTP client ------------------------------------------------------------------------


def appsecret_proof(access_token: str, app_secret: str) -> str:
    """Meta's "Require app secret" switch: the HMAC-SHA256 of the token keyed with the app secret."""
    return hmac.new(app_secret.encode(), access_token.encode(), hashlib.sha256).hexdigest()


class GraphClient:
    """A small Graph API client: JSON in and out, a timeout on every call, `appsecret_proof` on
    every call when the app secret is set, secrets scrubbed."""

    def __init__(self, base_url: str, access_token: str | None, timeout: float, app_secret: str | None = None):
        self.base_url = base_url.rstrip("/")
        self.access_token = access_token
        self.app_secret = app_secret
        self.timeout = timeout
        self.scrub = Scrubber(access_token, app_secret)

    @classmethod
    def from_config(cls, config) -> GraphClient:
        return cls(config.get("GRAPH_URL") or DEFAULT_GRAPH_URL, config.get("MESSENGER_PAGE_ACCESS_TOKEN"),
                   float(config.get("GRAPH_TIMEOUT") or 10), config.get("MESSENGER_APP_SECRET"))

    def _url(self, path: str, params: dict[str, str] | None = None) -> str:
        query = dict(params or {})
        query["access_token"] = self.access_token or ""
        if self.app_secret and self.access_token:
            query["appsecret_proof"] = appsecret_proof(self.access_token, self.app_secret)
        return f"{self.base_url}/{path.lstrip('/')}?{urllib.parse.urlencode(query)}"

    def _no_answer(self) -> SendError:
        # The request went out: the Platform may have sent the message. Not resent blind.
        return SendError(ngettext("The Messenger Platform didn't answer within %(seconds)s second.",
                                  "The Messenger Platform didn't answer within %(seconds)s seconds.",
                                  plural_count(self.timeout), seconds=f"{self.timeout:g}"),
                         transient=True, platform_wide=True, unknown_outcome=True)

    def request(self, method: str, path: str, body: dict | None = None,
                params: dict[str, str] | None = None) -> dict:
        """The decoded answer, or a SendError already classified (never with the token in it)."""
        if not self.access_token:
            raise SendError(_("The Page access token is not configured (MESSENGER_PAGE_ACCESS_TOKEN)."),
                            transient=False, hold=True)
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self._url(path, params), data=data, method=method,
                                         headers={"Content-Type": "application/json",
                                                  "Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            error = classify(self._platform_error(exc), self.scrub)
            log.warning("Graph API %s %s refused (HTTP %s): %s", method, path.split("?")[0], exc.code, error.message)
            raise error from None
        except TimeoutError:
            raise self._no_answer() from None
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, (TimeoutError, socket.timeout)):
                raise self._no_answer() from None
            # Refused, or the name not resolved: nothing reached the Platform.
            sent = not isinstance(reason, (ConnectionRefusedError, socket.gaierror, str))
            raise SendError(_("Couldn't reach the Messenger Platform (%(reason)s).",
                              reason=self.scrub(reason)[:200]), transient=True, platform_wide=True,
                            unknown_outcome=sent) from None
        except (http.client.HTTPException, ConnectionError, OSError) as exc:
            # The connection broke after the request was sent: the outcome is unknown.
            raise SendError(_("The connection to the Messenger Platform broke before it answered (%(reason)s).",
                              reason=self.scrub(exc)[:200] or type(exc).__name__),
                            transient=True, platform_wide=True, unknown_outcome=True) from None
        try:
            return json.loads(raw or b"{}")
        except ValueError:
            raise SendError(_("The Messenger Platform's answer wasn't JSON."), transient=True,
                            platform_wide=True, unknown_outcome=True) from None

    def _platform_error(self, exc: urllib.error.HTTPError) -> PlatformError:
        try:
            answer = json.loads(exc.read() or b"{}")
        except (ValueError, OSError):
            answer = {}
        error = answer.get("error") if isinstance(answer, dict) else None
        if not isinstance(error, dict):
            return PlatformError(status=exc.code, message=exc.reason or "")
        return PlatformError(status=exc.code, code=_int(error.get("code")),
                             subcode=_int(error.get("error_subcode")), message=str(error.get("message", "")))


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- building the Send API's request ----------------------------------------------------------


def _amount(cents: int | None) -> float:
    return round((cents or 0) / 100, 2)


def _timestamp(value) -> str:
    if isinstance(value, datetime):
        return str(int((value - datetime(1970, 1, 1)).total_seconds()))
    if value in (None, ""):
        return str(int((clock.now() - datetime(1970, 1, 1)).total_seconds()))
    return str(value)


def _order_for(outgoing: Outgoing):
    if outgoing.notification_id is None:
        return None
    notification = db.session.get(Notification, outgoing.notification_id)
    return notification.order if notification is not None else None


def receipt_payload(outgoing: Outgoing) -> dict:
    """The receipt template: fields from the engine's payload, the rest from the order itself."""
    data = dict(outgoing.payload or {})
    order = _order_for(outgoing)
    currency = data.get("currency") or (order.currency if order else "USD")
    address = data.get("address") or ({
        "street_1": order.address, "city": order.city, "postal_code": order.postal_code,
        "state": order.region or order.city, "country": order.country,
    } if order else None)
    summary = {"subtotal": _amount(data.get("subtotal_cents")),
               "shipping_cost": _amount(data.get("shipping_cents")),
               "total_cost": _amount(data.get("total_cents"))}
    if data.get("tax_cents") is not None:
        summary["total_tax"] = _amount(data.get("tax_cents"))
    elements = []
    for item in data.get("items", [])[:100]:
        element = {"title": str(item.get("title", ""))[:80], "quantity": int(item.get("quantity", 1)),
                   "price": _amount(item.get("price_cents")), "currency": currency}
        if shown_variant_title(item.get("variant")):
            element["subtitle"] = str(item["variant"])[:80]
        if item.get("image_url"):
            element["image_url"] = item["image_url"]
        elements.append(element)
    payload = {
        "template_type": "receipt",
        "recipient_name": data.get("recipient_name") or (order.customer_name if order else "")
        or outgoing.conversation.display_name or _("Customer"),
        "order_number": data.get("order_number") or (order.name if order else ""),
        "currency": currency,
        "payment_method": data.get("payment_method") or (
            _("Card ending %(digits)s", digits=order.card_last_digits) if order and order.card_last_digits
            else _("Card")),
        "timestamp": _timestamp(data.get("timestamp") or (order.placed_at if order else None)),
        "summary": summary,
        "elements": elements,
    }
    if data.get("order_url"):
        payload["order_url"] = data["order_url"]
    if address:
        payload["address"] = {k: v for k, v in address.items() if v}
        payload["address"].setdefault("street_1", "-")
    if data.get("discount_cents"):
        payload["adjustments"] = [{"name": data.get("discount_code") or _("Discount"),
                                   "amount": _amount(data["discount_cents"])}]
    return payload


def generic_payload(outgoing: Outgoing) -> dict:
    elements = []
    for card in (outgoing.payload or {}).get("cards", [])[:MAX_GENERIC_ELEMENTS]:
        buttons = []
        if card.get("buy_url"):
            buttons.append({"type": "web_url", "url": card["buy_url"], "title": _("Buy Now")})
        view_url = card.get("view_url") or card.get("product_url")
        if view_url:
            buttons.append({"type": "web_url", "url": view_url, "title": _("View")})
        buttons.append({"type": "postback", "title": _("Search products"), "payload": "search_products"})
        element = {"title": str(card.get("title", ""))[:80], "buttons": buttons[:3]}
        subtitle = card.get("subtitle")
        if subtitle is None and card.get("price_cents") is not None:
            from ..money import format_money

            subtitle = format_money(card["price_cents"]) + (" · " + _("Sold out") if card.get("sold_out") else "")
        if subtitle:
            element["subtitle"] = str(subtitle)[:80]
        if card.get("image_url"):
            element["image_url"] = card["image_url"]
        if view_url:
            element["default_action"] = {"type": "web_url", "url": view_url}
        elements.append(element)
    return {"template_type": "generic", "elements": elements}


def quick_replies(outgoing: Outgoing) -> list[dict]:
    replies = []
    for reply in (outgoing.payload or {}).get("quick_replies", [])[:13]:
        title = str(reply.get("title", ""))
        if len(title) > MAX_QUICK_REPLY_TITLE:  # the apps would cut it mid-word
            title = quick_reply_short_label(reply.get("choice")) or title[:MAX_QUICK_REPLY_TITLE]
        replies.append({"content_type": "text", "title": title,
                        "payload": str(reply.get("payload") or reply.get("choice") or reply.get("title", ""))})
    return replies


def utility_template(outgoing: Outgoing) -> dict:
    """Outside the 24-hour window: the approved utility-message template of the notification's event,
    its named body parameters filled with the order's values (M4)."""
    data = outgoing.payload or {}
    event = data.get("event")
    if event not in UTILITY_EVENTS:
        raise SendError(_("Only order updates can be sent outside the 24-hour window."), transient=False)
    config = current_app.config
    parameters = [{"type": "text", "parameter_name": key, "text": str(data.get(key) or "-")}
                  for key in UTILITY_PARAMETERS[event]]
    # The template approved in the order's language: MESSENGER_UTILITY_TEMPLATE_..._DE for German.
    language = language_of(outgoing.locale)
    suffix = "" if language == DEFAULT_LANGUAGE else "_" + language.upper()
    return {"name": config[f"MESSENGER_UTILITY_TEMPLATE_{event.upper()}{suffix}"],
            "language": {"code": config[f"MESSENGER_UTILITY_TEMPLATE_LANGUAGE{suffix}"]},
            "components": [{"type": "body", "parameters": parameters}]}


def build_request(outgoing: Outgoing, recipient: dict, metadata: str | None = None) -> dict:
    """The Send API's JSON body for one Outgoing."""
    lane = outgoing.lane
    if lane not in LANE_MESSAGING_TYPES:
        raise SendError(_("Unknown messaging lane %(lane)s.", lane=lane), transient=False)
    if lane == "UTILITY" and "id" not in recipient:
        # Meta documents utility messages to a PSID only; the shopper's reply gives us theirs.
        raise SendError(_("Messenger can reach this shopper again once they reply."), transient=False)
    body: dict[str, Any] = {"recipient": recipient, "messaging_type": LANE_MESSAGING_TYPES[lane]}
    if lane == "HUMAN_AGENT":
        body["tag"] = "HUMAN_AGENT"
    # The words the message adds (the receipt's "Card", buttons, short labels) are in the
    # shopper's language, like its text.
    with in_language(outgoing.locale) if outgoing.locale else nullcontext():
        if lane == "UTILITY":
            message: dict[str, Any] = {"template": utility_template(outgoing)}
        elif outgoing.kind == "receipt":
            message = {"attachment": {"type": "template", "payload": receipt_payload(outgoing)}}
        elif outgoing.kind == "product_cards" and (outgoing.payload or {}).get("cards"):
            message = {"attachment": {"type": "template", "payload": generic_payload(outgoing)}}
        else:
            message = {"text": (outgoing.text or " ")[:MAX_TEXT]}
            replies = quick_replies(outgoing) if outgoing.kind == "quick_replies" else []
            if replies:
                message["quick_replies"] = replies
    if metadata:
        message["metadata"] = metadata[:MAX_METADATA]
    body["message"] = message
    return body


# --- recipients -------------------------------------------------------------------------------


def recipient_for(outgoing: Outgoing) -> dict:
    """Whom the Send API addresses: the explicit recipient, the conversation's PSID (or, before the
    person wrote, the checkbox user_ref its conversation is kept for), or the subscription's."""
    if outgoing.recipient:
        return dict(outgoing.recipient)
    if outgoing.conversation.psid:
        return {"id": outgoing.conversation.psid}
    if outgoing.notification_id is not None:
        notification = db.session.get(Notification, outgoing.notification_id)
        if notification is not None:
            recipient = subscription_recipient(notification.subscription)
            if recipient:
                return recipient
    if outgoing.conversation.user_ref:
        return {"user_ref": outgoing.conversation.user_ref}
    raise SendError(_("Nobody to send to: this conversation has no Messenger user (PSID) yet."),
                    transient=False)


def subscription_recipient(subscription: Subscription) -> dict | None:
    if subscription.psid:
        return {"id": subscription.psid}
    if subscription.user_ref:
        return {"user_ref": subscription.user_ref}
    return None


def stand_in_name(psid: str) -> str:
    """What the inbox calls a Messenger user whose name we don't know yet."""
    return _("Messenger user %(id)s", id=psid[-4:])


def conversation_for_psid(page: FacebookPage, psid: str, display_name: str = "") -> Conversation:
    """The person's conversation with the Page on the Platform, started on first contact."""
    def find() -> Conversation | None:
        return db.session.scalars(db.select(Conversation).filter_by(page_id=page.id, psid=psid)).first()

    conversation = find()
    if conversation is None:
        conversation = insert_once(
            Conversation(page_id=page.id, psid=psid, created_at=clock.now(),
                         display_name=clip(display_name or stand_in_name(psid), Conversation.display_name)),
            find)
    return conversation


def conversation_for_user_ref(page_id: int, user_ref: str, display_name: str = "") -> Conversation:
    """The conversation kept for a checkbox user_ref until the person's PSID is known."""
    conversation = db.session.scalars(
        db.select(Conversation).filter_by(page_id=page_id, user_ref=user_ref)
        .order_by(Conversation.id).limit(1)
    ).first()
    if conversation is None:
        conversation = Conversation(page_id=page_id, user_ref=user_ref,
                                    display_name=clip(display_name, Conversation.display_name),
                                    created_at=clock.now())
        db.session.add(conversation)
        db.session.flush()
    elif display_name and not conversation.display_name:
        conversation.display_name = clip(display_name, Conversation.display_name)
    return conversation


def conversation_for_subscription(subscription: Subscription) -> Conversation:
    """For the engine, when an opt-in came through the checkbox plugin (no Facebook account here):
    the conversation of the subscription's PSID, or one kept for its user_ref until the PSID is known."""
    if subscription.psid:
        return conversation_for_psid(subscription.page, subscription.psid, subscription.order.customer_name)
    return conversation_for_user_ref(subscription.page_id, subscription.user_ref, subscription.order.customer_name)


def confirm_opt_in(subscription: Subscription) -> None:
    """The Platform confirmed the checkbox opt-in: the order's waiting updates may go now."""
    if subscription.confirmed_at is not None:
        return
    now = clock.now()
    subscription.confirmed_at = now
    db.session.execute(
        update(Notification)
        .where(Notification.subscription_id == subscription.id, Notification.state == NotificationState.QUEUED)
        .values(next_attempt_at=now)
        .execution_options(synchronize_session=False)
    )


def link_user_ref(page: FacebookPage, user_ref: str, psid: str) -> Subscription | None:
    """The first message after a checkbox opt-in names both: from now on the subscription is keyed by
    the PSID, and the conversation kept for the user_ref becomes the PSID's (or joins it)."""
    subscription = db.session.scalars(db.select(Subscription).filter_by(user_ref=user_ref)).first()
    if subscription is None or subscription.page_id != page.id:
        return None
    subscription.psid = psid
    confirm_opt_in(subscription)
    target = db.session.scalars(
        db.select(Conversation).filter_by(page_id=subscription.page_id, psid=psid)).first()
    waiting = db.session.scalars(
        db.select(Conversation).filter_by(page_id=subscription.page_id, user_ref=user_ref, psid=None)
        .order_by(Conversation.id)
    ).all()
    for conversation in waiting:
        if target is None:
            conversation.psid = psid
            target = conversation
        elif conversation.id != target.id:
            for message in list(conversation.messages):
                message.conversation = target
            target.last_customer_action_at = max(
                filter(None, [target.last_customer_action_at, conversation.last_customer_action_at]), default=None)
            db.session.delete(conversation)
    db.session.flush()
    return subscription


# --- the User Profile API ----------------------------------------------------------------------


def fetch_profile(psid: str) -> dict | None:
    """The person's first and last name and picture (User Profile API), or None when the Platform
    won't say (no permission, person gone, Platform down): the inbox keeps its stand-in name."""
    try:
        answer = GraphClient.from_config(current_app.config).request(
            "GET", psid, params={"fields": "first_name,last_name,profile_pic"})
    except SendError as exc:
        log.info("No profile for a Messenger user: %s", exc.message)
        return None
    name = " ".join(str(answer.get(k) or "").strip() for k in ("first_name", "last_name")).strip()
    picture = str(answer.get("profile_pic") or "")
    return {"name": name[:120], "picture_url": picture if picture.startswith("https://") else None}


# --- the transport ----------------------------------------------------------------------------


class GraphTransport(Transport):
    """The checkout's opt-in is Meta's checkbox plugin (a `user_ref` per render, confirmed by the
    Platform's `messaging_optins`); a send can't share our transaction; a `user_ref` can be
    addressed only inside the window its opt-in opened, a utility message only to a PSID."""

    name = "graph"
    shares_transaction = False
    needs_connection = True
    checkout_opt_in_template = "storefront/_messenger_checkbox.html"
    opt_in_page_sources = CHECKBOX_PLUGIN_SOURCES
    admin_image_sources = PROFILE_PICTURE_SOURCES

    def __init__(self, config):
        self.config = config

    @property
    def page_id(self) -> str | None:
        return self.config.get("MESSENGER_PAGE_ID") or None

    @property
    def client(self) -> GraphClient:
        return GraphClient.from_config(self.config)

    def check_ready(self) -> None:
        if not self.page_id:
            raise SendError(_("The Messenger Page id is not configured (MESSENGER_PAGE_ID)."),
                            transient=False, hold=True)

    def checkout_user_ref(self, form) -> str | None:
        """The plugin posts its state and the user_ref the form was rendered with."""
        if form.get("messenger_checkbox_state") != "checked":
            return None
        return (form.get("messenger_user_ref") or "").strip()[:120] or None

    def opt_in_confirmed(self, subscription: Subscription) -> bool:
        if subscription.facebook_account is not None or subscription.psid or subscription.confirmed_at:
            return True
        if not subscription.user_ref:
            return True
        from .webhook import checkbox_confirmed

        if not checkbox_confirmed(subscription.user_ref):
            return False
        subscription.confirmed_at = clock.now()  # the webhook came before the order was placed
        return True

    def conversation_for(self, subscription: Subscription) -> Conversation | None:
        if subscription.facebook_account is not None:
            return super().conversation_for(subscription)
        if subscription.psid or subscription.user_ref:
            return conversation_for_subscription(subscription)
        return None

    def reaches(self, conversation: Conversation, lane: str) -> bool:
        return lane != "UTILITY" or bool(conversation.psid)

    def send(self, outgoing: Outgoing) -> Message:
        self.check_ready()
        recipient = recipient_for(outgoing)
        body = build_request(outgoing, recipient, metadata_for(outgoing.notification_id))
        client = self.client
        answer = client.request("POST", f"{self.page_id}/messages", body)
        now = clock.now()
        payload = dict(outgoing.payload or {})
        payload["recipient"] = recipient
        if outgoing.lane == "UTILITY":
            payload["utility_template"] = body["message"]["template"]["name"]
        if outgoing.kind == "receipt" and outgoing.lane == "UPDATE" and payload.get("customized"):
            payload["text_mid"] = self._send_receipt_text(client, outgoing, recipient)
        message = Message(
            conversation=outgoing.conversation, direction="out", kind=outgoing.kind, text=outgoing.text,
            payload=payload, lane=outgoing.lane, author=outgoing.author,
            notification_id=outgoing.notification_id, mid=answer.get("message_id") or None, created_at=now,
        )
        outgoing.conversation.last_message_at = now
        db.session.add(message)
        psid = answer.get("recipient_id")
        if psid and "user_ref" in recipient and outgoing.conversation.psid is None:
            # Sending to a checkbox user_ref told us the person's PSID.
            page = db.session.get(FacebookPage, outgoing.conversation.page_id)
            db.session.flush()
            link_user_ref(page, recipient["user_ref"], str(psid))
        return message

    def _send_receipt_text(self, client: GraphClient, receipt: Outgoing, recipient: dict) -> str | None:
        """The merchant's customized confirmation text, right after the receipt card it can't be
        part of; stored with the receipt (one message in our conversation, as with `local`). The
        receipt is what counts: if the text fails it is logged and the notification stays sent,
        since a retry would send the receipt twice."""
        text = Outgoing(conversation=receipt.conversation, kind="text", text=receipt.text, lane="UPDATE",
                        locale=receipt.locale)
        try:
            answer = client.request("POST", f"{self.page_id}/messages",
                                    build_request(text, recipient, metadata_for(receipt.notification_id, "text")))
        except SendError as exc:
            log.warning("The order confirmation's own text was not sent: %s", exc.message)
            return None
        return answer.get("message_id") or None

"""A fake Messenger Platform for the tests and benches: a real HTTP server on 127.0.0.1, in a thread.

It answers the Send API (`POST /<version>/<page-id>/messages`), the Messenger Profile API
(`GET/POST /<version>/me/messenger_profile`) and the User Profile API (`GET /<version>/<psid>`),
records every request, and refuses what the real Platform refuses:
- a body of the wrong shape (required fields, `messaging_type`, unknown fields, retired tags, quick
  replies over 20 characters): error 100;
- a call without the right `appsecret_proof` while the app requires it (Meta's "Require app
  secret" switch): error 100;
- a person it never heard of, or a user_ref no opt-in confirmed: 100/2018001;
- a utility message to a user_ref (Meta documents them by PSID only): error 100;
- `RESPONSE`/`UPDATE` 24 hours or more, `HUMAN_AGENT` 7 days or more after the person's last
  action, by the timestamps of the webhook events it sent (or that a test sent as it): 10/2018278.
Each accepted message is echoed (`message_echoes`, with the metadata it was given) to the app's
webhook, or kept in `echoes` for a test to deliver. It can answer the next calls with a Platform
error or an HTTP 5xx, fail everything for a period (an outage), answer slowly or not at all after
delivering the message, or drop the connection.

Webhook payloads are built from the shapes in Meta's reference pages (noted at each builder).
"""
from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from pageshop import clock

RETIRED_TAGS = {"POST_PURCHASE_UPDATE", "CONFIRMED_EVENT_UPDATE", "ACCOUNT_UPDATE"}
STANDARD_WINDOW_MS = 24 * 3600 * 1000
HUMAN_AGENT_WINDOW_MS = 7 * 24 * 3600 * 1000
EPOCH = datetime(1970, 1, 1)


def now_ms() -> int:
    """The Platform's clock: the app's (pageshop.clock), which tests move instead of sleeping."""
    return int((clock.now() - EPOCH) / timedelta(milliseconds=1))


# --- webhook payloads, as Meta documents them -----------------------------------------------------
# https://developers.facebook.com/docs/messenger-platform/reference/webhook-events


def page_call(page_id: str, *events: dict, standby: list[dict] | None = None) -> dict:
    """One webhook call: `object` "page", one entry with `messaging` (or `standby`, when another app
    holds the thread: .../webhook-events/standby)."""
    entry = {"id": page_id, "time": now_ms()}
    if events:
        entry["messaging"] = list(events)
    if standby:
        entry["standby"] = standby
    return {"object": "page", "entry": [entry]}


def message_event(page_id: str, psid: str, text: str, mid: str, at: int | None = None,
                  quick_reply: str | None = None, prior_message: dict | None = None) -> dict:
    """.../webhook-events/messages: a text, maybe a quick reply's payload; the first message after a
    checkbox opt-in has `prior_message` {"source": "checkbox_plugin", "identifier": <user_ref>}."""
    message = {"mid": mid, "text": text}
    if quick_reply:
        message["quick_reply"] = {"payload": quick_reply}
    event = {"sender": {"id": psid}, "recipient": {"id": page_id}, "timestamp": at or now_ms(), "message": message}
    if prior_message:
        event["prior_message"] = prior_message
    return event


def postback_event(page_id: str, payload: str, title: str, mid: str | None = None, psid: str | None = None,
                   user_ref: str | None = None, at: int | None = None) -> dict:
    """.../webhook-events/messaging_postbacks: `sender.id`, or `sender.user_ref` when the button was
    in a message sent to a user_ref."""
    postback = {"title": title, "payload": payload}
    if mid:
        postback["mid"] = mid
    sender = {"user_ref": user_ref} if user_ref else {"id": psid}
    return {"sender": sender, "recipient": {"id": page_id}, "timestamp": at or now_ms(), "postback": postback}


def checkbox_optin_event(page_id: str, user_ref: str, at: int | None = None) -> dict:
    """.../webhook-events/messaging_optins: from the checkbox plugin there is no `sender`."""
    return {"recipient": {"id": page_id}, "timestamp": at or now_ms(),
            "optin": {"ref": "checkout", "user_ref": user_ref}}


def referral_event(page_id: str, psid: str, ref: str = "spring", at: int | None = None) -> dict:
    """.../webhook-events/messaging_referrals: the person came through an m.me link."""
    return {"sender": {"id": psid}, "recipient": {"id": page_id}, "timestamp": at or now_ms(),
            "referral": {"ref": ref, "source": "SHORTLINK", "type": "OPEN_THREAD"}}


def echo_event(page_id: str, recipient: dict, mid: str, text: str | None, app_id: str,
               metadata: str | None = None, at: int | None = None) -> dict:
    """.../webhook-events/message-echoes: what the Page sent, with the sending app's id and the
    metadata it gave; the sender is the Page."""
    message = {"is_echo": True, "app_id": int(app_id) if str(app_id).isdigit() else app_id, "mid": mid}
    if metadata is not None:
        message["metadata"] = metadata
    if text is not None:
        message["text"] = text
    else:
        message["attachments"] = [{"type": "template", "payload": {}}]
    return {"sender": {"id": page_id}, "recipient": recipient, "timestamp": at or now_ms(), "message": message}

MESSAGING_TYPES = {"RESPONSE", "UPDATE", "MESSAGE_TAG", "UTILITY"}
TAGS = {"HUMAN_AGENT", "CUSTOMER_FEEDBACK"}

ERRORS = {
    1: ("An unknown error occurred", "OAuthException", 500),
    2: ("An unexpected error has occurred. Please retry your request later.", "OAuthException", 500),
    4: ("(#4) Application request limit reached", "OAuthException", 400),
    10: ("(#10) This message is sent outside of allowed window.", "OAuthException", 400),
    100: ("(#100) Invalid parameter", "OAuthException", 400),
    190: ("Error validating access token: Session has expired.", "OAuthException", 401),
    551: ("(#551) This person isn't available right now.", "OAuthException", 400),
    613: ("(#613) Calls to this api have exceeded the rate limit.", "OAuthException", 400),
}


class Invalid(Exception):
    def __init__(self, message: str, code: int = 100, subcode: int | None = None):
        super().__init__(message)
        self.message, self.code, self.subcode = message, code, subcode


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: dict | None
    status: int = 0
    answer: dict = field(default_factory=dict)

    @property
    def accepted(self) -> bool:
        return self.status == 200


def _only(obj: dict, allowed: set[str], where: str) -> None:
    if not isinstance(obj, dict):
        raise Invalid(f"(#100) {where} must be an object")
    unknown = set(obj) - allowed
    if unknown:
        raise Invalid(f"(#100) Param {where}[{sorted(unknown)[0]}] is not a valid field")


def _require(obj: dict, names: tuple[str, ...], where: str) -> None:
    for name in names:
        if obj.get(name) in (None, "", []):
            raise Invalid(f"(#100) The parameter {where}[{name}] is required")


def _check_button(button: dict, where: str, max_title: int = 20) -> None:
    _only(button, {"type", "url", "title", "payload", "webview_height_ratio", "messenger_extensions",
                   "fallback_url", "webview_share_button"}, where)
    if button.get("type") == "web_url":
        _require(button, ("url", "title"), where)
    elif button.get("type") == "postback":
        _require(button, ("title", "payload"), where)
    else:
        raise Invalid(f"(#100) {where}[type] must be one of web_url, postback")
    if len(button["title"]) > max_title:
        raise Invalid(f"(#100) {where}[title] has more than {max_title} characters")


def _check_receipt(payload: dict) -> None:
    _only(payload, {"template_type", "sharable", "recipient_name", "merchant_name", "order_number", "currency",
                    "payment_method", "timestamp", "elements", "address", "summary", "adjustments",
                    "order_url"}, "payload")
    _require(payload, ("recipient_name", "order_number", "currency", "payment_method", "summary"), "payload")
    if len(payload["currency"]) != 3:
        raise Invalid("(#100) payload[currency] must be an ISO 4217 code")
    summary = payload["summary"]
    _only(summary, {"subtotal", "shipping_cost", "total_tax", "total_cost"}, "summary")
    if not isinstance(summary.get("total_cost"), (int, float)):
        raise Invalid("(#100) The parameter summary[total_cost] is required")
    if "timestamp" in payload and not str(payload["timestamp"]).isdigit():
        raise Invalid("(#100) payload[timestamp] must be a UNIX timestamp")
    if "address" in payload:
        _only(payload["address"], {"street_1", "street_2", "city", "postal_code", "state", "country"}, "address")
        _require(payload["address"], ("street_1", "city", "postal_code", "state", "country"), "address")
    for element in payload.get("elements", []):
        _only(element, {"title", "subtitle", "quantity", "price", "currency", "image_url"}, "elements")
        _require(element, ("title",), "elements")
        if not isinstance(element.get("price"), (int, float)):
            raise Invalid("(#100) The parameter elements[price] is required")
    for adjustment in payload.get("adjustments", []):
        _only(adjustment, {"name", "amount"}, "adjustments")


def _check_generic(payload: dict) -> None:
    _only(payload, {"template_type", "sharable", "image_aspect_ratio", "elements"}, "payload")
    elements = payload.get("elements") or []
    if not 1 <= len(elements) <= 10:
        raise Invalid("(#100) payload[elements] must have 1 to 10 elements")
    for element in elements:
        _only(element, {"title", "subtitle", "image_url", "default_action", "buttons"}, "elements")
        _require(element, ("title",), "elements")
        if len(element.get("buttons", [])) > 3:
            raise Invalid("(#100) elements[buttons] has more than 3 buttons")
        for button in element.get("buttons", []):
            _check_button(button, "buttons")
        if "default_action" in element:
            _only(element["default_action"], {"type", "url", "webview_height_ratio", "messenger_extensions",
                                              "fallback_url", "webview_share_button"}, "default_action")


def check_send(body: dict) -> None:
    """The Send API's rules, as far as Pageshop uses it."""
    _only(body, {"recipient", "messaging_type", "message", "tag", "notification_type", "persona_id"}, "body")
    _require(body, ("recipient", "messaging_type", "message"), "body")
    recipient = body["recipient"]
    _only(recipient, {"id", "user_ref"}, "recipient")
    if len(recipient) != 1:
        raise Invalid("(#100) recipient must have exactly one of id, user_ref")
    if body["messaging_type"] not in MESSAGING_TYPES:
        raise Invalid("(#100) Param messaging_type must be one of {RESPONSE, UPDATE, MESSAGE_TAG, UTILITY}")
    tag = body.get("tag")
    if tag in RETIRED_TAGS:
        raise Invalid(f"(#100) Tag {tag} is deprecated and no longer supported")
    if body["messaging_type"] == "MESSAGE_TAG":
        if tag not in TAGS:
            raise Invalid("(#100) Param tag must be one of {HUMAN_AGENT, CUSTOMER_FEEDBACK}")
    elif tag is not None:
        raise Invalid("(#100) tag is only allowed with messaging_type MESSAGE_TAG")
    message = body["message"]
    _only(message, {"text", "attachment", "quick_replies", "metadata", "template"}, "message")
    if sum(1 for key in ("text", "attachment", "template") if key in message) != 1:
        raise Invalid("(#100) message must have exactly one of text, attachment, template")
    if body["messaging_type"] == "UTILITY":
        if "template" not in message:
            raise Invalid("(#100) A UTILITY message must be sent as a utility message template")
        template = message["template"]
        _only(template, {"name", "language", "components"}, "template")
        _require(template, ("name", "language"), "template")
        _only(template["language"], {"code", "policy"}, "language")
        _require(template["language"], ("code",), "language")
        for component in template.get("components", []):
            _only(component, {"type", "parameters", "sub_type", "index"}, "components")
            for parameter in component.get("parameters", []):
                _only(parameter, {"type", "text", "parameter_name"}, "parameters")
                _require(parameter, ("type", "text"), "parameters")
        return
    if "template" in message:
        raise Invalid("(#100) message[template] is only allowed with messaging_type UTILITY")
    if "text" in message:
        if not isinstance(message["text"], str) or not message["text"] or len(message["text"]) > 2000:
            raise Invalid("(#100) message[text] must be 1 to 2000 characters")
    for reply in message.get("quick_replies", []):
        _only(reply, {"content_type", "title", "payload", "image_url"}, "quick_replies")
        if reply.get("content_type") != "text":
            raise Invalid("(#100) quick_replies[content_type] must be text")
        _require(reply, ("title", "payload"), "quick_replies")
        if len(reply["title"]) > 20:  # Meta cuts it in the apps; this fake refuses, to be noticed
            raise Invalid("(#100) quick_replies[title] has more than 20 characters")
    if len(message.get("quick_replies", [])) > 13:
        raise Invalid("(#100) At most 13 quick replies")
    if "attachment" in message:
        attachment = message["attachment"]
        _only(attachment, {"type", "payload"}, "attachment")
        if attachment.get("type") != "template":
            raise Invalid("(#100) attachment[type] must be template")
        payload = attachment.get("payload") or {}
        kind = payload.get("template_type")
        if kind == "receipt":
            _check_receipt(payload)
        elif kind == "generic":
            _check_generic(payload)
        else:
            raise Invalid("(#100) payload[template_type] must be receipt or generic")


def check_profile(body: dict) -> None:
    _only(body, {"get_started", "persistent_menu", "greeting", "whitelisted_domains", "ice_breakers"}, "body")
    if "get_started" in body:
        _only(body["get_started"], {"payload"}, "get_started")
        _require(body["get_started"], ("payload",), "get_started")
    for menu in body.get("persistent_menu", []):
        _only(menu, {"locale", "composer_input_disabled", "call_to_actions"}, "persistent_menu")
        _require(menu, ("locale", "call_to_actions"), "persistent_menu")
        for action in menu["call_to_actions"]:
            _check_button(action, "call_to_actions", max_title=30)  # menu items: 30
    if body.get("persistent_menu") and "get_started" not in body:
        raise Invalid("(#100) persistent_menu needs the get_started button")


class FakeMessengerPlatform:
    """Start with `start()`; `url` is GRAPH_URL's host part, `graph_url` includes the version."""

    version = "v26.0"

    def __init__(self, page_id: str = "1029384756", access_token: str = "EAAtest-page-token-123",
                 app_id: str = "1234567890"):
        self.page_id = page_id
        self.access_token = access_token
        self.app_id = app_id
        self.requests: list[Recorded] = []
        self.profile: dict = {}
        self.user_refs: dict[str, str] = {}  # a user_ref that opted in -> the PSID it belongs to
        self.people: dict[str, dict] = {}  # PSID -> what the User Profile API says of them
        self.last_action: dict[str, int] = {}  # PSID or user_ref -> their last action (ms)
        self.echoes: list[dict] = []  # echo events not delivered yet (no webhook_url)
        self.require_appsecret_proof = True  # while app_secret is set
        self.on_delivered: Callable[[dict], None] | None = None  # called before answering a send
        self._linked: set[str] = set()  # user_refs already named in a prior_message
        self._planned: deque = deque()
        self._outage_until = 0.0
        self._slow_until = 0.0
        self._slow_seconds = 0.0
        self._lock = threading.Lock()
        self._mids = itertools.count(1)
        self._release = threading.Event()
        self.server: ThreadingHTTPServer | None = None

    # --- control ----------------------------------------------------------------------------

    def fail_with(self, code: int, subcode: int | None = None, times: int = 1, status: int | None = None,
                  message: str | None = None, after: int = 0) -> None:
        """The next `times` calls (after `after` answered as usual) answer with this Platform error."""
        default_message, kind, default_status = ERRORS.get(code, ("(#%d) Error" % code, "OAuthException", 400))
        error = {"message": message or default_message, "type": kind, "code": code, "fbtrace_id": "AbCdEf123"}
        if subcode is not None:
            error["error_subcode"] = subcode
        with self._lock:
            self._planned.extend([("as usual", 0, None)] * after)
            self._planned.extend([("error", status or default_status, {"error": error})] * times)

    def server_errors(self, times: int, status: int = 503) -> None:
        """The next `times` calls answer with an HTTP 5xx and no JSON (a proxy's error page)."""
        with self._lock:
            self._planned.extend([("raw", status, b"<html>Service Unavailable</html>")] * times)

    def hang(self, times: int = 1) -> None:
        """The next `times` calls get no answer until the test ends (and deliver nothing)."""
        with self._lock:
            self._planned.extend([("hang", 0, None)] * times)

    def answer_slowly(self, seconds: float, times: int = 1) -> None:
        """The next `times` sends are delivered (and echoed) at once, but answered after `seconds`."""
        with self._lock:
            self._planned.extend([("slow", seconds, None)] * times)

    def drop_connections(self, times: int = 1) -> None:
        """The next `times` sends are delivered (and echoed), then the connection is closed unanswered."""
        with self._lock:
            self._planned.extend([("drop", 0, None)] * times)

    def outage(self, seconds: float) -> None:
        """For `seconds` of real time every Send API call answers HTTP 500, delivering nothing."""
        self._outage_until = time.monotonic() + seconds

    def recover(self) -> None:
        """The Platform works again: planned errors, outages and slow answers are over."""
        with self._lock:
            self._planned.clear()
        self._outage_until = self._slow_until = 0.0

    def slow_period(self, seconds: float, answer_after: float) -> None:
        """For `seconds` of real time every send is delivered at once and answered after `answer_after`."""
        self._slow_seconds = answer_after
        self._slow_until = time.monotonic() + seconds

    @property
    def sent(self) -> list[dict]:
        """The Send API bodies the Platform accepted."""
        return [r.body for r in self.requests if r.accepted and r.path.endswith("/messages")]

    @property
    def send_calls(self) -> list[Recorded]:
        """Every Send API call, accepted or not."""
        return [r for r in self.requests if r.method == "POST" and r.path.endswith("/messages")]

    @property
    def delivered(self) -> list[dict]:
        """Every message that reached a person, answered or not (slow answers, dropped connections)."""
        return [r.body for r in self.requests
                if r.path.endswith("/messages") and r.method == "POST" and r.status == 200]

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._planned.clear()
            self.echoes.clear()

    # --- the Platform calling the app: signed webhooks, as Meta sends them --------------------

    webhook_url: str | None = None  # the app's /webhooks/messenger, set by the test
    app_secret: str = ""

    def heard(self, call: dict) -> None:
        """A webhook call the Platform sent (through send_webhook, or a test as the Platform): the
        people's actions in it open their windows, as they would at Meta."""
        for entry in call.get("entry", []):
            for event in list(entry.get("messaging", [])) + list(entry.get("standby", [])):
                message = event.get("message") or {}
                if message.get("is_echo") or not any(k in event for k in ("message", "postback", "optin", "referral")):
                    continue
                sender = event.get("sender") or {}
                who = [sender.get("id"), sender.get("user_ref"), (event.get("optin") or {}).get("user_ref")]
                with self._lock:
                    for key in filter(None, who):
                        self.last_action[str(key)] = max(self.last_action.get(str(key), 0), int(event["timestamp"]))

    def heard_from(self, psid: str, at: int | None = None) -> None:
        """The person acted towards the Page at `at` (now by default)."""
        with self._lock:
            self.last_action[psid] = max(self.last_action.get(psid, 0), at or now_ms())

    def send_webhook(self, *events: dict, standby: list[dict] | None = None) -> int:
        """POST one signed call with these messaging events to the app's webhook; its status. Like
        Meta, a call that fails is sent again (a few times, for a while)."""
        call = page_call(self.page_id, *events, standby=standby)
        self.heard(call)
        return self.post_webhook(call)

    def post_webhook(self, call: dict, tries: int = 20) -> int:
        body = json.dumps(call).encode()
        signature = hmac.new(self.app_secret.encode(), body, hashlib.sha256).hexdigest()
        for attempt in range(tries):
            request = urllib.request.Request(self.webhook_url, data=body, method="POST", headers={
                "Content-Type": "application/json", "X-Hub-Signature-256": "sha256=" + signature})
            try:
                with urllib.request.urlopen(request, timeout=10) as answer:
                    return answer.status
            except urllib.error.HTTPError as exc:
                if exc.code < 500 or attempt == tries - 1:
                    return exc.code
            except OSError:
                if attempt == tries - 1:
                    raise
            time.sleep(min(5.0, 0.2 * 2 ** attempt))
        return 0

    def deliver_echoes(self, post: Callable[[dict], object]) -> int:
        """Hand the echoes kept so far to `post` (a test's way of calling the webhook) as one call."""
        with self._lock:
            echoes, self.echoes = self.echoes, []
        if echoes:
            post(page_call(self.page_id, *echoes))
        return len(echoes)

    def _echo(self, body: dict, mid: str) -> None:
        message = body.get("message") or {}
        event = echo_event(self.page_id, dict(body["recipient"]), mid, message.get("text"), self.app_id,
                           message.get("metadata"))
        if self.webhook_url:
            threading.Thread(target=self.post_webhook, args=(page_call(self.page_id, event),), daemon=True,
                             name="fake-messenger-echo").start()
        else:
            with self._lock:
                self.echoes.append(event)

    def confirm_checkbox(self, user_ref: str, psid: str) -> int:
        """The checkbox plugin's MessengerCheckboxUserConfirmation reached Meta: the user_ref now
        belongs to this person, and the app hears of it by a messaging_optins event (no sender)."""
        with self._lock:
            self.user_refs[user_ref] = psid
        return self.send_webhook(checkbox_optin_event(self.page_id, user_ref))

    def person_writes(self, psid: str, text: str, quick_reply: str | None = None) -> int:
        """The person sends a message (or taps a quick reply) in Messenger. The first one after a
        checkbox opt-in names the user_ref in prior_message, as Meta does."""
        message = {"mid": f"m_in{next(self._mids)}", "text": text}
        if quick_reply:
            message["quick_reply"] = {"payload": quick_reply}
        return self.send_webhook(self._from_person(psid, {"message": message}))

    def person_taps(self, psid: str, payload: str, title: str) -> int:
        """The person taps a persistent-menu item or a button: a postback."""
        return self.send_webhook(self._from_person(
            psid, {"postback": {"mid": f"m_pb{next(self._mids)}", "title": title, "payload": payload}}))

    def _from_person(self, psid: str, event: dict) -> dict:
        event = {"sender": {"id": psid}, "recipient": {"id": self.page_id}, "timestamp": self._now(), **event}
        with self._lock:
            refs = [ref for ref, owner in self.user_refs.items() if owner == psid and ref not in self._linked]
            self._linked.update(refs)
        if refs:
            event["prior_message"] = {"source": "checkbox_plugin", "identifier": refs[-1]}
        return event

    @staticmethod
    def _now() -> int:
        return now_ms()

    def sent_to(self, psid: str) -> list[dict]:
        """What reached this person: sent to the PSID, or to a user_ref of theirs."""
        refs = {ref for ref, owner in self.user_refs.items() if owner == psid}
        return [body for body in self.sent
                if body["recipient"].get("id") == psid or body["recipient"].get("user_ref") in refs]

    # --- the server --------------------------------------------------------------------------

    def start(self) -> FakeMessengerPlatform:
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                platform._handle(self, "GET")

            def do_POST(self):
                platform._handle(self, "POST")

            def do_DELETE(self):
                platform._handle(self, "DELETE")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        # Polled for shutdown every 20 ms: the default half second was each test's last wait.
        threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True, name="fake-messenger").start()
        return self

    def stop(self) -> None:
        self._release.set()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def graph_url(self) -> str:
        return f"{self.url}/{self.version}"

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parsed = urllib.parse.urlsplit(handler.path)
        query = dict(urllib.parse.parse_qsl(parsed.query))
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = {"_unparsable": raw.decode(errors="replace")}
        record = Recorded(method, parsed.path, query, dict(handler.headers.items()), body)
        sending = method == "POST" and parsed.path.endswith("/messages")
        with self._lock:
            self.requests.append(record)
            planned = self._planned.popleft() if self._planned else None
        if planned is None and sending and time.monotonic() < self._outage_until:
            planned = ("raw", 500, b"<html>Internal Server Error</html>")
        if planned is None and sending and time.monotonic() < self._slow_until:
            planned = ("slow", self._slow_seconds, None)
        if planned is not None and planned[0] not in ("as usual", "slow", "drop"):
            kind, status, answer = planned
            if kind == "hang":
                self._release.wait(30)
                return
            if kind == "raw":
                record.status = status
                return self._write(handler, status, answer, "text/html")
            record.status, record.answer = status, answer
            return self._write(handler, status, json.dumps(answer).encode())
        try:
            status, answer = 200, self._answer(method, parsed.path, query, body)
        except Invalid as exc:
            error = {"message": exc.message, "type": "OAuthException", "code": exc.code, "fbtrace_id": "AbCdEf123"}
            if exc.subcode:
                error["error_subcode"] = exc.subcode
            status = ERRORS.get(exc.code, ("", "", 400))[2]
            answer = {"error": error}
        record.status, record.answer = status, answer
        if sending and status == 200:
            self._echo(body, answer["message_id"])
            if self.on_delivered is not None:
                self.on_delivered(body)
        if planned is not None and planned[0] == "slow":
            time.sleep(planned[1])
        if planned is not None and planned[0] == "drop":
            handler.close_connection = True
            try:
                handler.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        try:
            self._write(handler, status, json.dumps(answer).encode())
        except OSError:  # the client gave up waiting
            pass

    def _write(self, handler, status: int, data: bytes, content_type: str = "application/json") -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _answer(self, method: str, path: str, query: dict, body: dict | None) -> dict:
        parts = path.strip("/").split("/")
        if len(parts) not in (2, 3) or parts[0] != self.version:
            raise Invalid("(#803) Unknown path " + path, code=803)
        if query.get("access_token") != self.access_token:
            raise Invalid("Error validating access token: Session has expired.", code=190, subcode=463)
        if self.app_secret and self.require_appsecret_proof:
            expected = hmac.new(self.app_secret.encode(), self.access_token.encode(), hashlib.sha256).hexdigest()
            if not hmac.compare_digest(query.get("appsecret_proof", ""), expected):
                raise Invalid("API calls from the server require an appsecret_proof argument", code=100)
        if len(parts) == 2:
            return self._user_profile(method, parts[1], query)
        node, edge = parts[1], parts[2]
        if node not in ("me", self.page_id):
            raise Invalid("(#100) Unknown Page", code=100)
        if edge == "messages" and method == "POST":
            check_send(body or {})
            recipient = body["recipient"]
            self._check_window(body)
            if "user_ref" in recipient:
                # Sent to a user_ref, the answer has no recipient_id: the PSID comes with the
                # person's first message (prior_message in the webhook).
                return {"message_id": f"m_fake{next(self._mids)}"}
            return {"recipient_id": recipient["id"], "message_id": f"m_fake{next(self._mids)}"}
        if edge == "messenger_profile":
            if method == "GET":
                fields = [f for f in query.get("fields", "").split(",") if f]
                shown = {k: v for k, v in self.profile.items() if not fields or k in fields}
                return {"data": [shown] if shown else []}
            if method == "POST":
                check_profile(body or {})
                self.profile.update(body)
                return {"result": "success"}
        raise Invalid(f"(#100) Unsupported {method} request on {edge}")

    def _check_window(self, body: dict) -> None:
        """Who may be messaged in which lane, by the actions the Platform saw."""
        recipient = body["recipient"]
        with self._lock:
            if "user_ref" in recipient:
                user_ref = recipient["user_ref"]
                if user_ref not in self.user_refs:
                    raise Invalid("(#100) No matching user found", code=100, subcode=2018001)
                if body["messaging_type"] == "UTILITY":
                    raise Invalid("(#100) Utility messages must be sent to a PSID (recipient.id)", code=100)
                keys = [user_ref, self.user_refs[user_ref]]
            else:
                keys = [recipient["id"]] + [ref for ref, owner in self.user_refs.items() if owner == recipient["id"]]
            last = max((self.last_action.get(key, 0) for key in keys), default=0)
        if not last:
            raise Invalid("(#100) No matching user found", code=100, subcode=2018001)
        if body["messaging_type"] == "UTILITY":
            return
        window = HUMAN_AGENT_WINDOW_MS if body.get("tag") == "HUMAN_AGENT" else STANDARD_WINDOW_MS
        if now_ms() - last >= window:
            raise Invalid("(#10) This message is sent outside of allowed window.", code=10, subcode=2018278)

    def _user_profile(self, method: str, psid: str, query: dict) -> dict:
        """The User Profile API: GET /<PSID>?fields=first_name,last_name,profile_pic."""
        if method != "GET" or psid not in self.people:
            raise Invalid(f"(#100) Unsupported get request. Object with ID '{psid}' does not exist", code=100,
                          subcode=33)
        fields = [f for f in query.get("fields", "").split(",") if f] or ["first_name", "last_name"]
        person = self.people[psid]
        return {"id": psid, **{k: person[k] for k in fields if k in person}}


# --- pytest fixtures: import them into a test module ---------------------------------------

import pytest  # noqa: E402

PAGE_TOKEN = "EAAtest-page-token-123"
APP_SECRET = "test-app-secret-456"
VERIFY_TOKEN = "test-verify-token-789"


@pytest.fixture
def platform(app):
    """The fake Platform, and the app set to the `graph` transport against it."""
    fake = FakeMessengerPlatform(access_token=PAGE_TOKEN).start()
    fake.app_secret = APP_SECRET
    app.extensions["fake_messenger_platform"] = fake  # test helpers posting webhooks tell it
    app.config.update(
        MESSENGER_TRANSPORT="graph",
        GRAPH_URL=fake.graph_url,
        GRAPH_TIMEOUT=0.5,
        MESSENGER_PAGE_ID=fake.page_id,
        MESSENGER_PAGE_ACCESS_TOKEN=PAGE_TOKEN,
        MESSENGER_APP_ID=fake.app_id,
        MESSENGER_APP_SECRET=APP_SECRET,
        MESSENGER_VERIFY_TOKEN=VERIFY_TOKEN,
        PUBLIC_URL="https://shop.example.com",
    )
    yield fake
    fake.stop()

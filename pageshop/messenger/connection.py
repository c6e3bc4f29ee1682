"""What the merchant needs to see of the connection to the Messenger Platform (graph transport):
the webhook URL to give Meta, which settings are present (secrets only as "set"), and whether
Meta's calls arrive and get processed."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import url_for
from flask_babel import lazy_gettext as _l

from .. import clock
from ..extensions import db
from ..models import WebhookDelivery
from .transport import get_transport
from .webhook import MAX_ATTEMPTS

WORKER_LATE = timedelta(minutes=1)

# (setting, what it is, secret: shown only as set or missing)
SETTINGS = (
    ("MESSENGER_PAGE_ID", _l("Page id"), False),
    ("MESSENGER_PAGE_ACCESS_TOKEN", _l("Page access token"), True),
    ("MESSENGER_APP_ID", _l("App id"), False),
    ("MESSENGER_APP_SECRET", _l("App secret"), True),
    ("MESSENGER_VERIFY_TOKEN", _l("Webhook verify token"), True),
)


@dataclass
class Setting:
    name: str
    label: str
    shown: str | None  # the value where it isn't secret
    present: bool


@dataclass
class PlatformConnection:
    webhook_url: str
    settings: list[Setting]
    last_call_at: datetime | None
    waiting_calls: int  # received over a minute ago and not processed yet: is a worker running?
    failed_calls: int  # given up after MAX_ATTEMPTS

    @property
    def missing(self) -> list[Setting]:
        return [setting for setting in self.settings if not setting.present]


def platform_connection(config) -> PlatformConnection | None:
    """None with a transport that needs no connection (`local`): there is nothing to connect."""
    if not get_transport().needs_connection:
        return None
    settings = []
    for name, label, secret in SETTINGS:
        value = str(config.get(name) or "").strip()
        settings.append(Setting(name, str(label), None if secret or not value else value, bool(value)))
    last_call_at = db.session.scalars(db.select(db.func.max(WebhookDelivery.received_at))).one()
    waiting = db.session.scalars(db.select(db.func.count(WebhookDelivery.id)).where(
        WebhookDelivery.processed_at.is_(None),
        WebhookDelivery.received_at < clock.now() - WORKER_LATE)).one()
    failed = db.session.scalars(db.select(db.func.count(WebhookDelivery.id)).where(
        WebhookDelivery.attempts >= MAX_ATTEMPTS, WebhookDelivery.last_error.is_not(None))).one()
    webhook_url = (config.get("PUBLIC_URL") or "").rstrip("/") + url_for("storefront.messenger_webhook")
    return PlatformConnection(webhook_url, settings, last_call_at, waiting, failed)

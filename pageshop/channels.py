"""The store's sales channels: the Facebook channel (A5) and the Messenger channel (A6)."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .errors import DomainError, NotAllowed
from .extensions import db
from .ids import parse_id
from .models import Checkout, FacebookPage, Store
from .validation import check_email

REVIEW_STATE_LABELS = {
    "not_submitted": _l("Not submitted"),
    "submitted": _l("Submitted for review"),
    "approved": _l("Approved"),
}
CHECKOUT_LABELS = {"facebook": _l("Facebook checkout"), "store": _l("Store checkout")}
BUY_NOW_LABELS = {"shop": _l("Shop tab on the Page"), "online_store": _l("Online store")}

# Where stores may be, and what they sell in (ISO codes, named by pageshop.localized.country_name);
# the checkout rule below needs US/USD.
STORE_COUNTRIES = ("US", "CA", "GB", "DE", "FR", "AT", "CH", "AU")
STORE_CURRENCIES = ("USD", "CAD", "GBP", "EUR", "CHF", "AUD")


def facebook_checkout_eligibility(store: Store) -> tuple[bool, str | None]:
    """Facebook checkout needs a store in the United States selling in USD: (eligible, reason)."""
    if store.country == "US" and store.currency == "USD":
        return True, None
    return False, _("Facebook checkout needs a store in the United States selling in USD")


def facebook_shop_open(store: Store | None) -> bool:
    """The Page's shop is open (its Shop tab shown, its products sold on Facebook) once Facebook
    has approved it (A5)."""
    return store is not None and store.review_state == "approved"


def effective_checkout(store: Store) -> Checkout:
    """The checkout shoppers get: Facebook checkout only while the store is eligible for it."""
    eligible, _reason = facebook_checkout_eligibility(store)
    return Checkout(store.checkout_choice) if eligible else Checkout.STORE


# --- review ------------------------------------------------------------------------------


def submit_for_review(store: Store) -> Store:
    if store.facebook_page_id is None:
        raise NotAllowed(_("Connect a Facebook Page before submitting the shop for review."))
    if store.review_state != "not_submitted":
        raise NotAllowed(_("The shop was already submitted for review."))
    store.review_state = "submitted"
    db.session.commit()
    return store


def approve(store: Store) -> Store:
    """What Facebook does after its review; the Shop tab appears on the Page from then on."""
    if store.review_state == "approved":
        raise NotAllowed(_("The shop is already approved."))
    store.review_state = "approved"
    db.session.commit()
    return store


# --- settings -----------------------------------------------------------------------------


def set_checkout_choice(store: Store, choice: str) -> Store:
    _apply_checkout_choice(store, choice)
    db.session.commit()
    return store


def set_buy_now_destination(store: Store, destination: str) -> Store:
    _apply_buy_now_destination(store, destination)
    db.session.commit()
    return store


def set_support_email(store: Store, email: str) -> Store:
    _apply_support_email(store, email)
    db.session.commit()
    return store


def save_facebook_settings(store: Store, checkout_choice: str | None, buy_now_destination: str,
                           support_email: str) -> Store:
    """The channel page's settings form, all or nothing. No checkout_choice keeps the current one."""
    try:
        if checkout_choice:
            _apply_checkout_choice(store, checkout_choice)
        _apply_buy_now_destination(store, buy_now_destination)
        _apply_support_email(store, support_email)
    except DomainError:
        db.session.rollback()
        raise
    db.session.commit()
    return store


def _apply_checkout_choice(store: Store, choice: str) -> None:
    if choice not in CHECKOUT_LABELS:
        raise DomainError(_("Choose a checkout."), "checkout_choice")
    if choice == "facebook":
        eligible, reason = facebook_checkout_eligibility(store)
        if not eligible:
            raise NotAllowed(reason, "checkout_choice")
    store.checkout_choice = choice


def _apply_buy_now_destination(store: Store, destination: str) -> None:
    if destination not in BUY_NOW_LABELS:
        raise DomainError(_("Choose where \"Buy Now\" goes."), "buy_now_destination")
    store.buy_now_destination = destination


def _apply_support_email(store: Store, email: str) -> None:
    store.support_email = check_email(email, "support_email")


def set_store_location(store: Store, country: str, currency: str) -> Store:
    """Where the store is and what it sells in; Facebook checkout falls back to store checkout
    when the store is no longer eligible for it."""
    country = (country or "").strip().upper()
    currency = (currency or "").strip().upper()
    if country not in STORE_COUNTRIES:
        raise DomainError(_("Choose the store's country."), "country")
    if currency not in STORE_CURRENCIES:
        raise DomainError(_("Choose the store's currency."), "currency")
    store.country = country
    store.currency = currency
    if not facebook_checkout_eligibility(store)[0]:
        store.checkout_choice = "store"
    db.session.commit()
    return store


# --- the Messenger channel (A6) ---------------------------------------------------------


def merchant_pages() -> list[FacebookPage]:
    return list(db.session.scalars(db.select(FacebookPage).order_by(FacebookPage.name, FacebookPage.id)))


def add_messenger_channel(store: Store, page_id: int | None) -> Store:
    if store.messenger_page_id is not None:
        raise NotAllowed(_("The Messenger channel is already added to %(page)s.",
                           page=store.messenger_page.name))
    page_id = parse_id(page_id)
    page = db.session.get(FacebookPage, page_id) if page_id else None
    if page is None:
        raise DomainError(_("Choose the Page to add the Messenger channel to."), "page_id")
    store.messenger_page_id = page.id
    db.session.commit()
    return store


def remove_messenger_channel(store: Store) -> Store:
    if store.messenger_page_id is None:
        raise NotAllowed(_("The Messenger channel is not added."))
    store.messenger_page_id = None
    db.session.commit()
    return store

"""A5 and A6: the Facebook channel (review, checkout, "Buy Now", support address) and the
Messenger channel."""
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from wtforms import SelectChoice

from pageshop.channels import (
    BUY_NOW_LABELS,
    CHECKOUT_LABELS,
    REVIEW_STATE_LABELS,
    STORE_COUNTRIES,
    STORE_CURRENCIES,
    add_messenger_channel,
    approve,
    facebook_checkout_eligibility,
    merchant_pages,
    remove_messenger_channel,
    save_facebook_settings,
    set_store_location,
    submit_for_review,
)
from pageshop.errors import DomainError
from pageshop.localized import country_name
from pageshop.messenger.connection import platform_connection
from pageshop.store import get_store

from . import bp
from .forms import FacebookSettingsForm, MessengerChannelForm, StoreLocationForm, TokenForm, add_error


def _render_channels(store, settings_form=None, location_form=None, messenger_form=None, status=200):
    eligible, reason = facebook_checkout_eligibility(store)
    if settings_form is None:
        settings_form = FacebookSettingsForm(data={
            "checkout_choice": store.checkout_choice if eligible else "store",
            "buy_now_destination": store.buy_now_destination,
            "support_email": store.support_email,
        })
    location_form = location_form or StoreLocationForm(data={"country": store.country,
                                                              "currency": store.currency})
    location_form.country.choices = [SelectChoice(code, country_name(code)) for code in STORE_COUNTRIES]
    location_form.currency.choices = [SelectChoice(code) for code in STORE_CURRENCIES]
    messenger_form = messenger_form or MessengerChannelForm(data={"page_id": store.facebook_page_id})
    messenger_form.page_id.choices = [SelectChoice(page.id, page.name) for page in merchant_pages()]
    return render_template(
        "admin/channels.html",
        settings_form=settings_form, location_form=location_form, messenger_form=messenger_form,
        token_form=TokenForm(), eligible=eligible, ineligible_reason=reason,
        review_labels=REVIEW_STATE_LABELS, checkout_labels=CHECKOUT_LABELS, buy_now_labels=BUY_NOW_LABELS,
        connection=platform_connection(current_app.config),
    ), status


def _back():
    return redirect(url_for("admin.channels"), code=303)


@bp.get("/channels")
def channels():
    return _render_channels(get_store())


@bp.post("/channels/facebook/settings")
def save_channel_settings():
    store = get_store()
    form = FacebookSettingsForm()
    try:
        save_facebook_settings(store, request.form.get("checkout_choice"), form.buy_now_destination.data,
                               form.support_email.data)
    except DomainError as exc:
        if not add_error(form, exc.field, exc.message):
            flash(exc.message, "error")
        return _render_channels(get_store(), settings_form=form, status=422)
    flash(_("Facebook channel settings saved."), "success")
    return _back()


@bp.post("/channels/store-location")
def save_store_location():
    store = get_store()
    form = StoreLocationForm()
    try:
        set_store_location(store, form.country.data, form.currency.data)
    except DomainError as exc:
        add_error(form, exc.field, exc.message)
        return _render_channels(get_store(), location_form=form, status=422)
    flash(_("Store location saved."), "success")
    return _back()


@bp.post("/channels/facebook/submit")
def submit_channel_for_review():
    return _channel_step(submit_for_review, _("Submitted for review. Facebook will review your shop."))


@bp.post("/channels/facebook/approve")
def approve_channel():
    return _channel_step(approve, _("Approved: the Shop tab is now on your Page."))


@bp.post("/channels/messenger/remove")
def remove_messenger():
    return _channel_step(remove_messenger_channel, _("Messenger channel removed."))


@bp.post("/channels/messenger/reconnect")
def reconnect_messenger():
    """After the Page's new access token is configured: send what the expired one held back."""
    from pageshop.messenger.outbox import release_held_notifications

    return _channel_step(lambda _store: release_held_notifications(),
                         _("Messenger reconnected: held order updates are being sent."))


def _channel_step(action, done_message):
    try:
        action(get_store())
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(done_message, "success")
    return _back()


@bp.post("/channels/messenger/add")
def add_messenger():
    store = get_store()
    form = MessengerChannelForm()
    try:
        add_messenger_channel(store, form.page_id.data)
    except DomainError as exc:
        if not add_error(form, exc.field, exc.message):
            flash(exc.message, "error")
            return _back()
        return _render_channels(get_store(), messenger_form=form, status=422)
    flash(_("Messenger channel added to %(page)s.", page=store.messenger_page.name), "success")
    return _back()

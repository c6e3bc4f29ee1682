"""A5/A6: the channels page: review, checkout eligibility, "Buy Now", support address, Messenger."""
import pytest

from pageshop.channels import (
    add_messenger_channel,
    approve,
    facebook_checkout_eligibility,
    remove_messenger_channel,
    set_checkout_choice,
    submit_for_review,
)
from pageshop.errors import DomainError, NotAllowed
from pageshop.extensions import db
from pageshop.models import FacebookPage, Store

REASON = "Facebook checkout needs a store in the United States selling in USD"


@pytest.fixture
def signed_in(auth, store):
    auth.sign_in()
    return store


def text(response) -> str:
    return response.get_data(as_text=True)


def the_store() -> Store:
    db.session.expire_all()
    return db.session.scalars(db.select(Store)).one()


def test_eligibility_is_us_and_usd_only(store):
    assert facebook_checkout_eligibility(store) == (True, None)
    store.country = "DE"
    assert facebook_checkout_eligibility(store) == (False, REASON)
    store.country, store.currency = "US", "EUR"
    assert facebook_checkout_eligibility(store)[0] is False


def test_review_goes_submitted_then_approved(make_store, make_admin):
    store = make_store(review_state="not_submitted")
    with pytest.raises(NotAllowed):
        approve(approve(store))
    store.review_state = "not_submitted"
    db.session.commit()
    submit_for_review(store)
    assert store.review_state == "submitted"
    with pytest.raises(NotAllowed):
        submit_for_review(store)
    approve(store)
    assert the_store().review_state == "approved"


def test_review_buttons_on_the_channels_page(client, auth, make_store, make_admin):
    make_store(review_state="not_submitted")
    make_admin()
    auth.sign_in()
    page = text(client.get("/admin/channels"))
    assert "Not submitted" in page and "Submit for review" in page and ">Approve<" not in page
    assert client.post_form("/admin/channels/facebook/submit").status_code == 303
    page = text(client.get("/admin/channels"))
    assert "Submitted for review" in page and ">Approve<" in page
    client.post_form("/admin/channels/facebook/approve")
    page = text(client.get("/admin/channels"))
    assert "Approved" in page and "Submit for review" not in page
    assert the_store().review_state == "approved"
    response = client.post_form("/admin/channels/facebook/approve")
    assert "already approved" in text(client.get(response.headers["Location"]))


def test_cli_facebook_approve(runner, make_store):
    make_store(review_state="not_submitted")
    result = runner.invoke(args=["facebook-approve"])
    assert result.exit_code == 0, result.output
    assert "approved" in result.output
    assert the_store().review_state == "approved"
    again = runner.invoke(args=["facebook-approve"])
    assert again.exit_code == 0 and "approved" in again.output


def test_us_store_chooses_between_both_checkouts(client, signed_in):
    page = text(client.get("/admin/channels"))
    assert "Connected Page:" in page and "Maple &amp; Thread" in page
    assert 'value="facebook"' in page and 'value="store"' in page
    assert REASON not in page
    response = client.post_form("/admin/channels/facebook/settings", {
        "checkout_choice": "store", "buy_now_destination": "online_store",
        "support_email": "Help@Example.com"})
    assert response.status_code == 303
    store = the_store()
    assert (store.checkout_choice, store.buy_now_destination) == ("store", "online_store")
    assert store.support_email == "Help@example.com"


def test_german_store_gets_only_store_checkout_and_a_forced_post_is_refused(client, auth, make_store, make_admin):
    make_store(country="DE", currency="EUR", checkout_choice="store")
    make_admin()
    auth.sign_in()
    page = text(client.get("/admin/channels"))
    assert REASON in page
    assert 'value="facebook"' not in page
    assert "Store checkout" in page
    response = client.post_form("/admin/channels/facebook/settings", {
        "checkout_choice": "facebook", "buy_now_destination": "shop", "support_email": "support@example.com"})
    assert response.status_code == 422
    assert REASON in text(response)
    assert the_store().checkout_choice == "store"
    with pytest.raises(NotAllowed, match="United States"):
        set_checkout_choice(the_store(), "facebook")


def test_moving_the_store_abroad_falls_back_to_store_checkout(client, signed_in):
    response = client.post_form("/admin/channels/store-location", {"country": "DE", "currency": "EUR"})
    assert response.status_code == 303
    store = the_store()
    assert (store.country, store.currency, store.checkout_choice) == ("DE", "EUR", "store")
    assert REASON in text(client.get("/admin/channels"))
    client.post_form("/admin/channels/store-location", {"country": "US", "currency": "USD"})
    assert 'value="facebook"' in text(client.get("/admin/channels"))
    response = client.post_form("/admin/channels/store-location", {"country": "XX", "currency": "USD"})
    assert response.status_code == 422
    assert "Choose the store&#39;s country." in text(response)


@pytest.mark.parametrize("email", ["", "not-an-address", "a@b"])
def test_support_email_is_validated(client, signed_in, email):
    response = client.post_form("/admin/channels/facebook/settings", {
        "checkout_choice": "facebook", "buy_now_destination": "shop", "support_email": email})
    assert response.status_code == 422
    assert "Enter a valid email address" in text(response)
    assert the_store().support_email == "support@example.com"


def test_unknown_buy_now_destination_is_refused(client, signed_in):
    response = client.post_form("/admin/channels/facebook/settings", {
        "checkout_choice": "store", "buy_now_destination": "moon", "support_email": "s@example.com"})
    assert response.status_code == 422
    store = the_store()
    assert store.buy_now_destination == "shop" and store.checkout_choice == "facebook"


def test_remove_and_add_the_messenger_channel(client, signed_in):
    page = text(client.get("/admin/channels"))
    assert "Messenger channel: added to Maple &amp; Thread" in page
    assert "Remove Messenger channel" in page
    assert client.post_form("/admin/channels/messenger/remove").status_code == 303
    assert the_store().messenger_page_id is None
    other = FacebookPage(name="Maple Outlet")
    db.session.add(other)
    db.session.commit()
    page = text(client.get("/admin/channels"))
    assert "Add Messenger channel" in page and "Maple Outlet" in page
    response = client.post_form("/admin/channels/messenger/add", {"page_id": str(other.id)})
    assert response.status_code == 303
    assert the_store().messenger_page_id == other.id
    assert "Messenger channel: added to Maple Outlet" in text(client.get("/admin/channels"))


def test_add_messenger_needs_a_page(client, signed_in):
    remove_messenger_channel(the_store())
    response = client.post_form("/admin/channels/messenger/add", {"page_id": "9999"})
    assert response.status_code == 422
    assert "Choose the Page" in text(response)
    with pytest.raises(NotAllowed):
        remove_messenger_channel(the_store())
    add_messenger_channel(the_store(), the_store().facebook_page_id)
    with pytest.raises(DomainError, match="already added"):
        add_messenger_channel(the_store(), the_store().facebook_page_id)


# --- the connection to the Messenger Platform (graph transport) ---------------------------------


def test_channels_page_shows_the_platform_connection_without_secrets(app, client, auth, store):
    from tests.fake_messenger_platform import APP_SECRET, PAGE_TOKEN, VERIFY_TOKEN

    app.config.update(MESSENGER_TRANSPORT="graph", MESSENGER_PAGE_ID="1029384756",
                      MESSENGER_PAGE_ACCESS_TOKEN=PAGE_TOKEN, MESSENGER_APP_ID="1234567890",
                      MESSENGER_APP_SECRET=APP_SECRET, MESSENGER_VERIFY_TOKEN=VERIFY_TOKEN,
                      PUBLIC_URL="https://shop.example.com")
    auth.sign_in()

    page = client.get("/admin/channels").get_data(as_text=True)

    assert "https://shop.example.com/webhooks/messenger" in page
    assert "1029384756" in page and "1234567890" in page  # ids aren't secret
    for secret in (PAGE_TOKEN, APP_SECRET, VERIFY_TOKEN):
        assert secret not in page
    assert "missing" not in page
    assert "none yet" in page


def test_channels_page_names_missing_settings_and_a_stalled_worker(app, client, auth, store):
    from datetime import timedelta

    from pageshop import clock
    from pageshop.extensions import db
    from pageshop.models import WebhookDelivery

    app.config.update(MESSENGER_TRANSPORT="graph", MESSENGER_PAGE_ID="1029384756",
                      MESSENGER_PAGE_ACCESS_TOKEN=None, MESSENGER_APP_ID=None, MESSENGER_APP_SECRET="s",
                      MESSENGER_VERIFY_TOKEN="v")
    db.session.add(WebhookDelivery(body="{}", received_at=clock.now()))
    db.session.commit()
    auth.sign_in()

    page = client.get("/admin/channels").get_data(as_text=True)
    assert ("Messenger can't work until these are set in the environment of the web and worker "
            "processes: MESSENGER_PAGE_ACCESS_TOKEN, MESSENGER_APP_ID.") in page
    assert "waiting for the worker" not in page  # just arrived

    clock.advance(timedelta(minutes=2))
    page = client.get("/admin/channels").get_data(as_text=True)
    assert "1 call from Meta is waiting for the worker: is `flask worker` running?" in page

    db.session.add(WebhookDelivery(body="{", received_at=clock.now(), processed_at=clock.now(), attempts=5,
                                   last_error="JSONDecodeError: Expecting property name"))
    db.session.commit()
    page = client.get("/admin/channels").get_data(as_text=True)
    assert "1 call from Meta could not be processed; the worker's log has the reason." in page


def test_channels_page_says_nothing_of_the_platform_with_the_local_transport(client, auth, store):
    auth.sign_in()
    assert "Webhook URL" not in client.get("/admin/channels").get_data(as_text=True)

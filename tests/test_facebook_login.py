"""Facebook's log-in for shoppers: after logging in, Back doesn't show the form again; Facebook
checkout knows the account's name."""
from html import unescape


def test_back_after_logging_in_moves_on_instead_of_showing_the_form(client, auth, store):
    form = client.get("/facebook/login?next=/purchase-history")
    assert form.status_code == 200 and form.headers["Cache-Control"] == "no-store"
    auth.facebook_login()
    again = client.get("/facebook/login?next=/purchase-history")  # what Back asks for
    assert again.status_code == 303 and again.headers["Location"] == "/purchase-history"
    assert client.get("/facebook/login").headers["Location"] == "/"
    assert client.get("/facebook/login?next=https://evil.example/").headers["Location"] == "/"


def test_facebook_checkout_fills_in_the_account_name(client, auth, store, make_product):
    mug = make_product(title="Mug")
    url = f"/checkout?variant={mug.variants[0].id}&quantity=1"
    assert 'value="Alex"' not in client.get(url).get_data(as_text=True)  # logged out: nothing to fill in
    auth.facebook_login()
    html = unescape(client.get(url).get_data(as_text=True))
    assert 'value="Alex"' in html and 'value="Rivera"' in html and 'value="alex@example.com"' in html
    # The store's own checkout is the store's website: it only gets the e-mail, as before.
    store_checkout = unescape(client.get(url + "&source=online_store").get_data(as_text=True))
    assert 'value="Rivera"' not in store_checkout

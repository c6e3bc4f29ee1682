"""A7: message customizations: only documented placeholders, in a sandbox; live preview; reset."""
from html import unescape

import pytest

from pageshop.errors import DomainError
from pageshop.extensions import db
from pageshop.messenger.message_templates import DEFAULT_BODIES, check_template, get_customization, preview
from pageshop.models import MessageTemplate

URL = "/admin/messenger/customizations"

INJECTIONS = [
    ("{{ ''.__class__ }}", "no attributes"),
    ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "no attributes"),
    ("{{ cycler.__init__.__globals__.os.popen('id').read() }}", "no attributes"),
    ("{{ config }}", "Unknown placeholder {{ config }}"),
    ("{{ self }}", "Unknown placeholder {{ self }}"),
    ("{{ request.application }}", "no attributes"),
    ("{{ 7*7 }}", "no attributes, calculations"),
    ("{{ first_name|upper }}", "filters"),
    ("{{ first_name() }}", "calls"),
    ("{{ first_name['x'] }}", "no attributes"),
    ("{% for x in range(3) %}{{ x }}{% endfor %}", "no {% ... %} blocks"),
    ("{% set x = 1 %}", "no {% ... %} blocks"),
    ("{% include 'base.html' %}", "no {% ... %} blocks"),
    ("Hi {{ first_name", "can't be read as a template"),
    ("{{ order_numbr }}", "Unknown placeholder {{ order_numbr }}"),
]


@pytest.mark.parametrize("payload, error", INJECTIONS)
def test_anything_but_plain_placeholders_is_refused(app, payload, error):
    with pytest.raises(DomainError) as refused:
        check_template(payload, "body")
    assert error in refused.value.message
    assert refused.value.field == "body"


@pytest.mark.parametrize("payload, error", INJECTIONS[:6] + INJECTIONS[10:])
def test_the_admin_shows_the_error_and_saves_nothing(app, store, auth, client, payload, error):
    auth.sign_in()
    response = client.post_form(URL + "?event=order_confirmation",
                                {"event": "order_confirmation", "body": payload, "promo_note": ""})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "field-error" in html
    assert db.session.scalars(db.select(MessageTemplate)).all() == []


def test_a_payload_in_the_promotional_note_is_refused_too(app, store, auth, client):
    auth.sign_in()
    response = client.post_form(URL, {"event": "delivered", "body": "Delivered {{ order_number }}",
                                      "promo_note": "{{ cycler.__init__.__globals__ }}"})
    assert response.status_code == 422
    assert "no attributes" in response.get_data(as_text=True)
    assert db.session.scalars(db.select(MessageTemplate)).all() == []


def test_documented_placeholders_render_with_the_values(app):
    result = preview("shipping_update", "en",
                     "Hi {{ first_name }}! {{ order_number }} from {{ shop_name }}: {{ tracking_number }} "
                     "{{ tracking_link }}", "10% off with THANKS")
    assert result.inside == ("Hi Alex! #1001 from Maple & Thread: 1Z999AA10123456784 "
                             "https://www.ups.com/track?tracknum=1Z999AA10123456784\n\n10% off with THANKS")
    assert "10% off" not in result.outside
    assert "Order #1001 has shipped" in result.outside


def test_page_shows_the_default_and_saving_then_resetting(app, store, auth, client):
    auth.sign_in()
    html = client.get(URL).get_data(as_text=True)
    assert "Messenger customizations" in html
    assert "thanks for your order" in html
    assert "Inside the 24-hour window" in html and "Outside the 24-hour window" in html

    response = client.post_form(URL, {"event": "order_confirmation",
                                      "body": "Thanks {{ first_name }}! Order {{ order_number }} is in.",
                                      "promo_note": "Use SPRING10 for 10% off."})
    assert response.status_code == 303
    saved = get_customization("order_confirmation", "en")
    assert saved.customized and saved.promo_note == "Use SPRING10 for 10% off."
    html = client.get(URL + "?event=order_confirmation").get_data(as_text=True)
    assert "Thanks Alex! Order #1001 is in.\n\nUse SPRING10 for 10% off." in html

    response = client.post_form(URL + "/reset?event=order_confirmation")
    assert response.status_code == 303
    assert get_customization("order_confirmation", "en").body == str(DEFAULT_BODIES["order_confirmation"])
    assert not get_customization("order_confirmation", "en").customized


def test_live_preview_answers_with_the_fragment_as_you_type(app, store, auth, client):
    auth.sign_in()
    response = client.htmx("post", URL + "/preview?event=out_for_delivery", target="preview",
                           data={"event": "out_for_delivery", "body": "On its way, {{ first_name }}!",
                                 "promo_note": "<b>Free gift</b>"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<section class="card" id="preview"' in html
    assert "<h1>" not in html  # only the preview
    assert "On its way, Alex!" in html
    assert "&lt;b&gt;Free gift&lt;/b&gt;" in html  # escaped in HTML
    assert "Order #1001 is out for delivery." in html

    response = client.htmx("post", URL + "/preview?event=out_for_delivery", target="preview",
                           data={"event": "out_for_delivery", "body": "{{ config }}", "promo_note": ""})
    assert response.status_code == 422
    assert "Unknown placeholder {{ config }}" in response.get_data(as_text=True)


def test_message_text_is_plain_text_escaped_only_by_the_pages_showing_it(app):
    from pageshop.messenger.message_templates import inside_text

    assert inside_text("Hi {{ first_name }}", "", {"first_name": "<script>x</script>"}) == "Hi <script>x</script>"


def test_customizations_need_a_signed_in_admin(app, store, client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/admin/sign-in" in response.headers["Location"]


def test_the_order_message_tabs_mark_the_current_one(app, store, client, auth):
    import re

    auth.sign_in()
    for query, current in (("", "Order confirmation"), ("?event=out_for_delivery", "Out for delivery")):
        html = client.get(URL + query).get_data(as_text=True)
        tabs = re.search(r'<nav class="tabs" aria-label="Order messages">(.*?)</nav>', html, re.S).group(1)
        assert re.findall(r'<a [^>]*aria-current="page"[^>]*>([^<]+)</a>', tabs) == [current]
        assert len(re.findall(r"<a ", tabs)) == 4


# --- one placeholder syntax (A7 and the saved replies of A8) --------------------------------

VALID = ("You can use: {{ order_number }}, {{ first_name }}, {{ tracking_number }}, {{ tracking_link }}, "
         "{{ shop_name }}.")


@pytest.mark.parametrize("text, error", [
    ("Hi {first_name}!", "Write placeholders with two braces on each side: {{ first_name }}, not {first_name}."),
    ("Order { order_number } shipped", "two braces on each side: {{ order_number }}, not {order_number}."),
    ("Your {coupon} code", "Unknown placeholder {coupon}."),
    ("{{ coupon }}", "Unknown placeholder {{ coupon }}."),
])
def test_a_placeholder_in_another_syntax_or_unknown_is_refused_with_the_valid_ones(
        app, store, auth, client, text, error):
    auth.sign_in()
    for field in ("body", "promo_note"):
        form = {"event": "delivered", "body": "Delivered {{ order_number }}", "promo_note": ""}
        form[field] = text
        response = client.post_form(URL + "?event=delivered", form)
        assert response.status_code == 422
        html = unescape(response.get_data(as_text=True))
        assert error in html and VALID in html
        assert "saved" not in html.lower().split("</h1>", 1)[1].split("<form", 1)[0]
    assert db.session.scalars(db.select(MessageTemplate)).all() == []
    # Braces that are no placeholder are text like any other.
    check_template("Use {} or { two words } or {50%} off: {{ shop_name }}", "body")

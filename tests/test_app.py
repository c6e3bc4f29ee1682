"""The application boots, answers health checks, and keeps the two sessions apart."""
import re
from html import unescape


def test_healthz_answers_ok_without_the_database(app):
    app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "ok"


def test_facebook_login_and_admin_sign_in_are_separate(client, auth, store):
    assert auth.facebook_login().status_code == 303
    assert client.get("/admin/orders").status_code == 302  # Facebook login is not an admin session
    assert auth.sign_in().status_code == 303
    auth.sign_out()
    page = client.get("/").get_data(as_text=True)
    assert "Alex Rivera" in page  # still logged into Facebook after the admin signed out


def test_wrong_facebook_password_is_refused_with_a_message(client, auth, store):
    response = auth.facebook_login(password="wrong")
    assert response.status_code == 422
    assert "incorrect" in response.get_data(as_text=True)


def test_post_without_csrf_token_is_refused(client, store):
    response = client.post("/facebook/login", data={"email": "alex@example.com", "password": "pageshop-demo"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Form expired" in html
    assert "pageshop-demo" not in html  # a password is never put back into a page


def test_a_cached_pages_form_sent_without_its_script_is_sent_again_on_the_visitors_click(client, store, make_product):
    """A visitor without a session has a page from the cache, which carries no token (its script
    fetches it): without the script, the form is refused, then offered once more, with the token."""
    tote = make_product(title="Linen Tote", stock=8)
    form = {"variant": str(tote.variants[0].id), "quantity": "2", "note": 'a "quoted" <b>word</b>'}
    ours = {"Origin": "http://localhost"}  # what a browser says of a form on our page
    response = client.post("/cart/add?channel=facebook", data=form, headers=ours)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<h1>Confirm to continue</h1>" in html
    assert client.get("/cart").get_data(as_text=True).count("Linen Tote") == 0  # nothing done yet
    sent_again = re.search(r'<form method="post" action="([^"]+)">(.*?)</form>', html, re.S)
    assert sent_again.group(1) == "/cart/add?channel=facebook"
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', sent_again.group(2)))
    assert fields["note"] == "a &#34;quoted&#34; &lt;b&gt;word&lt;/b&gt;"
    again = {name: unescape(value) for name, value in fields.items()}
    assert again["csrf_token"] and again["quantity"] == "2"

    response = client.post(sent_again.group(1), data=again)
    assert response.status_code == 303
    assert "Linen Tote" in client.get("/cart").get_data(as_text=True)


def test_a_form_another_site_sent_without_a_token_is_not_offered_again(client, store, make_product):
    tote = make_product(title="Linen Tote", stock=8)
    form = {"variant": str(tote.variants[0].id), "quantity": "2"}
    for sender in ({"Origin": "https://elsewhere.example"}, {"Referer": "https://elsewhere.example/x"},
                   {"Origin": "null"}, {}):
        response = client.application.test_client().post("/cart/add", data=form, headers=sender)
        assert response.status_code == 400, sender
        assert "Form expired" in response.get_data(as_text=True), sender
    # Older browsers send no Origin with a form: the page it came from will do.
    response = client.post("/cart/add", data=form, headers={"Referer": "http://localhost/products/linen-tote"})
    assert "Confirm to continue" in response.get_data(as_text=True)


def test_a_visitor_with_a_session_sending_no_token_gets_form_expired(client, store, make_product):
    tote = make_product(title="Linen Tote", stock=8)
    client.post_form("/cart/add", {"variant": str(tote.variants[0].id), "quantity": "1"})  # a session
    response = client.post("/cart/add", data={"variant": str(tote.variants[0].id), "quantity": "1"})
    assert response.status_code == 400
    assert "Form expired" in response.get_data(as_text=True)

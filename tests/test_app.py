"""The application boots, answers health checks, and keeps the two sessions apart."""


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
    assert "Form expired" in response.get_data(as_text=True)

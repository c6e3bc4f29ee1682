"""Issue 10, item 4: every response of every URL in app.url_map carries the security headers, set in
one place (pageshop.security); the pages hold nothing the strict Content-Security-Policy would block
(inline scripts, event handlers, style attributes); only the checkout with Meta's checkbox plugin
admits Facebook's SDK and frame."""
from __future__ import annotations

import re

from flask import url_for

from .test_csrf_sweep import _set_the_scene, _url_values

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}
INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"<style\b", re.I), "a <style> element"),
    (re.compile(r"\sstyle=", re.I), "a style attribute"),
    (re.compile(r"\son[a-z]+=", re.I), "an inline event handler"),
    (re.compile(r"\shx-on[:-]", re.I), "an hx-on attribute (htmx evaluates it)"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
]


def policy(response) -> dict[str, list[str]]:
    directives = [d.strip().split() for d in response.headers["Content-Security-Policy"].split(";")]
    return {d[0]: d[1:] for d in directives if d}


def problems(response) -> list[str]:
    found = [f"{name}: {response.headers.get(name)!r}" for name, value in HEADERS.items()
             if response.headers.get(name) != value]
    if "Content-Security-Policy" not in response.headers:
        return found + ["no Content-Security-Policy"]
    csp = policy(response)
    for directive in ("default-src", "script-src", "style-src", "object-src", "base-uri",
                      "form-action", "frame-ancestors"):
        if directive not in csp:
            found.append(f"no {directive}")
    if any(source in csp.get("script-src", []) for source in ("'unsafe-inline'", "'unsafe-eval'")):
        found.append(f"script-src {csp['script-src']}")
    if csp.get("frame-ancestors") != ["'none'"]:
        found.append(f"frame-ancestors {csp.get('frame-ancestors')}")
    if "camera=()" not in response.headers.get("Permissions-Policy", ""):
        found.append("no Permissions-Policy")
    if response.mimetype == "text/html":
        page = response.get_data(as_text=True)
        found += [what for pattern, what in INLINE if pattern.search(page)]
    return found


def every_url(app, product, order) -> list:
    """Every rule with the URL of something that exists (before POSTs may delete it)."""
    urls = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        values = ({"filename": "css/pageshop.css"} if rule.endpoint == "static"
                  else _url_values(rule, product, order))
        with app.test_request_context():
            url = url_for(rule.endpoint, **values)
        urls += [(rule, method, url) for method in sorted(rule.methods & {"GET", "POST"})]
    return urls


def test_every_url_answers_with_the_security_headers(app, client, auth, store, make_product, make_order):
    product, order = _set_the_scene(make_product, make_order)
    visitor = app.test_client()
    assert auth.sign_in().status_code == 303
    assert auth.facebook_login().status_code == 303
    failures, checked = [], 0
    for rule, method, url in every_url(app, product, order):
        for who, browser in (("visitor", visitor), ("signed in", client)):
            data = {"csrf_token": browser.csrf_token()} if method == "POST" else None
            response = browser.open(url, method=method, data=data)
            failures += [f"{method} {url} ({who}, {response.status_code}): {problem}"
                         for problem in problems(response)]
            response.close()  # files are streamed
            checked += 1
        if rule.endpoint in ("admin.sign_out", "storefront.facebook_logout"):
            auth.sign_in()
            auth.facebook_login()
    # And the answers no view gives: a 404, a 405, a refused CSRF token.
    for response in (client.get("/no-such-page"), client.open("/healthz", method="POST"),
                     client.post("/cart/add", data={})):
        failures += [f"{response.status_code}: {problem}" for problem in problems(response)]
    assert checked > 150
    assert not failures, "\n".join(failures)


def test_no_strict_transport_security_over_http_and_always_over_https(app, client, store):
    assert "Strict-Transport-Security" not in client.get("/").headers
    app.config["PUBLIC_URL"] = "https://shop.example.com"
    for url in ("/", "/admin/sign-in", "/healthz", "/static/css/pageshop.css"):
        with client.get(url) as response:
            assert response.headers["Strict-Transport-Security"] == \
                "max-age=31536000; includeSubDomains", url


def test_the_checkbox_plugins_checkout_alone_admits_facebook(app, client, store, make_product):
    product = make_product()
    checkout = f"/checkout?variant={product.variants[0].id}&quantity=1"
    assert "facebook" not in client.get(checkout).headers["Content-Security-Policy"]

    app.config.update(MESSENGER_TRANSPORT="graph", MESSENGER_PAGE_ID="1234", MESSENGER_APP_ID="5678")
    csp = policy(client.get(checkout))

    assert "https://connect.facebook.net" in csp["script-src"]
    assert "https://www.facebook.com" in csp["frame-src"]
    assert "'unsafe-eval'" not in csp["script-src"] and "'unsafe-inline'" not in csp["script-src"]
    assert csp["frame-ancestors"] == ["'none'"]  # nobody frames the checkout itself
    assert "facebook" not in client.get("/").headers["Content-Security-Policy"]


def test_htmx_is_configured_for_the_policy(client, store):
    page = client.get("/").get_data(as_text=True)
    config = re.search(r'<meta name="htmx-config" content=\'([^\']+)\'', page).group(1)
    assert '"includeIndicatorStyles":false' in config and '"allowEval":false' in config

"""Light pages (issue 12): static files under fingerprinted names, compressed, cached for a year."""
import re

from flask import url_for

from pageshop.static_files import build_static


def test_pages_link_fingerprinted_static_files_cached_for_a_year_and_compressed(client, store):
    html = client.get("/shop").get_data(as_text=True)
    linked = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert any("/static/vendor/htmx-2.0.11.min." in url for url in linked)
    for url in linked:
        assert re.search(r"\.[0-9a-f]{12}\.(css|js)$", url), url
        response = client.get(url, headers={"Accept-Encoding": "br, gzip"})
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "max-age=31536000, immutable", url
        assert response.headers["Content-Encoding"] == "br", url
        assert response.headers["X-Content-Type-Options"] == "nosniff", url
    gzipped = client.get(linked[0], headers={"Accept-Encoding": "gzip"})
    assert gzipped.headers["Content-Encoding"] == "gzip"
    # The plain name still answers (a link from elsewhere), but is not kept for long.
    assert client.get("/static/css/pageshop.css").headers["Cache-Control"] == "max-age=60, public"


def test_a_fingerprinted_name_changes_with_the_file(app, tmp_path):
    source, target = tmp_path / "static", tmp_path / "built"
    (source / "css").mkdir(parents=True)
    (source / "css" / "shop.css").write_text("body { color: black }")
    first = build_static(str(source), str(target))["css/shop.css"]
    (source / "css" / "shop.css").write_text("body { color: navy }")
    second = build_static(str(source), str(target))["css/shop.css"]
    assert first != second
    assert (target / second).read_text() == "body { color: navy }"
    assert (target / (second + ".gz")).exists() and (target / (second + ".br")).exists()
    with app.test_request_context():
        assert url_for("static", filename="css/pageshop.css") != "/static/css/pageshop.css"

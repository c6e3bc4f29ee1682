"""Light pages (issue 12): static files under fingerprinted names, compressed, cached for a year."""
import re

from flask import url_for

from pageshop.extensions import db
from pageshop.seed import make_product_image
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


def test_product_cards_show_a_small_webp_of_the_image(client, store, make_product):
    product = make_product(title="Canvas Tote")
    product.image_filename = make_product_image("Canvas Tote", "beanie", "#e9dcc9", "#b5523b", "tote.png")
    db.session.commit()
    html = client.get("/shop").get_data(as_text=True)
    card = re.search(r'<img src="(/images/card/240/[^"]+)"', html).group(1)
    with client.get(card) as response:
        assert response.status_code == 200 and response.mimetype == "image/webp"
        assert len(response.data) < 5000
    assert client.get(card.replace("/240/", "/241/")).status_code == 404
    assert client.get("/images/card/240/no-such-image.png").status_code == 404


def test_a_cached_page_is_sent_gzipped_to_a_browser_that_takes_it(client, store):
    import gzip

    plain = client.get("/shop").get_data()
    for _ in range(2):  # as rendered, then from the cache
        response = client.get("/shop", headers={"Accept-Encoding": "gzip, deflate, br"})
        assert response.headers["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in response.headers["Vary"]
        assert gzip.decompress(response.get_data()) == plain

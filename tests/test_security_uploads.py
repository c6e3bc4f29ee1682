"""Issue 10, item 7: uploads are re-encoded. An image with too many pixels is refused before it is
decoded; every accepted image is written anew by Pillow, without its metadata and without anything
appended to it; uploads are served with nosniff."""
from __future__ import annotations

import io
import os

import pytest
from PIL import Image

from pageshop.extensions import db
from pageshop.models import Product

HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"


@pytest.fixture
def signed_in(auth, store):
    auth.sign_in()
    return store


def upload(client, content: bytes, name: str):
    data = {"title": "Linen Apron", "handle": "", "description": "", "published_online_store": "y",
            "published_facebook": "y", "variants-0-id": "", "variants-0-title": "Default",
            "variants-0-price": "32.50", "variants-0-stock": "4", "image": (io.BytesIO(content), name)}
    return client.post_form("/admin/products/new", data, content_type="multipart/form-data")


def image_bytes(image: Image.Image, image_format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **options)
    return buffer.getvalue()


def stored(app) -> tuple[Product, bytes]:
    product = db.session.scalars(db.select(Product)).one()
    with open(os.path.join(app.config["UPLOAD_FOLDER"], product.image_filename), "rb") as file:
        return product, file.read()


def nothing_stored(app) -> bool:
    folder = app.config["UPLOAD_FOLDER"]
    return (db.session.scalars(db.select(Product)).first() is None
            and (not os.path.exists(folder) or os.listdir(folder) == []))


def test_a_small_file_of_100_megapixels_is_refused(app, client, signed_in):
    bomb = image_bytes(Image.new("1", (10_000, 10_000)), "PNG", optimize=True)
    assert len(bomb) < 50_000  # a few kilobytes that every shopper's browser would blow up

    response = upload(client, bomb, "plain.png")

    assert response.status_code == 422
    assert "The image has too many pixels: at most 25 megapixels." in response.get_data(as_text=True)
    assert nothing_stored(app)


def test_the_pixel_limit_is_exact(app, client, signed_in):
    app.config["MAX_IMAGE_PIXELS"] = 100 * 100
    assert upload(client, image_bytes(Image.new("RGB", (101, 100)), "PNG"), "a.png").status_code == 422
    assert upload(client, image_bytes(Image.new("RGB", (100, 100)), "PNG"), "a.png").status_code == 303


def test_a_gif_with_html_appended_is_kept_without_it(app, client, signed_in):
    gif = image_bytes(Image.new("P", (16, 16), 3), "GIF") + HTML

    assert upload(client, gif, "apron.gif").status_code == 303

    product, kept = stored(app)
    assert product.image_filename.endswith(".gif")
    assert b"<script" not in kept and b"<html" not in kept
    assert kept.endswith(b";")  # the GIF trailer is the last byte
    assert Image.open(io.BytesIO(kept)).size == (16, 16)
    with client.get(f"/images/{product.image_filename}") as served:
        assert served.headers["X-Content-Type-Options"] == "nosniff"
        assert served.mimetype == "image/gif"
        assert "default-src 'self'" in served.headers["Content-Security-Policy"]


def test_a_photos_metadata_is_dropped_and_its_orientation_applied(app, client, signed_in):
    photo = Image.new("RGB", (40, 20), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "Spy Camera Co"  # Make
    exif[0x0131] = "Secret Editor 1.0"  # Software
    exif[0x0112] = 6  # Orientation: the camera was held sideways
    jpeg = image_bytes(photo, "JPEG", exif=exif.tobytes(), comment=b"taken at 1 Secret Lane")

    assert upload(client, jpeg, "photo.jpg").status_code == 303

    _, kept = stored(app)
    assert b"Spy Camera" not in kept and b"Secret Editor" not in kept and b"Secret Lane" not in kept
    image = Image.open(io.BytesIO(kept))
    assert dict(image.getexif()) == {}
    assert image.size == (20, 40)  # turned upright before the orientation tag was dropped


@pytest.mark.parametrize("image_format, mode", [("PNG", "RGBA"), ("WEBP", "RGB"), ("JPEG", "CMYK")])
def test_every_accepted_format_is_written_anew(app, client, signed_in, image_format, mode):
    original = image_bytes(Image.new(mode, (12, 9)), image_format) + b"trailing bytes"

    assert upload(client, original, "x").status_code == 303

    product, kept = stored(app)
    assert kept != original and b"trailing bytes" not in kept
    reopened = Image.open(io.BytesIO(kept))
    assert (reopened.format, reopened.size) == (image_format, (12, 9))

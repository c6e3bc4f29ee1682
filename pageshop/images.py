"""Product images (A2): only real images are kept, checked by opening them, not by their name.

Every accepted image is decoded and written anew by Pillow: what is kept is pixels only, without
metadata (camera, location) or anything appended to the file (a GIF with HTML after it). Its size in
pixels is checked from the header before anything is decoded, so a small file that would expand to
gigabytes (a decompression bomb) is refused first.
"""
from __future__ import annotations

import os
import secrets
import warnings
from io import BytesIO

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError
from werkzeug.security import safe_join

from .errors import DomainError

# Pillow's format name -> the extension the file is saved with.
ALLOWED_FORMATS = {"PNG": ".png", "JPEG": ".jpg", "WEBP": ".webp", "GIF": ".gif"}
# How each format is written again.
SAVE_OPTIONS = {"PNG": {}, "JPEG": {"quality": 90}, "WEBP": {"quality": 90}, "GIF": {}}
# What Pillow may carry over from the original: how to draw it, nothing about who or where.
KEPT_INFO = ("transparency", "icc_profile")
# The widths a product card offers its image in (srcset): ordinary screens, then sharp ones (issue 12:
# the Shop tab's cards weigh a fifth of the full image).
CARD_WIDTHS = (240, 480)


def save_image(stream) -> str:
    """Check an uploaded file and keep it, re-encoded, under UPLOAD_FOLDER with a random name;
    returns the name."""
    max_bytes = current_app.config["MAX_IMAGE_BYTES"]
    data = stream.read(max_bytes + 1)
    if not data:
        raise DomainError(_("The file is empty."), "image")
    if len(data) > max_bytes:
        raise DomainError(_("The image is too large: at most %(size)s MB.",
                            size=f"{max_bytes / 1024 / 1024:g}"), "image")
    image_format, encoded = _reencode(data, current_app.config["MAX_IMAGE_PIXELS"])
    folder = current_app.config["UPLOAD_FOLDER"]
    os.makedirs(folder, exist_ok=True)
    filename = secrets.token_hex(16) + ALLOWED_FORMATS[image_format]
    with open(os.path.join(folder, filename), "wb") as file:
        file.write(encoded)
    return filename


def _reencode(data: bytes, max_pixels: int) -> tuple[str, bytes]:
    not_an_image = DomainError(_("This file is not an image. Upload a PNG, JPEG, WebP or GIF file."),
                               "image")
    try:
        with warnings.catch_warnings():
            # Pillow's own bomb check warns from Image.open; ours below is stricter anyway.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(BytesIO(data))  # reads the header only
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise _too_many_pixels(max_pixels)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise not_an_image
    with image:
        if image.format not in ALLOWED_FORMATS:
            raise DomainError(_("Upload a PNG, JPEG, WebP or GIF file."), "image")
        width, height = image.size
        if width * height > max_pixels:
            raise _too_many_pixels(max_pixels)
        image_format = image.format
        try:
            image.load()  # the first frame of an animation: a product picture stands still
            # Photos are often stored sideways with an orientation tag: turn them before it's dropped.
            still = ImageOps.exif_transpose(image)
            if image_format == "JPEG" and still.mode not in ("RGB", "L"):
                still = still.convert("RGB")
            # Pillow writes some of the original's info again (a JPEG comment, EXIF): not these.
            still.info = {key: value for key, value in still.info.items() if key in KEPT_INFO}
            output = BytesIO()
            still.save(output, format=image_format, **SAVE_OPTIONS[image_format])
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
            raise not_an_image
    return image_format, output.getvalue()


def _too_many_pixels(max_pixels: int) -> DomainError:
    return DomainError(_("The image has too many pixels: at most %(megapixels)s megapixels. "
                         "Scale it down and upload it again.",
                         megapixels=f"{max_pixels / 1_000_000:g}"), "image")


def delete_image(filename: str | None) -> None:
    if not filename or os.path.basename(filename) != filename:
        return
    folder = current_app.config["UPLOAD_FOLDER"]
    for name in [filename] + [_card_name(filename, width) for width in CARD_WIDTHS]:
        try:
            os.remove(os.path.join(folder, name))
        except FileNotFoundError:
            pass


def _card_name(filename: str, width: int) -> str:
    return f"cards/{width}/{filename}.webp"


def card_image(filename: str, width: int) -> str | None:
    """The product image `filename` as a WebP `width` pixels wide, made on first use: its name under
    UPLOAD_FOLDER, or None when there is no such image (or no image Pillow can read)."""
    folder = current_app.config["UPLOAD_FOLDER"]
    source = safe_join(folder, filename)
    if width not in CARD_WIDTHS or source is None or not os.path.isfile(source):
        return None
    name = _card_name(filename, width)
    target = os.path.join(folder, name)
    if not os.path.exists(target):
        os.makedirs(os.path.dirname(target), exist_ok=True)
        try:
            with Image.open(source) as image:
                card = image.convert("RGBA" if "transparency" in image.info or image.mode in ("RGBA", "LA", "P")
                                     else "RGB")
        except OSError:  # not an image Pillow reads (uploads always are: save_image wrote them)
            return None
        card.thumbnail((width, width))
        temporary = f"{target}.{os.getpid()}.tmp"
        card.save(temporary, "WEBP", quality=60, method=6)
        os.replace(temporary, target)  # whole or not at all: another worker may serve it meanwhile
    return name

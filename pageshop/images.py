"""Product images (A2): only real images are kept, checked by opening them, not by their name."""
from __future__ import annotations

import os
import secrets
from io import BytesIO

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, UnidentifiedImageError

from .errors import DomainError

# Pillow's format name -> the extension the file is saved with.
ALLOWED_FORMATS = {"PNG": ".png", "JPEG": ".jpg", "WEBP": ".webp", "GIF": ".gif"}


def save_image(stream) -> str:
    """Check an uploaded file and keep it under UPLOAD_FOLDER with a random name; returns the name."""
    max_bytes = current_app.config["MAX_IMAGE_BYTES"]
    data = stream.read(max_bytes + 1)
    if not data:
        raise DomainError(_("The file is empty."), "image")
    if len(data) > max_bytes:
        raise DomainError(_("The image is too large: at most %(size)s MB.",
                            size=f"{max_bytes / 1024 / 1024:g}"), "image")
    try:
        with Image.open(BytesIO(data)) as image:
            image_format = image.format
            image.verify()
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError):
        raise DomainError(_("This file is not an image. Upload a PNG, JPEG, WebP or GIF file."), "image")
    if image_format not in ALLOWED_FORMATS:
        raise DomainError(_("Upload a PNG, JPEG, WebP or GIF file."), "image")
    folder = current_app.config["UPLOAD_FOLDER"]
    os.makedirs(folder, exist_ok=True)
    filename = secrets.token_hex(16) + ALLOWED_FORMATS[image_format]
    with open(os.path.join(folder, filename), "wb") as file:
        file.write(data)
    return filename


def delete_image(filename: str | None) -> None:
    if not filename or os.path.basename(filename) != filename:
        return
    try:
        os.remove(os.path.join(current_app.config["UPLOAD_FOLDER"], filename))
    except FileNotFoundError:
        pass

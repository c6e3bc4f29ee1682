"""Light pages (issue 12): static files served by WhiteNoise under fingerprinted names (the first 12
hex digits of the content's SHA-256 in the name: css/pageshop.1a2b3c4d5e6f.css), compressed (gzip,
and brotli), cached by browsers for a year, and `url_for('static', ...)` gives that name.

The fingerprinted copies and their compressed forms are written once to instance/static/ when the
app starts (again only for a file whose content changed), so a fresh clone needs no build step.
"""
from __future__ import annotations

import gzip
import hashlib
import os
import re
from functools import cache

import brotli
from flask import Flask
from whitenoise import WhiteNoise

from .security import static_file_headers

YEAR = 31536000
FINGERPRINTED = re.compile(r"\.[0-9a-f]{12}\.[A-Za-z0-9]+$")
COMPRESSED = {".css", ".js", ".svg", ".json", ".txt", ".map", ".html"}


def fingerprinted_name(name: str, content: bytes) -> str:
    stem, extension = os.path.splitext(name)
    return f"{stem}.{hashlib.sha256(content).hexdigest()[:12]}{extension}"


def build_static(source: str, target: str) -> dict[str, str]:
    """Each file of `source` copied to `target` under its fingerprinted name, its .gz and .br beside
    it; returns {name: fingerprinted name}."""
    return _build(source, target, _signature(source))


def _signature(source: str) -> tuple:
    """What the files are, cheaply: each app started (the tests start hundreds) reads them only when
    one changed."""
    return tuple(sorted((entry.path, entry.stat().st_mtime_ns, entry.stat().st_size)
                        for entry in _walk(source)))


def _walk(folder: str):
    for entry in os.scandir(folder):
        if entry.is_dir():
            yield from _walk(entry.path)
        elif entry.is_file():
            yield entry


@cache
def _build(source: str, target: str, _signature: tuple) -> dict[str, str]:
    manifest = {}
    for entry in _walk(source):
        name = os.path.relpath(entry.path, source).replace(os.sep, "/")
        with open(entry.path, "rb") as file:
            content = file.read()
        hashed = fingerprinted_name(name, content)
        manifest[name] = hashed
        path = os.path.join(target, hashed)
        if os.path.exists(path):
            continue  # its name says its content
        if os.path.splitext(name)[1] in COMPRESSED:
            _write(path + ".gz", gzip.compress(content, 9, mtime=0))
            _write(path + ".br", brotli.compress(content))
        _write(path, content)
    return manifest


def _write(path: str, content: bytes) -> None:
    """Whole or not at all: other processes (test workers, gunicorn's) may be serving the folder."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    temporary = f"{path}.{os.getpid()}.tmp"
    with open(temporary, "wb") as file:
        file.write(content)
    os.replace(temporary, path)


def init_static_files(app: Flask) -> None:
    target = os.path.join(app.instance_path, "static")
    manifest = build_static(app.static_folder, target)

    @app.url_defaults
    def fingerprint(endpoint, values):
        if endpoint == "static" and values.get("filename") in manifest:
            values["filename"] = manifest[values["filename"]]

    def add_headers(headers, _path, url):
        if FINGERPRINTED.search(url):
            headers["Cache-Control"] = f"max-age={YEAR}, immutable"

    static = StaticFiles(app, autorefresh=False, max_age=60, allow_all_origins=False,
                         add_headers_function=add_headers,
                         immutable_file_test=lambda _path, url: bool(FINGERPRINTED.search(url)))
    prefix = app.static_url_path.strip("/") + "/"
    static.add_files(app.static_folder, prefix=prefix)  # the plain names, for links from elsewhere
    static.add_files(target, prefix=prefix)
    app.wsgi_app = static


# WhiteNoise's entries for a folder ({url: file with its headers}), kept for every app this process
# starts (the tests start hundreds, and building them was a third of starting one): the same files,
# under the one set of options init_static_files gives, make the same entries.
_ENTRIES: dict[tuple, dict] = {}


class StaticFiles(WhiteNoise):
    """WhiteNoise in front of the app, adding the security headers to each file it serves (as they
    are when it is served: WhiteNoise's own headers are fixed when it starts)."""

    def __init__(self, app: Flask, **options):
        super().__init__(app.wsgi_app, **options)
        self.flask_app = app

    def update_files_dictionary(self, root, prefix):
        key = (root, prefix, _signature(root))
        if key not in _ENTRIES:
            files, self.files = self.files, {}
            super().update_files_dictionary(root, prefix)
            _ENTRIES[key], self.files = self.files, files
        self.files.update(_ENTRIES[key])

    def serve(self, static_file, environ, start_response):
        def with_security_headers(status, headers, exc_info=None):
            return start_response(status, headers + list(static_file_headers(self.flask_app).items()), exc_info)

        return super().serve(static_file, environ, with_security_headers)

"""Where a sign-in may send the person back to: only paths on this site. And the site's public
address for links that leave it (e-mails, Messenger messages)."""
from urllib.parse import urlsplit

from flask import current_app


def safe_next(target: str | None, default: str) -> str:
    if not target or not target.isprintable() or "\\" in target:
        # A newline can't go into a Location header; a backslash is a slash to browsers ("/\\evil").
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target.rstrip("?") or default


def public_url(endpoint: str, **values) -> str:
    """An absolute link to this site from PUBLIC_URL, never from the request's Host header (which
    the client chooses)."""
    base = urlsplit(current_app.config["PUBLIC_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/",
                                       url_scheme=base.scheme or "http")
    return adapter.build(endpoint, values, force_external=True)

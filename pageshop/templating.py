"""Template filters and the values every page can use."""
from datetime import datetime

from flask import Flask

from .money import format_money
from .sessions import current_admin, current_facebook_account
from .store import find_store


def format_datetime(value: datetime | None, fmt: str = "%b %-d, %Y %-I:%M %p") -> str:
    if value is None:
        return ""
    return value.strftime(fmt) + " UTC"


def format_date(value, fmt: str = "%a, %b %-d, %Y") -> str:
    return value.strftime(fmt) if value else ""


def _luminance(rgb: tuple[float, ...]) -> float:
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (linear(c / 255) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def under_white_text(colour: str | None) -> str:
    """An avatar's colour (chosen by a person), darkened just enough for its white initials to
    stand out 4.5:1 (WCAG AA)."""
    text = (colour or "").strip().lstrip("#")
    try:
        rgb = tuple(int(text[i:i + 2], 16) for i in (0, 2, 4)) if len(text) == 6 else None
    except ValueError:
        rgb = None
    if rgb is None:
        return "#65676b"
    for step in range(21):
        shade = tuple(round(c * (1 - step / 20)) for c in rgb)
        if 1.05 / (_luminance(shade) + 0.05) >= 4.5:
            return "#%02x%02x%02x" % shade
    return "#000000"


def register_templating(app: Flask) -> None:
    app.jinja_env.filters["money"] = format_money
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["under_white_text"] = under_white_text

    @app.context_processor
    def shop_context():
        return {
            "store": find_store(),
            "facebook_account": current_facebook_account(),
            "admin_user": current_admin(),
        }

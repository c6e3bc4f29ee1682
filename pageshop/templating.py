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


def register_templating(app: Flask) -> None:
    app.jinja_env.filters["money"] = format_money
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.filters["date"] = format_date

    @app.context_processor
    def shop_context():
        return {
            "store": find_store(),
            "facebook_account": current_facebook_account(),
            "admin_user": current_admin(),
        }

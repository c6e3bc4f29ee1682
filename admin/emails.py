"""Placeholder until built."""
from . import bp

@bp.get("/emails")
def email_log():
    return "Not built yet", 501

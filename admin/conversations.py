"""Placeholder until built."""
from . import bp

@bp.get("/inbox")
def inbox():
    return "Not built yet", 501


@bp.get("/inquiries")
def inquiries():
    return "Not built yet", 501

"""Placeholder until built."""
from . import bp

@bp.get("/checkout")
def checkout():
    return "Not built yet", 501

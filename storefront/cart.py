"""Placeholder until built."""
from . import bp

@bp.get("/cart")
def cart():
    return "Not built yet", 501

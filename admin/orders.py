"""Placeholder until built."""
from . import bp

@bp.get("/orders")
def orders():
    return "Not built yet", 501

"""Placeholder until built."""
from . import bp

@bp.get("/channels")
def channels():
    return "Not built yet", 501

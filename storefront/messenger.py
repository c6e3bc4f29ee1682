"""Placeholder until built."""
from . import bp

@bp.get("/messenger")
def messenger():
    return "Not built yet", 501

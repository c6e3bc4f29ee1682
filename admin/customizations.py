"""Placeholder until built."""
from . import bp

@bp.get("/messenger/customizations")
def messenger_customizations():
    return "Not built yet", 501

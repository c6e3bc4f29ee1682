"""Placeholder until built."""
from . import bp

@bp.get("/orders/<token>/contact")
def contact_seller(token):
    return "Not built yet", 501

"""Placeholder until built."""
from . import bp

@bp.get("/products")
def products():
    return "Not built yet", 501


@bp.get("/collections")
def collections():
    return "Not built yet", 501


@bp.get("/discounts")
def discounts():
    return "Not built yet", 501

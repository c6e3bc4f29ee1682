"""Placeholder until built."""
from . import bp

@bp.get("/shop")
def shop():
    return "Not built yet", 501


@bp.get("/buy-now")
def buy_now():
    return "Not built yet", 501


@bp.get("/store")
def online_store():
    return "Not built yet", 501


@bp.get("/products/<handle>")
def product(handle):
    return "Not built yet", 501


@bp.get("/collections/<handle>")
def collection(handle):
    return "Not built yet", 501

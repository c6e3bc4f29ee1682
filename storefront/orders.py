"""Placeholder until built."""
from . import bp

@bp.get("/purchase-history")
def purchase_history():
    return "Not built yet", 501


@bp.get("/orders/<token>")
def order_status(token):
    return "Not built yet", 501

"""Placeholder until built."""
from . import bp

@bp.get("/orders")
def orders():
    return "Not built yet", 501


@bp.get("/orders/<int:order_id>")
def order_detail(order_id):
    return "Not built yet", 501


@bp.get("/orders/<int:order_id>/status")
def order_status_page(order_id):
    return "Not built yet", 501

"""The shopper's side: the Facebook Page, its shop, checkouts, orders and Messenger."""
from flask import Blueprint

bp = Blueprint("storefront", __name__)

from . import cart, checkout, contact, facebook, language, messenger, orders, page, shop, webhook  # noqa: E402,F401

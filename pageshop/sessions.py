"""Who is signed in: the merchant (admin) and the shopper's Facebook account.

The two live under separate keys of the session, so logging out of one never touches the other.
"""
from flask import g, session

from .extensions import db
from .models import AdminUser, FacebookAccount

ADMIN_KEY = "admin_user_id"
FACEBOOK_KEY = "facebook_account_id"


def current_admin() -> AdminUser | None:
    if "current_admin" not in g:
        user_id = session.get(ADMIN_KEY)
        g.current_admin = db.session.get(AdminUser, user_id) if user_id else None
    return g.current_admin


def sign_in_admin(user: AdminUser) -> None:
    session[ADMIN_KEY] = user.id
    g.pop("current_admin", None)


def sign_out_admin() -> None:
    session.pop(ADMIN_KEY, None)
    g.pop("current_admin", None)


def current_facebook_account() -> FacebookAccount | None:
    if "current_facebook_account" not in g:
        account_id = session.get(FACEBOOK_KEY)
        g.current_facebook_account = db.session.get(FacebookAccount, account_id) if account_id else None
    return g.current_facebook_account


def log_in_facebook(account: FacebookAccount) -> None:
    session[FACEBOOK_KEY] = account.id
    g.pop("current_facebook_account", None)


def log_out_facebook() -> None:
    session.pop(FACEBOOK_KEY, None)
    g.pop("current_facebook_account", None)

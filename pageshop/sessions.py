"""Who is signed in: the merchant (admin) and the shopper's Facebook account.

The two live under separate keys of the session, so logging out of one never touches the other.
The session is a signed cookie, so a copy of it stays valid as long as what it says holds: each
account has a session generation, written into the cookie at sign-in and checked on every request.
Signing out and changing the password move it on, which ends every copy of every session of that
account. The admin's session also ends after ADMIN_IDLE_HOURS unused and ADMIN_MAX_SESSION_DAYS
after signing in.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app, g, session

from . import clock
from .extensions import db
from .models import AdminUser, FacebookAccount

ADMIN_KEY = "admin_user_id"
ADMIN_GENERATION = "admin_generation"
ADMIN_SIGNED_IN_AT = "admin_signed_in_at"
ADMIN_SEEN_AT = "admin_seen_at"
FACEBOOK_KEY = "facebook_account_id"
FACEBOOK_GENERATION = "facebook_generation"
# "Last seen" is rewritten at most this often, so that polling pages don't set a cookie each time.
SEEN_RESOLUTION = timedelta(minutes=1)


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _read_stamp(value) -> datetime | None:
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def admin_session(user: AdminUser) -> dict:
    """What the session holds for a signed-in admin."""
    now = _stamp(clock.now())
    return {ADMIN_KEY: user.id, ADMIN_GENERATION: user.session_generation,
            ADMIN_SIGNED_IN_AT: now, ADMIN_SEEN_AT: now}


def _admin_session_current(user: AdminUser) -> bool:
    now = clock.now()
    signed_in_at = _read_stamp(session.get(ADMIN_SIGNED_IN_AT))
    seen_at = _read_stamp(session.get(ADMIN_SEEN_AT))
    config = current_app.config
    return (session.get(ADMIN_GENERATION) == user.session_generation
            and signed_in_at is not None and seen_at is not None
            and now - signed_in_at < timedelta(days=config["ADMIN_MAX_SESSION_DAYS"])
            and now - seen_at < timedelta(hours=config["ADMIN_IDLE_HOURS"]))


def current_admin() -> AdminUser | None:
    if "current_admin" not in g:
        user_id = session.get(ADMIN_KEY)
        user = db.session.get(AdminUser, user_id) if isinstance(user_id, int) else None
        if user is not None and not _admin_session_current(user):
            user = None
        if user is None:
            _forget(ADMIN_KEY, ADMIN_GENERATION, ADMIN_SIGNED_IN_AT, ADMIN_SEEN_AT)
        elif clock.now() - _read_stamp(session[ADMIN_SEEN_AT]) >= SEEN_RESOLUTION:
            session[ADMIN_SEEN_AT] = _stamp(clock.now())
        g.current_admin = user
    return g.current_admin


def sign_in_admin(user: AdminUser) -> None:
    session.update(admin_session(user))
    g.pop("current_admin", None)


def sign_out_admin() -> None:
    """Ends this session and every copy of it (and the admin's sessions elsewhere)."""
    user = current_admin()
    if user is not None:
        _next_generation(AdminUser, user.id)
    _forget(ADMIN_KEY, ADMIN_GENERATION, ADMIN_SIGNED_IN_AT, ADMIN_SEEN_AT)
    g.pop("current_admin", None)


def current_facebook_account() -> FacebookAccount | None:
    if "current_facebook_account" not in g:
        account_id = session.get(FACEBOOK_KEY)
        account = db.session.get(FacebookAccount, account_id) if isinstance(account_id, int) else None
        if account is not None and session.get(FACEBOOK_GENERATION) != account.session_generation:
            account = None
        if account is None:
            _forget(FACEBOOK_KEY, FACEBOOK_GENERATION)
        g.current_facebook_account = account
    return g.current_facebook_account


def facebook_session(account: FacebookAccount) -> dict:
    return {FACEBOOK_KEY: account.id, FACEBOOK_GENERATION: account.session_generation}


def log_in_facebook(account: FacebookAccount) -> None:
    session.update(facebook_session(account))
    g.pop("current_facebook_account", None)


def log_out_facebook() -> None:
    """Ends this log-in and every copy of it (and the account's log-ins elsewhere)."""
    account = current_facebook_account()
    if account is not None:
        _next_generation(FacebookAccount, account.id)
    _forget(FACEBOOK_KEY, FACEBOOK_GENERATION)
    g.pop("current_facebook_account", None)


def _next_generation(model, account_id: int) -> None:
    db.session.execute(db.update(model).where(model.id == account_id)
                       .values(session_generation=model.session_generation + 1))
    db.session.commit()


def _forget(*keys: str) -> None:
    for key in keys:
        if key in session:
            session.pop(key)

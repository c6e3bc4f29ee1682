"""Signing in: the merchant's admin users and the shoppers' Facebook accounts."""
import secrets

from flask import current_app
from flask_babel import gettext as _

from .errors import DomainError
from .extensions import db
from .models import AdminUser, FacebookAccount
from .validation import check_email, normalize_email

_NO_ONE_HASHES: dict[str, str] = {}  # a hash of a random password, per hashing method


def _no_one() -> AdminUser:
    """Stands in for an unknown e-mail, so that it costs one password check like a known one."""
    method = current_app.config.get("PASSWORD_HASH_METHOD") or ""
    if method not in _NO_ONE_HASHES:
        probe = AdminUser()
        probe.set_password(secrets.token_hex(16))
        _NO_ONE_HASHES[method] = probe.password_hash
    return AdminUser(password_hash=_NO_ONE_HASHES[method])


def _authenticate(model, email: str, password: str):
    """The account whose password this is, or None; unknown e-mails and wrong passwords alike take
    one password check and get the same answer (no account enumeration)."""
    account = db.session.scalars(db.select(model).filter_by(email=normalize_email(email))).first()
    checked = account if account is not None else _no_one()
    if not checked.check_password(password or "") or account is None:
        return None
    return account


def authenticate_admin(email: str, password: str) -> AdminUser:
    user = _authenticate(AdminUser, email, password)
    if user is None:
        raise DomainError(_("Incorrect email or password."))
    return user


def authenticate_facebook(email: str, password: str) -> FacebookAccount:
    account = _authenticate(FacebookAccount, email, password)
    if account is None:
        raise DomainError(_("The email or password you entered is incorrect."))
    return account


def check_new_admin_email(email: str) -> str:
    """The e-mail a new admin will sign in with, normalized; refused when it isn't an address or
    another admin has it."""
    email = normalize_email(check_email(email))
    if db.session.scalars(db.select(AdminUser).filter_by(email=email)).first():
        raise DomainError(_("An admin with this email already exists."), "email")
    return email


def create_admin(email: str, password: str, name: str = "") -> AdminUser:
    email = check_new_admin_email(email)
    if len(password or "") < 8:
        raise DomainError(_("Use a password of at least 8 characters."), "password")
    user = AdminUser(email=email, name=name)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def create_facebook_account(email: str, password: str, name: str, avatar_color: str = "#1877f2") -> FacebookAccount:
    account = FacebookAccount(email=normalize_email(email), name=name, avatar_color=avatar_color)
    account.set_password(password)
    db.session.add(account)
    db.session.flush()
    return account

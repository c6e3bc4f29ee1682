"""Signing in: the merchant's admin users and the shoppers' Facebook accounts."""
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _

from .errors import DomainError
from .extensions import db
from .models import AdminUser, FacebookAccount


def _normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def authenticate_admin(email: str, password: str) -> AdminUser:
    user = db.session.scalars(db.select(AdminUser).filter_by(email=_normalize_email(email))).first()
    if user is None or not user.check_password(password or ""):
        raise DomainError(_("Incorrect email or password."))
    return user


def authenticate_facebook(email: str, password: str) -> FacebookAccount:
    account = db.session.scalars(
        db.select(FacebookAccount).filter_by(email=_normalize_email(email))
    ).first()
    if account is None or not account.check_password(password or ""):
        raise DomainError(_("The email or password you entered is incorrect."))
    return account


def check_new_admin_email(email: str) -> str:
    """The e-mail a new admin will sign in with, normalized; refused when it isn't an address or
    another admin has it."""
    try:
        email = _normalize_email(validate_email((email or "").strip(), check_deliverability=False).normalized)
    except EmailNotValidError:
        raise DomainError(_("Enter a valid email address, like you@example.com."), "email")
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
    account = FacebookAccount(email=_normalize_email(email), name=name, avatar_color=avatar_color)
    account.set_password(password)
    db.session.add(account)
    db.session.flush()
    return account

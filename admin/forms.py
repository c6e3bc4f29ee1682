"""Admin forms (Flask-WTF, CSRF-protected)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, RadioField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired


class SignInForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(_l("Enter your email."))])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))])
    next = StringField()


class TokenForm(FlaskForm):
    """A button that only needs the CSRF token."""


def add_error(form: FlaskForm, field: str | None, message: str) -> bool:
    """Show a domain error next to its field; False when the form has no such field."""
    target = getattr(form, field, None) if field else None
    if target is None:
        return False
    target.errors = list(target.errors) + [message]
    return True


# --- orders (A3) -----------------------------------------------------------------------


class FulfillForm(FlaskForm):
    carrier = StringField(_l("Carrier"))
    tracking_number = StringField(_l("Tracking number"))
    tracking_url = StringField(_l("Tracking URL (optional)"))


# --- channels (A5, A6) -----------------------------------------------------------------


class FacebookSettingsForm(FlaskForm):
    checkout_choice = RadioField(_l("Checkout"), validate_choice=False, choices=[
        SelectChoice("facebook", _l("Facebook checkout")), SelectChoice("store", _l("Store checkout"))])
    buy_now_destination = RadioField(_l("\"Buy Now\" opens"), validate_choice=False, choices=[
        SelectChoice("shop", _l("The Shop tab on the Page")),
        SelectChoice("online_store", _l("The online store"))])
    support_email = EmailField(_l("Support email"))


class StoreLocationForm(FlaskForm):
    country = SelectField(_l("Store country"), validate_choice=False)
    currency = SelectField(_l("Store currency"), validate_choice=False)


class MessengerChannelForm(FlaskForm):
    page_id = SelectField(_l("Page"), coerce=int, validate_choice=False)

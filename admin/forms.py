"""Admin forms (Flask-WTF, CSRF-protected)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    EmailField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired


class SignInForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(_l("Enter your email."))])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))])
    next = StringField()


class TokenForm(FlaskForm):
    """A button that only needs the CSRF token."""


def add_error(form: FlaskForm, field: str | None, message: str) -> bool:
    """Show a domain error next to its field; False when the form has no such field."""
    target = field_by_name(form, field) if field else None
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


# --- catalog (A2) ---------------------------------------------------------------------


class VariantRowForm(Form):
    """One row of the variants editor (inside ProductForm, which carries the CSRF token)."""

    id = HiddenField()
    title = StringField(_l("Variant"))
    price = StringField(_l("Price"))
    stock = StringField(_l("Stock"))
    remove = BooleanField(_l("Remove"))


class ProductForm(FlaskForm):
    title = StringField(_l("Title"))
    handle = StringField(_l("Handle"))
    description = TextAreaField(_l("Description"))
    collections = SelectMultipleField(_l("Collections"), coerce=int, validate_choice=False)
    published_online_store = BooleanField(_l("Online Store"), default=True)
    published_facebook = BooleanField(_l("Facebook"), default=True)
    image = FileField(_l("Image"))
    remove_image = BooleanField(_l("Remove the image"))
    variants = FieldList(FormField(VariantRowForm), min_entries=1)


class CollectionForm(FlaskForm):
    title = StringField(_l("Title"))
    handle = StringField(_l("Handle"))
    description = TextAreaField(_l("Description"))


class DiscountForm(FlaskForm):
    code = StringField(_l("Code"))
    kind = RadioField(_l("Type"), validate_choice=False, default="percentage", choices=[
        SelectChoice("percentage", _l("Percentage")), SelectChoice("fixed", _l("Fixed amount"))])
    value = StringField(_l("Value"))
    # Typed as text (a datetime-local input); the domain reads it, so a bad value gets a clear error.
    starts_at = StringField(_l("Starts (UTC)"))
    ends_at = StringField(_l("Ends (UTC)"))
    usage_limit = StringField(_l("Usage limit"))


def field_by_name(form, name: str):
    """A form's field by its HTML name, also inside a FieldList: "variants-0-price"."""
    field = getattr(form, name, None)
    if field is not None:
        return field
    parts = name.split("-")
    if len(parts) == 3 and parts[1].isdigit():
        rows = getattr(form, parts[0], None)
        if rows is not None and int(parts[1]) < len(rows.entries):
            return rows.entries[int(parts[1])].form[parts[2]]
    return None

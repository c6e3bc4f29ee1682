"""Storefront forms (Flask-WTF, CSRF-protected)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired

from pageshop.forms import LongSelect
from pageshop.forms import TokenForm as TokenForm  # shared with the admin
from pageshop.models import Order
from pageshop.validation import EmailAddress, FitsColumn


class FacebookLoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(_l("Enter your email.")), EmailAddress()])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))])
    next = StringField()


class CheckoutForm(FlaskForm):
    """Both checkouts (S5). Set `kind` (pageshop.checkout.CheckoutKind) before validating: the
    country and discount-code rules are the domain's own functions."""

    email = EmailField(_l("Email"), validators=[DataRequired(_l("Enter your email.")), EmailAddress(),
                                                FitsColumn(Order.email)])
    first_name = StringField(_l("First name"), validators=[DataRequired(_l("Enter your first name.")),
                                                           FitsColumn(Order.first_name)])
    last_name = StringField(_l("Last name"), validators=[DataRequired(_l("Enter your last name.")),
                                                         FitsColumn(Order.last_name)])
    address = StringField(_l("Address"), validators=[DataRequired(_l("Enter your address.")),
                                                     FitsColumn(Order.address)])
    city = StringField(_l("City"), validators=[DataRequired(_l("Enter your city.")), FitsColumn(Order.city)])
    region = StringField(_l("State / region"), validators=[FitsColumn(Order.region)])
    postal_code = StringField(_l("Postal code"), validators=[DataRequired(_l("Enter your postal code.")),
                                                             FitsColumn(Order.postal_code)])
    country = SelectField(_l("Country"), validate_choice=False, default="US", widget=LongSelect())
    shipping_rate = RadioField(_l("Shipping"), validate_choice=False)
    card_number = StringField(_l("Card number"), validators=[DataRequired(_l("Enter a card number."))])
    discount_code = StringField(_l("Discount code"), validators=[FitsColumn(Order.discount_code)])
    messenger_opt_in = BooleanField(_l("Send order updates to Messenger"))
    idempotency_key = HiddenField()

    kind = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from pageshop.localized import country_choices

        self.country.choices = country_choices()

    def validate_country(self, field):
        from pageshop.checkout import check_shipping_country

        _check(check_shipping_country, self.kind, field.data)

    def validate_discount_code(self, field):
        from pageshop.checkout import check_discount_allowed

        _check(check_discount_allowed, self.kind, field.data)

    def validate_card_number(self, field):
        from pageshop.payments import check_card_number

        _check(check_card_number, field.data)

    def validate_shipping_rate(self, field):
        from pageshop.checkout import find_shipping_rate

        _check(find_shipping_rate, field.data)


def _check(rule, *args):
    """Run a domain rule as a field validator: its DomainError becomes the field's error."""
    from pageshop.errors import DomainError

    try:
        rule(*args)
    except DomainError as exc:
        raise ValidationError(exc.message)


class ContactSellerForm(FlaskForm):
    message = TextAreaField(_l("Message"))

"""Admin forms (Flask-WTF, CSRF-protected). Numbers and dates arrive typed (Decimal, int,
datetime), each checked by its field's validators, so the domain takes values, not text."""
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    DecimalField,
    EmailField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import AnyOf, DataRequired, Optional
from wtforms.widgets import TextInput

from pageshop.errors import DomainError
from pageshop.forms import TokenForm as TokenForm  # shared with the storefront
from pageshop.ids import parse_id
from pageshop.models import Collection, DiscountKind, Product, Variant
from pageshop.money import format_amount, parse_amount, to_cents
from pageshop.validation import Filled, FitsColumn, InRange

# A price or a fixed discount below one million (in cents, 1,000,000.00 included).
MAX_AMOUNT_CENTS = 100_000_000
MAX_STOCK = 1_000_000


class SignInForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(_l("Enter your email."))])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))])
    next = StringField()


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


# --- the inbox, saved replies and inquiries (A8) ----------------------------------------


class SavedReplyForm(FlaskForm):
    title = StringField(_l("Title"))
    body = TextAreaField(_l("Text"))


class AnswerForm(FlaskForm):
    answer = TextAreaField(_l("Answer"))


# --- message texts (A7) -----------------------------------------------------------------


class CustomizationForm(FlaskForm):
    event = HiddenField()
    language = HiddenField()
    body = TextAreaField(_l("Message text"))
    promo_note = TextAreaField(_l("Promotional note"))


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


# --- typed fields ---------------------------------------------------------------------


class AmountField(DecimalField):
    """A number as a merchant types it in their language ("12.50", "$1,200", "10"; German "12,50"):
    a Decimal, None when empty.
    A text input: a number input would refuse "$1,200" and show the "1,200.00" it is given empty."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("invalid_value_message", _l("Enter an amount like 12.50."))
        super().__init__(label, validators, places=None, **kwargs)

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return format_amount(self.data)

    def process_formdata(self, valuelist) -> None:
        self.data = None
        if valuelist and valuelist[0].strip():
            try:
                self.data = parse_amount(valuelist[0])
            except DomainError:
                raise ValueError(self.invalid_value_message)


class MoneyField(AmountField):
    """An amount of money: not negative, at most two decimals; `cents` is what is stored."""

    @property
    def cents(self) -> int | None:
        return None if self.data is None else to_cents(self.data)

    def process_formdata(self, valuelist) -> None:
        super().process_formdata(valuelist)
        if self.data is not None:
            try:
                to_cents(self.data)
            except DomainError:
                self.data = None
                raise ValueError(self.invalid_value_message)


class WholeNumberField(IntegerField):
    """A whole number in a text input (inputmode="numeric" in the template); None when empty."""

    widget = TextInput()

    def process_formdata(self, valuelist) -> None:
        if valuelist and not valuelist[0].strip():
            self.data = None
            return
        super().process_formdata(valuelist)


# --- catalog (A2) ---------------------------------------------------------------------


class VariantRowForm(Form):
    """One row of the variants editor (inside ProductForm, which carries the CSRF token). An empty
    row (to add a variant) and a row ticked Remove are not checked."""

    id = HiddenField()
    title = StringField(_l("Variant"), validators=[FitsColumn(Variant.title)])
    price = MoneyField(_l("Price"), validators=[
        Filled(_l("Enter a price.")),
        InRange(max=Decimal(MAX_AMOUNT_CENTS) / 100, message=_l("Enter a price below 1,000,000."))])
    stock = WholeNumberField(_l("Stock"), invalid_value_message=_l("Enter the stock as a whole number, like 12."),
                             validators=[InRange(min=0, message=_l("Stock can't be negative.")),
                                         InRange(max=MAX_STOCK, message=_l("Enter a stock below 1,000,000."))])
    remove = BooleanField(_l("Remove"))

    @property
    def blank(self) -> bool:
        """A new row with nothing typed in it: no variant to add."""
        return not any(field._value().strip() for field in (self.id, self.title, self.price, self.stock))

    def validate(self, extra_validators=None) -> bool:
        if self.blank or self.remove.data:
            return True
        return super().validate(extra_validators)


class ProductForm(FlaskForm):
    title = StringField(_l("Title"), validators=[FitsColumn(Product.title)])
    handle = StringField(_l("Handle"), validators=[FitsColumn(Product.handle)])
    description = TextAreaField(_l("Description"))
    # A collection that isn't one (gone meanwhile, or junk) is left out, not refused.
    collections = SelectMultipleField(_l("Collections"), coerce=parse_id, validate_choice=False)
    published_online_store = BooleanField(_l("Online Store"), default=True)
    published_facebook = BooleanField(_l("Facebook"), default=True)
    image = FileField(_l("Image"))
    remove_image = BooleanField(_l("Remove the image"))
    variants = FieldList(FormField(VariantRowForm), min_entries=1)


class CollectionForm(FlaskForm):
    title = StringField(_l("Title"), validators=[FitsColumn(Collection.title)])
    handle = StringField(_l("Handle"), validators=[FitsColumn(Collection.handle)])
    description = TextAreaField(_l("Description"))


# What a datetime-local input sends (with or without seconds), and what a person may type instead.
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"]
DATETIME_MESSAGE = _l("Enter a date and time like 2026-05-01 09:30.")
USAGE_LIMIT_MESSAGE = _l("Enter a usage limit of 1 or more, or leave it empty.")


class DiscountForm(FlaskForm):
    code = StringField(_l("Code"))
    kind = RadioField(_l("Type"), validate_choice=False, default=DiscountKind.PERCENTAGE, choices=[
        SelectChoice(DiscountKind.PERCENTAGE, _l("Percentage")),
        SelectChoice(DiscountKind.FIXED, _l("Fixed amount"))],
        validators=[AnyOf(list(DiscountKind), message=_l("Choose percentage or fixed amount."))])
    # Percent off or an amount off, by the kind: checked by validate_value.
    value = AmountField(_l("Value"))
    starts_at = DateTimeLocalField(_l("Starts (UTC)"), format=DATETIME_FORMATS,
                                   invalid_value_message=DATETIME_MESSAGE, validators=[Optional()])
    ends_at = DateTimeLocalField(_l("Ends (UTC)"), format=DATETIME_FORMATS,
                                 invalid_value_message=DATETIME_MESSAGE, validators=[Optional()])
    usage_limit = WholeNumberField(_l("Usage limit"), invalid_value_message=USAGE_LIMIT_MESSAGE,
                                   validators=[InRange(min=1, max=999_999_999, message=USAGE_LIMIT_MESSAGE)])

    def validate_value(self, field) -> None:
        """One message per kind, whatever was wrong (empty, unreadable or out of range)."""
        if self.kind.data == DiscountKind.PERCENTAGE:
            if field.data is None or field.data != field.data.to_integral_value() or not 1 <= field.data <= 100:
                field.errors[:] = []
                raise ValidationError(_l("Enter a percentage from 1 to 100."))
        elif self.kind.data == DiscountKind.FIXED:
            if field.data is None:
                if not field.errors:  # empty; an unreadable amount already says so
                    raise ValidationError(_l("Enter an amount like 12.50."))
                return
            try:
                cents = to_cents(field.data)
            except DomainError as exc:
                raise ValidationError(exc.message)
            if cents <= 0:
                raise ValidationError(_l("Enter an amount above 0."))
            if cents > MAX_AMOUNT_CENTS:
                raise ValidationError(_l("Enter an amount below 1,000,000."))

    @property
    def discount_value(self) -> int:
        """What DiscountCode.value keeps: the percent, or the amount in cents."""
        if self.kind.data == DiscountKind.PERCENTAGE:
            return int(self.value.data)
        return to_cents(self.value.data)


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

"""Money is kept in cents of the store's currency and shown by Babel in the viewer's language:
"$72.00" in English, "72,00 $" in German, "72,00 €" for a EUR store. Prices are never converted:
a store switching its currency shows the same numbers with the new currency's symbol."""
import re
from decimal import Decimal

from babel.numbers import NumberFormatError, format_currency, format_decimal, is_currency, parse_decimal
from flask_babel import gettext as _

from .errors import DomainError
from .languages import viewer_locale

# CLDR's currency spacing, which Babel leaves out: a symbol of letters ("CHF") stands apart from
# the digits it touches ("CHF 1,234.50", as before Babel; German's own pattern puts a no-break space).
_LETTER_THEN_DIGIT = re.compile(r"(?<=[^\W\d_])(?=\d)")
# What may stand before or after a typed amount: a symbol ("$", "CA$", "€") or a code ("CHF").
_CURRENCY_MARK = r"(?:[A-Za-z]{0,2}[$€£]|[A-Za-z]{3})"
_TYPED = re.compile(rf"^{_CURRENCY_MARK}?\s*(?P<number>[-+]?[\d.,'’\s]*\d[\d.,'’\s]*?)\s*{_CURRENCY_MARK}?$")


def _decimal(amount: Decimal) -> str:
    return format_decimal(amount, format="#,##0.00", locale=viewer_locale())


def format_money(cents: int | None, currency: str = "USD") -> str:
    """ "$1,234.50", "CHF 1,234.50", "1.234,50 €" (German); an unknown currency after the amount
    ("1.00 XYZ"); no currency ("") gives the bare amount, as a form field shows it."""
    amount = Decimal(cents or 0).scaleb(-2)
    currency = (currency or "").upper()
    if not currency:
        return _decimal(amount)
    if not is_currency(currency):
        return f"{_decimal(amount)} {currency}"
    return _LETTER_THEN_DIGIT.sub(" ", format_currency(amount, currency, locale=viewer_locale()))


def format_amount(amount: Decimal | None) -> str:
    """A Decimal as a form field shows it in the viewer's language, its decimals kept: "1,200.50"
    and "10" in English, "1.200,50" in German."""
    if amount is None:
        return ""
    places = max(0, -amount.as_tuple().exponent)
    return format_decimal(amount, format="#,##0" + ("." + "0" * places if places else ""),
                          locale=viewer_locale(), decimal_quantization=False)


def parse_amount(text: str) -> Decimal:
    """An amount as a person types it in their language: "12.50", "$1,200", "10" in English,
    "12,50", "1.200,50 €" in German -> Decimal; a clear error for anything else ("12.50" in
    German too: it could mean 1250), NaN and infinities included."""
    match = _TYPED.match(str(text).strip())
    try:
        if match is None:
            raise NumberFormatError(text)
        value = parse_decimal(re.sub(r"\s", "", match["number"]), locale=viewer_locale(), strict=True)
    except NumberFormatError:
        raise DomainError(_("Enter an amount like 12.50."))
    if not value.is_finite():
        raise DomainError(_("Enter an amount like 12.50."))
    return value


def to_cents(amount: Decimal) -> int:
    """Decimal("12.50") -> 1250; an error for a negative amount or one with more than two decimals."""
    if amount < 0 or amount.as_tuple().exponent < -2:
        raise DomainError(_("Enter an amount like 12.50."))
    return int(amount.scaleb(2))  # exact: at most two decimals (quantize would overflow at 1e30)


def from_cents(cents: int) -> Decimal:
    """1250 -> Decimal("12.50"), as a form shows it."""
    return Decimal(cents).scaleb(-2)

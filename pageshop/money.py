"""Money is kept in cents of the store's currency; this is how it is shown (English formatting:
the symbol before the amount, "," for thousands, "." for the cents). Prices are never converted:
a store switching its currency shows the same numbers with the new currency's symbol."""
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from .errors import DomainError

# The currencies a store may sell in (pageshop.channels.STORE_CURRENCIES): how an amount begins.
SYMBOLS = {"USD": "$", "CAD": "CA$", "GBP": "£", "EUR": "€", "CHF": "CHF ", "AUD": "A$"}


def format_money(cents: int | None, currency: str = "USD") -> str:
    """ "$1,234.50", "€1,234.50", "CHF 1,234.50"; an unknown currency after the amount ("1.00 XYZ");
    no currency ("") gives the bare amount, as a form field shows it."""
    cents = cents or 0
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    amount = f"{cents // 100:,}.{cents % 100:02d}"
    currency = (currency or "").upper()
    if not currency:
        return f"{sign}{amount}"
    if currency in SYMBOLS:
        return f"{sign}{SYMBOLS[currency]}{amount}"
    return f"{sign}{amount} {currency}"


def parse_amount(text: str) -> Decimal:
    """An amount as a person types it: "12.50", "$1,200", "10" -> Decimal; a clear error for
    anything else (NaN and infinities too)."""
    try:
        value = Decimal(str(text).strip().replace("$", "").replace(",", ""))
    except InvalidOperation:
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

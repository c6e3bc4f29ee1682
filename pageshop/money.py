"""Money is kept in cents; this is how it is shown."""
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from .errors import DomainError


def format_money(cents: int | None, currency: str = "USD") -> str:
    cents = cents or 0
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    symbol = "$" if currency == "USD" else ""
    suffix = "" if symbol else f" {currency}"
    return f"{sign}{symbol}{cents // 100:,}.{cents % 100:02d}{suffix}"


def parse_money(text: str) -> int:
    """'12.50' -> 1250; a clear error for anything else."""
    try:
        value = Decimal(str(text).strip().replace("$", "").replace(",", ""))
    except InvalidOperation:
        raise DomainError(_("Enter an amount like 12.50."))
    if not value.is_finite() or value < 0 or value.as_tuple().exponent < -2:
        raise DomainError(_("Enter an amount like 12.50."))
    return int((value * 100).quantize(Decimal("1")))

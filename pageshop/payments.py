"""The test payment gateway, like Shopify's Bogus Gateway.

Card number "1" is approved, "2" is declined, "3" makes the gateway fail; anything else is refused
before the gateway is asked. Nothing is ever charged for real.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask_babel import gettext as _

from .errors import DomainError

GATEWAY = "bogus"


class PaymentError(DomainError):
    """The payment did not go through; no money was taken."""


@dataclass(frozen=True)
class Charge:
    reference: str
    amount_cents: int
    card_last_digits: str
    gateway: str = GATEWAY


def check_card_number(card_number: str | None) -> str:
    """The card number as the gateway takes it, or a clear error for the "Card number" field."""
    number = "".join((card_number or "").split())
    if not number:
        raise PaymentError(_("Enter a card number."), "card_number")
    if number not in ("1", "2", "3"):
        raise PaymentError(
            _('Use 1, 2 or 3 with the test gateway: "1" is approved, "2" is declined, '
              '"3" is a gateway error.'),
            "card_number",
        )
    return number


def charge(card_number: str | None, amount_cents: int) -> Charge:
    """Take the payment, or raise PaymentError saying why not."""
    number = check_card_number(card_number)
    if number == "2":
        raise PaymentError(_("Your card was declined. Try another card."), "card_number")
    if number == "3":
        raise PaymentError(
            _("The payment gateway had a problem and nothing was charged. Please try again."),
            "card_number",
        )
    return Charge(reference="bogus_" + secrets.token_hex(8), amount_cents=amount_cents,
                  card_last_digits=number[-4:])

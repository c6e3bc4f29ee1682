"""Discount codes (A2) as the store's own checkout accepts them (S5)."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import update

from . import clock
from .errors import DomainError
from .extensions import db
from .models import DiscountCode, DiscountKind


def normalize_code(code: str | None) -> str:
    """Codes are matched case-insensitively: kept upper-case, without spaces."""
    return "".join((code or "").split()).upper()


def find_valid_code(code: str | None) -> DiscountCode | None:
    """The discount code the shopper typed, if it may be used now; None when nothing was typed.

    Unknown, not yet active, expired and used-up codes each get their own message.
    """
    code = normalize_code(code)
    if not code:
        return None
    discount = db.session.scalars(db.select(DiscountCode).where(DiscountCode.code == code)).first()
    if discount is None:
        raise DomainError(_('The discount code "%(code)s" doesn\'t exist.', code=code), "discount_code")
    now = clock.now()
    if discount.starts_at is not None and now < discount.starts_at:
        raise DomainError(_('The discount code "%(code)s" isn\'t active yet.', code=code), "discount_code")
    if discount.ends_at is not None and now >= discount.ends_at:
        raise DomainError(_('The discount code "%(code)s" has expired.', code=code), "discount_code")
    if discount.usage_limit is not None and discount.times_used >= discount.usage_limit:
        raise DomainError(_('The discount code "%(code)s" has been used up.', code=code), "discount_code")
    return discount


def discount_amount(discount: DiscountCode | None, subtotal_cents: int) -> int:
    """What the code takes off the subtotal (never more than the subtotal); shipping is not discounted."""
    if discount is None:
        return 0
    if discount.kind == DiscountKind.PERCENTAGE:
        amount = (subtotal_cents * discount.value + 50) // 100
    else:
        amount = discount.value
    return max(0, min(amount, subtotal_cents))


def use_code(discount: DiscountCode) -> None:
    """Count one use, in the caller's transaction; refused if the limit was reached meanwhile."""
    result = db.session.execute(
        update(DiscountCode)
        .where(
            DiscountCode.id == discount.id,
            (DiscountCode.usage_limit.is_(None)) | (DiscountCode.times_used < DiscountCode.usage_limit),
        )
        .values(times_used=DiscountCode.times_used + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise DomainError(
            _('The discount code "%(code)s" has been used up.', code=discount.code), "discount_code"
        )

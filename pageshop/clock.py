"""The one source of "now" (naive UTC). Tests move it instead of sleeping."""
from datetime import UTC, datetime, timedelta

_offset = timedelta(0)


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None) + _offset


def advance(delta: timedelta) -> None:
    global _offset
    _offset += delta


def set_now(moment: datetime) -> None:
    """Make now() return `moment` (naive UTC) from here on, still ticking."""
    global _offset
    _offset = moment - (datetime.now(UTC).replace(tzinfo=None))


def reset() -> None:
    global _offset
    _offset = timedelta(0)

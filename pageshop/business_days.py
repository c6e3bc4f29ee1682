"""Deadlines counted in business days (Monday to Friday), e.g. ship-by and answer-by dates."""
from datetime import date, datetime, timedelta


def add_business_days(start: datetime | date, days: int):
    """The moment `days` business days after `start`, skipping Saturdays and Sundays.

    A start on a weekend counts from the next Monday at the same time of day.
    """
    moment = start
    while moment.weekday() >= 5:
        moment += timedelta(days=1)
    added = 0
    while added < days:
        moment += timedelta(days=1)
        if moment.weekday() < 5:
            added += 1
    return moment

"""Dates, times and country names as Babel writes them in the viewer's language (flask_babel's
locale: the request's, or the one a caller forces), dates and times in the store's time zone
(BABEL_DEFAULT_TIMEZONE, the STORE_TIME_ZONE setting). The database keeps naive UTC datetimes and
ISO 3166-1 country codes."""
from __future__ import annotations

import unicodedata
from datetime import datetime
from functools import lru_cache

from babel import Locale
from babel.dates import format_skeleton, format_time
from flask_babel import get_timezone

from .languages import viewer_locale

# CLDR names regions that are no country an address can be in: unions, pseudo-regions, islands
# without residents, the Canary Islands and others that share a country's code.
NOT_ADDRESS_COUNTRIES = {"AC", "AQ", "BV", "CP", "CQ", "DG", "EA", "EU", "EZ", "HM", "IC", "QO",
                         "TA", "UM", "UN", "XA", "XB", "ZZ"}
FIRST_COUNTRY = "US"  # Facebook checkout ships only there (pageshop.checkout.check_shipping_country)


# --- dates and times ----------------------------------------------------------------------


def _time(value: datetime) -> str:
    # CLDR puts a narrow no-break space before AM/PM; shown as a plain space, as before Babel.
    shown = format_time(value, "short", tzinfo=get_timezone(), locale=viewer_locale()).replace("\u202f", " ")
    return f"{shown} {time_zone_name(value)}"


def time_zone_name(value: datetime) -> str:
    return format_time(value, "z", tzinfo=get_timezone(), locale=viewer_locale())


def format_datetime(value: datetime | None, date: str = "yMMMd") -> str:
    """ "Dec 1, 2026 6:40 PM UTC"; German "1. Dez. 2026 18:40 UTC". `date` is a CLDR skeleton
    ("yMMMEd" adds the weekday)."""
    if value is None:
        return ""
    return f"{format_date(value, date)} {_time(value)}"


def format_date(value, skeleton: str = "yMMMEd") -> str:
    """ "Tue, Dec 1, 2026"; German "Di., 1. Dez. 2026"; skeleton "yMMMd": "Dec 1, 2026". A
    datetime is shown in the store's time zone, a date as it is."""
    if not value:
        return ""
    tzinfo = get_timezone() if isinstance(value, datetime) else None
    return format_skeleton(skeleton, value, tzinfo=tzinfo, locale=viewer_locale())


def format_clock_time(value: datetime) -> str:
    """The time of day alone, on the 24-hour clock, with the time zone: "18:40 UTC"."""
    return f"{format_skeleton('Hm', value, tzinfo=get_timezone(), locale=viewer_locale())} {time_zone_name(value)}"


# --- countries ----------------------------------------------------------------------------


def _countries() -> dict[str, str]:
    return _countries_in(viewer_locale())


@lru_cache(maxsize=16)
def _countries_in(locale: Locale) -> dict[str, str]:
    territories = locale.territories
    return {code: name for code, name in territories.items()
            if len(code) == 2 and code.isalpha() and code not in NOT_ADDRESS_COUNTRIES}


def country_name(code: str | None) -> str:
    """'DE' -> 'Germany' (German: 'Deutschland'); an unknown code is shown as it is."""
    code = (code or "").upper()
    return _countries().get(code, code)


def is_country(code: str | None) -> bool:
    return (code or "").upper() in _countries()


def _sort_key(name: str) -> str:
    # Accents sort with their letter (Österreich with O, Åland with A), as both languages sort.
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def country_choices() -> list[tuple[str, str]]:
    """(code, name) pairs for a select, by name in the viewer's language, the United States first."""
    return list(_country_choices(viewer_locale()))


@lru_cache(maxsize=16)
def _country_choices(locale: Locale) -> tuple[tuple[str, str], ...]:
    countries = _countries_in(locale)
    rest = sorted(((code, name) for code, name in countries.items() if code != FIRST_COUNTRY),
                  key=lambda pair: _sort_key(pair[1]))
    return ((FIRST_COUNTRY, countries[FIRST_COUNTRY]), *rest)

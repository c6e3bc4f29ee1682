"""Row ids as a request names them: in a URL (<int:...>), a query string or a form field."""
from werkzeug.routing import IntegerConverter

# An id has 1 to 9 digits: more rows than a shop will ever have, and within PostgreSQL's INTEGER
# (a larger number would make the query fail instead of finding nothing).
MAX_ID_DIGITS = 9


def parse_id(text) -> int | None:
    """The id in `text` ("12"), or None when it can't be one."""
    text = str(text or "").strip()
    if not (text.isascii() and text.isdigit() and len(text) <= MAX_ID_DIGITS):
        return None
    return int(text) or None


def parse_page(text) -> int:
    """A listing's page number from the query string; 1 for anything that isn't one."""
    return parse_id(text) or 1


class IdConverter(IntegerConverter):
    """<int:...> in a route: a longer number doesn't match, so it is an unknown page (404)."""

    regex = rf"\d{{1,{MAX_ID_DIGITS}}}"

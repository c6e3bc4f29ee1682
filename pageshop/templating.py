"""Template filters and the values every page can use, and the one place that speaks htmx's
headers: a page whole or one of its blocks chosen by HX-Target, Vary, and the events a response
fires (HX-Trigger)."""
from collections.abc import Mapping

from flask import Flask, Response, make_response, redirect, render_template, request
from flask_babel import format_decimal, get_locale
from jinja2_fragments.flask import render_block, render_blocks

from .checkout import totals_rows
from .languages import LANGUAGES
from .localized import country_name, format_date, format_datetime
from .models import shown_variant_title
from .money import format_money
from .sessions import current_admin, current_facebook_account
from .store import find_store


def _luminance(rgb: tuple[float, ...]) -> float:
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (linear(c / 255) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def under_white_text(colour: str | None) -> str:
    """An avatar's colour (chosen by a person), darkened just enough for its white initials to
    stand out 4.5:1 (WCAG AA)."""
    text = (colour or "").strip().lstrip("#")
    try:
        rgb = tuple(int(text[i:i + 2], 16) for i in (0, 2, 4)) if len(text) == 6 else None
    except ValueError:
        rgb = None
    if rgb is None:
        return "#65676b"
    for step in range(21):
        shade = tuple(round(c * (1 - step / 20)) for c in rgb)
        if 1.05 / (_luminance(shade) + 0.05) >= 4.5:
            return "#%02x%02x%02x" % shade
    return "#000000"


def register_templating(app: Flask) -> None:
    app.jinja_env.filters["money"] = format_money
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["under_white_text"] = under_white_text
    app.jinja_env.filters["shown_variant_title"] = shown_variant_title
    app.jinja_env.filters["number"] = format_decimal
    app.jinja_env.globals["totals_rows"] = totals_rows
    app.jinja_env.globals["country_name"] = country_name

    @app.context_processor
    def shop_context():
        return {
            "language": str(get_locale()),
            "languages": LANGUAGES,
            "store": find_store(),
            "facebook_account": current_facebook_account(),
            "admin_user": current_admin(),
        }


# --- htmx -----------------------------------------------------------------------------------
# Every GET URL renders a whole page; htmx only narrows what is swapped, by naming the element it
# swaps (HX-Target) or the control that sent it (HX-Trigger-Name), never by HX-Request alone.


def htmx_target() -> str | None:
    """The id of the element an htmx request will swap (HX-Target); None without htmx."""
    return request.headers.get("HX-Target") or None


def htmx_trigger_name() -> str | None:
    """The name of the control that sent an htmx request (HX-Trigger-Name), such as a named button."""
    return request.headers.get("HX-Trigger-Name") or None


def is_htmx() -> bool:
    """Sent by htmx (HX-Request): for what answers a POST (a 204 and an event, not a redirect), never
    to pick a fragment."""
    return bool(request.headers.get("HX-Request"))


def fragment_response(html: str, status: int = 200) -> Response:
    """A response whose body depends on the htmx headers: caches keep one copy per HX-Target."""
    response = make_response(html, status)
    response.vary.add("HX-Request")
    response.vary.add("HX-Target")
    return response


def render_page(template: str, blocks: Mapping[str, str | tuple[str, ...]] | None = None, *,
                status: int = 200, **context) -> Response:
    """`template` whole, or the part of it for the element htmx swaps: `blocks` maps an HX-Target
    to the block that renders that element (several for out-of-band swaps beside it), or to a
    partial template (a name ending in .html) that the page includes."""
    part = (blocks or {}).get(htmx_target() or "")
    if part is None:
        html = render_template(template, **context)
    elif isinstance(part, tuple):
        html = render_blocks(template, list(part), **context)
    elif part.endswith(".html"):
        html = render_template(part, **context)
    else:
        html = render_block(template, part, **context)
    return fragment_response(html, status)


def trigger(response: Response, event: str, *, after_settle: bool = False) -> Response:
    """Tell the page's other regions: htmx fires `event` on the body (`hx-trigger="... from:body"`)."""
    response.headers["HX-Trigger-After-Settle" if after_settle else "HX-Trigger"] = event
    return response


def retarget(response: Response, selector: str, swap: str = "outerHTML") -> Response:
    """Swap the response into `selector` instead of the element that asked."""
    response.headers["HX-Retarget"] = selector
    response.headers["HX-Reswap"] = swap
    return response


def redirect_whole_page(location: str) -> Response:
    """A redirect that replaces the whole page: htmx would swap a plain redirect's page into the
    element that asked, so it gets 401 and HX-Redirect, which it follows as a full page load."""
    if is_htmx():
        return make_response("", 401, {"HX-Redirect": location})
    return redirect(location)

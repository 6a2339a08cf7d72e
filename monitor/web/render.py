"""The one Jinja2 environment every page is rendered with, and what it needs around it.

Autoescaping is on for every template: a service, check or vantage name, a note or a person may
hold markup, and a page must show it, never run it. Undefined names are errors
(``StrictUndefined``), so a template that names a field the model lacks fails its tests instead
of rendering an empty cell.

The pages refer to nothing outside themselves: the style is inline (``style.css``, one file for
every page), icons and charts are inline SVG, fonts are the system's. The only script is the
optional refresh of the live pages, allowed by its hash in the Content-Security-Policy; everything
works without it.

Filters turn values into text the same way on every page: durations to the second, rounded up
(:func:`monitor.durations.format_duration`), each figure kept with its unit; instants as RFC 3339
UTC, or local to a zone with the UTC form as tooltip; money in the currency's minor units
(:func:`sla.format_money`); availability rounded *down*, so that it never reads better than it
was measured.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from datetime import date, datetime, timedelta, tzinfo
from decimal import ROUND_FLOOR, Decimal
from fractions import Fraction
from functools import lru_cache
from importlib.resources import files
from typing import Any, Final

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from sla import format_money

from ..durations import format_duration
from ..timefmt import format_instant

__all__ = [
    "CSP_HEADER",
    "CSP_META",
    "CSP_STATIC",
    "ENV",
    "REFRESH_SCRIPT",
    "STYLE",
    "duration",
    "local",
    "markup",
    "percent",
    "render",
    "text",
    "time_tag",
]

_FIGURE_UNIT: Final = re.compile(r"(\d) (?=(?:d|h|min|s)\b)")

#: Reloads a live page every ``data-refresh`` seconds while it is shown; without scripts the
#: page is simply read as it was served.
REFRESH_SCRIPT: Final = (files(__package__) / "templates" / "refresh.js").read_text("utf-8").strip()
#: The one style of every page, the report's included.
STYLE: Final = Markup((files(__package__) / "templates" / "style.css").read_text("utf-8"))  # noqa: S704
_SCRIPT_HASH: Final = base64.b64encode(hashlib.sha256(REFRESH_SCRIPT.encode()).digest()).decode()

_POLICY: Final = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    f"script-src 'sha256-{_SCRIPT_HASH}'; form-action 'self'; base-uri 'none'"
)
#: The policy of a page without the refresh (the report, the login form): no script at all.
CSP_STATIC: Final = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; script-src 'none'; "
    "form-action 'self'; base-uri 'none'"
)
#: The policy every page is served under. Nothing outside the page is allowed: no script but
#: the refresh, no style but the inline one, images only from the page itself.
CSP_HEADER: Final = _POLICY + "; frame-ancestors 'none'"
#: The same in the page itself, for a page hosted as a file; ``frame-ancestors`` is only
#: honoured in a header (browsers warn about it in a ``<meta>``), so it is left out there.
CSP_META: Final = _POLICY


def text(value: object) -> Markup:
    """``value`` as text in a page: ``& < > " '`` escaped (``&quot;``, ``&#x27;``)."""
    return Markup(html.escape(str(value), quote=True))  # noqa: S704


def markup(pattern: str, *values: object) -> Markup:
    """``pattern`` (markup written in the code) with each value put in as escaped text, unless
    it already is markup."""
    return Markup(  # noqa: S704
        pattern.format(*(v if isinstance(v, Markup) else text(v) for v in values))
    )


def _finalize(value: object) -> object:
    """Every text a template prints is escaped alike on every page: quotes as ``&quot;`` and
    ``&#x27;``, as the report always wrote them; markup (a ``<time>`` element, a macro's output)
    passes as it is. A text without quotes is left to the engine's own escaping, which writes
    ``& < >`` the same way, only faster."""
    if type(value) is str and ('"' in value or "'" in value):
        return text(value)
    return value


@lru_cache(maxsize=8192)
def duration(delta: timedelta, round_up: bool = True) -> str:
    """:func:`monitor.durations.format_duration`, each figure kept on a line with its unit.

    Cached: a page of many services shows the same few durations (``0 s``, ``1 d``) thousands
    of times."""
    return _FIGURE_UNIT.sub("\\1\N{NO-BREAK SPACE}", format_duration(delta, round_up=round_up))


def unbroken(text: str) -> str:
    """``3 d`` kept together in running text: a line may break between units, never inside."""
    return _FIGURE_UNIT.sub("\\1\N{NO-BREAK SPACE}", text)


def local(instant: datetime, zone: tzinfo) -> str:
    """The instant on the clock of ``zone``, to the second."""
    return instant.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")


def time_tag(instant: datetime, zone: tzinfo, since: date | None = None) -> Markup:
    """A local instant in a ``<time>`` element with its UTC form as tooltip; just the clock when
    it falls on the day ``since``."""
    here = instant.astimezone(zone)
    text = here.strftime("%H:%M:%S") if here.date() == since else local(instant, zone)
    utc = format_instant(instant)
    # Only digits, dashes, colons and a Z: nothing to escape.
    return Markup(f'<time datetime="{utc}" title="{utc}">{text}</time>')  # noqa: S704


def money(amount: Decimal, units: int) -> str:
    """The amount with exactly ``units`` decimals, as every report format writes it."""
    return format_money(amount, units)


def percent(ratio: Fraction | None, places: int = 3) -> str:
    """``ratio`` as a percentage with ``places`` decimals, rounded down: 99.99995 % reads
    ``99.999``, never ``100.000``; ``not measured`` for None."""
    if ratio is None:
        return "not measured"
    value = Decimal(ratio.numerator * 100) / Decimal(ratio.denominator)
    shown = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_FLOOR)
    return f"{shown:.{places}f}\N{NO-BREAK SPACE}%"


def amount(value: Decimal) -> str:
    """An amount as stored, already in the currency's minor units: no exponent, no rounding."""
    return format(value, "f")


def plain_percent(value: Fraction, places: int = 4) -> str:
    """A percentage already in percent (a tier contract's uptime), rounded down."""
    return percent(value / 100, places)


def _seconds(value: float | None) -> str:
    """A latency or lag in seconds, to the millisecond under 10 s."""
    if value is None:
        return "none"
    if value < 10:
        return f"{value * 1000:.0f}\N{NO-BREAK SPACE}ms"
    return duration(timedelta(seconds=value))


def _words(value: object) -> str:
    """An identifier as words: ``partial_outage`` reads ``partial outage``."""
    return str(value).replace("_", " ")


ENV: Final = Environment(
    loader=PackageLoader(__package__, "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    auto_reload=False,
    finalize=_finalize,
)
ENV.filters.update(
    duration=duration,
    unbroken=unbroken,
    instant=format_instant,
    local=local,
    time=time_tag,
    money=money,
    percent=percent,
    amount=amount,
    plain_percent=plain_percent,
    seconds=_seconds,
    words=_words,
)
ENV.globals.update(
    refresh_script=Markup(REFRESH_SCRIPT),  # noqa: S704 - the project's own script
    csp=CSP_META,
    csp_static=CSP_STATIC,
    style=STYLE,
    zero=timedelta(0),
    live=True,
)


def render(template: str, **context: Any) -> str:
    """The named template rendered with ``context``."""
    return ENV.get_template(template).render(**context)

"""Badges for READMEs and dashboards: a service's state, or its availability over a window, as a
flat SVG in the style of shields.io.

The state is written out in words (``operational``, ``major outage``, ``not measured``...), never
shown by colour alone, and the badge carries a ``<title>`` and an ``aria-label`` saying the same
for screen readers. Every text is escaped. Availability is cut, never rounded up, to two
decimals: 99.996 % is ``99.99%``, and only a window without a second of outage reads ``100%``.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Final
from xml.sax.saxutils import escape

from .model import ComponentStatus, PublicService
from .statuspage import STATUS_WORDS

__all__ = ["WINDOWS", "badge", "percent", "state_badge", "window_badge"]

#: The windows a badge can show: :class:`~monitor.status.model.UptimeWindow` keys.
WINDOWS: Final = ("24h", "7d", "30d", "90d", "month")

_GREY: Final = "#9f9f9f"
_COLOURS: Final = {
    ComponentStatus.OPERATIONAL: "#4c1",
    ComponentStatus.DEGRADED_PERFORMANCE: _GREY,
    ComponentStatus.PARTIAL_OUTAGE: "#fe7d37",
    ComponentStatus.MAJOR_OUTAGE: "#e05d44",
    ComponentStatus.UNDER_MAINTENANCE: "#007ec6",
}
# Widths of Verdana at 11 px, near enough for a badge that fits its text.
_NARROW: Final = frozenset("ijlI.,:;|!'`()[] ")
_SLIM: Final = frozenset("frt-/")
_WIDE: Final = frozenset("mwMW%@")


def _width(text: str) -> int:
    widths = (
        3.6
        if c in _NARROW
        else 4.6
        if c in _SLIM
        else 10.5
        if c in _WIDE
        else 7.6
        if c.isupper()
        else 7.0
        if c.isdigit()
        else 6.6
        for c in text
    )
    return math.ceil(sum(widths)) + 10


def _attribute(text: str) -> str:
    return escape(text, {'"': "&quot;"})


def badge(label: str, value: str, colour: str) -> bytes:
    """A two-part flat badge: ``label`` on grey, ``value`` on ``colour``."""
    left, right = _width(label), _width(value)
    total = left + right
    said = f"{label}: {value}"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img"'
        f' aria-label="{_attribute(said)}">',
        f"<title>{escape(said)}</title>",
        '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb"'
        ' stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>',
        f'<clipPath id="r"><rect width="{total}" height="20" rx="3" fill="#fff"/></clipPath>',
        f'<g clip-path="url(#r)"><rect width="{left}" height="20" fill="#555"/>'
        f'<rect x="{left}" width="{right}" height="20" fill="{_attribute(colour)}"/>'
        f'<rect width="{total}" height="20" fill="url(#s)"/></g>',
        '<g fill="#fff" text-anchor="middle"'
        ' font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">',
    ]
    for text, middle in ((label, left / 2), (value, left + right / 2)):
        shown = escape(text)
        parts.append(
            f'<text aria-hidden="true" x="{middle:g}" y="15" fill="#010101"'
            f' fill-opacity=".3">{shown}</text>'
            f'<text x="{middle:g}" y="14">{shown}</text>'
        )
    parts.append("</g></svg>")
    return "".join(parts).encode()


def state_badge(service: PublicService) -> bytes:
    """The service's state now, in words."""
    return badge(service.name, STATUS_WORDS[service.status], _COLOURS[service.status])


def percent(availability: Fraction) -> str:
    """``99.99%``: cut to two decimals, ``100%`` only when whole."""
    if availability >= 1:
        return "100%"
    hundredths = math.floor(availability * 10_000)
    return f"{hundredths // 100}.{hundredths % 100:02d}%"


def _availability_colour(availability: Fraction) -> str:
    if availability >= Fraction(999, 1000):
        return "#4c1"
    if availability >= Fraction(99, 100):
        return "#97ca00"
    if availability >= Fraction(95, 100):
        return "#dfb317"
    return "#e05d44"


def window_badge(service: PublicService, key: str) -> bytes:
    """The service's availability over the window ``key`` (one of :data:`WINDOWS` it has);
    ``not measured`` when nothing was. An unknown window is a :class:`KeyError`."""
    window = next((w for w in service.windows if w.key == key), None)
    if window is None:
        raise KeyError(key)
    label = f"{service.name} {key}"
    availability = window.availability
    if availability is None:
        return badge(label, "not measured", _GREY)
    return badge(label, percent(availability), _availability_colour(availability))

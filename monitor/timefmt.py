"""Strict parsing of RFC 3339 instants and ISO calendar dates at the input edge.

An instant must carry its UTC offset (``Z`` or ``+08:00``): without one it names no instant, so it
is an error, never a guess at the local zone.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

from .redact import excerpt

__all__ = ["format_instant", "parse_date", "parse_instant"]

_INSTANT = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[Tt ](?P<h>\d{2}):(?P<m>\d{2}):(?P<s>\d{2})"
    r"(?:\.(?P<frac>\d+))?"
    r"(?P<offset>[Zz]|(?P<sign>[+-])(?P<oh>\d{2}):(?P<om>\d{2}))?"
)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_date(text: str) -> date:
    """A calendar date written ``YYYY-MM-DD``."""
    if not _DATE.fullmatch(text):
        raise ValueError(f"expected a date YYYY-MM-DD, got {excerpt(text)}")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{excerpt(text)} is not a calendar date") from None


def parse_instant(text: str) -> datetime:
    """An RFC 3339 date-time with an offset; fractions beyond microseconds are truncated."""
    match = _INSTANT.fullmatch(text)
    if match is None:
        raise ValueError(
            f"expected an RFC 3339 instant like 2026-10-05T10:00:00+08:00, got {excerpt(text)}"
        )
    if match["offset"] is None:
        raise ValueError(f"instant {excerpt(text)} has no UTC offset (add Z or +HH:MM)")
    if match["offset"] in ("Z", "z"):
        zone = UTC
    else:
        hours, minutes = int(match["oh"]), int(match["om"])
        if hours > 23 or minutes > 59:
            raise ValueError(f"instant {excerpt(text)} has an invalid UTC offset")
        delta = timedelta(hours=hours, minutes=minutes)
        zone = timezone(-delta if match["sign"] == "-" else delta)
    fraction = (match["frac"] or "0")[:6].ljust(6, "0")
    try:
        day = date.fromisoformat(match["date"])
        instant = datetime(
            day.year,
            day.month,
            day.day,
            int(match["h"]),
            int(match["m"]),
            int(match["s"]),
            int(fraction),
            tzinfo=zone,
        )
    except ValueError:
        raise ValueError(f"{excerpt(text)} is not a valid date and time") from None
    try:
        instant.astimezone(UTC)  # every instant is compared and stored in UTC
    except OverflowError:
        raise ValueError(
            f"instant {excerpt(text)} is out of range: in UTC it must fall in the years 1 to 9999"
        ) from None
    return instant


def format_instant(instant: datetime) -> str:
    """RFC 3339 in UTC with a ``Z``, microseconds only when present."""
    text = instant.astimezone(UTC).isoformat()
    return text.replace("+00:00", "Z")

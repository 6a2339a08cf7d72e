"""Local calendar days in the contract's time zone (C1, C2, C7: billing and capping are per day).

A day is the span of instants whose local date is that date. It usually has 1440 minutes; a DST
day has 1380 or 1500, and zones whose clocks jump at midnight have days that start at 01:00 or
occur twice at 23:00. All of it follows from the zone's rules, never from a fixed 24 hours.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from .intervals import Interval

__all__ = ["day_span", "days_in_month", "iter_days", "local_date"]

_SECOND = timedelta(seconds=1)


def local_date(instant: datetime, zone: tzinfo) -> date:
    """The calendar date an instant falls on in ``zone``."""
    return instant.astimezone(zone).date()


def _day_start(day: date, zone: tzinfo) -> datetime:
    """The first instant, in UTC, whose local date is ``day``."""
    guess = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    if guess.astimezone(zone).replace(tzinfo=None) == datetime.combine(day, time(0)):
        # Local midnight exists; with fold=0 an ambiguous midnight resolves to its first
        # occurrence, which is where the day starts.
        return guess
    # Local midnight was skipped by a clock change: the day starts at the transition. Local dates
    # never decrease as instants increase, so bisect on "local date >= day" to the second
    # (zone transitions fall on whole seconds).
    low, high = guess - timedelta(days=1), guess
    while high - low > _SECOND:
        mid = low + (high - low) / 2
        mid = mid.replace(microsecond=0)
        if mid.astimezone(zone).date() >= day:
            high = mid
        else:
            low = mid
    return high


def day_span(day: date, zone: tzinfo) -> Interval:
    """The local day ``day`` as a half-open UTC interval."""
    return Interval(_day_start(day, zone), _day_start(day + timedelta(days=1), zone))


def iter_days(first: date, last: date) -> Iterator[date]:
    """Every date from ``first`` to ``last``, both included."""
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def days_in_month(day: date) -> int:
    """Number of days in the month of ``day`` (leap years included)."""
    first_of_next = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return (first_of_next - timedelta(days=1)).day

"""Local calendar days in the contract's time zone (C1, C2, C7: billing and capping are per day).

A day is the span of instants whose local date is that date. It usually has 1440 minutes; a DST
day has 1380 or 1500, and zones whose clocks jump at midnight have days that start at 01:00 or
occur twice at 23:00. All of it follows from the zone's rules, never from a fixed 24 hours.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from .errors import ContractError
from .intervals import Interval

__all__ = ["Month", "day_span", "days_in_month", "iter_days", "iter_months", "local_date"]

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


@dataclass(frozen=True, slots=True, order=True)
class Month:
    """A calendar month, written ``YYYY-MM`` (the billing month of ``uptime_tiers``)."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not (1 <= self.year <= 9999 and 1 <= self.month <= 12):
            raise ContractError("month", f"{self.year}-{self.month} is not a calendar month")

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @classmethod
    def of(cls, day: date) -> Month:
        """The month ``day`` lies in."""
        return cls(day.year, day.month)

    @property
    def first(self) -> date:
        """Its first day."""
        return date(self.year, self.month, 1)

    @property
    def last(self) -> date:
        """Its last day."""
        return self.first.replace(day=days_in_month(self.first))

    def span(self, zone: tzinfo) -> Interval:
        """The local month as a half-open UTC interval (DST-aware)."""
        return Interval(day_span(self.first, zone).start, day_span(self.last, zone).end)


def iter_months(first: date, last: date) -> Iterator[Month]:
    """Every month from that of ``first`` to that of ``last``, both included."""
    index = first.year * 12 + first.month - 1
    while index <= last.year * 12 + last.month - 1:
        yield Month(index // 12, index % 12 + 1)
        index += 1

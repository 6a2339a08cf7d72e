"""Builders shared by the credit engine's tests: instants, intervals, contracts, one-day runs."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sla import Contract, DayCredit, Exclusion, Fees, Interval, Period, compute_credits

#: The day most tables use, and its first instant (UTC).
DAY = date(2026, 10, 5)
NEXT_DAY = date(2026, 10, 6)
MIDNIGHT = datetime(2026, 10, 5, tzinfo=UTC)
US = timedelta(microseconds=1)

#: 144.00 a day on 1440-minute UTC days: one credited minute is worth exactly 0.10.
BASIC = Contract(currency="CNY", daily_fee=Decimal("144.00"))


def instant(text: str) -> datetime:
    """An RFC 3339 instant that must carry its offset ("2026-03-08T12:00:00-04:00")."""
    value = datetime.fromisoformat(text)
    if value.utcoffset() is None:
        raise ValueError(f"{text} has no UTC offset")
    return value


def at(clock: str, day: date = DAY) -> datetime:
    """The UTC instant of a clock time ("10:00", "10:00:30.250000") on ``day``."""
    return datetime.combine(day, time.fromisoformat(clock), tzinfo=UTC)


def span(start: str, end: str, day: date = DAY) -> Interval:
    """A UTC interval between two clock times of ``day``."""
    return Interval(at(start, day), at(end, day))


def mins(start: float, end: float) -> Interval:
    """The interval from ``start`` to ``end`` minutes after MIDNIGHT."""
    return Interval(MIDNIGHT + timedelta(minutes=start), MIDNIGHT + timedelta(minutes=end))


def one_day(
    contract: Contract,
    outages: Iterable[Interval],
    *,
    exclusions: Iterable[Exclusion] = (),
    gaps: Iterable[Interval] = (),
    fees: Fees | None = None,
    day: date = DAY,
) -> DayCredit:
    """The result of a one-day period."""
    result = compute_credits(
        contract, Period(day, day), outages, exclusions=exclusions, gaps=gaps, fees=fees
    )
    assert len(result.days) == 1
    return result.days[0]

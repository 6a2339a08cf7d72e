"""The deadline to file a credit claim, from the contract's terms, and where ``now`` stands to it.

Both rules count from the claimed month as the contract bills it: a local calendar month of its
time zone.

- ``claim_within`` (a duration) runs from the end of the claimed month. A whole number of days
  counts calendar days of the contract's zone, so that ``60d`` ends at a local midnight whatever
  DST does meanwhile; any other duration (``36h``) is elapsed time.
- ``claim_by: end_of_second_billing_cycle`` is the end of the month after the claimed one: the
  second billing cycle is the one in which the claimed month is invoiced.
- Without either, the deadline is not known: the letter says to check the contract.

Pure: the clock is the caller's (``now``).
"""

from __future__ import annotations

import calendar
import enum
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from sla import Interval, day_span

from ..config.terms import ContractTerms
from ..durations import format_duration

__all__ = [
    "NEAR",
    "Deadline",
    "Standing",
    "claim_deadline",
    "local_month",
    "standing",
    "time_left",
]

#: A deadline this close (or closer) is *near*: the CLI warns, the letter says so.
NEAR = timedelta(days=7)
_DAY = timedelta(days=1)


class Standing(enum.StrEnum):
    """Where an instant stands to a deadline."""

    OK = "ok"
    NEAR = "near"
    PAST = "past"
    #: The contract sets no deadline.
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Deadline:
    """The instant by which the claim must be filed (exclusive), and the rule it comes from."""

    at: datetime | None
    #: The contract's rule in words, naming its field.
    rule: str
    zone: tzinfo

    @property
    def last_day(self) -> date | None:
        """The last local date on which the claim can still be filed."""
        if self.at is None:
            return None
        return (self.at - timedelta(microseconds=1)).astimezone(self.zone).date()


def _last_day(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def local_month(year: int, month: int, zone: tzinfo) -> Interval:
    """The local calendar month as a UTC interval."""
    return Interval(
        day_span(date(year, month, 1), zone).start, day_span(_last_day(year, month), zone).end
    )


def claim_deadline(terms: ContractTerms, year: int, month: int) -> Deadline:
    """The deadline to claim the credits of ``year-month`` under ``terms``."""
    zone = terms.timezone
    last = _last_day(year, month)
    if terms.claim_within is not None:
        days, rest = divmod(terms.claim_within, _DAY.total_seconds())
        if rest:
            at = day_span(last, zone).end + timedelta(seconds=terms.claim_within)
        else:
            at = day_span(last + timedelta(days=int(days)), zone).end
        written = format_duration(timedelta(seconds=terms.claim_within))
        return Deadline(
            at, f"within {written} of the end of the claimed month (claim_within)", zone
        )
    if terms.claim_by == "end_of_second_billing_cycle":
        following = last + _DAY
        at = day_span(_last_day(following.year, following.month), zone).end
        return Deadline(
            at,
            "by the end of the month after the claimed one (claim_by: end_of_second_billing_cycle)",
            zone,
        )
    return Deadline(None, "the configured terms set none (claim_within, claim_by)", zone)


def standing(deadline: Deadline, now: datetime) -> Standing:
    """``ok``, ``near`` (:data:`NEAR` or less left), ``past`` (at or after it), or ``unknown``."""
    if deadline.at is None:
        return Standing.UNKNOWN
    if now >= deadline.at:
        return Standing.PAST
    if deadline.at - now <= NEAR:
        return Standing.NEAR
    return Standing.OK


def time_left(deadline: Deadline, now: datetime) -> str:
    """``12 days left``, ``1 day left``, ``less than a day left``, ``past: 3 days ago`` (whole
    days, rounded down: a deadline never reads further away than it is), or ``unknown``."""
    if deadline.at is None:
        return "unknown"
    if now >= deadline.at:
        ago = (now - deadline.at) // _DAY
        if ago == 0:
            return "past: less than a day ago"
        return f"past: {ago} day{'s' if ago != 1 else ''} ago"
    left = (deadline.at - now) // _DAY
    if left == 0:
        return "less than a day left"
    return f"{left} day{'s' if left != 1 else ''} left"

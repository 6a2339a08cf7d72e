"""The credit rules of CREDIT-RULES.md: measured downtime to minute-rounded, capped daily credits.

For each local day of the period (C1, C2, C7), in this order:

1. *Unavailable* time is the union of outages (C1, C3), with gaps added under
   ``gap_policy: down``; overlapping or touching outages merge.
2. *Excluded* time is the part of it covered by exclusions the contract accepts (C5, C6):
   ``force_majeure``, ``customer`` and ``third_party`` fully; ``maintenance`` only when announced
   at least ``maintenance_notice_hours`` before its start, and then only its first
   ``maintenance_max_minutes``.
3. *Creditable* time is unavailable minus excluded, rounded up to whole minutes (C1) by the
   contract's rounding.
4. The credit is ``min(fee, minutes x fee x multiplier / minutes_in_day)``, exact, rounded once
   to minor units half up; it never carries into the next day (C1, C2).
"""

from __future__ import annotations

import bisect
import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from .acceptance import decide_exclusion
from .calendar import Month, day_span, days_in_month, iter_days
from .contract import Contract, CreditPolicy, Exclusion, GapPolicy, Period, Rounding, Termination
from .errors import ContractError
from .intervals import Interval, IntervalSet, intersect, normalize, subtract, total, union
from .money import round_half_up

__all__ = [
    "CLAUSES",
    "CreditResult",
    "DayCredit",
    "FeeSource",
    "Fees",
    "Refund",
    "applied_exclusion",
    "compute_credits",
    "creditable_minutes",
    "downtime_sets",
]

#: Which clause of CREDIT-RULES.md each figure of a day's result comes from.
CLAUSES: Mapping[str, str] = {
    "date": "C1, C2, C7: computed and capped per local calendar day, nothing carried over",
    "minutes_in_day": "C1: the day's length in its time zone (1380, 1440 or 1500 minutes)",
    "fee": "C7: the day's actual charge, else the daily fee, else the monthly fee / days",
    "unavailable_seconds": "C1, C3: whole-service downtime (gaps too, with gap_policy down)",
    "excluded_seconds": "C5, C6: unavailable time covered by an accepted exclusion",
    "credited_minutes": "C1: creditable time rounded up to whole minutes",
    "credit": "C1, C2: minutes x fee x multiplier / minutes_in_day, capped at the day's fee",
    "capped": "C2: the uncapped amount exceeded the day's fee",
}

_MINUTE_US = 60_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)


class FeeSource(enum.StrEnum):
    """Where a day's fee came from (C7 first, then the contract's standing fees)."""

    FEES = "fees"
    DAILY_FEE = "daily_fee"
    MONTHLY_FEE = "monthly_fee"


@dataclass(frozen=True, slots=True)
class DayCredit:
    """One local day's result; the first eight fields are CREDIT-RULES.md's output."""

    date: date
    minutes_in_day: Fraction
    fee: Decimal
    unavailable: timedelta
    excluded: timedelta
    credited_minutes: int
    credit: Decimal
    capped: bool
    fee_source: FeeSource
    uncapped_credit: Fraction
    creditable: IntervalSet


@dataclass(frozen=True, slots=True)
class Refund:
    """C10: what a terminated, prepaid service refunds (CREDIT-RULES.md: the termination refund)."""

    date: date
    prepaid: Decimal
    #: The served days' fees less their credits: what the customer owes for actual use.
    used: Decimal
    #: ``prepaid - used``, or 0 when that is negative.
    refund: Decimal


@dataclass(frozen=True, slots=True)
class CreditResult:
    """Every (served) day of the period, in order, and their total."""

    currency: str
    minor_units: int
    days: tuple[DayCredit, ...]
    termination: Refund | None = None

    @property
    def total_credit(self) -> Decimal:
        """Sum of the rounded daily credits (CREDIT-RULES.md: "the period total")."""
        return sum((d.credit for d in self.days), Decimal(0).scaleb(-self.minor_units))


def applied_exclusion(contract: Contract, exclusion: Exclusion) -> Interval | None:
    """The part of an exclusion that the contract accepts, or None when it accepts none.

    Maintenance counts only when announced ``maintenance_notice_hours`` ahead, and then only for
    its first ``maintenance_max_minutes`` (C6's "reasonable period"); the other reasons count in
    full (C5): :func:`sla.decide_exclusion` decides, and says why.
    """
    return decide_exclusion(contract, exclusion).applied


def _micros(delta: timedelta) -> int:
    return delta // _US


def _clock_minutes(pieces: IntervalSet, contract: Contract) -> int:
    """Count the local clock minutes that contain any of ``pieces``."""
    ranges: list[tuple[int, int]] = []
    for piece in pieces:
        # Local minute boundaries; an offset with seconds (historic local mean time) shifts them.
        offset = piece.start.astimezone(contract.timezone).utcoffset() or timedelta(0)
        shift = _micros(offset) % _MINUTE_US
        first = (_micros(piece.start - _EPOCH) + shift) // _MINUTE_US
        last = (_micros(piece.end - _EPOCH) + shift - 1) // _MINUTE_US
        ranges.append((first, last))
    counted = 0
    reach = None
    for first, last in sorted(ranges):
        low = first if reach is None else max(first, reach + 1)
        if last >= low:
            counted += last - low + 1
        reach = last if reach is None else max(reach, last)
    return counted


def _ceil_minutes(delta: timedelta) -> int:
    return -(-_micros(delta) // _MINUTE_US)


def creditable_minutes(
    contract: Contract, outages: IntervalSet, excluded: IntervalSet, day: Interval
) -> tuple[int, IntervalSet]:
    """Whole minutes credited for one day (C1), and the creditable pieces they come from.

    ``outages`` are the merged unavailable intervals; ``excluded`` the accepted exclusions.
    """
    pieces = subtract(intersect(outages, (day,)), excluded)
    if contract.rounding is Rounding.PER_DAY:
        return _ceil_minutes(total(pieces)), pieces
    if contract.rounding is Rounding.CLOCK_MINUTE:
        return _clock_minutes(pieces, contract), pieces
    # per_outage: each merged outage is rounded on its own, after its excluded parts are removed,
    # so an exclusion in the middle of an outage does not create an extra rounded minute.
    holes = normalize(excluded)
    hole_ends = [hole.end for hole in holes]
    minutes = 0
    for outage in outages:
        start = max(outage.start, day.start)
        end = max(min(outage.end, day.end), start)  # an outage outside the day leaves nothing
        minutes += _ceil_minutes(end - start - _covered(holes, hole_ends, start, end))
    return minutes, pieces


def _covered(holes: IntervalSet, ends: list[datetime], start: datetime, end: datetime) -> timedelta:
    """How much of ``[start, end)`` a normalised set covers (``ends``: its intervals' ends, in
    which the first one reaching past ``start`` is found by bisection).

    The same as ``total(intersect(holes, [Interval(start, end)]))`` without building intervals:
    an outage at a time, a month of a million of them stays linear.
    """
    covered = timedelta(0)
    index = bisect.bisect_right(ends, start)
    while index < len(holes) and holes[index].start < end:
        covered += min(holes[index].end, end) - max(holes[index].start, start)
        index += 1
    return covered


def _fee(
    contract: Contract, fees: Mapping[date | Month, Decimal], day: date
) -> tuple[Decimal, FeeSource]:
    units = contract.minor_units
    if day in fees:
        return round_half_up(fees[day], units), FeeSource.FEES
    if contract.daily_fee is not None:
        return round_half_up(contract.daily_fee, units), FeeSource.DAILY_FEE
    if contract.monthly_fee is not None:
        monthly = Fraction(contract.monthly_fee) / days_in_month(day)
        return round_half_up(monthly, units), FeeSource.MONTHLY_FEE
    raise ContractError(
        f"fees.{day.isoformat()}",
        "no fee for this day: give it in fees, or set contract.daily_fee or contract.monthly_fee",
    )


def _overlapping(components: IntervalSet, ends: list[datetime], day: Interval) -> IntervalSet:
    """The components of a normalised set that overlap ``day`` (found by bisection)."""
    first = bisect.bisect_right(ends, day.start)
    found: list[Interval] = []
    for component in components[first:]:
        if component.start >= day.end:
            break
        found.append(component)
    return tuple(found)


#: Actual charges (C7): by day under ``per_minute``, by month under ``uptime_tiers``.
Fees = Mapping[date, Decimal] | Mapping[Month, Decimal] | Mapping[date | Month, Decimal]


def check_fees(fees: Fees | None, key_type: type[date | Month]) -> dict[date | Month, Decimal]:
    """Every fee is a non-negative amount keyed as the policy bills: a day, or a month."""
    table: dict[date | Month, Decimal] = dict((fees or {}).items())
    for key, fee in table.items():
        if type(key) is not key_type:
            expected = "a day (YYYY-MM-DD)" if key_type is date else "a month (YYYY-MM)"
            raise ContractError(f"fees.{key}", f"expected {expected} as the key of this policy")
        if not fee.is_finite() or fee < 0:
            raise ContractError(f"fees.{key}", f"expected a non-negative amount, got {fee}")
    return table


def downtime_sets(
    contract: Contract,
    outages: Iterable[Interval],
    exclusions: Iterable[Exclusion],
    gaps: Iterable[Interval],
) -> tuple[IntervalSet, IntervalSet]:
    """The unavailable time (gaps in under ``gap_policy: down``) and the accepted exclusions."""
    unavailable = (
        union(outages, gaps) if contract.gap_policy is GapPolicy.DOWN else normalize(outages)
    )
    accepted = normalize(
        span for span in (applied_exclusion(contract, e) for e in exclusions) if span is not None
    )
    return unavailable, accepted


def _served(period: Period, termination: Termination | None) -> date:
    """The last day served: the period's, or the day before the termination (C10)."""
    if termination is None:
        return period.last
    if not period.first <= termination.date <= period.last + timedelta(days=1):
        raise ContractError(
            "termination.date",
            f"{termination.date.isoformat()} is not within the period "
            f"{period.first.isoformat()} to {period.last.isoformat()} or the day after it",
        )
    return termination.date - timedelta(days=1)


def _refund(termination: Termination, days: Iterable[DayCredit], minor_units: int) -> Refund:
    """C10: the prepaid amount less the served days' fees net of their credits."""
    zero = Decimal(0).scaleb(-minor_units)
    prepaid = round_half_up(termination.prepaid, minor_units)
    used = sum((d.fee - d.credit for d in days), zero)
    return Refund(termination.date, prepaid, used, max(prepaid - used, zero))


def compute_credits(
    contract: Contract,
    period: Period,
    outages: Iterable[Interval],
    *,
    exclusions: Iterable[Exclusion] = (),
    gaps: Iterable[Interval] = (),
    fees: Fees | None = None,
    termination: Termination | None = None,
) -> CreditResult:
    """Apply a ``per_minute`` contract to measured outages for every local day of ``period``.

    With a ``termination`` (C10), the days from its date on were not served: they are left out,
    and the result carries the refund.
    """
    if contract.credit_policy is not CreditPolicy.PER_MINUTE:
        raise ContractError("contract.credit_policy", "expected per_minute for daily credits")
    table = check_fees(fees, date)
    last = _served(period, termination)
    unavailable, accepted = downtime_sets(contract, outages, exclusions, gaps)
    unavailable_ends = [c.end for c in unavailable]
    accepted_ends = [c.end for c in accepted]
    results: list[DayCredit] = []
    for day in iter_days(period.first, last):
        span = day_span(day, contract.timezone)
        todays = _overlapping(unavailable, unavailable_ends, span)
        excluded_today = _overlapping(accepted, accepted_ends, span)
        down = intersect(todays, (span,))
        minutes, pieces = creditable_minutes(contract, todays, excluded_today, span)
        fee, source = _fee(contract, table, day)
        minutes_in_day = Fraction(_micros(span.duration), _MINUTE_US)
        # A date the zone skips entirely (Pacific/Apia, 2011-12-30) has no time and no credit.
        uncapped = (
            minutes * Fraction(fee) * Fraction(contract.credit_multiplier) / minutes_in_day
            if minutes_in_day
            else Fraction(0)
        )
        results.append(
            DayCredit(
                date=day,
                minutes_in_day=minutes_in_day,
                fee=fee,
                unavailable=total(down),
                excluded=total(intersect(down, excluded_today)),
                credited_minutes=minutes,
                credit=round_half_up(min(uncapped, Fraction(fee)), contract.minor_units),
                capped=uncapped > fee,
                fee_source=source,
                uncapped_credit=uncapped,
                creditable=pieces,
            )
        )
    refund = None if termination is None else _refund(termination, results, contract.minor_units)
    return CreditResult(contract.currency, contract.minor_units, tuple(results), refund)

"""Monthly uptime tiers (CREDIT-RULES.md, ``uptime_tiers``): a percentage of the month's charge.

For each local calendar month of the period, in this order:

1. *Creditable* time is the outages (gaps added under ``gap_policy: down``) minus the accepted
   exclusions, exactly as for ``per_minute``.
2. Its *stretches* are its maximal intervals. A stretch shorter than ``min_downtime_minutes``
   counts nothing; its length is judged whole, even where it crosses into another month.
3. The month's *downtime minutes* come from the counting stretches clipped to the month:
   ``clock_minute`` counts the UTC clock minutes holding any of their time; ``whole_minutes``
   counts each clipped stretch's ``floor(seconds / 60)``.
4. *Uptime* is ``100 x (minutes_in_month - downtime_minutes) / minutes_in_month``, exact, over
   the local month's length (DST-aware).
5. The *credit percentage* is the largest tier percentage whose ``below`` exceeds the exact
   uptime (0 when none does), capped at ``max_credit_percent``.
6. The *credit* is ``charge x percentage / 100`` (the charge from ``fees``, else
   ``monthly_fee``, rounded to minor units first), rounded once to minor units, half up.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from .calendar import Month, iter_months
from .contract import Contract, CreditPolicy, DowntimeMinutes, Exclusion, Period, Tier
from .credits import Fees, check_fees, downtime_sets
from .errors import ContractError
from .intervals import Interval, IntervalSet, intersect, subtract, total
from .money import round_half_up

__all__ = [
    "MonthCredit",
    "UptimeResult",
    "compute_uptime_credits",
    "counted_stretches",
    "downtime_minutes",
    "tier_for",
]

_MINUTE_US = 60_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class MonthCredit:
    """One local month's result; CREDIT-RULES.md's output is ``month`` and the eight after
    ``span``."""

    month: Month
    #: The local month as a UTC interval.
    span: Interval
    minutes_in_month: Fraction
    charge: Decimal
    unavailable: timedelta
    excluded: timedelta
    downtime_minutes: int
    #: Exact; the output shows it to 4 decimals, the tier is chosen on this value.
    uptime_percent: Fraction
    credit_percent: Decimal
    credit: Decimal
    #: The tier applied (None: uptime above every tier) and the next one towards more credit.
    tier: Tier | None
    next_tier: Tier | None
    #: ``max_credit_percent``: no tier credits more than this.
    cap: Decimal
    #: ``charge`` came from the month's entry in ``fees`` rather than ``monthly_fee``.
    charge_from_fees: bool
    #: The creditable stretches that counted, clipped to the month.
    counted: IntervalSet

    @property
    def capped(self) -> bool:
        """The tier's percentage was above ``max_credit_percent``."""
        return self.tier is not None and self.tier.percent > self.credit_percent

    def minutes_to_next_tier(self) -> int | None:
        """Downtime minutes the month can still take before the next tier applies; None: none.

        The next tier applies once uptime falls below its ``below``; this is the number of
        whole downtime minutes that can be added with uptime still at or above it.
        """
        if self.next_tier is None:
            return None
        allowed = self.minutes_in_month * (1 - Fraction(self.next_tier.below) / 100)
        # Uptime stays >= below while downtime <= allowed.
        return max(0, int(allowed) - self.downtime_minutes)


@dataclass(frozen=True, slots=True)
class UptimeResult:
    """Every month of the period, in order, and their total."""

    currency: str
    minor_units: int
    months: tuple[MonthCredit, ...]

    @property
    def total_credit(self) -> Decimal:
        """Sum of the rounded monthly credits."""
        return sum((m.credit for m in self.months), Decimal(0).scaleb(-self.minor_units))


def _micros(delta: timedelta) -> int:
    return delta // _US


def counted_stretches(contract: Contract, creditable: IntervalSet) -> IntervalSet:
    """The stretches of creditable time at least ``min_downtime_minutes`` long, judged whole."""
    shortest = contract.min_downtime
    return tuple(stretch for stretch in creditable if stretch.duration >= shortest)


def downtime_minutes(contract: Contract, pieces: IntervalSet) -> int:
    """The downtime minutes of ``pieces`` (stretches clipped to a month), by the contract."""
    if contract.counting is DowntimeMinutes.WHOLE_MINUTES:
        return sum(_micros(piece.duration) // _MINUTE_US for piece in pieces)
    counted = 0
    reach: int | None = None
    for piece in pieces:  # sorted and apart: a minute shared by two is met at the second's start
        first = _micros(piece.start - _EPOCH) // _MINUTE_US
        last = (_micros(piece.end - _EPOCH) - 1) // _MINUTE_US
        if reach is not None:
            first = max(first, reach + 1)
        counted += max(0, last - first + 1)
        reach = last
    return counted


def tier_for(contract: Contract, uptime: Fraction) -> tuple[Tier | None, Tier | None]:
    """The tier that applies to ``uptime`` (the largest percentage among those whose ``below``
    exceeds it) and the next tier, the first that would raise the credit as uptime falls."""
    matching = [t for t in contract.tiers if Fraction(t.below) > uptime]
    # Among tiers paying the same, the one uptime fell below first (the highest ``below``) is
    # the one applied, whatever the order the tiers are listed in.
    applied = max(matching, key=lambda t: (t.percent, t.below), default=None)
    cap = contract.credit_cap
    paid = Decimal(0) if applied is None else min(applied.percent, cap)
    # Tiers paying more (after the cap) lie at or below the uptime, or they would apply.
    higher = [t for t in contract.tiers if min(t.percent, cap) > paid]
    upcoming = max(higher, key=lambda t: (t.below, t.percent), default=None)
    return applied, upcoming


def _charge(
    contract: Contract, fees: Mapping[date | Month, Decimal], month: Month
) -> tuple[Decimal, bool]:
    if month in fees:
        return round_half_up(fees[month], contract.minor_units), True
    if contract.monthly_fee is not None:
        return round_half_up(contract.monthly_fee, contract.minor_units), False
    raise ContractError(
        f"fees.{month}", "no charge for this month: give it in fees, or set contract.monthly_fee"
    )


def _check_period(period: Period) -> None:
    if period.first.day != 1:
        raise ContractError(
            "period.start", f"{period.first.isoformat()} is not the first day of a month"
        )
    if period.last != Month.of(period.last).last:
        raise ContractError(
            "period.end", f"{period.last.isoformat()} is not the last day of a month"
        )


def compute_uptime_credits(
    contract: Contract,
    period: Period,
    outages: Iterable[Interval],
    *,
    exclusions: Iterable[Exclusion] = (),
    gaps: Iterable[Interval] = (),
    fees: Fees | None = None,
) -> UptimeResult:
    """Apply an ``uptime_tiers`` contract to measured outages for every month of ``period``."""
    if contract.credit_policy is not CreditPolicy.UPTIME_TIERS:
        raise ContractError("contract.credit_policy", "expected uptime_tiers for monthly credits")
    table = check_fees(fees, Month)
    _check_period(period)
    unavailable, accepted = downtime_sets(contract, outages, exclusions, gaps)
    counting = counted_stretches(contract, subtract(unavailable, accepted))
    months: list[MonthCredit] = []
    for month in iter_months(period.first, period.last):
        span = month.span(contract.timezone)
        down = intersect(unavailable, (span,))
        counted = intersect(counting, (span,))
        minutes = downtime_minutes(contract, counted)
        length = Fraction(_micros(span.duration), _MINUTE_US)
        uptime = 100 * (length - minutes) / length
        tier, upcoming = tier_for(contract, uptime)
        percent = min(Decimal(0) if tier is None else tier.percent, contract.credit_cap)
        charge, from_fees = _charge(contract, table, month)
        months.append(
            MonthCredit(
                month=month,
                span=span,
                minutes_in_month=length,
                charge=charge,
                unavailable=total(down),
                excluded=total(intersect(down, accepted)),
                downtime_minutes=minutes,
                uptime_percent=uptime,
                credit_percent=percent,
                credit=round_half_up(
                    Fraction(charge) * Fraction(percent) / 100, contract.minor_units
                ),
                tier=tier,
                next_tier=upcoming,
                cap=contract.credit_cap,
                charge_from_fees=from_fees,
                counted=counted,
            )
        )
    return UptimeResult(contract.currency, contract.minor_units, tuple(months))

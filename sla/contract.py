"""The terms of an agreement and the annotated periods the credit rules read.

Values here are already parsed: aware datetimes, ``Decimal`` amounts, ``zoneinfo`` zones. Parsing
text (JSON, YAML, a database row) happens at the edge, outside this package.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import MAX_EMAX, MIN_EMIN, ROUND_CEILING, ROUND_HALF_UP, Context, Decimal

from .errors import ContractError
from .intervals import Interval

__all__ = [
    "PER_MINUTE_FIELDS",
    "TIER_FIELDS",
    "Contract",
    "CreditPolicy",
    "DowntimeMinutes",
    "Exclusion",
    "ExclusionReason",
    "GapPolicy",
    "Period",
    "Rounding",
    "Termination",
    "Tier",
]


class CreditPolicy(enum.StrEnum):
    """How downtime becomes money: per minute and day (C1, C2), or by monthly uptime tiers."""

    PER_MINUTE = "per_minute"
    UPTIME_TIERS = "uptime_tiers"


class DowntimeMinutes(enum.StrEnum):
    """How an ``uptime_tiers`` month counts its downtime minutes."""

    #: Clock minutes of UTC that hold any downtime.
    CLOCK_MINUTE = "clock_minute"
    #: Each downtime stretch's whole minutes, partial minutes not counted.
    WHOLE_MINUTES = "whole_minutes"


class Rounding(enum.StrEnum):
    """How creditable time becomes whole minutes (C1: "considered as one minute, when less")."""

    PER_OUTAGE = "per_outage"
    PER_DAY = "per_day"
    CLOCK_MINUTE = "clock_minute"


class GapPolicy(enum.StrEnum):
    """What time without a fresh measurement counts as (C3 defines only available/unavailable)."""

    EXCLUDE = "exclude"
    DOWN = "down"


class ExclusionReason(enum.StrEnum):
    """Why a period is not the provider's liability (C5, C6)."""

    MAINTENANCE = "maintenance"
    FORCE_MAJEURE = "force_majeure"
    CUSTOMER = "customer"
    THIRD_PARTY = "third_party"


@dataclass(frozen=True, slots=True)
class Exclusion:
    """An annotated period; ``announced_at`` matters only for maintenance (C6)."""

    span: Interval
    reason: ExclusionReason
    announced_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.announced_at is not None and self.announced_at.utcoffset() is None:
            raise ContractError("announced_at", "instant has no UTC offset")


@dataclass(frozen=True, slots=True)
class Period:
    """Local calendar dates, both included."""

    first: date
    last: date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ContractError(
                "period.end", f"{self.last.isoformat()} is before start {self.first.isoformat()}"
            )


@dataclass(frozen=True, slots=True)
class Tier:
    """``percent`` % of the month's charge is credited when its uptime % is below ``below``."""

    below: Decimal
    percent: Decimal


@dataclass(frozen=True, slots=True)
class Termination:
    """C10: the service ends at the local start of ``date``; ``prepaid`` was paid in advance."""

    date: date
    prepaid: Decimal

    def __post_init__(self) -> None:
        _non_negative("termination.prepaid", self.prepaid)


_MAX_MICROS = timedelta.max // timedelta(microseconds=1)


def _span(amount: Decimal, unit_seconds: int, rounding: str = ROUND_HALF_UP) -> timedelta:
    """A duration of ``amount`` units, rounded to the microsecond by ``rounding``.

    A threshold that durations are compared with (``duration < threshold``) is rounded up
    (``ROUND_CEILING``): durations are whole microseconds, so against the rounded-up threshold
    they compare exactly as against the exact one.
    """
    # Enough digits for the product to be exact, and no exponent limit: an amount of any size
    # is multiplied without rounding or an overflow trap.
    exact = Context(prec=len(amount.as_tuple().digits) + 12, Emax=MAX_EMAX, Emin=MIN_EMIN, traps=[])
    micros = exact.multiply(amount, unit_seconds * 1_000_000).to_integral_value(rounding)
    # Longer than any calendar can hold means "no limit" in practice: saturate, don't overflow.
    return timedelta(microseconds=_MAX_MICROS if micros > _MAX_MICROS else int(micros))


def _non_negative(name: str, value: Decimal | None) -> None:
    if value is not None and (not value.is_finite() or value < 0):
        raise ContractError(name, f"expected a non-negative amount, got {value}")


def _percent(name: str, value: Decimal, *, zero_allowed: bool = True) -> None:
    if not value.is_finite() or value < 0 or value > 100 or (value == 0 and not zero_allowed):
        expected = "0 to 100" if zero_allowed else "more than 0, at most 100"
        raise ContractError(name, f"expected a percentage {expected}, got {value}")


#: The fields that only ``uptime_tiers`` reads.
TIER_FIELDS: tuple[str, ...] = (
    "tiers",
    "downtime_minutes",
    "min_downtime_minutes",
    "max_credit_percent",
)
#: The fields that only ``per_minute`` reads.
PER_MINUTE_FIELDS: tuple[str, ...] = ("daily_fee", "rounding", "credit_multiplier")


@dataclass(frozen=True, slots=True)
class Contract:
    """The agreement's terms, with CREDIT-RULES.md's defaults."""

    currency: str
    timezone: tzinfo = UTC
    minor_units: int = 2
    daily_fee: Decimal | None = None
    monthly_fee: Decimal | None = None
    rounding: Rounding = Rounding.PER_OUTAGE
    credit_multiplier: Decimal = Decimal(1)
    maintenance_notice_hours: Decimal = Decimal(24)
    maintenance_max_minutes: Decimal | None = Decimal(240)
    gap_policy: GapPolicy = GapPolicy.EXCLUDE
    credit_policy: CreditPolicy = CreditPolicy.PER_MINUTE
    tiers: tuple[Tier, ...] = ()
    downtime_minutes: DowntimeMinutes | None = None
    min_downtime_minutes: Decimal | None = None
    max_credit_percent: Decimal | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.minor_units <= 12:
            raise ContractError("contract.minor_units", f"expected 0 to 12, got {self.minor_units}")
        _non_negative("contract.daily_fee", self.daily_fee)
        _non_negative("contract.monthly_fee", self.monthly_fee)
        _non_negative("contract.credit_multiplier", self.credit_multiplier)
        _non_negative("contract.maintenance_notice_hours", self.maintenance_notice_hours)
        _non_negative("contract.maintenance_max_minutes", self.maintenance_max_minutes)
        if self.credit_policy is CreditPolicy.UPTIME_TIERS:
            self._check_tiers()
        else:
            for name in TIER_FIELDS:
                if getattr(self, name) not in (None, ()):
                    raise ContractError(
                        f"contract.{name}", "belongs to credit_policy uptime_tiers, not per_minute"
                    )

    def _check_tiers(self) -> None:
        """The field rules of ``uptime_tiers``: the per-minute fields have no meaning here."""
        per_minute = {
            "daily_fee": self.daily_fee is not None,
            "rounding": self.rounding is not Rounding.PER_OUTAGE,
            "credit_multiplier": self.credit_multiplier != 1,
        }
        for name, given in per_minute.items():
            if given:
                raise ContractError(
                    f"contract.{name}", "belongs to credit_policy per_minute, not uptime_tiers"
                )
        if not self.tiers:
            raise ContractError("contract.tiers", "expected at least one tier")
        for index, tier in enumerate(self.tiers):
            _percent(f"contract.tiers[{index}].below", tier.below, zero_allowed=False)
            _percent(f"contract.tiers[{index}].percent", tier.percent)
        _non_negative("contract.min_downtime_minutes", self.min_downtime_minutes)
        if self.max_credit_percent is not None:
            _percent("contract.max_credit_percent", self.max_credit_percent)

    @property
    def counting(self) -> DowntimeMinutes:
        """How ``uptime_tiers`` counts downtime minutes (default ``clock_minute``)."""
        return self.downtime_minutes or DowntimeMinutes.CLOCK_MINUTE

    @property
    def min_downtime(self) -> timedelta:
        """A downtime stretch shorter than this counts nothing under ``uptime_tiers``."""
        return _span(self.min_downtime_minutes or Decimal(0), 60, ROUND_CEILING)

    @property
    def credit_cap(self) -> Decimal:
        """The cap on the credited percentage under ``uptime_tiers`` (default 100)."""
        return Decimal(100) if self.max_credit_percent is None else self.max_credit_percent

    @property
    def maintenance_notice(self) -> timedelta:
        """How long before its start a maintenance must be announced to be excluded (C6)."""
        return _span(self.maintenance_notice_hours, 3600, ROUND_CEILING)

    @property
    def maintenance_max(self) -> timedelta | None:
        """The "reasonable period" of a maintenance that may be excluded (C6); None: no limit."""
        if self.maintenance_max_minutes is None:
            return None
        return _span(self.maintenance_max_minutes, 60)

"""The terms of an agreement and the annotated periods the credit rules read.

Values here are already parsed: aware datetimes, ``Decimal`` amounts, ``zoneinfo`` zones. Parsing
text (JSON, YAML, a database row) happens at the edge, outside this package.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal

from .errors import ContractError
from .intervals import Interval

__all__ = [
    "Contract",
    "Exclusion",
    "ExclusionReason",
    "GapPolicy",
    "Period",
    "Rounding",
]


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


_MAX_MICROS = timedelta.max // timedelta(microseconds=1)


def _span(amount: Decimal, unit_seconds: int) -> timedelta:
    """An exact duration of ``amount`` units, to the microsecond."""
    micros = (amount * unit_seconds * 1_000_000).to_integral_value(ROUND_HALF_UP)
    # Longer than any calendar can hold means "no limit" in practice: saturate, don't overflow.
    return timedelta(microseconds=min(int(micros), _MAX_MICROS))


def _non_negative(name: str, value: Decimal | None) -> None:
    if value is not None and (not value.is_finite() or value < 0):
        raise ContractError(name, f"expected a non-negative amount, got {value}")


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

    def __post_init__(self) -> None:
        if not 0 <= self.minor_units <= 12:
            raise ContractError("contract.minor_units", f"expected 0 to 12, got {self.minor_units}")
        _non_negative("contract.daily_fee", self.daily_fee)
        _non_negative("contract.monthly_fee", self.monthly_fee)
        _non_negative("contract.credit_multiplier", self.credit_multiplier)
        _non_negative("contract.maintenance_notice_hours", self.maintenance_notice_hours)
        _non_negative("contract.maintenance_max_minutes", self.maintenance_max_minutes)

    @property
    def maintenance_notice(self) -> timedelta:
        """How long before its start a maintenance must be announced to be excluded (C6)."""
        return _span(self.maintenance_notice_hours, 3600)

    @property
    def maintenance_max(self) -> timedelta | None:
        """The "reasonable period" of a maintenance that may be excluded (C6); None: no limit."""
        if self.maintenance_max_minutes is None:
            return None
        return _span(self.maintenance_max_minutes, 60)

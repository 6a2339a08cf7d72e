"""Contract terms, periods and exclusions (CREDIT-RULES.md "Contract defaults", "Exclusions (C5, C6)")."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from sla import (
    Contract,
    ContractError,
    Exclusion,
    ExclusionReason,
    GapPolicy,
    Interval,
    Period,
    Rounding,
    SLAError,
    applied_exclusion,
)

from .support import US, at, span

# ---------------------------------------------------------------------------------------------
# Contract


def test_contract_defaults() -> None:
    """A contract given only its currency has CREDIT-RULES.md's defaults."""
    contract = Contract(currency="CNY")
    assert contract.timezone is UTC
    assert contract.minor_units == 2
    assert contract.daily_fee is None
    assert contract.monthly_fee is None
    assert contract.rounding is Rounding.PER_OUTAGE
    assert contract.credit_multiplier == 1
    assert contract.maintenance_notice_hours == 24
    assert contract.maintenance_max_minutes == 240
    assert contract.gap_policy is GapPolicy.EXCLUDE
    assert contract.maintenance_notice == timedelta(hours=24)
    assert contract.maintenance_max == timedelta(minutes=240)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        pytest.param(Rounding.PER_OUTAGE, "per_outage", id="per_outage"),
        pytest.param(Rounding.PER_DAY, "per_day", id="per_day"),
        pytest.param(Rounding.CLOCK_MINUTE, "clock_minute", id="clock_minute"),
        pytest.param(GapPolicy.EXCLUDE, "exclude", id="exclude"),
        pytest.param(GapPolicy.DOWN, "down", id="down"),
        pytest.param(ExclusionReason.MAINTENANCE, "maintenance", id="maintenance"),
        pytest.param(ExclusionReason.FORCE_MAJEURE, "force_majeure", id="force_majeure"),
        pytest.param(ExclusionReason.CUSTOMER, "customer", id="customer"),
        pytest.param(ExclusionReason.THIRD_PARTY, "third_party", id="third_party"),
    ],
)
def test_enum_values_are_the_case_format_words(value: str, text: str) -> None:
    """Each option's value is the word CREDIT-RULES.md's case format uses."""
    assert value == text


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({"minor_units": -1}, "contract.minor_units", id="minor-units-negative"),
        pytest.param({"minor_units": 13}, "contract.minor_units", id="minor-units-13"),
        pytest.param({"daily_fee": Decimal("-0.01")}, "contract.daily_fee", id="daily-negative"),
        pytest.param({"daily_fee": Decimal("NaN")}, "contract.daily_fee", id="daily-nan"),
        pytest.param({"monthly_fee": Decimal("-1")}, "contract.monthly_fee", id="monthly-negative"),
        pytest.param(
            {"monthly_fee": Decimal("Infinity")}, "contract.monthly_fee", id="monthly-infinite"
        ),
        pytest.param(
            {"credit_multiplier": Decimal("-1")},
            "contract.credit_multiplier",
            id="multiplier-negative",
        ),
        pytest.param(
            {"maintenance_notice_hours": Decimal("-24")},
            "contract.maintenance_notice_hours",
            id="notice-negative",
        ),
        pytest.param(
            {"maintenance_max_minutes": Decimal("-0.5")},
            "contract.maintenance_max_minutes",
            id="max-negative",
        ),
    ],
)
def test_contract_refuses_bad_terms(changes: dict[str, object], field: str) -> None:
    """Out-of-range minor units and negative or non-finite amounts raise, naming the field."""
    with pytest.raises(ContractError) as caught:
        Contract(currency="CNY", **changes)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"minor_units": 0}, id="minor-units-0"),
        pytest.param({"minor_units": 12}, id="minor-units-12"),
        pytest.param({"daily_fee": Decimal(0)}, id="daily-zero"),
        pytest.param({"monthly_fee": Decimal(0)}, id="monthly-zero"),
        pytest.param({"credit_multiplier": Decimal(0)}, id="multiplier-zero"),
        pytest.param({"maintenance_notice_hours": Decimal(0)}, id="notice-zero"),
        pytest.param({"maintenance_max_minutes": Decimal(0)}, id="max-zero"),
        pytest.param({"maintenance_max_minutes": None}, id="max-none"),
    ],
)
def test_contract_accepts_boundary_terms(changes: dict[str, object]) -> None:
    """Zero amounts, 0 and 12 minor units and no maintenance limit are valid terms."""
    contract = Contract(currency="CNY", **changes)  # type: ignore[arg-type]
    for name, value in changes.items():
        assert getattr(contract, name) == value


@pytest.mark.parametrize(
    ("hours", "expected"),
    [
        pytest.param(Decimal(24), timedelta(hours=24), id="default-24"),
        pytest.param(Decimal(0), timedelta(0), id="zero"),
        pytest.param(Decimal("0.5"), timedelta(minutes=30), id="half-hour"),
        pytest.param(Decimal("1.0000001"), timedelta(seconds=3600, microseconds=360), id="fine"),
    ],
)
def test_maintenance_notice(hours: Decimal, expected: timedelta) -> None:
    """maintenance_notice is maintenance_notice_hours as an exact duration."""
    assert Contract(currency="CNY", maintenance_notice_hours=hours).maintenance_notice == expected


@pytest.mark.parametrize(
    ("max_minutes", "expected"),
    [
        pytest.param(Decimal(240), timedelta(hours=4), id="default-240"),
        pytest.param(Decimal("1.5"), timedelta(seconds=90), id="ninety-seconds"),
        pytest.param(Decimal(0), timedelta(0), id="zero"),
        pytest.param(None, None, id="no-limit"),
    ],
)
def test_maintenance_max(max_minutes: Decimal | None, expected: timedelta | None) -> None:
    """maintenance_max is maintenance_max_minutes as a duration; null means no limit."""
    contract = Contract(currency="CNY", maintenance_max_minutes=max_minutes)
    assert contract.maintenance_max == expected


# ---------------------------------------------------------------------------------------------
# Period, Exclusion, errors


def test_period_must_not_be_reversed() -> None:
    """A period whose end date is before its start raises, naming period.end."""
    with pytest.raises(ContractError) as caught:
        Period(date(2026, 10, 31), date(2026, 10, 1))
    assert caught.value.field == "period.end"


def test_one_day_period_is_valid() -> None:
    """A period may start and end on the same date (dates are inclusive)."""
    period = Period(date(2026, 10, 5), date(2026, 10, 5))
    assert period.first == period.last


def test_exclusion_announcement_needs_an_offset() -> None:
    """A naive announced_at raises, naming announced_at."""
    with pytest.raises(ContractError) as caught:
        Exclusion(
            span("02:00", "03:00"),
            ExclusionReason.MAINTENANCE,
            at("02:00").replace(tzinfo=None),
        )
    assert caught.value.field == "announced_at"


def test_error_message_names_the_field() -> None:
    """Errors print as "field: problem", or the problem alone when there is no field."""
    assert str(SLAError("fees.2026-10-05", "bad")) == "fees.2026-10-05: bad"
    assert str(SLAError("", "bad")) == "bad"
    error = ContractError("contract.daily_fee", "negative")
    assert (error.field, error.problem) == ("contract.daily_fee", "negative")
    assert isinstance(error, SLAError)


# ---------------------------------------------------------------------------------------------
# applied_exclusion

WINDOW = span("02:00", "03:00")
START = WINDOW.start
SIX_HOURS = span("10:00", "16:00")
DEFAULT = Contract(currency="CNY")


@pytest.mark.parametrize(
    ("reason", "announced_at", "expected"),
    [
        pytest.param(ExclusionReason.MAINTENANCE, START - timedelta(hours=48), WINDOW, id="48h"),
        pytest.param(
            ExclusionReason.MAINTENANCE,
            START - timedelta(hours=24),
            WINDOW,
            id="maintenance-exactly-24h-accepted",
        ),
        pytest.param(
            ExclusionReason.MAINTENANCE,
            START - timedelta(hours=24) + US,
            None,
            id="maintenance-1us-late-refused",
        ),
        pytest.param(
            ExclusionReason.MAINTENANCE, START - timedelta(hours=2), None, id="maintenance-2h"
        ),
        pytest.param(ExclusionReason.MAINTENANCE, None, None, id="maintenance-never-announced"),
        pytest.param(
            ExclusionReason.MAINTENANCE, START + timedelta(minutes=1), None, id="announced-after"
        ),
        pytest.param(ExclusionReason.FORCE_MAJEURE, None, WINDOW, id="force-majeure"),
        pytest.param(ExclusionReason.CUSTOMER, None, WINDOW, id="customer"),
        pytest.param(ExclusionReason.THIRD_PARTY, None, WINDOW, id="third-party"),
        pytest.param(
            ExclusionReason.FORCE_MAJEURE, START + timedelta(hours=1), WINDOW, id="fm-late"
        ),
        pytest.param(
            ExclusionReason.CUSTOMER, START - timedelta(hours=2), WINDOW, id="customer-short"
        ),
        pytest.param(
            ExclusionReason.THIRD_PARTY, START + timedelta(days=1), WINDOW, id="third-party-late"
        ),
    ],
)
def test_applied_exclusion_notice(
    reason: ExclusionReason, announced_at: datetime | None, expected: Interval | None
) -> None:
    """Maintenance needs notice_hours of notice; other reasons count whatever announced_at says."""
    assert applied_exclusion(DEFAULT, Exclusion(WINDOW, reason, announced_at)) == expected


@pytest.mark.parametrize(
    ("max_minutes", "expected"),
    [
        pytest.param(Decimal(240), span("10:00", "14:00"), id="first-240-minutes"),
        pytest.param(None, SIX_HOURS, id="null-no-limit"),
        pytest.param(Decimal(360), SIX_HOURS, id="limit-equals-window"),
        pytest.param(Decimal(361), SIX_HOURS, id="limit-above-window"),
        pytest.param(Decimal("90.5"), span("10:00", "11:30:30"), id="fractional-limit"),
        pytest.param(Decimal(0), span("10:00", "10:00"), id="zero-limit-empty"),
    ],
)
def test_applied_exclusion_maximum(max_minutes: Decimal | None, expected: Interval) -> None:
    """Accepted maintenance is cut to its first maintenance_max_minutes."""
    contract = Contract(currency="CNY", maintenance_max_minutes=max_minutes)
    exclusion = Exclusion(
        SIX_HOURS, ExclusionReason.MAINTENANCE, SIX_HOURS.start - timedelta(days=2)
    )
    assert applied_exclusion(contract, exclusion) == expected


def test_applied_exclusion_maximum_ignores_other_reasons() -> None:
    """maintenance_max_minutes never shortens a force majeure exclusion."""
    contract = replace(DEFAULT, maintenance_max_minutes=Decimal(10))
    exclusion = Exclusion(SIX_HOURS, ExclusionReason.FORCE_MAJEURE)
    assert applied_exclusion(contract, exclusion) == SIX_HOURS


@pytest.mark.parametrize(
    ("notice_hours", "announced_at", "accepted"),
    [
        pytest.param(Decimal(0), START, True, id="zero-notice-at-start"),
        pytest.param(Decimal(0), START + US, False, id="zero-notice-1us-after-start"),
        pytest.param(Decimal("0.5"), START - timedelta(minutes=30), True, id="half-hour-exact"),
        pytest.param(Decimal("0.5"), START - timedelta(minutes=29), False, id="half-hour-short"),
        pytest.param(Decimal(72), START - timedelta(hours=48), False, id="72h-needed"),
    ],
)
def test_applied_exclusion_uses_the_contract_notice(
    notice_hours: Decimal, announced_at: datetime, accepted: bool
) -> None:
    """The notice needed is the contract's maintenance_notice_hours, inclusive."""
    contract = Contract(currency="CNY", maintenance_notice_hours=notice_hours)
    exclusion = Exclusion(WINDOW, ExclusionReason.MAINTENANCE, announced_at)
    assert applied_exclusion(contract, exclusion) == (WINDOW if accepted else None)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param({"maintenance_max_minutes": Decimal("1e13")}, WINDOW, id="huge-max"),
        pytest.param({"maintenance_notice_hours": Decimal("1e11")}, None, id="huge-notice"),
    ],
)
def test_huge_maintenance_terms(changes: dict[str, Decimal], expected: Interval | None) -> None:
    """A huge limit means no limit in practice; a huge notice means never enough notice."""
    contract = Contract(currency="CNY", **changes)  # type: ignore[arg-type]
    exclusion = Exclusion(WINDOW, ExclusionReason.MAINTENANCE, START - timedelta(days=30))
    assert applied_exclusion(contract, exclusion) == expected

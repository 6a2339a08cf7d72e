"""Whether the contract accepts an exclusion, and why (CREDIT-RULES.md "Exclusions (C5, C6)"):
the decision the credit engine applies, with the reason the report and the CLI show."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from sla import (
    Acceptance,
    Contract,
    Exclusion,
    ExclusionDecision,
    ExclusionReason,
    Interval,
    applied_exclusion,
    decide_exclusion,
)

from .support import US, span

WINDOW = span("10:00", "16:00")
START = WINDOW.start
DEFAULT = Contract(currency="CNY")
MAINTENANCE = ExclusionReason.MAINTENANCE


@pytest.mark.parametrize(
    ("reason", "announced_at", "max_minutes", "expected"),
    [
        pytest.param(
            ExclusionReason.FORCE_MAJEURE,
            None,
            Decimal(10),
            ExclusionDecision(Acceptance.IN_FULL, WINDOW),
            id="force-majeure-in-full-whatever-the-maintenance-terms",
        ),
        pytest.param(
            ExclusionReason.CUSTOMER,
            START + timedelta(hours=1),
            Decimal(10),
            ExclusionDecision(Acceptance.IN_FULL, WINDOW),
            id="customer-in-full-announced-after",
        ),
        pytest.param(
            MAINTENANCE,
            None,
            None,
            ExclusionDecision(Acceptance.NOT_ANNOUNCED, None),
            id="maintenance-never-announced",
        ),
        pytest.param(
            MAINTENANCE,
            START - timedelta(hours=24) + US,
            None,
            ExclusionDecision(Acceptance.ANNOUNCED_LATE, None),
            id="maintenance-1us-late",
        ),
        pytest.param(
            MAINTENANCE,
            START + timedelta(minutes=5),
            None,
            ExclusionDecision(Acceptance.ANNOUNCED_LATE, None),
            id="maintenance-announced-after-its-start",
        ),
        pytest.param(
            MAINTENANCE,
            START - timedelta(hours=24),
            None,
            ExclusionDecision(Acceptance.IN_FULL, WINDOW),
            id="maintenance-exactly-24h-no-limit",
        ),
        pytest.param(
            MAINTENANCE,
            START - timedelta(days=3),
            Decimal(360),
            ExclusionDecision(Acceptance.IN_FULL, WINDOW),
            id="maintenance-as-long-as-the-limit",
        ),
        pytest.param(
            MAINTENANCE,
            START - timedelta(days=3),
            Decimal(240),
            ExclusionDecision(Acceptance.FIRST_PART, span("10:00", "14:00")),
            id="maintenance-longer-than-the-limit",
        ),
        pytest.param(
            MAINTENANCE,
            START - timedelta(days=3),
            Decimal(0),
            ExclusionDecision(Acceptance.FIRST_PART, span("10:00", "10:00")),
            id="maintenance-zero-limit-accepts-nothing-of-it",
        ),
    ],
)
def test_the_decision_and_its_reason(
    reason: ExclusionReason,
    announced_at: datetime | None,
    max_minutes: Decimal | None,
    expected: ExclusionDecision,
) -> None:
    """Each reason the contract has for what it accepts, and the part it accepts."""
    contract = Contract(currency="CNY", maintenance_max_minutes=max_minutes)
    exclusion = Exclusion(WINDOW, reason, announced_at)

    decision = decide_exclusion(contract, exclusion)

    assert decision == expected
    assert decision.accepted is (expected.applied is not None)
    assert applied_exclusion(contract, exclusion) == decision.applied


def test_the_reasons_are_stable_words() -> None:
    """The reasons' values are what JSON output carries."""
    assert [a.value for a in Acceptance] == [
        "in_full",
        "first_part",
        "not_announced",
        "announced_late",
    ]


def test_an_empty_accepted_part_still_counts_as_accepted() -> None:
    """With maintenance_max_minutes 0 the maintenance is accepted, for none of its time."""
    exclusion = Exclusion(WINDOW, MAINTENANCE, START - timedelta(days=2))
    decision = decide_exclusion(
        Contract(currency="CNY", maintenance_max_minutes=Decimal(0)), exclusion
    )
    assert decision.accepted
    assert decision.applied == Interval(START, START)

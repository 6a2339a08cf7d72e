"""The live figures' memo: an equal case is answered with the engine's last answer for it; any
change to the case (an outage, its end moving, an exclusion, the contract) runs the engine."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from monitor.case.figures import Credited, CreditsMemo
from monitor.case.format import Case, load_case

PER_MINUTE: dict[str, Any] = {"currency": "CNY", "daily_fee": "144.00"}
TIERED: dict[str, Any] = {
    "currency": "USD",
    "credit_policy": "uptime_tiers",
    "monthly_fee": "3100.00",
    "tiers": [{"below": "99.99", "percent": "10"}, {"below": "99.0", "percent": "25"}],
}


def case(contract: dict[str, Any], *outages: tuple[str, str], **parts: Any) -> Case:
    """A case over October 2026 with ``outages`` (UTC instants)."""
    document = {
        "contract": contract,
        "period": {"start": "2026-10-01", "end": "2026-10-31"},
        "outages": [{"start": start, "end": end} for start, end in outages],
        **parts,
    }
    return load_case(json.dumps(document))


HOUR = ("2026-10-05T01:00:00Z", "2026-10-05T02:00:00Z")


@pytest.mark.parametrize("contract", [PER_MINUTE, TIERED])
def test_an_equal_case_gets_the_last_answer(contract: dict[str, Any]) -> None:
    memo = CreditsMemo()
    first = memo.credited("shop", case(contract, HOUR))
    again = memo.credited("shop", case(contract, HOUR))
    assert again is first
    assert first == Credited.of(case(contract, HOUR).credits())
    assert first.credited_minutes == 60
    assert first.total_credit > 0


@pytest.mark.parametrize(
    "changed",
    [
        # The outage still going on: its end moved a minute.
        case(PER_MINUTE, ("2026-10-05T01:00:00Z", "2026-10-05T02:01:00Z")),
        # Another outage came.
        case(PER_MINUTE, HOUR, ("2026-10-07T01:00:00Z", "2026-10-07T01:10:00Z")),
        # The contract was reloaded with another fee.
        case({**PER_MINUTE, "daily_fee": "288.00"}, HOUR),
        # An exclusion was recorded.
        case(
            PER_MINUTE,
            HOUR,
            exclusions=[
                {
                    "start": HOUR[0],
                    "end": HOUR[1],
                    "reason": "maintenance",
                    "announced_at": "2026-09-01T00:00:00Z",
                },
            ],
        ),
    ],
)
def test_a_changed_case_runs_the_engine(changed: Case) -> None:
    memo = CreditsMemo()
    before = memo.credited("shop", case(PER_MINUTE, HOUR))
    after = memo.credited("shop", changed)
    assert after is not before
    assert after == Credited.of(changed.credits())
    assert after != before


def test_services_are_remembered_apart_and_forgotten() -> None:
    memo = CreditsMemo()
    shop = memo.credited("shop", case(PER_MINUTE, HOUR))
    blog = memo.credited("blog", case(PER_MINUTE))
    assert blog.total_credit == Decimal(0)
    assert memo.credited("shop", case(PER_MINUTE, HOUR)) is shop
    memo.forget({"blog"})
    assert memo.credited("shop", case(PER_MINUTE, HOUR)) is not shop
    assert memo.credited("blog", case(PER_MINUTE)) is blog

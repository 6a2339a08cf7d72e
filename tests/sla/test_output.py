"""CREDIT-RULES.md's output object, and CLAUSES: which clause each output figure comes from."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from sla import (
    CLAUSES,
    Contract,
    Exclusion,
    ExclusionReason,
    Interval,
    Period,
    compute_credits,
    day_to_json,
    result_to_json,
)

from .support import BASIC, DAY, NEXT_DAY, instant, one_day, span

DAY_FIELDS = {
    "date",
    "minutes_in_day",
    "fee",
    "unavailable_seconds",
    "excluded_seconds",
    "credited_minutes",
    "credit",
    "capped",
}


def test_result_json_of_p01() -> None:
    """p01 (7 min 30 s at 144.00 a day) prints exactly CREDIT-RULES.md's example object."""
    result = compute_credits(BASIC, Period(DAY, DAY), [span("10:00:00", "10:07:30")])
    assert result_to_json(result) == {
        "currency": "CNY",
        "total_credit": "0.80",
        "days": [
            {
                "date": "2026-10-05",
                "minutes_in_day": 1440,
                "fee": "144.00",
                "unavailable_seconds": 450.0,
                "excluded_seconds": 0.0,
                "credited_minutes": 8,
                "credit": "0.80",
                "capped": False,
            }
        ],
    }


def test_result_json_field_types() -> None:
    """Money is str, seconds are float, minutes are int (not bool), capped is bool."""
    outage = span("10:00:00", "10:00:00.500000")
    exclusion = Exclusion(span("10:00:00", "10:00:00.250000"), ExclusionReason.FORCE_MAJEURE)
    result = compute_credits(BASIC, Period(DAY, NEXT_DAY), [outage], exclusions=[exclusion])
    document = result_to_json(result)
    assert set(document) == {"currency", "total_credit", "days"}
    assert isinstance(document["total_credit"], str)
    first, second = document["days"]
    assert set(first) == DAY_FIELDS
    assert type(first["minutes_in_day"]) is int
    assert type(first["credited_minutes"]) is int
    assert type(first["unavailable_seconds"]) is float
    assert type(first["excluded_seconds"]) is float
    assert type(first["capped"]) is bool
    assert (first["unavailable_seconds"], first["excluded_seconds"]) == (0.5, 0.25)
    assert (first["credited_minutes"], first["credit"]) == (1, "0.10")
    assert second["date"] == "2026-10-06"
    assert (second["unavailable_seconds"], second["credit"]) == (0.0, "0.00")
    # It is plain JSON: a round trip changes nothing.
    assert json.loads(json.dumps(document)) == document


@pytest.mark.parametrize(
    ("minor_units", "fee", "credit", "total"),
    [
        pytest.param(0, "144", "1", "1", id="minor-0"),
        pytest.param(2, "144.00", "0.80", "0.80", id="minor-2"),
        pytest.param(3, "144.000", "0.800", "0.800", id="minor-3"),
    ],
)
def test_money_strings_have_exactly_minor_units_decimals(
    minor_units: int, fee: str, credit: str, total: str
) -> None:
    """fee, credit and total_credit are written with exactly minor_units decimals."""
    # 8 minutes x 144 / 1440 = 0.8, which is 1 when rounded to whole units.
    contract = replace(BASIC, minor_units=minor_units)
    document = result_to_json(
        compute_credits(contract, Period(DAY, DAY), [span("10:00:00", "10:07:30")])
    )
    day = document["days"][0]
    assert (day["fee"], day["credit"], document["total_credit"]) == (fee, credit, total)
    pattern = r"\d+" if minor_units == 0 else rf"\d+\.\d{{{minor_units}}}"
    for text in (day["fee"], day["credit"], document["total_credit"]):
        assert re.fullmatch(pattern, text)


def test_minutes_in_day_of_a_dst_day_is_an_int() -> None:
    """A 1380-minute New York day prints minutes_in_day as the int 1380."""
    contract = Contract(
        currency="USD", timezone=ZoneInfo("America/New_York"), daily_fee=Decimal("138.00")
    )
    day = one_day(contract, [], day=date(2026, 3, 8))
    assert day_to_json(day, 2)["minutes_in_day"] == 1380
    assert type(day_to_json(day, 2)["minutes_in_day"]) is int


def test_minutes_in_day_of_a_fractional_day_is_a_float() -> None:
    """Liberia's 1972-01-07 lasted 1395.5 minutes: minutes_in_day prints as 1395.5."""
    contract = Contract(
        currency="LRD", timezone=ZoneInfo("Africa/Monrovia"), daily_fee=Decimal("139.55")
    )
    outage = Interval(instant("1972-01-07T10:00:00+00:00"), instant("1972-01-07T10:10:00+00:00"))
    entry = day_to_json(one_day(contract, [outage], day=date(1972, 1, 7)), 2)
    assert entry["minutes_in_day"] == 1395.5
    assert type(entry["minutes_in_day"]) is float
    assert entry["credit"] == "1.00"


def test_capped_day_json() -> None:
    """A capped day prints its fee as the credit and capped true."""
    contract = replace(BASIC, credit_multiplier=Decimal(100))
    entry = day_to_json(one_day(contract, [span("10:00", "10:20")]), 2)
    assert (entry["credit"], entry["capped"], entry["credited_minutes"]) == ("144.00", True, 20)


def test_clauses_cover_every_output_field() -> None:
    """CLAUSES names exactly the fields of a day's output, each citing a clause C1..C10."""
    assert set(CLAUSES) == DAY_FIELDS
    entry = day_to_json(one_day(BASIC, []), 2)
    assert set(entry) == set(CLAUSES)
    for field, text in CLAUSES.items():
        assert re.search(r"\bC(10|[1-9])\b", text), field

"""The case format's policy parts (CREDIT-RULES.md): ``fees`` keyed by day or by month, and the
``termination`` of a per-minute service; each mistake one line naming the field, through the
parser and through the real ``slawatch credits``."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from monitor.case.format import load_case
from monitor.errors import InputError
from sla import ContractError, Month, Termination, UptimeResult

D = Decimal
ROOT = Path(__file__).resolve().parents[3]

TIERED: dict[str, Any] = {
    "currency": "USD",
    "credit_policy": "uptime_tiers",
    "monthly_fee": "3100.00",
    "tiers": [{"below": "99.99", "percent": "10"}],
}
PER_MINUTE: dict[str, Any] = {"currency": "CNY", "daily_fee": "144.00"}
OCTOBER = {"start": "2026-10-01", "end": "2026-10-31"}
AN_HOUR = [{"start": "2026-10-05T10:00:00+08:00", "end": "2026-10-05T11:00:00+08:00"}]


def case(contract: dict[str, Any], **parts: Any) -> dict[str, Any]:
    """A case over October 2026 with one hour down on the 5th."""
    return {"contract": contract, "period": OCTOBER, "outages": AN_HOUR, **parts}


def problem(document: object) -> str:
    """The one-line error of a case the parser refuses."""
    with pytest.raises(InputError) as caught:
        load_case(json.dumps(document))
    return str(caught.value)


def slawatch_credits(document: object) -> subprocess.CompletedProcess[str]:
    """`slawatch credits -` with ``document`` on its standard input."""
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli", "credits", "-"],
        input=json.dumps(document),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
    )


# ---------------------------------------------------------------------------------------------
# fees: by day or by month


def test_fee_keys_are_days_or_months() -> None:
    """A YYYY-MM-DD key is a day, a YYYY-MM key a month; the amounts are exact."""
    parsed = load_case(json.dumps(case(PER_MINUTE, fees={"2026-10-05": "150.005", "2026-11": 7})))
    assert parsed.fees == {date(2026, 10, 5): D("150.005"), Month(2026, 11): D(7)}


@pytest.mark.parametrize("key", ["2026-13", "2026-1", "26-10", "2026-10-5", "october", "2026-00"])
def test_a_fee_key_that_is_neither_names_it(key: str) -> None:
    """Neither a day nor a month: the line names the key and what was expected."""
    text = problem(case(PER_MINUTE, fees={key: "1"}))
    assert text.startswith(f"fees.{key}")
    assert text.endswith(f"expected a day YYYY-MM-DD or a month YYYY-MM, got '{key}'")
    assert "\n" not in text


def test_a_fee_on_a_date_that_does_not_exist() -> None:
    """30 February is refused, naming the key."""
    text = problem(case(PER_MINUTE, fees={"2026-02-30": "1"}))
    assert text.startswith("fees.2026-02-30")
    assert "not a calendar date" in text


def test_a_negative_fee_names_its_key() -> None:
    """A fee is a non-negative amount."""
    text = problem(case(TIERED, fees={"2026-10": "-1"}))
    assert text == "fees.2026-10: expected a non-negative amount, got '-1'"


@pytest.mark.parametrize(
    ("contract", "fees", "field", "expected"),
    [
        pytest.param(TIERED, {"2026-10-05": "1"}, "fees.2026-10-05", "a month (YYYY-MM)", id="day"),
        pytest.param(
            PER_MINUTE, {"2026-10": "1"}, "fees.2026-10", "a day (YYYY-MM-DD)", id="month"
        ),
    ],
)
def test_the_policy_decides_the_key(
    contract: dict[str, Any], fees: dict[str, str], field: str, expected: str
) -> None:
    """uptime_tiers bills by month and per_minute by day: the other key is refused when the case
    is computed, naming it."""
    parsed = load_case(json.dumps(case(contract, fees=fees)))
    with pytest.raises(ContractError) as caught:
        parsed.credits()
    assert caught.value.field == field
    assert expected in caught.value.problem


def test_the_credits_command_refuses_a_day_key_under_uptime_tiers() -> None:
    """Through the real command: exit 2, one line naming fees.2026-10-05, no traceback."""
    done = slawatch_credits(case(TIERED, fees={"2026-10-05": "1"}))
    assert done.returncode == 2
    assert done.stderr == (
        "slawatch: <stdin>: fees.2026-10-05: expected a month (YYYY-MM) as the key of this policy\n"
    )
    assert done.stdout == ""


def test_a_month_without_a_charge_through_the_command() -> None:
    """No monthly_fee and no fees entry for the month: one line naming fees.2026-10."""
    contract = {k: v for k, v in TIERED.items() if k != "monthly_fee"}
    done = slawatch_credits(case(contract))
    assert done.returncode == 2
    assert done.stderr.startswith("slawatch: <stdin>: fees.2026-10: no charge for this month")
    assert done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr


def test_month_fees_through_the_command() -> None:
    """A month's entry in fees is its charge: 10 % of 2000.00 for an hour down in October."""
    done = slawatch_credits(case(TIERED, fees={"2026-10": "2000.00"}))
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["total_credit"] == "200.00"
    [month] = out["months"]
    assert (month["month"], month["charge"], month["downtime_minutes"]) == (
        "2026-10",
        "2000.00",
        60,
    )


# ---------------------------------------------------------------------------------------------
# termination


def test_termination_parses_exactly() -> None:
    """date and prepaid; a JSON number is read as an exact decimal."""
    text = json.dumps(case(PER_MINUTE)).replace(
        '"outages"', '"termination": {"date": "2026-10-21", "prepaid": 4464.005}, "outages"'
    )
    parsed = load_case(text)
    assert parsed.termination == Termination(date(2026, 10, 21), D("4464.005"))


@pytest.mark.parametrize(
    ("termination", "line"),
    [
        pytest.param({"prepaid": "1"}, "termination.date: required field is missing", id="no-date"),
        pytest.param(
            {"date": "2026-10-21"},
            "termination.prepaid: required field is missing",
            id="no-prepaid",
        ),
        pytest.param(
            {"date": "2026-10-21", "prepaid": "-1"},
            "termination.prepaid: expected a non-negative amount, got '-1'",
            id="negative",
        ),
        pytest.param(
            {"date": "2026-10-21", "prepaid": "1", "reason": "moved"},
            "termination.reason: unknown field",
            id="unknown-field",
        ),
    ],
)
def test_a_bad_termination_names_its_field(termination: dict[str, Any], line: str) -> None:
    """Each mistake in termination is one line naming the field."""
    assert problem(case(PER_MINUTE, termination=termination)) == line


@pytest.mark.parametrize("value", ["2026-10-32", "21 October", "2026-10-21T00:00:00Z"])
def test_a_termination_date_that_is_not_a_date(value: str) -> None:
    """The date is a calendar date YYYY-MM-DD."""
    text = problem(case(PER_MINUTE, termination={"date": value, "prepaid": "1"}))
    assert text.startswith("termination.date: ")
    assert "\n" not in text


def test_termination_through_the_command() -> None:
    """t06's shape: 20 days served, an hour down on the 5th credited, the refund in the output,
    prepaid rounded to minor units."""
    termination = {"date": "2026-10-21", "prepaid": "4464.005"}
    done = slawatch_credits(case(PER_MINUTE, termination=termination))
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert len(out["days"]) == 20
    assert out["total_credit"] == "6.00"
    used = 20 * D("144.00") - D("6.00")
    assert out["termination"] == {
        "date": "2026-10-21",
        "prepaid": "4464.01",
        "used": str(used),
        "refund": str(D("4464.01") - used),
    }


@pytest.mark.parametrize(
    ("contract", "termination", "line"),
    [
        pytest.param(
            PER_MINUTE,
            {"date": "2026-11-02", "prepaid": "1"},
            "termination.date: 2026-11-02 is not within the period 2026-10-01 to 2026-10-31 "
            "or the day after it",
            id="outside",
        ),
        pytest.param(
            TIERED,
            {"date": "2026-10-21", "prepaid": "1"},
            "termination: the termination refund applies under per_minute, not uptime_tiers",
            id="under-uptime-tiers",
        ),
    ],
)
def test_the_credits_command_refuses_a_termination(
    contract: dict[str, Any], termination: dict[str, Any], line: str
) -> None:
    """Through the real command: exit 2, one line naming the field, no traceback."""
    done = slawatch_credits(case(contract, termination=termination))
    assert done.returncode == 2
    assert done.stderr == f"slawatch: <stdin>: {line}\n"
    assert done.stdout == ""


def test_an_uptime_tiers_case_computes_months() -> None:
    """A case whose contract is uptime_tiers gives the monthly result."""
    result = load_case(json.dumps(case(TIERED))).credits()
    assert isinstance(result, UptimeResult)
    [month] = result.months
    assert (month.downtime_minutes, month.credit) == (60, D("310.00"))

"""The ``contract`` object (CREDIT-RULES.md, ``credit_policy``): each policy reads only its own
fields, and every mistake is one line naming the field, in a case file (through the real
``slawatch credits``) and in a configuration."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from monitor.case.format import load_case
from monitor.config.fields import describe_validation_errors
from monitor.config.settings import parse_settings
from monitor.config.terms import ContractTerms
from monitor.errors import ConfigError, InputError
from sla import CreditPolicy, DowntimeMinutes, Rounding, Tier

D = Decimal
ROOT = Path(__file__).resolve().parents[3]

TIERED: dict[str, Any] = {
    "currency": "USD",
    "credit_policy": "uptime_tiers",
    "monthly_fee": "3100.00",
    "tiers": [{"below": "99.99", "percent": "10"}, {"below": "99.0", "percent": "30"}],
}
PER_MINUTE: dict[str, Any] = {"currency": "CNY", "daily_fee": "144.00"}
EXPLICIT_PER_MINUTE: dict[str, Any] = {**PER_MINUTE, "credit_policy": "per_minute"}
OCTOBER = {"start": "2026-10-01", "end": "2026-10-31"}

FOREIGN_UNDER_TIERS = "belongs to credit_policy per_minute, not uptime_tiers"
FOREIGN_UNDER_PER_MINUTE = "belongs to credit_policy uptime_tiers, not per_minute"


def without(document: dict[str, Any], *names: str) -> dict[str, Any]:
    """The document less some of its keys."""
    return {k: v for k, v in document.items() if k not in names}


#: (base contract, keys added or replaced, keys removed, the one line expected).
MISTAKES = [
    # Fields of per_minute under uptime_tiers: written at all is an error, even at its default.
    (TIERED, {"daily_fee": "144.00"}, (), f"daily_fee: {FOREIGN_UNDER_TIERS}"),
    (TIERED, {"rounding": "per_day"}, (), f"rounding: {FOREIGN_UNDER_TIERS}"),
    (TIERED, {"rounding": "per_outage"}, (), f"rounding: {FOREIGN_UNDER_TIERS}"),
    (TIERED, {"credit_multiplier": "1"}, (), f"credit_multiplier: {FOREIGN_UNDER_TIERS}"),
    # Fields of uptime_tiers under per_minute, whether per_minute is written or the default.
    (PER_MINUTE, {"tiers": TIERED["tiers"]}, (), f"tiers: {FOREIGN_UNDER_PER_MINUTE}"),
    (PER_MINUTE, {"tiers": []}, (), f"tiers: {FOREIGN_UNDER_PER_MINUTE}"),
    (
        EXPLICIT_PER_MINUTE,
        {"downtime_minutes": "whole_minutes"},
        (),
        f"downtime_minutes: {FOREIGN_UNDER_PER_MINUTE}",
    ),
    (
        PER_MINUTE,
        {"min_downtime_minutes": "0"},
        (),
        f"min_downtime_minutes: {FOREIGN_UNDER_PER_MINUTE}",
    ),
    (
        EXPLICIT_PER_MINUTE,
        {"max_credit_percent": "50"},
        (),
        f"max_credit_percent: {FOREIGN_UNDER_PER_MINUTE}",
    ),
    (
        PER_MINUTE,
        {"max_credit_percent": None},
        (),
        f"max_credit_percent: {FOREIGN_UNDER_PER_MINUTE}",
    ),
    # The tiers themselves.
    (TIERED, {}, ("tiers",), "tiers: expected at least one tier under credit_policy uptime_tiers"),
    (
        TIERED,
        {"tiers": []},
        (),
        "tiers: expected at least one tier under credit_policy uptime_tiers",
    ),
    (
        TIERED,
        {"tiers": [{"below": "0", "percent": "10"}]},
        (),
        "tiers[0].below: expected a percentage more than 0, at most 100, got 0",
    ),
    (
        TIERED,
        {"tiers": [{"below": "99", "percent": "10"}, {"below": "100.5", "percent": "10"}]},
        (),
        "tiers[1].below: expected a percentage more than 0, at most 100, got 100.5",
    ),
    (
        TIERED,
        {"tiers": [{"below": "99", "percent": "101"}]},
        (),
        "tiers[0].percent: expected a percentage 0 to 100, got 101",
    ),
    (
        TIERED,
        {"tiers": [{"below": "99", "percent": "-1"}]},
        (),
        "tiers[0].percent: expected a non-negative amount, got '-1'",
    ),
    (TIERED, {"tiers": [{"below": "99"}]}, (), "tiers[0].percent: required field is missing"),
    (
        TIERED,
        {"tiers": [{"below": "99", "percent": "1", "above": "90"}]},
        (),
        "tiers[0].above: unknown field",
    ),
    # The other fields of uptime_tiers.
    (
        TIERED,
        {"downtime_minutes": "partial"},
        (),
        "downtime_minutes: Input should be 'clock_minute' or 'whole_minutes' (got 'partial')",
    ),
    (
        TIERED,
        {"min_downtime_minutes": "-1"},
        (),
        "min_downtime_minutes: expected a non-negative amount, got '-1'",
    ),
    (
        TIERED,
        {"max_credit_percent": "101"},
        (),
        "max_credit_percent: expected a percentage 0 to 100, got 101",
    ),
    (
        TIERED,
        {"credit_policy": "monthly"},
        (),
        "credit_policy: Input should be 'per_minute' or 'uptime_tiers' (got 'monthly')",
    ),
    (TIERED, {"monthly_fee": "-5"}, (), "monthly_fee: expected a non-negative amount, got '-5'"),
    # The claim deadline: one way or the other.
    (
        TIERED,
        {"claim_within": "60d", "claim_by": "end_of_second_billing_cycle"},
        (),
        "claim_by: give claim_within or claim_by, not both",
    ),
    (
        TIERED,
        {"claim_by": "end_of_month"},
        (),
        "claim_by: Input should be 'end_of_second_billing_cycle' (got 'end_of_month')",
    ),
]
MISTAKE_IDS = [line.split(":")[0] + f"-{i}" for i, (*_, line) in enumerate(MISTAKES)]


def contract_of(
    base: dict[str, Any], changes: dict[str, Any], removed: tuple[str, ...]
) -> dict[str, Any]:
    """The base contract with ``changes`` and without ``removed``."""
    return without({**base, **changes}, *removed)


@pytest.mark.parametrize(("base", "changes", "removed", "line"), MISTAKES, ids=MISTAKE_IDS)
def test_each_mistake_is_one_problem_naming_the_field(
    base: dict[str, Any], changes: dict[str, Any], removed: tuple[str, ...], line: str
) -> None:
    """The contract terms report exactly one problem, which names the field."""
    with pytest.raises(ValidationError) as caught:
        ContractTerms.model_validate(contract_of(base, changes, removed))
    assert describe_validation_errors(caught.value) == [line]


@pytest.mark.parametrize(("base", "changes", "removed", "line"), MISTAKES, ids=MISTAKE_IDS)
def test_each_mistake_in_a_case_names_contract_field(
    base: dict[str, Any], changes: dict[str, Any], removed: tuple[str, ...], line: str
) -> None:
    """In a case file the line is under contract."""
    document = {"contract": contract_of(base, changes, removed), "period": OCTOBER}
    with pytest.raises(InputError) as caught:
        load_case(json.dumps(document))
    assert str(caught.value) == f"contract.{line}"


def _yaml(contract: dict[str, Any]) -> str:
    # JSON is YAML: the contract is written as one flow mapping.
    return (
        f"contracts: {{c: {json.dumps(contract)}}}\n"
        "services:\n"
        "  - name: s\n"
        "    contract: c\n"
        '    frontend: [{name: home, type: http, url: "http://127.0.0.1:1/"}]\n'
    )


@pytest.mark.parametrize(("base", "changes", "removed", "line"), MISTAKES, ids=MISTAKE_IDS)
def test_each_mistake_in_a_configuration_names_its_contract(
    base: dict[str, Any], changes: dict[str, Any], removed: tuple[str, ...], line: str
) -> None:
    """In a configuration the line names the file and the contract."""
    with pytest.raises(ConfigError) as caught:
        parse_settings(_yaml(contract_of(base, changes, removed)), "x.yaml")
    assert str(caught.value) == f"x.yaml: contracts.c.{line}"


def test_every_foreign_field_is_named() -> None:
    """Several fields of the other policy: the configuration names each, one line apiece; a
    case gives the first and how many more."""
    contract = {**TIERED, "daily_fee": "1", "rounding": "per_day", "credit_multiplier": "2"}
    with pytest.raises(ConfigError) as caught:
        parse_settings(_yaml(contract), "x.yaml")
    assert str(caught.value).splitlines() == [
        f"x.yaml: contracts.c.{name}: {FOREIGN_UNDER_TIERS}"
        for name in ("daily_fee", "rounding", "credit_multiplier")
    ]
    with pytest.raises(InputError) as raised:
        load_case(json.dumps({"contract": contract, "period": OCTOBER}))
    assert str(raised.value) == f"contract.daily_fee: {FOREIGN_UNDER_TIERS} (and 2 more)"


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


@pytest.mark.parametrize(
    ("contract", "line"),
    [
        pytest.param(
            {**TIERED, "daily_fee": "144.00"},
            f"contract.daily_fee: {FOREIGN_UNDER_TIERS}",
            id="daily",
        ),
        pytest.param(
            {**PER_MINUTE, "tiers": TIERED["tiers"]},
            f"contract.tiers: {FOREIGN_UNDER_PER_MINUTE}",
            id="tiers",
        ),
        pytest.param(
            without(TIERED, "tiers"),
            "contract.tiers: expected at least one tier under credit_policy uptime_tiers",
            id="no-tiers",
        ),
        pytest.param(
            {**TIERED, "tiers": [{"below": "0", "percent": "10"}]},
            "contract.tiers[0].below: expected a percentage more than 0, at most 100, got 0",
            id="below-0",
        ),
    ],
)
def test_the_credits_command_prints_one_line(contract: dict[str, Any], line: str) -> None:
    """Through the real command: exit 2, one line on stderr naming the field, no traceback,
    nothing on stdout."""
    done = slawatch_credits({"contract": contract, "period": OCTOBER})
    assert done.returncode == 2
    assert done.stderr == f"slawatch: <stdin>: {line}\n"
    assert done.stdout == ""


# ---------------------------------------------------------------------------------------------
# What parses


def test_an_uptime_tiers_contract() -> None:
    """Every field of uptime_tiers, as the engine's contract."""
    terms = ContractTerms.model_validate(
        {
            **TIERED,
            "downtime_minutes": "whole_minutes",
            "min_downtime_minutes": "0.5",
            "max_credit_percent": "50",
            "claim_within": "60d",
        }
    )
    contract = terms.to_contract()
    assert contract.credit_policy is CreditPolicy.UPTIME_TIERS
    assert contract.tiers == (Tier(D("99.99"), D(10)), Tier(D("99.0"), D(30)))
    assert contract.counting is DowntimeMinutes.WHOLE_MINUTES
    assert contract.min_downtime == timedelta(seconds=30)
    assert contract.credit_cap == D(50)
    assert contract.monthly_fee == D("3100.00")
    assert terms.claim_within == 60 * 86400


def test_uptime_tiers_defaults() -> None:
    """clock_minute, no minimum, no cap; the per-minute fields at their defaults, unused."""
    contract = ContractTerms.model_validate(TIERED).to_contract()
    assert contract.counting is DowntimeMinutes.CLOCK_MINUTE
    assert contract.min_downtime == timedelta(0)
    assert contract.credit_cap == D(100)
    assert (contract.daily_fee, contract.rounding, contract.credit_multiplier) == (
        None,
        Rounding.PER_OUTAGE,
        D(1),
    )


def test_uptime_tiers_needs_no_monthly_fee_when_fees_give_it() -> None:
    """monthly_fee is optional: a case's fees may give every month."""
    contract = ContractTerms.model_validate(without(TIERED, "monthly_fee")).to_contract()
    assert contract.monthly_fee is None


@pytest.mark.parametrize(
    "document", [TIERED, PER_MINUTE, {**TIERED, "claim_by": "end_of_second_billing_cycle"}]
)
def test_to_json_writes_only_the_policy_s_fields_and_reads_back(document: dict[str, Any]) -> None:
    """The terms written back hold no field of the other policy, and parse to the same terms."""
    terms = ContractTerms.model_validate(document)
    written = terms.to_json()
    foreign = {"daily_fee", "rounding", "credit_multiplier"}
    if terms.credit_policy is CreditPolicy.PER_MINUTE:
        foreign = {"tiers", "downtime_minutes", "min_downtime_minutes", "max_credit_percent"}
    assert not foreign & set(written)
    assert ContractTerms.model_validate(json.loads(json.dumps(written))) == terms


def test_a_tiered_configuration_loads() -> None:
    """A configuration with an uptime_tiers contract loads, its numbers exact."""
    text = (
        "contracts:\n"
        "  aws:\n"
        "    currency: USD\n"
        "    credit_policy: uptime_tiers\n"
        "    monthly_fee: 3100.10\n"
        "    tiers: [{below: 99.99, percent: 10}, {below: 99.0, percent: 30}]\n"
        "    claim_by: end_of_second_billing_cycle\n"
        "services:\n"
        "  - name: s\n"
        "    contract: aws\n"
        '    frontend: [{name: home, type: http, url: "http://127.0.0.1:1/"}]\n'
    )
    contract = parse_settings(text, "x.yaml").contracts["aws"].to_contract()
    assert contract.monthly_fee == D("3100.10")
    assert contract.tiers == (Tier(D("99.99"), D(10)), Tier(D("99.0"), D(30)))


@pytest.mark.parametrize(("written", "shown"), [("60d", "60d"), ("36h", "129600s"), (90, "90s")])
def test_claim_within_is_written_back_as_a_duration(written: object, shown: str) -> None:
    """The case format and the report show the deadline as a duration that reads back the same,
    never as a float of seconds."""
    terms = ContractTerms.model_validate(
        {"currency": "USD", "daily_fee": "1", "claim_within": written}
    )
    assert terms.to_json()["claim_within"] == shown
    assert ContractTerms.model_validate(terms.to_json()).claim_within == terms.claim_within

"""The example contracts of examples/contracts/: each file loads through slawatch's configuration
loader, says when its terms were read, and credits a 45-minute outage as its own terms imply.

The expected credit is worked out here from the file's text, read with a plain YAML parser, not
from the validated terms: a number the loader misread would then show as a wrong credit.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from monitor.config.settings import load_settings, parse_settings
from monitor.config.terms import ContractTerms
from sla import CreditResult, Interval, Period, UptimeResult, compute

FOLDER = Path(__file__).resolve().parents[1] / "examples" / "contracts"
FILES = sorted(FOLDER.glob("*.yaml"))

#: The month of the worked example, and its outage: 45 minutes from 10:00 local on the 5th.
MONTH = (date(2026, 10, 1), date(2026, 10, 31))
OUTAGE_MINUTES = 45

_READ_ON = re.compile(r"read on (\d{4}-\d{2}-\d{2})")


def _raw(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(document, dict), path
    return document


def _contracts(path: Path) -> dict[str, dict[str, Any]]:
    contracts = _raw(path)["contracts"]
    assert isinstance(contracts, dict), path
    assert contracts, path
    return contracts


def _comments(path: Path) -> str:
    """Every comment of the file, whole lines and those after a value (no value here holds #)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return "\n".join(line[line.index("#") :] for line in lines if "#" in line)


def _decimal(value: object) -> Decimal:
    return Decimal(str(value))


def _outage(zone: ZoneInfo) -> Interval:
    start = datetime(2026, 10, 5, 10, 0, tzinfo=zone)
    return Interval(start, start + timedelta(minutes=OUTAGE_MINUTES))


def _local_minutes(first: date, after: date, zone: ZoneInfo) -> Fraction:
    """Minutes from local midnight of ``first`` to local midnight of ``after``, DST included."""
    start = datetime(first.year, first.month, first.day, tzinfo=zone).astimezone(UTC)
    end = datetime(after.year, after.month, after.day, tzinfo=zone).astimezone(UTC)
    return Fraction(int((end - start).total_seconds()), 60)


def _half_up(amount: Decimal | Fraction, minor_units: int) -> Decimal:
    if isinstance(amount, Fraction):
        amount = Decimal(amount.numerator) / Decimal(amount.denominator)
    return amount.quantize(Decimal(1).scaleb(-minor_units), rounding=ROUND_HALF_UP)


def test_the_folder_holds_example_contracts() -> None:
    """A glob that finds nothing would let every test below pass without a single case."""
    assert FILES, FOLDER
    assert any(
        raw.get("credit_policy") == "uptime_tiers"
        for path in FILES
        for raw in _contracts(path).values()
    )


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.name)
def test_each_file_loads_with_slawatch_s_own_loader(path: Path) -> None:
    """The file alone is a configuration: only `contracts:`, each one valid terms."""
    settings = load_settings(path, environ={})

    assert set(_raw(path)) == {"contracts"}
    assert set(settings.contracts) == set(_contracts(path))
    for terms in settings.contracts.values():
        assert isinstance(terms, ContractTerms)


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.name)
def test_each_file_pastes_into_a_configuration_with_services(path: Path) -> None:
    """Pasted above a `services:` list, every contract can be named by a service."""
    names = list(_contracts(path))
    services = "".join(
        f"  - {{name: service-{index}, contract: {name}, frontend:"
        " [{name: home, type: http, url: 'http://127.0.0.1:8080/'}]}\n"
        for index, name in enumerate(names)
    )
    text = path.read_text(encoding="utf-8") + "\nservices:\n" + services

    settings = parse_settings(text, str(path), environ={})

    assert [service.contract for service in settings.services] == names


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.name)
def test_each_file_says_when_its_terms_were_read(path: Path) -> None:
    """A published schedule is never shown without the date it was read, nor its fee unmarked."""
    comments = _comments(path)
    dates = _READ_ON.findall(comments)

    assert dates, f"{path.name}: no 'read on YYYY-MM-DD' in its comments"
    for text in dates:
        date.fromisoformat(text)
    assert "example amount" in comments, f"{path.name}: the fee is not marked as an example"
    tiered = [
        raw for raw in _contracts(path).values() if raw.get("credit_policy") == "uptime_tiers"
    ]
    if tiered:
        assert re.search(r"https://\S+", comments), f"{path.name}: no address of the SLA"


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.name)
def test_each_tiered_contract_has_tiers(path: Path) -> None:
    for name, raw in _contracts(path).items():
        if raw.get("credit_policy") == "uptime_tiers":
            assert raw.get("tiers"), f"{path.name}: {name} has no tiers"
            for tier in raw["tiers"]:
                assert 0 < _decimal(tier["below"]) <= 100
                assert 0 <= _decimal(tier["percent"]) <= 100


def _expected_percent(raw: dict[str, Any], minutes_in_month: Fraction) -> Decimal:
    """The credit percentage the written tiers give the 45 minutes (CREDIT-RULES.md, steps 2-6)."""
    shortest = _decimal(raw.get("min_downtime_minutes", 0))
    downtime = OUTAGE_MINUTES if shortest <= OUTAGE_MINUTES else 0
    uptime = 100 * (minutes_in_month - downtime) / minutes_in_month
    applying = [
        _decimal(tier["percent"])
        for tier in raw["tiers"]
        if Fraction(_decimal(tier["below"])) > uptime
    ]
    cap = _decimal(raw.get("max_credit_percent", 100))
    return min(max(applying, default=Decimal(0)), cap)


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.name)
def test_a_45_minute_outage_earns_what_the_file_s_terms_imply(path: Path) -> None:
    """One 45-minute outage in October 2026, through the credit engine, for every contract."""
    settings = load_settings(path, environ={})
    for name, raw in _contracts(path).items():
        zone = ZoneInfo(raw.get("timezone", "UTC"))
        minor_units = int(raw.get("minor_units", 2))
        contract = settings.contracts[name].to_contract()

        result = compute(contract, Period(*MONTH), [_outage(zone)])

        if raw.get("credit_policy") == "uptime_tiers":
            assert isinstance(result, UptimeResult)
            (month,) = result.months
            minutes_in_month = _local_minutes(MONTH[0], date(2026, 11, 1), zone)
            percent = _expected_percent(raw, minutes_in_month)
            charge = _half_up(_decimal(raw["monthly_fee"]), minor_units)
            assert month.minutes_in_month == minutes_in_month, name
            assert month.credit_percent == percent, name
            assert month.credit == _half_up(charge * percent / 100, minor_units), name
            assert result.total_credit == month.credit, name
        else:
            assert isinstance(result, CreditResult)
            day = date(2026, 10, 5)
            minutes_in_day = _local_minutes(day, day + timedelta(days=1), zone)
            fee = _half_up(_decimal(raw["daily_fee"]), minor_units)
            multiplier = Fraction(_decimal(raw.get("credit_multiplier", 1)))
            uncapped = OUTAGE_MINUTES * Fraction(fee) * multiplier / minutes_in_day
            expected = _half_up(min(Fraction(fee), uncapped), minor_units)
            credited = {entry.date: entry.credit for entry in result.days if entry.credit}
            assert credited == {day: expected}, name
            assert result.total_credit == expected, name


def test_the_folder_s_readme_lists_every_file() -> None:
    """The README names every example, and no example that is not there."""
    readme = (FOLDER / "README.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`([A-Za-z0-9_.-]+\.yaml)`", readme))

    assert {path.name for path in FILES} <= named
    assert named <= {path.name for path in FILES}

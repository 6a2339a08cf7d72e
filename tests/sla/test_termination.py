"""The termination refund (C10, CREDIT-RULES.md), under ``per_minute``.

The service ends at the local start of the termination date: the days from it on are not served
and leave the output; ``used`` is the served days' fees less their credits, and ``refund`` is the
prepaid amount less ``used``, never below 0. Unless a case says otherwise the contract is BASIC
(UTC, 144.00 a day, one credited minute worth 0.10) over October 2026.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from sla import (
    Contract,
    ContractError,
    CreditPolicy,
    CreditResult,
    Interval,
    Period,
    Refund,
    Termination,
    Tier,
    compute,
    compute_credits,
    result_to_json,
)

from .support import BASIC, instant

D = Decimal
OCTOBER = Period(date(2026, 10, 1), date(2026, 10, 31))
DAILY = D("144.00")


def run(
    termination: Termination | None,
    outages: list[Interval] | None = None,
    *,
    contract: Contract = BASIC,
    fees: dict[date, Decimal] | None = None,
) -> CreditResult:
    """October under ``contract`` with ``termination``."""
    return compute_credits(contract, OCTOBER, outages or [], fees=fees, termination=termination)


def refund_of(result: CreditResult) -> Refund:
    """The result's refund, which a terminated case must carry."""
    assert result.termination is not None
    return result.termination


def down(start: str, length_minutes: int) -> Interval:
    """An outage of ``length_minutes`` from an RFC 3339 instant."""
    first = instant(start)
    return Interval(first, first + timedelta(minutes=length_minutes))


def test_terminated_on_the_period_start_serves_nothing() -> None:
    """Terminated on 1 October: no day served, nothing used, the whole prepaid refunded."""
    result = run(Termination(date(2026, 10, 1), D("4464.00")), [down("2026-10-05T10:00Z", 60)])
    assert result.days == ()
    assert str(result.total_credit) == "0.00"
    assert refund_of(result) == Refund(date(2026, 10, 1), D("4464.00"), D("0.00"), D("4464.00"))
    assert result_to_json(result)["termination"] == {
        "date": "2026-10-01",
        "prepaid": "4464.00",
        "used": "0.00",
        "refund": "4464.00",
    }


def test_terminated_the_day_after_the_end_serves_every_day() -> None:
    """Terminated on 1 November: all 31 days served; used is their fees less the credits."""
    result = run(Termination(date(2026, 11, 1), D("4464.00")), [down("2026-10-05T10:00Z", 60)])
    assert len(result.days) == 31
    assert result.total_credit == D("6.00")
    refund = refund_of(result)
    assert refund.used == 31 * DAILY - D("6.00")
    assert refund.refund == D("4464.00") - (31 * DAILY - D("6.00"))
    assert refund.refund == D("6.00")  # 31 x 144.00 is exactly the prepaid 4464.00


def test_terminated_on_the_last_day_leaves_that_day_out() -> None:
    """Terminated on 31 October: 30 days served."""
    result = run(Termination(date(2026, 10, 31), D("4464.00")))
    assert [d.date for d in result.days][-1] == date(2026, 10, 30)
    assert len(result.days) == 30
    assert refund_of(result).used == 30 * DAILY
    assert refund_of(result).refund == DAILY


@pytest.mark.parametrize(
    "when",
    [date(2026, 9, 30), date(2026, 11, 2), date(2025, 10, 15), date(2027, 10, 15)],
    ids=["day-before-start", "two-days-after-end", "year-before", "year-after"],
)
def test_termination_outside_the_period(when: date) -> None:
    """A termination date that is neither within the period nor the day after it is refused,
    naming termination.date."""
    with pytest.raises(ContractError) as caught:
        run(Termination(when, D("100.00")))
    assert caught.value.field == "termination.date"
    assert when.isoformat() in caught.value.problem


def test_t06_termination_refund() -> None:
    """t06: terminated on the 21st with 4464.00 prepaid; 20 days served, an hour down on the
    5th credited (6.00), and an outage after the end not credited."""
    outages = [down("2026-10-05T10:00Z", 60), down("2026-10-25T10:00Z", 600)]
    result = run(Termination(date(2026, 10, 21), D("4464.00")), outages)
    assert len(result.days) == 20
    assert result.total_credit == D("6.00")
    refund = refund_of(result)
    assert refund.used == 20 * DAILY - D("6.00")
    assert refund.refund == D("4464.00") - refund.used


def test_negative_refund_clamps_to_zero() -> None:
    """Prepaid less than what was used: the refund is 0, never negative."""
    result = run(Termination(date(2026, 10, 11), D("100.00")))
    refund = refund_of(result)
    assert refund.used == 10 * DAILY
    assert refund.refund == D("0.00")
    assert result_to_json(result)["termination"]["refund"] == "0.00"


def test_refund_exactly_zero() -> None:
    """Prepaid exactly what was used: refund 0."""
    refund = refund_of(run(Termination(date(2026, 10, 11), 10 * DAILY)))
    assert refund.refund == D("0.00")


@pytest.mark.parametrize(
    ("units", "prepaid", "expected"),
    [
        pytest.param(2, "4464.005", "4464.01", id="half-up"),
        pytest.param(2, "4464.004", "4464.00", id="below-half"),
        pytest.param(2, "4464", "4464.00", id="whole"),
        pytest.param(0, "4464.5", "4465", id="no-minor-units"),
        pytest.param(3, "0.0005", "0.001", id="three-minor-units"),
        pytest.param(2, "0", "0.00", id="zero"),
    ],
)
def test_prepaid_is_rounded_to_minor_units(units: int, prepaid: str, expected: str) -> None:
    """prepaid is rounded to minor units, half up, and the refund computed from that."""
    contract = replace(BASIC, minor_units=units)
    result = run(Termination(date(2026, 10, 1), D(prepaid)), contract=contract)
    refund = refund_of(result)
    assert str(refund.prepaid) == expected
    assert str(refund.refund) == expected
    assert result_to_json(result)["termination"]["prepaid"] == expected


@pytest.mark.parametrize("prepaid", [D(-1), D("-0.01"), D("NaN"), D("Infinity")])
def test_prepaid_must_be_a_non_negative_amount(prepaid: Decimal) -> None:
    """A negative or non-finite prepaid is refused, naming termination.prepaid."""
    with pytest.raises(ContractError) as caught:
        Termination(date(2026, 10, 21), prepaid)
    assert caught.value.field == "termination.prepaid"


def test_an_outage_after_the_termination_is_not_credited() -> None:
    """A whole day down after the service ended changes nothing."""
    termination = Termination(date(2026, 10, 21), D("4464.00"))
    quiet = run(termination)
    after = run(termination, [down("2026-10-25T00:00Z", 1440), down("2026-10-21T00:00Z", 30)])
    assert after == quiet
    assert result_to_json(after) == result_to_json(quiet)


def test_an_outage_across_the_termination_is_credited_until_it() -> None:
    """23:50 on the 20th to 00:10 on the 21st: the 10 minutes before the end are credited."""
    result = run(Termination(date(2026, 10, 21), D("4464.00")), [down("2026-10-20T23:50Z", 20)])
    last = result.days[-1]
    assert last.date == date(2026, 10, 20)
    assert (last.credited_minutes, last.credit) == (10, D("1.00"))
    assert refund_of(result).used == 20 * DAILY - D("1.00")


def test_the_service_ends_at_the_local_start_of_the_date() -> None:
    """In Shanghai (+08:00) the 21st starts at 16:00 UTC on the 20th: an outage from 15:50 to
    16:10 UTC is credited 10 minutes, on the local 20th."""
    contract = replace(BASIC, timezone=ZoneInfo("Asia/Shanghai"))
    termination = Termination(date(2026, 10, 21), D("4464.00"))
    result = run(termination, [down("2026-10-20T15:50Z", 20)], contract=contract)
    assert result.days[-1].date == date(2026, 10, 20)
    assert result.total_credit == D("1.00")


def test_used_is_fee_less_credit_with_actual_charges() -> None:
    """The served days' fees come from fees first (C7): used is each day's fee less its
    credit, summed; a capped day uses nothing."""
    contract = replace(BASIC, credit_multiplier=D(100))
    fees = {date(2026, 10, 2): D("150.00"), date(2026, 10, 3): D("0")}
    outages = [down("2026-10-01T10:00Z", 20)]  # 20 min x 100: capped at the day's fee
    result = run(
        Termination(date(2026, 10, 4), D("1000.00")), outages, contract=contract, fees=fees
    )
    assert [d.fee for d in result.days] == [DAILY, D("150.00"), D("0.00")]
    assert [d.credit for d in result.days] == [DAILY, D("0.00"), D("0.00")]
    refund = refund_of(result)
    assert refund.used == D("150.00")
    assert refund.refund == D("850.00")


def test_unserved_days_need_no_fee() -> None:
    """Days after the termination are not computed, so they need no fee."""
    contract = Contract(currency="CNY")
    fees = {date(2026, 10, 1) + timedelta(days=i): DAILY for i in range(3)}
    result = run(Termination(date(2026, 10, 4), D("500.00")), contract=contract, fees=fees)
    assert refund_of(result).used == 3 * DAILY
    with pytest.raises(ContractError) as caught:
        run(None, contract=contract, fees=fees)
    assert caught.value.field == "fees.2026-10-04"


def test_without_termination_there_is_no_refund() -> None:
    """No termination: every day, and no termination in the result or the output."""
    result = run(None)
    assert result.termination is None
    assert len(result.days) == 31
    assert "termination" not in result_to_json(result)


def test_compute_carries_the_termination_under_per_minute() -> None:
    """sla.compute passes the termination to the per-minute rule."""
    termination = Termination(date(2026, 10, 21), D("4464.00"))
    result = compute(BASIC, OCTOBER, [], termination=termination)
    assert result == run(termination)


def test_termination_under_uptime_tiers_is_refused() -> None:
    """The refund is a per_minute rule: under uptime_tiers it is an error naming termination."""
    contract = Contract(
        currency="USD",
        credit_policy=CreditPolicy.UPTIME_TIERS,
        monthly_fee=D("3100.00"),
        tiers=(Tier(D(99), D(10)),),
    )
    with pytest.raises(ContractError) as caught:
        compute(contract, OCTOBER, [], termination=Termination(date(2026, 10, 21), D("1")))
    assert caught.value.field == "termination"
    assert "per_minute" in caught.value.problem


@pytest.mark.parametrize(
    ("units", "expected"),
    [
        (2, {"date": "2026-10-11", "prepaid": "2000.00", "used": "1439.90", "refund": "560.10"}),
        (0, {"date": "2026-10-11", "prepaid": "2000", "used": "1440", "refund": "560"}),
        (3, {"date": "2026-10-11", "prepaid": "2000.000", "used": "1439.900", "refund": "560.100"}),
    ],
)
def test_termination_json(units: int, expected: dict[str, str]) -> None:
    """The output gains termination: date, prepaid, used, refund, money with minor_units
    decimals. One minute down on the 5th: 0.10 credited (0 with no minor units)."""
    contract = replace(BASIC, minor_units=units)
    outage = down("2026-10-05T10:00Z", 1)
    result = run(Termination(date(2026, 10, 11), D("2000")), [outage], contract=contract)
    out = result_to_json(result)
    assert out["termination"] == expected
    assert list(out) == ["currency", "total_credit", "days", "termination"]
    assert [d["date"] for d in out["days"]][-1] == "2026-10-10"


def test_refund_on_a_dst_day() -> None:
    """New York, 138.00 a day: 30 minutes down on 8 March 2026 (a 1380-minute day) is 3.00,
    and used counts that day's fee less 3.00."""
    contract = replace(BASIC, timezone=ZoneInfo("America/New_York"), daily_fee=D("138.00"))
    march = Period(date(2026, 3, 1), date(2026, 3, 31))
    outage = Interval(
        datetime(2026, 3, 8, 16, tzinfo=UTC), datetime(2026, 3, 8, 16, 30, tzinfo=UTC)
    )
    termination = Termination(date(2026, 3, 9), D("1500.00"))
    result = compute_credits(contract, march, [outage], termination=termination)
    assert result.days[-1].credit == D("3.00")
    refund = refund_of(result)
    assert refund.used == 8 * D("138.00") - D("3.00")
    assert refund.refund == D("1500.00") - refund.used

"""``uptime_tiers`` (CREDIT-RULES.md): monthly uptime, tiered credit, month by month.

Unless a case says otherwise the contract is MONTHLY: UTC, 3100.00 a month, tiers 99.99 / 99.0 /
95.0 paying 10 / 30 / 100 %, clock minutes, no minimum, no cap; the month is October 2026, whose
31 days have 44,640 minutes. Every expected figure is worked out from CREDIT-RULES.md.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from math import floor
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from sla import (
    Contract,
    ContractError,
    CreditPolicy,
    DowntimeMinutes,
    Exclusion,
    ExclusionReason,
    GapPolicy,
    Interval,
    Month,
    MonthCredit,
    Period,
    Rounding,
    Tier,
    UptimeResult,
    compute,
    compute_credits,
    compute_uptime_credits,
    format_percent,
    iter_months,
    month_to_json,
    plain_decimal,
    result_to_json,
)

from .support import DAY, US, instant, span

D = Decimal
CLOCK = DowntimeMinutes.CLOCK_MINUTE
WHOLE = DowntimeMinutes.WHOLE_MINUTES
MODES = (CLOCK, WHOLE)
FM = ExclusionReason.FORCE_MAJEURE
MAINTENANCE = ExclusionReason.MAINTENANCE
NEW_YORK = ZoneInfo("America/New_York")
SHANGHAI = ZoneInfo("Asia/Shanghai")

TIERS = (Tier(D("99.99"), D(10)), Tier(D("99.0"), D(30)), Tier(D("95.0"), D(100)))
MONTHLY = Contract(
    currency="USD",
    credit_policy=CreditPolicy.UPTIME_TIERS,
    monthly_fee=D("3100.00"),
    tiers=TIERS,
)
OCTOBER = Period(date(2026, 10, 1), date(2026, 10, 31))
OCTOBER_MINUTES = 31 * 1440
#: 10:00 UTC on 2026-10-05, where most outages start.
TEN = datetime(2026, 10, 5, 10, tzinfo=UTC)
SECOND = timedelta(seconds=1)
HOUR = timedelta(hours=1)


def minutes(count: float, start: datetime = TEN) -> Interval:
    """``count`` minutes of outage from ``start``."""
    return Interval(start, start + timedelta(minutes=count))


def period_of(first: Month, last: Month | None = None) -> Period:
    """The whole months from ``first`` to ``last`` (default: ``first`` alone)."""
    return Period(first.first, (last or first).last)


def month_of(
    contract: Contract,
    outages: list[Interval],
    *,
    period: Period = OCTOBER,
    exclusions: tuple[Exclusion, ...] = (),
    gaps: tuple[Interval, ...] = (),
    fees: dict[Month, Decimal] | None = None,
) -> MonthCredit:
    """The result of a one-month period."""
    result = compute_uptime_credits(
        contract, period, outages, exclusions=exclusions, gaps=gaps, fees=fees
    )
    [month] = result.months
    return month


def uptime(length: int, down: int) -> Fraction:
    """CREDIT-RULES.md's uptime: 100 x (minutes_in_month - downtime_minutes) / minutes_in_month."""
    return Fraction(100 * (length - down), length)


def down_for(count: int, contract: Contract = MONTHLY, period: Period = OCTOBER) -> MonthCredit:
    """The month with ``count`` whole minutes of outage: one stretch from 00:00 UTC on its
    second day, on clock minutes."""
    start = datetime.combine(period.first + timedelta(days=1), time(0), tzinfo=UTC)
    return month_of(contract, [minutes(count, start)] if count else [], period=period)


# ---------------------------------------------------------------------------------------------
# Downtime minutes: clock_minute and whole_minutes

COUNTS = [
    # name, outages on 2026-10-05 (UTC clock times), clock_minute, whole_minutes
    ("60s-across-a-minute", [("10:00:30", "10:01:30")], 2, 1),
    ("59s-in-one-minute", [("10:00:00", "10:00:59")], 1, 0),
    ("five-whole-minutes", [("10:00", "10:05")], 5, 5),
    ("150s", [("10:00:15", "10:02:45")], 3, 2),
    ("two-in-one-minute", [("10:00:10", "10:00:20"), ("10:00:40", "10:00:50")], 1, 0),
    ("two-sharing-a-minute", [("10:00:00", "10:01:20"), ("10:01:40", "10:03:00")], 3, 2),
    ("touching-merge", [("10:00:00", "10:00:30"), ("10:00:30", "10:01:00")], 1, 1),
    ("overlapping-merge", [("10:00:00", "10:00:50"), ("10:00:20", "10:01:20")], 2, 1),
    ("one-microsecond", [("10:00:59.999999", "10:01:00")], 1, 0),
    ("five-59s-apart", [(f"1{h}:00:00", f"1{h}:00:59") for h in range(5)], 5, 0),
    ("none", [], 0, 0),
]


@pytest.mark.parametrize(
    ("pairs", "mode", "expected"),
    [
        pytest.param(pairs, mode, counts[i], id=f"{name}-{mode}")
        for name, pairs, *counts in COUNTS
        for i, mode in enumerate(MODES)
    ],
)
def test_downtime_minutes(
    pairs: list[tuple[str, str]], mode: DowntimeMinutes, expected: int
) -> None:
    """clock_minute counts the clock minutes holding any downtime; whole_minutes each stretch's
    floor(seconds / 60), after touching or overlapping outages merge."""
    contract = replace(MONTHLY, downtime_minutes=mode)
    month = month_of(contract, [span(a, b) for a, b in pairs])
    assert month.downtime_minutes == expected
    assert month.uptime_percent == uptime(OCTOBER_MINUTES, expected)


def test_clock_minute_is_the_default() -> None:
    """Without downtime_minutes, 60 s from 10:00:30 is two clock minutes (t02)."""
    assert MONTHLY.downtime_minutes is None
    assert MONTHLY.counting is CLOCK
    assert month_of(MONTHLY, [span("10:00:30", "10:01:30")]).downtime_minutes == 2


def test_clock_minutes_are_utc_minutes_not_local_ones() -> None:
    """In a zone 44 min 30 s behind UTC (Monrovia, 1970) local minutes are not UTC's: 30 s that
    lie in one UTC minute but in two local ones count one clock minute."""
    zone = ZoneInfo("Africa/Monrovia")
    outage = Interval(instant("1970-06-10T10:00:15Z"), instant("1970-06-10T10:00:45Z"))
    local = (outage.start.astimezone(zone), (outage.end - US).astimezone(zone))
    assert local[0].minute != local[1].minute  # the premise: two local minutes
    contract = replace(MONTHLY, timezone=zone)
    month = month_of(contract, [outage], period=period_of(Month(1970, 6)))
    assert month.minutes_in_month == 30 * 1440
    assert month.downtime_minutes == 1


@pytest.mark.parametrize("mode", MODES)
def test_whole_minutes_example_t03(mode: DowntimeMinutes) -> None:
    """t03: five 59 s outages and one of 2 min 30 s, minimum 1 min: only the long one counts."""
    outages = [Interval(TEN + h * HOUR, TEN + h * HOUR + 59 * SECOND) for h in range(5)]
    outages.append(minutes(2.5, TEN + 6 * HOUR))
    contract = replace(MONTHLY, downtime_minutes=mode, min_downtime_minutes=D(1))
    month = month_of(contract, outages)
    assert month.downtime_minutes == (2 if mode is WHOLE else 3)
    assert month.unavailable == timedelta(seconds=5 * 59 + 150)


# ---------------------------------------------------------------------------------------------
# min_downtime_minutes: stretches judged whole


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("minimum", "length", "counts"),
    [
        pytest.param(D(5), timedelta(minutes=5) - US, False, id="a-microsecond-short"),
        pytest.param(D(5), timedelta(minutes=5), True, id="exactly-the-minimum"),
        pytest.param(D("0.5"), timedelta(seconds=30) - US, False, id="fractional-short"),
        pytest.param(D("0.5"), timedelta(seconds=90), True, id="fractional-enough"),
        # 0.000000055 min is 3.3 us: a 3 us stretch is shorter, a 4 us one is not.
        pytest.param(D("0.000000055"), timedelta(microseconds=3), False, id="3us-of-3.3us"),
        pytest.param(D("0.000000055"), timedelta(microseconds=4), True, id="4us-of-3.3us"),
        pytest.param(D(0), US, True, id="no-minimum"),
    ],
)
def test_a_stretch_shorter_than_the_minimum_counts_nothing(
    mode: DowntimeMinutes, minimum: Decimal, length: timedelta, counts: bool
) -> None:
    """A stretch shorter than min_downtime_minutes counts no minute, yet stays unavailable (not
    excluded); one at least that long counts as usual."""
    start = TEN + timedelta(seconds=10)
    contract = replace(MONTHLY, downtime_minutes=mode, min_downtime_minutes=minimum)
    month = month_of(contract, [Interval(start, start + length)])
    alone = month_of(
        replace(contract, min_downtime_minutes=None), [Interval(start, start + length)]
    )
    assert month.downtime_minutes == (alone.downtime_minutes if counts else 0)
    assert month.unavailable == length
    assert month.excluded == timedelta(0)
    if not counts:
        assert month.uptime_percent == 100
        assert month.counted == ()


@pytest.mark.parametrize(
    ("zone", "boundary"),
    [
        pytest.param(UTC, "2026-11-01T00:00:00Z", id="utc"),
        pytest.param(SHANGHAI, "2026-10-31T16:00:00Z", id="shanghai-local-midnight"),
    ],
)
@pytest.mark.parametrize(("minimum", "each"), [(D(10), 5), (D("10.000001"), 0), (None, 5)])
def test_a_stretch_across_months_is_judged_whole(
    zone: ZoneInfo, boundary: str, minimum: Decimal | None, each: int
) -> None:
    """10 minutes of outage across the local month boundary: 5 in October and 5 in November,
    counted in both when the whole 10 minutes reach the minimum, in neither otherwise."""
    middle = instant(boundary)
    outage = Interval(middle - timedelta(minutes=5), middle + timedelta(minutes=5))
    contract = replace(MONTHLY, timezone=zone, min_downtime_minutes=minimum)
    for mode in MODES:
        result = compute_uptime_credits(
            replace(contract, downtime_minutes=mode),
            period_of(Month(2026, 10), Month(2026, 11)),
            [outage],
        )
        assert [m.downtime_minutes for m in result.months] == [each, each]
        assert [m.unavailable for m in result.months] == [timedelta(minutes=5)] * 2


def test_a_stretch_is_judged_whole_across_the_period_start() -> None:
    """An outage from 23:58 on 30 September: its 5 minutes reach a 5-minute minimum, and the
    3 of them in October count, though September is outside the period."""
    outage = minutes(5, instant("2026-09-30T23:58:00Z"))
    month = month_of(replace(MONTHLY, min_downtime_minutes=D(5)), [outage])
    assert month.downtime_minutes == 3
    assert month.unavailable == timedelta(minutes=3)


@pytest.mark.parametrize(
    ("minimum", "exclusion", "expected", "excluded"),
    [
        pytest.param(None, ("10:04", "10:05"), 9, 60, id="split-no-minimum"),
        pytest.param(D(5), ("10:04", "10:05"), 5, 60, id="split-only-the-5-min-half"),
        pytest.param(D(4), ("10:04", "10:05"), 9, 60, id="split-both-halves"),
        pytest.param(D(6), ("10:04", "10:05"), 0, 60, id="split-neither-half"),
        pytest.param(D(5), ("10:00", "10:06"), 0, 360, id="trimmed-to-4-min"),
        pytest.param(D(4), ("09:00", "10:06"), 4, 360, id="trimmed-to-the-minimum"),
        pytest.param(D(10), ("11:00", "12:00"), 10, 0, id="apart-from-it"),
    ],
)
def test_exclusions_split_and_trim_stretches(
    minimum: Decimal | None, exclusion: tuple[str, str], expected: int, excluded: int
) -> None:
    """A stretch is a maximal interval of creditable time: an accepted exclusion inside an outage
    10:00-10:10 leaves two stretches, each judged alone against the minimum."""
    contract = replace(MONTHLY, min_downtime_minutes=minimum)
    fm = Exclusion(span(*exclusion), FM)
    month = month_of(contract, [span("10:00", "10:10")], exclusions=(fm,))
    assert month.downtime_minutes == expected
    assert month.unavailable == timedelta(minutes=10)
    assert month.excluded == timedelta(seconds=excluded)


def test_touching_outages_make_one_stretch() -> None:
    """Two 3-minute outages that touch are one 6-minute stretch: it reaches a 5-minute minimum
    that neither reaches alone."""
    contract = replace(MONTHLY, min_downtime_minutes=D(5))
    touching = [minutes(3), minutes(3, TEN + timedelta(minutes=3))]
    apart = [minutes(3), minutes(3, TEN + timedelta(minutes=3, microseconds=1))]
    assert month_of(contract, touching).downtime_minutes == 6
    assert month_of(contract, apart).downtime_minutes == 0


@pytest.mark.parametrize(
    ("policy", "minimum", "expected", "unavailable"),
    [
        pytest.param(GapPolicy.DOWN, None, 15, 900, id="down"),
        pytest.param(GapPolicy.EXCLUDE, None, 5, 300, id="exclude"),
        pytest.param(GapPolicy.DOWN, D(10), 15, 900, id="down-gap-joins-the-stretch"),
        pytest.param(GapPolicy.EXCLUDE, D(10), 0, 300, id="exclude-too-short-alone"),
    ],
)
def test_gaps(policy: GapPolicy, minimum: Decimal | None, expected: int, unavailable: int) -> None:
    """p11 under uptime_tiers: a gap 12:00-12:10 then an outage 12:10-12:15; under gap_policy
    down the gap is downtime and joins the outage's stretch."""
    contract = replace(MONTHLY, gap_policy=policy, min_downtime_minutes=minimum)
    month = month_of(contract, [span("12:10", "12:15")], gaps=(span("12:00", "12:10"),))
    assert month.downtime_minutes == expected
    assert month.unavailable == timedelta(seconds=unavailable)


def test_a_gap_alone_counts_only_under_gap_policy_down() -> None:
    """Unmeasured time is neither up nor down unless the contract says down."""
    gaps = (span("12:00", "12:10"),)
    assert month_of(MONTHLY, [], gaps=gaps).downtime_minutes == 0
    down = month_of(replace(MONTHLY, gap_policy=GapPolicy.DOWN), [], gaps=gaps)
    assert down.downtime_minutes == 10


@pytest.mark.parametrize(
    ("window", "notice_hours", "outage", "expected", "excluded"),
    [
        pytest.param(("02:00", "03:00"), 48, ("02:30", "03:30"), 30, 1800, id="p04-announced"),
        pytest.param(("02:00", "03:00"), 2, ("02:30", "03:30"), 60, 0, id="p05-late"),
        pytest.param(("02:00", "08:00"), 48, ("02:00", "08:00"), 120, 240 * 60, id="p06-max"),
    ],
)
def test_maintenance_is_accepted_by_the_per_minute_rules(
    window: tuple[str, str],
    notice_hours: int,
    outage: tuple[str, str],
    expected: int,
    excluded: int,
) -> None:
    """Exclusions are accepted by the same rules as under per_minute (C6): notice, first
    maintenance_max_minutes."""
    start = span(*window)
    announced = start.start - timedelta(hours=notice_hours)
    exclusion = Exclusion(start, MAINTENANCE, announced)
    month = month_of(MONTHLY, [span(*outage)], exclusions=(exclusion,))
    assert month.downtime_minutes == expected
    assert month.excluded == timedelta(seconds=excluded)


@pytest.mark.parametrize(("ahead", "expected"), [(3, 60), (4, 30)])
def test_a_notice_shorter_than_required_by_a_fraction_of_a_microsecond(
    ahead: int, expected: int
) -> None:
    """0.0000000009 hours is 3.24 us: a maintenance announced 3 us before its start was announced
    too late; 4 us before is in time."""
    contract = replace(MONTHLY, maintenance_notice_hours=D("0.0000000009"))
    window = span("02:00", "02:30")
    exclusion = Exclusion(window, MAINTENANCE, window.start - ahead * US)
    month = month_of(contract, [span("02:00", "03:00")], exclusions=(exclusion,))
    assert month.downtime_minutes == expected


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param({}, 90, id="as-written"),
        pytest.param({"min_downtime_minutes": D("1E+999999999")}, 0, id="huge-minimum"),
        pytest.param({"maintenance_notice_hours": D("1E+999999999")}, 120, id="huge-notice"),
        pytest.param({"maintenance_max_minutes": D("1E+999999999")}, 60, id="huge-maximum"),
        pytest.param({"min_downtime_minutes": D("1E-999999999")}, 90, id="tiny-minimum"),
        pytest.param({"maintenance_notice_hours": D("1E-999999999")}, 90, id="tiny-notice"),
    ],
)
def test_huge_and_tiny_terms(changes: dict[str, Any], expected: int) -> None:
    """Terms beyond any calendar saturate rather than fail: a huge minimum lets nothing count,
    a huge notice is never given, a huge maximum is no limit; tiny ones are nearly none.
    Two hours down from 02:00, the first hour a maintenance announced 3 days ahead, of which
    30 minutes may be excluded."""
    contract = replace(MONTHLY, **{"maintenance_max_minutes": D(30), **changes})
    window = span("02:00", "03:00")
    exclusion = Exclusion(window, MAINTENANCE, window.start - timedelta(days=3))
    month = month_of(contract, [span("02:00", "04:00")], exclusions=(exclusion,))
    assert month.downtime_minutes == expected


# ---------------------------------------------------------------------------------------------
# Minutes in the month (local, DST-aware)


@pytest.mark.parametrize(
    ("zone", "month", "expected"),
    [
        pytest.param(NEW_YORK, Month(2026, 3), 44_580, id="new-york-march-spring-forward"),
        pytest.param(NEW_YORK, Month(2026, 11), 43_260, id="new-york-november-fall-back"),
        pytest.param(NEW_YORK, Month(2026, 10), 44_640, id="new-york-october"),
        pytest.param(UTC, Month(2026, 10), 44_640, id="utc-october"),
        pytest.param(ZoneInfo("Europe/London"), Month(2026, 10), 44_700, id="london-october"),
        pytest.param(ZoneInfo("Australia/Lord_Howe"), Month(2026, 10), 44_610, id="lord-howe"),
        pytest.param(UTC, Month(2026, 2), 40_320, id="february"),
        pytest.param(UTC, Month(2028, 2), 41_760, id="leap-february"),
        pytest.param(SHANGHAI, Month(2026, 10), 44_640, id="shanghai"),
    ],
)
def test_minutes_in_month(zone: ZoneInfo, month: Month, expected: int) -> None:
    """The local month's length, DST-aware: New York's March loses an hour, November gains one."""
    result = month_of(replace(MONTHLY, timezone=zone), [], period=period_of(month))
    assert result.minutes_in_month == expected
    assert result.uptime_percent == 100


@pytest.mark.parametrize(
    ("zone", "down", "percent"),
    [
        pytest.param(NEW_YORK, 445, D(10), id="ny-445-still-99"),
        pytest.param(NEW_YORK, 446, D(30), id="ny-446-below-99-t04"),
        pytest.param(UTC, 446, D(10), id="utc-446-still-99"),
        pytest.param(UTC, 447, D(30), id="utc-447-below-99"),
    ],
)
def test_the_dst_month_decides_the_tier(zone: ZoneInfo, down: int, percent: Decimal) -> None:
    """t04: 446 minutes in New York's 44,580-minute March is just below 99 %; in a 44,640-minute
    UTC March the same 446 minutes are not."""
    march = period_of(Month(2026, 3))
    start = instant("2026-03-10T12:00:00Z")
    month = month_of(replace(MONTHLY, timezone=zone), [minutes(down, start)], period=march)
    length = 44_580 if zone is NEW_YORK else 44_640
    assert month.uptime_percent == uptime(length, down)
    assert month.credit_percent == percent
    assert month.credit == D("3100.00") * percent / 100


def test_the_month_is_local() -> None:
    """In Shanghai (+08:00) October starts at 16:00 UTC on 30 September and ends at 16:00 UTC on
    31 October: downtime is counted in the local month it falls in."""
    contract = replace(MONTHLY, timezone=SHANGHAI)
    first_local_hour = minutes(60, instant("2026-09-30T16:30:00Z"))
    november_local = minutes(60, instant("2026-10-31T16:30:00Z"))
    month = month_of(contract, [first_local_hour, november_local])
    assert month.downtime_minutes == 60
    assert month.unavailable == timedelta(hours=1)


# ---------------------------------------------------------------------------------------------
# Tiers, the cap, the next tier


def test_aws_style_month_t01() -> None:
    """t01: 45 minutes down in October: uptime 99.8992 %, below 99.99 only: 10 % of 3100.00."""
    month = down_for(45)
    assert month.downtime_minutes == 45
    assert month.uptime_percent == uptime(OCTOBER_MINUTES, 45)
    assert format_percent(month.uptime_percent) == "99.8992"
    assert month.credit_percent == 10
    assert month.credit == D("310.00")
    assert month.tier == Tier(D("99.99"), D(10))
    assert not month.capped


@pytest.mark.parametrize(
    ("down", "percent"),
    [
        (0, 0),
        (4, 0),  # 99.99104 %: not below 99.99
        (5, 10),  # 99.98880 %
        (446, 10),  # 99.00090 %
        (447, 30),  # 98.99866 %
        (2232, 30),  # exactly 95 %: not below 95
        (2233, 100),
        (20_000, 100),
    ],
)
def test_tier_by_downtime(down: int, percent: int) -> None:
    """The credit percentage is that of the tiers whose below exceeds the exact uptime."""
    month = down_for(down)
    assert month.downtime_minutes == down
    assert month.credit_percent == percent
    assert month.credit == D("3100.00") * percent / 100


@pytest.mark.parametrize("down", [215, 216, 217])
def test_uptime_exactly_at_a_tier_boundary_does_not_match(down: int) -> None:
    """November has 43,200 minutes: 216 minutes down is exactly 99.5 % uptime, which is not
    below 99.5; 217 is."""
    contract = replace(MONTHLY, tiers=(Tier(D("99.5"), D(25)),))
    month = down_for(down, contract, period_of(Month(2026, 11)))
    assert month.uptime_percent == uptime(43_200, down)
    assert (month.uptime_percent == Fraction(995, 10)) is (down == 216)
    assert month.credit_percent == (25 if down > 216 else 0)


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
@pytest.mark.parametrize("down", [0, 5, 447, 2233])
def test_tier_order_does_not_matter(order: tuple[int, ...], down: int) -> None:
    """The largest percentage among the matching tiers applies, whatever the list's order."""
    contract = replace(MONTHLY, tiers=tuple(TIERS[i] for i in order))
    month = down_for(down, contract)
    reference = down_for(down)
    assert month_to_json(month, 2) == month_to_json(reference, 2)
    assert (month.tier, month.next_tier) == (reference.tier, reference.next_tier)
    assert month.minutes_to_next_tier() == reference.minutes_to_next_tier()


def test_largest_percentage_not_the_tightest_tier() -> None:
    """A schedule whose stricter tier pays less: below 99 both tiers match, and the larger
    percentage (50, of the 99.9 tier) applies, not the 99 tier's 10."""
    contract = replace(MONTHLY, tiers=(Tier(D("99.9"), D(50)), Tier(D(99), D(10))))
    assert down_for(100, contract).credit_percent == 50  # 99.776 %: the 99.9 tier only
    month = down_for(1000, contract)  # 97.76 %: both
    assert month.credit_percent == 50
    assert month.tier == Tier(D("99.9"), D(50))
    assert month.next_tier is None


def test_no_matching_tier() -> None:
    """Uptime above every tier: no tier, 0 %, nothing credited, not capped."""
    month = down_for(4)
    assert month.tier is None
    assert month.credit_percent == 0
    assert month.credit == D("0.00")
    assert not month.capped


@pytest.mark.parametrize(
    ("cap", "down", "percent", "capped"),
    [
        pytest.param(D(50), 2233, D(50), True, id="100-capped-to-50"),
        pytest.param(D(50), 447, D(30), False, id="30-under-50"),
        pytest.param(D(30), 447, D(30), False, id="30-at-30-not-capped"),
        pytest.param(D(0), 2233, D(0), True, id="cap-zero"),
        pytest.param(D("12.5"), 2233, D("12.5"), True, id="fractional-cap"),
        pytest.param(D(50), 0, D(0), False, id="no-tier"),
        pytest.param(D(100), 2233, D(100), False, id="cap-100"),
    ],
)
def test_max_credit_percent(cap: Decimal, down: int, percent: Decimal, capped: bool) -> None:
    """The tier's percentage is capped at max_credit_percent; capped says the cap bit."""
    month = down_for(down, replace(MONTHLY, max_credit_percent=cap))
    assert month.credit_percent == percent
    assert month.capped is capped
    assert month.credit == D("3100.00") * percent / 100


@pytest.mark.parametrize(
    ("cap", "down", "next_tier", "to_next"),
    [
        # floor(44640 x 0.0001) = 4, floor(44640 x 0.01) = 446, floor(44640 x 0.05) = 2232.
        pytest.param(None, 0, Tier(D("99.99"), D(10)), 4, id="none-yet"),
        pytest.param(None, 3, Tier(D("99.99"), D(10)), 1, id="one-more-minute"),
        pytest.param(None, 4, Tier(D("99.99"), D(10)), 0, id="at-the-edge"),
        pytest.param(None, 45, Tier(D("99.0"), D(30)), 401, id="t01"),
        pytest.param(None, 447, Tier(D("95.0"), D(100)), 1785, id="at-30"),
        pytest.param(None, 2233, None, None, id="top-tier"),
        pytest.param(D(30), 45, Tier(D("99.0"), D(30)), 401, id="cap-30-at-10"),
        pytest.param(D(30), 447, None, None, id="cap-30-at-30-nothing-raises"),
        pytest.param(D(10), 0, Tier(D("99.99"), D(10)), 4, id="cap-10-at-0"),
        pytest.param(D(10), 5, None, None, id="cap-10-at-10"),
        pytest.param(D(0), 0, None, None, id="cap-0"),
    ],
)
def test_next_tier(
    cap: Decimal | None, down: int, next_tier: Tier | None, to_next: int | None
) -> None:
    """The next tier is the first that raises the credit (after the cap) as uptime falls; the
    month can take floor(minutes_in_month x (1 - below / 100)) - downtime_minutes more minutes
    before it applies. Checked by adding that many minutes, then one more."""
    contract = replace(MONTHLY, max_credit_percent=cap)
    month = down_for(down, contract)
    assert month.next_tier == next_tier
    assert month.minutes_to_next_tier() == to_next
    if to_next is not None:
        assert next_tier is not None
        assert to_next == floor(OCTOBER_MINUTES * (1 - Fraction(next_tier.below) / 100)) - down
        assert down_for(down + to_next, contract).credit_percent == month.credit_percent
        raised = down_for(down + to_next + 1, contract)
        assert raised.credit_percent == min(next_tier.percent, contract.credit_cap)


def test_next_tier_of_tiers_sharing_a_boundary() -> None:
    """Two tiers below 99: both apply at once, so the next tier is the one paying more."""
    contract = replace(MONTHLY, tiers=(Tier(D(99), D(10)), Tier(D(99), D(30))))
    month = down_for(0, contract)
    assert month.next_tier == Tier(D(99), D(30))
    assert month.minutes_to_next_tier() == 446
    assert down_for(447, contract).credit_percent == 30


def test_next_tier_skips_a_tier_that_pays_no_more() -> None:
    """A tier paying 0 % raises nothing: the next tier is the first that pays."""
    contract = replace(MONTHLY, tiers=(Tier(D("99.99"), D(0)), Tier(D(99), D(25))))
    month = down_for(10, contract)
    assert month.tier == Tier(D("99.99"), D(0))
    assert month.next_tier == Tier(D(99), D(25))
    assert month.minutes_to_next_tier() == 436


def test_minutes_to_next_tier_in_a_dst_month() -> None:
    """New York's March: floor(44,580 x 0.01) = 445 minutes before the 99 % tier applies."""
    contract = replace(MONTHLY, timezone=NEW_YORK, tiers=(Tier(D(99), D(30)),))
    march = down_for(0, contract, period_of(Month(2026, 3)))
    assert march.minutes_to_next_tier() == 445


def test_a_100_percent_tier_credits_any_downtime() -> None:
    """below 100: one clock minute of downtime in a month is enough."""
    contract = replace(MONTHLY, tiers=(Tier(D(100), D(5)),))
    assert down_for(0, contract).credit_percent == 0
    assert down_for(0, contract).minutes_to_next_tier() == 0
    one = month_of(contract, [Interval(TEN, TEN + US)])
    assert (one.downtime_minutes, one.credit_percent, one.credit) == (1, D(5), D("155.00"))


# ---------------------------------------------------------------------------------------------
# The charge: fees by month, monthly_fee, rounding


def test_month_fees_override_monthly_fee() -> None:
    """A month's entry in fees is its charge; the other months use monthly_fee."""
    period = period_of(Month(2026, 10), Month(2026, 11))
    outages = [minutes(45), minutes(45, instant("2026-11-05T10:00:00Z"))]
    fees = {Month(2026, 11): D("2000.00")}
    result = compute_uptime_credits(MONTHLY, period, outages, fees=fees)
    october, november = result.months
    assert (october.charge, october.charge_from_fees, october.credit) == (
        D("3100.00"),
        False,
        D("310.00"),
    )
    assert (november.charge, november.charge_from_fees, november.credit) == (
        D("2000.00"),
        True,
        D("200.00"),
    )
    assert result.total_credit == D("510.00")


def test_fees_alone_may_give_every_month() -> None:
    """Without monthly_fee, fees must give each month's charge."""
    contract = replace(MONTHLY, monthly_fee=None)
    period = period_of(Month(2026, 10), Month(2026, 11))
    fees = {Month(2026, 10): D("100.00"), Month(2026, 11): D("200.00")}
    result = compute_uptime_credits(contract, period, [minutes(45)], fees=fees)
    assert [m.charge for m in result.months] == [D("100.00"), D("200.00")]


def test_a_month_without_a_charge_names_its_fees_entry() -> None:
    """No monthly_fee and no fees entry for November: an error naming fees.2026-11."""
    contract = replace(MONTHLY, monthly_fee=None)
    period = period_of(Month(2026, 10), Month(2026, 11))
    with pytest.raises(ContractError) as caught:
        compute_uptime_credits(contract, period, [], fees={Month(2026, 10): D("100.00")})
    assert caught.value.field == "fees.2026-11"
    assert "monthly_fee" in str(caught.value)


@pytest.mark.parametrize(
    ("units", "fee", "tier", "charge", "credit"),
    [
        # The charge is rounded first: 0.125 -> 0.13; 50 % of it is 0.065 -> 0.07 (half up),
        # where 50 % of the unrounded 0.125 would give 0.06.
        pytest.param(2, "0.125", "50", "0.13", "0.07", id="charge-rounded-first"),
        pytest.param(2, "0.05", "10", "0.05", "0.01", id="credit-half-up"),
        pytest.param(2, "0.04", "10", "0.04", "0.00", id="credit-below-half"),
        pytest.param(0, "3100.5", "10", "3101", "310", id="no-minor-units"),
        pytest.param(3, "3100.0005", "10", "3100.001", "310.000", id="three-minor-units"),
        pytest.param(2, "3100", "33.333", "3100.00", "1033.32", id="fractional-percent"),
    ],
)
def test_charge_and_credit_rounding(
    units: int, fee: str, tier: str, charge: str, credit: str
) -> None:
    """The charge is rounded to minor units half up, then the credit once, half up."""
    contract = replace(
        MONTHLY, minor_units=units, monthly_fee=D(fee), tiers=(Tier(D(100), D(tier)),)
    )
    month = down_for(1, contract)
    assert (str(month.charge), str(month.credit)) == (charge, credit)
    assert month_to_json(month, units)["credit"] == credit


def test_month_fee_is_rounded_too() -> None:
    """A fees entry is rounded to minor units like monthly_fee."""
    fees = {Month(2026, 10): D("99.995")}
    month = month_of(MONTHLY, [], fees=fees)
    assert str(month.charge) == "100.00"


@pytest.mark.parametrize(
    ("contract", "fees", "field"),
    [
        pytest.param(MONTHLY, {DAY: D("100")}, "fees.2026-10-05", id="day-key-under-tiers"),
        pytest.param(
            Contract(currency="USD", daily_fee=D(144)),
            {Month(2026, 10): D("100")},
            "fees.2026-10",
            id="month-key-under-per-minute",
        ),
        pytest.param(MONTHLY, {Month(2026, 10): D(-1)}, "fees.2026-10", id="negative"),
        pytest.param(MONTHLY, {Month(2026, 10): D("NaN")}, "fees.2026-10", id="not-a-number"),
    ],
)
def test_fee_keys_follow_the_policy(
    contract: Contract, fees: dict[Any, Decimal], field: str
) -> None:
    """uptime_tiers bills by month, per_minute by day: the other key is an error naming it."""
    with pytest.raises(ContractError) as caught:
        compute(contract, OCTOBER, [], fees=fees)
    assert caught.value.field == field
    if "key" in str(caught.value):
        expected = "YYYY-MM)" if contract is MONTHLY else "YYYY-MM-DD"
        assert expected in str(caught.value)


# ---------------------------------------------------------------------------------------------
# The period: whole months


@pytest.mark.parametrize(
    ("first", "last", "field"),
    [
        pytest.param(date(2026, 10, 2), date(2026, 10, 31), "period.start", id="late-start"),
        pytest.param(date(2026, 10, 1), date(2026, 10, 30), "period.end", id="early-end"),
        pytest.param(date(2026, 10, 15), date(2026, 10, 15), "period.start", id="one-day"),
        pytest.param(date(2028, 2, 1), date(2028, 2, 28), "period.end", id="leap-feb-28"),
        pytest.param(date(2026, 10, 1), date(2026, 11, 1), "period.end", id="a-day-over"),
    ],
)
def test_the_period_must_be_whole_months(first: date, last: date, field: str) -> None:
    """The period starts on a month's first day and ends on a month's last day."""
    with pytest.raises(ContractError) as caught:
        compute_uptime_credits(MONTHLY, Period(first, last), [])
    assert caught.value.field == field


def test_leap_february_is_a_whole_month() -> None:
    """1 to 29 February 2028 is a whole month of 41,760 minutes."""
    result = compute_uptime_credits(MONTHLY, Period(date(2028, 2, 1), date(2028, 2, 29)), [])
    assert [m.minutes_in_month for m in result.months] == [41_760]


def test_multi_month_period() -> None:
    """October to December: one entry per month, in order; an outage from 23:30 on 31 October
    to 00:30 on 1 November is 30 minutes in each; the total is the sum of the credits."""
    period = period_of(Month(2026, 10), Month(2026, 12))
    across = minutes(60, instant("2026-10-31T23:30:00Z"))
    december = minutes(447, instant("2026-12-10T00:00:00Z"))
    result = compute_uptime_credits(MONTHLY, period, [across, december])
    assert [str(m.month) for m in result.months] == ["2026-10", "2026-11", "2026-12"]
    assert [m.minutes_in_month for m in result.months] == [44_640, 43_200, 44_640]
    assert [m.downtime_minutes for m in result.months] == [30, 30, 447]
    assert [m.credit_percent for m in result.months] == [10, 10, 30]
    assert [m.credit for m in result.months] == [D("310.00"), D("310.00"), D("930.00")]
    assert result.total_credit == D("1550.00")


def test_months_across_a_year() -> None:
    """November 2026 to February 2027, in order."""
    period = period_of(Month(2026, 11), Month(2027, 2))
    result = compute_uptime_credits(MONTHLY, period, [])
    assert [str(m.month) for m in result.months] == ["2026-11", "2026-12", "2027-01", "2027-02"]
    assert result.total_credit == D("0.00")
    assert str(result.total_credit) == "0.00"


# ---------------------------------------------------------------------------------------------
# One entry point; the contract's field rules


def test_compute_dispatches_on_the_policy() -> None:
    """sla.compute gives monthly results under uptime_tiers, daily ones under per_minute."""
    monthly = compute(MONTHLY, OCTOBER, [minutes(45)])
    assert isinstance(monthly, UptimeResult)
    assert monthly == compute_uptime_credits(MONTHLY, OCTOBER, [minutes(45)])
    daily = compute(Contract(currency="USD", daily_fee=D(144)), OCTOBER, [minutes(45)])
    assert not isinstance(daily, UptimeResult)
    assert len(daily.days) == 31


def test_each_engine_refuses_the_other_policy() -> None:
    """compute_uptime_credits needs uptime_tiers; compute_credits needs per_minute."""
    with pytest.raises(ContractError) as caught:
        compute_uptime_credits(Contract(currency="USD", daily_fee=D(1)), OCTOBER, [])
    assert caught.value.field == "contract.credit_policy"
    with pytest.raises(ContractError) as caught:
        compute_credits(MONTHLY, OCTOBER, [])
    assert caught.value.field == "contract.credit_policy"


PER_MINUTE = Contract(currency="USD", daily_fee=D(144))


@pytest.mark.parametrize(
    ("base", "changes", "field", "problem"),
    [
        (PER_MINUTE, {"tiers": TIERS}, "contract.tiers", "uptime_tiers, not per_minute"),
        (PER_MINUTE, {"downtime_minutes": WHOLE}, "contract.downtime_minutes", "uptime_tiers"),
        (PER_MINUTE, {"min_downtime_minutes": D(0)}, "contract.min_downtime_minutes", "uptime"),
        (PER_MINUTE, {"max_credit_percent": D(50)}, "contract.max_credit_percent", "uptime"),
        (MONTHLY, {"daily_fee": D(1)}, "contract.daily_fee", "per_minute, not uptime_tiers"),
        (MONTHLY, {"rounding": Rounding.PER_DAY}, "contract.rounding", "per_minute"),
        (MONTHLY, {"credit_multiplier": D(2)}, "contract.credit_multiplier", "per_minute"),
        (MONTHLY, {"tiers": ()}, "contract.tiers", "at least one tier"),
        (MONTHLY, {"tiers": (Tier(D(0), D(10)),)}, "contract.tiers[0].below", "more than 0"),
        (MONTHLY, {"tiers": (Tier(D("100.01"), D(10)),)}, "contract.tiers[0].below", "100"),
        (MONTHLY, {"tiers": (Tier(D("NaN"), D(10)),)}, "contract.tiers[0].below", "percentage"),
        (MONTHLY, {"tiers": (*TIERS[:1], Tier(D(99), D(-1)))}, "contract.tiers[1].percent", "0"),
        (MONTHLY, {"tiers": (Tier(D(99), D(101)),)}, "contract.tiers[0].percent", "0 to 100"),
        (MONTHLY, {"min_downtime_minutes": D(-1)}, "contract.min_downtime_minutes", "negative"),
        (MONTHLY, {"min_downtime_minutes": D("Inf")}, "contract.min_downtime_minutes", "neg"),
        (MONTHLY, {"max_credit_percent": D(101)}, "contract.max_credit_percent", "0 to 100"),
        (MONTHLY, {"max_credit_percent": D(-1)}, "contract.max_credit_percent", "0 to 100"),
        (MONTHLY, {"monthly_fee": D(-1)}, "contract.monthly_fee", "non-negative"),
    ],
)
def test_contract_field_rules(
    base: Contract, changes: dict[str, Any], field: str, problem: str
) -> None:
    """Each policy reads only its own fields, and checks their values; errors name the field."""
    with pytest.raises(ContractError) as caught:
        replace(base, **changes)
    assert caught.value.field == field
    assert problem in caught.value.problem


@pytest.mark.parametrize(
    "changes",
    [
        {"tiers": (Tier(D(100), D(0)),)},
        {"tiers": (Tier(D("0.0001"), D(100)),)},
        {"max_credit_percent": D(0)},
        {"max_credit_percent": D(100)},
        {"min_downtime_minutes": D(0)},
        {"monthly_fee": None},
        {"rounding": Rounding.PER_OUTAGE, "credit_multiplier": D("1.00")},
    ],
)
def test_contract_accepts_boundary_values(changes: dict[str, Any]) -> None:
    """Boundaries that the rules allow, and the per-minute fields left at their defaults."""
    replace(MONTHLY, **changes)


def test_tier_defaults() -> None:
    """clock_minute, no minimum, a cap of 100 % when the fields are not given."""
    assert (MONTHLY.counting, MONTHLY.min_downtime, MONTHLY.credit_cap) == (
        CLOCK,
        timedelta(0),
        D(100),
    )
    fractional = replace(MONTHLY, min_downtime_minutes=D("0.5"), max_credit_percent=D(25))
    assert (fractional.min_downtime, fractional.credit_cap) == (timedelta(seconds=30), D(25))


# ---------------------------------------------------------------------------------------------
# Months


@pytest.mark.parametrize(("year", "month"), [(2026, 13), (2026, 0), (0, 1), (10000, 1)])
def test_month_refuses_what_is_not_a_calendar_month(year: int, month: int) -> None:
    """Month names a real calendar month."""
    with pytest.raises(ContractError) as caught:
        Month(year, month)
    assert caught.value.field == "month"


def test_month_basics() -> None:
    """YYYY-MM, its first and last days, the month of a day, and order."""
    assert str(Month(987, 1)) == "0987-01"
    assert str(Month(2026, 10)) == "2026-10"
    assert (Month(2028, 2).first, Month(2028, 2).last) == (date(2028, 2, 1), date(2028, 2, 29))
    assert Month.of(date(2026, 12, 31)) == Month(2026, 12)
    assert Month(2026, 12) < Month(2027, 1)
    span_ny = Month(2026, 3).span(NEW_YORK)
    assert (span_ny.start, span_ny.end) == (
        instant("2026-03-01T05:00:00Z"),
        instant("2026-04-01T04:00:00Z"),
    )


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        (date(2026, 10, 15), date(2026, 10, 20), ["2026-10"]),
        (date(2026, 12, 31), date(2027, 1, 1), ["2026-12", "2027-01"]),
        (date(2026, 11, 1), date(2027, 2, 28), ["2026-11", "2026-12", "2027-01", "2027-02"]),
        (date(2026, 11, 1), date(2026, 10, 31), []),
    ],
)
def test_iter_months(first: date, last: date, expected: list[str]) -> None:
    """Every month from that of first to that of last, both included."""
    assert [str(m) for m in iter_months(first, last)] == expected


# ---------------------------------------------------------------------------------------------
# Output

MONTH_FIELDS = [
    "month",
    "minutes_in_month",
    "charge",
    "unavailable_seconds",
    "excluded_seconds",
    "downtime_minutes",
    "uptime_percent",
    "credit_percent",
    "credit",
]


def test_month_json_of_t01() -> None:
    """t01's month prints exactly CREDIT-RULES.md's example entry, fields in its order."""
    result = compute_uptime_credits(MONTHLY, OCTOBER, [minutes(45)])
    assert result_to_json(result) == {
        "currency": "USD",
        "total_credit": "310.00",
        "months": [
            {
                "month": "2026-10",
                "minutes_in_month": 44640,
                "charge": "3100.00",
                "unavailable_seconds": 2700.0,
                "excluded_seconds": 0.0,
                "downtime_minutes": 45,
                "uptime_percent": "99.8992",
                "credit_percent": "10",
                "credit": "310.00",
            }
        ],
    }
    assert list(month_to_json(result.months[0], 2)) == MONTH_FIELDS
    assert "days" not in result_to_json(result)
    assert "termination" not in result_to_json(result)


@pytest.mark.parametrize(
    ("month", "down", "expected"),
    [
        pytest.param(Month(2026, 10), 0, "100.0000", id="no-downtime"),
        pytest.param(Month(2026, 10), 45, "99.8992", id="99.89919-rounds-up"),
        # February 2026 has 40,320 minutes: 189 down is exactly 99.53125 %, which half up
        # gives 99.5313 (half to even would give 99.5312).
        pytest.param(Month(2026, 2), 189, "99.5313", id="exact-half-rounds-up"),
        pytest.param(Month(2026, 2), 63, "99.8438", id="exact-half-odd"),
        pytest.param(Month(2026, 10), 44_640, "0.0000", id="all-down"),
    ],
)
def test_uptime_percent_has_4_decimals_half_up(month: Month, down: int, expected: str) -> None:
    """uptime_percent is the exact uptime to 4 decimals, rounded half up, for reading only."""
    start = datetime(month.year, month.month, 1, tzinfo=UTC)
    result = month_of(MONTHLY, [minutes(down, start)] if down else [], period=period_of(month))
    assert result.downtime_minutes == down
    assert month_to_json(result, 2)["uptime_percent"] == expected


@pytest.mark.parametrize(
    ("percent", "cap", "expected"),
    [
        (D(10), None, "10"),
        (D("10.0"), None, "10"),
        (D("12.50"), None, "12.5"),
        (D("100.00"), None, "100"),
        (D("0.000"), None, "0"),
        (D(100), D("7.250"), "7.25"),
        (D("33.333"), None, "33.333"),
    ],
)
def test_credit_percent_without_trailing_zeros(
    percent: Decimal, cap: Decimal | None, expected: str
) -> None:
    """credit_percent is a plain decimal string: no exponent, no trailing zeros."""
    contract = replace(MONTHLY, tiers=(Tier(D(100), percent),), max_credit_percent=cap)
    month = down_for(1, contract)
    assert month_to_json(month, 2)["credit_percent"] == expected


def test_credit_percent_without_a_tier_is_zero() -> None:
    """No tier applies: "0"."""
    assert month_to_json(down_for(0), 2)["credit_percent"] == "0"


def test_fractional_minutes_in_month_print_as_a_number() -> None:
    """Monrovia moved from -00:44:30 to UTC on 7 January 1972: that month has 44,595.5 minutes,
    and the output gives the number as it is."""
    contract = replace(MONTHLY, timezone=ZoneInfo("Africa/Monrovia"))
    month = month_of(contract, [], period=period_of(Month(1972, 1)))
    assert month.minutes_in_month == Fraction(89_191, 2)
    assert month_to_json(month, 2)["minutes_in_month"] == 44_595.5


def test_output_seconds_and_excluded_time() -> None:
    """unavailable_seconds is all outage time in the month, excluded_seconds the part the
    accepted exclusions remove; a too-short stretch is unavailable, not excluded."""
    contract = replace(MONTHLY, min_downtime_minutes=D(5))
    outages = [span("10:00:00", "10:10:00"), span("11:00:00", "11:00:30.5")]
    exclusions = (Exclusion(span("10:00", "10:02"), FM),)
    month = month_of(contract, outages, exclusions=exclusions)
    entry = month_to_json(month, 2)
    assert entry["unavailable_seconds"] == 630.5
    assert entry["excluded_seconds"] == 120.0
    assert entry["downtime_minutes"] == 8


@pytest.mark.parametrize(
    ("value", "expected"),
    [(D("1E+2"), "100"), (D("0.0"), "0"), (D("12.500"), "12.5"), (D("0.05"), "0.05")],
)
def test_plain_decimal(value: Decimal, expected: str) -> None:
    """Neither exponent nor trailing zeros."""
    assert plain_decimal(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Fraction(100), "100.0000"),
        (Fraction(199_999, 2000), "99.9995"),
        (Fraction(1_999_999, 20_000), "100.0000"),  # 99.99995: half up
        (Fraction(99_999_949, 1_000_000), "99.9999"),
        (Fraction(1, 3), "0.3333"),
        (Fraction(2, 3), "0.6667"),
        (Fraction(0), "0.0000"),
    ],
)
def test_format_percent(value: Fraction, expected: str) -> None:
    """Four decimals, half up."""
    assert format_percent(value) == expected


@pytest.mark.parametrize("reverse", [False, True])
def test_the_tier_applied_among_equal_percentages_is_the_first_reached(reverse: bool) -> None:
    """Tiers below 99.9 and below 99 both paying 10 %: at 97.76 % uptime the one applied is the
    99.9 tier, the first uptime fell below, whichever is listed first."""
    tiers = (Tier(D(99), D(10)), Tier(D("99.9"), D(10)))
    contract = replace(MONTHLY, tiers=tiers[::-1] if reverse else tiers)
    month = down_for(1000, contract)
    assert month.tier == Tier(D("99.9"), D(10))
    assert month.credit_percent == 10

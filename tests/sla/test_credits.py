"""The credit rules of CREDIT-RULES.md, table by table: minutes, exclusions, gaps, days, fees, money.

Unless a case says otherwise the contract is BASIC: UTC, 144.00 a day, so on a 1440-minute day one
credited minute is worth exactly 0.10. Every expected figure is worked out from CREDIT-RULES.md.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest

from sla import (
    Contract,
    ContractError,
    Exclusion,
    ExclusionReason,
    FeeSource,
    GapPolicy,
    Interval,
    Period,
    Rounding,
    compute_credits,
    creditable_minutes,
    day_span,
)

from .support import BASIC, DAY, MIDNIGHT, NEXT_DAY, US, at, instant, one_day, span

D = Decimal
MODES = (Rounding.PER_OUTAGE, Rounding.PER_DAY, Rounding.CLOCK_MINUTE)
PREVIOUS_DAY = date(2026, 10, 4)
WHOLE_DAY = Interval(MIDNIGHT, MIDNIGHT + timedelta(days=1))
FM = ExclusionReason.FORCE_MAJEURE
MAINTENANCE = ExclusionReason.MAINTENANCE


def spans(*pairs: tuple[str, str]) -> list[Interval]:
    """UTC intervals on DAY from pairs of clock times."""
    return [span(start, end) for start, end in pairs]


def by_mode(
    table: list[tuple[str, list[Interval], list[Exclusion], tuple[int, int, int]]],
) -> list[object]:
    """One case per rounding mode: (outages, exclusions, mode, expected minutes)."""
    return [
        pytest.param(outages, exclusions, mode, expected, id=f"{name}-{mode}")
        for name, outages, exclusions, counts in table
        for mode, expected in zip(MODES, counts, strict=True)
    ]


# ---------------------------------------------------------------------------------------------
# Minutes (C1): per_outage, per_day, clock_minute; expected counts in that order.

ROUNDING = by_mode(
    [
        ("p01-450-seconds", spans(("10:00:00", "10:07:30")), [], (8, 8, 8)),
        (
            "p03-two-30s-in-adjacent-minutes",
            spans(("10:00:00", "10:00:30"), ("10:01:00", "10:01:30")),
            [],
            (2, 1, 2),
        ),
        ("one-minute-and-1us", spans(("10:00:00", "10:01:00.000001")), [], (2, 2, 2)),
        ("2us-across-a-minute", spans(("10:00:59.999999", "10:01:00.000001")), [], (1, 1, 2)),
        ("exactly-one-minute", spans(("10:00", "10:01")), [], (1, 1, 1)),
        ("half-a-second", spans(("10:00:00.250000", "10:00:00.750000")), [], (1, 1, 1)),
        (
            "three-20s-outages",
            spans(("10:00:00", "10:00:20"), ("10:05:00", "10:05:20"), ("10:10:00", "10:10:20")),
            [],
            (3, 1, 3),
        ),
        (
            "two-outages-in-one-clock-minute",
            spans(("10:00:05", "10:00:15"), ("10:00:30", "10:00:40")),
            [],
            (2, 1, 1),
        ),
        ("120s-over-three-clock-minutes", spans(("10:00:30", "10:02:30")), [], (2, 2, 3)),
        (
            "overlapping-merge-before-rounding",
            spans(("10:00:00", "10:00:40"), ("10:00:20", "10:00:50")),
            [],
            (1, 1, 1),
        ),
        (
            "touching-merge-before-rounding",
            spans(("10:00:00", "10:00:30"), ("10:00:30", "10:01:00")),
            [],
            (1, 1, 1),
        ),
        (
            "fractional-seconds",
            spans(("10:00:00.500000", "10:00:30.250000"), ("10:00:40.100000", "10:01:10.100000")),
            [],
            (2, 1, 2),
        ),
        (
            "per-day-1us-over-a-minute",
            spans(("10:00:00", "10:00:30"), ("11:00:00", "11:00:30.000001")),
            [],
            (2, 2, 2),
        ),
        ("no-outage", [], [], (0, 0, 0)),
        ("zero-length-outage", spans(("10:00", "10:00")), [], (0, 0, 0)),
        # Exclusions are removed first, then each merged outage is rounded once.
        (
            "p13-split-by-exclusion",
            spans(("10:00:00", "10:00:50")),
            [Exclusion(span("10:00:20", "10:00:30"), FM)],
            (1, 1, 1),
        ),
        (
            "p10-overlap-force-majeure",
            spans(("10:00", "10:20"), ("10:10", "10:30")),
            [Exclusion(span("10:25", "11:00"), FM)],
            (25, 25, 25),
        ),
        (
            "exclusion-across-a-minute",
            spans(("10:00:30", "10:01:30")),
            [Exclusion(span("10:00:50", "10:01:10"), FM)],
            (1, 1, 2),
        ),
        (
            "exclusion-between-two-outages",
            spans(("10:00:00", "10:00:40"), ("10:00:50", "10:01:30")),
            [Exclusion(span("10:00:30", "10:01:00"), FM)],
            (2, 1, 2),
        ),
        (
            "exclusion-covers-all",
            spans(("10:00:00", "10:00:50")),
            [Exclusion(span("09:00", "11:00"), FM)],
            (0, 0, 0),
        ),
    ]
)


@pytest.mark.parametrize(("outages", "exclusions", "rounding", "expected"), ROUNDING)
def test_rounding_to_whole_minutes(
    outages: list[Interval], exclusions: list[Exclusion], rounding: Rounding, expected: int
) -> None:
    """Creditable time becomes whole minutes by the contract's rounding mode (C1)."""
    day = one_day(replace(BASIC, rounding=rounding), outages, exclusions=exclusions)
    assert day.credited_minutes == expected
    assert day.credit == D(expected) * D("0.10")


MIDNIGHT_SPLITS = [
    pytest.param(outage, mode, first, second, id=f"{name}-{mode}")
    for name, outage, first, second in [
        ("p02-midnight", Interval(at("23:58:30"), at("00:03:10", NEXT_DAY)), 2, 4),
        ("20s-across-midnight", Interval(at("23:59:50"), at("00:00:10", NEXT_DAY)), 1, 1),
    ]
    for mode in MODES
]


@pytest.mark.parametrize(("outage", "rounding", "first", "second"), MIDNIGHT_SPLITS)
def test_outage_across_midnight_is_split(
    outage: Interval, rounding: Rounding, first: int, second: int
) -> None:
    """Each day rounds its own part of an outage; nothing carries into the next day (C1)."""
    result = compute_credits(replace(BASIC, rounding=rounding), Period(DAY, NEXT_DAY), [outage])
    assert [d.credited_minutes for d in result.days] == [first, second]
    assert result.total_credit == D(first + second) * D("0.10")


def test_p02_midnight_figures() -> None:
    """p02: 23:58:30 to 00:03:10 credits 2 min (0.20) then 4 min (0.40)."""
    outage = Interval(at("23:58:30"), at("00:03:10", NEXT_DAY))
    first, second = compute_credits(BASIC, Period(DAY, NEXT_DAY), [outage]).days
    assert first.unavailable == timedelta(seconds=90)
    assert second.unavailable == timedelta(seconds=190)
    assert (first.credit, second.credit) == (D("0.20"), D("0.40"))


@pytest.mark.parametrize(
    ("rounding", "expected"),
    [
        pytest.param(Rounding.PER_OUTAGE, 1, id="per-outage-one-merged-outage"),
        pytest.param(Rounding.CLOCK_MINUTE, 2, id="clock-minute-two-local-minutes"),
    ],
)
def test_clock_minutes_are_local(rounding: Rounding, expected: int) -> None:
    """Clock minutes follow the zone's clock: at -00:44:30 they start at :30 s past UTC minutes."""
    # Liberia in 1970 kept -00:44:30: 10:00:00-10:00:40 UTC is 09:15:30-09:16:10 local.
    contract = Contract(
        currency="LRD",
        timezone=ZoneInfo("Africa/Monrovia"),
        daily_fee=D("1440.00"),
        rounding=rounding,
    )
    outage = Interval(instant("1970-06-01T10:00:00+00:00"), instant("1970-06-01T10:00:40+00:00"))
    day = one_day(contract, [outage], day=date(1970, 6, 1))
    assert day.minutes_in_day == 1440
    assert day.credited_minutes == expected
    assert day.credit == D(expected)


def test_clock_minutes_across_fall_back() -> None:
    """Across a DST fall-back, 01:59 EDT and 01:00 EST are two different clock minutes."""
    contract = Contract(
        currency="USD",
        timezone=ZoneInfo("America/New_York"),
        daily_fee=D("150.00"),
        rounding=Rounding.CLOCK_MINUTE,
    )
    outage = Interval(instant("2026-11-01T01:59:30-04:00"), instant("2026-11-01T01:00:30-05:00"))
    day = one_day(contract, [outage], day=date(2026, 11, 1))
    assert day.unavailable == timedelta(seconds=60)
    assert day.credited_minutes == 2
    # 2 x 150.00 / 1500
    assert day.credit == D("0.20")


def test_bridging_two_outages_lowers_per_outage_minutes() -> None:
    """per_outage rounds each merged outage: filling the hole between two merges them (C1)."""
    apart = spans(("10:00:00", "10:00:10"), ("10:00:20", "10:00:30"))
    bridged = [*apart, span("10:00:10", "10:00:20")]
    assert one_day(BASIC, apart).credited_minutes == 2
    assert one_day(BASIC, bridged).credited_minutes == 1


@pytest.mark.parametrize(
    ("rounding", "expected"),
    [
        pytest.param(Rounding.PER_OUTAGE, 2, id="per_outage"),
        pytest.param(Rounding.PER_DAY, 1, id="per_day"),
        pytest.param(Rounding.CLOCK_MINUTE, 2, id="clock_minute"),
    ],
)
def test_creditable_minutes_clips_to_the_day(rounding: Rounding, expected: int) -> None:
    """creditable_minutes counts only the day's part of each outage, excluded time removed."""
    outages = (
        Interval(at("23:59:30", PREVIOUS_DAY), at("00:00:30")),
        span("10:00:00", "10:00:20"),
    )
    excluded = (span("10:00:10", "10:00:20"),)
    minutes, pieces = creditable_minutes(
        replace(BASIC, rounding=rounding), outages, excluded, day_span(DAY, BASIC.timezone)
    )
    assert minutes == expected
    assert pieces == (span("00:00:00", "00:00:30"), span("10:00:00", "10:00:10"))


# ---------------------------------------------------------------------------------------------
# Exclusions (C5, C6)

OUTAGE_0230 = span("02:30", "03:30")
WINDOW_02 = span("02:00", "03:00")


@pytest.mark.parametrize(
    ("reason", "announced_at", "minutes", "excluded_seconds"),
    [
        pytest.param(MAINTENANCE, at("02:00", date(2026, 10, 3)), 30, 1800, id="p04-48h-notice"),
        pytest.param(MAINTENANCE, at("02:00", PREVIOUS_DAY), 30, 1800, id="exactly-24h-notice"),
        pytest.param(MAINTENANCE, at("02:00", PREVIOUS_DAY) + US, 60, 0, id="24h-minus-1us"),
        pytest.param(MAINTENANCE, at("00:00"), 60, 0, id="p05-late-notice"),
        pytest.param(MAINTENANCE, None, 60, 0, id="never-announced"),
        pytest.param(MAINTENANCE, at("02:10"), 60, 0, id="announced-after-start"),
        pytest.param(FM, None, 30, 1800, id="force-majeure-unannounced"),
        pytest.param(ExclusionReason.CUSTOMER, at("02:10"), 30, 1800, id="customer-late"),
        pytest.param(ExclusionReason.THIRD_PARTY, at("01:00"), 30, 1800, id="third-party-1h"),
    ],
)
def test_exclusion_acceptance(
    reason: ExclusionReason, announced_at: datetime | None, minutes: int, excluded_seconds: int
) -> None:
    """Maintenance counts only with notice; other reasons are excluded fully, always (C5, C6)."""
    day = one_day(BASIC, [OUTAGE_0230], exclusions=[Exclusion(WINDOW_02, reason, announced_at)])
    assert day.unavailable == timedelta(hours=1)
    assert day.excluded == timedelta(seconds=excluded_seconds)
    assert day.credited_minutes == minutes
    assert day.credit == D(minutes) * D("0.10")


SIX_HOURS = span("10:00", "16:00")
ANNOUNCED = at("10:00", date(2026, 10, 3))


@pytest.mark.parametrize(
    ("max_minutes", "outage", "minutes", "excluded_seconds"),
    [
        pytest.param(D(240), SIX_HOURS, 120, 14400, id="p06-max-240"),
        pytest.param(None, SIX_HOURS, 0, 21600, id="null-no-limit"),
        pytest.param(D(0), SIX_HOURS, 360, 0, id="max-zero"),
        pytest.param(D(360), SIX_HOURS, 0, 21600, id="max-equals-window"),
        pytest.param(D("90.5"), SIX_HOURS, 270, 5430, id="fractional-max"),
        pytest.param(D(240), span("13:00", "15:00"), 60, 3600, id="first-minutes-not-outage"),
        pytest.param(D(240), span("14:00", "15:00"), 60, 0, id="after-the-reasonable-period"),
    ],
)
def test_maintenance_maximum(
    max_minutes: Decimal | None, outage: Interval, minutes: int, excluded_seconds: int
) -> None:
    """Only the window's first maintenance_max_minutes are excluded (C6's reasonable period)."""
    contract = replace(BASIC, maintenance_max_minutes=max_minutes)
    day = one_day(contract, [outage], exclusions=[Exclusion(SIX_HOURS, MAINTENANCE, ANNOUNCED)])
    assert day.excluded == timedelta(seconds=excluded_seconds)
    assert day.credited_minutes == minutes


def test_maintenance_maximum_across_midnight() -> None:
    """A 22:00-04:00 window with max 240 excludes 22:00-02:00: all of day 1, half of day 2."""
    window = Interval(at("22:00"), at("04:00", NEXT_DAY))
    exclusion = Exclusion(window, MAINTENANCE, at("22:00", date(2026, 10, 1)))
    result = compute_credits(BASIC, Period(DAY, NEXT_DAY), [window], exclusions=[exclusion])
    first, second = result.days
    assert (first.unavailable, first.excluded) == (timedelta(hours=2), timedelta(hours=2))
    assert (first.credited_minutes, first.credit) == (0, D("0.00"))
    assert (second.unavailable, second.excluded) == (timedelta(hours=4), timedelta(hours=2))
    assert (second.credited_minutes, second.credit) == (120, D("12.00"))
    assert result.total_credit == D("12.00")


def test_each_maintenance_window_has_its_own_maximum() -> None:
    """Two announced windows with max 60 exclude the first hour of each."""
    contract = replace(BASIC, maintenance_max_minutes=D(60))
    exclusions = [
        Exclusion(span("10:00", "16:00"), MAINTENANCE, ANNOUNCED),
        Exclusion(span("18:00", "20:00"), MAINTENANCE, ANNOUNCED),
    ]
    day = one_day(contract, spans(("10:00", "20:00")), exclusions=exclusions)
    assert day.excluded == timedelta(hours=2)
    assert day.credited_minutes == 480
    assert day.credit == D("48.00")


def test_creditable_pieces_leave_out_excluded_time() -> None:
    """DayCredit.creditable is the unavailable time minus the accepted exclusions."""
    day = one_day(
        BASIC, spans(("10:00", "10:30")), exclusions=[Exclusion(span("10:10", "10:20"), FM)]
    )
    assert day.creditable == (span("10:00", "10:10"), span("10:20", "10:30"))
    assert day.unavailable == timedelta(minutes=30)
    assert day.excluded == timedelta(minutes=10)
    assert day.credited_minutes == 20


def test_refused_maintenance_excludes_nothing() -> None:
    """A late maintenance leaves the whole outage creditable and excluded_seconds at zero."""
    late = Exclusion(WINDOW_02, MAINTENANCE, at("01:00"))
    day = one_day(BASIC, [OUTAGE_0230], exclusions=[late])
    assert day.creditable == (OUTAGE_0230,)
    assert day.excluded == timedelta(0)


# ---------------------------------------------------------------------------------------------
# Gaps ("Not measured is not up")


@pytest.mark.parametrize(
    ("policy", "gaps", "outages", "minutes", "unavailable_seconds"),
    [
        pytest.param(
            GapPolicy.DOWN, spans(("12:00", "12:10")), spans(("12:10", "12:15")), 15, 900, id="p11a"
        ),
        pytest.param(
            GapPolicy.EXCLUDE,
            spans(("12:00", "12:10")),
            spans(("12:10", "12:15")),
            5,
            300,
            id="p11b",
        ),
        pytest.param(
            GapPolicy.DOWN,
            spans(("12:00:00", "12:00:30")),
            spans(("12:00:30", "12:01:00")),
            1,
            60,
            id="down-touching-gap-merges",
        ),
        pytest.param(
            GapPolicy.EXCLUDE,
            spans(("12:00:00", "12:00:30")),
            spans(("12:00:30", "12:01:00")),
            1,
            30,
            id="exclude-touching-gap-ignored",
        ),
        pytest.param(
            GapPolicy.DOWN,
            spans(("12:00:00", "12:00:20")),
            spans(("12:00:40", "12:01:00")),
            2,
            40,
            id="down-separate-gap-own-outage",
        ),
        pytest.param(
            GapPolicy.DOWN, spans(("12:00:00", "12:02:30")), [], 3, 150, id="down-gap-alone"
        ),
        pytest.param(
            GapPolicy.EXCLUDE, spans(("12:00:00", "12:02:30")), [], 0, 0, id="exclude-gap-alone"
        ),
        pytest.param(
            GapPolicy.DOWN,
            spans(("12:00", "12:10")),
            spans(("12:05", "12:15")),
            15,
            900,
            id="down-overlap-counted-once",
        ),
    ],
)
def test_gap_policy(
    policy: GapPolicy,
    gaps: list[Interval],
    outages: list[Interval],
    minutes: int,
    unavailable_seconds: int,
) -> None:
    """Under gap_policy down gaps are outage time (merging with it); under exclude they are not."""
    day = one_day(replace(BASIC, gap_policy=policy), outages, gaps=gaps)
    assert day.unavailable == timedelta(seconds=unavailable_seconds)
    assert day.credited_minutes == minutes


def test_gap_counted_down_can_be_excluded() -> None:
    """A gap counted as down is still removed where a force majeure exclusion covers it."""
    contract = replace(BASIC, gap_policy=GapPolicy.DOWN)
    day = one_day(
        contract,
        [],
        gaps=spans(("12:00", "12:10")),
        exclusions=[Exclusion(span("12:00", "12:05"), FM)],
    )
    assert (day.unavailable, day.excluded) == (timedelta(minutes=10), timedelta(minutes=5))
    assert day.credited_minutes == 5


# ---------------------------------------------------------------------------------------------
# Days: the period, DST, outages outside


def test_outages_outside_the_period_are_ignored() -> None:
    """Outages before or after the period, or touching its edges, earn nothing."""
    outages = [
        Interval(at("10:00", PREVIOUS_DAY), at("11:00", PREVIOUS_DAY)),
        Interval(at("23:00", PREVIOUS_DAY), MIDNIGHT),
        Interval(at("00:00", NEXT_DAY), at("01:00", NEXT_DAY)),
        Interval(at("10:00", NEXT_DAY), at("11:00", NEXT_DAY)),
    ]
    day = one_day(BASIC, outages)
    assert day.unavailable == timedelta(0)
    assert day.credited_minutes == 0
    assert day.credit == 0


def test_outage_clipped_to_the_period() -> None:
    """Only the part of an outage inside the period counts."""
    day = one_day(BASIC, [Interval(at("23:50", PREVIOUS_DAY), at("00:10"))])
    assert day.unavailable == timedelta(minutes=10)
    assert day.credit == D("1.00")


def test_outage_longer_than_the_day_is_the_whole_day() -> None:
    """An outage from two days before to two days after credits exactly the day's 1440 minutes."""
    outage = Interval(MIDNIGHT - timedelta(days=2), MIDNIGHT + timedelta(days=3))
    day = one_day(BASIC, [outage])
    assert day.unavailable == timedelta(days=1)
    assert (day.credited_minutes, day.credit, day.capped) == (1440, D("144.00"), False)


def test_days_follow_the_contract_time_zone() -> None:
    """In Asia/Shanghai, 2026-10-05 runs from 16:00 UTC the day before to 16:00 UTC."""
    contract = replace(BASIC, timezone=ZoneInfo("Asia/Shanghai"))
    outages = [
        Interval(instant("2026-10-04T23:00:00+00:00"), instant("2026-10-05T01:00:00+00:00")),
        Interval(instant("2026-10-05T17:00:00+00:00"), instant("2026-10-05T18:00:00+00:00")),
        Interval(instant("2026-10-04T15:00:00+00:00"), instant("2026-10-04T15:59:00+00:00")),
    ]
    day = one_day(contract, outages)
    assert day.unavailable == timedelta(hours=2)
    assert (day.credited_minutes, day.credit) == (120, D("12.00"))


def test_every_day_of_the_period_is_listed_in_order() -> None:
    """Days without downtime are listed too, in date order."""
    result = compute_credits(BASIC, Period(PREVIOUS_DAY, NEXT_DAY), spans(("10:00", "10:07:30")))
    assert [d.date for d in result.days] == [PREVIOUS_DAY, DAY, NEXT_DAY]
    assert [d.credit for d in result.days] == [D("0.00"), D("0.80"), D("0.00")]
    assert [d.credited_minutes for d in result.days] == [0, 8, 0]
    assert result.total_credit == D("0.80")
    assert result.currency == "CNY"


def test_total_is_the_sum_of_rounded_daily_credits() -> None:
    """Three days of 2.875 each are 2.88 each, and the total is 8.64, not 8.625 rounded."""
    contract = replace(BASIC, daily_fee=D("138.00"))
    days = [PREVIOUS_DAY, DAY, NEXT_DAY]
    outages = [Interval(at("10:00", d), at("10:30", d)) for d in days]
    result = compute_credits(contract, Period(days[0], days[-1]), outages)
    assert [d.credit for d in result.days] == [D("2.88")] * 3
    assert result.total_credit == D("8.64")


@pytest.mark.parametrize(
    ("minor_units", "expected"),
    [
        pytest.param(0, "0", id="minor-0"),
        pytest.param(2, "0.00", id="minor-2"),
        pytest.param(3, "0.000", id="minor-3"),
    ],
)
def test_total_of_nothing_has_the_minor_units(minor_units: int, expected: str) -> None:
    """A period without downtime totals zero, written with the currency's minor units."""
    contract = replace(BASIC, minor_units=minor_units)
    total = compute_credits(contract, Period(DAY, NEXT_DAY), []).total_credit
    assert total == 0
    assert str(total) == expected


DST = [
    pytest.param(
        "America/New_York",
        "138.00",
        [
            ("2026-03-08T12:00:00-04:00", "2026-03-08T12:30:00-04:00"),
            ("2026-03-09T12:00:00-04:00", "2026-03-09T12:30:00-04:00"),
        ],
        [(date(2026, 3, 8), "1380", 30, "3.00"), (date(2026, 3, 9), "1440", 30, "2.88")],
        id="p07-dst-spring-forward-new-york",
    ),
    pytest.param(
        "America/New_York",
        "150.00",
        [("2026-11-01T01:30:00-04:00", "2026-11-01T01:30:00-05:00")],
        [(date(2026, 11, 1), "1500", 60, "6.00")],
        id="dst-fall-back-repeated-hour-new-york",
    ),
    pytest.param(
        "Europe/London",
        "138.00",
        [("2026-03-29T00:30:00+00:00", "2026-03-29T02:30:00+01:00")],
        [(date(2026, 3, 29), "1380", 60, "6.00")],
        id="dst-spring-forward-london",
    ),
    pytest.param(
        "Europe/London",
        "150.00",
        [("2026-10-25T01:30:00+01:00", "2026-10-25T01:30:00+00:00")],
        [(date(2026, 10, 25), "1500", 60, "6.00")],
        id="dst-fall-back-london",
    ),
    pytest.param(
        "Australia/Sydney",
        "150.00",
        [("2026-04-05T02:30:00+11:00", "2026-04-05T02:30:00+10:00")],
        [(date(2026, 4, 5), "1500", 60, "6.00")],
        id="dst-southern-fall-back-sydney",
    ),
    pytest.param(
        "Australia/Sydney",
        "138.00",
        [("2026-10-04T01:30:00+10:00", "2026-10-04T03:30:00+11:00")],
        [(date(2026, 10, 4), "1380", 60, "6.00")],
        id="dst-southern-spring-forward-sydney",
    ),
    pytest.param(
        "Australia/Lord_Howe",
        "141.00",
        [("2026-10-04T12:00:00+11:00", "2026-10-04T12:10:00+11:00")],
        [(date(2026, 10, 4), "1410", 10, "1.00")],
        id="dst-lord-howe-1410",
    ),
    pytest.param(
        "Australia/Lord_Howe",
        "147.00",
        [("2026-04-05T12:00:00+10:30", "2026-04-05T12:10:00+10:30")],
        [(date(2026, 4, 5), "1470", 10, "1.00")],
        id="dst-lord-howe-1470",
    ),
    pytest.param(
        "America/Santiago",
        "138.00",
        [("2024-09-07T23:50:00-04:00", "2024-09-08T01:10:00-03:00")],
        [(date(2024, 9, 7), "1440", 10, "0.96"), (date(2024, 9, 8), "1380", 10, "1.00")],
        id="midnight-skipped-santiago",
    ),
    pytest.param(
        "America/Havana",
        "138.00",
        [("2024-03-09T23:50:00-05:00", "2024-03-10T01:10:00-04:00")],
        [(date(2024, 3, 9), "1440", 10, "0.96"), (date(2024, 3, 10), "1380", 10, "1.00")],
        id="midnight-skipped-havana",
    ),
    pytest.param(
        "America/Havana",
        "150.00",
        [("2024-11-03T00:30:00-04:00", "2024-11-03T00:30:00-05:00")],
        [(date(2024, 11, 2), "1440", 0, "0.00"), (date(2024, 11, 3), "1500", 60, "6.00")],
        id="midnight-twice-havana",
    ),
    pytest.param(
        "Asia/Beirut",
        "150.00",
        [("2024-10-26T23:30:00+03:00", "2024-10-26T23:30:00+02:00")],
        [(date(2024, 10, 26), "1500", 60, "6.00")],
        id="hour-before-midnight-twice-beirut",
    ),
    pytest.param(
        "Africa/Monrovia",
        "139.55",
        [("1972-01-07T10:00:00+00:00", "1972-01-07T10:10:00+00:00")],
        [(date(1972, 1, 7), "1395.5", 10, "1.00")],
        id="fractional-minute-day-monrovia",
    ),
]


@pytest.mark.parametrize(("zone", "fee", "outages", "expected"), DST)
def test_credit_on_local_days(
    zone: str,
    fee: str,
    outages: list[tuple[str, str]],
    expected: list[tuple[date, str, int, str]],
) -> None:
    """The divisor is the local day's real length: 1380, 1410, 1440, 1470 or 1500 minutes."""
    contract = Contract(currency="USD", timezone=ZoneInfo(zone), daily_fee=D(fee))
    intervals = [Interval(instant(start), instant(end)) for start, end in outages]
    result = compute_credits(contract, Period(expected[0][0], expected[-1][0]), intervals)
    got = [(d.date, d.minutes_in_day, d.credited_minutes, d.credit) for d in result.days]
    assert got == [(day, Fraction(m), n, D(c)) for day, m, n, c in expected]


# ---------------------------------------------------------------------------------------------
# Fees (C7): fees entry > daily_fee > monthly_fee / days in month, each rounded first

OCT = date(2026, 10, 5)


def terms(daily: str | None = None, monthly: str | None = None, minor_units: int = 2) -> Contract:
    """A UTC contract with the given standing fees."""
    return Contract(
        currency="CNY",
        minor_units=minor_units,
        daily_fee=None if daily is None else D(daily),
        monthly_fee=None if monthly is None else D(monthly),
    )


# Rows stay on few lines so the table reads as one (hence fmt: skip below).
@pytest.mark.parametrize(
    ("contract", "fees", "day", "fee", "source"),
    [
        pytest.param(
            terms("144.00", "3100.00"), {OCT: D("150.00")}, OCT, "150.00", FeeSource.FEES,
            id="fees-entry-first",
        ),
        pytest.param(
            terms("144.00"), {OCT: D(0)}, OCT, "0.00", FeeSource.FEES, id="fees-entry-zero-first"
        ),
        pytest.param(
            terms("144.00", "3100.00"), {}, OCT, "144.00", FeeSource.DAILY_FEE,
            id="daily-before-monthly",
        ),
        pytest.param(
            terms("144.00"), {date(2026, 10, 6): D("1.00")}, OCT, "144.00", FeeSource.DAILY_FEE,
            id="other-days-entry-ignored",
        ),
        pytest.param(
            terms(monthly="3100.00"), None, OCT, "100.00", FeeSource.MONTHLY_FEE,
            id="p09-monthly-october",
        ),
        pytest.param(
            terms(monthly="100.00"), None, OCT, "3.23", FeeSource.MONTHLY_FEE,
            id="monthly-100-over-31-days",
        ),
        pytest.param(
            terms(monthly="100.00"), None, date(2026, 4, 5), "3.33", FeeSource.MONTHLY_FEE,
            id="monthly-100-over-30-days",
        ),
        pytest.param(
            terms(monthly="100.00"), None, date(2026, 2, 5), "3.57", FeeSource.MONTHLY_FEE,
            id="monthly-february-28",
        ),
        pytest.param(
            terms(monthly="100.00"), None, date(2028, 2, 29), "3.45", FeeSource.MONTHLY_FEE,
            id="monthly-leap-day-2028",
        ),
        pytest.param(
            terms(monthly="100.00"), None, date(2100, 2, 28), "3.57", FeeSource.MONTHLY_FEE,
            id="monthly-2100-not-leap",
        ),
        pytest.param(
            terms(monthly="100.00"), None, date(2000, 2, 29), "3.45", FeeSource.MONTHLY_FEE,
            id="monthly-2000-leap",
        ),
        pytest.param(
            terms(monthly="100", minor_units=0), None, OCT, "3", FeeSource.MONTHLY_FEE,
            id="monthly-minor-units-0",
        ),
        pytest.param(
            terms(monthly="100.000", minor_units=3), None, OCT, "3.226", FeeSource.MONTHLY_FEE,
            id="monthly-minor-units-3",
        ),
        pytest.param(
            terms(monthly="0.155"), None, OCT, "0.01", FeeSource.MONTHLY_FEE,
            id="monthly-exact-half-up",
        ),
        pytest.param(
            terms("144.00"), {OCT: D("150.005")}, OCT, "150.01", FeeSource.FEES,
            id="fees-entry-half-up",
        ),
        pytest.param(
            terms("144.005"), None, OCT, "144.01", FeeSource.DAILY_FEE, id="daily-half-up"
        ),
        pytest.param(
            terms("144.5", minor_units=0), None, OCT, "145", FeeSource.DAILY_FEE,
            id="daily-minor-0-half-up",
        ),
        pytest.param(
            terms("1.2345", minor_units=3), None, OCT, "1.235", FeeSource.DAILY_FEE,
            id="daily-minor-3-half-up",
        ),
    ],
)  # fmt: skip
def test_fee_of_a_day(
    contract: Contract, fees: dict[date, Decimal] | None, day: date, fee: str, source: FeeSource
) -> None:
    """A day's fee is its fees entry, else daily_fee, else monthly_fee / days, rounded first."""
    result = one_day(contract, [], fees=fees, day=day)
    assert result.fee == D(fee)
    assert result.fee.as_tuple().exponent == -contract.minor_units
    assert result.fee_source is source


def test_monthly_fee_across_a_leap_february() -> None:
    """290.00 a month is 10.00 a day through Feb 29 2028 and 9.35 on March 1."""
    contract = terms(monthly="290.00")
    outage = Interval(instant("2028-02-29T12:00:00+00:00"), instant("2028-02-29T14:24:00+00:00"))
    result = compute_credits(contract, Period(date(2028, 2, 28), date(2028, 3, 1)), [outage])
    assert [(d.date, d.fee) for d in result.days] == [
        (date(2028, 2, 28), D("10.00")),
        (date(2028, 2, 29), D("10.00")),
        (date(2028, 3, 1), D("9.35")),
    ]
    # 144 minutes x 10.00 / 1440
    assert result.days[1].credit == D("1.00")
    assert result.total_credit == D("1.00")


def test_monthly_fee_in_2100_february() -> None:
    """2100 is not a leap year: February has 28 days, so 280.00 a month is 10.00 a day."""
    result = compute_credits(
        terms(monthly="280.00"), Period(date(2100, 2, 28), date(2100, 3, 1)), []
    )
    assert [(d.date, d.fee) for d in result.days] == [
        (date(2100, 2, 28), D("10.00")),
        (date(2100, 3, 1), D("9.03")),
    ]


# ---------------------------------------------------------------------------------------------
# Money (C1, C2): min(fee, minutes x fee x multiplier / minutes_in_day), rounded once, half up

TEN_MINUTES = spans(("10:00", "10:10"))
ONE_MINUTE = spans(("10:00", "10:01"))


# Rows stay on few lines so the table reads as one (hence fmt: skip below).
@pytest.mark.parametrize(
    ("contract", "fees", "outages", "credit", "capped"),
    [
        pytest.param(BASIC, None, spans(("10:00:00", "10:07:30")), "0.80", False, id="p01"),
        pytest.param(
            terms("138.00"), None, spans(("10:00", "10:30")), "2.88", False, id="2.875-half-up"
        ),
        pytest.param(terms("4140.00"), None, ONE_MINUTE, "2.88", False, id="exact-half-up"),
        pytest.param(terms("4139.99"), None, ONE_MINUTE, "2.87", False, id="just-below-half"),
        pytest.param(terms("4125.60"), None, ONE_MINUTE, "2.87", False, id="2.865-not-half-even"),
        pytest.param(
            replace(BASIC, credit_multiplier=D("1.5")), None, TEN_MINUTES, "1.50", False,
            id="multiplier-1.5",
        ),
        pytest.param(
            replace(BASIC, credit_multiplier=D(0)), None, TEN_MINUTES, "0.00", False,
            id="multiplier-zero",
        ),
        pytest.param(
            terms("100", minor_units=0), None, spans(("10:00", "10:30")), "2", False,
            id="minor-0-below-half",
        ),
        pytest.param(
            terms("100", minor_units=0), None, spans(("10:00", "10:36")), "3", False,
            id="minor-0-half-up",
        ),
        pytest.param(
            terms("1.000", minor_units=3), None, ONE_MINUTE, "0.001", False, id="minor-3-round-up"
        ),
        pytest.param(
            terms("14.400", minor_units=3), None, ONE_MINUTE, "0.010", False, id="minor-3-exact"
        ),
        pytest.param(
            terms(monthly="100.00"), None, spans(("10:00", "22:00")), "1.62", False,
            id="monthly-fee-rounded-before-use",
        ),
        pytest.param(
            terms(monthly="3100.00"), None, spans(("10:00", "11:00")), "4.17", False,
            id="p09-monthly",
        ),
        pytest.param(
            BASIC, {DAY: D("150.00")}, TEN_MINUTES, "1.04", False, id="p12-fees-entry"
        ),
        pytest.param(
            BASIC, {DAY: D("0.005")}, spans(("00:00", "12:00")), "0.01", False,
            id="fees-entry-rounded-before-use",
        ),
        pytest.param(
            replace(BASIC, credit_multiplier=D(100)), None, spans(("10:00", "10:20")),
            "144.00", True, id="p08-capped",
        ),
        pytest.param(
            replace(BASIC, credit_multiplier=D(100)), None, spans(("10:00", "10:05")),
            "50.00", False, id="p08-next-day-uncapped",
        ),
        pytest.param(
            replace(BASIC, credit_multiplier=D(10)), None, spans(("10:00", "12:24")),
            "144.00", False, id="equal-to-fee-not-capped",
        ),
        pytest.param(
            replace(BASIC, credit_multiplier=D(10)), None, spans(("10:00", "12:25")),
            "144.00", True, id="one-minute-over-fee-capped",
        ),
        pytest.param(BASIC, None, [WHOLE_DAY], "144.00", False, id="whole-day-not-capped"),
        pytest.param(
            Contract(currency="CNY", daily_fee=D("1.00"), credit_multiplier=D("1445.76")),
            None, ONE_MINUTE, "1.00", True, id="over-fee-by-less-than-a-cent-capped",
        ),
        pytest.param(terms("0.00"), None, TEN_MINUTES, "0.00", False, id="fee-zero"),
        pytest.param(
            replace(BASIC, credit_multiplier=D(100)), {DAY: D(0)}, [WHOLE_DAY], "0.00", False,
            id="fees-entry-zero-never-capped",
        ),
    ],
)  # fmt: skip
def test_credit_amount(
    contract: Contract,
    fees: dict[date, Decimal] | None,
    outages: list[Interval],
    credit: str,
    capped: bool,
) -> None:
    """The day's credit is the exact pro-rata amount, capped at its fee, rounded half up once."""
    day = one_day(contract, outages, fees=fees)
    assert day.credit == D(credit)
    assert day.credit.as_tuple().exponent == -contract.minor_units
    assert day.capped is capped


def test_uncapped_credit_is_exact() -> None:
    """uncapped_credit keeps the exact fraction: 1 x 1.00 x 1445.76 / 1440 = 1.004."""
    contract = Contract(currency="CNY", daily_fee=D("1.00"), credit_multiplier=D("1445.76"))
    day = one_day(contract, ONE_MINUTE)
    assert day.uncapped_credit == Fraction(1004, 1000)
    assert day.minutes_in_day == 1440


# ---------------------------------------------------------------------------------------------
# Errors


@pytest.mark.parametrize(
    ("fees", "field"),
    [
        pytest.param({DAY: D("-0.01")}, "fees.2026-10-05", id="negative"),
        pytest.param({DAY: D("NaN")}, "fees.2026-10-05", id="nan"),
        pytest.param({DAY: D("-Infinity")}, "fees.2026-10-05", id="minus-infinity"),
        pytest.param({date(2026, 11, 1): D(-5)}, "fees.2026-11-01", id="outside-period"),
    ],
)
def test_bad_fees_entry_is_refused(fees: dict[date, Decimal], field: str) -> None:
    """A negative or non-finite fees entry raises ContractError naming fees.YYYY-MM-DD."""
    with pytest.raises(ContractError) as caught:
        compute_credits(BASIC, Period(DAY, DAY), [], fees=fees)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("fees", "field"),
    [
        pytest.param(None, "fees.2026-10-05", id="no-fee-at-all"),
        pytest.param({DAY: D("144.00")}, "fees.2026-10-06", id="second-day-missing"),
    ],
)
def test_day_without_a_fee_is_refused(fees: dict[date, Decimal] | None, field: str) -> None:
    """With no fees entry, daily_fee or monthly_fee for a day, ContractError names that day."""
    with pytest.raises(ContractError) as caught:
        compute_credits(Contract(currency="CNY"), Period(DAY, NEXT_DAY), [], fees=fees)
    assert caught.value.field == field


def test_a_local_date_the_zone_skips() -> None:
    """A date the zone never had (Samoa, 2011-12-30) is listed with no time and no credit."""
    contract = Contract(currency="WST", timezone=ZoneInfo("Pacific/Apia"), daily_fee=D("10.00"))
    outage = Interval(instant("2011-12-29T23:00:00-10:00"), instant("2011-12-31T01:00:00+14:00"))
    result = compute_credits(contract, Period(date(2011, 12, 29), date(2011, 12, 31)), [outage])
    assert [d.date for d in result.days] == [date(2011, 12, 29 + i) for i in range(3)]
    skipped = result.days[1]
    assert skipped.minutes_in_day == Fraction(0)
    assert (skipped.unavailable, skipped.credited_minutes) == (timedelta(0), 0)
    assert (skipped.credit, skipped.capped) == (D("0.00"), False)
    # One hour on each side of the jump: 60 x 10.00 / 1440 = 0.416... -> 0.42 each.
    assert [d.credit for d in result.days] == [D("0.42"), D("0.00"), D("0.42")]
    assert result.total_credit == D("0.84")

"""Invariants of the credit engine on generated inputs (hypothesis).

Instants are drawn within a few days around a short period, in zones chosen for their awkward days
(DST, a 30-minute shift, a skipped midnight, an offset with seconds), so examples stay fast.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from itertools import pairwise, product
from math import floor
from zoneinfo import ZoneInfo

from hypothesis import assume, given
from hypothesis import strategies as st

from sla import (
    Contract,
    CreditResult,
    Exclusion,
    ExclusionReason,
    GapPolicy,
    Interval,
    Period,
    Rounding,
    applied_exclusion,
    compute_credits,
    day_span,
    intersect,
    local_date,
    normalize,
    quorum,
    result_to_json,
    round_half_up,
    subtract,
    total,
    union,
)

US = timedelta(microseconds=1)
MINUTE = timedelta(minutes=1)
MARGIN = timedelta(hours=2)
PERIOD_DAYS = 3

#: Each zone with the first day of a three-day period that holds one of its awkward days.
ZONES: list[tuple[tzinfo, date]] = [
    (UTC, date(2026, 10, 4)),
    (ZoneInfo("America/New_York"), date(2026, 3, 7)),  # 2026-03-08 has 1380 minutes
    (ZoneInfo("Europe/London"), date(2026, 10, 24)),  # 2026-10-25 has 1500 minutes
    (ZoneInfo("Australia/Lord_Howe"), date(2026, 10, 3)),  # 2026-10-04 has 1410 minutes
    (ZoneInfo("America/Havana"), date(2024, 3, 9)),  # 2024-03-10 starts at 01:00
    (ZoneInfo("Africa/Monrovia"), date(1970, 6, 1)),  # -00:44:30: clock minutes off UTC's
]

#: Instants are drawn to the microsecond, then each scenario snaps its instants to a grain, so
#: that whole minutes and whole seconds come up as often as odd microseconds.
GRAINS = [US, timedelta(seconds=1), MINUTE]
MAX_LENGTH = timedelta(hours=3)
LENGTHS = st.integers(0, MAX_LENGTH // US).map(lambda n: n * US)
MARGIN_OFFSETS = st.integers(0, MARGIN // US).map(lambda n: n * US)
#: Minutes between an announcement and the exclusion's start (negative: announced after it).
NOTICES = [None, -60, 0, 59, 60, 1439, 1440, 1441, 2880]
REASONS = st.sampled_from(list(ExclusionReason))
FEE_ENTRIES = st.lists(
    st.tuples(st.integers(0, PERIOD_DAYS - 1), st.sampled_from([Decimal(0), Decimal("150.005")])),
    max_size=2,
)

#: Every combination of the terms that change results, in UTC, drawn as a single choice (one
#: draw per term would make each example noticeably slower to generate).
CONTRACTS = [
    Contract(
        currency="CNY",
        minor_units=minor_units,
        daily_fee=Decimal(fee),
        rounding=rounding,
        credit_multiplier=Decimal(multiplier),
        maintenance_notice_hours=Decimal(notice),
        maintenance_max_minutes=max_minutes,
        gap_policy=gap_policy,
    )
    for minor_units, fee, rounding, multiplier, notice, max_minutes, gap_policy in product(
        [2, 0, 3],
        ["144.00", "138.00", "0", "99.99", "4139.99"],
        list(Rounding),
        ["1", "1.5", "100", "0"],
        [24, 0, 1],
        [Decimal(240), None, Decimal(0)],
        list(GapPolicy),
    )
]


def _snap(offset: timedelta, grain: timedelta) -> timedelta:
    return offset - offset % grain


@dataclass(frozen=True)
class Window:
    """A zone, a three-day period in it, and the span downtime is drawn from around it."""

    zone: tzinfo
    period: Period
    start: datetime
    end: datetime
    low: datetime
    offsets: st.SearchStrategy[tuple[int, int]]

    def interval(self, raw: tuple[int, int], grain: timedelta) -> Interval:
        """The interval ``raw`` (offset from ``low`` and length, in µs) snapped to ``grain``."""
        offset, length = (_snap(n * US, grain) for n in raw)
        return Interval(self.low + offset, self.low + offset + length)


def _window(zone: tzinfo, first: date) -> Window:
    period = Period(first, first + timedelta(days=PERIOD_DAYS - 1))
    start = day_span(period.first, zone).start
    end = day_span(period.last, zone).end
    width = (end - start + 2 * MARGIN) // US
    offsets = st.tuples(st.integers(0, width), st.integers(0, MAX_LENGTH // US))
    return Window(zone, period, start, end, start - MARGIN, offsets)


# Built once: strategies made afresh for each example would be validated each time (slow).
WINDOWS = [_window(zone, first) for zone, first in ZONES]


@dataclass(frozen=True)
class Scenario:
    """One generated input to compute_credits, and the window it was drawn in."""

    window: Window
    grain: timedelta
    contract: Contract
    outages: tuple[Interval, ...]
    exclusions: tuple[Exclusion, ...]
    gaps: tuple[Interval, ...]
    fees: dict[date, Decimal]

    def run(
        self,
        *,
        contract: Contract | None = None,
        outages: Iterable[Interval] | None = None,
        exclusions: Iterable[Exclusion] | None = None,
        gaps: Iterable[Interval] | None = None,
    ) -> CreditResult:
        """compute_credits on this scenario, with any of its parts replaced."""
        return compute_credits(
            self.contract if contract is None else contract,
            self.window.period,
            self.outages if outages is None else outages,
            exclusions=self.exclusions if exclusions is None else exclusions,
            gaps=self.gaps if gaps is None else gaps,
            fees=self.fees,
        )


@st.composite
def intervals_in(draw: st.DrawFn, window: Window, grain: timedelta) -> Interval:
    """One interval around the window's period."""
    return window.interval(draw(window.offsets), grain)


@st.composite
def scenarios(draw: st.DrawFn, rounding: Rounding | None = None, min_outages: int = 0) -> Scenario:
    """A contract in one of the windows' zones, its period, and downtime around it."""
    window = draw(st.sampled_from(WINDOWS))
    grain = draw(st.sampled_from(GRAINS))
    contract = replace(draw(st.sampled_from(CONTRACTS)), timezone=window.zone)
    if rounding is not None:
        contract = replace(contract, rounding=rounding)
    exclusions = []
    for raw, reason, notice in draw(
        st.lists(st.tuples(window.offsets, REASONS, st.sampled_from(NOTICES)), max_size=2)
    ):
        span = window.interval(raw, grain)
        announced = None if notice is None else span.start - notice * MINUTE
        exclusions.append(Exclusion(span, reason, announced))
    outages = draw(st.lists(window.offsets, min_size=min_outages, max_size=4))
    gaps = draw(st.lists(window.offsets, max_size=2))
    first = window.period.first
    return Scenario(
        window=window,
        grain=grain,
        contract=contract,
        outages=tuple(window.interval(raw, grain) for raw in outages),
        exclusions=tuple(exclusions),
        gaps=tuple(window.interval(raw, grain) for raw in gaps),
        fees={first + timedelta(days=i): fee for i, fee in draw(FEE_ENTRIES)},
    )


def covered(intervals: Iterable[Interval], low: datetime, high: datetime) -> timedelta:
    """Length of the union of ``intervals`` within [low, high), by a plain sweep (reference)."""
    clipped = sorted((max(iv.start, low), min(iv.end, high)) for iv in intervals)
    length = timedelta(0)
    reach = low
    for start, end in clipped:
        start = max(start, reach)  # noqa: PLW2901 - the part not counted yet
        if end > start:
            length += end - start
            reach = end
    return length


def unavailable_input(s: Scenario) -> list[Interval]:
    """What CREDIT-RULES.md counts as unavailable: outages, and gaps under gap_policy down."""
    if s.contract.gap_policy is GapPolicy.DOWN:
        return [*s.outages, *s.gaps]
    return list(s.outages)


def half_up(amount: Fraction, minor_units: int) -> Fraction:
    """Reference rounding for non-negative amounts: floor(x * 10^n + 1/2) / 10^n."""
    scale = 10**minor_units
    return Fraction(floor(amount * scale + Fraction(1, 2)), scale)


# ---------------------------------------------------------------------------------------------
# Money and cap


@given(scenarios())
def test_credit_never_exceeds_the_fee(s: Scenario) -> None:
    """A day's credit is half-up(min(fee, exact pro-rata amount)): never above its fee (C1, C2)."""
    result = s.run()
    for day in result.days:
        assert 0 <= day.credit <= day.fee
        minutes_in_day = Fraction(day_span(day.date, s.contract.timezone).duration / MINUTE)
        assert day.minutes_in_day == minutes_in_day
        uncapped = (
            day.credited_minutes
            * Fraction(day.fee)
            * Fraction(s.contract.credit_multiplier)
            / minutes_in_day
        )
        assert Fraction(day.credit) == half_up(
            min(uncapped, Fraction(day.fee)), s.contract.minor_units
        )
        assert day.capped is (uncapped > day.fee)
        if day.capped:
            assert day.credit == day.fee
    assert result.total_credit == sum(d.credit for d in result.days)


# ---------------------------------------------------------------------------------------------
# Minutes


@given(scenarios(min_outages=1), st.integers(min_value=0), st.integers(min_value=0))
def test_splitting_an_outage_at_an_instant(s: Scenario, which: int, where: int) -> None:
    """Cutting an outage at an instant never lowers per_outage minutes, nor changes the others."""
    # The two halves touch, so they merge back into the outage (CREDIT-RULES.md: "touching ones
    # too"): the whole result is in fact unchanged.
    long_ones = [iv for iv in s.outages if iv.duration >= 2 * US]
    assume(long_ones)
    outage = long_ones[which % len(long_ones)]
    cut = outage.start + (1 + where % (outage.duration // US - 1)) * US
    others = list(s.outages)
    others.remove(outage)
    before = s.run()
    after = s.run(outages=[*others, Interval(outage.start, cut), Interval(cut, outage.end)])
    for old, new in zip(before.days, after.days, strict=True):
        if s.contract.rounding is Rounding.PER_OUTAGE:
            assert new.credited_minutes >= old.credited_minutes
        else:
            assert new.credited_minutes == old.credited_minutes
    assert after == before


@given(scenarios())
def test_rounding_modes_compare(s: Scenario) -> None:
    """per_outage and clock_minute never credit fewer minutes than per_day's single rounding."""
    per_day = s.run(contract=replace(s.contract, rounding=Rounding.PER_DAY))
    per_outage = s.run(contract=replace(s.contract, rounding=Rounding.PER_OUTAGE))
    clock = s.run(contract=replace(s.contract, rounding=Rounding.CLOCK_MINUTE))
    for low, a, b in zip(per_day.days, per_outage.days, clock.days, strict=True):
        assert a.credited_minutes >= low.credited_minutes
        assert b.credited_minutes >= low.credited_minutes


@given(scenarios())
def test_minutes_round_creditable_time_up(s: Scenario) -> None:
    """Credited minutes cover the creditable time, and are zero exactly when there is none (C1)."""
    for day in s.run().days:
        creditable = total(day.creditable)
        assert day.credited_minutes * MINUTE >= creditable
        assert (day.credited_minutes == 0) is (creditable == timedelta(0))
        if s.contract.rounding is Rounding.PER_DAY:
            assert (day.credited_minutes - 1) * MINUTE < creditable


@st.composite
def added_downtime(draw: st.DrawFn, rounding: Rounding) -> tuple[Scenario, Interval]:
    s = draw(scenarios(rounding=rounding))
    return s, draw(intervals_in(s.window, s.grain))


@given(added_downtime(Rounding.PER_DAY) | added_downtime(Rounding.CLOCK_MINUTE))
def test_more_downtime_never_lowers_credit(case: tuple[Scenario, Interval]) -> None:
    """Under per_day and clock_minute, adding an outage never lowers a day's minutes or credit."""
    s, extra = case
    before = s.run()
    after = s.run(outages=[*s.outages, extra])
    for old, new in zip(before.days, after.days, strict=True):
        assert new.credited_minutes >= old.credited_minutes
        assert new.credit >= old.credit
    assert after.total_credit >= before.total_credit


@given(added_downtime(Rounding.PER_OUTAGE))
def test_a_separate_outage_never_lowers_per_outage_credit(case: tuple[Scenario, Interval]) -> None:
    """Under per_outage, adding an outage apart from all downtime never lowers minutes or credit."""
    # One that bridges two outages can: they become one outage, rounded up once (see
    # test_bridging_two_outages_lowers_per_outage_minutes in test_credits.py).
    s, extra = case
    assume(all(iv.end < extra.start or extra.end < iv.start for iv in unavailable_input(s)))
    before = s.run()
    after = s.run(outages=[*s.outages, extra])
    for old, new in zip(before.days, after.days, strict=True):
        assert new.credited_minutes >= old.credited_minutes
        assert new.credit >= old.credit


@given(scenarios(), MARGIN_OFFSETS, LENGTHS, MARGIN_OFFSETS, LENGTHS)
def test_downtime_outside_the_period_changes_nothing(
    s: Scenario, gap_before: timedelta, before: timedelta, gap_after: timedelta, after: timedelta
) -> None:
    """Outages entirely before or after the period's local days earn nothing."""
    start, end = s.window.start, s.window.end
    outside = [
        Interval(start - gap_before - before, start - gap_before),
        Interval(end + gap_after, end + gap_after + after),
    ]
    inside = [iv for iv in s.outages if iv.end > start and iv.start < end]
    assert s.run(outages=[*inside, *outside]) == s.run(outages=inside)


# ---------------------------------------------------------------------------------------------
# Independence of how the input is written


OFFSETS = st.integers(-86399, 86399).map(lambda seconds: timezone(timedelta(seconds=seconds)))


@given(scenarios(), st.data())
def test_input_order_and_offsets_do_not_matter(s: Scenario, data: st.DataObject) -> None:
    """Neither the order of the inputs nor the UTC offsets instants are written in matter."""

    def moved(iv: Interval) -> Interval:
        return Interval(
            iv.start.astimezone(data.draw(OFFSETS)), iv.end.astimezone(data.draw(OFFSETS))
        )

    def moved_exclusion(e: Exclusion) -> Exclusion:
        announced = e.announced_at
        return Exclusion(
            moved(e.span),
            e.reason,
            None if announced is None else announced.astimezone(data.draw(OFFSETS)),
        )

    outages = [moved(iv) for iv in data.draw(st.permutations(s.outages))]
    exclusions = [moved_exclusion(e) for e in data.draw(st.permutations(s.exclusions))]
    gaps = [moved(iv) for iv in data.draw(st.permutations(s.gaps))]
    before = s.run()
    after = s.run(outages=outages, exclusions=exclusions, gaps=gaps)
    assert after == before
    assert result_to_json(after) == result_to_json(before)


# ---------------------------------------------------------------------------------------------
# Exclusions and unavailable time


@given(scenarios())
def test_excluded_time_is_never_credited(s: Scenario) -> None:
    """Creditable time never overlaps an accepted exclusion (C5, C6)."""
    always = [e.span for e in s.exclusions if e.reason is not ExclusionReason.MAINTENANCE]
    maintenance = [
        span
        for e in s.exclusions
        if e.reason is ExclusionReason.MAINTENANCE
        and (span := applied_exclusion(s.contract, e)) is not None
    ]
    for day in s.run().days:
        assert intersect(day.creditable, always) == ()
        assert intersect(day.creditable, maintenance) == ()
        # What is not creditable is exactly what the exclusions removed.
        assert total(day.creditable) + day.excluded == day.unavailable


@given(scenarios(), st.data())
def test_outage_covered_by_force_majeure_earns_nothing(s: Scenario, data: st.DataObject) -> None:
    """An outage fully inside a force majeure exclusion credits 0 minutes on every day (C5)."""
    outage = data.draw(intervals_in(s.window, s.grain))
    cover = Interval(outage.start - data.draw(LENGTHS), outage.end + data.draw(LENGTHS))
    announced = data.draw(st.none() | st.just(outage.end))
    exclusions = [*s.exclusions, Exclusion(cover, ExclusionReason.FORCE_MAJEURE, announced)]
    contract = replace(s.contract, gap_policy=GapPolicy.EXCLUDE)
    for day in s.run(contract=contract, outages=[outage], exclusions=exclusions).days:
        assert day.credited_minutes == 0
        assert day.credit == 0
        assert day.excluded == day.unavailable
        assert day.creditable == ()


@given(scenarios())
def test_unavailable_time_is_the_union_clipped_to_each_day(s: Scenario) -> None:
    """unavailable_seconds is the union of outages (and gaps under down) within the local day."""
    downtime = unavailable_input(s)
    result = s.run()
    for day in result.days:
        span = day_span(day.date, s.contract.timezone)
        assert day.unavailable == covered(downtime, span.start, span.end)
        assert day.excluded <= day.unavailable
    whole = sum((d.unavailable for d in result.days), timedelta(0))
    assert whole == covered(downtime, s.window.start, s.window.end)


# ---------------------------------------------------------------------------------------------
# Interval algebra against a model: sets of whole seconds

T0 = datetime(2026, 10, 5, tzinfo=UTC)
PAIRS = st.tuples(st.integers(0, 40), st.integers(0, 12)).map(lambda p: (p[0], p[0] + p[1]))
SETS = st.lists(PAIRS, max_size=5)


def to_intervals(pairs: Sequence[tuple[int, int]]) -> list[Interval]:
    return [Interval(T0 + timedelta(seconds=a), T0 + timedelta(seconds=b)) for a, b in pairs]


def model(pairs: Iterable[tuple[int, int]]) -> set[int]:
    return {second for a, b in pairs for second in range(a, b)}


def seconds_of(intervals: Iterable[Interval]) -> set[int]:
    spans = [
        ((iv.start - T0) // timedelta(seconds=1), (iv.end - T0) // timedelta(seconds=1))
        for iv in intervals
    ]
    return model(spans)


def assert_normalised(intervals: Sequence[Interval]) -> None:
    assert all(not iv.empty for iv in intervals)
    assert all(a.end < b.start for a, b in pairwise(intervals))


@given(SETS, SETS)
def test_interval_algebra_matches_sets_of_seconds(
    a: list[tuple[int, int]], b: list[tuple[int, int]]
) -> None:
    """normalize, union, intersect, subtract and total agree with plain set operations."""
    left, right = to_intervals(a), to_intervals(b)
    results = {
        "normalize": (normalize(left), model(a)),
        "union": (union(left, right), model(a) | model(b)),
        "intersect": (intersect(left, right), model(a) & model(b)),
        "subtract": (subtract(left, right), model(a) - model(b)),
    }
    for name, (got, expected) in results.items():
        assert_normalised(got)
        assert seconds_of(got) == expected, name
    assert total(left + right) == timedelta(seconds=len(model(a) | model(b)))


@given(st.lists(SETS, max_size=4), st.integers(1, 5))
def test_quorum_matches_counting(sets: list[list[tuple[int, int]]], k: int) -> None:
    """quorum holds exactly the seconds that at least k of the sets hold."""
    got = quorum([to_intervals(pairs) for pairs in sets], k)
    assert_normalised(got)
    models = [model(pairs) for pairs in sets]
    expected = {s for s in range(60) if sum(s in m for m in models) >= k}
    assert seconds_of(got) == expected


# ---------------------------------------------------------------------------------------------
# Days and rounding of money

DAY_ZONES = [
    UTC,
    ZoneInfo("America/New_York"),
    ZoneInfo("Europe/London"),
    ZoneInfo("Australia/Sydney"),
    ZoneInfo("Australia/Lord_Howe"),
    ZoneInfo("America/Santiago"),
    ZoneInfo("America/Havana"),
    ZoneInfo("Asia/Beirut"),
    ZoneInfo("Asia/Kathmandu"),
]


@given(st.sampled_from(DAY_ZONES), st.dates(date(2020, 1, 1), date(2030, 12, 31)))
def test_local_days_tile_time(zone: tzinfo, day: date) -> None:
    """Consecutive local days meet exactly, hold only their date, and last 23 to 25 hours."""
    span = day_span(day, zone)
    assert span.end == day_span(day + timedelta(days=1), zone).start
    assert local_date(span.start, zone) == day
    assert local_date(span.end - US, zone) == day
    assert span.duration // MINUTE in {1380, 1410, 1440, 1470, 1500}
    assert span.duration % MINUTE == timedelta(0)


@given(
    st.decimals(min_value=-(10**6), max_value=10**6, places=6, allow_nan=False),
    st.integers(0, 4),
)
def test_round_half_up_matches_decimal_quantize(amount: Decimal, minor_units: int) -> None:
    """round_half_up agrees with Decimal's ROUND_HALF_UP (halves away from zero)."""
    expected = amount.quantize(Decimal(1).scaleb(-minor_units), rounding=ROUND_HALF_UP)
    assert round_half_up(amount, minor_units) == expected


@given(st.fractions(min_value=0, max_value=10**6), st.integers(0, 4))
def test_round_half_up_of_fractions(amount: Fraction, minor_units: int) -> None:
    """round_half_up of an exact fraction is floor(x * 10^n + 1/2) / 10^n."""
    assert Fraction(round_half_up(amount, minor_units)) == half_up(amount, minor_units)

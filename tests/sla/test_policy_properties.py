"""Invariants of ``uptime_tiers`` and of the termination refund on generated inputs (hypothesis).

Each ``uptime_tiers`` scenario is two whole local months in a zone chosen for an awkward month
(DST either way, a year's end, an offset with seconds), with downtime drawn near the period's
start, its month boundary and its end, or anywhere in it, so that stretches often cross months.
A reference computed minute by minute from CREDIT-RULES.md's steps checks the engine's figures.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from fractions import Fraction
from itertools import product
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from sla import (
    Contract,
    CreditPolicy,
    CreditResult,
    DowntimeMinutes,
    Exclusion,
    ExclusionReason,
    GapPolicy,
    Interval,
    Month,
    Period,
    Rounding,
    Termination,
    Tier,
    UptimeResult,
    applied_exclusion,
    compute_credits,
    compute_uptime_credits,
    day_span,
    intersect,
    iter_months,
    normalize,
    result_to_json,
    round_half_up,
    subtract,
    total,
    union,
)

D = Decimal
US = timedelta(microseconds=1)
MINUTE = timedelta(minutes=1)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SPREAD = timedelta(hours=3)
GRAINS = [US, timedelta(seconds=1), MINUTE]

#: Each zone with the first of two months whose period holds one of its awkward months.
ZONES: list[tuple[tzinfo, Month]] = [
    (UTC, Month(2026, 10)),
    (ZoneInfo("America/New_York"), Month(2026, 3)),  # March: 44,580 minutes
    (ZoneInfo("America/New_York"), Month(2026, 10)),  # November: 43,260 minutes
    (ZoneInfo("Asia/Shanghai"), Month(2026, 12)),  # a year's end at 16:00 UTC
    (ZoneInfo("Africa/Monrovia"), Month(1970, 6)),  # -00:44:30: local and UTC minutes differ
]


@dataclass(frozen=True)
class Window:
    """A zone, a two-month period in it, and where downtime is drawn."""

    zone: tzinfo
    period: Period
    low: datetime
    points: st.SearchStrategy[timedelta]


def _window(zone: tzinfo, first: Month) -> Window:
    second = Month.of(first.last + timedelta(days=1))
    period = Period(first.first, second.last)
    start = first.span(zone).start
    anchors = [timedelta(0), second.span(zone).start - start, second.span(zone).end - start]
    width = (second.span(zone).end - start) // US
    spread = SPREAD // US
    near = st.tuples(st.sampled_from(anchors), st.integers(-spread, spread)).map(
        lambda pair: pair[0] + pair[1] * US
    )
    anywhere = st.integers(0, width).map(lambda n: n * US)
    return Window(zone, period, start, st.one_of(near, anywhere))


# Built once: strategies made afresh for each example would be validated each time (slow).
WINDOWS = [_window(zone, first) for zone, first in ZONES]
LENGTHS = st.integers(0, SPREAD // US).map(lambda n: n * US)

#: Every combination of the terms that change results, drawn as one choice; the tiers, the zone
#: and the charges are drawn apart.
CONTRACTS = [
    Contract(
        currency="USD",
        credit_policy=CreditPolicy.UPTIME_TIERS,
        minor_units=units,
        monthly_fee=D("3100.00"),
        tiers=(Tier(D(99), D(10)),),
        downtime_minutes=counting,
        min_downtime_minutes=minimum,
        max_credit_percent=cap,
        gap_policy=gaps,
    )
    for units, counting, minimum, cap, gaps in product(
        [2, 0],
        [None, *DowntimeMinutes],
        [None, D(0), D("0.5"), D(1), D(5), D("30.25")],
        [None, D(0), D("12.5"), D(30), D(100)],
        list(GapPolicy),
    )
]
TIERS = st.lists(
    st.builds(
        Tier,
        st.sampled_from([D(100), D("99.99"), D("99.9"), D("99.5"), D(99), D(95)]),
        st.sampled_from([D(0), D(10), D(25), D(30), D("33.3"), D(50), D(100)]),
    ),
    min_size=1,
    max_size=4,
)
CHARGES = st.sampled_from([None, D(0), D("1234.565"), D("0.01")])
NOTICES = [None, -60, 0, 1440, 2880]


@dataclass(frozen=True)
class Scenario:
    """One generated input to compute_uptime_credits, and the window it was drawn in."""

    window: Window
    contract: Contract
    outages: tuple[Interval, ...]
    exclusions: tuple[Exclusion, ...]
    gaps: tuple[Interval, ...]
    fees: dict[Month, Decimal]

    def run(
        self,
        *,
        contract: Contract | None = None,
        outages: Iterable[Interval] | None = None,
        exclusions: Iterable[Exclusion] | None = None,
        gaps: Iterable[Interval] | None = None,
    ) -> UptimeResult:
        """compute_uptime_credits on this scenario, with any of its parts replaced."""
        return compute_uptime_credits(
            self.contract if contract is None else contract,
            self.window.period,
            self.outages if outages is None else outages,
            exclusions=self.exclusions if exclusions is None else exclusions,
            gaps=self.gaps if gaps is None else gaps,
            fees=self.fees,
        )


@st.composite
def intervals_in(draw: st.DrawFn, window: Window, grain: timedelta) -> Interval:
    """An interval of up to three hours from a point of the window, snapped to ``grain``."""
    start = window.low + draw(window.points)
    start -= (start - EPOCH) % grain
    length = draw(LENGTHS)
    return Interval(start, start + length - length % grain)


@st.composite
def scenarios(draw: st.DrawFn, min_outages: int = 0) -> Scenario:
    """An uptime_tiers contract in one of the windows' zones, and downtime around its period."""
    window = draw(st.sampled_from(WINDOWS))
    grain = draw(st.sampled_from(GRAINS))
    contract = replace(
        draw(st.sampled_from(CONTRACTS)), timezone=window.zone, tiers=tuple(draw(TIERS))
    )
    months = list(iter_months(window.period.first, window.period.last))
    charges = [draw(CHARGES) for _ in months]
    if all(charge is not None for charge in charges) and draw(st.booleans()):
        contract = replace(contract, monthly_fee=None)
    exclusions = []
    for reason, notice in draw(
        st.lists(st.tuples(st.sampled_from(ExclusionReason), st.sampled_from(NOTICES)), max_size=2)
    ):
        span = draw(intervals_in(window, grain))
        announced = None if notice is None else span.start - notice * MINUTE
        exclusions.append(Exclusion(span, reason, announced))
    interval = intervals_in(window, grain)
    return Scenario(
        window=window,
        contract=contract,
        outages=tuple(draw(st.lists(interval, min_size=min_outages, max_size=5))),
        exclusions=tuple(exclusions),
        gaps=tuple(draw(st.lists(interval, max_size=2))),
        fees={m: c for m, c in zip(months, charges, strict=True) if c is not None},
    )


# ---------------------------------------------------------------------------------------------
# A reference, minute by minute, from CREDIT-RULES.md's steps


@dataclass(frozen=True)
class Expected:
    """One month's figures by the rules."""

    minutes_in_month: Fraction
    charge: Decimal
    unavailable: timedelta
    excluded: timedelta
    downtime_minutes: int
    uptime_percent: Fraction
    credit_percent: Decimal
    credit: Decimal


def reference(s: Scenario) -> list[Expected]:
    """Each month of the scenario computed from the rules, with plain sets of minutes."""
    c = s.contract
    # 1. creditable time: outages (gaps under gap_policy down) minus the accepted exclusions.
    down = union(s.outages, s.gaps) if c.gap_policy is GapPolicy.DOWN else normalize(s.outages)
    accepted = normalize(
        part for part in (applied_exclusion(c, e) for e in s.exclusions) if part is not None
    )
    # 2. stretches judged whole against the exact minimum (no rounding of the threshold).
    minimum = Fraction(c.min_downtime_minutes or 0) * 60
    counting = [
        stretch
        for stretch in subtract(down, accepted)
        if Fraction(stretch.duration // US, 1_000_000) >= minimum
    ]
    out = []
    for month in iter_months(s.window.period.first, s.window.period.last):
        span = month.span(c.timezone)
        pieces = intersect(counting, [span])
        # 3. downtime minutes.
        if c.downtime_minutes is DowntimeMinutes.WHOLE_MINUTES:
            minutes = sum(piece.duration // MINUTE for piece in pieces)
        else:
            held: set[int] = set()
            for piece in pieces:
                held.update(
                    range((piece.start - EPOCH) // MINUTE, -((EPOCH - piece.end) // MINUTE))
                )
            minutes = len(held)
        # 4, 5. minutes in the month, uptime.
        length = Fraction(span.duration // US, 60_000_000)
        uptime = 100 * (length - minutes) / length
        # 6. the largest matching percentage, capped.
        matching = [t.percent for t in c.tiers if Fraction(t.below) > uptime]
        cap = D(100) if c.max_credit_percent is None else c.max_credit_percent
        percent = min(max(matching, default=D(0)), cap)
        # 7, 8. the charge, then the credit.
        fee = s.fees.get(month, c.monthly_fee)
        assert fee is not None
        charge = round_half_up(fee, c.minor_units)
        credit = round_half_up(Fraction(charge) * Fraction(percent) / 100, c.minor_units)
        clipped = intersect(down, [span])
        out.append(
            Expected(
                length,
                charge,
                total(clipped),
                total(intersect(clipped, accepted)),
                minutes,
                uptime,
                percent,
                credit,
            )
        )
    return out


def figures(result: UptimeResult) -> list[Expected]:
    """The engine's months, as the reference gives them."""
    return [
        Expected(
            m.minutes_in_month,
            m.charge,
            m.unavailable,
            m.excluded,
            m.downtime_minutes,
            m.uptime_percent,
            m.credit_percent,
            m.credit,
        )
        for m in result.months
    ]


@given(scenarios())
def test_the_engine_agrees_with_the_rules(s: Scenario) -> None:
    """Every month's figures are those of the rules, computed minute by minute."""
    result = s.run()
    assert figures(result) == reference(s)
    assert result.total_credit == sum((m.credit for m in result.months), D(0))


# ---------------------------------------------------------------------------------------------
# Monotony, the cap, the two ways of counting


@given(scenarios(), st.data())
def test_more_downtime_never_raises_uptime_or_lowers_the_tier(
    s: Scenario, data: st.DataObject
) -> None:
    """Adding outages never raises a month's uptime, nor lowers its credit percentage."""
    grain = data.draw(st.sampled_from(GRAINS))
    extra = data.draw(st.lists(intervals_in(s.window, grain), min_size=1, max_size=3))
    before = s.run()
    after = s.run(outages=[*s.outages, *extra])
    for old, new in zip(before.months, after.months, strict=True):
        assert new.downtime_minutes >= old.downtime_minutes
        assert new.uptime_percent <= old.uptime_percent
        assert new.credit_percent >= old.credit_percent
        assert new.credit >= old.credit
    assert after.total_credit >= before.total_credit


@given(scenarios())
def test_the_credit_never_exceeds_the_cap(s: Scenario) -> None:
    """The credit percentage is one tier's (or 0) and never above max_credit_percent; the credit
    never exceeds that share of the charge, nor the charge."""
    cap = s.contract.credit_cap
    for month in s.run().months:
        assert month.credit_percent <= cap
        assert month.credit_percent in {D(0)} | {min(t.percent, cap) for t in s.contract.tiers}
        assert D(0) <= month.credit <= month.charge
        limit = round_half_up(Fraction(month.charge) * Fraction(cap) / 100, s.contract.minor_units)
        assert month.credit <= limit


@given(scenarios())
def test_whole_minutes_never_count_more_than_clock_minutes(s: Scenario) -> None:
    """The same stretches counted in whole minutes never give more than in clock minutes."""
    clock = s.run(contract=replace(s.contract, downtime_minutes=DowntimeMinutes.CLOCK_MINUTE))
    whole = s.run(contract=replace(s.contract, downtime_minutes=DowntimeMinutes.WHOLE_MINUTES))
    for c, w in zip(clock.months, whole.months, strict=True):
        assert w.downtime_minutes <= c.downtime_minutes
        assert w.uptime_percent >= c.uptime_percent
        assert w.credit_percent <= c.credit_percent


@given(scenarios(), st.data())
def test_a_higher_minimum_never_counts_more(s: Scenario, data: st.DataObject) -> None:
    """Raising min_downtime_minutes only drops stretches: never more downtime minutes."""
    higher = (s.contract.min_downtime_minutes or D(0)) + data.draw(
        st.sampled_from([D("0.000001"), D(1), D(10)])
    )
    raised = s.run(contract=replace(s.contract, min_downtime_minutes=higher))
    for old, new in zip(s.run().months, raised.months, strict=True):
        assert new.downtime_minutes <= old.downtime_minutes
        assert (new.unavailable, new.excluded) == (old.unavailable, old.excluded)


# ---------------------------------------------------------------------------------------------
# Independence of how the input is written

OFFSETS = st.integers(-86399, 86399).map(lambda seconds: timezone(timedelta(seconds=seconds)))


@given(scenarios(), st.data())
def test_input_order_and_offsets_do_not_matter(s: Scenario, data: st.DataObject) -> None:
    """Neither the order of the outages, exclusions, gaps and tiers nor the UTC offsets the
    instants are written in change any month: figures, tier, next tier, minutes to it."""

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

    tiers = tuple(data.draw(st.permutations(s.contract.tiers)))
    before = s.run()
    after = s.run(
        contract=replace(s.contract, tiers=tiers),
        outages=[moved(iv) for iv in data.draw(st.permutations(s.outages))],
        exclusions=[moved_exclusion(e) for e in data.draw(st.permutations(s.exclusions))],
        gaps=[moved(iv) for iv in data.draw(st.permutations(s.gaps))],
    )
    assert result_to_json(after) == result_to_json(before)
    assert after == before


# ---------------------------------------------------------------------------------------------
# The termination refund

PER_MINUTE = [
    Contract(
        currency="CNY",
        minor_units=units,
        daily_fee=D(fee),
        rounding=rounding,
        credit_multiplier=D(multiplier),
    )
    for units, fee, rounding, multiplier in product(
        [2, 0, 3], ["144.00", "0", "99.99"], list(Rounding), ["1", "100"]
    )
]
#: Four days with New York's 1380-minute day, and four plain UTC days.
REFUND_PERIODS: list[tuple[tzinfo, Period]] = [
    (ZoneInfo("America/New_York"), Period(date(2026, 3, 7), date(2026, 3, 10))),
    (UTC, Period(date(2026, 10, 4), date(2026, 10, 7))),
]
PREPAID = st.decimals(min_value=0, max_value=1000, places=3, allow_nan=False)


@given(
    st.sampled_from(PER_MINUTE),
    st.sampled_from(REFUND_PERIODS),
    st.integers(0, 4),
    PREPAID,
    st.lists(st.tuples(st.integers(0, 5 * 1440), st.integers(1, 1500)), max_size=4),
)
def test_a_refund_is_never_negative_nor_above_prepaid(
    contract: Contract,
    where: tuple[tzinfo, Period],
    served: int,
    prepaid: Decimal,
    raw: list[tuple[int, int]],
) -> None:
    """The refund lies between 0 and the prepaid amount (rounded to minor units); it is prepaid
    less the served days' fees net of credits, when that is not negative; the days from the
    termination date on are left out."""
    zone, period = where
    contract = replace(contract, timezone=zone)
    start = day_span(period.first, zone).start - timedelta(hours=12)
    outages = [Interval(start + a * MINUTE, start + (a + n) * MINUTE) for a, n in raw]
    when = period.first + timedelta(days=served)
    result = compute_credits(contract, period, outages, termination=Termination(when, prepaid))
    refund = result.termination
    assert refund is not None
    rounded = round_half_up(prepaid, contract.minor_units)
    assert refund.prepaid == rounded
    assert D(0) <= refund.refund <= rounded
    assert refund.used == sum((d.fee - d.credit for d in result.days), D(0))
    assert refund.refund == max(rounded - refund.used, D(0))
    assert [d.date for d in result.days] == [
        period.first + timedelta(days=i) for i in range(served)
    ]
    whole = compute_credits(contract, period, outages)
    assert isinstance(whole, CreditResult)
    assert result.days == whole.days[:served]

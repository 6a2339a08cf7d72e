"""Half-open intervals and their set algebra (CREDIT-RULES.md: "Intervals are half-open [start, end)";
"overlapping outages merge (touching ones too)"), and the k-of-n quorum rule."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

import pytest

from sla import (
    Interval,
    IntervalError,
    IntervalSet,
    SLAError,
    intersect,
    normalize,
    quorum,
    subtract,
    total,
    union,
)

from .support import MIDNIGHT, US, mins

# ---------------------------------------------------------------------------------------------
# Interval


class _Floating(tzinfo):
    """A tzinfo that does not know its offset: instants in it are as naive as no tzinfo."""

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return None

    def dst(self, dt: datetime | None) -> timedelta | None:
        return None

    def tzname(self, dt: datetime | None) -> str | None:
        return None


NAIVE = MIDNIGHT.replace(tzinfo=None)
FLOATING = MIDNIGHT.replace(tzinfo=_Floating())
LATER = MIDNIGHT + timedelta(hours=1)


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        pytest.param(NAIVE, LATER, "start", id="naive-start"),
        pytest.param(MIDNIGHT, LATER.replace(tzinfo=None), "end", id="naive-end"),
        pytest.param(NAIVE, LATER.replace(tzinfo=None), "start", id="both-naive-start-named"),
        pytest.param(FLOATING, LATER, "start", id="tzinfo-without-offset"),
        pytest.param(LATER, MIDNIGHT, "end", id="end-before-start"),
        pytest.param(MIDNIGHT, MIDNIGHT - US, "end", id="end-one-microsecond-before-start"),
    ],
)
def test_invalid_interval_is_refused(start: datetime, end: datetime, field: str) -> None:
    """An interval with an instant lacking an offset, or ending before it starts, raises."""
    with pytest.raises(IntervalError) as caught:
        Interval(start, end)
    assert caught.value.field == field
    assert isinstance(caught.value, SLAError)
    assert str(caught.value).startswith(f"{field}: ")


def test_zero_length_interval_is_empty() -> None:
    """start == end is allowed and holds no instant."""
    iv = Interval(MIDNIGHT, MIDNIGHT)
    assert iv.empty
    assert iv.duration == timedelta(0)


def test_interval_is_stored_in_utc() -> None:
    """An instant written at +08:00 is kept as the same instant in UTC."""
    shanghai = timezone(timedelta(hours=8))
    iv = Interval(
        datetime(2026, 10, 5, 18, 0, tzinfo=shanghai),
        datetime(2026, 10, 5, 18, 7, 30, tzinfo=shanghai),
    )
    assert iv.start.tzinfo is UTC
    assert iv.end.tzinfo is UTC
    assert iv.start == datetime(2026, 10, 5, 10, 0, tzinfo=UTC)
    assert iv.duration == timedelta(minutes=7, seconds=30)
    assert not iv.empty
    assert iv == Interval(
        datetime(2026, 10, 5, 10, 0, tzinfo=UTC), datetime(2026, 10, 5, 10, 7, 30, tzinfo=UTC)
    )


def test_interval_respects_fold_of_a_repeated_local_time() -> None:
    """01:30 (fold=0) to 01:30 (fold=1) in New York on 2026-11-01 is one real hour."""
    new_york = ZoneInfo("America/New_York")
    first = datetime(2026, 11, 1, 1, 30, tzinfo=new_york)
    iv = Interval(first, first.replace(fold=1))
    assert iv.start == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    assert iv.duration == timedelta(hours=1)


def test_intervals_order_by_start_then_end() -> None:
    """Sorting intervals orders them by start, then by end."""
    assert sorted([mins(5, 6), mins(0, 10), mins(0, 3)]) == [mins(0, 3), mins(0, 10), mins(5, 6)]


# ---------------------------------------------------------------------------------------------
# normalize, union


@pytest.mark.parametrize(
    ("intervals", "expected"),
    [
        pytest.param([], (), id="empty-input"),
        pytest.param([mins(0, 10)], (mins(0, 10),), id="single"),
        pytest.param([mins(20, 30), mins(0, 10)], (mins(0, 10), mins(20, 30)), id="unsorted"),
        pytest.param([mins(0, 10), mins(5, 15)], (mins(0, 15),), id="overlapping-merge"),
        pytest.param([mins(0, 10), mins(10, 20)], (mins(0, 20),), id="touching-merge"),
        pytest.param([mins(10, 20), mins(0, 10)], (mins(0, 20),), id="touching-unsorted-merge"),
        pytest.param([mins(0, 30), mins(5, 10)], (mins(0, 30),), id="contained-absorbed"),
        pytest.param([mins(0, 10), mins(0, 10)], (mins(0, 10),), id="duplicates"),
        pytest.param([mins(5, 5)], (), id="empty-interval-dropped"),
        pytest.param(
            [mins(0, 10), mins(10, 10), mins(20, 20)], (mins(0, 10),), id="empty-ones-dropped"
        ),
        pytest.param(
            [mins(0, 10), mins(10, 20), mins(20, 30), mins(40, 50)],
            (mins(0, 30), mins(40, 50)),
            id="chain-of-touching",
        ),
        pytest.param(
            [Interval(MIDNIGHT, MIDNIGHT + US), Interval(MIDNIGHT + 2 * US, MIDNIGHT + 3 * US)],
            (Interval(MIDNIGHT, MIDNIGHT + US), Interval(MIDNIGHT + 2 * US, MIDNIGHT + 3 * US)),
            id="one-microsecond-apart-kept",
        ),
    ],
)
def test_normalize(intervals: list[Interval], expected: IntervalSet) -> None:
    """normalize sorts, drops empty intervals and merges overlapping or touching ones."""
    assert normalize(intervals) == expected


@pytest.mark.parametrize(
    ("sets", "expected"),
    [
        pytest.param([], (), id="no-sets"),
        pytest.param([[], []], (), id="empty-sets"),
        pytest.param([[mins(0, 10)], []], (mins(0, 10),), id="with-empty-set"),
        pytest.param([[mins(0, 10)], [mins(5, 15)]], (mins(0, 15),), id="overlap-across-sets"),
        pytest.param([[mins(0, 10)], [mins(10, 20)]], (mins(0, 20),), id="touching-across-sets"),
        pytest.param(
            [[mins(0, 10)], [mins(30, 40)], [mins(10, 15)]],
            (mins(0, 15), mins(30, 40)),
            id="three-sets",
        ),
    ],
)
def test_union(sets: list[list[Interval]], expected: IntervalSet) -> None:
    """union holds every instant in any set, normalised."""
    assert union(*sets) == expected


# ---------------------------------------------------------------------------------------------
# intersect, subtract, total


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        pytest.param([mins(0, 10)], [mins(5, 15)], (mins(5, 10),), id="overlap"),
        pytest.param([mins(0, 10)], [mins(10, 20)], (), id="touching-is-empty"),
        pytest.param([mins(0, 10)], [mins(20, 30)], (), id="disjoint"),
        pytest.param([mins(0, 30)], [mins(10, 20)], (mins(10, 20),), id="containment"),
        pytest.param([mins(10, 20)], [mins(0, 30)], (mins(10, 20),), id="contained"),
        pytest.param([mins(0, 10)], [mins(0, 10)], (mins(0, 10),), id="identical"),
        pytest.param([], [mins(0, 10)], (), id="left-empty"),
        pytest.param([mins(0, 10)], [], (), id="right-empty"),
        pytest.param(
            [mins(0, 10), mins(20, 30)],
            [mins(5, 25)],
            (mins(5, 10), mins(20, 25)),
            id="one-against-two",
        ),
        pytest.param(
            [mins(5, 15), mins(0, 10)], [mins(0, 20)], (mins(0, 15),), id="unnormalised-input"
        ),
        pytest.param(
            [mins(0, 10), mins(20, 30), mins(40, 50)],
            [mins(5, 45)],
            (mins(5, 10), mins(20, 30), mins(40, 45)),
            id="three-pieces",
        ),
    ],
)
def test_intersect(a: list[Interval], b: list[Interval], expected: IntervalSet) -> None:
    """intersect holds the instants in both sets; touching intervals share no instant."""
    assert intersect(a, b) == expected
    assert intersect(b, a) == expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        pytest.param(
            [mins(0, 30)], [mins(10, 20)], (mins(0, 10), mins(20, 30)), id="hole-in-middle"
        ),
        pytest.param([mins(0, 30)], [mins(-5, 10)], (mins(10, 30),), id="hole-over-start"),
        pytest.param([mins(0, 30)], [mins(20, 40)], (mins(0, 20),), id="hole-over-end"),
        pytest.param([mins(0, 30)], [mins(-1, 31)], (), id="hole-covers-all"),
        pytest.param([mins(0, 30)], [mins(0, 30)], (), id="hole-equal"),
        pytest.param([mins(10, 20)], [mins(0, 10)], (mins(10, 20),), id="touching-hole-before"),
        pytest.param([mins(10, 20)], [mins(20, 30)], (mins(10, 20),), id="touching-hole-after"),
        pytest.param([mins(10, 20), mins(0, 5)], [], (mins(0, 5), mins(10, 20)), id="no-holes"),
        pytest.param([], [mins(0, 10)], (), id="nothing-to-subtract-from"),
        pytest.param(
            [mins(0, 60)],
            [mins(10, 20), mins(30, 40)],
            (mins(0, 10), mins(20, 30), mins(40, 60)),
            id="two-holes-in-one",
        ),
        pytest.param(
            [mins(0, 10), mins(20, 30)],
            [mins(5, 25)],
            (mins(0, 5), mins(25, 30)),
            id="one-hole-across-two",
        ),
        pytest.param(
            [mins(50, 60)], [mins(0, 10), mins(20, 30)], (mins(50, 60),), id="holes-all-before"
        ),
        pytest.param(
            [mins(0, 60)], [mins(20, 40), mins(10, 30)], (mins(0, 10), mins(40, 60)), id="overlap"
        ),
        pytest.param(
            [mins(0, 10), mins(20, 30), mins(40, 50)],
            [mins(0, 10), mins(25, 45)],
            (mins(20, 25), mins(45, 50)),
            id="holes-spanning-several",
        ),
        pytest.param(
            [Interval(MIDNIGHT, MIDNIGHT + 3 * US)],
            [Interval(MIDNIGHT + US, MIDNIGHT + 2 * US)],
            (Interval(MIDNIGHT, MIDNIGHT + US), Interval(MIDNIGHT + 2 * US, MIDNIGHT + 3 * US)),
            id="microsecond-hole",
        ),
    ],
)
def test_subtract(a: list[Interval], b: list[Interval], expected: IntervalSet) -> None:
    """subtract keeps the instants of the first set that are not in the second."""
    assert subtract(a, b) == expected


@pytest.mark.parametrize(
    ("intervals", "expected"),
    [
        pytest.param([], timedelta(0), id="empty"),
        pytest.param([mins(0, 10)], timedelta(minutes=10), id="single"),
        pytest.param([mins(0, 10), mins(5, 15)], timedelta(minutes=15), id="overlap-once"),
        pytest.param([mins(0, 10), mins(10, 20)], timedelta(minutes=20), id="touching"),
        pytest.param([mins(0, 10), mins(0, 10)], timedelta(minutes=10), id="duplicate-once"),
        pytest.param([Interval(MIDNIGHT, MIDNIGHT + US)], US, id="one-microsecond"),
    ],
)
def test_total(intervals: list[Interval], expected: timedelta) -> None:
    """total is the length of the instants covered, overlaps counted once."""
    assert total(intervals) == expected


# ---------------------------------------------------------------------------------------------
# quorum (k of n)

A = [mins(0, 30)]
B = [mins(10, 40)]
C = [mins(20, 50)]


@pytest.mark.parametrize(
    ("sets", "k", "expected"),
    [
        pytest.param([A, B, C], 3, (mins(20, 30),), id="all-three-down"),
        pytest.param([A, B, C], 2, (mins(10, 40),), id="two-of-three"),
        pytest.param([A, B, C], 1, (mins(0, 50),), id="any-of-three-is-union"),
        pytest.param([A, B, C], 4, (), id="k-greater-than-n"),
        pytest.param([A], 1, (mins(0, 30),), id="one-of-one"),
        pytest.param([A], 2, (), id="two-of-one"),
        pytest.param([], 1, (), id="no-sets"),
        pytest.param([[], []], 1, (), id="empty-sets"),
        pytest.param([A, []], 2, (), id="one-set-empty"),
        pytest.param([[mins(0, 10)], [mins(10, 20)]], 2, (), id="touching-not-overlapping"),
        pytest.param([[mins(0, 10)], [mins(10, 20)]], 1, (mins(0, 20),), id="touching-k1-merge"),
        pytest.param([[mins(0, 10), mins(5, 15)]], 2, (), id="self-overlap-counts-once"),
        pytest.param(
            [[mins(0, 10), mins(10, 20)], [mins(5, 15)]],
            2,
            (mins(5, 15),),
            id="touching-within-a-set-merge-first",
        ),
        pytest.param(
            [[mins(0, 10)], [mins(0, 20)], [mins(10, 20)]],
            2,
            (mins(0, 20),),
            id="handover-at-one-instant",
        ),
        pytest.param(
            [[mins(0, 10), mins(20, 30)], [mins(5, 25)], []],
            2,
            (mins(5, 10), mins(20, 25)),
            id="two-pieces",
        ),
        pytest.param(
            [[mins(0, 10)], [mins(0, 10)], [mins(0, 10)]], 3, (mins(0, 10),), id="identical-sets"
        ),
    ],
)
def test_quorum(sets: Sequence[list[Interval]], k: int, expected: IntervalSet) -> None:
    """quorum holds the instants that lie in at least k of the sets."""
    assert quorum(sets, k) == expected


@pytest.mark.parametrize("k", [pytest.param(0, id="zero"), pytest.param(-1, id="negative")])
def test_quorum_needs_k_of_at_least_one(k: int) -> None:
    """k < 1 is refused with an IntervalError naming k."""
    with pytest.raises(IntervalError) as caught:
        quorum([A, B], k)
    assert caught.value.field == "k"

"""Half-open intervals of aware instants, and the set algebra on them.

An :class:`Interval` is ``[start, end)``. An *interval set* is a tuple of intervals that are
sorted, non-empty and pairwise apart: two intervals that overlap or touch are one (CREDIT-RULES.md:
"overlapping outages merge (touching ones too)"). Every function here takes any iterable of
intervals and returns a normalised set, so callers never have to normalise by hand.

Instants may carry any UTC offset; comparisons and arithmetic on aware datetimes are exact, so the
offset an instant is written in never changes a result.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from operator import attrgetter

from .errors import IntervalError

__all__ = [
    "Interval",
    "IntervalSet",
    "intersect",
    "normalize",
    "quorum",
    "subtract",
    "total",
    "union",
]

_ZERO = timedelta(0)
#: The order of ``Interval`` (start, then end) as a sort key: compared in C, not through the
#: dataclass's ``__lt__``, which matters for a month of a million outages.
_ORDER = attrgetter("start", "end")
_START = attrgetter("start")
_END = attrgetter("end")


@dataclass(frozen=True, slots=True, order=True)
class Interval:
    """The half-open span ``[start, end)`` between two aware instants, stored in UTC."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            value = getattr(self, name)
            if value.tzinfo is None or value.utcoffset() is None:
                raise IntervalError(name, f"instant {value.isoformat()} has no UTC offset")
        if self.end < self.start:
            raise IntervalError(
                "end", f"{self.end.isoformat()} is before start {self.start.isoformat()}"
            )
        # One representation: UTC, whatever offset the input was written in.
        object.__setattr__(self, "start", self.start.astimezone(UTC))
        object.__setattr__(self, "end", self.end.astimezone(UTC))

    @property
    def duration(self) -> timedelta:
        """Length of the interval."""
        return self.end - self.start

    @property
    def empty(self) -> bool:
        """True when the interval holds no instant."""
        return self.end == self.start


IntervalSet = tuple[Interval, ...]


def _piece(start: datetime, end: datetime) -> Interval:
    """An interval between instants of intervals already checked (UTC, ``start <= end``).

    The set algebra cuts and merges checked intervals only, so it skips the checks: a month of
    a million outages builds a million of these pieces.
    """
    piece = object.__new__(Interval)
    object.__setattr__(piece, "start", start)
    object.__setattr__(piece, "end", end)
    return piece


def normalize(intervals: Iterable[Interval]) -> IntervalSet:
    """Sort, drop empty intervals and merge those that overlap or touch."""
    if isinstance(intervals, tuple) and _normalized(intervals):
        return intervals  # the sets passed between the functions here: checked, not rebuilt
    merged: list[Interval] = []
    for iv in sorted(intervals, key=_ORDER):
        if merged and iv.start <= merged[-1].end:
            if iv.end > merged[-1].end:
                merged[-1] = _piece(merged[-1].start, iv.end)
        elif iv.start < iv.end:  # an empty interval apart from the others is dropped
            merged.append(iv)
    return tuple(merged)


def _normalized(intervals: tuple[Interval, ...]) -> bool:
    """Whether a tuple is a normalised set already: each interval not empty, and apart from
    and before the next."""
    return all(a.start < a.end < b.start for a, b in pairwise(intervals)) and (
        not intervals or intervals[-1].start < intervals[-1].end
    )


def union(*sets: Iterable[Interval]) -> IntervalSet:
    """Every instant in any of the sets."""
    return normalize(iv for s in sets for iv in s)


def intersect(a: Iterable[Interval], b: Iterable[Interval]) -> IntervalSet:
    """Every instant in both sets."""
    left, right = normalize(a), normalize(b)
    if len(right) == 1:
        return _within(left, right[0])
    out: list[Interval] = []
    i = j = 0
    while i < len(left) and j < len(right):
        start = max(left[i].start, right[j].start)
        end = min(left[i].end, right[j].end)
        if start < end:
            # Most of a set lies inside the other (a day's outages in the day): kept as they are.
            whole = start == left[i].start and end == left[i].end
            out.append(left[i] if whole else _piece(start, end))
        if left[i].end <= right[j].end:
            i += 1
        else:
            j += 1
    return tuple(out)


def _within(left: IntervalSet, span: Interval) -> IntervalSet:
    """``intersect(left, (span,))`` for a normalised set and a non-empty span: the run of
    ``left`` overlapping the span, found by bisection, its first and last cut to the span.

    A day of a month's outages takes time in the day's outages, not in the month's."""
    first = bisect.bisect_right(left, span.start, key=_END)
    run = list(left[first : bisect.bisect_left(left, span.end, first, key=_START)])
    if run:
        run[0], run[-1] = _clip(run[0], span), _clip(run[-1], span)
    return tuple(run)


def _clip(interval: Interval, span: Interval) -> Interval:
    """The part of ``interval`` in ``span``, which it overlaps."""
    start, end = max(interval.start, span.start), min(interval.end, span.end)
    return interval if start == interval.start and end == interval.end else _piece(start, end)


def subtract(a: Iterable[Interval], b: Iterable[Interval]) -> IntervalSet:
    """Every instant of ``a`` that is not in ``b``."""
    holes = normalize(b)
    out: list[Interval] = []
    j = 0
    for iv in normalize(a):
        cursor = iv.start
        while j < len(holes) and holes[j].end <= cursor:
            j += 1
        k = j
        while k < len(holes) and holes[k].start < iv.end:
            if holes[k].start > cursor:
                out.append(_piece(cursor, holes[k].start))
            cursor = max(cursor, holes[k].end)
            k += 1
        if cursor < iv.end:
            out.append(iv if cursor == iv.start else _piece(cursor, iv.end))
    return tuple(out)


def total(intervals: Iterable[Interval]) -> timedelta:
    """Total length of the instants covered (overlaps counted once)."""
    return sum((iv.duration for iv in normalize(intervals)), _ZERO)


def quorum(sets: Sequence[Iterable[Interval]], k: int) -> IntervalSet:
    """The instants that lie in at least ``k`` of the given sets.

    This is the k-of-n rule: with one set per frontend check and ``k = n`` it gives "every check
    down"; with one set per vantage and ``k`` a majority it gives "the quorum agrees".
    """
    if k < 1:
        raise IntervalError("k", f"quorum needs k >= 1, got {k}")
    # Each set is normalised first so that one set never counts twice at one instant.
    events = heapq.merge(
        *(
            sorted([(iv.start, 1) for iv in normalize(s)] + [(iv.end, -1) for iv in normalize(s)])
            for s in sets
        )
    )
    out: list[Interval] = []
    depth = 0
    opened: datetime | None = None
    # Ends sort before starts at one instant (-1 < 1), so touching intervals of different sets
    # are not counted as overlapping for a zero-length instant.
    for instant, step in events:
        depth += step
        if opened is None and depth >= k:
            opened = instant
        elif opened is not None and depth < k:
            # Never empty: sets are normalised (no zero-length interval) and ends sort first.
            out.append(Interval(opened, instant))
            opened = None
    return normalize(out)

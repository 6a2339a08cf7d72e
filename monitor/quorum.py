"""Whether a service is down, decided by the vantages together (CREDIT-RULES.md: "confirmed by the
quorum of vantage points").

Each vantage keeps its own intervals. At each instant a vantage *votes* on a service:

- **no data** where its daemon was not running or not configured to probe the service (outside
  its ``running`` intervals that list the service, or inside a vantage-wide ``gap``), where it
  was *isolated* (every check it runs down at once, its canaries included: its own network, not
  the service, is the likelier cause), or where every frontend check of the service was in a gap;
- **down** where it had the service in an ``outage`` interval;
- **up** otherwise.

The service is down where at least ``k(n)`` of the ``n`` vantages with data vote down, ``k`` given
by the service's ``quorum`` setting (:func:`required`). Where no vantage has data, nothing was
measured: a gap, which the contract's gap policy decides. The report, ``slawatch export`` and the
live service state all come from :func:`decide`, so they always agree.

Outage time is *unconfirmed* where nothing independent shows that the vantages voting down could
reach the network: fewer than two vantages vote down, and each of them had every check down at once
with no canary configured (an ``unconfirmed`` interval). It is still outage: measured downtime is
never dropped without evidence. The verdict lists it so that the report can say so beside it.

The k-of-n counting is :func:`sla.quorum`: "exactly ``n`` vantages have data" is
``quorum(measured, n) - quorum(measured, n + 1)``, and within it the service is down on
``quorum(down, k(n))``.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, NamedTuple, Protocol

from sla import Interval, IntervalSet, intersect, normalize, quorum, subtract, union

from .config.settings import Quorum, ServiceConfig
from .evidence import LIFECYCLE_SUBJECT, IntervalKind, IntervalRecord

__all__ = [
    "UNCONFIRMED_NOTE",
    "VANTAGE_STALE",
    "VANTAGE_WIDE",
    "IntervalReader",
    "Judged",
    "VantageView",
    "Verdict",
    "decide",
    "judge_services",
    "load_views",
    "owner",
    "required",
    "service_verdict",
]

#: A vantage whose daemon stopped without closing its ``running`` interval (a crash, a lost
#: machine) counts as measuring until its newest result plus this, and no longer.
VANTAGE_STALE: Final = timedelta(minutes=2)
_MICROSECOND: Final = timedelta(microseconds=1)

_KINDS: Final = (
    IntervalKind.RUNNING,
    IntervalKind.GAP,
    IntervalKind.ISOLATED,
    IntervalKind.UNCONFIRMED,
    IntervalKind.OUTAGE,
)

#: Kinds whose subject is a vantage, not a service: they count for every service.
VANTAGE_WIDE: Final = frozenset({IntervalKind.ISOLATED, IntervalKind.UNCONFIRMED})
#: Services decided between two turns of the event loop.
_YIELD_EVERY: Final = 100

#: Said beside outage time that no independent reference confirms.
UNCONFIRMED_NOTE: Final = (
    "not confirmed by an independent reference: add a canary or a second vantage"
)


class IntervalReader(Protocol):
    """What the quorum reads of the evidence: any store (:class:`monitor.store.base.Store`)."""

    async def intervals(
        self, *, start: datetime, end: datetime, kinds: Collection[IntervalKind] | None = None
    ) -> list[IntervalRecord]:
        """The intervals overlapping ``[start, end)``, of these kinds."""
        ...

    async def vantages_seen(self) -> dict[str, datetime]:
        """Every vantage that recorded a result, with its newest ``started_at``."""
        ...


def required(rule: Quorum, voters: int) -> int:
    """How many of ``voters`` vantages with data must vote down for the service to be down.

    ``majority`` is more than half; ``all`` every one; ``any`` one; a number ``k`` is ``k``, or
    every voter when fewer than ``k`` have data (so one vantage alone still measures).
    """
    if voters < 1:
        raise ValueError(f"voters must be at least 1, got {voters}")
    if rule == "majority":
        return voters // 2 + 1
    if rule == "all":
        return voters
    if rule == "any":
        return 1
    return min(rule, voters)


@dataclass(frozen=True, slots=True)
class VantageView:
    """What one vantage saw of one service: where it had data, where it saw it down, and where
    every check it runs was down with no canary to confirm its own connectivity."""

    vantage: str
    measured: IntervalSet
    down: IntervalSet
    unconfirmed: IntervalSet = ()


@dataclass(frozen=True, slots=True)
class Verdict:
    """The service's outages and unmeasured time over a window, with each vantage's view."""

    window: Interval
    outage: IntervalSet
    gaps: IntervalSet
    views: tuple[VantageView, ...]
    #: The part of ``outage`` that no independent reference confirms (still outage).
    unconfirmed: IntervalSet = ()

    def voters_at(self, instant: datetime) -> tuple[list[str], list[str]]:
        """The vantages with data at ``instant``, and those of them that saw the service down."""

        def within(spans: IntervalSet) -> bool:
            return any(span.start <= instant < span.end for span in spans)

        measuring = [v.vantage for v in self.views if within(v.measured)]
        down = [v.vantage for v in self.views if within(v.down)]
        return measuring, down

    def latest_unconfirmed(self) -> bool:
        """Whether the end of the window (the instant :meth:`latest` speaks of) is outage time
        that no independent reference confirms."""
        last = self.window.end - _MICROSECOND
        return any(span.start <= last < span.end for span in self.unconfirmed)

    def latest(self) -> tuple[str, list[str], list[str]]:
        """The state at the end of the window (``up``, ``down`` or ``unknown`` where no vantage
        measured), with the vantages measuring then and those that saw the service down."""
        last = self.window.end - _MICROSECOND
        measuring, down = self.voters_at(last)
        if not measuring:
            return "unknown", measuring, down
        is_down = any(span.start <= last < span.end for span in self.outage)
        return ("down" if is_down else "up"), measuring, down


def decide(views: Sequence[VantageView], rule: Quorum, window: Interval) -> Verdict:
    """Combine the vantages' views of a service over ``window`` by the quorum ``rule``."""
    clip = (window,)
    measured = [intersect(view.measured, clip) for view in views]
    down = [intersect(v.down, m) for v, m in zip(views, measured, strict=True)]
    outage: list[Interval] = []
    for voters in range(1, len(views) + 1):
        exactly = subtract(quorum(measured, voters), quorum(measured, voters + 1))
        if exactly:
            outage += intersect(exactly, quorum(down, required(rule, voters)))
    gaps = subtract(clip, quorum(measured, 1)) if views else normalize(clip)
    # Confirmed where two vantages agree, or one whose own connectivity was never in doubt.
    vouched = [subtract(d, v.unconfirmed) for d, v in zip(down, views, strict=True)]
    confirmed = union(quorum(down, 2), quorum(vouched, 1))
    unconfirmed = subtract(outage, confirmed)
    return Verdict(window, normalize(outage), gaps, tuple(views), unconfirmed)


def _spans(records: Iterable[IntervalRecord], until: datetime) -> IntervalSet:
    """The records as spans; an open one runs until ``until``."""
    spans = []
    for record in records:
        end = record.end if record.end is not None else until
        if end > record.start:
            spans.append(Interval(record.start, end))
    return normalize(spans)


async def load_views(
    store: IntervalReader, service: ServiceConfig, window: Interval, now: datetime
) -> list[VantageView]:
    """Each vantage's view of ``service`` over ``window``, from the stored intervals."""
    records = await store.intervals(start=window.start, end=window.end, kinds=_KINDS)
    seen = await store.vantages_seen()
    by_vantage: dict[str, list[IntervalRecord]] = defaultdict(list)
    for record in records:
        by_vantage[record.vantage].append(record)
    frontend = [f"{service.name}/{check.name}" for check in service.frontend]
    views = []
    for vantage, own in sorted(by_vantage.items()):
        # A run that lists its services measured only those (one that lists none predates it).
        running = [
            r
            for r in own
            if r.kind is IntervalKind.RUNNING
            and service.name in r.detail.get("services", [service.name])
        ]
        if not running:
            continue
        # Its newest sign of life: a result, or the start of its current run.
        newest = max([r.start for r in running] + ([seen[vantage]] if vantage in seen else []))
        alive_until = min(now, newest + VANTAGE_STALE)
        check_gaps = [
            _spans((r for r in own if r.kind is IntervalKind.GAP and r.subject == check), now)
            for check in frontend
        ]
        no_data = union(
            _spans(
                (
                    r
                    for r in own
                    if (r.kind is IntervalKind.GAP and r.subject == LIFECYCLE_SUBJECT)
                    or r.kind is IntervalKind.ISOLATED
                ),
                now,
            ),
            quorum(check_gaps, len(frontend)) if frontend else (),
        )
        measured = subtract(_spans(running, alive_until), no_data)
        outages = _spans(
            (r for r in own if r.kind is IntervalKind.OUTAGE and r.subject == service.name), now
        )
        unconfirmed = _spans((r for r in own if r.kind is IntervalKind.UNCONFIRMED), now)
        views.append(
            VantageView(
                vantage,
                measured,
                intersect(outages, measured),
                intersect(unconfirmed, measured),
            )
        )
    return views


async def service_verdict(
    store: IntervalReader, service: ServiceConfig, window: Interval, now: datetime
) -> Verdict:
    """The service's outages and gaps over ``window`` by its quorum rule."""
    views = await load_views(store, service, window, now)
    return decide(views, service.quorum, window)


def owner(record: IntervalRecord) -> str | None:
    """The service an interval is about, or None for one about a whole vantage."""
    if record.kind in VANTAGE_WIDE or record.subject == LIFECYCLE_SUBJECT:
        return None
    return record.subject.partition("/")[0]


class _Prefetched:
    """An :class:`IntervalReader` over intervals already read."""

    def __init__(self, records: Sequence[IntervalRecord], seen: Mapping[str, datetime]) -> None:
        self._records = records
        self._seen = dict(seen)

    async def intervals(
        self, *, start: datetime, end: datetime, kinds: Collection[IntervalKind] | None = None
    ) -> list[IntervalRecord]:
        return [
            r
            for r in self._records
            if (r.end is None or r.end > start)
            and r.start < end
            and (kinds is None or r.kind in kinds)
        ]

    async def vantages_seen(self) -> dict[str, datetime]:
        return self._seen


class Judged(NamedTuple):
    """A service's verdict, and the intervals about its own checks it was drawn from."""

    verdict: Verdict
    own: tuple[IntervalRecord, ...]


async def judge_services(
    store: IntervalReader,
    services: Sequence[ServiceConfig],
    window: Interval,
    now: datetime,
    *,
    kinds: Collection[IntervalKind] = _KINDS,
) -> dict[str, Judged]:
    """Every service's verdict over ``window``, from one read of the intervals (``kinds``,
    which include the quorum's) and one of the vantages seen: :func:`service_verdict` of each,
    without a read per service.

    A service with no interval of its own in the window (most of them, most of the time) has
    the verdict the vantage-wide intervals alone give under its quorum rule: it is decided once
    for all such services alike, not once each.
    """
    records = await store.intervals(start=window.start, end=window.end, kinds=kinds)
    seen = await store.vantages_seen()
    shared: list[IntervalRecord] = []
    own: dict[str, list[IntervalRecord]] = defaultdict(list)
    for record in records:
        name = owner(record)
        if name is None:
            shared.append(record)
        else:
            own[name].append(record)
    # Which services each run measured (None: every one, a run from before runs listed them).
    runs = [
        None if "services" not in r.detail else frozenset(r.detail["services"])
        for r in shared
        if r.kind is IntervalKind.RUNNING
    ]
    alike: dict[tuple[object, ...], Verdict] = {}
    found = {}
    for count, service in enumerate(services, start=1):
        name = service.name
        mine = own.get(name, [])
        key = None if mine else (service.quorum, *(r is None or name in r for r in runs))
        verdict = None if key is None else alike.get(key)
        if verdict is None:
            verdict = await service_verdict(_Prefetched(shared + mine, seen), service, window, now)
            if key is not None:
                alike[key] = verdict
        found[name] = Judged(verdict, tuple(mine))
        if count % _YIELD_EVERY == 0:
            await asyncio.sleep(0)  # a thousand services: let the probes' loop run meanwhile
    return found

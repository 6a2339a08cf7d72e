"""Each service's figures per local day: what the status page's day cells and windows add up.

A day's figures, over its span in ``status_page.timezone`` (up to now, for today):

- **measured**: time some vantage measured the service (the day less the quorum's gaps);
- **outage**: the quorum's outage (:func:`monitor.quorum.service_verdict`), the report's own;
- **degraded**: where the service was at least degraded (some frontend check down, a vantage's
  ``degraded`` interval, or down) by the same quorum rule, outside the outage: one vantage with
  a flaky route does not colour a day any more than it makes an outage;
- **maintenance**: announced maintenance (exclusions with reason ``maintenance``, not revoked)
  in force, whether or not the contract accepts it; outage during it stays outage, because the
  page shows what was measured, and the contract decides what it excludes;
- **gap**: where no vantage measured the service;

and the spans behind outage, unconfirmed outage, degraded and gap time, so that incidents and
"since when" read them without the intervals.

Closed days are computed once and stored (:func:`fill_days`, run by the daemon in the
background); today is computed live (:func:`read_evidence`). A stored day never disagrees with
the intervals: the schema deletes the days an interval or exclusion change covers, and a
computation stores its figures only if nothing changed while it ran (the claim of
:meth:`monitor.store.base.Store.claim_days`). A row also names its *basis*: the zone, the quorum
rule and the frontend checks it was computed under; after a change of configuration the row is
not read and the day is computed again.

Reading the intervals is done once per window for every service: one query, then each service's
verdict from its own records and the vantage-wide ones, in memory.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any, Final

from sla import (
    ExclusionReason,
    Interval,
    IntervalSet,
    day_span,
    intersect,
    local_date,
    normalize,
    subtract,
    total,
    union,
)

from ..config.settings import ServiceConfig, Settings
from ..evidence import ExclusionRecord, IntervalKind, IntervalRecord
from ..quorum import VantageView, Verdict, decide, judge_services
from ..store.base import DayAggregate, DayClaim, DayFigures, Store
from ..store.codec import from_microseconds, microseconds

__all__ = [
    "AGGREGATE_VERSION",
    "DAYS_PER_ROUND",
    "Evidence",
    "basis",
    "day_figures",
    "decode_spans",
    "figures_of",
    "fill_days",
    "missing_days",
    "read_evidence",
]

#: Changes whenever the figures are computed differently: rows of another version are not read.
AGGREGATE_VERSION: Final = 1
#: Days :func:`fill_days` computes at most per call (each: one read of that day's intervals for
#: every service that needs it).
DAYS_PER_ROUND: Final = 7

_KINDS: Final = (
    IntervalKind.RUNNING,
    IntervalKind.GAP,
    IntervalKind.ISOLATED,
    IntervalKind.UNCONFIRMED,
    IntervalKind.OUTAGE,
    IntervalKind.DEGRADED,
)
_SPAN_KEYS: Final = ("outage", "unconfirmed", "degraded", "gap")


def basis(service: ServiceConfig, zone: tzinfo) -> str:
    """What a service's day figures were computed under, in a few characters."""
    text = json.dumps(
        [AGGREGATE_VERSION, str(zone), service.quorum, sorted(c.name for c in service.frontend)]
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the evidence says of one service over a window ending at most at now."""

    service: str
    window: Interval
    verdict: Verdict
    #: At least degraded by the quorum rule, outside the outage.
    degraded: IntervalSet
    #: Announced maintenance in force (not revoked), within the window.
    maintenance: IntervalSet


def _spans(records: Iterable[IntervalRecord], until: datetime) -> IntervalSet:
    spans = []
    for record in records:
        end = record.end if record.end is not None else until
        if end > record.start:
            spans.append(Interval(record.start, end))
    return normalize(spans)


def _degraded(
    verdict: Verdict, service: ServiceConfig, own: Sequence[IntervalRecord], now: datetime
) -> IntervalSet:
    """Where the quorum of vantages saw the service degraded or down, outside the outage."""
    by_vantage: dict[str, list[IntervalRecord]] = defaultdict(list)
    for record in own:
        if record.kind is IntervalKind.DEGRADED and record.subject == service.name:
            by_vantage[record.vantage].append(record)
    if not by_vantage:
        return ()
    views = [
        VantageView(
            view.vantage,
            view.measured,
            union(
                view.down, intersect(_spans(by_vantage.get(view.vantage, ()), now), view.measured)
            ),
        )
        for view in verdict.views
    ]
    worse = decide(views, service.quorum, verdict.window).outage
    return subtract(worse, verdict.outage)


def _maintenance(
    exclusions: Iterable[ExclusionRecord], service: str, window: Interval
) -> IntervalSet:
    spans = [
        Interval(r.start, r.end)
        for r in exclusions
        if r.service == service
        and r.reason == ExclusionReason.MAINTENANCE.value
        and r.revoked_at is None
    ]
    return intersect(spans, (window,))


async def read_evidence(
    store: Store, services: Sequence[ServiceConfig], window: Interval, now: datetime
) -> dict[str, Evidence]:
    """Each service's evidence over ``window`` (ending at most at ``now``), from three reads:
    the intervals, the vantages seen, the exclusions.

    A service with no interval of its own in the window (most of them, on most days) has the
    verdict the vantage-wide intervals alone give under its quorum rule: it is decided once for
    all such services alike, not once each.
    """
    judged = await judge_services(store, services, window, now, kinds=_KINDS)
    exclusions: dict[str, list[ExclusionRecord]] = defaultdict(list)
    for exclusion in await store.exclusions(start=window.start, end=window.end):
        exclusions[exclusion.service].append(exclusion)
    found = {}
    for service in services:
        name, (verdict, mine) = service.name, judged[service.name]
        found[name] = Evidence(
            name,
            window,
            verdict,
            _degraded(verdict, service, mine, now),
            _maintenance(exclusions.get(name, ()), name, window),
        )
    return found


def _us(delta: timedelta) -> int:
    return delta // timedelta(microseconds=1)


def _encode(spans: Mapping[str, IntervalSet]) -> str | None:
    kept = {
        key: [[microseconds(s.start), microseconds(s.end)] for s in value]
        for key, value in spans.items()
        if value
    }
    return json.dumps(kept, separators=(",", ":")) if kept else None


def decode_spans(text: str | None) -> dict[str, IntervalSet]:
    """A stored day's spans by key (``outage``, ``unconfirmed``, ``degraded``, ``gap``)."""
    if text is None:
        return {}
    document: dict[str, Any] = json.loads(text)
    return {
        key: tuple(
            Interval(from_microseconds(start), from_microseconds(end))
            for start, end in document.get(key, ())
        )
        for key in _SPAN_KEYS
        if document.get(key)
    }


def _clip(evidence: Evidence, span: Interval) -> IntervalSet:
    """``span`` up to the end of the evidence's window."""
    return (Interval(span.start, max(span.start, min(span.end, evidence.window.end))),)


def figures_of(evidence: Evidence, span: Interval) -> tuple[int, int, int, int, int]:
    """Measured, outage, degraded, maintenance and gap microseconds within ``span``, up to the
    end of the evidence's window."""
    clip = _clip(evidence, span)
    verdict = evidence.verdict
    gap = _us(total(intersect(verdict.gaps, clip)))
    return (
        _us(clip[0].duration) - gap,
        _us(total(intersect(verdict.outage, clip))),
        _us(total(intersect(evidence.degraded, clip))),
        _us(total(intersect(evidence.maintenance, clip))),
        gap,
    )


def day_figures(evidence: Evidence, day: date, span: Interval, basis: str) -> DayFigures:
    """The figures of ``day`` (its UTC ``span``), up to the end of the evidence's window, with
    the spans behind them."""
    clip = _clip(evidence, span)
    verdict = evidence.verdict
    spans = {
        "outage": intersect(verdict.outage, clip),
        "unconfirmed": intersect(verdict.unconfirmed, clip),
        "degraded": intersect(evidence.degraded, clip),
        "gap": intersect(verdict.gaps, clip),
    }
    return DayFigures(evidence.service, day, *figures_of(evidence, span), _encode(spans), basis)


def missing_days(
    stored: Iterable[tuple[str, date, str]],
    bases: Mapping[str, str],
    days: Sequence[date],
) -> list[tuple[date, list[str]]]:
    """The days (in the order given) some service has no figures for under its basis, each with
    those services; ``stored`` holds ``(service, day, basis)`` of the days stored."""
    have = {(service, day) for service, day, basis in stored if bases.get(service) == basis}
    found = []
    for day in days:
        services = [name for name in bases if (name, day) not in have]
        if services:
            found.append((day, services))
    return found


async def fill_days(
    store: Store, settings: Settings, now: datetime, *, max_days: int = DAYS_PER_ROUND
) -> int:
    """Compute and store the closed days of the history window that have no figures, the most
    recent first, ``max_days`` days at most; return how many days were computed (0: none left).

    A day whose evidence changed while it was computed is not stored, and comes again.
    """
    page = settings.status_page
    zone = page.timezone
    services = {s.name: s for s in settings.services}
    if not services:
        return 0
    today = local_date(now, zone)
    closed = [today - timedelta(days=n) for n in range(1, page.history_days)]
    if not closed:
        return 0
    bases = {name: basis(service, zone) for name, service in services.items()}
    stored = await store.days_stored(first=closed[-1], last=closed[0])
    work = missing_days(stored, bases, closed)[:max_days]
    for day, names in work:
        span = day_span(day, zone)
        token = secrets.randbits(62) + 1
        await store.claim_days([DayClaim(name, day, span.start, span.end, token) for name in names])
        found = await read_evidence(store, [services[n] for n in names], span, now)
        await store.put_day_figures(
            [
                DayAggregate(day_figures(found[name], day, span, bases[name]), token, now)
                for name in names
            ]
        )
    return len(work)

"""The status page's and the dashboard's values (:mod:`monitor.status.model`), from the store.

:func:`build_public` reads the stored day figures of the history window (one query for every
service, :mod:`monitor.status.aggregates`) and the evidence of the last day or so (one read of the
intervals, one of the vantages seen, one of the exclusions), never raw results. So the page of a
thousand services is built from a few queries, whether the daemon serves it or
``slawatch status-page`` exports it. While the stored days do not change, the store gives back
the rows it read before, and what was made of them (each service's cells, sums and spans) is
kept with them: a build then costs the live part only.

**The state now** comes from the quorum's verdict at now: down is ``major_outage``; degraded
(some frontend checks down, by the quorum) is ``partial_outage``; announced maintenance in
progress is ``under_maintenance``; no vantage measuring is ``degraded_performance``, because what
is not measured is never shown as operational; else ``operational``. Money never appears here.

**The windows**: ``24h`` is the last 24 hours to the microsecond; ``7d``, ``30d`` and ``90d`` are
that many local days, today's part included; ``month`` is the local month so far. Each is outage
over measured time (time nobody measured counts neither way); a window longer than the history
kept (``status_page.history_days``) is left out.

**Incidents** are the quorum's outages over the history window, newest first, each with an id
derived from its service and its start (stable across builds and processes). **Maintenance** is
every announced maintenance (exclusion with reason ``maintenance``, not revoked) that ends within
the history window or later: past, in progress and scheduled.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final, Protocol

from sla import (
    Acceptance,
    ExclusionReason,
    Interval,
    IntervalSet,
    day_span,
    intersect,
    local_date,
    normalize,
    total,
)

from ..annotations.decisions import decide
from ..case.figures import month_figures
from ..config.settings import CheckRole, ServiceConfig, Settings
from ..evidence import ExclusionRecord, IntervalKind
from ..results import ProbeResult
from ..scheduler import build_checks
from ..state import CheckState
from ..store.base import DayFigures, Store
from ..store.codec import microseconds
from .aggregates import Evidence, basis, decode_spans, figures_of, read_evidence
from .model import (
    CheckLine,
    ComponentStatus,
    Dashboard,
    DayCell,
    DayKind,
    Incident,
    Maintenance,
    PublicService,
    PublicStatus,
    ServiceMoney,
    UptimeWindow,
)

__all__ = [
    "LIVE_REACH",
    "LiveCheck",
    "LiveState",
    "LiveView",
    "build_dashboard",
    "build_public",
    "day_kind",
    "ident",
]

#: How far back the live evidence reaches at least: the 24-hour window.
LIVE_REACH: Final = timedelta(hours=24)
#: How far back a static export looks for each check's latest result.
_LATEST_REACH: Final = timedelta(minutes=15)
_US: Final = timedelta(microseconds=1)
_ZERO: Final = timedelta(0)
_ACCEPTED: Final = frozenset({Acceptance.IN_FULL, Acceptance.FIRST_PART})


class LiveCheck(Protocol):
    """One check as a running daemon sees it (:class:`monitor.daemon.view.CheckView`)."""

    @property
    def service(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def role(self) -> CheckRole: ...
    @property
    def state(self) -> CheckState: ...
    @property
    def stale(self) -> bool: ...
    @property
    def last_result(self) -> ProbeResult | None: ...


class LiveState(Protocol):
    """A running daemon's live state (:class:`monitor.daemon.view.LiveState`), as far as the
    dashboard reads it."""

    @property
    def checks(self) -> Sequence[LiveCheck]: ...


class LiveView(Protocol):
    """What the dashboard reads of a running daemon: its view
    (:class:`monitor.daemon.view.DaemonView`) has it."""

    def live_state(self) -> LiveState: ...


@functools.lru_cache(maxsize=65_536)
def ident(*parts: str) -> str:
    """A short, stable id (12 characters of ``a-z2-7``) derived from ``parts``."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return base64.b32encode(digest).decode("ascii")[:12].lower()


def day_kind(figures: Sequence[int]) -> DayKind:
    """What colours a day with these figures (measured, outage, degraded, maintenance and gap
    microseconds): the worst that happened in it, in :class:`DayKind`'s order."""
    measured, outage, degraded, maintenance, gap = figures
    if outage:
        return DayKind.OUTAGE
    if degraded:
        return DayKind.DEGRADED
    if maintenance:
        return DayKind.MAINTENANCE
    if not measured:
        return DayKind.NO_DATA
    if gap:
        return DayKind.GAP
    return DayKind.UP


class _Cells:
    """Day cells and durations made once and shared: a thousand services' ninety days are mostly
    the same few values, and the cells are immutable."""

    def __init__(self) -> None:
        #: The cells made, by day and figures.
        self.known: dict[tuple[object, ...], DayCell] = {}
        self._durations: dict[int, timedelta] = {}

    def duration(self, us: int) -> timedelta:
        found = self._durations.get(us)
        if found is None:
            found = self._durations[us] = timedelta(microseconds=us)
        return found

    def cell(self, day: date, figures: Sequence[int]) -> DayCell:
        """The cell of ``day`` with these figures: measured, outage, degraded, maintenance and
        gap microseconds."""
        key = (day, *figures)
        found = self.known.get(key)
        if found is None:
            measured, outage, degraded, maintenance, gap = figures
            d = self.duration
            kind = day_kind(figures)
            found = DayCell(day, kind, d(measured), d(outage), d(degraded), d(maintenance), d(gap))
            self.known[key] = found
        return found


@dataclass(frozen=True, slots=True)
class _History:
    """A service's stored days, by index in the history window; not to be changed (it is kept
    for later builds)."""

    cells: tuple[DayCell, ...]
    #: The indices of days with no stored figures (their cells say no data).
    missing: frozenset[int]
    measured: tuple[int, ...]
    outage: tuple[int, ...]
    #: The stored spans by key, each normalised.
    spans: Mapping[str, IntervalSet]


@dataclass(frozen=True, slots=True)
class _Kept:
    """What was made of the stored rows, for as long as the store gives back the same ones."""

    rows: Sequence[DayFigures]
    key: tuple[object, ...]
    histories: Mapping[str, _History]


#: The histories of the last build: the store gives back the very same rows while nothing changed
#: (:meth:`monitor.store.base.Store.day_figures`), and working out 90,000 of them again every few
#: seconds would cost more than the rest of the build.
_KEPT: list[_Kept] = []
_CELLS = _Cells()
#: Distinct cells kept at most between two readings of the stored days.
_MAX_CELLS: Final = 500_000


def _histories(
    rows: Sequence[DayFigures], days: Sequence[date], bases: Mapping[str, str]
) -> Mapping[str, _History]:
    global _CELLS  # noqa: PLW0603 - the shared cells, made anew when they grew too many
    key = (tuple(days), tuple(sorted(bases.items())))
    if _KEPT and _KEPT[0].rows is rows and _KEPT[0].key == key:
        return _KEPT[0].histories
    if len(_CELLS.known) > _MAX_CELLS:  # days pass: the cells of days long gone are dropped
        _CELLS = _Cells()
    index = {day: i for i, day in enumerate(days)}
    blank = [_CELLS.cell(day, (0, 0, 0, 0, 0)) for day in days]
    size = len(days)
    made: dict[str, tuple[list[DayCell], set[int], list[int], list[int], dict[str, list[Interval]]]]
    made = {name: (list(blank), set(range(size)), [0] * size, [0] * size, {}) for name in bases}
    # Ninety thousand rows, most alike: the loop does as little as it can per row.
    known = _CELLS.known
    for row in rows:
        found = made.get(row[0])
        i = index.get(row[1])
        if found is None or i is None or bases[row[0]] != row[8]:
            continue
        cells, missing, measured, outage, spans = found
        cells[i] = known.get(row[1:7]) or _CELLS.cell(row[1], row[2:7])
        missing.discard(i)
        measured[i] = row[2]
        outage[i] = row[3]
        if row[7] is not None:
            for name, value in _decoded(row[7]):
                spans.setdefault(name, []).extend(value)
    histories = {
        name: _History(
            tuple(cells),
            frozenset(missing),
            tuple(measured),
            tuple(outage),
            {name: normalize(value) for name, value in spans.items()},
        )
        for name, (cells, missing, measured, outage, spans) in made.items()
    }
    _KEPT[:] = [_Kept(rows, key, histories)]
    return histories


@functools.lru_cache(maxsize=65_536)
def _decoded(text: str) -> tuple[tuple[str, IntervalSet], ...]:
    return tuple(decode_spans(text).items())


@dataclass(frozen=True, slots=True)
class _Live:
    """What the live evidence says, worked out once for every service it is alike for."""

    #: Figures of the days the live window covers in full or up to now, by index.
    figures: Mapping[int, tuple[int, int, int, int, int]]
    #: The last 24 hours: measured and outage microseconds.
    day: tuple[int, int]
    spans: Mapping[str, IntervalSet]
    state: str
    measuring: tuple[str, ...]
    down: tuple[str, ...]


def _live(evidence: Evidence, covered: Mapping[int, Interval], now: datetime) -> _Live:
    verdict = evidence.verdict
    last24 = (Interval(now - LIVE_REACH, now),)
    state, measuring, down = verdict.latest()
    return _Live(
        {i: figures_of(evidence, span) for i, span in covered.items()},
        (
            _us(LIVE_REACH - total(intersect(verdict.gaps, last24))),
            _us(total(intersect(verdict.outage, last24))),
        ),
        {
            "outage": verdict.outage,
            "unconfirmed": verdict.unconfirmed,
            "degraded": evidence.degraded,
            "gap": verdict.gaps,
        },
        state,
        tuple(measuring),
        tuple(down),
    )


def _us(delta: timedelta) -> int:
    return delta // _US


@dataclass(frozen=True, slots=True)
class _Service:
    """One service built: what the page shows, and what the dashboard adds from the same reads."""

    shown: PublicService
    evidence: Evidence
    live: _Live
    #: The history window's spans (stored days and the live evidence together).
    outage: IntervalSet
    unconfirmed: IntervalSet
    degraded: IntervalSet
    #: Measured microseconds by day of the history window, stored or live.
    measured: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class _Built:
    status: PublicStatus
    services: tuple[_Service, ...]
    history: Interval
    days: tuple[date, ...]


def _containing(spans: Iterable[Interval], instant: datetime) -> Interval | None:
    return next((s for s in spans if s.start <= instant < s.end), None)


def _incidents(
    service: str, outage: IntervalSet, unconfirmed: IntervalSet, now: datetime, kind: str
) -> list[Incident]:
    return [
        Incident(
            ident(kind, service, str(microseconds(span.start))),
            service,
            span.start,
            None if span.end >= now else span.end,
            unconfirmed=bool(unconfirmed) and bool(intersect((span,), unconfirmed)),
        )
        for span in outage
    ]


def _status(
    live: _Live,
    maintenance: Sequence[Interval],
    spans: Mapping[str, IntervalSet],
    now: datetime,
) -> tuple[ComponentStatus, datetime | None]:
    """The state now, and since when it holds (when known)."""
    last = now - _US
    if live.state == "down":
        current = _containing(spans["outage"], last)
        return ComponentStatus.MAJOR_OUTAGE, current.start if current else None
    current = _containing(spans["degraded"], last)
    if current is not None:
        return ComponentStatus.PARTIAL_OUTAGE, current.start
    current = _containing(maintenance, now)
    if current is not None:
        return ComponentStatus.UNDER_MAINTENANCE, current.start
    if live.state == "unknown":
        current = _containing(spans["gap"], last)
        return ComponentStatus.DEGRADED_PERFORMANCE, current.start if current else None
    ends = [s.end for key in ("outage", "degraded", "gap") for s in spans[key] if s.end <= now]
    ends += [s.end for s in maintenance if s.end <= now]
    return ComponentStatus.OPERATIONAL, max(ends, default=None)


def _windows(
    live: _Live,
    measured: Sequence[int],
    outage: Sequence[int],
    days: Sequence[date],
    zone_days: Mapping[date, Interval],
    *,
    now: datetime,
) -> tuple[UptimeWindow, ...]:
    duration = _CELLS.duration
    windows = [
        UptimeWindow(
            "24h",
            "Last 24 hours",
            now - LIVE_REACH,
            now,
            duration(live.day[0]),
            duration(live.day[1]),
        )
    ]
    today = days[-1]

    def over(key: str, label: str, first: date) -> UptimeWindow:
        since = (first - days[0]).days
        return UptimeWindow(
            key,
            label,
            zone_days[first].start,
            now,
            duration(sum(measured[since:])),
            duration(sum(outage[since:])),
        )

    for count in (7, 30, 90):
        if count <= len(days):
            windows.append(
                over(f"{count}d", f"Last {count} days", today - timedelta(days=count - 1))
            )
    windows.append(over("month", "This month", max(today.replace(day=1), days[0])))
    return tuple(windows)


async def _build(
    store: Store,
    settings: Settings,
    services: Sequence[ServiceConfig],
    now: datetime,
    *,
    show_checks: bool,
    show_vantages: bool,
) -> _Built:
    page = settings.status_page
    zone = page.timezone
    today = local_date(now, zone)
    days = tuple(today - timedelta(days=n) for n in range(page.history_days - 1, -1, -1))
    spans_of = {day: day_span(day, zone) for day in days}
    history = Interval(spans_of[days[0]].start, now)
    bases = {service.name: basis(service, zone) for service in services}
    rows = await store.day_figures(first=days[0], last=days[-2]) if len(days) > 1 else ()
    histories = _histories(rows, days, bases)
    last = len(days) - 1
    # The live evidence covers today and the last 24 hours; yesterday too while its figures are
    # not stored yet (just after midnight, before the daemon computed them).
    live_start = min(spans_of[today].start, now - LIVE_REACH)
    if last and any(last - 1 in h.missing for h in histories.values()):
        live_start = min(live_start, spans_of[days[-2]].start)
    covered = {
        i: spans_of[days[i]]
        for i in range(max(0, last - 1), last + 1)
        if spans_of[days[i]].start >= live_start
    }
    evidence = await read_evidence(store, services, Interval(live_start, max(live_start, now)), now)
    exclusions = await store.exclusions(start=history.start)
    maintenances = _maintenances(exclusions, settings, set(bases), history.start)
    planned: dict[str, list[Interval]] = defaultdict(list)
    for maintenance in maintenances:
        planned[maintenance.service].append(Interval(maintenance.start, maintenance.end))
    alike: dict[tuple[object, ...], _Live] = {}
    built = []
    for service in services:
        name = service.name
        found = evidence[name]
        key = (id(found.verdict), found.degraded, found.maintenance)
        live = alike.get(key)
        if live is None:
            live = alike[key] = _live(found, covered, now)
        kept = histories[name]
        cells, measured, outage = list(kept.cells), list(kept.measured), list(kept.outage)
        for i, figures in live.figures.items():
            if i == last or i in kept.missing:
                cells[i] = _CELLS.cell(days[i], figures)
                measured[i], outage[i] = figures[0], figures[1]
        spans = (
            live.spans
            if not kept.spans
            else {
                key: normalize((*kept.spans.get(key, ()), *value))
                for key, value in live.spans.items()
            }
        )
        state, since = _status(live, planned.get(name, ()), spans, now)
        built.append(
            _Service(
                PublicService(
                    name,
                    state,
                    since,
                    tuple(cells),
                    _windows(live, measured, outage, days, spans_of, now=now),
                    checks=tuple((c.name, c.target) for c in service.frontend)
                    if show_checks
                    else (),
                    vantages=tuple((v, "down" if v in live.down else "up") for v in live.measuring)
                    if show_vantages
                    else (),
                ),
                found,
                live,
                spans["outage"],
                spans["unconfirmed"],
                spans["degraded"],
                tuple(measured),
            )
        )
    incidents = [
        incident
        for one in built
        for incident in _incidents(one.shown.name, one.outage, one.unconfirmed, now, "outage")
    ]
    incidents.sort(key=lambda i: (i.start, i.service), reverse=True)
    status = PublicStatus(
        title=page.title,
        generated_at=now,
        timezone=page.zone_name,
        services=tuple(one.shown for one in built),
        incidents=tuple(incidents),
        maintenances=tuple(maintenances),
    )
    return _Built(status, tuple(built), history, days)


def _maintenances(
    exclusions: Iterable[ExclusionRecord], settings: Settings, shown: set[str], since: datetime
) -> list[Maintenance]:
    """Announced maintenance of the services shown ending after ``since``, newest first."""
    contracts = {s.name: settings.contracts[s.contract] for s in settings.services}
    found = [
        Maintenance(
            ident("maintenance", record.service, str(record.id)),
            record.service,
            record.start,
            record.end,
            record.announced_at,
            decide(record, contracts[record.service].to_contract()).acceptance in _ACCEPTED,
        )
        for record in exclusions
        if record.service in shown
        and record.reason == ExclusionReason.MAINTENANCE.value
        and record.revoked_at is None
        and record.end > since
    ]
    found.sort(key=lambda m: (m.start, m.service), reverse=True)
    return found


async def build_public(store: Store, settings: Settings, now: datetime) -> PublicStatus:
    """The public status page at ``now``: the public services (``status_page.public``), no money,
    check targets and vantage names only as ``status_page`` allows."""
    page = settings.status_page
    built = await _build(
        store,
        settings,
        settings.public_services,
        now,
        show_checks=page.show_checks,
        show_vantages=page.show_vantages,
    )
    return built.status


async def build_dashboard(
    store: Store,
    settings: Settings,
    now: datetime,
    *,
    live: LiveView | None,
    health: Mapping[str, object] | None = None,
) -> Dashboard:
    """The dashboard at ``now``: every service (with its checks and vantages), this vantage's
    checks, the votes, degraded periods, failover events and the money of the month so far.

    ``live`` is the running daemon's view: its checks come from there. Without it (a static
    export) each check's latest stored result from this vantage (of the last 15 minutes) and the
    intervals open now say the same. ``health`` is the daemon's ``/healthz`` body, if any.
    """
    built = await _build(
        store, settings, settings.services, now, show_checks=True, show_vantages=True
    )
    checks = _live_checks(live) if live is not None else await _stored_checks(store, settings, now)
    votes: dict[str, dict[str, str]] = {}
    degraded: list[Incident] = []
    for one in built.services:
        live_votes = one.live
        votes[one.shown.name] = {
            v: "down" if v in live_votes.down else "up" for v in live_votes.measuring
        }
        degraded += _incidents(one.shown.name, one.degraded, (), now, "degraded")
    degraded.sort(key=lambda i: (i.start, i.service), reverse=True)
    failovers = [
        Incident(
            ident("failover", record.vantage, record.subject, str(microseconds(record.start))),
            record.subject.partition("/")[0],
            record.start,
            record.end,
            node=record.subject.partition("/")[2],
            verdict=_verdict(record.detail.get("verdict")),
        )
        for record in await store.intervals(
            start=built.history.start, end=now, kinds=[IntervalKind.FAILOVER]
        )
    ]
    failovers.sort(key=lambda i: (i.start, i.service), reverse=True)
    money = []
    for service in settings.services:
        figures = await month_figures(store, settings, service, now)
        tier = figures.tier
        zone = settings.contracts[service.contract].to_contract().timezone
        money.append(
            ServiceMoney(
                service=service.name,
                currency=figures.currency,
                credit=figures.total_credit,
                credited_minutes=figures.credited_minutes,
                availability=figures.availability,
                uptime_percent=None if tier is None else tier.uptime_percent,
                minutes_to_next_tier=None if tier is None else tier.minutes_to_next_tier(),
                month=f"{figures.month.start.astimezone(zone):%Y-%m}",
            )
        )
    months = sorted(
        {
            f"{day:%Y-%m}"
            for one in built.services
            for day, measured in zip(built.days, one.measured, strict=True)
            if measured
        },
        reverse=True,
    )
    return Dashboard(
        public=built.status,
        vantage=settings.vantage,
        checks=checks,
        votes=votes,
        degraded=tuple(degraded),
        failovers=tuple(failovers),
        money=tuple(money),
        health=None if health is None else dict(health),
        months=tuple(months),
    )


def _verdict(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _line(service: str, check: str, role: str, state: str, last: ProbeResult | None) -> CheckLine:
    return CheckLine(
        service=service,
        check=check,
        role=role,
        state=state,
        outcome=None if last is None else last.outcome.value,
        latency=None if last is None else last.latency,
        last_at=None if last is None else last.started_at,
        detail="" if last is None else last.detail,
        cert_expires_at=None if last is None else last.cert_expires_at,
    )


def _live_checks(live: LiveView) -> tuple[CheckLine, ...]:
    """This vantage's checks as its daemon sees them now; a check with no fresh result is
    ``unknown``, whatever it last was."""
    return tuple(
        _line(
            c.service,
            c.name,
            c.role.value,
            CheckState.UNKNOWN.value if c.stale else c.state.value,
            c.last_result,
        )
        for c in live.live_state().checks
    )


async def _stored_checks(store: Store, settings: Settings, now: datetime) -> tuple[CheckLine, ...]:
    """This vantage's checks from the store: the latest result of each (of the last 15 minutes)
    and the intervals open now (a check down, or in a gap)."""
    open_now = await store.intervals(
        start=now - _US,
        end=now,
        kinds=[IntervalKind.CHECK_DOWN, IntervalKind.GAP],
        vantage=settings.vantage,
    )
    down = {r.subject for r in open_now if r.kind is IntervalKind.CHECK_DOWN}
    gaps = {r.subject for r in open_now if r.kind is IntervalKind.GAP}
    lines = []
    for check in build_checks(settings):
        results = await store.results(
            start=now - _LATEST_REACH, end=now, check=check.id, vantage=settings.vantage
        )
        last = results[-1] if results else None
        if check.id in down:
            state = CheckState.DOWN
        elif check.id in gaps or last is None:
            state = CheckState.UNKNOWN
        else:
            state = CheckState.UP
        lines.append(_line(check.service, check.name, check.role.value, state.value, last))
    return tuple(lines)

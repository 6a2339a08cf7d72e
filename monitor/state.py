"""Confirmed states from raw results, and the intervals they open and close.

Per check (from this vantage): ``confirm`` consecutive failed probes make it DOWN; the down
interval starts at the first failed probe and ends at the first successful one, with the
uncertainty bounds beside them (the last success before, the last failure before recovery).
Failures that recover sooner are a *blip*: recorded, never an outage. A result that arrives after
the previous one went stale (interval + timeout + slack) leaves a *gap* between them: not
measured, neither up nor down.

Intervals are handed to the result writer's journal as they open and close: the tracker never
waits on the store, and a store that fails meanwhile loses none of them (they are written, in
order, when it is back).

Per service: every frontend check DOWN is an *outage* (C1, C3), some is *degraded*.

Every check of this vantage DOWN at once is evidence about the vantage only when it has canaries:
with every canary down too, its own network is the likelier cause, so the time is an *isolation*
and the vantage's votes do not count while it lasts (see :mod:`monitor.quorum`). Without a canary
nothing tells a cut-off vantage from services that are really down, and measured downtime is never
dropped without evidence: the outages stand, and an *unconfirmed* interval beside them says that no
independent reference confirmed the vantage's own connectivity meanwhile. A crash
loses at most the changes of the last moment (the journal is written within a fraction of a
second); :meth:`StateTracker.restore` picks open intervals up again after a restart.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from .config.settings import CheckRole
from .evidence import (
    IntervalClose,
    IntervalJournal,
    IntervalKind,
    IntervalOpen,
    IntervalRecord,
    new_interval_id,
)
from .results import Outcome, ProbeResult
from .scheduler import ScheduledCheck

__all__ = ["CheckState", "CheckTrack", "ServiceState", "StateTracker", "freshness_bound"]

#: Extra time beyond interval + timeout before a result counts as stale (scheduler lag, clock
#: steps); a gap shorter than this is ordinary jitter, not missing measurement.
STALE_SLACK = 5.0


def freshness_bound(check: ScheduledCheck) -> float:
    """Seconds after which a check's last result no longer says anything about now."""
    return check.spec.interval + check.spec.timeout + STALE_SLACK


class CheckState(enum.StrEnum):
    """Confirmed state of one check from one vantage."""

    UNKNOWN = "unknown"
    UP = "up"
    DOWN = "down"


class ServiceState(enum.StrEnum):
    """Live state of a service from this vantage's frontend checks."""

    UNKNOWN = "unknown"
    UP = "up"
    DEGRADED = "degraded"
    DOWN = "down"


@dataclass(slots=True)
class CheckTrack:
    """What the tracker remembers about one check."""

    check: ScheduledCheck
    state: CheckState = CheckState.UNKNOWN
    failures: int = 0
    first_failure: ProbeResult | None = None
    last_success_at: datetime | None = None
    last_failure_at: datetime | None = None
    last_result: ProbeResult | None = None
    down_start: datetime | None = None
    down_start_bound: datetime | None = None
    interval_id: int | None = None
    outcomes: Counter[str] = field(default_factory=Counter)

    def stale(self, now: datetime) -> bool:
        """True when no result is fresh enough to say anything about ``now`` (a gap is open)."""
        if self.last_result is None:
            return True
        age = (now - self.last_result.started_at).total_seconds()
        return age > freshness_bound(self.check)


@dataclass(slots=True)
class _ServiceTrack:
    state: ServiceState = ServiceState.UNKNOWN
    kind: IntervalKind | None = None
    interval_id: int | None = None


_SERVICE_INTERVAL = {
    ServiceState.DOWN: IntervalKind.OUTAGE,
    ServiceState.DEGRADED: IntervalKind.DEGRADED,
}

_ALL_DOWN_KINDS = (IntervalKind.ISOLATED, IntervalKind.UNCONFIRMED)

Listener = Callable[[str, ServiceState, ServiceState, datetime], None]
#: Told of a check's confirmed change: DOWN at its first failed probe, UP at its recovery.
CheckListener = Callable[[ScheduledCheck, CheckState, datetime], None]


class StateTracker:
    """Turns results into confirmed states and persisted intervals."""

    def __init__(
        self,
        journal: IntervalJournal,
        vantage: str,
        *,
        on_service_change: Listener | None = None,
        on_check_change: CheckListener | None = None,
    ) -> None:
        self._journal = journal
        self._vantage = vantage
        self._on_service_change = on_service_change
        self._on_check_change = on_check_change
        self._tracks: dict[str, CheckTrack] = {}
        self._services: dict[str, _ServiceTrack] = {}
        # How many tracks are DOWN, kept as states change, so "all down" is found in O(1).
        self._down = 0
        # The open "every check down" interval (ISOLATED or UNCONFIRMED), and its kind.
        self._all_down_id: int | None = None
        self._all_down_kind: IntervalKind | None = None
        self._has_canaries = False
        # Each service's frontend tracks, so judging a service costs its own checks only.
        self._frontends: dict[str, list[CheckTrack]] = {}
        # Where each open interval starts: a close never goes before it, even when results of
        # different checks arrive out of order (a slow probe that began before a faster one).
        self._starts: dict[int, datetime] = {}

    @property
    def isolated(self) -> bool:
        """Every check of this vantage, its canaries included, is down at once: no vote counts."""
        return self._all_down_kind is IntervalKind.ISOLATED

    @property
    def unconfirmed(self) -> bool:
        """Every check of this vantage, which has no canary, is down at once: its outages stand,
        but nothing independent confirms that the vantage itself can reach the network."""
        return self._all_down_kind is IntervalKind.UNCONFIRMED

    @property
    def tracks(self) -> dict[str, CheckTrack]:
        """Per-check state, by check id."""
        return self._tracks

    def service_state(self, service: str) -> ServiceState:
        """The live state of a service."""
        track = self._services.get(service)
        return track.state if track else ServiceState.UNKNOWN

    def set_checks(self, checks: Iterable[ScheduledCheck]) -> None:
        """Track these checks; state of checks kept across a reload is preserved."""
        new = {c.id: c for c in checks}
        for check_id, check in new.items():
            track = self._tracks.get(check_id)
            if track is None:
                self._tracks[check_id] = CheckTrack(check)
            else:
                track.check = check
        for check_id in self._tracks.keys() - new.keys():
            if self._tracks.pop(check_id).state is CheckState.DOWN:
                self._down -= 1
        for service in {c.service for c in new.values()}:
            self._services.setdefault(service, _ServiceTrack())
        self._has_canaries = any(t.check.role is CheckRole.CANARY for t in self._tracks.values())
        self._frontends = {}
        for track in self._tracks.values():
            if track.check.role is CheckRole.FRONTEND:
                self._frontends.setdefault(track.check.service, []).append(track)

    def restore(self, open_intervals: Iterable[IntervalRecord]) -> None:
        """Resume the intervals a previous run of this vantage left open (the store's
        ``open_intervals`` of this vantage)."""
        for record in open_intervals:
            if record.kind is IntervalKind.RUNNING:
                continue  # the daemon's own life: the daemon closes it
            if record.id is not None:
                self._starts[record.id] = record.start
            if record.kind in _ALL_DOWN_KINDS and record.subject == self._vantage:
                self._all_down_id = record.id
                self._all_down_kind = record.kind
                if (
                    record.kind is IntervalKind.ISOLATED
                    and not self._has_canaries
                    and "canaries" not in record.detail
                    and record.id is not None
                ):
                    # Recorded before isolation needed canaries, and none is configured now:
                    # nothing ever showed this vantage cut off. From its start, it is unconfirmed.
                    self._close(record.id, record.start, None)
                    self._open_all_down(IntervalKind.UNCONFIRMED, record.start, record.start_bound)
            elif record.kind is IntervalKind.CHECK_DOWN and record.subject in self._tracks:
                track = self._tracks[record.subject]
                self._set_state(track, CheckState.DOWN)
                track.interval_id = record.id
                track.down_start = record.start
                track.down_start_bound = record.start_bound
                track.outcomes.update(record.detail.get("outcomes", {}))
                track.failures = track.check.spec.confirm
            elif record.kind in (IntervalKind.OUTAGE, IntervalKind.DEGRADED) and (
                record.subject in self._services
            ):
                service = self._services[record.subject]
                service.kind = record.kind
                service.interval_id = record.id
                service.state = (
                    ServiceState.DOWN
                    if record.kind is IntervalKind.OUTAGE
                    else ServiceState.DEGRADED
                )
            elif record.id is not None:
                # A check or service no longer configured: its interval ends where evidence ends.
                self._close(record.id, record.end_bound or record.start, record.end_bound)

    def observe(self, check: ScheduledCheck, result: ProbeResult) -> bool:
        """Take one result; return True while the check should be re-probed fast."""
        track = self._tracks.get(check.id)
        if track is None:
            return False
        if result.outcome is Outcome.PROBE_ERROR:
            # The prober failed (out of resources, overloaded): no measurement of the target,
            # neither up nor down. Left out, it keeps nothing fresh: a stretch of them is a gap.
            return False
        previous = track.last_result
        track.last_result = result
        at = result.started_at
        if previous is not None and (at - previous.started_at) > timedelta(
            seconds=freshness_bound(check)
        ):
            self._record(
                IntervalRecord(IntervalKind.GAP, self._vantage, check.id, previous.started_at, at)
            )
        if result.up:
            self._on_success(track, result)
            changed = track.state is not CheckState.UP
            self._set_state(track, CheckState.UP)
            if changed and self._on_check_change is not None:
                self._on_check_change(check, CheckState.UP, result.started_at)
            if changed and check.role is CheckRole.FRONTEND:
                self._evaluate(check.service, result, track)
            if self._all_down_id is not None:
                self._close(self._all_down_id, result.started_at, track.last_failure_at)
                self._all_down_id = self._all_down_kind = None
            return False
        self._on_failure(track, result)
        if track.state is CheckState.DOWN and check.role is CheckRole.FRONTEND:
            self._evaluate(check.service, result, track)
        if self._tracks and self._down == len(self._tracks):
            if self._all_down_id is None:
                self._all_down()
            elif self._all_down_kind is not self._wanted_kind():
                self._rekind(self._all_down_id, result.started_at)
        return True

    def _set_state(self, track: CheckTrack, state: CheckState) -> None:
        self._down += (state is CheckState.DOWN) - (track.state is CheckState.DOWN)
        track.state = state

    def _all_down(self) -> None:
        """Every check is down: open an isolation, or without canaries an unconfirmed interval,
        at the last moment any of them worked.

        From then on nothing this vantage probes is known to have worked. With every canary down
        too, a network cut is the likelier cause: the time counts as not measured here. (Starting
        at the last check to go down would leave the time before it, when the first checks were
        already failing because of the same cut, as an outage seen by this vantage alone.)
        Without canaries there is no such evidence, so the outages stand, marked unconfirmed.
        """
        successes = [t.down_start_bound for t in self._tracks.values() if t.down_start_bound]
        starts = [t.down_start for t in self._tracks.values() if t.down_start is not None]
        if not starts:
            return  # only restored tracks, which resume without their start
        start = max(successes) if successes else max(starts)
        self._open_all_down(self._wanted_kind(), start, start if successes else None)

    def _wanted_kind(self) -> IntervalKind:
        return IntervalKind.ISOLATED if self._has_canaries else IntervalKind.UNCONFIRMED

    def _open_all_down(self, kind: IntervalKind, start: datetime, bound: datetime | None) -> None:
        canaries = sum(t.check.role is CheckRole.CANARY for t in self._tracks.values())
        self._all_down_kind = kind
        self._all_down_id = self._record(
            IntervalRecord(
                kind,
                self._vantage,
                self._vantage,
                start,
                None,
                start_bound=bound,
                detail={"checks": len(self._tracks), "canaries": canaries},
            )
        )

    def _rekind(self, interval_id: int, at: datetime) -> None:
        """Every check is still down but the canaries changed (a reload, or a restart with
        another configuration): the open interval changes kind where the evidence changed.

        An isolation becomes unconfirmed at ``at``: the time before stood on canaries that
        failed then. An unconfirmed interval becomes an isolation from the first failure of the
        last canary to go down, never earlier: there was no evidence before it.
        """
        kind = self._wanted_kind()
        if kind is IntervalKind.ISOLATED:
            canaries_down = [
                t.down_start
                for t in self._tracks.values()
                if t.check.role is CheckRole.CANARY and t.down_start is not None
            ]
            at = max(canaries_down, default=at)
        self._close(interval_id, at, None)
        self._open_all_down(kind, at, None)

    def _on_success(self, track: CheckTrack, result: ProbeResult) -> None:
        at = result.started_at
        if track.state is CheckState.DOWN and track.interval_id is not None:
            detail = {"outcomes": dict(track.outcomes), "recovered_by": result.detail}
            self._close(track.interval_id, at, track.last_failure_at, detail)
        elif track.failures and track.first_failure is not None:
            self._record(
                IntervalRecord(
                    IntervalKind.BLIP,
                    self._vantage,
                    track.check.id,
                    track.first_failure.started_at,
                    at,
                    start_bound=track.last_success_at,
                    end_bound=track.last_failure_at,
                    detail={"outcomes": dict(track.outcomes), "failures": track.failures},
                )
            )
        track.failures = 0
        track.first_failure = None
        track.interval_id = None
        track.down_start = None
        track.down_start_bound = None
        track.outcomes.clear()
        track.last_success_at = at

    def _on_failure(self, track: CheckTrack, result: ProbeResult) -> None:
        track.outcomes[result.outcome.value] += 1
        track.last_failure_at = result.started_at
        if track.state is CheckState.DOWN:
            return
        track.failures += 1
        if track.first_failure is None:
            track.first_failure = result
        if track.failures < track.check.spec.confirm:
            return
        first = track.first_failure
        self._set_state(track, CheckState.DOWN)
        if self._on_check_change is not None:
            self._on_check_change(track.check, CheckState.DOWN, first.started_at)
        track.down_start = first.started_at
        track.down_start_bound = track.last_success_at
        track.interval_id = self._record(
            IntervalRecord(
                IntervalKind.CHECK_DOWN,
                self._vantage,
                track.check.id,
                first.started_at,
                None,
                start_bound=track.last_success_at,
                detail={"outcomes": dict(track.outcomes), "first_failure": first.detail},
            )
        )

    def _evaluate(self, service: str, result: ProbeResult, changed: CheckTrack) -> None:
        frontend = self._frontends.get(service, [])
        down = [t for t in frontend if t.state is CheckState.DOWN]
        if frontend and len(down) == len(frontend):
            new = ServiceState.DOWN
        elif down:
            new = ServiceState.DEGRADED
        elif all(t.state is CheckState.UP for t in frontend):
            new = ServiceState.UP
        else:
            new = ServiceState.UNKNOWN
        track = self._services.setdefault(service, _ServiceTrack())
        if new is track.state:
            return
        # The instant of the change: when the last check to fail first failed (entering an
        # outage), or the first failed probe of the check that just went down, or the
        # successful probe that just ended one check's down interval.
        if new is ServiceState.DOWN:
            latest = max(down, key=lambda t: t.down_start or result.started_at)
            at = latest.down_start or result.started_at
            start_bound = latest.down_start_bound
        elif changed.state is CheckState.DOWN:
            at = changed.down_start or result.started_at
            start_bound = changed.down_start_bound
        else:
            at, start_bound = result.started_at, None
        if track.interval_id is not None:
            end_bound = changed.last_failure_at if changed.state is CheckState.UP else None
            self._close(track.interval_id, at, end_bound)
            track.interval_id = None
        kind = {
            ServiceState.DOWN: IntervalKind.OUTAGE,
            ServiceState.DEGRADED: IntervalKind.DEGRADED,
        }
        track.kind = kind.get(new)
        if track.kind is not None:
            detail: dict[str, Any] = {"checks_down": sorted(t.check.name for t in down)}
            track.interval_id = self._record(
                IntervalRecord(
                    track.kind,
                    self._vantage,
                    service,
                    at,
                    None,
                    start_bound=start_bound,
                    detail=detail,
                )
            )
        old = track.state
        track.state = new
        if self._on_service_change is not None:
            self._on_service_change(service, old, new, at)

    def _record(self, record: IntervalRecord) -> int:
        interval_id = new_interval_id()
        if record.end is None:
            self._starts[interval_id] = record.start
        self._journal.submit_interval(IntervalOpen(replace(record, id=interval_id)))
        return interval_id

    def _close(
        self,
        interval_id: int,
        end: datetime,
        end_bound: datetime | None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        start = self._starts.pop(interval_id, None)
        if start is not None and end < start:
            end = start
        if end_bound is not None and start is not None and end_bound < start:
            end_bound = None
        self._journal.submit_interval(IntervalClose(interval_id, end, end_bound, detail))

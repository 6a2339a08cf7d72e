"""What the HTTP surface reads of the daemon: a narrow view, and frozen snapshots of its state.

The daemon satisfies :class:`DaemonView`; the surface holds that view, never the daemon, so it
can neither start, stop nor change it, and neither this module nor the surface imports the
runner.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ..config.settings import CheckRole, Quorum, Settings
from ..failover import FailoverEvent
from ..quorum import Verdict
from ..results import ProbeResult
from ..state import CheckState, ServiceState, StateTracker
from ..store.base import Store
from .health import HealthSnapshot

__all__ = ["CheckView", "DaemonView", "FailoverView", "LiveState", "ServiceView"]


@dataclass(frozen=True, slots=True)
class CheckView:
    """One check as this vantage sees it now."""

    id: str
    service: str
    name: str
    role: CheckRole
    state: CheckState
    #: No result fresh enough to say anything about now.
    stale: bool
    down_since: datetime | None
    last_result: ProbeResult | None


@dataclass(frozen=True, slots=True)
class ServiceView:
    """One configured service: its state from this vantage, and the vantages' latest verdict."""

    name: str
    quorum: Quorum
    state: ServiceState
    #: None until the quorum was first computed.
    verdict: Verdict | None


@dataclass(frozen=True, slots=True)
class FailoverView:
    """An open failover event, as far as the live state shows it."""

    service: str
    node: str
    since: datetime
    frontend_probes: int
    frontend_failures: int
    frontend_clean_at: datetime | None
    dns_removed_at: datetime | None
    reasons: tuple[str, ...]

    @classmethod
    def of(cls, event: FailoverEvent) -> FailoverView:
        """The event's figures as they are now."""
        return cls(
            event.service,
            event.node,
            event.start,
            event.frontend_probes,
            event.frontend_failures,
            event.frontend_clean_at,
            event.dns_removed_at,
            tuple(event.reasons),
        )


@dataclass(frozen=True, slots=True)
class LiveState:
    """The daemon's live state, what ``/api/state`` shows."""

    vantage: str
    #: Every check of this vantage, its canaries included, is down at once: no vote counts.
    isolated: bool
    #: Every check of this vantage, which has no canary, is down at once: nothing independent
    #: confirms that the vantage itself reaches the network.
    unconfirmed: bool
    services: tuple[ServiceView, ...]
    #: Every check, the canaries' included, in the tracker's order.
    checks: tuple[CheckView, ...]
    failover_events: tuple[FailoverView, ...]

    @classmethod
    def of(
        cls,
        settings: Settings,
        tracker: StateTracker,
        verdicts: Mapping[str, Verdict],
        failover_events: Iterable[FailoverEvent],
        *,
        now: datetime,
    ) -> LiveState:
        """The state the tracker, the quorum's verdicts and the failover events give ``now``."""
        return cls(
            vantage=settings.vantage,
            isolated=tracker.isolated,
            unconfirmed=tracker.unconfirmed,
            services=tuple(
                ServiceView(s.name, s.quorum, tracker.service_state(s.name), verdicts.get(s.name))
                for s in settings.services
            ),
            checks=tuple(
                CheckView(
                    check_id,
                    track.check.service,
                    track.check.name,
                    track.check.role,
                    track.state,
                    track.stale(now),
                    track.down_start,
                    track.last_result,
                )
                for check_id, track in tracker.tracks.items()
            ),
            failover_events=tuple(FailoverView.of(e) for e in failover_events),
        )


class DaemonView(Protocol):
    """What the HTTP surface may read of the daemon, and nothing more."""

    @property
    def settings(self) -> Settings:
        """The running configuration (the API token, the services annotations name)."""
        ...

    @property
    def store(self) -> Store:
        """Where exclusions and notices are listed, added and revoked."""
        ...

    def clock_now(self) -> datetime:
        """Wall time on the daemon's clock."""
        ...

    def health_snapshot(self) -> HealthSnapshot:
        """What ``/healthz`` judges, as of now."""
        ...

    def live_state(self) -> LiveState:
        """What ``/api/state`` shows, as of now."""
        ...

    def scrape_chunks(self, *, openmetrics: bool = False) -> Iterator[bytes]:
        """Every metric in Prometheus' text format (or OpenMetrics'), brought up to date, in
        pieces to write one at a time."""
        ...

"""What the status page, the dashboard and the machine-readable status show, as plain values.

Built from the store alone (the quorum's verdict, the stored intervals, the exclusions and the
per-day aggregates), so that the daemon serves it and ``slawatch status-page`` exports the very
same thing. Renderers (HTML templates, ``summary.json``, the Atom feed, the badges) read these
values and compute nothing of their own.

Two audiences: the public status page shows :class:`PublicStatus` (no money, no vantage names,
no check URLs unless configured); the dashboard shows :class:`Dashboard`, for the people who run
slawatch (money and internals; behind the API token when one is set).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from ..durations import availability

__all__ = [
    "CheckLine",
    "ComponentStatus",
    "Dashboard",
    "DayCell",
    "DayKind",
    "Incident",
    "Maintenance",
    "PublicService",
    "PublicStatus",
    "ServiceMoney",
    "UptimeWindow",
]


class ComponentStatus(enum.StrEnum):
    """A service's state now, in the vocabulary of the Atlassian Statuspage API.

    ``major_outage``: the quorum sees the whole service down. ``partial_outage``: some frontend
    checks fail (degraded). ``under_maintenance``: an announced maintenance is in progress and the
    service is not down. ``degraded_performance``: not measured now (no vantage has fresh data):
    never shown as operational without a measurement. ``operational``: measured up.
    """

    OPERATIONAL = "operational"
    DEGRADED_PERFORMANCE = "degraded_performance"
    PARTIAL_OUTAGE = "partial_outage"
    MAJOR_OUTAGE = "major_outage"
    UNDER_MAINTENANCE = "under_maintenance"


class DayKind(enum.StrEnum):
    """What colours a day's cell: the worst that happened in it, in this order."""

    OUTAGE = "outage"
    DEGRADED = "degraded"
    MAINTENANCE = "maintenance"
    GAP = "gap"
    UP = "up"
    #: Nothing measured that day (before monitoring began, or in the future).
    NO_DATA = "no_data"


@dataclass(frozen=True, slots=True)
class DayCell:
    """One local day of a service (a cell of the 90-day bar), from the per-day aggregates."""

    date: date
    kind: DayKind
    #: Time some vantage measured the service; outage (quorum), degraded (some checks down,
    #: not outage), maintenance (announced, accepted) and gap (nobody measured) time.
    measured: timedelta
    outage: timedelta
    degraded: timedelta
    maintenance: timedelta
    gap: timedelta

    @property
    def availability(self) -> Fraction | None:
        """1 - outage / measured, or None when nothing was measured."""
        return availability(self.outage, self.measured)


@dataclass(frozen=True, slots=True)
class UptimeWindow:
    """Availability over a window the reader chose: ``24h``, ``7d``, ``30d``, ``90d``, ``month``."""

    key: str
    label: str
    start: datetime
    end: datetime
    measured: timedelta
    outage: timedelta

    @property
    def availability(self) -> Fraction | None:
        """1 - outage / measured, or None when nothing was measured."""
        return availability(self.outage, self.measured)


@dataclass(frozen=True, slots=True)
class Incident:
    """An outage of a service as the quorum decided it; ``end`` None while it goes on."""

    id: str
    service: str
    start: datetime
    end: datetime | None
    #: Parts no independent reference confirms (still outage, said beside it).
    unconfirmed: bool = False
    #: For a failover event (the dashboard's): the node, and the verdict (``kept`` or
    #: ``breached``; None while open).
    node: str | None = None
    verdict: str | None = None

    @property
    def ongoing(self) -> bool:
        """Whether it is still going on."""
        return self.end is None

    def duration(self, now: datetime) -> timedelta:
        """How long it lasted (so far, while ongoing)."""
        return (self.end or now) - self.start


@dataclass(frozen=True, slots=True)
class Maintenance:
    """An announced maintenance (an exclusion with reason ``maintenance``), scheduled or past."""

    id: str
    service: str
    start: datetime
    end: datetime
    announced_at: datetime | None
    #: Whether the contract accepts it (announced in time); the public page shows it either way.
    accepted: bool


@dataclass(frozen=True, slots=True)
class PublicService:
    """A service as the public status page shows it."""

    name: str
    status: ComponentStatus
    #: Since when the current status holds, when known.
    since: datetime | None
    days: tuple[DayCell, ...]
    windows: tuple[UptimeWindow, ...]
    #: ``status_page.show_checks``: each frontend check's name and target (a URL without its
    #: password and query values); empty otherwise.
    checks: tuple[tuple[str, str], ...] = ()
    #: ``status_page.show_vantages``: each vantage measuring now and its vote (``up`` or
    #: ``down``); empty otherwise.
    vantages: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class PublicStatus:
    """The public status page: an overall banner, each public service, incidents, maintenance."""

    title: str
    generated_at: datetime
    #: The zone the days are local to.
    timezone: str
    services: tuple[PublicService, ...]
    incidents: tuple[Incident, ...]
    maintenances: tuple[Maintenance, ...]

    @property
    def worst(self) -> ComponentStatus:
        """The overall banner's status: the worst of the services'."""
        order = (
            ComponentStatus.MAJOR_OUTAGE,
            ComponentStatus.PARTIAL_OUTAGE,
            ComponentStatus.DEGRADED_PERFORMANCE,
            ComponentStatus.UNDER_MAINTENANCE,
            ComponentStatus.OPERATIONAL,
        )
        states = {s.status for s in self.services}
        return next((s for s in order if s in states), ComponentStatus.OPERATIONAL)


@dataclass(frozen=True, slots=True)
class CheckLine:
    """One check from this vantage, for the dashboard."""

    service: str
    check: str
    role: str
    state: str
    outcome: str | None
    latency: float | None
    last_at: datetime | None
    detail: str
    cert_expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class ServiceMoney:
    """This month so far for one service (the live SLA figures)."""

    service: str
    currency: str
    credit: Decimal
    credited_minutes: int
    availability: Fraction | None
    #: Under ``uptime_tiers``: the month's uptime so far, in percent, and the minutes left
    #: before the next tier (None: none left, or a per-minute contract).
    uptime_percent: Fraction | None
    minutes_to_next_tier: int | None
    #: The month, ``YYYY-MM``, for the link to its report.
    month: str


@dataclass(frozen=True, slots=True)
class Dashboard:
    """The private dashboard: the public view plus internals and money."""

    public: PublicStatus
    vantage: str
    checks: tuple[CheckLine, ...]
    #: Each service's vantages and their votes now: vantage -> ``up`` | ``down``.
    votes: dict[str, dict[str, str]]
    degraded: tuple[Incident, ...]
    failovers: tuple[Incident, ...]
    money: tuple[ServiceMoney, ...]
    #: The daemon's own health (``/healthz``'s body), None for a static export.
    health: dict[str, object] | None
    #: The months with a report to link to, newest first (``YYYY-MM``).
    months: tuple[str, ...]

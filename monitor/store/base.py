"""The store interface: raw probe results, the intervals derived from them, and what people add
beside them (exclusions, provider notices).

Two implementations share it (SQLite, the default; PostgreSQL) and one test suite. Instants are
UTC-aware datetimes, intervals half-open ``[start, end)``; an interval whose ``end`` is None is
still open. Implementations raise only :class:`monitor.errors.StorageError`.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from ..results import ProbeResult

__all__ = [
    "DERIVED_KINDS",
    "LIFECYCLE_SUBJECT",
    "ExclusionRecord",
    "IntervalKind",
    "IntervalRecord",
    "NoticeRecord",
    "Store",
]


class IntervalKind(enum.StrEnum):
    """What an interval records."""

    #: One check confirmed down from one vantage (subject: ``service/check``).
    CHECK_DOWN = "check_down"
    #: Failed probes that recovered before confirmation: shown, never an outage.
    BLIP = "blip"
    #: No fresh result: neither up nor down (subject: ``service/check``, or ``*`` for the vantage).
    GAP = "gap"
    #: Every frontend check of a service down (subject: the service).
    OUTAGE = "outage"
    #: Some but not all frontend checks of a service down (subject: the service).
    DEGRADED = "degraded"
    #: Every check this vantage runs down at once, its canaries included: its own network is the
    #: likelier cause, so its votes do not count meanwhile (subject: the vantage's name). Only a
    #: vantage with canaries is ever isolated: without them nothing tells a cut-off vantage from
    #: dead services, and measured downtime stands (see UNCONFIRMED).
    ISOLATED = "isolated"
    #: Every check of a vantage without canaries down at once: its outages stand and are credited,
    #: but nothing independent confirms that the vantage itself could reach the network
    #: meanwhile (subject: the vantage's name). The report and the live state say so beside them.
    UNCONFIRMED = "unconfirmed"
    #: The daemon of this vantage was running (subject ``*``): where no vantage ran, nothing was
    #: measured.
    RUNNING = "running"
    #: A node confirmed down while others could serve, and what followed (subject
    #: ``service/node``; the detail holds the figures and the verdict, see monitor.failover).
    FAILOVER = "failover"


#: Interval kinds derived from raw results alone, which ``slawatch db rebuild`` recomputes. The
#: rest (RUNNING, and the vantage-wide GAP with subject ``*``) record the daemon's own life;
#: FAILOVER events are judged live and kept as they were.
DERIVED_KINDS: frozenset[IntervalKind] = frozenset(
    {
        IntervalKind.CHECK_DOWN,
        IntervalKind.BLIP,
        IntervalKind.GAP,
        IntervalKind.OUTAGE,
        IntervalKind.DEGRADED,
        IntervalKind.ISOLATED,
        IntervalKind.UNCONFIRMED,
    }
)
#: The subject of intervals about a vantage's daemon itself, never replaced by a rebuild.
LIFECYCLE_SUBJECT = "*"


@dataclass(frozen=True, slots=True)
class IntervalRecord:
    """One stored interval with its evidence.

    ``start_bound`` is the last success before ``start`` and ``end_bound`` the last failure
    before ``end``: the truth lies in ``[start_bound, start]`` and ``[end_bound, end]``.
    """

    kind: IntervalKind
    vantage: str
    subject: str
    start: datetime
    end: datetime | None = None
    start_bound: datetime | None = None
    end_bound: datetime | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)
    id: int | None = None


@dataclass(frozen=True, slots=True)
class ExclusionRecord:
    """A period a service's downtime does not count, with why and who said so (C5, C6).

    Kept for good: revoking one sets ``revoked_at``/``revoked_by``/``revoke_note`` and never
    deletes it, so every change can be traced. ``reason`` is a value of
    :class:`sla.ExclusionReason`; ``announced_at`` is when a maintenance was announced.
    """

    service: str
    start: datetime
    end: datetime
    reason: str
    note: str
    added_by: str
    added_at: datetime
    announced_at: datetime | None = None
    revoked_at: datetime | None = None
    revoked_by: str | None = None
    revoke_note: str | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class NoticeRecord:
    """When the provider told the customer of an outage, and where that is written (C4).

    ``at`` is when the notice was given (the provider's mail, status page or call); ``ref``
    points to it (a ticket, a URL, a quote). Kept for good, like exclusions: a notice entered by
    mistake is revoked (``revoked_at``/``revoked_by``/``revoke_note``), never deleted, and a
    revoked notice answers no outage.
    """

    service: str
    at: datetime
    ref: str
    added_by: str
    added_at: datetime
    revoked_at: datetime | None = None
    revoked_by: str | None = None
    revoke_note: str | None = None
    id: int | None = None


class Store(Protocol):
    """Where evidence is kept."""

    async def open(self) -> None:
        """Connect and apply pending schema migrations."""
        ...

    async def close(self) -> None:
        """Release connections; idempotent."""
        ...

    async def schema_version(self) -> int:
        """The applied schema version."""
        ...

    async def write_results(self, results: Sequence[ProbeResult]) -> None:
        """Append a batch of raw results, atomically.

        A result is identified by (vantage, check, started_at): one already stored is skipped, so
        a batch whose first write failed unclearly (or a replayed spill file) can be written again
        without duplicates.
        """
        ...

    async def results(
        self,
        *,
        start: datetime,
        end: datetime,
        check: str | None = None,
        vantage: str | None = None,
    ) -> list[ProbeResult]:
        """Raw results with ``start <= started_at < end``, in time order (ties in any order)."""
        ...

    async def last_result_at(self, vantage: str) -> datetime | None:
        """When this vantage last recorded a result (to find the gap of a restart)."""
        ...

    async def vantages_seen(self) -> dict[str, datetime]:
        """Every vantage that recorded a result, with its newest ``started_at``."""
        ...

    async def open_interval(self, record: IntervalRecord) -> int:
        """Store an interval as it opens (``end`` may be None); return its id.

        With ``record.id`` set, that id is used and a repeated write of it changes nothing (so a
        write can be retried); without, the store picks one.
        """
        ...

    async def close_interval(
        self,
        interval_id: int,
        end: datetime,
        end_bound: datetime | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> None:
        """Set the end of an open interval (and replace its detail when given).

        Repeating a close at the same ``end`` is accepted; any other change to a closed
        interval is a :class:`StorageError`.
        """
        ...

    async def intervals(
        self,
        *,
        start: datetime,
        end: datetime,
        kinds: Collection[IntervalKind] | None = None,
        vantage: str | None = None,
        subject: str | None = None,
    ) -> list[IntervalRecord]:
        """Intervals overlapping ``[start, end)`` (open ones included), by start."""
        ...

    async def open_intervals(self, vantage: str) -> list[IntervalRecord]:
        """Intervals of this vantage that are still open (to resume after a restart)."""
        ...

    async def replace_intervals(
        self, vantage: str, start: datetime, records: Sequence[IntervalRecord]
    ) -> None:
        """Replace this vantage's derived intervals from ``start`` on, in one transaction.

        Intervals of :data:`DERIVED_KINDS` whose subject is not :data:`LIFECYCLE_SUBJECT`: those
        starting at or after ``start`` are deleted, those still running at ``start`` end there,
        then ``records`` (which carry their ids) are stored. For ``slawatch db rebuild``.
        """
        ...

    async def add_exclusion(self, record: ExclusionRecord) -> int:
        """Store a new exclusion (its ``id`` and revocation fields are ignored); return its id."""
        ...

    async def revoke_exclusion(
        self, exclusion_id: int, *, by: str, at: datetime, note: str
    ) -> ExclusionRecord:
        """Mark an exclusion revoked and return it; an unknown or already revoked one is a
        :class:`StorageError`."""
        ...

    async def exclusions(
        self,
        *,
        service: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[ExclusionRecord]:
        """Exclusions (revoked ones included) of ``service`` overlapping ``[start, end)``, by
        start then id; without bounds, all of them."""
        ...

    async def add_notice(self, record: NoticeRecord) -> int:
        """Store a new provider notice (its ``id`` and revocation fields are ignored); return its
        id."""
        ...

    async def revoke_notice(
        self, notice_id: int, *, by: str, at: datetime, note: str
    ) -> NoticeRecord:
        """Mark a notice revoked and return it; an unknown or already revoked one is a
        :class:`StorageError`."""
        ...

    async def notices(
        self,
        *,
        service: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[NoticeRecord]:
        """Notices (revoked ones included) of ``service`` given at ``start <= at < end``, by
        ``at`` then id; without bounds, all of them."""
        ...

    async def prune(self, before: datetime) -> int:
        """Delete raw results older than ``before``; return how many. Intervals are kept.

        A store that keeps results in time partitions removes whole partitions only: those ending
        at or before ``before``. Results are never removed at or after ``before``.
        """
        ...

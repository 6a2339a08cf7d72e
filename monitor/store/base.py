"""The store interface: raw probe results, the intervals derived from them, and what people add
beside them (exclusions, provider notices), in the words of :mod:`monitor.evidence`.

Two implementations share it (SQLite, the default; PostgreSQL) and one test suite. Instants are
UTC-aware datetimes, intervals half-open ``[start, end)``; an interval whose ``end`` is None is
still open. Implementations raise only :class:`monitor.errors.StorageError`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple, Protocol

from ..evidence import ExclusionRecord, IntervalKind, IntervalRecord, NoticeRecord
from ..results import ProbeResult

__all__ = [
    "DayAggregate",
    "DayClaim",
    "DayFigures",
    "Store",
]


class DayFigures(NamedTuple):
    """One service's figures of one local day, as stored (:mod:`monitor.status.aggregates` says
    what they mean and computes them). A plain tuple: the status page reads 90 a service.

    Durations are whole microseconds; ``spans`` is JSON text (or None) the store keeps as given;
    ``basis`` names what the figures were computed under.
    """

    service: str
    day: date
    measured_us: int
    outage_us: int
    degraded_us: int
    maintenance_us: int
    gap_us: int
    spans: str | None
    basis: str


@dataclass(frozen=True, slots=True)
class DayClaim:
    """A day about to be computed: its UTC span ``[start, end)``, and a token its figures must
    carry to be stored (:meth:`Store.claim_days`)."""

    service: str
    day: date
    start: datetime
    end: datetime
    token: int


@dataclass(frozen=True, slots=True)
class DayAggregate:
    """Computed figures, for the day claimed with ``token``."""

    figures: DayFigures
    token: int
    computed_at: datetime


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

    async def claim_days(self, claims: Sequence[DayClaim]) -> None:
        """Mark these days as being computed, replacing any figures stored for them.

        Figures are derived from intervals and exclusions: a change to either deletes the stored
        days it covers, claims included, in its own transaction. So figures computed from what
        was read after the claim can be stored only while the claim stands
        (:meth:`put_day_figures`); a change meanwhile makes them be computed again.
        """
        ...

    async def put_day_figures(self, aggregates: Sequence[DayAggregate]) -> None:
        """Store figures for days still claimed with their tokens, in one transaction; the others
        are dropped (to be computed again)."""
        ...

    async def day_figures(self, *, first: date, last: date) -> tuple[DayFigures, ...]:
        """Every service's stored figures of the local days ``first`` to ``last``, by day then
        service (days claimed and not computed left out). Read again with nothing changed
        meanwhile, it may be the very same tuple."""
        ...

    async def days_stored(self, *, first: date, last: date) -> list[tuple[str, date, str]]:
        """``(service, day, basis)`` of every service's computed days from ``first`` to
        ``last``: which days :meth:`day_figures` would give, at a fraction of the memory."""
        ...

    async def prune(self, before: datetime) -> int:
        """Delete raw results older than ``before``; return how many. Intervals are kept.

        A store that keeps results in time partitions removes whole partitions only: those ending
        at or before ``before``. Results are never removed at or after ``before``.
        """
        ...

"""The store interface: raw probe results, the intervals derived from them, and what people add
beside them (exclusions, provider notices), in the words of :mod:`monitor.evidence`.

Two implementations share it (SQLite, the default; PostgreSQL) and one test suite. Instants are
UTC-aware datetimes, intervals half-open ``[start, end)``; an interval whose ``end`` is None is
still open. Implementations raise only :class:`monitor.errors.StorageError`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from ..evidence import ExclusionRecord, IntervalKind, IntervalRecord, NoticeRecord
from ..results import ProbeResult

__all__ = [
    "Store",
]


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

"""What both stores do alike above their SQL: the :class:`~monitor.store.base.Store` methods whose
steps are the same in SQLite and PostgreSQL.

Such a method encodes its values with the dialect's :class:`~monitor.store.codec.RowCodec`, runs
one of the dialect's :class:`Statements` (or several, in one transaction), decodes the rows and
refuses what the contract refuses, in the same words for both stores. Intervals, exclusions,
notices and the vantages seen are all of that.

A dialect gives its statements, and how one runs: :meth:`RowStore._fetch`,
:meth:`RowStore._change` and :meth:`RowStore._change_together`, each one operation of the store
(a worker thread under a lock in SQLite, a pooled connection in PostgreSQL). The values are
encoded and the rows decoded inside that operation, so that a refused value fails it like any
other error. What differs for a reason stays with the dialect: opening and migrating, how results
are written and read (COPY into daily partitions, or rows into one table, and the lookup ids of
their names), how old results go, backups.
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import date, datetime
from typing import Any, TypeAlias, TypeVar

from ..errors import StorageError
from ..evidence import DERIVED_KINDS, ExclusionRecord, IntervalKind, IntervalRecord, NoticeRecord
from ..results import ProbeResult
from .base import DayAggregate, DayClaim, DayFigures, Store
from .codec import InvalidValueError, RowCodec, detail_json

__all__ = ["Params", "RowStore", "Statements", "Steps"]

_T = TypeVar("_T")

#: Makes a statement's parameters, once the dialect runs it.
Params: TypeAlias = Callable[[], Sequence[Any]]
#: Makes the statements of one transaction, once the dialect runs it: each with its parameters,
#: one tuple a row.
Steps: TypeAlias = Callable[[], Sequence[tuple[str, Sequence[Sequence[Any]]]]]


@dataclasses.dataclass(frozen=True, slots=True)
class Statements:
    """A dialect's SQL for the shared methods. Parameters are positional, in the order named
    (``?1``, ``?2``... in SQLite, ``$1``, ``$2``... in PostgreSQL); instants and lists of text
    come as the dialect's :class:`~monitor.store.codec.RowCodec` makes them."""

    #: ``id`` and :meth:`RowCodec.interval_row`; an id already stored changes nothing.
    insert_interval: str
    #: :meth:`RowCodec.interval_row`; returns the new ``id``.
    insert_interval_new_id: str
    #: ``id, end_at, end_bound, detail``: sets the end of an interval that is open or already
    #: ends there (the bound and detail when not NULL).
    close_interval: str
    #: ``start, end, kinds, vantage, subject`` (each of the last three NULL for any): intervals
    #: overlapping ``[start, end)``, by start then id.
    intervals: str
    #: ``vantage``: its open intervals, by start then id.
    open_intervals: str
    #: ``vantage, start, kinds``: deletes the vantage's intervals of these kinds from ``start``
    #: on, the lifecycle ones aside.
    delete_derived: str
    #: ``vantage, start, kinds``: ends at ``start`` those running at ``start``.
    cut_derived: str
    #: :meth:`RowCodec.exclusion_row`; returns the new ``id``.
    insert_exclusion: str
    #: ``revoked_at, revoked_by, revoke_note, id``: returns the exclusion, if it was not revoked.
    revoke_exclusion: str
    #: ``service, start, end`` (each NULL for any): exclusions overlapping, by start then id.
    exclusions: str
    #: :meth:`RowCodec.notice_row`; returns the new ``id``.
    insert_notice: str
    #: ``revoked_at, revoked_by, revoke_note, id``: returns the notice, if it was not revoked.
    revoke_notice: str
    #: ``service, start, end`` (each NULL for any): notices given in ``[start, end)``, by time
    #: then id.
    notices: str
    #: No parameters: ``name, last_result_at`` of every vantage that recorded a result, by name.
    vantages_seen: str
    #: :meth:`RowCodec.day_claim_row`: claims a day, replacing what was stored for it.
    claim_day: str
    #: :meth:`RowCodec.day_figures_row`: stores a claimed day's figures if the claim stands.
    put_day_figures: str
    #: ``first, last`` (local dates): the computed days' :meth:`RowCodec.day_figures` columns, by
    #: day then service.
    day_figures: str
    #: ``first, last`` (local dates): ``service, day, basis`` of each computed day.
    days_stored: str
    #: No parameters: how many times the day figures changed (one row, one column).
    day_figures_generation: str
    #: No parameters: counts a change of the day figures.
    bump_day_figures: str


class RowStore(Store, abc.ABC):
    """The shared half of a store; its dialect is a subclass."""

    def __init__(self, label: str, rows: RowCodec[Any, Any], statements: Statements) -> None:
        self._label = label
        self._rows = rows
        self._sql = statements
        # The last day figures read: the generation they were read at, the range, the rows.
        self._days_read: tuple[int, date, date, tuple[DayFigures, ...]] | None = None

    def _forget(self) -> None:
        """Forget what was read: the database may have been replaced."""
        self._days_read = None

    @abc.abstractmethod
    async def _fetch(
        self, operation: str, sql: str, params: Params, decode: Callable[[Sequence[Any]], _T]
    ) -> list[_T]:
        """Run ``sql`` with ``params()`` as one operation; every row it returns, decoded."""

    @abc.abstractmethod
    async def _change(self, operation: str, sql: str, params: Params) -> int:
        """Run ``sql`` with ``params()`` as one operation; how many rows it changed."""

    @abc.abstractmethod
    async def _change_together(self, operation: str, steps: Steps) -> None:
        """Run the statements ``steps()`` gives, each once a row, in one transaction."""

    @abc.abstractmethod
    async def _write_results(self, results: Sequence[ProbeResult]) -> None:
        """Store a batch that is not empty, in one transaction."""

    @abc.abstractmethod
    async def _results(
        self, start: datetime, end: datetime, check: str | None, vantage: str | None
    ) -> list[ProbeResult]:
        """What :meth:`results` returns."""

    async def write_results(self, results: Sequence[ProbeResult]) -> None:
        """Append a batch of raw results in one transaction; results already stored are skipped."""
        if results:
            await self._write_results(results)

    async def results(
        self,
        *,
        start: datetime,
        end: datetime,
        check: str | None = None,
        vantage: str | None = None,
    ) -> list[ProbeResult]:
        """Raw results with ``start <= started_at < end``, in time order."""
        return await self._results(start, end, check, vantage)

    async def vantages_seen(self) -> dict[str, datetime]:
        """Every vantage that recorded a result, with its newest ``started_at``."""
        read = self._rows.read_instant
        seen = await self._fetch(
            "reading the vantages seen",
            self._sql.vantages_seen,
            tuple,
            lambda row: (row[0], read(row[1])),
        )
        return dict(seen)

    async def open_interval(self, record: IntervalRecord) -> int:
        """Store an interval (``end`` may be None: still open); return its id.

        With ``record.id`` set, that id is used and writing the same record again is a no-op;
        without, the store picks one.
        """
        operation = "recording an interval"
        interval_row = self._rows.interval_row
        if record.id is not None:
            await self._change(
                operation, self._sql.insert_interval, lambda: (record.id, *interval_row(record))
            )
            return record.id
        (ident,) = await self._fetch(
            operation, self._sql.insert_interval_new_id, lambda: interval_row(record), _first
        )
        return ident

    async def close_interval(
        self,
        interval_id: int,
        end: datetime,
        end_bound: datetime | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> None:
        """Set the end of an open interval; ``end_bound`` and ``detail`` replace theirs if given.

        Closing an unknown interval, or one already closed at another instant, is an error:
        evidence is not rewritten. Closing it again at the same instant is a harmless repeat.
        """
        rows = self._rows

        def params() -> tuple[Any, ...]:
            new_detail = None if detail is None else detail_json(detail)
            return (interval_id, rows.instant(end), rows.optional_instant(end_bound), new_detail)

        operation = "closing an interval"
        if await self._change(operation, self._sql.close_interval, params) == 0:
            raise self._refused(operation, f"no open interval with id {interval_id}")

    async def intervals(
        self,
        *,
        start: datetime,
        end: datetime,
        kinds: Collection[IntervalKind] | None = None,
        vantage: str | None = None,
        subject: str | None = None,
    ) -> list[IntervalRecord]:
        """Intervals overlapping ``[start, end)``, open ones included, by start then id.

        Overlap is half-open: an interval ending exactly at ``start``, or starting exactly at
        ``end``, does not overlap.
        """
        rows = self._rows

        def params() -> tuple[Any, ...]:
            wanted = None if kinds is None else rows.kinds(kinds)
            return (rows.instant(start), rows.instant(end), wanted, vantage, subject)

        return await self._fetch("reading intervals", self._sql.intervals, params, rows.interval)

    async def open_intervals(self, vantage: str) -> list[IntervalRecord]:
        """This vantage's intervals that are still open, by start then id."""
        return await self._fetch(
            "reading open intervals",
            self._sql.open_intervals,
            lambda: (vantage,),
            self._rows.interval,
        )

    async def replace_intervals(
        self, vantage: str, start: datetime, records: Sequence[IntervalRecord]
    ) -> None:
        """Replace this vantage's derived intervals from ``start`` on, in one transaction."""
        rows, sql = self._rows, self._sql

        def steps() -> list[tuple[str, Sequence[Sequence[Any]]]]:
            new = [(record.id, *rows.interval_row(record)) for record in records]
            if any(record.id is None for record in records):
                raise InvalidValueError("replacement intervals need their ids")
            derived = [(vantage, rows.instant(start), rows.kinds(DERIVED_KINDS))]
            return [
                (sql.delete_derived, derived),
                (sql.cut_derived, derived),
                (sql.insert_interval, new),
            ]

        await self._change_together("replacing intervals", steps)

    async def add_exclusion(self, record: ExclusionRecord) -> int:
        """Store a new exclusion; return its id."""
        row = self._rows.exclusion_row
        return await self._add(
            "adding an exclusion", self._sql.insert_exclusion, lambda: row(record)
        )

    async def revoke_exclusion(
        self, exclusion_id: int, *, by: str, at: datetime, note: str
    ) -> ExclusionRecord:
        """Mark an exclusion revoked; unknown or already revoked is an error."""
        return await self._revoke(
            "revoking an exclusion",
            self._sql.revoke_exclusion,
            self._rows.exclusion,
            (exclusion_id, by, at, note),
            refusal=f"no exclusion {exclusion_id} that is not revoked",
        )

    async def exclusions(
        self,
        *,
        service: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[ExclusionRecord]:
        """Exclusions overlapping ``[start, end)``, revoked ones included, by start then id."""
        params = self._annotations_of(service, start, end)
        sql = self._sql.exclusions
        return await self._fetch("reading exclusions", sql, params, self._rows.exclusion)

    async def add_notice(self, record: NoticeRecord) -> int:
        """Store a new provider notice; return its id."""
        row = self._rows.notice_row
        return await self._add("adding a notice", self._sql.insert_notice, lambda: row(record))

    async def revoke_notice(
        self, notice_id: int, *, by: str, at: datetime, note: str
    ) -> NoticeRecord:
        """Mark a notice revoked; unknown or already revoked is an error."""
        return await self._revoke(
            "revoking a notice",
            self._sql.revoke_notice,
            self._rows.notice,
            (notice_id, by, at, note),
            refusal=f"no notice {notice_id} that is not revoked",
        )

    async def notices(
        self,
        *,
        service: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[NoticeRecord]:
        """Notices given at ``start <= at < end``, revoked ones included, by ``at`` then id."""
        params = self._annotations_of(service, start, end)
        return await self._fetch("reading notices", self._sql.notices, params, self._rows.notice)

    async def claim_days(self, claims: Sequence[DayClaim]) -> None:
        """Claim days to compute, in one transaction."""
        if not claims:
            return
        rows, sql = self._rows, self._sql

        def steps() -> list[tuple[str, Sequence[Sequence[Any]]]]:
            return [
                (sql.claim_day, [rows.day_claim_row(claim) for claim in claims]),
                (sql.bump_day_figures, [()]),
            ]

        await self._change_together("claiming days to compute", steps)

    async def put_day_figures(self, aggregates: Sequence[DayAggregate]) -> None:
        """Store the figures of the days still claimed with their tokens, in one transaction."""
        if not aggregates:
            return
        rows, sql = self._rows, self._sql

        def steps() -> list[tuple[str, Sequence[Sequence[Any]]]]:
            return [
                (sql.put_day_figures, [rows.day_figures_row(a) for a in aggregates]),
                (sql.bump_day_figures, [()]),
            ]

        await self._change_together("storing day figures", steps)

    async def day_figures(self, *, first: date, last: date) -> tuple[DayFigures, ...]:
        """Every service's computed figures of the local days ``first`` to ``last``.

        The status page asks for the same 90 days of every service every few seconds, and they
        seldom change: what was read is kept, and read again only once the table's generation
        (moved by every change, in the changing transaction) is no longer the one it was read
        at. The generation is read first, so rows kept are never older than their generation.
        While nothing changed, the very same tuple comes back, so that a reader may keep what it
        made of it too.
        """
        operation = "reading day figures"
        sql, rows = self._sql, self._rows
        (generation,) = await self._fetch(operation, sql.day_figures_generation, tuple, _first)
        kept = self._days_read
        if kept is not None and kept[:3] == (generation, first, last):
            return kept[3]
        found = await self._fetch(
            operation,
            sql.day_figures,
            lambda: (rows.day(first), rows.day(last)),
            rows.day_figures,
        )
        self._days_read = (generation, first, last, tuple(found))
        return self._days_read[3]

    async def days_stored(self, *, first: date, last: date) -> list[tuple[str, date, str]]:
        """``(service, day, basis)`` of each computed day from ``first`` to ``last``: what
        is stored, without the figures (nothing kept)."""
        rows = self._rows
        return await self._fetch(
            "reading which days are stored",
            self._sql.days_stored,
            lambda: (rows.day(first), rows.day(last)),
            rows.day_key,
        )

    async def _add(self, operation: str, sql: str, row: Params) -> int:
        """Store a new exclusion or notice, ``row()`` its columns; return its id."""
        (ident,) = await self._fetch(operation, sql, row, _first)
        return ident

    async def _revoke(
        self,
        operation: str,
        sql: str,
        decode: Callable[[Sequence[Any]], _T],
        revocation: tuple[int, str, datetime, str],
        *,
        refusal: str,
    ) -> _T:
        """Revoke an exclusion or notice (its id, by whom, when, why) and return it; ``refusal``
        says there was none to revoke."""
        ident, by, at, note = revocation
        rows = self._rows

        def params() -> tuple[Any, ...]:
            return (rows.instant(at), by, note, ident)

        found = await self._fetch(operation, sql, params, decode)
        if not found:
            raise self._refused(operation, refusal)
        return found[0]

    def _annotations_of(
        self, service: str | None, start: datetime | None, end: datetime | None
    ) -> Params:
        """The parameters of a query for a service's exclusions or notices (or all) in a time
        range (or all time)."""
        rows = self._rows
        return lambda: (service, rows.optional_instant(start), rows.optional_instant(end))

    def _refused(self, operation: str, reason: str) -> StorageError:
        """The contract refuses this request: retrying it cannot succeed."""
        return StorageError(f"{self._label}: {operation}: {reason}", refused=True)


def _first(row: Sequence[Any]) -> int:
    """The id a statement returned."""
    return int(row[0])

"""The SQLite store: one file on one machine, nothing to set up.

How it meets the :class:`~monitor.store.base.Store` contract, and why:

- **One connection, used from worker threads one operation at a time** (``asyncio.to_thread``
  under an ``asyncio.Lock``): ``sqlite3`` blocks, and the event loop that runs the probes must not
  wait on the disk. A cancelled caller still waits for its operation's thread to return, because
  until then the thread owns the connection.
- **WAL journal, ``synchronous=NORMAL``**: readers (a report run from the CLI) and the writer do not
  block each other, and a commit costs no fsync; a power cut may lose the last commits, never the
  file. ``busy_timeout`` makes a brief lock held by another process a wait, not an error.
- **Instants are INTEGER microseconds since the Unix epoch, UTC**: exact, compact, ordered; read
  back as UTC-aware datetimes. Latency is kept in whole microseconds too.
- **Results store vantage, check and outcome as small integers** referencing the lookup tables
  ``vantages``, ``checks`` and ``outcomes`` (a row per name, added when a name first appears): raw
  results are nearly all of the data, and a repeated name costs more than the rest of a row.
  Intervals are few and keep their names as text (schema: :mod:`monitor.store.migrations`).
- **Every failure is a one-line** :class:`~monitor.errors.StorageError` naming the store and the
  operation: ``sqlite:///x.db: writing results: database is locked``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
from collections.abc import Awaitable, Callable, Collection, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final, TypeVar

from ..errors import StorageError
from ..evidence import DERIVED_KINDS, ExclusionRecord, IntervalKind, IntervalRecord, NoticeRecord
from ..results import Outcome, ProbeResult
from .migrations import SQLITE, SQLITE_MIGRATIONS_TABLE

__all__ = ["BUSY_TIMEOUT_MS", "PRUNE_CHUNK", "SQLiteStore"]

_T = TypeVar("_T")

#: How long a statement waits for another connection's lock before "database is locked".
BUSY_TIMEOUT_MS: Final = 5_000
#: Results deleted per transaction by ``prune``: a large retention pass must not hold the write
#: lock (and the writer behind it) for long.
PRUNE_CHUNK: Final = 10_000

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND: Final = timedelta(microseconds=1)

_INSERT_RESULT: Final = """
INSERT INTO results (vantage, check_id, started_at, latency_us, outcome, status, bytes_read,
                     detail, cert_expires_at, answers)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING
"""
_SEEN: Final = """
UPDATE vantages SET last_result_at = MAX(COALESCE(last_result_at, ?), ?) WHERE id = ?
"""
_RESULTS_BY_CHECK: Final = """
SELECT vantage, check_id, started_at, latency_us, outcome, status, bytes_read, detail,
       cert_expires_at, answers
FROM results
WHERE check_id = :check AND started_at >= :start AND started_at < :end
  AND (:vantage IS NULL OR vantage = :vantage)
ORDER BY started_at, id
"""
_RESULTS_BY_TIME: Final = """
SELECT vantage, check_id, started_at, latency_us, outcome, status, bytes_read, detail,
       cert_expires_at, answers
FROM results
WHERE started_at >= :start AND started_at < :end
  AND (:vantage IS NULL OR vantage = :vantage)
ORDER BY started_at, id
"""
_VANTAGES_SEEN: Final = """
SELECT name, last_result_at FROM vantages WHERE last_result_at IS NOT NULL ORDER BY name
"""
_PRUNE: Final = """
DELETE FROM results
WHERE id IN (SELECT id FROM results WHERE started_at < ? ORDER BY started_at LIMIT ?)
"""
# An interval with a caller-chosen id may be written twice (a retry after an unclear failure):
# the second insert changes nothing.
_INSERT_INTERVAL: Final = """
INSERT INTO intervals (id, kind, vantage, subject, start_at, end_at, start_bound, end_bound, detail)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO NOTHING
"""
_INSERT_INTERVAL_NEW_ID: Final = """
INSERT INTO intervals (kind, vantage, subject, start_at, end_at, start_bound, end_bound, detail)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
RETURNING id
"""
_CLOSE_INTERVAL: Final = """
UPDATE intervals
SET end_at = :end,
    end_bound = COALESCE(:end_bound, end_bound),
    detail = COALESCE(:detail, detail)
WHERE id = :id AND (end_at IS NULL OR end_at = :end)
"""
# Half-open overlap of [start_at, end_at) with [:start, :end); an open interval extends forever.
_INTERVALS: Final = """
SELECT id, kind, vantage, subject, start_at, end_at, start_bound, end_bound, detail
FROM intervals
WHERE (end_at IS NULL OR end_at > :start) AND start_at < :end
  AND (:kinds IS NULL OR kind IN (SELECT value FROM json_each(:kinds)))
  AND (:vantage IS NULL OR vantage = :vantage)
  AND (:subject IS NULL OR subject = :subject)
ORDER BY start_at, id
"""
# Rebuild: this vantage's derived intervals (kinds given as a JSON array) from :start on are
# deleted, those running at :start end there.
_DELETE_DERIVED: Final = """
DELETE FROM intervals
WHERE vantage = :vantage AND subject <> '*' AND kind IN (SELECT value FROM json_each(:kinds))
  AND start_at >= :start
"""
_CUT_DERIVED: Final = """
UPDATE intervals SET end_at = :start
WHERE vantage = :vantage AND subject <> '*' AND kind IN (SELECT value FROM json_each(:kinds))
  AND start_at < :start AND (end_at IS NULL OR end_at > :start)
"""
_INSERT_EXCLUSION: Final = """
INSERT INTO exclusions (service, start_at, end_at, reason, announced_at, note, added_by, added_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
RETURNING id
"""
_REVOKE_EXCLUSION: Final = """
UPDATE exclusions SET revoked_at = ?, revoked_by = ?, revoke_note = ?
WHERE id = ? AND revoked_at IS NULL
"""
_EXCLUSION_BY_ID: Final = """
SELECT id, service, start_at, end_at, reason, announced_at, note, added_by, added_at, revoked_at,
       revoked_by, revoke_note
FROM exclusions WHERE id = ?
"""
_EXCLUSIONS: Final = """
SELECT id, service, start_at, end_at, reason, announced_at, note, added_by, added_at, revoked_at,
       revoked_by, revoke_note
FROM exclusions
WHERE (:service IS NULL OR service = :service)
  AND (:start IS NULL OR end_at > :start) AND (:end IS NULL OR start_at < :end)
ORDER BY start_at, id
"""
_INSERT_NOTICE: Final = """
INSERT INTO notices (service, notified_at, ref, added_by, added_at)
VALUES (?, ?, ?, ?, ?)
RETURNING id
"""
_REVOKE_NOTICE: Final = """
UPDATE notices SET revoked_at = ?, revoked_by = ?, revoke_note = ?
WHERE id = ? AND revoked_at IS NULL
"""
_NOTICE_BY_ID: Final = """
SELECT id, service, notified_at, ref, added_by, added_at, revoked_at, revoked_by, revoke_note
FROM notices WHERE id = ?
"""
_NOTICES: Final = """
SELECT id, service, notified_at, ref, added_by, added_at, revoked_at, revoked_by, revoke_note
FROM notices
WHERE (:service IS NULL OR service = :service)
  AND (:start IS NULL OR notified_at >= :start) AND (:end IS NULL OR notified_at < :end)
ORDER BY notified_at, id
"""
_OPEN_INTERVALS: Final = """
SELECT id, kind, vantage, subject, start_at, end_at, start_bound, end_bound, detail
FROM intervals
WHERE vantage = ? AND end_at IS NULL
ORDER BY start_at, id
"""
# Per lookup table: add a name if new; read one id; read them all.
_LOOKUPS: Final = {
    "vantages": (
        "INSERT INTO vantages (name) VALUES (?) ON CONFLICT (name) DO NOTHING",
        "SELECT id FROM vantages WHERE name = ?",
        "SELECT id, name FROM vantages",
    ),
    "checks": (
        "INSERT INTO checks (name) VALUES (?) ON CONFLICT (name) DO NOTHING",
        "SELECT id FROM checks WHERE name = ?",
        "SELECT id, name FROM checks",
    ),
    "outcomes": (
        "INSERT INTO outcomes (name) VALUES (?) ON CONFLICT (name) DO NOTHING",
        "SELECT id FROM outcomes WHERE name = ?",
        "SELECT id, name FROM outcomes",
    ),
}


class _InvalidValueError(ValueError):
    """A value the store cannot keep (a naive datetime, a detail that is not JSON)."""


class SQLiteStore:
    """Evidence in one SQLite file; see the module docstring for the choices made.

    ``path`` is the database file; missing parent directories are created by :meth:`open`.
    """

    def __init__(self, path: str | Path, *, prune_chunk: int = PRUNE_CHUNK) -> None:
        if prune_chunk < 1:
            raise ValueError(f"prune_chunk must be at least 1, got {prune_chunk}")
        self._path = Path(path)
        self._label = f"sqlite:///{path}"
        self._prune_chunk = prune_chunk
        self._conn: sqlite3.Connection | None = None
        self._lock = asyncio.Lock()
        # The lookup tables, both ways, as far as seen. Rows there are never changed or deleted,
        # so the cache stays true when another process adds names; only the thread holding the
        # lock uses it.
        self._ids: dict[str, dict[str, int]] = {table: {} for table in _LOOKUPS}
        self._names: dict[str, dict[int, str]] = {table: {} for table in _LOOKUPS}

    @property
    def path(self) -> Path:
        """The database file."""
        return self._path

    def __repr__(self) -> str:
        return f"SQLiteStore({str(self._path)!r})"

    async def open(self) -> None:
        """Open the file (creating it and its directories) and apply pending migrations."""
        async with self._lock:
            if self._conn is None:
                # The file may have been replaced since the last open.
                for table in _LOOKUPS:
                    self._ids[table].clear()
                    self._names[table].clear()
                connect = asyncio.to_thread(self._call, "opening", self._connect)
                self._conn = await _complete(connect, discard=sqlite3.Connection.close)

    async def close(self) -> None:
        """Close the connection; idempotent."""
        async with self._lock:
            conn, self._conn = self._conn, None
            if conn is not None:
                await _complete(asyncio.to_thread(self._call, "closing", conn.close))

    async def schema_version(self) -> int:
        """The latest applied migration."""
        return await self._run("reading the schema version", _schema_version)

    async def write_results(self, results: Sequence[ProbeResult]) -> None:
        """Append a batch of raw results in one transaction."""
        if results:
            await self._run("writing results", lambda conn: self._insert_results(conn, results))

    async def results(
        self,
        *,
        start: datetime,
        end: datetime,
        check: str | None = None,
        vantage: str | None = None,
    ) -> list[ProbeResult]:
        """Raw results with ``start <= started_at < end``, in time order (ties in write order)."""

        def select(conn: sqlite3.Connection) -> list[ProbeResult]:
            params = {"start": _us(start), "end": _us(end), "check": None, "vantage": None}
            for key, table, name in (("check", "checks", check), ("vantage", "vantages", vantage)):
                if name is not None:
                    params[key] = self._find(conn, table, name)
                    if params[key] is None:
                        return []  # no result ever named it
            query = _RESULTS_BY_TIME if check is None else _RESULTS_BY_CHECK
            return [self._result(conn, row) for row in conn.execute(query, params)]

        return await self._run("reading results", select)

    async def last_result_at(self, vantage: str) -> datetime | None:
        """When this vantage last recorded a result (the newest ``started_at``)."""

        return (await self.vantages_seen()).get(vantage)

    async def vantages_seen(self) -> dict[str, datetime]:
        """Every vantage that recorded a result, with its newest ``started_at``."""

        def select(conn: sqlite3.Connection) -> dict[str, datetime]:
            return {name: _instant(us) for name, us in conn.execute(_VANTAGES_SEEN)}

        return await self._run("reading the vantages seen", select)

    async def open_interval(self, record: IntervalRecord) -> int:
        """Store an interval (``end`` may be None: still open); return its id.

        With ``record.id`` set, that id is used and writing the same record again is a no-op;
        without, the store picks one.
        """

        def insert(conn: sqlite3.Connection) -> int:
            row = _interval_row(record)
            if record.id is not None:
                conn.execute(_INSERT_INTERVAL, (record.id, *row))
                return record.id
            # One statement commits on its own; fetch every row so that it completes.
            ((interval_id,),) = conn.execute(_INSERT_INTERVAL_NEW_ID, row).fetchall()
            return int(interval_id)

        return await self._run("recording an interval", insert)

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

        def update(conn: sqlite3.Connection) -> None:
            params = {
                "id": interval_id,
                "end": _us(end),
                "end_bound": _optional_us(end_bound),
                "detail": None if detail is None else _json(detail),
            }
            if conn.execute(_CLOSE_INTERVAL, params).rowcount == 0:
                raise _InvalidValueError(f"no open interval with id {interval_id}")

        await self._run("closing an interval", update)

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

        def select(conn: sqlite3.Connection) -> list[IntervalRecord]:
            params = {
                "start": _us(start),
                "end": _us(end),
                "kinds": None if kinds is None else json.dumps([_kind(k).value for k in kinds]),
                "vantage": vantage,
                "subject": subject,
            }
            return [_interval(row) for row in conn.execute(_INTERVALS, params)]

        return await self._run("reading intervals", select)

    async def open_intervals(self, vantage: str) -> list[IntervalRecord]:
        """This vantage's intervals that are still open, by start then id."""

        def select(conn: sqlite3.Connection) -> list[IntervalRecord]:
            return [_interval(row) for row in conn.execute(_OPEN_INTERVALS, (vantage,))]

        return await self._run("reading open intervals", select)

    async def replace_intervals(
        self, vantage: str, start: datetime, records: Sequence[IntervalRecord]
    ) -> None:
        """Replace this vantage's derived intervals from ``start`` on, in one transaction."""

        def replace(conn: sqlite3.Connection) -> None:
            params = {
                "vantage": vantage,
                "start": _us(start),
                "kinds": json.dumps(sorted(kind.value for kind in DERIVED_KINDS)),
            }
            rows = [_interval_row(record) for record in records]
            if any(record.id is None for record in records):
                raise _InvalidValueError("replacement intervals need their ids")
            with _transaction(conn):
                conn.execute(_DELETE_DERIVED, params)
                conn.execute(_CUT_DERIVED, params)
                pairs = zip(records, rows, strict=True)
                conn.executemany(_INSERT_INTERVAL, [(record.id, *row) for record, row in pairs])

        await self._run("replacing intervals", replace)

    async def add_exclusion(self, record: ExclusionRecord) -> int:
        """Store a new exclusion; return its id."""

        def insert(conn: sqlite3.Connection) -> int:
            row = (
                record.service,
                _us(record.start),
                _us(record.end),
                record.reason,
                _optional_us(record.announced_at),
                record.note,
                record.added_by,
                _us(record.added_at),
            )
            ((ident,),) = conn.execute(_INSERT_EXCLUSION, row).fetchall()
            return int(ident)

        return await self._run("adding an exclusion", insert)

    async def revoke_exclusion(
        self, exclusion_id: int, *, by: str, at: datetime, note: str
    ) -> ExclusionRecord:
        """Mark an exclusion revoked; unknown or already revoked is an error."""

        def update(conn: sqlite3.Connection) -> ExclusionRecord:
            with _transaction(conn):
                changed = conn.execute(_REVOKE_EXCLUSION, (_us(at), by, note, exclusion_id))
                if changed.rowcount == 0:
                    raise _InvalidValueError(f"no exclusion {exclusion_id} that is not revoked")
                row = conn.execute(_EXCLUSION_BY_ID, (exclusion_id,)).fetchone()
            return _exclusion(row)

        return await self._run("revoking an exclusion", update)

    async def exclusions(
        self,
        *,
        service: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[ExclusionRecord]:
        """Exclusions overlapping ``[start, end)``, revoked ones included, by start then id."""

        def select(conn: sqlite3.Connection) -> list[ExclusionRecord]:
            params = {
                "service": service,
                "start": None if start is None else _us(start),
                "end": None if end is None else _us(end),
            }
            return [_exclusion(row) for row in conn.execute(_EXCLUSIONS, params)]

        return await self._run("reading exclusions", select)

    async def add_notice(self, record: NoticeRecord) -> int:
        """Store a new provider notice; return its id."""

        def insert(conn: sqlite3.Connection) -> int:
            row = (
                record.service,
                _us(record.at),
                record.ref,
                record.added_by,
                _us(record.added_at),
            )
            ((ident,),) = conn.execute(_INSERT_NOTICE, row).fetchall()
            return int(ident)

        return await self._run("adding a notice", insert)

    async def revoke_notice(
        self, notice_id: int, *, by: str, at: datetime, note: str
    ) -> NoticeRecord:
        """Mark a notice revoked; unknown or already revoked is an error."""

        def update(conn: sqlite3.Connection) -> NoticeRecord:
            with _transaction(conn):
                changed = conn.execute(_REVOKE_NOTICE, (_us(at), by, note, notice_id))
                if changed.rowcount == 0:
                    raise _InvalidValueError(f"no notice {notice_id} that is not revoked")
                row = conn.execute(_NOTICE_BY_ID, (notice_id,)).fetchone()
            return _notice(row)

        return await self._run("revoking a notice", update)

    async def notices(
        self,
        *,
        service: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[NoticeRecord]:
        """Notices given at ``start <= at < end``, revoked ones included, by ``at`` then id."""

        def select(conn: sqlite3.Connection) -> list[NoticeRecord]:
            params = {
                "service": service,
                "start": None if start is None else _us(start),
                "end": None if end is None else _us(end),
            }
            return [_notice(row) for row in conn.execute(_NOTICES, params)]

        return await self._run("reading notices", select)

    async def prune(self, before: datetime) -> int:
        """Delete results with ``started_at < before`` in chunks; return how many. Intervals stay.

        Each chunk is its own transaction and takes the lock anew, so writes interleave with a
        large deletion instead of waiting for all of it.
        """

        def delete_chunk(conn: sqlite3.Connection) -> int:
            return conn.execute(_PRUNE, (_us(before), self._prune_chunk)).rowcount

        total = 0
        while (deleted := await self._run("removing old results", delete_chunk)) > 0:
            total += deleted
            if deleted < self._prune_chunk:
                break
        return total

    async def backup(self, path: str | Path) -> None:
        """Copy the database, consistently, to ``path`` with SQLite's online backup API.

        The copy is a complete SQLite file that opens as a store. Other operations of this store
        wait until the copy is done; other processes may keep reading and writing.
        """
        target = Path(path)

        def copy(conn: sqlite3.Connection) -> None:
            target.parent.mkdir(parents=True, exist_ok=True)
            with contextlib.closing(sqlite3.connect(target)) as copy_conn:
                conn.backup(copy_conn)

        await self._run(f"backing up to {target}", copy)

    async def _run(self, operation: str, work: Callable[[sqlite3.Connection], _T]) -> _T:
        """Run ``work`` on the connection in a worker thread, one operation at a time."""
        async with self._lock:
            conn = self._conn
            if conn is None:
                raise StorageError(f"{self._label}: {operation}: the store is not open")
            return await _complete(asyncio.to_thread(self._call, operation, work, conn))

    def _call(self, operation: str, work: Callable[..., _T], *args: Any) -> _T:
        """Call ``work``, translating every storage failure into one :class:`StorageError`."""
        try:
            return work(*args)
        except (sqlite3.Error, OSError, _InvalidValueError) as error:
            reason = " ".join(str(error).split()) or type(error).__name__
            refused = isinstance(error, sqlite3.IntegrityError | _InvalidValueError)
            raise StorageError(f"{self._label}: {operation}: {reason}", refused=refused) from error

    def _connect(self) -> sqlite3.Connection:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE ... COMMIT), never
        # opened implicitly by the sqlite3 module.
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            _migrate(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _insert_results(self, conn: sqlite3.Connection, results: Sequence[ProbeResult]) -> None:
        added: dict[tuple[str, str], int] = {}

        def ident(table: str, name: str) -> int:
            known = self._ids[table].get(name)
            if known is not None:
                return known
            if (table, name) not in added:
                insert, select, _ = _LOOKUPS[table]
                conn.execute(insert, (name,))
                added[table, name] = conn.execute(select, (name,)).fetchone()[0]
            return added[table, name]

        with _transaction(conn):
            rows = [
                (
                    ident("vantages", result.vantage),
                    ident("checks", result.check),
                    _us(result.started_at),
                    round(result.latency * 1_000_000),
                    ident("outcomes", result.outcome.value),
                    result.status,
                    result.bytes_read,
                    result.detail,
                    _optional_us(result.cert_expires_at),
                    _answers(result.answers),
                )
                for result in results
            ]
            conn.executemany(_INSERT_RESULT, rows)
            newest: dict[int, int] = {}
            for row in rows:
                newest[row[0]] = max(newest.get(row[0], row[2]), row[2])
            conn.executemany(_SEEN, [(us, us, ident) for ident, us in newest.items()])
        # Only now: ids added by a rolled-back transaction never existed.
        for (table, name), new_id in added.items():
            self._remember(table, name, new_id)

    def _remember(self, table: str, name: str, ident: int) -> None:
        self._ids[table][name] = ident
        self._names[table][ident] = name

    def _find(self, conn: sqlite3.Connection, table: str, name: str) -> int | None:
        """The id of ``name`` in a lookup table, or None if no result ever used it."""
        known = self._ids[table].get(name)
        if known is None:
            row = conn.execute(_LOOKUPS[table][1], (name,)).fetchone()
            if row is None:
                return None
            known = int(row[0])
            self._remember(table, name, known)
        return known

    def _name(self, conn: sqlite3.Connection, table: str, ident: int) -> str:
        """The name behind a lookup-table id, reloading the table for ids added elsewhere."""
        names = self._names[table]
        if ident not in names:
            for row_id, name in conn.execute(_LOOKUPS[table][2]):
                self._remember(table, name, row_id)
        try:
            return names[ident]
        except KeyError:
            raise _InvalidValueError(f"{table} has no id {ident}") from None

    def _result(self, conn: sqlite3.Connection, row: tuple[Any, ...]) -> ProbeResult:
        (
            vantage,
            check,
            started_at,
            latency_us,
            outcome,
            status,
            bytes_read,
            detail,
            cert,
            answers,
        ) = row
        outcome_name = self._name(conn, "outcomes", outcome)
        try:
            kept_outcome = Outcome(outcome_name)
        except ValueError:
            raise _InvalidValueError(f"unknown outcome {outcome_name!r}") from None
        return ProbeResult(
            check=self._name(conn, "checks", check),
            vantage=self._name(conn, "vantages", vantage),
            started_at=_instant(started_at),
            latency=latency_us / 1_000_000,
            outcome=kept_outcome,
            detail=detail,
            status=status,
            bytes_read=bytes_read,
            cert_expires_at=_optional_instant(cert),
            answers=tuple(json.loads(answers)) if answers else (),
        )


async def _complete(work: Awaitable[_T], discard: Callable[[_T], object] | None = None) -> _T:
    """Await ``work`` to its end even if cancelled meanwhile, then let the cancellation through.

    A worker thread cannot be stopped: until it returns it still uses the connection, so the lock
    must not be released before. The cancellation is delayed, never swallowed; a result nobody
    will receive goes to ``discard``.
    """
    future = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        while not future.done():
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait((future,))
        if not future.cancelled() and future.exception() is None and discard is not None:
            discard(future.result())
        raise


@contextlib.contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """``BEGIN IMMEDIATE`` (take the write lock up front, so a busy database fails early and
    whole) ... ``COMMIT``, rolled back on any error."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.rollback()
        raise


def _migrate(conn: sqlite3.Connection) -> None:
    """Apply the missing scripts of :data:`SQLITE`, each in its own transaction."""
    conn.execute(SQLITE_MIGRATIONS_TABLE)
    current = _schema_version(conn)
    if current > len(SQLITE):
        raise _InvalidValueError(
            f"schema version {current} is newer than this program knows ({len(SQLITE)})"
        )
    for version in range(current + 1, len(SQLITE) + 1):
        with _transaction(conn):
            # Another process opening the same file may have applied it since we looked.
            if _schema_version(conn) < version:
                for statement in _statements(SQLITE[version - 1]):
                    conn.execute(statement)
                conn.execute("INSERT INTO schema_migrations (version) VALUES (?)", (version,))


def _statements(script: str) -> Iterator[str]:
    """The statements of a script, split where SQLite says a statement is complete.

    ``executescript`` would do this, but it commits any open transaction first, and a migration
    must be applied together with its version row.
    """
    statement = ""
    for piece in script.split(";"):
        statement += piece + ";"
        if sqlite3.complete_statement(statement):
            if statement.strip("; \n"):
                yield statement
            statement = ""


def _schema_version(conn: sqlite3.Connection) -> int:
    (version,) = conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()
    return int(version)


def _us(instant: datetime) -> int:
    """Microseconds since the Unix epoch; a naive datetime names no instant, so it is refused."""
    if instant.utcoffset() is None:
        raise _InvalidValueError(f"instant {instant.isoformat()} has no time zone")
    return (instant - _EPOCH) // _MICROSECOND


def _optional_us(instant: datetime | None) -> int | None:
    return None if instant is None else _us(instant)


def _instant(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def _optional_instant(us: int | None) -> datetime | None:
    return None if us is None else _instant(us)


def _json(detail: Mapping[str, Any]) -> str:
    try:
        return json.dumps(dict(detail), separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise _InvalidValueError(f"detail is not JSON: {error}") from None


def _answers(answers: Sequence[str]) -> str | None:
    return json.dumps(list(answers), separators=(",", ":"), ensure_ascii=False) if answers else None


def _kind(kind: str) -> IntervalKind:
    try:
        return IntervalKind(kind)
    except ValueError:
        raise _InvalidValueError(f"unknown interval kind {kind!r}") from None


def _exclusion(row: tuple[Any, ...]) -> ExclusionRecord:
    ident, service, start, end, reason, announced, note, by, added, revoked, revoked_by, why = row
    return ExclusionRecord(
        service=service,
        start=_instant(start),
        end=_instant(end),
        reason=reason,
        note=note,
        added_by=by,
        added_at=_instant(added),
        announced_at=_optional_instant(announced),
        revoked_at=_optional_instant(revoked),
        revoked_by=revoked_by,
        revoke_note=why,
        id=ident,
    )


def _notice(row: tuple[Any, ...]) -> NoticeRecord:
    ident, service, at, ref, by, added, revoked, revoked_by, why = row
    return NoticeRecord(
        service=service,
        at=_instant(at),
        ref=ref,
        added_by=by,
        added_at=_instant(added),
        revoked_at=_optional_instant(revoked),
        revoked_by=revoked_by,
        revoke_note=why,
        id=ident,
    )


def _interval_row(record: IntervalRecord) -> tuple[Any, ...]:
    """The columns of an interval after its id, as stored."""
    return (
        _kind(record.kind).value,
        record.vantage,
        record.subject,
        _us(record.start),
        _optional_us(record.end),
        _optional_us(record.start_bound),
        _optional_us(record.end_bound),
        _json(record.detail),
    )


def _interval(row: tuple[Any, ...]) -> IntervalRecord:
    ident, kind, vantage, subject, start, end, start_bound, end_bound, detail = row
    return IntervalRecord(
        kind=_kind(kind),
        vantage=vantage,
        subject=subject,
        start=_instant(start),
        end=_optional_instant(end),
        start_bound=_optional_instant(start_bound),
        end_bound=_optional_instant(end_bound),
        detail=json.loads(detail),
        id=ident,
    )

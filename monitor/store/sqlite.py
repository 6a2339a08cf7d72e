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
  Rows become records and back through :mod:`monitor.store.codec`, as in the PostgreSQL store.
- **Every failure is a one-line** :class:`~monitor.errors.StorageError` naming the store and the
  operation: ``sqlite:///x.db: writing results: database is locked``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
from collections.abc import Awaitable, Callable, Collection, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Final, TypeVar

from ..errors import StorageError
from ..evidence import DERIVED_KINDS, ExclusionRecord, IntervalKind, IntervalRecord, NoticeRecord
from ..results import ProbeResult
from .codec import SQLITE_ROWS as _ROWS
from .codec import InvalidValueError, NameIds, detail_json, kind_values
from .migrations import SQLITE, SQLITE_MIGRATIONS_TABLE

__all__ = ["BUSY_TIMEOUT_MS", "PRUNE_CHUNK", "SQLiteStore"]

_T = TypeVar("_T")

#: How long a statement waits for another connection's lock before "database is locked".
BUSY_TIMEOUT_MS: Final = 5_000
#: Results deleted per transaction by ``prune``: a large retention pass must not hold the write
#: lock (and the writer behind it) for long.
PRUNE_CHUNK: Final = 10_000

# Columns in the codec's order (RESULT_COLUMNS), as the reads below select them.
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
        "SELECT id, name FROM vantages WHERE name = ?",
        "SELECT id, name FROM vantages",
    ),
    "checks": (
        "INSERT INTO checks (name) VALUES (?) ON CONFLICT (name) DO NOTHING",
        "SELECT id, name FROM checks WHERE name = ?",
        "SELECT id, name FROM checks",
    ),
    "outcomes": (
        "INSERT INTO outcomes (name) VALUES (?) ON CONFLICT (name) DO NOTHING",
        "SELECT id, name FROM outcomes WHERE name = ?",
        "SELECT id, name FROM outcomes",
    ),
}


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
        # The lookup tables' ids; only the thread holding the lock uses them.
        self._names = NameIds()

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
                self._names.clear()
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
            params = {
                "start": _ROWS.instant(start),
                "end": _ROWS.instant(end),
                "check": None,
                "vantage": None,
            }
            for key, table, name in (("check", "checks", check), ("vantage", "vantages", vantage)):
                if name is not None:
                    params[key] = self._find(conn, table, name)
                    if params[key] is None:
                        return []  # no result ever named it
            query = _RESULTS_BY_TIME if check is None else _RESULTS_BY_CHECK
            rows = conn.execute(query, params).fetchall()
            for table in self._names.unknown(rows):
                self._names.load(table, conn.execute(_LOOKUPS[table][2]))
            return [_ROWS.result(row, self._names) for row in rows]

        return await self._run("reading results", select)

    async def last_result_at(self, vantage: str) -> datetime | None:
        """When this vantage last recorded a result (the newest ``started_at``)."""

        return (await self.vantages_seen()).get(vantage)

    async def vantages_seen(self) -> dict[str, datetime]:
        """Every vantage that recorded a result, with its newest ``started_at``."""

        def select(conn: sqlite3.Connection) -> dict[str, datetime]:
            return {name: _ROWS.read_instant(us) for name, us in conn.execute(_VANTAGES_SEEN)}

        return await self._run("reading the vantages seen", select)

    async def open_interval(self, record: IntervalRecord) -> int:
        """Store an interval (``end`` may be None: still open); return its id.

        With ``record.id`` set, that id is used and writing the same record again is a no-op;
        without, the store picks one.
        """

        def insert(conn: sqlite3.Connection) -> int:
            row = _ROWS.interval_row(record)
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
                "end": _ROWS.instant(end),
                "end_bound": _ROWS.optional_instant(end_bound),
                "detail": None if detail is None else detail_json(detail),
            }
            if conn.execute(_CLOSE_INTERVAL, params).rowcount == 0:
                raise InvalidValueError(f"no open interval with id {interval_id}")

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
                "start": _ROWS.instant(start),
                "end": _ROWS.instant(end),
                "kinds": None if kinds is None else json.dumps(kind_values(kinds)),
                "vantage": vantage,
                "subject": subject,
            }
            return [_ROWS.interval(row) for row in conn.execute(_INTERVALS, params)]

        return await self._run("reading intervals", select)

    async def open_intervals(self, vantage: str) -> list[IntervalRecord]:
        """This vantage's intervals that are still open, by start then id."""

        def select(conn: sqlite3.Connection) -> list[IntervalRecord]:
            return [_ROWS.interval(row) for row in conn.execute(_OPEN_INTERVALS, (vantage,))]

        return await self._run("reading open intervals", select)

    async def replace_intervals(
        self, vantage: str, start: datetime, records: Sequence[IntervalRecord]
    ) -> None:
        """Replace this vantage's derived intervals from ``start`` on, in one transaction."""

        def replace(conn: sqlite3.Connection) -> None:
            params = {
                "vantage": vantage,
                "start": _ROWS.instant(start),
                "kinds": json.dumps(kind_values(DERIVED_KINDS)),
            }
            rows = [_ROWS.interval_row(record) for record in records]
            if any(record.id is None for record in records):
                raise InvalidValueError("replacement intervals need their ids")
            with _transaction(conn):
                conn.execute(_DELETE_DERIVED, params)
                conn.execute(_CUT_DERIVED, params)
                pairs = zip(records, rows, strict=True)
                conn.executemany(_INSERT_INTERVAL, [(record.id, *row) for record, row in pairs])

        await self._run("replacing intervals", replace)

    async def add_exclusion(self, record: ExclusionRecord) -> int:
        """Store a new exclusion; return its id."""

        def insert(conn: sqlite3.Connection) -> int:
            row = _ROWS.exclusion_row(record)
            ((ident,),) = conn.execute(_INSERT_EXCLUSION, row).fetchall()
            return int(ident)

        return await self._run("adding an exclusion", insert)

    async def revoke_exclusion(
        self, exclusion_id: int, *, by: str, at: datetime, note: str
    ) -> ExclusionRecord:
        """Mark an exclusion revoked; unknown or already revoked is an error."""

        def update(conn: sqlite3.Connection) -> ExclusionRecord:
            with _transaction(conn):
                params = (_ROWS.instant(at), by, note, exclusion_id)
                if conn.execute(_REVOKE_EXCLUSION, params).rowcount == 0:
                    raise InvalidValueError(f"no exclusion {exclusion_id} that is not revoked")
                row = conn.execute(_EXCLUSION_BY_ID, (exclusion_id,)).fetchone()
            return _ROWS.exclusion(row)

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
                "start": _ROWS.optional_instant(start),
                "end": _ROWS.optional_instant(end),
            }
            return [_ROWS.exclusion(row) for row in conn.execute(_EXCLUSIONS, params)]

        return await self._run("reading exclusions", select)

    async def add_notice(self, record: NoticeRecord) -> int:
        """Store a new provider notice; return its id."""

        def insert(conn: sqlite3.Connection) -> int:
            ((ident,),) = conn.execute(_INSERT_NOTICE, _ROWS.notice_row(record)).fetchall()
            return int(ident)

        return await self._run("adding a notice", insert)

    async def revoke_notice(
        self, notice_id: int, *, by: str, at: datetime, note: str
    ) -> NoticeRecord:
        """Mark a notice revoked; unknown or already revoked is an error."""

        def update(conn: sqlite3.Connection) -> NoticeRecord:
            with _transaction(conn):
                params = (_ROWS.instant(at), by, note, notice_id)
                if conn.execute(_REVOKE_NOTICE, params).rowcount == 0:
                    raise InvalidValueError(f"no notice {notice_id} that is not revoked")
                row = conn.execute(_NOTICE_BY_ID, (notice_id,)).fetchone()
            return _ROWS.notice(row)

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
                "start": _ROWS.optional_instant(start),
                "end": _ROWS.optional_instant(end),
            }
            return [_ROWS.notice(row) for row in conn.execute(_NOTICES, params)]

        return await self._run("reading notices", select)

    async def prune(self, before: datetime) -> int:
        """Delete results with ``started_at < before`` in chunks; return how many. Intervals stay.

        Each chunk is its own transaction and takes the lock anew, so writes interleave with a
        large deletion instead of waiting for all of it.
        """

        def delete_chunk(conn: sqlite3.Connection) -> int:
            return conn.execute(_PRUNE, (_ROWS.instant(before), self._prune_chunk)).rowcount

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
        except (sqlite3.Error, OSError, InvalidValueError) as error:
            reason = " ".join(str(error).split()) or type(error).__name__
            refused = isinstance(error, sqlite3.IntegrityError | InvalidValueError)
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
            known = self._names.id(table, name)
            if known is not None:
                return known
            if (table, name) not in added:
                insert, select, _ = _LOOKUPS[table]
                conn.execute(insert, (name,))
                added[table, name] = conn.execute(select, (name,)).fetchone()[0]
            return added[table, name]

        with _transaction(conn):
            rows = [_ROWS.result_row(result, ident) for result in results]
            conn.executemany(_INSERT_RESULT, rows)
            newest = _ROWS.newest(rows)
            conn.executemany(_SEEN, [(us, us, vantage) for vantage, us in newest])
        # Only now: ids added by a rolled-back transaction never existed.
        for (table, name), new_id in added.items():
            self._names.remember(table, name, new_id)

    def _find(self, conn: sqlite3.Connection, table: str, name: str) -> int | None:
        """The id of ``name`` in a lookup table, or None if no result ever used it."""
        if self._names.id(table, name) is None:
            self._names.load(table, conn.execute(_LOOKUPS[table][1], (name,)))
        return self._names.id(table, name)


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
        raise InvalidValueError(
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

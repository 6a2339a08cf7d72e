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
- **What both stores do alike** (:mod:`monitor.store.rowstore`, :mod:`monitor.store.codec`) is
  shared with the PostgreSQL store; this module gives its SQL and how it runs.
- **Every failure is a one-line** :class:`~monitor.errors.StorageError` naming the store and the
  operation: ``sqlite:///x.db: writing results: database is locked``.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Awaitable, Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Final, TypeVar

from ..errors import StorageError
from ..results import ProbeResult
from .codec import SQLITE_ROWS as _ROWS
from .codec import InvalidValueError, NameIds
from .migrations import AGGREGATES_SINCE, CLEARS_AGGREGATES, SQLITE, SQLITE_MIGRATIONS_TABLE
from .rowstore import Params, RowStore, Statements, Steps

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
_PRUNE: Final = """
DELETE FROM results
WHERE id IN (SELECT id FROM results WHERE started_at < ? ORDER BY started_at LIMIT ?)
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
# What the shared methods run; ?N is the N-th parameter, as often as needed.
_STATEMENTS: Final = Statements(
    # A caller-chosen id may be written twice (a retry after an unclear failure): the second
    # insert changes nothing.
    insert_interval="""
INSERT INTO intervals (id, kind, vantage, subject, start_at, end_at, start_bound, end_bound, detail)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO NOTHING
""",
    insert_interval_new_id="""
INSERT INTO intervals (kind, vantage, subject, start_at, end_at, start_bound, end_bound, detail)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
RETURNING id
""",
    close_interval="""
UPDATE intervals
SET end_at = ?2, end_bound = COALESCE(?3, end_bound), detail = COALESCE(?4, detail)
WHERE id = ?1 AND (end_at IS NULL OR end_at = ?2)
""",
    # Half-open overlap of [start_at, end_at) with [?1, ?2); an open interval extends forever.
    # Kinds come as a JSON array.
    intervals="""
SELECT id, kind, vantage, subject, start_at, end_at, start_bound, end_bound, detail
FROM intervals
WHERE (end_at IS NULL OR end_at > ?1) AND start_at < ?2
  AND (?3 IS NULL OR kind IN (SELECT value FROM json_each(?3)))
  AND (?4 IS NULL OR vantage = ?4) AND (?5 IS NULL OR subject = ?5)
ORDER BY start_at, id
""",
    open_intervals="""
SELECT id, kind, vantage, subject, start_at, end_at, start_bound, end_bound, detail
FROM intervals WHERE vantage = ?1 AND end_at IS NULL ORDER BY start_at, id
""",
    delete_derived="""
DELETE FROM intervals
WHERE vantage = ?1 AND subject <> '*' AND kind IN (SELECT value FROM json_each(?3))
  AND start_at >= ?2
""",
    cut_derived="""
UPDATE intervals SET end_at = ?2
WHERE vantage = ?1 AND subject <> '*' AND kind IN (SELECT value FROM json_each(?3))
  AND start_at < ?2 AND (end_at IS NULL OR end_at > ?2)
""",
    insert_exclusion="""
INSERT INTO exclusions (service, start_at, end_at, reason, announced_at, note, added_by, added_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
RETURNING id
""",
    revoke_exclusion="""
UPDATE exclusions SET revoked_at = ?1, revoked_by = ?2, revoke_note = ?3
WHERE id = ?4 AND revoked_at IS NULL
RETURNING id, service, start_at, end_at, reason, announced_at, note, added_by, added_at,
          revoked_at, revoked_by, revoke_note
""",
    exclusions="""
SELECT id, service, start_at, end_at, reason, announced_at, note, added_by, added_at, revoked_at,
       revoked_by, revoke_note
FROM exclusions
WHERE (?1 IS NULL OR service = ?1)
  AND (?2 IS NULL OR end_at > ?2) AND (?3 IS NULL OR start_at < ?3)
ORDER BY start_at, id
""",
    insert_notice="""
INSERT INTO notices (service, notified_at, ref, added_by, added_at)
VALUES (?, ?, ?, ?, ?)
RETURNING id
""",
    revoke_notice="""
UPDATE notices SET revoked_at = ?1, revoked_by = ?2, revoke_note = ?3
WHERE id = ?4 AND revoked_at IS NULL
RETURNING id, service, notified_at, ref, added_by, added_at, revoked_at, revoked_by, revoke_note
""",
    notices="""
SELECT id, service, notified_at, ref, added_by, added_at, revoked_at, revoked_by, revoke_note
FROM notices
WHERE (?1 IS NULL OR service = ?1)
  AND (?2 IS NULL OR notified_at >= ?2) AND (?3 IS NULL OR notified_at < ?3)
ORDER BY notified_at, id
""",
    vantages_seen="""
SELECT name, last_result_at FROM vantages WHERE last_result_at IS NOT NULL ORDER BY name
""",
    day_figures_generation="SELECT n FROM day_aggregates_generation",
    bump_day_figures="UPDATE day_aggregates_generation SET n = n + 1",
    claim_day="""
INSERT INTO day_aggregates (service, day, start_at, end_at, measured_us, outage_us, degraded_us,
                            maintenance_us, gap_us, spans, basis, claim, computed_at)
VALUES (?1, ?2, ?3, ?4, 0, 0, 0, 0, 0, NULL, '', ?5, NULL)
ON CONFLICT (day, service) DO UPDATE
SET start_at = excluded.start_at, end_at = excluded.end_at, measured_us = 0, outage_us = 0,
    degraded_us = 0, maintenance_us = 0, gap_us = 0, spans = NULL, basis = '',
    claim = excluded.claim, computed_at = NULL
""",
    put_day_figures="""
UPDATE day_aggregates
SET measured_us = ?1, outage_us = ?2, degraded_us = ?3, maintenance_us = ?4, gap_us = ?5,
    spans = ?6, basis = ?7, computed_at = ?8
WHERE day = ?10 AND service = ?9 AND claim = ?11 AND computed_at IS NULL
""",
    day_figures="""
SELECT service, day, measured_us, outage_us, degraded_us, maintenance_us, gap_us, spans, basis
FROM day_aggregates
WHERE day >= ?1 AND day <= ?2 AND computed_at IS NOT NULL
ORDER BY day, service
""",
    days_stored="""
SELECT service, day, basis FROM day_aggregates
WHERE day >= ?1 AND day <= ?2 AND computed_at IS NOT NULL
""",
)


class SQLiteStore(RowStore):
    """Evidence in one SQLite file; see the module docstring for the choices made.

    ``path`` is the database file; missing parent directories are created by :meth:`open`.
    """

    def __init__(self, path: str | Path, *, prune_chunk: int = PRUNE_CHUNK) -> None:
        if prune_chunk < 1:
            raise ValueError(f"prune_chunk must be at least 1, got {prune_chunk}")
        super().__init__(f"sqlite:///{path}", _ROWS, _STATEMENTS)
        self._path = Path(path)
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
                self._forget()
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

    async def last_result_at(self, vantage: str) -> datetime | None:
        """When this vantage last recorded a result (the newest ``started_at``)."""
        return (await self.vantages_seen()).get(vantage)

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

    async def _fetch(
        self, operation: str, sql: str, params: Params, decode: Callable[[Sequence[Any]], _T]
    ) -> list[_T]:
        # One statement commits on its own; every row is fetched, so that it completes.
        return await self._run(
            operation, lambda conn: [decode(row) for row in conn.execute(sql, params()).fetchall()]
        )

    async def _change(self, operation: str, sql: str, params: Params) -> int:
        return await self._run(operation, lambda conn: conn.execute(sql, params()).rowcount)

    async def _change_together(self, operation: str, steps: Steps) -> None:
        def change(conn: sqlite3.Connection) -> None:
            planned = steps()
            with _transaction(conn):
                for sql, rows in planned:
                    conn.executemany(sql, rows)

        await self._run(operation, change)

    async def _write_results(self, results: Sequence[ProbeResult]) -> None:
        """Insert the batch and move the vantages' newest instants, in one transaction."""
        await self._run("writing results", lambda conn: self._insert_results(conn, results))

    async def _results(
        self, start: datetime, end: datetime, check: str | None, vantage: str | None
    ) -> list[ProbeResult]:
        """The results asked for; ties in time come in write order."""

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
            rows = [
                _ROWS.result_row(
                    result,
                    ident("vantages", result.vantage),
                    ident("checks", result.check),
                    ident("outcomes", result.outcome.value),
                )
                for result in results
            ]
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
                if version > AGGREGATES_SINCE["sqlite"]:
                    for statement in CLEARS_AGGREGATES:
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

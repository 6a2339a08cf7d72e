"""The PostgreSQL store: one database shared by every vantage, years of results kept.

How it meets the :class:`~monitor.store.base.Store` contract, and why:

- **A small asyncpg pool** (up to ``max_size``, 4 by default), made by :meth:`open`: a few
  connections let reads run beside a write, and the pool replaces a broken connection by itself,
  so once the server is back the next operation works again without reopening the store. It
  keeps no idle floor, so a server that is down costs nothing between attempts.
  Statements time out (``command_timeout``), as does connecting.
- **Instants are** ``timestamptz``: exact to the microsecond, read back as UTC-aware datetimes. A
  naive datetime names no instant and is refused before anything is sent.
- **Results live in daily partitions** (``results_YYYYMMDD``, by UTC day), created before a write
  needs them and dropped whole by :meth:`prune`, which deletes no rows and leaves nothing to
  vacuum. Days whose partition is known to exist are remembered, so a write usually checks
  nothing. Partitions are created and dropped under an advisory lock, so two writers (or a writer
  and a retention pass) never race on the catalog.
- **A batch is written with COPY** into a per-connection temporary staging table, then moved into
  ``results`` by one ``INSERT ... SELECT ... ON CONFLICT DO NOTHING`` in time order: binary COPY
  is several times faster than row-by-row inserts, and the INSERT skips results already stored.
  All of it, with the lookup rows it adds and the vantages' newest instants, is one transaction.
- **Results store vantage, check and outcome as small integers** referencing the lookup tables;
  the ids are cached both ways (rows there are never changed or deleted, so the cache stays true
  when another process adds names). Schema: :mod:`monitor.store.migrations`.
- **Migrations run at** :meth:`open` **under an advisory lock**, each in its own transaction, the
  version checked again once the lock is held: several processes may open a fresh database at
  the same moment and the schema is still migrated exactly once.
- **What both stores do alike** (:mod:`monitor.store.rowstore`, :mod:`monitor.store.codec`) is
  shared with the SQLite store; this module gives its SQL and how it runs.
- **Every failure is a one-line** :class:`~monitor.errors.StorageError` naming the store and the
  operation: ``postgresql://slawatch@db:5432/slawatch: writing results: connection refused``. The
  store is named by its URL without password or query, and a password is scrubbed from any
  message that might repeat it.
"""

from __future__ import annotations

import asyncio
import functools
import re
import urllib.parse
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final, TypeVar

import asyncpg

from ..errors import StorageError
from ..results import ProbeResult
from .codec import POSTGRES_ROWS as _ROWS
from .codec import RESULT_COLUMNS, InvalidValueError, NameIds, aware
from .migrations import AGGREGATES_SINCE, CLEARS_AGGREGATES, POSTGRES, POSTGRES_MIGRATIONS_TABLE
from .rowstore import Params, RowStore, Statements, Steps

__all__ = [
    "COMMAND_TIMEOUT",
    "CONNECT_TIMEOUT",
    "MAX_CONNECTIONS",
    "PRUNE_LOCK_TIMEOUT_MS",
    "PostgresStore",
    "redact_url",
]

_T = TypeVar("_T")

#: Connections the pool may open at most.
MAX_CONNECTIONS: Final = 4
#: Seconds to connect (and to wait for a free connection) before giving up.
CONNECT_TIMEOUT: Final = 10.0
#: Seconds a statement may run: a stuck server becomes an error, not a writer that waits forever.
COMMAND_TIMEOUT: Final = 60.0
#: How long dropping a partition waits for the locks it needs. Meanwhile every newer query of
#: ``results`` queues behind it, so it gives up early; the next retention pass tries again.
PRUNE_LOCK_TIMEOUT_MS: Final = 2_000

# Advisory lock keys (per database), ASCII "slawmigr" and "slawpart".
_MIGRATION_LOCK: Final = 0x736C_6177_6D69_6772
_PARTITION_LOCK: Final = 0x736C_6177_7061_7274

_DAY: Final = timedelta(days=1)
_PARTITION_NAME: Final = re.compile(r"results_(\d{8})")

# Created on every connection: a temporary table lives as long as its session, and ON COMMIT
# DELETE ROWS empties it at the end of each batch's transaction. LIKE copies the columns of
# results as the migrations left them, so the two never disagree.
_STAGING: Final = """
CREATE TEMPORARY TABLE IF NOT EXISTS results_staging (LIKE results) ON COMMIT DELETE ROWS
"""
# In time order: the partition's heap stays sorted by time (what its BRIN index needs) and index
# entries mostly append. Every writer uses this one total order of the identity, so two batches
# repeating the same results never wait on each other crosswise.
_MOVE_STAGED: Final = """
INSERT INTO results (started_at, bytes_read, cert_expires_at, check_id, latency_us, vantage,
                     outcome, status, detail, answers)
SELECT started_at, bytes_read, cert_expires_at, check_id, latency_us, vantage, outcome, status,
       detail, answers
FROM results_staging
ORDER BY started_at, check_id, vantage
ON CONFLICT DO NOTHING
"""
_SEEN: Final = """
UPDATE vantages SET last_result_at = GREATEST(last_result_at, $2) WHERE id = $1
"""
# Columns in the codec's order (RESULT_COLUMNS), not the table's.
_RESULTS_BY_CHECK: Final = """
SELECT vantage, check_id, started_at, latency_us, outcome, status, bytes_read, detail,
       cert_expires_at, answers
FROM results
WHERE check_id = $3 AND started_at >= $1 AND started_at < $2
  AND ($4::smallint IS NULL OR vantage = $4)
ORDER BY started_at, vantage
"""
_RESULTS_BY_TIME: Final = """
SELECT vantage, check_id, started_at, latency_us, outcome, status, bytes_read, detail,
       cert_expires_at, answers
FROM results
WHERE started_at >= $1 AND started_at < $2
  AND ($3::smallint IS NULL OR vantage = $3)
ORDER BY started_at, check_id, vantage
"""
_LAST_RESULT_AT: Final = "SELECT last_result_at FROM vantages WHERE name = $1"
_MISSING_PARTITIONS: Final = """
SELECT name FROM unnest($1::text[]) AS wanted (name) WHERE to_regclass(name) IS NULL
"""
_PARTITIONS: Final = """
SELECT child.relname
FROM pg_inherits
JOIN pg_class AS child ON child.oid = pg_inherits.inhrelid
WHERE pg_inherits.inhparent = 'results'::regclass
ORDER BY child.relname
"""
# Per lookup table: find names; add names (in a stable order, so that two writers adding the same
# new names wait on each other in the same order, never crosswise); read them all.
_LOOKUPS: Final = {
    "vantages": (
        "SELECT id, name FROM vantages WHERE name = ANY ($1::text[])",
        "INSERT INTO vantages (name) SELECT name FROM unnest($1::text[]) AS new (name) "
        "ORDER BY name ON CONFLICT (name) DO NOTHING RETURNING id, name",
        "SELECT id, name FROM vantages",
    ),
    "checks": (
        "SELECT id, name FROM checks WHERE name = ANY ($1::text[])",
        "INSERT INTO checks (name) SELECT name FROM unnest($1::text[]) AS new (name) "
        "ORDER BY name ON CONFLICT (name) DO NOTHING RETURNING id, name",
        "SELECT id, name FROM checks",
    ),
    "outcomes": (
        "SELECT id, name FROM outcomes WHERE name = ANY ($1::text[])",
        "INSERT INTO outcomes (name) SELECT name FROM unnest($1::text[]) AS new (name) "
        "ORDER BY name ON CONFLICT (name) DO NOTHING RETURNING id, name",
        "SELECT id, name FROM outcomes",
    ),
}
# What the shared methods run.
_STATEMENTS: Final = Statements(
    # A caller-chosen id may be written twice (a retry after an unclear failure): the second
    # insert changes nothing.
    insert_interval="""
INSERT INTO intervals (id, kind, vantage, subject, start_at, end_at, start_bound, end_bound, detail)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (id) DO NOTHING
""",
    insert_interval_new_id="""
INSERT INTO intervals (kind, vantage, subject, start_at, end_at, start_bound, end_bound, detail)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
RETURNING id
""",
    close_interval="""
UPDATE intervals
SET end_at = $2, end_bound = COALESCE($3, end_bound), detail = COALESCE($4, detail)
WHERE id = $1 AND (end_at IS NULL OR end_at = $2)
""",
    # Half-open overlap of [start_at, end_at) with [$1, $2); an open interval extends forever.
    intervals="""
SELECT id, kind, vantage, subject, start_at, end_at, start_bound, end_bound, detail
FROM intervals
WHERE (end_at IS NULL OR end_at > $1) AND start_at < $2
  AND ($3::text[] IS NULL OR kind = ANY ($3))
  AND ($4::text IS NULL OR vantage = $4) AND ($5::text IS NULL OR subject = $5)
ORDER BY start_at, id
""",
    open_intervals="""
SELECT id, kind, vantage, subject, start_at, end_at, start_bound, end_bound, detail
FROM intervals WHERE vantage = $1 AND end_at IS NULL ORDER BY start_at, id
""",
    delete_derived="""
DELETE FROM intervals
WHERE vantage = $1 AND subject <> '*' AND kind = ANY ($3) AND start_at >= $2
""",
    cut_derived="""
UPDATE intervals SET end_at = $2
WHERE vantage = $1 AND subject <> '*' AND kind = ANY ($3)
  AND start_at < $2 AND (end_at IS NULL OR end_at > $2)
""",
    insert_exclusion="""
INSERT INTO exclusions (service, start_at, end_at, reason, announced_at, note, added_by, added_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
RETURNING id
""",
    revoke_exclusion="""
UPDATE exclusions SET revoked_at = $1, revoked_by = $2, revoke_note = $3
WHERE id = $4 AND revoked_at IS NULL
RETURNING id, service, start_at, end_at, reason, announced_at, note, added_by, added_at, revoked_at,
       revoked_by, revoke_note
""",
    exclusions="""
SELECT id, service, start_at, end_at, reason, announced_at, note, added_by, added_at, revoked_at,
       revoked_by, revoke_note
FROM exclusions
WHERE ($1::text IS NULL OR service = $1)
  AND ($2::timestamptz IS NULL OR end_at > $2) AND ($3::timestamptz IS NULL OR start_at < $3)
ORDER BY start_at, id
""",
    insert_notice="""
INSERT INTO notices (service, notified_at, ref, added_by, added_at)
VALUES ($1, $2, $3, $4, $5)
RETURNING id
""",
    revoke_notice="""
UPDATE notices SET revoked_at = $1, revoked_by = $2, revoke_note = $3
WHERE id = $4 AND revoked_at IS NULL
RETURNING id, service, notified_at, ref, added_by, added_at, revoked_at, revoked_by, revoke_note
""",
    notices="""
SELECT id, service, notified_at, ref, added_by, added_at, revoked_at, revoked_by, revoke_note
FROM notices
WHERE ($1::text IS NULL OR service = $1)
  AND ($2::timestamptz IS NULL OR notified_at >= $2)
  AND ($3::timestamptz IS NULL OR notified_at < $3)
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
VALUES ($1, $2, $3, $4, 0, 0, 0, 0, 0, NULL, '', $5, NULL)
ON CONFLICT (day, service) DO UPDATE
SET start_at = excluded.start_at, end_at = excluded.end_at, measured_us = 0, outage_us = 0,
    degraded_us = 0, maintenance_us = 0, gap_us = 0, spans = NULL, basis = '',
    claim = excluded.claim, computed_at = NULL
""",
    put_day_figures="""
UPDATE day_aggregates
SET measured_us = $1, outage_us = $2, degraded_us = $3, maintenance_us = $4, gap_us = $5,
    spans = $6::json, basis = $7, computed_at = $8
WHERE day = $10 AND service = $9 AND claim = $11 AND computed_at IS NULL
""",
    day_figures="""
SELECT service, day, measured_us, outage_us, degraded_us, maintenance_us, gap_us, spans::text,
       basis
FROM day_aggregates
WHERE day >= $1 AND day <= $2 AND computed_at IS NOT NULL
ORDER BY day, service
""",
    days_stored="""
SELECT service, day, basis FROM day_aggregates
WHERE day >= $1 AND day <= $2 AND computed_at IS NOT NULL
""",
)


def redact_url(url: str) -> str:
    """``url`` without its password or query: what names a store in messages and reprs."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:  # an unbalanced IPv6 bracket: show none of it
        return f"{url.partition('://')[0]}://(invalid URL)"
    userinfo, at, hosts = parts.netloc.rpartition("@")
    user = userinfo.partition(":")[0]
    netloc = f"{user}@{hosts}" if at else hosts
    return f"{parts.scheme}://{netloc}{parts.path}"


def _secrets(url: str) -> list[str]:
    """The password(s) a URL carries, as written and decoded: never to be repeated."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return [url.partition("://")[2]] if "://" in url else [url]
    userinfo, at, _ = parts.netloc.rpartition("@")
    found = []
    if at and ":" in userinfo:
        found.append(userinfo.partition(":")[2])
    for key, value in urllib.parse.parse_qsl(parts.query):
        if key == "password":
            found.append(value)
    secrets = {form for raw in found for form in (raw, urllib.parse.unquote(raw)) if form}
    return sorted(secrets, key=len, reverse=True)


class PostgresStore(RowStore):
    """Evidence in a PostgreSQL database; see the module docstring for the choices made.

    ``url`` is a libpq-style URL (``postgresql://user:password@host:port/database``); the database
    must exist, its tables are created by :meth:`open`.
    """

    def __init__(
        self,
        url: str,
        *,
        max_size: int = MAX_CONNECTIONS,
        connect_timeout: float = CONNECT_TIMEOUT,
        command_timeout: float = COMMAND_TIMEOUT,
    ) -> None:
        if max_size < 1:
            raise ValueError(f"max_size must be at least 1, got {max_size}")
        super().__init__(redact_url(url), _ROWS, _STATEMENTS)
        self._url = url
        self._secrets = _secrets(url)
        self._max_size = max_size
        self._connect_timeout = connect_timeout
        self._command_timeout = command_timeout
        self._pool: asyncpg.Pool | None = None
        self._lock = asyncio.Lock()
        self._names = NameIds()
        # UTC days whose partition is known to exist.
        self._days: set[date] = set()

    @property
    def label(self) -> str:
        """The URL without password or query, as it appears in messages."""
        return self._label

    def __repr__(self) -> str:
        return f"PostgresStore({self._label!r})"

    async def open(self) -> None:
        """Create the connection pool and apply pending migrations; idempotent."""
        async with self._lock:
            if self._pool is not None:
                return
            # The database may have been replaced since the last open.
            self._names.clear()
            self._forget()
            self._days.clear()
            try:
                pool = await asyncpg.create_pool(
                    self._url,
                    # No floor: while the server is down, asyncpg would keep restoring one in
                    # the background, logging a traceback each time. Connections are made as
                    # operations need them, and kept for reuse.
                    min_size=0,
                    max_size=self._max_size,
                    timeout=self._connect_timeout,
                    command_timeout=self._command_timeout,
                    init=_init_connection,
                )
            except (*_FAILURES, ValueError) as error:
                raise self._error("opening", error) from _cause(error, self._secrets)
            try:
                async with pool.acquire(timeout=self._connect_timeout) as conn:
                    await _migrate(conn)
                    # This connection's staging table, if any, predates the migrations.
                    await conn.execute("DROP TABLE IF EXISTS pg_temp.results_staging")
                    await conn.execute(_STAGING)
            except (*_FAILURES, ValueError) as error:  # ValueError: a URL asyncpg cannot read
                pool.terminate()
                raise self._error("opening", error) from _cause(error, self._secrets)
            except BaseException:
                pool.terminate()
                raise
            self._pool = pool

    async def close(self) -> None:
        """Close the pool once running operations end (or after the command timeout); idempotent."""
        async with self._lock:
            pool, self._pool = self._pool, None
            if pool is None:
                return
            try:
                await asyncio.wait_for(pool.close(), self._command_timeout)
            except TimeoutError:
                pool.terminate()
            except _FAILURES as error:
                pool.terminate()
                raise self._error("closing", error) from _cause(error, self._secrets)

    async def schema_version(self) -> int:
        """The latest applied migration."""
        return await self._run("reading the schema version", _schema_version)

    async def last_result_at(self, vantage: str) -> datetime | None:
        """When this vantage last recorded a result (the newest ``started_at``)."""

        async def select(conn: asyncpg.Connection) -> datetime | None:
            instant: datetime | None = await conn.fetchval(_LAST_RESULT_AT, vantage)
            return instant

        return await self._run("reading the last result", select)

    async def prune(self, before: datetime) -> int:
        """Drop the daily partitions that end at or before ``before``; return the rows they held.

        Results of the day that contains ``before`` stay, earlier ones included: only whole days
        go. Each partition is dropped in its own short transaction, so writers wait for one
        partition at most, never for the whole pass. Intervals stay.
        """

        async def partitions(conn: asyncpg.Connection) -> list[tuple[date, str]]:
            cutoff = _ROWS.instant(before)
            found = []
            for (name,) in await conn.fetch(_PARTITIONS):
                matched = _PARTITION_NAME.fullmatch(name)
                if matched is not None:
                    digits = matched[1]
                    day = date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
                    if _midnight(day + _DAY) <= cutoff:
                        found.append((day, name))
            return found

        async def drop(conn: asyncpg.Connection, *, day: date, name: str) -> int:
            async with conn.transaction():
                await conn.execute(f"SET LOCAL lock_timeout = {PRUNE_LOCK_TIMEOUT_MS}")
                await conn.execute("SELECT pg_advisory_xact_lock($1)", _PARTITION_LOCK)
                if await conn.fetchval("SELECT to_regclass($1)", name) is None:
                    return 0  # dropped meanwhile by another process
                # Held until the drop: no write lands in the partition after it was counted. The
                # name is a partition's, as listed by the catalog and matched by _PARTITION_NAME.
                await conn.execute(f"LOCK TABLE {name} IN ACCESS EXCLUSIVE MODE")
                rows = int(await conn.fetchval(f"SELECT count(*) FROM {name}"))  # noqa: S608
                await conn.execute(f"DROP TABLE {name}")
            self._days.discard(day)
            return rows

        total = 0
        for day, name in await self._run("removing old results", partitions):
            total += await self._run(
                "removing old results", functools.partial(drop, day=day, name=name)
            )
        return total

    async def _run(self, operation: str, work: Callable[[asyncpg.Connection], Awaitable[_T]]) -> _T:
        """Run ``work`` on a pooled connection, translating every storage failure into one
        :class:`StorageError`."""
        pool = self._pool
        if pool is None:
            raise StorageError(f"{self._label}: {operation}: the store is not open")
        try:
            async with pool.acquire(timeout=self._connect_timeout) as conn:
                return await work(conn)
        except _FAILURES as error:
            raise self._error(operation, error) from _cause(error, self._secrets)

    async def _fetch(
        self, operation: str, sql: str, params: Params, decode: Callable[[Sequence[Any]], _T]
    ) -> list[_T]:
        async def fetch(conn: asyncpg.Connection) -> list[_T]:
            return [decode(row) for row in await conn.fetch(sql, *params())]

        return await self._run(operation, fetch)

    async def _change(self, operation: str, sql: str, params: Params) -> int:
        async def change(conn: asyncpg.Connection) -> int:
            status: str = await conn.execute(sql, *params())
            return int(status.rpartition(" ")[2])  # "UPDATE 1", "INSERT 0 1"

        return await self._run(operation, change)

    async def _change_together(self, operation: str, steps: Steps) -> None:
        async def change(conn: asyncpg.Connection) -> None:
            planned = steps()
            async with conn.transaction():
                for sql, rows in planned:
                    if rows:
                        await conn.executemany(sql, rows)

        await self._run(operation, change)

    async def _write_results(self, results: Sequence[ProbeResult]) -> None:
        """COPY the batch in through the staging table, in one transaction."""
        await self._run("writing results", lambda conn: self._copy_results(conn, results))

    async def _results(
        self, start: datetime, end: datetime, check: str | None, vantage: str | None
    ) -> list[ProbeResult]:
        """The results asked for; ties in time come by check, then vantage."""

        async def select(conn: asyncpg.Connection) -> list[ProbeResult]:
            bounds = (_ROWS.instant(start), _ROWS.instant(end))
            vantage_id = None
            if vantage is not None:
                vantage_id = await self._find(conn, "vantages", vantage)
                if vantage_id is None:
                    return []  # no result ever named it
            if check is None:
                rows = await conn.fetch(_RESULTS_BY_TIME, *bounds, vantage_id)
            else:
                check_id = await self._find(conn, "checks", check)
                if check_id is None:
                    return []
                rows = await conn.fetch(_RESULTS_BY_CHECK, *bounds, check_id, vantage_id)
            for table in self._names.unknown(rows):
                self._names.load(table, await conn.fetch(_LOOKUPS[table][2]))
            return [_ROWS.result(row, self._names) for row in rows]

        return await self._run("reading results", select)

    def _error(self, operation: str, error: BaseException) -> StorageError:
        """One line naming the store and the operation, never repeating a password."""
        reason = " ".join(str(error).split())
        if isinstance(error, TimeoutError):
            reason = reason or "timed out"
        for secret in self._secrets:
            reason = reason.replace(secret, "***")
        refused = isinstance(
            error,
            asyncpg.IntegrityConstraintViolationError | asyncpg.DataError | InvalidValueError,
        )
        return StorageError(
            f"{self._label}: {operation}: {reason or type(error).__name__}", refused=refused
        )

    async def _copy_results(self, conn: asyncpg.Connection, results: Sequence[ProbeResult]) -> None:
        # Everything is checked before anything is sent: a bad value fails the batch whole.
        days = {_day(aware(result.started_at)) for result in results}
        for result in results:
            if result.cert_expires_at is not None:
                aware(result.cert_expires_at)
        await self._ensure_partitions(conn, days)
        try:
            await self._write_batch(conn, results)
        except asyncpg.CheckViolationError as error:
            if "no partition" not in str(error):
                raise
            # Another process dropped a partition this one had seen: look again, once.
            self._days.clear()
            await self._ensure_partitions(conn, days)
            await self._write_batch(conn, results)

    async def _write_batch(self, conn: asyncpg.Connection, results: Sequence[ProbeResult]) -> None:
        added: dict[str, dict[str, int]] = {}
        async with conn.transaction():
            ids: dict[str, dict[str, int]] = {}
            for table, names in (
                ("vantages", {result.vantage for result in results}),
                ("checks", {result.check for result in results}),
                ("outcomes", {result.outcome.value for result in results}),
            ):
                ids[table], added[table] = await self._resolve(conn, table, names)
            vantages, checks, outcomes = ids["vantages"], ids["checks"], ids["outcomes"]
            records = [
                _ROWS.result_row(
                    result,
                    vantages[result.vantage],
                    checks[result.check],
                    outcomes[result.outcome.value],
                )
                for result in results
            ]
            await conn.copy_records_to_table(
                "results_staging", records=records, columns=RESULT_COLUMNS
            )
            await conn.execute(_MOVE_STAGED)
            # In id order, like every writer: row locks are taken in the same order everywhere.
            await conn.executemany(_SEEN, _ROWS.newest(records))
        # Only now: ids added by a rolled-back transaction never existed.
        for table, new in added.items():
            for name, ident in new.items():
                self._names.remember(table, name, ident)

    async def _resolve(
        self, conn: asyncpg.Connection, table: str, names: set[str]
    ) -> tuple[dict[str, int], dict[str, int]]:
        """The ids of ``names`` (all of them, and those this transaction added)."""
        known = {}
        for name in names:
            if (ident := self._names.id(table, name)) is not None:
                known[name] = ident
        missing = sorted(names - known.keys())
        if not missing:
            return known, {}
        find, add, _ = _LOOKUPS[table]
        # Look before adding: a conflicting insert would still consume a value of the sequence,
        # and vantage and outcome ids are smallints.
        for ident, name in await conn.fetch(find, missing):
            self._names.remember(table, name, ident)
            known[name] = ident
        missing = sorted(names - known.keys())
        added: dict[str, int] = {}
        if missing:
            added = {name: ident for ident, name in await conn.fetch(add, missing)}
            known.update(added)
            missing = sorted(names - known.keys())
        if missing:
            # Added by a concurrent transaction that committed while this one waited on it.
            for ident, name in await conn.fetch(find, missing):
                self._names.remember(table, name, ident)
                known[name] = ident
        return known, added

    async def _ensure_partitions(self, conn: asyncpg.Connection, days: Iterable[date]) -> None:
        """Create the missing daily partitions of ``days``, each in its own transaction."""
        unknown = sorted(set(days) - self._days)
        if not unknown:
            return
        names = {_partition(day): day for day in unknown}
        for (name,) in await conn.fetch(_MISSING_PARTITIONS, list(names)):
            day = names[name]
            create = (
                f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF results "
                f"FOR VALUES FROM ('{_midnight(day).isoformat()}') "
                f"TO ('{_midnight(day + _DAY).isoformat()}')"
            )
            try:
                async with conn.transaction():
                    # Serialises creators: concurrent CREATE TABLEs of one name may fail on the
                    # catalog's unique indexes despite IF NOT EXISTS.
                    await conn.execute("SELECT pg_advisory_xact_lock($1)", _PARTITION_LOCK)
                    await conn.execute(create)
            except (asyncpg.DuplicateTableError, asyncpg.UniqueViolationError):
                pass  # created by another process meanwhile: what was wanted
        self._days.update(unknown)

    async def _find(self, conn: asyncpg.Connection, table: str, name: str) -> int | None:
        """The id of ``name`` in a lookup table, or None if no result ever used it."""
        if self._names.id(table, name) is None:
            self._names.load(table, await conn.fetch(_LOOKUPS[table][0], [name]))
        return self._names.id(table, name)


#: What a storage failure looks like from asyncpg and the network below it.
_FAILURES: Final = (
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    OSError,
    TimeoutError,
    InvalidValueError,
)


def _cause(error: BaseException, secrets: Sequence[str]) -> BaseException | None:
    """The error to chain, unless its message repeats a password (then nothing is chained)."""
    text = str(error)
    return None if any(secret in text for secret in secrets) else error


async def _init_connection(conn: asyncpg.Connection) -> None:
    """Prepare a new connection: its staging table, once there is a ``results`` table to copy.

    The connection that migrates comes before the migrations (in a new database, before any
    ``results``): :meth:`PostgresStore.open` makes its staging table again once they ran.
    """
    if await conn.fetchval("SELECT to_regclass('results')") is not None:
        await conn.execute(_STAGING)


async def _migrate(conn: asyncpg.Connection) -> None:
    """Apply the missing scripts of :data:`POSTGRES`, each in its own transaction.

    Each transaction first takes an advisory lock, then looks at the version again: another
    process opening the same database may have applied the script meanwhile.
    """
    version = 0
    while True:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _MIGRATION_LOCK)
            if version == 0:
                await conn.execute(POSTGRES_MIGRATIONS_TABLE)
            version = await _schema_version(conn)
            if version > len(POSTGRES):
                raise InvalidValueError(
                    f"schema version {version} is newer than this program knows ({len(POSTGRES)})"
                )
            if version == len(POSTGRES):
                return
            version += 1
            await conn.execute(POSTGRES[version - 1])
            if version > AGGREGATES_SINCE["postgresql"]:
                for statement in CLEARS_AGGREGATES:
                    await conn.execute(statement)
            await conn.execute("INSERT INTO schema_migrations (version) VALUES ($1)", version)


async def _schema_version(conn: asyncpg.Connection) -> int:
    return int(await conn.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"))


def _partition(day: date) -> str:
    return f"results_{day:%Y%m%d}"


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _day(instant: datetime) -> date:
    """The UTC day of ``instant``, whose partition (up to the next midnight) must be expressible."""
    try:
        day = instant.astimezone(UTC).date()
        _midnight(day + _DAY)
    except OverflowError:
        raise InvalidValueError(f"instant {instant.isoformat()} is out of range") from None
    return day

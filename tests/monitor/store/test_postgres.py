"""What only the PostgreSQL store promises: daily partitions, concurrent migration, its URL and
errors, and a pool that outlives the server's connections."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import traceback
import urllib.parse
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone

import asyncpg
import pytest

from monitor.errors import StorageError
from monitor.results import Outcome, ProbeResult
from monitor.store import PostgresStore, open_store
from monitor.store.migrations import POSTGRES

from ...pg import admin_connection, scratch_database
from .samples import API, EU, T0, US_EAST, probe

pytestmark = pytest.mark.postgres

MIDNIGHT = T0.replace(hour=0)
DAY = timedelta(days=1)
PASSWORD = "s3cr3t-hunter2"  # noqa: S105 -- a decoy: the server trusts, it checks no password


@pytest.fixture
async def url() -> AsyncIterator[str]:
    """The URL of a fresh, empty database."""
    async with scratch_database() as database:
        yield database


@contextlib.asynccontextmanager
async def opened(url: str) -> AsyncIterator[PostgresStore]:
    """An open PostgresStore on ``url``, closed on exit."""
    store = PostgresStore(url)
    await store.open()
    try:
        yield store
    finally:
        await store.close()


@contextlib.asynccontextmanager
async def raw(url: str) -> AsyncIterator[asyncpg.Connection]:
    """A plain asyncpg connection to look at the database itself."""
    conn = await asyncpg.connect(url)
    try:
        yield conn
    finally:
        await conn.close()


async def partitions(url: str) -> dict[str, int]:
    """Each partition of ``results`` with its row count."""
    async with raw(url) as conn:
        names = await conn.fetch(
            "SELECT inhrelid::regclass::text AS name FROM pg_inherits"
            " WHERE inhparent = 'results'::regclass ORDER BY 1"
        )
        return {
            row["name"]: await conn.fetchval(f"SELECT count(*) FROM {row['name']}")  # noqa: S608
            for row in names
        }


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def with_password(url: str, password: str) -> str:
    """``url`` with ``password`` added to its user."""
    parts = urllib.parse.urlsplit(url)
    user, _, host = parts.netloc.rpartition("@")
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{user}:{password}@{host}"))


def at_time(when: datetime) -> ProbeResult:
    """A plain result started at ``when``."""
    return ProbeResult(API, EU, when, 0.0125, Outcome.UP, status=200)


# Partitions


async def test_results_land_in_daily_partitions_named_after_their_utc_day(url: str) -> None:
    """A batch spanning midnight UTC creates two partitions, whatever offset its instants carry."""
    tokyo = timezone(timedelta(hours=9))
    batch = [
        at_time(MIDNIGHT - timedelta(seconds=1)),
        at_time((MIDNIGHT + timedelta(seconds=1)).astimezone(tokyo)),
        at_time(MIDNIGHT + timedelta(hours=23, minutes=59)),
    ]
    async with opened(url) as store:
        await store.write_results(batch)

        assert await partitions(url) == {"results_20261004": 1, "results_20261005": 2}
        got = await store.results(start=MIDNIGHT - DAY, end=MIDNIGHT + DAY)
        assert got == batch
        assert await store.results(start=MIDNIGHT + DAY, end=MIDNIGHT + 9 * DAY) == []


async def test_prune_drops_whole_partitions_and_returns_their_rows(url: str) -> None:
    """Days ending at or before the cutoff go whole; the day the cutoff falls in stays whole."""
    async with opened(url) as store:
        await store.write_results(
            [at_time(MIDNIGHT - d * DAY + timedelta(hours=h)) for d in range(3) for h in range(4)]
        )
        await store.write_results([at_time(MIDNIGHT + DAY + timedelta(hours=1))])

        assert await store.prune(MIDNIGHT - DAY + timedelta(hours=2)) == 4

        assert await partitions(url) == {
            "results_20261004": 4,
            "results_20261005": 4,
            "results_20261006": 1,
        }
        assert await store.prune(MIDNIGHT + DAY) == 8
        assert await partitions(url) == {"results_20261006": 1}


async def test_a_partition_dropped_elsewhere_is_created_again(url: str) -> None:
    """A writer that saw a day's partition still writes there after another process pruned it."""
    async with opened(url) as writer, opened(url) as pruner:
        await writer.write_results([at_time(MIDNIGHT)])
        assert await pruner.prune(MIDNIGHT + DAY) == 1

        await writer.write_results([at_time(MIDNIGHT + timedelta(hours=1))])

        assert await partitions(url) == {"results_20261005": 1}


async def test_concurrent_writers_of_a_new_day_both_succeed(url: str) -> None:
    """Two stores creating the same day's partition at once both write their results."""
    async with opened(url) as one, opened(url) as other:
        await asyncio.gather(
            one.write_results([at_time(MIDNIGHT + timedelta(minutes=m)) for m in range(50)]),
            other.write_results(
                [at_time(MIDNIGHT + timedelta(minutes=m, seconds=1)) for m in range(50)]
            ),
        )

        assert await partitions(url) == {"results_20261005": 100}


# Migrations


async def test_concurrent_opens_migrate_once(url: str) -> None:
    """Stores opening a fresh database at the same moment all succeed; each script runs once."""
    stores = [PostgresStore(url) for _ in range(4)]
    try:
        await asyncio.gather(*(store.open() for store in stores))

        versions = [await store.schema_version() for store in stores]
        assert versions == [len(POSTGRES)] * 4
        async with raw(url) as conn:
            applied = await conn.fetch("SELECT version FROM schema_migrations ORDER BY version")
        assert [row["version"] for row in applied] == list(range(1, len(POSTGRES) + 1))
    finally:
        for store in stores:
            await store.close()


async def test_a_newer_schema_is_refused(url: str) -> None:
    """A database migrated by a newer program is not opened, and the store stays closed."""
    async with opened(url):
        pass
    async with raw(url) as conn:
        await conn.execute("INSERT INTO schema_migrations (version) VALUES ($1)", len(POSTGRES) + 1)
    store = PostgresStore(url)

    with pytest.raises(
        StorageError, match=r"opening: schema version \d+ is newer than this program"
    ):
        await store.open()

    with pytest.raises(StorageError, match="the store is not open"):
        await store.schema_version()


# URLs and errors


@pytest.mark.parametrize(
    "url", ["postgresql://slawatch@db:5432/slawatch", "postgres://slawatch:pw@db/slawatch"]
)
def test_postgres_urls_open_a_postgres_store(url: str) -> None:
    """``postgresql://`` and ``postgres://`` URLs name a PostgresStore (not yet connected)."""
    assert isinstance(open_store(url), PostgresStore)


@pytest.mark.parametrize(
    ("url", "label"),
    [
        pytest.param(
            "postgresql://app:pw@db:5432/ev", "postgresql://app@db:5432/ev", id="password"
        ),
        pytest.param(
            "postgresql://app@db/ev?password=pw&sslmode=require",
            "postgresql://app@db/ev",
            id="query",
        ),
        pytest.param(
            "postgres://app:p%40ss@db1:5432,db2:5433/ev",
            "postgres://app@db1:5432,db2:5433/ev",
            id="hosts",
        ),
        pytest.param("postgresql:///ev", "postgresql:///ev", id="local"),
    ],
)
def test_the_store_is_named_without_its_password(url: str, label: str) -> None:
    """The label (and repr) is the URL without password or query parameters."""
    store = PostgresStore(url)

    assert store.label == label
    assert repr(store) == f"PostgresStore({label!r})"


async def test_the_password_is_never_repeated(url: str, caplog: pytest.LogCaptureFixture) -> None:
    """Neither repr, nor label, nor an error (nor its chained cause) shows the password."""
    caplog.set_level(logging.DEBUG)
    secret_url = with_password(url, PASSWORD)
    unreachable = PostgresStore(
        with_password(f"postgresql://postgres@127.0.0.1:{closed_port()}/x", PASSWORD)
    )
    seen: list[str] = []

    async with opened(secret_url) as store:  # trust authentication ignores the password
        seen += [repr(store), store.label]
        with pytest.raises(StorageError, match="closing an interval") as refused:
            await store.close_interval(12345, T0)
        seen.append("".join(traceback.format_exception(refused.value)))
    with pytest.raises(StorageError, match="opening") as failed:
        await unreachable.open()
    seen += [repr(unreachable), "".join(traceback.format_exception(failed.value))]
    # The server's own message repeats an unknown setting's name, here the password too.
    echoed = PostgresStore(f"{secret_url}?{PASSWORD}=on")
    with pytest.raises(StorageError, match=r'parameter "\*\*\*"') as scrubbed:
        await echoed.open()
    seen.append("".join(traceback.format_exception(scrubbed.value)))
    seen += [record.getMessage() for record in caplog.records]

    assert store.label == url
    assert all(PASSWORD not in text for text in seen)


async def test_an_unreachable_server_is_one_line_naming_the_operation() -> None:
    """Connecting to a closed port fails ``open`` in one line; the store stays closed."""
    port = closed_port()
    store = PostgresStore(f"postgresql://postgres@127.0.0.1:{port}/slawatch")

    with pytest.raises(StorageError) as caught:
        await store.open()

    message = str(caught.value)
    assert message.startswith(f"postgresql://postgres@127.0.0.1:{port}/slawatch: opening: ")
    assert "\n" not in message
    assert "Traceback" not in message
    with pytest.raises(StorageError, match="writing results: the store is not open"):
        await store.write_results([probe(0)])


async def test_the_pool_recovers_after_the_server_drops_its_connections(url: str) -> None:
    """With its backends terminated, the store may fail once, then works without reopening."""
    async with opened(url) as store:
        await store.write_results([probe(0)])
        database = urllib.parse.urlsplit(url).path.lstrip("/")

        async with admin_connection() as admin:
            terminated = await admin.fetch(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = $1 AND pid <> pg_backend_pid()",
                database,
            )
        assert terminated

        with contextlib.suppress(StorageError):
            await store.write_results([probe(1)])
        await store.write_results([probe(1), probe(2, vantage=US_EAST)])

        got = await store.results(start=T0, end=T0 + DAY)
        assert [(r.started_at, r.vantage) for r in got] == [
            (T0, EU),
            (T0 + timedelta(seconds=1), EU),
            (T0 + timedelta(seconds=2), US_EAST),
        ]


async def test_instants_come_back_in_utc(url: str) -> None:
    """Instants written with any offset are read back as UTC-aware datetimes."""
    async with opened(url) as store:
        await store.write_results([at_time(T0.astimezone(timezone(timedelta(hours=-7))))])

        (got,) = await store.results(start=T0, end=T0 + DAY)
        assert got.started_at.tzinfo is UTC
        assert await store.last_result_at(EU) == T0


async def test_a_statement_that_runs_too_long_times_out(url: str) -> None:
    """A statement held up past ``command_timeout`` is a StorageError; the store works after."""
    store = PostgresStore(url, command_timeout=0.5)
    await store.open()
    try:
        async with raw(url) as blocker, blocker.transaction():
            await blocker.execute("LOCK TABLE vantages IN ACCESS EXCLUSIVE MODE")
            with pytest.raises(StorageError, match="reading the vantages seen: timed out"):
                await store.vantages_seen()

        assert await store.vantages_seen() == {}
    finally:
        await store.close()


async def test_opening_an_open_store_changes_nothing(url: str) -> None:
    """``open`` is idempotent: a second call keeps the pool and the data."""
    async with opened(url) as store:
        await store.write_results([probe(0)])
        await store.open()

        assert len(await store.results(start=T0, end=T0 + DAY)) == 1

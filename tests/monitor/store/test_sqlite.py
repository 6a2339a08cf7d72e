"""What only the SQLite store promises: its URL, its file, its errors, backup and chunked prune."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from monitor.errors import StorageError
from monitor.results import Outcome, ProbeResult
from monitor.store import IntervalKind, IntervalRecord, SQLiteStore, open_store
from monitor.store.migrations import SQLITE

from .samples import T0, at, probe


@contextlib.asynccontextmanager
async def opened(path: Path, **options: int) -> AsyncIterator[SQLiteStore]:
    """An open SQLiteStore on ``path``, closed on exit."""
    store = SQLiteStore(path, **options)
    await store.open()
    try:
        yield store
    finally:
        await store.close()


@contextlib.contextmanager
def raw(path: Path) -> Iterator[sqlite3.Connection]:
    """A plain sqlite3 connection to look at the file itself."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        yield conn


@pytest.mark.parametrize(
    ("url", "path"),
    [
        pytest.param("sqlite:///slawatch.db", Path("slawatch.db"), id="relative"),
        pytest.param("sqlite:///data/slawatch.db", Path("data/slawatch.db"), id="relative-dir"),
        pytest.param("sqlite:////var/lib/slawatch.db", Path("/var/lib/slawatch.db"), id="absolute"),
    ],
)
def test_sqlite_urls_name_a_file(url: str, path: Path) -> None:
    """Three slashes then the path, SQLAlchemy-style: a fourth slash makes it absolute."""
    store = open_store(url)

    assert isinstance(store, SQLiteStore)
    assert store.path == path


@pytest.mark.parametrize(
    ("url", "message"),
    [
        pytest.param("sqlite://host/x.db", "expected sqlite:///relative/path.db", id="host"),
        pytest.param("sqlite:///", "expected sqlite:///relative/path.db", id="no-path"),
        pytest.param("mysql://db/x", "unknown URL scheme 'mysql'", id="unknown-scheme"),
        pytest.param("slawatch.db", "unknown URL scheme", id="not-a-url"),
    ],
)
def test_other_urls_are_refused(url: str, message: str) -> None:
    """Anything else is a one-line StorageError that never repeats a password."""
    with pytest.raises(StorageError, match=message) as caught:
        open_store(url)

    assert "hunter2" not in str(caught.value)


async def test_open_creates_the_file_and_its_directories(tmp_path: Path) -> None:
    """Missing parent directories are created."""
    path = tmp_path / "a" / "b" / "evidence.db"

    async with opened(path) as store:
        assert await store.schema_version() == len(SQLITE)

    assert path.is_file()


async def test_an_unusable_path_is_a_one_line_error(tmp_path: Path) -> None:
    """A directory where the file should be: the error names the file and the operation."""
    store = SQLiteStore(tmp_path)

    with pytest.raises(StorageError) as caught:
        await store.open()

    message = str(caught.value)
    assert message.startswith(f"sqlite:///{tmp_path}: opening: ")
    assert "\n" not in message
    with pytest.raises(StorageError, match=r": writing results: the store is not open$"):
        await store.write_results([probe(0)])


async def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    """A file of something else is reported, not overwritten."""
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are not the pages you are looking for" * 100)

    with pytest.raises(StorageError, match=r"notes\.db: opening: file is not a database"):
        await SQLiteStore(path).open()


async def test_file_layout(tmp_path: Path) -> None:
    """WAL journal, every migration recorded, instants as integer microseconds, names looked up."""
    path = tmp_path / "evidence.db"
    async with opened(path) as store:
        await store.write_results([probe(0), probe(1, outcome=Outcome.TIMEOUT)])
        await store.open_interval(IntervalRecord(IntervalKind.GAP, "eu-west", "*", at(2)))

    with raw(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        versions = [v for (v,) in conn.execute("SELECT version FROM schema_migrations")]
        assert versions == list(range(1, len(SQLITE) + 1))
        rows = conn.execute(
            "SELECT typeof(started_at), started_at, latency_us FROM results ORDER BY id"
        ).fetchall()
        t0_us = int(T0.timestamp()) * 1_000_000
        assert rows == [("integer", t0_us, 12_500), ("integer", t0_us + 1_000_000, 12_500)]
        assert conn.execute("SELECT name FROM outcomes ORDER BY id").fetchall() == [
            ("up",),
            ("timeout",),
        ]
        assert conn.execute("SELECT start_at, end_at FROM intervals").fetchall() == [
            (t0_us + 2_000_000, None)
        ]


async def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    """A file migrated by a newer program is not touched by an older one."""
    path = tmp_path / "evidence.db"
    async with opened(path):
        pass
    with raw(path) as conn:
        conn.execute("INSERT INTO schema_migrations (version, applied_at) VALUES (99, 0)")
        conn.commit()

    with pytest.raises(StorageError, match="schema version 99 is newer"):
        await SQLiteStore(path).open()


async def test_names_added_by_another_process_are_read(tmp_path: Path) -> None:
    """Checks and vantages first written through another connection are resolved by name."""
    path = tmp_path / "evidence.db"
    async with opened(path) as reader, opened(path) as writer:
        assert await reader.results(start=at(0), end=at(9)) == []
        await writer.write_results([probe(0, check="shop/new", vantage="ap-south")])

        assert await reader.results(start=at(0), end=at(9), check="shop/new") == [
            probe(0, check="shop/new", vantage="ap-south")
        ]
        assert await reader.last_result_at("ap-south") == at(0)


async def test_backup_is_a_store_with_the_same_data(tmp_path: Path) -> None:
    """The online backup opens as a store with the same results, intervals and version."""
    results = [probe(i, check=f"shop/c{i % 3}") for i in range(30)]
    async with opened(tmp_path / "live.db") as live:
        await live.write_results(results)
        ident = await live.open_interval(
            IntervalRecord(IntervalKind.OUTAGE, "eu-west", "shop", at(5))
        )
        await live.backup(tmp_path / "backups" / "copy.db")
        await live.write_results([probe(100)])

    async with opened(tmp_path / "backups" / "copy.db") as copy:
        assert await copy.results(start=at(0), end=at(1000)) == results
        assert [i.id for i in await copy.open_intervals("eu-west")] == [ident]
        assert await copy.schema_version() == len(SQLITE)


async def test_backup_to_an_unusable_path_fails(tmp_path: Path) -> None:
    """A backup that cannot be written is a StorageError naming the target."""
    async with opened(tmp_path / "live.db") as live:
        with pytest.raises(StorageError, match=f"backing up to {tmp_path}: "):
            await live.backup(tmp_path)


@pytest.mark.parametrize(("cutoff", "deleted"), [(0, 0), (14, 14), (30, 30), (50, 50), (99, 50)])
async def test_prune_works_in_chunks(tmp_path: Path, cutoff: int, deleted: int) -> None:
    """Deleting chunk by chunk counts every result once, at chunk edges too."""
    async with opened(tmp_path / "evidence.db", prune_chunk=7) as store:
        await store.write_results([probe(i) for i in range(50)])

        assert await store.prune(at(cutoff)) == deleted

        assert len(await store.results(start=at(0), end=at(100))) == 50 - deleted


async def test_a_cancelled_write_completes_and_leaves_the_store_usable(tmp_path: Path) -> None:
    """A write whose thread has started is finished before the cancellation goes through."""
    batch = [probe(i / 1000) for i in range(5000)]
    async with opened(tmp_path / "evidence.db") as store:
        write = asyncio.create_task(store.write_results(batch))
        await asyncio.sleep(0)  # let the write hand its work to the thread
        write.cancel()

        with pytest.raises(asyncio.CancelledError):
            await write

        assert await store.results(start=at(0), end=at(10)) == batch
        await store.write_results([probe(20)])
        assert await store.last_result_at("eu-west") == at(20)


async def test_latency_is_kept_to_the_microsecond(tmp_path: Path) -> None:
    """Latency is stored in whole microseconds, rounded to the nearest."""
    async with opened(tmp_path / "evidence.db") as store:
        await store.write_results([ProbeResult("shop/api", "eu-west", T0, 0.1234567, Outcome.UP)])

        (back,) = await store.results(start=at(0), end=at(1))

    assert back.latency == 0.123457

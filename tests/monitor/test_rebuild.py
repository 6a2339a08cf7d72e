"""Rebuilding intervals from raw results, in process and through ``slawatch db``."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.config.settings import Settings, parse_settings
from monitor.errors import InputError
from monitor.evidence import IntervalKind, IntervalRecord
from monitor.rebuild import rebuild
from monitor.results import Outcome, ProbeResult
from monitor.store.base import Store
from monitor.store.sqlite import SQLiteStore

T0 = datetime(2026, 10, 5, 0, 0, tzinfo=UTC)
NOW = T0 + timedelta(days=1)


def config(db: Path, confirm: int) -> str:
    """One service with one frontend check probed every 10 s."""
    return f"""
vantage: v1
store: sqlite:///{db}
contracts: {{basic: {{currency: CNY, daily_fee: "144.00"}}}}
services:
  - name: shop
    contract: basic
    frontend:
      - {{name: home, type: http, url: "http://127.0.0.1:9/", interval: 10s, timeout: 5s,
          retry_interval: 2s, confirm: {confirm}}}
"""


def settings(db: Path, confirm: int = 2) -> Settings:
    return parse_settings(config(db, confirm), "test.yaml")


def probe(seconds: float, outcome: Outcome = Outcome.UP, vantage: str = "v1") -> ProbeResult:
    return ProbeResult("shop/home", vantage, T0 + timedelta(seconds=seconds), 0.01, outcome)


# Up every 10 s, then two failures at 100 and 102 s, back at 110 s: a confirmed outage with
# confirm 2, a blip with confirm 3.
SCRIPT = [
    *(probe(s) for s in range(0, 100, 10)),
    probe(100, Outcome.TIMEOUT),
    probe(102, Outcome.CONNECT_ERROR),
    *(probe(s) for s in range(110, 200, 10)),
]


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    db = SQLiteStore(tmp_path / "evidence.db")
    await db.open()
    await db.write_results(SCRIPT)
    yield db
    await db.close()


async def spans(store: Store, kind: IntervalKind) -> list[tuple[str, float, float | None]]:
    """Stored intervals of ``kind`` as (subject, start, end) in seconds from T0."""
    records = await store.intervals(start=T0 - timedelta(days=1), end=NOW, kinds=[kind])
    return [
        (
            r.subject,
            (r.start - T0).total_seconds(),
            None if r.end is None else (r.end - T0).total_seconds(),
        )
        for r in records
    ]


async def test_rebuild_derives_the_intervals_the_daemon_would(store: Store, tmp_path: Path) -> None:
    """From results alone: the check down and the outage, with their bounds and evidence."""
    (summary,) = await rebuild(store, settings(tmp_path / "x.db"), start=T0, now=NOW)

    assert summary.results == len(SCRIPT)
    assert await spans(store, IntervalKind.CHECK_DOWN) == [("shop/home", 100.0, 110.0)]
    assert await spans(store, IntervalKind.OUTAGE) == [("shop", 100.0, 110.0)]
    (down,) = await store.intervals(start=T0, end=NOW, kinds=[IntervalKind.CHECK_DOWN])
    assert down.start_bound == T0 + timedelta(seconds=90)
    assert down.end_bound == T0 + timedelta(seconds=102)
    assert down.detail["outcomes"] == {"timeout": 1, "connect_error": 1}


async def test_a_changed_confirm_rule_turns_the_outage_into_a_blip(
    store: Store, tmp_path: Path
) -> None:
    """Rebuilding with confirm 3 replaces the outage by a blip: the rule is re-applied."""
    await rebuild(store, settings(tmp_path / "x.db"), start=T0, now=NOW)

    await rebuild(store, settings(tmp_path / "x.db", confirm=3), start=T0, now=NOW)

    assert await spans(store, IntervalKind.OUTAGE) == []
    assert await spans(store, IntervalKind.CHECK_DOWN) == []
    assert await spans(store, IntervalKind.BLIP) == [("shop/home", 100.0, 110.0)]


async def test_rebuild_turns_an_old_isolation_without_canaries_into_an_outage(
    store: Store, tmp_path: Path
) -> None:
    """Intervals derived under the old rule (a vantage without canaries isolated, its outage
    dropped) are recomputed: the outage stands, marked unconfirmed, and the isolation is gone."""
    await store.open_interval(
        IntervalRecord(IntervalKind.ISOLATED, "v1", "v1", T0 + timedelta(seconds=90), None)
    )

    await rebuild(store, settings(tmp_path / "x.db"), start=T0, now=NOW)

    assert await spans(store, IntervalKind.ISOLATED) == []
    assert await spans(store, IntervalKind.OUTAGE) == [("shop", 100.0, 110.0)]
    assert await spans(store, IntervalKind.UNCONFIRMED) == [("v1", 90.0, 110.0)]


async def test_rebuild_is_reproducible(store: Store, tmp_path: Path) -> None:
    """Two rebuilds give the same intervals (ids aside)."""

    async def snapshot() -> list[tuple[object, ...]]:
        records = await store.intervals(start=T0, end=NOW)
        return sorted(
            (r.kind, r.subject, r.start, r.end, r.start_bound, r.end_bound) for r in records
        )

    await rebuild(store, settings(tmp_path / "x.db"), start=T0, now=NOW)
    first = await snapshot()
    await rebuild(store, settings(tmp_path / "x.db"), start=T0, now=NOW)

    assert await snapshot() == first


async def test_rebuild_keeps_lifecycle_records_and_cuts_at_the_start(
    store: Store, tmp_path: Path
) -> None:
    """Running intervals and restart gaps stay; an interval running at the start ends there."""
    await store.open_interval(IntervalRecord(IntervalKind.RUNNING, "v1", "*", T0, NOW))
    await store.open_interval(
        IntervalRecord(
            IntervalKind.GAP, "v1", "*", T0 + timedelta(hours=2), T0 + timedelta(hours=3)
        )
    )
    await store.open_interval(
        IntervalRecord(IntervalKind.CHECK_DOWN, "v1", "shop/home", T0 - timedelta(hours=1))
    )

    await rebuild(store, settings(tmp_path / "x.db"), start=T0 + timedelta(seconds=50), now=NOW)

    assert await spans(store, IntervalKind.RUNNING) == [("*", 0.0, 86400.0)]
    assert await spans(store, IntervalKind.GAP) == [("*", 7200.0, 10800.0)]
    assert await spans(store, IntervalKind.CHECK_DOWN) == [
        ("shop/home", -3600.0, 50.0),
        ("shop/home", 100.0, 110.0),
    ]


async def test_a_running_vantage_is_refused(store: Store, tmp_path: Path) -> None:
    """A vantage with an open running interval and fresh results is left alone."""
    await store.open_interval(IntervalRecord(IntervalKind.RUNNING, "v1", "*", T0))

    with pytest.raises(InputError, match="'v1' is running"):
        await rebuild(store, settings(tmp_path / "x.db"), start=T0, now=T0 + timedelta(seconds=200))


async def test_results_of_unknown_checks_refuse_the_whole_rebuild(
    store: Store, tmp_path: Path
) -> None:
    """Results of a check no longer configured: nothing is replaced, for any vantage."""
    await store.write_results([probe(5, vantage="v0")])
    await store.write_results(
        [ProbeResult("shop/gone", "v1", T0 + timedelta(seconds=5), 0.01, Outcome.UP)]
    )
    kept = await store.open_interval(
        IntervalRecord(IntervalKind.OUTAGE, "v0", "shop", T0 + timedelta(seconds=30))
    )

    with pytest.raises(InputError, match="shop/gone"):
        await rebuild(store, settings(tmp_path / "x.db"), start=T0, now=NOW)

    assert [r.id for r in await store.intervals(start=T0, end=NOW)] == [kept]


async def test_unknown_vantage_and_future_start_are_refused(store: Store, tmp_path: Path) -> None:
    """Bad arguments are input errors naming the option."""
    with pytest.raises(InputError, match="--vantage: no results from 'nope'"):
        await rebuild(store, settings(tmp_path / "x.db"), start=T0, now=NOW, vantages=["nope"])
    with pytest.raises(InputError, match="--from"):
        await rebuild(store, settings(tmp_path / "x.db"), start=NOW, now=NOW)


# Through the command line.


def slawatch(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def configured(tmp_path: Path) -> Path:
    """A config file whose SQLite store holds the script, written synchronously."""
    db = tmp_path / "evidence.db"
    path = tmp_path / "slawatch.yaml"
    path.write_text(config(db, 2), encoding="utf-8")
    assert slawatch("db", "migrate", "--config", str(path)).returncode == 0
    return path


def test_db_migrate_prints_the_version(configured: Path) -> None:
    """``db migrate`` applies migrations and prints the schema version."""
    done = slawatch("db", "migrate", "--config", str(configured))

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("schema at version ")


def test_db_rebuild_reports_what_it_did(configured: Path) -> None:
    """``db rebuild`` replays results and says how many intervals of each kind it made."""
    db = configured.parent / "evidence.db"
    rows = [
        (1, 1, int((r.started_at - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds() * 1e6))
        for r in SCRIPT
    ]
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO vantages (id, name) VALUES (1, 'v1')")
        conn.execute("INSERT INTO checks (id, name) VALUES (1, 'shop/home')")
        conn.execute("INSERT INTO outcomes (id, name) VALUES (1, 'up'), (2, 'timeout')")
        conn.executemany(
            "INSERT INTO results (vantage, check_id, started_at, latency_us, outcome,"
            " bytes_read, detail) VALUES (?, ?, ?, 100, ?, 0, '')",
            [(v, c, us, 2 if i in (10, 11) else 1) for i, (v, c, us) in enumerate(rows)],
        )
        conn.execute("UPDATE vantages SET last_result_at = ?", (rows[-1][2],))
    conn.close()

    done = slawatch("db", "rebuild", "--config", str(configured), "--from", "2026-10-05")

    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        f"vantage v1: {len(SCRIPT)} results replayed, 3 intervals"
        " (1 check_down, 1 outage, 1 unconfirmed) from 2026-10-05T00:00:00+00:00\n"
    )


def test_db_prune_refuses_a_cutoff_inside_retention(configured: Path) -> None:
    """Removing results younger than retention_days is refused with one line, exit 2."""
    done = slawatch("db", "prune", "--config", str(configured), "--before", "2999-01-01")

    assert done.returncode == 2
    assert done.stderr.startswith("slawatch: --before: ")
    assert "retention_days" in done.stderr
    assert done.stderr.count("\n") == 1


def test_db_prune_by_default_keeps_retention(configured: Path) -> None:
    """Without --before, results older than retention_days go (none here)."""
    done = slawatch("db", "prune", "--config", str(configured))

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("removed 0 results older than ")


async def test_db_backup_of_sqlite_opens_as_a_store(configured: Path, tmp_path: Path) -> None:
    """The backup is a complete SQLite store with the same data; an existing file is refused."""
    db = SQLiteStore(configured.parent / "evidence.db")
    await db.open()
    await db.write_results(SCRIPT)
    await db.close()
    target = tmp_path / "copies" / "backup.db"

    done = slawatch("db", "backup", "--config", str(configured), str(target))
    again = slawatch("db", "backup", "--config", str(configured), str(target))

    assert done.returncode == 0, done.stderr
    copy = SQLiteStore(target)
    await copy.open()
    try:
        assert await copy.results(start=T0, end=NOW) == SCRIPT
    finally:
        await copy.close()
    assert again.returncode == 2
    assert "already exists" in again.stderr

"""Store and rebuild benchmarks, run on demand with `./dev bench`: figures printed, not asserted.

PostgreSQL figures need the server of ``tests/pg.py`` (a scratch database is made and dropped).
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from monitor.config.settings import Settings, parse_settings
from monitor.rebuild import rebuild
from monitor.results import Outcome, ProbeResult
from monitor.store import open_store
from monitor.store.base import Store
from monitor.store.sqlite import SQLiteStore

from ..pg import scratch_database

DAY = datetime(2026, 10, 1, tzinfo=UTC)
CHECKS = 1_000
INTERVAL = 60


def report(name: str, figure: str) -> None:
    print(f"\nBENCH {name}: {figure}")


def realistic(count: int, checks: int = 20) -> list[ProbeResult]:
    """Results as a busy daemon writes them: a few checks, one per second each, mostly up."""
    return [
        ProbeResult(
            f"shop/check-{i % checks}",
            "shanghai-1",
            DAY + timedelta(seconds=i // checks, microseconds=137 * (i % checks)),
            0.0123 + (i % 97) / 10_000,
            Outcome.UP if i % 50 else Outcome.TIMEOUT,
            detail="HTTP 200" if i % 50 else "no answer within 5s",
            status=200 if i % 50 else None,
            bytes_read=5_120,
        )
        for i in range(count)
    ]


async def _write_rate(store: Store, results: list[ProbeResult], batch: int) -> float:
    began = time.perf_counter()
    for offset in range(0, len(results), batch):
        await store.write_results(results[offset : offset + batch])
    return len(results) / (time.perf_counter() - began)


async def test_postgres_copy_rate_and_row_size() -> None:
    """Rows/s written (COPY through a staging table) in batches of 500 and 5,000, and bytes per
    stored result (partitions and their indexes)."""
    results = realistic(200_000)
    async with scratch_database() as url:
        store = open_store(url)
        await store.open()
        try:
            small = await _write_rate(store, results[:100_000], 500)
            large = await _write_rate(store, results[100_000:], 5_000)
            again = await _write_rate(store, results[:100_000], 5_000)
        finally:
            await store.close()
        conn = await asyncpg.connect(url)
        try:
            size = await conn.fetchval(
                "SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits"
                " WHERE inhparent = 'results'::regclass"
            )
        finally:
            await conn.close()
    report("postgresql write, batches of 500", f"{small:,.0f} results/s")
    report("postgresql write, batches of 5,000", f"{large:,.0f} results/s")
    report("postgresql rewrite of stored results (all skipped)", f"{again:,.0f} results/s")
    report("postgresql size", f"{size / len(results):.1f} bytes/result (table and indexes)")


def _settings(db: Path) -> Settings:
    checks = "\n".join(
        f"      - {{name: c{i}, type: http, url: 'http://127.0.0.1:9/{i}',"
        f" interval: {INTERVAL}s, timeout: 5s}}"
        for i in range(10)
    )
    services = "\n".join(
        f"  - name: s{s}\n    contract: c\n    frontend:\n{checks}" for s in range(CHECKS // 10)
    )
    return parse_settings(
        f"store: 'sqlite:///{db}'\ncontracts: {{c: {{currency: CNY, daily_fee: '1'}}}}\n"
        f"services:\n{services}\n",
        "bench.yaml",
    )


def _a_day_of_results(rng: random.Random) -> Iterator[list[ProbeResult]]:
    """A day of 1,000 checks every 60 s, hour by hour; about 1 % of probes fail, in runs."""
    failing: dict[int, int] = {}
    for minute in range(24 * 60):
        batch = []
        for check in range(CHECKS):
            if check not in failing and rng.random() < 0.002:
                failing[check] = rng.randint(1, 6)
            down = failing.get(check, 0) > 0
            if down:
                failing[check] -= 1
                if not failing[check]:
                    del failing[check]
            batch.append(
                ProbeResult(
                    f"s{check // 10}/c{check % 10}",
                    "v1",
                    DAY + timedelta(seconds=minute * INTERVAL + check * 0.05),
                    0.01,
                    Outcome.TIMEOUT if down else Outcome.UP,
                )
            )
        yield batch


async def test_rebuild_a_day_of_1000_checks(tmp_path: Path) -> None:
    """Time to recompute a day's intervals of 1,000 checks probed every 60 s from raw results
    (1.44 million), on SQLite; a month is thirty times that."""
    db = tmp_path / "bench.db"
    store = SQLiteStore(db)
    await store.open()
    try:
        count = 0
        for batch in _a_day_of_results(random.Random(3)):
            await store.write_results(batch)
            count += len(batch)
        began = time.perf_counter()
        (summary,) = await rebuild(
            store, _settings(db), start=DAY, now=DAY + timedelta(days=1), vantages=["v1"]
        )
        elapsed = time.perf_counter() - began
    finally:
        await store.close()
    report(
        "rebuild, 1,000 checks x 1 day (sqlite)",
        f"{elapsed:.1f} s for {count:,} results ({count / elapsed:,.0f} results/s,"
        f" {summary.intervals:,} intervals); a 30-day month: about {30 * elapsed / 60:.0f} min",
    )

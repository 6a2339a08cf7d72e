"""Benchmarks, run on demand with `./dev bench`: figures are printed, never asserted as times."""

from __future__ import annotations

import asyncio
import random
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from monitor.clock import FakeClock
from monitor.config.settings import CheckRole, HttpCheck
from monitor.results import Outcome, ProbeResult
from monitor.scheduler import ScheduledCheck, Scheduler
from monitor.store.sqlite import SQLiteStore
from sla import Contract, Interval, Period, Rounding, compute_credits

MONTH_START = datetime(2026, 10, 1, tzinfo=UTC)


def report(name: str, figure: str) -> None:
    print(f"\nBENCH {name}: {figure}")


def test_credits_for_a_month_of_outages() -> None:
    """Time to compute a 31-day month with 10,000 outages under each rounding mode."""
    rng = random.Random(7)
    outages = []
    for _ in range(10_000):
        start = MONTH_START + timedelta(seconds=rng.uniform(0, 31 * 86_400))
        outages.append(Interval(start, start + timedelta(seconds=rng.uniform(1, 600))))
    for rounding in ("per_outage", "per_day", "clock_minute"):
        contract = Contract(
            currency="CNY", daily_fee=Decimal("144.00"), rounding=Rounding(rounding)
        )
        began = time.perf_counter()
        result = compute_credits(contract, Period(date(2026, 10, 1), date(2026, 10, 31)), outages)
        elapsed = time.perf_counter() - began
        assert len(result.days) == 31
        report(f"credits {rounding}", f"{elapsed * 1000:.0f} ms for 10,000 outages over 31 days")


async def test_sqlite_write_rate_and_row_size(tmp_path: Path) -> None:
    """Rows per second written in batches of 500, and bytes per stored result."""
    store = SQLiteStore(tmp_path / "bench.db")
    await store.open()
    await store.close()
    empty = (tmp_path / "bench.db").stat().st_size
    await store.open()
    results = [
        ProbeResult(
            f"shop/check-{i % 20}",
            "v1",
            MONTH_START + timedelta(seconds=i),
            0.0123,
            Outcome.UP,
            status=200,
            bytes_read=4096,
        )
        for i in range(100_000)
    ]
    began = time.perf_counter()
    for offset in range(0, len(results), 500):
        await store.write_results(results[offset : offset + 500])
    elapsed = time.perf_counter() - began
    await store.close()
    size = (tmp_path / "bench.db").stat().st_size - empty
    report("sqlite write", f"{len(results) / elapsed:,.0f} results/s")
    report("sqlite size", f"{size / len(results):.1f} bytes/result (table and indexes)")


async def test_scheduler_overhead() -> None:
    """Scheduler bookkeeping: 10,000 checks every 60 s for ten simulated minutes."""
    clock = FakeClock()
    count = 0

    async def probe(check: ScheduledCheck) -> ProbeResult:
        nonlocal count
        count += 1
        return ProbeResult(check.id, "v", clock.now(), 0.0, Outcome.UP)

    async def on_result(_: ScheduledCheck, __: ProbeResult) -> bool:
        return False

    checks = [
        ScheduledCheck(
            f"s/c{i}",
            "s",
            CheckRole.FRONTEND,
            HttpCheck(name=f"c{i}", type="http", url="http://127.0.0.1:9/", interval=60.0),
        )
        for i in range(10_000)
    ]
    scheduler = Scheduler(clock, probe, on_result, max_concurrency=100_000)
    scheduler.set_checks(checks)
    task = asyncio.create_task(scheduler.run())
    began = time.perf_counter()
    await clock.advance(600.0)
    elapsed = time.perf_counter() - began
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    report(
        "scheduler",
        f"{count:,} probes scheduled in {elapsed:.1f} s ({count / elapsed:,.0f}/s, fake clock)",
    )

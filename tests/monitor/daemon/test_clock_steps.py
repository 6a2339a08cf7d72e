"""Steps of the system clock: the evidence's clock does not follow them within a run.

A daemon probes every 5 s for three minutes while the system clock steps +600 s and back. With
the steady clock the results never go backwards, no gap is recorded (probes ran all along), and
both steps are logged and counted; with the system clock itself the same steps record a
ten-minute gap over time that was probed every 5 s.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from monitor.clock import Clock, FakeClock, SteadyClock
from monitor.config.settings import parse_settings
from monitor.daemon.runner import Daemon
from monitor.evidence import IntervalKind
from monitor.results import ProbeResult
from monitor.store.sqlite import SQLiteStore

NOW = datetime(2026, 10, 5, 12, 0, tzinfo=UTC)
CONFIG = """
vantage: v1
store: "sqlite:///{db}"
contracts: {{c: {{currency: USD, daily_fee: "10.00"}}}}
services:
  - name: shop
    contract: c
    frontend: [{{name: home, type: http, url: "http://127.0.0.1:1/", interval: 5s}}]
"""


async def _run_through_steps(
    db: Path, fake: FakeClock, clock: Clock
) -> tuple[list[ProbeResult], list[IntervalKind], CollectorRegistry]:
    registry = CollectorRegistry()
    daemon = Daemon(
        parse_settings(CONFIG.format(db=db), "c.yaml"),
        clock=clock,
        store=SQLiteStore(db),
        registry=registry,
    )
    running = asyncio.create_task(daemon.run(handle_signals=False))
    await asyncio.wait_for(daemon.ready.wait(), 10)
    for step in (600.0, -600.0, 0.0):
        for _ in range(60):
            await fake.advance(1)
        fake.step(step)
    daemon.scrape()
    daemon.stop()
    await asyncio.wait_for(running, 30)
    store = SQLiteStore(db)
    await store.open()
    try:
        wide = (NOW - timedelta(hours=1), NOW + timedelta(hours=1))
        results = await store.results(start=wide[0], end=wide[1])
        kinds = [
            r.kind
            for r in await store.intervals(
                start=wide[0], end=wide[1], kinds=[IntervalKind.GAP, IntervalKind.RUNNING]
            )
        ]
    finally:
        await store.close()
    return results, kinds, registry


async def test_steps_of_the_system_clock_neither_reverse_results_nor_open_gaps(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fake = FakeClock(NOW)
    caplog.set_level(logging.WARNING)
    results, kinds, registry = await _run_through_steps(tmp_path / "s.db", fake, SteadyClock(fake))

    times = [r.started_at for r in results]
    assert len(times) >= 30
    assert times == sorted(times)
    assert all(b - a <= timedelta(seconds=10) for a, b in itertools.pairwise(times))
    assert times[-1] - times[0] < timedelta(minutes=4)
    assert IntervalKind.GAP not in kinds
    assert registry.get_sample_value("slawatch_clock_steps_total") == 2
    assert registry.get_sample_value("slawatch_clock_offset_seconds") == 0
    steps = [r.getMessage() for r in caplog.records if "system clock stepped" in r.getMessage()]
    assert len(steps) == 2
    assert "+600.0s" in steps[0]
    assert "-600.0s" in steps[1]


async def test_the_system_clock_itself_would_record_a_gap_where_probes_ran(
    tmp_path: Path,
) -> None:
    """What the steady clock prevents: the same steps, recorded with the system clock."""
    fake = FakeClock(NOW)
    results, kinds, _ = await _run_through_steps(tmp_path / "s.db", fake, fake)
    assert IntervalKind.GAP in kinds
    times = [r.started_at for r in results]
    # Three minutes of probing, labelled over more than ten.
    assert max(times) - min(times) > timedelta(minutes=10)


def test_the_steady_clock_starts_at_the_system_time_and_follows_no_step() -> None:
    """Read at start, carried forward by the steady clock; a step shows only in the offset."""
    fake = FakeClock(NOW)
    clock = SteadyClock(fake)
    assert clock.now() == NOW
    fake.step(-30)
    assert clock.now() == NOW
    assert clock.offset() == -30
    system = SteadyClock.system()
    assert system.now().utcoffset() == timedelta(0)
    assert abs(system.offset()) < 1.0

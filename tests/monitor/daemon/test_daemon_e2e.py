"""The daemon as a real subprocess against real loopback targets with scripted failures."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import signal
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.evidence import IntervalKind, IntervalRecord
from monitor.store.sqlite import SQLiteStore

from ..harness import Daemon, Target, free_port, serve_target, wait_for

INTERVAL = 1.0
RETRY = 0.25
#: A probe is timed from its start: one that started just before the target changed and was
#: answered after dates the change early, by its own latency, which is under the timeout.
TIMEOUT = 0.5


@pytest.fixture
async def target() -> AsyncIterator[Target]:
    async with serve_target() as state:
        yield state


def write_config(path: Path, target_port: int, http_port: int, db: Path) -> None:
    path.write_text(
        f"""
vantage: test-1
store: "sqlite:///{db}"
http: {{listen: "127.0.0.1:{http_port}"}}
contracts:
  basic: {{timezone: UTC, currency: USD, daily_fee: "1440.00"}}
services:
  - name: shop
    contract: basic
    frontend:
      - {{name: home, type: http, url: "http://127.0.0.1:{target_port}/", contains: Welcome,
          interval: {INTERVAL}s, timeout: {TIMEOUT}s, retry_interval: {RETRY}s, confirm: 2}}
""",
        encoding="utf-8",
    )


async def intervals(db: Path, kind: IntervalKind) -> list[IntervalRecord]:
    store = SQLiteStore(db)
    await store.open()
    try:
        now = datetime.now(UTC)
        return await store.intervals(
            start=now - timedelta(hours=1), end=now + timedelta(hours=1), kinds=[kind]
        )
    finally:
        await store.close()


@pytest.fixture
def setup(tmp_path: Path, target: Target) -> tuple[Daemon, Path]:
    http_port = free_port()
    config = tmp_path / "slawatch.yaml"
    db = tmp_path / "slawatch.db"
    write_config(config, target.port, http_port, db)
    return Daemon(config, http_port), db


async def test_scripted_outage_is_measured_within_bounds(
    setup: tuple[Daemon, Path], target: Target
) -> None:
    """An outage scripted at known instants is measured: start within one interval + 1 s after
    the truth, end within retry_interval + 1 s, and the daemon drains cleanly on SIGTERM."""
    daemon, db = setup
    await daemon.start()

    async def is_state(state: str) -> bool:
        return await daemon.service_state() == state

    await wait_for(lambda: is_state("up"), "service up")
    truth_start = target.set(False)
    await wait_for(lambda: is_state("down"), "outage confirmed")
    truth_end = target.set(True)
    await wait_for(lambda: is_state("up"), "recovery")
    _, metrics = await daemon.get("/metrics")
    await daemon.signal(signal.SIGTERM)
    code, stderr = await daemon.wait()
    assert code == 0, stderr
    # The daemon runs on uvloop wherever it is installed (event_loop: auto).
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    assert f"event loop {loop}" in stderr
    assert 'slawatch_service_state{service="shop",state="up"} 1.0' in metrics
    assert "slawatch_scheduler_lag_seconds_bucket" in metrics
    assert (
        'slawatch_probes_total{check="home",outcome="http_status",role="frontend",service="shop"}'
        in metrics
    )
    [outage] = await intervals(db, IntervalKind.OUTAGE)
    assert outage.end is not None
    start_error = (outage.start - truth_start).total_seconds()
    end_error = (outage.end - truth_end).total_seconds()
    assert -TIMEOUT <= start_error <= INTERVAL + 1
    assert -TIMEOUT <= end_error <= RETRY + 1
    assert outage.start_bound is not None
    assert outage.start_bound <= truth_start
    assert outage.end_bound is not None
    assert outage.end_bound <= truth_end


async def test_sigkill_leaves_a_gap_and_the_outage_resumes(
    setup: tuple[Daemon, Path], target: Target
) -> None:
    """A daemon killed during an outage records the gap on restart and closes the same outage
    when the target recovers."""
    daemon, db = setup
    await daemon.start()

    async def is_state(state: str) -> bool:
        return await daemon.service_state() == state

    await wait_for(lambda: is_state("up"), "service up")
    target.set(False)
    await wait_for(lambda: is_state("down"), "outage confirmed")
    await daemon.signal(signal.SIGKILL)
    await daemon.wait()
    killed_at = datetime.now(UTC)
    await daemon.start()
    await wait_for(lambda: is_state("down"), "outage resumed")
    target.set(True)
    await wait_for(lambda: is_state("up"), "recovery")
    await daemon.signal(signal.SIGTERM)
    code, stderr = await daemon.wait()
    assert code == 0, stderr
    [outage] = await intervals(db, IntervalKind.OUTAGE)
    assert outage.end is not None
    assert outage.end > killed_at
    gaps = [g for g in await intervals(db, IntervalKind.GAP) if g.subject == "*"]
    assert len(gaps) == 1
    assert gaps[0].start < killed_at < gaps[0].end  # type: ignore[operator]


async def test_sighup_with_a_bad_config_keeps_running(
    setup: tuple[Daemon, Path], target: Target
) -> None:
    """A reload with an invalid file is refused; the daemon keeps the old configuration."""
    daemon, _ = setup
    await daemon.start()
    good = daemon.config.read_text(encoding="utf-8")
    daemon.config.write_text(good.replace("interval: 1.0s", "interval: soon"), encoding="utf-8")
    await daemon.signal(signal.SIGHUP)

    async def refused() -> bool:
        _, metrics = await daemon.get("/metrics")
        return 'slawatch_config_reloads_total{result="refused"} 1.0' in metrics

    await wait_for(refused, "reload refused")
    assert await daemon.healthy()
    daemon.config.write_text(good, encoding="utf-8")
    await daemon.signal(signal.SIGTERM)
    code, stderr = await daemon.wait()
    assert code == 0
    assert "configuration reload refused" in stderr
    assert "interval" in stderr


async def test_a_hostile_target_does_not_disturb_the_others(tmp_path: Path, target: Target) -> None:
    """A target that accepts connections and never answers times out on its own; the healthy
    check beside it stays up and the daemon stays healthy."""
    held: list[asyncio.StreamWriter] = []

    async def black_hole(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(black_hole, "127.0.0.1", 0)
    hole_port = server.sockets[0].getsockname()[1]
    http_port = free_port()
    config = tmp_path / "slawatch.yaml"
    db = tmp_path / "slawatch.db"
    write_config(config, target.port, http_port, db)
    config.write_text(
        config.read_text(encoding="utf-8")
        + f"""  - name: hole
    contract: basic
    frontend:
      - {{name: home, type: http, url: "http://127.0.0.1:{hole_port}/",
          interval: {INTERVAL}s, timeout: 300ms, retry_interval: {RETRY}s}}
""",
        encoding="utf-8",
    )
    daemon = Daemon(config, http_port)
    await daemon.start()

    async def states() -> dict[str, str]:
        _, body = await daemon.get("/api/state")
        return {name: s["state"] for name, s in json.loads(body)["services"].items()}

    async def settled() -> bool:
        return await states() == {"shop": "up", "hole": "down"}

    await wait_for(settled, "healthy shop up and black hole down")
    _, body = await daemon.get("/api/state")
    hole = json.loads(body)["services"]["hole"]["checks"]["home"]["last_result"]
    assert hole["outcome"] == "timeout"
    assert hole["latency_seconds"] < 1.0
    assert await daemon.healthy()
    await daemon.signal(signal.SIGTERM)
    code, stderr = await daemon.wait()
    server.close()
    for writer in held:
        writer.close()
    await server.wait_closed()
    assert code == 0, stderr

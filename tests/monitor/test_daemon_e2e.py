"""The daemon as a real subprocess against real loopback targets with scripted failures."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from monitor.store.base import IntervalKind, IntervalRecord
from monitor.store.sqlite import SQLiteStore

INTERVAL = 1.0
RETRY = 0.25


@dataclass
class Target:
    """A loopback HTTP target whose health the test switches, remembering when it did."""

    port: int = 0
    healthy: bool = True
    switched_at: list[tuple[bool, datetime]] = field(default_factory=list)

    def set(self, healthy: bool) -> datetime:
        at = datetime.now(UTC)
        self.healthy = healthy
        self.switched_at.append((healthy, at))
        return at


@pytest.fixture
async def target() -> AsyncIterator[Target]:
    state = Target()

    async def page(_: web.Request) -> web.Response:
        if state.healthy:
            return web.Response(text="Welcome to the shop")
        return web.Response(status=503, text="down for now")

    app = web.Application()
    app.router.add_get("/", page)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    state.port = runner.addresses[0][1]
    yield state
    await runner.cleanup()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


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
          interval: {INTERVAL}s, timeout: 500ms, retry_interval: {RETRY}s, confirm: 2}}
""",
        encoding="utf-8",
    )


class Daemon:
    """A `slawatch run` subprocess and its HTTP surface."""

    def __init__(self, config: Path, http_port: int) -> None:
        self.config = config
        self.base = f"http://127.0.0.1:{http_port}"
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "monitor.cli",
            "run",
            "--config",
            str(self.config),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        await wait_for(self.healthy, "daemon to become healthy")

    async def get(self, path: str) -> tuple[int, str]:
        async with aiohttp.ClientSession() as session, session.get(self.base + path) as response:
            return response.status, await response.text()

    async def healthy(self) -> bool:
        try:
            status, _ = await self.get("/healthz")
        except aiohttp.ClientError:
            return False
        return status == 200

    async def service_state(self) -> str:
        _, body = await self.get("/api/state")
        state: str = json.loads(body)["services"]["shop"]["state"]
        return state

    async def signal(self, signum: int) -> None:
        assert self.process is not None
        self.process.send_signal(signum)

    async def wait(self) -> tuple[int, str]:
        assert self.process is not None
        assert self.process.stderr is not None
        stderr = await asyncio.wait_for(self.process.stderr.read(), 30)
        code = await asyncio.wait_for(self.process.wait(), 30)
        return code, stderr.decode()


async def wait_for(
    condition: Callable[[], Awaitable[bool]], what: str, deadline: float = 20.0
) -> None:
    """Poll ``condition`` until it holds; fail after ``deadline`` seconds."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if await condition():
            return
        await asyncio.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


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
    assert 0 <= start_error <= INTERVAL + 1
    assert 0 <= end_error <= RETRY + 1
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

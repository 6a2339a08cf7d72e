"""A scripted month for the claim tests: real daemons, in process, on fake time in October 2026.

Three vantages run the real :class:`monitor.daemon.runner.Daemon` on one :class:`FakeClock`
starting 2026-10-05 11:55 UTC, storing into one real SQLite file and probing a real aiohttp server
on 127.0.0.1. From 12:00 to 12:05 the server fails: v1 and v2 see every frontend check of ``shop``
and ``api`` answer 503 (a whole-service outage, which the quorum ``majority`` of three confirms);
v3 probes paths of its own of which only ``page`` fails (degraded, not down: v3 does not agree,
and its failed probes are no evidence of the outage). Every vantage has a canary that stays up,
so the outage is confirmed. ``quiet`` is a service whose checks never fail.

The clock moves from one sleeper's deadline to the next; before it moves on, the probes started
at that instant finish their real requests, so every result is dated where the scheduler put it.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from aiohttp import web
from prometheus_client import CollectorRegistry

from monitor.clock import FakeClock
from monitor.config.settings import parse_settings
from monitor.daemon.runner import Daemon
from monitor.store.sqlite import SQLiteStore

from ..harness import collecting_dropped_connections

__all__ = ["BACK", "CONFIRM", "FAIL", "START", "STOP", "Scenario", "claim_config", "run_scenario"]

START = datetime(2026, 10, 5, 11, 55, tzinfo=UTC)
FAIL = datetime(2026, 10, 5, 12, 0, tzinfo=UTC)
BACK = datetime(2026, 10, 5, 12, 5, tzinfo=UTC)
STOP = datetime(2026, 10, 5, 12, 10, tzinfo=UTC)
#: The checks' ``confirm``: consecutive failures that make a check down.
CONFIRM = 3
VANTAGES = ("v1", "v2", "v3")


@dataclass(frozen=True)
class Scenario:
    """What the scripted run left: the database and what the test planted in the checks."""

    db: Path
    port: int
    password: str
    token: str
    header: str


@dataclass
class _Server:
    failing: bool = False
    port: int = 0


#: Paths that fail while the server fails; every other path answers 200.
_FAILING = ("/page", "/download", "/v3/page")


@contextlib.asynccontextmanager
async def _serve() -> AsyncIterator[_Server]:
    state = _Server()

    async def handle(request: web.Request) -> web.Response:
        if state.failing and request.path in _FAILING:
            return web.Response(status=503, text="down for maintenance of our own")
        return web.Response(text="Welcome")

    app = web.Application()
    app.router.add_get("/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    state.port = runner.addresses[0][1]
    try:
        yield state
    finally:
        async with collecting_dropped_connections():
            await runner.cleanup()


CONTRACTS = """
contracts:
  per-minute:
    timezone: Asia/Shanghai
    currency: CNY
    daily_fee: "{daily_fee}"
    claim_within: {claim_within}
  tiers:
    credit_policy: uptime_tiers
    timezone: America/New_York
    currency: USD
    monthly_fee: "3100.00"
    tiers:
      - {{below: "{tier_below}", percent: "10"}}
      - {{below: "99.0", percent: "30"}}
    claim_by: end_of_second_billing_cycle
"""


def _checks(scenario: Scenario, vantage: str) -> str:
    base = f"http://127.0.0.1:{scenario.port}"
    prefix = "/v3" if vantage == "v3" else ""
    timing = f"interval: 10s, timeout: 2s, retry_interval: 2s, confirm: {CONFIRM}"
    # The page is probed with a password and a query token, the download with a secret header:
    # none of them may reach any file of the claim.
    page = f"http://probe:{scenario.password}@127.0.0.1:{scenario.port}{prefix}/page?token={scenario.token}"
    return f"""
      - {{name: page, type: http, url: "{page}", {timing}}}
      - {{name: download, type: http, url: "{base}{prefix}/download", headers: {{X-Key: "{scenario.header}"}}, {timing}}}"""


def claim_config(
    scenario: Scenario,
    tmp_path: Path,
    *,
    vantage: str = "v1",
    claim_within: str = "60d",
    daily_fee: str = "1440.00",
    tier_below: str = "99.99",
    extra: str = "",
) -> Path:
    """A configuration of ``vantage`` over the scenario's database (the one ``claim`` reads),
    with the contracts' terms the test chooses."""
    checks = _checks(scenario, vantage)
    canary = f"http://127.0.0.1:{scenario.port}/canary"
    path = tmp_path / f"{vantage}.yaml"
    path.write_text(
        f"""
vantage: {vantage}
store: "sqlite:///{scenario.db}"
http: {{listen: "127.0.0.1:0"}}
spool: {{directory: "{tmp_path / f"spool-{vantage}"}"}}
{extra}
canaries:
  - {{name: reference, type: http, url: "{canary}", interval: 10s, timeout: 2s}}
{CONTRACTS.format(claim_within=claim_within, daily_fee=daily_fee, tier_below=tier_below)}
services:
  - name: shop
    contract: per-minute
    frontend:{checks}
  - name: api
    contract: tiers
    frontend:{checks}
  - name: quiet
    contract: per-minute
    frontend:
      - {{name: home, type: http, url: "{canary}", interval: 10s, timeout: 2s}}
""",
        encoding="utf-8",
    )
    return path


async def _idle(daemons: list[Daemon]) -> None:
    """Until every probe started has finished its real request (and been handed on)."""
    end = time.monotonic() + 30
    while any(d.scheduler.in_flight for d in daemons):
        if time.monotonic() > end:
            raise TimeoutError("probes still in flight after 30 s")
        await asyncio.sleep(0.001)


async def _run(scenario: Scenario, tmp_path: Path, server: _Server) -> None:
    clock = FakeClock(START)
    daemons = []
    for vantage in VANTAGES:
        path = claim_config(scenario, tmp_path, vantage=vantage)
        daemons.append(
            Daemon(
                parse_settings(path.read_text(encoding="utf-8"), str(path)),
                clock=clock,
                store=SQLiteStore(scenario.db),
                registry=CollectorRegistry(),
            )
        )
    tasks = [asyncio.create_task(d.run(handle_signals=False)) for d in daemons]
    for daemon in daemons:
        await asyncio.wait_for(daemon.ready.wait(), 30)
    for mark in (FAIL, BACK, STOP):
        while clock.now() < mark:
            left = (mark - clock.now()).total_seconds()
            deadline = clock.next_deadline
            step = left if deadline is None else min(left, deadline - clock.monotonic())
            await clock.advance(max(step, 0.0))
            await _idle(daemons)
        server.failing = mark == FAIL
    for daemon in daemons:
        daemon.stop()
    await asyncio.wait_for(asyncio.gather(*tasks), 60)


def run_scenario(tmp_path: Path) -> Scenario:
    """Run the scripted month into ``tmp_path / "evidence.db"``."""

    async def main() -> Scenario:
        async with _serve() as server:
            scenario = Scenario(
                db=tmp_path / "evidence.db",
                port=server.port,
                password=f"pw{secrets.token_hex(8)}",
                token=f"tk{secrets.token_hex(8)}",
                header=f"hd{secrets.token_hex(8)}",
            )
            await _run(scenario, tmp_path, server)
            return scenario

    return asyncio.run(main())

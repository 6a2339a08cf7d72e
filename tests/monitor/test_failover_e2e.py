"""Failover on a real load balancer (haproxy) and a real DNS answer that changes on schedule.

Loopback nodes serve the shop; haproxy balances them (``balance first``: every request goes to
the first node it believes up, so a dead node it still believes up takes every request). A
`slawatch run` subprocess probes the frontend through haproxy and each node directly. The test
kills nodes at known instants and reads the failover events the daemon stored.

haproxy comes from Debian's package; without it the tests skip, unless
``SLAWATCH_REQUIRE_HAPROXY=1`` (CI), where they fail.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from monitor.evidence import IntervalKind, IntervalRecord
from monitor.store.sqlite import SQLiteStore

from .harness import Daemon, collecting_dropped_connections, free_port, wait_for
from .probes.servers import DnsZone, serve_dns

INTERVAL = 0.5
#: A probe is timed from its start: one that started just before the target changed and was
#: answered after dates the change early, by its own latency, which is under the timeout.
TIMEOUT = 0.4


class Node:
    """One backend node on a fixed loopback address and port, which the test can kill."""

    def __init__(self, name: str, host: str = "127.0.0.1") -> None:
        self.name = name
        self.host = host
        self.port = free_port()
        self._runner: web.AppRunner | None = None

    async def start(self) -> datetime:
        """Listen again; return an instant before the first connection can be accepted."""

        async def page(_: web.Request) -> web.Response:
            return web.Response(text=f"Welcome to the shop ({self.name})")

        at = datetime.now(UTC)
        app = web.Application()
        app.router.add_get("/{tail:.*}", page)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        return at

    async def stop(self) -> datetime:
        """Stop listening: connections are refused from now on."""
        at = datetime.now(UTC)
        if self._runner is not None:
            # haproxy's health checks and the daemon's probes connect while the node dies.
            async with collecting_dropped_connections():
                await self._runner.cleanup()
            self._runner = None
        return at


def haproxy_or_skip() -> str:
    found = shutil.which("haproxy") or next(
        (p for p in ("/usr/sbin/haproxy",) if os.access(p, os.X_OK)), None
    )
    if found is None:
        message = "haproxy is not installed (Debian package haproxy)"
        if os.environ.get("SLAWATCH_REQUIRE_HAPROXY") == "1":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return found


@contextlib.asynccontextmanager
async def haproxy(tmp_path: Path, nodes: list[Node], *, health_checks: bool) -> AsyncIterator[int]:
    """haproxy in front of ``nodes`` on a free port (yielded); killed on exit."""
    binary = haproxy_or_skip()
    port = free_port()
    check = " check" if health_checks else ""
    servers = "\n".join(f"    server {n.name} {n.host}:{n.port}{check}" for n in nodes)
    config = tmp_path / "haproxy.cfg"
    config.write_text(
        f"""
global
    maxconn 200
defaults
    mode http
    timeout connect 300ms
    timeout client 5s
    timeout server 2s
    retries 0
frontend shop
    bind 127.0.0.1:{port}
    default_backend nodes
backend nodes
    balance first
    option httpchk GET /health
    default-server inter 100ms fall 1 rise 2
{servers}
""",
        encoding="utf-8",
    )
    process = await asyncio.create_subprocess_exec(
        binary, "-db", "-f", str(config),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip

    async def listening() -> bool:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            return False
        writer.close()
        return True

    try:
        await wait_for(listening, "haproxy to listen", deadline=10)
        yield port
    finally:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGKILL)
        await process.wait()


def config(
    tmp_path: Path,
    frontend: str,
    nodes: list[Node],
    *,
    dns: str = "",
    restore_within: str = "20s",
) -> Daemon:
    http_port = free_port()
    timing = (
        f"interval: {INTERVAL}s, timeout: {TIMEOUT}s, retry_interval: {INTERVAL / 2}s, confirm: 2"
    )
    # Three failures 0.25 s apart confirm the frontend down: well after haproxy's health check
    # (every 100 ms, one failure) has taken a dead node out, so a kept failover shows no outage.
    frontend_timing = timing.replace("confirm: 2", "confirm: 3")
    node_lines = "\n".join(
        f"      - {{name: {n.name}, type: http, url: 'http://{n.host}:{n.port}/', {timing}}}"
        for n in nodes
    )
    path = tmp_path / "slawatch.yaml"
    path.write_text(
        f"""
vantage: e2e
store: "sqlite:///{tmp_path / "evidence.db"}"
http: {{listen: "127.0.0.1:{http_port}"}}
contracts:
  basic: {{timezone: UTC, currency: USD, daily_fee: "1440.00"}}
canaries:
  - {{name: self, type: tcp, host: 127.0.0.1, port: {http_port}, {timing}}}
services:
  - name: shop
    contract: basic
    frontend:
      - {{name: home, type: http, url: "{frontend}", contains: Welcome, {frontend_timing}}}
    nodes:
{node_lines}
{dns}
    failover: {{max_frontend_outage: 3s, restore_within: {restore_within}}}
""",
        encoding="utf-8",
    )
    return Daemon(path, http_port)


async def stored(tmp_path: Path, kind: IntervalKind) -> list[IntervalRecord]:
    store = SQLiteStore(tmp_path / "evidence.db")
    await store.open()
    try:
        now = datetime.now(UTC)
        return await store.intervals(
            start=now - timedelta(hours=1), end=now + timedelta(hours=1), kinds=[kind]
        )
    finally:
        await store.close()


async def open_events(daemon: Daemon) -> list[Any]:
    events: list[Any] = (await daemon.state())["failover_events"]
    return events


async def stop(daemon: Daemon) -> None:
    await daemon.signal(signal.SIGTERM)
    code, log = await daemon.wait()
    assert code == 0, log


def seconds(delta: timedelta) -> float:
    return delta.total_seconds()


async def test_a_node_taken_out_by_the_balancer_is_a_kept_failover(tmp_path: Path) -> None:
    """haproxy's health checks take the dead node out within a second: the frontend keeps
    serving (no outage), the node comes back: one event, kept, with the scripted timing."""
    nodes = [Node("node-a"), Node("node-b"), Node("node-c")]
    for node in nodes:
        await node.start()
    async with haproxy(tmp_path, nodes, health_checks=True) as port:
        daemon = config(tmp_path, f"http://127.0.0.1:{port}/", nodes)
        await daemon.start()

        async def one_open() -> bool:
            return len(await open_events(daemon)) == 1

        async def none_open() -> bool:
            return await open_events(daemon) == []

        async def frontend_probed() -> bool:
            events = await open_events(daemon)
            return bool(events) and events[0]["frontend_probes"] >= 3

        killed = await nodes[0].stop()
        await wait_for(one_open, "a failover event for node-a")
        await wait_for(frontend_probed, "the frontend probed during the event")
        restarted = await nodes[0].start()
        await wait_for(none_open, "the event to close")
        await stop(daemon)
    for node in nodes:
        await node.stop()

    (event,) = await stored(tmp_path, IntervalKind.FAILOVER)
    assert event.subject == "shop/node-a"
    assert event.detail["verdict"] == "kept", event.detail
    assert -timedelta(seconds=TIMEOUT) <= event.start - killed <= timedelta(seconds=INTERVAL + 1)
    assert event.end is not None
    assert -timedelta(seconds=TIMEOUT) <= event.end - restarted <= timedelta(seconds=INTERVAL + 1)
    assert event.detail["capacity_back_by"] == "node recovered"
    assert event.detail["frontend_longest_outage_seconds"] <= 3
    assert event.detail["frontend_probes"] >= 3
    assert await stored(tmp_path, IntervalKind.OUTAGE) == []


async def test_a_balancer_that_keeps_sending_to_the_dead_node_breaches(tmp_path: Path) -> None:
    """Without health checks haproxy keeps sending every request to the dead first node: the
    frontend is down longer than the 3 s allowed: the event is breached, with that reason."""
    nodes = [Node("node-a"), Node("node-b")]
    for node in nodes:
        await node.start()
    async with haproxy(tmp_path, nodes, health_checks=False) as port:
        daemon = config(tmp_path, f"http://127.0.0.1:{port}/", nodes)
        await daemon.start()

        async def down_long_enough() -> bool:
            state = await daemon.state()
            events = state["failover_events"]
            return bool(events) and bool(events[0]["reasons"])

        killed = await nodes[0].stop()
        await wait_for(down_long_enough, "the breach to be certain")
        restarted = await nodes[0].start()

        async def closed() -> bool:
            return await open_events(daemon) == []

        await wait_for(closed, "the event to close")
        await stop(daemon)
    for node in nodes:
        await node.stop()

    (event,) = await stored(tmp_path, IntervalKind.FAILOVER)
    assert event.detail["verdict"] == "breached"
    assert event.detail["reasons"][0].startswith("frontend down ")
    outage_seconds = event.detail["frontend_outage_seconds"]
    assert 3 < outage_seconds <= seconds(restarted - killed) + 1
    assert event.detail["frontend_failures"] >= 4


async def test_every_node_dead_is_an_outage_not_a_failover(tmp_path: Path) -> None:
    """Both nodes killed: the service is down (an outage is recorded), no failover event."""
    nodes = [Node("node-a"), Node("node-b")]
    for node in nodes:
        await node.start()
    async with haproxy(tmp_path, nodes, health_checks=True) as port:
        daemon = config(tmp_path, f"http://127.0.0.1:{port}/", nodes)
        await daemon.start()
        await asyncio.gather(nodes[0].stop(), nodes[1].stop())

        async def all_down() -> bool:
            state = await daemon.state()
            checks = state["services"]["shop"]["checks"]
            nodes_down = all(checks[n]["state"] == "down" for n in ("node-a", "node-b"))
            return nodes_down and state["services"]["shop"]["state"] == "down"

        await wait_for(all_down, "the outage, every node down")
        for node in nodes:
            await node.start()

        async def up() -> bool:
            return await daemon.service_state() == "up"

        await wait_for(up, "recovery")
        await stop(daemon)
    for node in nodes:
        await node.stop()

    assert await stored(tmp_path, IntervalKind.FAILOVER) == []
    assert len(await stored(tmp_path, IntervalKind.OUTAGE)) == 1


async def test_dns_drops_the_dead_node_then_a_new_one_joins(tmp_path: Path) -> None:
    """The global balancer's answer loses the dead node's address at a scripted instant and
    later gains a new node: the event records when the address left, the TTL, and closes when
    the new address joins."""
    nodes = [Node("node-a", "127.0.0.2"), Node("node-b", "127.0.0.3")]
    for node in nodes:
        await node.start()
    zone = DnsZone({"shop.test": {"A": ["127.0.0.2", "127.0.0.3"]}}, ttl=30)
    transport, dns_port = await serve_dns(zone)
    try:
        daemon = config(
            tmp_path,
            f"http://127.0.0.3:{nodes[1].port}/",
            nodes,
            dns=(
                f"    dns: {{name: shop.test, server: '127.0.0.1:{dns_port}',"
                f" interval: {INTERVAL}s, timeout: {TIMEOUT}s, retry_interval: {INTERVAL}s}}"
            ),
            restore_within="60s",
        )
        await daemon.start()

        async def one_open() -> bool:
            return len(await open_events(daemon)) == 1

        await wait_for(lambda: _asked(zone), "DNS to be watched")
        await nodes[0].stop()
        await wait_for(one_open, "the failover event")
        zone.records["shop.test"]["A"] = ["127.0.0.3"]
        removed = datetime.now(UTC)

        async def removal_seen() -> bool:
            events = await open_events(daemon)
            return bool(events) and events[0]["dns_removed_at"] is not None

        await wait_for(removal_seen, "the address to leave the answer")
        zone.records["shop.test"]["A"] = ["127.0.0.3", "127.0.0.4"]
        joined = datetime.now(UTC)

        async def closed() -> bool:
            return await open_events(daemon) == []

        await wait_for(closed, "the new address to restore capacity")
        await stop(daemon)
    finally:
        transport.close()
        for node in nodes:
            await node.stop()

    (event,) = await stored(tmp_path, IntervalKind.FAILOVER)
    dns = event.detail["dns"]
    assert dns["address"] == "127.0.0.2"
    assert dns["in_answer_at_start"] is True
    assert dns["ttl_seconds"] == 30
    removed_at = event.start + timedelta(seconds=dns["removed_after_seconds"])
    assert -timedelta(seconds=TIMEOUT) <= removed_at - removed <= timedelta(seconds=INTERVAL + 1)
    assert event.detail["capacity_back_by"] == "new address 127.0.0.4 in DNS"
    assert event.end is not None
    assert -timedelta(seconds=TIMEOUT) <= event.end - joined <= timedelta(seconds=INTERVAL + 1)


async def _asked(zone: DnsZone) -> bool:
    return zone.asked.is_set()

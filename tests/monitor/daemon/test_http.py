"""The HTTP surface on its own: where it listens, and what it says of the daemon's state."""

from __future__ import annotations

import re
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from prometheus_client import CollectorRegistry

from monitor.clock import FakeClock
from monitor.config.settings import parse_settings
from monitor.daemon.http import state_body
from monitor.daemon.runner import Daemon
from monitor.daemon.view import LiveState
from monitor.errors import MonitorError
from monitor.failover import FailoverEvent
from monitor.results import Outcome, ProbeResult
from monitor.scheduler import build_checks
from monitor.state import StateTracker
from monitor.store.sqlite import SQLiteStore
from monitor.write.writer import ResultWriter

CONFIG = """
contracts: {c: {currency: USD, daily_fee: "10.00"}}
services:
  - {name: s, contract: c, frontend: [{name: home, type: http, url: "http://127.0.0.1:1/"}]}
"""


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.fixture
async def daemon(tmp_path: Path) -> AsyncIterator[Daemon]:
    """A daemon never run, over a real SQLite store: only its HTTP surface is started."""
    store = SQLiteStore(tmp_path / "h.db")
    await store.open()
    yield Daemon(
        parse_settings(CONFIG, "h.yaml"),
        clock=FakeClock(),
        store=store,
        registry=CollectorRegistry(),
    )
    await store.close()


@pytest.mark.parametrize(
    ("host", "pattern"),
    [
        pytest.param("127.0.0.1", r"127\.0\.0\.1:(\d+)", id="ipv4"),
        pytest.param(
            "::1",
            r"\[::1\]:(\d+)",
            id="ipv6",
            marks=pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback here"),
        ),
    ],
)
async def test_the_address_names_the_port_bound(daemon: Daemon, host: str, pattern: str) -> None:
    """Port 0 listens on a free port: the address gives it (an IPv6 host in brackets) and
    answers there."""
    await daemon.http.start(host, 0)
    try:
        match = re.fullmatch(pattern, daemon.http.address)
        assert match is not None, daemon.http.address
        assert int(match[1]) != 0
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://{daemon.http.address}/healthz") as response,
        ):
            assert response.status == 503
            assert (await response.json())["problems"] == ["starting"]
    finally:
        await daemon.http.stop()


async def test_a_port_in_use_is_refused_in_one_line(daemon: Daemon) -> None:
    """Listening where another socket already listens fails with one line naming http.listen."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        with pytest.raises(MonitorError) as raised:
            await daemon.http.start("127.0.0.1", port)
    message = str(raised.value)
    assert message.startswith(f"http.listen: cannot listen on 127.0.0.1:{port}: ")
    assert "\n" not in message
    assert daemon.http.address == ""
    await daemon.http.stop()


async def test_the_state_shows_services_canaries_and_open_failovers(tmp_path: Path) -> None:
    """/api/state's body: each service with its state, its quorum (unknown before any verdict)
    and its checks, the canaries apart, a check not measured lately stale, the open failover
    events; and it shows them as they were when the snapshot was taken."""
    now = datetime(2026, 10, 5, 12, 0, tzinfo=UTC)
    settings = parse_settings(
        CONFIG + "canaries: [{name: ref, type: tcp, host: 127.0.0.1, port: 9}]\n", "s.yaml"
    )
    tracker = StateTracker(ResultWriter(SQLiteStore(tmp_path / "s.db"), FakeClock(now)), "v1")
    home, ref = checks = build_checks(settings)
    tracker.set_checks(checks)
    second = timedelta(seconds=1)
    tracker.observe(home, ProbeResult(home.id, "v1", now - second, 0.25, Outcome.UP, detail="200"))
    tracker.observe(ref, ProbeResult(ref.id, "v1", now - 3600 * second, 0.5, Outcome.UP))
    event = FailoverEvent(
        "s", "node-a", now - 60 * second, 30 * second, 600 * second, reasons=["slow"]
    )

    live = LiveState.of(settings, tracker, {}, [event], now=now)
    event.reasons.append("later")

    assert state_body(live) == {
        "vantage": settings.vantage,
        "isolated": False,
        "unconfirmed": False,
        "services": {
            "s": {
                "state": "up",
                "quorum": {"rule": "majority", "state": "unknown", "at": None},
                "checks": {
                    "home": {
                        "id": "s/home",
                        "role": "frontend",
                        "state": "up",
                        "stale": False,
                        "down_since": None,
                        "last_result": {
                            "at": "2026-10-05T11:59:59Z",
                            "outcome": "up",
                            "detail": "200",
                            "latency_seconds": 0.25,
                        },
                    }
                },
            }
        },
        "canaries": {
            "ref": {
                "id": "@canary/ref",
                "role": "canary",
                "state": "up",
                "stale": True,
                "down_since": None,
                "last_result": {
                    "at": "2026-10-05T11:00:00Z",
                    "outcome": "up",
                    "detail": "",
                    "latency_seconds": 0.5,
                },
            }
        },
        "failover_events": [
            {
                "service": "s",
                "node": "node-a",
                "since": "2026-10-05T11:59:00Z",
                "frontend_probes": 0,
                "frontend_failures": 0,
                "frontend_clean_at": None,
                "dns_removed_at": None,
                "reasons": ["slow"],
            }
        ],
    }

"""A whole-service outage seen by a single vantage without canaries: recorded, credited, and
marked unconfirmed, end to end.

Every check of such a vantage failing at once is exactly what an outage of its only service looks
like, so it must never turn into unmeasured time. Each case runs a real `slawatch run` subprocess
against loopback targets, scripts outages at known instants, then reads the stored intervals and
the `slawatch report` JSON: the outage within the daemon's tolerances, its credit by the contract's
per-outage rule, and the note that no independent reference confirmed it.
"""

from __future__ import annotations

import json
import math
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from monitor.evidence import IntervalKind, IntervalRecord
from monitor.quorum import UNCONFIRMED_NOTE

from .harness import Daemon, Target, free_port, serve_target, wait_for
from .test_failover_e2e import Node, haproxy, stored

INTERVAL = 0.5
RETRY = 0.25
#: A day's fee of 1440.00 makes every credited minute worth exactly 1.00.
DAILY_FEE = "1440.00"
#: A probe is timed from its start: one that started just before the target changed and was
#: answered after dates the change early, by its own latency, which is under the timeout.
TIMEOUT = 0.4
TIMING = f"interval: {INTERVAL}s, timeout: {TIMEOUT}s, retry_interval: {RETRY}s, confirm: 2"


def write_config(tmp_path: Path, frontend: list[str], nodes: list[str]) -> Daemon:
    """One vantage, one service, no canary: ``frontend`` and ``nodes`` are check URLs."""
    http_port = free_port()

    def checks(urls: list[str], prefix: str) -> str:
        return "\n".join(
            f"      - {{name: {prefix}{i}, type: http, url: '{url}', {TIMING}}}"
            for i, url in enumerate(urls)
        )

    node_section = f"    nodes:\n{checks(nodes, 'node-')}\n" if nodes else ""
    path = tmp_path / "slawatch.yaml"
    path.write_text(
        f"""
vantage: solo
store: "sqlite:///{tmp_path / "evidence.db"}"
http: {{listen: "127.0.0.1:{http_port}"}}
contracts:
  basic: {{timezone: UTC, currency: USD, daily_fee: "{DAILY_FEE}"}}
services:
  - name: shop
    contract: basic
    frontend:
{checks(frontend, "page-")}
{node_section}""",
        encoding="utf-8",
    )
    return Daemon(path, http_port)


@dataclass
class Scripted:
    """An outage as the test caused it."""

    start: datetime
    end: datetime


def slawatch(*args: str) -> str:
    """Run a slawatch command; its standard output."""
    done = subprocess.run(
        [sys.executable, "-m", "monitor.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def report(config: Path, month: str, form: str = "json") -> Any:
    """The month's report, through the real command (JSON parsed)."""
    text = slawatch("report", "--config", str(config), "--month", month, "--format", form)
    return json.loads(text) if form == "json" else text


def per_outage_credit(outages: list[IntervalRecord]) -> Decimal:
    """The credit by the per-outage rule at 1.00 a minute: each outage's seconds within each
    UTC day, rounded up to whole minutes (CREDIT-RULES.md, "Minutes")."""
    minutes = 0
    for outage in outages:
        assert outage.end is not None
        start = outage.start
        while start < outage.end:
            midnight = datetime.combine(start.date() + timedelta(days=1), datetime.min.time(), UTC)
            end = min(outage.end, midnight)
            minutes += math.ceil((end - start).total_seconds() / 60)
            start = end
    return Decimal(minutes)


async def script_outage(
    daemon: Daemon,
    take_down: Callable[[], Awaitable[datetime]],
    bring_back: Callable[[], Awaitable[datetime]],
    probes_while_down: Callable[[], Awaitable[int]],
    hold: int,
) -> Scripted:
    """Take the service down, check the live state says so (unconfirmed), keep it down for
    ``hold`` more probes, bring it back, and wait for the recovery."""

    async def shop(field: str, value: object) -> bool:
        service = (await daemon.state())["services"]["shop"]
        return bool((service if field == "state" else service["quorum"]).get(field) == value)

    start = await take_down()
    await wait_for(lambda: shop("state", "down"), "the outage confirmed")
    await wait_for(lambda: shop("unconfirmed", True), "the quorum's outage, marked unconfirmed")
    state = await daemon.state()
    assert state["isolated"] is False
    assert state["unconfirmed"] is True
    assert state["note"] == UNCONFIRMED_NOTE
    assert state["services"]["shop"]["quorum"]["state"] == "down"
    assert state["services"]["shop"]["quorum"]["note"] == UNCONFIRMED_NOTE
    _, metrics = await daemon.get("/metrics")
    assert 'slawatch_service_quorum_unconfirmed{service="shop"} 1.0' in metrics
    seen = await probes_while_down()

    async def held() -> bool:
        return await probes_while_down() >= seen + hold

    await wait_for(held, f"{hold} more failed probes")
    end = await bring_back()
    await wait_for(lambda: shop("state", "up"), "the recovery")
    return Scripted(start, end)


async def finish(daemon: Daemon, tmp_path: Path, scripted: list[Scripted]) -> None:
    """Stop the daemon; check the stored outages against the script, then the report."""
    await daemon.signal(signal.SIGTERM)
    code, log = await daemon.wait()
    assert code == 0, log

    outages = await stored(tmp_path, IntervalKind.OUTAGE)
    assert len(outages) == len(scripted), outages
    for outage, truth in zip(outages, scripted, strict=True):
        assert outage.end is not None
        assert -TIMEOUT <= (outage.start - truth.start).total_seconds() <= INTERVAL + 1
        assert -TIMEOUT <= (outage.end - truth.end).total_seconds() <= RETRY + 1
    assert await stored(tmp_path, IntervalKind.ISOLATED) == []
    unconfirmed = await stored(tmp_path, IntervalKind.UNCONFIRMED)
    assert len(unconfirmed) == len(scripted)
    for outage, doubt in zip(outages, unconfirmed, strict=True):
        assert doubt.end is not None
        assert outage.end is not None
        # From the last moment any check worked to the first success of any (a node may
        # answer before the frontend does: from then on the vantage is known to be connected).
        assert doubt.start <= outage.start < doubt.end <= outage.end

    months = sorted({o.start.strftime("%Y-%m") for o in outages})
    reported: list[Any] = []
    credit = Decimal(0)
    for month in months:
        (service,) = report(daemon.config, month)["services"]
        reported += service["outages"]
        credit += Decimal(service["summary"]["total_credit"])
        assert service["gaps"]["intervals"] == [] or all(
            gap["end"] <= reported[0]["start"] or gap["start"] >= reported[-1]["end"]
            for gap in service["gaps"]["intervals"]
        )
    assert [o["duration_seconds"] for o in reported] == [
        (o.end - o.start).total_seconds() for o in outages if o.end is not None
    ]
    for outage in reported:
        assert outage["unconfirmed"]["note"] == UNCONFIRMED_NOTE
        assert 0 < outage["unconfirmed"]["seconds"] <= outage["duration_seconds"]
    assert credit == per_outage_credit(outages)
    assert credit >= len(scripted)
    for form in ("md", "html"):
        assert UNCONFIRMED_NOTE in report(daemon.config, months[0], form)
    first, last = outages[0].start.date().isoformat(), outages[-1].start.date().isoformat()
    exported = slawatch(
        *("export", "--config", str(daemon.config), "--service", "shop"),
        *("--from", first, "--to", last),
    )
    case = json.loads(exported)
    assert len(case["outages"]) == len(outages)
    assert case["meta"]["note"] == UNCONFIRMED_NOTE
    assert len(case["meta"]["unconfirmed"]) == len(outages)


async def two_outages_on(daemon: Daemon, target: Target, tmp_path: Path) -> None:
    """A longer outage, then a shorter one, scripted on ``target``."""
    await daemon.start()

    async def up() -> bool:
        return await daemon.service_state() == "up"

    await wait_for(up, "the service up")

    async def down() -> datetime:
        return target.set(False)

    async def back() -> datetime:
        return target.set(True)

    async def probes() -> int:
        return target.served.get("/", 0)

    scripted = [
        await script_outage(daemon, down, back, probes, hold=6),
        await script_outage(daemon, down, back, probes, hold=2),
    ]
    await finish(daemon, tmp_path, scripted)


async def test_one_vantage_two_frontend_checks_no_canary(tmp_path: Path) -> None:
    """Both frontend checks failing at once, twice: two outages, credited, each unconfirmed."""
    async with serve_target() as target:
        base = f"http://127.0.0.1:{target.port}"
        daemon = write_config(tmp_path, [f"{base}/", f"{base}/download"], [])
        await two_outages_on(daemon, target, tmp_path)


async def test_one_vantage_with_node_checks_failing_too(tmp_path: Path) -> None:
    """Frontend and node checks failing together (every check of the vantage down): the outage
    is whole, not a gap with a sliver of outage at its end."""
    async with serve_target() as target:
        base = f"http://127.0.0.1:{target.port}"
        daemon = write_config(
            tmp_path, [f"{base}/", f"{base}/download"], [f"{base}/node-a", f"{base}/node-b"]
        )
        await two_outages_on(daemon, target, tmp_path)
        gaps = [g for g in await stored(tmp_path, IntervalKind.GAP) if g.subject != "*"]
        assert gaps == []


async def test_haproxy_with_every_node_killed(tmp_path: Path) -> None:
    """Behind a real load balancer, every node killed: the frontend and every node fail, the
    whole-service outage is recorded and credited, unconfirmed, and ends when the nodes return."""
    nodes = [Node("node-a"), Node("node-b")]
    for node in nodes:
        await node.start()
    probed_at: set[str] = set()
    async with haproxy(tmp_path, nodes, health_checks=True) as port:
        daemon = write_config(
            tmp_path,
            [f"http://127.0.0.1:{port}/"],
            [f"http://{n.host}:{n.port}/" for n in nodes],
        )
        await daemon.start()

        async def up() -> bool:
            return await daemon.service_state() == "up"

        await wait_for(up, "the service up")

        async def kill_all() -> datetime:
            stopped = [await node.stop() for node in nodes]
            return stopped[0]

        async def restart_all() -> datetime:
            started = [await node.start() for node in nodes]
            return started[-1]

        async def probes() -> int:
            """Frontend probes seen so far (a lower bound: each poll sees the latest one)."""
            last = (await daemon.state())["services"]["shop"]["checks"]["page-0"]["last_result"]
            if last is not None:
                probed_at.add(last["at"])
            return len(probed_at)

        scripted = [await script_outage(daemon, kill_all, restart_all, probes, hold=4)]
        await finish(daemon, tmp_path, scripted)
    for node in nodes:
        await node.stop()


def test_check_config_says_what_all_checks_down_means(tmp_path: Path) -> None:
    """check-config explains in one line what every check failing at once will count as:
    without canaries an outage, marked unconfirmed; with them an isolation."""
    daemon = write_config(tmp_path, ["http://127.0.0.1:9/"], [])
    without = slawatch("check-config", str(daemon.config))
    text = daemon.config.read_text(encoding="utf-8")
    daemon.config.write_text(
        text.replace(
            "services:",
            "canaries:\n  - {name: ref, type: tcp, host: 127.0.0.1, port: 9}\nservices:",
        ),
        encoding="utf-8",
    )
    with_canary = slawatch("check-config", str(daemon.config))

    (note,) = [line for line in without.splitlines() if line.startswith("note:")]
    assert "the outage is recorded and credited" in note
    assert "add a canary or a second vantage" in note
    (note,) = [line for line in with_canary.splitlines() if line.startswith("note:")]
    assert "isolated (not measured)" in note

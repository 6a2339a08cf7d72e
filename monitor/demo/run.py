"""The demo: scripted failures of a local service, measured by a real daemon on SQLite.

Timeline (seconds after start, scaled by ``--duration``): node-a dies and comes back (a failover:
the load balancer routes around it, the frontend keeps serving); then both nodes die (a
whole-service outage); then everything recovers. At the end the demo prints what was scripted,
what was measured, and the credits the outage earns.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import TextIO

from prometheus_client import CollectorRegistry

from sla import local_date, result_to_json

from ..case.measured import measured_case
from ..clock import Clock, SystemClock
from ..config.settings import Settings, parse_settings
from ..daemon.runner import Daemon
from ..evidence import IntervalKind
from ..report import build_report
from ..report.html import render_html
from ..store import open_store
from ..timefmt import format_instant
from .service import DemoNode, LoadBalancer

__all__ = ["SCRIPT", "run_demo"]

#: (fraction of the run, action, nodes); the outage is long enough to be confirmed at any scale.
SCRIPT = (
    (0.17, "stop", ("node-a",)),
    (0.33, "start", ("node-a",)),
    (0.50, "stop", ("node-a", "node-b")),
    (0.72, "start", ("node-a", "node-b")),
)


async def _play(
    nodes: dict[str, DemoNode], duration: float, clock: Clock, out: TextIO
) -> list[tuple[str, datetime]]:
    began = clock.monotonic()
    happened: list[tuple[str, datetime]] = []
    for fraction, action, names in SCRIPT:
        await clock.sleep(began + fraction * duration - clock.monotonic())
        for name in names:
            await (nodes[name].stop() if action == "stop" else nodes[name].start())
        at = clock.now()
        happened.append((f"{action} {'+'.join(names)}", at))
        print(
            f"  [{clock.monotonic() - began:5.1f}s] scripted: {action} {', '.join(names)}", file=out
        )
    return happened


async def run_demo(
    *,
    duration: float = 60.0,
    listen: str = "127.0.0.1:0",
    workdir: Path | None = None,
    out: TextIO = sys.stdout,
    clock: Clock | None = None,
) -> int:
    """Run the demo; return the number of outages measured."""
    clock = clock or SystemClock()
    with tempfile.TemporaryDirectory(prefix="slawatch-demo-") as scratch:
        base = workdir or Path(scratch)
        base.mkdir(parents=True, exist_ok=True)
        nodes = {name: DemoNode(name, clock) for name in ("node-a", "node-b")}
        canary = DemoNode("reference", clock)  # outside the shop: it never fails
        for node in (*nodes.values(), canary):
            await node.start()
        balancer = LoadBalancer(list(nodes.values()))
        await balancer.start()
        template = resources.files("monitor.demo").joinpath("demo.yaml").read_text("utf-8")
        settings = parse_settings(
            template,
            "demo.yaml",
            {
                "DEMO_DB": str(base / "demo.db"),
                "DEMO_LISTEN": listen,
                "DEMO_LB_PORT": str(balancer.port),
                "DEMO_NODE_A_PORT": str(nodes["node-a"].port),
                "DEMO_NODE_B_PORT": str(nodes["node-b"].port),
                "DEMO_CANARY_PORT": str(canary.port),
            },
        )
        store = open_store(settings.store)
        daemon = Daemon(settings, clock=clock, store=store, registry=CollectorRegistry())
        running = asyncio.create_task(daemon.run(handle_signals=False))
        started_at = clock.now()
        try:
            await asyncio.wait_for(daemon.ready.wait(), 10)
            print(
                f"slawatch demo: a shop behind a load balancer on 127.0.0.1:{balancer.port},",
                file=out,
            )
            print(
                f"  monitored for {duration:.0f}s; metrics at http://{daemon.http.address}/metrics",
                file=out,
            )
            happened = await _play(nodes, duration, clock, out)
            await clock.sleep(duration * 0.28)
        finally:
            daemon.stop()
            await running
            await balancer.stop()
            for node in (*nodes.values(), canary):
                await node.stop()
        scripted = (happened[2][1], happened[3][1])
        return await _summarise(
            settings, started_at, clock.now(), scripted, out, report_dir=workdir
        )


async def _summarise(
    settings: Settings,
    began: datetime,
    ended: datetime,
    scripted: tuple[datetime, datetime],
    out: TextIO,
    *,
    report_dir: Path | None = None,
) -> int:
    store = open_store(settings.store)
    await store.open()
    try:
        records = await store.intervals(
            start=began - timedelta(seconds=1), end=ended + timedelta(seconds=1)
        )
        print("\nmeasured:", file=out)
        for record in records:
            if record.kind in (IntervalKind.GAP, IntervalKind.RUNNING):
                continue
            end = format_instant(record.end) if record.end else "open"
            length = f"{(record.end - record.start).total_seconds():.1f}s" if record.end else ""
            print(
                f"  {record.kind.value:<10} {record.subject:<14} {format_instant(record.start)}"
                f" -> {end} {length}",
                file=out,
            )
        truth_start, truth_end = scripted
        print(
            f"\nscripted outage: {format_instant(truth_start)} -> {format_instant(truth_end)}",
            file=out,
        )
        for record in records:
            if record.kind is IntervalKind.OUTAGE and record.end is not None:
                print(
                    f"measured outage: {format_instant(record.start)}"
                    f" -> {format_instant(record.end)}"
                    f" (start {(record.start - truth_start).total_seconds():+.1f}s,"
                    f" end {(record.end - truth_end).total_seconds():+.1f}s against the script)",
                    file=out,
                )
        service = settings.services[0]
        terms = settings.contracts[service.contract]
        zone = terms.to_contract().timezone
        day = local_date(began, zone)
        case = await measured_case(
            store, settings, service, first=day, last=local_date(ended, zone), now=ended
        )
        result = case.credits()
        print(
            f"\ncredits owed for service {service.name!r} (contract {service.contract}):", file=out
        )
        print(json.dumps(result_to_json(result), indent=2), file=out)
        if report_dir is not None:
            local = ended.astimezone(zone)
            report = await build_report(store, settings, local.year, local.month, now=ended)
            path = report_dir / f"report-{report.label}.html"
            path.write_text(render_html(report), encoding="utf-8")
            print(f"\nthe month's credit report (provisional): {path}", file=out)
        return sum(1 for r in records if r.kind is IntervalKind.OUTAGE)
    finally:
        await store.close()

"""The parts of the probe benchmark (test_probe_benchmark.py): a loopback fleet of targets and a
bare HTTP client, each run in a process of its own (``python -m tests.benchmarks.probe_fleet
serve|floor``); the configuration of blackbox_exporter, Prometheus and slawatch for the same
checks; and what /proc says of a process.

The fleet answers 200 "Welcome" on any path of several ports and counts what it served: probes
are counted where they arrive, the same way for every prober. It runs apart from the probers so
that its own work is neither charged to them nor competing inside their event loop.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass

import aiohttp
from aiohttp import web

__all__ = [
    "PROMETHEUS_ACCEPT",
    "Reading",
    "blackbox_config",
    "counter_by_label",
    "cpu_seconds",
    "histogram_buckets",
    "histogram_quantile",
    "histogram_share_above",
    "prometheus_config",
    "read",
    "rss_bytes",
    "slawatch_config",
    "system_busy_seconds",
]

#: Ports the fleet listens on: the checks are spread over them, so that no single listening
#: socket's backlog or 4-tuple space (a fresh connection per probe) limits the rate.
FLEET_PORTS = 16
#: Each listening socket's backlog (the kernel caps it at net.core.somaxconn).
BACKLOG = 4096
#: Checks per slawatch service.
CHECKS_PER_SERVICE = 10
#: What Prometheus 2.x sends when it scrapes: OpenMetrics first, then the text format.
PROMETHEUS_ACCEPT = (
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
    "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
)
_TICK = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


# --- what /proc says -------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of the process (all its threads), in seconds."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        # The command name (field 2) may hold spaces; the fields after it are counted from ")".
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def rss_bytes(pid: int) -> int:
    """Resident set size of the process."""
    with open(f"/proc/{pid}/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * _PAGE


def system_busy_seconds() -> float:
    """CPU time every core of the machine spent not idle since boot (all processes)."""
    with open("/proc/stat", encoding="ascii") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal (guest time is inside user already).
    idle = values[3] + values[4]
    return (sum(values[:8]) - idle) / _TICK


@dataclass(frozen=True)
class Reading:
    """CPU seconds of each watched process, requests the fleet served, and the whole machine's
    busy time, at one instant."""

    at: float
    cpu: dict[str, float]
    served: int
    busy: float


async def read(pids: dict[str, int], control: str, session: aiohttp.ClientSession) -> Reading:
    """One :class:`Reading` of ``pids`` and of the fleet whose control address is ``control``."""
    async with session.get(control) as response:
        served = int((await response.json())["served"])
    loop = asyncio.get_running_loop()
    return Reading(
        loop.time(),
        {name: cpu_seconds(pid) for name, pid in pids.items()},
        served,
        system_busy_seconds(),
    )


# --- the exposition format -------------------------------------------------------------------

_SAMPLE = re.compile(r"^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>.*)\})? (?P<value>\S+)")


def histogram_buckets(text: str, name: str) -> list[tuple[float, float]]:
    """The cumulative buckets ``(le, count)`` of the unlabelled histogram ``name``."""
    found: list[tuple[float, float]] = []
    for line in text.splitlines():
        if not line.startswith(name + "_bucket"):
            continue
        match = _SAMPLE.match(line)
        assert match is not None, line
        le = re.search(r'le="([^"]+)"', match["labels"] or "")
        assert le is not None, line
        found.append((float(le[1]), float(match["value"])))
    return sorted(found)


def counter_by_label(text: str, name: str, label: str) -> dict[str, float]:
    """The samples of counter ``name`` (``_total`` in either exposition format) summed by the
    value of ``label``."""
    sums: dict[str, float] = {}
    prefix = (name + "_total{", name + "{")
    for line in text.splitlines():
        if not line.startswith(prefix):
            continue
        match = _SAMPLE.match(line)
        assert match is not None, line
        value = re.search(label + r'="([^"]*)"', match["labels"] or "")
        if value is not None:
            sums[value[1]] = sums.get(value[1], 0.0) + float(match["value"])
    return sums


def histogram_quantile(q: float, before: Sequence[tuple[float, float]],
                       after: Sequence[tuple[float, float]]) -> float:  # fmt: skip
    """The ``q`` quantile of what was observed between two readings of a histogram's cumulative
    buckets, interpolated linearly inside its bucket as Prometheus' histogram_quantile does
    (infinity when it falls in the +Inf bucket, NaN when nothing was observed)."""
    counts = [(le, a - b) for (le, a), (_, b) in zip(after, before, strict=True)]
    total = counts[-1][1]
    if total <= 0:
        return float("nan")
    rank = q * total
    lower, below = 0.0, 0.0
    for le, cumulative in counts:
        if cumulative >= rank:
            if le == float("inf"):
                return le
            return lower + (le - lower) * (rank - below) / max(cumulative - below, 1e-12)
        lower, below = le, cumulative
    return float("inf")


def histogram_share_above(bound: float, before: Sequence[tuple[float, float]],
                          after: Sequence[tuple[float, float]]) -> float:  # fmt: skip
    """The share of what was observed between two readings that exceeded ``bound``, one of the
    histogram's bucket bounds: exact, where a quantile is interpolated."""
    counts = {le: a - b for (le, a), (_, b) in zip(after, before, strict=True)}
    assert bound in counts, f"{bound} is not a bucket bound of the histogram"
    total = counts[float("inf")]
    return float("nan") if total <= 0 else (total - counts[bound]) / total


# --- configurations --------------------------------------------------------------------------


def target_urls(ports: Sequence[int], checks: int) -> list[str]:
    """One URL per check, spread over the fleet's ports."""
    return [f"http://127.0.0.1:{ports[i % len(ports)]}/c{i}" for i in range(checks)]


def blackbox_config() -> str:
    """blackbox_exporter's http_2xx module, as its own example configuration writes it."""
    return "modules:\n  http_2xx:\n    prober: http\n"


def prometheus_config(urls: Sequence[str], interval: int, exporter: str) -> str:
    """Prometheus probing ``urls`` through the exporter at ``exporter`` (HOST:PORT), every
    ``interval`` seconds, with the relabelling of blackbox_exporter's documentation."""
    targets = "\n".join(f"          - {url}" for url in urls)
    timeout = min(interval, 10)
    return f"""global:
  scrape_interval: {interval}s
  scrape_timeout: {timeout}s
scrape_configs:
  - job_name: blackbox
    metrics_path: /probe
    params:
      module: [http_2xx]
    static_configs:
      - targets:
{targets}
    relabel_configs:
      - source_labels: [__address__]
        target_label: __param_target
      - source_labels: [__param_target]
        target_label: instance
      - target_label: __address__
        replacement: {exporter}
"""


def slawatch_config(urls: Sequence[str], interval: int, store: str, listen: str) -> str:
    """slawatch probing ``urls`` every ``interval`` seconds, as services of
    CHECKS_PER_SERVICE frontend checks each, storing into SQLite at ``store``."""
    lines = [
        "vantage: bench",
        f"store: sqlite:///{store}",
        f'http: {{listen: "{listen}"}}',
        "log: {level: warning}",
        "contracts: {c: {currency: EUR, daily_fee: 10}}",
        "services:",
    ]
    for first in range(0, len(urls), CHECKS_PER_SERVICE):
        checks = ", ".join(
            f"{{name: c{i}, type: http, url: '{url}', interval: {interval}s}}"
            for i, url in enumerate(urls[first : first + CHECKS_PER_SERVICE], start=first)
        )
        lines.append(
            f"  - {{name: s{first // CHECKS_PER_SERVICE}, contract: c, frontend: [{checks}]}}"
        )
    return "\n".join(lines) + "\n"


# --- the processes ---------------------------------------------------------------------------


async def _serve(ports: int) -> None:
    """Listen on ``ports`` free ports and a control port; print them as one JSON line; serve
    until SIGTERM."""
    served = 0

    async def page(_: web.Request) -> web.Response:
        nonlocal served
        served += 1
        return web.Response(text="Welcome")

    async def count(_: web.Request) -> web.Response:
        return web.json_response({"served": served})

    fleet = web.Application()
    fleet.router.add_get("/{tail:.*}", page)
    control = web.Application()
    control.router.add_get("/served", count)
    runners = [web.AppRunner(fleet, access_log=None), web.AppRunner(control, access_log=None)]
    for runner in runners:
        await runner.setup()
    for _ in range(ports):
        await web.TCPSite(runners[0], "127.0.0.1", 0, backlog=BACKLOG).start()
    await web.TCPSite(runners[1], "127.0.0.1", 0).start()
    addresses = {
        "ports": [address[1] for address in runners[0].addresses],
        "control": runners[1].addresses[0][1],
    }
    print(json.dumps(addresses), flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    for runner in runners:
        await runner.cleanup()


async def _floor(rate: int, urls: Sequence[str]) -> None:
    """GET ``urls`` in turn, ``rate`` a second, each on a fresh connection, until SIGTERM: the
    least an asyncio prober can spend on a probe."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    tick = 0.01
    per_tick = max(1, round(rate * tick))
    pending: set[asyncio.Task[None]] = set()

    async def get(session: aiohttp.ClientSession, url: str) -> None:
        with contextlib.suppress(aiohttp.ClientError, TimeoutError):
            async with session.get(url) as response:
                await response.read()

    connector = aiohttp.TCPConnector(force_close=True, limit=0, use_dns_cache=False)
    async with aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=5)
    ) as session:
        print(json.dumps({"ready": True}), flush=True)
        due = loop.time()
        sent = 0
        while not stop.is_set():
            for _ in range(per_tick):
                task = asyncio.create_task(get(session, urls[sent % len(urls)]))
                pending.add(task)
                task.add_done_callback(pending.discard)
                sent += 1
            due += tick
            await asyncio.sleep(max(0.0, due - loop.time()))
        await asyncio.gather(*pending, return_exceptions=True)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.probe_fleet")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="the target fleet")
    serve.add_argument("--ports", type=int, default=FLEET_PORTS)
    floor = commands.add_parser("floor", help="a bare client, a fresh connection per GET")
    floor.add_argument("--rate", type=int, required=True)
    floor.add_argument("urls", nargs="+")
    args = parser.parse_args(argv)
    if args.command == "serve":
        asyncio.run(_serve(args.ports))
    else:
        asyncio.run(_floor(args.rate, args.urls))


if __name__ == "__main__":
    main(sys.argv[1:])

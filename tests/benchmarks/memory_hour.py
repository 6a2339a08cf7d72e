"""10,000 checks in one daemon for an hour: is memory flat, does probing keep up while scraped?

``python -m tests.benchmarks.memory_hour [--minutes 60] [--checks 10000] [--interval 60]``

The fleet of :mod:`.probe_fleet` serves every check; ``slawatch run`` probes them (a fresh
connection each, SQLite) and its ``/metrics`` is scraped every 10 s as Prometheus would. Each
minute one line: the daemon's RSS, its CPU, the probes served, the start lag's p99 over that
minute (from ``slawatch_scheduler_lag_seconds``) and the slowest scrape. At the end, the verdict
on the targets: RSS under 200 MB and flat (the last half-hour's highest within 5 % of the first
half-hour's after the first 5 minutes), p99 start lag under 250 ms every minute.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import aiohttp

from .probe_fleet import (
    PROMETHEUS_ACCEPT,
    cpu_seconds,
    histogram_buckets,
    histogram_quantile,
    rss_bytes,
    slawatch_config,
    target_urls,
)
from .test_probe_benchmark import fill_status_days, free_port

SCRAPE_EVERY = 10.0
RSS_TARGET = 200e6
LAG_TARGET = 0.25
WARM_UP_MINUTES = 5
REPO = Path(__file__).resolve().parents[2]


async def _scrape(session: aiohttp.ClientSession, url: str) -> tuple[str, float]:
    began = time.monotonic()
    async with session.get(url, headers={"Accept": PROMETHEUS_ACCEPT}) as response:
        text = await response.text()
    return text, time.monotonic() - began


async def hour(minutes: float, checks: int, interval: int, work: Path) -> int:
    fleet = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.benchmarks.probe_fleet", "serve",
        stdout=asyncio.subprocess.PIPE, cwd=REPO,
    )  # fmt: skip
    assert fleet.stdout is not None
    ports = json.loads(await fleet.stdout.readline())["ports"]
    listen = f"127.0.0.1:{free_port()}"
    config = work / "slawatch.yaml"
    config.write_text(
        slawatch_config(target_urls(ports, checks), interval, str(work / "s.db"), listen),
        encoding="utf-8",
    )
    await fill_status_days(config)
    log = (work / "slawatch.log").open("wb")
    daemon = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "monitor.cli", "run", "--config", str(config),
        stderr=log, cwd=REPO,
    )  # fmt: skip
    url = f"http://{listen}/metrics"
    failed: list[str] = []
    rss: list[float] = []
    try:
        async with aiohttp.ClientSession() as session:
            text = ""
            for _ in range(600):
                with contextlib.suppress(aiohttp.ClientError):
                    text, _ = await _scrape(session, url)
                    break
                await asyncio.sleep(0.1)
            if not text:
                raise SystemExit(f"slawatch did not start: see {work / 'slawatch.log'}")
            before = histogram_buckets(text, "slawatch_scheduler_lag_seconds")
            cpu = cpu_seconds(daemon.pid)
            end = time.monotonic() + minutes * 60
            minute = 0
            while time.monotonic() < end:
                minute += 1
                slowest = 0.0
                for _ in range(int(60 / SCRAPE_EVERY)):
                    await asyncio.sleep(SCRAPE_EVERY)
                    text, took = await _scrape(session, url)
                    slowest = max(slowest, took)
                after = histogram_buckets(text, "slawatch_scheduler_lag_seconds")
                p99 = histogram_quantile(0.99, before, after)
                now_cpu = cpu_seconds(daemon.pid)
                rss.append(rss_bytes(daemon.pid))
                print(
                    f"minute {minute}: RSS {rss[-1] / 1e6:.0f} MB, CPU {now_cpu - cpu:.1f} s, "
                    f"start lag p99 {p99 * 1000:.0f} ms, slowest scrape {slowest:.2f} s",
                    flush=True,
                )
                if p99 >= LAG_TARGET:
                    failed.append(f"minute {minute}: p99 start lag {p99 * 1000:.0f} ms")
                before, cpu = after, now_cpu
    finally:
        for process in (daemon, fleet):
            process.send_signal(signal.SIGTERM)
            await process.wait()
        log.close()
    settled = rss[WARM_UP_MINUTES:]
    half = len(settled) // 2
    if settled and max(rss) >= RSS_TARGET:
        failed.append(f"RSS reached {max(rss) / 1e6:.0f} MB")
    if half and max(settled[half:]) > 1.05 * max(settled[:half]):
        failed.append(
            f"RSS grew: {max(settled[:half]) / 1e6:.0f} MB in the first half, "
            f"{max(settled[half:]) / 1e6:.0f} MB in the second"
        )
    print("verdict: " + ("; ".join(failed) if failed else "met"), flush=True)
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.memory_hour")
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--checks", type=int, default=10_000)
    parser.add_argument("--interval", type=int, default=60)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="slawatch-hour-") as work:
        return asyncio.run(hour(args.minutes, args.checks, args.interval, Path(work)))


if __name__ == "__main__":
    sys.exit(main())

"""The soak run: the private store, the targets, the daemon, the script, the samples, the verdict.

See the package's docstring for what it does; this module runs it and prints the summary.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

from ..probe_fleet import PROMETHEUS_ACCEPT, cpu_seconds, rss_bytes
from .cluster import Cluster
from .plan import Plan, make_plan, service_name
from .verdict import (
    Health,
    Interval,
    Scrape,
    StoredResult,
    StoreRestart,
    log_problems,
    match_results,
    memory_verdict,
    outage_verdict,
    read_requests,
    read_store,
    spool_figures,
)

__all__ = ["Settings", "soak"]

REPO = Path(__file__).resolve().parents[3]
VANTAGE = "soak"
DATABASE = "slawatch"
SERVICES = 200
CHECKS_PER_SERVICE = 10
INTERVAL = 10.0
RETRY = 1.0
CONFIRM = 2
FLEET_PORTS = 8
#: Results the writer holds in memory before the spool files take them: ten seconds of
#: probes, so that each store restart really goes through the spool.
MAX_MEMORY = 2_000
#: A backlog this small with an empty spool is the writer's ordinary second of results.
STEADY_QUEUE = 1_000
#: RSS and /metrics every this many seconds, /healthz every POLL_EVERY.
SAMPLE_EVERY = 10.0
POLL_EVERY = 2.0
#: What a scrape may take, as Prometheus' default scrape_timeout.
SCRAPE_TIMEOUT = 10.0
#: Seconds the daemon has to become healthy, and to exit after SIGTERM.
START_DEADLINE = 120.0
STOP_DEADLINE = 60.0
#: The unlabelled series kept from each scrape.
KEPT = (
    "slawatch_store_queue_depth",
    "slawatch_store_spool_depth",
    "slawatch_store_spilled_total",
    "slawatch_store_write_errors_total",
    "slawatch_store_dropped_total",
    "slawatch_probes_late_total",
    "slawatch_probes_in_flight",
    "slawatch_checks",
)
_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*) (\S+)")


@dataclass(frozen=True)
class Settings:
    minutes: float
    seed: int
    workdir: Path | None
    keep: bool


@dataclass
class Observed:
    """Everything sampled while the run went on (instants are Unix time)."""

    origin: float = 0.0
    stop_at: float = 0.0
    exit_code: int | None = None
    stopped_in: float = 0.0
    cpu: float = 0.0
    rss: list[tuple[float, int]] = field(default_factory=list)
    scrapes: list[Scrape] = field(default_factory=list)
    health: list[Health] = field(default_factory=list)
    restarts: list[StoreRestart] = field(default_factory=list)
    switches: list[dict[str, Any]] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def tree() -> str:
    """The commit measured, and whether the daemon's code differs from it."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "monitor", "sla"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "not a git checkout"
    return f"{head}{' with uncommitted changes in monitor/ or sla/' if dirty else ''}"


def config_text(store: str, listen: str, spool: Path, ports: Sequence[int]) -> str:
    lines = [
        f"vantage: {VANTAGE}",
        f"store: {store}",
        f'http: {{listen: "{listen}"}}',
        "log: {format: json, level: info}",
        f"spool: {{max_memory: {MAX_MEMORY}, directory: '{spool}'}}",
        "contracts: {c: {currency: EUR, daily_fee: 10}}",
        "services:",
    ]
    k = 0
    for s in range(SERVICES):
        service = service_name(s)
        checks = []
        for c in range(CHECKS_PER_SERVICE):
            url = f"http://127.0.0.1:{ports[k % len(ports)]}/{service}/c{c}"
            checks.append(
                f"{{name: c{c}, type: http, url: '{url}', interval: {INTERVAL:g}s,"
                f" retry_interval: {RETRY:g}s, confirm: {CONFIRM}}}"
            )
            k += 1
        lines.append(f"  - {{name: {service}, contract: c, frontend: [{', '.join(checks)}]}}")
    return "\n".join(lines) + "\n"


def say(text: str) -> None:
    print(text, flush=True)


def clock(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%H:%M:%S")


async def until(at: float) -> None:
    """Sleep until the Unix time ``at``."""
    await asyncio.sleep(max(0.0, at - time.time()))


async def stop_process(process: asyncio.subprocess.Process, deadline: float) -> None:
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), deadline)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()


@contextlib.asynccontextmanager
async def fleet(work: Path) -> AsyncIterator[tuple[list[int], str]]:
    """The targets' process: its ports and its control address."""
    with (work / "fleet.log").open("ab") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.benchmarks.soak.fleet",
            "--ports",
            str(FLEET_PORTS),
            "--out",
            str(work),
            stdout=asyncio.subprocess.PIPE,
            stderr=log,
            cwd=REPO,
            start_new_session=True,
        )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 30)
        if not line:
            raise RuntimeError(f"the targets did not start: see {work / 'fleet.log'}")
        found = json.loads(line)
        yield found["ports"], f"http://127.0.0.1:{found['control']}"
    finally:
        await stop_process(process, 30)


def tail(log: Path) -> str:
    """The end of a process's log, for a failure's message."""
    return log.read_text(errors="replace")[-2000:]


async def wait_healthy(
    session: aiohttp.ClientSession, base: str, daemon: asyncio.subprocess.Process, log: Path
) -> None:
    end = time.monotonic() + START_DEADLINE
    while time.monotonic() < end:
        if daemon.returncode is not None:
            raise RuntimeError(f"the daemon exited {daemon.returncode} at start:\n{tail(log)}")
        with contextlib.suppress(aiohttp.ClientError, TimeoutError):
            async with session.get(f"{base}/healthz") as response:
                if response.status == 200:
                    return
        await asyncio.sleep(0.5)
    raise RuntimeError(f"the daemon was not healthy within {START_DEADLINE:.0f} s: see {log}")


async def scrape(session: aiohttp.ClientSession, base: str) -> Scrape:
    began = time.time()
    try:
        async with session.get(
            f"{base}/metrics",
            headers={"Accept": PROMETHEUS_ACCEPT},
            timeout=aiohttp.ClientTimeout(total=SCRAPE_TIMEOUT),
        ) as response:
            text = await response.text()
            status = response.status
    except (aiohttp.ClientError, TimeoutError) as error:
        return Scrape(began, 0, time.time() - began, 0, error=repr(error))
    seconds = time.time() - began
    values: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith(KEPT):
            match = _SAMPLE.match(line)
            if match is not None and match[1] in KEPT:
                values[match[1]] = float(match[2])
    return Scrape(began, status, seconds, len(text), values)


async def poll_health(session: aiohttp.ClientSession, base: str) -> Health:
    at = time.time()
    try:
        async with session.get(
            f"{base}/healthz", timeout=aiohttp.ClientTimeout(total=5)
        ) as response:
            body = await response.json()
            return Health(
                at,
                response.status,
                int(body.get("store_queue_depth", 0)),
                int(body.get("store_spool_depth", 0)),
                tuple(str(p) for p in body.get("problems", [])),
            )
    except (aiohttp.ClientError, TimeoutError, ValueError) as error:
        return Health(at, 0, 0, 0, (repr(error),))


async def sample(
    session: aiohttp.ClientSession,
    base: str,
    daemon: asyncio.subprocess.Process,
    observed: Observed,
    end: float,
) -> None:
    """RSS and a scrape every SAMPLE_EVERY seconds from the origin, a progress line a minute;
    until the end, or until the daemon exits of itself (the verdict then says so)."""
    k = 0
    while (at := observed.origin + k * SAMPLE_EVERY) <= end:
        await until(at)
        if daemon.returncode is not None:
            say(f"  {clock(time.time())} the daemon exited by itself: {daemon.returncode}")
            return
        observed.rss.append((time.time(), rss_bytes(daemon.pid)))
        observed.scrapes.append(await scrape(session, base))
        if k % 6 == 0:
            last = observed.scrapes[-1]
            queue = last.values.get("slawatch_store_queue_depth", math.nan)
            spool = last.values.get("slawatch_store_spool_depth", math.nan)
            say(
                f"  {clock(at)} +{k * SAMPLE_EVERY / 60:4.0f} min: RSS"
                f" {observed.rss[-1][1] / 2**20:.1f} MiB, /metrics {last.status or last.error}"
                f" in {last.seconds:.2f} s, queue {queue:,.0f}, spool {spool:,.0f}"
            )
        k += 1


async def poll(session: aiohttp.ClientSession, base: str, observed: Observed, end: float) -> None:
    k = 0
    while (at := observed.origin + k * POLL_EVERY) <= end:
        await until(at)
        observed.health.append(await poll_health(session, base))
        k += 1


async def restart_store(cluster: Cluster, plan: Plan, observed: Observed) -> None:
    for planned in plan.restarts:
        await until(observed.origin + planned.at)
        restart = StoreRestart(stopping=time.time())
        await cluster.stop("fast")
        restart.stopped = time.time()
        say(f"  {clock(restart.stopped)} PostgreSQL stopped; {planned.down:.0f} s until its start")
        await until(restart.stopped + planned.down)
        restart.starting = time.time()
        await cluster.start()
        restart.started = time.time()
        say(f"  {clock(restart.started)} PostgreSQL started again")
        observed.restarts.append(restart)


async def create_database(cluster: Cluster) -> None:
    conn = await asyncpg.connect(cluster.url("postgres"), timeout=10)
    try:
        await conn.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await conn.close()


async def run(settings: Settings, work: Path, cluster: Cluster, plan: Plan) -> Observed:
    """Start everything, follow the script, stop the daemon; what was seen."""
    observed = Observed()
    await cluster.create()
    await cluster.start()
    await create_database(cluster)
    listen = f"127.0.0.1:{free_port()}"
    base = f"http://{listen}"
    async with fleet(work) as (ports, control), aiohttp.ClientSession() as session:
        config = work / "slawatch.yaml"
        config.write_text(config_text(cluster.url(DATABASE), listen, work / "spool", ports))
        log = work / "slawatch.log"
        with log.open("ab") as sink:
            daemon = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "monitor.cli",
                "run",
                "--config",
                str(config),
                stdout=asyncio.subprocess.DEVNULL,
                stderr=sink,
                cwd=REPO,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
                start_new_session=True,
            )
        try:
            await wait_healthy(session, base, daemon, log)
            observed.origin = time.time()
            cpu = cpu_seconds(daemon.pid)
            body = {
                "origin": observed.origin,
                "outages": [asdict(outage) for outage in plan.outages],
            }
            async with session.post(f"{control}/script", json=body) as response:
                response.raise_for_status()
            say(f"  {clock(observed.origin)} the daemon is healthy: the script starts")
            end = observed.origin + plan.seconds
            await asyncio.gather(
                sample(session, base, daemon, observed, end),
                poll(session, base, observed, end),
                restart_store(cluster, plan, observed),
            )
            await until(end)
            observed.stop_at = time.time()
            if daemon.returncode is None:
                observed.cpu = cpu_seconds(daemon.pid) - cpu
                daemon.send_signal(signal.SIGTERM)
                try:
                    observed.exit_code = await asyncio.wait_for(daemon.wait(), STOP_DEADLINE)
                except TimeoutError:
                    say(f"  the daemon did not exit within {STOP_DEADLINE:.0f} s of SIGTERM")
                observed.stopped_in = time.time() - observed.stop_at
            async with session.get(f"{control}/switches") as response:
                observed.switches = await response.json()
        finally:
            if daemon.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    daemon.kill()
                await daemon.wait()
    return observed


def mib(size: float) -> str:
    return f"{size / 2**20:.1f} MiB"


def spread(values: Sequence[float], unit: str = "s", scale: float = 1.0) -> str:
    if not values:
        return "none"
    ordered = sorted(v * scale for v in values)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return (
        f"min {ordered[0]:.2f} {unit}, median {statistics.median(ordered):.2f} {unit},"
        f" p99 {p99:.2f} {unit}, max {ordered[-1]:.2f} {unit}"
    )


@dataclass
class Verdict:
    """The verdicts (name, passed, figures) and the figures kept in summary.json."""

    checks: list[tuple[str, bool, str]] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)

    def add(self, name: str, ok: bool, figure: str) -> None:
        self.checks.append((name, ok, figure))

    @property
    def passed(self) -> bool:
        return all(ok for _, ok, _ in self.checks)


def judge_log(verdict: Verdict, observed: Observed, log: str) -> None:
    crashes, levels, other = log_problems(log)
    verdict.add(
        "no crash",
        observed.exit_code == 0 and not crashes,
        f"exit {observed.exit_code} {observed.stopped_in:.1f} s after SIGTERM;"
        f" {len(crashes)} tracebacks or critical lines; {len(other)} lines not JSON",
    )
    for line in crashes[:5] + other[:5]:
        say(f"    {line[:300]}")
    say(f"    the daemon's warnings and errors: {dict(levels) or 'none'}")


def judge_results(
    verdict: Verdict,
    observed: Observed,
    served: dict[str, list[tuple[float, int]]],
    stored: dict[str, list[StoredResult]],
) -> None:
    down = [(r.stopping, r.started) for r in observed.restarts]
    results = match_results(served, stored, observed.stop_at, down)
    lost = len(results.lost) - results.at_edge
    verdict.add(
        "no result lost",
        results.ok,
        f"{results.served:,} probes served, {results.stored:,} results stored,"
        f" {results.matched:,} matched; lost {lost:,} (and {results.at_edge} in flight at the"
        f" stop); {results.while_down:,} probed while PostgreSQL was down,"
        f" {results.while_down_stored:,} of them stored; status disagreeing"
        f" {sum(results.disagree.values())}",
    )
    for check, at, status in results.lost[:10]:
        say(f"    lost: {check} served {status} at {datetime.fromtimestamp(at, UTC).isoformat()}")
    for (status, outcome), count in results.disagree.most_common(10):
        say(f"    served {status}, stored {outcome}: {count}")
    say(
        f"    stored outcomes of served probes: {dict(results.outcomes)}; results with no"
        f" request served: {dict(results.unserved) or 'none'}"
    )
    say(f"    from a probe's start to its request served: {spread(results.delays, 'ms', 1000)}")
    verdict.figures.update(
        probes_served=results.served,
        results_stored=results.stored,
        results_lost=lost,
        in_flight_at_stop=results.at_edge,
        probed_while_store_down=results.while_down,
        probed_while_store_down_stored=results.while_down_stored,
    )


def judge_outages(
    verdict: Verdict, plan: Plan, observed: Observed, intervals: list[Interval]
) -> None:
    outages = outage_verdict(
        plan, observed.origin, observed.switches, intervals, interval=INTERVAL, retry=RETRY
    )
    good = sum(m.ok for m in outages.measured)
    starts = [m.start_error for m in outages.measured if m.start_error is not None]
    ends = [m.end_error for m in outages.measured if m.end_error is not None]
    verdict.add(
        "every scripted outage measured",
        outages.ok,
        f"{good} of {len(outages.measured)} within bounds; {len(outages.unscripted)} unscripted"
        f" outages; start error {spread(starts)}; end error {spread(ends)}",
    )
    for m in outages.measured:
        found = (
            f"measured, start {m.start_error:+.2f} s, end {m.end_error:+.2f} s"
            if m.start_error is not None and m.end_error is not None
            else f"{len(m.intervals)} outage intervals"
        )
        say(
            f"    {m.service} {clock(m.true_start)}-{clock(m.true_end)}"
            f" ({m.true_end - m.true_start:5.1f} s, {m.why}): {found}"
            + ("" if m.ok else "  <-- FAILED")
        )
    for interval in outages.unscripted[:10]:
        say(f"    unscripted outage: {interval}")
    say(f"    intervals stored, by kind: {dict(outages.counts)}")
    if outages.stray:
        say(f"    other evidence outside every scripted span: {len(outages.stray)}")
        for interval in outages.stray[:10]:
            say(f"      {interval}")
    verdict.figures.update(
        scripted_outages=len(outages.measured),
        outages_measured=good,
        unscripted_outages=len(outages.unscripted),
        stray_evidence=len(outages.stray),
        outage_start_error_s=[round(min(starts, default=0), 2), round(max(starts, default=0), 2)],
        outage_end_error_s=[round(min(ends, default=0), 2), round(max(ends, default=0), 2)],
    )


def judge_memory(verdict: Verdict, plan: Plan, observed: Observed) -> None:
    if not observed.rss or observed.rss[-1][0] - observed.origin < plan.seconds * 0.9:
        verdict.add("memory flat", False, f"RSS sampled {len(observed.rss)} times only")
        return
    memory = memory_verdict(observed.rss, observed.origin, plan.seconds)
    verdict.add(
        "memory flat",
        memory.ok,
        f"RSS at start {mib(memory.start)}, at {memory.baseline_at / 60:.0f} min"
        f" {mib(memory.baseline)}, at the end {mib(memory.end)} ({memory.growth:+.1%}),"
        f" peak {mib(memory.peak)}; slope over the last {memory.window / 60:.0f} min"
        f" {memory.slope_per_hour / 2**20:+.2f} MiB/h ({memory.slope_growth:+.1%} over it)",
    )
    verdict.figures["rss_mib"] = {
        "start": round(memory.start / 2**20, 1),
        "baseline": round(memory.baseline / 2**20, 1),
        "baseline_minute": round(memory.baseline_at / 60),
        "end": round(memory.end / 2**20, 1),
        "peak": round(memory.peak / 2**20, 1),
        "slope_mib_per_hour": round(memory.slope_per_hour / 2**20, 2),
    }
    cores = observed.cpu / plan.seconds
    say(f"    the daemon's CPU: {observed.cpu:.0f} s, {cores:.2f} cores on average")
    verdict.figures["cpu_cores"] = round(cores, 3)


def judge_scrapes(verdict: Verdict, observed: Observed) -> None:
    failed = [s for s in observed.scrapes if s.status != 200]
    verdict.add(
        "every scrape answered",
        not failed,
        f"{len(observed.scrapes)} scrapes, {len(failed)} failed; size"
        f" {max((s.size for s in observed.scrapes), default=0) / 1000:,.0f} kB; time"
        f" {spread([s.seconds for s in observed.scrapes if s.status == 200])}",
    )
    for s in failed[:5]:
        say(f"    scrape at {clock(s.at)}: {s.status} {s.error}")
    last = next((s for s in reversed(observed.scrapes) if s.status == 200), None)
    if last is None:
        return
    dropped = last.values.get("slawatch_store_dropped_total", 0.0)
    say(
        f"    last scrape: {last.values.get('slawatch_store_write_errors_total', 0):.0f}"
        f" failed store writes, {last.values.get('slawatch_store_spilled_total', 0):,.0f}"
        f" results spilled to the spool, {dropped:.0f} dropped,"
        f" {last.values.get('slawatch_probes_late_total', 0):,.0f} probes late"
    )
    verdict.figures["spilled"] = last.values.get("slawatch_store_spilled_total", 0.0)
    verdict.figures["probes_late"] = last.values.get("slawatch_probes_late_total", 0.0)
    verdict.add("no result dropped", dropped == 0, f"{dropped:.0f} dropped")


def judge_restarts(verdict: Verdict, plan: Plan, observed: Observed) -> None:
    restarts = []
    for n, restart in enumerate(observed.restarts, 1):
        spool = spool_figures(restart, observed.health, steady=STEADY_QUEUE)
        held = (
            "never used" if spool.spool_held is None else f"held results {spool.spool_held:.0f} s"
        )
        drained = (
            "not drained"
            if spool.drained_after is None
            else f"backlog written {spool.drained_after:.0f} s after the start"
        )
        say(
            f"    restart {n}: down {spool.down:.0f} s ({clock(restart.stopping)} to"
            f" {clock(restart.started)}); the spool {held}, at most {spool.peak_spool:,} results;"
            f" queue at most {spool.peak_queue:,}; {drained}"
        )
        restarts.append(
            {
                "down_s": round(spool.down, 1),
                "spool_held_s": None if spool.spool_held is None else round(spool.spool_held),
                "peak_spool": spool.peak_spool,
                "peak_queue": spool.peak_queue,
                "drained_after_s": None
                if spool.drained_after is None
                else round(spool.drained_after),
            }
        )
    verdict.figures["store_restarts"] = restarts
    verdict.add(
        "PostgreSQL restarted as scripted",
        len(observed.restarts) == len(plan.restarts),
        f"{len(observed.restarts)} of {len(plan.restarts)}",
    )
    unhealthy = [h for h in observed.health if h.status != 200]
    say(f"    /healthz: {len(observed.health)} polls, {len(unhealthy)} not 200")
    for h in unhealthy[:5]:
        say(f"      {clock(h.at)} {h.status} {'; '.join(h.problems)[:200]}")


async def judge(
    settings: Settings,
    work: Path,
    cluster: Cluster,
    plan: Plan,
    observed: Observed,
    *,
    measured: str,
) -> Verdict:
    """The verdicts; ``measured`` is the tree the daemon was started from."""
    verdict = Verdict()
    verdict.figures.update(
        date=datetime.fromtimestamp(observed.origin, UTC).strftime("%Y-%m-%d"),
        tree=measured,
        minutes=plan.seconds / 60,
        seed=settings.seed,
        checks=SERVICES * CHECKS_PER_SERVICE,
        postgresql=cluster.version,
    )
    judge_log(verdict, observed, (work / "slawatch.log").read_text(errors="replace"))
    stored, intervals = await read_store(cluster.url(DATABASE), VANTAGE)
    judge_results(verdict, observed, read_requests(work / "requests.log"), stored)
    judge_outages(verdict, plan, observed, intervals)
    judge_memory(verdict, plan, observed)
    judge_scrapes(verdict, observed)
    judge_restarts(verdict, plan, observed)
    verdict.figures["passed"] = verdict.passed
    return verdict


async def soak(settings: Settings) -> int:
    seconds = settings.minutes * 60
    plan = make_plan(seconds, SERVICES, settings.seed)
    work = settings.workdir or Path(tempfile.mkdtemp(prefix="slawatch-soak-"))
    work.mkdir(parents=True, exist_ok=True)
    # The cluster runs as its own user, who must reach its directory inside this one.
    work.chmod(0o755)
    cluster = Cluster(work, free_port())
    # Read before the daemon starts: commits made during the run are not what it runs.
    measured = tree()
    say(
        f"SOAK {SERVICES * CHECKS_PER_SERVICE:,} checks ({SERVICES} services x"
        f" {CHECKS_PER_SERVICE}, every {INTERVAL:g} s, retry {RETRY:g} s, confirm {CONFIRM}),"
        f" {settings.minutes:g} min, seed {settings.seed}, tree {measured}; PostgreSQL"
        f" {cluster.version} on port {cluster.port}; {len(plan.outages)} scripted outages,"
        f" {len(plan.restarts)} store restarts; work directory {work}"
    )
    try:
        observed = await run(settings, work, cluster, plan)
        verdict = await judge(settings, work, cluster, plan, observed, measured=measured)
    finally:
        await cluster.remove()
    (work / "summary.json").write_text(json.dumps(verdict.figures, indent=2) + "\n")
    say("SOAK verdict:")
    for name, ok, figure in verdict.checks:
        say(f"  {'PASS' if ok else 'FAIL'} {name}: {figure}")
    if verdict.passed and not settings.keep and settings.workdir is None:
        shutil.rmtree(work, ignore_errors=True)
    else:
        say(f"SOAK logs and summary.json kept in {work}")
    return 0 if verdict.passed else 1

"""What a probe costs: slawatch against blackbox_exporter driven by Prometheus, on one loopback
fleet, run on demand with ``./dev bench -k probe``. Figures are printed, never asserted as times.

Each size runs the two probers one after the other, never together, against the same fleet (a
process of its own, see :mod:`.probe_fleet`), each for a fixed window after a warm-up:

- blackbox_exporter's http_2xx module, a fresh connection per probe (its default), probed by
  Prometheus through ``/probe?target=...&module=http_2xx``, one scrape target per check, the
  scrape interval being the check's interval;
- ``slawatch run`` with the same checks as http checks (a fresh connection per probe, its
  default) in services of ten frontend checks, storing into SQLite, its /metrics scraped every
  10 s as Prometheus would (the daemon does the work of the scrape, so its CPU counts). Its
  store starts with the status page's closed days computed, as a daemon finds them once it has
  run before: a first start computes them in the background for a minute or more, one-off work
  that would otherwise fall into the window.

CPU is user plus system time from /proc over the window, of every thread of each process.
Probes are the requests the fleet served in the window, whoever made them. slawatch's start
lag comes from its ``slawatch_scheduler_lag_seconds`` histogram, the difference of its buckets
over the window. The floor is a bare aiohttp GET on a fresh connection at 1,000 a second.

The processes are not alone on the machine: the CPU the rest of it used during each window is
printed too, since it slows what is measured (lag, probes achieved), if not the CPU it costs.
A prober that achieved less than 95 % of its planned probes, or more than 1 % of whose scrapes
failed, was overloaded: the ratio is then printed as no valid comparison, since a prober whose
probes time out spends CPU on probes that never complete.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest

from monitor.config.settings import load_settings
from monitor.status.aggregates import fill_days
from monitor.store import open_store

from .probe_fleet import (
    CHECKS_PER_SERVICE,
    PROMETHEUS_ACCEPT,
    Reading,
    blackbox_config,
    counter_by_label,
    cpu_seconds,
    histogram_buckets,
    histogram_quantile,
    histogram_share_above,
    prometheus_config,
    read,
    rss_bytes,
    slawatch_config,
    target_urls,
)

REPO = Path(__file__).resolve().parents[2]
BLACKBOX = shutil.which("prometheus-blackbox-exporter") or shutil.which("blackbox_exporter")
PROMETHEUS = shutil.which("prometheus")
#: slawatch's /metrics is scraped this often, as a Prometheus job would.
SCRAPE_EVERY = 10.0
#: The most a prober may take to be ready, and to stop.
START_DEADLINE = 60.0
STOP_DEADLINE = 30.0
#: What slawatch aims for: at most this share of blackbox_exporter + Prometheus's CPU per
#: probe, and a p99 start lag under this.
TARGET_RATIO = 0.45
TARGET_P99_LAG = 0.250
#: A prober that achieved less than this share of the probes its checks ask for did not keep
#: up: its CPU per probe is that of an overloaded prober, not a figure to compare.
KEPT_UP = 0.95
#: blackbox_exporter + Prometheus are measured at most this many times, while overloaded.
BASELINE_ATTEMPTS = 2

needs_both = pytest.mark.skipif(
    BLACKBOX is None or PROMETHEUS is None,
    reason="needs prometheus-blackbox-exporter (or blackbox_exporter) and prometheus on PATH",
)


@dataclass(frozen=True)
class Size:
    """How many checks, how often, and how long each prober runs before and while measured."""

    checks: int
    interval: int
    warmup: float
    window: float

    @property
    def label(self) -> str:
        return f"{self.checks:,} checks every {self.interval} s"

    @property
    def planned(self) -> float:
        """Probes a second the checks ask for."""
        return self.checks / self.interval


@dataclass(frozen=True)
class Lag:
    """How late slawatch started its probes in the window: two quantiles, interpolated inside
    the histogram's buckets, and the exact share later than TARGET_P99_LAG (a bucket bound)."""

    p50: float
    p99: float
    late: float


@dataclass
class Measured:
    """One prober's window."""

    seconds: float
    probes: int
    cpu: dict[str, float]
    rss: dict[str, int]
    others: float
    lag: Lag | None = None
    outcomes: dict[str, float] = field(default_factory=dict)
    scrapes: Scraper | None = None
    #: The status page's days computed before the daemon started, and in how many seconds.
    filled: tuple[int, float] | None = None

    @property
    def rate(self) -> float:
        return self.probes / self.seconds

    def per_1000(self, *names: str) -> float:
        """CPU seconds per 1,000 probes of the processes ``names`` together."""
        return sum(self.cpu[name] for name in names) / self.probes * 1000


def report(name: str, figure: str) -> None:
    print(f"\nBENCH {name}: {figure}")


def mb(size: int) -> str:
    return f"{size / 2**20:.0f} MB"


def milliseconds(seconds: float) -> str:
    return "beyond 30 s" if math.isinf(seconds) else f"{seconds * 1000:.1f} ms"


def tree() -> str:
    """The commit measured, and whether the working tree of the daemon differs from it."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "monitor"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "not a git checkout"
    return f"{head}{' with uncommitted changes in monitor/' if dirty else ''}"


def version(binary: str) -> str:
    run = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False)
    return (run.stdout + run.stderr).splitlines()[0]


@dataclass
class Fleet:
    ports: list[int]
    control: str
    pid: int


async def _spawn(
    args: Sequence[str], log: Path, *, stdout: int = asyncio.subprocess.DEVNULL
) -> asyncio.subprocess.Process:
    with log.open("ab") as sink:
        return await asyncio.create_subprocess_exec(
            *args, stdout=stdout, stderr=sink, cwd=REPO, start_new_session=True
        )


async def _stop(process: asyncio.subprocess.Process) -> None:
    """SIGTERM, and SIGKILL if it has not exited by STOP_DEADLINE."""
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), STOP_DEADLINE)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()


@contextlib.asynccontextmanager
async def running(
    args: Sequence[str], log: Path, *, stdout: int = asyncio.subprocess.DEVNULL
) -> AsyncIterator[asyncio.subprocess.Process]:
    process = await _spawn(args, log, stdout=stdout)
    try:
        yield process
    finally:
        await _stop(process)


@contextlib.asynccontextmanager
async def fleet(tmp_path: Path) -> AsyncIterator[Fleet]:
    args = [sys.executable, "-m", "tests.benchmarks.probe_fleet", "serve"]
    async with running(args, tmp_path / "fleet.log", stdout=asyncio.subprocess.PIPE) as process:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), START_DEADLINE)
        assert line, _tail(tmp_path / "fleet.log")
        found = json.loads(line)
        yield Fleet(found["ports"], f"http://127.0.0.1:{found['control']}/served", process.pid)


def _tail(log: Path) -> str:
    """The end of a process's log, for a failure's message."""
    return log.read_text(errors="replace")[-2000:]


async def wait_ready(
    session: aiohttp.ClientSession, url: str, process: asyncio.subprocess.Process, log: Path
) -> float:
    """Poll ``url`` until it answers 200; the loop's time then."""
    loop = asyncio.get_running_loop()
    end = loop.time() + START_DEADLINE
    while loop.time() < end:
        assert process.returncode is None, _tail(log)
        with contextlib.suppress(aiohttp.ClientError):
            async with session.get(url) as response:
                if response.status == 200:
                    return loop.time()
        await asyncio.sleep(0.1)
    pytest.fail(f"{url} not ready within {START_DEADLINE:.0f} s: {_tail(log)}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Scraper:
    """Scrapes a daemon's /metrics as Prometheus does, noting what the scrapes in the window
    cost: the daemon's CPU while each ran, how long each took, how large it was."""

    url: str
    pid: int
    seconds: list[float] = field(default_factory=list)
    cpu: float = 0.0
    size: int = 0

    async def scrape(self, session: aiohttp.ClientSession, *, counted: bool) -> str:
        loop = asyncio.get_running_loop()
        cpu, began = cpu_seconds(self.pid), loop.time()
        headers = {"Accept": PROMETHEUS_ACCEPT}
        async with session.get(self.url, headers=headers) as response:
            assert response.status == 200
            text = await response.text()
        if counted:
            self.seconds.append(loop.time() - began)
            self.cpu += cpu_seconds(self.pid) - cpu
            self.size = len(text)
        return text


async def measure(
    session: aiohttp.ClientSession,
    size: Size,
    pids: dict[str, int],
    control: str,
    started: float,
    *,
    scraper: Scraper | None = None,
) -> tuple[Measured, str, str]:
    """Wait out the warm-up from ``started``, then measure ``pids`` for the window. With a
    ``scraper``, scrape every SCRAPE_EVERY seconds from ``started`` on, the window beginning
    just after one scrape and ending just after another, whose texts are returned."""
    loop = asyncio.get_running_loop()
    scrapes = round(size.warmup / SCRAPE_EVERY)
    begin = started + scrapes * SCRAPE_EVERY if scraper else started + size.warmup
    first = last = ""

    async def until(instant: float) -> None:
        await asyncio.sleep(max(0.0, instant - loop.time()))

    if scraper:
        for k in range(scrapes):
            await until(started + k * SCRAPE_EVERY)
            await scraper.scrape(session, counted=False)
    await until(begin)
    if scraper:
        first = await scraper.scrape(session, counted=False)
    own = cpu_seconds_of_self()
    before = await read(pids, control, session)
    if scraper:
        for k in range(1, round(size.window / SCRAPE_EVERY) + 1):
            await until(begin + k * SCRAPE_EVERY)
            last = await scraper.scrape(session, counted=True)
    else:
        await until(begin + size.window)
    after = await read(pids, control, session)
    rss = {name: rss_bytes(pid) for name, pid in pids.items()}
    own = cpu_seconds_of_self() - own
    return _measured(before, after, rss, own), first, last


def cpu_seconds_of_self() -> float:
    return cpu_seconds(os.getpid())


def _measured(before: Reading, after: Reading, rss: dict[str, int], own: float) -> Measured:
    cpu = {name: after.cpu[name] - before.cpu[name] for name in before.cpu}
    seconds = after.at - before.at
    # What the rest of the machine kept busy, in cores: neither these processes nor this one.
    others = (after.busy - before.busy - sum(cpu.values()) - own) / seconds
    return Measured(seconds, after.served - before.served, cpu, rss, max(0.0, others))


def write_files(directory: Path, files: dict[str, str]) -> None:
    """Make ``directory`` and write ``files`` (name: text) into it."""
    directory.mkdir(parents=True)
    for name, text in files.items():
        (directory / name).write_text(text)


async def run_blackbox(
    session: aiohttp.ClientSession, size: Size, fleet: Fleet, work: Path
) -> Measured:
    assert BLACKBOX is not None
    assert PROMETHEUS is not None
    exporter_port, prometheus_port = free_port(), free_port()
    urls = target_urls(fleet.ports, size.checks)
    exporter = f"127.0.0.1:{exporter_port}"
    write_files(
        work,
        {
            "blackbox.yml": blackbox_config(),
            "prometheus.yml": prometheus_config(urls, size.interval, exporter),
        },
    )
    exporter_args = [
        BLACKBOX,
        f"--config.file={work / 'blackbox.yml'}",
        f"--web.listen-address={exporter}",
    ]
    prometheus_args = [
        PROMETHEUS,
        f"--config.file={work / 'prometheus.yml'}",
        f"--storage.tsdb.path={work / 'data'}",
        f"--web.listen-address=127.0.0.1:{prometheus_port}",
    ]
    async with (
        running(exporter_args, work / "blackbox.log") as exporter_process,
        running(prometheus_args, work / "prometheus.log") as prometheus_process,
    ):
        await wait_ready(
            session, f"http://{exporter}/metrics", exporter_process, work / "blackbox.log"
        )
        prometheus = f"http://127.0.0.1:{prometheus_port}"
        started = await wait_ready(
            session, f"{prometheus}/-/ready", prometheus_process, work / "prometheus.log"
        )
        pids = {
            "exporter": exporter_process.pid,
            "prometheus": prometheus_process.pid,
            "fleet": fleet.pid,
        }
        measured, _, _ = await measure(session, size, pids, fleet.control, started)
        # What Prometheus recorded over the window: the scrapes it made, those that failed (the
        # exporter did not answer in time), and the probes the exporter reported failed.
        span = f"[{size.window:.0f}s]"
        for outcome, query in (
            ("scrapes", f"sum(count_over_time(up{span}))"),
            ("scrapes failed", f"sum(count_over_time(up{span})) - sum(sum_over_time(up{span}))"),
            (
                "probes failed",
                f"sum(count_over_time(probe_success{span}))"
                f" - sum(sum_over_time(probe_success{span}))",
            ),
        ):
            async with session.get(f"{prometheus}/api/v1/query", params={"query": query}) as r:
                result = (await r.json())["data"]["result"]
            measured.outcomes[outcome] = float(result[0]["value"][1]) if result else 0.0
    return measured


async def fill_status_days(config: Path) -> tuple[int, float]:
    """Compute the status page's closed days into the store before the daemon starts, as a
    daemon that has run before finds them: a first start computes them in the background for
    a minute or more (a few days a round), work that is done once and is no cost of probing.
    Returns the days computed (for every service) and the seconds it took."""
    settings = load_settings(config)
    store = open_store(settings.store)
    await store.open()
    began = time.perf_counter()
    try:
        days = 0
        while done := await fill_days(
            store, settings, datetime.now(UTC), max_days=settings.status_page.history_days
        ):
            days += done
    finally:
        await store.close()
    return days, time.perf_counter() - began


async def run_slawatch(
    session: aiohttp.ClientSession, size: Size, fleet: Fleet, tmp_path: Path
) -> Measured:
    work = tmp_path / "slawatch"
    listen = f"127.0.0.1:{free_port()}"
    urls = target_urls(fleet.ports, size.checks)
    config = work / "slawatch.yaml"
    write_files(
        work,
        {config.name: slawatch_config(urls, size.interval, str(work / "slawatch.db"), listen)},
    )
    days, filled_in = await fill_status_days(config)
    args = [sys.executable, "-m", "monitor.cli", "run", "--config", str(config)]
    log = work / "slawatch.log"
    async with running(args, log) as daemon:
        started = await wait_ready(session, f"http://{listen}/metrics", daemon, log)
        pids = {"slawatch": daemon.pid, "fleet": fleet.pid}
        scraper = Scraper(f"http://{listen}/metrics", daemon.pid)
        measured, first, last = await measure(
            session, size, pids, fleet.control, started, scraper=scraper
        )
    measured.scrapes = scraper
    measured.filled = (days, filled_in)
    before = histogram_buckets(first, "slawatch_scheduler_lag_seconds")
    after = histogram_buckets(last, "slawatch_scheduler_lag_seconds")
    measured.lag = Lag(
        histogram_quantile(0.5, before, after),
        histogram_quantile(0.99, before, after),
        histogram_share_above(TARGET_P99_LAG, before, after),
    )
    early = counter_by_label(first, "slawatch_probes", "outcome")
    late = counter_by_label(last, "slawatch_probes", "outcome")
    measured.outcomes = {o: late[o] - early.get(o, 0.0) for o in late if late[o] != early.get(o)}
    return measured


def overloaded(size: Size, who: str, measured: Measured) -> list[str]:
    """Why ``measured`` is the figure of an overloaded prober, if it is."""
    found = []
    if measured.rate < KEPT_UP * size.planned:
        found.append(
            f"{who} did not keep up ({measured.rate:,.0f} probes/s of {size.planned:,.0f})"
        )
    failing = measured.outcomes.get("scrapes failed", 0.0)
    if failing > 0.01 * measured.outcomes.get("scrapes", 0.0):
        found.append(f"{failing:,.0f} of Prometheus' scrapes failed")
    return found


async def compare(size: Size, tmp_path: Path) -> tuple[Measured, Measured]:
    """Both probers on one fleet, blackbox_exporter + Prometheus first. Once overloaded they do
    not recover (a probe that times out leaves work behind while the next ones start), which a
    burst of other work on the machine can bring about: then they are measured once more, from
    a fresh start, and the first attempt printed."""
    async with fleet(tmp_path) as targets, aiohttp.ClientSession() as session:
        for attempt in range(1, BASELINE_ATTEMPTS + 1):
            blackbox = await run_blackbox(session, size, targets, tmp_path / f"blackbox{attempt}")
            problems = overloaded(size, "blackbox_exporter + Prometheus", blackbox)
            if not problems or attempt == BASELINE_ATTEMPTS:
                break
            report(
                f"probe {size.label}, blackbox_exporter + Prometheus, attempt {attempt}",
                f"{blackbox.per_1000('exporter', 'prometheus'):.3f} CPU s per 1,000 probes,"
                f" {blackbox.rate:,.0f} probes/s, overloaded: {'; '.join(problems)}; the rest of"
                f" the machine {blackbox.others:.2f} cores busy; measured again from a fresh start",
            )
        slawatch = await run_slawatch(session, size, targets, tmp_path)
    return blackbox, slawatch


def report_pair(size: Size, blackbox: Measured, slawatch: Measured) -> None:
    assert BLACKBOX is not None
    assert PROMETHEUS is not None
    name = f"probe {size.label}"
    report(
        f"{name}, setup",
        f"tree {tree()}; {version(BLACKBOX)}; {version(PROMETHEUS)}; warm-up"
        f" {size.warmup:.0f} s, window {size.window:.0f} s",
    )
    both = blackbox.per_1000("exporter", "prometheus")
    report(
        f"{name}, blackbox_exporter + Prometheus",
        f"{both:.3f} CPU s per 1,000 probes (exporter {blackbox.per_1000('exporter'):.3f},"
        f" Prometheus {blackbox.per_1000('prometheus'):.3f}); {blackbox.rate:,.0f} probes/s of"
        f" {size.planned:,.0f} planned; RSS exporter {mb(blackbox.rss['exporter'])},"
        f" Prometheus {mb(blackbox.rss['prometheus'])}; Prometheus saw {_outcomes(blackbox)};"
        f" fleet {blackbox.per_1000('fleet'):.3f} CPU s per 1,000; rest of the machine"
        f" {blackbox.others:.2f} cores busy",
    )
    assert slawatch.lag is not None
    assert slawatch.scrapes is not None
    lag = slawatch.lag
    own = slawatch.per_1000("slawatch")
    scrapes = slawatch.scrapes
    report(
        f"{name}, slawatch",
        f"{own:.3f} CPU s per 1,000 probes; {slawatch.rate:,.0f} probes/s of"
        f" {size.planned:,.0f} planned; RSS {mb(slawatch.rss['slawatch'])}; start lag p50"
        f" {milliseconds(lag.p50)}, p99 {milliseconds(lag.p99)}, {lag.late:.2%} later than"
        f" {TARGET_P99_LAG * 1000:.0f} ms; its own count of outcomes {_outcomes(slawatch)};"
        f" fleet {slawatch.per_1000('fleet'):.3f} CPU s per 1,000; rest of the machine"
        f" {slawatch.others:.2f} cores busy",
    )
    # The daemon keeps probing while a scrape runs: what a scrape costs is the CPU it used then
    # beyond its rate between scrapes.
    during, spent = scrapes.cpu, sum(scrapes.seconds)
    between = (slawatch.cpu["slawatch"] - during) / max(slawatch.seconds - spent, 1e-9)
    extra = max(0.0, during - between * spent)
    assert slawatch.filled is not None
    days, filled_in = slawatch.filled
    services = math.ceil(size.checks / CHECKS_PER_SERVICE)
    report(
        f"{name}, slawatch status page days",
        f"{days} closed days of {services:,} services computed into the store before the daemon"
        f" started, in {filled_in:.1f} s (a first start's one-off work, left out of the window)",
    )
    report(
        f"{name}, slawatch /metrics",
        f"{len(scrapes.seconds)} scrapes in the window, {scrapes.size / 1000:,.0f} kB each"
        f" (uncompressed), {spent / len(scrapes.seconds):.2f} s on average; about"
        f" {extra / len(scrapes.seconds):.2f} CPU s a scrape beyond the daemon's rate between"
        f" scrapes, {extra / slawatch.cpu['slawatch']:.0%} of its CPU in the window",
    )
    ratio = own / both
    lagging = overloaded(size, "blackbox_exporter + Prometheus", blackbox)
    lagging += overloaded(size, "slawatch", slawatch)
    verdict = (
        f"not a valid comparison: {'; '.join(lagging)}"
        if lagging
        else f"target at most {TARGET_RATIO}: {'met' if ratio <= TARGET_RATIO else 'not met'}"
    )
    report(
        f"{name}, slawatch / (blackbox_exporter + Prometheus)",
        f"{ratio:.3f} CPU per probe ({verdict}); p99 start lag {milliseconds(lag.p99)},"
        f" {lag.late:.2%} of probes later than {TARGET_P99_LAG * 1000:.0f} ms (target: p99"
        f" under it, {'met' if lag.late < 0.01 else 'not met'})",
    )


def _outcomes(measured: Measured) -> str:
    return ", ".join(f"{k} {v:,.0f}" for k, v in sorted(measured.outcomes.items())) or "none"


def _check_ran(size: Size, blackbox: Measured, slawatch: Measured) -> None:
    """Both probers probed, and slawatch's lag histogram saw the window's probes."""
    for measured in (blackbox, slawatch):
        assert measured.probes > 0
    assert slawatch.lag is not None
    assert not math.isnan(slawatch.lag.p50)
    assert sum(slawatch.outcomes.values()) > 0, size


@needs_both
@pytest.mark.timeout(240)
async def test_probe_cost_1000_checks_every_second(tmp_path: Path) -> None:
    """1,000 checks every second: about 1,000 probes a second."""
    size = Size(1_000, 1, warmup=10.0, window=30.0)
    blackbox, slawatch = await compare(size, tmp_path)
    report_pair(size, blackbox, slawatch)
    _check_ran(size, blackbox, slawatch)


@needs_both
@pytest.mark.timeout(300)
async def test_probe_cost_10000_checks_every_minute(tmp_path: Path) -> None:
    """10,000 checks every minute: about 167 probes a second, and a large /metrics."""
    size = Size(10_000, 60, warmup=20.0, window=60.0)
    blackbox, slawatch = await compare(size, tmp_path)
    report_pair(size, blackbox, slawatch)
    _check_ran(size, blackbox, slawatch)


@pytest.mark.timeout(120)
async def test_probe_floor_bare_aiohttp(tmp_path: Path) -> None:
    """The floor: a bare aiohttp GET on a fresh connection, 1,000 a second, nothing else."""
    size = Size(1_000, 1, warmup=3.0, window=20.0)
    async with fleet(tmp_path) as targets, aiohttp.ClientSession() as session:
        urls = target_urls(targets.ports, len(targets.ports))
        args = [sys.executable, "-m", "tests.benchmarks.probe_fleet", "floor", "--rate"]
        log = tmp_path / "floor.log"
        async with running([*args, str(size.checks), *urls], log) as client:
            started = asyncio.get_running_loop().time()
            pids = {"client": client.pid, "fleet": targets.pid}
            measured, _, _ = await measure(session, size, pids, targets.control, started)
    assert client.returncode is not None
    report(
        "probe floor, bare aiohttp GET on a fresh connection",
        f"{measured.per_1000('client'):.3f} CPU s per 1,000 probes; {measured.rate:,.0f}"
        f" probes/s of {size.planned:,.0f} planned; RSS {mb(measured.rss['client'])};"
        f" fleet {measured.per_1000('fleet'):.3f} CPU s per 1,000; rest of the machine"
        f" {measured.others:.2f} cores busy",
    )
    assert measured.probes > 0

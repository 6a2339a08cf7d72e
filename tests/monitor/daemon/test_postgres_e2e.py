"""Daemons on a real PostgreSQL: a store outage loses nothing, and vantages vote.

The database is a fresh one per test on the server of ``tests/pg.py``. The store outage is a
cut network path: each daemon reaches PostgreSQL through a :class:`~tests.monitor.harness.Proxy`
the test cuts and restores, so the shared server is never stopped under other tests.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from monitor.evidence import IntervalKind, IntervalRecord
from monitor.results import ProbeResult
from monitor.store import open_store

from ...pg import scratch_database
from ..harness import Daemon, Proxy, Target, free_port, serve_target, wait_for

pytestmark = pytest.mark.postgres

INTERVAL = 0.25
#: A probe is timed from its start: one that started just before the target changed and was
#: answered after dates the change early, by its own latency, which is under the timeout.
TIMEOUT = 0.5


@pytest.fixture
async def database() -> AsyncIterator[str]:
    """The URL of a fresh database."""
    async with scratch_database() as url:
        yield url


@pytest.fixture
async def target() -> AsyncIterator[Target]:
    async with serve_target() as state:
        yield state


def write_config(
    path: Path, *, vantage: str, store: str, target: int, canary: int, spool_memory: int = 100_000
) -> Daemon:
    """A vantage probing one frontend check and one canary, fast; its daemon, not started."""
    http_port = free_port()
    path.write_text(
        f"""
vantage: {vantage}
store: "{store}"
http: {{listen: "127.0.0.1:{http_port}"}}
spool: {{max_memory: {spool_memory}, directory: "{path.parent / (vantage + "-spool")}"}}
contracts:
  basic: {{timezone: UTC, currency: USD, daily_fee: "1440.00"}}
services:
  - name: shop
    contract: basic
    frontend:
      - {{name: home, type: http, url: "http://127.0.0.1:{target}/home", contains: Welcome,
          interval: {INTERVAL}s, timeout: {TIMEOUT}s, retry_interval: {INTERVAL}s, confirm: 2}}
canaries:
  - {{name: ref, type: http, url: "http://127.0.0.1:{canary}/ref",
      interval: {INTERVAL}s, timeout: {TIMEOUT}s, retry_interval: {INTERVAL}s}}
""",
        encoding="utf-8",
    )
    return Daemon(path, http_port)


def through(proxy: Proxy, url: str) -> str:
    """``url`` with its host and port replaced by the proxy's."""
    parts = urlsplit(url)
    return parts._replace(netloc=f"{parts.username}@127.0.0.1:{proxy.port}").geturl()


async def stored(
    url: str, kind: IntervalKind | None = None
) -> tuple[list[ProbeResult], list[IntervalRecord]]:
    """Every result of the last hour, and the intervals of ``kind``."""
    store = open_store(url)
    await store.open()
    try:
        now = datetime.now(UTC)
        start, end = now - timedelta(hours=1), now + timedelta(hours=1)
        results = await store.results(start=start, end=end)
        kinds = None if kind is None else [kind]
        return results, await store.intervals(start=start, end=end, kinds=kinds)
    finally:
        await store.close()


async def stop(daemon: Daemon) -> str:
    """SIGTERM, and the daemon's log once it has exited cleanly."""
    await daemon.signal(signal.SIGTERM)
    code, log = await daemon.wait()
    assert code == 0, log
    return log


async def test_a_store_outage_loses_and_duplicates_nothing(
    tmp_path: Path, database: str, target: Target
) -> None:
    """The database path is cut for a while: probing goes on, results fill memory then spill to
    disk, and once the path is back every probe of the period is stored exactly once, with no
    outage recorded for it."""
    proxy = Proxy("127.0.0.1", urlsplit(database).port or 5432)
    await proxy.start()
    daemon = write_config(
        tmp_path / "v1.yaml",
        vantage="v1",
        store=through(proxy, database),
        target=target.port,
        canary=target.port,
        spool_memory=5,
    )
    await daemon.start()

    async def spilling() -> bool:
        depth: int = (await daemon.health())["store_spool_depth"]
        return depth > 0

    async def written() -> bool:
        depth: int = (await daemon.health())["store_queue_depth"]
        return depth == 0

    await wait_for(probes(target, 4), "a few probes")
    await proxy.cut()
    await wait_for(spilling, "results spilling to disk")
    await wait_for(probes(target, target.served["/home"] + 12), "probing on")
    _, metrics_during = await daemon.get("/metrics")
    await proxy.restore()
    await wait_for(written, "the backlog written", deadline=60)
    await stop(daemon)
    await proxy.cut()

    results, outages = await stored(database, IntervalKind.OUTAGE)
    homes = [r for r in results if r.check == "shop/home"]
    assert len(homes) == target.served["/home"]
    assert len({r.started_at for r in homes}) == len(homes)
    assert len([r for r in results if r.check == "@canary/ref"]) == target.served["/ref"]
    assert all(r.up for r in results)
    assert outages == []
    assert "slawatch_store_spilled_total" in metrics_during
    spilled = _metric(metrics_during, "slawatch_store_spilled_total")
    assert spilled > 0
    assert _metric(metrics_during, "slawatch_store_write_errors_total") > 0
    assert list((tmp_path / "v1-spool").glob("spool-*.jsonl")) == []


async def test_shutdown_during_a_store_outage_is_finished_by_the_next_start(
    tmp_path: Path, database: str, target: Target
) -> None:
    """Stopped while the database is unreachable, the daemon leaves its results in the spool and
    its interval changes in a journal file; the next start stores them all, then resumes."""
    proxy = Proxy("127.0.0.1", urlsplit(database).port or 5432)
    await proxy.start()
    daemon = write_config(
        tmp_path / "v1.yaml",
        vantage="v1",
        store=through(proxy, database),
        target=target.port,
        canary=target.port,
    )
    await daemon.start()
    await wait_for(probes(target, 4), "a few probes")
    await proxy.cut()
    await wait_for(probes(target, target.served["/home"] + 8), "probing on")
    log = await stop(daemon)
    served = dict(target.served)
    assert "results wait in" in log
    assert (tmp_path / "v1-spool" / "journal.jsonl").exists()

    await proxy.restore()
    await daemon.start()
    await stop(daemon)
    await proxy.cut()

    results, running = await stored(database, IntervalKind.RUNNING)
    first_end = running[0].end if running else None
    before_restart = [r for r in results if first_end is not None and r.started_at <= first_end]
    assert len([r for r in before_restart if r.check == "shop/home"]) == served["/home"]
    assert [r.detail.get("stopped") for r in running] == ["clean", "clean"]
    assert not (tmp_path / "v1-spool" / "journal.jsonl").exists()


async def test_two_vantages_vote(tmp_path: Path, database: str, target: Target) -> None:
    """Vantage a's own network fails: it sees the shop down, b sees it up, no outage. Then the
    shop fails for both: an outage, in the export and in each daemon's live quorum state."""
    async with serve_target() as reference:  # a site outside the shop, never failing
        # a's network to the outside world: to the shop, and to the reference site.
        a_shop, a_reference = Proxy("127.0.0.1", target.port), Proxy("127.0.0.1", reference.port)
        await a_shop.start()
        await a_reference.start()
        a = write_config(
            tmp_path / "a.yaml",
            vantage="a",
            store=database,
            target=a_shop.port,
            canary=a_reference.port,
        )
        b = write_config(
            tmp_path / "b.yaml",
            vantage="b",
            store=database,
            target=target.port,
            canary=reference.port,
        )
        await asyncio.gather(a.start(), b.start())
        await wait_for(quorum(b, "up"), "both up")
        await asyncio.gather(a_shop.cut(), a_reference.cut())
        await wait_for(own(a, "down"), "a sees the shop down")
        cut_seen = datetime.now(UTC)
        await wait_for(isolated_a_ignored(b), "b's quorum: a isolated, the shop up")
        await asyncio.gather(a_shop.restore(), a_reference.restore())
        await wait_for(own(a, "up"), "a sees the shop again")
        a_back = datetime.now(UTC)

        truth_start = target.set(False)
        await wait_for(quorum(b, "down"), "the quorum sees the outage")
        await wait_for(quorum(a, "down"), "a agrees")
        truth_end = target.set(True)
        await wait_for(quorum(b, "up"), "recovery")
        await asyncio.gather(stop(a), stop(b))
        await asyncio.gather(a_shop.cut(), a_reference.cut())

    _, outages = await stored(database, IntervalKind.OUTAGE)
    assert [o.vantage for o in outages if o.start < cut_seen] == ["a"]  # a alone, at first
    assert sorted(o.vantage for o in outages if o.start >= a_back) == ["a", "b"]
    day = truth_start.date().isoformat()
    export = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "monitor.cli", "export", "--config", str(tmp_path / "b.yaml")),
        *("--service", "shop", "--from", day, "--to", truth_end.date().isoformat()),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(export.communicate(), 60)
    assert export.returncode == 0, err.decode()
    (outage,) = json.loads(out)["outages"]
    start = datetime.fromisoformat(outage["start"])
    end = datetime.fromisoformat(outage["end"])
    assert -timedelta(seconds=TIMEOUT) <= start - truth_start <= timedelta(seconds=3)
    assert -timedelta(seconds=TIMEOUT) <= end - truth_end <= timedelta(seconds=3)


def quorum(daemon: Daemon, expected: str) -> Callable[[], Awaitable[bool]]:
    """A condition: the daemon's live quorum state of the shop is ``expected``."""

    async def check() -> bool:
        state = (await daemon.state())["services"]["shop"]["quorum"]["state"]
        return bool(state == expected)

    return check


def isolated_a_ignored(daemon: Daemon) -> Callable[[], Awaitable[bool]]:
    """A condition: only b measures (a, cut off, is isolated) and the quorum says up."""

    async def check() -> bool:
        verdict = (await daemon.state())["services"]["shop"]["quorum"]
        return bool(verdict["state"] == "up" and verdict["vantages_measuring"] == ["b"])

    return check


def own(daemon: Daemon, expected: str) -> Callable[[], Awaitable[bool]]:
    """A condition: the daemon's own view of the shop is ``expected``."""

    async def check() -> bool:
        return await daemon.service_state() == expected

    return check


def probes(target: Target, count: int) -> Callable[[], Awaitable[bool]]:
    """A condition: the target has served ``count`` probes of the frontend check."""

    async def check() -> bool:
        return target.served.get("/home", 0) >= count

    return check


def _metric(text: str, name: str) -> float:
    """The value of an unlabelled series in a /metrics page."""
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    pytest.fail(f"{name} not in the metrics")

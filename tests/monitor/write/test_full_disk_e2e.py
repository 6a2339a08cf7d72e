"""A daemon whose store refuses connections while its spool's disk is full: stopped, started
again, it has lost nothing while memory held, and says exactly what it lost once it did not.

The disk is a real 256 KiB tmpfs (see ``tests/tmpfs.py``), filled by a filler file. The store
is PostgreSQL reached through a :class:`~tests.monitor.harness.Proxy` the test cuts: the daemon
then meets refused connections, as from a server that is down.
"""

from __future__ import annotations

import re
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from monitor.evidence import IntervalKind

from ...pg import scratch_database
from ...tmpfs import fill, small_filesystem
from ..daemon.test_postgres_e2e import own, probes, stored, through
from ..harness import Daemon, Proxy, Target, free_port, serve_target, wait_for

pytestmark = pytest.mark.postgres

INTERVAL = 0.25


@pytest.fixture
async def database() -> AsyncIterator[str]:
    """The URL of a fresh database."""
    async with scratch_database() as url:
        yield url


@pytest.fixture
async def target() -> AsyncIterator[Target]:
    """The shop, switched down and up by the test."""
    async with serve_target() as state:
        yield state


@pytest.fixture
async def reference() -> AsyncIterator[Target]:
    """A site outside the shop, never failing: the vantage's canary."""
    async with serve_target() as state:
        yield state


@pytest.fixture
async def proxy(database: str) -> AsyncIterator[Proxy]:
    """The daemon's path to the database, which the test cuts."""
    relay = Proxy("127.0.0.1", urlsplit(database).port or 5432)
    await relay.start()
    yield relay
    await relay.cut()


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB filesystem for the spool, unmounted afterwards (in the test's directory)."""
    with small_filesystem(tmp_path / "disk") as mounted:
        yield mounted


def write_config(
    path: Path, *, store: str, spool: Path, target: int, canary: int, spill: int, hard: int
) -> Daemon:
    """A vantage probing the shop and a canary fast (8 results a second), spilling past
    ``spill`` results in memory and holding at most ``hard``; its daemon, not started."""
    http_port = free_port()
    path.write_text(
        f"""
vantage: v1
store: "{store}"
http: {{listen: "127.0.0.1:{http_port}"}}
spool: {{max_memory: {spill}, max_memory_hard: {hard}, directory: "{spool}"}}
contracts:
  basic: {{timezone: UTC, currency: USD, daily_fee: "1440.00"}}
services:
  - name: shop
    contract: basic
    frontend:
      - {{name: home, type: http, url: "http://127.0.0.1:{target}/home", contains: Welcome,
          interval: {INTERVAL}s, timeout: 500ms, retry_interval: {INTERVAL}s, confirm: 2}}
canaries:
  - {{name: ref, type: http, url: "http://127.0.0.1:{canary}/ref",
      interval: {INTERVAL}s, timeout: 500ms, retry_interval: {INTERVAL}s}}
""",
        encoding="utf-8",
    )
    return Daemon(path, http_port)


def health(daemon: Daemon, check: Callable[[Any], bool]) -> Callable[[], Awaitable[bool]]:
    """A condition on the daemon's /healthz body."""

    async def condition() -> bool:
        return check(await daemon.health())

    return condition


def metric(text: str, name: str) -> float:
    """The value of an unlabelled series in a /metrics page."""
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    pytest.fail(f"{name} not in the metrics")


def segments(spool: Path) -> list[str]:
    """The spool's segment files."""
    return sorted(path.name for path in spool.glob("spool-*.jsonl"))


async def written_out(daemon: Daemon) -> None:
    """Until the daemon has written every result and interval change it holds."""
    await wait_for(
        health(daemon, lambda b: b["store_queue_depth"] == b["interval_changes_waiting"] == 0),
        "everything written",
        deadline=60,
    )


async def test_nothing_is_lost_while_memory_holds(
    database: str,
    proxy: Proxy,
    disk: Path,
    target: Target,
    reference: Target,
) -> None:
    """The store refuses connections and the spool's disk is full: results wait in memory, with
    no spool file made and one log line about it; an outage opens meanwhile. Stopped, the daemon
    keeps the interval changes (in the space it set aside) and the results, and says nothing
    was lost; started again with the store back, it stores every probe once and the outage."""
    spool = disk / "spool"
    daemon = write_config(
        disk.parent / "v1.yaml",
        store=through(proxy, database),
        spool=spool,
        target=target.port,
        canary=reference.port,
        spill=50,  # more than a second of results: nothing spills while the store works
        hard=100_000,
    )
    await daemon.start()
    await wait_for(probes(target, 4), "a few probes")
    fill(disk)
    before = segments(spool)  # none, unless the store was slow enough for results to spill
    await proxy.cut()
    await wait_for(
        health(daemon, lambda b: b["store_memory_depth"] > 60),
        "results held in memory past the spill threshold, the spool being full",
    )
    outage_start = target.set(False)
    await wait_for(own(daemon, "down"), "the outage seen")
    await wait_for(probes(target, target.served["/home"] + 4), "probing on")
    _, metrics = await daemon.get("/metrics")
    assert metric(metrics, "slawatch_store_spool_errors_total") >= 1
    assert metric(metrics, "slawatch_store_dropped_total") == 0
    assert metric(metrics, "slawatch_store_memory_limit") == 100_000
    assert set(segments(spool)) <= set(before)
    await daemon.signal(signal.SIGTERM)
    code, log = await daemon.wait()
    assert code == 0, log
    assert log.count("spool cannot be written") == 1
    assert not re.search(r"lost [0-9]+ results", log)
    assert re.search(r"stopped with the store unavailable: [1-9][0-9]* results wait in ", log)
    assert not re.search(r"dropped [0-9]+ results|results were dropped", log)
    outage_end = target.set(True)

    await proxy.restore()
    await daemon.start()
    await wait_for(own(daemon, "up"), "the shop up again")
    await written_out(daemon)
    await daemon.signal(signal.SIGTERM)
    code, log = await daemon.wait()
    assert code == 0, log
    assert re.search(r"stored [1-9][0-9]* interval changes saved at the last shutdown", log)

    results, outages = await stored(database, IntervalKind.OUTAGE)
    homes = [r for r in results if r.check == "shop/home"]
    assert len(homes) == target.served["/home"]
    assert len({r.started_at for r in homes}) == len(homes)
    assert len([r for r in results if r.check == "@canary/ref"]) == reference.served["/ref"]
    failed = [r.started_at for r in homes if not r.up]
    (outage,) = outages
    assert outage_start <= outage.start == min(failed)
    assert outage.end == min(r.started_at for r in homes if r.up and r.started_at > max(failed))
    assert outage_end <= outage.end
    assert segments(spool) == []


async def test_past_the_memory_limit_what_is_lost_is_counted_exactly(
    database: str,
    proxy: Proxy,
    disk: Path,
    target: Target,
    reference: Target,
) -> None:
    """The disk is full from the start (no space can be set aside) and the store refuses
    connections: past the hard limit the oldest results are dropped, counted, logged once and
    /healthz fails; the stop keeps nothing, exits 1 and says how many results and interval
    changes it lost. Every probe is then either stored or in those counts."""
    spool = disk / "spool"
    spool.mkdir()
    fill(disk)
    daemon = write_config(
        disk.parent / "v1.yaml",
        store=through(proxy, database),
        spool=spool,
        target=target.port,
        canary=reference.port,
        spill=10,
        hard=20,
    )
    await daemon.start()
    await wait_for(probes(target, 4), "a few probes")
    await proxy.cut()
    target.set(False)
    await wait_for(own(daemon, "down"), "the outage seen")
    await wait_for(health(daemon, lambda b: b["results_dropped"] > 10), "results dropped")
    body = await daemon.health()
    assert body["status"] == "fail"
    assert any("results dropped" in problem for problem in body["problems"])
    assert body["store_memory_depth"] <= 20
    _, metrics = await daemon.get("/metrics")
    assert metric(metrics, "slawatch_store_dropped_total") > 0
    assert segments(spool) == []
    await daemon.signal(signal.SIGTERM)
    code, log = await daemon.wait()
    probed = sum(target.served.values()) + sum(reference.served.values())

    assert code == 1, log
    assert "cannot set aside 65536 bytes for the journal at stop" in log
    assert log.count("spool cannot be written") == 1
    assert re.search(r"dropped [0-9]+ results, the oldest waiting", log)
    last = log.strip().splitlines()[-1]
    found = re.fullmatch(
        r"slawatch: stopped with the store unavailable: lost ([0-9]+) results and ([0-9]+)"
        r" interval changes \(journal .*: cannot save: No space left on device\);"
        r" ([0-9]+) results were dropped earlier, memory being full",
        last,
    )
    assert found, last
    lost, changes_lost, dropped = (int(group) for group in found.groups())
    assert lost > 0
    assert changes_lost > 0
    assert dropped > 10

    await proxy.restore()
    await daemon.start()
    await written_out(daemon)
    await daemon.signal(signal.SIGTERM)
    code, log = await daemon.wait()
    assert code == 0, log
    probed_again = sum(target.served.values()) + sum(reference.served.values()) - probed

    results, _ = await stored(database)
    assert len(results) == probed - lost - dropped + probed_again
    assert len({(r.check, r.started_at) for r in results}) == len(results)

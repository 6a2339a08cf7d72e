"""/healthz's judgement, from the daemon's own state."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from prometheus_client import CollectorRegistry

from monitor.clock import FakeClock
from monitor.config.settings import parse_settings
from monitor.daemon.runner import Daemon
from monitor.errors import StorageError
from monitor.results import Outcome, ProbeResult
from monitor.store.sqlite import SQLiteStore

CONFIG = """
contracts: {c: {currency: USD, daily_fee: "10.00"}}
services:
  - {name: s, contract: c, frontend: [{name: home, type: http, url: "http://127.0.0.1:1/"}]}
"""


class RefusingStore(SQLiteStore):
    """A real SQLite store that refuses result writes while ``refusing`` is set."""

    refusing = True

    async def write_results(self, results: Sequence[ProbeResult]) -> None:
        if self.refusing:
            raise StorageError("sqlite:///h.db: write_results: disk I/O error")
        await super().write_results(results)


async def test_health_reports_starting_and_a_store_that_refuses_every_write(
    tmp_path: Path,
) -> None:
    """Unhealthy while starting, and while results wait on a store that never accepted one;
    healthy again once they are written."""
    clock = FakeClock()
    store = RefusingStore(tmp_path / "h.db")
    await store.open()
    daemon = Daemon(
        parse_settings(CONFIG, "h.yaml"), clock=clock, store=store, registry=CollectorRegistry()
    )
    healthy, body = daemon.http.health()
    assert not healthy
    assert body["problems"] == ["starting"]
    daemon.ready.set()
    assert daemon.http.health()[0]
    daemon.writer.submit(ProbeResult("s/home", "v", clock.now(), 0.1, Outcome.UP))
    await daemon.writer.drain(0)
    healthy, body = daemon.http.health()
    assert not healthy
    assert body["problems"] == ["the store has refused every write (1 waiting)"]
    store.refusing = False
    await daemon.writer.drain(0)
    assert daemon.http.health()[0]
    await clock.advance(timedelta(minutes=5).total_seconds())
    daemon.writer.submit(ProbeResult("s/home", "v", clock.now(), 0.1, Outcome.UP))
    store.refusing = True
    await daemon.writer.drain(0)
    healthy, body = daemon.http.health()
    assert not healthy
    assert body["problems"][0].startswith("no result written for 300s")
    await store.close()


async def test_health_fails_while_results_are_dropped_and_the_metrics_count_them(
    tmp_path: Path,
) -> None:
    """With the store refusing and the spool unwritable, memory past its hard limit drops the
    oldest results: /healthz fails for five minutes after the last drop, and the metrics give
    the limit, what memory holds, the drops and the spool's failures."""
    clock = FakeClock()
    store = RefusingStore(tmp_path / "h.db")
    await store.open()
    spool = tmp_path / "spool"
    config = CONFIG + f'spool: {{max_memory: 2, max_memory_hard: 3, directory: "{spool}"}}\n'
    registry = CollectorRegistry()
    daemon = Daemon(parse_settings(config, "h.yaml"), clock=clock, store=store, registry=registry)
    daemon.spool.open()
    (spool / "journal.reserve").unlink()
    spool.rmdir()
    spool.write_text("not a directory")  # the spool cannot be written
    daemon.ready.set()
    for _ in range(5):
        daemon.writer.submit(ProbeResult("s/home", "v", clock.now(), 0.1, Outcome.UP))
        await clock.advance(1.0)

    healthy, body = daemon.http.health()
    assert not healthy
    assert body["problems"] == [
        "2 results dropped, the last 1s ago: memory full and the spool cannot be written"
    ]
    assert (body["store_memory_depth"], body["store_memory_limit"], body["results_dropped"]) == (
        3,
        3,
        2,
    )
    daemon.scrape()
    assert registry.get_sample_value("slawatch_store_memory_limit") == 3
    assert registry.get_sample_value("slawatch_store_memory_depth") == 3
    assert registry.get_sample_value("slawatch_store_dropped_total") == 2
    assert registry.get_sample_value("slawatch_store_spool_errors_total") == 1
    await clock.advance(299.0)
    assert not daemon.http.health()[0]
    await clock.advance(1.0)
    assert daemon.http.health() == (True, {**body, "problems": [], "status": "ok"})
    await store.close()

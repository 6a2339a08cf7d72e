"""/healthz's judgement: a pure function of a snapshot, and the snapshot the daemon takes."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from monitor.clock import FakeClock
from monitor.config.settings import parse_settings
from monitor.daemon.health import HealthSnapshot, health
from monitor.daemon.runner import Daemon
from monitor.errors import StorageError
from monitor.results import Outcome, ProbeResult
from monitor.store.sqlite import SQLiteStore

CONFIG = """
contracts: {c: {currency: USD, daily_fee: "10.00"}}
services:
  - {name: s, contract: c, frontend: [{name: home, type: http, url: "http://127.0.0.1:1/"}]}
"""


NOW = datetime(2026, 10, 5, 12, 0, tzinfo=UTC)
#: A daemon doing its job: started, on time, everything written a second ago.
FINE = HealthSnapshot(
    now=NOW,
    ready=True,
    vantage="v1",
    checks=4,
    scheduler_lag=0.2,
    queue_depth=0,
    spool_depth=0,
    journal_depth=0,
    memory_depth=0,
    memory_limit=1000,
    write_errors=0,
    last_write_at=NOW - timedelta(seconds=1),
    dropped=0,
    last_dropped_at=None,
)


def ago(seconds: float) -> datetime:
    return NOW - timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("changes", "problems"),
    [
        pytest.param({}, [], id="fine"),
        pytest.param({"ready": False}, ["starting"], id="starting"),
        pytest.param({"scheduler_lag": 30.0}, [], id="lag-at-the-limit"),
        pytest.param({"scheduler_lag": 30.04}, ["probes start 30.0s late"], id="lag"),
        pytest.param(
            {"queue_depth": 3, "last_write_at": ago(120)}, [], id="backlog-written-at-the-limit"
        ),
        pytest.param(
            {"queue_depth": 3, "last_write_at": ago(121)},
            ["no result written for 121s (3 waiting)"],
            id="results-waiting-nothing-written",
        ),
        pytest.param(
            {"journal_depth": 1, "last_write_at": ago(600)},
            ["no result written for 600s (0 waiting)"],
            id="interval-changes-waiting-nothing-written",
        ),
        pytest.param({"last_write_at": ago(3600)}, [], id="nothing-waiting-nothing-to-write"),
        pytest.param(
            {"queue_depth": 2, "last_write_at": None, "write_errors": 1},
            ["the store has refused every write (2 waiting)"],
            id="store-refused-every-write",
        ),
        pytest.param(
            {"queue_depth": 2, "last_write_at": None},
            [],
            id="first-write-still-to-come",
        ),
        pytest.param(
            {"dropped": 5, "last_dropped_at": ago(300)},
            ["5 results dropped, the last 300s ago: memory full and the spool cannot be written"],
            id="dropped-recently",
        ),
        pytest.param({"dropped": 5, "last_dropped_at": ago(301)}, [], id="dropped-long-ago"),
        pytest.param(
            {
                "ready": False,
                "scheduler_lag": 45.0,
                "queue_depth": 7,
                "last_write_at": ago(200),
                "dropped": 1,
                "last_dropped_at": ago(10),
            },
            [
                "starting",
                "probes start 45.0s late",
                "no result written for 200s (7 waiting)",
                "1 results dropped, the last 10s ago: memory full and the spool cannot be written",
            ],
            id="every-problem-in-order",
        ),
    ],
)
def test_health_names_each_problem(changes: dict[str, Any], problems: list[str]) -> None:
    """Each problem is named in one line, in a fixed order; any problem fails the check."""
    healthy, body = health(dataclasses.replace(FINE, **changes))

    assert body["problems"] == problems
    assert healthy == (not problems)
    assert body["status"] == ("fail" if problems else "ok")


def test_health_body_gives_the_figures_it_judged() -> None:
    """Besides the verdict the body gives the vantage, the checks, the lag and the writer's
    figures, whether healthy or not."""
    snapshot = dataclasses.replace(
        FINE,
        queue_depth=9,
        spool_depth=4,
        journal_depth=2,
        memory_depth=7,
        memory_limit=None,
        dropped=3,
    )

    assert health(snapshot) == (
        True,
        {
            "status": "ok",
            "problems": [],
            "vantage": "v1",
            "checks": 4,
            "scheduler_lag_seconds": 0.2,
            "store_queue_depth": 9,
            "store_spool_depth": 4,
            "interval_changes_waiting": 2,
            "store_memory_depth": 7,
            "store_memory_limit": None,
            "results_dropped": 3,
        },
    )


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
    healthy, body = health(daemon.health_snapshot())
    assert not healthy
    assert body["problems"] == ["starting"]
    daemon.ready.set()
    assert health(daemon.health_snapshot())[0]
    daemon.writer.submit(ProbeResult("s/home", "v", clock.now(), 0.1, Outcome.UP))
    await daemon.writer.drain(0)
    healthy, body = health(daemon.health_snapshot())
    assert not healthy
    assert body["problems"] == ["the store has refused every write (1 waiting)"]
    store.refusing = False
    await daemon.writer.drain(0)
    assert health(daemon.health_snapshot())[0]
    await clock.advance(timedelta(minutes=5).total_seconds())
    daemon.writer.submit(ProbeResult("s/home", "v", clock.now(), 0.1, Outcome.UP))
    store.refusing = True
    await daemon.writer.drain(0)
    healthy, body = health(daemon.health_snapshot())
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

    healthy, body = health(daemon.health_snapshot())
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
    assert not health(daemon.health_snapshot())[0]
    await clock.advance(1.0)
    assert health(daemon.health_snapshot()) == (True, {**body, "problems": [], "status": "ok"})
    await store.close()

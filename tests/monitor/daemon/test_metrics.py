"""The daemon's gauges: the quorum's state and the provider's last notice from the store, and the
live figures refreshed before each scrape."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from prometheus_client import CollectorRegistry

from monitor.clock import FakeClock
from monitor.config.settings import CheckRole, HttpCheck, NotifySettings, parse_settings
from monitor.daemon.metrics import Metrics
from monitor.daemon.runner import Daemon
from monitor.daemon.webhooks import Notification, Notifier
from monitor.errors import StorageError
from monitor.evidence import IntervalKind, IntervalRecord, NoticeRecord
from monitor.results import Outcome, ProbeResult
from monitor.scheduler import ScheduledCheck
from monitor.state import CheckState, CheckTrack
from monitor.store.sqlite import SQLiteStore
from monitor.write.writer import ResultWriter

CONFIG = """
vantage: v1
contracts: {c: {currency: USD, daily_fee: "10.00"}}
services:
  - {name: shop, contract: c, frontend: [{name: home, type: http, url: "http://127.0.0.1:1/"}]}
"""
NOW = datetime(2026, 10, 5, 12, 0, tzinfo=UTC)


async def test_quorum_state_and_last_notice_are_published(tmp_path: Path) -> None:
    """After a refresh: the shop is down by the quorum (its only vantage sees it down), one
    vantage votes down, and the newest notice not revoked is the last notice."""
    store = SQLiteStore(tmp_path / "m.db")
    await store.open()
    await store.open_interval(
        IntervalRecord(
            IntervalKind.RUNNING, "v1", "*", NOW - timedelta(hours=1), detail={"services": ["shop"]}
        )
    )
    await store.open_interval(
        IntervalRecord(IntervalKind.OUTAGE, "v1", "shop", NOW - timedelta(minutes=3))
    )
    # A daemon is alive while its results are fresh.
    await store.write_results(
        [ProbeResult("shop/home", "v1", NOW - timedelta(seconds=5), 0.1, Outcome.TIMEOUT)]
    )
    for minutes, revoke in ((50, False), (20, False), (5, True)):
        ident = await store.add_notice(
            NoticeRecord(
                service="shop",
                at=NOW - timedelta(minutes=minutes),
                ref=f"mail {minutes}",
                added_by="ops",
                added_at=NOW,
            )
        )
        if revoke:
            await store.revoke_notice(ident, by="ops", at=NOW, note="wrong service")
    registry = CollectorRegistry()
    daemon = Daemon(
        parse_settings(CONFIG, "m.yaml"), clock=FakeClock(NOW), store=store, registry=registry
    )

    await daemon.refresh_quorum()

    def value(name: str, **labels: str) -> float | None:
        return registry.get_sample_value(name, labels)

    assert value("slawatch_service_quorum_state", service="shop", state="down") == 1.0
    assert value("slawatch_service_quorum_state", service="shop", state="up") == 0.0
    assert value("slawatch_service_vantages", service="shop", vote="down") == 1.0
    assert (
        value("slawatch_provider_last_notice_timestamp_seconds", service="shop")
        == (NOW - timedelta(minutes=20)).timestamp()
    )
    await store.close()


class TickingClock(FakeClock):
    """Fake time whose wall clock moves a microsecond at each reading, as a real one does."""

    def now(self) -> datetime:
        self.ticks = getattr(self, "ticks", 0) + 1
        return super().now() + timedelta(microseconds=self.ticks)


async def test_a_reload_that_changes_the_services_leaves_no_unmeasured_instant(
    tmp_path: Path,
) -> None:
    """The running interval is closed and the next opened at one instant: under gap_policy down
    even a microsecond between them would be credited as a minute."""
    db = tmp_path / "r.db"
    config = tmp_path / "slawatch.yaml"
    config.write_text(f'store: "sqlite:///{db}"\nhttp: {{listen: "127.0.0.1:0"}}\n' + CONFIG)
    clock = TickingClock(NOW)
    daemon = Daemon(
        parse_settings(config.read_text(), str(config)),
        clock=clock,
        store=SQLiteStore(db),
        registry=CollectorRegistry(),
        config_path=config,
    )
    running = asyncio.create_task(daemon.run(handle_signals=False))
    await asyncio.wait_for(daemon.ready.wait(), 10)
    await clock.advance(5)
    config.write_text(
        config.read_text()
        + '  - {name: api, contract: c, frontend: [{name: v1, type: http, url: "http://127.0.0.1:1/"}]}\n'
    )

    assert await daemon.reload()
    await clock.advance(5)
    daemon.stop()
    await asyncio.wait_for(running, 30)

    store = SQLiteStore(db)
    await store.open()
    runs = await store.intervals(
        start=NOW - timedelta(hours=1), end=NOW + timedelta(hours=1), kinds=[IntervalKind.RUNNING]
    )
    await store.close()
    assert [r.detail["services"] for r in runs] == [["shop"], ["api", "shop"]]
    assert runs[0].end == runs[1].start
    assert runs[0].detail["stopped"] == "reload"


class RefusingStore(SQLiteStore):
    """A real SQLite store that refuses result writes while ``refusing`` is set."""

    refusing = True

    async def write_results(self, results: Sequence[ProbeResult]) -> None:
        if self.refusing:
            raise StorageError("sqlite:///g.db: write_results: disk I/O error")
        await super().write_results(results)


def scheduled(name: str) -> ScheduledCheck:
    spec = HttpCheck(name=name, type="http", url="http://127.0.0.1:1/", interval=10.0)
    return ScheduledCheck(f"shop/{name}", "shop", CheckRole.FRONTEND, spec)


async def test_a_refresh_publishes_the_live_gauges_and_counts_each_failure_once(
    tmp_path: Path,
) -> None:
    """A check not measured lately is unknown whatever its last state; nodes up, probes in
    flight, the notifier's and the writer's figures are published; a failed write is counted
    once however often the gauges are refreshed."""
    clock = FakeClock(NOW)
    store = RefusingStore(tmp_path / "g.db")
    await store.open()
    registry = CollectorRegistry()
    metrics = Metrics(registry, "v1", "0")
    writer = ResultWriter(store, clock, max_queue=10, memory_limit=20)
    notifier = Notifier(
        NotifySettings.model_validate({"webhooks": [{"url": "http://127.0.0.1:9/h"}]}), clock
    )
    notifier.submit(Notification("outage_start", "shop", NOW, "down", {}, "v1"))
    fresh, old = (
        ProbeResult(f"shop/{name}", "v1", NOW - timedelta(seconds=age), 0.1, Outcome.UP)
        for name, age in (("home", 1), ("cart", 3600))
    )
    tracks = [
        CheckTrack(scheduled("home"), CheckState.UP, last_result=fresh),
        CheckTrack(scheduled("cart"), CheckState.UP, last_result=old),
        CheckTrack(scheduled("pay"), CheckState.DOWN, last_result=fresh),
    ]
    writer.submit(fresh)
    await writer.drain(0)
    assert writer.write_errors >= 1

    def value(name: str, **labels: str) -> float | None:
        return registry.get_sample_value(name, labels)

    for _ in range(2):
        metrics.refresh(
            clock.now(),
            writer=writer,
            notifier=notifier,
            tracks=tracks,
            nodes_up={"shop": 2},
            in_flight=3,
        )
    in_process = metrics.check_registry
    states = {
        check: in_process.get_sample_value(
            "slawatch_check_up", {"service": "shop", "check": check, "role": "frontend"}
        )
        for check in ("home", "cart", "pay")
    }
    assert states == {"home": 1.0, "cart": -1.0, "pay": 0.0}
    assert value("slawatch_service_nodes_up", service="shop") == 2
    assert value("slawatch_probes_in_flight") == 3
    assert value("slawatch_notifications", result="waiting") == 1
    assert value("slawatch_store_write_errors_total") == writer.write_errors
    assert value("slawatch_store_queue_depth") == 1
    assert value("slawatch_store_memory_limit") == 20
    assert value("slawatch_store_last_write_timestamp_seconds") == 0

    store.refusing = False
    await clock.advance(30)
    await writer.drain(0)
    metrics.refresh(
        clock.now(), writer=writer, notifier=notifier, tracks=(), nodes_up={}, in_flight=0
    )
    assert value("slawatch_store_queue_depth") == 0
    assert value("slawatch_store_last_write_timestamp_seconds") == clock.now().timestamp()
    assert b"slawatch_store_queue_depth 0.0" in metrics.exposition()
    await store.close()

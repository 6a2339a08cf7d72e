"""Gauges the daemon computes from the store: the quorum's state and the provider's last notice."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from prometheus_client import CollectorRegistry

from monitor.clock import FakeClock
from monitor.config.settings import parse_settings
from monitor.daemon.runner import Daemon
from monitor.evidence import IntervalKind, IntervalRecord, NoticeRecord
from monitor.results import Outcome, ProbeResult
from monitor.store.sqlite import SQLiteStore

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

"""Gauges the daemon computes from the store: the quorum's state and the provider's last notice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from prometheus_client import CollectorRegistry

from monitor.clock import FakeClock
from monitor.config import parse_settings
from monitor.daemon import Daemon
from monitor.results import Outcome, ProbeResult
from monitor.store.base import IntervalKind, IntervalRecord, NoticeRecord
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

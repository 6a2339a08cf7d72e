"""The live SLA figures: the month so far, exactly as the report computes it at the same instant,
for a per-minute contract and an uptime-tier one; reset with the month."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from monitor.clock import FakeClock
from monitor.config.settings import Settings
from monitor.daemon.runner import Daemon
from monitor.report import build_report
from monitor.report.data import report_to_json
from monitor.store.sqlite import SQLiteStore

from ..report.scenario import fill, local, settings
from ..report.test_tier_report import _settings as tier_settings
from ..report.test_tier_report import db as tier_db  # noqa: F401 - the tier scenario's store

#: Late in the scenario's month: the 20th's whole-day outage is over, the 27th's not yet begun.
MID_MONTH = local(21, 12)


async def _live_and_report(
    config: Settings, db: Path, now: datetime
) -> tuple[CollectorRegistry, dict[str, object]]:
    store = SQLiteStore(db)
    await store.open()
    try:
        registry = CollectorRegistry()
        daemon = Daemon(config, clock=FakeClock(now), store=store, registry=registry)
        await daemon.refresh_sla()
        local_now = now.astimezone(config.contracts[config.services[0].contract].timezone)
        report = await build_report(store, config, local_now.year, local_now.month, now=now)
    finally:
        await store.close()
    service: dict[str, object] = report_to_json(report)["services"][0]
    return registry, service


@pytest.fixture
async def scenario_db(tmp_path: Path) -> Path:
    path = tmp_path / "evidence.db"
    store = SQLiteStore(path)
    await store.open()
    await fill(store)
    await store.close()
    return path


async def test_the_live_credit_is_the_report_s_at_the_same_instant(scenario_db: Path) -> None:
    """Per-minute contract, mid-month: credit, credited time, unavailable and excluded time and
    availability equal the provisional report's."""
    registry, shop = await _live_and_report(settings(scenario_db), scenario_db, MID_MONTH)
    summary = shop["summary"]
    assert isinstance(summary, dict)

    def value(name: str, **labels: str) -> float | None:
        return registry.get_sample_value(name, {"service": "shop", **labels})

    assert summary["total_credit"] != "0.00"
    assert value("slawatch_sla_credit_accrued", currency="CNY") == float(summary["total_credit"])
    assert value("slawatch_sla_credited_seconds") == summary["credited_minutes"] * 60
    days = shop["days"]
    assert isinstance(days, list)
    assert value("slawatch_sla_unavailable_seconds") == sum(d["unavailable_seconds"] for d in days)
    assert value("slawatch_sla_excluded_seconds") == sum(d["excluded_seconds"] for d in days)
    availability = value("slawatch_sla_availability_ratio")
    assert availability is not None
    assert f"{availability * 100:.4f}" == summary["availability_percent"]
    assert value("slawatch_sla_month_start_timestamp_seconds") == local(1, 0).timestamp()
    assert value("slawatch_sla_uptime_ratio") is None
    assert registry.get_sample_value("slawatch_sla_refreshed_timestamp_seconds") == (
        MID_MONTH.timestamp()
    )


async def test_the_figures_reset_with_the_month(scenario_db: Path) -> None:
    """Early on the 1st of the next month nothing is owed yet for it."""
    now = local(1, 0, 30, month=11)
    registry, _ = await _live_and_report(settings(scenario_db), scenario_db, now)
    labels = {"service": "shop", "currency": "CNY"}
    assert registry.get_sample_value("slawatch_sla_credit_accrued", labels) == 0.0
    month_start = registry.get_sample_value(
        "slawatch_sla_month_start_timestamp_seconds", {"service": "shop"}
    )
    assert month_start == local(1, 0, month=11).timestamp()


async def test_an_uptime_tier_contract_publishes_uptime_and_the_next_tier(
    tier_db: Path,  # noqa: F811 - the fixture imported above
) -> None:
    """The tier scenario at the month's end: 310.00 USD, uptime 99.8992 %, 401 minutes of
    downtime left before the next tier; the same as the report."""
    now = datetime(2026, 10, 31, 23, 59, tzinfo=UTC) + timedelta(seconds=59)
    store = SQLiteStore(tier_db)
    await store.open()
    try:
        registry = CollectorRegistry()
        config = tier_settings(tier_db)
        daemon = Daemon(config, clock=FakeClock(now), store=store, registry=registry)
        await daemon.refresh_sla()
        report = report_to_json(await build_report(store, config, 2026, 10, now=now))
    finally:
        await store.close()
    uptime = report["services"][0]["uptime"]

    def value(name: str, **labels: str) -> float | None:
        return registry.get_sample_value(name, {"service": "shop", **labels})

    assert value("slawatch_sla_credit_accrued", currency="USD") == 310.0 == float(uptime["credit"])
    assert value("slawatch_sla_credited_seconds") == 45 * 60
    ratio = value("slawatch_sla_uptime_ratio")
    assert ratio is not None
    assert f"{ratio * 100:.4f}" == uptime["uptime_percent"] == "99.8992"
    assert (
        value("slawatch_sla_next_tier_seconds") == uptime["minutes_to_next_tier"] * 60 == 401 * 60
    )

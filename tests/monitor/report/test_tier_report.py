"""The report of a service under an ``uptime_tiers`` contract, in every format.

A month of October 2026 in UTC (44,640 minutes) watched by two vantages: one outage of 45 minutes
both saw, and one of 30 s too short to count (``min_downtime_minutes: 1``). By hand:
45 downtime minutes, uptime 100 x 44,595 / 44,640 = 99.89919...; tiers 99.99 / 99.0 / 95.0 give
10 / 30 / 100 %, so 10 % of 3100.00 = 310.00 USD. The next tier (below 99.0 %) applies past
floor(44,640 x 0.01) = 446 downtime minutes: 401 more.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.config.settings import Settings, parse_settings
from monitor.evidence import IntervalKind
from monitor.report import Report, build_report
from monitor.report.data import render_csv, report_to_json
from monitor.report.html import render_html
from monitor.report.markdown import render_markdown
from monitor.store.sqlite import SQLiteStore

from .scenario import _interval, _outage
from .test_report import cli

CONFIG = """
vantage: a
store: "sqlite:///{db}"
contracts:
  cloud-tiers:
    credit_policy: uptime_tiers
    timezone: UTC
    currency: USD
    monthly_fee: "3100.00"
    min_downtime_minutes: 1
    tiers:
      - {{below: "99.99", percent: "10"}}
      - {{below: "99.0", percent: "30"}}
      - {{below: "95.0", percent: "100"}}
services:
  - name: shop
    contract: cloud-tiers
    frontend:
      - {{name: home, type: http, url: "http://127.0.0.1:9/"}}
      - {{name: file, type: http, url: "http://127.0.0.1:9/app.js"}}
"""

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
DOWN = (datetime(2026, 10, 5, 10, 0, tzinfo=UTC), datetime(2026, 10, 5, 10, 45, tzinfo=UTC))
BLIP = (datetime(2026, 10, 9, 8, 0, tzinfo=UTC), datetime(2026, 10, 9, 8, 0, 30, tzinfo=UTC))


def _settings(db: Path) -> Settings:
    return parse_settings(CONFIG.format(db=db), "tiers.yaml")


@pytest.fixture
async def db(tmp_path: Path) -> Path:
    path = tmp_path / "evidence.db"
    store = SQLiteStore(path)
    await store.open()
    for vantage in ("a", "b"):
        await _interval(
            store,
            IntervalKind.RUNNING,
            vantage,
            "*",
            start=datetime(2026, 9, 30, 23, tzinfo=UTC),
            end=datetime(2026, 11, 1, tzinfo=UTC),
        )
        for start, end in (DOWN, BLIP):
            await _outage(store, vantage, start, end, "shop")
    await store.close()
    return path


async def _report(db: Path) -> Report:
    store = SQLiteStore(db)
    await store.open()
    try:
        return await build_report(store, _settings(db), 2026, 10, now=NOW)
    finally:
        await store.close()


@pytest.fixture
async def shop(db: Path) -> dict[str, Any]:
    service: dict[str, Any] = report_to_json(await _report(db))["services"][0]
    return service


def test_the_month_is_computed_by_the_tiers(shop: dict[str, Any]) -> None:
    """Uptime, tier, credit and the next tier are those worked out by hand."""
    assert shop["summary"]["credit_policy"] == "uptime_tiers"
    assert shop["summary"]["total_credit"] == "310.00"
    assert shop["summary"]["credited_minutes"] == 45
    assert shop["days"] == []
    assert shop["uptime"] == {
        "month": "2026-10",
        "minutes_in_month": 44640,
        "charge": "3100.00",
        "unavailable_seconds": 45 * 60.0 + 30.0,
        "excluded_seconds": 0.0,
        "downtime_minutes": 45,
        "uptime_percent": "99.8992",
        "credit_percent": "10",
        "credit": "310.00",
        "charge_source": "monthly_fee",
        "tier": {"below": "99.99", "percent": "10"},
        "capped": False,
        "next_tier": {"below": "99", "percent": "30"},
        "minutes_to_next_tier": 401,
    }


def test_each_outage_says_what_it_adds_to_the_month(shop: dict[str, Any]) -> None:
    """The 45-minute outage adds 45 minutes; the 30 s one is too short to count."""
    long, short = shop["outages"]
    assert (long["tier_minutes"], long["too_short"]) == (45, [])
    assert short["tier_minutes"] == 0
    assert short["too_short"] == [{"start": "2026-10-09T08:00:00Z", "end": "2026-10-09T08:00:30Z"}]
    assert all(piece["credit"] is None for piece in long["days"])


async def test_the_report_agrees_with_slawatch_credits_on_the_exported_case(
    db: Path, tmp_path: Path, shop: dict[str, Any]
) -> None:
    """The export carries the policy; `slawatch credits` on it gives the report's month."""
    config = tmp_path / "slawatch.yaml"
    config.write_text(CONFIG.format(db=db), encoding="utf-8")
    exported = await cli(
        *("export", "--config", str(config), "--service", "shop"),
        *("--from", "2026-10-01", "--to", "2026-10-31"),
    )
    case = json.loads(exported)
    assert case["contract"]["credit_policy"] == "uptime_tiers"
    assert "rounding" not in case["contract"]
    computed = json.loads(await cli("credits", "-", stdin=exported))
    assert computed["total_credit"] == shop["summary"]["total_credit"]
    (month,) = computed["months"]
    assert month == {k: v for k, v in shop["uptime"].items() if k in month}


async def test_every_format_shows_the_tier(db: Path) -> None:
    """Markdown and HTML state the uptime, the tier, the credit and the distance to the next
    tier; the CSV has one row for the month."""
    report = await _report(db)
    markdown = render_markdown(report)
    page = render_html(report)
    for text in (markdown, page):
        assert "99.8992 %" in text
        assert "10 % of 3100.00 USD" in text
        assert "= 310.00 USD" in text
        assert "after 401 more downtime minutes" in text
        assert "too short to count" in text
    assert "Credit per day" not in page
    assert "Uptime and tiers" in page
    rows = list(csv.DictReader(io.StringIO(render_csv(report))))
    assert [(r["date"], r["credit"], r["credited_minutes"]) for r in rows] == [
        ("2026-10", "310.00", "45")
    ]


async def test_a_tier_below_every_threshold_credits_nothing(tmp_path: Path) -> None:
    """A month without downtime: 100 % uptime, no tier, nothing owed, the first tier next."""
    path = tmp_path / "quiet.db"
    store = SQLiteStore(path)
    await store.open()
    await _interval(
        store,
        IntervalKind.RUNNING,
        "a",
        "*",
        start=datetime(2026, 9, 30, 23, tzinfo=UTC),
        end=datetime(2026, 11, 1, tzinfo=UTC) + timedelta(hours=1),
    )
    await store.close()
    shop = report_to_json(await _report(path))["services"][0]
    assert shop["uptime"]["uptime_percent"] == "100.0000"
    assert shop["uptime"]["tier"] is None
    assert shop["uptime"]["credit"] == "0.00"
    assert shop["uptime"]["next_tier"] == {"below": "99.99", "percent": "10"}
    # floor(44,640 x 0.0001) = 4 minutes of downtime keep the month at or above 99.99 %.
    assert shop["uptime"]["minutes_to_next_tier"] == 4

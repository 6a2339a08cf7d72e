"""The monthly report from a scripted month: its figures, its evidence, every text format, and
its agreement with `slawatch credits` on the exported case."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import subprocess
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from monitor.report import Report, build_report
from monitor.report.data import CSV_COLUMNS, SCHEMA, render_csv, report_to_json
from monitor.report.markdown import render_markdown
from monitor.store.base import ExclusionRecord
from monitor.store.sqlite import SQLiteStore

from .scenario import CONFIG, EXPECTED, NOW, fill, local, settings


@pytest.fixture
async def db(tmp_path: Path) -> Path:
    """The scripted month in a SQLite file."""
    path = tmp_path / "evidence.db"
    store = SQLiteStore(path)
    await store.open()
    await fill(store)
    await store.close()
    return path


async def report_of(db: Path, month: int = 10, **options: Any) -> Report:
    store = SQLiteStore(db)
    await store.open()
    try:
        return await build_report(store, settings(db), 2026, month, now=options.get("now", NOW))
    finally:
        await store.close()


@pytest.fixture
async def october(db: Path) -> dict[str, Any]:
    """October's report as JSON."""
    return report_to_json(await report_of(db))


def test_the_json_has_the_documented_shape(october: dict[str, Any]) -> None:
    """Top-level and per-service keys are the documented schema, in a stable order."""
    assert list(october) == ["schema", "month", "generated_at", "provisional", "services"]
    assert october["schema"] == SCHEMA
    assert october["month"] == "2026-10"
    (shop,) = october["services"]
    assert list(shop) == [
        "service", "contract_name", "contract", "quorum", "period", "month", "measured_until",
        "provisional", "has_data", "summary", "days", "outages", "exclusions", "gaps",
        "degraded", "vantages", "failover_events", "method",
    ]  # fmt: skip
    assert list(shop["days"][0]) == [
        "date", "minutes_in_day", "fee", "unavailable_seconds", "excluded_seconds",
        "credited_minutes", "credit", "capped", "fee_source",
    ]  # fmt: skip


def test_the_credits_are_those_worked_out_by_hand(october: dict[str, Any]) -> None:
    """Every day's minutes, credit and cap, and the total, match the scenario's arithmetic."""
    (shop,) = october["services"]
    with_credit = {
        d["date"]: (str(d["credited_minutes"]), Decimal(d["credit"]), d["capped"])
        for d in shop["days"]
        if d["credited_minutes"]
    }
    assert with_credit == EXPECTED["days"]
    assert len(shop["days"]) == 31
    assert Decimal(shop["summary"]["total_credit"]) == EXPECTED["total"]
    assert shop["summary"]["days_capped"] == 1
    assert shop["summary"]["outages"] == EXPECTED["outages"]
    assert shop["summary"]["credited_minutes"] == sum(
        int(m) for m, _, _ in EXPECTED["days"].values()
    )
    assert not shop["provisional"]
    assert shop["has_data"]


def test_each_outage_carries_its_evidence(october: dict[str, Any]) -> None:
    """Agreeing vantages, their own intervals with bounds, failed checks by outcome, and what each
    day of the outage earned; one vantage alone only counts while the other was not measuring."""
    outages = october["services"][0]["outages"]
    first = outages[0]
    assert (first["start"], first["end"]) == ("2026-10-05T02:00:05Z", "2026-10-05T02:07:30Z")
    assert first["vantages"] == ["bj-1", "sh-1"]
    sh = next(s for s in first["sightings"] if s["vantage"] == "sh-1")
    assert sh == {
        "vantage": "sh-1",
        "start": "2026-10-05T02:00:00Z",
        "start_bound": "2026-10-05T01:59:50Z",
        "end": "2026-10-05T02:07:30Z",
        "end_bound": "2026-10-05T02:07:20Z",
    }
    assert first["checks"]["home"] == {"timeout": 7, "connect_error": 2, "http_status": 1}
    assert first["days"] == [
        {
            "date": "2026-10-05",
            "unavailable_seconds": 445.0,
            "excluded_seconds": 0.0,
            "credited_minutes": 8,
            "credit": "1.20",
        }
    ]
    assert first["notice"] is None
    across_midnight = outages[1]
    assert [d["date"] for d in across_midnight["days"]] == ["2026-10-09", "2026-10-10"]
    alone = outages[2]
    assert alone["vantages"] == ["sh-1"]
    assert alone["start"] == "2026-10-12T02:15:00Z"
    assert not any(o["start"].startswith("2026-10-15") for o in outages)  # bj-1 alone, outvoted


def test_exclusions_show_the_contract_s_decision_and_the_audit_trail(
    october: dict[str, Any],
) -> None:
    """Applied, refused for late notice, applied in part (240 min), revoked with who and why."""
    views = {e["note"]: e for e in october["services"][0]["exclusions"]}
    assert views["announced upgrade"]["status"] == "applied"
    assert views["announced upgrade"]["excluded_seconds"] == 1800.0
    late = views["late notice"]
    assert late["status"] == "refused"
    assert "6 h ahead" in late["explanation"]
    assert "24 h" in late["explanation"]
    assert late["applied"] is None
    part = views["long window"]
    assert part["status"] == "applied in part"
    assert part["applied"] == {"start": "2026-10-27T16:00:00Z", "end": "2026-10-27T20:00:00Z"}
    assert part["excluded_seconds"] == 3600.0
    revoked = views["typhoon?"]
    assert revoked["status"] == "revoked"
    assert revoked["revoked"] == {
        "at": "2026-10-06T01:00:00Z",
        "by": "finance@example.com",
        "note": "no typhoon that day",
    }
    assert revoked["added_by"] == "ops@example.com"


def test_gaps_degraded_and_method_are_reported(october: dict[str, Any]) -> None:
    """Gap policy and gaps, degraded periods, each vantage's measured time, terms and clauses."""
    shop = october["services"][0]
    assert shop["gaps"] == {"policy": "exclude", "intervals": []}
    assert shop["degraded"] == [
        {
            "vantage": "sh-1",
            "start": "2026-10-07T04:00:00Z",
            "end": "2026-10-07T04:10:00Z",
            "checks_down": ["file"],
        }
    ]
    assert shop["vantages"] == {"bj-1": 31 * 86400.0 - 3600.0, "sh-1": 31 * 86400.0}
    assert shop["contract"]["credit_multiplier"] == "1.5"
    assert "C2" in shop["method"]["clauses"]["capped"]
    assert shop["failover_events"] is None


async def test_the_report_agrees_with_slawatch_credits_on_the_exported_case(
    db: Path, tmp_path: Path
) -> None:
    """`slawatch export | slawatch credits -` gives the report's days and total, field for field
    (the same outages, exclusions and contract)."""
    config = tmp_path / "slawatch.yaml"
    config.write_text(CONFIG.format(db=db, name="shop"), encoding="utf-8")
    exported = await cli(
        *("export", "--config", str(config), "--service", "shop"),
        *("--from", "2026-10-01", "--to", "2026-10-31"),
    )
    case = json.loads(exported)
    assert len(case["exclusions"]) == 3  # the revoked one is not in force
    computed = json.loads(await cli("credits", "-", stdin=exported))
    report = await report_of(db, now=NOW)
    shop = report_to_json(report)["services"][0]

    assert computed["total_credit"] == shop["summary"]["total_credit"]
    assert computed["days"] == [
        {k: v for k, v in day.items() if k != "fee_source"} for day in shop["days"]
    ]


async def test_csv_is_one_row_per_service_and_day(db: Path) -> None:
    """A header, then 31 rows whose credits add up to the total; capped marked."""
    rows = list(csv.DictReader(io.StringIO(render_csv(await report_of(db)))))

    assert list(rows[0]) == list(CSV_COLUMNS)
    assert len(rows) == 31
    assert sum(Decimal(r["credit"]) for r in rows) == EXPECTED["total"]
    capped = [r["date"] for r in rows if r["capped"] == "true"]
    assert capped == ["2026-10-20"]
    assert {r["service"] for r in rows} == {"shop"}
    assert {r["provisional"] for r in rows} == {"false"}


async def test_markdown_shows_the_figures_and_the_evidence(db: Path) -> None:
    """The ticket version: summary, the day table with its total row, outages, exclusions."""
    text = render_markdown(await report_of(db))

    assert "| Credit owed | **161.70 CNY** |" in text
    assert "| 2026-10-20 | 144.00 | 86400 | 0 | 1440 | 144.00 | yes |" in text
    assert "| **total** | | | | **1558** | **161.70** | |" in text
    assert "#### Outage 1: 2026-10-05 10:00:05+08:00 to 2026-10-05 10:07:30+08:00" in text
    assert "Provider notice: no notice recorded" in text
    assert "no typhoon that day" in text
    assert text.count("#### Outage ") == EXPECTED["outages"]


async def test_markdown_escapes_what_people_typed(db: Path) -> None:
    """A note with markup and a table pipe cannot break the table or inject HTML."""
    store = SQLiteStore(db)
    await store.open()
    await store.add_exclusion(
        ExclusionRecord(
            service="shop",
            start=local(2, 1),
            end=local(2, 2),
            reason="customer",
            note='<script>alert("x")</script> | *bold*',
            added_by="eve",
            added_at=local(2, 3),
        )
    )
    await store.close()

    text = render_markdown(await report_of(db))

    assert "<script>" not in text
    assert r"\<script\>" in text
    assert r"\| \*bold\*" in text


async def test_a_month_without_data_says_so(db: Path) -> None:
    """No vantage ran in August: no data, no credit, availability n/a, every day there."""
    report = await report_of(db, month=8)
    shop = report_to_json(report)["services"][0]

    assert shop["has_data"] is False
    assert shop["summary"]["availability_percent"] is None
    assert shop["summary"]["total_credit"] == "0.00"
    assert len(shop["days"]) == 31
    assert len(shop["gaps"]["intervals"]) == 1
    assert "**No data**" in render_markdown(report)


async def test_a_month_in_progress_is_provisional(db: Path) -> None:
    """Made on the 21st of October: provisional, measured until then, later days unmeasured."""
    now = local(21, 12)
    report = await report_of(db, now=now)
    shop = report_to_json(report)["services"][0]

    assert report.provisional
    assert shop["provisional"] is True
    assert shop["measured_until"] == "2026-10-21T04:00:00Z"
    assert Decimal(shop["summary"]["total_credit"]) == Decimal("151.95")  # to the 20th
    assert shop["summary"]["measured_seconds"] == (20 * 86400 + 12 * 3600.0)
    assert "**Provisional**" in render_markdown(report)
    assert report.services[0].window.end - report.services[0].window.start == timedelta(
        days=20, hours=12
    )


async def cli(*args: str, stdin: str = "") -> str:
    """Run `slawatch ARGS`, feeding ``stdin``; its standard output (it must succeed)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "monitor.cli",
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(stdin.encode()), 60)
    assert process.returncode == 0, err.decode()
    return out.decode()


def slawatch(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("suffix", "check"),
    [
        pytest.param(".json", lambda text: json.loads(text)["schema"] == SCHEMA, id="json"),
        pytest.param(".csv", lambda text: text.startswith("service,date,"), id="csv"),
        pytest.param(".md", lambda text: text.startswith("# SLA credit report "), id="md"),
        pytest.param(".html", lambda text: text.lower().startswith("<!doctype html"), id="html"),
    ],
)
def test_the_command_writes_the_format_its_file_asks_for(
    db: Path, tmp_path: Path, suffix: str, check: Any
) -> None:
    """`slawatch report --out FILE.ext` picks the format from the suffix and writes the file."""
    config = tmp_path / "slawatch.yaml"
    config.write_text(CONFIG.format(db=db, name="shop"), encoding="utf-8")
    out = tmp_path / f"october{suffix}"

    done = slawatch("report", "--config", str(config), "--month", "2026-10", "--out", str(out))

    assert done.returncode == 0, done.stderr
    assert check(out.read_text(encoding="utf-8"))
    assert list(tmp_path.glob(".*.partial")) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(("--month", "2026-13"), "--month: expected YYYY-MM", id="month"),
        pytest.param(
            ("--month", "2026-10", "--service", "nope"),
            "--service: unknown service 'nope'",
            id="service",
        ),
    ],
)
def test_the_command_refuses_bad_arguments_in_one_line(
    db: Path, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    """Exit 2 and one line naming the option."""
    config = tmp_path / "slawatch.yaml"
    config.write_text(CONFIG.format(db=db, name="shop"), encoding="utf-8")

    done = slawatch("report", "--config", str(config), *args)

    assert done.returncode == 2
    assert message in done.stderr
    assert done.stderr.count("\n") == 1

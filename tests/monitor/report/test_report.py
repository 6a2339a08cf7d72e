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

from monitor.evidence import ExclusionRecord, IntervalKind, IntervalRecord, NoticeRecord
from monitor.quorum import UNCONFIRMED_NOTE
from monitor.report import Report, build_report
from monitor.report.data import CSV_COLUMNS, SCHEMA, render_csv, report_to_json
from monitor.report.html import render_html
from monitor.report.markdown import render_markdown
from monitor.store.sqlite import SQLiteStore

from .scenario import CONFIG, EARLY, EXPECTED, NOW, fill, fill_early_month, local, settings


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
        "provisional", "has_data", "summary", "days", "uptime", "outages", "exclusions", "notices",
        "gaps", "degraded", "vantages", "failover_events", "method",
    ]  # fmt: skip
    assert list(shop["summary"]) == [
        "credit_policy", "currency", "total_credit", "credited_minutes", "days_capped", "outages",
        "outages_not_notified", "failover_events", "failovers_breached", "unavailable_seconds",
        "measured_seconds", "gap_seconds", "elapsed_seconds", "month_seconds",
        "availability_percent",
    ]  # fmt: skip
    assert list(shop["outages"][0]) == [
        "start", "end", "duration_seconds", "ongoing", "vantages", "sightings", "checks",
        "unconfirmed", "tier_minutes", "too_short", "days", "notice",
    ]  # fmt: skip
    assert list(shop["outages"][0]["notice"]) == [
        "id", "at", "ref", "added_by", "added_at", "time_to_notice_seconds",
    ]  # fmt: skip
    assert list(shop["notices"][0]) == [
        "id", "service", "at", "ref", "added_by", "added_at", "revoked", "outage_start",
    ]  # fmt: skip
    assert list(shop["days"][0]) == [
        "date", "minutes_in_day", "fee", "unavailable_seconds", "excluded_seconds",
        "credited_minutes", "credit", "capped", "fee_source", "measured_seconds",
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
    assert first["notice"] == {
        "id": first["notice"]["id"],
        "at": "2026-10-05T02:12:05Z",
        "ref": "status page incident 101",
        "added_by": "ops@example.com",
        "added_at": "2026-10-05T03:12:05Z",
        "time_to_notice_seconds": 720.0,
    }
    across_midnight = outages[1]
    assert [d["date"] for d in across_midnight["days"]] == ["2026-10-09", "2026-10-10"]
    alone = outages[2]
    assert alone["vantages"] == ["sh-1"]
    assert alone["start"] == "2026-10-12T02:15:00Z"
    assert not any(o["start"].startswith("2026-10-15") for o in outages)  # bj-1 alone, outvoted


def test_each_outage_has_its_first_notice_or_none(october: dict[str, Any]) -> None:
    """Matched on time (12 min after), early (10 min before the measured start), and late (33.5 h
    after the start, within 24 h of the end); a day too late, revoked, or none: not notified."""
    shop = october["services"][0]
    notices = {
        o["start"]: None
        if o["notice"] is None
        else (o["notice"]["ref"], o["notice"]["time_to_notice_seconds"])
        for o in shop["outages"]
    }

    assert notices == EXPECTED["notices"]
    assert shop["summary"]["outages_not_notified"] == EXPECTED["not_notified"]


def test_every_notice_of_the_month_is_listed_with_the_outage_it_answers(
    october: dict[str, Any],
) -> None:
    """A follow-up answers the outage too; a day too late answers none; a revoked one answers none
    and shows who revoked it and why."""
    listed = [(n["at"], n["outage_start"]) for n in october["services"][0]["notices"]]

    assert listed == [
        ("2026-10-05T02:12:05Z", "2026-10-05T02:00:05Z"),
        ("2026-10-05T02:30:00Z", "2026-10-05T02:00:05Z"),
        ("2026-10-09T15:40:00Z", "2026-10-09T15:50:00Z"),
        ("2026-10-13T03:00:00Z", None),
        ("2026-10-21T01:30:00Z", "2026-10-19T16:00:00Z"),
        ("2026-10-26T18:03:00Z", None),
    ]
    revoked = october["services"][0]["notices"][-1]
    assert revoked["revoked"] == {
        "at": "2026-10-28T01:00:00Z",
        "by": "finance@example.com",
        "note": "that was the CDN",
    }


async def edge_of_month(tmp_path: Path, *, november_outage: bool) -> dict[str, Any]:
    """October's report of a month whose first outage began on 30 September and whose last ends
    on 31 October, with notices just outside the month; optionally an outage on 1 November."""
    path = tmp_path / "edges.db"
    store = SQLiteStore(path)
    await store.open()
    spans = [(local(30, 23, 50, month=9), local(1, 0, 20)), (local(31, 23), local(31, 23, 30))]
    if november_outage:
        spans.append((local(1, 1, month=11), local(1, 1, 10, month=11)))
    for vantage in ("sh-1", "bj-1"):
        await store.open_interval(
            IntervalRecord(
                IntervalKind.RUNNING,
                vantage,
                "*",
                start=local(25, 0, month=9),
                end=local(5, 0, month=11),
            )
        )
        for start, end in spans:
            await store.open_interval(
                IntervalRecord(IntervalKind.OUTAGE, vantage, "shop", start=start, end=end)
            )
    for at in (local(30, 23, 58, month=9), local(1, 1, 5, month=11)):
        await store.add_notice(NoticeRecord("shop", at, "mail", "ops", at))
    await store.close()
    service: dict[str, Any] = report_to_json(await report_of(path))["services"][0]
    return service


async def test_notices_at_the_edges_of_the_month(tmp_path: Path) -> None:
    """An outage begun in September is matched whole, from its real start; a notice on
    1 November answers October's last outage when no later outage had started."""
    shop = await edge_of_month(tmp_path, november_outage=False)

    first, last = shop["outages"]
    assert first["start"] == "2026-09-30T16:00:00Z"  # the month's part of it
    assert first["notice"]["at"] == "2026-09-30T15:58:00Z"
    assert first["notice"]["time_to_notice_seconds"] == 480.0  # from 23:50 on 30 September
    assert last["notice"]["at"] == "2026-10-31T17:05:00Z"
    assert last["notice"]["time_to_notice_seconds"] == 7500.0
    assert [(n["at"], n["outage_start"]) for n in shop["notices"]] == [
        ("2026-09-30T15:58:00Z", "2026-09-30T15:50:00Z"),
        ("2026-10-31T17:05:00Z", "2026-10-31T15:00:00Z"),
    ]


async def test_a_notice_of_next_month_s_outage_is_not_this_month_s(tmp_path: Path) -> None:
    """When an outage on 1 November started before the notice, the notice answers that one:
    October's last outage was never notified, and the notice is not October's."""
    shop = await edge_of_month(tmp_path, november_outage=True)

    assert shop["outages"][-1]["notice"] is None
    assert shop["summary"]["outages_not_notified"] == 1
    assert [n["at"] for n in shop["notices"]] == ["2026-09-30T15:58:00Z"]


def test_exclusions_show_the_contract_s_decision_and_the_audit_trail(
    october: dict[str, Any],
) -> None:
    """Applied, refused for late notice, applied in part (240 min), revoked with who and why."""
    views = {e["note"]: e for e in october["services"][0]["exclusions"]}
    assert views["announced upgrade"]["status"] == "applied"
    assert views["announced upgrade"]["excluded_seconds"] == 1800.0
    assert views["announced upgrade"]["explanation"] == (
        "accepted in full: announced 4 d 16 h before its start,"
        " the contract needs 24 h of notice (C6)"
    )
    late = views["late notice"]
    assert late["status"] == "refused"
    assert late["explanation"] == (
        "refused: announced 6 h before its start, the contract needs 24 h of notice (C6)"
    )
    assert late["applied"] is None
    part = views["long window"]
    assert part["status"] == "applied in part"
    assert part["applied"] == {"start": "2026-10-27T16:00:00Z", "end": "2026-10-27T20:00:00Z"}
    assert part["excluded_seconds"] == 3600.0
    assert part["explanation"].startswith(
        "accepted for its first 240 min (maintenance_max_minutes) of 6 h: announced 3 d before"
    )
    revoked = views["typhoon?"]
    assert revoked["status"] == "revoked"
    assert revoked["explanation"] == "revoked: not applied"
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
    assert len(shop["failover_events"]) == 2


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
        {k: v for k, v in day.items() if k not in ("fee_source", "measured_seconds")}
        for day in shop["days"]
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
    assert "| 2026-10-20 | 144.00 | 1 d | 0 s | 1440 | 144.00 | yes |" in text
    assert "| 2026-10-05 | 144.00 | 7 min 25 s | 0 s | 8 | 1.20 |  |" in text
    assert "| Availability | 96.3096 % (over the 31 d measured: all of the month's 31 d) |" in text
    assert "| Time measured | 31 d of 31 d |" in text
    assert "- 2026-10-05: 7 min 25 s unavailable, 0 s excluded, 8 min credited," in text
    assert "| **total** | | | | **1558** | **161.70** | |" in text
    assert "#### Outage 1: 2026-10-05 10:00:05+08:00 to 2026-10-05 10:07:30+08:00" in text
    assert (
        "| Outages never notified | 4 (C4: immediate notice of a whole-service failure) |" in text
    )
    assert (
        "- Provider notice: 2026-10-05 10:12:05+08:00, 12 min after its start:"
        " status page incident 101 (#1, recorded by ops@example.com)" in text
    )
    assert "- Provider notice: 2026-10-09 23:40:00+08:00, 10 min before its start:" in text
    assert "- Provider notice: 2026-10-21 09:30:00+08:00, 1 d 09 h 30 min after its start:" in text
    assert text.count("- Provider notice: **not notified** (C4: ") == EXPECTED["not_notified"]
    assert "### Provider notices (C4)" in text
    assert (
        "| 4 | 2026-10-13 11:00:00+08:00 | mail about yesterday's outage"
        " | ops@example.com, 2026-10-13 12:00:00+08:00 | none | valid |" in text
    )
    assert (
        "| revoked by finance@example.com at 2026-10-28 09:00:00+08:00: that was the CDN |" in text
    )
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
    await store.add_notice(
        NoticeRecord("shop", local(5, 10, 1), "<img src=x> | _it_", "[eve](http://x)", local(6, 1))
    )
    await store.close()

    text = render_markdown(await report_of(db))

    assert "<script>" not in text
    assert r"\<script\>" in text
    assert r"\| \*bold\*" in text
    assert "<img src=x>" not in text
    assert r"\<img src=x\> \| \_it\_" in text
    assert r"\[eve\](http://x)" in text


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


def test_failover_events_are_reported_with_their_verdicts(october: dict[str, Any]) -> None:
    """Each vantage's failover events, with the verdict, reasons and figures; counted in the
    summary; never credited."""
    shop = october["services"][0]
    kept, breached = shop["failover_events"]
    assert (kept["node"], kept["vantage"], kept["verdict"]) == ("node-a", "sh-1", "kept")
    assert kept["start"] == "2026-10-03T06:00:00Z"
    assert kept["figures"]["dns"]["removed_after_seconds"] == 35.0
    assert breached["verdict"] == "breached"
    assert breached["reasons"] == ["frontend down 45s at a stretch (at most 30s)"]
    assert breached["figures"]["frontend_outage_seconds"] == 45.0
    assert (shop["summary"]["failover_events"], shop["summary"]["failovers_breached"]) == (2, 1)
    assert Decimal(shop["summary"]["total_credit"]) == EXPECTED["total"]


async def test_markdown_lists_the_failover_events(db: Path) -> None:
    """One table row per event, the breach with its reason."""
    text = render_markdown(await report_of(db))

    assert (
        "| node-a | sh-1 | 2026-10-03 14:00:00+08:00 | 2026-10-03 14:04:00+08:00 | kept |" in text
    )
    assert "breached: frontend down 45s at a stretch (at most 30s)" in text


async def test_a_notice_answers_a_long_outage_that_began_last_month(tmp_path: Path) -> None:
    """An outage from 28 October to 1 November, noticed 5 minutes after it began: November's
    report times the notice from the real start, days before the month (and before the usual
    look-around), and does not call it unnotified."""
    path = tmp_path / "edge.db"
    store = SQLiteStore(path)
    await store.open()
    await store.open_interval(
        IntervalRecord(
            IntervalKind.RUNNING,
            "sh-1",
            "*",
            local(20, 0),
            local(5, 0, month=11),
            detail={"services": ["shop"]},
        )
    )
    await store.open_interval(
        IntervalRecord(IntervalKind.OUTAGE, "sh-1", "shop", local(25, 10), local(1, 2, month=11))
    )
    await store.add_notice(
        NoticeRecord(
            service="shop", at=local(25, 10, 5), ref="status page", added_by="ops", added_at=NOW
        )
    )
    report = await build_report(store, settings(path), 2026, 11, now=local(10, 0, month=11))
    await store.close()

    (outage,) = report.services[0].outages
    assert outage.span.start == local(1, 0, month=11)
    assert outage.notice is not None
    assert outage.time_to_notice == timedelta(minutes=5)


@pytest.fixture
async def early(tmp_path: Path) -> Report:
    """The report made two days into October, of which 12 hours were measured."""
    path = tmp_path / "early.db"
    store = SQLiteStore(path)
    await store.open()
    await fill_early_month(store)
    try:
        return await build_report(store, settings(path), 2026, 10, now=EARLY)
    finally:
        await store.close()


def test_the_json_says_what_availability_is_over(early: Report) -> None:
    """Measured, not measured, elapsed and the whole month, in exact seconds; each day's
    measured time; the 0.4 s outage exact."""
    shop = report_to_json(early)["services"][0]
    summary = shop["summary"]

    assert summary["availability_percent"] == "99.9991"
    assert (summary["measured_seconds"], summary["gap_seconds"]) == (43200.0, 129600.0)
    assert (summary["elapsed_seconds"], summary["month_seconds"]) == (172800.0, 31 * 86400.0)
    assert [d["measured_seconds"] for d in shop["days"][:3]] == [0.0, 43200.0, 0.0]
    assert shop["outages"][0]["duration_seconds"] == 0.4
    assert shop["days"][1]["unavailable_seconds"] == 0.4


def test_markdown_says_what_availability_is_over_and_rounds_downtime_up(early: Report) -> None:
    """Availability beside the time measured and the month so far; an outage of 0.4 s reads
    1 s, never 0 s; the rounding rule is stated."""
    text = render_markdown(early)

    assert (
        "| Availability | 99.9991 % (over the 12 h measured, of the first 2 d of the month's"
        " 31 d; 1 d 12 h not measured) |" in text
    )
    assert "| Time measured | 12 h of 2 d |" in text
    assert "| Time not measured (gaps) | 1 d 12 h |" in text
    assert "- Duration: 1 s; UTC 2026-10-02T10:00:00Z to 2026-10-02T10:00:00.400000Z" in text
    assert "| 2026-10-02 | 144.00 | 1 s | 0 s | 1 | 0.15 |  |" in text
    assert "- 2026-10-02: 1 s unavailable, 0 s excluded, 1 min credited," in text
    assert "0.4 s" not in text
    assert "Durations are shown to the second, rounded up" in text


def test_csv_has_each_day_s_measured_time(early: Report) -> None:
    """A column gives the seconds some vantage measured that day; the rest is unchanged."""
    rows = list(csv.DictReader(io.StringIO(render_csv(early))))

    assert list(rows[0])[-2:] == ["measured_seconds", "unconfirmed_seconds"]
    assert [(r["date"], r["unavailable_seconds"], r["measured_seconds"]) for r in rows[:3]] == [
        ("2026-10-01", "0.0", "0.0"),
        ("2026-10-02", "0.4", "43200.0"),
        ("2026-10-03", "0.0", "0.0"),
    ]


async def test_an_unconfirmed_outage_is_credited_and_said_so_in_every_format(
    tmp_path: Path,
) -> None:
    """A single vantage without canaries saw a 10-minute outage, every check down for its first
    5 minutes: the whole outage is credited, and each format says which part no independent
    reference confirms."""
    db = tmp_path / "evidence.db"
    store = SQLiteStore(db)
    await store.open()
    start = local(2, 18)
    await store.open_interval(
        IntervalRecord(IntervalKind.RUNNING, "solo", "*", local(1, 0), local(3, 0))
    )
    await store.open_interval(
        IntervalRecord(IntervalKind.OUTAGE, "solo", "shop", start, start + timedelta(minutes=10))
    )
    await store.open_interval(
        IntervalRecord(
            IntervalKind.UNCONFIRMED,
            "solo",
            "solo",
            start - timedelta(seconds=5),
            start + timedelta(minutes=5),
        )
    )
    await store.close()
    report = await report_of(db)

    (service,) = report_to_json(report)["services"]
    (outage,) = service["outages"]
    assert outage["duration_seconds"] == 600.0
    assert outage["unconfirmed"]["seconds"] == 300.0
    assert outage["unconfirmed"]["note"] == UNCONFIRMED_NOTE
    assert service["summary"]["credited_minutes"] == 10
    rows = list(csv.DictReader(io.StringIO(render_csv(report))))
    assert [(r["date"], r["unconfirmed_seconds"]) for r in rows[:3]] == [
        ("2026-10-01", "0.0"),
        ("2026-10-02", "300.0"),
        ("2026-10-03", "0.0"),
    ]
    assert f"**Unconfirmed** for 5 min of it: {UNCONFIRMED_NOTE}" in render_markdown(report)
    assert UNCONFIRMED_NOTE in render_html(report)


@pytest.mark.parametrize(
    ("month", "said"),
    [
        ("2026-13", "--month: expected YYYY-MM, got '2026-13'"),
        ("0000-01", "--month: '0000-01' is not a month that begins and ends"),
        ("9999-12", "--month: '9999-12' is not a month that begins and ends"),
    ],
)
def test_a_month_that_cannot_be_reported_is_one_line(db: Path, month: str, said: str) -> None:
    """Exit 2 and one line naming --month: never a traceback for a year 0 or 10000."""
    config = db.parent / "slawatch.yaml"
    config.write_text(CONFIG.format(db=db, name="shop"), encoding="utf-8")
    done = slawatch("report", "--config", str(config), "--month", month)
    assert (done.returncode, done.stderr, done.stdout) == (2, f"slawatch: {said}\n", "")

"""`slawatch claim` end to end: real daemons on fake time in October 2026 store a scripted outage
(tests/monitor/claim/scripted.py), then the real command, as a subprocess, writes the claim for
that month, which is over by the real date.

The claim is checked against the store and the report it attaches: every failed probe of the
outage, from each vantage that agreed, is in request-log.csv and nothing else is; the letter's
figures are the JSON report's. Then each rule: the month in progress refused, nothing to claim,
evidence past retention, bad input, the deadline past, and no secret in any file.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from monitor.results import ProbeResult
from monitor.store.sqlite import SQLiteStore
from monitor.timefmt import format_instant, parse_instant

from .scripted import BACK, CONFIRM, FAIL, Scenario, claim_config, run_scenario

LABEL = "2026-10"
CHECKS = ("page", "download")


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    """The scripted month, run once for the module (in a thread of its own, with its own event
    loop, apart from the tests')."""
    with ThreadPoolExecutor(1) as pool:
        yield pool.submit(run_scenario, tmp_path_factory.mktemp("scripted")).result()


@dataclass
class Run:
    """What `slawatch claim` did: its exit status, its standard error, the files it wrote."""

    status: int
    stderr: str
    out: Path

    def read(self, name: str) -> str:
        return (self.out / name).read_text(encoding="utf-8")


def claim(config: Path, service: str, out: Path, month: str = LABEL) -> Run:
    done = subprocess.run(
        [
            *(sys.executable, "-m", "monitor.cli", "claim", "--config", str(config)),
            *("--service", service, "--month", month, "--out", str(out)),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.stdout == ""
    return Run(done.returncode, done.stderr, out)


def files(service: str) -> set[str]:
    return {
        f"claim-{service}-{LABEL}.md",
        f"claim-{service}-{LABEL}.txt",
        "request-log.csv",
        f"report-{LABEL}.json",
    }


def credited(outage: dict[str, Any]) -> bool:
    """The claim's rule, on the JSON: creditable time (per_minute) or downtime minutes (tiers)."""
    if outage["tier_minutes"] is not None:
        return bool(outage["tier_minutes"] > 0)
    return any(
        (d["credited_minutes"] or 0) > 0 or d["unavailable_seconds"] > d["excluded_seconds"]
        for d in outage["days"]
    )


def rows(run: Run) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(run.read("request-log.csv"), newline="")))


def stored_failures(db: Path, start: datetime, end: datetime, service: str) -> list[ProbeResult]:
    """The failed probes of the service's frontend checks stored in ``[start, end)``, any vantage."""

    async def read() -> list[ProbeResult]:
        store = SQLiteStore(db)
        await store.open()
        try:
            found = await store.results(start=start, end=end)
        finally:
            await store.close()
        return [r for r in found if not r.up and r.check in {f"{service}/{c}" for c in CHECKS}]

    return asyncio.run(read())


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


@pytest.mark.parametrize(
    ("service", "deadline"),
    [
        # per_minute, Asia/Shanghai, claim_within 60d: the end of 2026-12-30 local.
        pytest.param("shop", datetime(2026, 12, 30, 16, tzinfo=UTC), id="per-minute"),
        # uptime_tiers, America/New_York, claim_by end_of_second_billing_cycle: 2026-12-01 EST.
        pytest.param("api", datetime(2026, 12, 1, 5, tzinfo=UTC), id="uptime-tiers"),
    ],
)
def test_a_scripted_run_writes_a_claim(
    scenario: Scenario, tmp_path: Path, service: str, deadline: datetime
) -> None:
    run = claim(claim_config(scenario, tmp_path), service, tmp_path / "claims" / service)

    assert run.status == 0, run.stderr
    assert {p.name for p in run.out.iterdir()} == files(service)
    report = json.loads(run.read(f"report-{LABEL}.json"))
    assert report["month"] == LABEL
    assert not report["provisional"]
    (month,) = report["services"]
    assert month["service"] == service
    currency = month["summary"]["currency"]
    outages = [o for o in month["outages"] if credited(o)]
    assert len(outages) == 1
    (outage,) = outages
    start, end = parse_instant(outage["start"]), parse_instant(outage["end"])
    # Within the scripted stretch, give or take a retry and the confirmation.
    assert FAIL <= start <= FAIL + timedelta(seconds=15)
    assert BACK <= end <= BACK + timedelta(seconds=15)
    assert outage["vantages"] == ["v1", "v2"]

    # The request log: each failed probe of the outage from v1 and v2, and nothing else.
    logged = rows(run)
    assert [r["time"] for r in logged] == sorted(r["time"] for r in logged)
    held = [
        r
        for r in stored_failures(scenario.db, start, end, service)
        if r.vantage in outage["vantages"]
    ]
    assert sorted((r["time"], r["vantage"], r["check"]) for r in logged) == sorted(
        (format_instant(r.started_at), r.vantage, r.check.partition("/")[2]) for r in held
    )
    # v3 failed too (its page), but did not agree: none of its probes is evidence.
    assert any(r.vantage == "v3" for r in stored_failures(scenario.db, start, end, service))
    counts = Counter((r["vantage"], r["check"]) for r in logged)
    for vantage in outage["vantages"]:
        for check in CHECKS:
            assert counts[vantage, check] >= CONFIRM, (vantage, check)
    assert {(r["outcome"], r["status"]) for r in logged} == {("http_status", "503")}
    assert {r["error"] for r in logged} == {"status 503 Service Unavailable, expected 2xx"}
    port = scenario.port
    assert {(r["check"], r["target"]) for r in logged} == {
        ("page", f"http://probe:***@127.0.0.1:{port}/page?token=***"),
        ("download", f"http://127.0.0.1:{port}/download"),
    }

    # The letter's figures are the report's.
    text = run.read(f"claim-{service}-{LABEL}.txt")
    markdown = run.read(f"claim-{service}-{LABEL}.md")
    total = f"{month['summary']['total_credit']} {currency}"
    assert f"We claim a service credit of {total} for the service {service}" in text
    assert f"Total credit claimed: {total}" in text
    assert f"Total credit claimed: **{total}**" in markdown
    assert f"Please credit {total} for {LABEL}." in text
    assert f"- Start: {outage['start']} (UTC)" in text
    assert f"- End: {outage['end']} (UTC)" in text
    by_vantage = Counter(r["vantage"] for r in logged)
    assert (
        f"- Incident 1: {plural(len(logged), 'failed request')} in request-log.csv"
        f" (v1: {by_vantage['v1']}, v2: {by_vantage['v2']})\n" in text
    )
    assert "Incident 2" not in text
    if month["uptime"] is None:
        for piece in outage["days"]:
            assert (
                f": {plural(piece['credited_minutes'], 'minute')} credited,"
                f" {piece['credit']} {currency} before the day's cap\n" in text
            )
        table = re.findall(r"^(\d{4}-\d\d-\d\d) +(\S+) +(\d+) +(\S+) +(yes|no)$", text, re.M)
        assert table == [
            (
                d["date"],
                d["fee"],
                str(d["credited_minutes"]),
                d["credit"],
                (d["capped"] and "yes") or "no",
            )
            for d in month["days"]
            if d["credited_minutes"] > 0
        ]
        assert re.search(
            rf"^total +{month['summary']['credited_minutes']} +{month['summary']['total_credit']}$",
            text,
            re.M,
        )
    else:
        uptime = month["uptime"]
        assert f"- Downtime minutes toward the month's uptime: {outage['tier_minutes']}\n" in text
        assert (
            f"- Monthly uptime: {uptime['uptime_percent']} %"
            f" ({uptime['downtime_minutes']} downtime minutes of {uptime['minutes_in_month']:,})"
            in text
        )
        assert (
            f"- Tier applied: uptime below {uptime['tier']['below']} %:"
            f" {uptime['tier']['percent']} % of the charge" in text
        )
        assert (
            f"- Credit: {uptime['credit_percent']} % of {uptime['charge']} {currency}"
            f" (monthly_fee) = {uptime['credit']} {currency}" in text
        )
        assert uptime["credit"] == month["summary"]["total_credit"]

    # The deadline, and a warning only when it is near (7 days) or past, by the real date.
    near = deadline - datetime.now(UTC) <= timedelta(days=7)
    assert f"({format_instant(deadline)})" in text
    assert ("slawatch: warning: the deadline to file" in run.stderr) == near
    assert run.stderr.splitlines()[-1].startswith(f"claim for {service} in {LABEL} written to")

    # No secret of the checks in any file, nor on standard error.
    said = run.stderr + "".join(run.read(name) for name in files(service))
    for secret in (scenario.password, scenario.token, scenario.header):
        assert secret not in said


def _month_of(now: datetime, zone: str) -> str:
    local = now.astimezone(ZoneInfo(zone))
    return f"{local.year:04d}-{local.month:02d}"


@pytest.mark.parametrize(
    "month",
    [
        # The month running now in Shanghai (an hour ahead, so the month cannot end meanwhile).
        pytest.param(_month_of(datetime.now(UTC) + timedelta(hours=1), "Asia/Shanghai"),
                     id="current-month"),
        pytest.param(f"{datetime.now(UTC).year + 1}-01", id="future-month"),
    ],
)  # fmt: skip
def test_a_month_not_over_is_refused(scenario: Scenario, tmp_path: Path, month: str) -> None:
    run = claim(claim_config(scenario, tmp_path), "shop", tmp_path / "out", month)

    assert run.status == 2
    assert run.stderr.startswith(f"slawatch: --month: {month} is not over for shop: it ends at ")
    assert run.stderr.endswith("(Asia/Shanghai); a claim is for a month that is over\n")
    assert run.stderr.count("\n") == 1
    assert not run.out.exists()


def test_nothing_to_claim_writes_nothing(scenario: Scenario, tmp_path: Path) -> None:
    run = claim(claim_config(scenario, tmp_path), "quiet", tmp_path / "out")

    assert run.status == 0
    assert run.stderr == f"nothing to claim for quiet in {LABEL}: no credited downtime\n"
    assert not run.out.exists()


@pytest.mark.parametrize(
    ("service", "terms", "why"),
    [
        pytest.param(
            "api",
            {"tier_below": "99.9"},
            # Five minutes down hold five or six clock minutes, by where they begin.
            "[56] downtime minutes leave the month's uptime at or above every tier",
            id="uptime-above-every-tier",
        ),
        pytest.param(
            "shop", {"daily_fee": "0"}, "the credited days' fees earn no credit", id="no-fee"
        ),
    ],
)
def test_credited_downtime_that_earns_nothing_writes_nothing(
    scenario: Scenario, tmp_path: Path, service: str, terms: dict[str, str], why: str
) -> None:
    """The outage's few downtime minutes leave uptime above 99.98 %, above a tier below 99.9 %;
    a fee of 0 earns 0 for any minute. ``why`` is a pattern."""
    run = claim(claim_config(scenario, tmp_path, **terms), service, tmp_path / "out")

    assert run.status == 0
    assert re.fullmatch(f"nothing to claim for {service} in {LABEL}: {why}\n", run.stderr)
    assert not run.out.exists()


def test_an_out_directory_that_cannot_be_made_fails_in_one_line(
    scenario: Scenario, tmp_path: Path
) -> None:
    (tmp_path / "file").write_text("not a directory", encoding="utf-8")
    out = tmp_path / "file" / "claims"

    run = claim(claim_config(scenario, tmp_path), "shop", out)

    assert (run.status, run.stderr) == (
        1,
        f"slawatch: --out: {out}: cannot create: Not a directory\n",
    )


def test_evidence_past_retention_is_named_in_the_letter(scenario: Scenario, tmp_path: Path) -> None:
    """With results kept 30 days, the store's prune removes October's: the claim still stands
    on the intervals; the letter names the incident whose request log is gone, and so does a
    warning."""
    db = tmp_path / "evidence.db"
    shutil.copy(scenario.db, db)
    copy = Scenario(db, scenario.port, scenario.password, scenario.token, scenario.header)

    async def prune() -> int:
        store = SQLiteStore(db)
        await store.open()
        try:
            return await store.prune(datetime.now(UTC) - timedelta(days=30))
        finally:
            await store.close()

    assert asyncio.run(prune()) > 0
    assert not stored_failures(db, FAIL, BACK + timedelta(minutes=1), "shop")
    config = claim_config(copy, tmp_path, extra="allow_short_retention: true\nretention_days: 30")

    run = claim(config, "shop", tmp_path / "out")

    assert run.status == 0, run.stderr
    assert rows(run) == []
    (month,) = json.loads(run.read(f"report-{LABEL}.json"))["services"]
    (outage,) = [o for o in month["outages"] if credited(o)]
    counted = "; ".join(
        f"{check}: " + ", ".join(f"{n} {outcome}" for outcome, n in outcomes.items())
        for check, outcomes in outage["checks"].items()
    )
    text = run.read(f"claim-shop-{LABEL}.txt")
    assert (
        "- Incident 1: 0 failed requests in request-log.csv (v1: 0, v2: 0). Raw results are kept"
        " 30 days (retention_days)" in text
    )
    assert (
        "this incident ended before then: its request log is incomplete or empty. The stored"
        " intervals, kept for good, still count its failed probes by check and outcome:"
        f" {counted}." in text
    )
    assert f"Total credit claimed: {month['summary']['total_credit']} CNY" in text
    assert (
        "slawatch: warning: raw results are kept 30 days (retention_days): the request logs of"
        f" incident 1 ({outage['start']}, gone) are no longer held; the letter says so\n"
        in run.stderr
    )


def test_an_unknown_service_is_refused(scenario: Scenario, tmp_path: Path) -> None:
    run = claim(claim_config(scenario, tmp_path), "nope", tmp_path / "out")

    assert (run.status, run.stderr) == (
        2,
        "slawatch: --service: unknown service 'nope' (services: shop, api, quiet)\n",
    )
    assert not run.out.exists()


@pytest.mark.parametrize(
    ("month", "said"),
    [
        pytest.param("2026-13", "--month: expected YYYY-MM, got '2026-13'", id="month-13"),
        pytest.param("2026-1", "--month: expected YYYY-MM, got '2026-1'", id="one-digit"),
        pytest.param("October", "--month: expected YYYY-MM, got 'October'", id="a-name"),
        pytest.param(
            "0000-01", "--month: '0000-01' is not a month that begins and ends", id="year-zero"
        ),
    ],
)
def test_a_bad_month_is_refused(scenario: Scenario, tmp_path: Path, month: str, said: str) -> None:
    run = claim(claim_config(scenario, tmp_path), "shop", tmp_path / "out", month)

    assert (run.status, run.stderr) == (2, f"slawatch: {said}\n")
    assert not run.out.exists()


def test_a_deadline_past_is_warned_about_and_in_the_letter(
    scenario: Scenario, tmp_path: Path
) -> None:
    """``claim_within: 1d``: October's claim was due by the end of 2026-11-01 in Shanghai."""
    config = claim_config(scenario, tmp_path, claim_within="1d")

    run = claim(config, "shop", tmp_path / "out")

    assert run.status == 0, run.stderr
    days = (datetime.now(UTC) - datetime(2026, 11, 1, 16, tzinfo=UTC)) // timedelta(days=1)
    ago = "less than a day ago" if days == 0 else f"{plural(days, 'day')} ago"
    assert (
        "slawatch: warning: the deadline to file has passed: the end of 2026-11-01"
        f" (Asia/Shanghai); past: {ago}\n" in run.stderr
    )
    markdown = run.read(f"claim-shop-{LABEL}.md")
    assert (
        "By the end of 2026-11-01 (Asia/Shanghai): before 2026-11-02 00:00:00+08:00"
        f" (2026-11-01T16:00:00Z); **past: {ago}** as of " in markdown
    )

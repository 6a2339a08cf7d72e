"""The claim's pure builders: which outages are claimed, which failed requests document each, the
letter in Markdown and plain text, and ``request-log.csv``.

The months are the report tests' (tests/monitor/report/scenario.py: October 2026 in Shanghai,
per_minute, 161.70 CNY worked out by hand; test_tier_report.py: an uptime_tiers month, 310.00
USD), stored in real SQLite files, with raw results added where the test knows which must be
attached and which must not.
"""

from __future__ import annotations

import csv
import io
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.claim.deadline import Standing
from monitor.claim.letter import render_markdown, render_text
from monitor.claim.model import ERROR_LIMIT, Claim, Evidence, build_claim
from monitor.claim.requestlog import COLUMNS, render_request_log
from monitor.config.settings import Settings, parse_settings
from monitor.evidence import IntervalKind
from monitor.quorum import UNCONFIRMED_NOTE
from monitor.report import build_report
from monitor.results import Outcome, ProbeResult
from monitor.store.sqlite import SQLiteStore

from ..report import scenario
from ..report.scenario import _interval, _outage, local
from ..report.test_tier_report import BLIP, DOWN
from ..report.test_tier_report import CONFIG as TIER_CONFIG

PASSWORD = f"pw{secrets.token_hex(8)}"
KEY = f"key{secrets.token_hex(8)}"
HEADER = f"hdr{secrets.token_hex(8)}"
#: The scenario's checks, the page probed with a password and a query value, the file with a
#: secret header.
CONFIG = scenario.CONFIG.replace(
    '{{name: home, type: http, url: "http://127.0.0.1:9/"}}',
    f'{{{{name: home, type: http, url: "http://ops:{PASSWORD}@127.0.0.1:9/?key={KEY}"}}}}',
).replace(
    '{{name: file, type: http, url: "http://127.0.0.1:9/app.js"}}',
    f'{{{{name: file, type: http, url: "http://127.0.0.1:9/app.js", headers: {{{{X-Key: "{HEADER}"}}}}}}}}',
)
HOME_TARGET = "http://ops:***@127.0.0.1:9/?key=***"
FILE_TARGET = "http://127.0.0.1:9/app.js"


def failed(
    check: str,
    vantage: str,
    at: datetime,
    detail: str = "status 503 Service Unavailable",
    *,
    outcome: Outcome = Outcome.HTTP_STATUS,
    status: int | None = 503,
) -> ProbeResult:
    return ProbeResult(f"shop/{check}", vantage, at, 0.25, outcome, detail, status)


#: The outage of the 5th: sh-1 down 10:00:00-10:07:30, bj-1 10:00:05-10:07:40, so the quorum's
#: outage is 10:00:05-10:07:30 (Shanghai). These failed requests lie within it, from the two
#: vantages that agreed, on the two frontend checks.
ATTACHED = [
    failed("home", "sh-1", local(5, 10, 0, 5)),
    failed(
        "file",
        "bj-1",
        local(5, 10, 0, 5),
        "connection refused",
        outcome=Outcome.CONNECT_ERROR,
        status=None,
    ),
    failed("home", "bj-1", local(5, 10, 3)),
    failed("file", "sh-1", local(5, 10, 3, 30)),
    failed("home", "sh-1", local(5, 10, 7, 29)),
    failed("file", "sh-1", local(5, 10, 7, 29)),
]
#: Results that must not be attached.
LEFT_OUT = [
    failed("home", "sh-1", local(5, 10, 0, 2)),  # before the quorum's outage began
    failed("home", "sh-1", local(5, 10, 7, 30)),  # at its end: the end is not in it
    ProbeResult("shop/home", "sh-1", local(5, 10, 5), 0.1, Outcome.UP, "200 OK"),  # a success
    failed("home", "x-1", local(5, 10, 1)),  # a vantage that did not agree
    ProbeResult("shop/node-a", "sh-1", local(5, 10, 1), 0.1, Outcome.TIMEOUT, "no answer"),
    failed("home", "sh-1", local(25, 2, 20)),  # within the outage wholly excluded (maintenance)
    failed("home", "bj-1", local(15, 8, 10)),  # bj-1 alone: no outage by the quorum
]


def _settings(db: Path, text: str = CONFIG) -> Settings:
    return parse_settings(text.format(db=db, name="shop"), "claim.yaml")


async def _claim(
    db: Path,
    settings: Settings,
    results: list[ProbeResult],
    *,
    now: datetime = scenario.NOW,
    retention_days: int = 90,
) -> Claim:
    store = SQLiteStore(db)
    await store.open()
    try:
        report = await build_report(store, settings, 2026, 10, now=now)
    finally:
        await store.close()
    return build_claim(report, results, now=now, retention_days=retention_days)


@pytest.fixture
async def month(tmp_path: Path) -> Path:
    db = tmp_path / "evidence.db"
    store = SQLiteStore(db)
    await store.open()
    await scenario.fill(store)
    await store.close()
    return db


async def test_each_credited_outage_is_an_incident_with_its_failed_requests(month: Path) -> None:
    claim = await _claim(month, _settings(month), ATTACHED + LEFT_OUT)

    # The report's seven outages, less the 25th's, wholly within an accepted maintenance.
    assert [i.index for i in claim.incidents] == [0, 1, 2, 3, 5, 6]
    assert [i.number for i in claim.incidents] == [1, 2, 3, 4, 5, 6]
    first = claim.incidents[0]
    assert [(r.time, r.vantage, r.check) for r in first.requests] == sorted(
        (r.started_at, r.vantage, r.check.removeprefix("shop/")) for r in ATTACHED
    )
    assert all(not i.requests for i in claim.incidents[1:])
    assert first.requests_by_vantage() == {"bj-1": 2, "sh-1": 4}
    assert claim.incidents[2].requests_by_vantage() == {"sh-1": 0}
    assert all(i.evidence is Evidence.HELD for i in claim.incidents)
    assert claim.total_credit == scenario.EXPECTED["total"]


async def test_the_request_log_has_one_row_per_failed_request(month: Path) -> None:
    claim = await _claim(month, _settings(month), LEFT_OUT + ATTACHED[::-1])

    text = render_request_log(claim)
    rows = list(csv.reader(io.StringIO(text, newline="")))

    assert text.endswith("\r\n")
    assert tuple(rows[0]) == COLUMNS
    assert rows[1:] == [
        ["2026-10-05T02:00:05Z", "bj-1", "file", FILE_TARGET, "connect_error", "",
         "connection refused", "0.250000"],
        ["2026-10-05T02:00:05Z", "sh-1", "home", HOME_TARGET, "http_status", "503",
         "status 503 Service Unavailable", "0.250000"],
        ["2026-10-05T02:03:00Z", "bj-1", "home", HOME_TARGET, "http_status", "503",
         "status 503 Service Unavailable", "0.250000"],
        ["2026-10-05T02:03:30Z", "sh-1", "file", FILE_TARGET, "http_status", "503",
         "status 503 Service Unavailable", "0.250000"],
        ["2026-10-05T02:07:29Z", "sh-1", "file", FILE_TARGET, "http_status", "503",
         "status 503 Service Unavailable", "0.250000"],
        ["2026-10-05T02:07:29Z", "sh-1", "home", HOME_TARGET, "http_status", "503",
         "status 503 Service Unavailable", "0.250000"],
    ]  # fmt: skip


async def test_an_error_is_one_bounded_line_without_the_check_s_secrets(month: Path) -> None:
    detail = (
        f"cannot reach http://ops:{PASSWORD}@127.0.0.1:9/?key={KEY}\n"
        f"  sent X-Key {HEADER}; " + "x" * 400
    )
    claim = await _claim(
        month,
        _settings(month),
        [
            failed(
                "home", "sh-1", local(5, 10, 1), detail, outcome=Outcome.CONNECT_ERROR, status=None
            ),
            failed(
                "file", "sh-1", local(5, 10, 1), detail, outcome=Outcome.CONNECT_ERROR, status=None
            ),
        ],
    )

    (home_or_file, other) = claim.requests
    for request in (home_or_file, other):
        assert len(request.error) == ERROR_LIMIT
        assert request.error.endswith("...")
        assert "\n" not in request.error
        assert request.error.startswith("cannot reach http://ops:***@127.0.0.1:9/?key=*** sent")
    file_row = next(r for r in claim.requests if r.check == "file")
    assert "sent X-Key ***;" in file_row.error
    text = render_request_log(claim) + render_markdown(claim) + render_text(claim)
    for secret in (PASSWORD, KEY, HEADER):
        assert secret not in text


async def test_the_per_minute_letter_gives_the_report_s_figures(month: Path) -> None:
    claim = await _claim(month, _settings(month), ATTACHED + LEFT_OUT)

    text = render_text(claim)
    markdown = render_markdown(claim)

    assert "We claim a service credit of 161.70 CNY for the service shop" in text
    assert "We claim a service credit of **161.70 CNY** for the service shop" in markdown
    assert "- Fee: daily_fee 144.00 CNY a day" in text
    assert "- Fee: `daily_fee` 144.00 CNY a day" in markdown
    assert "- Rounding: per_outage; credit multiplier 1.5" in text
    # Incident 1: UTC and local times, the duration, the day's piece with its credit.
    assert "- Start: 2026-10-05T02:00:05Z (UTC); 2026-10-05 10:00:05+08:00 (Asia/Shanghai)" in text
    assert "- End: 2026-10-05T02:07:30Z (UTC); 2026-10-05 10:07:30+08:00 (Asia/Shanghai)" in text
    assert "- Duration: 7 min 25 s" in text
    assert (
        "- 2026-10-05: 7 min 25 s unavailable: 8 minutes credited, 1.20 CNY before the day's cap"
        in text
    )
    # The 28th: an hour excluded by the long maintenance, an hour credited.
    assert (
        "- 2026-10-28: 2 h unavailable, 1 h excluded by an accepted exclusion: 60 minutes"
        " credited, 9.00 CNY before the day's cap" in text
    )
    assert "Incident 5: 2026-10-27 02:00:00+08:00 to 2026-10-27 02:05:00+08:00" in text
    assert "(outage 6 of the attached report)" in text
    assert "Incident 7" not in text
    # The day table: every credited day, the capped one marked, and the total.
    for day, (minutes, credit, capped) in scenario.EXPECTED["days"].items():
        assert f"| {day} | 144.00 | {minutes} | {credit} | {'yes' if capped else 'no'} |" in (
            markdown
        )
    assert "| total |  | 1558 | 161.70 |  |" in markdown
    assert "Total credit claimed: 161.70 CNY" in text
    assert "Total credit claimed: **161.70 CNY**" in markdown
    assert "- Incident 1: 6 failed requests in request-log.csv (bj-1: 2, sh-1: 4)" in text
    assert "- Incident 3: 0 failed requests in request-log.csv (sh-1: 0)" in text
    assert "each failed request of the incidents above (6 rows)" in text
    assert "- report-2026-10.json: the month's report of shop" in text


async def test_the_letter_says_when_the_contract_sets_no_deadline(month: Path) -> None:
    claim = await _claim(month, _settings(month), [])

    assert claim.standing is Standing.UNKNOWN
    assert (
        "Not known: the configured terms set none (claim_within, claim_by). Check the contract"
        in render_text(claim)
    )


@pytest.mark.parametrize(
    ("terms", "now", "said"),
    [
        pytest.param(
            "claim_within: 60d",
            scenario.NOW,
            "By the end of 2026-12-30 (Asia/Shanghai): before 2026-12-31 00:00:00+08:00"
            " (2026-12-30T16:00:00Z); 58 days left as of 2026-11-02T01:00:00Z.",
            id="ok",
        ),
        pytest.param(
            "claim_by: end_of_second_billing_cycle",
            datetime(2026, 11, 28, tzinfo=UTC),
            "By the end of 2026-11-30 (Asia/Shanghai): before 2026-12-01 00:00:00+08:00"
            " (2026-11-30T16:00:00Z); **2 days left** as of 2026-11-28T00:00:00Z.",
            id="near",
        ),
        pytest.param(
            "claim_within: 1d",
            scenario.NOW,
            "By the end of 2026-11-01 (Asia/Shanghai): before 2026-11-02 00:00:00+08:00"
            " (2026-11-01T16:00:00Z); **past: less than a day ago** as of 2026-11-02T01:00:00Z.",
            id="past",
        ),
    ],
)
async def test_the_letter_gives_the_deadline_and_how_far_it_is(
    month: Path, terms: str, now: datetime, said: str
) -> None:
    text = CONFIG.replace(
        "maintenance_max_minutes: 240", f"maintenance_max_minutes: 240\n    {terms}"
    )
    claim = await _claim(month, _settings(month, text), [], now=now)

    assert said in render_markdown(claim)


async def test_incidents_past_retention_are_named_with_what_the_intervals_still_hold(
    month: Path,
) -> None:
    """Results are kept 90 days: with the cutoff inside the outage of the 20th, the three
    incidents before it have lost their requests, the 20th's part of them. The intervals still
    count the failed probes: on the 5th, sh-1's 4 timeouts and 2 connection errors per check and
    bj-1's 3 timeouts and one HTTP status."""
    cutoff = datetime(2026, 10, 20, 4, tzinfo=UTC)
    claim = await _claim(month, _settings(month), [], now=cutoff + timedelta(days=90))

    assert [i.evidence for i in claim.incidents] == [
        Evidence.GONE,
        Evidence.GONE,
        Evidence.GONE,
        Evidence.PARTLY_GONE,
        Evidence.HELD,
        Evidence.HELD,
    ]
    assert [i.number for i in claim.evidence_lost] == [1, 2, 3, 4]
    text = render_text(claim)
    assert (
        "- Incident 1: 0 failed requests in request-log.csv (bj-1: 0, sh-1: 0). Raw results are"
        " kept 90 days (retention_days), none from before 2026-10-20T04:00:00Z; this incident"
        " ended before then: its request log is incomplete or empty. The stored intervals, kept"
        " for good, still count its failed probes by check and outcome: file: 7 timeout,"
        " 2 connect_error, 1 http_status; home: 7 timeout, 2 connect_error, 1 http_status." in text
    )
    assert "- Incident 4: 0 failed requests in request-log.csv (bj-1: 0, sh-1: 0). Raw" in text
    assert "this incident began before then: its request log may lack its first part." in text
    assert "- Incident 5: 0 failed requests in request-log.csv (bj-1: 0, sh-1: 0)\n" in text


@pytest.fixture
async def tier_month(tmp_path: Path) -> Path:
    db = tmp_path / "tiers.db"
    store = SQLiteStore(db)
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
    return db


async def test_the_tier_letter_gives_uptime_tier_and_charge(tier_month: Path) -> None:
    """The 45-minute outage is claimed; the 30 s one, too short to count, is not, and neither
    are its failed requests."""
    results = [
        failed("home", "a", DOWN[0] + timedelta(seconds=1)),
        failed("file", "b", DOWN[1] - timedelta(seconds=1)),
        failed("home", "a", BLIP[0] + timedelta(seconds=1)),
    ]
    claim = await _claim(
        tier_month,
        parse_settings(TIER_CONFIG.format(db=tier_month), "tiers.yaml"),
        results,
        now=datetime(2026, 11, 2, 9, tzinfo=UTC),
    )

    assert [i.index for i in claim.incidents] == [0]
    assert [(r.vantage, r.check) for r in claim.requests] == [("a", "home"), ("b", "file")]
    text = render_text(claim)
    assert "We claim a service credit of 310.00 USD for the service shop" in text
    assert "- Charge for the month: 3100.00 USD (monthly_fee)" in text
    assert (
        "- Tiers: uptime below 99.99 %: 10 % of the charge; uptime below 99 %: 30 % of the"
        " charge; uptime below 95 %: 100 % of the charge" in text
    )
    assert "- Downtime minutes toward the month's uptime: 45" in text
    assert "- Monthly uptime: 99.8992 % (45 downtime minutes of 44,640)" in text
    assert "- Tier applied: uptime below 99.99 %: 10 % of the charge" in text
    assert "- Credit: 10 % of 3100.00 USD (monthly_fee) = 310.00 USD" in text
    assert "Next tier" not in text
    assert "Total credit claimed: 310.00 USD" in text
    assert "- Incident 1: 2 failed requests in request-log.csv (a: 1, b: 1)" in text


SOLO = """
vantage: solo
store: "sqlite:///{db}"
contracts:
  c: {{timezone: UTC, currency: USD, daily_fee: "1440.00", gap_policy: down}}
services:
  - name: shop
    contract: c
    frontend:
      - {{name: home, type: http, url: "http://127.0.0.1:9/"}}
      - {{name: file, type: http, url: "http://127.0.0.1:9/app.js"}}
"""


async def test_unconfirmed_time_and_counted_gaps_are_said_as_the_report_says_them(
    tmp_path: Path,
) -> None:
    """One vantage without canaries saw the 10-minute outage with every check down: unconfirmed,
    still credited. It ran on the 5th only; under gap_policy down the rest counts too."""
    db = tmp_path / "solo.db"
    store = SQLiteStore(db)
    await store.open()
    day = datetime(2026, 10, 5, tzinfo=UTC)
    await _interval(
        store, IntervalKind.RUNNING, "solo", "*", start=day, end=day + timedelta(days=1)
    )
    start, end = day + timedelta(hours=10), day + timedelta(hours=10, minutes=10)
    await _outage(store, "solo", start, end, "shop")
    await _interval(store, IntervalKind.UNCONFIRMED, "solo", "solo", start=start, end=end)
    await store.close()

    claim = await _claim(
        db,
        parse_settings(SOLO.format(db=db), "solo.yaml"),
        [],
        now=datetime(2026, 11, 2, tzinfo=UTC),
    )
    text = render_text(claim)

    assert [i.span.duration for i in claim.incidents] == [timedelta(minutes=10)]
    assert f"- Unconfirmed for 10 min of it: {UNCONFIRMED_NOTE} (still counted as outage)" in text
    assert (
        "The contract counts time not measured as downtime (gap_policy down): 30 d of the month"
        " was not measured and is counted in the figures above." in text
    )
    # 30 days of gaps at a full day's fee each, and the 5th's 10 minutes: 30 x 1440 + 10.00.
    assert "Total credit claimed: 43210.00 USD" in text


async def test_per_day_rounding_and_a_monthly_fee_are_said_as_such(month: Path) -> None:
    """Under ``per_day`` the day's minutes are rounded once for the whole day: an incident's
    piece is credited in the day's total; a monthly fee is divided by the days of the month
    (4464.00 / 31 = 144.00 a day, so the scenario's days keep their credits)."""
    text = CONFIG.replace('daily_fee: "144.00"', 'monthly_fee: "4464.00"').replace(
        "rounding: per_outage", "rounding: per_day"
    )
    claim = await _claim(month, _settings(month, text), [])

    letter = render_text(claim)
    assert "- Fee: monthly_fee 4464.00 CNY a month, divided by the days of the month" in letter
    assert "- Rounding: per_day; credit multiplier 1.5" in letter
    assert "- 2026-10-05: 7 min 25 s unavailable: credited in the day's total below" in letter
    assert "Total credit claimed: 161.70 CNY" in letter


async def test_a_credit_for_unmeasured_time_alone_has_no_incident(tmp_path: Path) -> None:
    """Under gap_policy down a month measured one day, without an outage, still earns the other
    30 days: the letter claims them and lists no incident."""
    db = tmp_path / "solo.db"
    store = SQLiteStore(db)
    await store.open()
    day = datetime(2026, 10, 5, tzinfo=UTC)
    await _interval(
        store, IntervalKind.RUNNING, "solo", "*", start=day, end=day + timedelta(days=1)
    )
    await store.close()

    claim = await _claim(
        db,
        parse_settings(SOLO.format(db=db), "solo.yaml"),
        [],
        now=datetime(2026, 11, 2, tzinfo=UTC),
    )
    text = render_text(claim)

    assert claim.incidents == ()
    assert (
        "It was unavailable in no whole-service incident; the credit is for time not measured"
        " (below)." in text
    )
    assert "Total credit claimed: 43200.00 USD" in text
    assert "No incident: no request log." in text
    assert "Incident 1" not in text

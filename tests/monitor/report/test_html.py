"""The HTML report: every figure and piece of evidence of the scripted month on one page, nothing
fetched from outside it, data escaped, and a real browser showing and printing it."""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path

import pytest

from monitor.config.settings import Settings, parse_settings
from monitor.evidence import ExclusionRecord, IntervalKind, IntervalRecord, NoticeRecord
from monitor.report import Report, build_report
from monitor.report.html import render_html
from monitor.store.sqlite import SQLiteStore

from .browser import find_chromium, launch
from .scenario import (
    CONFIG,
    EARLY,
    EXPECTED,
    NOW,
    fill,
    fill_early_month,
    fill_long_failover,
    local,
    settings,
)

NBSP = "\N{NO-BREAK SPACE}"
EVIL_NAME = '<script>alert("x")</script>'
EVIL_NOTE = "ticket \"A&B\" said <b>bold</b> 'quoted'"


class _Tables(HTMLParser):
    """The text of each cell of each table with a given class, row by row."""

    def __init__(self, cls: str) -> None:
        super().__init__()
        self.cls, self.depth = cls, 0
        self.rows: list[list[str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and (self.depth or dict(attrs).get("class") == self.cls):
            self.depth += 1
        elif self.depth and tag == "tr":
            self.rows.append([])
        elif self.depth and tag in ("td", "th"):
            self.rows[-1].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth and self.rows and self.rows[-1]:
            self.rows[-1][-1] += data


def table_rows(page: str, cls: str) -> list[list[str]]:
    """Rows of cell texts of the tables of class ``cls``, header rows included."""
    parser = _Tables(cls)
    parser.feed(page)
    return parser.rows


async def report_for(
    db: Path, config: Settings, year: int = 2026, month: int = 10, now: datetime = NOW
) -> Report:
    store = SQLiteStore(db)
    await store.open()
    try:
        return await build_report(store, config, year, month, now=now)
    finally:
        await store.close()


@pytest.fixture
async def db(tmp_path: Path) -> Path:
    """The scripted month in a SQLite file."""
    path = tmp_path / "evidence.db"
    store = SQLiteStore(path)
    await store.open()
    await fill(store)
    await store.close()
    return path


@pytest.fixture
async def raw_page(db: Path) -> str:
    """October's page as rendered."""
    return render_html(await report_for(db, settings(db)))


@pytest.fixture
def page(raw_page: str) -> str:
    """October's page with its no-break spaces (inside durations) read as spaces."""
    return raw_page.replace(NBSP, " ")


def test_the_total_and_the_summary_are_shown(page: str) -> None:
    """The month's total with its currency, credited minutes, availability and counts."""
    assert re.search(r"161\.70 <small>CNY</small>", page)
    assert str(EXPECTED["total"]) == "161.70"
    cards = dict(re.findall(r"<dt>([^<]+)</dt><dd>(.*?)</dd>", page))
    assert cards["Credited minutes"] == "1558"
    assert cards["Availability"] == "96.3096 % <small>of 31 d measured</small>"
    assert cards["Outages"].startswith(f"{EXPECTED['outages']} ")
    assert cards["Days capped"] == "1"
    assert cards["Never notified (C4)"] == str(EXPECTED["not_notified"])
    assert (
        "Outages never notified: 4 of 7 (C4: immediate notice of a whole-service failure)." in page
    )
    assert cards["Measured time"] == "31 d <small>of 31 d; 0 s not measured</small>"
    assert "Availability 96.3096 % is over the 31 d measured: all of the month&#x27;s 31 d" in page


def test_every_day_of_the_month_is_in_the_day_table(page: str) -> None:
    """31 rows, each expected credit and its minutes on its day, the cap marked, the totals."""
    head, *rows, foot = table_rows(page, "days")
    assert head[0] == "Date"
    assert len(rows) == 31
    by_date = {row[0].split()[1]: row for row in rows}
    for day, (minutes, credit, capped) in EXPECTED["days"].items():
        row = by_date[day]
        assert (row[5], row[6], row[7]) == (minutes, str(credit), "capped" if capped else "")
    quiet = [row for day, row in by_date.items() if day not in EXPECTED["days"]]
    assert {row[6] for row in quiet} == {"0.00"}
    assert foot == [
        "Total, 31 days", "", "4464.00", "1 d 03 h 27 min 25 s", "1 h 30 min", "1558", "161.70", "1",
    ]  # fmt: skip
    assert by_date["2026-10-05"][3:5] == ["7 min 25 s", "0 s"]


def test_the_chart_draws_a_bar_per_credited_day_and_marks_the_cap(page: str) -> None:
    """Bars for the credited days only, with accessible titles; the capped one stands out."""
    bars = re.findall(r'<rect class="bar( capped)?"[^>]*><title>([^<]+)</title>', page)
    assert [title.split(" CNY")[0] for _, title in bars] == [
        f"{day}: {credit}" for day, (_, credit, _) in sorted(EXPECTED["days"].items())
    ]
    capped = [title for cls, title in bars if cls]
    assert capped == ["2026-10-20: 144.00 CNY, 1440 min, capped at the fee of the day"]
    assert ">CAP</text>" in page


def test_every_outage_is_shown_with_its_evidence(page: str) -> None:
    """Local start and UTC instants, vantages with their bounds, checks, days and notice."""
    starts = re.findall(r"<h4>Outage \d+: <time[^>]*>([^<]+)</time>", page)
    assert starts == [
        "2026-10-05 10:00:05",
        "2026-10-09 23:50:00",
        "2026-10-12 10:15:00",
        "2026-10-20 00:00:00",
        "2026-10-25 02:10:00",
        "2026-10-27 02:00:00",
        "2026-10-28 03:00:00",
    ]
    notices = re.findall(r"<dt>Provider notice</dt><dd>(.*?)</dd>", page)
    assert len(notices) == EXPECTED["outages"]
    unnotified = '<span class="badge b-unnotified">not notified</span> C4 promises'
    assert [n.startswith(unnotified) for n in notices] == [
        expected is None for expected in EXPECTED["notices"].values()
    ]
    assert notices[0] == (
        '<time datetime="2026-10-05T02:12:05Z" title="2026-10-05T02:12:05Z">2026-10-05 10:12:05'
        "</time> (<strong>12 min after its start</strong>): status page incident 101 "
        "<small>(#1, recorded by ops@example.com)</small>"
    )
    assert "(<strong>10 min before its start</strong>)" in notices[1]
    assert "(<strong>1 d 09 h 30 min after its start</strong>)" in notices[3]
    assert "UTC 2026-10-05T02:00:05Z to 2026-10-05T02:07:30Z" in page
    # sh-1 saw the first outage from 10:00:00, its last success 10 s before.
    assert '<td>sh-1</td><td><time datetime="2026-10-05T01:59:50Z"' in page
    times = "\N{MULTIPLICATION SIGN}"
    outcomes = f"timeout {times} 7, connect_error {times} 2, http_status {times} 1"
    assert ["file", outcomes] in table_rows(page, "")
    assert "2026-10-20 is capped at its fee: its credit is 144.00 (C2)." in page


def test_exclusions_show_their_decision_and_audit_trail(page: str) -> None:
    """The revoked one with who and why, the late maintenance refused, the long one in part."""
    assert re.search(
        r"Revoked</dt><dd>by finance@example\.com at <time[^>]*>2026-10-06 09:00:00</time>: "
        r"no typhoon that day",
        page,
    )
    assert "refused: announced 6 h before its start, the contract needs 24 h of notice (C6)" in page
    assert "(6 h before its start)" in page
    statuses = re.findall(r'<span class="badge b-[a-z]+">([a-z ]+)</span></div>', page)
    assert sorted(statuses) == ["applied", "applied in part", "refused", "revoked"]
    assert (
        "accepted for its first 240 min (maintenance_max_minutes) of 6 h: announced 3 d before "
        "its start, the contract needs 24 h of notice (C6)" in page
    )
    assert "by ops@example.com at" in page


def test_every_notice_of_the_month_is_listed(page: str) -> None:
    """Each notice with its reference, who added it, the outage it answers, and revocations."""
    head, *rows = table_rows(page, "notices")
    assert head == ["Given", "Reference", "Added", "Answers the outage of", "Status"]
    assert [(row[0], row[3], row[4].split(" by ")[0]) for row in rows] == [
        ("2026-10-05 10:12:05", "2026-10-05 10:00:05", "valid"),
        ("2026-10-05 10:30:00", "2026-10-05 10:00:05", "valid"),
        ("2026-10-09 23:40:00", "2026-10-09 23:50:00", "valid"),
        ("2026-10-13 11:00:00", "none", "valid"),
        ("2026-10-21 09:30:00", "2026-10-20 00:00:00", "valid"),
        ("2026-10-27 02:03:00", "none", "revoked"),
    ]
    assert rows[-1][4] == "revoked by finance@example.com at 2026-10-28 09:00:00: that was the CDN"


def test_the_rest_of_the_month_and_the_method_are_explained(page: str) -> None:
    """Gap policy, the degraded period, failover, terms, quorum, rules and clauses."""
    assert "Gap policy <code>exclude</code>" in page
    assert ["sh-1", "file", "2026-10-07 12:00:00", "2026-10-07 12:10:00", "10 min"] in (
        table_rows(page, "")
    )
    assert "replaced automatically through the local and global load balancers" in page
    terms = dict(row for row in table_rows(page, "terms") if len(row) == 2)
    assert terms["credit_multiplier"] == "1.5"
    assert terms["timezone"] == "Asia/Shanghai"
    assert "Quorum <code>majority</code>" in page
    assert "credited_minutes" in terms
    assert "slawatch.report/1" in page


def test_the_page_refers_to_nothing_outside_itself(page: str) -> None:
    """No link, script, stylesheet, image or font by address: only in-page references."""
    assert page.startswith("<!doctype html>")
    for tag in ("<link", "<script", "<img", "<iframe", "<object", "@import", "@font-face"):
        assert tag not in page.lower()
    for attribute in re.findall(r'\b(?:src|href|xlink:href|action)="([^"]*)"', page):
        assert attribute.startswith("#")
    assert set(re.findall(r"url\(([^)]*)\)", page)) <= {"#s1-h"}
    assert not re.search(r"https?://", page)


async def test_text_from_data_is_escaped(tmp_path: Path) -> None:
    """A service name with a script and a note with quotes and markup show as text."""
    db = tmp_path / "evil.db"
    base = settings(db)
    evil = base.services[0].model_copy(update={"name": EVIL_NAME})
    config = base.model_copy(update={"services": [evil]})
    store = SQLiteStore(db)
    await store.open()
    await fill(store, service=EVIL_NAME)
    await store.add_exclusion(
        ExclusionRecord(
            service=EVIL_NAME,
            start=local(3, 1),
            end=local(3, 2),
            reason="customer",
            note=EVIL_NOTE,
            added_by='"Bob" <bob@example.com>',
            added_at=local(3, 9),
        )
    )
    # A notice answering the first outage, so that it shows there and in the list.
    await store.add_notice(
        NoticeRecord(EVIL_NAME, local(5, 10, 1), EVIL_NOTE, "<i>Mallory</i>", local(5, 11))
    )
    await store.close()
    page = render_html(await report_for(db, config))
    assert "<script" not in page
    assert "<b>" not in page
    assert "<bob@" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "ticket &quot;A&amp;B&quot; said &lt;b&gt;bold&lt;/b&gt; &#x27;quoted&#x27;" in page
    assert "by &quot;Bob&quot; &lt;bob@example.com&gt; at" in page
    assert "<i>" not in page
    assert "recorded by &lt;i&gt;Mallory&lt;/i&gt;" in page
    assert page.count("ticket &quot;A&amp;B&quot; said &lt;b&gt;bold&lt;/b&gt;") == 3
    assert "161.70" in page


async def test_a_month_without_data_says_so(db: Path) -> None:
    """August: the no-data notice, availability n/a, and still every day at zero."""
    page = render_html(await report_for(db, settings(db), month=8))
    assert "<strong>No data.</strong>" in page
    assert "Provisional" not in page
    assert "<dt>Availability</dt><dd>n/a</dd>" in page
    _, *rows, foot = table_rows(page, "days")
    assert len(rows) == 31
    assert foot[-2:] == ["0.00", "0"]
    assert "No outage this month." in page


async def test_a_month_in_progress_is_provisional(db: Path) -> None:
    """Made during the capped day: the banner, the ongoing outage, time after now not drawn."""
    now = local(20, 12)
    page = render_html(await report_for(db, settings(db), now=now))
    assert "<strong>Provisional.</strong> The month is still in progress" in page
    assert "SLA credit report 2026-10 (provisional)" in page
    assert '<span class="badge b-ongoing">ongoing</span>' in page
    assert "not yet happened" in page
    assert "2026-10-28 03:00:00" not in page


async def test_a_dst_day_is_drawn_with_its_own_length(tmp_path: Path) -> None:
    """New York's 2026-11-01 has 25 hours; an outage at 03:00 EST sits 4 h after midnight."""
    db = tmp_path / "ny.db"
    config = parse_settings(
        CONFIG.format(db=db, name="shop").replace("Asia/Shanghai", "America/New_York"), "ny.yaml"
    )
    edt, est = timezone(timedelta(hours=-4)), timezone(timedelta(hours=-5))
    store = SQLiteStore(db)
    await store.open()
    for vantage in ("sh-1", "bj-1"):
        await store.open_interval(
            IntervalRecord(
                IntervalKind.RUNNING,
                vantage,
                "*",
                start=datetime(2026, 10, 31, tzinfo=edt),
                end=datetime(2026, 12, 2, tzinfo=est),
            )
        )
        await store.open_interval(
            IntervalRecord(
                IntervalKind.OUTAGE,
                vantage,
                "shop",
                start=datetime(2026, 11, 1, 3, tzinfo=est),
                end=datetime(2026, 11, 1, 4, tzinfo=est),
            )
        )
    await store.close()
    now = datetime(2026, 12, 3, tzinfo=est)
    page = render_html(await report_for(db, config, month=11, now=now))
    _, first, *_ = table_rows(page, "days")
    assert first[:2] == ["Sun 2026-11-01", "1500"]
    assert "Sun 2026-11-01 (25 h)</text>" in page
    # 4 h elapsed since local midnight (EDT), at 0.58 px a minute after the 150 px labels.
    assert re.search(r'<rect class="down" x="289\.2" y="\d+" width="34\.8"', page)
    assert "2026-11-01 03:00:00" in page


async def test_several_services_each_get_a_section(db: Path) -> None:
    """A list of the services with links in the page, and ids that do not collide."""
    report = await report_for(db, settings(db))
    page = render_html(dataclasses.replace(report, services=report.services * 2))
    assert page.count('<section class="service"') == 2
    assert '<a href="#service-1">shop</a>' in page
    assert '<a href="#service-2">shop</a>' in page
    assert 'id="s1-h"' in page
    assert 'id="s2-h"' in page


async def test_chromium_shows_and_prints_the_page(db: Path, tmp_path: Path) -> None:
    """No console error or exception, no request but the file, the total visible, a PDF."""
    executable = find_chromium()
    file = tmp_path / "report.html"
    file.write_bytes(render_html(await report_for(db, settings(db))).encode())
    async with launch(executable, tmp_path / "profile") as browser:
        load = await browser.visit(file.as_uri())
    (tmp_path / "report.png").write_bytes(load.screenshot)
    (tmp_path / "report.pdf").write_bytes(load.pdf)
    assert load.errors == []
    assert [url for url in load.requests if not url.startswith(("data:", "about:"))] == [
        file.as_uri()
    ]
    assert load.screenshot.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(load.screenshot) > 10_000
    assert load.pdf.startswith(b"%PDF")
    assert "161.70" in load.text
    assert "not notified" in load.text
    assert "status page incident 101" in load.text


def test_failover_events_are_shown_with_their_verdicts(page: str) -> None:
    """The failover table has both events; the breached one is marked, with its reason."""
    assert "Failover events" in page
    assert 'class="breached"' in page
    assert "frontend down 45s at a stretch (at most 30s)" in page
    assert "node recovered" in page


#: Every table of every service's card, and every cell of it, measured in the page: what spills
#: past its card's content box or past its own cell. Half a pixel of slack for subpixel layout.
_OVERFLOWS = """(() => {
  const found = [];
  let tables = 0;
  for (const card of document.querySelectorAll("section.service")) {
    const style = getComputedStyle(card);
    const box = card.getBoundingClientRect();
    const left = box.left + parseFloat(style.paddingLeft);
    const right = box.right - parseFloat(style.paddingRight);
    if (card.scrollWidth > card.clientWidth) found.push(`card ${card.id}`);
    for (const table of card.querySelectorAll("table")) {
      tables += 1;
      const edge = table.getBoundingClientRect();
      const name = `${card.id} table.${table.className || "-"}`;
      if (table.scrollWidth > table.clientWidth || edge.left < left - 0.5
          || edge.right > right + 0.5) {
        found.push(`${name}: ${edge.left}-${edge.right} outside ${left}-${right}`);
      }
      for (const cell of table.querySelectorAll("td, th")) {
        if (cell.scrollWidth > cell.clientWidth + 0.5) {
          found.push(`${name} cell "${cell.textContent.slice(0, 40)}"`);
        }
      }
    }
  }
  return {width: window.innerWidth, tables, found};
})()"""


async def test_no_table_overflows_its_card_at_1280_px(db: Path, tmp_path: Path) -> None:
    """At a 1280 px wide window, every table, the failover one with long reasons too, fits
    within its service's card and every cell holds its text."""
    executable = find_chromium()
    store = SQLiteStore(db)
    await store.open()
    await fill_long_failover(store)
    await store.close()
    page = render_html(await report_for(db, settings(db)))
    assert "frontend_failures_while_routing_around_the_node" in page
    file = tmp_path / "report.html"
    file.write_bytes(page.encode())
    async with launch(executable, tmp_path / "profile") as browser:
        load = await browser.visit(file.as_uri())
        measured = await browser.evaluate(_OVERFLOWS)
    (tmp_path / "report.png").write_bytes(load.screenshot)
    assert load.errors == []
    assert measured["width"] == 1280
    assert measured["tables"] >= 10  # the day, outage, notice, failover and method tables
    assert measured["found"] == []


async def test_availability_says_what_it_is_over_and_downtime_rounds_up(tmp_path: Path) -> None:
    """Two days into the month with 12 h measured: the availability card and its note say so;
    the 0.4 s outage reads 1 s everywhere on the page; the rounding rule is stated."""
    db = tmp_path / "early.db"
    store = SQLiteStore(db)
    await store.open()
    await fill_early_month(store)
    await store.close()
    page = render_html(await report_for(db, settings(db), now=EARLY)).replace(NBSP, " ")

    cards = dict(re.findall(r"<dt>([^<]+)</dt><dd>(.*?)</dd>", page))
    assert cards["Availability"] == "99.9991 % <small>of 12 h measured</small>"
    assert cards["Measured time"] == "12 h <small>of 2 d; 1 d 12 h not measured</small>"
    assert (
        "Availability 99.9991 % is over the 12 h measured, of the first 2 d of the month&#x27;s "
        "31 d; 1 d 12 h not measured: time no vantage measured is left out of it." in page
    )
    assert "<strong>1 s</strong></div>" in page  # the outage's heading
    assert cards["Outages"] == "1 <small>1 s down</small>"
    _, _, day, *_ = table_rows(page, "days")
    assert day[:6] == ["Fri 2026-10-02", "1440", "144.00", "1 s", "0 s", "1"]
    assert ["2026-10-02", "1 s", "0 s", "1", "0.15"] in table_rows(page, "")
    assert not re.search(r"\b0\.4", page.split("<footer>")[0].replace(".400000Z", ""))
    assert "Durations are shown to the second, rounded up" in page.split("<footer>")[1]


def test_a_duration_never_breaks_between_its_figure_and_unit(raw_page: str) -> None:
    """Durations on the page keep each figure with its unit (a no-break space), also inside
    the contract's decision about an exclusion."""
    assert f"<strong>7{NBSP}min 25{NBSP}s</strong>" in raw_page
    assert f"announced 3{NBSP}d before its start, the contract needs 24{NBSP}h of notice" in (
        raw_page
    )
    assert f"first 240{NBSP}min (maintenance_max_minutes) of 6{NBSP}h" in raw_page

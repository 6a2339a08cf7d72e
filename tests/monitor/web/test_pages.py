"""The status page and the dashboard rendered from the scripted store: what each one says, and
what the public one never says."""

from __future__ import annotations

import re
from datetime import timedelta
from fractions import Fraction
from html.parser import HTMLParser
from pathlib import Path

import pytest

from monitor.config.settings import Settings
from monitor.status.build import build_dashboard, build_public
from monitor.store.sqlite import SQLiteStore
from monitor.web.pages import render_dashboard, render_error, render_login, render_status
from monitor.web.render import CSP_META, REFRESH_SCRIPT, percent

from .scenario import CHECK_URL, NOW, VANTAGES, settings
from .values import public_status

NBSP = "\N{NO-BREAK SPACE}"


class _Text(HTMLParser):
    """The page's visible text (no style, script or title), one string."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script", "title"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "title"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def text_of(page: str) -> str:
    """The visible text, whitespace collapsed, no-break spaces read as spaces."""
    parser = _Text()
    parser.feed(page)
    return re.sub(r"\s+", " ", " ".join(parser.parts).replace(NBSP, " "))


async def status_page(
    db: Path, config: Settings, *, window: str = "90d", at: timedelta = timedelta(0)
) -> str:
    store = SQLiteStore(db)
    await store.open()
    try:
        return render_status(await build_public(store, config, NOW + at), window=window)
    finally:
        await store.close()


async def dashboard_page(db: Path, config: Settings) -> str:
    store = SQLiteStore(db)
    await store.open()
    try:
        built = await build_dashboard(store, config, NOW, live=None)
    finally:
        await store.close()
    return render_dashboard(built, logout=True)


def section(page: str, service: str) -> str:
    """The text of one service's block of the page."""
    blocks = re.split(r'<section class="svc"', page)
    found = [b for b in blocks[1:] if f">{service}</h3>" in b]
    assert len(found) == 1, service
    return text_of('<section class="svc"' + found[0].split("</section>")[0]).strip()


async def test_the_status_page_says_what_each_service_is_now(db: Path) -> None:
    """The banner counts the down and degraded services; each says its state in words, since
    when, and the uptime over the 90 days as measured."""
    page = await status_page(db, settings(db))
    text = text_of(page)
    assert "1 service down, 1 service degraded" in text
    assert section(page, "shop").startswith("shop Down since 2026-10-20 11:40:00")
    assert section(page, "api").startswith("api Degraded since 2026-10-20 11:00:00")
    assert section(page, "files").startswith("files Operational")
    # 90 local days: 07-23 00:00 to now, 89 d 12 h; measured from 09-01 00:00 less the gap of
    # 3 h: 49 d 09 h; down 445 s + 20 min of it: 1 - 1645 / 4,266,000 = 99.9614 %.
    assert "Uptime, Last 90 days: 99.961 % of 49 d 09 h measured; 40 d 03 h not measured" in (
        section(page, "shop")
    )
    # Each state is said by an icon and words, never by colour alone.
    assert page.count('<span class="state c-major_outage"><svg') == 1
    assert "<title>Example status: 1 service down, 1 service degraded</title>" in page


async def test_uptime_over_the_window_the_reader_chose(db: Path) -> None:
    """?window=24h: shop was down 20 min of the 1440 measured (98.611 %, rounded down); the
    chosen link is marked; every window has its link, without any script."""
    page = await status_page(db, settings(db), window="24h")
    assert "Uptime, Last 24 hours: 98.611 % of 1 d measured" in section(page, "shop")
    assert "Uptime, Last 24 hours: 100.000 % of 1 d measured" in section(page, "files")
    links = re.findall(r'<a href="\?window=([a-z0-9]+)"( aria-current="true")?>', page)
    assert [key for key, _ in links] == ["24h", "7d", "30d", "90d", "month"]
    assert [key for key, current in links if current] == ["24h"]
    # 7 local days: 6 whole ones and today's 12 h.
    week = await status_page(db, settings(db), window="7d")
    assert "Uptime, Last 7 days: 100.000 % of 6 d 12 h measured" in section(week, "files")
    # The month so far: 19 d 12 h, of which the 3 h gap of 10-12 was not measured.
    month = await status_page(db, settings(db), window="month")
    assert "100.000 % of 19 d 09 h measured; 3 h not measured" in section(month, "files")


async def test_each_day_of_the_bar_tells_its_kind_and_figures(db: Path) -> None:
    """90 cells per service, coloured by kind; a tooltip with the figures; the days to report
    listed in words under the bar."""
    page = await status_page(db, settings(db))
    shop = page.split('id="svc-1"')[1].split("</section>")[0]
    cells = re.findall(r'<rect class="k-([a-z_]+)"[^>]*><title>([^<]+)</title>', shop)
    assert len(cells) == 90
    by_day = {title.split(":")[0]: (kind, title.replace(NBSP, " ")) for kind, title in cells}
    assert by_day["2026-10-05"] == (
        "outage",
        "2026-10-05: outage; down 7 min 25 s; 1 d measured, 99.484 % up",
    )
    assert by_day["2026-10-12"][0] == "gap"
    assert "not measured 3 h; 21 h measured" in by_day["2026-10-12"][1]
    assert by_day["2026-10-20"][0] == "outage"
    assert by_day["2026-10-19"][0] == "up"
    # Before 09-01 nothing was measured: no data, not up.
    assert by_day["2026-08-31"] == ("no_data", "2026-08-31: no data")
    files = page.split('id="svc-3"')[1].split("</section>")[0]
    kinds = dict(re.findall(r'<rect class="k-([a-z_]+)"[^>]*><title>(2026-10-08)', files))
    assert kinds == {"maintenance": "2026-10-08"}
    assert 'fill="url(#k-maint)"' in files
    detail = section(page, "files")
    assert "2 days with an outage, degraded time, maintenance or time not measured" in detail
    assert "2026-10-08 maintenance 0 s 0 s 2 h 0 s 1 d 100.000 %" in detail
    assert "2026-10-12 partly not measured 0 s 0 s 0 s 3 h 21 h 100.000 %" in detail


async def test_incidents_and_maintenance_with_their_times(db: Path) -> None:
    """The outage going on and the past one with start, end and duration; the maintenance
    scheduled and the past one."""
    page = await status_page(db, settings(db))
    incidents = text_of(page.split('id="incidents-h"')[1].split("</section>")[0])
    now, past = incidents.split(" Past ")
    assert "shop 2026-10-20 11:40:00 ongoing 20 min so far" in now
    assert "shop 2026-10-05 10:00:00 2026-10-05 10:07:25 7 min 25 s" in past
    assert "10-05" not in now
    maintenance = text_of(page.split('id="maintenance-h"')[1].split("</section>")[0])
    scheduled, done = maintenance.split(" Past ")
    assert "files 2026-10-22 02:00:00 2026-10-22 04:00:00 2 h 2026-10-15 09:00:00" in scheduled
    assert "files 2026-10-08 01:00:00 2026-10-08 03:00:00 2 h 2026-10-01 09:00:00" in done
    assert "10-22" not in done


async def test_what_is_not_measured_is_shown_as_not_measured(db: Path) -> None:
    """Ten minutes on without a result from either vantage: no service is called up or down
    now; each is not measured."""
    page = await status_page(db, settings(db), at=timedelta(minutes=10))
    assert "3 services not measured" in text_of(page)
    for name in ("shop", "api", "files"):
        assert section(page, name).startswith(f"{name} Not measured")
    assert "Operational" not in text_of(page)


@pytest.mark.parametrize("window", ["24h", "90d", "month"])
async def test_the_public_page_shows_no_money_no_check_and_no_vantage(
    db: Path, window: str
) -> None:
    """Neither amounts, currencies, check names or addresses, nor vantage names, unless the
    configuration asks: then check targets (without the query's values) and vantages show."""
    page = await status_page(db, settings(db), window=window)
    for secret in (
        "CNY", "USD", "144", "2.80", "credit", "Credit", "127.0.0.1", "private-shop-path",
        "hunter2", "/home", ">home<", ">v1<", ">cdn<", *VANTAGES,
    ):  # fmt: skip
        assert secret not in page, secret
    shown = await status_page(
        db, settings(db, extra="  show_checks: true\n  show_vantages: true"), window=window
    )
    shop = section(shown, "shop")
    assert "home http://127.0.0.1:9/private-shop-path?key=" in shop
    assert "hunter2" not in shown
    assert CHECK_URL not in shown
    assert "Vantages now: bj-1: down , sh-1: down" in shop
    for money in ("CNY", "USD", "2.80", "credit"):
        assert money not in shown


async def test_the_dashboard_shows_checks_money_votes_and_health(db: Path) -> None:
    """Every check with its state and last result; the month's credit (28 min of shop's
    outages at 144.00 CNY a day: 2.80), votes, certificates, the reports."""
    page = await dashboard_page(db, settings(db))
    text = text_of(page)
    assert "1 service down, 1 service degraded" in text
    assert "shop home frontend down timeout 5000 ms 2026-10-20 11:59:30 timed out" in text
    assert "api v1 frontend down http status 42 ms" in text
    assert "api v2 frontend up up 12 ms" in text
    assert "shop 2.80 CNY 28" in text
    assert "api 0.00 USD 0 100.0000 %" in text
    assert "shop bj-1: down , sh-1: down" in text
    assert "api v2 2026-10-30 00:00:00 9 d 12 h expiring" in text
    assert "Open outages Service Started Ended Duration shop 2026-10-20 11:40:00 ongoing" in text
    assert "Degraded periods Service Started Ended Duration api 2026-10-20 11:00:00 ongoing" in text
    assert "Not running: no health to show." in text
    assert '<a href="/report/2026-10">2026-10</a>' in page
    assert '<form method="post" action="/logout">' in page


def test_a_name_holding_markup_is_shown_as_text() -> None:
    """A service named with a script and quotes is escaped wherever it appears."""
    evil = '<script>alert("x")</script>'
    page = render_status(public_status(names=(evil, "a&b", "'q'")))
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "a&amp;b" in page
    assert "&#x27;q&#x27;" in page
    assert page.count("<script>") == 1
    assert f"<script>{REFRESH_SCRIPT}</script>" in page


def test_every_page_refers_to_nothing_outside_itself() -> None:
    """No link, script, stylesheet, image or font by address on any page; the policy in the
    page allows the refresh script by its hash and nothing else."""
    pages = [
        render_status(public_status()),
        render_login(message="wrong"),
        render_error(404, "no such page"),
    ]
    for served in pages:
        # The one link: an empty icon, so that a browser asks the server for none.
        page = served.replace('<link rel="icon" href="data:,">', "", 1)
        assert page.startswith("<!doctype html>")
        for tag in ("<link", "<img", "<iframe", "<object", "@import", "@font-face", "src="):
            assert tag not in page.lower()
        assert not re.search(r"https?://", page)
        for address in re.findall(r'\b(?:href|action)="([^"]*)"', page):
            assert address.startswith(("#", "?", "/")), address
    assert "script-src &#x27;sha256-" in pages[0]
    assert CSP_META.replace("'", "&#x27;") in pages[0]
    assert "script-src &#x27;none&#x27;" in pages[1]
    assert "<script" not in pages[1]


def test_availability_is_rounded_down() -> None:
    """99.99995 % reads 99.999 %, never 100.000 %; nothing measured reads so."""
    assert percent(Fraction(9999995, 10000000)) == f"99.999{NBSP}%"
    assert percent(Fraction(1)) == f"100.000{NBSP}%"
    assert percent(None) == "not measured"


async def test_each_incident_can_be_linked_to(db: Path) -> None:
    """Each incident's row has the anchor ``incident-ID`` that summary.json's shortlinks name."""
    config = settings(db)
    store = SQLiteStore(db)
    await store.open()
    try:
        status = await build_public(store, config, NOW)
    finally:
        await store.close()
    page = render_status(status)
    assert len(status.incidents) == 2
    for incident in status.incidents:
        assert page.count(f'<tr id="incident-{incident.id}">') == 1

"""The status page's and the dashboard's values, against the scenario worked out by hand."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from monitor.clock import FakeClock
from monitor.config.settings import Settings
from monitor.daemon.view import LiveState
from monitor.results import Outcome, ProbeResult
from monitor.scheduler import build_checks
from monitor.state import StateTracker
from monitor.status.build import build_dashboard, build_public
from monitor.status.model import ComponentStatus, DayKind, PublicService, PublicStatus
from monitor.store.base import Store
from monitor.store.sqlite import SQLiteStore
from monitor.write.writer import ResultWriter

from .conftest import fill_all
from .scenario import EAST, NOW, START, WEST, local, settings

H = timedelta(hours=1)
M = timedelta(minutes=1)
DAY = timedelta(days=1)


def service(status: PublicStatus, name: str) -> PublicService:
    return next(s for s in status.services if s.name == name)


@pytest.fixture
async def public(store: Store, config: Settings) -> PublicStatus:
    await fill_all(store, config)
    return await build_public(store, config, NOW)


async def test_the_page_shows_the_public_services_in_order(public: PublicStatus) -> None:
    assert [s.name for s in public.services] == ["api", "web", "shop", "docs"]
    assert public.title == "Example <Status> & Co"
    assert public.timezone == "Asia/Shanghai"
    assert public.generated_at == NOW


async def test_the_state_now_and_since_when(public: PublicStatus) -> None:
    """Down, degraded, announced maintenance to come, not measured: each as the rules say."""
    states = {s.name: (s.status, s.since) for s in public.services}
    assert states == {
        "api": (ComponentStatus.MAJOR_OUTAGE, NOW - 45 * M),
        "web": (ComponentStatus.PARTIAL_OUTAGE, NOW - 2 * H),
        # Up since its last maintenance ended (the one to come has not begun).
        "shop": (ComponentStatus.OPERATIONAL, local(7, 3)),
        # Not measured is never operational.
        "docs": (ComponentStatus.DEGRADED_PERFORMANCE, NOW - 30 * M),
    }
    assert public.worst is ComponentStatus.MAJOR_OUTAGE


async def test_a_maintenance_in_progress_is_the_state(store: Store, config: Settings) -> None:
    """An hour into tomorrow's maintenance, shop is under maintenance since it began."""
    later = NOW + DAY + H
    shop = service(await build_public(store, config, later), "shop")
    assert (shop.status, shop.since) == (ComponentStatus.UNDER_MAINTENANCE, NOW + DAY)


async def test_the_days(public: PublicStatus) -> None:
    """90 local days ending today; before monitoring began, nothing measured."""
    api = service(public, "api")
    assert len(api.days) == 90
    assert api.days[-1].date == date(2026, 3, 10)
    assert api.days[0].date == date(2025, 12, 11)
    kinds = {
        s.name: {c.date.isoformat(): c.kind for c in s.days if c.kind is not DayKind.UP}
        for s in public.services
    }
    before = {
        (date(2025, 12, 11) + n * DAY).isoformat(): DayKind.NO_DATA for n in range(80)
    }  # to 2026-02-28
    assert kinds["api"] == {**before, "2026-03-05": DayKind.OUTAGE, "2026-03-10": DayKind.OUTAGE}
    assert kinds["web"] == {**before, "2026-03-10": DayKind.DEGRADED}
    assert kinds["shop"] == {**before, "2026-03-07": DayKind.MAINTENANCE}
    assert kinds["docs"] == {**before, "2026-03-08": DayKind.GAP, "2026-03-10": DayKind.GAP}


async def test_the_figures_of_a_day(public: PublicStatus) -> None:
    api, web, shop, docs = public.services
    outage_day = next(c for c in api.days if c.date == date(2026, 3, 5))
    assert (outage_day.measured, outage_day.outage, outage_day.gap) == (24 * H, 30 * M, 0 * H)
    assert outage_day.availability == 1 - Fraction(30, 24 * 60)
    # Today, up to 22:00 local: 22 hours.
    assert (api.days[-1].measured, api.days[-1].outage) == (22 * H, 45 * M)
    assert (web.days[-1].degraded, web.days[-1].outage) == (2 * H, 0 * H)
    maintenance = next(c for c in shop.days if c.date == date(2026, 3, 7))
    assert (maintenance.maintenance, maintenance.measured) == (1 * H, 24 * H)
    gap = next(c for c in docs.days if c.date == date(2026, 3, 8))
    assert (gap.measured, gap.gap) == (23 * H, 1 * H)
    assert (docs.days[-1].measured, docs.days[-1].gap) == (21 * H + 30 * M, 30 * M)
    before = api.days[0]
    assert (before.measured, before.availability) == (0 * H, None)


async def test_the_windows(public: PublicStatus) -> None:
    """24 hours exactly; 7, 30, 90 local days and the month, over measured time."""
    api = service(public, "api")
    windows = {w.key: w for w in api.windows}
    assert list(windows) == ["24h", "7d", "30d", "90d", "month"]
    assert (windows["24h"].start, windows["24h"].end) == (NOW - DAY, NOW)
    assert (windows["24h"].measured, windows["24h"].outage) == (24 * H, 45 * M)
    assert windows["7d"].start == local(4, 0)
    assert (windows["7d"].measured, windows["7d"].outage) == (6 * DAY + 22 * H, 75 * M)
    # Monitoring began on the 1st: the longer windows measured the same 9 days and 22 hours.
    for key in ("30d", "90d", "month"):
        assert (windows[key].measured, windows[key].outage) == (9 * DAY + 22 * H, 75 * M), key
    assert windows["month"].start == START
    assert windows["90d"].start == local(11, 0, month=12).replace(year=2025)
    assert windows["7d"].availability == 1 - Fraction(75, (6 * 24 + 22) * 60)
    docs = {w.key: w for w in service(public, "docs").windows}
    assert (docs["24h"].measured, docs["24h"].outage) == (23 * H + 30 * M, 0 * H)
    assert docs["24h"].availability == 1


async def test_a_short_history_keeps_the_windows_it_can(store: Store, tmp_path: Path) -> None:
    short = settings(tmp_path / "x.db", "  history_days: 10\n")
    api = service(await build_public(store, short, NOW), "api")
    assert [w.key for w in api.windows] == ["24h", "7d", "month"]
    assert len(api.days) == 10


async def test_incidents_newest_first_with_stable_ids(
    public: PublicStatus, store: Store, config: Settings
) -> None:
    assert [(i.service, i.start, i.end) for i in public.incidents] == [
        ("api", NOW - 45 * M, None),
        ("api", local(5, 10), local(5, 10, 30)),
    ]
    assert public.incidents[0].ongoing
    assert public.incidents[1].duration(NOW) == 30 * M
    # Built again later, and once the outage is over, the ids stay.
    later = await build_public(store, config, NOW + 5 * M)
    assert [i.id for i in later.incidents] == [i.id for i in public.incidents]
    assert len({i.id for i in public.incidents}) == 2


async def test_maintenance_past_and_to_come(public: PublicStatus) -> None:
    """The revoked one is left out; the late one is shown, marked not accepted."""
    assert [(m.service, m.start, m.end, m.accepted) for m in public.maintenances] == [
        ("shop", NOW + DAY, NOW + DAY + 2 * H, True),
        ("shop", local(7, 2), local(7, 3), False),
    ]
    assert public.maintenances[0].announced_at == NOW - 3 * DAY


async def test_stored_days_and_live_days_agree(store: Store, config: Settings) -> None:
    """Built before any day was stored (everything live but the old days) and after: the cells
    of the days the live evidence covers, and the windows that fit in it, agree."""
    live = await build_public(store, config, NOW)
    rounds = await fill_all(store, config)
    assert rounds == 13  # 89 closed days, 7 a round
    stored = await build_public(store, config, NOW)
    for before, after in zip(live.services, stored.services, strict=True):
        assert before.days[-2:] == after.days[-2:]
        assert before.windows[0] == after.windows[0]
        assert before.status == after.status
    # Before the days were stored, the older ones were not measured as far as the page knew.
    assert service(live, "api").days[-6].kind is DayKind.NO_DATA
    assert service(stored, "api").days[-6].kind is DayKind.OUTAGE


async def test_the_dashboard(store: Store, config: Settings) -> None:
    await fill_all(store, config)
    board = await build_dashboard(store, config, NOW, live=None, health={"status": "ok"})
    assert [s.name for s in board.public.services] == ["api", "web", "shop", "docs", "internal"]
    assert board.vantage == EAST
    assert board.votes["api"] == {EAST: "down", WEST: "down"}
    assert board.votes["internal"] == {EAST: "up", WEST: "up"}
    assert board.votes["docs"] == {}
    assert [(i.service, i.start, i.end) for i in board.degraded] == [("web", NOW - 2 * H, None)]
    assert [(f.service, f.node, f.verdict, f.start) for f in board.failovers] == [
        ("shop", "node-a", "kept", local(6, 9))
    ]
    money = {m.service: m for m in board.money}
    # api: 30 + 45 minutes down this month at 144.00 CNY a day: 0.1 a minute.
    assert (money["api"].currency, money["api"].credit) == ("CNY", Decimal("7.50"))
    assert money["api"].credited_minutes == 75
    assert money["api"].month == "2026-03"
    assert money["internal"].credit == Decimal("0.00")
    assert board.months == ("2026-03",)
    assert board.health == {"status": "ok"}
    # No daemon: the checks come from the store: internal/home's newest result, the intervals
    # open now, and nothing known of the rest.
    checks = {(c.service, c.check): c for c in board.checks}
    assert checks["internal", "home"].state == "up"
    assert checks["internal", "home"].last_at == NOW - timedelta(seconds=10)
    assert checks["api", "home"].state == "down"
    assert checks["docs", "home"].state == "unknown"
    assert (checks["web", "home"].state, checks["web", "home"].last_at) == ("unknown", None)
    assert checks["shop", "node-a"].role == "node"


async def test_checks_and_vantages_shown_when_asked(store: Store, tmp_path: Path) -> None:
    shown = settings(tmp_path / "x.db", "  show_checks: true\n  show_vantages: true\n")
    api = service(await build_public(store, shown, NOW), "api")
    # The target without its query's values.
    assert api.checks == (("home", "http://127.0.0.1:9/api/health?token=***"),)
    assert api.vantages == ((EAST, "down"), (WEST, "down"))


class Running:
    """A running daemon's view, as far as the dashboard reads it: the live state of a real
    state tracker that saw results."""

    def __init__(self, state: LiveState) -> None:
        self._state = state

    def live_state(self) -> LiveState:
        return self._state


async def test_the_dashboard_of_a_running_daemon(
    store: Store, config: Settings, tmp_path: Path
) -> None:
    """With the daemon's view, the checks are its live ones: a fresh result, a stale one."""
    checks = {c.id: c for c in build_checks(config)}
    tracker = StateTracker(ResultWriter(SQLiteStore(tmp_path / "t.db"), FakeClock(NOW)), EAST)
    tracker.set_checks(checks.values())
    fresh = ProbeResult("shop/home", EAST, NOW - timedelta(seconds=5), 0.2, Outcome.UP, "200")
    old = ProbeResult("docs/home", EAST, NOW - H, 0.3, Outcome.UP, "200")
    tracker.observe(checks["shop/home"], fresh)
    tracker.observe(checks["docs/home"], old)
    live = LiveState.of(config, tracker, {}, [], now=NOW)

    board = await build_dashboard(store, config, NOW, live=Running(live))

    lines = {(c.service, c.check): c for c in board.checks}
    assert (lines["shop", "home"].state, lines["shop", "home"].latency) == ("up", 0.2)
    assert lines["shop", "home"].last_at == fresh.started_at
    assert lines["shop", "home"].detail == "200"
    # An hour old: nothing fresh to say about now.
    assert lines["docs", "home"].state == "unknown"
    assert (lines["web", "img"].state, lines["web", "img"].outcome) == ("unknown", None)
    assert board.health is None

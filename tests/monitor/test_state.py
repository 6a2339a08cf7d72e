"""Confirmed states and the intervals they leave in a real SQLite store."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.clock import FakeClock
from monitor.config.settings import CheckRole, HttpCheck
from monitor.errors import StorageError
from monitor.evidence import IntervalKind, IntervalRecord
from monitor.results import Outcome, ProbeResult
from monitor.scheduler import ScheduledCheck
from monitor.state import CheckState, ServiceState, StateTracker
from monitor.store.base import Store
from monitor.store.sqlite import SQLiteStore
from monitor.write.writer import ResultWriter

T0 = datetime(2026, 10, 5, 2, 0, tzinfo=UTC)


def check(name: str, role: CheckRole = CheckRole.FRONTEND, confirm: int = 2) -> ScheduledCheck:
    spec = HttpCheck(
        name=name,
        type="http",
        url="http://127.0.0.1:9/",
        interval=10.0,
        timeout=5.0,
        retry_interval=2.0,
        confirm=confirm,
    )
    return ScheduledCheck(f"shop/{name}", "shop", role, spec)


def result(c: ScheduledCheck, seconds: float, outcome: Outcome = Outcome.UP) -> ProbeResult:
    return ProbeResult(c.id, "v1", T0 + timedelta(seconds=seconds), 0.01, outcome)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    db = SQLiteStore(tmp_path / "state.db")
    await db.open()
    yield db
    await db.close()


@pytest.fixture
def journal(store: Store) -> ResultWriter:
    """The real result writer (on a fake clock) that carries interval changes to ``store``."""
    return ResultWriter(store, FakeClock())


@pytest.fixture
def tracker_for(store: Store, journal: ResultWriter) -> Callable[[], StateTracker]:
    """Make trackers that share the store and the journal, as successive daemon runs would."""
    return lambda: StateTracker(journal, "v1")


async def kinds(
    store: Store, journal: ResultWriter, kind: IntervalKind
) -> list[tuple[str, float, float | None]]:
    """Intervals of ``kind`` once every queued change is written, as offsets from T0."""
    await journal.drain(0)
    records = await store.intervals(
        start=T0 - timedelta(days=1), end=T0 + timedelta(days=1), kinds=[kind]
    )
    return [
        (
            r.subject,
            (r.start - T0).total_seconds(),
            None if r.end is None else (r.end - T0).total_seconds(),
        )
        for r in records
    ]


async def test_confirmed_down_starts_at_first_failure_and_ends_at_first_success(
    store: Store, journal: ResultWriter, tracker_for: Callable[[], StateTracker]
) -> None:
    """Two failures confirm DOWN from the first failed probe; the first success ends it."""
    home = check("home")
    tracker = tracker_for()
    tracker.set_checks([home])
    assert not tracker.observe(home, result(home, 0))
    assert tracker.observe(home, result(home, 10, Outcome.TIMEOUT))
    assert tracker.tracks[home.id].state is CheckState.UP
    assert tracker.observe(home, result(home, 12, Outcome.HTTP_STATUS))
    assert tracker.tracks[home.id].state is CheckState.DOWN
    assert tracker.observe(home, result(home, 14, Outcome.HTTP_STATUS))
    assert not tracker.observe(home, result(home, 16))
    assert await kinds(store, journal, IntervalKind.CHECK_DOWN) == [("shop/home", 10.0, 16.0)]
    [record] = await store.intervals(
        start=T0, end=T0 + timedelta(hours=1), kinds=[IntervalKind.CHECK_DOWN]
    )
    assert record.start_bound == T0
    assert record.end_bound == T0 + timedelta(seconds=14)
    assert record.detail["outcomes"] == {"timeout": 1, "http_status": 2}


async def test_single_failure_is_a_blip_not_an_outage(
    store: Store, journal: ResultWriter, tracker_for: Callable[[], StateTracker]
) -> None:
    """A failure that recovers before confirmation is recorded as a blip only."""
    home = check("home")
    tracker = tracker_for()
    tracker.set_checks([home])
    tracker.observe(home, result(home, 0))
    tracker.observe(home, result(home, 10, Outcome.CONNECT_ERROR))
    tracker.observe(home, result(home, 12))
    assert await kinds(store, journal, IntervalKind.BLIP) == [("shop/home", 10.0, 12.0)]
    assert await kinds(store, journal, IntervalKind.CHECK_DOWN) == []
    assert await kinds(store, journal, IntervalKind.OUTAGE) == []


async def test_all_frontend_down_is_an_outage_some_is_degraded(
    store: Store, journal: ResultWriter, tracker_for: Callable[[], StateTracker]
) -> None:
    """Service outage needs every frontend check down; one down is degraded; nodes don't count."""
    home, file, node = check("home"), check("file"), check("node-a", CheckRole.NODE)
    tracker = tracker_for()
    tracker.set_checks([home, file, node])
    for c in (home, file, node):
        tracker.observe(c, result(c, 0))
    assert tracker.service_state("shop") is ServiceState.UP
    for c in (home, node):
        tracker.observe(c, result(c, 10, Outcome.TIMEOUT))
        tracker.observe(c, result(c, 12, Outcome.TIMEOUT))
    assert tracker.service_state("shop") is ServiceState.DEGRADED
    tracker.observe(file, result(file, 20, Outcome.CONNECT_ERROR))
    tracker.observe(file, result(file, 22, Outcome.CONNECT_ERROR))
    assert tracker.service_state("shop") is ServiceState.DOWN
    tracker.observe(home, result(home, 30))
    assert tracker.service_state("shop") is ServiceState.DEGRADED
    tracker.observe(file, result(file, 32))
    assert tracker.service_state("shop") is ServiceState.UP
    # The outage is the intersection of the two down intervals: [20, 30).
    assert await kinds(store, journal, IntervalKind.OUTAGE) == [("shop", 20.0, 30.0)]
    assert await kinds(store, journal, IntervalKind.DEGRADED) == [
        ("shop", 10.0, 20.0),
        ("shop", 30.0, 32.0),
    ]


async def test_stale_results_leave_a_gap(
    store: Store, journal: ResultWriter, tracker_for: Callable[[], StateTracker]
) -> None:
    """A result after more than interval + timeout + slack of silence records a gap."""
    home = check("home")
    tracker = tracker_for()
    tracker.set_checks([home])
    tracker.observe(home, result(home, 0))
    tracker.observe(home, result(home, 10))
    tracker.observe(home, result(home, 100))
    assert await kinds(store, journal, IntervalKind.GAP) == [("shop/home", 10.0, 100.0)]


async def test_restore_resumes_an_open_outage(
    store: Store, journal: ResultWriter, tracker_for: Callable[[], StateTracker]
) -> None:
    """A new tracker over the same store resumes open intervals and closes them on recovery."""
    home = check("home", confirm=1)
    first = tracker_for()
    first.set_checks([home])
    first.observe(home, result(home, 0))
    first.observe(home, result(home, 10, Outcome.TIMEOUT))
    assert await kinds(store, journal, IntervalKind.OUTAGE) == [("shop", 10.0, None)]
    second = tracker_for()
    second.set_checks([home])
    second.restore(await store.open_intervals("v1"))
    assert second.tracks[home.id].state is CheckState.DOWN
    assert second.service_state("shop") is ServiceState.DOWN
    second.observe(home, result(home, 300))
    assert await kinds(store, journal, IntervalKind.OUTAGE) == [("shop", 10.0, 300.0)]
    assert await kinds(store, journal, IntervalKind.CHECK_DOWN) == [("shop/home", 10.0, 300.0)]


class FlakyStore(SQLiteStore):
    """A real SQLite store whose interval writes fail while ``down`` is set."""

    down = False

    async def open_interval(self, record: IntervalRecord) -> int:
        if self.down:
            raise StorageError("sqlite:///state.db: open_interval: disk I/O error")
        return await super().open_interval(record)

    async def close_interval(self, *args: Any, **kwargs: Any) -> None:
        if self.down:
            raise StorageError("sqlite:///state.db: close_interval: disk I/O error")
        await super().close_interval(*args, **kwargs)


async def test_intervals_survive_a_store_outage(tmp_path: Path) -> None:
    """Interval changes made while the store fails are kept, in order, and written once it is
    back: the outage opened and closed during the failure is stored whole."""
    flaky = FlakyStore(tmp_path / "flaky.db")
    await flaky.open()
    clock = FakeClock()
    journal = ResultWriter(flaky, clock)
    tracker = StateTracker(journal, "v1")
    home = check("home")
    tracker.set_checks([home])
    tracker.observe(home, result(home, 0))
    flaky.down = True
    tracker.observe(home, result(home, 10, Outcome.TIMEOUT))
    tracker.observe(home, result(home, 12, Outcome.TIMEOUT))
    tracker.observe(home, result(home, 20))
    assert await journal.drain(0) == 0
    # Check down, outage and (its only check down, no canary) unconfirmed, each opened and closed.
    assert journal.journal_depth == 6
    assert journal.write_errors == 1
    flaky.down = False
    await journal.drain(0)
    assert journal.journal_depth == 0
    assert await kinds(flaky, journal, IntervalKind.OUTAGE) == [("shop", 10.0, 20.0)]
    assert await kinds(flaky, journal, IntervalKind.CHECK_DOWN) == [("shop/home", 10.0, 20.0)]
    assert await kinds(flaky, journal, IntervalKind.UNCONFIRMED) == [("v1", 0.0, 20.0)]
    await flaky.close()


async def test_a_check_without_a_fresh_result_is_stale(
    store: Store, journal: ResultWriter, tracker_for: Callable[[], StateTracker]
) -> None:
    """Until its first result, and once its last one is older than interval + timeout + slack,
    a check is stale (shown as unknown), whatever its confirmed state."""
    home = check("home")
    tracker = tracker_for()
    tracker.set_checks([home])
    track = tracker.tracks[home.id]
    assert track.stale(T0)
    tracker.observe(home, result(home, 0))
    assert not track.stale(T0 + timedelta(seconds=20))
    assert track.stale(T0 + timedelta(seconds=20.001))


async def test_every_check_down_at_once_isolates_the_vantage(
    store: Store, journal: ResultWriter, tracker_for: Callable[[], StateTracker]
) -> None:
    """Isolation starts at the last moment any check worked (here the canary's success at 8 s,
    before the home page's failures at 10 s) and ends at the first success of any."""
    home, node, canary = check("home"), check("node-a", CheckRole.NODE), check("ping")
    canary = ScheduledCheck("@canary/ping", "@canary", CheckRole.CANARY, canary.spec)
    tracker = tracker_for()
    tracker.set_checks([home, node, canary])
    for c, at in ((home, 0), (node, 5), (canary, 8)):
        tracker.observe(c, result(c, at))
    for c, start in ((home, 10), (node, 11), (canary, 13)):
        tracker.observe(c, result(c, start, Outcome.TIMEOUT))
        tracker.observe(c, result(c, start + 2, Outcome.CONNECT_ERROR))
        assert tracker.isolated is (c is canary)
    tracker.observe(node, result(node, 30))

    assert not tracker.isolated
    assert await kinds(store, journal, IntervalKind.ISOLATED) == [("v1", 8.0, 30.0)]
    assert await kinds(store, journal, IntervalKind.OUTAGE) == [("shop", 10.0, None)]


async def test_without_canaries_every_check_down_is_an_unconfirmed_outage(
    store: Store, journal: ResultWriter, tracker_for: Callable[[], StateTracker]
) -> None:
    """A vantage without canaries is never isolated: every check down at once (frontend and
    nodes) is the service's outage, whole, with an unconfirmed interval beside it from the last
    moment any check worked to the first success."""
    home, shop_file = check("home"), check("file")
    node = check("node-a", CheckRole.NODE)
    tracker = tracker_for()
    tracker.set_checks([home, shop_file, node])
    for c, at in ((home, 0), (shop_file, 3), (node, 5)):
        tracker.observe(c, result(c, at))
    for c, start in ((home, 10), (shop_file, 11), (node, 13)):
        tracker.observe(c, result(c, start, Outcome.TIMEOUT))
        tracker.observe(c, result(c, start + 2, Outcome.CONNECT_ERROR))
        assert not tracker.isolated
        assert tracker.unconfirmed is (c is node)
    tracker.observe(home, result(home, 50))
    tracker.observe(shop_file, result(shop_file, 51))

    assert not tracker.unconfirmed
    assert await kinds(store, journal, IntervalKind.ISOLATED) == []
    assert await kinds(store, journal, IntervalKind.UNCONFIRMED) == [("v1", 5.0, 50.0)]
    assert await kinds(store, journal, IntervalKind.OUTAGE) == [("shop", 11.0, 50.0)]


def all_down(tracker: StateTracker, checks: list[ScheduledCheck], start: float) -> None:
    """Each of ``checks`` fails twice (confirmed down), from ``start`` seconds on."""
    for c in checks:
        tracker.observe(c, result(c, start, Outcome.TIMEOUT))
        tracker.observe(c, result(c, start + 2, Outcome.TIMEOUT))


async def test_a_reload_that_removes_every_canary_ends_the_isolation_there(
    store: Store, journal: ResultWriter, tracker_for: Callable[[], StateTracker]
) -> None:
    """Isolated while its canary failed; a reload drops the canary: from the next failed probe
    the time is unconfirmed outage, no longer unmeasured (the time before stays isolated)."""
    home, canary = check("home"), canary_check()
    tracker = tracker_for()
    tracker.set_checks([home, canary])
    all_down(tracker, [home, canary], 10)
    assert tracker.isolated

    tracker.set_checks([home])
    tracker.observe(home, result(home, 100, Outcome.TIMEOUT))
    assert tracker.unconfirmed
    tracker.observe(home, result(home, 3600))

    assert await kinds(store, journal, IntervalKind.ISOLATED) == [("v1", 10.0, 100.0)]
    assert await kinds(store, journal, IntervalKind.UNCONFIRMED) == [("v1", 100.0, 3600.0)]
    assert await kinds(store, journal, IntervalKind.OUTAGE) == [("shop", 10.0, 3600.0)]


async def test_a_reload_that_adds_a_canary_isolates_from_its_first_failure(
    store: Store, journal: ResultWriter, tracker_for: Callable[[], StateTracker]
) -> None:
    """Unconfirmed while every check failed; a canary added by a reload fails too: the vantage
    is isolated from the canary's first failure, never earlier."""
    home, canary = check("home"), canary_check()
    tracker = tracker_for()
    tracker.set_checks([home])
    all_down(tracker, [home], 10)
    assert tracker.unconfirmed

    tracker.set_checks([home, canary])
    all_down(tracker, [canary], 200)
    assert tracker.isolated
    tracker.observe(canary, result(canary, 300))

    assert await kinds(store, journal, IntervalKind.UNCONFIRMED) == [("v1", 10.0, 200.0)]
    assert await kinds(store, journal, IntervalKind.ISOLATED) == [("v1", 200.0, 300.0)]


async def test_an_isolation_recorded_without_canaries_resumes_unconfirmed(
    store: Store, journal: ResultWriter, tracker_for: Callable[[], StateTracker]
) -> None:
    """An open isolation stored before isolation needed canaries (no canary count in its
    detail), resumed where none is configured, is unconfirmed from its very start."""
    home = check("home")
    await store.open_interval(
        IntervalRecord(IntervalKind.ISOLATED, "v1", "v1", T0 + timedelta(seconds=8), None)
    )
    tracker = tracker_for()
    tracker.set_checks([home])
    tracker.restore(await store.open_intervals("v1"))

    assert tracker.unconfirmed
    tracker.observe(home, result(home, 50))
    assert await kinds(store, journal, IntervalKind.ISOLATED) == [("v1", 8.0, 8.0)]
    assert await kinds(store, journal, IntervalKind.UNCONFIRMED) == [("v1", 8.0, 50.0)]


async def test_an_isolation_with_canaries_resumed_without_them_turns_unconfirmed(
    store: Store, journal: ResultWriter, tracker_for: Callable[[], StateTracker]
) -> None:
    """An isolation recorded while canaries failed, resumed by a run without canaries, keeps
    its past (the evidence held then) and is unconfirmed from the next failed probe."""
    home, canary = check("home"), canary_check()
    first = tracker_for()
    first.set_checks([home, canary])
    all_down(first, [home, canary], 10)
    await journal.drain(0)

    second = tracker_for()
    second.set_checks([home])
    second.restore(await store.open_intervals("v1"))
    assert second.isolated
    second.observe(home, result(home, 60, Outcome.TIMEOUT))
    assert second.unconfirmed
    second.observe(home, result(home, 90))

    assert await kinds(store, journal, IntervalKind.ISOLATED) == [("v1", 10.0, 60.0)]
    assert await kinds(store, journal, IntervalKind.UNCONFIRMED) == [("v1", 60.0, 90.0)]


async def test_a_canary_that_answers_prevents_isolation(
    store: Store, journal: ResultWriter, tracker_for: Callable[[], StateTracker]
) -> None:
    """With a canary up, every check of the service down is the service's outage alone."""
    home = check("home")
    canary = ScheduledCheck("@canary/ping", "@canary", CheckRole.CANARY, check("ping").spec)
    tracker = tracker_for()
    tracker.set_checks([home, canary])
    tracker.observe(canary, result(canary, 0))
    tracker.observe(home, result(home, 10, Outcome.TIMEOUT))
    tracker.observe(home, result(home, 12, Outcome.TIMEOUT))

    assert not tracker.isolated
    assert await kinds(store, journal, IntervalKind.ISOLATED) == []
    assert await kinds(store, journal, IntervalKind.OUTAGE) == [("shop", 10.0, None)]


def canary_check(name: str = "ping") -> ScheduledCheck:
    return ScheduledCheck(f"@canary/{name}", "@canary", CheckRole.CANARY, check(name).spec)


@pytest.mark.parametrize(
    ("with_canary", "kind"),
    [
        pytest.param(True, IntervalKind.ISOLATED, id="canary-isolated"),
        pytest.param(False, IntervalKind.UNCONFIRMED, id="no-canary-unconfirmed"),
    ],
)
async def test_an_all_down_interval_resumes_after_a_restart(
    store: Store,
    journal: ResultWriter,
    tracker_for: Callable[[], StateTracker],
    with_canary: bool,
    kind: IntervalKind,
) -> None:
    """An isolation (or, without canaries, an unconfirmed interval) open when the daemon stopped
    is resumed with its kind, then closed by the next success."""
    home = check("home")
    checks = [home, canary_check()] if with_canary else [home]
    first = tracker_for()
    first.set_checks(checks)
    for c in checks:
        first.observe(c, result(c, 10, Outcome.TIMEOUT))
        first.observe(c, result(c, 12, Outcome.TIMEOUT))
    await journal.drain(0)

    second = tracker_for()
    second.set_checks(checks)
    second.restore(await store.open_intervals("v1"))
    assert (second.isolated, second.unconfirmed) == (with_canary, not with_canary)
    second.observe(home, result(home, 40))

    assert not second.isolated
    assert not second.unconfirmed
    assert await kinds(store, journal, kind) == [
        ("v1", 10.0, 40.0)
    ]  # no success seen: from the first failure


async def test_a_close_never_goes_before_its_interval_s_start(
    store: Store, journal: ResultWriter, tracker_for: Callable[[], StateTracker]
) -> None:
    """A slow probe that began before the outage opened but reports after it (results arrive in
    completion order) ends the outage at its start, never before: the store would refuse it."""
    a, b = check("a"), check("b")
    tracker = tracker_for()
    tracker.set_checks([a, b])
    tracker.observe(a, result(a, 0))
    tracker.observe(b, result(b, 10, Outcome.TIMEOUT))
    tracker.observe(b, result(b, 12, Outcome.TIMEOUT))
    tracker.observe(a, result(a, 100, Outcome.TIMEOUT))
    tracker.observe(a, result(a, 102, Outcome.TIMEOUT))
    tracker.observe(b, result(b, 99))  # began at 99, finished after a's failures

    assert journal.journal_depth > 0
    assert await kinds(store, journal, IntervalKind.OUTAGE) == [("shop", 100.0, 100.0)]
    assert journal.journal_depth == 0


async def test_every_confirmed_change_is_told(store: Store, journal: ResultWriter) -> None:
    """Unknown to up, up to down (at the first failure), down to up: each told once."""
    changes: list[tuple[str, CheckState, float]] = []
    tracker = StateTracker(
        journal,
        "v1",
        on_check_change=lambda c, state, at: changes.append(
            (c.name, state, (at - T0).total_seconds())
        ),
    )
    node = check("node-a", CheckRole.NODE)
    tracker.set_checks([node])
    for seconds, outcome in ((0, Outcome.UP), (10, Outcome.UP), (20, Outcome.TIMEOUT)):
        tracker.observe(node, result(node, seconds, outcome))
    tracker.observe(node, result(node, 22, Outcome.TIMEOUT))
    tracker.observe(node, result(node, 30))

    assert changes == [
        ("node-a", CheckState.UP, 0.0),
        ("node-a", CheckState.DOWN, 20.0),
        ("node-a", CheckState.UP, 30.0),
    ]

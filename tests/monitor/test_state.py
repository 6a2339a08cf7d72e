"""Confirmed states and the intervals they leave in a real SQLite store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.config import CheckRole, HttpCheck
from monitor.results import Outcome, ProbeResult
from monitor.scheduler import ScheduledCheck
from monitor.state import CheckState, ServiceState, StateTracker
from monitor.store.base import IntervalKind, Store
from monitor.store.sqlite import SQLiteStore

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


async def kinds(store: Store, kind: IntervalKind) -> list[tuple[str, float, float | None]]:
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
    store: Store,
) -> None:
    """Two failures confirm DOWN from the first failed probe; the first success ends it."""
    home = check("home")
    tracker = StateTracker(store, "v1")
    tracker.set_checks([home])
    assert not await tracker.observe(home, result(home, 0))
    assert await tracker.observe(home, result(home, 10, Outcome.TIMEOUT))
    assert tracker.tracks[home.id].state is CheckState.UP
    assert await tracker.observe(home, result(home, 12, Outcome.HTTP_STATUS))
    assert tracker.tracks[home.id].state is CheckState.DOWN
    assert await tracker.observe(home, result(home, 14, Outcome.HTTP_STATUS))
    assert not await tracker.observe(home, result(home, 16))
    assert await kinds(store, IntervalKind.CHECK_DOWN) == [("shop/home", 10.0, 16.0)]
    [record] = await store.intervals(
        start=T0, end=T0 + timedelta(hours=1), kinds=[IntervalKind.CHECK_DOWN]
    )
    assert record.start_bound == T0
    assert record.end_bound == T0 + timedelta(seconds=14)
    assert record.detail["outcomes"] == {"timeout": 1, "http_status": 2}


async def test_single_failure_is_a_blip_not_an_outage(store: Store) -> None:
    """A failure that recovers before confirmation is recorded as a blip only."""
    home = check("home")
    tracker = StateTracker(store, "v1")
    tracker.set_checks([home])
    await tracker.observe(home, result(home, 0))
    await tracker.observe(home, result(home, 10, Outcome.CONNECT_ERROR))
    await tracker.observe(home, result(home, 12))
    assert await kinds(store, IntervalKind.BLIP) == [("shop/home", 10.0, 12.0)]
    assert await kinds(store, IntervalKind.CHECK_DOWN) == []
    assert await kinds(store, IntervalKind.OUTAGE) == []


async def test_all_frontend_down_is_an_outage_some_is_degraded(store: Store) -> None:
    """Service outage needs every frontend check down; one down is degraded; nodes don't count."""
    home, file, node = check("home"), check("file"), check("node-a", CheckRole.NODE)
    tracker = StateTracker(store, "v1")
    tracker.set_checks([home, file, node])
    for c in (home, file, node):
        await tracker.observe(c, result(c, 0))
    assert tracker.service_state("shop") is ServiceState.UP
    for c in (home, node):
        await tracker.observe(c, result(c, 10, Outcome.TIMEOUT))
        await tracker.observe(c, result(c, 12, Outcome.TIMEOUT))
    assert tracker.service_state("shop") is ServiceState.DEGRADED
    await tracker.observe(file, result(file, 20, Outcome.CONNECT_ERROR))
    await tracker.observe(file, result(file, 22, Outcome.CONNECT_ERROR))
    assert tracker.service_state("shop") is ServiceState.DOWN
    await tracker.observe(home, result(home, 30))
    assert tracker.service_state("shop") is ServiceState.DEGRADED
    await tracker.observe(file, result(file, 32))
    assert tracker.service_state("shop") is ServiceState.UP
    # The outage is the intersection of the two down intervals: [20, 30).
    assert await kinds(store, IntervalKind.OUTAGE) == [("shop", 20.0, 30.0)]
    assert await kinds(store, IntervalKind.DEGRADED) == [
        ("shop", 10.0, 20.0),
        ("shop", 30.0, 32.0),
    ]


async def test_stale_results_leave_a_gap(store: Store) -> None:
    """A result after more than interval + timeout + slack of silence records a gap."""
    home = check("home")
    tracker = StateTracker(store, "v1")
    tracker.set_checks([home])
    await tracker.observe(home, result(home, 0))
    await tracker.observe(home, result(home, 10))
    await tracker.observe(home, result(home, 100))
    assert await kinds(store, IntervalKind.GAP) == [("shop/home", 10.0, 100.0)]


async def test_restore_resumes_an_open_outage(store: Store) -> None:
    """A new tracker over the same store resumes open intervals and closes them on recovery."""
    home = check("home", confirm=1)
    first = StateTracker(store, "v1")
    first.set_checks([home])
    await first.observe(home, result(home, 0))
    await first.observe(home, result(home, 10, Outcome.TIMEOUT))
    assert await kinds(store, IntervalKind.OUTAGE) == [("shop", 10.0, None)]
    second = StateTracker(store, "v1")
    second.set_checks([home])
    await second.restore()
    assert second.tracks[home.id].state is CheckState.DOWN
    assert second.service_state("shop") is ServiceState.DOWN
    await second.observe(home, result(home, 300))
    assert await kinds(store, IntervalKind.OUTAGE) == [("shop", 10.0, 300.0)]
    assert await kinds(store, IntervalKind.CHECK_DOWN) == [("shop/home", 10.0, 300.0)]

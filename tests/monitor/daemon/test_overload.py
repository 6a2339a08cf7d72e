"""Past capacity: the daemon sheds by delaying and says so, and never turns its own lateness into
the target's outage."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from monitor.clock import FakeClock
from monitor.config.settings import CheckRole, HttpCheck
from monitor.daemon.loopwatch import TICK, LoopWatch
from monitor.daemon.runner import judge_overload
from monitor.evidence import IntervalChange, IntervalKind, IntervalOpen
from monitor.results import Outcome, ProbeResult
from monitor.scheduler import ScheduledCheck, Scheduler
from monitor.state import CheckState, StateTracker

NOW = datetime(2026, 10, 5, 12, 0, tzinfo=UTC)
SPEC = HttpCheck.model_validate(
    {"name": "home", "type": "http", "url": "http://127.0.0.1:1/", "interval": "5s", "confirm": 2}
)
CHECK = ScheduledCheck("shop/home", "shop", CheckRole.FRONTEND, SPEC)


def result(seconds: float, outcome: Outcome, detail: str = "") -> ProbeResult:
    return ProbeResult(CHECK.id, "v1", NOW + timedelta(seconds=seconds), 0.01, outcome, detail)


def test_a_timeout_while_the_loop_ran_late_is_the_daemon_s_not_the_target_s() -> None:
    """A timeout with the loop 2.5 s behind is a probe error saying why; with the loop on time
    it stays a timeout; a late start is said in the detail either way."""
    timeout = result(0, Outcome.TIMEOUT, "no complete answer within 5s")
    judged = judge_overload(timeout, 3.2, 2.5)
    assert judged.outcome is Outcome.PROBE_ERROR
    assert judged.detail == (
        "no complete answer within 5s (started 3.2s late); the daemon was overloaded (probes"
        " starting 2.5s late): not a measurement of the target"
    )
    on_time = judge_overload(timeout, 0.1, 0.2)
    assert on_time == timeout
    refused = result(0, Outcome.CONNECT_ERROR, "connection refused")
    late = judge_overload(refused, 1.5, 2.5)
    assert (late.outcome, late.detail) == (
        Outcome.CONNECT_ERROR,
        "connection refused (started 1.5s late)",
    )


class _Recorder:
    """The interval kinds opened, in order."""

    def __init__(self) -> None:
        self.kinds: list[IntervalKind] = []

    def submit_interval(self, change: IntervalChange) -> None:
        if isinstance(change, IntervalOpen):
            self.kinds.append(change.record.kind)


def test_probe_errors_are_no_measurement_neither_up_nor_down() -> None:
    """Failures apart from a probe error still confirm DOWN (they are consecutive measurements);
    a minute of nothing but probe errors is a gap, never an outage nor up time."""
    journal = _Recorder()
    tracker = StateTracker(journal, "v1")
    tracker.set_checks([CHECK])
    tracker.observe(CHECK, result(0, Outcome.UP))
    tracker.observe(CHECK, result(5, Outcome.TIMEOUT))
    tracker.observe(CHECK, result(10, Outcome.PROBE_ERROR))
    assert tracker.tracks[CHECK.id].state is CheckState.UP
    tracker.observe(CHECK, result(15, Outcome.TIMEOUT))
    assert tracker.tracks[CHECK.id].state is CheckState.DOWN
    tracker.observe(CHECK, result(20, Outcome.UP))
    for second in range(25, 90, 5):
        tracker.observe(CHECK, result(second, Outcome.PROBE_ERROR))
    assert tracker.tracks[CHECK.id].stale(NOW + timedelta(seconds=90))
    tracker.observe(CHECK, result(90, Outcome.UP))
    assert IntervalKind.GAP in journal.kinds
    assert journal.kinds.count(IntervalKind.CHECK_DOWN) == 1


class _LateClock:
    """Sleeps return at once, but the loop wakes ``late`` seconds after each deadline."""

    def __init__(self, late: list[float]) -> None:
        self.t = 0.0
        self._late = late

    def now(self) -> datetime:
        return NOW + timedelta(seconds=self.t)

    def monotonic(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.t += seconds + (self._late.pop(0) if self._late else 0.0)
        await asyncio.sleep(0)


async def test_the_loop_watch_reports_how_late_the_loop_ran_since_an_instant() -> None:
    clock = _LateClock([0.0, 0.0, 2.0, 0.0, 0.5])
    watch = LoopWatch(clock)
    task = asyncio.create_task(watch.run())
    for _ in range(20):
        await asyncio.sleep(0)
    task.cancel()
    assert watch.worst_since(0.0) == 2.0
    after_the_stall = 3 * TICK + 2.0 + 0.001
    assert watch.worst_since(after_the_stall) == 0.5
    assert watch.worst_since(clock.t + 1) == 0.0


async def test_past_capacity_the_scheduler_sheds_slots_and_the_lag_stays_bounded() -> None:
    """Ten checks every second, one probe at a time taking a second each: a tenth of the
    demand. Over an hour every check is still probed, in turn, and how late probes start stays
    bounded (missed slots are skipped, not queued up); each probe in flight knows its lag."""
    clock = FakeClock(NOW)
    lags: list[float] = []
    started: dict[str, int] = {}
    seen_lags: list[float] = []
    scheduler: Scheduler

    async def slow_probe(check: ScheduledCheck) -> ProbeResult:
        started[check.id] = started.get(check.id, 0) + 1
        seen_lags.append(scheduler.start_lag(check.id))
        await clock.sleep(1.0)
        return ProbeResult(check.id, "v1", clock.now(), 1.0, Outcome.UP)

    async def on_result(_: ScheduledCheck, __: ProbeResult) -> bool:
        return False

    checks = [
        ScheduledCheck(
            f"shop/c{i}",
            "shop",
            CheckRole.FRONTEND,
            HttpCheck.model_validate(
                {"name": f"c{i}", "type": "http", "url": "http://127.0.0.1:1/", "interval": "1s"}
            ),
        )
        for i in range(10)
    ]
    scheduler = Scheduler(clock, slow_probe, on_result, max_concurrency=1, on_lag=lags.append)
    scheduler.set_checks(checks)
    task = asyncio.create_task(scheduler.run())
    for _ in range(3600):
        await clock.advance(1.0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert 3500 <= sum(started.values()) <= 3600
    assert min(started.values()) >= 300  # none starved
    assert max(lags) < 10.0  # bounded: ten checks, one second each
    assert max(lags[-100:]) < 10.0
    assert seen_lags == lags[: len(seen_lags)]

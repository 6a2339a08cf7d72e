"""The scheduler on a fake clock: slots, jitter, adaptive cadence, concurrency, isolation."""

from __future__ import annotations

import asyncio
from collections import defaultdict

import pytest

from monitor.clock import FakeClock
from monitor.config.settings import CheckRole, HttpCheck
from monitor.results import Outcome, ProbeResult
from monitor.scheduler import ScheduledCheck, Scheduler, next_slot, phase_of


def make_check(
    name: str, interval: float = 10.0, retry: float = 2.0, timeout: float = 5.0
) -> ScheduledCheck:
    spec = HttpCheck(
        name=name,
        type="http",
        url="http://127.0.0.1:9/",
        interval=interval,
        retry_interval=retry,
        timeout=timeout,
    )
    return ScheduledCheck(f"svc/{name}", "svc", CheckRole.FRONTEND, spec)


class Recorder:
    """A prober that records when each check was probed, on the fake clock."""

    def __init__(self, clock: FakeClock, failing: set[str] | None = None) -> None:
        self.clock = clock
        self.failing = failing if failing is not None else set()
        self.calls: dict[str, list[float]] = defaultdict(list)

    async def probe(self, check: ScheduledCheck) -> ProbeResult:
        self.calls[check.id].append(self.clock.monotonic())
        outcome = Outcome.TIMEOUT if check.id in self.failing else Outcome.UP
        return ProbeResult(check.id, "v", self.clock.now(), 0.0, outcome)

    async def on_result(self, check: ScheduledCheck, result: ProbeResult) -> bool:
        return not result.up


@pytest.mark.parametrize(
    ("phase", "interval", "after", "expected"),
    [
        pytest.param(3.0, 10.0, 0.0, 3.0, id="first-slot"),
        pytest.param(3.0, 10.0, 3.0, 13.0, id="strictly-after"),
        pytest.param(3.0, 10.0, 86_400.0, 86_403.0, id="a-day-later-no-drift"),
        pytest.param(0.0, 0.5, 1.0, 1.5, id="sub-second"),
    ],
)
def test_next_slot(phase: float, interval: float, after: float, expected: float) -> None:
    """Slots are phase + k*interval, the first one strictly after the given time."""
    assert next_slot(phase, interval, after) == pytest.approx(expected)


def test_phase_is_stable_and_spread() -> None:
    """10,000 checks get stable phases spread evenly over the interval (no thundering herd)."""
    phases = [phase_of(f"svc/check-{i}", 10.0) for i in range(10_000)]
    assert phases == [phase_of(f"svc/check-{i}", 10.0) for i in range(10_000)]
    buckets = [0] * 10
    for value in phases:
        assert 0.0 <= value < 10.0
        buckets[int(value)] += 1
    # Each one-second bucket holds about a tenth of the checks.
    assert min(buckets) > 850
    assert max(buckets) < 1150


async def test_ten_thousand_checks_a_simulated_day_without_drift() -> None:
    """10,000 checks probed for a simulated day start exactly on their slots, never drifting."""
    clock = FakeClock()
    recorder = Recorder(clock)
    checks = [make_check(f"c{i}", interval=21_600.0, retry=2.0) for i in range(10_000)]
    scheduler = Scheduler(clock, recorder.probe, recorder.on_result, max_concurrency=100_000)
    scheduler.set_checks(checks)
    task = asyncio.create_task(scheduler.run())
    await clock.advance(86_400.0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(recorder.calls) == 10_000
    for check in checks:
        times = recorder.calls[check.id]
        phase = phase_of(check.id, 21_600.0)
        assert times == pytest.approx([phase + k * 21_600.0 for k in range(4)], abs=1e-6)


async def test_adaptive_cadence_after_failure() -> None:
    """A failing check is re-probed every retry_interval, and returns to its slots once up."""
    clock = FakeClock()
    recorder = Recorder(clock, failing={"svc/a"})
    check = make_check("a", interval=10.0, retry=2.0)
    scheduler = Scheduler(clock, recorder.probe, recorder.on_result)
    scheduler.set_checks([check])
    task = asyncio.create_task(scheduler.run())
    phase = phase_of(check.id, 10.0)
    await clock.advance(phase + 6.5)
    recorder.failing.clear()
    await clock.advance(30.0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    times = recorder.calls[check.id]
    # Failures at phase, +2, +4, +6; the probe at +8 succeeds; then the next slot at +10.
    expected = [phase + d for d in (0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 20.0, 30.0)]
    assert times[: len(expected)] == pytest.approx(expected)


async def test_concurrency_limit_reports_lag() -> None:
    """With a limit of one, probes that fall due together start one after another, and the
    lag of the late ones is reported."""
    clock = FakeClock()
    lags: list[float] = []

    async def slow_probe(check: ScheduledCheck) -> ProbeResult:
        await clock.sleep(1.0)
        return ProbeResult(check.id, "v", clock.now(), 1.0, Outcome.UP)

    async def on_result(_: ScheduledCheck, __: ProbeResult) -> bool:
        return False

    # Five one-second probes due every two seconds cannot all run one at a time: they queue.
    scheduler = Scheduler(clock, slow_probe, on_result, max_concurrency=1, on_lag=lags.append)
    scheduler.set_checks([make_check(f"c{i}", interval=2.0, retry=1.0) for i in range(5)])
    task = asyncio.create_task(scheduler.run())
    await clock.advance(20.0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # One probe a second at most, and the queue shows as lag.
    assert 18 <= len(lags) <= 21
    assert max(lags) >= 1.0


async def test_a_crashing_probe_does_not_stop_the_others() -> None:
    """An exception from one check's probe is contained; the other checks keep their slots."""
    clock = FakeClock()
    recorder = Recorder(clock)

    async def probe(check: ScheduledCheck) -> ProbeResult:
        if check.id == "svc/bad":
            raise RuntimeError("prober bug")
        return await recorder.probe(check)

    scheduler = Scheduler(clock, probe, recorder.on_result)
    scheduler.set_checks([make_check("bad"), make_check("good")])
    task = asyncio.create_task(scheduler.run())
    await clock.advance(60.0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(recorder.calls["svc/good"]) == 6


async def test_reload_keeps_unchanged_and_drops_removed() -> None:
    """Replacing the check set keeps unchanged checks on their slots and stops removed ones."""
    clock = FakeClock()
    recorder = Recorder(clock)
    keep, drop = make_check("keep"), make_check("drop")
    scheduler = Scheduler(clock, recorder.probe, recorder.on_result)
    scheduler.set_checks([keep, drop])
    task = asyncio.create_task(scheduler.run())
    await clock.advance(25.0)
    dropped_before = len(recorder.calls["svc/drop"])
    added = make_check("added", interval=5.0)
    scheduler.set_checks([keep, added])
    await clock.advance(30.0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(recorder.calls["svc/drop"]) == dropped_before
    phase = phase_of(keep.id, 10.0)
    assert recorder.calls["svc/keep"] == pytest.approx([phase + 10.0 * k for k in range(5)])
    assert len(recorder.calls["svc/added"]) == 6

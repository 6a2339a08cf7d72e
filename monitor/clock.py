"""Time, injected: the only module that reads the wall clock, the monotonic clock or sleeps.

:class:`SystemClock` is the real one. :class:`FakeClock` is for tests and simulations: time
stands still until the test moves it, and sleepers wake in deadline order, so "probe every 10 s
for a day" runs in milliseconds and asserts exact instants.

:class:`SteadyClock` is what the daemon records evidence with: wall time read once at start and
carried forward by a clock that never steps (and that counts a suspended machine's sleep), so
that the results of one run never go backwards and a step of the system clock (a manual change,
a VM's clock set afresh) neither opens a gap nor stretches an outage. Steps are detected, not
followed: :meth:`SteadyClock.offset` says how far the system clock now is from the evidence's.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

__all__ = ["Clock", "FakeClock", "SteadyClock", "SystemClock"]


class Clock(Protocol):
    """Wall time (for evidence), monotonic time (for scheduling and latency), and sleeping."""

    def now(self) -> datetime:
        """Current wall time, UTC-aware."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of this clock's time."""
        ...


class SystemClock:
    """The machine's clocks."""

    def now(self) -> datetime:
        """Current wall time, UTC-aware."""
        return datetime.now(UTC)

    def monotonic(self) -> float:
        """``time.monotonic()``."""
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        """``asyncio.sleep``."""
        await asyncio.sleep(max(0.0, seconds))


def _since_boot() -> float:
    """Seconds on a clock that never steps and keeps counting while the machine is suspended
    (``CLOCK_BOOTTIME`` where the system has one), so a suspend shows as the time it was."""
    boottime = getattr(time, "CLOCK_BOOTTIME", None)
    if boottime is None:  # pragma: no cover - not Linux
        return time.monotonic()
    return time.clock_gettime(boottime)


class SteadyClock:
    """Wall time for evidence that never steps within a run (see the module's docstring).

    ``inner`` gives the system's wall clock (read at start, and to measure the offset) and its
    sleep and monotonic time; ``steady`` is the never-stepping clock the evidence's time is
    carried forward by (by default the time since boot, suspend included).
    """

    def __init__(self, inner: Clock, steady: Callable[[], float] | None = None) -> None:
        self._inner = inner
        self._steady = steady or (
            inner.monotonic if not isinstance(inner, SystemClock) else _since_boot
        )
        self._wall0 = inner.now()
        self._steady0 = self._steady()

    @classmethod
    def system(cls) -> SteadyClock:
        """The machine's clocks, the evidence's carried by the time since boot."""
        return cls(SystemClock(), _since_boot)

    def now(self) -> datetime:
        """Wall time at start, plus the steady time elapsed since."""
        return self._wall0 + timedelta(seconds=self._steady() - self._steady0)

    def monotonic(self) -> float:
        """The inner clock's monotonic time (schedules and latencies)."""
        return self._inner.monotonic()

    async def sleep(self, seconds: float) -> None:
        """The inner clock's sleep."""
        await self._inner.sleep(seconds)

    def offset(self) -> float:
        """Seconds the system's wall clock is ahead of the evidence's (negative: behind): 0 but
        for the steps the system clock took since start."""
        return (self._inner.now() - self.now()).total_seconds()


class FakeClock:
    """A clock that moves only when told to; wall and monotonic time move together, unless a
    test steps the wall clock alone (:meth:`step`)."""

    def __init__(self, start: datetime | None = None) -> None:
        self._wall0 = start or datetime(2026, 10, 1, tzinfo=UTC)
        self._elapsed = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def now(self) -> datetime:
        """The start instant plus the time advanced so far."""
        return self._wall0 + timedelta(seconds=self._elapsed)

    def monotonic(self) -> float:
        """Seconds advanced so far."""
        return self._elapsed

    def step(self, seconds: float) -> None:
        """Step the wall clock alone by ``seconds`` (either way), as a system clock set afresh."""
        self._wall0 += timedelta(seconds=seconds)

    async def sleep(self, seconds: float) -> None:
        """Wait until the test advances the clock past the deadline."""
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._elapsed + seconds, next(self._order), future))
        await future

    @property
    def next_deadline(self) -> float | None:
        """The earliest deadline anyone sleeps until, if any."""
        while self._sleepers and self._sleepers[0][2].done():
            heapq.heappop(self._sleepers)
        return self._sleepers[0][0] if self._sleepers else None

    async def settle(self, rounds: int = 12) -> None:
        """Let every task that can run, run (tasks here never block on real I/O)."""
        for _ in range(rounds):
            await asyncio.sleep(0)

    async def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``, waking each sleeper at its own deadline in order."""
        target = self._elapsed + seconds
        await self.settle()
        while (deadline := self.next_deadline) is not None and deadline <= target:
            self._elapsed = max(self._elapsed, deadline)
            while self._sleepers and self._sleepers[0][0] <= self._elapsed:
                _, _, future = heapq.heappop(self._sleepers)
                if not future.done():
                    future.set_result(None)
            await self.settle()
        self._elapsed = target

"""Time, injected: the only module that reads the wall clock, the monotonic clock or sleeps.

:class:`SystemClock` is the real one. :class:`FakeClock` is for tests and simulations: time
stands still until the test moves it, and sleepers wake in deadline order, so "probe every 10 s
for a day" runs in milliseconds and asserts exact instants.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol

__all__ = ["Clock", "FakeClock", "SystemClock"]


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


class FakeClock:
    """A clock that moves only when told to; wall and monotonic time move together."""

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

"""How late the event loop runs: the daemon's own overload, measured while it happens.

A task sleeps a short tick again and again and records how much later than asked it woke. A
probe that timed out while the loop ran that late may have had its answer arrive and not be read
in time: its timeout is the daemon's, not the target's (``runner.judge_overload``).
"""

from __future__ import annotations

from collections import deque

from ..clock import Clock

__all__ = ["LoopWatch"]

#: How often the loop is sampled, and how many samples are kept (a minute's worth).
TICK = 0.25
KEPT = 240


class LoopWatch:
    """The loop's lateness over the last minute."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        #: (when the sample was taken, how late the tick woke), oldest first.
        self._samples: deque[tuple[float, float]] = deque(maxlen=KEPT)

    async def run(self) -> None:
        """Sample until cancelled."""
        while True:
            asked = self._clock.monotonic() + TICK
            await self._clock.sleep(TICK)
            woke = self._clock.monotonic()
            self._samples.append((woke, max(0.0, woke - asked)))

    def worst_since(self, since: float) -> float:
        """The latest the loop woke, in seconds, among the samples taken after ``since``
        (monotonic); 0 without any."""
        worst = 0.0
        for at, late in reversed(self._samples):
            if at < since:
                break
            worst = max(worst, late)
        return worst

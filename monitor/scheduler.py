"""When each check is probed: due times on the monotonic clock, stable jitter, adaptive cadence.

A check with interval ``T`` is due at ``phase + k·T`` for whole ``k``, where ``phase`` is a stable
hash of its id spread over ``[0, T)``: thousands of checks start evenly spread (no thundering
herd), the same check keeps its slot across restarts and reloads, and slots never drift because
they are computed, not accumulated. After a failed probe the check is re-probed every
``retry_interval`` until it is confirmed up again, so outage boundaries are pinned to a few
seconds rather than a whole interval. Probes run concurrently up to a global limit; how late a
probe starts against its due time is reported as lag.
"""

from __future__ import annotations

import asyncio
import hashlib
import heapq
import itertools
import logging
import math
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from .clock import Clock
from .config.settings import CANARY_SERVICE, CheckRole, DnsCheck, HttpCheck, Settings, TcpCheck
from .results import ProbeResult

__all__ = ["ScheduledCheck", "Scheduler", "build_checks", "next_slot", "phase_of"]

log = logging.getLogger(__name__)

ProbeFn = Callable[["ScheduledCheck"], Awaitable[ProbeResult]]
#: Called with every result; returns True while the check should be re-probed fast.
ResultFn = Callable[["ScheduledCheck", ProbeResult], Awaitable[bool]]
LagFn = Callable[[float], None]


@dataclass(frozen=True, slots=True)
class ScheduledCheck:
    """One check of one service, as the scheduler and state tracker know it."""

    id: str
    service: str
    role: CheckRole
    spec: HttpCheck | TcpCheck | DnsCheck

    @property
    def name(self) -> str:
        """The check's name within its service."""
        return self.spec.name


def phase_of(check_id: str, interval: float) -> float:
    """A stable offset in ``[0, interval)`` derived from the check's id."""
    digest = hashlib.blake2b(check_id.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64 * interval


def next_slot(phase: float, interval: float, after: float) -> float:
    """The first slot ``phase + k·interval`` strictly after ``after``."""
    # The tolerance keeps a slot computed from a slot (with float rounding) from repeating it.
    k = math.floor((after - phase) / interval + 1e-9) + 1
    return phase + k * interval


def build_checks(settings: Settings) -> list[ScheduledCheck]:
    """Every check of every service, with ids ``service/check``, then the canaries."""
    checks = [
        ScheduledCheck(f"{service.name}/{spec.name}", service.name, role, spec)
        for service in settings.services
        for role, spec in service.checks()
    ]
    checks += [
        ScheduledCheck(f"{CANARY_SERVICE}/{spec.name}", CANARY_SERVICE, CheckRole.CANARY, spec)
        for spec in settings.canaries
    ]
    return checks


class Scheduler:
    """Runs probes when they are due; survives any failure of a single probe or callback."""

    def __init__(
        self,
        clock: Clock,
        probe: ProbeFn,
        on_result: ResultFn,
        *,
        max_concurrency: int = 256,
        on_lag: LagFn | None = None,
    ) -> None:
        self._clock = clock
        self._probe = probe
        self._on_result = on_result
        self._on_lag = on_lag
        self._limit = asyncio.Semaphore(max_concurrency)
        self._checks: dict[str, ScheduledCheck] = {}
        self._generation: dict[str, int] = {}
        self._heap: list[tuple[float, int, str, int]] = []
        self._order = itertools.count()
        self._in_flight: dict[str, asyncio.Task[None]] = {}
        self._wakeup = asyncio.Event()
        self._sleeper: asyncio.Future[None] | None = None
        self._sleep_until = math.inf
        self._stopping = False
        self.probes_started = 0
        self.last_lag = 0.0
        #: How late each probe in flight started, by check id.
        self._start_lags: dict[str, float] = {}

    def start_lag(self, check_id: str) -> float:
        """How late the probe of ``check_id`` now in flight started (0 when none is)."""
        return self._start_lags.get(check_id, 0.0)

    @property
    def checks(self) -> dict[str, ScheduledCheck]:
        """The checks currently scheduled, by id."""
        return dict(self._checks)

    @property
    def in_flight(self) -> int:
        """Probes running now."""
        return len(self._in_flight)

    def set_checks(self, checks: Iterable[ScheduledCheck]) -> None:
        """Replace the set of checks; unchanged checks keep their schedule."""
        new = {c.id: c for c in checks}
        now = self._clock.monotonic()
        for check_id, check in new.items():
            old = self._checks.get(check_id)
            if old is not None and old.spec == check.spec:
                continue
            generation = self._generation.get(check_id, 0) + 1
            self._generation[check_id] = generation
            if check_id not in self._in_flight:
                due = next_slot(phase_of(check_id, check.spec.interval), check.spec.interval, now)
                self._push(due, check_id, generation)
        for check_id in self._checks.keys() - new.keys():
            self._generation[check_id] = self._generation.get(check_id, 0) + 1
        self._checks = new
        self._wake()

    def _push(self, due: float, check_id: str, generation: int) -> None:
        heapq.heappush(self._heap, (due, next(self._order), check_id, generation))
        # Wake the loop only when this is due before what it sleeps for.
        if due < self._sleep_until:
            self._wake()

    def _wake(self) -> None:
        self._wakeup.set()
        if self._sleeper is not None:
            self._sleeper.cancel()

    async def run(self) -> None:
        """Start probes as they fall due, until cancelled or :meth:`stop` is called."""
        while not self._stopping:
            while self._heap and self._is_stale(self._heap[0]):
                heapq.heappop(self._heap)
            if not self._heap:
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            due = self._heap[0][0]
            wait = due - self._clock.monotonic()
            if wait > 0:
                await self._sleep(due, wait)
                continue
            _, _, check_id, _ = heapq.heappop(self._heap)
            await self._limit.acquire()
            if self._stopping:
                self._limit.release()
                break
            lag = max(0.0, self._clock.monotonic() - due)
            self.last_lag = lag
            if self._on_lag is not None:
                self._on_lag(lag)
            self.probes_started += 1
            self._start_lags[check_id] = lag
            task = asyncio.create_task(self._run_one(self._checks[check_id], due))
            self._in_flight[check_id] = task

    def _is_stale(self, entry: tuple[float, int, str, int]) -> bool:
        _, _, check_id, generation = entry
        return check_id not in self._checks or self._generation.get(check_id) != generation

    async def _sleep(self, until: float, seconds: float) -> None:
        """Sleep until ``until``, or less if something falls due sooner (see :meth:`_push`)."""
        self._sleep_until = until
        self._sleeper = sleeper = asyncio.ensure_future(self._clock.sleep(seconds))
        try:
            await asyncio.wait({sleeper})
        finally:
            sleeper.cancel()
            self._sleeper = None
            self._sleep_until = math.inf

    async def _run_one(self, check: ScheduledCheck, due: float) -> None:
        started = self._clock.monotonic()
        fast = False
        try:
            result = await self._probe(check)
            fast = await self._on_result(check, result)
        except asyncio.CancelledError:
            raise
        except Exception:
            # One misbehaving target or callback must never stop the others.
            log.exception("check %s: probe or result handling failed", check.id)
        finally:
            self._limit.release()
            self._in_flight.pop(check.id, None)
            self._start_lags.pop(check.id, None)
        current = self._checks.get(check.id)
        if current is None or self._stopping:
            return
        spec = current.spec
        now = self._clock.monotonic()
        if fast:
            next_due = max(started + spec.retry_interval, now)
        else:
            next_due = next_slot(phase_of(check.id, spec.interval), spec.interval, max(due, now))
        self._push(next_due, check.id, self._generation.get(check.id, 0))

    async def stop(self, grace: float) -> None:
        """Start no more probes; wait up to ``grace`` seconds for those in flight, then cancel."""
        self._stopping = True
        self._wake()
        tasks = list(self._in_flight.values())
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=grace)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

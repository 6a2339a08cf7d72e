"""The soak's script, fixed before it starts from a seed: which service fails when, and when the
store is restarted.

Instants are seconds after the run's origin (the moment the daemon is healthy and the script is
handed to the targets). Outages are whole-service: every path of the service answers 503.
Besides the random ones, each store restart gets two that straddle it: one that ends while the
store is down (its close waits in the writer's journal) and one that starts while it is down
(its open and its close both travel through the backlog).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = ["WARMUP", "Outage", "Plan", "Restart", "make_plan", "service_name"]

#: No outage begins before this, so every check has a few probes of history, and none ends
#: later than this before the run's end, so each is closed before the daemon stops.
WARMUP = 60.0
#: The shortest and longest random outage.
SHORTEST = 30.0
LONGEST = 180.0
#: A service's outages are this far apart at least, so that two never merge into one.
APART = 60.0
#: Random outages in an hour; a run of another length gets its share (at least one).
PER_HOUR = 30


def service_name(index: int) -> str:
    return f"s{index:03d}"


@dataclass(frozen=True)
class Outage:
    """One service answering 503 on every path from ``start`` to ``end``."""

    service: str
    start: float
    end: float
    why: str


@dataclass(frozen=True)
class Restart:
    """PostgreSQL stopped at ``at`` and started again ``down`` seconds later."""

    at: float
    down: float


@dataclass(frozen=True)
class Plan:
    seconds: float
    outages: tuple[Outage, ...]
    restarts: tuple[Restart, ...]


def make_plan(
    seconds: float, services: int, seed: int, *, restarts: int = 2, store_down: float = 25.0
) -> Plan:
    """The script of a run of ``seconds``: ``restarts`` store restarts spread evenly, each
    straddled by two outages, and random outages of random services in between."""
    rng = random.Random(seed)
    taken: dict[str, list[tuple[float, float]]] = {}
    outages: list[Outage] = []

    def free(service: str, start: float, end: float) -> bool:
        return all(
            end + APART <= other_start or other_end + APART <= start
            for other_start, other_end in taken.get(service, [])
        )

    def add(start: float, end: float, why: str) -> None:
        while True:
            service = service_name(rng.randrange(services))
            if free(service, start, end):
                break
        taken.setdefault(service, []).append((start, end))
        outages.append(Outage(service, round(start, 3), round(end, 3), why))

    plan_restarts = tuple(
        Restart(round(seconds * k / (restarts + 1), 3), store_down) for k in range(1, restarts + 1)
    )
    for restart in plan_restarts:
        add(restart.at - 60.0, restart.at + store_down / 2, "ends while the store is down")
        add(restart.at + 5.0, restart.at + 5.0 + 90.0, "starts while the store is down")
    latest = seconds - WARMUP
    for _ in range(max(1, round(PER_HOUR * seconds / 3600))):
        length = rng.uniform(SHORTEST, min(LONGEST, latest - WARMUP))
        start = rng.uniform(WARMUP, latest - length)
        add(start, start + length, "random")
    outages.sort(key=lambda outage: outage.start)
    return Plan(seconds, tuple(outages), plan_restarts)

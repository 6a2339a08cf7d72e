"""``/healthz``'s judgement: whether the daemon is doing its job, and why not.

:func:`health` is a pure function of a :class:`HealthSnapshot`, the figures the daemon reads of
itself at one instant; it needs no server and no running daemon.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..write.writer import ResultWriter

__all__ = ["DROPPED_RECENTLY", "MAX_HEALTHY_LAG", "MAX_WRITE_AGE", "HealthSnapshot", "health"]

#: Unhealthy when probes start later than this against their due time.
MAX_HEALTHY_LAG = 30.0
#: Unhealthy when results have waited this long without a successful write.
MAX_WRITE_AGE = 120.0
#: Unhealthy for this long after a result was dropped (memory full, spool unwritable).
DROPPED_RECENTLY = 300.0


@dataclass(frozen=True, slots=True)
class HealthSnapshot:
    """What ``/healthz`` judges, read from the daemon at ``now``."""

    now: datetime
    #: Whether the daemon finished starting (its tasks run).
    ready: bool
    vantage: str
    checks: int
    #: How late the last probe started against its due time, in seconds.
    scheduler_lag: float
    #: Results waiting to be written, in memory and in the spool.
    queue_depth: int
    spool_depth: int
    #: Interval changes waiting to be written.
    journal_depth: int
    memory_depth: int
    memory_limit: int | None
    write_errors: int
    last_write_at: datetime | None
    dropped: int
    last_dropped_at: datetime | None

    @classmethod
    def of(
        cls,
        writer: ResultWriter,
        *,
        now: datetime,
        ready: bool,
        vantage: str,
        checks: int,
        scheduler_lag: float,
    ) -> HealthSnapshot:
        """The snapshot with the writer's figures as they are now."""
        return cls(
            now=now,
            ready=ready,
            vantage=vantage,
            checks=checks,
            scheduler_lag=scheduler_lag,
            queue_depth=writer.depth,
            spool_depth=writer.spool_depth,
            journal_depth=writer.journal_depth,
            memory_depth=writer.memory_used,
            memory_limit=writer.memory_limit,
            write_errors=writer.write_errors,
            last_write_at=writer.last_write_at,
            dropped=writer.dropped,
            last_dropped_at=writer.last_dropped_at,
        )


def health(snapshot: HealthSnapshot) -> tuple[bool, dict[str, Any]]:
    """Whether the daemon is doing its job, and the body ``/healthz`` answers with."""
    s = snapshot
    problems: list[str] = []
    if not s.ready:
        problems.append("starting")
    if s.scheduler_lag > MAX_HEALTHY_LAG:
        problems.append(f"probes start {s.scheduler_lag:.1f}s late")
    if s.queue_depth or s.journal_depth:
        if s.last_write_at is not None:
            age = (s.now - s.last_write_at).total_seconds()
            if age > MAX_WRITE_AGE:
                problems.append(f"no result written for {age:.0f}s ({s.queue_depth} waiting)")
        elif s.write_errors:
            problems.append(f"the store has refused every write ({s.queue_depth} waiting)")
    if s.last_dropped_at is not None:
        age = (s.now - s.last_dropped_at).total_seconds()
        if age <= DROPPED_RECENTLY:
            problems.append(
                f"{s.dropped} results dropped, the last {age:.0f}s ago: memory full"
                " and the spool cannot be written"
            )
    body: dict[str, Any] = {
        "status": "fail" if problems else "ok",
        "problems": problems,
        "vantage": s.vantage,
        "checks": s.checks,
        "scheduler_lag_seconds": s.scheduler_lag,
        "store_queue_depth": s.queue_depth,
        "store_spool_depth": s.spool_depth,
        "interval_changes_waiting": s.journal_depth,
        "store_memory_depth": s.memory_depth,
        "store_memory_limit": s.memory_limit,
        "results_dropped": s.dropped,
    }
    return not problems, body

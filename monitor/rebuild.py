"""Recompute intervals from raw results: ``slawatch db rebuild --from DATE``.

Intervals are derived evidence; raw results (kept ``retention_days``) are the evidence itself.
A rebuild replays each vantage's results, in time order, through the same
:class:`~monitor.state.StateTracker` the daemon uses, with the *current* configuration (its
``confirm`` and timing), and swaps the vantage's derived intervals from the start on for the
recomputed ones in one transaction (:meth:`~monitor.store.base.Store.replace_intervals`). So a
changed confirmation rule can be applied to the past, and anyone holding the results can check
that the intervals follow from them.

The replay starts from a clean state at the start instant: an interval running at that instant
ends there, and one that continues is found again from the results after it. Each check counts
from its first result of the vantage. Results are replayed in the order their probes started;
the daemon saw them in the order they finished, so where probes of different checks overlapped,
an instant can differ by the length of a probe. Choose a start
where little happened (a month boundary is usual). The daemon's own records (``running``
intervals, restart gaps) are kept as they are. A vantage whose daemon is running is refused:
its open intervals would be rewritten under it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from .config.settings import Settings
from .errors import InputError
from .evidence import IntervalChange, IntervalKind, IntervalOpen, IntervalRecord
from .quorum import VANTAGE_STALE
from .scheduler import ScheduledCheck, build_checks
from .state import StateTracker
from .store.base import Store

__all__ = ["CHUNK", "RebuildSummary", "rebuild"]

#: Results are read this much at a time, so a month of thousands of checks never sits in
#: memory at once.
CHUNK: Final = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class RebuildSummary:
    """What a rebuild of one vantage did."""

    vantage: str
    results: int
    intervals: int
    by_kind: dict[str, int]


class _Collected:
    """A journal that applies interval changes to records in memory, in order."""

    def __init__(self) -> None:
        self.records: dict[int, IntervalRecord] = {}

    def submit_interval(self, change: IntervalChange) -> None:
        if isinstance(change, IntervalOpen):
            record = change.record
            assert record.id is not None  # noqa: S101 -- the tracker always assigns one
            self.records[record.id] = record
            return
        record = self.records[change.interval_id]
        self.records[change.interval_id] = dataclasses.replace(
            record,
            end=change.end,
            end_bound=change.end_bound if change.end_bound is not None else record.end_bound,
            detail=change.detail if change.detail is not None else record.detail,
        )


async def _refuse_running(store: Store, vantage: str, now: datetime) -> None:
    seen = (await store.vantages_seen()).get(vantage)
    running = [r for r in await store.open_intervals(vantage) if r.kind is IntervalKind.RUNNING]
    if running and seen is not None and now - seen < VANTAGE_STALE:
        raise InputError(
            f"vantage {vantage!r} is running (last result {seen.isoformat()}): "
            "stop its daemon before rebuilding its intervals"
        )


async def rebuild(
    store: Store,
    settings: Settings,
    *,
    start: datetime,
    now: datetime,
    vantages: Sequence[str] | None = None,
) -> list[RebuildSummary]:
    """Recompute the derived intervals of ``vantages`` (default: every vantage with results)
    from ``start`` to ``now``; return what was done per vantage."""
    if start >= now:
        raise InputError(f"--from: {start.isoformat()} is not in the past")
    seen = await store.vantages_seen()
    names = sorted(seen) if vantages is None else list(vantages)
    for name in names:
        if name not in seen:
            known = ", ".join(sorted(seen)) or "none"
            raise InputError(f"--vantage: no results from {name!r} (vantages: {known})")
        await _refuse_running(store, name, now)
    checks = {check.id: check for check in build_checks(settings)}
    # Everything is recomputed before anything is replaced: a refusal changes nothing.
    rebuilt: list[tuple[str, int, list[IntervalRecord]]] = []
    for name in names:
        journal = _Collected()
        tracker = StateTracker(journal, name)
        # A check is tracked from its first result from this vantage on, as the daemon that
        # probed it did: one this vantage never ran (or not yet) must not stay UNKNOWN and so
        # keep its service from ever being all down, or the vantage from being all down
        # (isolated, or unconfirmed without canaries).
        active: dict[str, ScheduledCheck] = {}
        count = 0
        unknown: set[str] = set()
        cursor = start
        while cursor < now:
            chunk_end = min(cursor + CHUNK, now)
            for result in await store.results(start=cursor, end=chunk_end, vantage=name):
                check = checks.get(result.check)
                if check is None:
                    unknown.add(result.check)
                    continue
                if check.id not in active:
                    active[check.id] = check
                    tracker.set_checks(active.values())
                tracker.observe(check, result)
                count += 1
            cursor = chunk_end
        if unknown:
            raise InputError(
                f"vantage {name!r} has results of checks not in the configuration "
                f"({', '.join(sorted(unknown))}): their intervals would be lost; "
                "add them back, or rebuild from a later date"
            )
        records = sorted(journal.records.values(), key=lambda r: (r.start, r.id or 0))
        rebuilt.append((name, count, records))
    summaries = []
    for name, count, records in rebuilt:
        await store.replace_intervals(name, start, records)
        by_kind: dict[str, int] = {}
        for record in records:
            by_kind[record.kind.value] = by_kind.get(record.kind.value, 0) + 1
        summaries.append(RebuildSummary(name, count, len(records), by_kind))
    return summaries

"""What the soak holds the daemon to, read from the store, the targets' logs and the samples.

- **Every scripted outage is measured**: one ``outage`` interval of the service overlaps the
  span the targets answered 503, starting within interval + retry_interval + 2 s of the true
  start and ending within retry_interval + 2 s of the true end; and no outage is stored where
  none was scripted.
- **No result lost**: each request the targets served is matched with a stored result of its
  check that started at most a probe's timeout (plus a second) before it, in order; a request
  left unmatched is a lost result, unless it was served in the last second before the daemon
  was told to stop (a probe in flight at the edge). Matched pairs must agree on the status.
- **No crash**: the daemon exits 0 after SIGTERM and logged no traceback.
- **Memory flat**: RSS at a sixth of the run (10 minutes of an hour) against the end, and the
  least-squares slope over the last two thirds (40 minutes of an hour), each under 5 %.
"""

from __future__ import annotations

import bisect
import json
import re
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

from .plan import Plan

__all__ = [
    "Health",
    "Interval",
    "MemoryVerdict",
    "OutageVerdict",
    "ResultsVerdict",
    "Scrape",
    "StoreRestart",
    "StoredResult",
    "log_problems",
    "match_results",
    "memory_verdict",
    "outage_verdict",
    "read_requests",
    "read_store",
    "spool_figures",
]

#: How long before the request a probe's result may have started: the timeout and a second.
PROBE_SPAN = 6.0
#: How much later than the request a result may say it started: the two processes read the
#: same system clock, so only the daemon's own clock (carried forward from its start) can
#: differ, by a slew of the system clock since.
SKEW = 0.5
#: Requests served this close before the stop signal may have been in flight.
EDGE = 1.0
#: Growth of RSS still called flat.
FLAT = 0.05


@dataclass(frozen=True)
class StoredResult:
    at: float
    status: int | None
    outcome: str


@dataclass(frozen=True)
class Interval:
    kind: str
    subject: str
    start: float
    end: float | None


@dataclass(frozen=True)
class Scrape:
    """One scrape of /metrics: when, how it went, and the unlabelled samples read from it."""

    at: float
    status: int
    seconds: float
    size: int
    values: dict[str, float] = field(default_factory=dict)
    error: str = ""


@dataclass(frozen=True)
class Health:
    """One poll of /healthz."""

    at: float
    status: int
    queue: int
    spool: int
    problems: tuple[str, ...] = ()


@dataclass
class StoreRestart:
    """The instants (Unix time) of one restart of PostgreSQL."""

    stopping: float = 0.0
    stopped: float = 0.0
    starting: float = 0.0
    started: float = 0.0


# --- reading ---------------------------------------------------------------------------------


def read_requests(path: Path) -> dict[str, list[tuple[float, int]]]:
    """The targets' request log: per check (``service/check``), when each request was served
    and its status, in order."""
    served: dict[str, list[tuple[float, int]]] = {}
    with path.open(encoding="ascii") as log:
        for line in log:
            at, request_path, status = line.split()
            served.setdefault(request_path.lstrip("/"), []).append((float(at), int(status)))
    for requests in served.values():
        requests.sort()
    return served


async def read_store(
    url: str, vantage: str
) -> tuple[dict[str, list[StoredResult]], list[Interval]]:
    """Every result of ``vantage`` per check, in time order, and its intervals."""
    conn = await asyncpg.connect(url)
    try:
        results: dict[str, list[StoredResult]] = {}
        async with conn.transaction():
            rows = conn.cursor(
                """
                SELECT c.name, extract(epoch FROM r.started_at)::float8, r.status, o.name
                FROM results AS r
                JOIN checks AS c ON c.id = r.check_id
                JOIN outcomes AS o ON o.id = r.outcome
                JOIN vantages AS v ON v.id = r.vantage
                WHERE v.name = $1
                ORDER BY r.check_id, r.started_at
                """,
                vantage,
                prefetch=20_000,
            )
            async for check, at, status, outcome in rows:
                results.setdefault(check, []).append(StoredResult(at, status, outcome))
        rows = await conn.fetch(
            """
            SELECT kind, subject, extract(epoch FROM start_at)::float8,
                   extract(epoch FROM end_at)::float8
            FROM intervals WHERE vantage = $1 ORDER BY start_at
            """,
            vantage,
        )
        intervals = [Interval(*row) for row in rows]
    finally:
        await conn.close()
    return results, intervals


# --- no result lost --------------------------------------------------------------------------


@dataclass
class ResultsVerdict:
    served: int = 0
    stored: int = 0
    matched: int = 0
    #: Requests served with no stored result: (check, when, status).
    lost: list[tuple[str, float, int]] = field(default_factory=list)
    #: Of those, the ones served in the last EDGE seconds before the stop.
    at_edge: int = 0
    #: Stored results no request answers (the probe never reached the targets), by outcome.
    unserved: Counter[str] = field(default_factory=Counter)
    #: Matched pairs whose stored status differs from the served one: (served, stored outcome).
    disagree: Counter[tuple[int, str]] = field(default_factory=Counter)
    #: Stored outcomes of the matched pairs.
    outcomes: Counter[str] = field(default_factory=Counter)
    #: Served minus started, per matched pair: the probe's way to the target.
    delays: list[float] = field(default_factory=list)
    #: Requests served while the store was down, and how many of them are stored.
    while_down: int = 0
    while_down_stored: int = 0

    @property
    def ok(self) -> bool:
        return len(self.lost) == self.at_edge and not self.disagree


def match_results(
    served: dict[str, list[tuple[float, int]]],
    stored: dict[str, list[StoredResult]],
    stop_at: float,
    down: Sequence[tuple[float, float]],
) -> ResultsVerdict:
    """Match every request served with the stored result of its probe (see the module)."""
    verdict = ResultsVerdict()

    def store_down(at: float) -> bool:
        return any(start <= at <= end for start, end in down)

    for check in sorted(set(served) | set(stored)):
        requests = served.get(check, [])
        results = stored.get(check, [])
        verdict.served += len(requests)
        verdict.stored += len(results)
        j = 0
        for at, status in requests:
            while j < len(results) and results[j].at < at - PROBE_SPAN:
                verdict.unserved[results[j].outcome] += 1
                j += 1
            during = store_down(at)
            verdict.while_down += during
            if j < len(results) and results[j].at <= at + SKEW:
                result = results[j]
                j += 1
                verdict.matched += 1
                verdict.while_down_stored += during
                verdict.outcomes[result.outcome] += 1
                verdict.delays.append(at - result.at)
                if result.status != status:
                    verdict.disagree[(status, result.outcome)] += 1
            else:
                verdict.lost.append((check, at, status))
                verdict.at_edge += at >= stop_at - EDGE
        for result in results[j:]:
            verdict.unserved[result.outcome] += 1
    return verdict


# --- every scripted outage measured ----------------------------------------------------------


@dataclass(frozen=True)
class Measured:
    """One scripted outage: when the targets really failed and recovered, what the store says."""

    service: str
    why: str
    true_start: float
    true_end: float
    intervals: tuple[Interval, ...]
    start_error: float | None
    end_error: float | None
    ok: bool


@dataclass
class OutageVerdict:
    measured: list[Measured] = field(default_factory=list)
    unscripted: list[Interval] = field(default_factory=list)
    #: Other evidence (check down, degraded, blips, gaps...) outside every scripted span.
    stray: list[Interval] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def ok(self) -> bool:
        return all(m.ok for m in self.measured) and not self.unscripted


def _truth(
    plan: Plan, origin: float, switches: Sequence[dict[str, Any]]
) -> list[tuple[str, str, float, float]]:
    """Each planned outage with the instants its service really switched (the nearest switch
    of the service to the planned instant)."""
    found = []
    for outage in plan.outages:
        instants = {}
        for healthy, planned in ((False, outage.start), (True, outage.end)):
            candidates = [
                s["at"]
                for s in switches
                if s["service"] == outage.service and s["healthy"] is healthy
            ]
            if not candidates:
                raise ValueError(f"the targets never switched {outage.service} at {planned}")
            instants[healthy] = min(candidates, key=lambda at: abs(at - origin - planned))
        found.append((outage.service, outage.why, instants[False], instants[True]))
    return found


def outage_verdict(
    plan: Plan,
    origin: float,
    switches: Sequence[dict[str, Any]],
    intervals: Sequence[Interval],
    *,
    interval: float,
    retry: float,
) -> OutageVerdict:
    verdict = OutageVerdict(counts=Counter(found.kind for found in intervals))
    truths = _truth(plan, origin, switches)
    outages = [found for found in intervals if found.kind == "outage"]
    # Evidence of a span may begin up to a probe before the switch (a probe under way when it
    # failed) and end when the last check's recovery is seen; a service's outages are a minute
    # apart at least, so this never takes a neighbour's.
    slack = interval + retry + 10.0

    def overlaps(found: Interval, start: float, end: float) -> bool:
        return found.start < end + slack and (found.end is None or found.end > start - slack)

    for service, why, start, end in truths:
        mine = tuple(o for o in outages if o.subject == service and overlaps(o, start, end))
        start_error = end_error = None
        ok = False
        if len(mine) == 1:
            start_error = mine[0].start - start
            end_error = None if mine[0].end is None else mine[0].end - end
            ok = (
                abs(start_error) <= interval + retry + 2.0
                and end_error is not None
                and abs(end_error) <= retry + 2.0
            )
        verdict.measured.append(
            Measured(service, why, start, end, mine, start_error, end_error, ok)
        )
    for found in intervals:
        if found.kind == "running":
            continue
        service = found.subject.split("/", 1)[0]
        if any(s == service and overlaps(found, start, end) for s, _, start, end in truths):
            continue
        if found.kind == "outage":
            verdict.unscripted.append(found)
        else:
            verdict.stray.append(found)
    return verdict


# --- memory ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemoryVerdict:
    start: int
    baseline: int
    end: int
    peak: int
    baseline_at: float
    growth: float
    slope_per_hour: float
    slope_growth: float
    window: float

    @property
    def ok(self) -> bool:
        return self.growth < FLAT and self.slope_growth < FLAT


def _near(samples: Sequence[tuple[float, int]], at: float, span: float = 30.0) -> int:
    """The median of the samples within ``span`` seconds of ``at`` (the nearest one if none)."""
    near = [rss for t, rss in samples if abs(t - at) <= span]
    if not near:
        near = [min(samples, key=lambda sample: abs(sample[0] - at))[1]]
    return int(statistics.median(near))


def memory_verdict(
    samples: Sequence[tuple[float, int]], origin: float, seconds: float
) -> MemoryVerdict:
    baseline_at = seconds / 6
    baseline = _near(samples, origin + baseline_at)
    end = int(statistics.median(rss for _, rss in samples[-3:]))
    window = seconds * 2 / 3
    late = [(t - origin, rss) for t, rss in samples if t - origin >= seconds - window]
    slope = statistics.linear_regression([t for t, _ in late], [rss for _, rss in late]).slope
    return MemoryVerdict(
        start=samples[0][1],
        baseline=baseline,
        end=end,
        peak=max(rss for _, rss in samples),
        baseline_at=baseline_at,
        growth=end / baseline - 1,
        slope_per_hour=slope * 3600,
        slope_growth=slope * window / baseline,
        window=window,
    )


# --- the log and the spool -------------------------------------------------------------------


def log_problems(log: str) -> tuple[list[str], Counter[str], list[str]]:
    """From the daemon's JSON log: the tracebacks and critical lines, the error and warning
    lines counted by the start of their message, and the lines that are not JSON."""
    crashes: list[str] = []
    levels: Counter[str] = Counter()
    other: list[str] = []
    for line in log.splitlines():
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            other.append(line)
            if "Traceback" in line:
                crashes.append(line)
            continue
        if not isinstance(entry, dict):
            other.append(line)
            continue
        level = str(entry.get("level", ""))
        if "exception" in entry or level == "critical" or "Traceback" in line:
            crashes.append(line)
        if level in ("error", "warning", "critical"):
            # Counted by what they say, their numbers aside.
            message = re.sub(r"\d+", "N", str(entry.get("message", "")).split(":", 1)[0])
            levels[f"{level}: {message[:90]}"] += 1
    return crashes, levels, other


@dataclass(frozen=True)
class SpoolFigures:
    """What one store restart did to the write path, from the /healthz polls."""

    down: float
    spooled_from: float | None
    spooled_until: float | None
    peak_queue: int
    peak_spool: int
    drained_after: float | None

    @property
    def spool_held(self) -> float | None:
        if self.spooled_from is None or self.spooled_until is None:
            return None
        return self.spooled_until - self.spooled_from


def spool_figures(restart: StoreRestart, polls: Sequence[Health], *, steady: int) -> SpoolFigures:
    """From the stop of the store to the first poll after it is back whose backlog is down to
    ``steady`` with nothing left in the spool: how long the spool held results, the peaks."""
    times = [p.at for p in polls]
    first = bisect.bisect_left(times, restart.stopping - 2.0)
    spooled = [p.at for p in polls[first:] if p.spool > 0]
    peak_queue = peak_spool = 0
    drained: float | None = None
    for poll in polls[first:]:
        peak_queue = max(peak_queue, poll.queue)
        peak_spool = max(peak_spool, poll.spool)
        if poll.at > restart.started and poll.spool == 0 and poll.queue <= steady:
            drained = poll.at - restart.started
            break
    until = drained + restart.started if drained is not None else None
    spooled = [at for at in spooled if until is None or at <= until]
    return SpoolFigures(
        down=restart.started - restart.stopping,
        spooled_from=spooled[0] if spooled else None,
        spooled_until=spooled[-1] if spooled else None,
        peak_queue=peak_queue,
        peak_spool=peak_spool,
        drained_after=drained,
    )

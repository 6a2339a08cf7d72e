"""The daemon: one entry coroutine that probes, tracks state, stores evidence and serves metrics.

Lifecycle: open the store, resume open intervals, record the gap since this
vantage last measured and open this run's ``running`` interval, then run the scheduler, the
result writer, housekeeping, the quorum watch and the HTTP surface side by side. SIGTERM (or
:meth:`Daemon.stop`) stops new probes, waits for those in flight, closes the ``running``
interval, flushes every result, and closes resources in reverse order. SIGHUP reloads the
configuration file; a bad file is refused and the running configuration kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from prometheus_client import CollectorRegistry

from sla import Interval

from ..annotations.notices import last_notice_at
from ..case.figures import CreditsMemo, month_figures
from ..clock import Clock, SteadyClock
from ..config.settings import Settings, load_settings
from ..errors import ConfigError, StorageError
from ..evidence import (
    LIFECYCLE_SUBJECT,
    IntervalChange,
    IntervalClose,
    IntervalKind,
    IntervalOpen,
    IntervalRecord,
    new_interval_id,
)
from ..failover import FailoverEvent, FailoverTracker
from ..probes import KeepAlive, run_probe
from ..quorum import Verdict, judge_services
from ..results import Outcome, ProbeResult
from ..scheduler import ScheduledCheck, Scheduler, build_checks
from ..state import CheckState, ServiceState, StateTracker
from ..status.aggregates import DAYS_PER_ROUND, fill_days
from ..store.base import Store
from ..write.journal_file import keep_rejected, load_journal
from ..write.leftovers import JOURNAL_RESERVE_BYTES, keep_leftovers
from ..write.spool import Spool
from ..write.writer import ResultWriter
from .alerts import Alerts
from .eventloop import loop_name
from .health import HealthSnapshot
from .http import HttpSurface
from .loopwatch import LoopWatch
from .metrics import Metrics
from .view import LiveState
from .webhooks import Notifier

__all__ = ["Daemon"]

log = logging.getLogger(__name__)

#: How long in-flight probes may finish after a stop before they are cancelled.
STOP_GRACE = 10.0
#: How long the final flush may try; what is left then waits in the spool for the next start.
DRAIN_DEADLINE = 10.0
#: How long notifications still waiting may take to go out at a stop.
NOTIFY_DEADLINE = 5.0
#: Retention runs this often.
PRUNE_EVERY = 3600.0
#: The live quorum state of each service is recomputed from the store this often at most (and
#: as often as the fastest check probes, when that is more often).
QUORUM_EVERY = 10.0
#: How far back the live quorum looks: enough to see every vantage's open intervals.
QUORUM_WINDOW = timedelta(minutes=10)
#: The status page's closed days without stored figures are looked for this often; after a round
#: that found more than it may compute (DAYS_PER_ROUND), the next comes after STATUS_FILL_BUSY.
STATUS_FILL_EVERY = 180.0
STATUS_FILL_BUSY = 5.0
#: A probe that started later than this is counted late (slawatch_probes_late_total) and says so.
LATE = 1.0
#: A timeout while probes start later than this is the daemon's, not the target's.
OVERLOADED = 1.0


async def _idle() -> None:
    """A task that does nothing until cancelled."""
    await asyncio.Event().wait()


def judge_overload(result: ProbeResult, started_late: float, loop_lag: float) -> ProbeResult:
    """The result as evidence: a probe that started late says so in its detail, and a timeout
    while the event loop ran more than OVERLOADED behind is the prober's failure (probe_error),
    not the target's: with the loop that late, the answer may have come and not been read."""
    detail = result.detail
    if started_late > LATE:
        detail = f"{detail} (started {started_late:.1f}s late)"
    if result.outcome is Outcome.TIMEOUT and loop_lag > OVERLOADED:
        return replace(
            result,
            outcome=Outcome.PROBE_ERROR,
            detail=f"{detail}; the daemon was overloaded (probes starting {loop_lag:.1f}s late):"
            " not a measurement of the target",
        )
    return result if detail == result.detail else replace(result, detail=detail)


#: A change of the system clock's offset from the evidence's clock larger than this is a step.
CLOCK_STEP = 1.0


class Daemon:
    """One vantage's monitor. Every I/O seam is a constructor argument."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock,
        store: Store,
        registry: CollectorRegistry,
        config_path: Path | None = None,
        version: str = "0",
    ) -> None:
        self.settings = settings
        self._clock = clock
        self._store = store
        self._config_path = config_path
        self.metrics = Metrics(registry, settings.vantage, version)
        self.spool = Spool(
            settings.spool_directory, reserve_bytes=JOURNAL_RESERVE_BYTES, on_problem=log.warning
        )
        self.writer = ResultWriter(
            store,
            clock,
            max_queue=settings.spool.max_memory,
            memory_limit=settings.spool.max_memory_hard,
            spool=self.spool,
            on_error=self._store_failed,
            on_rejected=self._change_rejected,
        )
        self.tracker = StateTracker(
            self.writer,
            settings.vantage,
            on_service_change=self._service_changed,
            on_check_change=self._check_changed,
        )
        self.failover = FailoverTracker(
            self.writer, settings.vantage, on_event=self._failover_event
        )
        self.scheduler = Scheduler(
            clock,
            self._probe,
            self._on_result,
            max_concurrency=settings.max_concurrency,
            on_lag=self.metrics.scheduler_lag.observe,
        )
        self.notifier = Notifier(settings.notify, clock, on_failure=log.warning)
        self.loop_watch = LoopWatch(clock)
        self.alerts = Alerts(
            self.notifier.submit, settings.vantage, settings.notify.cert_expiry_days
        )
        self.http = HttpSurface(self)
        self.ready = asyncio.Event()
        self._stop = asyncio.Event()
        self._keep_alive = KeepAlive()
        #: The live SLA figures' last case and credits of each service.
        self._credits_memo = CreditsMemo()
        self._running_id: int | None = None
        self._running_services: list[str] = []
        #: The latest quorum verdict of each service (the live state all vantages agree on).
        self.verdicts: dict[str, Verdict] = {}
        #: The system clock's offset from the evidence's clock when last looked at.
        self._clock_offset = 0.0

    def stop(self) -> None:
        """Ask the daemon to drain and exit."""
        self._stop.set()

    async def run(self, *, handle_signals: bool = True) -> None:
        """Run until stopped; the store is opened here and closed on the way out."""
        await self._store.open()
        try:
            self.spool.open()
            await self._store_saved_journal()
            self._apply(self.settings)
            self.tracker.restore(await self._store.open_intervals(self.settings.vantage))
            self._seed_failover()
            await self._begin_run()
            await self.http.start(self.settings.http.host, self.settings.http.port)
            try:
                if handle_signals:
                    self._install_signals()
                await self._run_tasks()
            finally:
                await self.http.stop()
                self._keep_alive.close()
        finally:
            self.spool.close()
            await self._store.close()

    @property
    def journal_path(self) -> Path:
        """Where interval changes the store could not take at shutdown wait for the next start."""
        return self.spool.directory / "journal.jsonl"

    async def _store_saved_journal(self) -> None:
        """Store the interval changes the last run could not, before resuming open intervals."""
        changes = load_journal(self.journal_path)
        if not changes:
            return
        for change in changes:
            self.writer.submit_interval(change)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(DRAIN_DEADLINE + 1):
                await self.writer.drain(DRAIN_DEADLINE)
        if self.writer.journal_depth:
            raise StorageError(
                f"journal {self.journal_path}: {self.writer.journal_depth} interval changes "
                "saved at the last shutdown could not be stored; they are kept for the next start"
            )
        self.journal_path.unlink()
        log.info("stored %d interval changes saved at the last shutdown", len(changes))

    async def _run_tasks(self) -> None:
        async with asyncio.TaskGroup() as group:
            scheduler = group.create_task(self.scheduler.run(), name="scheduler")
            writer = group.create_task(self.writer.run(), name="writer")
            housekeeping = group.create_task(self._housekeeping(), name="housekeeping")
            watch = group.create_task(
                self._keep("live quorum state", self._quorum_round), name="quorum"
            )
            sla = group.create_task(self._keep("live SLA figures", self._sla_round), name="sla")
            # The loop can only run late in real time: on a fake clock there is nothing to watch
            # (and a sleeper every tick would only slow the simulation down).
            loop_watch = group.create_task(
                self.loop_watch.run() if isinstance(self._clock, SteadyClock) else _idle(),
                name="loop-watch",
            )
            status = group.create_task(
                self._keep("status page days", self._status_round), name="status"
            )
            notifier = group.create_task(self.notifier.run(), name="notifier")
            # What start-up built (configuration, checks, rows) lives as long as the daemon:
            # out of the collector's way, full collections stay short with thousands of checks.
            gc.freeze()
            self.ready.set()
            log.info(
                "vantage %s monitoring %d checks of %d services; http on %s; event loop %s",
                self.settings.vantage,
                len(self.scheduler.checks),
                len(self.settings.services),
                self.http.address,
                loop_name(asyncio.get_running_loop()),
            )
            await self._stop.wait()
            log.info("stopping: waiting for probes in flight, then flushing results")
            await self.scheduler.stop(STOP_GRACE)
            for task in (scheduler, housekeeping, watch, sla, loop_watch, status, notifier, writer):
                task.cancel()
        self._end_run()
        flushed = 0
        try:
            # Bounded as a whole: a store that does not answer cannot hold up the stop.
            async with asyncio.timeout(DRAIN_DEADLINE + 1):
                flushed = await self.writer.drain(DRAIN_DEADLINE)
        except TimeoutError:
            log.warning("the final flush did not finish in %.0fs", DRAIN_DEADLINE)
        left = keep_leftovers(self.writer, self.spool, self.journal_path)
        if not left.lost and (left.results_kept or left.changes_kept or left.dropped):
            log.warning("%s", left.describe())
        await self.notifier.drain(NOTIFY_DEADLINE)
        await self.notifier.close()
        log.info("stopped; %d results flushed on the way out", flushed)
        if left.lost:
            # The one line saying what was lost, and a non-zero exit.
            raise StorageError(left.describe())

    def _install_signals(self) -> None:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, self.stop)
        loop.add_signal_handler(signal.SIGINT, self.stop)
        loop.add_signal_handler(signal.SIGHUP, lambda: asyncio.ensure_future(self.reload()))

    def _apply(self, settings: Settings) -> None:
        checks = build_checks(settings)
        current = self.scheduler.checks
        new = {c.id: c for c in checks}
        for check_id, check in current.items():
            # Removed, or changed: a changed target must not keep publishing the old one.
            if new.get(check_id) != check:
                self.metrics.forget_check(check)
        self.tracker.set_checks(checks)
        self.failover.set_services(settings.services, checks)
        self.scheduler.set_checks(checks)
        self.metrics.checks.set(len(checks))
        for service in settings.services:
            self.metrics.set_service_state(service.name, self.tracker.service_state(service.name))
        kept = {service.name for service in settings.services}
        for service in self.settings.services:
            if service.name not in kept:
                self.metrics.forget_service(service.name)
        self.settings = settings

    def _seed_failover(self) -> None:
        """Tell the failover tracker what the state tracker already knows (after a restart, or
        a reload that adds nodes back): a node down before is not a new failure."""
        for track in self.tracker.tracks.values():
            self.failover.seed(track.check, track.state)
        now = self._clock.now()
        for service in self.settings.services:
            down = self.tracker.service_state(service.name) is ServiceState.DOWN
            self.failover.seed_service(service.name, down, now)

    async def reload(self) -> bool:
        """Re-read the configuration file; keep the running one if the new one is invalid."""
        if self._config_path is None:
            return False
        try:
            new = await asyncio.to_thread(load_settings, self._config_path)
        except ConfigError as error:
            self.metrics.reloads.labels("refused").inc()
            problems = "; ".join(str(error).splitlines())  # one log line, every problem
            log.error("configuration reload refused, keeping the running one: %s", problems)
            return False
        for field in ("vantage", "store", "http", "spool", "notify"):
            if getattr(new, field) != getattr(self.settings, field):
                log.warning("reload: %s changed; it takes effect at the next restart", field)
                new = new.model_copy(update={field: getattr(self.settings, field)})
        self._apply(new)
        self._seed_failover()
        if self._running_id is not None and self._running_services != sorted(
            s.name for s in new.services
        ):
            # Which services this vantage measures changed: a new running interval says so.
            # One instant for both: not a microsecond of the service may go unmeasured.
            now = self._clock.now()
            self._end_run("reload", at=now)
            self._open_running(now)
        self.metrics.reloads.labels("applied").inc()
        log.info("configuration reloaded: %d checks", len(self.scheduler.checks))
        return True

    def _store_failed(self, error: StorageError) -> None:
        log.error(
            "store write failed, retrying (%d results, %d interval changes waiting): %s",
            self.writer.depth,
            self.writer.journal_depth,
            error,
        )

    def _change_rejected(self, change: IntervalChange, error: StorageError) -> None:
        """An interval change the store refuses outright is kept aside, never retried."""
        path = self.spool.directory / "rejected.jsonl"
        log.error("store refused an interval change, kept in %s: %s", path, error)
        try:
            keep_rejected(change, error, path)
        except StorageError as failure:
            log.error("could not keep the refused change: %s", failure)

    async def _begin_run(self) -> None:
        """Close what the previous run left open, record the time not measured, open this run.

        The previous run ended at its last result if it did not stop cleanly (its ``running``
        interval is still open); from then to now this vantage measured nothing: a gap.
        """
        vantage = self.settings.vantage
        # Results still in the spool were measured too, though the store does not have them yet.
        stored, spooled = await self._store.last_result_at(vantage), self.spool.newest
        last = max(stored, spooled) if stored and spooled else stored or spooled
        now = self._clock.now()
        for record in await self._store.open_intervals(vantage):
            if record.kind is IntervalKind.RUNNING and record.id is not None:
                end = max(record.start, min(last or record.start, now))
                self.writer.submit_interval(
                    IntervalClose(record.id, end, detail={"stopped": "unclean"})
                )
        if last is not None and now > last:
            gap = IntervalRecord(
                IntervalKind.GAP,
                vantage,
                LIFECYCLE_SUBJECT,
                last,
                now,
                detail={"reason": "daemon not running"},
                id=new_interval_id(),
            )
            self.writer.submit_interval(IntervalOpen(gap))
            log.info("recorded a gap of %s since this vantage last measured", now - last)
        self._open_running(now)

    def _open_running(self, now: datetime) -> None:
        """Record that this vantage runs from ``now``, and which services it measures."""
        self._running_id = new_interval_id()
        self._running_services = sorted(s.name for s in self.settings.services)
        running = IntervalRecord(
            IntervalKind.RUNNING,
            self.settings.vantage,
            LIFECYCLE_SUBJECT,
            now,
            detail={"services": self._running_services},
            id=self._running_id,
        )
        self.writer.submit_interval(IntervalOpen(running))

    def _end_run(self, stopped: str = "clean", *, at: datetime | None = None) -> None:
        """This run measured until ``at`` (now by default)."""
        if self._running_id is not None:
            self.writer.submit_interval(
                IntervalClose(
                    self._running_id,
                    at or self._clock.now(),
                    detail={"services": self._running_services, "stopped": stopped},
                )
            )
            self._running_id = None

    async def _probe(self, check: ScheduledCheck) -> ProbeResult:
        spec = check.spec
        began = self._clock.monotonic()
        result = await run_probe(
            spec,
            check_id=check.id,
            vantage=self.settings.vantage,
            clock=self._clock,
            resolver_servers=self.settings.resolver,
            keep_alive=self._keep_alive,
        )
        started_late = self.scheduler.start_lag(check.id)
        if started_late > LATE:
            self.metrics.probes_late.inc()
        return judge_overload(result, started_late, self.loop_watch.worst_since(began))

    async def _on_result(self, check: ScheduledCheck, result: ProbeResult) -> bool:
        self.metrics.observe_result(check, result)
        self.alerts.result(check, result)
        self.writer.submit(result)
        fast = self.tracker.observe(check, result)
        self.failover.observe(check, result)
        return fast

    def _service_changed(
        self, service: str, old: ServiceState, new: ServiceState, at: datetime
    ) -> None:
        self.metrics.set_service_state(service, new)
        self.failover.service_changed(service, new is ServiceState.DOWN, at)
        self.alerts.service_changed(service, old, new, at)
        log.info("service %s: %s -> %s at %s", service, old.value, new.value, at)

    def _check_changed(self, check: ScheduledCheck, state: CheckState, at: datetime) -> None:
        self.failover.check_changed(check, state, at)

    def _failover_event(self, kind: str, event: FailoverEvent, at: datetime) -> None:
        node = f"{event.service}/{event.node}"
        if kind == "breached":
            log.warning("failover of %s breached at %s: %s", node, at, "; ".join(event.reasons))
            self.alerts.failover_breached(event, at)
            return
        verdict = "breached" if event.reasons else "kept"
        self.metrics.failover_closed(event, verdict, at)
        log.info("failover of %s closed at %s: %s", node, at, verdict)

    async def _housekeeping(self) -> None:
        """Apply retention now and then (C8: raw results kept ``retention_days``)."""
        while True:
            cutoff = self._clock.now() - timedelta(days=self.settings.retention_days)
            try:
                pruned = await self._store.prune(cutoff)
            except StorageError as error:
                log.error("retention: pruning failed, trying again in an hour: %s", error)
            else:
                if pruned:
                    log.info("retention: removed %d results older than %s", pruned, cutoff)
            await self._clock.sleep(PRUNE_EVERY)

    def check_clock(self) -> float:
        """Detect a step of the system clock: log it, count it, publish the offset.

        The evidence's clock does not follow it (:class:`monitor.clock.SteadyClock`): results
        of one run never go backwards, and probes that ran are never taken for a gap.
        """
        offset = self._clock.offset() if isinstance(self._clock, SteadyClock) else 0.0
        if abs(offset - self._clock_offset) > CLOCK_STEP:
            log.warning(
                "the system clock stepped by %+.1fs: it is now %+.1fs from the time results are"
                " recorded with, which follows no step within a run (restart to take the"
                " system clock's time again)",
                offset - self._clock_offset,
                offset,
            )
            self.metrics.clock_steps.inc()
            self._clock_offset = offset
        self.metrics.clock_offset.set(offset)
        return offset

    async def _keep(self, what: str, refresh: Callable[[], Awaitable[float]]) -> None:
        """Run ``refresh`` again and again, sleeping the seconds it returns after each round; a
        store that fails is said once (``what`` not refreshed), then tried again each round."""
        failing = False
        pause = QUORUM_EVERY
        while True:
            try:
                pause = await refresh()
            except StorageError as error:
                if not failing:
                    log.warning("%s not refreshed: %s", what, error)
                failing = True
            else:
                failing = False
            await self._clock.sleep(pause)

    async def _quorum_round(self) -> float:
        """The live quorum state of each service, by the report's own rule; as often as the
        fastest check probes, at most every QUORUM_EVERY."""
        self.check_clock()
        await self.refresh_quorum()
        fastest = min((c.spec.interval for c in self.scheduler.checks.values()), default=0)
        return min(QUORUM_EVERY, fastest) or QUORUM_EVERY

    async def _sla_round(self) -> float:
        """The live SLA figures of each service: the month so far, by the report's rule."""
        await self.refresh_sla()
        return self.settings.sla_refresh

    async def _status_round(self) -> float:
        """The status page's closed days that have no stored figures, a few days a round, so
        that the page reads stored days rather than recomputing them."""
        done = await fill_days(self._store, self.settings, self._clock.now())
        return STATUS_FILL_BUSY if done >= DAYS_PER_ROUND else STATUS_FILL_EVERY

    async def refresh_sla(self) -> None:
        """Recompute every service's credits of the month so far (the report's figures, now)."""
        now = self._clock.now()
        self._credits_memo.forget({service.name for service in self.settings.services})
        for service in self.settings.services:
            figures = await month_figures(
                self._store, self.settings, service, now, memo=self._credits_memo
            )
            self.metrics.set_sla(figures)
        self.metrics.sla_refreshed_at(now)

    async def refresh_quorum(self) -> None:
        """Recompute every service's quorum verdict over the last few minutes."""
        now = self._clock.now()
        window = Interval(now - QUORUM_WINDOW, now)
        judged = await judge_services(self._store, self.settings.services, window, now)
        for service in self.settings.services:
            verdict = judged[service.name].verdict
            self.verdicts[service.name] = verdict
            self.metrics.set_quorum(service.name, verdict)
            noticed = await last_notice_at(self._store, service.name)
            if noticed is not None:
                self.metrics.last_notice.labels(service.name).set(noticed.timestamp())
            else:  # never notified, or every notice revoked: no series, not a stale one
                with contextlib.suppress(KeyError):
                    self.metrics.last_notice.remove(service.name)

    @property
    def store(self) -> Store:
        """Where this daemon keeps its evidence."""
        return self._store

    def clock_now(self) -> datetime:
        """Wall time on the daemon's clock."""
        return self._clock.now()

    def health_snapshot(self) -> HealthSnapshot:
        """What ``/healthz`` judges, as of now."""
        return HealthSnapshot.of(
            self.writer,
            now=self._clock.now(),
            ready=self.ready.is_set(),
            vantage=self.settings.vantage,
            checks=len(self.scheduler.checks),
            scheduler_lag=self.scheduler.last_lag,
        )

    def live_state(self) -> LiveState:
        """What ``/api/state`` shows, as of now."""
        return LiveState.of(
            self.settings,
            self.tracker,
            self.verdicts,
            self.failover.open_events,
            now=self._clock.now(),
        )

    def scrape_chunks(self, *, openmetrics: bool = False) -> Iterator[bytes]:
        """Every metric in Prometheus' text format (or OpenMetrics'), in pieces, the
        point-in-time gauges brought up to date first."""
        self.check_clock()
        self.metrics.refresh(
            self._clock.now(),
            writer=self.writer,
            notifier=self.notifier,
            tracks=self.tracker.tracks.values(),
            nodes_up={
                service.name: self.failover.nodes_up(service.name)
                for service in self.settings.services
            },
            in_flight=self.scheduler.in_flight,
        )
        return self.metrics.exposition_chunks(openmetrics=openmetrics)

    def scrape(self, *, openmetrics: bool = False) -> bytes:
        """Every metric, whole (see :meth:`scrape_chunks`)."""
        return b"".join(self.scrape_chunks(openmetrics=openmetrics))

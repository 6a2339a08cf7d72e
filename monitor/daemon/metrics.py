"""Live state for Prometheus. Every metric is registered on an injected ``CollectorRegistry``.

Label values are service, check and role names from the configuration (bounded by it); never a
URL with credentials, never a secret.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info, generate_latest

from ..failover import FailoverEvent
from ..quorum import Verdict
from ..results import ProbeResult
from ..scheduler import ScheduledCheck
from ..state import CheckState, CheckTrack, ServiceState
from ..write.writer import ResultWriter
from .webhooks import Notifier

__all__ = ["Metrics"]

_PROBE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
_LAG_BUCKETS = (0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30)
_CHECK_STATE = {CheckState.UP: 1.0, CheckState.DOWN: 0.0, CheckState.UNKNOWN: -1.0}
_SERVICE_STATES = tuple(ServiceState)
_FAILOVER_BUCKETS = (5, 15, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600)


class Metrics:
    """The daemon's metrics, named ``slawatch_*``."""

    def __init__(self, registry: CollectorRegistry, vantage: str, version: str) -> None:
        self._registry = registry
        check = ["service", "check", "role"]
        self.build = Info("slawatch_build", "Version and vantage of this daemon", registry=registry)
        self.build.info({"version": version, "vantage": vantage})
        self.probes = Counter(
            "slawatch_probes",
            "Probes run, by outcome",
            [*check, "outcome"],
            registry=registry,
        )
        self.probe_duration = Histogram(
            "slawatch_probe_duration_seconds",
            "Time a probe took, whatever its outcome",
            check,
            buckets=_PROBE_BUCKETS,
            registry=registry,
        )
        self.probe_success = Gauge(
            "slawatch_probe_success",
            "1 if the last probe of the check succeeded, else 0",
            check,
            registry=registry,
        )
        self.check_up = Gauge(
            "slawatch_check_up",
            "Confirmed state of the check: 1 up, 0 down, -1 unknown",
            check,
            registry=registry,
        )
        self.cert_expiry = Gauge(
            "slawatch_cert_expiry_timestamp_seconds",
            "When the certificate the check last saw expires (Unix time)",
            ["service", "check"],
            registry=registry,
        )
        self.service_state = Gauge(
            "slawatch_service_state",
            "1 for the service's current state (up, degraded, down, unknown), 0 for the others",
            ["service", "state"],
            registry=registry,
        )
        self.quorum_state = Gauge(
            "slawatch_service_quorum_state",
            "1 for the service's state as the vantages' quorum decides it (up, down, unknown)",
            ["service", "state"],
            registry=registry,
        )
        self.quorum_unconfirmed = Gauge(
            "slawatch_service_quorum_unconfirmed",
            "1 while the quorum's current outage of the service is confirmed by no independent"
            " reference (a single vantage without canaries, every check of it down)",
            ["service"],
            registry=registry,
        )
        self.quorum_votes = Gauge(
            "slawatch_service_vantages",
            "Vantages with fresh data on the service, by their vote (up, down)",
            ["service", "vote"],
            registry=registry,
        )
        self.failovers = Counter(
            "slawatch_failover_events",
            "Failover events closed, by verdict (kept, breached)",
            ["service", "verdict"],
            registry=registry,
        )
        self.failover_duration = Histogram(
            "slawatch_failover_duration_seconds",
            "From a node's failure until capacity came back",
            ["service"],
            buckets=_FAILOVER_BUCKETS,
            registry=registry,
        )
        self.dns_failover = Histogram(
            "slawatch_failover_dns_seconds",
            "From a node's failure until DNS stopped handing out its address",
            ["service"],
            buckets=_FAILOVER_BUCKETS,
            registry=registry,
        )
        self.nodes_up = Gauge(
            "slawatch_service_nodes_up",
            "Nodes of the service confirmed up from this vantage",
            ["service"],
            registry=registry,
        )
        self.scheduler_lag = Histogram(
            "slawatch_scheduler_lag_seconds",
            "How late probes start against their due time",
            buckets=_LAG_BUCKETS,
            registry=registry,
        )
        self.in_flight = Gauge("slawatch_probes_in_flight", "Probes running now", registry=registry)
        self.checks = Gauge("slawatch_checks", "Checks scheduled", registry=registry)
        self.queue_depth = Gauge(
            "slawatch_store_queue_depth",
            "Results waiting to be written, in memory and in the spool",
            registry=registry,
        )
        self.spool_depth = Gauge(
            "slawatch_store_spool_depth",
            "Results waiting in the local spool files (part of the queue depth)",
            registry=registry,
        )
        self.spilled = Counter(
            "slawatch_store_spilled",
            "Results that went to the local spool because the memory queue was full",
            registry=registry,
        )
        self.journal_depth = Gauge(
            "slawatch_store_journal_depth",
            "Interval changes (outages opening, closing) waiting to be written",
            registry=registry,
        )
        self.write_errors = Counter(
            "slawatch_store_write_errors", "Failed writes to the store", registry=registry
        )
        self.memory_depth = Gauge(
            "slawatch_store_memory_depth",
            "Results and interval changes waiting in memory (bounded by the memory limit)",
            registry=registry,
        )
        self.memory_limit = Gauge(
            "slawatch_store_memory_limit",
            "Results and interval changes memory holds at most (spool.max_memory_hard)",
            registry=registry,
        )
        self.dropped = Counter(
            "slawatch_store_dropped",
            "Results dropped, the oldest first, because memory was at its limit and the spool"
            " could not take them",
            registry=registry,
        )
        self.spool_errors = Counter(
            "slawatch_store_spool_errors",
            "Failed writes to the local spool (a full or failing disk)",
            registry=registry,
        )
        # The writer counts since it started; the counters here grow by what is new at each
        # refresh, so these are what the writer had counted at the last one.
        self._write_errors_seen = 0
        self._spilled_seen = 0
        self._dropped_seen = 0
        self._spool_errors_seen = 0
        self.last_write = Gauge(
            "slawatch_store_last_write_timestamp_seconds",
            "When results were last written to the store (Unix time)",
            registry=registry,
        )
        self.last_notice = Gauge(
            "slawatch_provider_last_notice_timestamp_seconds",
            "When the provider last notified the customer about the service (Unix time)",
            ["service"],
            registry=registry,
        )
        self.notifications = Gauge(
            "slawatch_notifications",
            "Webhook deliveries since start: delivered, failed (given up), dropped (queue full),"
            " waiting",
            ["result"],
            registry=registry,
        )
        self.reloads = Counter(
            "slawatch_config_reloads",
            "Configuration reloads, by result",
            ["result"],
            registry=registry,
        )

    def observe_result(self, check: ScheduledCheck, result: ProbeResult) -> None:
        """Count one probe result."""
        labels = (check.service, check.name, check.role.value)
        self.probes.labels(*labels, result.outcome.value).inc()
        self.probe_duration.labels(*labels).observe(result.latency)
        self.probe_success.labels(*labels).set(1.0 if result.up else 0.0)
        if result.cert_expires_at is not None:
            self.cert_expiry.labels(check.service, check.name).set(
                result.cert_expires_at.timestamp()
            )

    def set_check_state(self, check: ScheduledCheck, state: CheckState) -> None:
        """Publish a check's confirmed state."""
        self.check_up.labels(check.service, check.name, check.role.value).set(_CHECK_STATE[state])

    def set_service_state(self, service: str, state: ServiceState) -> None:
        """Publish a service's state as one-hot series."""
        for candidate in _SERVICE_STATES:
            self.service_state.labels(service, candidate.value).set(
                1.0 if candidate is state else 0.0
            )

    def set_quorum(self, service: str, verdict: Verdict) -> None:
        """Publish the quorum's view of a service at the end of the verdict's window."""
        state, measuring, down = verdict.latest()
        for candidate in ("up", "down", "unknown"):
            self.quorum_state.labels(service, candidate).set(1.0 if candidate == state else 0.0)
        self.quorum_unconfirmed.labels(service).set(1.0 if verdict.latest_unconfirmed() else 0.0)
        self.quorum_votes.labels(service, "down").set(len(down))
        self.quorum_votes.labels(service, "up").set(len(measuring) - len(down))

    def failover_closed(self, event: FailoverEvent, verdict: str, at: datetime) -> None:
        """Count a closed failover event and its durations."""
        self.failovers.labels(event.service, verdict).inc()
        self.failover_duration.labels(event.service).observe((at - event.start).total_seconds())
        if event.dns_removed_at is not None:
            self.dns_failover.labels(event.service).observe(
                (event.dns_removed_at - event.start).total_seconds()
            )

    def refresh(
        self,
        now: datetime,
        *,
        writer: ResultWriter,
        notifier: Notifier,
        tracks: Iterable[CheckTrack],
        nodes_up: Mapping[str, int],
        in_flight: int,
    ) -> None:
        """Bring the point-in-time gauges, and the counters the writer keeps, up to date (before
        each scrape): ``nodes_up`` by service, ``in_flight`` the probes running ``now``."""
        self.in_flight.set(in_flight)
        for service, up in nodes_up.items():
            self.nodes_up.labels(service).set(up)
        for track in tracks:
            # Not measured lately is not up (nor down): the live view says unknown.
            state = CheckState.UNKNOWN if track.stale(now) else track.state
            self.set_check_state(track.check, state)
        self._publish_notifier(notifier)
        self._publish_writer(writer)

    def exposition(self) -> bytes:
        """Every metric of the registry, in Prometheus' text format."""
        return generate_latest(self._registry)

    def _publish_notifier(self, notifier: Notifier) -> None:
        """Publish the notifier's counters."""
        for result, value in (
            ("delivered", notifier.delivered),
            ("failed", notifier.failed),
            ("dropped", notifier.dropped),
            ("waiting", notifier.depth),
        ):
            self.notifications.labels(result).set(value)

    def _publish_writer(self, writer: ResultWriter) -> None:
        """Publish what waits to be written, where, what memory holds and its limit, what was
        dropped or spilled, the failed writes and the last good one."""
        self.write_errors.inc(writer.write_errors - self._write_errors_seen)
        self._write_errors_seen = writer.write_errors
        self.queue_depth.set(writer.depth)
        self.spool_depth.set(writer.spool_depth)
        self.journal_depth.set(writer.journal_depth)
        self.memory_depth.set(writer.memory_used)
        if writer.memory_limit is not None:
            self.memory_limit.set(writer.memory_limit)
        self.dropped.inc(writer.dropped - self._dropped_seen)
        self._dropped_seen = writer.dropped
        self.spool_errors.inc(writer.spool_errors - self._spool_errors_seen)
        self._spool_errors_seen = writer.spool_errors
        self.spilled.inc(writer.spilled - self._spilled_seen)
        self._spilled_seen = writer.spilled
        if writer.last_write_at is not None:
            self.last_write.set(writer.last_write_at.timestamp())

    def forget_check(self, check: ScheduledCheck) -> None:
        """Drop the series of a check removed by a reload."""
        labels = (check.service, check.name, check.role.value)
        for gauge in (self.probe_success, self.check_up, self.probe_duration):
            with contextlib.suppress(KeyError):  # never observed: nothing to drop
                gauge.remove(*labels)

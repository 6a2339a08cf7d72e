"""Live state for Prometheus. Every metric is registered on an injected ``CollectorRegistry``.

The probe series have blackbox_exporter's names and meaning (``probe_success``,
``probe_duration_seconds``, ...), so its dashboards and alerts work unchanged; slawatch's own
series (``slawatch_*``) add the confirmed states, the quorum, the store and the money.

Label values are service, check and role names from the configuration, and a check's target
(host and port, or the name a DNS check asks for): bounded by the configuration; never a URL's
path, query or credentials, never an error message or an instant. No ``*_created`` series.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from urllib.parse import urlsplit

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.metrics_core import Metric
from prometheus_client.openmetrics.exposition import generate_latest as generate_openmetrics

from ..case.figures import MonthFigures
from ..config.settings import DnsCheck, HttpCheck, TcpCheck
from ..failover import FailoverEvent
from ..quorum import Verdict
from ..results import ProbeResult
from ..scheduler import ScheduledCheck
from ..state import CheckState, CheckTrack, ServiceState
from ..write.writer import ResultWriter
from .checkseries import CHUNK_ROWS, CheckSeries, Row
from .webhooks import Notifier

__all__ = ["Metrics", "target_of"]

# ``*_created`` series double the output and carry nothing a dashboard reads.
disable_created_metrics()  # type: ignore[no-untyped-call]

_PROBE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
_LAG_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30)
_CHECK_STATE = {CheckState.UP: 1.0, CheckState.DOWN: 0.0, CheckState.UNKNOWN: -1.0}
_SERVICE_STATES = tuple(ServiceState)
_FAILOVER_BUCKETS = (5, 15, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600)


def target_of(spec: HttpCheck | TcpCheck | DnsCheck) -> str:
    """What a check probes, bounded and secret-free: ``host[:port]``, or the DNS name."""
    if isinstance(spec, HttpCheck):
        parts = urlsplit(spec.url)
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        try:
            port = parts.port
        except ValueError:  # an invalid port was refused by the configuration already
            port = None
        return host if port is None else f"{host}:{port}"
    if isinstance(spec, TcpCheck):
        host = f"[{spec.host}]" if ":" in spec.host else spec.host
        return f"{host}:{spec.port}"
    return spec.query


class _Families:
    """Metric families as a collector, to format them with prometheus_client."""

    def __init__(self, families: list[Metric]) -> None:
        self._families = families

    def collect(self) -> Iterable[Metric]:
        return self._families


def _pieces(metric: MetricWrapperBase, *, openmetrics: bool) -> Iterator[bytes]:
    """One metric's exposition in pieces of at most CHUNK_ROWS samples; HELP and TYPE only
    before the first."""
    for family in metric.collect():
        samples = family.samples
        for start in range(0, max(1, len(samples)), CHUNK_ROWS):
            part = Metric(family.name, family.documentation, family.type, family.unit)
            part.samples = samples[start : start + CHUNK_ROWS]
            collector = _Families([part])
            if openmetrics:
                text: bytes = generate_openmetrics(collector)  # type: ignore[no-untyped-call]
                text = text.removesuffix(b"# EOF\n")
            else:
                text = generate_latest(collector)
            if start:
                text = b"".join(
                    line for line in text.splitlines(keepends=True) if not line.startswith(b"# ")
                )
            yield text


class Metrics:
    """The daemon's metrics, named ``slawatch_*``."""

    def __init__(self, registry: CollectorRegistry, vantage: str, version: str) -> None:
        self._registry = registry
        self.build = Info("slawatch_build", "Version and vantage of this daemon", registry=registry)
        self.build.info({"version": version, "vantage": vantage})
        self.probe_duration_histogram = Histogram(
            "slawatch_probe_duration_seconds",
            "Time probes of the service's checks took, whatever their outcome",
            ["service", "role"],
            buckets=_PROBE_BUCKETS,
            registry=registry,
        )
        #: blackbox_exporter's per-check series, the confirmed states and the outcome counters:
        #: plain values written straight into the exposition (:mod:`.checkseries`).
        self.check_series = CheckSeries()
        #: The same, as metric families, for reading in process (tests, tools).
        self.check_registry = CollectorRegistry(auto_describe=True)
        self.check_registry.register(self.check_series)
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
        self.probes_late = Counter(
            "slawatch_probes_late",
            "Probes that started more than 1 s after their due time (the daemon shedding load)",
            registry=registry,
        )
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
        self.clock_offset = Gauge(
            "slawatch_clock_offset_seconds",
            "How far the system clock is from the time results are recorded with (0 unless the"
            " system clock stepped since start)",
            registry=registry,
        )
        self.clock_steps = Counter(
            "slawatch_clock_steps", "Steps of the system clock detected", registry=registry
        )
        self.reloads = Counter(
            "slawatch_config_reloads",
            "Configuration reloads, by result",
            ["result"],
            registry=registry,
        )
        self._sla_metrics(registry)

    def _sla_metrics(self, registry: CollectorRegistry) -> None:
        """The month so far, per service, by the contract's policy: what the report would say
        if it were made now (:mod:`monitor.case.figures`)."""
        self.sla_credit = Gauge(
            "slawatch_sla_credit_accrued",
            "Credit owed for the service this month so far (resets with the month; the exact"
            " decimal is in the report)",
            ["service", "currency"],
            registry=registry,
        )
        # In seconds, Prometheus' base unit: whole minutes x 60.
        self.sla_minutes = Gauge(
            "slawatch_sla_credited_seconds",
            "Credited minutes this month so far, as seconds (minutes x 60; under uptime tiers"
            " the downtime minutes)",
            ["service"],
            registry=registry,
        )
        self.sla_availability = Gauge(
            "slawatch_sla_availability_ratio",
            "Time-based availability this month so far, over the time measured (0..1)",
            ["service"],
            registry=registry,
        )
        self.sla_unavailable = Gauge(
            "slawatch_sla_unavailable_seconds",
            "Whole-service downtime this month so far (gaps too under gap_policy down)",
            ["service"],
            registry=registry,
        )
        self.sla_excluded = Gauge(
            "slawatch_sla_excluded_seconds",
            "Downtime this month so far removed by accepted exclusions",
            ["service"],
            registry=registry,
        )
        self.sla_uptime = Gauge(
            "slawatch_sla_uptime_ratio",
            "Uptime-tier contracts: the month's uptime so far as the contract counts it (0..1)",
            ["service"],
            registry=registry,
        )
        self.sla_next_tier = Gauge(
            "slawatch_sla_next_tier_seconds",
            "Uptime-tier contracts: downtime the month can still take before the next tier"
            " applies, whole minutes as seconds (absent when no tier is left)",
            ["service"],
            registry=registry,
        )
        self.sla_month_start = Gauge(
            "slawatch_sla_month_start_timestamp_seconds",
            "Start of the contract's current local month (Unix time)",
            ["service"],
            registry=registry,
        )
        self.sla_refreshed = Gauge(
            "slawatch_sla_refreshed_timestamp_seconds",
            "When the live SLA figures were last computed (Unix time)",
            registry=registry,
        )
        self._currency: dict[str, str] = {}

    def _row(self, check: ScheduledCheck) -> Row:
        row = self.check_series.rows.get(check.id)
        if row is None:
            row = self.check_series.row(
                check.id, check.service, check.name, check.role.value, target_of(check.spec)
            )
        return row

    def observe_result(self, check: ScheduledCheck, result: ProbeResult) -> None:
        """Count one probe result, and publish it as blackbox_exporter would."""
        row = self._row(check)
        row.outcomes[result.outcome.value] = row.outcomes.get(result.outcome.value, 0) + 1
        self.probe_duration_histogram.labels(check.service, row.role).observe(result.latency)
        row.success = 1.0 if result.up else 0.0
        row.duration = result.latency
        spec = check.spec
        if isinstance(spec, HttpCheck):
            row.status = float(result.status or 0)
            row.body_length = float(result.bytes_read)
            length = result.content_length
            row.content_length = None if length is None else float(length)
            if spec.contains is not None or spec.regex is not None:
                row.regex_failed = 1.0 if result.body_mismatch else 0.0
        elif isinstance(spec, DnsCheck):
            row.dns_time = result.latency
        if result.cert_expires_at is not None:
            row.ssl_expiry = result.cert_expires_at.timestamp()

    def set_sla(self, figures: MonthFigures) -> None:
        """Publish a service's month so far."""
        service = figures.service
        previous = self._currency.get(service)
        if previous is not None and previous != figures.currency:
            self.sla_credit.remove(service, previous)
        self._currency[service] = figures.currency
        self.sla_credit.labels(service, figures.currency).set(float(figures.total_credit))
        self.sla_minutes.labels(service).set(figures.credited_minutes * 60)
        availability = figures.availability
        if availability is None:  # nothing measured yet: no ratio rather than a made-up one
            with contextlib.suppress(KeyError):
                self.sla_availability.remove(service)
        else:
            self.sla_availability.labels(service).set(float(availability))
        self.sla_unavailable.labels(service).set(figures.unavailable.total_seconds())
        self.sla_excluded.labels(service).set(figures.excluded.total_seconds())
        self.sla_month_start.labels(service).set(figures.month.start.timestamp())
        tier = figures.tier
        left = None if tier is None else tier.minutes_to_next_tier()
        if tier is not None:
            self.sla_uptime.labels(service).set(float(tier.uptime_percent / 100))
        if left is not None:
            self.sla_next_tier.labels(service).set(left * 60)
        for gauge, keep in (
            (self.sla_uptime, tier is not None),
            (self.sla_next_tier, left is not None),
        ):
            if not keep:
                with contextlib.suppress(KeyError):
                    gauge.remove(service)

    def sla_refreshed_at(self, at: datetime) -> None:
        """Record when the live SLA figures were last computed."""
        self.sla_refreshed.set(at.timestamp())

    def forget_service(self, service: str) -> None:
        """Drop the SLA series of a service removed by a reload."""
        currency = self._currency.pop(service, None)
        if currency is not None:
            with contextlib.suppress(KeyError):
                self.sla_credit.remove(service, currency)
        for gauge in (
            self.sla_minutes, self.sla_availability, self.sla_unavailable, self.sla_excluded,
            self.sla_uptime, self.sla_next_tier, self.sla_month_start,
        ):  # fmt: skip
            with contextlib.suppress(KeyError):
                gauge.remove(service)

    def set_check_state(self, check: ScheduledCheck, state: CheckState) -> None:
        """Publish a check's confirmed state."""
        self._row(check).up = _CHECK_STATE[state]

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

    def exposition_chunks(self, *, openmetrics: bool = False) -> Iterator[bytes]:
        """Every metric, in Prometheus' text format or in OpenMetrics', in pieces: each of
        prometheus_client's, then the per-check series a chunk of rows at a time."""
        # A piece of a metric at a time: those per service hold thousands of samples.
        for metric in vars(self).values():
            if isinstance(metric, MetricWrapperBase):
                yield from _pieces(metric, openmetrics=openmetrics)
        for chunk in self.check_series.chunks(openmetrics=openmetrics):
            yield chunk.encode()
        if openmetrics:
            yield b"# EOF\n"

    def exposition(self, *, openmetrics: bool = False) -> bytes:
        """Every metric, whole (see :meth:`exposition_chunks`)."""
        return b"".join(self.exposition_chunks(openmetrics=openmetrics))

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
        self.check_series.forget(check.id)

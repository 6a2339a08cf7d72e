"""The per-check series: blackbox_exporter's probe gauges, the confirmed state and the outcome
counters, kept as plain values and written straight into the exposition.

With 10,000 checks these are some 70,000 samples. Kept in prometheus_client's metrics, each
result takes a labelled child's lock and each scrape formats every sample through the generic
path: about a second of the event loop per scrape, while probes wait. Here a result sets a few
attributes of its check's row, each row's label text is escaped once, and a scrape writes rows
in chunks, yielding to the event loop between them, so probing never waits on /metrics.

The values and their meaning are blackbox_exporter's (``probe_success``,
``probe_duration_seconds``, ...); :meth:`CheckSeries.collect` offers them to a
``CollectorRegistry`` too, for anyone reading them in process.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.utils import floatToGoString

__all__ = ["CHUNK_ROWS", "CheckSeries", "Row"]

#: Rows written between two yields to the event loop.
CHUNK_ROWS = 500

#: Each family: name, help, type, and the row attribute holding its value (None: absent).
_GAUGES: tuple[tuple[str, str, str], ...] = (
    ("probe_success", "Displays whether or not the probe was a success", "success"),
    ("probe_duration_seconds", "Returns how long the probe took to complete in seconds",
     "duration"),
    ("probe_http_status_code", "Response HTTP status code (0: no response)", "status"),
    ("probe_http_content_length", "Length of http content response (Content-Length)",
     "content_length"),
    ("probe_http_uncompressed_body_length", "Length of uncompressed response body read",
     "body_length"),
    ("probe_ssl_earliest_cert_expiry", "Returns last SSL chain expiry in unixtime", "ssl_expiry"),
    ("probe_dns_lookup_time_seconds", "Returns the time taken for probe dns lookup in seconds",
     "dns_time"),
    ("probe_failed_due_to_regex", "Indicates if probe failed due to regex", "regex_failed"),
)  # fmt: skip
_CHECK_UP = ("slawatch_check_up", "Confirmed state of the check: 1 up, 0 down, -1 unknown")
_PROBES = ("slawatch_probes", "Probes run, by outcome")


def _number(value: float) -> str:
    """A sample's value as the exposition formats write it (``1.0``, ``+Inf``, ``NaN``)."""
    text: str = floatToGoString(value)  # type: ignore[no-untyped-call]
    return text


def _escape(value: str) -> str:
    return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")


@dataclass(slots=True)
class Row:
    """One check's latest values; None where a series does not apply or is not known."""

    service: str
    check: str
    role: str
    target: str
    #: ``service,check,role,target`` and ``service,check,role`` as label text, escaped once.
    labels: str = ""
    base: str = ""
    outcome_prefix: str = ""
    outcome_suffix: str = ""
    success: float | None = None
    duration: float | None = None
    status: float | None = None
    content_length: float | None = None
    body_length: float | None = None
    ssl_expiry: float | None = None
    dns_time: float | None = None
    regex_failed: float | None = None
    up: float | None = None
    outcomes: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Label names in sorted order, as prometheus_client writes them.
        check, role, service = _escape(self.check), _escape(self.role), _escape(self.service)
        self.base = f'check="{check}",role="{role}",service="{service}"'
        self.labels = f'{self.base},target="{_escape(self.target)}"'
        self.outcome_prefix = f'check="{check}",outcome="'
        self.outcome_suffix = f'",role="{role}",service="{service}"'


class CheckSeries:
    """Every check's row, by check id."""

    def __init__(self) -> None:
        self.rows: dict[str, Row] = {}

    def row(self, check_id: str, service: str, check: str, role: str, target: str) -> Row:
        """The check's row, made on first use."""
        found = self.rows.get(check_id)
        if found is None:
            found = self.rows[check_id] = Row(service, check, role, target)
        return found

    def forget(self, check_id: str) -> None:
        """Drop a check's row (a reload removed it): none of its series are written again."""
        self.rows.pop(check_id, None)

    def chunks(self, *, openmetrics: bool = False) -> Iterator[str]:
        """The exposition of every row, family by family, in pieces of :data:`CHUNK_ROWS` rows."""
        rows = list(self.rows.values())
        for name, text, attribute in _GAUGES:
            present = [(r.labels, getattr(r, attribute)) for r in rows]
            yield from _family(name, text, "gauge", name, present)
        yield from _family(*_CHECK_UP, "gauge", _CHECK_UP[0], [(r.base, r.up) for r in rows])
        counted = [
            (f"{r.outcome_prefix}{outcome}{r.outcome_suffix}", float(n))
            for r in rows
            for outcome, n in r.outcomes.items()
        ]
        family = _PROBES[0] if openmetrics else f"{_PROBES[0]}_total"
        yield from _family(family, _PROBES[1], "counter", f"{_PROBES[0]}_total", counted)

    @staticmethod
    def names() -> dict[str, set[str]]:
        """Every sample name written, with its label names."""
        probe = {"service", "check", "role", "target"}
        names = {name: set(probe) for name, _, _ in _GAUGES}
        names[_CHECK_UP[0]] = {"service", "check", "role"}
        names[f"{_PROBES[0]}_total"] = {"service", "check", "role", "outcome"}
        return names

    def collect(self) -> Iterator[Metric]:
        """The same values as metric families, for a ``CollectorRegistry``."""
        rows = list(self.rows.values())
        keys = ["check", "role", "service", "target"]
        for name, text, attribute in _GAUGES:
            family = GaugeMetricFamily(name, text, labels=keys)
            for r in rows:
                value = getattr(r, attribute)
                if value is not None:
                    family.add_metric([r.check, r.role, r.service, r.target], value)
            yield family
        up = GaugeMetricFamily(*_CHECK_UP, labels=keys[:3])
        probes = CounterMetricFamily(*_PROBES, labels=[*keys[:3], "outcome"])
        for r in rows:
            if r.up is not None:
                up.add_metric([r.check, r.role, r.service], r.up)
            for outcome, n in r.outcomes.items():
                probes.add_metric([r.check, r.role, r.service, outcome], n)
        yield up
        yield probes


def _family(
    family: str, text: str, kind: str, sample: str, values: Sequence[tuple[str, float | None]]
) -> Iterator[str]:
    """HELP and TYPE, then one line per value present, in chunks."""
    lines = [f"# HELP {family} {text}\n# TYPE {family} {kind}\n"]
    for labels, value in values:
        if value is None:
            continue
        lines.append(f"{sample}{{{labels}}} {_number(value)}\n")
        if len(lines) >= CHUNK_ROWS:
            yield "".join(lines)
            lines = []
    if lines:
        yield "".join(lines)

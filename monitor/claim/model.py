"""A credit claim as plain values: the month's report of one service, the outages it credits, and
the failed requests that document each of them.

The claim stands on the report (:func:`monitor.report.build_report`): its figures are the
report's, never computed again. What it adds is the evidence a provider's support asks for, the
request logs of the errors: for every credited outage, each failed probe of the service's
frontend checks within the outage, from each vantage that agreed it was down. Those are raw
results, which the store keeps ``retention_days`` only (the intervals are kept for good), so an
incident older than that is said to have lost them.

:func:`build_claim` is pure; :func:`read_claim` is the part that reads the store.
"""

from __future__ import annotations

import enum
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sla import CreditPolicy, DayCredit, Interval

from ..config.settings import HttpCheck, ServiceConfig, Settings
from ..redact import MASK, redact_url, scrub_url_secrets
from ..report.model import OutageEvidence, Report, ServiceReport, build_report
from ..results import Outcome, ProbeResult
from ..store.base import Store
from .deadline import Deadline, Standing, claim_deadline, standing, time_left

__all__ = [
    "ERROR_LIMIT",
    "Claim",
    "Evidence",
    "Incident",
    "Request",
    "build_claim",
    "credited",
    "read_claim",
]

#: The longest error text a request-log row quotes (a probe's detail, cut).
ERROR_LIMIT = 200
_URL = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s\"'<>]+")


@dataclass(frozen=True, slots=True)
class Request:
    """One failed probe: a row of ``request-log.csv``."""

    time: datetime
    vantage: str
    #: The check's name within the service.
    check: str
    #: What was probed, as people may see it: a URL without credentials or query values,
    #: ``host:port``, or a DNS name.
    target: str
    outcome: str
    status: int | None
    #: The probe's detail on one line, cut to :data:`ERROR_LIMIT`, the check's secrets masked.
    error: str
    latency: float


class Evidence(enum.StrEnum):
    """Whether the raw results of an incident are still within retention."""

    HELD = "held"
    #: The incident began before the retention cutoff: its earlier results are gone.
    PARTLY_GONE = "partly gone"
    #: The incident ended before the retention cutoff: all its results are gone.
    GONE = "gone"


@dataclass(frozen=True, slots=True)
class Incident:
    """A credited outage and the failed requests that document it."""

    #: 1, 2, ... among the claim's incidents.
    number: int
    #: Its position among the report's outages of the month (0-based, as in the JSON).
    index: int
    outage: OutageEvidence
    requests: tuple[Request, ...]
    evidence: Evidence

    @property
    def span(self) -> Interval:
        """When the service was down, by the vantages' quorum."""
        return self.outage.span

    def requests_by_vantage(self) -> dict[str, int]:
        """Failed requests held, per vantage that agreed (those with none included)."""
        counts = Counter(r.vantage for r in self.requests)
        return {v: counts.get(v, 0) for v in self.outage.vantages}


@dataclass(frozen=True, slots=True)
class Claim:
    """One service's claim for one month."""

    report: Report
    service: ServiceReport
    incidents: tuple[Incident, ...]
    deadline: Deadline
    now: datetime
    retention_days: int

    @property
    def label(self) -> str:
        """``YYYY-MM``."""
        return self.report.label

    @property
    def name(self) -> str:
        """The service's name."""
        return self.service.service.name

    @property
    def total_credit(self) -> Decimal:
        """The credit claimed: the report's total for the month."""
        return self.service.total_credit

    @property
    def standing(self) -> Standing:
        """Where now stands to the deadline."""
        return standing(self.deadline, self.now)

    @property
    def time_left(self) -> str:
        """The time left to file, in words."""
        return time_left(self.deadline, self.now)

    @property
    def cutoff(self) -> datetime:
        """Raw results before this instant are no longer kept (``retention_days`` ago)."""
        return self.now - timedelta(days=self.retention_days)

    @property
    def requests(self) -> tuple[Request, ...]:
        """Every failed request of every incident, by time (then vantage and check)."""
        rows = {(r.time, r.vantage, r.check): r for i in self.incidents for r in i.requests}
        return tuple(rows[key] for key in sorted(rows))

    @property
    def evidence_lost(self) -> tuple[Incident, ...]:
        """The incidents whose raw results are (wholly or partly) past retention."""
        return tuple(i for i in self.incidents if i.evidence is not Evidence.HELD)

    @property
    def credited_days(self) -> tuple[DayCredit, ...]:
        """Under ``per_minute``: the days with credited minutes."""
        return tuple(day for day in self.service.days if day.credited_minutes > 0)

    @property
    def files(self) -> dict[str, str]:
        """The files of the claim, by role: ``markdown``, ``text``, ``requests``, ``report``."""
        return claim_files(self.name, self.label)


def claim_files(service: str, label: str) -> dict[str, str]:
    """The names of a claim's files (service names are safe in a file name: ``[A-Za-z0-9_.-]``)."""
    return {
        "markdown": f"claim-{service}-{label}.md",
        "text": f"claim-{service}-{label}.txt",
        "requests": "request-log.csv",
        "report": f"report-{label}.json",
    }


def credited(outage: OutageEvidence, service: ServiceReport) -> bool:
    """Whether the outage earned credit: creditable time under ``per_minute`` (time not covered
    by an accepted exclusion), counted downtime minutes under ``uptime_tiers``."""
    if service.contract.credit_policy is CreditPolicy.UPTIME_TIERS:
        return (outage.tier_minutes or 0) > 0
    return any(
        (piece.minutes or 0) > 0 or piece.unavailable > piece.excluded for piece in outage.days
    )


def _error(detail: str, service: ServiceConfig) -> str:
    """The detail as a row may quote it: secrets masked, on one line, bounded.

    Any URL it quotes (a redirect's, say) is shown as every URL is; then the secrets of every
    check of the service (URL credentials and query values, as written or decoded, and header
    values) are masked wherever they appear.
    """
    text = _URL.sub(lambda found: redact_url(found[0]), detail)
    for _, spec in service.checks():
        if isinstance(spec, HttpCheck):
            text = scrub_url_secrets(text, spec.url)
            for value in spec.headers.values():
                secret = value.get_secret_value()
                if secret:
                    text = text.replace(secret, MASK)
    text = " ".join(text.split())
    if len(text) > ERROR_LIMIT:
        text = text[: ERROR_LIMIT - 3] + "..."
    return text


def _within(outage: OutageEvidence, cutoff: datetime) -> Evidence:
    if outage.span.end <= cutoff:
        return Evidence.GONE
    if outage.span.start < cutoff:
        return Evidence.PARTLY_GONE
    return Evidence.HELD


def build_claim(
    report: Report,
    results: Iterable[ProbeResult],
    *,
    now: datetime,
    retention_days: int,
) -> Claim:
    """The claim of the report's one service, from ``results`` (any raw results: those that are
    no failed probe of a frontend check, from a vantage that agreed, within a credited outage,
    are left out)."""
    (service,) = report.services
    config: ServiceConfig = service.service
    checks = {f"{config.name}/{spec.name}": spec for spec in config.frontend}
    failed = [r for r in results if r.outcome is not Outcome.UP and r.check in checks]
    cutoff = now - timedelta(days=retention_days)
    incidents: list[Incident] = []
    for index, outage in enumerate(service.outages):
        if not credited(outage, service):
            continue
        agreed = set(outage.vantages)
        rows = {
            (r.started_at, r.vantage, r.check): Request(
                time=r.started_at,
                vantage=r.vantage,
                check=checks[r.check].name,
                target=checks[r.check].target,
                outcome=r.outcome.value,
                status=r.status,
                error=_error(r.detail, config),
                latency=r.latency,
            )
            for r in failed
            if r.vantage in agreed and outage.span.start <= r.started_at < outage.span.end
        }
        incidents.append(
            Incident(
                number=len(incidents) + 1,
                index=index,
                outage=outage,
                requests=tuple(rows[key] for key in sorted(rows)),
                evidence=_within(outage, cutoff),
            )
        )
    return Claim(
        report=report,
        service=service,
        incidents=tuple(incidents),
        deadline=claim_deadline(service.terms, report.year, report.month),
        now=now,
        retention_days=retention_days,
    )


async def read_claim(
    store: Store,
    settings: Settings,
    service: ServiceConfig,
    year: int,
    month: int,
    *,
    now: datetime,
) -> Claim:
    """The month's report of ``service`` and the failed requests of its credited outages, read
    from ``store``: for each, the results of each frontend check from each vantage that agreed,
    within the outage."""
    report = await build_report(store, settings, year, month, now=now, services=[service])
    (built,) = report.services
    results: list[ProbeResult] = []
    for outage in built.outages:
        if not credited(outage, built):
            continue
        for vantage in outage.vantages:
            for spec in service.frontend:
                results += await store.results(
                    start=outage.span.start,
                    end=outage.span.end,
                    check=f"{service.name}/{spec.name}",
                    vantage=vantage,
                )
    return build_claim(report, results, now=now, retention_days=settings.retention_days)

"""The measured case of a service: stored evidence in CREDIT-RULES.md's case format.

Outages are where the vantages' quorum saw the service down (:mod:`monitor.quorum`); gaps are
where no vantage measured it (a daemon not running, isolated, or every frontend check without a
fresh result), listed so that ``gap_policy: down`` can count them back in. Exclusions are those
in force (not revoked) overlapping the period; the credit engine decides which it accepts (C6).
Time after ``now`` is neither: it has not happened yet (the report marks such a month
provisional). An outage still open now ends now.

``slawatch export`` prints this case and ``slawatch report`` computes its credits from the very
same one, so the two always agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sla import Exclusion, ExclusionReason, Interval, IntervalSet, Period, day_span

from ..config.settings import ServiceConfig, Settings
from ..config.terms import ContractTerms
from ..evidence import ExclusionRecord
from ..quorum import UNCONFIRMED_NOTE, Verdict, service_verdict
from ..store.base import Store
from ..timefmt import format_instant
from .format import Case

__all__ = [
    "Measured",
    "case_to_json",
    "measure",
    "measured_case",
    "measured_verdict",
    "to_exclusion",
]


@dataclass(frozen=True, slots=True)
class Measured:
    """The case, with the verdict and the stored exclusions (revoked ones too) behind it."""

    case: Case
    verdict: Verdict
    exclusions: tuple[ExclusionRecord, ...]


def to_exclusion(record: ExclusionRecord) -> Exclusion:
    """A stored exclusion as the credit engine's value."""
    return Exclusion(
        Interval(record.start, record.end), ExclusionReason(record.reason), record.announced_at
    )


async def measured_verdict(
    store: Store,
    settings: Settings,
    service: ServiceConfig,
    *,
    first: date,
    last: date,
    now: datetime,
) -> Verdict:
    """The quorum's verdict on ``service`` over the local dates ``first`` to ``last``, to now."""
    zone = settings.contracts[service.contract].to_contract().timezone
    start = day_span(first, zone).start
    end = max(start, min(day_span(last, zone).end, now))
    return await service_verdict(store, service, Interval(start, end), now)


async def measured_case(
    store: Store,
    settings: Settings,
    service: ServiceConfig,
    *,
    first: date,
    last: date,
    now: datetime,
) -> Case:
    """Outages, gaps and exclusions of ``service`` over the local dates ``first`` to ``last``."""
    return (await measure(store, settings, service, first=first, last=last, now=now)).case


async def measure(
    store: Store,
    settings: Settings,
    service: ServiceConfig,
    *,
    first: date,
    last: date,
    now: datetime,
) -> Measured:
    """The measured case of ``service``, with its verdict and exclusion records."""
    verdict = await measured_verdict(store, settings, service, first=first, last=last, now=now)
    contract = settings.contracts[service.contract].to_contract()
    end = day_span(last, contract.timezone).end
    records = await store.exclusions(service=service.name, start=verdict.window.start, end=end)
    case = Case(
        contract=contract,
        period=Period(first, last),
        fees={},
        outages=verdict.outage,
        exclusions=tuple(to_exclusion(r) for r in records if r.revoked_at is None),
        gaps=verdict.gaps,
    )
    return Measured(case, verdict, tuple(records))


def case_to_json(
    case: Case, terms: ContractTerms, service: str, *, unconfirmed: IntervalSet = ()
) -> dict[str, Any]:
    """The case as CREDIT-RULES.md's JSON input, so ``slawatch credits -`` can read it back.

    ``meta.unconfirmed`` lists the outage time no independent reference confirms: still outage,
    said beside it (the credit engine ignores ``meta``).
    """

    def spans(items: tuple[Interval, ...]) -> list[dict[str, str]]:
        return [{"start": format_instant(i.start), "end": format_instant(i.end)} for i in items]

    return {
        "contract": terms.to_json(),
        "period": {"start": case.period.first.isoformat(), "end": case.period.last.isoformat()},
        "outages": spans(case.outages),
        "gaps": spans(case.gaps),
        "exclusions": [
            {
                "start": format_instant(e.span.start),
                "end": format_instant(e.span.end),
                "reason": e.reason.value,
                **(
                    {"announced_at": format_instant(e.announced_at)}
                    if e.announced_at is not None
                    else {}
                ),
            }
            for e in case.exclusions
        ],
        "meta": {
            "service": service,
            "source": "slawatch measured intervals",
            **(
                {"unconfirmed": spans(unconfirmed), "note": UNCONFIRMED_NOTE} if unconfirmed else {}
            ),
        },
    }

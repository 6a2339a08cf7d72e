"""The measured case of a service: stored evidence in CONTRACT.md's case format.

Outages are where the vantages' quorum saw the service down (:mod:`monitor.quorum`); gaps are
where no vantage measured it (a daemon not running, isolated, or every frontend check without a
fresh result), listed so that ``gap_policy: down`` can count them back in. Time after ``now`` is
neither: it has not happened yet (the report marks such a month provisional). An outage still
open now ends now.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sla import Interval, Period, day_span

from .case import Case, ContractTerms
from .config import ServiceConfig, Settings
from .quorum import Verdict, service_verdict
from .store.base import Store
from .timefmt import format_instant

__all__ = ["case_to_json", "measured_case", "measured_verdict"]


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
    """Outages and gaps of ``service`` over the local dates ``first`` to ``last``."""
    verdict = await measured_verdict(store, settings, service, first=first, last=last, now=now)
    return Case(
        contract=settings.contracts[service.contract].to_contract(),
        period=Period(first, last),
        fees={},
        outages=verdict.outage,
        exclusions=(),
        gaps=verdict.gaps,
    )


def case_to_json(case: Case, terms: ContractTerms, service: str) -> dict[str, Any]:
    """The case as CONTRACT.md's JSON input, so ``slawatch credits -`` can read it back."""

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
        "meta": {"service": service, "source": "slawatch measured intervals"},
    }

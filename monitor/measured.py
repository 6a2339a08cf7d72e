"""The measured case of a service: stored evidence in CONTRACT.md's case format.

Outages are the stored service-outage intervals, with time not measured (gaps) taken out of
them: an outage still open when the daemon stopped is not assumed to have lasted while nobody
looked. The gaps are listed beside them, so ``gap_policy: down`` can count them back in. An
outage still open now ends now (the report marks such a month provisional).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sla import Interval, Period, day_span, subtract, union

from .case import Case, ContractTerms
from .config import ServiceConfig, Settings
from .store.base import IntervalKind, IntervalRecord, Store
from .timefmt import format_instant

__all__ = ["case_to_json", "measured_case"]


def _span(record: IntervalRecord, start: datetime, end: datetime, now: datetime) -> Interval:
    stop = record.end if record.end is not None else now
    first = max(record.start, start)
    return Interval(first, max(min(stop, end), first))


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
    terms = settings.contracts[service.contract]
    contract = terms.to_contract()
    zone = contract.timezone
    start = day_span(first, zone).start
    end = day_span(last, zone).end
    outages = await store.intervals(
        start=start, end=end, kinds=[IntervalKind.OUTAGE], subject=service.name
    )
    gaps = await store.intervals(start=start, end=end, kinds=[IntervalKind.GAP], subject="*")
    gap_spans = union(_span(g, start, end, now) for g in gaps)
    outage_spans = subtract((_span(o, start, end, now) for o in outages), gap_spans)
    return Case(
        contract=contract,
        period=Period(first, last),
        fees={},
        outages=outage_spans,
        exclusions=(),
        gaps=gap_spans,
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

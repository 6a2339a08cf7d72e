"""The report as JSON (schema ``slawatch.report/1``, documented in the README), and the CSV rows.

The JSON is the complete report: every other format shows a part of it. Its per-day entries are
CREDIT-RULES.md's output fields (``slawatch credits``), with ``fee_source`` and the day's
``measured_seconds`` beside them. Money is a string with exactly the currency's minor units;
durations are seconds, exact to the microsecond; instants are RFC 3339 UTC.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any, Final

from sla import (
    CLAUSES,
    CreditPolicy,
    Interval,
    MonthCredit,
    Tier,
    day_to_json,
    format_money,
    format_percent,
    month_to_json,
    plain_decimal,
    round_half_up,
    total,
)

from ..annotations.exclusions import exclusion_to_json
from ..annotations.notices import notice_to_json
from ..durations import format_duration
from ..evidence import IntervalRecord
from ..quorum import UNCONFIRMED_NOTE
from ..timefmt import format_instant
from .model import OutageEvidence, Report, ServiceReport

__all__ = [
    "CSV_COLUMNS",
    "METHOD",
    "SCHEMA",
    "TIER_METHOD",
    "availability_base",
    "availability_percent",
    "method",
    "render_csv",
    "report_to_json",
    "service_to_json",
    "tier_summary",
    "tier_to_json",
]

SCHEMA: Final = "slawatch.report/1"

#: How the figures are computed, in words, with the clause each rule comes from.
METHOD: Final = (
    "A local day of the contract's time zone is the unit (C1, C2, C7): each day is computed and "
    "capped alone; nothing carries into the next day.",
    "The service is unavailable where every frontend check (page, download, stream) is "
    "confirmed down (C1, C3), as agreed by the quorum of vantages with fresh data; some checks "
    "down is degraded, reported and not credited.",
    "Time no vantage measured is a gap; the contract's gap_policy decides whether it counts.",
    "Exclusions for force majeure, the customer or a third party remove their time (C5); a "
    "maintenance does only when announced maintenance_notice_hours ahead, and only for its first "
    "maintenance_max_minutes (C6).",
    "Creditable time is rounded up to whole minutes by the contract's rounding (C1).",
    "credit = min(fee, minutes x fee x credit_multiplier / minutes_in_day), exact, rounded once "
    "to the currency's minor units, half up (C1, C2).",
    "Provider notices change no credit. A notice answers the latest outage that started before "
    "it (allowing 15 minutes for the provider's clocks) if it came within 24 h of that outage's "
    "end; an outage without one was never notified (C4: immediate notice of a whole-service "
    "failure).",
)

#: The same under ``uptime_tiers``: the month is the unit, and a tier gives the credit.
TIER_METHOD: Final = (
    "A local calendar month of the contract's time zone is the unit, DST-aware; the credit is a "
    "percentage of the month's charge.",
    METHOD[1],
    METHOD[2],
    METHOD[3],
    "Creditable time is split into stretches; a stretch shorter than min_downtime_minutes counts "
    "nothing. Downtime minutes are the UTC clock minutes holding any creditable time "
    "(clock_minute) or each stretch's whole minutes (whole_minutes).",
    "uptime = 100 x (minutes_in_month - downtime_minutes) / minutes_in_month, exact; the credit "
    "percentage is the largest tier percentage whose threshold is above it, capped at "
    "max_credit_percent; credit = charge x percentage / 100, rounded once, half up.",
    METHOD[6],
)

#: What each field of an ``uptime_tiers`` month comes from.
TIER_FIELDS: Final = {
    "month": "a local calendar month of the contract's time zone",
    "minutes_in_month": "the month's length in its time zone, DST-aware",
    "charge": "the month's actual charge (fees), else monthly_fee",
    "unavailable_seconds": "C1, C3: whole-service downtime (gaps too, with gap_policy down)",
    "excluded_seconds": "C5, C6: unavailable time covered by an accepted exclusion",
    "downtime_minutes": "creditable stretches at least min_downtime_minutes long, in minutes",
    "uptime_percent": "100 x (minutes_in_month - downtime_minutes) / minutes_in_month",
    "credit_percent": "the largest tier percentage whose threshold exceeds the uptime, capped",
    "credit": "charge x credit_percent / 100, rounded once, half up",
}


def method(service: ServiceReport) -> tuple[tuple[str, ...], dict[str, str]]:
    """The rules in words and the meaning of each figure, for the service's credit policy."""
    if service.contract.credit_policy is CreditPolicy.UPTIME_TIERS:
        return TIER_METHOD, dict(TIER_FIELDS)
    return METHOD, dict(CLAUSES)


def tier_to_json(month: MonthCredit, units: int) -> dict[str, Any]:
    """An ``uptime_tiers`` month: CREDIT-RULES.md's output fields, the tier applied, the next
    tier and the downtime minutes left before it applies."""

    def tier(value: Tier | None) -> dict[str, str] | None:
        if value is None:
            return None
        return {"below": plain_decimal(value.below), "percent": plain_decimal(value.percent)}

    return {
        **month_to_json(month, units),
        "charge_source": "fees" if month.charge_from_fees else "monthly_fee",
        "tier": tier(month.tier),
        "capped": month.capped,
        "next_tier": tier(month.next_tier),
        "minutes_to_next_tier": month.minutes_to_next_tier(),
    }


def tier_summary(month: MonthCredit, units: int, currency: str) -> list[tuple[str, str]]:
    """An ``uptime_tiers`` month in words, as (label, value) pairs every format shows alike."""
    uptime = format_percent(month.uptime_percent)
    minutes = _minutes(month.minutes_in_month)
    applied = (
        "none: uptime at or above every tier"
        if month.tier is None
        else f"uptime below {plain_decimal(month.tier.below)} %:"
        f" {plain_decimal(month.tier.percent)} % of the charge"
    )
    charge = format_money(month.charge, units)
    source = "the month's actual charge" if month.charge_from_fees else "monthly_fee"
    capped = " (capped at max_credit_percent)" if month.capped else ""
    credit = (
        f"{plain_decimal(month.credit_percent)} % of {charge} {currency} ({source})"
        f" = {format_money(month.credit, units)} {currency}{capped}"
    )
    upcoming = month.next_tier
    left = month.minutes_to_next_tier()
    following = (
        "none: no tier would raise the credit"
        if upcoming is None or left is None
        else f"uptime below {plain_decimal(upcoming.below)} %:"
        f" {plain_decimal(min(upcoming.percent, month.cap))} %, after {left} more"
        f" downtime minute{'s' if left != 1 else ''} this month"
    )
    return [
        ("Monthly uptime", f"{uptime} % ({month.downtime_minutes} downtime minutes of {minutes})"),
        ("Tier applied", applied),
        ("Credit", credit),
        ("Next tier", following),
    ]


def _minutes(value: Fraction) -> str:
    return f"{value.numerator:,}" if value.denominator == 1 else f"{float(value):,.2f}"


#: One row per service and day, for billing systems.
CSV_COLUMNS: Final = (
    "service",
    "date",
    "currency",
    "fee",
    "fee_source",
    "minutes_in_day",
    "unavailable_seconds",
    "excluded_seconds",
    "credited_minutes",
    "credit",
    "capped",
    "provisional",
    "measured_seconds",
    "unconfirmed_seconds",
)


def _instant(value: datetime | None) -> str | None:
    return None if value is None else format_instant(value)


def _span(span: Interval) -> dict[str, str]:
    return {"start": format_instant(span.start), "end": format_instant(span.end)}


def _seconds(delta: timedelta) -> float:
    return delta.total_seconds()


def availability_percent(service: ServiceReport) -> str | None:
    """Availability as a percentage with four decimals, rounded half up; None without data."""
    value = service.availability
    if value is None:
        return None
    return str(round_half_up(value * 100, 4))


def availability_base(service: ServiceReport) -> str:
    """What availability is a share of, in words: the time measured, out of the month so far.

    An early month mostly unmeasured must not read as a share of the month: "80.7700 %" of a
    few hours measured says so beside it.
    """
    month = format_duration(service.month.duration)
    of = (
        f"the first {format_duration(service.elapsed)} of the month's {month}"
        if service.provisional
        else f"the month's {month}"
    )
    if not service.has_data:
        return f"nothing measured of {of}"
    measured = format_duration(service.measured)
    if not service.not_measured:
        return f"over the {measured} measured: all of {of}"
    unmeasured = format_duration(service.not_measured)
    return f"over the {measured} measured, of {of}; {unmeasured} not measured"


def _outage(outage: OutageEvidence, units: int) -> dict[str, Any]:
    return {
        **_span(outage.span),
        "duration_seconds": _seconds(outage.span.duration),
        "ongoing": outage.ongoing,
        "vantages": list(outage.vantages),
        "sightings": [
            {
                "vantage": s.vantage,
                "start": format_instant(s.start),
                "start_bound": _instant(s.start_bound),
                "end": _instant(s.end),
                "end_bound": _instant(s.end_bound),
            }
            for s in outage.sightings
        ],
        "checks": outage.checks,
        "unconfirmed": None
        if not outage.unconfirmed
        else {
            "seconds": _seconds(total(outage.unconfirmed)),
            "intervals": [_span(u) for u in outage.unconfirmed],
            "note": UNCONFIRMED_NOTE,
        },
        "tier_minutes": outage.tier_minutes,
        "too_short": [_span(piece) for piece in outage.too_short],
        "days": [
            {
                "date": piece.date.isoformat(),
                "unavailable_seconds": _seconds(piece.unavailable),
                "excluded_seconds": _seconds(piece.excluded),
                "credited_minutes": piece.minutes,
                "credit": None if piece.credit is None else format_money(piece.credit, units),
            }
            for piece in outage.days
        ],
        "notice": None
        if outage.notice is None or outage.time_to_notice is None
        else {
            "id": outage.notice.id,
            "at": format_instant(outage.notice.at),
            "ref": outage.notice.ref,
            "added_by": outage.notice.added_by,
            "added_at": format_instant(outage.notice.added_at),
            "time_to_notice_seconds": _seconds(outage.time_to_notice),
        },
    }


def _failover(record: IntervalRecord) -> dict[str, Any]:
    """A failover event: which node, seen by which vantage, the verdict and its figures."""
    detail = dict(record.detail)
    return {
        "vantage": record.vantage,
        "node": record.subject.partition("/")[2],
        "start": format_instant(record.start),
        "end": _instant(record.end),
        "verdict": detail.pop("verdict", None),
        "reasons": detail.pop("reasons", []),
        "figures": detail,
    }


def service_to_json(service: ServiceReport) -> dict[str, Any]:
    """One service's part of the report."""
    credits = service.credits
    units = credits.minor_units
    rules, fields = method(service)
    return {
        "service": service.service.name,
        "contract_name": service.service.contract,
        "contract": service.terms.to_json(),
        "quorum": service.service.quorum,
        "period": {"start": service.first.isoformat(), "end": service.last.isoformat()},
        "month": _span(service.month),
        "measured_until": format_instant(service.window.end),
        "provisional": service.provisional,
        "has_data": service.has_data,
        "summary": {
            "credit_policy": service.contract.credit_policy.value,
            "currency": credits.currency,
            "total_credit": format_money(credits.total_credit, units),
            "credited_minutes": service.credited_minutes,
            "days_capped": service.days_capped,
            "outages": len(service.outages),
            "outages_not_notified": service.outages_not_notified,
            "failover_events": len(service.failovers),
            "failovers_breached": sum(
                1 for r in service.failovers if r.detail.get("verdict") == "breached"
            ),
            "unavailable_seconds": _seconds(service.unavailable),
            "measured_seconds": _seconds(service.measured),
            "gap_seconds": _seconds(total(service.gaps)),
            "elapsed_seconds": _seconds(service.elapsed),
            "month_seconds": _seconds(service.month.duration),
            "availability_percent": availability_percent(service),
        },
        "days": [
            {
                **day_to_json(day, units),
                "fee_source": day.fee_source.value,
                "measured_seconds": _seconds(service.measured_on(day.date)),
            }
            for day in service.days
        ],
        "uptime": None if service.tier is None else tier_to_json(service.tier, units),
        "outages": [_outage(o, units) for o in service.outages],
        "exclusions": [
            {
                **exclusion_to_json(view.record),
                "status": view.status,
                "explanation": view.explanation,
                "applied": None if view.applied is None else _span(view.applied),
                "excluded_seconds": _seconds(view.excluded),
            }
            for view in service.exclusions
        ],
        "notices": [
            {**notice_to_json(view.record), "outage_start": _instant(view.outage_start)}
            for view in service.notices
        ],
        "gaps": {
            "policy": service.contract.gap_policy.value,
            "intervals": [_span(g) for g in service.gaps],
        },
        "degraded": [
            {
                "vantage": r.vantage,
                "start": format_instant(r.start),
                "end": _instant(r.end),
                "checks_down": list(r.detail.get("checks_down", [])),
            }
            for r in service.degraded
        ],
        "vantages": {name: _seconds(t) for name, t in sorted(service.vantages.items())},
        "failover_events": [_failover(r) for r in service.failovers],
        "method": {"rules": list(rules), "clauses": fields},
    }


def report_to_json(report: Report) -> dict[str, Any]:
    """The whole report."""
    return {
        "schema": SCHEMA,
        "month": report.label,
        "generated_at": format_instant(report.generated_at),
        "provisional": report.provisional,
        "services": [service_to_json(s) for s in report.services],
    }


def render_csv(report: Report) -> str:
    """One row per service and day (RFC 4180, a header row first); under ``uptime_tiers``, one
    row for the service's month: ``date`` is ``YYYY-MM``, ``fee`` the month's charge,
    ``minutes_in_day`` the month's minutes and ``credited_minutes`` its downtime minutes."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for service in report.services:
        units = service.credits.minor_units
        for day in service.days:
            fields = day_to_json(day, units)
            writer.writerow(
                (
                    service.service.name,
                    fields["date"],
                    service.credits.currency,
                    fields["fee"],
                    day.fee_source.value,
                    fields["minutes_in_day"],
                    fields["unavailable_seconds"],
                    fields["excluded_seconds"],
                    fields["credited_minutes"],
                    fields["credit"],
                    "true" if day.capped else "false",
                    "true" if service.provisional else "false",
                    _seconds(service.measured_on(day.date)),
                    _seconds(service.unconfirmed_on(day.date)),
                )
            )
        month = service.tier
        if month is not None:
            entry = month_to_json(month, units)
            unconfirmed = total(u for o in service.outages for u in o.unconfirmed)
            writer.writerow(
                (
                    service.service.name,
                    entry["month"],
                    service.credits.currency,
                    entry["charge"],
                    "fees" if month.charge_from_fees else "monthly_fee",
                    entry["minutes_in_month"],
                    entry["unavailable_seconds"],
                    entry["excluded_seconds"],
                    entry["downtime_minutes"],
                    entry["credit"],
                    "true" if month.capped else "false",
                    "true" if service.provisional else "false",
                    _seconds(service.measured),
                    _seconds(unconfirmed),
                )
            )
    return out.getvalue()

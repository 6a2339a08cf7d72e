"""The report as Markdown, for tickets: the same figures as the JSON, as tables and lists.

Text from the configuration or from people (names, notes) is escaped so that it cannot break a
table or inject markup; instants are shown in the contract's local time with their UTC offset.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, tzinfo

from sla import MonthCredit, Tier, format_money, plain_decimal, total

from ..durations import DURATION_RULE
from ..durations import format_duration as _duration
from ..quorum import UNCONFIRMED_NOTE
from ..timefmt import format_instant
from .data import availability_base, availability_percent, method, tier_summary
from .model import OutageEvidence, Report, ServiceReport

__all__ = ["render_markdown"]

# What can start emphasis, code, links, HTML or a table cell anywhere in a line.
_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|~])")


def _text(value: object) -> str:
    """Plain text made inert in Markdown (and in the HTML a Markdown viewer produces)."""
    return _SPECIAL.sub(r"\\\1", " ".join(str(value).split()))


def _local(instant: datetime | None, zone: tzinfo) -> str:
    if instant is None:
        return "open"
    return instant.astimezone(zone).isoformat(sep=" ", timespec="seconds")


def _seconds(value: object) -> str:
    """A figure stored in seconds (a failover's), as a duration."""
    return _duration(timedelta(seconds=float(str(value))))


def _summary(service: ServiceReport) -> list[str]:
    credits = service.credits
    units = credits.minor_units
    availability = availability_percent(service)
    tier = service.tier
    minutes = (
        [f"| Downtime minutes credited | {service.credited_minutes} |"]
        if tier is None
        else [
            f"| {label} | {_text(value)} |"
            for label, value in tier_summary(tier, units, credits.currency)
        ]
    )
    capped = [f"| Days capped at the day's fee | {service.days_capped} |"] if tier is None else []
    return [
        "| | |",
        "|---|---:|",
        f"| Credit owed | **{format_money(credits.total_credit, units)} {credits.currency}** |",
        *minutes,
        f"| Availability | {availability + ' %' if availability else 'n/a'}"
        f" ({availability_base(service)}) |",
        f"| Outages | {len(service.outages)} |",
        f"| Outages never notified | {service.outages_not_notified}"
        " (C4: immediate notice of a whole-service failure) |",
        *capped,
        f"| Time measured | {_duration(service.measured)} of {_duration(service.elapsed)} |",
        f"| Time not measured (gaps) | {_duration(service.not_measured)} |",
    ]


def _days(service: ServiceReport) -> list[str]:
    units = service.credits.minor_units
    lines = [
        "| date | fee | unavailable | excluded | credited min | credit | capped |",
        "|---|---:|---:|---:|---:|---:|:---:|",
    ]
    for day in service.days:
        lines.append(
            f"| {day.date.isoformat()} | {format_money(day.fee, units)}"
            f" | {_duration(day.unavailable)} | {_duration(day.excluded)}"
            f" | {day.credited_minutes} | {format_money(day.credit, units)}"
            f" | {'yes' if day.capped else ''} |"
        )
    lines.append(
        f"| **total** | | | | **{service.credited_minutes}**"
        f" | **{format_money(service.credits.total_credit, units)}** | |"
    )
    return lines


def _tiers(tiers: tuple[Tier, ...], month: MonthCredit) -> list[str]:
    """The contract's tiers, the one applied and the next marked."""
    lines = ["| uptime below | credit | |", "|---:|---:|---|"]
    for tier in sorted(tiers, key=lambda t: (-t.below, t.percent)):
        mark = "**applied**" if tier == month.tier else ("next" if tier == month.next_tier else "")
        lines.append(
            f"| {plain_decimal(tier.below)} % | {plain_decimal(tier.percent)} % | {mark} |"
        )
    return lines


def _outages(service: ServiceReport) -> list[str]:
    zone = service.contract.timezone
    units = service.credits.minor_units
    if not service.outages:
        return ["No whole-service outage was measured."]
    lines: list[str] = []
    for number, outage in enumerate(service.outages, start=1):
        span = outage.span
        ongoing = " (still going on)" if outage.ongoing else ""
        lines += [
            f"#### Outage {number}: {_local(span.start, zone)} to {_local(span.end, zone)}"
            f"{ongoing}",
            "",
            f"- Duration: {_duration(span.duration)}; UTC {format_instant(span.start)} to"
            f" {format_instant(span.end)}",
            f"- Vantages that saw it: {', '.join(_text(v) for v in outage.vantages)}",
            f"- Provider notice: {_notice(outage, zone)}",
        ]
        if outage.unconfirmed:
            lines.append(
                f"- **Unconfirmed** for {_duration(total(outage.unconfirmed))} of it:"
                f" {UNCONFIRMED_NOTE} (still counted as outage)"
            )
        for sight in outage.sightings:
            lines.append(
                f"- {_text(sight.vantage)}: down from {_local(sight.start, zone)}"
                f" (last success {_local(sight.start_bound, zone)})"
                f" to {_local(sight.end, zone)} (last failure {_local(sight.end_bound, zone)})"
            )
        for check, outcomes in outage.checks.items():
            counted = ", ".join(f"{count} {_text(name)}" for name, count in outcomes.items())
            lines.append(f"- Check {_text(check)} failed: {counted}")
        if outage.tier_minutes is not None:
            short = total(outage.too_short)
            lines.append(
                f"- Downtime minutes toward the month's uptime: {outage.tier_minutes}"
                + (
                    f"; {_duration(short)} too short to count (min_downtime_minutes)"
                    if short
                    else ""
                )
            )
        for piece in outage.days:
            earned = ""
            if piece.minutes is not None and piece.credit is not None:
                earned = (
                    f", {piece.minutes} min credited,"
                    f" {format_money(piece.credit, units)} before the day's cap"
                )
            lines.append(
                f"- {piece.date.isoformat()}: {_duration(piece.unavailable)} unavailable,"
                f" {_duration(piece.excluded)} excluded{earned}"
            )
        lines.append("")
    return lines


def _notice(outage: OutageEvidence, zone: tzinfo) -> str:
    notice, delay = outage.notice, outage.time_to_notice
    if notice is None or delay is None:
        return "**not notified** (C4: immediate notice of a whole-service failure)"
    when = (
        f"{_duration(delay)} after its start"
        if delay >= timedelta(0)
        else f"{_duration(-delay)} before its start"
    )
    return (
        f"{_local(notice.at, zone)}, {when}: {_text(notice.ref)}"
        f" (#{notice.id}, recorded by {_text(notice.added_by)})"
    )


def _notices(service: ServiceReport) -> list[str]:
    zone = service.contract.timezone
    if not service.notices:
        return ["No notice from the provider was recorded for this month."]
    lines = [
        "| # | given | reference | added | answers the outage of | status |",
        "|---|---|---|---|---|---|",
    ]
    for view in service.notices:
        r = view.record
        answers = "none" if view.outage_start is None else _local(view.outage_start, zone)
        status = "valid"
        if r.revoked_at is not None:
            status = (
                f"revoked by {_text(r.revoked_by)} at {_local(r.revoked_at, zone)}:"
                f" {_text(r.revoke_note)}"
            )
        lines.append(
            f"| {r.id} | {_local(r.at, zone)} | {_text(r.ref)}"
            f" | {_text(r.added_by)}, {_local(r.added_at, zone)} | {answers} | {status} |"
        )
    return lines


def _exclusions(service: ServiceReport) -> list[str]:
    zone = service.contract.timezone
    if not service.exclusions:
        return ["No exclusion was entered for this month."]
    lines = [
        "| # | period | reason | announced | note | added | decision | excluded |",
        "|---|---|---|---|---|---|---|---:|",
    ]
    for view in service.exclusions:
        r = view.record
        status = _text(view.explanation)
        if r.revoked_at is not None:
            status = (
                f"revoked by {_text(r.revoked_by)} at {_local(r.revoked_at, zone)}:"
                f" {_text(r.revoke_note)} (not applied)"
            )
        lines.append(
            f"| {r.id} | {_local(r.start, zone)} to {_local(r.end, zone)} | {_text(r.reason)}"
            f" | {_local(r.announced_at, zone) if r.announced_at else 'never'}"
            f" | {_text(r.note)} | {_text(r.added_by)}, {_local(r.added_at, zone)}"
            f" | {status} | {_duration(view.excluded)} |"
        )
    return lines


def _gaps_and_degraded(service: ServiceReport) -> list[str]:
    zone = service.contract.timezone
    policy = service.contract.gap_policy.value
    meaning = (
        "not counted as downtime (shown only)" if policy == "exclude" else "counted as downtime"
    )
    lines = [f"Gap policy: `{policy}`: time not measured is {meaning}.", ""]
    if service.gaps:
        lines += [
            f"- {_local(g.start, zone)} to {_local(g.end, zone)} ({_duration(g.duration)})"
            for g in service.gaps
        ]
    else:
        lines.append("Every moment of the month so far was measured by at least one vantage.")
    lines += ["", "Degraded periods (some frontend checks down; reported, not credited):", ""]
    if service.degraded:
        for record in service.degraded:
            down = ", ".join(_text(c) for c in record.detail.get("checks_down", []))
            lines.append(
                f"- {_text(record.vantage)}: {_local(record.start, zone)} to"
                f" {_local(record.end, zone)} ({down})"
            )
    else:
        lines.append("None.")
    lines += [
        "",
        "Failover events (a node down while others served; C4: replaced automatically through"
        " the load balancers; reported, not credited):",
        "",
        *_failovers(service),
    ]
    return lines


def _failovers(service: ServiceReport) -> list[str]:
    zone = service.contract.timezone
    if not service.failovers:
        return ["None."]
    lines = [
        "| node | vantage | from | capacity back | verdict | frontend failures | frontend down"
        " | DNS removed after | back by |",
        "|---|---|---|---|---|---:|---:|---:|---|",
    ]
    for record in service.failovers:
        d = record.detail
        dns = d.get("dns") or {}
        removed = dns.get("removed_after_seconds")
        verdict = str(d.get("verdict", ""))
        if d.get("reasons"):
            verdict += ": " + "; ".join(str(r) for r in d["reasons"])
        lines.append(
            f"| {_text(record.subject.partition('/')[2])} | {_text(record.vantage)}"
            f" | {_local(record.start, zone)} | {_local(record.end, zone)} | {_text(verdict)}"
            f" | {d.get('frontend_failures', '')} | {_seconds(d.get('frontend_outage_seconds', 0))}"
            f" | {'' if removed is None else _seconds(removed)}"
            f" | {_text(d.get('capacity_back_by') or '')} |"
        )
    return lines


def _method(service: ServiceReport) -> list[str]:
    terms = ", ".join(f"{k} `{v}`" for k, v in service.terms.to_json().items())
    lines = [
        f"Contract `{_text(service.service.contract)}`: {terms}.",
        f"Quorum of vantages: `{service.service.quorum}`.",
        "",
    ]
    rules, fields = method(service)
    lines += [f"- {rule}" for rule in rules]
    lines += ["", "| figure | clause |", "|---|---|"]
    lines += [f"| {field} | {clause} |" for field, clause in fields.items()]
    return lines


def _service(service: ServiceReport, label: str) -> list[str]:
    lines = [f"## {_text(service.service.name)}: {label}", ""]
    if service.provisional:
        lines += [
            f"> **Provisional**: the month is not over; measured until"
            f" {_local(service.window.end, service.contract.timezone)}.",
            "",
        ]
    if not service.has_data:
        lines += ["> **No data**: no vantage measured this service in this month.", ""]
    tier, tiers = service.tier, service.contract.tiers
    sections = (
        ("Summary", _summary(service)),
        ("Days", _days(service)) if tier is None else ("Uptime tiers", _tiers(tiers, tier)),
        ("Outages and their evidence", _outages(service)),
        ("Exclusions", _exclusions(service)),
        ("Provider notices (C4)", _notices(service)),
        ("Gaps, degraded periods, failover", _gaps_and_degraded(service)),
        ("How the numbers were computed", _method(service)),
    )
    for title, body in sections:
        lines += [f"### {title}", "", *body, ""]
    return lines


def render_markdown(report: Report) -> str:
    """The whole report."""
    lines = [f"# SLA credit report {report.label}", ""]
    if report.provisional:
        lines += ["**Provisional**: this month is still in progress.", ""]
    lines += [f"Generated {format_instant(report.generated_at)} by slawatch. {DURATION_RULE}", ""]
    for service in report.services:
        lines += _service(service, report.label)
    return "\n".join(lines).rstrip("\n") + "\n"

"""The claim letter, addressed to the provider's support: Markdown (for a ticket) and plain text
(for a mail), the same words in both.

Short and factual: what is claimed and under which terms, each credited incident with its local
and UTC times and what it earned, how the total was computed, what is attached, the deadline to
file, and the evidence held. Every figure is the report's (:mod:`monitor.report.data` formats
them alike), so the letter and ``report-YYYY-MM.json`` cannot disagree.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Protocol

from sla import CreditPolicy, GapPolicy, format_money, plain_decimal, total

from ..durations import format_duration
from ..quorum import UNCONFIRMED_NOTE
from ..report.data import SCHEMA, tier_summary
from ..timefmt import format_instant
from .deadline import Standing
from .model import Claim, Evidence, Incident

__all__ = ["render_markdown", "render_text"]

# What can start emphasis, code, links, HTML or a table cell anywhere in a line.
_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|~#])")


class _Style(Protocol):
    """How the letter's parts are written in one format."""

    def text(self, value: object) -> str:
        """Text from the configuration or the store, made inert."""
        ...

    def code(self, value: str) -> str:
        """A field name or a value written as in the configuration."""
        ...

    def strong(self, value: str) -> str:
        """What the reader must not miss."""
        ...

    def heading(self, level: int, title: str) -> list[str]:
        """A heading of ``level`` (1 or 2), and a blank line after it."""
        ...

    def table(self, header: list[str], rows: list[list[str]], right: set[int]) -> list[str]:
        """A table; the columns in ``right`` are numbers, aligned right."""
        ...


class _Markdown:
    def text(self, value: object) -> str:
        return _SPECIAL.sub(r"\\\1", " ".join(str(value).split()))

    def code(self, value: str) -> str:
        return f"`{value}`"

    def strong(self, value: str) -> str:
        return f"**{value}**"

    def heading(self, level: int, title: str) -> list[str]:
        return [f"{'#' * level} {title}", ""]

    def table(self, header: list[str], rows: list[list[str]], right: set[int]) -> list[str]:
        rule = ["---:" if i in right else "---" for i in range(len(header))]
        return [f"| {' | '.join(line)} |" for line in (header, rule, *rows)]


class _Text:
    def text(self, value: object) -> str:
        return " ".join(str(value).split())

    def code(self, value: str) -> str:
        return value

    def strong(self, value: str) -> str:
        return value

    def heading(self, level: int, title: str) -> list[str]:
        return [title, ("=" if level == 1 else "-") * len(title), ""]

    def table(self, header: list[str], rows: list[list[str]], right: set[int]) -> list[str]:
        widths = [max(len(line[i]) for line in (header, *rows)) for i in range(len(header))]

        def row(line: list[str]) -> str:
            cells = [
                cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
                for i, cell in enumerate(line)
            ]
            return "  ".join(cells).rstrip()

        return [row(header), row(["-" * w for w in widths]), *(row(line) for line in rows)]


def _local(instant: datetime, zone: tzinfo) -> str:
    return instant.astimezone(zone).isoformat(sep=" ", timespec="seconds")


def _money(claim: Claim, amount: Decimal) -> str:
    credits = claim.service.credits
    return f"{format_money(amount, credits.minor_units)} {credits.currency}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _opening(claim: Claim, s: _Style) -> list[str]:
    service = claim.service
    zone = service.contract.timezone
    month = service.month
    count = len(claim.incidents)
    found = (
        f"in the {_plural(count, 'incident')} below"
        if count
        else "in no whole-service incident; the credit is for time not measured (below)"
    )
    return [
        "Dear support team,",
        "",
        f"We claim a service credit of {s.strong(_money(claim, claim.total_credit))} for the"
        f" service {s.text(claim.name)} (contract {s.text(service.service.contract)}) for"
        f" {claim.label}: the calendar month of {s.text(zone)}, from {_local(month.start, zone)}"
        f" to {_local(month.end, zone)} ({format_instant(month.start)} to"
        f" {format_instant(month.end)}).",
        "",
        f"We measure the service from outside, from {_plural(len(service.vantages), 'vantage')}."
        " It is unavailable where every one of its frontend checks fails, as agreed by the"
        " vantages under the quorum rule"
        f" {s.code(str(service.service.quorum))}. It was unavailable {found}.",
        "",
    ]


def _terms(claim: Claim, s: _Style) -> list[str]:
    service = claim.service
    contract = service.contract
    lines = s.heading(2, "Contract terms")
    if contract.credit_policy is CreditPolicy.UPTIME_TIERS:
        month = service.tier
        lines.append(
            f"- Credit policy: {s.code('uptime_tiers')}: a percentage of the month's charge, by"
            " the month's uptime"
        )
        if month is not None:
            source = (
                "the month's actual charge" if month.charge_from_fees else s.code("monthly_fee")
            )
            lines.append(f"- Charge for the month: {_money(claim, month.charge)} ({source})")
        tiers = "; ".join(
            f"uptime below {plain_decimal(t.below)} %: {plain_decimal(t.percent)} % of the charge"
            for t in sorted(contract.tiers, key=lambda t: (-t.below, t.percent))
        )
        lines.append(f"- Tiers: {tiers}")
    else:
        lines.append(
            f"- Credit policy: {s.code('per_minute')}: a credit for each minute the service is"
            " unavailable, per local day"
        )
        if contract.daily_fee is not None:
            lines.append(f"- Fee: {s.code('daily_fee')} {_money(claim, contract.daily_fee)} a day")
        elif contract.monthly_fee is not None:
            lines.append(
                f"- Fee: {s.code('monthly_fee')} {_money(claim, contract.monthly_fee)} a month,"
                " divided by the days of the month"
            )
        lines.append(
            f"- Rounding: {s.code(contract.rounding.value)}; credit multiplier"
            f" {plain_decimal(contract.credit_multiplier)}"
        )
    lines += [f"- Time zone of days and months: {s.text(contract.timezone)}", ""]
    return lines


def _incident(claim: Claim, incident: Incident, s: _Style) -> list[str]:
    service = claim.service
    zone = service.contract.timezone
    outage = incident.outage
    span = outage.span
    lines = s.heading(
        2,
        f"Incident {incident.number}: {_local(span.start, zone)} to {_local(span.end, zone)}",
    )
    lines += [
        f"- Start: {format_instant(span.start)} (UTC); {_local(span.start, zone)} ({s.text(zone)})",
        f"- End: {format_instant(span.end)} (UTC); {_local(span.end, zone)} ({s.text(zone)})",
        f"- Duration: {format_duration(span.duration)}",
        f"- Seen down by: {', '.join(s.text(v) for v in outage.vantages)}"
        f" (outage {incident.index + 1} of the attached report)",
    ]
    if outage.unconfirmed:
        lines.append(
            f"- {s.strong('Unconfirmed')} for {format_duration(total(outage.unconfirmed))} of it:"
            f" {UNCONFIRMED_NOTE} (still counted as outage)"
        )
    if outage.tier_minutes is not None:
        short = total(outage.too_short)
        lines.append(
            f"- Downtime minutes toward the month's uptime: {outage.tier_minutes}"
            + (
                f"; {format_duration(short)} too short to count ({s.code('min_downtime_minutes')})"
                if short
                else ""
            )
        )
    for piece in outage.days:
        excluded = (
            f", {format_duration(piece.excluded)} excluded by an accepted exclusion"
            if piece.excluded
            else ""
        )
        earned = ""
        if piece.minutes is not None and piece.credit is not None:
            earned = (
                f": {_plural(piece.minutes, 'minute')} credited,"
                f" {_money(claim, piece.credit)} before the day's cap"
            )
        elif service.contract.credit_policy is CreditPolicy.PER_MINUTE:
            earned = ": credited in the day's total below"
        lines.append(
            f"- {piece.date.isoformat()}: {format_duration(piece.unavailable)} unavailable"
            f"{excluded}{earned}"
        )
    return [*lines, ""]


def _held(claim: Claim, incident: Incident, s: _Style) -> str:
    requests = claim.files["requests"]
    by_vantage = ", ".join(
        f"{s.text(v)}: {count}" for v, count in incident.requests_by_vantage().items()
    )
    held = f"{_plural(len(incident.requests), 'failed request')} in {requests} ({by_vantage})"
    if incident.evidence is Evidence.HELD:
        return held
    gone = (
        "this incident ended before then: its request log is incomplete or empty"
        if incident.evidence is Evidence.GONE
        else "this incident began before then: its request log may lack its first part"
    )
    counted = "; ".join(
        f"{s.text(check)}: "
        + ", ".join(f"{count} {s.text(outcome)}" for outcome, count in outcomes.items())
        for check, outcomes in incident.outage.checks.items()
    )
    cutoff = format_instant(claim.cutoff.replace(microsecond=0))
    return (
        f"{held}. Raw results are kept {claim.retention_days} days ({s.code('retention_days')}),"
        f" none from before {cutoff}; {gone}. The stored intervals, kept for good, still count"
        f" its failed probes by check and outcome: {counted or 'none recorded'}."
    )


def _computation(claim: Claim, s: _Style) -> list[str]:
    service = claim.service
    credits = service.credits
    lines = s.heading(2, "How the credit was computed")
    month = service.tier
    if month is not None:
        lines.append(
            "The month is the unit: uptime = 100 x (minutes in the month - downtime minutes) /"
            " minutes in the month, exact; the tier is the largest percentage whose threshold"
            " is above it; credit = charge x percentage / 100, rounded half up."
        )
        lines.append("")
        summary = tier_summary(month, credits.minor_units, credits.currency)
        lines += [f"- {label}: {s.text(value)}" for label, value in summary if label != "Next tier"]
    else:
        multiplier = plain_decimal(service.contract.credit_multiplier)
        lines.append(
            "Each local day is computed on its own: credit = min(fee, credited minutes x fee x"
            f" {multiplier} / minutes in the day), rounded half up to the currency's minor"
            " units; a day whose credit reaches its fee is capped at the fee."
        )
        lines.append("")
        rows = [
            [
                day.date.isoformat(),
                format_money(day.fee, credits.minor_units),
                str(day.credited_minutes),
                format_money(day.credit, credits.minor_units),
                "yes" if day.capped else "no",
            ]
            for day in claim.credited_days
        ]
        rows.append(
            [
                "total",
                "",
                str(service.credited_minutes),
                format_money(credits.total_credit, credits.minor_units),
                "",
            ]
        )
        lines += s.table(
            ["date", "fee", "credited minutes", "credit", "capped"], rows, right={1, 2, 3}
        )
    gaps = total(service.gaps)
    if service.contract.gap_policy is GapPolicy.DOWN and gaps > timedelta(0):
        lines += [
            "",
            f"The contract counts time not measured as downtime ({s.code('gap_policy')}"
            f" {s.code('down')}): {format_duration(gaps)} of the month was not measured and is"
            " counted in the figures above.",
        ]
    lines += ["", f"Total credit claimed: {s.strong(_money(claim, claim.total_credit))}", ""]
    return lines


def _attachments(claim: Claim, s: _Style) -> list[str]:
    files = claim.files
    return [
        *s.heading(2, "Attachments"),
        f"- {files['requests']}: the request logs that document the errors: each failed request"
        f" of the incidents above ({_plural(len(claim.requests), 'row')}), with its time (UTC),"
        " the vantage that made it, the check, its target, the outcome, the HTTP status, the"
        " error and the latency.",
        f"- {files['report']}: the month's report of {s.text(claim.name)} ({s.code(SCHEMA)}):"
        " every figure above, each vantage's own intervals, exclusions, notices, and the method.",
        "",
    ]


def _deadline(claim: Claim, s: _Style) -> list[str]:
    deadline = claim.deadline
    lines = s.heading(2, "Deadline to file")
    if deadline.at is None or deadline.last_day is None:
        return [
            *lines,
            f"Not known: {deadline.rule}. Check the contract for the time allowed to claim.",
            "",
        ]
    zone = deadline.zone
    state = claim.time_left
    if claim.standing in (Standing.NEAR, Standing.PAST):
        state = s.strong(state)
    return [
        *lines,
        f"By the end of {deadline.last_day.isoformat()} ({s.text(zone)}): before"
        f" {_local(deadline.at, zone)} ({format_instant(deadline.at)}); {state}"
        f" as of {format_instant(claim.now.replace(microsecond=0))}.",
        "",
        f"The contract's rule: {deadline.rule}.",
        "",
    ]


def _evidence(claim: Claim, s: _Style) -> list[str]:
    lines = s.heading(2, "Evidence held")
    if not claim.incidents:
        return [*lines, "No incident: no request log.", ""]
    lines += [f"- Incident {i.number}: {_held(claim, i, s)}" for i in claim.incidents]
    return [*lines, ""]


def _letter(claim: Claim, s: _Style) -> str:
    lines = s.heading(1, f"Service credit claim: {s.text(claim.name)}, {claim.label}")
    lines += _opening(claim, s)
    lines += _terms(claim, s)
    for incident in claim.incidents:
        lines += _incident(claim, incident, s)
    lines += _computation(claim, s)
    lines += _attachments(claim, s)
    lines += _deadline(claim, s)
    lines += _evidence(claim, s)
    lines += [
        f"Please credit {_money(claim, claim.total_credit)} for {claim.label}.",
        "",
        "Regards,",
        "",
        f"(prepared {format_instant(claim.now.replace(microsecond=0))} by slawatch;"
        " durations to the second, rounded up)",
    ]
    return "\n".join(lines).rstrip("\n") + "\n"


def render_markdown(claim: Claim) -> str:
    """The letter in Markdown."""
    return _letter(claim, _Markdown())


def render_text(claim: Claim) -> str:
    """The letter in plain text."""
    return _letter(claim, _Text())

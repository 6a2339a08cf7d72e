"""``slawatch claim``: the files a provider's support asks for with an SLA credit claim.

For one service and one month that is over: the letter (Markdown and plain text), the request
logs of the errors (``request-log.csv``) and the month's report of that service as JSON, written
into ``--out`` (created if missing), each file whole or not at all. A month with nothing to
credit writes nothing and says so; a deadline near or past, and evidence past retention, are
warned about on standard error and said in the letter.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from sla import format_money

from ..clock import SystemClock
from ..config.settings import load_settings
from ..errors import InputError, MonitorError
from ..redact import excerpt
from .common import parse_month, write_whole

if TYPE_CHECKING:
    from ..claim import Claim

__all__ = ["add_claim_command"]


def _cmd_claim(args: argparse.Namespace) -> int:
    from ..claim import read_claim  # noqa: PLC0415 - keeps `slawatch credits` light
    from ..claim.deadline import local_month  # noqa: PLC0415
    from ..claim.letter import render_markdown, render_text  # noqa: PLC0415
    from ..claim.requestlog import render_request_log  # noqa: PLC0415
    from ..report.data import report_to_json  # noqa: PLC0415
    from ..store import open_store  # noqa: PLC0415

    year, month = parse_month(args.month)
    settings = load_settings(args.config)
    service = next((s for s in settings.services if s.name == args.service), None)
    if service is None:
        known = ", ".join(s.name for s in settings.services) or "none"
        raise InputError(f"--service: unknown service {excerpt(args.service)} (services: {known})")
    now = SystemClock().now()
    zone = settings.contracts[service.contract].timezone
    try:
        span = local_month(year, month, zone)
    except (ValueError, OverflowError):  # year 0, or a month whose end is past year 9999
        raise InputError(
            f"--month: {excerpt(args.month)} is not a month that begins and ends"
        ) from None
    if span.end > now:
        raise InputError(
            f"--month: {args.month} is not over for {service.name}: it ends at"
            f" {span.end.astimezone(zone).isoformat(sep=' ')} ({zone}); a claim is for a month"
            " that is over"
        )

    async def build() -> Claim:
        store = open_store(settings.store)
        await store.open()
        try:
            return await read_claim(store, settings, service, year, month, now=now)
        finally:
            await store.close()

    claim = asyncio.run(build())
    if claim.total_credit <= 0:
        print(
            f"nothing to claim for {claim.name} in {claim.label}: {_why_none(claim)}",
            file=sys.stderr,
        )
        return 0
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise MonitorError(f"--out: {out}: cannot create: {error.strerror or error}") from None
    files = claim.files
    texts = {
        files["markdown"]: render_markdown(claim),
        files["text"]: render_text(claim),
        files["requests"]: render_request_log(claim),
        files["report"]: json.dumps(report_to_json(claim.report), indent=2, ensure_ascii=False)
        + "\n",
    }
    for name, text in texts.items():
        write_whole(out / name, text)
    for line in _warnings(claim):
        print(f"slawatch: warning: {line}", file=sys.stderr)
    credits = claim.service.credits
    print(
        f"claim for {claim.name} in {claim.label} written to {out}: {', '.join(texts)}"
        f" ({_count(len(claim.incidents), 'incident')},"
        f" {_count(len(claim.requests), 'failed request')},"
        f" {format_money(claim.total_credit, credits.minor_units)} {credits.currency})",
        file=sys.stderr,
    )
    return 0


def _count(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _why_none(claim: Claim) -> str:
    """Why a month with no credit has none, in the words of its policy."""
    tier = claim.service.tier
    if not claim.incidents:
        return "no credited downtime"
    if tier is not None:
        return (
            f"{tier.downtime_minutes} downtime minutes leave the month's uptime at or above every"
            " tier"
        )
    return "the credited days' fees earn no credit"


def _warnings(claim: Claim) -> list[str]:
    """The deadline when near or past, and the incidents whose raw results are gone."""
    from ..claim.deadline import Standing  # noqa: PLC0415
    from ..timefmt import format_instant  # noqa: PLC0415

    found = []
    deadline = claim.deadline
    if claim.standing in (Standing.NEAR, Standing.PAST) and deadline.last_day is not None:
        said = "has passed" if claim.standing is Standing.PAST else "is near"
        found.append(
            f"the deadline to file {said}: the end of {deadline.last_day.isoformat()}"
            f" ({deadline.zone}); {claim.time_left}"
        )
    lost = claim.evidence_lost
    if lost:
        which = ", ".join(
            f"incident {i.number} ({format_instant(i.span.start)}, {i.evidence.value})"
            for i in lost
        )
        found.append(
            f"raw results are kept {claim.retention_days} days (retention_days): the request logs"
            f" of {which} are no longer held; the letter says so"
        )
    return found


def add_claim_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``slawatch claim``."""
    claim = commands.add_parser(
        "claim", help="the files to attach to an SLA credit claim for a month that is over"
    )
    claim.add_argument("--config", required=True, metavar="FILE")
    claim.add_argument("--service", required=True)
    claim.add_argument("--month", required=True, metavar="YYYY-MM")
    claim.add_argument("--out", required=True, metavar="DIR", help="created if missing")
    claim.set_defaults(handler=_cmd_claim)

"""DNS probes: ask one server (or the system's) for one record set and record the answer.

The answer set is the evidence for failover: when the global load balancer stopped
handing out a dead node's address. Answers are recorded sorted, in a normal form (addresses
canonical, names lower-case without the final dot, TXT strings joined), so two probes that got
the same set record the same tuple, and ``expect`` compares in the same form.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Sequence

import dns.rdata
import dns.rdtypes.ANY.TXT

from ..clock import Clock
from ..config.settings import DnsCheck
from ..results import Outcome, ProbeResult
from .resolver import make_resolver
from .result import Attempt, failure

__all__ = ["normal_answer", "probe_dns"]

_NAME_RECORDS = frozenset({"CNAME", "NS", "MX"})


async def probe_dns(
    check: DnsCheck,
    *,
    check_id: str,
    vantage: str,
    clock: Clock,
    default_servers: Sequence[str] | None = None,
) -> ProbeResult:
    """Probe ``check`` once; every failure becomes an outcome, only cancellation propagates.

    ``check.server`` (``HOST`` or ``HOST:PORT``, an IP address) is asked when set, else
    ``default_servers`` (the vantage's ``resolver`` setting), else the system's configured ones.
    """
    attempt = Attempt(clock, check_id=check_id, vantage=vantage)
    answers: tuple[str, ...] = ()
    try:
        servers = default_servers if check.server is None else [check.server]
        resolver = make_resolver(servers, check.timeout)
        async with asyncio.timeout(check.timeout):
            answer = await resolver.resolve(check.query, check.record, search=False)
        answers = tuple(sorted({_answer_text(check.record, rdata) for rdata in answer}))
        ttl = answer.rrset.ttl if answer.rrset is not None else 0
        outcome, detail = Outcome.UP, f"{len(answers)} answers, ttl {ttl}s"
        missing = [e for e in check.expect or () if normal_answer(check.record, e) not in answers]
        if missing:
            outcome = Outcome.CONTENT_MISMATCH
            detail = f"expected {', '.join(missing)} not in the answer ({', '.join(answers)})"
    except Exception as error:  # a failed probe is data: every error becomes an outcome
        outcome, detail = failure(error, timeout=check.timeout, awaited="answer")
    return attempt.result(outcome, detail, answers=answers)


def _answer_text(record: str, rdata: dns.rdata.Rdata) -> str:
    if isinstance(rdata, dns.rdtypes.ANY.TXT.TXT):
        return "".join(part.decode("utf-8", errors="replace") for part in rdata.strings)
    return normal_answer(record, rdata.to_text())


def normal_answer(record: str, text: str) -> str:
    """One answer of a ``record`` query in the form answers are recorded and compared in."""
    if record == "TXT":
        return text
    text = " ".join(text.split())
    if record in ("A", "AAAA"):
        try:
            return str(ipaddress.ip_address(text))
        except ValueError:
            return text
    if record in _NAME_RECORDS:
        return text.rstrip(".").lower()
    return text

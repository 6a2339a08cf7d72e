"""Probers: one probe of one check, from this vantage, as a :class:`~monitor.results.ProbeResult`.

:func:`run_probe` is the entry point the scheduler uses. It never raises except for cancellation:
a target that fails, and a prober that fails, both come back as outcomes (a failed
probe is data, not an exception; one bad target must never stop the daemon).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import assert_never

from ..clock import Clock
from ..config.settings import DnsCheck, HttpCheck, TcpCheck
from ..results import Outcome, ProbeResult
from .classify import classify
from .dns import probe_dns
from .http import probe_http
from .resolver import DnsResolver
from .result import Attempt
from .tcp import probe_tcp
from .wire import KeepAlive

__all__ = [
    "DnsResolver",
    "KeepAlive",
    "classify",
    "probe_dns",
    "probe_http",
    "probe_tcp",
    "run_probe",
]


async def run_probe(
    check: HttpCheck | TcpCheck | DnsCheck,
    *,
    check_id: str,
    vantage: str,
    clock: Clock,
    resolver_servers: Sequence[str] | None = None,
    keep_alive: KeepAlive | None = None,
) -> ProbeResult:
    """Probe ``check`` once with the prober for its type.

    ``resolver_servers`` (``"HOST:PORT"`` each, the ``resolver`` setting) resolve the names of
    HTTP and TCP targets instead of the system resolver, and answer DNS checks that name no
    ``server`` of their own. ``keep_alive`` holds the open connections of HTTP checks with
    ``reuse_connections``; the caller makes it and closes it.
    """
    attempt = Attempt(clock, check_id=check_id, vantage=vantage)
    try:
        resolver = (
            DnsResolver(resolver_servers, lifetime=check.timeout) if resolver_servers else None
        )
        match check:
            case HttpCheck():
                return await probe_http(
                    check,
                    check_id=check_id,
                    vantage=vantage,
                    clock=clock,
                    keep_alive=keep_alive,
                    resolver=resolver,
                )
            case TcpCheck():
                return await probe_tcp(
                    check, check_id=check_id, vantage=vantage, clock=clock, resolver=resolver
                )
            case DnsCheck():
                return await probe_dns(
                    check,
                    check_id=check_id,
                    vantage=vantage,
                    clock=clock,
                    default_servers=resolver_servers,
                )
            case _:
                assert_never(check)
    except Exception as error:  # the outer guard: a prober's own bug is a result, not a crash
        _, reason = classify(error)
        return attempt.result(Outcome.PROBE_ERROR, f"prober failed: {reason}")

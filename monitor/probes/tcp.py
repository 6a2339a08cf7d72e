"""TCP probes: connect, optionally send a line and expect a reply that contains a string."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
from dataclasses import dataclass

from aiohttp.abc import AbstractResolver

from ..clock import Clock
from ..config.settings import TcpCheck
from ..results import Outcome, ProbeResult
from .result import Attempt, failure

__all__ = ["probe_tcp"]

#: Most bytes read while looking for the expected reply.
READ_LIMIT = 65_536


@dataclass(slots=True)
class _Progress:
    bytes_read: int = 0


async def probe_tcp(
    check: TcpCheck,
    *,
    check_id: str,
    vantage: str,
    clock: Clock,
    resolver: AbstractResolver | None = None,
    read_limit: int = READ_LIMIT,
) -> ProbeResult:
    """Probe ``check`` once; every failure becomes an outcome, only cancellation propagates.

    ``resolver`` finds the host's addresses when it is a name (the system resolver when None).
    At most ``read_limit`` bytes of reply are read while looking for ``check.expect``.
    """
    attempt = Attempt(clock, check_id=check_id, vantage=vantage)
    progress = _Progress()
    try:
        async with asyncio.timeout(check.timeout):
            outcome, detail = await _exchange(check, resolver, read_limit, progress)
    except Exception as error:  # a failed probe is data: every error becomes an outcome
        outcome, detail = failure(error, timeout=check.timeout, awaited="complete answer")
        if outcome is Outcome.TIMEOUT and check.expect is not None and progress.bytes_read:
            # It answered, just not with what was expected: that is the finding, not the wait.
            outcome = Outcome.CONTENT_MISMATCH
            detail = (
                f"{check.expect!r} not found in {progress.bytes_read} bytes received "
                f"within {check.timeout:g}s"
            )
    return attempt.result(outcome, detail, bytes_read=progress.bytes_read)


async def _connect(
    check: TcpCheck, resolver: AbstractResolver | None
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    try:
        ipaddress.ip_address(check.host)
    except ValueError:
        if resolver is not None:
            return await _connect_resolved(check, resolver)
    return await asyncio.open_connection(check.host, check.port)


async def _connect_resolved(
    check: TcpCheck, resolver: AbstractResolver
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    addresses = await resolver.resolve(check.host, check.port, family=socket.AF_UNSPEC)
    failure: OSError = socket.gaierror(socket.EAI_NONAME, f"no address for {check.host}")
    for address in addresses:
        try:
            return await asyncio.open_connection(address["host"], address["port"])
        except OSError as error:
            failure = error
    raise failure


async def _exchange(
    check: TcpCheck, resolver: AbstractResolver | None, read_limit: int, progress: _Progress
) -> tuple[Outcome, str]:
    reader, writer = await _connect(check, resolver)
    try:
        outcome, detail = await _converse(check, reader, writer, read_limit, progress)
    except BaseException:
        # Failing or cancelled: drop the connection at once rather than wait to flush it.
        writer.transport.abort()
        raise
    writer.close()
    with contextlib.suppress(OSError):  # the peer may reset a connection we are closing anyway
        await writer.wait_closed()
    return outcome, detail


async def _converse(
    check: TcpCheck,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    read_limit: int,
    progress: _Progress,
) -> tuple[Outcome, str]:
    if check.send is not None:
        writer.write(check.send.encode())
        await writer.drain()
    if check.expect is None:
        return Outcome.UP, "connected"
    wanted = check.expect.encode()
    received = bytearray()
    while wanted not in received and len(received) < read_limit:
        chunk = await reader.read(read_limit - len(received))
        if not chunk:
            break
        received += chunk
        progress.bytes_read = len(received)
    if wanted not in received:
        return Outcome.CONTENT_MISMATCH, (
            f"{check.expect!r} not found in {len(received)} bytes received"
        )
    return Outcome.UP, "connected, expected reply received"

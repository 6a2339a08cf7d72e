"""The TCP prober against real loopback servers: connect, send, expect."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from monitor.clock import SystemClock
from monitor.config.settings import TcpCheck
from monitor.probes import probe_tcp, run_probe
from monitor.results import Outcome, ProbeResult

from .servers import DnsZone, RawServers, refused_port


def tcp_check(port: int, **fields: Any) -> TcpCheck:
    """A TCP check of 127.0.0.1:PORT with a short timeout."""
    return TcpCheck.model_validate(
        {"name": "port", "type": "tcp", "host": "127.0.0.1", "port": port, "timeout": 0.5} | fields
    )


async def probe(check: TcpCheck, **options: Any) -> ProbeResult:
    """Probe ``check`` once with the real clock."""
    return await probe_tcp(
        check, check_id="shop/port", vantage="test", clock=SystemClock(), **options
    )


async def smtp_like(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answer ``PING`` in two pieces and anything else with an error; wait for the client to go."""
    line = await reader.readline()
    if line == b"PING\r\n":
        writer.write(b"+PO")
        await writer.drain()
        writer.write(b"NG ready\r\n")
    else:
        writer.write(b"-ERR unknown command\r\n")
    await writer.drain()
    while await reader.read(1024):
        pass


async def chatter(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Send an endless stream that never contains what the client expects."""
    while True:
        writer.write(b"." * 4096)
        await writer.drain()
        await asyncio.sleep(0)  # let the client run: drain() does not yield while unpaused


async def mute(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Accept and say nothing until the client leaves."""
    while await reader.read(1024):
        pass


async def test_connect_is_up(raw: RawServers) -> None:
    """A port that accepts connections is up."""
    port = await raw.start(mute)
    result = await probe(tcp_check(port))
    assert result.outcome is Outcome.UP
    assert result.detail == "connected"


async def test_send_and_expected_reply_is_up(raw: RawServers) -> None:
    """The expected text is found even when the reply arrives in pieces."""
    port = await raw.start(smtp_like)
    result = await probe(tcp_check(port, send="PING\r\n", expect="PONG"))
    assert result.outcome is Outcome.UP
    assert result.bytes_read >= len("+PONG")


async def test_wrong_reply_is_content_mismatch(raw: RawServers) -> None:
    """A server that answers something else and waits is content_mismatch at the timeout."""
    port = await raw.start(smtp_like)
    result = await probe(tcp_check(port, send="HELLO\r\n", expect="PONG", timeout=0.3))
    assert result.outcome is Outcome.CONTENT_MISMATCH
    assert result.bytes_read == len(b"-ERR unknown command\r\n")
    assert result.detail == "'PONG' not found in 22 bytes received within 0.3s"


async def test_reply_missing_text_within_bound_is_content_mismatch(raw: RawServers) -> None:
    """An endless reply without the expected text is read up to the bound, then mismatched."""
    port = await raw.start(chatter)
    result = await probe(tcp_check(port, expect="PONG"), read_limit=10_000)
    assert result.outcome is Outcome.CONTENT_MISMATCH
    assert result.bytes_read == 10_000


async def test_closed_without_reply_is_content_mismatch(raw: RawServers) -> None:
    """A server that closes before sending the expected text gives content_mismatch."""

    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"-ERR go away\r\n")
        await writer.drain()
        writer.close()

    port = await raw.start(hang_up)
    result = await probe(tcp_check(port, expect="PONG"))
    assert result.outcome is Outcome.CONTENT_MISMATCH
    assert result.detail == "'PONG' not found in 14 bytes received"


async def test_silent_server_times_out(raw: RawServers) -> None:
    """A reply that never comes ends at the timeout."""
    port = await raw.start(mute)
    started = time.monotonic()
    result = await probe(tcp_check(port, send="PING\r\n", expect="PONG", timeout=0.3))
    assert time.monotonic() - started < 0.3 + 1.0
    assert result.outcome is Outcome.TIMEOUT


async def test_refused_is_connect_error() -> None:
    """A port nobody listens on is a connect_error."""
    result = await probe(tcp_check(refused_port()))
    assert result.outcome is Outcome.CONNECT_ERROR


async def test_name_resolved_through_chosen_server(
    raw: RawServers, dns_zone: tuple[DnsZone, str]
) -> None:
    """With resolver servers, a TCP target's name is resolved by them."""
    zone, server = dns_zone
    port = await raw.start(mute)
    check = tcp_check(port, host="shop.test")
    result = await run_probe(
        check, check_id="shop/port", vantage="test", clock=SystemClock(), resolver_servers=[server]
    )
    assert result.outcome is Outcome.UP
    assert ("shop.test", "A") in zone.queries


async def test_unknown_name_is_dns_error(raw: RawServers, dns_zone: tuple[DnsZone, str]) -> None:
    """A TCP target whose name does not exist is a dns_error."""
    _, server = dns_zone
    port = await raw.start(mute)
    check = tcp_check(port, host="missing.test")
    result = await run_probe(
        check, check_id="shop/port", vantage="test", clock=SystemClock(), resolver_servers=[server]
    )
    assert result.outcome is Outcome.DNS_ERROR

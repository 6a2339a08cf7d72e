"""The DNS prober against a tiny DNS server on loopback; never the system resolver."""

from __future__ import annotations

import time
from typing import Any

import pytest

from monitor.clock import SystemClock
from monitor.config.settings import DnsCheck
from monitor.probes import probe_dns
from monitor.probes.dns import normal_answer
from monitor.probes.resolver import nameserver
from monitor.results import Outcome, ProbeResult

from .servers import DnsZone


def dns_check(server: str, query: str, **fields: Any) -> DnsCheck:
    """A DNS check asking ``server`` about ``query``, with a short timeout."""
    return DnsCheck.model_validate(
        {"name": "dns", "type": "dns", "query": query, "server": server, "timeout": 0.5} | fields
    )


async def probe(check: DnsCheck) -> ProbeResult:
    """Probe ``check`` once with the real clock."""
    return await probe_dns(check, check_id="shop/dns", vantage="test", clock=SystemClock())


async def test_answer_set_is_recorded_sorted(dns_zone: tuple[DnsZone, str]) -> None:
    """An A query is up, with the addresses sorted and the TTL in the detail."""
    zone, server = dns_zone
    result = await probe(dns_check(server, "pool.test"))
    assert result.outcome is Outcome.UP
    assert result.answers == ("127.0.0.1", "127.0.0.2", "127.0.0.3")
    assert result.detail == "3 answers, ttl 300s"
    assert zone.queries == [("pool.test", "A")]


@pytest.mark.parametrize(
    ("query", "record", "answers"),
    [
        pytest.param("pool.test", "AAAA", ("::1",), id="aaaa"),
        pytest.param("alias.test", "CNAME", ("shop.test",), id="cname-lowercase-no-final-dot"),
        pytest.param("notes.test", "TXT", ("v=spf1 -all",), id="txt-unquoted"),
    ],
)
async def test_record_types_in_normal_form(
    dns_zone: tuple[DnsZone, str], query: str, record: str, answers: tuple[str, ...]
) -> None:
    """Each record type is recorded in its normal form."""
    _, server = dns_zone
    result = await probe(dns_check(server, query, record=record))
    assert result.outcome is Outcome.UP
    assert result.answers == answers


@pytest.mark.parametrize(
    ("query", "record", "expect"),
    [
        pytest.param("pool.test", "A", ["127.0.0.2", "127.0.0.1"], id="subset-any-order"),
        pytest.param("pool.test", "AAAA", ["0:0:0:0:0:0:0:1"], id="ipv6-long-form"),
        pytest.param("alias.test", "CNAME", ["SHOP.test."], id="name-case-and-dot"),
    ],
)
async def test_expected_answers_present_is_up(
    dns_zone: tuple[DnsZone, str], query: str, record: str, expect: list[str]
) -> None:
    """Every expected answer present (compared in normal form) is up."""
    _, server = dns_zone
    result = await probe(dns_check(server, query, record=record, expect=expect))
    assert result.outcome is Outcome.UP


async def test_expected_answer_missing_is_content_mismatch(dns_zone: tuple[DnsZone, str]) -> None:
    """An expected address missing from the answer set is content_mismatch, answers recorded."""
    _, server = dns_zone
    result = await probe(dns_check(server, "pool.test", expect=["127.0.0.1", "127.0.0.9"]))
    assert result.outcome is Outcome.CONTENT_MISMATCH
    assert result.answers == ("127.0.0.1", "127.0.0.2", "127.0.0.3")
    assert "127.0.0.9" in result.detail


async def test_nxdomain_is_dns_error(dns_zone: tuple[DnsZone, str]) -> None:
    """A name that does not exist is a dns_error."""
    _, server = dns_zone
    result = await probe(dns_check(server, "missing.test"))
    assert result.outcome is Outcome.DNS_ERROR
    assert result.detail.startswith("no such name")
    assert result.answers == ()


async def test_no_record_of_that_type_is_dns_error(dns_zone: tuple[DnsZone, str]) -> None:
    """A name without records of the asked type is a dns_error."""
    _, server = dns_zone
    result = await probe(dns_check(server, "v4only.test", record="AAAA"))
    assert result.outcome is Outcome.DNS_ERROR
    assert result.detail.startswith("no answer of that type")


async def test_server_failure_is_dns_error(dns_zone: tuple[DnsZone, str]) -> None:
    """A server that answers SERVFAIL is a dns_error: no server could answer."""
    _, server = dns_zone
    result = await probe(dns_check(server, "broken.test"))
    assert result.outcome is Outcome.DNS_ERROR
    assert result.detail.startswith("no server answered")


async def test_unanswered_query_times_out(dns_zone: tuple[DnsZone, str]) -> None:
    """A server that never answers ends the probe at the timeout."""
    _, server = dns_zone
    started = time.monotonic()
    result = await probe(dns_check(server, "silent.test", timeout=0.3))
    assert time.monotonic() - started < 0.3 + 1.0
    assert result.outcome is Outcome.TIMEOUT
    assert result.detail == "no answer within 0.3s"


async def test_server_not_an_address_is_probe_error() -> None:
    """A server given by name cannot be asked: the check, not the target, is at fault."""
    result = await probe(dns_check("ns.example:53", "shop.test"))
    assert result.outcome is Outcome.PROBE_ERROR


@pytest.mark.parametrize(
    ("text", "address", "port"),
    [
        pytest.param("127.0.0.1", "127.0.0.1", 53, id="v4"),
        pytest.param("127.0.0.1:5353", "127.0.0.1", 5353, id="v4-port"),
        pytest.param("::1", "::1", 53, id="v6"),
        pytest.param("[::1]", "::1", 53, id="v6-brackets"),
        pytest.param("[::1]:5353", "::1", 5353, id="v6-port"),
    ],
)
def test_nameserver_parses_host_and_port(text: str, address: str, port: int) -> None:
    """A DNS server is HOST, HOST:PORT or [V6]:PORT, port 53 by default."""
    server = nameserver(text)
    assert (server.address, server.port) == (address, port)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("ns.example", id="name"),
        pytest.param("127.0.0.1:0", id="port-zero"),
        pytest.param("127.0.0.1:dns", id="port-not-number"),
        pytest.param("[::1", id="unclosed-bracket"),
        pytest.param("[::1]x", id="junk-after-bracket"),
    ],
)
def test_nameserver_refuses_what_is_not_an_address(text: str) -> None:
    """Anything but an IP address and a port in range is refused."""
    with pytest.raises(ValueError, match=r"^DNS server: expected "):
        nameserver(text)


@pytest.mark.parametrize(
    ("record", "text", "normal"),
    [
        pytest.param("A", " 127.0.0.1 ", "127.0.0.1", id="a-trimmed"),
        pytest.param("AAAA", "2001:DB8:0::1", "2001:db8::1", id="aaaa-canonical"),
        pytest.param("MX", "10  Mail.Example.", "10 mail.example", id="mx"),
        pytest.param("TXT", "Keep  As Is", "Keep  As Is", id="txt-verbatim"),
    ],
)
def test_normal_answer(record: str, text: str, normal: str) -> None:
    """Answers and expectations are compared in one normal form per record type."""
    assert normal_answer(record, text) == normal

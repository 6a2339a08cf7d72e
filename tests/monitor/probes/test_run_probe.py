"""run_probe: dispatch on the check's type, resolution through chosen servers, the outer guard."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web

from monitor.clock import SystemClock
from monitor.config.settings import DnsCheck, HttpCheck, TcpCheck
from monitor.probes import run_probe
from monitor.results import Outcome, ProbeResult

from .servers import DnsZone, WebServers


@pytest.fixture
async def shop_port(web_servers: WebServers) -> int:
    """A page on loopback that answers only for the Host it is reached by, shop.test."""

    async def page(request: web.Request) -> web.Response:
        if request.host.partition(":")[0] != "shop.test":
            return web.Response(status=421)
        return web.Response(text="Welcome")

    app = web.Application()
    app.router.add_get("/", page)
    return await web_servers.start(app)


async def run(
    check: HttpCheck | TcpCheck | DnsCheck, servers: list[str] | None = None
) -> ProbeResult:
    """Run ``check`` once through run_probe with the real clock."""
    return await run_probe(
        check, check_id="shop/x", vantage="test", clock=SystemClock(), resolver_servers=servers
    )


async def test_http_name_resolved_through_chosen_server(
    shop_port: int, dns_zone: tuple[DnsZone, str]
) -> None:
    """With resolver servers, an HTTP target's name is resolved by them, not the system."""
    zone, server = dns_zone
    check = HttpCheck(
        name="home", type="http", url=f"http://shop.test:{shop_port}/", contains="Welcome"
    )
    result = await run(check, [server])
    assert result.outcome is Outcome.UP
    assert ("shop.test", "A") in zone.queries


async def test_http_unknown_name_is_dns_error(
    shop_port: int, dns_zone: tuple[DnsZone, str]
) -> None:
    """An HTTP target whose name the chosen server says does not exist is a dns_error."""
    _, server = dns_zone
    check = HttpCheck(name="home", type="http", url=f"http://missing.test:{shop_port}/")
    result = await run(check, [server])
    assert result.outcome is Outcome.DNS_ERROR
    assert "missing.test" in result.detail


async def test_dns_check_dispatched(dns_zone: tuple[DnsZone, str]) -> None:
    """A DNS check goes to the DNS prober, which asks the check's own server."""
    _, server = dns_zone
    result = await run(DnsCheck(name="dns", type="dns", query="shop.test", server=server))
    assert result.outcome is Outcome.UP
    assert result.answers == ("127.0.0.1",)
    assert result.check == "shop/x"


async def test_dns_check_without_server_asks_resolver_servers(
    dns_zone: tuple[DnsZone, str],
) -> None:
    """A DNS check naming no server asks the vantage's resolver servers, not the system's."""
    zone, server = dns_zone
    result = await run(DnsCheck(name="dns", type="dns", query="pool.test"), [server])
    assert result.outcome is Outcome.UP
    assert result.answers == ("127.0.0.1", "127.0.0.2", "127.0.0.3")
    assert zone.queries == [("pool.test", "A")]


async def test_prober_failure_is_probe_error() -> None:
    """A failure outside any target (here an unusable resolver setting) is a probe_error."""
    check = TcpCheck(name="port", type="tcp", host="shop.test", port=80)
    result = await run(check, ["ns.example"])
    assert result.outcome is Outcome.PROBE_ERROR
    assert result.detail.startswith("prober failed: ")
    assert result.vantage == "test"


async def test_cancellation_propagates(dns_zone: tuple[DnsZone, str]) -> None:
    """Cancelling run_probe cancels it: CancelledError is never turned into a result."""
    zone, server = dns_zone
    check = DnsCheck(name="dns", type="dns", query="silent.test", server=server, timeout=5)
    task = asyncio.create_task(run(check))
    await zone.asked.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

"""Fixtures for the probe tests: real servers on loopback, torn down after each test."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import shutil
from collections.abc import AsyncIterator, Callable

import pytest

from .servers import Certs, DnsZone, RawServers, WebServers, make_certs, serve_dns

#: The names the test DNS server knows. Nothing else is ever resolved: every test that resolves a
#: name asks this server, never the system resolver.
ZONE = {
    "shop.test": {"A": ["127.0.0.1"]},
    "pool.test": {"A": ["127.0.0.3", "127.0.0.1", "127.0.0.2"], "AAAA": ["::1"]},
    "alias.test": {"CNAME": ["Shop.Test."]},
    "notes.test": {"TXT": ['"v=spf1 -all"']},
    "v4only.test": {"A": ["127.0.0.1"]},
}


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> dict[str, Callable[[], asyncio.AbstractEventLoop]]:
    """Every probe test runs on each loop the daemon may run on: asyncio's own, and uvloop
    where it is installed (the daemon's default there)."""
    factories: dict[str, Callable[[], asyncio.AbstractEventLoop]] = {
        "asyncio": asyncio.new_event_loop
    }
    with contextlib.suppress(ImportError):
        factories["uvloop"] = importlib.import_module("uvloop").new_event_loop
    return factories


@pytest.fixture
async def web_servers() -> AsyncIterator[WebServers]:
    """aiohttp servers on loopback."""
    servers = WebServers()
    yield servers
    await servers.close()


@pytest.fixture
async def raw() -> AsyncIterator[RawServers]:
    """Raw TCP servers on loopback."""
    servers = RawServers()
    yield servers
    await servers.close()


@pytest.fixture
async def dns_zone() -> AsyncIterator[tuple[DnsZone, str]]:
    """The test DNS server and its address as ``HOST:PORT``.

    ``silent.test`` is never answered; ``broken.test`` gets SERVFAIL.
    """
    zone = DnsZone(
        records=ZONE, silent=frozenset({"silent.test"}), failing=frozenset({"broken.test"})
    )
    transport, port = await serve_dns(zone)
    yield zone, f"127.0.0.1:{port}"
    transport.close()


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    """Test certificates, made once per session with the openssl command."""
    openssl = shutil.which("openssl")
    if openssl is None:
        if os.environ.get("SLAWATCH_REQUIRE_OPENSSL"):
            pytest.fail("the openssl command is required here (.ci/run installs it)")
        pytest.skip("the openssl command is not installed; it makes the TLS test certificates")
    return make_certs(tmp_path_factory.mktemp("certs"), openssl)

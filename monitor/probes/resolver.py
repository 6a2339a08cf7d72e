"""Name resolution through chosen DNS servers, for probes that must not use the system resolver.

A vantage may be told to resolve through particular servers (``resolver: ["10.0.0.2:53"]`` in the
configuration), so what it measures does not depend on the host's ``/etc/resolv.conf``.
:class:`DnsResolver` plugs those servers into aiohttp and into the TCP prober.
"""

from __future__ import annotations

import socket
from collections.abc import Sequence

import dns.asyncresolver
import dns.exception
import dns.nameserver
import dns.resolver
from aiohttp.abc import AbstractResolver, ResolveResult

from ..config.fields import parse_dns_server

__all__ = ["DnsResolver", "make_resolver", "nameserver"]


def nameserver(text: str) -> dns.nameserver.Do53Nameserver:
    """A DNS server from ``HOST``, ``HOST:PORT``, ``[V6]:PORT`` or a bare IPv6 address."""
    return dns.nameserver.Do53Nameserver(*parse_dns_server(text))


def make_resolver(servers: Sequence[str] | None, lifetime: float) -> dns.asyncresolver.Resolver:
    """A dnspython resolver asking ``servers``, or the system's configured ones when None."""
    if servers:
        resolver = dns.asyncresolver.Resolver(configure=False)
        resolver.nameservers = [nameserver(server) for server in servers]
    else:
        resolver = dns.asyncresolver.Resolver()
    resolver.lifetime = lifetime
    return resolver


class DnsResolver(AbstractResolver):
    """An aiohttp resolver that asks the given DNS servers (``"HOST"`` or ``"HOST:PORT"``).

    Failures are raised as :class:`socket.gaierror`, as the system resolver's are, so aiohttp
    reports them as ``ClientConnectorDNSError`` and they classify as ``dns_error``.
    """

    def __init__(self, servers: Sequence[str], *, lifetime: float = 5.0) -> None:
        if not servers:
            raise ValueError("DnsResolver needs at least one server")
        self._resolver = make_resolver(servers, lifetime)

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """Addresses of ``host`` for ``family`` (``AF_UNSPEC``: IPv4 and IPv6)."""
        try:
            answers = await self._resolver.resolve_name(host, family=family, search=False)
        except dns.resolver.NXDOMAIN:
            raise socket.gaierror(socket.EAI_NONAME, f"no such name {host}") from None
        except dns.resolver.NoAnswer:
            raise socket.gaierror(socket.EAI_NONAME, f"no address for {host}") from None
        except dns.exception.Timeout:
            raise socket.gaierror(socket.EAI_AGAIN, f"DNS timed out for {host}") from None
        except dns.exception.DNSException as error:
            raise socket.gaierror(socket.EAI_FAIL, f"DNS failed for {host}: {error}") from None
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=port,
                family=address_family,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for address, address_family in answers.addresses_and_families()
        ]

    async def close(self) -> None:
        """Nothing to release: each query opens and closes its own socket."""

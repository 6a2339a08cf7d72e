"""Real servers on loopback for the probe tests: aiohttp apps, raw TCP, a tiny DNS server, certs."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import subprocess
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset
from aiohttp import web

LOOPBACK = "127.0.0.1"

RawHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class WebServers:
    """aiohttp applications served on loopback ports; all stopped by :meth:`close`."""

    def __init__(self) -> None:
        self._runners: list[web.AppRunner] = []

    async def start(self, app: web.Application, ssl_context: ssl.SSLContext | None = None) -> int:
        """Serve ``app`` on a free loopback port and return the port."""
        runner = web.AppRunner(app, shutdown_timeout=0.1)
        await runner.setup()
        self._runners.append(runner)
        site = web.TCPSite(runner, LOOPBACK, 0, ssl_context=ssl_context)
        await site.start()
        address = runner.addresses[0]
        return int(address[1])

    async def close(self) -> None:
        """Stop every server."""
        for runner in reversed(self._runners):
            await runner.cleanup()


class RawServers:
    """Raw asyncio TCP servers; each connection is one task running a handler.

    A client going away (reset, broken pipe) ends a handler quietly: the probes under test close
    connections on purpose. Any other error a handler raises is re-raised by :meth:`close`.
    """

    def __init__(self) -> None:
        self._servers: list[asyncio.Server] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self.errors: list[BaseException] = []

    async def start(self, handler: RawHandler) -> int:
        """Listen on a free loopback port with ``handler`` and return the port."""

        async def connected(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            assert task is not None
            self._tasks.add(task)
            # close() ends handlers by cancelling them, so a handler returns when cancelled: the
            # stream server of Python 3.11 logs a handler task that ends cancelled as an error.
            try:
                await handler(reader, writer)
            except (ConnectionError, asyncio.CancelledError):
                pass
            except Exception as error:  # kept, and re-raised when the test ends
                self.errors.append(error)
            finally:
                writer.transport.abort()
                with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                    await writer.wait_closed()
                self._tasks.discard(task)

        server = await asyncio.start_server(connected, LOOPBACK, 0)
        self._servers.append(server)
        return int(server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        """Stop listening, end every handler, and raise the first unexpected handler error."""
        for server in self._servers:
            server.close()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for server in self._servers:
            await server.wait_closed()
        if self.errors:
            raise self.errors[0]


def refused_port() -> int:
    """A loopback port nothing listens on: bound to find a free one, then released."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


@dataclass
class DnsZone(asyncio.DatagramProtocol):
    """A tiny authoritative DNS server over UDP.

    ``records`` maps a name (lower-case, no final dot) to its record sets by type. A name not in
    ``records`` is NXDOMAIN; a known name without the asked type gets an empty answer; a name in
    ``silent`` is never answered, and one in ``failing`` gets SERVFAIL.
    """

    records: dict[str, dict[str, list[str]]]
    silent: frozenset[str] = frozenset()
    failing: frozenset[str] = frozenset()
    ttl: int = 300
    queries: list[tuple[str, str]] = field(default_factory=list)
    asked: asyncio.Event = field(default_factory=asyncio.Event)
    transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the socket to answer on."""
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        """Answer one query from the zone."""
        query = dns.message.from_wire(data)
        question = query.question[0]
        name = question.name.to_text(omit_final_dot=True).lower()
        rdtype = dns.rdatatype.to_text(question.rdtype)
        self.queries.append((name, rdtype))
        self.asked.set()
        if name in self.silent or self.transport is None:
            return
        response = dns.message.make_response(query)
        if name in self.failing:
            response.set_rcode(dns.rcode.SERVFAIL)
        elif name not in self.records:
            response.set_rcode(dns.rcode.NXDOMAIN)
        elif values := self.records[name].get(rdtype):
            response.answer.append(
                dns.rrset.from_text_list(question.name, self.ttl, "IN", rdtype, values)
            )
        self.transport.sendto(response.to_wire(), addr)


async def serve_dns(zone: DnsZone) -> tuple[asyncio.DatagramTransport, int]:
    """Serve ``zone`` on a free loopback UDP port; returns the transport (to close) and the port."""
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(lambda: zone, local_addr=(LOOPBACK, 0))
    return transport, int(transport.get_extra_info("sockname")[1])


@dataclass(frozen=True)
class Certs:
    """Certificates made with the openssl command for one test session."""

    ca: Path
    #: Signed by ``ca`` for DNS name ``shop.test`` only, valid 2020-01-01 to 2040-12-31.
    shop: tuple[Path, Path]
    #: Signed by ``ca`` for 127.0.0.1, expired since 2020-01-02.
    expired: tuple[Path, Path]
    #: Self-signed for 127.0.0.1, valid for 30 days from now.
    self_signed: tuple[Path, Path]

    SHOP_NOT_AFTER = datetime(2040, 12, 31, 23, 59, 59, tzinfo=UTC)

    def server_context(self, pair: tuple[Path, Path]) -> ssl.SSLContext:
        """A server-side TLS context presenting ``pair`` (certificate, key)."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*pair)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A verifying client context that trusts only the test CA."""
        return ssl.create_default_context(cafile=self.ca)


_OPENSSL_CONFIG = """\
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca]
default_ca = test_ca
[test_ca]
database = {dir}/index.txt
new_certs_dir = {dir}
serial = {dir}/serial
default_md = sha256
policy = any_name
copy_extensions = copy
unique_subject = no
[any_name]
commonName = supplied
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[leaf_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""

_EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]


def make_certs(directory: Path, openssl: str) -> Certs:
    """A test CA, two leaves it signs (valid, expired) and one self-signed certificate."""
    config = directory / "openssl.cnf"
    config.write_text(_OPENSSL_CONFIG.format(dir=directory), encoding="utf-8")
    (directory / "index.txt").write_text("", encoding="utf-8")
    (directory / "serial").write_text("01\n", encoding="utf-8")

    def run(*args: str) -> None:
        subprocess.run([openssl, *args], check=True, capture_output=True, cwd=directory)

    ca, ca_key = directory / "ca.pem", directory / "ca.key"
    run(
        "req", "-x509", "-config", str(config), *_EC, "-days", "3650", "-subj", "/CN=test CA",
        "-extensions", "ca_ext", "-keyout", str(ca_key), "-out", str(ca),
    )  # fmt: skip

    def leaf(name: str, san: str, start: str, end: str) -> tuple[Path, Path]:
        cert, key, csr = (directory / f"{name}{ext}" for ext in (".pem", ".key", ".csr"))
        run(
            "req", "-new", "-config", str(config), *_EC, "-subj", f"/CN={name}",
            "-addext", f"subjectAltName={san}", "-keyout", str(key), "-out", str(csr),
        )  # fmt: skip
        run(
            "ca", "-batch", "-config", str(config), "-cert", str(ca), "-keyfile", str(ca_key),
            "-extensions", "leaf_ext", "-startdate", start, "-enddate", end, "-notext",
            "-in", str(csr), "-out", str(cert),
        )  # fmt: skip
        return cert, key

    shop = leaf("shop", "DNS:shop.test", "20200101000000Z", "20401231235959Z")
    expired = leaf("expired", "IP:127.0.0.1", "20200101000000Z", "20200102000000Z")
    own, own_key = directory / "self.pem", directory / "self.key"
    run(
        "req", "-x509", "-config", str(config), *_EC, "-days", "30", "-subj", "/CN=self-signed",
        "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(own_key), "-out", str(own),
    )  # fmt: skip
    return Certs(ca=ca, shop=shop, expired=expired, self_signed=(own, own_key))

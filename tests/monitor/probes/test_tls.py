"""The HTTP prober over TLS: verification, expiry evidence, and the virtual host's name in SNI."""

from __future__ import annotations

import importlib.util
import ssl
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from monitor.clock import SystemClock
from monitor.config.settings import HttpCheck
from monitor.probes import probe_http
from monitor.results import Outcome, ProbeResult

from .servers import Certs, WebServers

HAVE_CRYPTOGRAPHY = importlib.util.find_spec("cryptography") is not None


@dataclass
class Seen:
    """What the TLS server saw: the names asked for in SNI and the Host headers."""

    sni: list[str | None] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)


async def serve_tls(servers: WebServers, certs: Certs, pair: tuple[Path, Path]) -> tuple[int, Seen]:
    """Serve a page over TLS with certificate ``pair``; return the port and what was seen."""
    seen = Seen()
    context = certs.server_context(pair)

    def record_sni(_: ssl.SSLObject, name: str | None, __: ssl.SSLContext) -> None:
        seen.sni.append(name)

    context.sni_callback = record_sni

    async def page(request: web.Request) -> web.Response:
        seen.hosts.append(request.headers.get("Host", ""))
        return web.Response(text="Welcome")

    app = web.Application()
    app.router.add_get("/", page)
    return await servers.start(app, ssl_context=context), seen


async def probe(port: int, **fields: Any) -> ProbeResult:
    """Probe https://127.0.0.1:PORT/ once; ``ssl_context`` is passed to the prober."""
    ssl_context = fields.pop("ssl_context", None)
    check = HttpCheck.model_validate(
        {"name": "tls", "type": "http", "url": f"https://127.0.0.1:{port}/", "timeout": 1.0}
        | fields
    )
    return await probe_http(
        check, check_id="shop/tls", vantage="test", clock=SystemClock(), ssl_context=ssl_context
    )


async def test_self_signed_certificate_is_tls_error(web_servers: WebServers, certs: Certs) -> None:
    """A self-signed certificate fails verification: tls_error."""
    port, _ = await serve_tls(web_servers, certs, certs.self_signed)
    result = await probe(port)
    assert result.outcome is Outcome.TLS_ERROR
    assert "self-signed" in result.detail or "self signed" in result.detail
    assert result.status is None


async def test_expired_certificate_is_tls_error(web_servers: WebServers, certs: Certs) -> None:
    """An expired certificate from a trusted CA is a tls_error naming the expiry."""
    port, _ = await serve_tls(web_servers, certs, certs.expired)
    result = await probe(port, ssl_context=certs.client_context())
    assert result.outcome is Outcome.TLS_ERROR
    assert "expired" in result.detail


async def test_certificate_for_another_name_is_tls_error(
    web_servers: WebServers, certs: Certs
) -> None:
    """A trusted certificate that does not name the host asked for is a tls_error."""
    port, _ = await serve_tls(web_servers, certs, certs.shop)
    result = await probe(port, ssl_context=certs.client_context())
    assert result.outcome is Outcome.TLS_ERROR
    assert "mismatch" in result.detail


async def test_host_override_is_sent_in_sni_and_host_header(
    web_servers: WebServers, certs: Certs
) -> None:
    """``host`` is sent in SNI and as the Host header, and the certificate must name it."""
    port, seen = await serve_tls(web_servers, certs, certs.shop)
    result = await probe(port, host="shop.test", ssl_context=certs.client_context())
    assert result.outcome is Outcome.UP
    assert seen.sni == ["shop.test"]
    assert seen.hosts == ["shop.test"]


async def test_verified_certificate_expiry_is_recorded(
    web_servers: WebServers, certs: Certs
) -> None:
    """A verified connection records when the server's certificate expires."""
    port, _ = await serve_tls(web_servers, certs, certs.shop)
    result = await probe(port, host="shop.test", ssl_context=certs.client_context())
    assert result.outcome is Outcome.UP
    assert result.cert_expires_at == Certs.SHOP_NOT_AFTER


async def test_unverified_tls_accepts_self_signed(web_servers: WebServers, certs: Certs) -> None:
    """With verify_tls off, a self-signed certificate is accepted."""
    port, _ = await serve_tls(web_servers, certs, certs.self_signed)
    result = await probe(port, verify_tls=False, contains="Welcome")
    assert result.outcome is Outcome.UP
    assert result.status == 200


async def test_unverified_tls_records_expiry_when_it_can(
    web_servers: WebServers, certs: Certs
) -> None:
    """With verify_tls off, an expired certificate is accepted and its expiry kept if decodable."""
    port, _ = await serve_tls(web_servers, certs, certs.expired)
    result = await probe(port, verify_tls=False)
    assert result.outcome is Outcome.UP
    # Unverified, only the raw certificate is available: decoding it takes `cryptography`.
    expected = datetime(2020, 1, 2, tzinfo=UTC) if HAVE_CRYPTOGRAPHY else None
    assert result.cert_expires_at == expected

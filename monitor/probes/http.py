"""HTTP(S) probes: a page, a file download (``min_bytes``) or a stream (``stream_bytes``).

One probe is one request, bounded twice: in time by ``check.timeout`` over the whole exchange
(connect, TLS, headers and body), and in memory by ``check.max_body_bytes`` over everything read.
A server that trickles bytes or streams forever therefore ends the probe at the timeout or at the
bound, never later. By default every probe opens a fresh connection, so each one measures what a
new visitor meets (DNS, TCP and TLS set-up included).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import re
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver
from aiohttp.connector import Connection
from multidict import CIMultiDict

from ..clock import Clock
from ..config.settings import HttpCheck
from ..redact import scrub_url_secrets
from ..results import Outcome, ProbeResult
from .result import Attempt, failure

__all__ = ["USER_AGENT", "certificate_expiry", "open_session", "probe_http"]

USER_AGENT = "slawatch (uptime probe)"

_CHUNK = 65_536


def open_session(
    *, resolver: AbstractResolver | None = None, reuse_connections: bool = False
) -> aiohttp.ClientSession:
    """A client session for probes; the caller closes it. Call it inside a running event loop.

    Without ``reuse_connections`` its connector closes every connection after one response.
    Names are resolved afresh for every connection (no DNS cache): a probe should see the
    answer a new visitor would get. Cookies are never kept, so one probe cannot change the next.
    Timeouts are left to the caller, which bounds the whole probe.
    """
    connector = aiohttp.TCPConnector(
        force_close=not reuse_connections,
        use_dns_cache=False,
        resolver=resolver,
        limit=0,
    )
    return aiohttp.ClientSession(
        connector=connector,
        response_class=_ProbeResponse,
        timeout=aiohttp.ClientTimeout(),
        cookie_jar=aiohttp.DummyCookieJar(),
        trust_env=False,
    )


class _ProbeResponse(aiohttp.ClientResponse):
    """A response that reads its certificate's expiry as soon as it starts.

    aiohttp lets go of the connection the moment the body has arrived, which for a small page is
    before the caller can look at ``response.connection``; here the TLS session is read first.
    """

    cert_expires_at: datetime | None = None

    async def start(self, connection: Connection) -> aiohttp.ClientResponse:
        """Note the peer certificate's expiry, then read the response head."""
        transport = connection.transport
        ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
        if isinstance(ssl_object, ssl.SSLObject):
            self.cert_expires_at = certificate_expiry(ssl_object)
        return await super().start(connection)


@dataclass(slots=True)
class _Evidence:
    """What the probe saw so far; kept when a later step fails (a timeout mid-body, say)."""

    status: int | None = None
    bytes_read: int = 0
    cert_expires_at: datetime | None = None
    content_length: int | None = None
    body_mismatch: bool = False


async def probe_http(
    check: HttpCheck,
    *,
    check_id: str,
    vantage: str,
    clock: Clock,
    session: aiohttp.ClientSession | None = None,
    resolver: AbstractResolver | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> ProbeResult:
    """Probe ``check`` once; every failure becomes an outcome, only cancellation propagates.

    ``session`` is used for checks with ``reuse_connections`` (the caller owns and closes it);
    otherwise the probe opens and closes its own, resolving names with ``resolver`` (the
    system's when None). ``ssl_context`` replaces the default trust store for verification.
    """
    attempt = Attempt(clock, check_id=check_id, vantage=vantage)
    evidence = _Evidence()
    own_session: aiohttp.ClientSession | None = None
    try:
        if session is None or not check.reuse_connections:
            session = own_session = open_session(resolver=resolver)
        async with asyncio.timeout(check.timeout):
            outcome, detail = await _exchange(session, check, evidence, ssl_context)
    except Exception as error:  # a failed probe is data: every error becomes an outcome
        outcome, detail = failure(error, timeout=check.timeout, awaited="complete answer")
        if outcome is not Outcome.TIMEOUT:
            # aiohttp's messages may quote the URL, and with it the check's credentials.
            detail = scrub_url_secrets(detail, check.url)
        elif evidence.status is not None:
            detail += f" (status {evidence.status}, {evidence.bytes_read} bytes read)"
    finally:
        # Taken before the session closes: closing it is no part of what the target took.
        latency = attempt.elapsed()
        if own_session is not None:
            await _close(own_session)
    if outcome is Outcome.UP and check.max_latency is not None and latency > check.max_latency:
        outcome = Outcome.TOO_SLOW
        detail = f"took {latency:.3f}s, more than {check.max_latency:g}s; {detail}"
    return attempt.result(
        outcome,
        detail,
        latency=latency,
        status=evidence.status,
        bytes_read=evidence.bytes_read,
        cert_expires_at=evidence.cert_expires_at,
        content_length=evidence.content_length,
        body_mismatch=evidence.body_mismatch,
    )


async def _close(session: aiohttp.ClientSession) -> None:
    # The measurement is complete by now: failing to release a socket must not turn it into an
    # error, and the connector aborts what it cannot close cleanly.
    with contextlib.suppress(Exception):
        await session.close()


def _read_goal(check: HttpCheck) -> int:
    """How many body bytes the probe wants: a stream's sample, a download's minimum, or all."""
    if check.stream_bytes is not None:
        return check.stream_bytes
    if check.min_bytes is not None and check.contains is None and check.regex is None:
        return check.min_bytes
    return check.max_body_bytes


async def _exchange(
    session: aiohttp.ClientSession,
    check: HttpCheck,
    evidence: _Evidence,
    ssl_context: ssl.SSLContext | None,
) -> tuple[Outcome, str]:
    for name in ("min_bytes", "stream_bytes"):
        wanted = getattr(check, name)
        if wanted is not None and wanted > check.max_body_bytes:
            return Outcome.PROBE_ERROR, (
                f"{name} ({wanted}) exceeds max_body_bytes ({check.max_body_bytes})"
            )
    headers: CIMultiDict[str] = CIMultiDict({"User-Agent": USER_AGENT})
    headers.update({name: value.get_secret_value() for name, value in check.headers.items()})
    server_hostname: str | None = None
    if check.host is not None:
        headers["Host"] = check.host
        if urlsplit(check.url).scheme == "https":
            # Present the virtual host's name in SNI and verify the certificate against it, as a
            # browser visiting that name would, though the URL points at a node's address.
            server_hostname = urlsplit(f"//{check.host}").hostname
    tls: ssl.SSLContext | bool = (ssl_context or True) if check.verify_tls else False
    async with session.request(
        check.method,
        check.url,
        headers=headers,
        allow_redirects=check.follow_redirects,
        ssl=tls,
        server_hostname=server_hostname,
    ) as response:
        evidence.status = response.status
        evidence.content_length = response.content_length
        evidence.cert_expires_at = _response_cert_expiry(response)
        status = f"{response.status} {response.reason or ''}".rstrip()
        if not _status_ok(check, response.status):
            return Outcome.HTTP_STATUS, f"status {status}, expected {_expected(check)}"
        if check.method == "HEAD":
            return Outcome.UP, status
        keep = check.contains is not None or check.regex is not None
        body, ended = await _read_body(response.content, _read_goal(check), evidence, keep=keep)
        charset = response.charset or "utf-8"
    return _judge_body(check, status, body, evidence, ended=ended, charset=charset)


def _status_ok(check: HttpCheck, status: int) -> bool:
    if check.expect_status is None:
        return 200 <= status < 300
    return status in check.expect_status


def _expected(check: HttpCheck) -> str:
    if check.expect_status is None:
        return "2xx"
    return " or ".join(str(code) for code in check.expect_status)


async def _read_body(
    content: aiohttp.StreamReader, goal: int, evidence: _Evidence, *, keep: bool
) -> tuple[bytes, bool]:
    """Read until ``goal`` bytes or the end of the body; True when the body ended first.

    Reading stops at ``goal`` even when more is coming: leaving the response then closes the
    connection rather than draining an endless body.
    """
    body = bytearray()
    while evidence.bytes_read < goal:
        chunk = await content.read(min(_CHUNK, goal - evidence.bytes_read))
        if not chunk:
            return bytes(body), True
        evidence.bytes_read += len(chunk)
        if keep:
            body += chunk
    return bytes(body), content.at_eof()


def _judge_body(
    check: HttpCheck,
    status: str,
    body: bytes,
    evidence: _Evidence,
    *,
    ended: bool,
    charset: str,
) -> tuple[Outcome, str]:
    size = evidence.bytes_read
    if check.stream_bytes is not None and size < check.stream_bytes:
        return Outcome.CONTENT_MISMATCH, (
            f"stream ended after {size} bytes, expected {check.stream_bytes}"
        )
    if check.min_bytes is not None and size < check.min_bytes:
        return Outcome.CONTENT_MISMATCH, (
            f"body ended after {size} bytes, expected at least {check.min_bytes}"
        )
    where = f"the body ({size} bytes)" if ended else f"the first {size} bytes"
    if check.contains is not None or check.regex is not None:
        try:
            text = body.decode(charset, errors="replace")
        except LookupError:
            text = body.decode("utf-8", errors="replace")
        if check.contains is not None and check.contains not in text:
            evidence.body_mismatch = True
            return Outcome.CONTENT_MISMATCH, f"{check.contains!r} not found in {where}"
        if check.regex is not None and re.search(check.regex, text) is None:
            evidence.body_mismatch = True
            return Outcome.CONTENT_MISMATCH, f"/{check.regex}/ does not match {where}"
    return Outcome.UP, f"{status}, {size} bytes" + ("" if ended else " read")


def _response_cert_expiry(response: aiohttp.ClientResponse) -> datetime | None:
    if isinstance(response, _ProbeResponse):
        return response.cert_expires_at
    # A caller's own session: the connection is still there unless the body has already arrived.
    connection = response.connection
    transport = connection.transport if connection is not None else None
    ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
    return certificate_expiry(ssl_object) if isinstance(ssl_object, ssl.SSLObject) else None


def certificate_expiry(ssl_object: ssl.SSLObject | ssl.SSLSocket) -> datetime | None:
    """When the peer's certificate expires, if that can be read.

    With verification on, the ``ssl`` module decodes the certificate. With it off, only the DER
    bytes are available; they are decoded with the ``cryptography`` package when it is installed
    (it is not a dependency), and the expiry is otherwise unknown.
    """
    decoded = ssl_object.getpeercert()
    if decoded:
        not_after = decoded.get("notAfter")
        if isinstance(not_after, str):
            return datetime.fromtimestamp(ssl.cert_time_to_seconds(not_after), UTC)
    der = ssl_object.getpeercert(binary_form=True)
    return _der_not_after(der) if der else None


def _der_not_after(der: bytes) -> datetime | None:
    try:
        x509 = importlib.import_module("cryptography.x509")
    except ImportError:
        return None
    try:
        not_after = x509.load_der_x509_certificate(der).not_valid_after_utc
    except (ValueError, AttributeError):
        return None
    return not_after if isinstance(not_after, datetime) else None

"""HTTP(S) probes: a page, a file download (``min_bytes``) or a stream (``stream_bytes``).

One probe is one request, bounded twice: in time by ``check.timeout`` over the whole exchange
(connect, TLS, headers and body), and in memory by ``check.max_body_bytes`` over everything read.
A server that trickles bytes or streams forever therefore ends the probe at the timeout or at the
bound, never later. By default every probe opens a fresh connection, so each one measures what a
new visitor meets (DNS, TCP and TLS set-up included).
"""

from __future__ import annotations

import asyncio
import importlib
import re
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

from ..clock import Clock
from ..config.settings import HttpCheck
from ..redact import scrub_url_secrets
from ..results import Outcome, ProbeResult
from .result import Attempt, failure
from .wire import (
    REDIRECTS,
    Answer,
    InvalidRequestError,
    KeepAlive,
    Resolver,
    ServerDisconnectedError,
    TooManyRedirectsError,
    Url,
    connect,
    parse_url,
    request_head,
    tls_context,
)

__all__ = ["USER_AGENT", "KeepAlive", "certificate_expiry", "probe_http"]

USER_AGENT = "slawatch (uptime probe)"

#: Redirects followed before a probe gives up (as browsers and most clients do).
MAX_REDIRECTS = 10


@dataclass(slots=True)
class _Evidence:
    """What the probe saw so far; kept when a later step fails (a timeout mid-body, say)."""

    status: int | None = None
    bytes_read: int = 0
    cert_expires_at: datetime | None = None
    content_length: int | None = None
    body_mismatch: bool = False
    answer: Answer | None = None

    def take(self, answer: Answer) -> None:
        """Note what ``answer`` holds now."""
        self.answer = answer
        self.status = answer.status
        self.content_length = answer.content_length


async def probe_http(
    check: HttpCheck,
    *,
    check_id: str,
    vantage: str,
    clock: Clock,
    keep_alive: KeepAlive | None = None,
    resolver: Resolver | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> ProbeResult:
    """Probe ``check`` once; every failure becomes an outcome, only cancellation propagates.

    ``keep_alive`` holds the open connections of checks with ``reuse_connections`` (the caller
    owns and closes it); other checks connect afresh for every probe, as a new visitor does.
    Names resolve through ``resolver`` (the system's when None). ``ssl_context`` replaces the
    default trust store for verification.
    """
    attempt = Attempt(clock, check_id=check_id, vantage=vantage)
    evidence = _Evidence()
    pool = keep_alive if check.reuse_connections else None
    try:
        async with asyncio.timeout(check.timeout):
            outcome, detail = await _exchange(check, evidence, pool, resolver, ssl_context)
    except Exception as error:  # a failed probe is data: every error becomes an outcome
        outcome, detail = failure(error, timeout=check.timeout, awaited="complete answer")
        if outcome is not Outcome.TIMEOUT:
            detail = scrub_url_secrets(detail, check.url)
        elif evidence.status is not None:
            detail += f" (status {evidence.status}, {_bytes_read(evidence)} bytes read)"
    finally:
        # Taken before the connection closes: closing it is no part of what the target took.
        latency = attempt.elapsed()
        if evidence.answer is not None:
            evidence.bytes_read = evidence.answer.bytes_read
            evidence.answer.close()
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


def _bytes_read(evidence: _Evidence) -> int:
    return evidence.answer.bytes_read if evidence.answer is not None else evidence.bytes_read


def _read_goal(check: HttpCheck) -> int:
    """How many body bytes the probe wants: a stream's sample, a download's minimum, or all."""
    if check.stream_bytes is not None:
        return check.stream_bytes
    if check.min_bytes is not None and check.contains is None and check.regex is None:
        return check.min_bytes
    return check.max_body_bytes


@dataclass(frozen=True, slots=True)
class _Request:
    """One request of a probe: where it goes, what is written, how much of the answer is read."""

    url: Url
    head: bytes
    tls: ssl.SSLContext | None
    server_hostname: str | None
    goal: int
    keep: bool
    head_only: bool

    @property
    def pool_key(self) -> tuple[object, ...]:
        """What a kept connection must share with this request to carry it."""
        return (*self.url.origin, id(self.tls), self.server_hostname)


async def _exchange(
    check: HttpCheck,
    evidence: _Evidence,
    pool: KeepAlive | None,
    resolver: Resolver | None,
    trust: ssl.SSLContext | None,
) -> tuple[Outcome, str]:
    headers = {"User-Agent": USER_AGENT}
    headers.update({name: value.get_secret_value() for name, value in check.headers.items()})
    # Present the virtual host's name in SNI and the Host header, and verify the certificate
    # against it, as a browser visiting that name would, though the URL points at a node.
    override = check.host
    method = check.method
    current = check.url
    redirects = 0
    while True:
        request = _request(
            check,
            parse_url(current),
            method=method,
            headers=headers,
            override=override,
            pool=pool,
            trust=trust,
        )
        answer = await _ask(request, resolver, pool)
        evidence.take(answer)
        evidence.cert_expires_at = _peer_expiry(answer) or evidence.cert_expires_at
        location = answer.location
        if not (check.follow_redirects and answer.status in REDIRECTS and location):
            break
        redirects += 1
        if redirects > MAX_REDIRECTS:
            raise TooManyRedirectsError(f"more than {MAX_REDIRECTS} redirects")
        answer.close()
        following = urljoin(current, location)
        try:
            target = parse_url(following)
        except InvalidRequestError as error:
            # The target's answer, not the prober's failure: a visitor cannot follow it either.
            return Outcome.HTTP_STATUS, (
                f"status {answer.status}: a redirect no client can follow ({error})"
            )
        if target.origin != request.url.origin:
            # Another server: the node's virtual host and the URL's credentials stay behind.
            override = None
            headers.pop("Authorization", None)
        if method == "POST" and answer.status in (301, 302, 303):
            method = "GET"
        current = following
    status = f"{answer.status} {answer.reason}".rstrip()
    if not _status_ok(check, answer.status or 0):
        return Outcome.HTTP_STATUS, f"status {status}, expected {_expected(check)}"
    if method == "HEAD":
        return Outcome.UP, status
    await answer.rest()
    evidence.bytes_read = answer.bytes_read
    if pool is not None:
        pool.give(request.pool_key, answer)
        evidence.answer = None
    charset = answer.charset or "utf-8"
    ended = answer.complete
    return _judge_body(check, status, bytes(answer.body), evidence, ended=ended, charset=charset)


def _request(
    check: HttpCheck,
    url: Url,
    *,
    method: str,
    headers: dict[str, str],
    override: str | None,
    pool: KeepAlive | None,
    trust: ssl.SSLContext | None,
) -> _Request:
    host_header = {"Host": override} if override is not None else {}
    return _Request(
        url=url,
        head=request_head(method, url, headers | host_header, keep_alive=pool is not None),
        tls=tls_context(verify=check.verify_tls, trust=trust) if url.tls else None,
        server_hostname=urlsplit(f"//{override}").hostname if override and url.tls else None,
        goal=_read_goal(check),
        keep=check.contains is not None or check.regex is not None,
        head_only=method == "HEAD",
    )


async def _ask(request: _Request, resolver: Resolver | None, pool: KeepAlive | None) -> Answer:
    """Send the request and wait for the response's head.

    A kept connection that the server closed before answering is replaced by a fresh one,
    once: the request never reached the application.
    """
    if pool is not None:
        answer = pool.take(request.pool_key)
        if answer is not None:
            try:
                _send(answer, request)
                await answer.head()
            except (ServerDisconnectedError, ConnectionResetError):
                answer.close()
                if answer.received:
                    raise
            else:
                return answer
    answer = await connect(
        request.url, tls=request.tls, server_hostname=request.server_hostname, resolver=resolver
    )
    try:
        _send(answer, request)
        await answer.head()
    except BaseException:
        answer.close()
        raise
    return answer


def _send(answer: Answer, request: _Request) -> None:
    answer.send(request.head, goal=request.goal, keep=request.keep, head_only=request.head_only)


def _status_ok(check: HttpCheck, status: int) -> bool:
    if check.expect_status is None:
        return 200 <= status < 300
    return status in check.expect_status


def _expected(check: HttpCheck) -> str:
    if check.expect_status is None:
        return "2xx"
    return " or ".join(str(code) for code in check.expect_status)


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


def _peer_expiry(answer: Answer) -> datetime | None:
    transport = answer.transport
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

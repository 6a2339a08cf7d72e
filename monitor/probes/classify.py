"""Third-party errors become outcomes here, at one seam, most specific first.

aiohttp's exception tree is many-rooted: ``ClientConnectorCertificateError`` is at once a
``ClientConnectorError``, an ``ssl.CertificateError`` and an ``OSError``, and
``ServerTimeoutError`` is both a connection error and a ``TimeoutError``. So the order of
:data:`_RULES` is the meaning: the first rule an exception matches wins, and a rule is placed
above every rule whose types are bases of its own.
"""

from __future__ import annotations

import asyncio
import errno
import socket
import ssl
from dataclasses import dataclass

import aiohttp
import dns.exception
import dns.resolver
from aiohttp import http_exceptions

from ..results import Outcome
from .wire import (
    InvalidRequestError,
    MalformedResponseError,
    ServerDisconnectedError,
    TooManyRedirectsError,
)

__all__ = ["classify"]

#: Longest detail kept: enough to name the cause, short enough for a metric label or a table.
_MAX_DETAIL = 200

#: Errnos that say the prober's own machine ran out of something: not the target's fault.
_EXHAUSTED = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})


@dataclass(frozen=True, slots=True)
class _Rule:
    types: tuple[type[BaseException], ...]
    outcome: Outcome
    label: str
    errnos: frozenset[int] | None = None

    def matches(self, exc: BaseException) -> bool:
        if not isinstance(exc, self.types):
            return False
        return self.errnos is None or getattr(exc, "errno", None) in self.errnos


_RULES: tuple[_Rule, ...] = (
    # TLS and name-resolution errors carry their own codes in errno, never an OS errno.
    _Rule((ssl.CertificateError,), Outcome.TLS_ERROR, "certificate rejected"),
    _Rule((aiohttp.ServerFingerprintMismatch,), Outcome.TLS_ERROR, "certificate fingerprint"),
    _Rule((aiohttp.ClientSSLError, ssl.SSLError), Outcome.TLS_ERROR, "TLS failed"),
    _Rule((aiohttp.ClientConnectorDNSError, socket.gaierror), Outcome.DNS_ERROR, "cannot resolve"),
    _Rule((dns.resolver.NXDOMAIN,), Outcome.DNS_ERROR, "no such name"),
    _Rule((dns.resolver.NoAnswer,), Outcome.DNS_ERROR, "no answer of that type"),
    _Rule((dns.resolver.NoNameservers,), Outcome.DNS_ERROR, "no server answered"),
    _Rule((OSError,), Outcome.PROBE_ERROR, "prober out of resources", _EXHAUSTED),
    _Rule((TimeoutError, dns.exception.Timeout), Outcome.TIMEOUT, "timed out"),
    _Rule((dns.exception.DNSException,), Outcome.DNS_ERROR, "DNS failed"),
    _Rule(
        (aiohttp.TooManyRedirects, TooManyRedirectsError), Outcome.HTTP_STATUS, "too many redirects"
    ),
    _Rule((MalformedResponseError,), Outcome.PROTOCOL_ERROR, "malformed HTTP"),
    _Rule((aiohttp.ClientPayloadError,), Outcome.PROTOCOL_ERROR, "malformed body"),
    _Rule((http_exceptions.HttpProcessingError,), Outcome.PROTOCOL_ERROR, "malformed HTTP"),
    # Without raise_for_status, aiohttp raises this only when the response cannot be parsed.
    _Rule((aiohttp.ClientResponseError,), Outcome.PROTOCOL_ERROR, "malformed response"),
    _Rule(
        (aiohttp.ServerDisconnectedError, ServerDisconnectedError),
        Outcome.CONNECT_ERROR,
        "server disconnected",
    ),
    _Rule((ConnectionRefusedError,), Outcome.CONNECT_ERROR, "connection refused"),
    _Rule((OSError,), Outcome.CONNECT_ERROR, "connection refused", frozenset({errno.ECONNREFUSED})),
    _Rule((aiohttp.ClientConnectorError,), Outcome.CONNECT_ERROR, "cannot connect"),
    _Rule((ConnectionResetError,), Outcome.CONNECT_ERROR, "connection reset"),
    _Rule((ConnectionAbortedError,), Outcome.CONNECT_ERROR, "connection aborted"),
    _Rule((OSError,), Outcome.CONNECT_ERROR, "connection reset", frozenset({errno.ECONNRESET})),
    _Rule((BrokenPipeError,), Outcome.CONNECT_ERROR, "connection closed"),
    _Rule((aiohttp.ClientConnectionError, OSError), Outcome.CONNECT_ERROR, "network error"),
    _Rule((aiohttp.InvalidURL,), Outcome.PROBE_ERROR, "invalid URL"),
    _Rule((InvalidRequestError,), Outcome.PROBE_ERROR, "cannot send"),
)


def _message(exc: BaseException) -> str:
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        exc = exc.certificate_error
    if isinstance(exc, ssl.SSLCertVerificationError) and exc.verify_message:
        return exc.verify_message
    if isinstance(exc, aiohttp.ClientConnectorError) and not isinstance(exc, ssl.SSLError):
        cause = exc.os_error
        return f"{exc.host}:{exc.port} {cause.strerror or str(cause) or type(cause).__name__}"
    if isinstance(exc, aiohttp.ClientResponseError):
        return exc.message
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc)


def classify(exc: BaseException) -> tuple[Outcome, str]:
    """The outcome an exception stands for, and a short detail naming its cause.

    Cancellation, ``KeyboardInterrupt`` and ``SystemExit`` are not probe results: they are
    re-raised, so a caller that classifies everything it catches still stops when told to.
    """
    if isinstance(exc, asyncio.CancelledError | KeyboardInterrupt | SystemExit):
        raise exc
    message = " ".join(_message(exc).split())
    for rule in _RULES:
        if rule.matches(exc):
            detail = f"{rule.label}: {message}" if message else rule.label
            return rule.outcome, detail[:_MAX_DETAIL]
    name = type(exc).__name__
    return Outcome.PROBE_ERROR, (f"{name}: {message}" if message else name)[:_MAX_DETAIL]

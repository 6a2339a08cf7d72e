"""classify: third-party exceptions to outcomes, most specific first."""

from __future__ import annotations

import asyncio
import errno
import socket
import ssl

import aiohttp
import dns.exception
import dns.resolver
import pytest
from aiohttp import http_exceptions

from monitor.probes import classify
from monitor.results import Outcome


def certificate_error() -> ssl.SSLCertVerificationError:
    """A verification failure as the ssl module raises it."""
    error = ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] failed")
    error.verify_message = "certificate has expired"
    return error


def bare(kind: type[BaseException]) -> BaseException:
    """An exception of ``kind`` made without arguments, as dnspython raises many of its own."""
    return kind()


@pytest.mark.parametrize(
    ("error", "outcome", "detail"),
    [
        pytest.param(certificate_error(), Outcome.TLS_ERROR, "certificate rejected: "
                     "certificate has expired", id="ssl-verify"),
        pytest.param(ssl.SSLError(1, "wrong version number"), Outcome.TLS_ERROR,
                     "TLS failed: wrong version number", id="ssl-other"),
        pytest.param(socket.gaierror(socket.EAI_NONAME, "Name or service not known"),
                     Outcome.DNS_ERROR, "cannot resolve: Name or service not known", id="gaierror"),
        pytest.param(bare(dns.resolver.NXDOMAIN), Outcome.DNS_ERROR, None, id="nxdomain"),
        pytest.param(bare(dns.resolver.NoAnswer), Outcome.DNS_ERROR, None, id="no-answer"),
        pytest.param(bare(dns.resolver.NoNameservers), Outcome.DNS_ERROR, None,
                     id="no-nameservers"),
        pytest.param(bare(dns.resolver.LifetimeTimeout), Outcome.TIMEOUT, None,
                     id="dns-timeout"),
        pytest.param(TimeoutError(), Outcome.TIMEOUT, "timed out", id="timeout"),
        pytest.param(aiohttp.ServerTimeoutError("read"), Outcome.TIMEOUT, "timed out: read",
                     id="aiohttp-timeout-before-connection-error"),
        pytest.param(aiohttp.ClientPayloadError("short"), Outcome.PROTOCOL_ERROR,
                     "malformed body: short", id="payload"),
        pytest.param(http_exceptions.BadStatusLine("SSH-2.0"), Outcome.PROTOCOL_ERROR, None,
                     id="bad-status-line"),
        pytest.param(aiohttp.ServerDisconnectedError(), Outcome.CONNECT_ERROR, None,
                     id="disconnected"),
        pytest.param(ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"),
                     Outcome.CONNECT_ERROR, "connection refused: Connection refused",
                     id="refused"),
        pytest.param(ConnectionResetError(errno.ECONNRESET, "Connection reset by peer"),
                     Outcome.CONNECT_ERROR, "connection reset: Connection reset by peer",
                     id="reset"),
        pytest.param(aiohttp.ClientOSError(errno.ECONNRESET, "Connection reset by peer"),
                     Outcome.CONNECT_ERROR, "connection reset: Connection reset by peer",
                     id="aiohttp-reset"),
        pytest.param(OSError(errno.EHOSTUNREACH, "No route to host"), Outcome.CONNECT_ERROR,
                     "network error: No route to host", id="unreachable"),
        pytest.param(OSError(errno.EMFILE, "Too many open files"), Outcome.PROBE_ERROR,
                     "prober out of resources: Too many open files", id="out-of-files"),
        pytest.param(ValueError("bad\n  thing"), Outcome.PROBE_ERROR, "ValueError: bad thing",
                     id="anything-else"),
        pytest.param(RuntimeError(), Outcome.PROBE_ERROR, "RuntimeError", id="no-message"),
    ],
)  # fmt: skip
def test_classify(error: BaseException, outcome: Outcome, detail: str | None) -> None:
    """Each exception maps to its outcome with a one-line detail naming the cause."""
    got_outcome, got_detail = classify(error)
    assert got_outcome is outcome
    if detail is not None:
        assert got_detail == detail
    assert "\n" not in got_detail
    assert len(got_detail) <= 200


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(asyncio.CancelledError(), id="cancelled"),
        pytest.param(KeyboardInterrupt(), id="interrupt"),
        pytest.param(SystemExit(1), id="exit"),
    ],
)
def test_stop_signals_are_reraised(error: BaseException) -> None:
    """Cancellation and interpreter exit are never turned into outcomes."""
    with pytest.raises(type(error)):
        classify(error)


def test_long_detail_is_cut() -> None:
    """A long message is cut to 200 characters."""
    _, detail = classify(ValueError("x" * 1000))
    assert len(detail) == 200

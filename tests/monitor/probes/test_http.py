"""The HTTP prober against real servers on loopback: pages, downloads, streams, and bad servers."""

from __future__ import annotations

import asyncio
import socket
import struct
import time
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from pydantic import ValidationError

from monitor.clock import SystemClock
from monitor.config.settings import HttpCheck
from monitor.probes import KeepAlive, probe_http
from monitor.results import Outcome, ProbeResult

from .servers import RawServers, WebServers, refused_port

PAGE = "<html><h1>Welcome to the shop</h1><p>order #12345 ready</p></html>"


def http_check(url: str, **fields: Any) -> HttpCheck:
    """An HTTP check of ``url`` with a short timeout, and ``fields`` as in the configuration."""
    return HttpCheck.model_validate(
        {"name": "page", "type": "http", "url": url, "timeout": 1.0, **fields}
    )


async def probe(check: HttpCheck, **options: Any) -> ProbeResult:
    """Probe ``check`` once with the real clock."""
    return await probe_http(
        check, check_id="shop/page", vantage="test", clock=SystemClock(), **options
    )


@dataclass
class Seen:
    """What the test site saw of its visitors."""

    hosts: list[str] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)
    peers: list[int] = field(default_factory=list)


@pytest.fixture
async def site(web_servers: WebServers) -> tuple[str, Seen]:
    """A small site on loopback, and a record of what it saw."""
    seen = Seen()

    async def page(request: web.Request) -> web.Response:
        seen.methods.append(request.method)
        return web.Response(text=PAGE, content_type="text/html")

    async def status(request: web.Request) -> web.Response:
        code = int(request.match_info["code"])
        return web.Response(status=code, text=None if code == 204 else "no")

    async def file(request: web.Request) -> web.Response:
        return web.Response(body=b"x" * int(request.match_info["size"]))

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(0.3)  # the server under test is slow: this is its behaviour
        return web.Response(text=PAGE)

    async def virtual_host(request: web.Request) -> web.Response:
        seen.hosts.append(request.headers.get("Host", ""))
        if request.headers.get("Host") != "shop.example.com":
            return web.Response(status=421, text="misdirected")
        return web.Response(text=PAGE)

    async def peer(request: web.Request) -> web.Response:
        peername = request.transport.get_extra_info("peername") if request.transport else None
        seen.peers.append(int(peername[1]) if peername else 0)
        return web.Response(text=PAGE)

    async def moved(request: web.Request) -> web.Response:
        raise web.HTTPFound("/")

    app = web.Application()
    app.router.add_get("/", page)
    app.router.add_get("/status/{code}", status)
    app.router.add_get("/file/{size}", file)
    app.router.add_get("/slow", slow)
    app.router.add_get("/vhost", virtual_host)
    app.router.add_get("/peer", peer)
    app.router.add_get("/moved", moved)
    port = await web_servers.start(app)
    return f"http://127.0.0.1:{port}", seen


async def read_head(reader: asyncio.StreamReader) -> None:
    """Read one request's head (the probes send no body)."""
    await reader.readuntil(b"\r\n\r\n")


async def endless_chunked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A 200 whose chunked body never ends."""
    await read_head(reader)
    writer.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: video/mp2t\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b"%x\r\n%s\r\n" % (8192, b"v" * 8192)
    while True:
        writer.write(chunk)
        await writer.drain()
        await asyncio.sleep(0)  # let the client run: drain() does not yield while unpaused


async def trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A 200 that promises a megabyte and sends one byte every 50 ms, forever."""
    await read_head(reader)
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n")
    while True:
        writer.write(b"x")
        await writer.drain()
        await asyncio.sleep(0.05)  # the server under test trickles: this is its behaviour


async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Accept, read whatever comes, never answer."""
    while await reader.read(65536):
        pass


async def reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Read the request, then reset the connection (SO_LINGER 0 makes close send RST)."""
    await read_head(reader)
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answer an HTTP request with something that is not HTTP."""
    await read_head(reader)
    writer.write(b"SSH-2.0-OpenSSH_9.6\r\nProtocol mismatch.\r\n\r\n")
    await writer.drain()
    writer.close()


async def truncated(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Promise 1000 bytes, send 10, close."""
    await read_head(reader)
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789")
    await writer.drain()
    writer.close()


async def test_page_up_with_contains_and_regex(site: tuple[str, Seen]) -> None:
    """A 200 page holding the expected text and matching the pattern is up, with its evidence."""
    base, _ = site
    before = SystemClock().now()
    result = await probe(http_check(f"{base}/", contains="Welcome", regex=r"order #\d+ ready"))
    assert result.outcome is Outcome.UP
    assert result.status == 200
    assert result.bytes_read == len(PAGE)
    assert result.check == "shop/page"
    assert result.vantage == "test"
    assert before <= result.started_at <= SystemClock().now()
    assert 0 < result.latency < 1.0
    assert result.cert_expires_at is None


@pytest.mark.parametrize(
    ("status", "fields", "expected"),
    [
        pytest.param(503, {}, Outcome.HTTP_STATUS, id="503-not-2xx"),
        pytest.param(404, {}, Outcome.HTTP_STATUS, id="404-not-2xx"),
        pytest.param(204, {}, Outcome.UP, id="204-is-2xx"),
        pytest.param(404, {"expect_status": [404]}, Outcome.UP, id="404-expected"),
        pytest.param(200, {"expect_status": [201, 202]}, Outcome.HTTP_STATUS, id="200-unexpected"),
    ],
)
async def test_status_is_checked(
    site: tuple[str, Seen], status: int, fields: dict[str, Any], expected: Outcome
) -> None:
    """The status must be 2xx, or one of expect_status when it is given."""
    base, _ = site
    result = await probe(http_check(f"{base}/status/{status}", **fields))
    assert result.outcome is expected
    assert result.status == status


async def test_wrong_status_names_status_and_expectation(site: tuple[str, Seen]) -> None:
    """An http_status result says what came back and what was expected."""
    base, _ = site
    result = await probe(http_check(f"{base}/status/503"))
    assert result.outcome is Outcome.HTTP_STATUS
    assert result.detail == "status 503 Service Unavailable, expected 2xx"


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"contains": "Goodbye"}, id="contains"),
        pytest.param({"regex": r"order #[a-z]+"}, id="regex"),
        pytest.param({"contains": "Welcome", "regex": "^nothing$"}, id="both-one-fails"),
    ],
)
async def test_missing_text_is_content_mismatch(
    site: tuple[str, Seen], fields: dict[str, Any]
) -> None:
    """A 200 page without the expected text is content_mismatch, not up."""
    base, _ = site
    result = await probe(http_check(f"{base}/", **fields))
    assert result.outcome is Outcome.CONTENT_MISMATCH
    assert result.status == 200


async def test_follows_redirects_to_the_final_status(site: tuple[str, Seen]) -> None:
    """With follow_redirects (the default) the final response is judged."""
    base, _ = site
    result = await probe(http_check(f"{base}/moved", contains="Welcome"))
    assert result.outcome is Outcome.UP
    assert result.status == 200


async def test_redirect_not_followed_is_judged_itself(site: tuple[str, Seen]) -> None:
    """Without follow_redirects a 302 is not 2xx."""
    base, _ = site
    result = await probe(http_check(f"{base}/moved", follow_redirects=False))
    assert result.outcome is Outcome.HTTP_STATUS
    assert result.status == 302


async def test_download_reaching_min_bytes_is_up(site: tuple[str, Seen]) -> None:
    """A download is up once min_bytes have arrived; reading stops there."""
    base, _ = site
    result = await probe(http_check(f"{base}/file/50000", min_bytes=20000))
    assert result.outcome is Outcome.UP
    assert result.bytes_read == 20000


async def test_short_download_is_content_mismatch(site: tuple[str, Seen]) -> None:
    """A file that ends before min_bytes is content_mismatch."""
    base, _ = site
    result = await probe(http_check(f"{base}/file/500", min_bytes=20000))
    assert result.outcome is Outcome.CONTENT_MISMATCH
    assert result.bytes_read == 500
    assert result.detail == "body ended after 500 bytes, expected at least 20000"


@pytest.mark.parametrize("field", ["min_bytes", "stream_bytes"])
def test_more_bytes_than_the_bound_is_refused_by_the_config(field: str) -> None:
    """min_bytes or stream_bytes above max_body_bytes could never be met: the config says so."""
    with pytest.raises(ValidationError, match=f"{field}: 2000 is more than max_body_bytes"):
        http_check("http://127.0.0.1:1/file", **{field: 2000, "max_body_bytes": 1000})


async def test_stream_sample_of_endless_body_is_up(raw: RawServers) -> None:
    """A stream is up once stream_bytes arrived; the probe stops reading and returns at once."""
    port = await raw.start(endless_chunked)
    started = time.monotonic()
    result = await probe(http_check(f"http://127.0.0.1:{port}/live", stream_bytes=100_000))
    assert time.monotonic() - started < 1.0
    assert result.outcome is Outcome.UP
    assert result.bytes_read == 100_000


async def test_silent_server_times_out(raw: RawServers) -> None:
    """A server that accepts and never answers ends the probe at the timeout."""
    port = await raw.start(silent)
    started = time.monotonic()
    result = await probe(http_check(f"http://127.0.0.1:{port}/", timeout=0.3))
    elapsed = time.monotonic() - started
    assert result.outcome is Outcome.TIMEOUT
    assert 0.3 <= elapsed < 0.3 + 1.0
    assert result.status is None
    assert result.detail == "no complete answer within 0.3s"


async def test_trickling_body_times_out(raw: RawServers) -> None:
    """A body trickled one byte per 50 ms ends at the timeout, keeping what was read."""
    port = await raw.start(trickle)
    started = time.monotonic()
    result = await probe(http_check(f"http://127.0.0.1:{port}/", timeout=0.3))
    assert time.monotonic() - started < 0.3 + 1.0
    assert result.outcome is Outcome.TIMEOUT
    assert result.status == 200
    assert 0 < result.bytes_read < 20


async def test_endless_body_read_is_bounded(raw: RawServers) -> None:
    """Without stream_bytes, an endless body is read up to max_body_bytes and no further."""
    port = await raw.start(endless_chunked)
    result = await probe(http_check(f"http://127.0.0.1:{port}/", max_body_bytes=50_000))
    assert result.outcome is Outcome.UP
    assert result.bytes_read == 50_000
    assert result.detail == "200 OK, 50000 bytes read"


async def test_endless_body_never_exceeds_bound_over_many_probes(raw: RawServers) -> None:
    """Twenty probes of an endless body each read at most max_body_bytes."""
    port = await raw.start(endless_chunked)
    check = http_check(f"http://127.0.0.1:{port}/", max_body_bytes=32_768, contains="v")
    for _ in range(20):
        result = await probe(check)
        assert result.outcome is Outcome.UP
        assert 0 < result.bytes_read <= 32_768


async def test_reset_connection_is_connect_error(raw: RawServers) -> None:
    """A server that resets the connection instead of answering is a connect_error."""
    port = await raw.start(reset)
    result = await probe(http_check(f"http://127.0.0.1:{port}/"))
    assert result.outcome is Outcome.CONNECT_ERROR
    assert result.status is None


async def test_garbage_instead_of_http_is_protocol_error(raw: RawServers) -> None:
    """Bytes that are not an HTTP response are a protocol_error."""
    port = await raw.start(garbage)
    result = await probe(http_check(f"http://127.0.0.1:{port}/"))
    assert result.outcome is Outcome.PROTOCOL_ERROR


async def test_truncated_body_is_protocol_error(raw: RawServers) -> None:
    """A body shorter than its Content-Length is a protocol_error."""
    port = await raw.start(truncated)
    result = await probe(http_check(f"http://127.0.0.1:{port}/", contains="0123"))
    assert result.outcome is Outcome.PROTOCOL_ERROR
    assert result.status == 200


async def test_refused_connection_is_connect_error() -> None:
    """A port nobody listens on is a connect_error, at once."""
    result = await probe(http_check(f"http://127.0.0.1:{refused_port()}/"))
    assert result.outcome is Outcome.CONNECT_ERROR
    assert result.detail.startswith("connection refused")
    assert result.latency < 1.0


async def test_host_override_sends_host_header(site: tuple[str, Seen]) -> None:
    """``host`` is sent as the Host header, so a node answers for the virtual host."""
    base, seen = site
    result = await probe(http_check(f"{base}/vhost", host="shop.example.com"))
    assert result.outcome is Outcome.UP
    assert seen.hosts == ["shop.example.com"]


async def test_without_host_override_the_url_host_is_sent(site: tuple[str, Seen]) -> None:
    """Without ``host``, the Host header is the URL's."""
    base, seen = site
    result = await probe(http_check(f"{base}/vhost"))
    assert result.outcome is Outcome.HTTP_STATUS
    assert result.status == 421
    assert seen.hosts == [base.removeprefix("http://")]


async def test_slow_answer_is_too_slow(site: tuple[str, Seen]) -> None:
    """A right answer later than max_latency is too_slow."""
    base, _ = site
    result = await probe(http_check(f"{base}/slow", max_latency="100ms", contains="Welcome"))
    assert result.outcome is Outcome.TOO_SLOW
    assert result.latency >= 0.3
    assert result.status == 200


async def test_fast_answer_within_max_latency_is_up(site: tuple[str, Seen]) -> None:
    """A right answer within max_latency is up."""
    base, _ = site
    result = await probe(http_check(f"{base}/", max_latency="900ms"))
    assert result.outcome is Outcome.UP


async def test_head_request(site: tuple[str, Seen]) -> None:
    """HEAD is sent as HEAD; no body is read."""
    base, seen = site
    result = await probe(http_check(f"{base}/", method="HEAD"))
    assert result.outcome is Outcome.UP
    assert result.status == 200
    assert result.bytes_read == 0
    assert seen.methods == ["HEAD"]


async def test_each_probe_opens_a_fresh_connection(site: tuple[str, Seen]) -> None:
    """By default every probe connects anew, even when kept connections are offered."""
    base, seen = site
    check = http_check(f"{base}/peer")
    keep_alive = KeepAlive()
    for _ in range(2):
        assert (await probe(check, keep_alive=keep_alive)).outcome is Outcome.UP
    keep_alive.close()
    assert len(set(seen.peers)) == 2


async def test_reuse_connections_keeps_one_connection(site: tuple[str, Seen]) -> None:
    """With reuse_connections, a probe sends its request on the connection the last one kept."""
    base, seen = site
    check = http_check(f"{base}/peer", reuse_connections=True)
    keep_alive = KeepAlive()
    for _ in range(2):
        assert (await probe(check, keep_alive=keep_alive)).outcome is Outcome.UP
    keep_alive.close()
    assert len(seen.peers) == 2
    assert len(set(seen.peers)) == 1


async def test_cancellation_propagates(raw: RawServers) -> None:
    """Cancelling a probe cancels it: CancelledError is never turned into a result."""
    accepted = asyncio.Event()

    async def answer_never(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.set()
        await silent(reader, writer)

    port = await raw.start(answer_never)
    task = asyncio.create_task(probe(http_check(f"http://127.0.0.1:{port}/", timeout=5)))
    await accepted.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

"""The HTTP prober's own client against raw servers on loopback: how bodies are framed and
encoded, redirects across servers, what is sent, and connections kept between probes."""

from __future__ import annotations

import asyncio
import base64
import gzip
import zlib
from typing import Any

import pytest

from monitor.probes import KeepAlive
from monitor.probes.wire import InvalidRequestError, parse_url, request_head
from monitor.results import Outcome

from .servers import RawServers
from .test_http import http_check, probe

Handler = Any


async def request_of(reader: asyncio.StreamReader) -> dict[str, str]:
    """One request's head: its line under "", then its headers by lower-case name."""
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    fields = {"": head[0]}
    for line in head[1:]:
        if line:
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip()
    return fields


def answering(response: bytes, seen: list[dict[str, str]] | None = None) -> Handler:
    """A server that reads one request, writes ``response`` and closes."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await request_of(reader)
        if seen is not None:
            seen.append(request)
        writer.write(response)
        await writer.drain()
        writer.close()

    return handler


async def test_chunked_body_is_read_and_searched(raw: RawServers) -> None:
    """A chunked body is joined before it is searched; its size is the data, not the framing."""
    body = b"6\r\nWelcom\r\n8\r\ne to the\r\n5\r\n shop\r\n0\r\n\r\n"
    port = await raw.start(
        answering(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + body)
    )
    result = await probe(http_check(f"http://127.0.0.1:{port}/", contains="Welcome to the shop"))
    assert result.outcome is Outcome.UP, result.detail
    assert result.bytes_read == len("Welcome to the shop")
    assert result.content_length is None


@pytest.mark.parametrize(
    ("coding", "encode"),
    [("gzip", gzip.compress), ("deflate", zlib.compress)],
)
async def test_compressed_body_is_decoded(raw: RawServers, coding: str, encode: Any) -> None:
    """gzip and deflate bodies are decoded; bytes_read counts the decoded body, Content-Length
    the bytes on the wire."""
    page = b"<h1>Welcome</h1>" + b"." * 5000
    packed = encode(page)
    seen: list[dict[str, str]] = []
    head = f"HTTP/1.1 200 OK\r\nContent-Encoding: {coding}\r\nContent-Length: {len(packed)}\r\n\r\n"
    port = await raw.start(answering(head.encode() + packed, seen))
    result = await probe(http_check(f"http://127.0.0.1:{port}/", contains="Welcome"))
    assert result.outcome is Outcome.UP, result.detail
    assert result.bytes_read == len(page)
    assert result.content_length == len(packed)
    assert seen[0]["accept-encoding"] == "gzip, deflate"


async def test_compressed_body_is_bounded_after_decoding(raw: RawServers) -> None:
    """A small gzip body that inflates past max_body_bytes is read up to the bound only."""
    packed = gzip.compress(b"0" * 10_000_000)
    head = f"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {len(packed)}\r\n\r\n"
    port = await raw.start(answering(head.encode() + packed))
    result = await probe(http_check(f"http://127.0.0.1:{port}/", max_body_bytes=65_536))
    assert result.outcome is Outcome.UP, result.detail
    assert result.bytes_read == 65_536
    assert result.detail.endswith("65536 bytes read")


async def test_corrupt_gzip_is_protocol_error(raw: RawServers) -> None:
    """A body that says gzip and is not is a malformed answer."""
    head = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 12\r\n\r\n"
    port = await raw.start(answering(head + b"not gzip at all"[:12]))
    result = await probe(http_check(f"http://127.0.0.1:{port}/"))
    assert result.outcome is Outcome.PROTOCOL_ERROR
    assert "decompress" in result.detail


async def test_body_until_close_is_complete(raw: RawServers) -> None:
    """Without Content-Length or chunking, the body ends where the server closes."""
    port = await raw.start(answering(b"HTTP/1.0 200 OK\r\n\r\nWelcome, old client"))
    result = await probe(http_check(f"http://127.0.0.1:{port}/", contains="old client"))
    assert result.outcome is Outcome.UP, result.detail
    assert result.bytes_read == len("Welcome, old client")
    assert "read" not in result.detail


async def test_no_content_status_has_no_body(raw: RawServers) -> None:
    """A 204 ends at its head, whatever else the server leaves open."""

    async def no_content(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await request_of(reader)
        writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
        await writer.drain()
        await reader.read()  # keeps the connection open until the client leaves

    port = await raw.start(no_content)
    result = await probe(http_check(f"http://127.0.0.1:{port}/", expect_status=[204]))
    assert result.outcome is Outcome.UP, result.detail
    assert result.bytes_read == 0


async def test_head_request_does_not_wait_for_a_body(raw: RawServers) -> None:
    """A HEAD answer announcing a length is complete at its head."""

    async def head(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await request_of(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n")
        await writer.drain()
        await reader.read()

    port = await raw.start(head)
    result = await probe(http_check(f"http://127.0.0.1:{port}/", method="HEAD"))
    assert result.outcome is Outcome.UP, result.detail
    assert result.content_length == 5000
    assert result.latency < 0.5


async def test_redirect_to_another_server_drops_host_and_credentials(raw: RawServers) -> None:
    """Following a redirect elsewhere, neither the node's virtual host nor the URL's password
    travels with it; on the same server both would."""
    final: list[dict[str, str]] = []
    other = await raw.start(answering(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", final))
    first: list[dict[str, str]] = []
    moved = f"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:{other}/there\r\n\r\n"
    port = await raw.start(answering(moved.encode(), first))
    check = http_check(f"http://ops:s3cret@127.0.0.1:{port}/here", host="shop.example.com")
    result = await probe(check)
    assert result.outcome is Outcome.UP, result.detail
    assert first[0]["host"] == "shop.example.com"
    assert first[0]["authorization"] == "Basic " + base64.b64encode(b"ops:s3cret").decode()
    assert final[0][""] == "GET /there HTTP/1.1"
    assert final[0]["host"] == f"127.0.0.1:{other}"
    assert "authorization" not in final[0]


async def test_post_redirected_by_303_becomes_get(raw: RawServers) -> None:
    """A POST answered 303 is followed with a GET, as browsers do."""
    final: list[dict[str, str]] = []
    other = await raw.start(answering(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", final))
    moved = f"HTTP/1.1 303 See Other\r\nLocation: http://127.0.0.1:{other}/done\r\n\r\n"
    first: list[dict[str, str]] = []
    port = await raw.start(answering(moved.encode(), first))
    result = await probe(http_check(f"http://127.0.0.1:{port}/form", method="POST"))
    assert result.outcome is Outcome.UP, result.detail
    assert first[0][""] == "POST /form HTTP/1.1"
    assert first[0]["content-length"] == "0"
    assert final[0][""] == "GET /done HTTP/1.1"


async def test_endless_redirects_are_http_status(raw: RawServers) -> None:
    """A redirect loop ends after ten hops as an http_status outcome naming it."""
    seen: list[dict[str, str]] = []
    port = await raw.start(answering(b"HTTP/1.1 302 Found\r\nLocation: /again\r\n\r\n", seen))
    result = await probe(http_check(f"http://127.0.0.1:{port}/"))
    assert result.outcome is Outcome.HTTP_STATUS
    assert "too many redirects" in result.detail
    assert len(seen) == 11
    assert result.status == 302


@pytest.mark.parametrize("location", ["ftp://files.example.com/x", "http://shop.test:99999/"])
async def test_redirect_no_client_can_follow_is_http_status(raw: RawServers, location: str) -> None:
    """A redirect to a location that is no http(s) URL is the target's failure, measured as
    http_status (down), never as the prober's own error (no measurement)."""
    moved = f"HTTP/1.1 301 Moved\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n"
    port = await raw.start(answering(moved.encode()))
    result = await probe(http_check(f"http://127.0.0.1:{port}/"))
    assert result.outcome is Outcome.HTTP_STATUS
    assert result.status == 301
    assert "redirect no client can follow" in result.detail


async def test_header_with_line_break_is_refused_unsent(raw: RawServers) -> None:
    """A header value that would smuggle a second header is a probe_error; nothing is sent."""
    seen: list[dict[str, str]] = []
    port = await raw.start(answering(b"HTTP/1.1 200 OK\r\n\r\n", seen))
    check = http_check(f"http://127.0.0.1:{port}/", headers={"X-Token": "abc\r\nX-Admin: yes"})
    result = await probe(check)
    assert result.outcome is Outcome.PROBE_ERROR
    assert "X-Token" in result.detail
    assert "abc" not in result.detail
    assert seen == []


def test_request_head_escapes_the_target_and_names_the_port() -> None:
    """The request line carries an escaped path; Host carries a port that is not the
    default, and an IPv6 address in brackets."""
    url = parse_url("http://[::1]:8080/a b/ü?q=1 2")
    head = request_head("GET", url, {}, keep_alive=False).decode("latin-1")
    assert head.startswith("GET /a%20b/%C3%BC?q=1%202 HTTP/1.1\r\n")
    assert "\r\nHost: [::1]:8080\r\n" in head
    assert "\r\nConnection: close\r\n" in head
    assert parse_url("https://shop.example.com/").authority == "shop.example.com"
    assert parse_url("https://shop.example.com/").port == 443


@pytest.mark.parametrize("url", ["ftp://host/", "http:///nohost", "http://host:99999/"])
def test_urls_no_request_can_carry_are_refused(url: str) -> None:
    with pytest.raises(InvalidRequestError):
        parse_url(url)


async def test_kept_connection_closed_by_the_server_is_replaced(raw: RawServers) -> None:
    """With reuse_connections, a kept connection the server has since closed is replaced by a
    fresh one: the probe is up, not a connect_error."""
    peers: list[int] = []

    async def one_then_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peers.append(writer.get_extra_info("peername")[1])
        await request_of(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nWelcome")
        await writer.drain()
        # Keep-alive answered, then the server's idle timeout: it closes without saying so.
        writer.close()

    port = await raw.start(one_then_close)
    keep_alive = KeepAlive()
    check = http_check(f"http://127.0.0.1:{port}/", reuse_connections=True)
    try:
        for _ in range(3):
            result = await probe(check, keep_alive=keep_alive)
            assert result.outcome is Outcome.UP, result.detail
    finally:
        keep_alive.close()
    assert len(set(peers)) == 3


async def test_kept_connection_serves_many_probes(raw: RawServers) -> None:
    """A server that keeps connections open serves every probe of a check on one connection."""
    peers: list[int] = []

    async def keep_open(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while not reader.at_eof():
            try:
                await request_of(reader)
            except asyncio.IncompleteReadError:  # the client closed its kept connection
                return
            peers.append(writer.get_extra_info("peername")[1])
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nWelcome")
            await writer.drain()

    port = await raw.start(keep_open)
    keep_alive = KeepAlive()
    check = http_check(f"http://127.0.0.1:{port}/", reuse_connections=True, contains="Welcome")
    try:
        for _ in range(5):
            result = await probe(check, keep_alive=keep_alive)
            assert result.outcome is Outcome.UP, result.detail
    finally:
        keep_alive.close()
    assert len(peers) == 5
    assert len(set(peers)) == 1

"""HTTP/1.1 on the wire, for probes: one request on one connection, the answer parsed by llhttp.

A probe needs less than a general client gives, and pays for all of it on every probe: a
connector, a session, cookie handling, tracing. Here a probe is a socket, the request written
once, and a C parser (``httptools``, the binding of Node.js's llhttp) fed what arrives. The
answer is read only as far as the probe wants it (the head; a body up to a goal), so an endless
stream or a huge download costs what the goal says and no more.

What arrives is counted as it arrives: when a timeout or a broken connection ends the exchange,
what was seen until then (a status, bytes of body) is still there to be recorded.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ipaddress
import socket
import ssl
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Protocol, cast
from urllib.parse import quote, unquote, urlsplit

import aiohappyeyeballs
import httptools

__all__ = [
    "REDIRECTS",
    "Answer",
    "InvalidRequestError",
    "KeepAlive",
    "MalformedResponseError",
    "Resolver",
    "ServerDisconnectedError",
    "TooManyRedirectsError",
    "Url",
    "connect",
    "parse_url",
    "request_head",
    "tls_context",
]

#: Statuses whose Location a client follows.
REDIRECTS = frozenset({301, 302, 303, 307, 308})
_DEFAULT_PORTS = {"http": 80, "https": 443}
#: Characters left as they are in a request target: RFC 3986's reserved and unreserved ones, and
#: "%" so that what the URL already escaped is not escaped twice.
_TARGET_SAFE = "!#$%&'()*+,/:;=?@[]~"
_TOKEN = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
#: Statuses that never carry a body, whatever the headers say.
_NO_BODY = frozenset({204, 304})
#: How long one connection attempt runs alone before the next address is tried as well.
_HAPPY_EYEBALLS_DELAY = 0.25


class MalformedResponseError(Exception):
    """What came back is not a well-formed HTTP response (or its body is cut short)."""


class ServerDisconnectedError(ConnectionError):
    """The server closed the connection before a response began."""


class TooManyRedirectsError(Exception):
    """Redirects did not end within the limit."""


class InvalidRequestError(ValueError):
    """The request cannot be written: a URL or a header that HTTP cannot carry."""


class Resolver(Protocol):
    """Finds a name's addresses (``DnsResolver``); failures raise :class:`socket.gaierror`."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> Sequence[Mapping[str, object]]:
        """Addresses of ``host``, each a mapping with ``host`` (an address) and ``port``."""
        ...


@dataclass(frozen=True, slots=True)
class Url:
    """An http(s) URL as a request needs it."""

    scheme: str
    #: The host to connect to: an address or an ASCII name, without brackets.
    host: str
    port: int
    #: The Host header's value: the host, with the port when it is not the scheme's default.
    authority: str
    #: The request target: the path and the query, escaped.
    target: str
    #: ``Basic ...`` from credentials in the URL, or None.
    authorization: str | None
    #: Whether ``host`` is an IP address (nothing to resolve).
    literal: bool

    @property
    def tls(self) -> bool:
        """Whether the connection is made over TLS."""
        return self.scheme == "https"

    @property
    def origin(self) -> tuple[str, str, int]:
        """Scheme, host and port: what two URLs share when they share a server."""
        return self.scheme, self.host, self.port


@lru_cache(maxsize=16_384)
def parse_url(url: str) -> Url:
    """``url`` as a request needs it; :class:`InvalidRequestError` when it is no http(s) URL."""
    try:
        parts = urlsplit(url)
        port = parts.port
        host = parts.hostname
    except ValueError as error:
        raise InvalidRequestError(f"invalid URL: {error}") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not host:
        raise InvalidRequestError("invalid URL: not http(s)://host")
    literal = _is_address(host)
    if not literal:
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise InvalidRequestError("invalid URL: the host is no valid name") from None
    if port is None:
        port = _DEFAULT_PORTS[scheme]
    shown = f"[{host}]" if ":" in host else host
    authority = shown if port == _DEFAULT_PORTS[scheme] else f"{shown}:{port}"
    target = quote(parts.path or "/", safe=_TARGET_SAFE)
    if parts.query:
        target += "?" + quote(parts.query, safe=_TARGET_SAFE)
    authorization = None
    if parts.username is not None or parts.password is not None:
        pair = f"{unquote(parts.username or '')}:{unquote(parts.password or '')}"
        authorization = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
    return Url(scheme, host, port, authority, target, authorization, literal)


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def request_head(
    method: str,
    url: Url,
    headers: Mapping[str, str],
    *,
    keep_alive: bool,
) -> bytes:
    """The request's head: line, headers, blank line. ``headers`` (case-insensitive names)
    replace the defaults; Host defaults to the URL's authority."""
    fields = {
        "host": ("Host", url.authority),
        "accept": ("Accept", "*/*"),
        "accept-encoding": ("Accept-Encoding", "gzip, deflate"),
    }
    if url.authorization is not None:
        fields["authorization"] = ("Authorization", url.authorization)
    for name, value in headers.items():
        if not name or not _TOKEN.issuperset(name):
            raise InvalidRequestError(f"header {name!r}: not a valid header name")
        if "\r" in value or "\n" in value or "\0" in value:
            raise InvalidRequestError(f"header {name}: its value holds a line break or NUL")
        fields[name.lower()] = (name, value)
    if method == "POST":
        fields["content-length"] = ("Content-Length", "0")
    fields["connection"] = ("Connection", "keep-alive" if keep_alive else "close")
    lines = [f"{method} {url.target} HTTP/1.1"]
    lines += [f"{name}: {value}" for name, value in fields.values()]
    try:
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    except UnicodeEncodeError:
        raise InvalidRequestError("a header holds characters HTTP/1.1 cannot carry") from None


@cache
def _verifying_context() -> ssl.SSLContext:
    return ssl.create_default_context()


@cache
def _trusting_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def tls_context(*, verify: bool, trust: ssl.SSLContext | None = None) -> ssl.SSLContext:
    """The TLS context of a probe: the system's trust store (or ``trust``), or none verified.

    Contexts are made once: loading a trust store costs milliseconds, more than a probe.
    """
    if not verify:
        return _trusting_context()
    return trust or _verifying_context()


class Answer(asyncio.Protocol):
    """One connection, and the response to the request written on it.

    ``goal`` bounds what is read of the body; ``keep`` says whether the body's bytes are kept
    (a probe that only counts them keeps none).
    """

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._error: BaseException | None = None
        self._lost = False
        self._begin(0, keep=False, head_only=False)

    def _begin(self, goal: int, *, keep: bool, head_only: bool) -> None:
        self._parser = httptools.HttpResponseParser(self)
        self._goal = goal
        self._keep = keep
        self._head_only = head_only
        self._decoder: zlib._Decompress | None = None
        self._received = False
        self._want_body = False
        self.status: int | None = None
        self.reason = ""
        self.headers: dict[str, str] = {}
        self.head_done = False
        self.ended = False
        self._cut = False
        self.keep_alive = False
        self.body = bytearray()
        self.bytes_read = 0

    # --- asking ---------------------------------------------------------------------------

    def send(self, head: bytes, *, goal: int, keep: bool, head_only: bool) -> None:
        """Write a request on this connection; its answer starts afresh."""
        if self.transport is None or self.transport.is_closing():
            raise ServerDisconnectedError("the connection was closed")
        self._begin(goal, keep=keep, head_only=head_only)
        self.transport.write(head)

    async def head(self) -> None:
        """Wait for the response's head (status and headers)."""
        while not self.head_done:
            await self._wait()

    async def rest(self) -> None:
        """Wait until the body has ended or ``goal`` bytes of it were read."""
        self._want_body = True
        while not self.satisfied:
            await self._wait()

    @property
    def complete(self) -> bool:
        """Whether the whole body was read: it ended, and none of it lay past the goal."""
        return self.ended and not self._cut

    @property
    def satisfied(self) -> bool:
        """Whether the body has ended or reached the goal."""
        return self.ended or self.bytes_read >= self._goal

    @property
    def received(self) -> bool:
        """Whether any byte of the response has arrived."""
        return self._received

    @property
    def reusable(self) -> bool:
        """Whether another request may follow on this connection."""
        return (
            self.ended
            and self.keep_alive
            and not self._lost
            and self._error is None
            and self.transport is not None
            and not self.transport.is_closing()
        )

    def close(self) -> None:
        """Let go of the connection (at once: nothing more of it is wanted)."""
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    async def _wait(self) -> None:
        if self._error is not None:
            raise self._error
        if self._lost:
            raise ServerDisconnectedError("the connection was closed")
        waiter = self._waiter = asyncio.get_running_loop().create_future()
        try:
            await waiter
        finally:
            self._waiter = None

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # --- asyncio's side -------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport."""
        # uvloop's transports have the methods of asyncio.Transport without deriving from it.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        """Parse what arrived; wake the waiter when what it waits for is here."""
        self._received = True
        if self._error is not None or (self.satisfied and self.head_done):
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserCallbackError as error:
            self._fail(error.__context__ or error)
        except httptools.HttpParserUpgrade:
            self._fail(MalformedResponseError("the server switched protocols"))
        except httptools.HttpParserError as error:
            self._fail(MalformedResponseError(f"malformed response: {error}"))
        transport = self.transport
        if self.head_done and self._want_body and self.satisfied and not self.ended and transport:
            # Enough of an endless or long body: read no more of it.
            transport.pause_reading()
        if self.head_done and (not self._want_body or self.satisfied):
            self._wake()

    def eof_received(self) -> bool:
        """A half-close ends the exchange as a close does."""
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        """The connection ended: a body read to the close is complete, anything else is cut."""
        self._lost = True
        if self.head_done and not self.ended and self._error is None:
            if self._until_close():
                self.ended = True
            elif not self.satisfied:
                self._error = MalformedResponseError(
                    f"the connection closed after {self.bytes_read} bytes of the body"
                )
        elif not self.head_done and self._error is None:
            if exc is not None:
                self._error = exc
            elif self._received:
                self._error = MalformedResponseError(
                    "the connection closed inside the response head"
                )
            else:
                self._error = ServerDisconnectedError("the server closed the connection at once")
        self._wake()

    def _fail(self, error: BaseException) -> None:
        self._error = error
        if self.transport is not None:
            self.transport.abort()
        self._wake()

    def _until_close(self) -> bool:
        """Whether this body runs until the connection closes (no length, not chunked)."""
        if self.status in _NO_BODY or self._head_only:
            return False
        return "content-length" not in self.headers and "chunked" not in self.headers.get(
            "transfer-encoding", ""
        )

    # --- httptools' callbacks -------------------------------------------------------------

    def on_status(self, reason: bytes) -> None:
        """The status line's reason phrase."""
        self.reason += reason.decode("latin-1")

    def on_header(self, name: bytes, value: bytes) -> None:
        """One header; a repeated one is joined with a comma, as HTTP allows."""
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        self.headers[key] = f"{self.headers[key]}, {text}" if key in self.headers else text

    def on_headers_complete(self) -> None:
        """The head is in: note the status and how the body is encoded."""
        self.status = self._parser.get_status_code()
        self.head_done = True
        coding = self.headers.get("content-encoding", "").strip().lower()
        if coding in ("gzip", "x-gzip"):
            self._decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif coding == "deflate":
            self._decoder = zlib.decompressobj(32 + zlib.MAX_WBITS)
        if self._head_only:
            self.ended = True

    def on_body(self, chunk: bytes) -> None:
        """Count (and keep, if asked) body bytes up to the goal, decoded."""
        room = self._goal - self.bytes_read
        if room <= 0:
            self._cut = True
            return
        if self._decoder is not None:
            try:
                chunk = self._decoder.decompress(chunk, room)
            except zlib.error as error:
                raise MalformedResponseError(f"the body does not decompress: {error}") from None
            self._cut = self._cut or bool(self._decoder.unconsumed_tail)
        elif len(chunk) > room:
            chunk = chunk[:room]
            self._cut = True
        self.bytes_read += len(chunk)
        if self._keep:
            self.body += chunk

    def on_message_complete(self) -> None:
        """The body has ended."""
        self.ended = True
        self.keep_alive = self._parser.should_keep_alive()

    @property
    def content_length(self) -> int | None:
        """The Content-Length header's value, when it is a number."""
        text = self.headers.get("content-length")
        return int(text) if text is not None and text.strip().isdigit() else None

    @property
    def charset(self) -> str | None:
        """The charset named by the Content-Type header."""
        for parameter in self.headers.get("content-type", "").split(";")[1:]:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "charset":
                return value.strip().strip('"') or None
        return None

    @property
    def location(self) -> str | None:
        """Where a redirect points."""
        return self.headers.get("location")


async def connect(
    url: Url,
    *,
    tls: ssl.SSLContext | None,
    server_hostname: str | None,
    resolver: Resolver | None,
) -> Answer:
    """A new connection to ``url``'s server, through TLS when ``tls`` is given.

    Names are resolved by ``resolver`` when given, else by the system. When a name has several
    addresses, IPv6 and IPv4 are raced as browsers do (RFC 8305's "Happy Eyeballs", a new
    attempt every 250 ms until one connects).
    """
    loop = asyncio.get_running_loop()
    name = (server_hostname or url.host) if tls is not None else None
    if url.literal:
        _, answer = await loop.create_connection(
            Answer, url.host, url.port, ssl=tls, server_hostname=name
        )
        return answer
    addresses = await _addresses(loop, url, resolver)
    sock = await aiohappyeyeballs.start_connection(
        addresses, happy_eyeballs_delay=_HAPPY_EYEBALLS_DELAY, interleave=1
    )
    try:
        _, answer = await loop.create_connection(Answer, sock=sock, ssl=tls, server_hostname=name)
    except BaseException:
        sock.close()
        raise
    return answer


async def _addresses(
    loop: asyncio.AbstractEventLoop, url: Url, resolver: Resolver | None
) -> Sequence[aiohappyeyeballs.AddrInfoType]:
    if resolver is None:
        return await loop.getaddrinfo(url.host, url.port, type=socket.SOCK_STREAM)
    found: list[aiohappyeyeballs.AddrInfoType] = []
    for address in await resolver.resolve(url.host, url.port, family=socket.AF_UNSPEC):
        host = str(address["host"])
        if ":" in host:
            found.append((socket.AF_INET6, socket.SOCK_STREAM, 0, "", (host, url.port, 0, 0)))
        else:
            found.append((socket.AF_INET, socket.SOCK_STREAM, 0, "", (host, url.port)))
    if not found:
        raise socket.gaierror(socket.EAI_NONAME, f"no address for {url.host}")
    return found


class KeepAlive:
    """Connections kept open between probes, for checks that reuse connections.

    A connection goes back only when its answer was read to the end and both sides allow
    another request; one that the server closed meanwhile is dropped when next looked for.
    """

    def __init__(self) -> None:
        self._idle: dict[tuple[object, ...], list[Answer]] = {}

    def take(self, key: tuple[object, ...]) -> Answer | None:
        """An open idle connection for ``key``, if there is one."""
        idle = self._idle.get(key)
        while idle:
            answer = idle.pop()
            if answer.transport is not None and not answer.transport.is_closing():
                return answer
        return None

    def give(self, key: tuple[object, ...], answer: Answer) -> None:
        """Keep ``answer``'s connection for the next request to ``key``, or close it."""
        if answer.reusable:
            self._idle.setdefault(key, []).append(answer)
        else:
            answer.close()

    def close(self) -> None:
        """Close every idle connection."""
        for idle in self._idle.values():
            for answer in idle:
                with contextlib.suppress(Exception):
                    answer.close()
        self._idle.clear()

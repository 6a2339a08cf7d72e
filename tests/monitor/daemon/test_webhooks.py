"""Notifier: bodies, event filters, order, retries, the queue bound, shutdown and `notify test`,
against real webhook receivers on loopback and a fake clock."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import socket
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from multidict import CIMultiDict

from monitor.clock import FakeClock
from monitor.config.settings import NotifyEvent, NotifySettings, Webhook
from monitor.daemon.webhooks import (
    Notification,
    Notifier,
    _failure_reason,
    json_body,
    send_once,
    slack_body,
    webhook_name,
)

LOOPBACK = "127.0.0.1"
T0 = datetime(2026, 10, 1, tzinfo=UTC)
#: How long a test waits for something that happens at once on loopback, before failing.
PATIENCE = 10.0


class Clock(FakeClock):
    """A fake clock that notes each sleep as (when, how long), so a test can wait for the next."""

    def __init__(self) -> None:
        super().__init__(T0)
        self.sleeps: list[tuple[float, float]] = []
        self._slept = asyncio.Condition()

    async def sleep(self, seconds: float) -> None:
        """Note the sleep, then sleep."""
        self.sleeps.append((self.monotonic(), seconds))
        async with self._slept:
            self._slept.notify_all()
        await super().sleep(seconds)

    async def wait_sleeps(self, count: int) -> None:
        """Until ``count`` sleeps have begun."""
        async with asyncio.timeout(PATIENCE), self._slept:
            await self._slept.wait_for(lambda: len(self.sleeps) >= count)

    def pass_time(self, seconds: float) -> None:
        """Time spent in I/O: the clock moves, sleepers wake only at the next advance."""
        self._elapsed += seconds


@dataclass(frozen=True)
class Received:
    """One POST as the receiver saw it."""

    path: str
    headers: CIMultiDict[str]
    body: Any


@dataclass
class Receiver:
    """A webhook endpoint on loopback: notes each POST, then answers the next of ``answers``
    (``status`` once they are used up), after ``hold`` is set if there is one."""

    status: int = 200
    answers: list[int] = field(default_factory=list)
    hold: asyncio.Event | None = None
    #: Called as each request arrives.
    on_request: Callable[[], None] | None = None
    requests: list[Received] = field(default_factory=list)
    port: int = 0
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _runner: web.AppRunner | None = None

    @property
    def bodies(self) -> list[Any]:
        """The JSON bodies received, in order."""
        return [r.body for r in self.requests]

    def url(self, path: str = "/hooks/T000/B000/secret-token") -> str:
        """The receiver's URL with ``path``."""
        return f"http://{LOOPBACK}:{self.port}{path}"

    async def start(self, port: int = 0) -> Receiver:
        """Listen on ``port`` (a free one by default)."""

        async def handle(request: web.Request) -> web.Response:
            self.requests.append(
                Received(
                    request.path, CIMultiDict(request.headers), json.loads(await request.read())
                )
            )
            if self.on_request is not None:
                self.on_request()
            async with self._changed:
                self._changed.notify_all()
            if self.hold is not None:
                await self.hold.wait()
            return web.Response(status=self.answers.pop(0) if self.answers else self.status)

        app = web.Application()
        app.router.add_post("/{tail:.*}", handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await self._runner.setup()
        await web.TCPSite(self._runner, LOOPBACK, port).start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def wait_for(self, count: int) -> None:
        """Until ``count`` requests have arrived."""
        async with asyncio.timeout(PATIENCE), self._changed:
            await self._changed.wait_for(lambda: len(self.requests) >= count)

    async def stop(self) -> None:
        """Answer whatever is held, and stop listening."""
        if self.hold is not None:
            self.hold.set()
        if self._runner is not None:
            await self._runner.cleanup()


@pytest.fixture
async def receivers() -> AsyncIterator[Callable[..., Receiver]]:
    """Makes receivers (started with ``await r.start()``); stops them all after the test."""
    made: list[Receiver] = []

    def make(**options: Any) -> Receiver:
        made.append(Receiver(**options))
        return made[-1]

    yield make
    for receiver in made:
        await receiver.stop()


@pytest.fixture
def clock() -> Clock:
    """Time that moves only when the test says so."""
    return Clock()


def refused_port() -> int:
    """A loopback port nothing listens on: bound to find a free one, then released."""
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def note(index: int = 0, event: NotifyEvent = "outage_start", **fields: Any) -> Notification:
    """The ``index``-th notification about the shop, seen from fra1."""
    values: dict[str, Any] = {
        "event": event,
        "service": "shop",
        "at": T0 + timedelta(seconds=index),
        "summary": f"frontend down #{index}",
        "details": {"index": index},
        "vantage": "fra1",
    }
    return Notification(**(values | fields))


def hook(url: str, **options: Any) -> Webhook:
    """A webhook to ``url``."""
    return Webhook.model_validate({"url": url, **options})


class Failures(list[str]):
    """The on_failure lines, with a way to wait for them."""

    def __init__(self) -> None:
        super().__init__()
        self.changed = asyncio.Event()

    def __call__(self, line: str) -> None:
        self.append(line)
        self.changed.set()

    async def wait_for(self, count: int) -> None:
        """Until ``count`` lines have been reported."""
        async with asyncio.timeout(PATIENCE):
            while len(self) < count:
                self.changed.clear()
                await self.changed.wait()


def notifier(
    clock: Clock, *webhooks: Webhook, failures: Failures | None = None, **options: Any
) -> Notifier:
    """A notifier for ``webhooks``."""
    settings = NotifySettings(webhooks=list(webhooks), **options)
    return Notifier(settings, clock, on_failure=failures)


@contextlib.asynccontextmanager
async def running(notifier: Notifier) -> AsyncIterator[Notifier]:
    """``notifier.run()`` as a task; cancelled, and the notifier closed, on exit."""
    task = asyncio.create_task(notifier.run())
    try:
        yield notifier
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await notifier.close()


async def until(condition: Callable[[], bool]) -> None:
    """Until ``condition`` on the notifier's counters holds: they have no event to wait on, so
    each turn hands the loop over (which polls the sockets too) and looks again."""
    async with asyncio.timeout(PATIENCE):
        while not condition():  # noqa: ASYNC110 - a counter, not an event; yields, never sleeps
            await asyncio.sleep(0)


# What is sent.


async def test_the_json_body_and_headers_arrive_exactly(
    clock: Clock, receivers: Callable[..., Receiver]
) -> None:
    """A json webhook gets slawatch's body, its secret header and a JSON content type."""
    receiver = await receivers().start()
    since = datetime(2026, 10, 1, 8, 0, 0, 250000, tzinfo=UTC)
    n = note(5, details={"check": "home", "since": since, "fee": Decimal("144.10"), "up": False})
    webhook = hook(receiver.url(), headers={"X-Token": "s3cret"})
    async with running(notifier(clock, webhook)) as sender:
        sender.submit(n)
        await receiver.wait_for(1)
        await until(lambda: sender.delivered == 1)

    (got,) = receiver.requests
    assert got.path == "/hooks/T000/B000/secret-token"
    assert got.body == {
        "source": "slawatch",
        "event": "outage_start",
        "service": "shop",
        "vantage": "fra1",
        "at": "2026-10-01T00:00:05Z",
        "summary": "frontend down #5",
        "details": {
            "check": "home",
            "since": "2026-10-01T08:00:00.250000Z",
            "fee": "144.10",
            "up": False,
        },
    }
    assert got.headers["X-Token"] == "s3cret"
    assert got.headers["Content-Type"] == "application/json"
    assert got.headers["User-Agent"] == "slawatch"
    assert (sender.delivered, sender.failed, sender.dropped, sender.depth) == (1, 0, 0, 0)


async def test_the_slack_body_is_one_escaped_line(
    clock: Clock, receivers: Callable[..., Receiver]
) -> None:
    """A slack webhook gets {"text": ...} only, with &, < and > escaped, and its own header."""
    receiver = await receivers().start()
    n = note(7, event="outage_end", summary="back: <!channel> & <https://x|here>")
    webhook = hook(receiver.url(), format="slack", headers={"Authorization": "Bearer s3cret"})
    async with running(notifier(clock, webhook)) as sender:
        sender.submit(n)
        await until(lambda: sender.delivered == 1)

    (got,) = receiver.requests
    assert got.body == {
        "text": "[slawatch] shop: outage ended at 2026-10-01T00:00:07Z, seen from fra1:"
        " back: &lt;!channel&gt; &amp; &lt;https://x|here&gt;"
    }
    assert got.headers["Authorization"] == "Bearer s3cret"
    assert got.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    ("event", "title"),
    [
        pytest.param("outage_start", "outage started", id="outage_start"),
        pytest.param("outage_end", "outage ended", id="outage_end"),
        pytest.param("failover_breach", "failover promise broken", id="failover_breach"),
        pytest.param("cert_expiry", "certificate expires soon", id="cert_expiry"),
    ],
)
def test_each_event_has_its_words(event: NotifyEvent, title: str) -> None:
    """Both bodies name the event: json by its name, slack in words."""
    n = note(0, event=event, summary="s")
    assert json_body(n)["event"] == event
    assert slack_body(n) == {
        "text": f"[slawatch] shop: {title} at 2026-10-01T00:00:00Z, seen from fra1: s"
    }


def test_a_notification_needs_a_known_event_and_an_aware_time() -> None:
    """An unknown event or a naive datetime is refused when the notification is made."""
    with pytest.raises(ValueError, match="event: expected one of outage_start"):
        note(0, event="outage")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at: expected an aware datetime"):
        note(0, at=T0.replace(tzinfo=None))


@pytest.mark.parametrize(
    ("url", "name"),
    [
        pytest.param(
            "https://hooks.slack.com/services/T0/B0/XYZ",
            "https://hooks.slack.com",
            id="slack-token-path",
        ),
        pytest.param(
            "http://user:pw@127.0.0.1:8080/h?token=1#f",
            "http://127.0.0.1:8080",
            id="user-query-fragment",
        ),
        pytest.param("http://[::1]:9000/hook", "http://[::1]:9000", id="ipv6"),
        pytest.param("https://Chat.Example.COM/hooks/abc", "https://chat.example.com", id="case"),
        pytest.param("http://127.0.0.1:99999/hook", "http://127.0.0.1", id="port-out-of-range"),
    ],
)
def test_a_webhook_is_named_by_scheme_host_and_port_only(url: str, name: str) -> None:
    """Path, query, fragment and user part (where tokens live) never appear in a name."""
    assert webhook_name(url) == name


# Which webhooks, and in what order.


async def test_a_webhook_gets_only_the_events_it_takes(
    clock: Clock, receivers: Callable[..., Receiver]
) -> None:
    """A webhook with an events list gets those events only; one without gets every event."""
    starts, everything = await receivers().start(), await receivers().start()
    sender = notifier(
        clock,
        hook(starts.url("/starts"), events=["outage_start"]),
        hook(everything.url("/all")),
    )
    async with running(sender):
        sender.submit(note(0, event="outage_end"))
        sender.submit(note(1, event="cert_expiry"))
        sender.submit(note(2, event="outage_start"))
        await until(lambda: sender.delivered == 4)

    assert [b["event"] for b in starts.bodies] == ["outage_start"]
    assert [b["event"] for b in everything.bodies] == ["outage_end", "cert_expiry", "outage_start"]
    assert sender.depth == 0


async def test_order_per_webhook_holds_across_a_retry(
    clock: Clock, receivers: Callable[..., Receiver]
) -> None:
    """A notification being retried holds back the later ones for that webhook: none overtakes."""
    receiver = await receivers(answers=[500]).start()
    async with running(notifier(clock, hook(receiver.url()))) as sender:
        for index in range(4):
            sender.submit(note(index))
        await clock.wait_sleeps(1)
        assert (len(receiver.requests), sender.depth) == (1, 3)

        await clock.advance(1.0)
        await until(lambda: sender.delivered == 4)

    assert [b["summary"] for b in receiver.bodies] == [
        "frontend down #0",
        "frontend down #0",
        "frontend down #1",
        "frontend down #2",
        "frontend down #3",
    ]
    assert clock.sleeps == [(0.0, 1.0)]


# Retries.


async def test_a_receiver_that_comes_back_gets_the_notification_once(
    clock: Clock, receivers: Callable[..., Receiver]
) -> None:
    """Refused connections are retried after 1, 2 and 4 s; the first attempt after the receiver
    starts listening delivers it, and nothing is sent again."""
    port = refused_port()
    receiver = receivers()
    failures = Failures()
    sender = notifier(clock, hook(f"http://{LOOPBACK}:{port}/hooks/x"), failures=failures)
    async with running(sender):
        sender.submit(note(0))
        await clock.wait_sleeps(1)
        await clock.advance(1.0)
        await clock.wait_sleeps(2)
        await clock.advance(2.0)
        await clock.wait_sleeps(3)
        await receiver.start(port)
        await clock.advance(4.0)
        await until(lambda: sender.delivered == 1)
        await clock.advance(600.0)

    assert clock.sleeps == [(0.0, 1.0), (1.0, 2.0), (3.0, 4.0)]
    assert [b["summary"] for b in receiver.bodies] == ["frontend down #0"]
    assert (sender.delivered, sender.failed, sender.depth, failures) == (1, 0, 0, [])


async def test_an_erroring_receiver_is_given_up_after_the_attempts(
    clock: Clock, receivers: Callable[..., Receiver]
) -> None:
    """HTTP 500 every time: 3 attempts 1 s and 2 s apart, then one failure line that names the
    webhook by scheme://host:port, without its path or header values."""
    receiver = await receivers(status=500).start()
    failures = Failures()
    webhook = hook(receiver.url(), headers={"X-Token": "s3cret"})
    async with running(notifier(clock, webhook, failures=failures, attempts=3)) as sender:
        sender.submit(note(0))
        await clock.wait_sleeps(1)
        await clock.advance(1.0)
        await clock.wait_sleeps(2)
        await clock.advance(2.0)
        await failures.wait_for(1)
        await clock.advance(600.0)

    assert len(receiver.requests) == 3
    assert clock.sleeps == [(0.0, 1.0), (1.0, 2.0)]
    assert failures == [
        f"notification outage_start of shop not delivered to http://127.0.0.1:{receiver.port}:"
        " HTTP 500 (3 attempts)"
    ]
    assert (sender.delivered, sender.failed, sender.depth) == (0, 1, 0)


async def test_the_pause_doubles_up_to_a_minute(
    clock: Clock, receivers: Callable[..., Receiver]
) -> None:
    """Pauses between attempts go 1, 2, 4, ... s and stay at 60 s once they reach it."""
    receiver = await receivers(status=503).start()
    failures = Failures()
    async with running(
        notifier(clock, hook(receiver.url()), failures=failures, attempts=9)
    ) as sender:
        sender.submit(note(0))
        for count in range(1, 9):
            await clock.wait_sleeps(count)
            await clock.advance(clock.sleeps[-1][1])
        await failures.wait_for(1)

    assert [pause for _, pause in clock.sleeps] == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]
    assert len(receiver.requests) == 9
    assert failures[0].endswith(": HTTP 503 (9 attempts)")


class RawServer:
    """A loopback TCP server that reads a request and answers ``reply`` (or nothing), then closes."""

    def __init__(self, reply: bytes) -> None:
        self.reply = reply
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        """Listen on a free port; return it."""

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            # Closed on every way out, and never ending cancelled: the stream server of Python
            # 3.11 leaves the connection of a cancelled handler open (python/cpython#113538).
            try:
                await reader.read(65536)
                writer.write(self.reply)
                await writer.drain()
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                writer.close()

        self.server = await asyncio.start_server(serve, LOOPBACK, 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        """Stop listening."""
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


@pytest.fixture
async def raw_servers() -> AsyncIterator[Callable[[bytes], RawServer]]:
    """Makes raw servers; stops them after the test."""
    made: list[RawServer] = []

    def make(reply: bytes) -> RawServer:
        made.append(RawServer(reply))
        return made[-1]

    yield make
    for server in made:
        await server.stop()


#: What a raw server answers, by case: nothing, not HTTP, a redirect to a port nobody listens on.
RAW_REPLIES = {
    "closed": b"",
    "garbage": b"HELLO s3cret\r\n\r\n",
    "redirect": b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/hooks/x\r\nContent-Length: 0\r\n\r\n",
}


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        pytest.param("refused", "cannot connect: Connection refused", id="refused"),
        pytest.param("tls-to-plain", "TLS handshake failed", id="tls"),
        pytest.param("no-answer", "no answer within 0.1s", id="timeout"),
        pytest.param("closed", "connection closed without an answer", id="closed"),
        pytest.param("garbage", "not a valid HTTP answer", id="garbage"),
        pytest.param("redirect", "HTTP 302", id="redirect-not-followed"),
        pytest.param("bad-port", "invalid URL", id="bad-port"),
        pytest.param("header-injection", "invalid header or URL", id="header-injection"),
    ],
)
async def test_a_failure_is_one_line_in_its_own_words(
    case: str,
    reason: str,
    clock: Clock,
    receivers: Callable[..., Receiver],
    raw_servers: Callable[[bytes], RawServer],
) -> None:
    """Each way a request fails becomes a reason of slawatch's own, never an exception's text
    (which may quote the URL): the path and the header values appear nowhere."""
    path = "/hooks/T000/B000/secret-token"
    headers = {"X-Token": "s3cret"}
    if case == "refused":
        url = f"http://{LOOPBACK}:{refused_port()}{path}"
    elif case == "tls-to-plain":
        url = (await receivers().start()).url(path).replace("http:", "https:")
    elif case == "no-answer":
        url = (await receivers(hold=asyncio.Event()).start()).url(path)
    elif case in RAW_REPLIES:
        port = await raw_servers(RAW_REPLIES[case]).start()
        url = f"http://{LOOPBACK}:{port}{path}"
    elif case == "bad-port":
        url = f"http://{LOOPBACK}:99999{path}"
    else:
        url = (await receivers().start()).url(path)
        headers = {"X-Token": "s3cret\r\nX-Injected: s3cret"}
    failures = Failures()
    webhook = hook(url, headers=headers, timeout="100ms")
    async with running(notifier(clock, webhook, failures=failures, attempts=1)) as sender:
        sender.submit(note(0))
        await failures.wait_for(1)

    (line,) = failures
    assert line == (
        f"notification outage_start of shop not delivered to {webhook_name(url)}:"
        f" {reason} (1 attempt)"
    )
    assert "/hooks" not in line
    assert "s3cret" not in line
    assert (sender.delivered, sender.failed, clock.sleeps) == (0, 1, [])


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        pytest.param(aiohttp.ClientOSError(errno.ECONNRESET, "reset by 10.0.0.1/hook/s3cret"),
                     "connection failed: Connection reset by peer", id="os-error"),
        pytest.param(aiohttp.ClientOSError(), "connection failed", id="os-error-without-errno"),
        pytest.param(aiohttp.ClientPayloadError("s3cret"), "request failed (ClientPayloadError)",
                     id="other-client-error"),
        pytest.param(TimeoutError(), "no answer within 2.5s", id="timeout"),
    ],
)  # fmt: skip
def test_rarer_failures_have_reasons_too(error: Exception, reason: str) -> None:
    """Failures hard to cause on loopback are classified by the same table, text unused."""
    assert _failure_reason(error, 2.5) == reason


@pytest.mark.parametrize("trouble", ["hangs", "refuses"])
async def test_a_slow_or_dead_webhook_does_not_delay_another(
    trouble: str, clock: Clock, receivers: Callable[..., Receiver]
) -> None:
    """While one webhook hangs (or refuses and is retried), another gets every notification."""
    healthy = await receivers().start()
    if trouble == "hangs":
        stuck = await receivers(hold=asyncio.Event()).start()
        bad = hook(stuck.url(), timeout=600)
    else:
        bad = hook(f"http://{LOOPBACK}:{refused_port()}/hooks/x")
    async with running(notifier(clock, bad, hook(healthy.url()))) as sender:
        for index in range(3):
            sender.submit(note(index))
        await healthy.wait_for(3)
        await until(lambda: sender.delivered == 3)
        assert sender.depth == 2  # the troubled webhook's second and third

    assert [b["summary"] for b in healthy.bodies] == [f"frontend down #{i}" for i in range(3)]


# The bound.


async def test_past_the_bound_the_oldest_waiting_is_dropped(
    clock: Clock, receivers: Callable[..., Receiver]
) -> None:
    """With one notification stuck in flight, submitting 5 more into a queue of 3 drops the two
    oldest waiting ones, at once; the rest go out in order once the webhook answers."""
    hold = asyncio.Event()
    receiver = await receivers(hold=hold).start()
    async with running(notifier(clock, hook(receiver.url()), max_queue=3)) as sender:
        sender.submit(note(0))
        await receiver.wait_for(1)
        for index in range(1, 6):
            sender.submit(note(index))
        assert (sender.depth, sender.dropped) == (3, 2)

        hold.set()
        await until(lambda: sender.delivered == 4)

    assert [b["summary"] for b in receiver.bodies] == [
        "frontend down #0",
        "frontend down #3",
        "frontend down #4",
        "frontend down #5",
    ]
    assert (sender.depth, sender.dropped, sender.failed) == (0, 2, 0)


async def test_the_bound_is_shared_and_drops_the_oldest_of_any_webhook(
    clock: Clock, receivers: Callable[..., Receiver]
) -> None:
    """Two webhooks share one bound: the oldest delivery of either is the one dropped."""
    first, second = await receivers().start(), await receivers().start()
    sender = notifier(clock, hook(first.url()), hook(second.url()), max_queue=3)
    sender.submit(note(0))
    sender.submit(note(1))
    assert (sender.depth, sender.dropped) == (3, 1)

    async with running(sender):
        await until(lambda: sender.delivered == 3)

    assert [b["summary"] for b in first.bodies] == ["frontend down #1"]
    assert [b["summary"] for b in second.bodies] == ["frontend down #0", "frontend down #1"]


# Shutdown.


async def test_drain_delivers_what_it_can_before_its_deadline(
    clock: Clock, receivers: Callable[..., Receiver]
) -> None:
    """drain(5) delivers to a working webhook and retries a failing one while the next attempt
    falls within the 5 s; what is left stays waiting, neither failed nor dropped."""
    healthy, failing = await receivers().start(), await receivers(status=500).start()
    failures = Failures()
    sender = notifier(clock, hook(failing.url()), hook(healthy.url()), failures=failures)
    sender.submit(note(0))
    sender.submit(note(1))
    draining = asyncio.create_task(sender.drain(5.0))
    await clock.wait_sleeps(2)  # the deadline, then the failing webhook's first pause
    await clock.advance(1.0)
    await clock.wait_sleeps(3)
    await clock.advance(2.0)
    async with asyncio.timeout(PATIENCE):
        delivered = await draining
    await sender.close()

    assert delivered == 2
    assert [b["summary"] for b in healthy.bodies] == ["frontend down #0", "frontend down #1"]
    assert sorted(clock.sleeps) == [(0.0, 1.0), (0.0, 5.0), (1.0, 2.0)]
    assert [b["summary"] for b in failing.bodies] == ["frontend down #0"] * 3
    assert (sender.delivered, sender.depth, sender.failed, failures) == (2, 2, 0, [])


async def test_drain_stops_an_attempt_at_its_deadline(
    clock: Clock, receivers: Callable[..., Receiver]
) -> None:
    """An attempt that has no answer by the deadline is abandoned; the notification waits on."""
    receiver = await receivers(hold=asyncio.Event()).start()
    sender = notifier(clock, hook(receiver.url(), timeout=600))
    sender.submit(note(0))
    draining = asyncio.create_task(sender.drain(5.0))
    await receiver.wait_for(1)
    await clock.advance(5.0)
    async with asyncio.timeout(PATIENCE):
        delivered = await draining
    await sender.close()

    assert (delivered, sender.delivered, sender.depth, sender.failed) == (0, 0, 1, 0)


async def test_time_spent_in_attempts_counts_against_the_deadline(
    clock: Clock, receivers: Callable[..., Receiver]
) -> None:
    """Once answers have taken the whole deadline, drain starts no further attempt."""
    receiver = await receivers(on_request=lambda: clock.pass_time(6.0)).start()
    sender = notifier(clock, hook(receiver.url()))
    sender.submit(note(0))
    sender.submit(note(1))
    async with asyncio.timeout(PATIENCE):
        delivered = await sender.drain(5.0)
    await sender.close()

    assert (delivered, len(receiver.requests), sender.depth) == (1, 1, 1)


async def test_drain_with_nothing_waiting_returns_at_once(clock: Clock) -> None:
    """Nothing queued: drain returns 0 without waiting for its deadline."""
    sender = notifier(clock, hook(f"http://{LOOPBACK}:{refused_port()}/hooks/x"))
    assert await sender.drain(5.0) == 0
    assert clock.sleeps == []


async def test_cancelling_run_keeps_the_notification_under_way(
    clock: Clock, receivers: Callable[..., Receiver]
) -> None:
    """run() cancelled mid-request puts that notification back at the head, and drain sends it
    again (a duplicate is better than a loss)."""
    hold = asyncio.Event()
    receiver = await receivers(hold=hold).start()
    sender = notifier(clock, hook(receiver.url(), timeout=600))
    task = asyncio.create_task(sender.run())
    sender.submit(note(0))
    sender.submit(note(1))
    await receiver.wait_for(1)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert (sender.depth, sender.delivered) == (2, 0)

    hold.set()
    async with asyncio.timeout(PATIENCE):
        delivered = await sender.drain(5.0)
    await sender.close()

    assert (delivered, sender.depth) == (2, 0)
    assert [b["summary"] for b in receiver.bodies] == [
        "frontend down #0",
        "frontend down #0",
        "frontend down #1",
    ]


# Edges.


async def test_details_that_cannot_be_json_fail_only_where_they_are_sent(
    clock: Clock, receivers: Callable[..., Receiver]
) -> None:
    """A NaN in the details cannot go in a json body (counted, reported, submit does not raise);
    a slack body, which has no details, still goes."""
    json_receiver, slack_receiver = await receivers().start(), await receivers().start()
    failures = Failures()
    sender = notifier(
        clock,
        hook(json_receiver.url()),
        hook(slack_receiver.url(), format="slack"),
        failures=failures,
    )
    async with running(sender):
        sender.submit(note(0, details={"ratio": float("nan")}))
        await until(lambda: sender.delivered == 1)

    assert json_receiver.requests == []
    assert len(slack_receiver.requests) == 1
    (line,) = failures
    assert line.startswith(
        f"notification outage_start of shop not delivered to http://127.0.0.1:{json_receiver.port}:"
        " cannot encode the details (Out of range float values are not JSON compliant"
    )
    assert sender.failed == 1


async def test_a_failure_is_counted_without_anyone_to_tell(
    clock: Clock, receivers: Callable[..., Receiver]
) -> None:
    """Without on_failure, a notification given up is still counted."""
    receiver = await receivers(status=500).start()
    async with running(notifier(clock, hook(receiver.url()), attempts=1)) as sender:
        sender.submit(note(0))
        await until(lambda: sender.failed == 1)

    assert (len(receiver.requests), sender.delivered, sender.depth) == (1, 0, 0)


async def test_a_given_session_is_used_and_left_open(
    clock: Clock, receivers: Callable[..., Receiver]
) -> None:
    """The notifier posts through the session it is given (its raise_for_status does not
    change the outcome), and close() leaves that session to its owner."""
    receiver = await receivers(answers=[500]).start()
    failures = Failures()
    async with aiohttp.ClientSession(raise_for_status=True) as session:
        settings = NotifySettings(webhooks=[hook(receiver.url())], attempts=2)
        sender = Notifier(settings, clock, session=session, on_failure=failures)
        async with running(sender):
            sender.submit(note(0))
            await clock.wait_sleeps(1)
            await clock.advance(1.0)
            await until(lambda: sender.delivered == 1)
        assert not session.closed
    assert (len(receiver.requests), failures) == (2, [])


async def test_without_webhooks_nothing_is_queued_and_run_returns(clock: Clock) -> None:
    """No webhooks: submit queues nothing, run() returns at once, drain has nothing to do."""
    sender = notifier(clock)
    sender.submit(note(0))
    async with asyncio.timeout(PATIENCE):
        await sender.run()
    assert (sender.depth, await sender.drain(1.0)) == (0, 0)
    await sender.close()


async def test_send_once_tries_once(receivers: Callable[..., Receiver]) -> None:
    """send_once makes one request and reports its status, or why it could not make one."""
    receiver = await receivers(status=500).start()
    async with aiohttp.ClientSession() as session:
        failed = await send_once(session, hook(receiver.url()), note(0))
        unencodable = await send_once(
            session, hook(receiver.url()), note(1, details={"x": float("inf")})
        )
        receiver.status = 204
        sent = await send_once(session, hook(receiver.url()), note(2))

    assert (failed.status, failed.error, failed.delivered) == (500, "HTTP 500", False)
    assert unencodable.error is not None
    assert unencodable.error.startswith("cannot encode the details")
    assert (sent.status, sent.error, sent.delivered) == (204, None, True)
    assert [b["summary"] for b in receiver.bodies] == ["frontend down #0", "frontend down #2"]


# `slawatch notify test`.

#: `slawatch` as its console script runs it (monitor.cli.main: its exit codes, its one-line
#: errors), with the notify commands registered if monitor.cli does not register them itself.
SLAWATCH = """
import argparse, sys
from monitor.cli import main as cli
from monitor.cli.notify import add_notify_commands

build = cli._parser

def parser():
    built = build()
    commands = next(a for a in built._actions if isinstance(a, argparse._SubParsersAction))
    if "notify" not in commands.choices:
        add_notify_commands(commands)
    return built

cli._parser = parser
sys.exit(cli.main())
"""


async def slawatch(*args: str) -> tuple[int, list[str], list[str]]:
    """Run ``slawatch ARGS`` (without blocking the receivers in this loop): the exit status and
    the lines of stdout and stderr."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        SLAWATCH,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(60):
        out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode().splitlines(), err.decode().splitlines()


def config(tmp_path: Path, *webhooks: str) -> str:
    """A configuration file with ``webhooks`` (YAML mappings, one line each); its path."""
    path = tmp_path / "slawatch.yaml"
    listed = "".join(f"\n    - {w}" for w in webhooks)
    path.write_text(f"vantage: fra1\nnotify:\n  webhooks:{listed or ' []'}\n", encoding="utf-8")
    return str(path)


async def test_notify_test_sends_one_notification_to_each_webhook(
    tmp_path: Path, receivers: Callable[..., Receiver]
) -> None:
    """`notify test` sends one test notification to each webhook that takes the event, says
    which it skipped, and exits 0 when every one took it."""
    first, second, ending = [await receivers().start() for _ in range(3)]
    path = config(
        tmp_path,
        f"{{url: '{first.url()}', headers: {{X-Token: s3cret}}}}",
        f"{{url: '{ending.url()}', events: [outage_end, cert_expiry]}}",
        f"{{url: '{second.url()}', format: slack}}",
    )

    status, out, err = await slawatch("notify", "test", "--config", path, "--service", "shop")

    assert (status, err) == (0, [])
    assert out == [
        f"ok http://127.0.0.1:{first.port} (HTTP 200)",
        f"skipped http://127.0.0.1:{ending.port}: does not take outage_start"
        " (events: outage_end, cert_expiry)",
        f"ok http://127.0.0.1:{second.port} (HTTP 200)",
    ]
    (sent,) = first.requests
    assert (sent.body["event"], sent.body["service"], sent.body["vantage"]) == (
        "outage_start",
        "shop",
        "fra1",
    )
    assert "test" in sent.body["summary"]
    assert sent.headers["X-Token"] == "s3cret"
    (text,) = second.bodies
    assert text["text"].startswith("[slawatch] shop: outage started at ")
    assert "test notification" in text["text"]
    assert ending.requests == []


async def test_notify_test_reports_a_dead_webhook_and_fails(
    tmp_path: Path, receivers: Callable[..., Receiver]
) -> None:
    """A webhook nobody answers gets one FAILED line naming scheme://host:port only, the others
    still get theirs, and the exit status is 1."""
    receiver = await receivers().start()
    dead = refused_port()
    path = config(
        tmp_path,
        f"{{url: 'http://127.0.0.1:{dead}/hooks/secret-token'}}",
        f"{{url: '{receiver.url()}', events: [outage_end]}}",
    )

    status, out, err = await slawatch("notify", "test", "--config", path, "--event", "outage_end")

    assert (status, err) == (1, [])
    assert out == [
        f"FAILED http://127.0.0.1:{dead}: cannot connect: Connection refused",
        f"ok http://127.0.0.1:{receiver.port} (HTTP 200)",
    ]
    assert [(b["event"], b["service"]) for b in receiver.bodies] == [("outage_end", "test")]


async def test_notify_test_tries_once(tmp_path: Path, receivers: Callable[..., Receiver]) -> None:
    """A webhook answering 500 gets one request, no retry, and a FAILED line with the status."""
    erring = await receivers(status=500).start()
    path = config(tmp_path, f"{{url: '{erring.url()}'}}")

    status, out, err = await slawatch("notify", "test", "--config", path)

    assert (status, out, err) == (1, [f"FAILED http://127.0.0.1:{erring.port}: HTTP 500"], [])
    assert len(erring.requests) == 1


async def test_notify_test_without_webhooks_fails(tmp_path: Path) -> None:
    """No webhooks configured: one line saying so, exit status 1."""
    status, out, err = await slawatch("notify", "test", "--config", config(tmp_path))

    assert (status, out) == (1, [])
    assert err == [
        f"slawatch: {tmp_path / 'slawatch.yaml'}: no webhooks configured (notify.webhooks)"
    ]


async def test_notify_test_when_no_webhook_takes_the_event_fails(
    tmp_path: Path, receivers: Callable[..., Receiver]
) -> None:
    """Every webhook skips the event: nothing was tested, so the exit status is 1."""
    receiver = await receivers().start()
    path = config(tmp_path, f"{{url: '{receiver.url()}', events: [outage_start]}}")

    status, out, err = await slawatch("notify", "test", "--config", path, "--event", "cert_expiry")

    assert status == 1
    assert out == [
        f"skipped http://127.0.0.1:{receiver.port}: does not take cert_expiry (events: outage_start)"
    ]
    assert err == [f"slawatch: {path}: no webhook takes cert_expiry"]
    assert receiver.requests == []


async def test_notify_test_refuses_an_unknown_event(tmp_path: Path) -> None:
    """An unknown --event is bad input: one line listing the events, exit status 2."""
    status, out, err = await slawatch(
        "notify", "test", "--config", config(tmp_path), "--event", "outage"
    )

    assert (status, out) == (2, [])
    assert err == [
        "slawatch: --event: expected one of outage_start, outage_end, failover_breach,"
        " cert_expiry, got 'outage'"
    ]

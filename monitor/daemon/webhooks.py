"""Notifications slawatch sends itself: outages, broken failover promises, expiring certificates.

C4 expects the provider to announce its outages; slawatch makes sure someone hears of them anyway.
:meth:`Notifier.submit` only queues, so whoever notices an event never waits on a webhook, and
:meth:`Notifier.run` POSTs each notification to every webhook that takes its event: one request
per webhook and notification, in order per webhook, concurrently across webhooks (a webhook that
hangs or is down delays only its own notifications). A request that fails (no 2xx answer, no
connection, no answer within the webhook's ``timeout``) is tried again after a pause that doubles
from 1 s up to 60 s, at most ``attempts`` times in all; then it is given up, counted and reported.

Deliveries waiting in the queue are bounded by ``max_queue`` across every webhook; past it the
oldest waiting one is dropped, and counted. At shutdown, :meth:`Notifier.drain` delivers what it
can within a deadline.

A webhook URL may carry a token in its path (Slack's do), and its headers carry secrets, so
neither appears in any report: a webhook is named by ``scheme://host[:port]`` only
(:func:`webhook_name`), and a failure by a reason of its own words, never an exception's text.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from urllib.parse import urlsplit

import aiohttp

from ..clock import Clock
from ..config.settings import NOTIFY_EVENTS, NotifyEvent, NotifySettings, Webhook
from ..timefmt import format_instant

__all__ = [
    "MAX_BACKOFF",
    "MIN_BACKOFF",
    "Attempt",
    "Notification",
    "Notifier",
    "json_body",
    "send_once",
    "slack_body",
    "webhook_name",
]

#: The first pause after a failed attempt, in seconds; it doubles after each further failure...
MIN_BACKOFF: Final = 1.0
#: ... up to this, so a webhook that comes back is used again within a minute.
MAX_BACKOFF: Final = 60.0

_TITLES: Final[Mapping[NotifyEvent, str]] = {
    "outage_start": "outage started",
    "outage_end": "outage ended",
    "failover_breach": "failover promise broken",
    "cert_expiry": "certificate expires soon",
}


@dataclass(frozen=True, slots=True)
class Notification:
    """Something a person should hear of: ``event`` happened to ``service`` at ``at``.

    ``summary`` is one line for people; ``details`` holds JSON-able facts for machines (an aware
    datetime among them is written in RFC 3339, anything else not JSON-able as its ``str``).
    ``vantage`` names the slawatch instance that saw it.
    """

    event: NotifyEvent
    service: str
    at: datetime
    summary: str
    details: Mapping[str, Any]
    vantage: str

    def __post_init__(self) -> None:
        if self.event not in NOTIFY_EVENTS:
            raise ValueError(
                f"event: expected one of {', '.join(NOTIFY_EVENTS)}, got {self.event!r}"
            )
        if self.at.utcoffset() is None:
            raise ValueError(f"at: expected an aware datetime, got {self.at!r}")


def json_body(n: Notification) -> dict[str, Any]:
    """slawatch's own webhook body (``format: json``), an object of exactly these fields::

        {
          "source": "slawatch",           always
          "event": "outage_start",        outage_start, outage_end, failover_breach, cert_expiry
          "service": "shop",              the service, as named in the configuration
          "vantage": "fra1",              the slawatch instance that saw it
          "at": "2026-10-01T08:00:00Z",   when, RFC 3339 in UTC (monitor.timefmt.format_instant)
          "summary": "...",               one line for people
          "details": {...}                facts for machines
        }

    The keys of ``details`` depend on the event.
    """
    return {
        "source": "slawatch",
        "event": n.event,
        "service": n.service,
        "vantage": n.vantage,
        "at": format_instant(n.at),
        "summary": n.summary,
        "details": dict(n.details),
    }


def slack_body(n: Notification) -> dict[str, Any]:
    """The body Slack's and Mattermost's incoming webhooks take (``format: slack``): one line,
    ``{"text": "[slawatch] shop: outage started at 2026-10-01T08:00:00Z, seen from fra1: ..."}``.

    ``&``, ``<`` and ``>`` are escaped as Slack requires (both render the escapes as the
    characters), so a summary that quotes a remote server cannot mention ``<!channel>`` or hide a
    link.
    """
    text = (
        f"[slawatch] {n.service}: {_TITLES[n.event]} at {format_instant(n.at)},"
        f" seen from {n.vantage}: {n.summary}"
    )
    return {"text": text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")}


def webhook_name(url: str) -> str:
    """``scheme://host[:port]`` of a webhook URL: what reports name it by, since its path, query
    and user part may hold a token."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:  # out of range: the request fails, and says so, by itself
        port = None
    return f"{parts.scheme}://{host}" + (f":{port}" if port is not None else "")


def _json_default(value: object) -> object:
    if isinstance(value, datetime) and value.utcoffset() is not None:
        return format_instant(value)
    return str(value)


def _encode(form: str, n: Notification) -> bytes:
    """The request body for a webhook of format ``form``; ValueError if the details cannot be
    JSON (a NaN, a cycle)."""
    body = slack_body(n) if form == "slack" else json_body(n)
    return json.dumps(body, default=_json_default, allow_nan=False).encode()


@dataclass(frozen=True, slots=True)
class Attempt:
    """How one POST went: ``status`` if an answer came back; ``error``, one line (never the URL,
    never a header value), unless the notification was delivered."""

    status: int | None = None
    error: str | None = None

    @property
    def delivered(self) -> bool:
        """A 2xx answer came back."""
        return self.error is None


def _os_reason(error: OSError) -> str:
    # The message of a refused connect names only host and port, but a numbered error says the
    # same in fewer words.
    return f": {os.strerror(error.errno)}" if error.errno and error.errno > 0 else ""


#: Why a request failed, by exception, most specific first. An exception's own text is never
#: used: aiohttp's may quote the URL, and so its token.
_REASONS: Final[tuple[tuple[type[Exception], Callable[[Any, float], str]], ...]] = (
    (TimeoutError, lambda _, timeout: f"no answer within {timeout:g}s"),
    (aiohttp.ClientSSLError, lambda _, __: "TLS handshake failed"),
    (aiohttp.ClientConnectorError, lambda e, _: f"cannot connect{_os_reason(e.os_error)}"),
    (aiohttp.ServerDisconnectedError, lambda _, __: "connection closed without an answer"),
    (aiohttp.ClientResponseError, lambda _, __: "not a valid HTTP answer"),
    (aiohttp.InvalidURL, lambda _, __: "invalid URL"),
    (aiohttp.ClientOSError, lambda e, _: f"connection failed{_os_reason(e)}"),
    (aiohttp.ClientError, lambda e, _: f"request failed ({type(e).__name__})"),
    (ValueError, lambda _, __: "invalid header or URL"),
)


def _failure_reason(error: Exception, timeout: float) -> str:
    """One line saying why a request failed (``error`` is of a kind in the table)."""
    describe = next(d for kind, d in _REASONS if isinstance(error, kind))
    return describe(error, timeout)


async def _post(
    session: aiohttp.ClientSession, webhook: Webhook, body: bytes, limit: float
) -> Attempt:
    """POST ``body`` to ``webhook`` once, waiting at most ``limit`` seconds for the answer."""
    headers = {"Content-Type": "application/json", "User-Agent": "slawatch"}
    headers.update({name: value.get_secret_value() for name, value in webhook.headers.items()})
    try:
        # Redirects are not followed: a POST would turn into a GET, and the secret headers
        # would go wherever the redirect points.
        async with session.post(
            webhook.url,
            data=body,
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=limit),
            allow_redirects=False,
            raise_for_status=False,
        ) as response:
            status = response.status
    except (aiohttp.ClientError, TimeoutError, ValueError) as error:
        return Attempt(error=_failure_reason(error, limit))
    if 200 <= status < 300:
        return Attempt(status=status)
    return Attempt(status=status, error=f"HTTP {status}")


async def send_once(
    session: aiohttp.ClientSession, webhook: Webhook, notification: Notification
) -> Attempt:
    """Send ``notification`` to ``webhook`` once, without retrying, within its ``timeout``."""
    try:
        body = _encode(webhook.format, notification)
    except ValueError as error:
        return Attempt(error=f"cannot encode the details ({error})")
    return await _post(session, webhook, body, webhook.timeout)


@dataclass(frozen=True, slots=True)
class _Delivery:
    """One notification for one webhook; ``seq`` orders every delivery by submission."""

    seq: int
    notification: Notification
    body: bytes


class Notifier:
    """Delivers notifications to the configured webhooks, in the background.

    ``session`` is the HTTP session to use (by default one of its own, made when first needed
    and closed by :meth:`close`). ``on_failure`` is called with one line for each notification a
    webhook did not get after every attempt (to log it); it may not raise. The counters
    ``delivered``, ``failed``, ``dropped`` and ``depth`` are for metrics.
    """

    def __init__(
        self,
        settings: NotifySettings,
        clock: Clock,
        *,
        session: aiohttp.ClientSession | None = None,
        on_failure: Callable[[str], None] | None = None,
    ) -> None:
        self._webhooks = tuple(settings.webhooks)
        self._names = tuple(webhook_name(w.url) for w in self._webhooks)
        self._max_queue = settings.max_queue
        self._attempts = settings.attempts
        self._clock = clock
        self._session = session
        self._owns_session = session is None
        self._on_failure = on_failure
        self._queues: tuple[deque[_Delivery], ...] = tuple(deque() for _ in self._webhooks)
        self._ready = tuple(asyncio.Event() for _ in self._webhooks)
        self._seq = itertools.count()
        self._waiting = 0
        self._delivered = 0
        self._failed = 0
        self._dropped = 0

    @property
    def delivered(self) -> int:
        """Notifications a webhook accepted (one per webhook), since this notifier was made."""
        return self._delivered

    @property
    def failed(self) -> int:
        """Deliveries given up after every attempt."""
        return self._failed

    @property
    def dropped(self) -> int:
        """Deliveries dropped unsent because ``max_queue`` others were waiting."""
        return self._dropped

    @property
    def depth(self) -> int:
        """Deliveries waiting; those being attempted (one per webhook at most) are not counted."""
        return self._waiting

    def submit(self, n: Notification) -> None:
        """Queue ``n`` for every webhook that takes its event; returns at once, and never raises.

        Past ``max_queue`` waiting deliveries, the oldest waiting one (of whichever webhook) is
        dropped to make room.
        """
        bodies: dict[str, bytes] = {}
        for index, webhook in enumerate(self._webhooks):
            if n.event not in webhook.events:
                continue
            if webhook.format not in bodies:
                try:
                    bodies[webhook.format] = _encode(webhook.format, n)
                except ValueError as error:
                    self._give_up(index, n, f"cannot encode the details ({error})")
                    continue
            if self._waiting >= self._max_queue:
                self._drop_oldest()
            self._queues[index].append(_Delivery(next(self._seq), n, bodies[webhook.format]))
            self._waiting += 1
            self._ready[index].set()

    async def run(self) -> None:
        """Deliver queued notifications until cancelled (at once if there are no webhooks).

        Cancelling puts a delivery under way back at the head of its queue, for :meth:`drain`:
        a webhook may then get it twice, which is better than not at all.
        """
        async with asyncio.TaskGroup() as group:
            for index in range(len(self._webhooks)):
                group.create_task(self._worker(index))

    async def drain(self, deadline: float) -> int:
        """Deliver what waits, for at most ``deadline`` seconds from now; returns how many.

        For shutdown, after :meth:`run` has been cancelled. Failed attempts are retried as in
        :meth:`run` while the pause before the next attempt ends within the deadline. What is
        left stays counted in :attr:`depth`.
        """
        before = self._delivered
        end = self._clock.monotonic() + deadline
        workers = [
            asyncio.ensure_future(self._drain_one(index, end))
            for index, queue in enumerate(self._queues)
            if queue
        ]
        if not workers:
            return 0
        timer = asyncio.ensure_future(self._clock.sleep(deadline))
        everyone = asyncio.gather(*workers)
        try:
            await asyncio.wait((timer, everyone), return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (timer, *workers):
                task.cancel()
            await asyncio.gather(timer, everyone, return_exceptions=True)
        return self._delivered - before

    async def close(self) -> None:
        """Close the HTTP session if this notifier made it."""
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    async def _worker(self, index: int) -> None:
        queue, ready = self._queues[index], self._ready[index]
        while True:
            while not queue:
                ready.clear()
                await ready.wait()
            await self._deliver_next(index, None)

    async def _drain_one(self, index: int, end: float) -> None:
        queue = self._queues[index]
        while queue:
            if not await self._deliver_next(index, end):
                return

    async def _deliver_next(self, index: int, end: float | None) -> bool:
        """Deliver the head of webhook ``index``'s queue, or give it up; False if it was put
        back because ``end`` (monotonic) came first."""
        delivery = self._queues[index].popleft()
        self._waiting -= 1
        try:
            done = await self._deliver(index, delivery, end)
        except asyncio.CancelledError:
            self._put_back(index, delivery)
            raise
        if not done:
            self._put_back(index, delivery)
        return done

    def _put_back(self, index: int, delivery: _Delivery) -> None:
        # Not counted against max_queue: it was waiting before any delivery now queued.
        self._queues[index].appendleft(delivery)
        self._waiting += 1

    async def _deliver(self, index: int, delivery: _Delivery, end: float | None) -> bool:
        """Attempt until delivered or given up (True), or until ``end`` comes (False)."""
        webhook = self._webhooks[index]
        pause = MIN_BACKOFF
        number = 0
        while True:
            number += 1
            timeout = webhook.timeout
            if end is not None:
                timeout = min(timeout, end - self._clock.monotonic())
                if timeout <= 0:
                    return False
            attempt = await _post(self._session_for_use(), webhook, delivery.body, timeout)
            if attempt.delivered:
                self._delivered += 1
                return True
            if number == self._attempts:
                plural = "s" if number > 1 else ""
                self._give_up(
                    index, delivery.notification, f"{attempt.error} ({number} attempt{plural})"
                )
                return True
            if end is not None and self._clock.monotonic() + pause >= end:
                return False
            await self._clock.sleep(pause)
            pause = min(pause * 2, MAX_BACKOFF)

    def _session_for_use(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    def _drop_oldest(self) -> None:
        oldest = min((q for q in self._queues if q), key=lambda q: q[0].seq)
        oldest.popleft()
        self._waiting -= 1
        self._dropped += 1

    def _give_up(self, index: int, n: Notification, reason: str) -> None:
        self._failed += 1
        if self._on_failure is not None:
            self._on_failure(
                f"notification {n.event} of {n.service} not delivered to {self._names[index]}:"
                f" {reason}"
            )

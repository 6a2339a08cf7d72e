"""The machine-readable status on the daemon's HTTP surface: public, cached, locked down."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from monitor.clock import FakeClock
from monitor.config.settings import HttpListen
from monitor.daemon.runner import Daemon
from monitor.evidence import IntervalKind, IntervalRecord
from monitor.status.build import build_public
from monitor.status.statuspage import summary
from monitor.store.base import DayFigures
from monitor.store.sqlite import SQLiteStore

from .conftest import fill_all, parse_xml
from .scenario import EAST, NOW, PRIVATE_WORDS, WEST, fill, settings


class CountingStore(SQLiteStore):
    """A real SQLite store that counts how often the page's day figures are read: once a
    build."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.reads = 0

    async def day_figures(self, *, first: date, last: date) -> tuple[DayFigures, ...]:
        self.reads += 1
        return await super().day_figures(first=first, last=last)


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[tuple[str, Daemon, CountingStore]]:
    """The scenario behind a daemon's HTTP surface (the daemon itself never runs), with an API
    token configured: these routes must not need it."""
    config = settings(tmp_path / "routes.db")
    config = config.model_copy(
        update={"http": HttpListen(api_token=SecretStr("a-long-random-token"))}
    )
    store = CountingStore(tmp_path / "routes.db")
    await store.open()
    await fill(store)
    await fill_all(store, config)
    store.reads = 0
    daemon = Daemon(config, clock=FakeClock(NOW), store=store, registry=CollectorRegistry())
    await daemon.http.start("127.0.0.1", 0)
    try:
        yield f"http://{daemon.http.address}", daemon, store
    finally:
        await daemon.http.stop()
        await store.close()


async def get(url: str) -> tuple[int, dict[str, str], bytes]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, dict(response.headers), await response.read()


def locked_down(headers: dict[str, str]) -> None:
    assert headers["Content-Security-Policy"] == "default-src 'none'"
    assert headers["X-Content-Type-Options"] == "nosniff"


async def test_summary_json(served: tuple[str, Daemon, CountingStore]) -> None:
    base, daemon, store = served
    status, headers, body = await get(f"{base}/api/v2/summary.json")

    assert status == 200
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert headers["Cache-Control"] == "public, max-age=10"
    locked_down(headers)
    expected = summary(
        await build_public(store, daemon.settings, NOW), url=daemon.settings.status_page.url
    )
    assert json.loads(body) == json.loads(json.dumps(expected))


async def test_feed_atom(served: tuple[str, Daemon, CountingStore]) -> None:
    base, _, _ = served
    status, headers, body = await get(f"{base}/feed.atom")

    assert status == 200
    assert headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    assert headers["Cache-Control"] == "public, max-age=10"
    locked_down(headers)
    root = parse_xml(body)
    assert len(root.findall("{http://www.w3.org/2005/Atom}entry")) == 2


async def test_badges(served: tuple[str, Daemon, CountingStore]) -> None:
    base, _, _ = served
    status, headers, body = await get(f"{base}/badge/api.svg")
    assert status == 200
    assert headers["Content-Type"] == "image/svg+xml"
    locked_down(headers)
    assert parse_xml(body).get("aria-label") == "api: major outage"

    status, _, body = await get(f"{base}/badge/shop.svg?window=30d")
    assert status == 200
    assert parse_xml(body).get("aria-label") == "shop 30d: 100%"


@pytest.mark.parametrize(
    ("path", "status", "error"),
    [
        ("/badge/nope.svg", 404, "service: no public service 'nope'"),
        # Configured, but not public: as unknown as a service that does not exist.
        ("/badge/internal.svg", 404, "service: no public service 'internal'"),
        ("/badge/api.svg?window=1y", 400, "window: expected one of 24h, 7d, 30d, 90d, month"),
    ],
)
async def test_bad_badge_requests_are_json_errors(
    served: tuple[str, Daemon, CountingStore], path: str, status: int, error: str
) -> None:
    base, _, _ = served
    got, headers, body = await get(base + path)

    assert got == status
    assert json.loads(body) == {"error": error}
    assert headers["Cache-Control"] == "no-store"
    locked_down(headers)


async def test_many_requests_build_once_until_the_ttl(
    served: tuple[str, Daemon, CountingStore],
) -> None:
    """A hundred requests at once across the routes: one build. A change in the store shows
    after the TTL, not before."""
    base, daemon, store = served
    paths = ["/api/v2/summary.json", "/feed.atom", "/badge/web.svg", "/badge/web.svg?window=7d"]
    answers = await asyncio.gather(*(get(base + paths[n % 4]) for n in range(100)))

    assert {status for status, _, _ in answers} == {200}
    assert store.reads == 1
    first = answers[0][2]

    # web goes down, seen from both vantages.
    for vantage in (EAST, WEST):
        await store.open_interval(
            IntervalRecord(IntervalKind.OUTAGE, vantage, "web", NOW - timedelta(minutes=1))
        )
    assert isinstance(daemon._clock, FakeClock)
    daemon._clock.step(9)
    assert (await get(base + paths[0]))[2] == first
    assert store.reads == 1

    daemon._clock.step(1)
    later: dict[str, Any] = json.loads((await get(base + paths[0]))[2])
    assert store.reads == 2
    web = next(c for c in later["components"] if c["name"] == "web")
    assert web["status"] == "major_outage"
    assert later["page"]["updated_at"] == "2026-03-10T14:00:10Z"


async def test_a_store_that_fails_is_a_503(served: tuple[str, Daemon, CountingStore]) -> None:
    base, _, store = served
    await store.close()

    status, headers, body = await get(f"{base}/api/v2/summary.json")

    assert status == 503
    assert "the store is not open" in json.loads(body)["error"]
    assert headers["Cache-Control"] == "no-store"


async def test_the_routes_show_nothing_private(served: tuple[str, Daemon, CountingStore]) -> None:
    base, _, _ = served
    paths = ["/api/v2/summary.json", "/feed.atom"]
    paths += [f"/badge/{name}.svg" for name in ("api", "web", "shop", "docs")]
    paths += [f"/badge/api.svg?window={w}" for w in ("24h", "7d", "30d", "90d", "month")]
    for path in paths:
        status, _, body = await get(base + path)
        assert status == 200, path
        for word in PRIVATE_WORDS:
            assert word.encode() not in body, (path, word)

"""What the JSON API tests share: a configuration with an API token, the daemon's HTTP surface
on a free loopback port, and a client that sends the bearer token."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
from prometheus_client import CollectorRegistry

from monitor.clock import FakeClock
from monitor.config.settings import parse_settings
from monitor.daemon.runner import Daemon
from monitor.store.sqlite import SQLiteStore

__all__ = ["TOKEN", "Api", "config", "serve"]

TOKEN = "t0ken-for-tests"  # noqa: S105 - a test's own token


def config(db: Path, token: str | None = TOKEN) -> str:
    """One service, ``shop``, stored in ``db``; the API on with ``token``, off without."""
    http = (
        f'{{listen: "127.0.0.1:0", api_token: "{token}"}}' if token else '{listen: "127.0.0.1:0"}'
    )
    return f"""
store: "sqlite:///{db}"
http: {http}
contracts: {{c: {{currency: USD, daily_fee: "10.00"}}}}
services:
  - {{name: shop, contract: c, frontend: [{{name: home, type: http, url: "http://127.0.0.1:1/"}}]}}
"""


class Api:
    """A client of the daemon's HTTP surface."""

    def __init__(self, base: str, session: aiohttp.ClientSession) -> None:
        self.base = base
        self.session = session

    async def call(
        self, method: str, path: str, body: Any = None, token: str | None = TOKEN
    ) -> tuple[int, Any, dict[str, str]]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with self.session.request(
            method, self.base + path, json=body, headers=headers
        ) as response:
            return response.status, await response.json(), dict(response.headers)


async def serve(
    tmp_path: Path, token: str | None, now: datetime | None = None
) -> AsyncIterator[Api]:
    """The daemon's HTTP surface (not the daemon) on a free port, its clock at ``now``."""
    store = SQLiteStore(tmp_path / "x.db")
    await store.open()
    settings = parse_settings(config(tmp_path / "x.db", token), "x.yaml")
    clock = FakeClock() if now is None else FakeClock(now)
    daemon = Daemon(settings, clock=clock, store=store, registry=CollectorRegistry())
    await daemon.http.start("127.0.0.1", 0)
    try:
        async with aiohttp.ClientSession() as session:
            yield Api(f"http://{daemon.http.address}", session)
    finally:
        await daemon.http.stop()
        await store.close()

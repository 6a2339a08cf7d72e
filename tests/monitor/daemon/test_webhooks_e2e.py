"""The daemon tells a webhook when the service goes down and comes back."""

from __future__ import annotations

import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from ..harness import Daemon, Target, free_port, serve_target, wait_for


@pytest.fixture
async def target() -> AsyncIterator[Target]:
    async with serve_target() as state:
        yield state


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[int, list[Any]]]:
    """A webhook receiver on loopback: its port, and the bodies it was sent."""
    received: list[Any] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook/T0KEN", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield runner.addresses[0][1], received
    await runner.cleanup()


async def test_outage_start_and_end_reach_the_webhook(
    tmp_path: Path, target: Target, receiver: tuple[int, list[Any]]
) -> None:
    """A scripted outage sends outage_start then outage_end, in slawatch's JSON body."""
    hook_port, received = receiver
    http_port = free_port()
    config = tmp_path / "slawatch.yaml"
    config.write_text(
        f"""
vantage: v1
store: "sqlite:///{tmp_path / "x.db"}"
http: {{listen: "127.0.0.1:{http_port}"}}
notify:
  webhooks:
    - {{url: "http://127.0.0.1:{hook_port}/hook/T0KEN", events: [outage_start, outage_end]}}
contracts:
  basic: {{timezone: UTC, currency: USD, daily_fee: "1440.00"}}
canaries:
  - {{name: self, type: tcp, host: 127.0.0.1, port: {http_port}, interval: 1s, retry_interval: 500ms}}
services:
  - name: shop
    contract: basic
    frontend:
      - {{name: home, type: http, url: "http://127.0.0.1:{target.port}/", contains: Welcome,
          interval: 1s, timeout: 500ms, retry_interval: 250ms, confirm: 2}}
""",
        encoding="utf-8",
    )
    daemon = Daemon(config, http_port)
    await daemon.start()

    async def is_state(state: str) -> bool:
        return await daemon.service_state() == state

    async def got(count: int) -> bool:
        return len(received) >= count

    await wait_for(lambda: is_state("up"), "service up")
    target.set(False)
    await wait_for(lambda: got(1), "outage_start delivered")
    target.set(True)
    await wait_for(lambda: got(2), "outage_end delivered")
    await daemon.signal(signal.SIGTERM)
    code, log = await daemon.wait()
    assert code == 0, log

    assert [body["event"] for body in received] == ["outage_start", "outage_end"]
    start = received[0]
    assert start["source"] == "slawatch"
    assert (start["service"], start["vantage"]) == ("shop", "v1")
    assert start["summary"] == "every frontend check is down"
    assert "T0KEN" not in log

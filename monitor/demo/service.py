"""A tiny service on loopback: nodes serving a shop, and a load balancer in front of them.

A node can be stopped and started on the same port (a machine dying and coming back). The load
balancer sends each request to the next node and, when a node refuses the connection, tries the
others: the "local load balancer" of C4 routing around a failed node.
"""

from __future__ import annotations

import itertools

import aiohttp
from aiohttp import web

from ..clock import Clock

__all__ = ["DemoNode", "LoadBalancer"]

PAGE = "<!doctype html><title>Shop</title><h1>Welcome to the shop</h1>"
SCRIPT = b"/* app */\n" + b"x" * 30_000
CHUNK = b"\x00" * 8192


async def _page(_: web.Request) -> web.Response:
    return web.Response(text=PAGE, content_type="text/html")


async def _script(_: web.Request) -> web.Response:
    return web.Response(body=SCRIPT, content_type="application/javascript")


def _app(clock: Clock) -> web.Application:
    async def stream(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.content_type = "video/mp2t"
        await response.prepare(request)
        # A live stream never ends on its own: the viewer decides when to stop.
        try:
            while True:
                await response.write(CHUNK)
                await clock.sleep(0.01)
        except (ConnectionResetError, aiohttp.ClientConnectionResetError):
            return response

    app = web.Application()
    app.router.add_get("/", _page)
    app.router.add_get("/static/app.js", _script)
    app.router.add_get("/live/stream", stream)
    return app


class DemoNode:
    """One node of the shop, on a fixed loopback port once started; its stream is paced by
    ``clock``."""

    def __init__(self, name: str, clock: Clock) -> None:
        self.name = name
        self._clock = clock
        self.port = 0
        self._runner: web.AppRunner | None = None

    @property
    def running(self) -> bool:
        """Whether the node accepts connections."""
        return self._runner is not None

    async def start(self) -> None:
        """Listen (on the same port as before, after a stop)."""
        runner = web.AppRunner(_app(self._clock), access_log=None, shutdown_timeout=0.1)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", self.port, reuse_address=True)
        await site.start()
        self.port = runner.addresses[0][1]
        self._runner = runner

    async def stop(self) -> None:
        """Stop accepting connections and drop open ones, like a machine that died."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


class LoadBalancer:
    """Round-robin reverse proxy with retry on connection failure."""

    def __init__(self, nodes: list[DemoNode]) -> None:
        self._nodes = nodes
        self._turn = itertools.count()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.port = 0

    async def start(self) -> None:
        """Listen on a free loopback port."""
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None, connect=1))
        app = web.Application()
        app.router.add_route("*", "/{path:.*}", self._proxy)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def _proxy(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None  # noqa: S101 - started before it serves
        first = next(self._turn)
        for offset in range(len(self._nodes)):
            node = self._nodes[(first + offset) % len(self._nodes)]
            url = f"http://127.0.0.1:{node.port}{request.rel_url}"
            try:
                upstream = await self._session.request(request.method, url)
            except aiohttp.ClientConnectionError:
                continue  # route around the failed node
            response = web.StreamResponse(status=upstream.status)
            response.content_type = upstream.content_type
            await response.prepare(request)
            try:
                async for chunk in upstream.content.iter_chunked(16384):
                    await response.write(chunk)
            except (aiohttp.ClientError, ConnectionResetError):
                pass  # the node died mid-body: the client sees a cut response
            finally:
                upstream.release()
            return response
        return web.Response(status=502, text="no node available")

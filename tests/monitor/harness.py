"""What the daemon's end-to-end tests share: switchable loopback targets, free ports, a
``slawatch run`` subprocess with its HTTP surface, and waiting on a condition with a deadline."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import os
import socket
import sys
import time
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

__all__ = [
    "STARTED",
    "Daemon",
    "Proxy",
    "Target",
    "collecting_dropped_connections",
    "free_port",
    "serve_target",
    "wait_for",
]

#: Every daemon process a test started; tests/monitor/conftest.py kills those still running
#: when the test ends, so a failed test leaves no daemon behind.
STARTED: list[asyncio.subprocess.Process] = []


@dataclass
class Target:
    """A loopback HTTP target whose health the test switches, remembering when it did."""

    port: int = 0
    healthy: bool = True
    switched_at: list[tuple[bool, datetime]] = field(default_factory=list)
    #: Requests served, by path: each probe makes exactly one.
    served: dict[str, int] = field(default_factory=dict)

    def set(self, healthy: bool) -> datetime:
        at = datetime.now(UTC)
        self.healthy = healthy
        self.switched_at.append((healthy, at))
        return at


@contextlib.asynccontextmanager
async def serve_target() -> AsyncIterator[Target]:
    """A target on a free loopback port: "Welcome" while healthy, 503 otherwise, on any path."""
    state = Target()

    async def page(request: web.Request) -> web.Response:
        state.served[request.path] = state.served.get(request.path, 0) + 1
        if state.healthy:
            return web.Response(text="Welcome to the shop")
        return web.Response(status=503, text="down for now")

    app = web.Application()
    app.router.add_get("/{tail:.*}", page)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    state.port = runner.addresses[0][1]
    try:
        yield state
    finally:
        async with collecting_dropped_connections():
            await runner.cleanup()


@contextlib.asynccontextmanager
async def collecting_dropped_connections() -> AsyncIterator[None]:
    """Around the close of a server that clients may be connecting to: nothing is left open.

    A connection that asyncio accepted just before its server closed is dropped half made, its
    socket open (python/cpython#109564): the garbage collector closes it later, with
    ResourceWarnings for the transport and the socket, in whatever test it then runs in. So the
    garbage from before is collected first, warnings on (a leak of the test itself still fails
    it), and what the close dropped is collected right after it, those two warnings ignored.
    """
    gc.collect()
    yield
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore",
            r"unclosed (transport <_SelectorSocketTransport|<socket\.socket)",
            ResourceWarning,
        )
        gc.collect()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Daemon:
    """A `slawatch run` subprocess and its HTTP surface."""

    def __init__(self, config: Path, http_port: int, env: dict[str, str] | None = None) -> None:
        self.config = config
        self.base = f"http://127.0.0.1:{http_port}"
        self.process: asyncio.subprocess.Process | None = None
        # The daemon's log, read as it is written: a pipe nobody reads fills (64 KiB) and
        # blocks the daemon's logging, and with it the daemon.
        self._log = bytearray()
        self._reader: asyncio.Task[None] | None = None
        #: Variables added to the daemon's environment (the ${VAR}s of its configuration).
        self.env = env or {}

    async def start(self) -> None:
        self.process = process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "monitor.cli",
            "run",
            "--config",
            str(self.config),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, **self.env, "PYTHONUNBUFFERED": "1"},
        )
        STARTED.append(process)
        self._log = bytearray()
        self._reader = asyncio.create_task(self._read_log(process))
        await wait_for(self.healthy, "daemon to become healthy")

    async def _read_log(self, process: asyncio.subprocess.Process) -> None:
        assert process.stderr is not None
        while chunk := await process.stderr.read(65536):
            self._log += chunk

    @property
    def log(self) -> str:
        """What the daemon has logged so far."""
        return self._log.decode(errors="replace")

    async def get(self, path: str) -> tuple[int, str]:
        async with aiohttp.ClientSession() as session, session.get(self.base + path) as response:
            return response.status, await response.text()

    async def healthy(self) -> bool:
        try:
            status, _ = await self.get("/healthz")
        except aiohttp.ClientError:
            return False
        return status == 200

    async def service_state(self) -> str:
        state: str = (await self.state())["services"]["shop"]["state"]
        return state

    async def state(self) -> Any:
        """The daemon's /api/state."""
        _, body = await self.get("/api/state")
        return json.loads(body)

    async def health(self) -> Any:
        """The daemon's /healthz body."""
        _, body = await self.get("/healthz")
        return json.loads(body)

    async def signal(self, signum: int) -> None:
        assert self.process is not None
        self.process.send_signal(signum)

    async def wait(self) -> tuple[int, str]:
        """The exit status and the whole log, once the daemon has exited."""
        assert self.process is not None
        assert self._reader is not None
        code = await asyncio.wait_for(self.process.wait(), 30)
        await asyncio.wait_for(self._reader, 30)
        return code, self.log


async def wait_for(
    condition: Callable[[], Awaitable[bool]], what: str, deadline: float = 20.0
) -> None:
    """Poll ``condition`` until it holds; fail after ``deadline`` seconds."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if await condition():
            return
        await asyncio.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


class Proxy:
    """A TCP relay on a loopback port to ``upstream``: a network path the test can cut.

    :meth:`cut` drops every relayed connection and stops listening (new ones are refused);
    :meth:`restore` listens again on the same port.
    """

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self._upstream = (upstream_host, upstream_port)
        self.port = free_port()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)

    async def cut(self) -> None:
        server, self._server = self._server, None
        async with collecting_dropped_connections():
            if server is not None:
                server.close()
            for writer in list(self._writers):
                writer.transport.abort()
            self._writers.clear()
            if server is not None:
                await server.wait_closed()

    async def restore(self) -> None:
        await self.start()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # Every way out closes both connections, and a cancelled relay returns rather than ends
        # cancelled: the stream server of Python 3.11 leaves the connection of a handler that
        # ends cancelled open, for the garbage collector (python/cpython#113538).
        self._writers.add(writer)
        up_writer: asyncio.StreamWriter | None = None
        try:
            up_reader, up_writer = await asyncio.open_connection(*self._upstream)
            self._writers.add(up_writer)
            if self._server is not None:  # not cut while connecting
                await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            for end in (writer, up_writer):
                if end is not None:
                    end.transport.abort()
                    self._writers.discard(end)


async def _pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError):
        while data := await src.read(65536):
            dst.write(data)
            await dst.drain()
    dst.transport.abort()

"""A small headless-Chromium driver for the report tests, over the Chrome DevTools Protocol.

The HTML report is only right if a real browser shows it without errors, without fetching
anything, and prints it. This drives Debian's ``chromium`` through its DevTools websocket with
aiohttp (already a dependency), so no browser-automation package is needed. Every wait is on a
protocol event or reply, with a deadline; the browser only ever talks to loopback and opens a
``file://`` page, with its background networking switched off.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import re
import shutil
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest

__all__ = ["Browser", "PageLoad", "find_chromium", "launch"]

#: Seconds any one protocol step may take before the test fails instead of hanging.
DEADLINE = 30.0

_LISTENING = re.compile(r"DevTools listening on (ws://\S+)")
# No first-run pages, sync, updates, translation or metrics: the browser must not reach out.
_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
    "--disable-background-networking",
    "--no-first-run",
    "--disable-sync",
    "--disable-component-update",
    "--disable-default-apps",
    "--metrics-recording-only",
    "--no-default-browser-check",
    "--disable-features=Translate,OptimizationHints,MediaRouter",
)


def find_chromium() -> str:
    """The chromium executable; skips the test without one, or fails when CI requires it."""
    found = shutil.which("chromium") or (
        "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None
    )
    if found is not None:
        return found
    reason = "chromium is not installed (Debian package 'chromium'): browser test not run"
    if os.environ.get("SLAWATCH_REQUIRE_CHROMIUM") == "1":
        pytest.fail(reason + ", and SLAWATCH_REQUIRE_CHROMIUM=1 requires it")
    pytest.skip(reason)


@dataclass
class PageLoad:
    """What loading one page showed: problems, requests, text, and the rendered outputs."""

    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    text: str = ""
    screenshot: bytes = b""
    pdf: bytes = b""


class Browser:
    """One DevTools connection to a running browser, with one attached page session."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._ws = ws
        self._next = 0
        self._replies: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._waiters: dict[str, list[asyncio.Future[dict[str, Any]]]] = {}
        self._session: str | None = None
        self.load = PageLoad()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self._ws:
            if message.type is not aiohttp.WSMsgType.TEXT:
                break
            data = message.json()
            if "id" in data:
                reply = self._replies.pop(data["id"], None)
                if reply is not None and not reply.done():
                    reply.set_result(data)
            else:
                self._event(data["method"], data.get("params", {}))
        # The connection is gone: nothing pending will ever be answered.
        for pending in [*self._replies.values(), *(f for w in self._waiters.values() for f in w)]:
            if not pending.done():
                pending.set_exception(ConnectionError("DevTools connection closed"))

    def _event(self, method: str, params: dict[str, Any]) -> None:
        if method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            self.load.errors.append(f"exception: {details.get('text')} {details}")
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            texts = [str(arg.get("value", arg.get("description"))) for arg in params["args"]]
            self.load.errors.append("console: " + " ".join(texts))
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            entry = params["entry"]
            self.load.errors.append(f"log: {entry.get('text')} {entry.get('url', '')}")
        elif method == "Network.requestWillBeSent":
            self.load.requests.append(params["request"]["url"])
        for waiter in self._waiters.pop(method, []):
            if not waiter.done():
                waiter.set_result(params)

    def expect(self, method: str) -> asyncio.Future[dict[str, Any]]:
        """A future for the next ``method`` event; ask before the command that causes it."""
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(method, []).append(future)
        return future

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        """Send a command (to the page session once attached) and return its result."""
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params}
        if self._session is not None:
            message["sessionId"] = self._session
        reply: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._replies[self._next] = reply
        await self._ws.send_json(message)
        async with asyncio.timeout(DEADLINE):
            data = await reply
        if "error" in data:
            raise RuntimeError(f"{method}: {data['error']}")
        result: dict[str, Any] = data.get("result", {})
        return result

    async def open_page(self) -> None:
        """Create a blank page, attach to it and enable the domains that report problems."""
        target = await self.send("Target.createTarget", url="about:blank")
        attached = await self.send(
            "Target.attachToTarget", targetId=target["targetId"], flatten=True
        )
        self._session = attached["sessionId"]
        for domain in ("Runtime", "Log", "Network", "Page"):
            await self.send(f"{domain}.enable")
        await self.send(
            "Emulation.setDeviceMetricsOverride",
            width=1280,
            height=900,
            deviceScaleFactor=1,
            mobile=False,
        )

    async def visit(self, url: str) -> PageLoad:
        """Load ``url``; then read its text, take a full-page screenshot and print it to PDF."""
        loaded = self.expect("Page.loadEventFired")
        navigated = await self.send("Page.navigate", url=url)
        if "errorText" in navigated:
            raise RuntimeError(f"navigation to {url} failed: {navigated['errorText']}")
        async with asyncio.timeout(DEADLINE):
            await loaded
        evaluated = await self.send(
            "Runtime.evaluate", expression="document.body.innerText", returnByValue=True
        )
        self.load.text = str(evaluated["result"].get("value", ""))
        metrics = await self.send("Page.getLayoutMetrics")
        size = metrics["cssContentSize"]
        shot = await self.send(
            "Page.captureScreenshot",
            format="png",
            captureBeyondViewport=True,
            clip={"x": 0, "y": 0, "width": 1280, "height": size["height"], "scale": 1},
        )
        self.load.screenshot = base64.b64decode(shot["data"])
        printed = await self.send("Page.printToPDF", printBackground=True, preferCSSPageSize=True)
        self.load.pdf = base64.b64decode(printed["data"])
        return self.load

    async def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page, as JSON; fails on an exception."""
        evaluated = await self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in evaluated:
            raise RuntimeError(f"script failed: {evaluated['exceptionDetails']}")
        return evaluated["result"].get("value")

    async def close(self) -> None:
        """Ask the browser to quit and stop reading."""
        self._session = None
        with contextlib.suppress(Exception):
            async with asyncio.timeout(5):
                await self.send("Browser.close")
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader


async def _devtools_url(stderr: asyncio.StreamReader) -> str:
    """The browser's websocket address, from the line it prints on stderr when ready."""
    seen: list[str] = []
    async with asyncio.timeout(DEADLINE):
        while line := await stderr.readline():
            text = line.decode(errors="replace")
            if match := _LISTENING.search(text):
                return match.group(1)
            seen.append(text)
    raise RuntimeError("chromium exited before listening:\n" + "".join(seen[-20:]))


async def _drain(stderr: asyncio.StreamReader) -> None:
    # The browser keeps logging to stderr; a full pipe would stall it.
    while await stderr.read(65536):
        pass


@contextlib.asynccontextmanager
async def launch(executable: str, profile: Path) -> AsyncIterator[Browser]:
    """Start headless Chromium with a fresh profile, yield a connected page; always kill it."""
    process = await asyncio.create_subprocess_exec(
        executable,
        *_FLAGS,
        f"--user-data-dir={profile}",
        "about:blank",
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        # Its own process group, so its renderer and helper processes go with it.
        start_new_session=True,
    )
    assert process.stderr is not None
    drain: asyncio.Task[None] | None = None
    try:
        url = await _devtools_url(process.stderr)
        drain = asyncio.create_task(_drain(process.stderr))
        async with (
            aiohttp.ClientSession() as http,
            http.ws_connect(url, max_msg_size=0) as ws,
        ):
            browser = Browser(ws)
            try:
                await browser.open_page()
                yield browser
            finally:
                await browser.close()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        await process.wait()
        if drain is not None:
            drain.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await drain

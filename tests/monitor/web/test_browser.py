"""The pages in real headless Chromium: no console error, nothing fetched but the page itself,
nothing wider than the window at 1280 px and at 390 px (a phone), and a name holding a script
shown as text. Screenshots are written under the test's directory and their paths printed."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from typing import Any

from monitor.web.pages import render_status

from ..report.browser import DEADLINE, Browser, find_chromium, launch
from .test_http_pages import TOKEN, serving
from .values import public_status

WIDTHS = (1280, 390)
#: What the page is, measured in it: its width against the window's, its scripts, its text.
_MEASURE = """(() => ({
  width: window.innerWidth,
  scrollWidth: document.documentElement.scrollWidth,
  scripts: document.scripts.length,
  text: document.body.innerText,
  landmarks: ["main", "h1"].filter((s) => document.querySelector(s) !== null),
}))()"""


async def shoot(browser: Browser, url: str, width: int, png: Path) -> dict[str, Any]:
    """Load ``url`` in a window ``width`` px wide; measure it; write a full-page screenshot."""
    await browser.send(
        "Emulation.setDeviceMetricsOverride",
        width=width,
        height=900,
        deviceScaleFactor=1,
        mobile=width < 600,
    )
    loaded = browser.expect("Page.loadEventFired")
    navigated = await browser.send("Page.navigate", url=url)
    assert "errorText" not in navigated, navigated
    async with asyncio.timeout(DEADLINE):
        await loaded
    measured: dict[str, Any] = await browser.evaluate(_MEASURE)
    size = (await browser.send("Page.getLayoutMetrics"))["cssContentSize"]
    shot = await browser.send(
        "Page.captureScreenshot",
        format="png",
        captureBeyondViewport=True,
        clip={"x": 0, "y": 0, "width": width, "height": size["height"], "scale": 1},
    )
    await asyncio.to_thread(png.write_bytes, base64.b64decode(shot["data"]))
    print(f"screenshot: {png}")
    return measured


async def test_the_served_pages_in_chromium(db: Path, tmp_path: Path) -> None:
    """The status page and, logged in by the bearer-free open dashboard, the dashboard: at each
    width no error, one request (the page), nothing overflowing, landmarks present."""
    executable = find_chromium()
    async with serving(db) as (base, _), launch(executable, tmp_path / "profile") as browser:
        for name, path in (("status", "/status"), ("dashboard", "/")):
            for width in WIDTHS:
                png = tmp_path / f"{name}-{width}.png"
                measured = await shoot(browser, base + path, width, png)
                assert browser.load.errors == [], (name, width)
                assert measured["width"] == width
                assert measured["scrollWidth"] <= width, (name, width, measured["scrollWidth"])
                assert measured["scripts"] == 1
                assert measured["landmarks"] == ["main", "h1"]
                assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
        status = await shoot(browser, f"{base}/status", 1280, tmp_path / "again.png")
    assert "1 service down, 1 service degraded" in status["text"]
    assert "Down" in status["text"]
    others = [u for u in browser.load.requests if not u.startswith(("data:", "about:"))]
    assert others
    assert {u.split("?")[0] for u in others} <= {f"{base}/status", f"{base}/"}


async def test_the_login_form_in_chromium(db: Path, tmp_path: Path) -> None:
    """With a token set, the dashboard shows the login form without error at both widths."""
    executable = find_chromium()
    async with (
        serving(db, token=TOKEN) as (base, _),
        launch(executable, tmp_path / "profile") as browser,
    ):
        for width in WIDTHS:
            measured = await shoot(browser, f"{base}/", width, tmp_path / f"login-{width}.png")
            # The page itself answers 401, as it should: the only message expected.
            unexpected = [e for e in browser.load.errors if f"(Unauthorized) {base}/" not in e]
            assert unexpected == []
            assert measured["scripts"] == 0
            assert "Log in to the dashboard" in measured["text"]
            assert measured["scrollWidth"] <= width


async def test_a_name_holding_a_script_is_shown_not_run(tmp_path: Path) -> None:
    """The service named ``<script>...`` reads as such on the page, opened from a file; the only
    script is the refresh, and no error (a policy violation included) is reported."""
    executable = find_chromium()
    evil = '<script>console.error("ran")</script>'
    file = tmp_path / "index.html"
    file.write_text(render_status(public_status(names=(evil, "api", "files"))), "utf-8")
    async with launch(executable, tmp_path / "profile") as browser:
        measured = await shoot(browser, file.as_uri(), 1280, tmp_path / "evil.png")
        heading = await browser.evaluate("document.querySelector('#svc-1').textContent")
    assert heading == evil
    assert measured["scripts"] == 1
    assert evil in measured["text"]
    assert browser.load.errors == []
    assert [u for u in browser.load.requests if not u.startswith(("data:", "about:"))] == [
        file.as_uri()
    ]

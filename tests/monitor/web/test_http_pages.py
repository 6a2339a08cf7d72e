"""The pages served by a real daemon's HTTP surface on loopback: the status page public and
cached, the dashboard and the reports behind the token, the login and its cookie, the headers."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import aiohttp
from prometheus_client import CollectorRegistry

from monitor.clock import FakeClock
from monitor.daemon.http import SESSION_COOKIE
from monitor.daemon.runner import Daemon
from monitor.evidence import ExclusionRecord
from monitor.store.sqlite import SQLiteStore

from .scenario import NOW, at, settings

TOKEN = "s3cret-token-for-tests"  # noqa: S105 - the token these tests configure


@asynccontextmanager
async def serving(db: Path, *, token: str | None = None) -> AsyncIterator[tuple[str, FakeClock]]:
    """A daemon never run, over the scenario's store, its HTTP surface listening on loopback;
    its base URL and clock."""
    store = SQLiteStore(db)
    await store.open()
    clock = FakeClock(NOW)
    daemon = Daemon(
        settings(db, token=token), clock=clock, store=store, registry=CollectorRegistry()
    )
    await daemon.http.start("127.0.0.1", 0)
    try:
        yield f"http://{daemon.http.address}", clock
    finally:
        await daemon.http.stop()
        await store.close()


def _session() -> aiohttp.ClientSession:
    # Cookies of 127.0.0.1 kept: the login's cookie goes back with the next requests.
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def test_the_status_page_is_public_with_a_strict_policy(db: Path) -> None:
    """/status answers anyone, with the policy, a short cache and the refresh allowed by hash."""
    async with serving(db, token=TOKEN) as (base, _), _session() as http:
        async with http.get(f"{base}/status?window=24h") as response:
            assert response.status == 200
            assert response.headers["Content-Type"] == "text/html; charset=utf-8"
            policy = response.headers["Content-Security-Policy"]
            body = await response.text()
        assert response.headers["Cache-Control"] == "public, max-age=5"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "1 service down, 1 service degraded" in body
        assert "98.611" in body
        assert '<a href="/api/v2/summary.json">summary.json</a>' in body
        assert '<a href="/feed.atom">Atom feed</a>' in body
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
        assert directives == {
            "default-src": "'none'",
            "style-src": "'unsafe-inline'",
            "img-src": "'self' data:",
            "script-src": directives["script-src"],
            "form-action": "'self'",
            "base-uri": "'none'",
            "frame-ancestors": "'none'",
        }
        assert re.fullmatch(r"'sha256-[A-Za-z0-9+/]{43}='", directives["script-src"])
        async with http.get(f"{base}/status?window=1y") as response:
            assert response.status == 400
            assert "window: expected one of 24h, 7d, 30d, 90d, month" in await response.text()


async def test_the_status_page_is_built_at_most_once_every_five_seconds(db: Path) -> None:
    """A maintenance announced now shows on the page only once the cached page has aged."""
    async with serving(db) as (base, clock), _session() as http:
        async with http.get(f"{base}/status") as response:
            first = await response.text()
        store = SQLiteStore(db)
        await store.open()
        await store.add_exclusion(
            ExclusionRecord("api", at(25, 1), at(25, 2), "maintenance", "upgrade", "ops",
                            NOW, announced_at=NOW)
        )  # fmt: skip
        await store.close()
        clock.step(4)
        async with http.get(f"{base}/status") as response:
            assert await response.text() == first
        clock.step(1)
        async with http.get(f"{base}/status") as response:
            later = await response.text()
    assert "2026-10-25 01:00:00" not in first
    assert "2026-10-25 01:00:00" in later


async def test_the_dashboard_needs_the_token_when_one_is_set(db: Path) -> None:
    """Without it: the login form, 401, also for a report; a wrong token: the form again with
    a message, 401; the right one: a cookie (HttpOnly, SameSite=Strict, Path=/) that is not the
    token, then the dashboard and the report; logging out ends it."""
    async with serving(db, token=TOKEN) as (base, _), _session() as http:
        for path in ("/", "/report/2026-10"):
            async with http.get(base + path) as response:
                assert response.status == 401
                body = await response.text()
            assert '<form class="login" method="post" action="/login">' in body
            assert "2.80" not in body
        async with http.post(f"{base}/login", data={"token": "wrong"}) as response:
            assert response.status == 401
            assert "That is not the API token" in await response.text()
        assert len(http.cookie_jar) == 0
        async with http.post(
            f"{base}/login", data={"token": TOKEN}, allow_redirects=False
        ) as response:
            assert response.status == 303
            assert response.headers["Location"] == "/"
            cookie = response.headers["Set-Cookie"]
        assert cookie.startswith(f"{SESSION_COOKIE}=")
        attributes = {a.strip().split("=")[0].lower() for a in cookie.split(";")[1:]}
        assert {"httponly", "path", "samesite"} <= attributes
        assert "SameSite=Strict" in cookie
        assert "Path=/" in cookie
        value = cookie.split(";")[0].split("=", 1)[1]
        assert TOKEN not in value
        assert len(value) == 64
        async with http.get(f"{base}/") as response:
            assert response.status == 200
            assert response.headers["Cache-Control"] == "private, max-age=5"
            dashboard = await response.text()
        assert '<td>shop</td><td class="n">2.80 CNY</td><td class="n">28</td>' in dashboard
        assert ">Log out</button>" in dashboard
        async with http.get(f"{base}/report/2026-10") as response:
            assert response.status == 200
            report = await response.text()
        assert "<h1>SLA credit report</h1>" in report
        assert "2.80" in report
        async with http.get(f"{base}/report/2026-13") as response:
            assert response.status == 404
        async with http.post(f"{base}/logout", allow_redirects=False) as response:
            assert response.status == 303
        async with http.get(f"{base}/") as response:
            assert response.status == 401


async def test_a_forged_cookie_opens_nothing_and_the_bearer_token_does(db: Path) -> None:
    """A cookie holding the token itself, or any other value, is refused; the API's bearer
    token opens the dashboard too."""
    async with serving(db, token=TOKEN) as (base, _), aiohttp.ClientSession() as http:
        for forged in (TOKEN, "0" * 64, ""):
            async with http.get(f"{base}/", headers={"Cookie": f"{SESSION_COOKIE}={forged}"}) as r:
                assert r.status == 401
        async with http.get(f"{base}/", headers={"Authorization": f"Bearer {TOKEN}"}) as r:
            assert r.status == 200
        async with http.get(f"{base}/", headers={"Authorization": "Bearer nope"}) as r:
            assert r.status == 401


async def test_without_a_token_the_dashboard_is_open(db: Path) -> None:
    """No http.api_token: the dashboard and reports answer whoever reaches the address, with no
    logout button; /login leads to the dashboard."""
    async with serving(db) as (base, clock), _session() as http:
        async with http.get(f"{base}/") as response:
            assert response.status == 200
            body = await response.text()
        assert "Log out" not in body
        assert "Checks from sh-1" in body
        async with http.get(f"{base}/login", allow_redirects=False) as response:
            assert response.status == 303
        async with http.get(f"{base}/report/2026-09") as response:
            assert response.status == 200
        clock.step(timedelta(days=1).total_seconds())
        async with http.get(f"{base}/") as response:
            assert response.status == 200

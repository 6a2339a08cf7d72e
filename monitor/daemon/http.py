"""The daemon's HTTP surface: ``/metrics`` for Prometheus, ``/healthz``, ``/api/state``,
``/api/exclusions`` and ``/api/notices``; and the HTML pages: the public status page
(``/status``), the dashboard (``/``) and the monthly reports (``/report/YYYY-MM``).

The exclusions API changes what the report credits, and the notices API what it says of the
provider (C4), so both need ``http.api_token`` configured and sent as ``Authorization: Bearer
TOKEN`` (compared in constant time); without a configured token they are off. Their errors are
JSON ``{"error": "..."}`` with one line naming the field.

The status page is public. The dashboard and the reports show money and internals: when
``http.api_token`` is set they need it, sent as the bearer token or through the login form
(``/login``), which sets a cookie holding an HMAC derived from the token, never the token itself;
without a token they are open to whoever reaches the listen address. Every page is served with a
Content-Security-Policy that allows nothing outside the page.

The surface reads the daemon through a :class:`~monitor.daemon.view.DaemonView` only; what
``/healthz`` and ``/api/state`` answer are pure functions of the snapshots it gives.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.openmetrics.exposition import CONTENT_TYPE_LATEST as OPENMETRICS_CONTENT_TYPE
from pydantic import BaseModel

from ..annotations.common import Revocation, check_author, parse_input
from ..annotations.exclusions import (
    NewExclusion,
    add_exclusion,
    exclusion_to_json,
    revoke_exclusion,
)
from ..annotations.notices import NewNotice, add_notice, notice_to_json, revoke_notice
from ..config.fields import read_json
from ..config.settings import Settings
from ..errors import InputError, MonitorError, StorageError
from ..quorum import UNCONFIRMED_NOTE
from ..redact import excerpt
from ..report import build_report
from ..report.html import render_html
from ..status import badge as status_badge
from ..status import build as status_build
from ..status import feed as status_feed
from ..status import model as status_model
from ..status import statuspage
from ..status.build import build_dashboard, build_public
from ..status.model import PublicStatus
from ..store.base import Store
from ..timefmt import format_instant
from ..web.pages import (
    DEFAULT_WINDOW,
    WINDOWS,
    render_dashboard,
    render_error,
    render_login,
    render_status,
)
from ..web.render import CSP_HEADER, CSP_STATIC
from .health import health
from .view import DaemonView, FailoverView, LiveState, ServiceView

__all__ = ["HttpSurface", "state_body"]


#: The largest request body read (1 MiB): an exclusion or a notice is a few hundred bytes.
MAX_BODY_BYTES: Final = 1_048_576
#: The largest id an exclusion or a notice can have: the stores' 64-bit integers.
_MAX_ID: Final = 2**63 - 1


class HttpSurface:
    """An aiohttp application showing what ``view`` gives of the daemon."""

    def __init__(self, view: DaemonView) -> None:
        self._view = view
        self._runner: web.AppRunner | None = None
        self.address = ""
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        app.router.add_get("/metrics", self._metrics)
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/api/state", self._state)
        self._app = app
        for kind in (_EXCLUSIONS, _NOTICES):
            self._annotations(kind)
        _Pages(view).register(app.router)
        _MachineStatus(view).register(app.router)

    async def start(self, host: str, port: int) -> None:
        """Listen on ``host:port`` (port 0 picks a free one, reported in ``address``)."""
        self._runner = web.AppRunner(self._app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        try:
            await site.start()
        except OSError as error:
            await self._runner.cleanup()
            self._runner = None
            raise MonitorError(
                f"http.listen: cannot listen on {host}:{port}: {error.strerror}"
            ) from None
        addresses = self._runner.addresses
        bound = addresses[0] if addresses else (host, port)
        # An IPv6 socket's name is (host, port, flowinfo, scope_id); its host takes brackets.
        self.address = f"[{bound[0]}]:{bound[1]}" if len(bound) == 4 else f"{bound[0]}:{bound[1]}"

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _metrics(self, request: web.Request) -> web.StreamResponse:
        # Prometheus asks for OpenMetrics first when it can read it; anyone else gets the text
        # format.
        openmetrics = "application/openmetrics-text" in request.headers.get("Accept", "")
        kind = OPENMETRICS_CONTENT_TYPE if openmetrics else CONTENT_TYPE_LATEST
        response = web.StreamResponse(headers={"Content-Type": kind})
        response.enable_compression()  # gzip when the scraper accepts it, as Prometheus does
        await response.prepare(request)
        # Written a piece at a time, yielding to the event loop between pieces: with thousands
        # of checks, a scrape must not hold probes back.
        for chunk in self._view.scrape_chunks(openmetrics=openmetrics):
            await response.write(chunk)
            await asyncio.sleep(0)
        await response.write_eof()
        return response

    async def _healthz(self, _: web.Request) -> web.Response:
        healthy, body = health(self._view.health_snapshot())
        return web.json_response(body, status=200 if healthy else 503)

    async def _state(self, _: web.Request) -> web.Response:
        return web.json_response(state_body(self._view.live_state()))

    def _refusal(self, request: web.Request, api: str) -> web.Response | None:
        """None when the request carries the configured bearer token; else the refusal."""
        token = self._view.settings.http.api_token
        if token is None:
            return _error(403, f"the {api} API is off: set http.api_token to use it")
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        expected = token.get_secret_value().encode()
        # The configuration refuses an empty token; an empty one given is refused here too, so
        # `Bearer ` can never match, whatever the configuration says.
        matches = hmac.compare_digest(given.encode(), expected)
        if scheme.lower() != "bearer" or not given or not expected or not matches:
            response = _error(401, "expected Authorization: Bearer <http.api_token>")
            response.headers["WWW-Authenticate"] = 'Bearer realm="slawatch"'
            return response
        return None

    async def _body(self, request: web.Request) -> tuple[Any, str]:
        """The JSON body, and who made the request (``api``, or ``api:NAME`` given as ``by``).

        The body is bounded: :data:`MAX_BODY_BYTES`, and :func:`read_json`'s nesting and
        numbers; beyond them it is refused in one line, as bad input."""
        try:
            text = (await request.read()).decode("utf-8")
        except web.HTTPRequestEntityTooLarge:
            raise InputError(f"body: larger than {MAX_BODY_BYTES:,} bytes") from None
        except UnicodeDecodeError:
            raise InputError("body: expected a JSON object in UTF-8") from None
        try:
            body = read_json(text)
        except InputError as error:
            raise InputError(f"body: {error}") from None
        if not isinstance(body, dict):
            raise InputError("body: expected a JSON object")
        by = body.pop("by", None)
        return body, "api" if by is None else f"api:{check_author(by)}"

    def _annotations(self, kind: _Annotations) -> None:
        """Routes to list, add and revoke one kind of annotation (exclusions, notices)."""
        base = f"/api/{kind.plural}"

        async def listing(request: web.Request) -> web.Response:
            refused = self._refusal(request, kind.plural)
            if refused is not None:
                return refused
            service = request.query.get("service")
            try:
                records = await kind.find(self._view.store, service)
            except StorageError as error:
                return _error(503, str(error))
            return web.json_response([kind.to_json(r) for r in records])

        async def adding(request: web.Request) -> web.Response:
            refused = self._refusal(request, kind.plural)
            if refused is not None:
                return refused
            view = self._view
            try:
                body, by = await self._body(request)
                entry = parse_input(kind.new, body, "body")
                record = await kind.add(
                    view.store, view.settings, entry, by=by, now=view.clock_now()
                )
            except InputError as error:
                return _error(400, str(error))
            except StorageError as error:
                return _error(503, str(error))
            return web.json_response(kind.to_json(record), status=201)

        async def revoking(request: web.Request) -> web.Response:
            refused = self._refusal(request, kind.plural)
            if refused is not None:
                return refused
            view = self._view
            given = request.match_info["id"]
            # Digits only (the route says so); more than an id can be is no known one.
            ident = int(given) if len(given) <= len(str(_MAX_ID)) else _MAX_ID + 1
            if ident > _MAX_ID:
                return _error(404, f"no {kind.singular} {excerpt(given, 40)}")
            try:
                body, by = await self._body(request)
                revocation: Revocation = parse_input(Revocation, body, "body")
                known = {r.id: r for r in await kind.find(view.store, None)}
                if ident not in known:
                    return _error(404, f"no {kind.singular} {ident}")
                if known[ident].revoked_at is not None:
                    return _error(409, f"{kind.singular} {ident} is already revoked")
                record = await kind.revoke(
                    view.store, ident, revocation, by=by, now=view.clock_now()
                )
            except InputError as error:
                return _error(400, str(error))
            except StorageError as error:
                return _error(503, str(error))
            return web.json_response(kind.to_json(record))

        self._app.router.add_get(base, listing)
        self._app.router.add_post(base, adding)
        self._app.router.add_post(base + r"/{id:\d+}/revoke", revoking)


@dataclass(frozen=True, slots=True)
class _Annotations:
    """One kind of annotation people manage through the API: how to list, add, revoke, show."""

    singular: str
    plural: str
    new: type[BaseModel]
    find: Callable[[Store, str | None], Awaitable[Sequence[Any]]]
    add: Callable[..., Awaitable[Any]]
    revoke: Callable[..., Awaitable[Any]]
    to_json: Callable[[Any], dict[str, Any]]


_EXCLUSIONS = _Annotations(
    "exclusion",
    "exclusions",
    NewExclusion,
    lambda store, service: store.exclusions(service=service),
    add_exclusion,
    revoke_exclusion,
    exclusion_to_json,
)
_NOTICES = _Annotations(
    "notice",
    "notices",
    NewNotice,
    lambda store, service: store.notices(service=service),
    add_notice,
    revoke_notice,
    notice_to_json,
)


def state_body(live: LiveState) -> dict[str, Any]:
    """The body of ``/api/state``: each service with its checks, the canaries, the open
    failover events."""
    services: dict[str, Any] = {
        service.name: {"state": service.state.value, "quorum": _quorum(service), "checks": {}}
        for service in live.services
    }
    canaries: dict[str, Any] = {}
    for check in live.checks:
        last = check.last_result
        group = services.get(check.service, {"checks": canaries})
        group["checks"][check.name] = {
            "id": check.id,
            "role": check.role.value,
            "state": check.state.value,
            "stale": check.stale,
            "down_since": format_instant(check.down_since) if check.down_since else None,
            "last_result": None
            if last is None
            else {
                "at": format_instant(last.started_at),
                "outcome": last.outcome.value,
                "detail": last.detail,
                "latency_seconds": last.latency,
            },
        }
    return {
        "vantage": live.vantage,
        "isolated": live.isolated,
        "unconfirmed": live.unconfirmed,
        **({"note": UNCONFIRMED_NOTE} if live.unconfirmed else {}),
        "services": services,
        "canaries": canaries,
        "failover_events": [_failover(e) for e in live.failover_events],
    }


def _quorum(service: ServiceView) -> dict[str, Any]:
    """The service as every vantage together sees it, from the latest verdict."""
    verdict = service.verdict
    if verdict is None:
        return {"rule": service.quorum, "state": "unknown", "at": None}
    state, measuring, down = verdict.latest()
    unconfirmed = verdict.latest_unconfirmed()
    return {
        "rule": service.quorum,
        "state": state,
        "at": format_instant(verdict.window.end),
        "vantages_measuring": measuring,
        "vantages_down": down,
        "unconfirmed": unconfirmed,
        **({"note": UNCONFIRMED_NOTE} if unconfirmed else {}),
    }


def _failover(event: FailoverView) -> dict[str, Any]:
    """An open failover event as the live state shows it."""

    def instant(value: datetime | None) -> str | None:
        return None if value is None else format_instant(value)

    return {
        "service": event.service,
        "node": event.node,
        "since": format_instant(event.since),
        "frontend_probes": event.frontend_probes,
        "frontend_failures": event.frontend_failures,
        "frontend_clean_at": instant(event.frontend_clean_at),
        "dns_removed_at": instant(event.dns_removed_at),
        "reasons": list(event.reasons),
    }


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


#: The session cookie of the dashboard: an HMAC of a fixed text keyed by ``http.api_token``.
SESSION_COOKIE: Final = "slawatch_session"
#: How long a built status page is served again before it is rebuilt, and how long browsers
#: and proxies may keep a page.
PAGE_TTL: Final = timedelta(seconds=5)
_MONTH: Final = re.compile(r"(\d{4})-(\d{2})")
#: The status in other formats, linked from the page.
_STATUS_LINKS: Final = (("summary.json", "/api/v2/summary.json"), ("Atom feed", "/feed.atom"))
#: A month :func:`build_report` can take: its start and its end are dates.
_YEARS: Final = range(1, 9999)


def session_value(token: str) -> str:
    """What the session cookie holds for ``token``: derived from it, never revealing it."""
    return hmac.new(token.encode(), b"slawatch dashboard session", hashlib.sha256).hexdigest()


class _Pages:
    """The HTML pages, over the daemon's view: ``/status`` public, ``/`` and
    ``/report/YYYY-MM`` behind the token when one is configured."""

    def __init__(self, view: DaemonView) -> None:
        self._view = view
        # The status page is built at most once every PAGE_TTL, whoever asks: each window's
        # page is rendered from the same values.
        self._built: tuple[datetime, Settings, PublicStatus] | None = None
        self._bodies: dict[str, bytes] = {}
        self._lock = asyncio.Lock()

    def register(self, router: web.UrlDispatcher) -> None:
        """Add the pages' routes."""
        router.add_get("/", self._dashboard)
        router.add_get("/status", self._status)
        router.add_get("/login", self._login_form)
        router.add_post("/login", self._login)
        router.add_get("/logout", self._logout)
        router.add_post("/logout", self._logout)
        router.add_get(r"/report/{month:\d{4}-\d{2}}", self._report)

    def _token(self) -> str | None:
        token = self._view.settings.http.api_token
        return None if token is None else token.get_secret_value()

    def _allowed(self, request: web.Request) -> bool:
        """Whether the request may see the dashboard: no token configured, the session
        cookie, or the bearer token; compared in constant time."""
        token = self._token()
        if not token:
            return token is None
        cookie = request.cookies.get(SESSION_COOKIE, "")
        if hmac.compare_digest(cookie.encode(), session_value(token).encode()):
            return True
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        return (
            scheme.lower() == "bearer"
            and bool(given)
            and hmac.compare_digest(given.encode(), token.encode())
        )

    async def _status(self, request: web.Request) -> web.Response:
        window = request.query.get("window", DEFAULT_WINDOW)
        if window not in WINDOWS:
            return _page(400, render_error(400, f"window: expected one of {', '.join(WINDOWS)}"))
        try:
            body = await self._status_body(window)
        except StorageError as error:
            return _page(503, render_error(503, str(error)))
        return _page(200, body, cache="public", script=True)

    async def _status_body(self, window: str) -> bytes:
        async with self._lock:
            view = self._view
            now = view.clock_now()
            built = self._built
            if built is None or built[1] is not view.settings or now - built[0] >= PAGE_TTL:
                status = await build_public(view.store, view.settings, now)
                built = self._built = (now, view.settings, status)
                self._bodies = {}
            body = self._bodies.get(window)
            if body is None:
                text = await asyncio.to_thread(
                    render_status, built[2], window=window, links=_STATUS_LINKS
                )
                body = self._bodies[window] = text.encode()
            return body

    async def _dashboard(self, request: web.Request) -> web.Response:
        if not self._allowed(request):
            return _page(401, render_login(), cache="none")
        window = request.query.get("window", DEFAULT_WINDOW)
        if window not in WINDOWS:
            return _page(400, render_error(400, f"window: expected one of {', '.join(WINDOWS)}"))
        view = self._view
        try:
            dashboard = await build_dashboard(
                view.store,
                view.settings,
                view.clock_now(),
                live=view,
                health=health(view.health_snapshot())[1],
            )
        except StorageError as error:
            return _page(503, render_error(503, str(error)))
        days = view.settings.notify.cert_expiry_days
        text = await asyncio.to_thread(
            render_dashboard,
            dashboard,
            window=window,
            logout=self._token() is not None,
            cert_warning=timedelta(days=days),
        )
        return _page(200, text.encode(), cache="private", script=True)

    async def _report(self, request: web.Request) -> web.Response:
        if not self._allowed(request):
            return _page(401, render_login(), cache="none")
        match = _MONTH.fullmatch(request.match_info["month"])
        year, month = (int(match[1]), int(match[2])) if match else (0, 0)
        if year not in _YEARS or not 1 <= month <= 12:
            return _page(404, render_error(404, "expected /report/YYYY-MM, a month of a year"))
        view = self._view
        try:
            report = await build_report(
                view.store, view.settings, year, month, now=view.clock_now()
            )
        except StorageError as error:
            return _page(503, render_error(503, str(error)))
        text = await asyncio.to_thread(render_html, report)
        return _page(200, text.encode(), cache="private")

    async def _login_form(self, request: web.Request) -> web.Response:
        if self._token() is None or self._allowed(request):
            raise web.HTTPSeeOther("/")
        return _page(200, render_login(), cache="none")

    async def _login(self, request: web.Request) -> web.Response:
        token = self._token()
        if token is None:
            raise web.HTTPSeeOther("/")
        form = await request.post()
        given = form.get("token")
        if not isinstance(given, str) or not hmac.compare_digest(given.encode(), token.encode()):
            message = "That is not the API token (http.api_token). Try again."
            return _page(401, render_login(message=message), cache="none")
        response = web.HTTPSeeOther("/")
        response.set_cookie(
            SESSION_COOKIE,
            session_value(token),
            path="/",
            httponly=True,
            samesite="Strict",
            secure=request.secure,
        )
        _secure(response, cache="none")
        raise response

    async def _logout(self, request: web.Request) -> web.Response:
        response = web.HTTPSeeOther("/login" if self._token() is not None else "/")
        response.del_cookie(SESSION_COOKIE, path="/")
        _secure(response, cache="none")
        raise response


_CACHE: Final = {
    "public": f"public, max-age={PAGE_TTL.seconds}",
    "private": f"private, max-age={PAGE_TTL.seconds}",
    "none": "no-store",
}


def _secure(response: web.StreamResponse, *, cache: str, script: bool = False) -> None:
    """The headers of every page: nothing outside it may load, frame it or guess its type."""
    policy = CSP_HEADER if script else CSP_STATIC + "; frame-ancestors 'none'"
    response.headers["Content-Security-Policy"] = policy
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = _CACHE[cache]
    if cache != "public":
        response.headers["Vary"] = "Cookie, Authorization"


def _page(
    status: int, body: bytes | str, *, cache: str = "none", script: bool = False
) -> web.Response:
    """An HTML page with the headers every page has."""
    data = body.encode() if isinstance(body, str) else body
    response = web.Response(status=status, body=data, content_type="text/html", charset="utf-8")
    _secure(response, cache=cache, script=script)
    return response


#: How long the machine-readable status is served from memory, and may be kept by clients.
STATUS_TTL: Final = timedelta(seconds=10)
_MACHINE_HEADERS: Final = {
    "Cache-Control": f"public, max-age={STATUS_TTL.seconds}",
    "Content-Security-Policy": "default-src 'none'",
    "X-Content-Type-Options": "nosniff",
    "Access-Control-Allow-Origin": "*",
}


class _MachineStatus:
    """``/api/v2/summary.json``, ``/feed.atom`` and ``/badge/SERVICE.svg``: public (no token),
    the public services only, no money.

    Each body is made at most once every :data:`STATUS_TTL`, from one build of the public status
    shared by all of them, however many ask meanwhile: a request that finds a build running
    waits for it rather than starting another.
    """

    def __init__(self, view: DaemonView) -> None:
        self._view = view
        self._lock = asyncio.Lock()
        self._built: tuple[Settings, status_model.PublicStatus] | None = None
        self._bodies: dict[str, tuple[datetime, bytes]] = {}

    def register(self, router: web.UrlDispatcher) -> None:
        """Add the routes."""
        router.add_get("/api/v2/summary.json", self._summary)
        router.add_get("/feed.atom", self._feed)
        router.add_get("/badge/{service}.svg", self._badge)

    def _fresh(self, at: datetime, now: datetime) -> bool:
        return timedelta(0) <= now - at < STATUS_TTL

    async def _body(self, key: str, make: Callable[[status_model.PublicStatus], bytes]) -> bytes:
        view = self._view
        now = view.clock_now()
        async with self._lock:
            settings = view.settings
            if self._built is None or self._built[0] is not settings:
                self._bodies.clear()  # a reload: other services, titles, windows
            cached = self._bodies.get(key)
            if cached is not None and self._fresh(cached[0], now):
                return cached[1]
            built = self._built
            if (
                built is None
                or built[0] is not settings
                or not self._fresh(built[1].generated_at, now)
            ):
                built = (settings, await status_build.build_public(view.store, settings, now))
                self._built = built
            body = make(built[1])
            self._bodies[key] = (built[1].generated_at, body)
            return body

    async def _respond(
        self, key: str, kind: str, make: Callable[[status_model.PublicStatus], bytes]
    ) -> web.Response:
        try:
            body = await self._body(key, make)
        except StorageError as error:
            return _machine_error(503, str(error))
        return web.Response(body=body, headers={**_MACHINE_HEADERS, "Content-Type": kind})

    async def _summary(self, _: web.Request) -> web.Response:
        url = self._view.settings.status_page.url

        def make(status: status_model.PublicStatus) -> bytes:
            return json.dumps(statuspage.summary(status, url=url), ensure_ascii=False).encode()

        return await self._respond("summary", "application/json; charset=utf-8", make)

    async def _feed(self, _: web.Request) -> web.Response:
        url = self._view.settings.status_page.url
        return await self._respond(
            "feed",
            "application/atom+xml; charset=utf-8",
            lambda status: status_feed.feed(status, url=url),
        )

    async def _badge(self, request: web.Request) -> web.Response:
        name = request.match_info["service"]
        settings = self._view.settings
        if name not in {s.name for s in settings.public_services}:
            return _machine_error(404, f"service: no public service {name!r}")
        window = request.query.get("window")
        if window is not None and window not in status_badge.WINDOWS:
            expected = ", ".join(status_badge.WINDOWS)
            return _machine_error(400, f"window: expected one of {expected}")

        def make(status: status_model.PublicStatus) -> bytes:
            service = next((s for s in status.services if s.name == name), None)
            if service is None:  # gone with a reload since the check above
                raise LookupError(name)
            if window is None:
                return status_badge.state_badge(service)
            return status_badge.window_badge(service, window)

        try:
            return await self._respond(f"badge {name} {window}", "image/svg+xml", make)
        except KeyError:  # the window: a longer one than the history kept
            return _machine_error(
                400, f"window: {window} is longer than status_page.history_days keeps"
            )
        except LookupError:
            return _machine_error(404, f"service: no public service {name!r}")


def _machine_error(status: int, message: str) -> web.Response:
    response = _error(status, message)
    response.headers.update(
        {key: value for key, value in _MACHINE_HEADERS.items() if key != "Cache-Control"}
    )
    response.headers["Cache-Control"] = "no-store"
    return response

"""The daemon's HTTP surface: ``/metrics`` for Prometheus, ``/healthz``, ``/api/state``,
``/api/exclusions`` and ``/api/notices``.

The exclusions API changes what the report credits, and the notices API what it says of the
provider (C4), so both need ``http.api_token`` configured and sent as ``Authorization: Bearer
TOKEN`` (compared in constant time); without a configured token they are off. Their errors are
JSON ``{"error": "..."}`` with one line naming the field.

The surface reads the daemon through a :class:`~monitor.daemon.view.DaemonView` only; what
``/healthz`` and ``/api/state`` answer are pure functions of the snapshots it gives.
"""

from __future__ import annotations

import asyncio
import hmac
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

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
from ..errors import InputError, MonitorError, StorageError
from ..quorum import UNCONFIRMED_NOTE
from ..store.base import Store
from ..timefmt import format_instant
from .health import health
from .view import DaemonView, FailoverView, LiveState, ServiceView

__all__ = ["HttpSurface", "state_body"]


class HttpSurface:
    """An aiohttp application showing what ``view`` gives of the daemon."""

    def __init__(self, view: DaemonView) -> None:
        self._view = view
        self._runner: web.AppRunner | None = None
        self.address = ""
        app = web.Application()
        app.router.add_get("/metrics", self._metrics)
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/api/state", self._state)
        self._app = app
        for kind in (_EXCLUSIONS, _NOTICES):
            self._annotations(kind)

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
        """The JSON body, and who made the request (``api``, or ``api:NAME`` given as ``by``)."""
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise InputError("body: expected a JSON object") from None
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
            ident = int(request.match_info["id"])
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

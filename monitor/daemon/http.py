"""The daemon's HTTP surface: ``/metrics`` for Prometheus, ``/healthz``, ``/api/state``,
``/api/exclusions`` and ``/api/notices``.

The exclusions API changes what the report credits, and the notices API what it says of the
provider (C4), so both need ``http.api_token`` configured and sent as ``Authorization: Bearer
TOKEN`` (compared in constant time); without a configured token they are off. Their errors are
JSON ``{"error": "..."}`` with one line naming the field.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST
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
from ..failover import FailoverEvent
from ..quorum import UNCONFIRMED_NOTE
from ..timefmt import format_instant

if TYPE_CHECKING:
    from ..store.base import Store
    from .runner import Daemon

__all__ = ["HttpSurface"]

#: /healthz fails when probes start later than this against their due time.
MAX_HEALTHY_LAG = 30.0
#: /healthz fails when results have waited this long without a successful write.
MAX_WRITE_AGE = 120.0
#: /healthz fails for this long after a result was dropped (memory full, spool unwritable).
DROPPED_RECENTLY = 300.0


class HttpSurface:
    """An aiohttp application bound to the daemon's state."""

    def __init__(self, daemon: Daemon) -> None:
        self._daemon = daemon
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

    async def _metrics(self, _: web.Request) -> web.Response:
        body = self._daemon.scrape()
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    def health(self) -> tuple[bool, dict[str, Any]]:
        """Whether the daemon is doing its job, and why not."""
        daemon = self._daemon
        problems: list[str] = []
        if not daemon.ready.is_set():
            problems.append("starting")
        lag = daemon.scheduler.last_lag
        if lag > MAX_HEALTHY_LAG:
            problems.append(f"probes start {lag:.1f}s late")
        writer = daemon.writer
        if writer.depth or writer.journal_depth:
            if writer.last_write_at is not None:
                age = (daemon.clock_now() - writer.last_write_at).total_seconds()
                if age > MAX_WRITE_AGE:
                    problems.append(f"no result written for {age:.0f}s ({writer.depth} waiting)")
            elif writer.write_errors:
                problems.append(f"the store has refused every write ({writer.depth} waiting)")
        if writer.last_dropped_at is not None:
            age = (daemon.clock_now() - writer.last_dropped_at).total_seconds()
            if age <= DROPPED_RECENTLY:
                problems.append(
                    f"{writer.dropped} results dropped, the last {age:.0f}s ago: memory full"
                    " and the spool cannot be written"
                )
        body: dict[str, Any] = {
            "status": "fail" if problems else "ok",
            "problems": problems,
            "vantage": daemon.settings.vantage,
            "checks": len(daemon.scheduler.checks),
            "scheduler_lag_seconds": lag,
            "store_queue_depth": writer.depth,
            "store_spool_depth": writer.spool_depth,
            "interval_changes_waiting": writer.journal_depth,
            "store_memory_depth": writer.memory_used,
            "store_memory_limit": writer.memory_limit,
            "results_dropped": writer.dropped,
        }
        return not problems, body

    async def _healthz(self, _: web.Request) -> web.Response:
        healthy, body = self.health()
        return web.json_response(body, status=200 if healthy else 503)

    async def _state(self, _: web.Request) -> web.Response:
        daemon = self._daemon
        services: dict[str, Any] = {}
        for service in daemon.settings.services:
            services[service.name] = {
                "state": daemon.tracker.service_state(service.name).value,
                "quorum": self._quorum(service.name, service.quorum),
                "checks": {},
            }
        canaries: dict[str, Any] = {}
        for check_id, track in daemon.tracker.tracks.items():
            last = track.last_result
            group = services.get(track.check.service, {"checks": canaries})
            group["checks"][track.check.name] = {
                "id": check_id,
                "role": track.check.role.value,
                "state": track.state.value,
                "stale": track.stale(daemon.clock_now()),
                "down_since": format_instant(track.down_start) if track.down_start else None,
                "last_result": None
                if last is None
                else {
                    "at": format_instant(last.started_at),
                    "outcome": last.outcome.value,
                    "detail": last.detail,
                    "latency_seconds": last.latency,
                },
            }
        return web.json_response(
            {
                "vantage": daemon.settings.vantage,
                "isolated": daemon.tracker.isolated,
                "unconfirmed": daemon.tracker.unconfirmed,
                **({"note": UNCONFIRMED_NOTE} if daemon.tracker.unconfirmed else {}),
                "services": services,
                "canaries": canaries,
                "failover_events": [_failover(e) for e in daemon.failover.open_events],
            }
        )

    def _quorum(self, service: str, rule: object) -> dict[str, Any]:
        """The service as every vantage together sees it, from the latest verdict."""
        verdict = self._daemon.verdicts.get(service)
        if verdict is None:
            return {"rule": rule, "state": "unknown", "at": None}
        state, measuring, down = verdict.latest()
        unconfirmed = verdict.unconfirmed_at(verdict.window.end - timedelta(microseconds=1))
        return {
            "rule": rule,
            "state": state,
            "at": format_instant(verdict.window.end),
            "vantages_measuring": measuring,
            "vantages_down": down,
            "unconfirmed": unconfirmed,
            **({"note": UNCONFIRMED_NOTE} if unconfirmed else {}),
        }

    def _refusal(self, request: web.Request, api: str) -> web.Response | None:
        """None when the request carries the configured bearer token; else the refusal."""
        token = self._daemon.settings.http.api_token
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
                records = await kind.find(self._daemon.store, service)
            except StorageError as error:
                return _error(503, str(error))
            return web.json_response([kind.to_json(r) for r in records])

        async def adding(request: web.Request) -> web.Response:
            refused = self._refusal(request, kind.plural)
            if refused is not None:
                return refused
            daemon = self._daemon
            try:
                body, by = await self._body(request)
                entry = parse_input(kind.new, body, "body")
                record = await kind.add(
                    daemon.store, daemon.settings, entry, by=by, now=daemon.clock_now()
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
            daemon = self._daemon
            ident = int(request.match_info["id"])
            try:
                body, by = await self._body(request)
                revocation: Revocation = parse_input(Revocation, body, "body")
                known = {r.id: r for r in await kind.find(daemon.store, None)}
                if ident not in known:
                    return _error(404, f"no {kind.singular} {ident}")
                if known[ident].revoked_at is not None:
                    return _error(409, f"{kind.singular} {ident} is already revoked")
                record = await kind.revoke(
                    daemon.store, ident, revocation, by=by, now=daemon.clock_now()
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


def _failover(event: FailoverEvent) -> dict[str, Any]:
    """An open failover event as the live state shows it."""

    def instant(value: datetime | None) -> str | None:
        return None if value is None else format_instant(value)

    return {
        "service": event.service,
        "node": event.node,
        "since": format_instant(event.start),
        "frontend_probes": event.frontend_probes,
        "frontend_failures": event.frontend_failures,
        "frontend_clean_at": instant(event.frontend_clean_at),
        "dns_removed_at": instant(event.dns_removed_at),
        "reasons": list(event.reasons),
    }


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)

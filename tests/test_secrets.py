"""No secret in any output: distinct secrets are planted in a configuration (the store password,
the API token, a webhook URL's path, a webhook header, a check URL's password and query value),
every one of them used for real, and every surface is searched for them: `check-config`, the
daemon's text and JSON logs (a refused reload included), /metrics, /api/state, /healthz, the
API's answers, store errors, every report format, `export`, `notify test` and the annotation
listings. The daemon logs at debug level, so that every line it could write is searched."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import secrets
import signal
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import pytest
from aiohttp import BasicAuth, web

from .monitor.harness import STARTED, Daemon, free_port, wait_for
from .pg import scratch_database

#: The surfaces searched, and what they said, by name: filled as the test goes.
Seen = dict[str, str]


def plant() -> dict[str, str]:
    """One distinct secret per kind, by the environment variable that carries it."""
    return {
        name: f"{name.lower().replace('_', '')}{secrets.token_hex(8)}"
        for name in (
            "PGPASSWORD",
            "SLAWATCH_API_TOKEN",
            "HOOK_PATH",
            "HOOK_TOKEN",
            "CHECK_PASSWORD",
            "CHECK_KEY",
        )
    }


def assert_no_secret(seen: Seen, planted: dict[str, str]) -> None:
    """No surface says any planted secret (the failure names which surface said which)."""
    leaks = [
        f"{surface} shows {name}"
        for surface, text in seen.items()
        for name, secret in planted.items()
        if secret in text
    ]
    assert not leaks, leaks


async def slawatch(*args: str, env: dict[str, str]) -> tuple[int, str]:
    """Run the command line; its exit status and everything it wrote (stdout, then stderr)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "monitor.cli",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **env},
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, out.decode() + err.decode()


@pytest.fixture(autouse=True)
async def _no_daemon_left_behind() -> AsyncIterator[None]:
    """Kill (and reap) a daemon the test left running, passed or failed."""
    yield
    while STARTED:
        process = STARTED.pop()
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), 10)


@dataclass
class Loopback:
    """A target that answers only with the check's credentials, and a webhook receiver that
    answers 500 (so the failure is logged), both remembering what they were sent."""

    target_port: int = 0
    hook_port: int = 0
    healthy: bool = True
    credentials: set[tuple[str, str, str]] = field(default_factory=set)
    hooks: list[tuple[str, str]] = field(default_factory=list)


@contextlib.asynccontextmanager
async def loopback() -> AsyncIterator[Loopback]:
    state = Loopback()

    async def page(request: web.Request) -> web.Response:
        auth = BasicAuth.decode(request.headers.get("Authorization", ""))
        state.credentials.add((auth.login, auth.password, request.query.get("key", "")))
        return web.Response(status=200 if state.healthy else 503, text="shop")

    async def hook(request: web.Request) -> web.Response:
        state.hooks.append((request.path, request.headers.get("X-Hook-Token", "")))
        return web.Response(status=500)

    runners = []
    for route, handler in (("/home", page), ("/hooks/{tail:.*}", hook)):
        app = web.Application()
        app.router.add_route("*", route, handler)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        runners.append(runner)
    state.target_port = runners[0].addresses[0][1]
    state.hook_port = runners[1].addresses[0][1]
    try:
        yield state
    finally:
        for runner in runners:
            await runner.cleanup()


def configuration(
    store: str, http_port: int, target: int, hook: int, *, log: str, spool: Path
) -> str:
    """A valid configuration whose secrets are all ${VAR}s."""
    return f"""
vantage: vantage-1
store: "{store}"
http: {{listen: "127.0.0.1:{http_port}", api_token: "${{SLAWATCH_API_TOKEN}}"}}
log: {{format: {log}, level: debug}}
spool: {{directory: "{spool}"}}
notify:
  attempts: 1
  webhooks:
    - {{url: "http://127.0.0.1:{hook}/hooks/${{HOOK_PATH}}",
        headers: {{X-Hook-Token: "${{HOOK_TOKEN}}"}}, timeout: 2s}}
contracts:
  basic: {{timezone: UTC, currency: USD, daily_fee: "1440.00"}}
services:
  - name: shop
    contract: basic
    frontend:
      - {{name: home, type: http,
          url: "http://probe:${{CHECK_PASSWORD}}@127.0.0.1:{target}/home?key=${{CHECK_KEY}}",
          interval: 250ms, timeout: 1s, confirm: 1}}
"""


#: The same file with every secret-bearing field refused, each in a way that used to be quoted.
REFUSED = {
    'api_token: "${SLAWATCH_API_TOKEN}"': 'api_token: ["${SLAWATCH_API_TOKEN}"]',
    'url: "http://127.0.0.1:': 'url: "ftp://127.0.0.1:',
    "  webhooks:\n": '  webhooks:\n    - {url: "http://h/", headers: {X-Hook-Token: ["${HOOK_TOKEN}"]}}\n',
    'url: "http://probe:': 'url: "gopher://probe:',
}
#: The fields the refused file's errors name.
PROBLEMS = (
    "http.api_token: ",
    "notify.webhooks[0].headers.X-Hook-Token: ",
    "notify.webhooks[1].url: ",
    "services[0].frontend[0].url: ",
)


def store_url(database: str, planted: dict[str, str]) -> str:
    """``database`` with the planted password (trust authentication ignores it), as ${VAR}."""
    parts = urlsplit(database)
    if parts.password:  # a server that checks passwords: its own is the secret to keep
        planted["PGPASSWORD"] = parts.password
    netloc = f"{parts.username}:${{PGPASSWORD}}@{parts.hostname}:{parts.port or 5432}"
    return parts._replace(netloc=netloc).geturl()


async def read(daemon: Daemon, path: str, token: str | None = None) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    async with (
        aiohttp.ClientSession() as session,
        session.get(daemon.base + path, headers=headers) as response,
    ):
        return response.status, await response.text()


@pytest.mark.postgres
@pytest.mark.parametrize("log", ["text", "json"])
async def test_no_surface_shows_a_planted_secret(tmp_path: Path, log: str) -> None:
    """Every secret does its job (the target, the webhook and the API get them), and no output
    of the daemon or the command line repeats one, a refused reload included."""
    planted = plant()
    seen: Seen = {}
    async with scratch_database() as database, loopback() as world:
        http_port = free_port()
        config = tmp_path / "slawatch.yaml"
        good = configuration(
            store_url(database, planted),
            http_port,
            world.target_port,
            world.hook_port,
            log=log,
            spool=tmp_path / "spool",
        )
        config.write_text(good, encoding="utf-8")
        _, seen["check-config"] = await slawatch(
            "check-config", "--config", str(config), env=planted
        )
        assert "http://probe:***@127.0.0.1" in seen["check-config"]
        assert "key=***" in seen["check-config"]

        daemon = Daemon(config, http_port, env=planted)
        await daemon.start()
        token = planted["SLAWATCH_API_TOKEN"]
        exclusion = {
            "service": "shop",
            "start": "2026-10-05T02:00:00Z",
            "end": "2026-10-05T03:00:00Z",
            "reason": "force_majeure",
            "note": "typhoon",
        }
        async with aiohttp.ClientSession() as session:
            for given, status in ((token, 201), ("", 401)):
                async with session.post(
                    daemon.base + "/api/exclusions",
                    json=exclusion,
                    headers={"Authorization": f"Bearer {given}"},
                ) as response:
                    assert response.status == status
                    seen[f"POST /api/exclusions ({status})"] = await response.text()

        async def down() -> bool:
            return await daemon.service_state() == "down"

        world.healthy = False
        await wait_for(down, "the service down")

        async def gave_up() -> bool:
            _, metrics = await read(daemon, "/metrics")
            return (
                re.search(r'slawatch_notifications\{result="failed"\} [1-9]', metrics) is not None
            )

        await wait_for(gave_up, "the webhook delivery given up")
        # The secrets did their job: substituted, sent, never redacted on the way.
        assert (
            "probe",
            planted["CHECK_PASSWORD"],
            planted["CHECK_KEY"],
        ) in world.credentials
        assert (f"/hooks/{planted['HOOK_PATH']}", planted["HOOK_TOKEN"]) in world.hooks

        for path in ("/metrics", "/api/state", "/healthz"):
            _, seen[path] = await read(daemon, path)
        _, seen["GET /api/exclusions"] = await read(daemon, "/api/exclusions", token)

        bad = good
        for before, after in REFUSED.items():
            assert before in bad
            bad = bad.replace(before, after)
        config.write_text(bad, encoding="utf-8")
        await daemon.signal(signal.SIGHUP)

        async def refused() -> bool:
            _, metrics = await read(daemon, "/metrics")
            return 'slawatch_config_reloads_total{result="refused"} 1.0' in metrics

        await wait_for(refused, "the reload refused")
        _, seen["check-config (refused)"] = await slawatch(
            "check-config", "--config", str(config), env=planted
        )
        await daemon.signal(signal.SIGTERM)
        code, seen["logs"] = await daemon.wait()
        assert code == 0, seen["logs"]
        assert "configuration reload refused" in seen["logs"]
        for problem in PROBLEMS:
            assert problem in seen["logs"]
            assert problem in seen["check-config (refused)"]
        if log == "json":
            assert all(json.loads(line) for line in seen["logs"].splitlines())

        config.write_text(good, encoding="utf-8")
        common = ("--config", str(config))
        month = datetime.now(UTC).strftime("%Y-%m")
        for fmt in ("html", "md", "csv", "json"):
            code, seen[f"report {fmt}"] = await slawatch(
                "report", *common, "--month", month, "--format", fmt, env=planted
            )
            assert code == 0, seen[f"report {fmt}"]
        day = datetime.now(UTC).date().isoformat()
        code, seen["export"] = await slawatch(
            "export", *common, "--service", "shop", "--from", day, "--to", day, env=planted
        )
        assert code == 0, seen["export"]
        code, seen["notify test"] = await slawatch("notify", "test", *common, env=planted)
        assert code == 1, seen["notify test"]  # the receiver answers 500
        for listing in ("exclude", "notice"):
            for fmt in ("text", "json"):
                code, seen[f"{listing} list {fmt}"] = await slawatch(
                    listing, "list", *common, "--format", fmt, env=planted
                )
                assert code == 0, seen[f"{listing} list {fmt}"]

    assert_no_secret(seen, planted)


async def test_store_errors_never_show_the_password(tmp_path: Path) -> None:
    """A PostgreSQL store that refuses connections fails every command with a line naming the
    store and what was being done, never its password."""
    planted = plant()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]  # bound, never listening: connections are refused
        config = tmp_path / "slawatch.yaml"
        config.write_text(
            configuration(
                f"postgresql://slawatch:${{PGPASSWORD}}@127.0.0.1:{closed}/slawatch",
                free_port(),
                1,
                1,
                log="json",
                spool=tmp_path / "spool",
            ),
            encoding="utf-8",
        )
        common = ("--config", str(config))
        seen: Seen = {}
        for command in (
            ("run", *common),
            ("report", *common, "--month", "2026-10"),
            ("export", *common, "--service", "shop", "--from", "2026-10-01", "--to", "2026-10-02"),
            ("exclude", "list", *common),
            ("notice", "revoke", *common, "1", "--note", "x", "--by", "me"),
            ("db", "migrate", *common),
        ):
            name = " ".join(command[:2])
            code, seen[name] = await slawatch(*command, env=planted)
            assert code == 1, seen[name]
            # `run` logs (at debug level) before it fails; the failure is its last line.
            assert (
                seen[name]
                .splitlines()[-1]
                .startswith(
                    f"slawatch: postgresql://slawatch@127.0.0.1:{closed}/slawatch: opening: "
                )
            ), seen[name]
            assert "Traceback" not in seen[name]
        _, seen["check-config"] = await slawatch("check-config", *common, env=planted)
        assert f"postgresql://slawatch:***@127.0.0.1:{closed}/slawatch" in seen["check-config"]

    assert_no_secret(seen, planted)

"""End to end with a real Prometheus loading deploy/'s rules: a running daemon monitors a loopback
target; the target goes down; Prometheus sees probe_success 0, the credit accruing and the
service-down alert firing; the target recovers and the alert resolves.

The rules are deploy/'s own, copied with every ``for:`` shortened to 1 s so that the test does
not wait out a minute; the scrape and evaluation run every second.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from ..harness import STARTED, Daemon, free_port, serve_target, wait_for

ROOT = Path(__file__).resolve().parents[3]
RULES = ROOT / "deploy" / "prometheus" / "rules"


def _prometheus() -> str:
    found = shutil.which("prometheus")
    if found is None:
        if os.environ.get("SLAWATCH_REQUIRE_PROMETHEUS") == "1":
            pytest.fail("prometheus is required (SLAWATCH_REQUIRE_PROMETHEUS=1) but not installed")
        pytest.skip("prometheus is not installed (Debian package 'prometheus'): not run")
    return found


def _daemon_config(tmp: Path, port: int, target: int) -> Path:
    path = tmp / "slawatch.yaml"
    path.write_text(
        f"""
vantage: v1
store: "sqlite:///{tmp / "s.db"}"
http: {{listen: "127.0.0.1:{port}"}}
sla_refresh: 1s
contracts: {{c: {{currency: USD, daily_fee: "1440.00"}}}}
services:
  - name: shop
    contract: c
    frontend:
      - {{name: home, type: http, url: "http://127.0.0.1:{target}/", interval: 1s,
         retry_interval: 250ms, timeout: 1s}}
""",
        encoding="utf-8",
    )
    return path


def _prometheus_config(tmp: Path, daemon_port: int) -> Path:
    rules = tmp / "rules"
    rules.mkdir()
    for source in sorted(RULES.glob("*.yaml")):
        text = re.sub(r"(?m)^(\s*for:\s*).*$", r"\g<1>1s", source.read_text(encoding="utf-8"))
        (rules / source.name).write_text(text, encoding="utf-8")
    path = tmp / "prometheus.yml"
    path.write_text(
        f"""
global: {{scrape_interval: 1s, evaluation_interval: 1s}}
rule_files: ["{rules}/*.yaml"]
scrape_configs:
  - job_name: slawatch
    static_configs: [{{targets: ["127.0.0.1:{daemon_port}"]}}]
    metric_relabel_configs:
      - {{source_labels: [target], regex: "(.+)", target_label: instance}}
""",
        encoding="utf-8",
    )
    return path


@contextlib.asynccontextmanager
async def _running_prometheus(tmp: Path, config: Path) -> AsyncIterator[str]:
    port = free_port()
    log = (tmp / "prometheus.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        _prometheus(),
        f"--config.file={config}",
        f"--storage.tsdb.path={tmp / 'tsdb'}",
        f"--web.listen-address=127.0.0.1:{port}",
        stdout=log,
        stderr=log,
    )
    STARTED.append(process)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        await asyncio.wait_for(process.wait(), 30)
        log.close()


async def _get(session: aiohttp.ClientSession, url: str, **params: str) -> Any:
    try:
        async with session.get(url, params=params) as response:
            if response.status != 200:
                return None
            return (await response.json())["data"]
    except aiohttp.ClientError:
        return None  # not listening yet


async def test_prometheus_sees_the_outage_the_credit_and_the_alert(tmp_path: Path) -> None:
    async with serve_target() as target, aiohttp.ClientSession() as session:
        port = free_port()
        daemon = Daemon(_daemon_config(tmp_path, port, target.port), port)
        await daemon.start()
        config = _prometheus_config(tmp_path, port)
        async with _running_prometheus(tmp_path, config) as api:

            async def value(query: str) -> float | None:
                data = await _get(session, f"{api}/api/v1/query", query=query)
                if not data or not data["result"]:
                    return None
                return float(data["result"][0]["value"][1])

            async def firing(name: str) -> bool:
                data = await _get(session, f"{api}/api/v1/alerts")
                alerts = [] if data is None else data["alerts"]
                return any(
                    a["labels"]["alertname"] == name and a["state"] == "firing" for a in alerts
                )

            async def rules_loaded() -> bool:
                data = await _get(session, f"{api}/api/v1/rules")
                return bool(data and data["groups"])

            up = 'probe_success{service="shop",check="home"}'
            await wait_for(rules_loaded, "Prometheus to load deploy/'s rules", 30)
            await wait_for(lambda: _equals(value(up), 1.0), "probe_success 1 in Prometheus", 30)
            # A blackbox user's dashboards select the target by instance: it is the target.
            instance = await _get(session, f"{api}/api/v1/query", query=up)
            assert instance["result"][0]["metric"]["instance"] == f"127.0.0.1:{target.port}"
            credit = 'slawatch_sla_credit_accrued{service="shop",currency="USD"}'
            assert await value(credit) == 0.0

            target.set(False)
            await wait_for(lambda: _equals(value(up), 0.0), "probe_success 0 in Prometheus", 30)
            await wait_for(
                lambda: _positive(value(credit)), "the credit accruing in Prometheus", 30
            )
            await wait_for(lambda: firing("SlawatchServiceDown"), "the service-down alert", 30)

            target.set(True)
            await wait_for(lambda: _equals(value(up), 1.0), "probe_success 1 again", 30)
            await wait_for(lambda: _not(firing("SlawatchServiceDown")), "the alert to resolve", 30)
            # The credit stays: the outage happened this month.
            assert (await value(credit) or 0.0) > 0.0
        await daemon.signal(signal.SIGTERM)
        code, log = await daemon.wait()
        assert code == 0, log


async def _equals(pending: Any, expected: float) -> bool:
    return bool(await pending == expected)


async def _positive(pending: Any) -> bool:
    found = await pending
    return found is not None and found > 0


async def _not(pending: Any) -> bool:
    return not await pending

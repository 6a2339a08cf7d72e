"""The exposition: blackbox_exporter's probe series, no ``*_created``, OpenMetrics on request,
bounded labels, and ``promtool check metrics`` on a real scrape of a running daemon."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.openmetrics.parser import text_string_to_metric_families
from prometheus_client.parser import text_string_to_metric_families as parse_text

from monitor.clock import FakeClock
from monitor.config.settings import CheckRole, DnsCheck, HttpCheck, TcpCheck, parse_settings
from monitor.daemon.checkseries import CHUNK_ROWS
from monitor.daemon.metrics import Metrics, target_of
from monitor.daemon.runner import Daemon as InProcessDaemon
from monitor.results import Outcome, ProbeResult
from monitor.scheduler import ScheduledCheck
from monitor.store.sqlite import SQLiteStore

from ..harness import Daemon, free_port, serve_target, wait_for

NOW = datetime(2026, 10, 5, 12, 0, tzinfo=UTC)


def _http(name: str, url: str, service: str = "shop", **fields: object) -> ScheduledCheck:
    spec = HttpCheck.model_validate({"name": name, "type": "http", "url": url, **fields})
    return ScheduledCheck(f"{service}/{name}", service, CheckRole.FRONTEND, spec)


def test_targets_carry_no_path_query_or_credentials() -> None:
    """A target is host[:port] (or the DNS name): bounded, and never a secret."""
    assert target_of(_http("a", "https://user:pw@shop.example.com/x?token=s3cret").spec) == (
        "shop.example.com"
    )
    assert target_of(_http("b", "http://127.0.0.1:8080/health").spec) == "127.0.0.1:8080"
    assert target_of(_http("c", "http://[::1]:81/").spec) == "[::1]:81"
    tcp = TcpCheck.model_validate({"name": "t", "type": "tcp", "host": "::1", "port": 25})
    assert target_of(tcp) == "[::1]:25"
    dns = DnsCheck.model_validate({"name": "d", "type": "dns", "query": "shop.example.com"})
    assert target_of(dns) == "shop.example.com"


def test_probe_series_are_blackbox_exporter_s() -> None:
    """Each result sets the series a blackbox_exporter user queries, with the same meaning."""
    registry = CollectorRegistry()
    metrics = Metrics(registry, "v1", "1")
    page = _http("home", "https://user:pw@shop.example.com/?token=s3cret", regex="Welcome")
    expiry = NOW + timedelta(days=30)
    metrics.observe_result(
        page,
        ProbeResult(
            "shop/home", "v1", NOW, 0.25, Outcome.CONTENT_MISMATCH, status=200, bytes_read=512,
            cert_expires_at=expiry, content_length=512, body_mismatch=True,
        ),
    )  # fmt: skip
    labels = {"service": "shop", "check": "home", "role": "frontend", "target": "shop.example.com"}

    def value(name: str) -> float | None:
        return metrics.check_registry.get_sample_value(name, labels)

    assert value("probe_success") == 0.0
    assert value("probe_duration_seconds") == 0.25
    assert value("probe_http_status_code") == 200
    assert value("probe_http_content_length") == 512
    assert value("probe_http_uncompressed_body_length") == 512
    assert value("probe_ssl_earliest_cert_expiry") == expiry.timestamp()
    assert value("probe_failed_due_to_regex") == 1.0
    # No response at all: status 0, as blackbox_exporter says it; a length no longer known.
    metrics.observe_result(
        page, ProbeResult("shop/home", "v1", NOW, 5.0, Outcome.TIMEOUT, body_mismatch=False)
    )
    assert value("probe_http_status_code") == 0
    assert value("probe_http_content_length") is None
    assert value("probe_failed_due_to_regex") == 0.0
    text = metrics.exposition().decode()
    assert "s3cret" not in text
    assert "pw@" not in text
    assert "_created" not in text
    # The duration histogram is per service and role, not per check.
    hist = {"service": "shop", "role": "frontend", "le": "+Inf"}
    assert registry.get_sample_value("slawatch_probe_duration_seconds_bucket", hist) == 2.0


def test_a_dns_check_reports_its_lookup_time_and_a_plain_page_no_regex_series() -> None:
    """probe_dns_lookup_time_seconds where a lookup was measured; probe_failed_due_to_regex only
    where the check has a regex or text to find."""
    registry = CollectorRegistry()
    metrics = Metrics(registry, "v1", "1")
    spec = DnsCheck.model_validate({"name": "ns", "type": "dns", "query": "shop.example.com"})
    dns = ScheduledCheck("shop/ns", "shop", CheckRole.DNS, spec)
    metrics.observe_result(dns, ProbeResult("shop/ns", "v1", NOW, 0.03, Outcome.UP))
    labels = {"service": "shop", "check": "ns", "role": "dns", "target": "shop.example.com"}
    checks = metrics.check_registry
    assert checks.get_sample_value("probe_dns_lookup_time_seconds", labels) == 0.03
    assert checks.get_sample_value("probe_http_status_code", labels) is None
    plain = _http("home", "http://127.0.0.1:8080/")
    metrics.observe_result(plain, ProbeResult("shop/home", "v1", NOW, 0.01, Outcome.UP, status=200))
    text = metrics.exposition().decode()
    assert "probe_failed_due_to_regex{" not in text
    assert 'probe_http_status_code{check="home"' in text


def test_a_removed_check_leaves_no_series() -> None:
    """A reload that removes a check drops every per-check series of it."""
    registry = CollectorRegistry()
    metrics = Metrics(registry, "v1", "1")
    page = _http("home", "http://127.0.0.1:8080/", contains="Welcome")
    metrics.observe_result(
        page, ProbeResult("shop/home", "v1", NOW, 0.01, Outcome.UP, status=200, content_length=7)
    )
    assert 'check="home"' in metrics.exposition().decode()
    metrics.forget_check(page)
    remaining = [
        line
        for line in metrics.exposition().decode().splitlines()
        if 'check="home"' in line and not line.startswith("slawatch_probes_total")
    ]
    assert remaining == []


def test_label_values_are_escaped() -> None:
    """A DNS name with a quote and a backslash (refused by no parser) reads back intact."""
    registry = CollectorRegistry()
    metrics = Metrics(registry, "v1", "1")
    name = 'odd"name\\.example'
    spec = DnsCheck.model_validate({"name": "ns", "type": "dns", "query": name})
    metrics.observe_result(
        ScheduledCheck("shop/ns", "shop", CheckRole.DNS, spec),
        ProbeResult("shop/ns", "v1", NOW, 0.03, Outcome.UP),
    )
    targets = {
        sample.labels["target"]
        for family in parse_text(metrics.exposition().decode())
        for sample in family.samples
        if "target" in sample.labels
    }
    assert targets == {name}


def _config(tmp: Path, port: int, target: int) -> Path:
    path = tmp / "slawatch.yaml"
    path.write_text(
        f"""
vantage: v1
store: "sqlite:///{tmp / "s.db"}"
http: {{listen: "127.0.0.1:{port}"}}
contracts: {{c: {{currency: USD, daily_fee: "10.00"}}}}
services:
  - name: shop
    contract: c
    frontend:
      - {{name: home, type: http, url: "http://127.0.0.1:{target}/?key=s3cret", interval: 1s,
         contains: Welcome}}
""",
        encoding="utf-8",
    )
    return path


async def test_a_real_scrape_is_clean_in_both_formats(tmp_path: Path) -> None:
    """A running daemon's /metrics: blackbox series present, no *_created, no secret; the
    OpenMetrics scrape parses; `promtool check metrics` finds nothing (when installed)."""
    async with serve_target() as target:
        port = free_port()
        daemon = Daemon(_config(tmp_path, port, target.port), port)
        await daemon.start()
        url = f"http://127.0.0.1:{port}/metrics"
        text = ""
        async with aiohttp.ClientSession() as session:

            async def scraped() -> bool:
                nonlocal text
                async with session.get(url) as response:
                    text = await response.text()
                return "probe_success{" in text and "slawatch_sla_credit_accrued{" in text

            await wait_for(scraped, "a scrape with probe and SLA series")
            async with session.get(
                url, headers={"Accept": "application/openmetrics-text; version=1.0.0"}
            ) as response:
                assert response.headers["Content-Type"].startswith("application/openmetrics-text")
                openmetrics = await response.text()
        await daemon.signal(signal.SIGTERM)
        code, _ = await daemon.wait()
        assert code == 0
    assert "_created" not in text
    assert "s3cret" not in text
    assert 'probe_success{check="home",role="frontend",service="shop",target="127.0.0.1:' in text
    parsed = text_string_to_metric_families(openmetrics)  # type: ignore[no-untyped-call]
    families = {family.name for family in parsed}
    assert {"probe_success", "slawatch_sla_credit_accrued", "slawatch_probes"} <= families
    assert openmetrics.rstrip().endswith("# EOF")
    promtool = shutil.which("promtool")
    if promtool is None:
        if os.environ.get("SLAWATCH_REQUIRE_PROMETHEUS") == "1":
            pytest.fail("promtool is required (SLAWATCH_REQUIRE_PROMETHEUS=1) but not installed")
        pytest.skip("promtool is not installed (Debian package 'prometheus'): not run")
    checked = await asyncio.create_subprocess_exec(
        promtool, "check", "metrics", stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    said, _ = await asyncio.wait_for(checked.communicate(text.encode()), 60)
    assert checked.returncode == 0, said.decode()
    assert said.decode().strip() == ""


def test_the_per_check_series_are_written_in_pieces_that_parse_as_one() -> None:
    """1,200 checks: the exposition comes in pieces of at most CHUNK_ROWS samples (the event
    loop runs between them), and the pieces together are one valid exposition whose values and
    labels are prometheus_client's own reading of the same rows."""
    registry = CollectorRegistry()
    metrics = Metrics(registry, "v1", "1")
    for i in range(1200):
        check = _http(f"c{i}", f"http://127.0.0.1:{8000 + i % 7}/")
        outcome = Outcome.UP if i % 3 else Outcome.TIMEOUT
        metrics.observe_result(check, ProbeResult(check.id, "v1", NOW, 0.5, outcome, status=200))
    for i in range(1200):  # a histogram per service: 1,200 x 15 samples
        metrics.observe_result(
            _http("home", "http://127.0.0.1:8000/", service=f"s{i}"),
            ProbeResult(f"s{i}/home", "v1", NOW, 0.5, Outcome.UP, status=200),
        )
    pieces = list(metrics.exposition_chunks())
    assert len(pieces) > 40
    whole = b"".join(pieces).decode()
    assert whole.count("# HELP slawatch_probe_duration_seconds ") == 1
    assert whole.count("# TYPE probe_success ") == 1
    assert max(len(piece.splitlines()) for piece in pieces) <= CHUNK_ROWS + 2
    # The OpenMetrics parser is strict: a family split or repeated would fail it.
    strict = b"".join(metrics.exposition_chunks(openmetrics=True)).decode()
    parsed = list(text_string_to_metric_families(strict))  # type: ignore[no-untyped-call]
    assert sum(len(f.samples) for f in parsed if f.name == "slawatch_probe_duration_seconds") == (
        1200 * 15 + 15
    )
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in parse_text(whole)
        for sample in family.samples
    }
    in_process = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in metrics.check_registry.collect()
        for sample in family.samples
    }
    assert in_process.items() <= samples.items()
    assert samples[("probe_success", (("check", "c3"), ("role", "frontend"), ("service", "shop"),
                    ("target", "127.0.0.1:8003")))] == 0.0  # fmt: skip
    timeouts = ("slawatch_probes_total", (("check", "c3"), ("outcome", "timeout"),
                ("role", "frontend"), ("service", "shop")))  # fmt: skip
    assert samples[timeouts] == 1.0


async def test_a_reload_that_changes_a_target_drops_the_old_target_s_series(
    tmp_path: Path,
) -> None:
    """The same check id probing another address after a reload: the old target's series go."""
    db = tmp_path / "r.db"
    config = tmp_path / "slawatch.yaml"
    body = (
        f'store: "sqlite:///{db}"\nvantage: v1\n'
        'contracts: {c: {currency: USD, daily_fee: "10.00"}}\nservices:\n'
        '  - {name: shop, contract: c, frontend: [{name: home, type: http, url: "URL"}]}\n'
    )
    config.write_text(body.replace("URL", "http://127.0.0.1:1/"), encoding="utf-8")
    clock = FakeClock(NOW)
    daemon = InProcessDaemon(
        parse_settings(config.read_text(), str(config)),
        clock=clock,
        store=SQLiteStore(db),
        registry=CollectorRegistry(),
        config_path=config,
    )
    running = asyncio.create_task(daemon.run(handle_signals=False))
    await asyncio.wait_for(daemon.ready.wait(), 10)
    for _ in range(12):
        await clock.advance(1)
    assert 'target="127.0.0.1:1"' in daemon.scrape().decode()
    config.write_text(body.replace("URL", "http://127.0.0.1:2/"), encoding="utf-8")
    assert await daemon.reload()
    for _ in range(12):
        await clock.advance(1)
    text = daemon.scrape().decode()
    daemon.stop()
    await asyncio.wait_for(running, 30)
    assert 'target="127.0.0.1:1"' not in text
    assert 'target="127.0.0.1:2"' in text

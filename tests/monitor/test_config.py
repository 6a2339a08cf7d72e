"""Configuration: DESIGN.md's example loads as written; every error is one line naming the field."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from monitor.config import CheckRole, HttpCheck, load_settings, parse_settings
from monitor.errors import ConfigError

DESIGN_EXAMPLE = """
vantage: shanghai-1
store: sqlite:///var/lib/slawatch/slawatch.db     # or postgresql://user@host/db
http: {listen: "127.0.0.1:9464"}                   # /metrics, /healthz, /api
contracts:
  cloud-basic:
    timezone: Asia/Shanghai
    currency: CNY
    daily_fee: "144.00"
    rounding: per_outage
    maintenance_notice_hours: 24
services:
  - name: shop
    contract: cloud-basic
    frontend:
      - {name: home,  type: http, url: "https://shop.example.com/", expect_status: [200], contains: "Welcome",
         interval: 10s, timeout: 5s, retry_interval: 2s, confirm: 2}
      - {name: file,  type: http, url: "https://shop.example.com/static/app.js", min_bytes: 20000}
      - {name: video, type: http, url: "https://shop.example.com/live/stream.m3u8", stream_bytes: 65536}
    nodes:
      - {name: node-a, type: http, url: "http://10.0.0.11:8080/", host: shop.example.com}
      - {name: node-b, type: http, url: "http://10.0.0.12:8080/", host: shop.example.com}
    dns: {name: shop.example.com}                  # global load balancer: watch the answer set
    failover: {max_frontend_outage: 30s, restore_within: 10m}
"""

MINIMAL = """
contracts: {c: {currency: USD, daily_fee: "10.00"}}
services:
  - name: s
    contract: c
    frontend: [{name: home, type: http, url: "http://127.0.0.1:1/"}]
"""


def test_design_example_loads_as_written() -> None:
    """The example configuration of DESIGN.md parses, with its units and defaults."""
    settings = parse_settings(DESIGN_EXAMPLE, "design.yaml")
    assert settings.vantage == "shanghai-1"
    assert settings.http.port == 9464
    [shop] = settings.services
    roles = [(role, check.name) for role, check in shop.checks()]
    assert roles == [
        (CheckRole.FRONTEND, "home"),
        (CheckRole.FRONTEND, "file"),
        (CheckRole.FRONTEND, "video"),
        (CheckRole.NODE, "node-a"),
        (CheckRole.NODE, "node-b"),
        (CheckRole.DNS, "dns"),
    ]
    home = shop.frontend[0]
    assert isinstance(home, HttpCheck)
    assert (home.interval, home.timeout, home.retry_interval, home.confirm) == (10, 5, 2, 2)
    assert shop.failover.restore_within == 600
    assert settings.contracts["cloud-basic"].daily_fee == Decimal("144.00")
    assert settings.retention_days == 90


def test_environment_substitution() -> None:
    """${VAR} and ${VAR:-default} are replaced from the environment."""
    text = MINIMAL.replace('"http://127.0.0.1:1/"', '"http://${HOST}:${PORT:-8080}/"')
    settings = parse_settings(text, "x.yaml", {"HOST": "127.0.0.2"})
    check = settings.services[0].frontend[0]
    assert isinstance(check, HttpCheck)
    assert check.url == "http://127.0.0.2:8080/"


def test_yaml_numbers_are_exact_decimals() -> None:
    """A fee written as a bare YAML number is read exactly, not through a float."""
    settings = parse_settings(MINIMAL.replace('"10.00"', "0.10"), "x.yaml")
    assert settings.contracts["c"].daily_fee == Decimal("0.10")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param(
            ('url: "http://127.0.0.1:1/"', 'url: "http://127.0.0.1:1/", interval: soon'),
            "x.yaml: services[0].frontend[0].interval: expected a duration like 10s, 5m,",
            id="bad-duration",
        ),
        pytest.param(
            ("contract: c", "contract: nope"),
            "x.yaml: services[0].contract: unknown contract 'nope' (contracts: c)",
            id="unknown-contract",
        ),
        pytest.param(
            ("currency: USD", "currency: USD, rounding: hourly"),
            "x.yaml: contracts.c.rounding: Input should be 'per_outage', 'per_day' or",
            id="bad-rounding",
        ),
        pytest.param(
            ('url: "http://127.0.0.1:1/"', 'url: "ftp://127.0.0.1/"'),
            "x.yaml: services[0].frontend[0].url: expected an http:// or",
            id="bad-url",
        ),
        pytest.param(
            ("http://127.0.0.1:1/", "http://${NOT_SET}/"),
            "x.yaml: services[0].frontend[0].url: environment variable NOT_SET is not set",
            id="missing-env",
        ),
        pytest.param(
            ("contracts:", "retention_days: 30\ncontracts:"),
            "x.yaml: retention_days: records are kept at least 90 days",
            id="short-retention",
        ),
        pytest.param(
            ("name: home", "name: home, colour: red"),
            "x.yaml: services[0].frontend[0].colour: unknown field",
            id="unknown-field",
        ),
        pytest.param(
            ("services:", "services: [\n"),
            "x.yaml: line",
            id="bad-yaml",
        ),
    ],
)
def test_errors_name_file_and_field(change: tuple[str, str], message: str) -> None:
    """Each invalid configuration fails with one line naming the file and the field path."""
    with pytest.raises(ConfigError) as caught:
        parse_settings(MINIMAL.replace(*change), "x.yaml", {})
    text = str(caught.value)
    assert "\n" not in text
    assert text.startswith(message), text


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    """An unreadable configuration path is reported, not raised as OSError."""
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings(tmp_path / "absent.yaml")


def test_check_config_command(tmp_path: Path) -> None:
    """`slawatch check-config` prints what would be monitored, and exits 1 on an invalid file."""
    good = tmp_path / "good.yaml"
    good.write_text(DESIGN_EXAMPLE, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "monitor.cli", "check-config", str(good)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "node-b" in done.stdout
    assert "shop.example.com A" in done.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(DESIGN_EXAMPLE.replace("confirm: 2", "confirm: zero"), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "monitor.cli", "check-config", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1
    assert "bad.yaml: services[0].frontend[0].confirm" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("unbuffered", ["", "1"], ids=["buffered", "unbuffered"])
def test_a_closed_output_pipe_is_not_a_traceback(unbuffered: str) -> None:
    """`slawatch credits CASE | true` exits 1 and writes nothing to stderr, buffered or not."""
    # The reader is gone before the command starts, so every write fails with EPIPE whatever
    # the scheduling; buffered output fails at the last flush, unbuffered at the first write.
    reader, writer = os.pipe()
    os.close(reader)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    if unbuffered:
        env["PYTHONUNBUFFERED"] = unbuffered
    try:
        done = subprocess.run(
            [sys.executable, "-m", "monitor.cli", "credits", "examples/october.json"],
            stdout=writer,
            stderr=subprocess.PIPE,
            cwd=Path(__file__).resolve().parents[2],
            env=env,
            check=False,
        )
    finally:
        os.close(writer)
    assert done.returncode == 1
    assert done.stderr == b""


def test_canaries_quorum_and_spool_settings() -> None:
    """Canaries are checks of their own; quorum and spool take their documented forms."""
    text = MINIMAL.replace("    frontend:", "    quorum: 2\n    frontend:") + (
        "canaries: [{name: ping, type: tcp, host: 127.0.0.1, port: 1}]\n"
        "spool: {max_memory: 5000, directory: /var/spool/slawatch}\n"
    )

    settings = parse_settings(text, "x.yaml")

    assert settings.services[0].quorum == 2
    assert [c.name for c in settings.canaries] == ["ping"]
    assert settings.spool.max_memory == 5000
    assert settings.spool_directory == Path("/var/spool/slawatch")


@pytest.mark.parametrize(
    ("store", "spool"),
    [
        pytest.param("sqlite:////var/lib/slawatch/x.db", "/var/lib/slawatch/spool", id="abs"),
        pytest.param("sqlite:///data/x.db", "data/spool", id="relative"),
        pytest.param("postgresql://u@db/slawatch", "slawatch-spool", id="postgresql"),
    ],
)
def test_the_spool_defaults_beside_the_sqlite_file(store: str, spool: str) -> None:
    """Without a directory the spool lives beside the SQLite file, or in the working directory."""
    settings = parse_settings(MINIMAL + f"store: {store!r}\n", "x.yaml")

    assert settings.spool_directory == Path(spool)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        pytest.param("    quorum: some\n", "services[0].quorum", id="quorum-word"),
        pytest.param("    quorum: 0\n", "services[0].quorum", id="quorum-zero"),
        pytest.param(
            "canaries: [{name: a, type: tcp, host: h, port: 1},"
            " {name: a, type: tcp, host: h, port: 2}]\n",
            "canaries[1].name: 'a' is used twice",
            id="canary-twice",
        ),
        pytest.param("spool: {max_memory: 0}\n", "spool.max_memory", id="spool-memory"),
    ],
)
def test_bad_canaries_quorum_and_spool_name_the_field(extra: str, message: str) -> None:
    """Each mistake is one ConfigError naming the field."""
    text = (
        MINIMAL + extra
        if not extra.startswith("    ")
        else MINIMAL.replace("    frontend:", extra + "    frontend:")
    )

    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_settings(text, "x.yaml")


def test_notify_settings() -> None:
    """Webhooks take a URL, a body format, the events they want and secret headers."""
    text = MINIMAL + (
        "notify:\n"
        "  webhooks:\n"
        "    - {url: 'https://hooks.example/T/B/X', format: slack, events: [outage_start]}\n"
        "    - {url: 'http://127.0.0.1:9/h', headers: {Authorization: 'Bearer s3cret'}}\n"
        "  cert_expiry_days: 7\n"
    )

    notify = parse_settings(text, "x.yaml").notify

    slack, generic = notify.webhooks
    assert (slack.format, slack.events) == ("slack", ["outage_start"])
    assert generic.format == "json"
    assert len(generic.events) == 4
    assert "s3cret" not in repr(generic)
    assert notify.cert_expiry_days == 7


@pytest.mark.parametrize(
    ("webhook", "message"),
    [
        pytest.param(
            "{url: 'ftp://x/y'}", "notify.webhooks[0].url: expected an http", id="not-http"
        ),
        pytest.param(
            "{url: 'http://x/', events: [lunch]}", "notify.webhooks[0].events[0]", id="event"
        ),
        pytest.param("{url: 'http://x/', format: xml}", "notify.webhooks[0].format", id="format"),
    ],
)
def test_bad_webhooks_name_the_field(webhook: str, message: str) -> None:
    """A webhook that cannot be used is one line naming it."""
    with pytest.raises(ConfigError, match=re.escape(message)):
        parse_settings(MINIMAL + f"notify: {{webhooks: [{webhook}]}}\n", "x.yaml")

"""Configuration: a full example loads as written; every error is one line naming the field."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import BaseModel

from monitor.config.settings import (
    CheckRole,
    DnsCheck,
    HttpCheck,
    TcpCheck,
    load_settings,
    parse_settings,
)
from monitor.errors import ConfigError
from monitor.redact import redact_url, scrub_url_secrets

DESIGN_EXAMPLE = """
vantage: shanghai-1
store: sqlite:////var/lib/slawatch/slawatch.db    # or postgresql://user@host/db
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
    """A full example configuration parses, with its units and defaults."""
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
            cwd=Path(__file__).resolve().parents[3],
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


# Every problem at once, and never a secret in a message.

ROOT = Path(__file__).resolve().parents[3]


def slawatch(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
        env=env,
    )


MANY_MISTAKES = MINIMAL.replace('url: "http://127.0.0.1:1/"', 'url: "ftp://x/", interval: soon') + (
    'http: {listen: "nowhere"}\n'
    "retention_days: 30\n"
    "spool: {max_memory: 0}\n"
    "  \n"
    "notify: {webhooks: [{url: 'http://x/', format: xml}]}\n"
)


def test_every_problem_is_listed_on_its_own_line() -> None:
    """A file with several mistakes names each, one line each, file and field first."""
    with pytest.raises(ConfigError) as caught:
        parse_settings(MANY_MISTAKES, "x.yaml", {})

    lines = str(caught.value).splitlines()
    assert all(line.startswith("x.yaml: ") for line in lines), lines
    fields = sorted(line.split(": ")[1] for line in lines)
    assert fields == [
        "http.listen",
        "notify.webhooks[0].format",
        "retention_days",
        "services[0].frontend[0].interval",
        "spool.max_memory",
    ]
    assert "more" not in str(caught.value)


def test_model_checks_report_every_problem_they_find() -> None:
    """The checks across fields (contracts, names, retention) list all they find, even beside
    a mistake elsewhere."""
    text = MINIMAL.replace("contract: c", "contract: nope") + (
        "log: {level: loud}\n"
        "retention_days: 30\n"
        "canaries: [{name: a, type: tcp, host: h, port: 1}, {name: a, type: tcp, host: h, port: 2}]\n"
    )

    with pytest.raises(ConfigError) as caught:
        parse_settings(text, "x.yaml", {})

    assert str(caught.value).splitlines() == [
        "x.yaml: log.level: Input should be 'debug', 'info', 'warning' or 'error' (got 'loud')",
        "x.yaml: retention_days: records are kept at least 90 days (C8); set"
        " allow_short_retention: true to keep fewer",
        "x.yaml: services[0].contract: unknown contract 'nope' (contracts: c)",
        "x.yaml: canaries[1].name: 'a' is used twice",
    ]


def test_every_unset_variable_is_listed() -> None:
    """Each ${VAR} not set is named with the field it is in, all of them at once."""
    text = MINIMAL.replace("http://127.0.0.1:1/", "http://${HOST}:${PORT}/") + (
        'http: {api_token: "${TOKEN}"}\n'
    )

    with pytest.raises(ConfigError) as caught:
        parse_settings(text, "x.yaml", {})

    assert str(caught.value).splitlines() == [
        "x.yaml: services[0].frontend[0].url: environment variable HOST is not set",
        "x.yaml: services[0].frontend[0].url: environment variable PORT is not set",
        "x.yaml: http.api_token: environment variable TOKEN is not set",
    ]


def test_check_config_prints_every_problem_without_a_traceback(tmp_path: Path) -> None:
    """`check-config` exits 1 with one `slawatch: FILE: field: ...` line per problem."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(MANY_MISTAKES, encoding="utf-8")

    done = slawatch("check-config", "--config", str(bad))

    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert len(lines) == 5, done.stderr
    assert all(line.startswith(f"slawatch: {bad}: ") for line in lines), lines
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("timing", "retry"),
    [
        pytest.param("interval: 1s", 1.0, id="short-interval"),
        pytest.param("interval: 500ms", 0.5, id="shorter"),
        pytest.param("interval: 1m", 2.0, id="long-interval"),
        pytest.param("interval: 1s, retry_interval: 250ms", 0.25, id="written"),
    ],
)
def test_retry_interval_defaults_to_at_most_the_interval(timing: str, retry: float) -> None:
    """`interval: 1s` alone is valid: the default retry_interval is min(2s, interval)."""
    text = MINIMAL.replace('url: "http://127.0.0.1:1/"', f'url: "http://127.0.0.1:1/", {timing}')

    [check] = parse_settings(text, "x.yaml").services[0].frontend

    assert check.retry_interval == retry


def test_a_retry_interval_written_longer_than_the_interval_is_refused() -> None:
    """Written explicitly, a retry_interval beyond the interval is still a mistake."""
    text = MINIMAL.replace(
        'url: "http://127.0.0.1:1/"', 'url: "http://127.0.0.1:1/", interval: 1s, retry_interval: 5s'
    )

    with pytest.raises(ConfigError, match=r"frontend\[0\]: retry_interval \(5s\) must not exceed"):
        parse_settings(text, "x.yaml")


@pytest.mark.parametrize("value", ["", "   ", "\t"], ids=["empty", "spaces", "tab"])
def test_an_empty_api_token_is_refused(value: str) -> None:
    """An api_token whose variable is set but empty (or blank) would open the API: refused."""
    text = MINIMAL + 'http: {api_token: "${SLAWATCH_API_TOKEN}"}\n'

    with pytest.raises(ConfigError) as caught:
        parse_settings(text, "x.yaml", {"SLAWATCH_API_TOKEN": value})

    assert str(caught.value).startswith("x.yaml: http.api_token: is empty")


@pytest.mark.parametrize(
    ("yaml", "secret", "field"),
    [
        pytest.param(
            "notify: {webhooks: [{url: 'ftp://hooks.example/T0/B0/PATHSECRET9'}]}\n",
            "PATHSECRET9",
            "notify.webhooks[0].url: expected an http",
            id="webhook-url",
        ),
        pytest.param(
            "notify: {webhooks: [{url: 'http://x/', headers: {X-Key: [HEADERSECRET9]}}]}\n",
            "HEADERSECRET9",
            "notify.webhooks[0].headers.X-Key: Input should be a valid string",
            id="webhook-header",
        ),
        pytest.param(
            "http: {api_token: [TOKENSECRET9]}\n",
            "TOKENSECRET9",
            "http.api_token: Input should be a valid string",
            id="api-token",
        ),
        pytest.param(
            "store: 'mysql://u:STORESECRET9@db/x'\n",
            "STORESECRET9",
            "store: expected sqlite:///PATH or postgresql://",
            id="store",
        ),
        pytest.param(
            "store: 'STORESECRET9'\n",
            "STORESECRET9",
            "store: expected sqlite:///PATH or postgresql://",
            id="store-bare",
        ),
    ],
)
def test_errors_never_repeat_a_secret(yaml: str, secret: str, field: str) -> None:
    """A refused value of a field that may hold a secret is never quoted, only the field."""
    with pytest.raises(ConfigError) as caught:
        parse_settings(MINIMAL + yaml, "x.yaml", {})

    assert field in str(caught.value)
    assert secret not in str(caught.value)


def test_a_check_url_is_never_quoted() -> None:
    """A check URL (it may carry user:password@) is not repeated when refused."""
    text = MINIMAL.replace("http://127.0.0.1:1/", "gopher://probe:URLSECRET9@127.0.0.1/")

    with pytest.raises(ConfigError) as caught:
        parse_settings(text, "x.yaml")

    assert "services[0].frontend[0].url: expected an http" in str(caught.value)
    assert "URLSECRET9" not in str(caught.value)


def test_a_long_value_is_quoted_as_a_short_excerpt() -> None:
    """However long a refused value, the message quotes only its beginning."""
    text = MINIMAL.replace(
        'url: "http://127.0.0.1:1/"', f'url: "http://h/", interval: {"x" * 5000}'
    )

    with pytest.raises(ConfigError) as caught:
        parse_settings(text, "x.yaml")

    message = str(caught.value)
    assert message.startswith("x.yaml: services[0].frontend[0].interval: expected a duration")
    assert "(5000 characters)" in message
    assert len(message) < 200


def test_the_store_url_hides_its_password() -> None:
    """Settings and the store URL never show the password; only dsn() gives it, to the store."""
    settings = parse_settings(
        MINIMAL + 'store: "postgresql://slawatch:${PGPASSWORD}@db:5432/ev?sslmode=require"\n',
        "x.yaml",
        {"PGPASSWORD": "PGSECRET9"},
    )

    shown = [str(settings.store), repr(settings.store), repr(settings), str(settings)]
    shown.append(str(settings.model_dump()))
    assert all("PGSECRET9" not in text for text in shown)
    assert str(settings.store) == "postgresql://slawatch:***@db:5432/ev?sslmode=***"
    assert settings.store.dsn() == "postgresql://slawatch:PGSECRET9@db:5432/ev?sslmode=require"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        pytest.param("https://u:pw@h/p?k=v#f", "https://u:***@h/p?k=***", id="user-and-password"),
        pytest.param("https://TOKEN9@h:8443/p", "https://***@h:8443/p", id="user-alone-is-hidden"),
        pytest.param("https://h/p", "https://h/p", id="nothing-to-hide"),
        pytest.param("http://[::1/", "(an invalid URL)", id="invalid"),
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    """A URL is shown without its password, query values and fragment; a user part without a
    password (often a token) is hidden whole."""
    assert redact_url(url) == shown


def test_scrub_hides_a_token_given_as_the_user_part() -> None:
    """A message quoting a URL loses the user part even without a password."""
    text = "cannot connect to https://TOKEN9@h/p?k=v9: refused"

    assert scrub_url_secrets(text, "https://TOKEN9@h/p?k=v9") == (
        "cannot connect to https://***@h/p?***: refused"
    )


def test_a_check_shows_its_url_without_credentials() -> None:
    """A check's target and repr hide the URL's password, its query values and its headers."""
    text = MINIMAL.replace(
        'url: "http://127.0.0.1:1/"',
        'url: "https://probe:PWSECRET9@127.0.0.1:1/a?key=KEYSECRET9&x",'
        " headers: {Authorization: HEADERSECRET9}",
    )

    [check] = parse_settings(text, "x.yaml").services[0].frontend

    assert isinstance(check, HttpCheck)
    assert check.target == "https://probe:***@127.0.0.1:1/a?key=***&***"
    for shown in (check.target, repr(check), str(check)):
        assert not {"PWSECRET9", "KEYSECRET9", "HEADERSECRET9"} & set(re.findall(r"\w+", shown))


@pytest.mark.parametrize("server", ["dns.example", "10.0.0.1:99999", "[::1"])
def test_a_resolver_must_be_an_address(server: str) -> None:
    """`resolver` entries are IP addresses (with an optional port), checked at load time."""
    with pytest.raises(ConfigError, match=r"x\.yaml: resolver\[1\]: expected an IP address"):
        parse_settings(MINIMAL + f"resolver: ['127.0.0.1:53', '{server}']\n", "x.yaml")


# The command line.


def test_check_config_takes_the_file_as_an_option_or_an_argument(tmp_path: Path) -> None:
    """`check-config --config FILE`, like every other command; `check-config FILE` still works."""
    good = tmp_path / "good.yaml"
    good.write_text(DESIGN_EXAMPLE, encoding="utf-8")
    other = tmp_path / "other.yaml"
    other.write_text(DESIGN_EXAMPLE, encoding="utf-8")

    for args in (["--config", str(good)], [str(good)], ["--config", str(good), str(good)]):
        done = slawatch("check-config", *args)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith(f"{good}: valid\n")
    for args, said in (([], "no file given"), (["--config", str(good), str(other)], "two")):
        done = slawatch("check-config", *args)
        assert done.returncode == 2
        assert done.stderr.startswith(f"slawatch: check-config: {said}"), done.stderr


def test_version() -> None:
    """`slawatch --version` prints the installed version."""
    done = slawatch("--version")

    assert done.returncode == 0
    assert re.fullmatch(r"slawatch \d+\.\d+\S*\n", done.stdout), done.stdout


# The example configuration.

EXAMPLE = ROOT / "examples" / "slawatch.yaml"
EXAMPLE_ENV = {
    "SLAWATCH_API_TOKEN": "example-token",
    "SLACK_WEBHOOK_URL": "https://hooks.slack.example/services/T0/B0/X",
    "HOOK_TOKEN": "example-hook-token",
}


def test_the_example_configuration_passes_check_config() -> None:
    """examples/slawatch.yaml, as shipped, is valid once its secrets are in the environment."""
    import os  # noqa: PLC0415

    done = slawatch("check-config", "--config", str(EXAMPLE), env={**os.environ, **EXAMPLE_ENV})

    assert done.returncode == 0, done.stderr
    assert "exclusions and notices API on" in done.stdout


def test_the_example_configuration_covers_everything() -> None:
    """Every setting, every check type and every service field is shown, secrets as ${VAR}."""
    import yaml  # noqa: PLC0415

    from monitor.config.settings import ServiceConfig, Settings  # noqa: PLC0415

    raw = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    settings = load_settings(EXAMPLE, EXAMPLE_ENV)

    assert set(raw) == set(Settings.model_fields)
    for section in ("http", "log", "spool", "notify"):
        model: type[BaseModel] = type(getattr(settings, section))
        assert set(raw[section]) == set(model.model_fields), section
    assert {key for service in raw["services"] for key in service} == set(
        ServiceConfig.model_fields
    )
    written = [*raw["canaries"]]
    for service in raw["services"]:
        written += service["frontend"] + service.get("nodes", [])
    models: dict[str, type[BaseModel]] = {"http": HttpCheck, "tcp": TcpCheck, "dns": DnsCheck}
    timing = set.intersection(*(set(model.model_fields) for model in models.values()))
    assert timing <= {key for check in written for key in check}
    for kind, model in models.items():
        keys = {key for check in written if check["type"] == kind for key in check}
        assert set(model.model_fields) - timing <= keys, kind
    assert raw["http"]["api_token"] == "${SLAWATCH_API_TOKEN}"  # noqa: S105 - a variable
    assert raw["notify"]["webhooks"][0]["url"] == "${SLACK_WEBHOOK_URL}"
    assert "${HOOK_TOKEN}" in raw["notify"]["webhooks"][1]["headers"]["Authorization"]
    assert "examples/slawatch.yaml" in (ROOT / "README.md").read_text(encoding="utf-8")

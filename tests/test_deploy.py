"""The deployment in ``deploy/``: every file parses, fits the others, names only what the daemon
exports, and passes the tools that will read it.

- the image (``Dockerfile``, ``.dockerignore``): non-root, the state volume, the health check
  and the command, each parsed by the real CLI;
- the compose stack: its services, health checks, volumes and mounts, passwords only from the
  environment, and the daemon's configuration valid with the environment compose gives it;
- Prometheus: ``promtool check config``, ``check rules`` and ``test rules`` (the alerts' unit
  tests in ``rules/tests``), and a real Prometheus scraping a real daemon with the scrape
  configuration and every rule (``prometheus`` installed, or ``SLAWATCH_REQUIRE_PROMETHEUS=1``
  to fail rather than skip);
- every metric in a rule or a dashboard query is one the daemon exports (or a recording rule),
  with labels it has;
- the Grafana dashboard's structure, and its provisioning;
- the systemd unit.
"""

from __future__ import annotations

import asyncio
import configparser
import contextlib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from prometheus_client import CollectorRegistry
from prometheus_client.metrics import MetricWrapperBase

from monitor.cli.main import _parser
from monitor.config.settings import parse_settings
from monitor.daemon.metrics import Metrics

from .monitor.harness import free_port, serve_target, wait_for

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
PROMETHEUS = DEPLOY / "prometheus"
RULES = PROMETHEUS / "rules"
GRAFANA = DEPLOY / "grafana"
DASHBOARD = GRAFANA / "dashboards" / "slawatch.json"
CONFIG_IN_IMAGE = "/etc/slawatch/slawatch.yaml"
STATE = "/var/lib/slawatch"

# ---------------------------------------------------------------------------------------------
# Reading the files


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def compose() -> Any:
    return load_yaml(DEPLOY / "compose.yaml")


def rule_groups() -> list[Any]:
    groups: list[Any] = []
    for path in sorted(RULES.glob("*.yaml")):
        groups += load_yaml(path)["groups"]
    return groups


def alerts() -> dict[str, Any]:
    return {r["alert"]: r for g in rule_groups() for r in g["rules"] if "alert" in r}


def recordings() -> dict[str, Any]:
    return {r["record"]: r for g in rule_groups() for r in g["rules"] if "record" in r}


def panels() -> list[Any]:
    """Every panel of the dashboard, those inside collapsed rows too."""
    found: list[Any] = []
    for panel in json.loads(DASHBOARD.read_text(encoding="utf-8"))["panels"]:
        found.append(panel)
        found += panel.get("panels", [])
    return found


def dashboard_queries() -> list[tuple[str, str]]:
    """(where, PromQL) of every query of the dashboard, its variables' too."""
    board = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    found = [
        (f"panel {p['id']} {p['title']!r}", t["expr"])
        for p in panels()
        for t in p.get("targets", [])
    ]
    for variable in board["templating"]["list"]:
        if variable["type"] == "query":
            query = variable["query"]
            found.append((f"variable {variable['name']}", query["query"]))
    return found


def rule_queries() -> list[tuple[str, str]]:
    return [
        (f"rule {r.get('alert') or r.get('record')}", r["expr"])
        for g in rule_groups()
        for r in g["rules"]
    ]


def test_every_file_parses() -> None:
    """Each YAML and JSON file of deploy/ is well-formed, and none is empty."""
    files = sorted(p for p in DEPLOY.rglob("*") if p.suffix in {".yaml", ".yml", ".json"})
    loaded = {}
    for path in files:
        text = path.read_text(encoding="utf-8")
        loaded[path.relative_to(DEPLOY).as_posix()] = (
            json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
        )

    assert all(loaded.values()), [name for name, value in loaded.items() if not value]
    assert set(loaded) >= {
        "compose.yaml",
        "slawatch.yaml",
        "prometheus/prometheus.yml",
        "prometheus/prometheus.local.yml",
        "prometheus/rules/slawatch-alerts.yaml",
        "prometheus/rules/slawatch-rules.yaml",
        "prometheus/rules/tests/slawatch-alerts.test.yaml",
        "alertmanager/alertmanager.yml",
        "grafana/dashboards/slawatch.json",
        "grafana/provisioning/datasources/prometheus.yaml",
        "grafana/provisioning/dashboards/slawatch.yaml",
    }


# ---------------------------------------------------------------------------------------------
# The image


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of deploy/Dockerfile, continuation lines joined."""
    lines: list[tuple[str, str]] = []
    pending = ""
    for raw in (DEPLOY / "Dockerfile").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        whole = pending + line
        pending = ""
        instruction, _, arguments = whole.partition(" ")
        lines.append((instruction.upper(), arguments.strip()))
    return lines


def final_stage() -> list[tuple[str, str]]:
    instructions = dockerfile()
    last_from = max(i for i, (name, _) in enumerate(instructions) if name == "FROM")
    return instructions[last_from:]


def exec_form(arguments: str) -> list[str]:
    value = json.loads(arguments)
    assert isinstance(value, list), arguments
    assert all(isinstance(item, str) for item in value)
    return value


def test_the_image_builds_in_two_stages_from_python_slim() -> None:
    """A build stage installs the package (pip install .); the final stage copies its virtual
    environment, on the same small base."""
    instructions = dockerfile()
    args = dict(a.partition("=")[::2] for name, a in instructions if name == "ARG")
    bases = [a.split()[0] for name, a in instructions if name == "FROM"]
    bases = [args["PYTHON_IMAGE"] if b == "${PYTHON_IMAGE}" else b for b in bases]

    assert bases == ["python:3.12-slim", "python:3.12-slim"]
    runs = [a for name, a in instructions if name == "RUN"]
    assert any(re.search(r"\bpip install \.(\s|$)", run) for run in runs), runs
    assert ("COPY", "--from=build /opt/slawatch /opt/slawatch") in final_stage()


def test_the_image_copies_what_the_package_build_needs() -> None:
    """Every source COPY names exists, the build context lets it in (.dockerignore), and it is
    all that `pip install .` reads: pyproject.toml, its readme, and its packages."""
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    readme = re.search(r'^readme = "([^"]+)"', pyproject, re.MULTILINE)
    include = re.search(r"^include = \[([^\]]*)\]", pyproject, re.MULTILINE)
    assert readme is not None
    assert include is not None
    packages = {p.strip().strip('"').rstrip("*") for p in include[1].split(",")}
    ignore = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    allowed = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}

    copied = set()
    for name, arguments in dockerfile():
        if name != "COPY" or arguments.startswith("--from"):
            continue
        *sources, _ = arguments.split()
        for source in sources:
            assert (ROOT / source).exists(), source
            copied.add(source.rstrip("/"))

    assert "*" in ignore  # everything else stays out of the context (.venv, .git, tests)
    assert copied == allowed
    assert copied >= {"pyproject.toml", readme[1], *packages}


def test_the_image_runs_the_daemon_as_a_user_with_its_state_on_a_volume() -> None:
    """A non-root user, /var/lib/slawatch as the working directory and the volume, port 9464,
    and a command the real CLI parses as `run` with the configuration in /etc/slawatch."""
    stage = final_stage()
    last = dict(stage)

    user = last["USER"].split(":")[0]
    assert user == "slawatch"
    assert any(name == "RUN" and "useradd" in a and " slawatch" in a for name, a in stage)
    assert exec_form(last["VOLUME"]) == [STATE]
    assert last["WORKDIR"] == STATE
    assert last["EXPOSE"] == "9464"
    assert exec_form(last["ENTRYPOINT"]) == ["slawatch"]
    command = exec_form(last["CMD"])
    parsed = _parser().parse_args(command)
    assert parsed.command == "run"
    assert parsed.config == CONFIG_IN_IMAGE
    assert parsed.log_format == "json"


def test_the_image_s_health_check_is_slawatch_healthcheck() -> None:
    """HEALTHCHECK runs `slawatch healthcheck --config ...`, as the real CLI parses it."""
    options, _, command = final_stage_healthcheck().partition(" CMD ")
    argv = exec_form(command)

    assert argv[0] == "slawatch"
    parsed = _parser().parse_args(argv[1:])
    assert parsed.command == "healthcheck"
    assert parsed.config == CONFIG_IN_IMAGE
    assert "--interval=" in options
    assert "--start-period=" in options


def final_stage_healthcheck() -> str:
    found = [a for name, a in final_stage() if name == "HEALTHCHECK"]
    assert len(found) == 1
    return found[0]


# ---------------------------------------------------------------------------------------------
# The compose stack

SERVICES = {"slawatch", "postgres", "prometheus", "alertmanager", "grafana"}
#: Where each stateful service keeps its data: a named volume there.
DATA = {
    "slawatch": STATE,
    "postgres": "/var/lib/postgresql/data",
    "prometheus": "/prometheus",
    "alertmanager": "/alertmanager",
    "grafana": "/var/lib/grafana",
}
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|_KEY$|CREDENTIAL", re.IGNORECASE)
REQUIRED_VARIABLE = re.compile(r"\$\{[A-Z][A-Z0-9_]*:\?[^}]*\}")


def environment(service: Any) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.partition("=")[::2] for item in env)
    return {str(k): str(v) for k, v in env.items()}


def mounts(service: Any) -> dict[str, str]:
    """Target -> source of a service's volumes (short syntax)."""
    found = {}
    for volume in service.get("volumes", []):
        source, target, *_ = volume.split(":")
        found[target] = source
    return found


def test_the_stack_has_its_services_each_with_a_health_check() -> None:
    """slawatch, PostgreSQL, Prometheus, Alertmanager and Grafana, each checked for health and
    restarted by the engine; slawatch waits for a healthy PostgreSQL."""
    services = compose()["services"]

    assert set(services) == SERVICES
    for name, service in services.items():
        test = service["healthcheck"]["test"]
        assert test[0] == "CMD", name
        assert service["restart"] == "unless-stopped", name
    assert services["slawatch"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["postgres"]["healthcheck"]["test"][1] == "pg_isready"
    argv = services["slawatch"]["healthcheck"]["test"][1:]
    assert argv[0] == "slawatch"
    assert _parser().parse_args(argv[1:]).command == "healthcheck"


def test_the_daemon_is_built_from_the_repository_with_its_configuration_mounted() -> None:
    """The build context is the repository root and the Dockerfile deploy/Dockerfile; the
    configuration is mounted read-only where the image's command and health check read it."""
    slawatch = compose()["services"]["slawatch"]
    build = slawatch["build"]

    assert (DEPLOY / build["context"]).resolve() == ROOT
    assert (DEPLOY / build["context"] / build["dockerfile"]).resolve() == DEPLOY / "Dockerfile"
    assert mounts(slawatch)[CONFIG_IN_IMAGE] == "./slawatch.yaml"
    assert slawatch["volumes"][0].endswith(":ro")
    assert _parser().parse_args(slawatch["command"]).config == CONFIG_IN_IMAGE


def test_every_service_keeps_its_data_on_a_named_volume() -> None:
    """Each stateful service's data directory is a named volume, each declared volume is used,
    and every file mounted from deploy/ exists."""
    stack = compose()
    declared = set(stack["volumes"])
    used = set()
    for name, service in stack["services"].items():
        for source in mounts(service).values():
            if source.startswith("."):
                assert (DEPLOY / source).exists(), (name, source)
            else:
                assert source in declared, (name, source)
                used.add(source)
        assert mounts(service)[DATA[name]] in declared, name

    assert used == declared


def test_no_secret_is_written_in_the_stack() -> None:
    """Every password-like value is a required ${VAR} (compose refuses to start without it);
    the daemon's store URL takes its password from the variable compose passes it; ports are
    published on loopback only."""
    services = compose()["services"]
    secrets = 0
    for name, service in services.items():
        for key, value in environment(service).items():
            if SECRET_NAME.search(key):
                secrets += 1
                assert REQUIRED_VARIABLE.fullmatch(value), (name, key, value)
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), (name, port)

    assert secrets >= 3
    config = load_yaml(DEPLOY / "slawatch.yaml")
    assert "${POSTGRES_PASSWORD}@" in config["store"]
    assert "POSTGRES_PASSWORD" in environment(services["slawatch"])
    # Nothing in deploy/ looks like a password written out.
    for path in DEPLOY.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            assert not re.search(r"(?i)password\s*[:=]\s*[\"']?(?!\$\{)\w", text), path


def test_the_daemon_s_configuration_is_valid_in_the_stack() -> None:
    """deploy/slawatch.yaml validates with the environment compose gives the daemon (its
    variables filled in), listens where Prometheus scrapes it, and uses PostgreSQL, the stack's
    `postgres` service."""
    services = compose()["services"]
    env = {
        key: REQUIRED_VARIABLE.sub("placeholder", value)
        for key, value in environment(services["slawatch"]).items()
    }
    env = {k: re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", v) for k, v in env.items()}
    settings = parse_settings(
        (DEPLOY / "slawatch.yaml").read_text(encoding="utf-8"), "slawatch.yaml", env
    )
    scrape = load_yaml(PROMETHEUS / "prometheus.yml")["scrape_configs"][0]

    assert settings.http.host == "0.0.0.0"
    assert scrape["static_configs"][0]["targets"] == [f"slawatch:{settings.http.port}"]
    assert f"127.0.0.1:{settings.http.port}:{settings.http.port}" in services["slawatch"]["ports"]
    assert settings.store.dsn().startswith("postgresql://slawatch:placeholder@postgres:5432/")
    postgres = environment(services["postgres"])
    assert settings.store.dsn().endswith(f"/{postgres['POSTGRES_DB']}")
    assert settings.spool.directory is not None
    assert str(settings.spool.directory).startswith(STATE)
    assert settings.services


def test_prometheus_alertmanager_and_grafana_read_the_mounted_files() -> None:
    """Each tool's configuration flag names the file mounted for it; the rules land where
    rule_files looks; Grafana's dashboard provider reads the mounted dashboards, and its data
    source is the stack's Prometheus."""
    services = compose()["services"]
    prometheus, alertmanager, grafana = (
        services[name] for name in ("prometheus", "alertmanager", "grafana")
    )

    flags = dict(flag.partition("=")[::2] for flag in prometheus["command"])
    config_path = Path(flags["--config.file"])
    assert mounts(prometheus)[str(config_path)] == "./prometheus/prometheus.yml"
    for pattern in load_yaml(PROMETHEUS / "prometheus.yml")["rule_files"]:
        directory = (config_path.parent / pattern).parent
        assert mounts(prometheus)[str(directory)] == "./prometheus/rules"
    flags = dict(flag.partition("=")[::2] for flag in alertmanager["command"])
    assert mounts(alertmanager)[flags["--config.file"]] == "./alertmanager/alertmanager.yml"
    assert load_yaml(PROMETHEUS / "prometheus.yml")["alerting"]["alertmanagers"][0][
        "static_configs"
    ][0]["targets"] == ["alertmanager:9093"]

    provider = load_yaml(GRAFANA / "provisioning" / "dashboards" / "slawatch.yaml")
    path = provider["providers"][0]["options"]["path"]
    assert mounts(grafana)[path] == "./grafana/dashboards"
    home = Path(environment(grafana)["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"])
    assert str(home.parent) == path
    assert (GRAFANA / "dashboards" / home.name) == DASHBOARD
    assert mounts(grafana)["/etc/grafana/provisioning"] == "./grafana/provisioning"
    source = load_yaml(GRAFANA / "provisioning" / "datasources" / "prometheus.yaml")
    assert source["datasources"][0]["type"] == "prometheus"
    assert source["datasources"][0]["url"] == "http://prometheus:9090"


def container_engine_or_skip() -> list[str]:
    docker = shutil.which("docker")
    if docker is not None:
        probe = subprocess.run(
            [docker, "compose", "version"], capture_output=True, check=False, timeout=60
        )
        if probe.returncode == 0:
            return [docker, "compose"]
    pytest.skip("no `docker compose` here (no container engine): the stack is checked statically")


def test_docker_compose_accepts_the_stack() -> None:
    """`docker compose config` validates the file against the compose specification, and
    refuses it without the passwords."""
    command = container_engine_or_skip()
    args = [*command, "-f", str(DEPLOY / "compose.yaml"), "config", "--quiet"]
    env = {**os.environ, "POSTGRES_PASSWORD": "x", "GRAFANA_ADMIN_PASSWORD": "x"}

    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    env.pop("POSTGRES_PASSWORD")
    refused = subprocess.run(args, env=env, capture_output=True, text=True, check=False, timeout=60)
    assert refused.returncode != 0
    assert "POSTGRES_PASSWORD" in refused.stderr


# ---------------------------------------------------------------------------------------------
# Prometheus and Alertmanager


def tool_or_skip(name: str, package: str) -> str:
    """The path of a Prometheus tool; skip without it, or fail when SLAWATCH_REQUIRE_PROMETHEUS=1
    says it must be there."""
    found = shutil.which(name)
    if found is None:
        message = f"{name} is not installed (Debian package {package})"
        if os.environ.get("SLAWATCH_REQUIRE_PROMETHEUS") == "1":
            pytest.fail(message + ", and SLAWATCH_REQUIRE_PROMETHEUS=1 requires it", pytrace=False)
        pytest.skip(message)
    return found


def run(*argv: str) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


@pytest.mark.parametrize("name", ["prometheus.yml", "prometheus.local.yml"])
def test_promtool_accepts_the_scrape_configuration(name: str) -> None:
    """`promtool check config` (which checks the rule files it loads too)."""
    promtool = tool_or_skip("promtool", "prometheus")

    output = run(promtool, "check", "config", str(PROMETHEUS / name))

    assert "SUCCESS: 2 rule files found" in output


def test_both_scrape_configurations_relabel_alike() -> None:
    """The compose and the host configuration copy `target` into `instance` the same way, only
    where a series has a target (the daemon's own series keep its address)."""
    compose_job = load_yaml(PROMETHEUS / "prometheus.yml")["scrape_configs"][0]
    local_job = load_yaml(PROMETHEUS / "prometheus.local.yml")["scrape_configs"][0]
    relabel = compose_job["metric_relabel_configs"]

    assert compose_job["job_name"] == local_job["job_name"] == "slawatch"
    assert local_job["metric_relabel_configs"] == relabel
    assert local_job["static_configs"][0]["targets"] == ["127.0.0.1:9464"]
    into_instance = [r for r in relabel if r["target_label"] == "instance"]
    assert into_instance == [
        {
            "source_labels": ["target"],
            "regex": "(.+)",
            "target_label": "instance",
            "replacement": "$1",
        }
    ]


def test_promtool_accepts_the_rules() -> None:
    """`promtool check rules` on every rule file."""
    promtool = tool_or_skip("promtool", "prometheus")
    files = sorted(str(p) for p in RULES.glob("*.yaml"))

    output = run(promtool, "check", "rules", *files)

    assert len(files) == 2
    assert output.count("SUCCESS") == 2


def test_the_alerts_unit_tests_pass() -> None:
    """`promtool test rules`: series in, alerts (labels and annotations) out, at given times."""
    promtool = tool_or_skip("promtool", "prometheus")
    tests = sorted(str(p) for p in (RULES / "tests").glob("*.yaml"))
    covered = {
        r["alertname"]
        for t in load_yaml(RULES / "tests" / "slawatch-alerts.test.yaml")["tests"]
        for r in t.get("alert_rule_test", [])
    }

    output = run(promtool, "test", "rules", *tests)

    assert "SUCCESS" in output
    assert covered >= {
        "SlawatchServiceDown",
        "SlawatchTierAboutToBeCrossed",
        "SlawatchNothingWritten",
    }


def test_amtool_accepts_the_alertmanager_configuration_and_its_example(tmp_path: Path) -> None:
    """`amtool check-config` on the file, and on the webhook example its comment gives."""
    amtool = tool_or_skip("amtool", "prometheus-alertmanager")
    path = DEPLOY / "alertmanager" / "alertmanager.yml"
    example = re.search(r"^#   receivers:\n(?:#   .*\n)+", path.read_text(encoding="utf-8"), re.M)
    assert example is not None
    uncommented = tmp_path / "example.yml"
    uncommented.write_text(
        re.sub(r"^#   ", "", example[0], flags=re.M) + "route: {receiver: default}\n",
        encoding="utf-8",
    )

    run(amtool, "check-config", str(path))
    output = run(amtool, "check-config", str(uncommented))

    assert "SUCCESS" in output


ALERTS = {
    "SlawatchServiceDown": "1m",
    "SlawatchServiceNotMeasured": "5m",
    "SlawatchFailoverBreached": None,
    "SlawatchCreditAccruing": None,
    "SlawatchTierAboutToBeCrossed": None,
    "SlawatchSchedulerLagging": "10m",
    "SlawatchStoreBacklog": "10m",
    "SlawatchNothingWritten": "1m",
    "SlawatchReloadRefused": None,
    "SlawatchResultsDropped": None,
    "SlawatchCertificateExpiringSoon": "10m",
    "SlawatchSLAFiguresStale": "1m",
    "SlawatchDown": "1m",
}


def test_every_alert_is_complete() -> None:
    """The alerts are all there, each with its `for`, a severity, and a summary and a
    description that names what it is about ($labels)."""
    found = alerts()

    assert set(found) >= set(ALERTS)
    for name, rule in found.items():
        assert name.startswith("Slawatch"), name
        assert rule.get("for") == ALERTS.get(name, rule.get("for")), name
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}, name
        assert set(rule["annotations"]) == {"summary", "description"}, name
        assert "$labels." in rule["annotations"]["description"], name
    assert found["SlawatchDown"]["expr"] == 'up{job="slawatch"} == 0'
    assert (
        found["SlawatchTierAboutToBeCrossed"]["expr"] == "slawatch_sla_next_tier_seconds < 30 * 60"
    )


def test_recording_rules_are_named_level_metric_operations() -> None:
    """Each recording rule is `level:metric:operations`, its metric is the one its expression
    reads, and the dashboard uses it."""
    queries = " ".join(expr for _, expr in dashboard_queries())
    records = recordings()

    assert records
    for name, rule in records.items():
        level, metric, operations = name.split(":")
        assert re.fullmatch(r"[a-z_]+", level), name
        assert re.fullmatch(r"[a-z0-9_]+", operations), name
        assert metric in rule["expr"], name
        assert name in queries, name


# ---------------------------------------------------------------------------------------------
# Metrics: every one named exists, with the labels used

FUNCTIONS = frozenset(
    [
        "abs",
        "absent",
        "absent_over_time",
        "avg_over_time",
        "ceil",
        "changes",
        "clamp",
        "clamp_max",
        "clamp_min",
        "count_over_time",
        "day_of_month",
        "day_of_week",
        "day_of_year",
        "days_in_month",
        "delta",
        "deriv",
        "exp",
        "floor",
        "histogram_quantile",
        "holt_winters",
        "hour",
        "idelta",
        "increase",
        "irate",
        "label_join",
        "label_replace",
        "last_over_time",
        "ln",
        "log10",
        "log2",
        "max_over_time",
        "min_over_time",
        "minute",
        "month",
        "predict_linear",
        "present_over_time",
        "quantile_over_time",
        "rate",
        "resets",
        "round",
        "scalar",
        "sgn",
        "sort",
        "sort_desc",
        "sqrt",
        "stddev_over_time",
        "stdvar_over_time",
        "sum_over_time",
        "time",
        "timestamp",
        "vector",
        "year",
        "sum",
        "min",
        "max",
        "avg",
        "group",
        "stddev",
        "stdvar",
        "count",
        "count_values",
        "bottomk",
        "topk",
        "quantile",
        "label_values",
    ]
)
KEYWORDS = frozenset(
    [
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
        "bool",
        "and",
        "or",
        "unless",
        "offset",
    ]
)
#: Labels Prometheus adds when it scrapes (job, instance), the scrape configuration (prober),
#: and a histogram's buckets (le).
ADDED_LABELS = frozenset({"job", "instance", "prober"})


def exported() -> dict[str, set[str]]:
    """Every series name a daemon exposes, with its labels (counters with ``_total``, a
    histogram's ``_bucket``/``_sum``/``_count``, an info's ``_info``)."""
    metrics = Metrics(CollectorRegistry(), "v1", "0")
    names: dict[str, set[str]] = {}
    for metric in vars(metrics).values():
        if not isinstance(metric, MetricWrapperBase):
            continue
        # prometheus_client has no public accessor for a metric's name, type and labels.
        name: str = getattr(metric, "_name")  # noqa: B009
        kind: str = getattr(metric, "_type")  # noqa: B009
        labels = set(getattr(metric, "_labelnames"))  # noqa: B009
        if kind == "counter":
            names[name + "_total"] = labels
        elif kind == "histogram":
            names.update({name + "_sum": labels, name + "_count": labels})
            names[name + "_bucket"] = labels | {"le"}
        elif kind == "info":
            names[name + "_info"] = {"version", "vantage"}
        else:
            names[name] = labels
    # The per-check series are written straight into the exposition, not by the registry.
    names.update(metrics.check_series.names())
    return names


def promql_names(expr: str) -> tuple[set[str], set[str]]:
    """The metric names and the functions a PromQL expression (or a Grafana query) uses."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # label values and other strings
    text = re.sub(r"\$\{[^}]*\}|\$\w+", "", text)  # Grafana's variables
    text = re.sub(r"\blabel_values\(([^,()]*),\s*\w+\s*\)", r"label_values(\1)", text)
    text = re.sub(r"\{[^}]*\}", "{}", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", "[]", text)  # ranges
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    text = re.sub(r"(?<![\w:.])\d+(?:\.\d+)?(?:e[+-]?\d+)?(?:ms|[smhdwy])?\b", " ", text)
    metrics, functions = set(), set()
    for match in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", text):
        word = match[0]
        if text[match.end() :].lstrip().startswith("("):
            functions.add(word)
        elif word not in KEYWORDS:
            metrics.add(word)
    return metrics, functions


def selectors(expr: str) -> Iterator[tuple[str, set[str]]]:
    """Each `metric{matchers}` of an expression, with the label names it matches on."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    for match in re.finditer(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{([^}]*)\}", text):
        yield match[1], set(re.findall(r"([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)", match[2]))


def test_the_name_extraction_sees_metrics_and_functions() -> None:
    """The extraction itself: names in matchers, ranges, offsets, by-clauses, strings and
    Grafana variables are not metrics; bare names and names before operators are."""
    expr = (
        'histogram_quantile(0.99, sum by (job, le) (rate(a_bucket{x=~"$v", y="up"}'
        "[$__rate_interval]))) > 1 and b offset 15m or c - time() < 14 * 86400 "
        'and on (service) label_values(d, service) unless e{z="f(g)"}'
    )

    assert promql_names(expr) == (
        {"a_bucket", "b", "c", "d", "e"},
        {"histogram_quantile", "sum", "rate", "time", "label_values"},
    )
    assert dict(selectors(expr)) == {"a_bucket": {"x", "y"}, "e": {"z"}}


def known_series() -> dict[str, set[str]]:
    """What a query may read, with its labels: the daemon's series, the recording rules of
    deploy/ (with the labels they aggregate by), and Prometheus's own `up`."""
    known = exported()
    for name, rule in recordings().items():
        by = re.findall(r"by \(([^)]*)\)", rule["expr"])[-1]
        known[name] = {label.strip() for label in by.split(",")}
    known["up"] = set()
    return known


def test_rules_and_dashboard_name_only_exported_metrics_with_their_labels() -> None:
    """Every metric an alert, a recording rule or a dashboard query reads is one the daemon
    exports, a recording rule of deploy/, or Prometheus's own `up`; every function is PromQL's;
    every label matched is one the series has."""
    known = known_series()
    queries = rule_queries() + dashboard_queries()

    used: set[str] = set()
    for where, expr in queries:
        metrics, functions = promql_names(expr)
        assert metrics, where
        assert metrics <= set(known), (where, metrics - set(known))
        assert functions <= FUNCTIONS, (where, functions - FUNCTIONS)
        for metric, labels in selectors(expr):
            assert labels <= known[metric] | ADDED_LABELS, (where, metric, labels)
        used |= metrics

    assert len(used) >= 40


# ---------------------------------------------------------------------------------------------
# The dashboard


def test_the_dashboard_is_self_contained_and_picks_its_data_source() -> None:
    """schemaVersion 39, no __inputs (it is provisioned, not imported), a `datasource` variable
    every panel and query uses, and a `service` variable from the quorum's series."""
    board = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    variables = {v["name"]: v for v in board["templating"]["list"]}

    assert board["schemaVersion"] == 39
    assert "__inputs" not in board
    assert board["uid"] == "slawatch"
    source = variables["datasource"]
    assert (source["type"], source["query"]) == ("datasource", "prometheus")
    service = variables["service"]
    assert service["type"] == "query"
    assert service["query"]["query"] == "label_values(slawatch_service_quorum_state, service)"
    assert service["datasource"]["uid"] == "${datasource}"
    assert service["multi"] is True
    assert service["includeAll"] is True


def test_every_panel_has_a_unique_id_a_place_and_queries_on_the_chosen_source() -> None:
    """Unique ids; panels inside the 24-column grid without overlapping; every panel but the
    rows has a description and queries, each with its own refId, on ${datasource}; a query of
    per-service series shows only the services chosen ($service)."""
    found = panels()
    ids = [p["id"] for p in found]
    per_service = {name for name, labels in known_series().items() if "service" in labels}
    cells: dict[tuple[int, int], int] = {}

    assert len(ids) == len(set(ids))
    for panel in found:
        grid = panel["gridPos"]
        assert grid["x"] >= 0
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        for x in range(grid["x"], grid["x"] + grid["w"]):
            for y in range(grid["y"], grid["y"] + grid["h"]):
                assert (x, y) not in cells, (panel["title"], cells.get((x, y)))
                cells[x, y] = panel["id"]
        assert panel["title"]
        if panel["type"] == "row":
            continue
        targets = panel["targets"]
        assert targets, panel["title"]
        assert panel.get("description"), panel["title"]
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        assert len({t["refId"] for t in targets}) == len(targets)
        for target in targets:
            assert target["datasource"]["uid"] == "${datasource}", panel["title"]
            for metric, labels in selectors(target["expr"]):
                if metric in per_service:
                    assert "service" in labels, (panel["title"], target["expr"])
            if promql_names(target["expr"])[0] & per_service:
                assert 'service=~"$service"' in target["expr"], (panel["title"], target["expr"])


def test_the_dashboard_shows_every_part_of_the_job() -> None:
    """Rows for the services' states, the probes, outages, failover events, credits,
    certificates and the daemons; the credits show each live SLA figure."""
    rows = [p["title"] for p in panels() if p["type"] == "row"]
    queries = " ".join(expr for _, expr in dashboard_queries())

    for word in ("Services", "Probes", "Outages", "Failover", "credits", "Certificates", "daemons"):
        assert any(word in row for row in rows), (word, rows)
    for metric in (
        "slawatch_sla_credit_accrued",
        "slawatch_sla_credited_seconds",
        "slawatch_sla_availability_ratio",
        "slawatch_sla_uptime_ratio",
        "slawatch_sla_next_tier_seconds",
        "probe_ssl_earliest_cert_expiry",
        "probe_success",
        "probe_duration_seconds",
        "slawatch_store_queue_depth",
        "slawatch_store_spool_depth",
        "slawatch_store_journal_depth",
        "slawatch_store_last_write_timestamp_seconds",
        "slawatch_config_reloads_total",
        "slawatch_store_dropped_total",
        "slawatch_scheduler_lag_seconds",
    ):
        assert metric in queries, metric


# ---------------------------------------------------------------------------------------------
# The systemd unit


def test_the_systemd_unit_runs_the_daemon_as_its_user_in_its_state_directory() -> None:
    """ExecStart is a command the CLI parses as `run`; the daemon runs as `slawatch`, in the
    state directory systemd makes for it, is restarted on failure and reloaded by SIGHUP."""
    unit = configparser.ConfigParser(interpolation=None, strict=True)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read_string((DEPLOY / "slawatch.service").read_text(encoding="utf-8"))
    service = unit["Service"]
    binary, *argv = shlex.split(service["ExecStart"])

    assert Path(binary).name == "slawatch"
    parsed = _parser().parse_args(argv)
    assert (parsed.command, parsed.config, parsed.log_format) == ("run", CONFIG_IN_IMAGE, "json")
    assert service["User"] == "slawatch"
    assert f"/var/lib/{service['StateDirectory']}" == service["WorkingDirectory"] == STATE
    assert service["Restart"] == "on-failure"
    assert service["ExecReload"] == "/bin/kill -HUP $MAINPID"
    assert unit["Install"]["WantedBy"] == "multi-user.target"


# ---------------------------------------------------------------------------------------------
# A real Prometheus scraping a real daemon


@contextlib.asynccontextmanager
async def running_prometheus(tmp_path: Path, daemon_port: int) -> AsyncIterator[str]:
    """Prometheus with prometheus.local.yml and every rule file, scraping the daemon at
    ``daemon_port`` every second; yields its base URL."""
    binary = tool_or_skip("prometheus", "prometheus")
    config = load_yaml(PROMETHEUS / "prometheus.local.yml")
    config["global"] = {"scrape_interval": "1s", "evaluation_interval": "1s"}
    config["scrape_configs"][0]["static_configs"][0]["targets"] = [f"127.0.0.1:{daemon_port}"]
    del config["alerting"]
    (tmp_path / "rules").mkdir()
    for path in RULES.glob("*.yaml"):
        shutil.copy(path, tmp_path / "rules" / path.name)
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    port = free_port()
    with (tmp_path / "prometheus.log").open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            binary,
            f"--config.file={tmp_path / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            stdout=log,
            stderr=log,
        )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await stop(process)


async def stop(process: asyncio.subprocess.Process) -> None:
    """SIGTERM, then SIGKILL if it has not ended within 30 s; reaped either way."""
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), 30)
    except TimeoutError:
        process.kill()
        await process.wait()


@contextlib.asynccontextmanager
async def running_daemon(tmp_path: Path, target_port: int) -> AsyncIterator[int]:
    """`slawatch run` probing the loopback target; yields the port of its HTTP surface."""
    port = free_port()
    config = tmp_path / "slawatch.yaml"
    config.write_text(
        f"""
vantage: v1
store: "sqlite:///{tmp_path / "s.db"}"
http: {{listen: "127.0.0.1:{port}"}}
contracts: {{c: {{timezone: UTC, currency: USD, daily_fee: "10.00"}}}}
services:
  - {{name: shop, contract: c, frontend: [{{name: home, type: http,
      url: "http://127.0.0.1:{target_port}/", interval: 1s, timeout: 500ms}}]}}
""",
        encoding="utf-8",
    )
    with (tmp_path / "daemon.log").open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "monitor.cli",
            "run",
            "--config",
            str(config),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=log,
        )
    try:
        yield port
    finally:
        await stop(process)


async def test_a_real_prometheus_relabels_the_probes_and_evaluates_every_rule(
    tmp_path: Path,
) -> None:
    """Prometheus scrapes a running daemon with the host configuration and loads every rule:
    the probe series carry the target as `instance` (and the daemon as `prober`), the daemon's
    own series keep its address, each rule evaluates without error, and the recording rules
    give the service's figures."""
    tool_or_skip("prometheus", "prometheus")
    async with (
        serve_target() as target,
        running_daemon(tmp_path, target.port) as daemon_port,
        running_prometheus(tmp_path, daemon_port) as base,
        aiohttp.ClientSession() as session,
    ):

        async def query(promql: str) -> list[Any]:
            try:
                async with session.get(f"{base}/api/v1/query", params={"query": promql}) as r:
                    body = await r.json()
            except aiohttp.ClientError:
                return []
            result: list[Any] = body["data"]["result"]
            return result

        async def rules() -> list[Any]:
            async with session.get(f"{base}/api/v1/rules") as response:
                found: list[Any] = (await response.json())["data"]["groups"]
                return found

        async def scraped_and_evaluated() -> bool:
            if not await query('probe_success{service="shop"} == 1'):
                return False
            evaluated = [r for g in await rules() for r in g["rules"]]
            return (
                bool(evaluated)
                and all(r.get("lastEvaluation", "0001").startswith("2") for r in evaluated)
                and bool(await query("service_state:slawatch_service_quorum_state:max"))
            )

        await wait_for(
            scraped_and_evaluated, "Prometheus to scrape the daemon and run the rules", 60
        )

        probe = (await query('probe_success{service="shop"}'))[0]["metric"]
        own = (await query("slawatch_checks"))[0]["metric"]
        evaluated = [r for g in await rules() for r in g["rules"]]
        down = await query('service_state:slawatch_service_quorum_state:max{state="down"}')
        up = await query('up{job="slawatch"}')

    assert probe["instance"] == probe["target"] == f"127.0.0.1:{target.port}"
    assert probe["prober"] == f"127.0.0.1:{daemon_port}"
    assert own["instance"] == f"127.0.0.1:{daemon_port}"
    assert "prober" not in own
    assert len(evaluated) == len(alerts()) + len(recordings())
    assert [(r["name"], r["lastError"]) for r in evaluated if r["health"] != "ok"] == []
    assert [(d["metric"], d["value"][1]) for d in down] == [
        (
            {
                "__name__": "service_state:slawatch_service_quorum_state:max",
                "service": "shop",
                "state": "down",
            },
            "0",
        )
    ]
    assert up[0]["value"][1] == "1"

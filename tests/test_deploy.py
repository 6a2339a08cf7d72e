"""The deployment files name only metrics the daemon exports, and parse."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from prometheus_client import CollectorRegistry

from monitor.daemon.metrics import Metrics

DEPLOY = Path(__file__).parent.parent / "deploy"


def exported() -> set[str]:
    """Every series name a daemon's registry can expose (counters with ``_total`` etc.)."""
    registry = CollectorRegistry()
    Metrics(registry, "v1", "0")
    names: set[str] = set()
    for family in registry.collect():
        names.add(family.name)
        suffixes = {
            "counter": ("_total", "_created"),
            "histogram": ("_bucket", "_sum", "_count", "_created"),
            "info": ("_info",),
        }.get(family.type, ())
        names.update(family.name + suffix for suffix in suffixes)
    return names


def test_every_alert_uses_exported_metrics() -> None:
    """Each rule's expression names only slawatch metrics that exist; each rule is complete."""
    rules = yaml.safe_load((DEPLOY / "alerts.yml").read_text())["groups"][0]["rules"]
    known = exported()

    assert len(rules) >= 5
    for rule in rules:
        assert {"alert", "expr", "labels", "annotations"} <= rule.keys()
        used = set(re.findall(r"\bslawatch_[a-z_]+", rule["expr"]))
        assert used, rule["alert"]
        assert used <= known, (rule["alert"], used - known)


def test_the_scrape_config_loads_the_rules() -> None:
    """prometheus.yml scrapes the daemon's default address and loads alerts.yml."""
    config = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())

    assert config["rule_files"] == ["alerts.yml"]
    assert config["scrape_configs"][0]["static_configs"][0]["targets"] == ["127.0.0.1:9464"]

"""Generated input, valid and broken, never breaks slawatch: configurations and case files give a
valid object or one clean error, and every API route answers random bodies with a 2xx or a 4xx
carrying a JSON error, never a 500."""

from __future__ import annotations

import asyncio
import http.client
import json
import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry

from monitor.case.format import Case, load_case
from monitor.clock import FakeClock
from monitor.config.settings import Settings, parse_settings
from monitor.daemon.runner import Daemon
from monitor.errors import ConfigError, InputError
from monitor.store.sqlite import SQLiteStore
from sla import CreditResult, SLAError

from .monitor.api_client import TOKEN, config

#: Modest: the three suites together take well under a minute, on two shared cores.
FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# ---------------------------------------------------------------------------------------------
# Documents as trees whose leaves are written as they are: YAML tokens, or JSON values.

Tree = Any
Path_ = tuple[str | int, ...]


def _paths(tree: Tree, at: Path_ = ()) -> list[Path_]:
    found = [at]
    if isinstance(tree, dict):
        for key, value in tree.items():
            found += _paths(value, (*at, key))
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            found += _paths(value, (*at, index))
    return found


def _replaced(tree: Tree, at: Path_, value: Tree, *, remove: bool = False) -> Tree:
    """``tree`` with the node at ``at`` replaced by ``value`` (or removed)."""
    if not at:
        return value
    head, rest = at[0], at[1:]
    if isinstance(tree, dict):
        copy = dict(tree)
        if remove and not rest:
            del copy[head]
        else:
            copy[head] = _replaced(tree[head], rest, value, remove=remove)
        return copy
    copy_list = list(tree)
    assert isinstance(head, int)
    if remove and not rest:
        del copy_list[head]
    else:
        copy_list[head] = _replaced(tree[head], rest, value, remove=remove)
    return copy_list


@st.composite
def mutated(draw: st.DrawFn, base: Tree, leaves: st.SearchStrategy[Tree], keys: list[str]) -> Tree:
    """``base`` with a few of its nodes replaced by generated values, removed, or given an
    extra key: mostly valid documents with a broken spot, and some valid ones."""
    tree = base
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.sampled_from(_paths(tree)))
        action = draw(st.sampled_from(["replace", "replace", "remove", "add"]))
        node: Tree = tree
        for part in at:
            node = node[part]
        if action == "remove" and at:
            tree = _replaced(tree, at, None, remove=True)
        elif action == "add" and isinstance(node, dict):
            tree = _replaced(tree, at, {**node, draw(st.sampled_from(keys)): draw(leaves)})
        elif action == "add" and isinstance(node, list):
            tree = _replaced(tree, at, [*node, draw(leaves)])
        else:
            tree = _replaced(tree, at, draw(leaves))
    return tree


def _broken(draw: st.DrawFn, text: str, alphabet: str) -> str:
    """``text``, sometimes with a few characters inserted, deleted or cut off."""
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2]))):
        where = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "cut"]))
        if action == "insert":
            text = text[:where] + draw(st.text(alphabet, min_size=1, max_size=3)) + text[where:]
        elif action == "delete":
            text = text[:where] + text[where + 1 :]
        else:
            text = text[:where]
    return text


# ---------------------------------------------------------------------------------------------
# Configurations


def _field_names(model: type[Any], seen: set[type[Any]] | None = None) -> set[str]:
    """Every field name of the settings, however deep."""
    seen = set() if seen is None else seen
    names: set[str] = set()
    if model in seen or not hasattr(model, "model_fields"):
        return names
    seen.add(model)
    for name, field in model.model_fields.items():
        names.add(name)
        for kind in _inner_types(field.annotation):
            names |= _field_names(kind, seen)
    return names


def _inner_types(annotation: Any) -> Iterator[Any]:
    yield annotation
    for argument in getattr(annotation, "__args__", ()):
        yield from _inner_types(argument)
    for meta in getattr(annotation, "__metadata__", ()):
        yield from _inner_types(meta)


CONFIG_KEYS = sorted(_field_names(Settings))

CONFIG: Tree = {
    "vantage": "v1",
    "store": '"sqlite:///fuzz.db"',
    "http": {"listen": '"127.0.0.1:0"', "api_token": '"${TOKEN:-t0ken}"'},
    "max_concurrency": "10",
    "sla_refresh": "10s",
    "retention_days": "90",
    "spool": {"max_memory": "1000"},
    "contracts": {
        "c": {"timezone": "Asia/Shanghai", "currency": "CNY", "daily_fee": '"144.00"'},
        "t": {
            "credit_policy": "uptime_tiers",
            "currency": "USD",
            "monthly_fee": "3100.00",
            "tiers": [{"below": '"99.9"', "percent": "10"}],
        },
    },
    "services": [
        {
            "name": "shop",
            "contract": "c",
            "frontend": [
                {"name": "home", "type": "http", "url": '"http://127.0.0.1:1/"', "interval": "10s"}
            ],
            "nodes": [{"name": "n1", "type": "tcp", "host": "127.0.0.1", "port": "9"}],
            "dns": {"name": "shop.example.com"},
            "quorum": "majority",
        }
    ],
    "canaries": [{"name": "ref", "type": "dns", "query": "example.org", "record": "A"}],
    "notify": {"webhooks": [{"url": '"http://127.0.0.1:1/"', "format": "json"}]},
}

#: YAML scalars as written: valid ones, and every kind the loader has to refuse.
YAML_TOKENS = [
    "1", "0", "-1", "10", "1.5", "144.00", '"144.00"', "1.0e+400", "1.0e-400", ".nan", ".inf",
    "-.inf", ".NaN", "9" * 60, "9" * 5000, "0x" + "f" * 200, "0o17", "0b101", "1:30", "1:30.5",
    "1_000", "~", "null", "true", "no", "yes", "2026-10-05", "2026-13-45", "2026-10-05T10:00:00Z",
    "2026-02-30 25:61:61", "10s", "5m", "1h30m", '"250ms"', "-5s", "0s", "soon", "UTC",
    "Asia/Shanghai", "Mars/Olympus", "CNY", "per_minute", "uptime_tiers", "clock_minute", "http",
    "tcp", "dns", "majority", "any", '"http://127.0.0.1:1/"', '"https://u:p@h/?k=v"', '"ftp://x"',
    '"sqlite:///x.db"', '"postgresql://u:secret@127.0.0.1/db"', '"${UNSET}"', '"${UNSET:-ok}"',
    '"${TOKEN}"', "''", '""', '"\\x00"', '"\\uD800"', "&a [1, 2]", "*a", "*undefined", "&b {x: 1}",
    "!!binary aGVsbG8=", "!!binary !!!", "!!float '1'", "!!int 'x'", "!!timestamp 'x'",
    "!!python/object:os.system x", "!!set {a, b}", "!!omap [a: 1]", "[]", "{}", "[[[[[[]]]]]]",
    "{<<: *a}", "'" + "x" * 3000 + "'", "é", "\ud7ff",
]  # fmt: skip


def yaml_leaves() -> st.SearchStrategy[Tree]:
    """A YAML token, or a small flow list or mapping of them."""
    token = st.sampled_from(YAML_TOKENS)
    return st.recursive(
        token,
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(st.sampled_from(CONFIG_KEYS), inner, max_size=3)
        ),
        max_leaves=6,
    )


def to_yaml(tree: Tree) -> str:
    """The tree in YAML flow style, each leaf token written as it is."""
    if isinstance(tree, dict):
        return "{" + ", ".join(f"{key}: {to_yaml(value)}" for key, value in tree.items()) + "}"
    if isinstance(tree, list):
        return "[" + ", ".join(to_yaml(value) for value in tree) + "]"
    return str(tree)


@st.composite
def config_texts(draw: st.DrawFn) -> str:
    """A configuration: the base with a few nodes changed, written in block style at the top,
    sometimes with a few characters broken."""
    tree = draw(mutated(CONFIG, yaml_leaves(), CONFIG_KEYS))
    if isinstance(tree, dict):
        text = "".join(f"{key}: {to_yaml(value)}\n" for key, value in tree.items())
    else:
        text = to_yaml(tree) + "\n"
    return _broken(draw, text, ":{}[],&*!|>'\"-#%@`\n\t ")


def test_the_base_configuration_is_valid() -> None:
    """The fuzzing starts from a configuration that loads, so its mutations reach validation."""
    settings_ = parse_settings(
        "".join(f"{key}: {to_yaml(value)}\n" for key, value in CONFIG.items()), "f.yaml", {}
    )
    assert [s.name for s in settings_.services] == ["shop"]


def settings_or_refusal(text: str, environ: dict[str, str]) -> tuple[Settings | None, str | None]:
    """The settings of ``text``, or the lines of the ConfigError refusing it."""
    try:
        return parse_settings(text, "f.yaml", environ), None
    except ConfigError as error:
        return None, str(error)


@FUZZ
@given(config_texts())
def test_a_configuration_is_valid_or_refused_in_lines_naming_the_file(text: str) -> None:
    """Settings, or a ConfigError of short lines each naming the file: nothing else."""
    loaded, refusal = settings_or_refusal(text, {"TOKEN": "t0ken"})
    if refusal is None:
        assert isinstance(loaded, Settings)
    else:
        lines = refusal.split("\n")
        assert all(line.startswith("f.yaml: ") for line in lines), lines
        assert all(len(line) < 1000 for line in lines), lines


@FUZZ
@given(st.text(":{}[],&*!|>'\"-#%@` \n\tabc019.~=<$", max_size=200))
def test_any_short_text_is_valid_or_refused(text: str) -> None:
    """Text from YAML's punctuation, parsed as a configuration."""
    _, refusal = settings_or_refusal(text, {})
    assert refusal is None or all(line.startswith("f.yaml: ") for line in refusal.split("\n"))


# ---------------------------------------------------------------------------------------------
# Cases

CASE: Tree = {
    "contract": {
        "timezone": "Asia/Shanghai",
        "currency": "CNY",
        "daily_fee": "144.00",
        "rounding": "per_outage",
    },
    "period": {"start": "2026-10-01", "end": "2026-10-31"},
    "fees": {"2026-10-05": "150.00"},
    "outages": [
        {"start": "2026-10-05T01:00:00Z", "end": "2026-10-05T02:00:00Z"},
        {"start": "2026-10-06T01:00:00+08:00", "end": "2026-10-06T02:30:00+08:00", "id": 7},
    ],
    "exclusions": [
        {
            "start": "2026-10-05T01:10:00Z",
            "end": "2026-10-05T01:20:00Z",
            "reason": "maintenance",
            "announced_at": "2026-10-01T00:00:00Z",
        }
    ],
    "gaps": [{"start": "2026-10-07T00:00:00Z", "end": "2026-10-07T00:10:00Z"}],
    "termination": {"date": "2026-10-20", "prepaid": "4464.00"},
}
CASE_KEYS = [
    *CASE,
    *CASE["contract"],
    "credit_policy", "monthly_fee", "tiers", "below", "percent", "gap_policy", "minor_units",
    "credit_multiplier", "maintenance_notice_hours", "maintenance_max_minutes",
    "min_downtime_minutes", "max_credit_percent", "downtime_minutes", "start", "end", "reason",
    "announced_at", "date", "prepaid", "meta", "case", "expected",
]  # fmt: skip
CASE_VALUES = [
    "2026-10-05T01:00:00Z", "2026-10-05T00:00:00-23:59", "9999-12-31T23:59:59-23:59",
    "0001-01-01T00:00:00+23:59", "2026-02-30T00:00:00Z", "2026-10-05T24:00:00Z",
    "2026-10-05T23:59:60Z", "2026-10-05T01:00:00.1234567Z", "2026-10-05", "2026-10", "0001-01-01",
    "9999-12-31", "2026-13-01", "144.00", "1e400", "1e999999999", "-1", "NaN", "Infinity",
    "0.0000000000001", "999999999999999.999999999999", "per_day", "clock_minute", "whole_minutes",
    "uptime_tiers", "down", "customer", "force_majeure", "third_party", "UTC", "Pacific/Apia",
    "Nowhere/Else", "USD", "usd", "",
]  # fmt: skip


def json_values() -> st.SearchStrategy[Any]:
    """JSON values: the case's own vocabulary, and anything else JSON can hold."""
    scalars = (
        st.sampled_from(CASE_VALUES)
        | st.none()
        | st.booleans()
        | st.integers(-(10**50), 10**50)
        | st.floats(allow_nan=True, allow_infinity=True)
        | st.text(max_size=20)
    )
    return st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(st.sampled_from(CASE_KEYS) | st.text(max_size=5), inner, max_size=4)
        ),
        max_leaves=8,
    )


@st.composite
def case_texts(draw: st.DrawFn) -> str:
    """A case file: the base with a few nodes changed, sometimes wrapped as a worked example,
    sometimes with a few characters broken."""
    tree = draw(mutated(CASE, json_values(), CASE_KEYS))
    if draw(st.booleans()) and isinstance(tree, dict) and "contract" in tree:
        tree = {"case": tree, "expected": {}}
    text = json.dumps(tree, indent=draw(st.sampled_from([None, 1])))
    return _broken(draw, text, '{}[],:"\\0123456789eE.-+ ntf')


def test_the_base_case_is_valid() -> None:
    """The fuzzing starts from a case that computes."""
    result = load_case(json.dumps(CASE)).credits()
    assert isinstance(result, CreditResult)
    assert result.termination is not None


def case_or_refusal(text: str) -> tuple[Case | None, str | None]:
    """The case of ``text``, or the InputError refusing it."""
    try:
        return load_case(text), None
    except InputError as error:
        return None, str(error)


@FUZZ
@given(case_texts())
def test_a_case_is_valid_or_refused_in_one_line(text: str) -> None:
    """A case and its credits, or one line naming what is wrong: nothing else."""
    case, refusal = case_or_refusal(text)
    if refusal is not None:
        assert "\n" not in refusal
        assert 0 < len(refusal) < 1000, refusal
        return
    assert isinstance(case, Case)
    try:
        case.credits()
    except SLAError as error:  # the engine's refusals: a fee missing for a day, say
        refusal = str(error)
    assert refusal is None or "\n" not in refusal


@FUZZ
@given(st.text('{}[],:"\\0123456789eE.-+ ntfalsru', max_size=120))
def test_any_short_text_is_a_case_or_one_line(text: str) -> None:
    """Text from JSON's punctuation, read as a case."""
    _, refusal = case_or_refusal(text)
    assert refusal is None or "\n" not in refusal


# ---------------------------------------------------------------------------------------------
# The API: a real HTTP surface on loopback, served from its own event loop


class Surface:
    """The daemon's HTTP surface, started on a free loopback port in a thread of its own."""

    def __init__(self, directory: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.directory = directory
        self.store = SQLiteStore(directory / "x.db")
        self.daemon: Daemon | None = None

    def _run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(60)

    def start(self) -> str:
        self.thread.start()

        async def started() -> str:
            await self.store.open()
            settings_ = parse_settings(config(self.directory / "x.db"), "x.yaml")
            self.daemon = Daemon(
                settings_, clock=FakeClock(), store=self.store, registry=CollectorRegistry()
            )
            await self.daemon.http.start("127.0.0.1", 0)
            return self.daemon.http.address

        address: str = self._run(started())
        return address

    def stop(self) -> None:
        async def stopped() -> None:
            if self.daemon is not None:
                await self.daemon.http.stop()
            await self.store.close()

        try:
            self._run(stopped())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(60)
            self.loop.close()


@pytest.fixture(scope="module")
def surface(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    running = Surface(tmp_path_factory.mktemp("surface"))
    address = running.start()
    host, _, port = address.rpartition(":")
    try:
        yield host, int(port)
    finally:
        running.stop()


API_KEYS = ["service", "start", "end", "reason", "note", "announced_at", "at", "ref", "by"]
API_VALUES = [
    "shop", "other", "2026-09-30T10:00:00Z", "2026-09-30T11:00:00+08:00", "2027-01-01T00:00:00Z",
    "9999-12-31T23:00:00-05:00", "customer", "maintenance", "x", " ", "alice", "x" * 3000,
]  # fmt: skip


def api_bodies() -> st.SearchStrategy[bytes]:
    """Bodies: objects of the API's fields, any JSON value, and bytes that are not JSON."""
    value = st.sampled_from(API_VALUES) | json_values()
    objects = st.dictionaries(st.sampled_from(API_KEYS), value, max_size=7)
    return (
        objects.map(lambda body: json.dumps(body).encode())
        | json_values().map(lambda body: json.dumps(body).encode())
        | st.binary(max_size=64)
        | st.text(max_size=64).map(str.encode)
    )


def api_routes() -> st.SearchStrategy[str]:
    ids = st.integers(0, 10**30).map(str) | st.sampled_from(["1", "0", "9" * 400])
    return st.sampled_from(["/api/exclusions", "/api/notices"]) | st.builds(
        lambda kind, ident: f"/api/{kind}/{ident}/revoke",
        st.sampled_from(["exclusions", "notices"]),
        ids,
    )


@FUZZ
@given(route=api_routes(), body=api_bodies(), token=st.sampled_from([TOKEN, TOKEN, "wrong"]))
def test_every_api_route_answers_any_body_without_a_500(
    surface: tuple[str, int], route: str, body: bytes, token: str
) -> None:
    """2xx with a JSON object, or 4xx with a JSON error of one line."""
    host, port = surface
    connection = http.client.HTTPConnection(host, port, timeout=30)
    try:
        connection.request(
            "POST",
            route,
            body=body,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        response = connection.getresponse()
        status, data = response.status, response.read()
        kind = response.getheader("Content-Type", "")
    finally:
        connection.close()
    assert 200 <= status < 500, (status, data[:300])
    assert kind.startswith("application/json"), (status, kind, data[:300])
    answer = json.loads(data)
    if status >= 400:
        assert set(answer) == {"error"}, answer
        assert "\n" not in answer["error"]
        assert len(answer["error"]) < 1000
    else:
        assert isinstance(answer, dict)


def test_json_numbers_stay_exact() -> None:
    """The JSON reader of case files and API bodies keeps a number exact, never a float."""
    document = load_case(json.dumps({**CASE, "fees": {"2026-10-05": 150.125}}))
    assert document.fees[next(iter(document.fees))] == Decimal("150.125")

"""Exclusions, managed through the JSON API (with its bearer token) and `slawatch exclude`."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from monitor.clock import FakeClock
from monitor.config.settings import parse_settings
from monitor.daemon.runner import Daemon
from monitor.store.sqlite import SQLiteStore

from ..api_client import TOKEN, Api, config, serve

MAINTENANCE = {
    "service": "shop",
    "start": "2026-10-05T02:00:00+08:00",
    "end": "2026-10-05T03:00:00+08:00",
    "reason": "maintenance",
    "announced_at": "2026-10-03T09:00:00Z",
    "note": "announced by mail, ticket 4411",
    "by": "alice",
}


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    async for made in serve(tmp_path, TOKEN):
        yield made


async def test_the_api_adds_lists_and_revokes_with_an_audit_trail(api: Api) -> None:
    """An exclusion added through the API is listed with who added it; revoking keeps it,
    marked with who revoked it and why; a second revocation conflicts."""
    status, added, _ = await api.call("POST", "/api/exclusions", MAINTENANCE)
    assert status == 201
    assert added["start"] == "2026-10-04T18:00:00Z"
    assert added["added_by"] == "api:alice"
    assert added["revoked"] is None

    status, revoked, _ = await api.call(
        "POST", f"/api/exclusions/{added['id']}/revoke", {"note": "wrong day", "by": "bob"}
    )
    assert status == 200
    assert revoked["revoked"]["by"] == "api:bob"
    assert revoked["revoked"]["note"] == "wrong day"

    status, listed, _ = await api.call("GET", "/api/exclusions?service=shop")
    assert (status, listed) == (200, [revoked])
    status, body, _ = await api.call(
        "POST", f"/api/exclusions/{added['id']}/revoke", {"note": "again"}
    )
    assert (status, body) == (409, {"error": f"exclusion {added['id']} is already revoked"})
    status, body, _ = await api.call("POST", "/api/exclusions/999/revoke", {"note": "x"})
    assert (status, body) == (404, {"error": "no exclusion 999"})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param({"end": "2026-10-05T01:00:00+08:00"}, "end: ", id="end-before-start"),
        pytest.param({"reason": "holiday"}, "body: reason: ", id="unknown-reason"),
        pytest.param({"service": "nope"}, "service: unknown service 'nope'", id="unknown-service"),
        pytest.param({"note": ""}, "body: note: ", id="empty-note"),
        pytest.param({"start": "2026-10-05 02:00"}, "body: start: ", id="no-offset"),
        pytest.param({"extra": 1}, "body: extra: ", id="unknown-field"),
        pytest.param({"by": 7}, "by: expected a name", id="by-not-text"),
    ],
)
async def test_bad_input_is_a_400_naming_the_field(
    api: Api, change: dict[str, Any], message: str
) -> None:
    """Each mistake is refused with one line that names the field; nothing is stored."""
    status, body, _ = await api.call("POST", "/api/exclusions", {**MAINTENANCE, **change})

    assert status == 400
    assert message in body["error"]
    assert "\n" not in body["error"]
    assert (await api.call("GET", "/api/exclusions"))[1] == []


async def test_a_body_that_is_not_an_object_is_refused(api: Api) -> None:
    """A JSON list (or no JSON at all) is a 400."""
    assert (await api.call("POST", "/api/exclusions", [1]))[0] == 400
    async with api.session.post(
        api.base + "/api/exclusions",
        data=b"not json",
        headers={"Authorization": f"Bearer {TOKEN}"},
    ) as response:
        assert response.status == 400


@pytest.mark.parametrize("token", [None, "wrong", TOKEN + "x"], ids=["none", "wrong", "longer"])
async def test_without_the_token_nothing_is_read_or_changed(api: Api, token: str | None) -> None:
    """A missing or wrong bearer token is a 401 with a Bearer challenge."""
    for method, path, body in (
        ("GET", "/api/exclusions", None),
        ("POST", "/api/exclusions", MAINTENANCE),
        ("POST", "/api/exclusions/1/revoke", {"note": "x"}),
    ):
        status, _, headers = await api.call(method, path, body, token=token)
        assert status == 401
        assert headers["WWW-Authenticate"].startswith("Bearer")
    assert (await api.call("GET", "/api/exclusions"))[1] == []


async def test_a_huge_value_is_quoted_as_a_short_excerpt(api: Api) -> None:
    """An error quotes only the beginning of a refused value, however long it is."""
    status, body, _ = await api.call(
        "POST", "/api/exclusions", {**MAINTENANCE, "start": "x" * 100_000}
    )

    assert status == 400
    assert body["error"].startswith("body: start: expected an RFC 3339 instant")
    assert "(100000 characters)" in body["error"]
    assert len(body["error"]) < 200


@pytest.mark.parametrize("header", ["Bearer ", "Bearer", "bearer  ", ""])
async def test_an_empty_bearer_token_is_refused(api: Api, header: str) -> None:
    """`Authorization: Bearer ` with nothing after it is a 401, and nothing is stored."""
    async with api.session.post(
        api.base + "/api/exclusions", json=MAINTENANCE, headers={"Authorization": header}
    ) as response:
        assert response.status == 401
    assert (await api.call("GET", "/api/exclusions"))[1] == []


async def test_an_empty_configured_token_never_matches(tmp_path: Path) -> None:
    """Even with an empty token in force (the configuration refuses one), `Bearer ` is a 401."""
    store = SQLiteStore(tmp_path / "x.db")
    await store.open()
    settings = parse_settings(config(tmp_path / "x.db"), "x.yaml")
    empty = settings.http.model_copy(update={"api_token": SecretStr("")})
    daemon = Daemon(
        settings.model_copy(update={"http": empty}),
        clock=FakeClock(),
        store=store,
        registry=CollectorRegistry(),
    )
    await daemon.http.start("127.0.0.1", 0)
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                f"http://{daemon.http.address}/api/exclusions",
                json=MAINTENANCE,
                headers={"Authorization": "Bearer "},
            ) as response,
        ):
            assert response.status == 401
        assert await store.exclusions() == []
    finally:
        await daemon.http.stop()
        await store.close()


async def test_without_a_configured_token_the_api_is_off(tmp_path: Path) -> None:
    """No http.api_token: every exclusions call is a 403 saying how to turn it on."""
    async for api in serve(tmp_path, None):
        status, body, _ = await api.call("POST", "/api/exclusions", MAINTENANCE, token=TOKEN)
        assert status == 403
        assert "http.api_token" in body["error"]


# The command line.


def slawatch(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_cli_adds_lists_and_revokes(tmp_path: Path) -> None:
    """`exclude add` prints the new exclusion, `list` shows it (text and JSON), `revoke` marks
    it with who and why, and it is still listed."""
    path = tmp_path / "slawatch.yaml"
    path.write_text(config(tmp_path / "x.db"), encoding="utf-8")
    common = ("--config", str(path))

    added = slawatch(
        "exclude", "add", *common, "--service", "shop",
        "--start", "2026-10-05T02:00:00+08:00", "--end", "2026-10-05T03:00:00+08:00",
        "--reason", "force_majeure", "--note", "typhoon", "--by", "carol",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert added.stdout.startswith("#1 shop 2026-10-04T18:00:00Z -> 2026-10-04T19:00:00Z")
    assert "force_majeure [accepted in full (C5)] added by carol at " in added.stdout

    revoked = slawatch("exclude", "revoke", *common, "1", "--note", "it was not", "--by", "dan")
    assert revoked.returncode == 0, revoked.stderr
    assert "[REVOKED by dan at " in revoked.stdout
    assert ": it was not] added by carol at " in revoked.stdout

    listed = slawatch("exclude", "list", *common, "--format", "json")
    assert listed.returncode == 0, listed.stderr
    (record,) = json.loads(listed.stdout)
    assert record["note"] == "typhoon"
    assert record["revoked"]["by"] == "dan"
    assert record["revoked"]["note"] == "it was not"
    assert record["decision"] == {
        "status": "revoked",
        "acceptance": None,
        "explanation": "revoked: not applied",
        "applied": None,
    }
    text = slawatch("exclude", "list", *common)
    assert text.stdout.count("\n") == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ("--start", "2026-10-05T03:00:00Z", "--end", "2026-10-05T02:00:00Z"),
            "slawatch: exclude add: end: ",
            id="end-before-start",
        ),
        pytest.param(
            ("--start", "yesterday", "--end", "2026-10-05T02:00:00Z"),
            "slawatch: exclude add: start: ",
            id="bad-instant",
        ),
    ],
)
def test_the_cli_refuses_bad_input_in_one_line(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    """Bad input: one line naming the field, exit 2, nothing stored."""
    path = tmp_path / "slawatch.yaml"
    path.write_text(config(tmp_path / "x.db"), encoding="utf-8")

    done = slawatch(
        "exclude", "add", "--config", str(path), "--service", "shop", *args,
        "--reason", "customer", "--note", "n", "--by", "x",
    )  # fmt: skip

    assert done.returncode == 2
    assert done.stderr.startswith(message)
    assert done.stderr.count("\n") == 1
    listed = slawatch("exclude", "list", "--config", str(path))
    assert listed.stdout == ""


@pytest.mark.parametrize(
    ("ident", "message"),
    [
        pytest.param("9", "slawatch: exclude revoke: no exclusion 9\n", id="unknown"),
        pytest.param("1", "slawatch: exclude revoke: exclusion 1 is already revoked\n", id="again"),
    ],
)
def test_revoking_what_cannot_be_revoked_says_so_in_the_users_words(
    tmp_path: Path, ident: str, message: str
) -> None:
    """An unknown id, or one already revoked, is bad input (exit 2) in one line speaking of the
    command, never of the code behind it."""
    path = tmp_path / "slawatch.yaml"
    path.write_text(config(tmp_path / "x.db"), encoding="utf-8")
    common = ("--config", str(path))
    added = slawatch(
        "exclude", "add", *common, "--service", "shop", "--start", "2026-10-05T02:00:00Z",
        "--end", "2026-10-05T03:00:00Z", "--reason", "customer", "--note", "n", "--by", "x",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert slawatch("exclude", "revoke", *common, "1", "--note", "n", "--by", "x").returncode == 0

    done = slawatch("exclude", "revoke", *common, ident, "--note", "again", "--by", "x")

    assert (done.returncode, done.stderr) == (2, message)


#: Maintenances of 02:00-08:00 on 5 October (Shanghai) and when each was announced, against the
#: default terms (24 h of notice, 240 minutes at most), with the decision `exclude list` shows.
DECISIONS = [
    (
        "2026-10-01T09:00:00+08:00",
        "accepted for its first 240 min (maintenance_max_minutes) of 6 h: announced 3 d 17 h before"
        " its start, the contract needs 24 h of notice (C6)",
    ),
    (
        "2026-10-04T02:00:00.5+08:00",
        "refused: announced 23 h 59 min 59 s before its start, the contract needs 24 h of notice"
        " (C6)",
    ),
    (
        "2026-10-05T03:00:00+08:00",
        "refused: announced 1 h after its start, the contract needs 24 h of notice (C6)",
    ),
    (None, "refused: never announced, the contract needs 24 h of notice (C6)"),
]


def test_the_list_shows_the_contract_s_decision(tmp_path: Path) -> None:
    """Each maintenance with what the contract decides, in the report's words: its first 240
    minutes, refused for notice half a second short (never rounded up to 24 h), announced after
    its start, never announced; a short one accepted in full."""
    path = tmp_path / "slawatch.yaml"
    path.write_text(config(tmp_path / "x.db"), encoding="utf-8")
    common = ("--config", str(path))
    for announced, _ in DECISIONS:
        added = slawatch(
            "exclude", "add", *common, "--service", "shop", "--reason", "maintenance",
            "--start", "2026-10-05T02:00:00+08:00", "--end", "2026-10-05T08:00:00+08:00",
            *(("--announced-at", announced) if announced else ()), "--note", "m", "--by", "x",
        )  # fmt: skip
        assert added.returncode == 0, added.stderr
    short = slawatch(
        "exclude", "add", *common, "--service", "shop", "--reason", "maintenance",
        "--start", "2026-10-05T02:00:00+08:00", "--end", "2026-10-05T03:00:00+08:00",
        "--announced-at", "2026-10-01T02:00:00+08:00", "--note", "m", "--by", "x",
    )  # fmt: skip
    assert short.returncode == 0, short.stderr
    assert "[accepted in full: announced 4 d before its start, the contract needs 24 h" in (
        short.stdout
    )

    listed = slawatch("exclude", "list", *common)

    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert len(lines) == len(DECISIONS) + 1
    for line, (_, decision) in zip(lines, DECISIONS, strict=False):
        assert f"[{decision}] added by x at " in line
    records = json.loads(slawatch("exclude", "list", *common, "--format", "json").stdout)
    assert [(r["decision"]["status"], r["decision"]["acceptance"]) for r in records] == [
        ("applied in part", "first_part"),
        ("refused", "announced_late"),
        ("refused", "announced_late"),
        ("refused", "not_announced"),
        ("applied", "in_full"),
    ]
    assert records[0]["decision"]["applied"] == {
        "start": "2026-10-04T18:00:00Z",
        "end": "2026-10-04T22:00:00Z",
    }
    assert records[1]["decision"]["applied"] is None


def test_the_list_says_when_no_contract_decides(tmp_path: Path) -> None:
    """An exclusion of a service no longer configured is listed, saying no contract decides it."""
    path = tmp_path / "slawatch.yaml"
    path.write_text(config(tmp_path / "x.db"), encoding="utf-8")
    added = slawatch(
        "exclude", "add", "--config", str(path), "--service", "shop", "--reason", "customer",
        "--start", "2026-10-05T02:00:00Z", "--end", "2026-10-05T03:00:00Z", "--note", "n",
        "--by", "x",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    path.write_text(config(tmp_path / "x.db").replace("name: shop", "name: shop-2"), "utf-8")

    listed = slawatch("exclude", "list", "--config", str(path))
    as_json = slawatch("exclude", "list", "--config", str(path), "--format", "json")

    assert listed.returncode == 0, listed.stderr
    assert "[no decision: service 'shop' is not configured] added by x" in listed.stdout
    assert json.loads(as_json.stdout)[0]["decision"] is None

"""Provider notices (C4): matched to outages by a pure rule, managed through the JSON API (with its
bearer token) and `slawatch notice`."""

from __future__ import annotations

import argparse
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.annotations.notices import (
    NewNotice,
    add_notice,
    assign_notices,
    last_notice_at,
    match_notices,
    notice_to_json,
)
from monitor.cli.notice import add_notice_commands
from monitor.config.settings import parse_settings
from monitor.errors import InputError
from monitor.evidence import NoticeRecord
from monitor.store.sqlite import SQLiteStore
from sla import Interval

from ..api_client import TOKEN, Api, config, serve

#: The FakeClock's wall time when a test starts: the daemon's "now".
NOW = datetime(2026, 10, 1, tzinfo=UTC)
T0 = datetime(2026, 10, 5, 2, tzinfo=UTC)
MICRO = timedelta(microseconds=1)


def minutes(value: float) -> datetime:
    """``value`` minutes after T0."""
    return T0 + timedelta(minutes=value)


# Matching: a notice answers the latest outage that started (15 min of allowance) before it,
# within 24 h of that outage's end; each outage gets its earliest.

DAY = 24 * 60


def outages(*spans: tuple[float, float]) -> list[Interval]:
    """Outages as (start, end) in minutes after T0."""
    return [Interval(minutes(start), minutes(end)) for start, end in spans]


def notices(*at: float, revoked: tuple[int, ...] = ()) -> list[NoticeRecord]:
    """Notices at these minutes after T0, with ids from 1; ``revoked`` are indices."""
    return [
        NoticeRecord(
            service="shop",
            at=minutes(value),
            ref=f"notice {index + 1}",
            added_by="alice",
            added_at=NOW,
            revoked_at=NOW if index in revoked else None,
            id=index + 1,
        )
        for index, value in enumerate(at)
    ]


@pytest.mark.parametrize(
    ("spans", "given", "answers"),
    [
        pytest.param([(0, 10)], notices(12), [0], id="after-the-start"),
        pytest.param([(0, 10)], notices(0), [0], id="at-the-start"),
        pytest.param([(0, 10)], notices(5), [0], id="while-down"),
        pytest.param([(0, 10)], notices(-15), [0], id="fifteen-minutes-early"),
        pytest.param([(0, 10)], notices(-15 - 1e-6), [None], id="too-early"),
        pytest.param([(0, 10)], notices(10 + DAY - 1e-6), [0], id="just-within-a-day-of-the-end"),
        pytest.param([(0, 10)], notices(10 + DAY), [None], id="a-day-after-the-end"),
        pytest.param([(0, 10), (60, 70)], notices(30), [0], id="between-two-outages"),
        pytest.param([(0, 10), (60, 70)], notices(45), [1], id="early-for-the-next"),
        pytest.param([(0, 10), (60, 70)], notices(44.99), [0], id="just-before-the-next-window"),
        pytest.param([(0, 10), (60, 70)], notices(65, 200), [1, 1], id="both-for-the-second"),
        pytest.param([(60, 70), (0, 10)], notices(5, 65), [1, 0], id="outages-in-any-order"),
        pytest.param([(0, 10)], notices(5, revoked=(0,)), [None], id="revoked-answers-nothing"),
        pytest.param([], notices(5), [None], id="no-outage"),
        pytest.param(
            [(0, DAY * 3)], notices(DAY * 3 + DAY - 1), [0], id="long-outage-counts-from-its-end"
        ),
    ],
)
def test_assign_notices(
    spans: list[tuple[float, float]], given: list[NoticeRecord], answers: list[int | None]
) -> None:
    """Each notice answers the outage the rule gives, or none."""
    assert assign_notices(outages(*spans), given) == answers


@pytest.mark.parametrize(
    ("spans", "given", "first"),
    [
        pytest.param([(0, 10)], notices(3, 12), [1], id="earliest-wins"),
        pytest.param([(0, 10)], notices(3, 1, revoked=(1,)), [1], id="revoked-is-skipped"),
        pytest.param([(0, 10)], notices(8, 8), [1], id="tie-first-given"),
        pytest.param([(0, 10), (60, 70)], notices(65), [None, 1], id="second-only"),
        pytest.param([(0, 10), (60, 70)], notices(-10, 50), [1, 2], id="each-its-own"),
        pytest.param([(0, 10), (60, 70)], notices(), [None, None], id="none-given"),
    ],
)
def test_match_notices(
    spans: list[tuple[float, float]], given: list[NoticeRecord], first: list[int | None]
) -> None:
    """Each outage gets the id of the earliest notice answering it, or None."""
    matched = match_notices(outages(*spans), given)

    assert [None if n is None else n.id for n in matched] == first


# Adding, and the newest notice.


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    """An open SQLite store."""
    opened = SQLiteStore(tmp_path / "x.db")
    await opened.open()
    yield opened
    await opened.close()


async def test_add_notice_stores_who_and_when(store: SQLiteStore, tmp_path: Path) -> None:
    """The stored notice has the entry's fields, the id the store gave, and who added it when."""
    settings = parse_settings(config(tmp_path / "x.db"), "x.yaml")
    entry = NewNotice.model_validate(
        {"service": "shop", "at": "2026-10-05T10:12:00+08:00", "ref": "  ticket 4411 "}
    )

    record = await add_notice(store, settings, entry, by="alice", now=NOW + timedelta(days=5))

    assert await store.notices() == [record]
    assert notice_to_json(record) == {
        "id": record.id,
        "service": "shop",
        "at": "2026-10-05T02:12:00Z",
        "ref": "ticket 4411",
        "added_by": "alice",
        "added_at": "2026-10-06T00:00:00Z",
        "revoked": None,
    }


@pytest.mark.parametrize(
    ("fields", "by", "message"),
    [
        pytest.param({"service": "nope"}, "a", "service: unknown service 'nope'", id="service"),
        pytest.param(
            {"at": "2026-10-01T00:01:00.000001Z"},
            "a",
            "at: 2026-10-01T00:01:00.000001Z is in",
            id="future",
        ),
        pytest.param({}, " ", "by: expected a name", id="by"),
    ],
)
async def test_add_notice_refuses_in_one_line(
    store: SQLiteStore, tmp_path: Path, fields: dict[str, str], by: str, message: str
) -> None:
    """An unknown service, a notice dated beyond a minute ahead, or no name: refused, not stored."""
    settings = parse_settings(config(tmp_path / "x.db"), "x.yaml")
    entry = NewNotice.model_validate(
        {"service": "shop", "at": "2026-09-30T12:00:00Z", "ref": "r", **fields}
    )

    with pytest.raises(InputError, match="^" + message):
        await add_notice(store, settings, entry, by=by, now=NOW)

    assert await store.notices() == []


async def test_a_minute_of_clock_skew_is_allowed(store: SQLiteStore, tmp_path: Path) -> None:
    """A notice dated up to a minute after now (another machine's clock) is accepted."""
    settings = parse_settings(config(tmp_path / "x.db"), "x.yaml")
    entry = NewNotice.model_validate({"service": "shop", "at": "2026-10-01T00:01:00Z", "ref": "r"})

    record = await add_notice(store, settings, entry, by="a", now=NOW)

    assert record.at == NOW + timedelta(minutes=1)


async def test_last_notice_at_is_the_newest_standing_notice(store: SQLiteStore) -> None:
    """The newest notice of the service counts; revoked ones and other services' do not."""
    assert await last_notice_at(store, "shop") is None
    for record in notices(0, 30, 10):
        await store.add_notice(record)
    newest = await store.add_notice(notices(60)[0])
    await store.add_notice(NoticeRecord("other", minutes(90), "x", "a", NOW))

    assert await last_notice_at(store, "shop") == minutes(60)
    await store.revoke_notice(newest, by="bob", at=NOW, note="wrong")
    assert await last_notice_at(store, "shop") == minutes(30)
    assert await last_notice_at(store, "nope") is None


# The API.

NOTICE = {
    "service": "shop",
    "at": "2026-09-30T10:12:00+08:00",
    "ref": "mail from support@provider, ticket 4411",
    "by": "alice",
}


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    async for made in serve(tmp_path, TOKEN, NOW):
        yield made


async def test_the_api_adds_lists_and_revokes_with_an_audit_trail(api: Api) -> None:
    """A notice added through the API is listed with who added it and when; revoking keeps it,
    marked with who revoked it and why; a second revocation conflicts, an unknown id is 404."""
    status, added, _ = await api.call("POST", "/api/notices", NOTICE)
    assert status == 201
    assert added == {
        "id": added["id"],
        "service": "shop",
        "at": "2026-09-30T02:12:00Z",
        "ref": "mail from support@provider, ticket 4411",
        "added_by": "api:alice",
        "added_at": "2026-10-01T00:00:00Z",
        "revoked": None,
    }

    status, revoked, _ = await api.call(
        "POST", f"/api/notices/{added['id']}/revoke", {"note": "was about the CDN", "by": "bob"}
    )
    assert status == 200
    assert revoked["revoked"] == {
        "at": "2026-10-01T00:00:00Z",
        "by": "api:bob",
        "note": "was about the CDN",
    }

    status, listed, _ = await api.call("GET", "/api/notices?service=shop")
    assert (status, listed) == (200, [revoked])
    assert (await api.call("GET", "/api/notices?service=other"))[1] == []
    status, body, _ = await api.call("POST", f"/api/notices/{added['id']}/revoke", {"note": "x"})
    assert (status, body) == (409, {"error": f"notice {added['id']} is already revoked"})
    status, body, _ = await api.call("POST", "/api/notices/999/revoke", {"note": "x"})
    assert (status, body) == (404, {"error": "no notice 999"})


async def test_an_unnamed_change_is_recorded_as_made_by_the_api(api: Api) -> None:
    """Without ``by`` the notice is recorded as added by ``api``."""
    body = {k: v for k, v in NOTICE.items() if k != "by"}

    status, added, _ = await api.call("POST", "/api/notices", body)

    assert (status, added["added_by"]) == (201, "api")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param({"service": "nope"}, "service: unknown service 'nope'", id="unknown-service"),
        pytest.param(
            {"at": "2026-10-01T08:02:00+08:00"},
            "at: 2026-10-01T00:02:00Z is in the future",
            id="future",
        ),
        pytest.param({"at": "2026-09-30 10:12"}, "body: at: ", id="no-offset"),
        pytest.param({"at": 1_790_000_000}, "body: at: ", id="a-number"),
        pytest.param({"ref": ""}, "body: ref: ", id="empty-ref"),
        pytest.param({"ref": "   "}, "body: ref: ", id="blank-ref"),
        pytest.param({"ref": "x" * 2001}, "body: ref: ", id="long-ref"),
        pytest.param({"extra": 1}, "body: extra: ", id="unknown-field"),
        pytest.param({"by": ""}, "by: expected a name", id="empty-by"),
    ],
)
async def test_bad_input_is_a_400_naming_the_field(
    api: Api, change: dict[str, Any], message: str
) -> None:
    """Each mistake is refused with one line that names the field; nothing is stored."""
    status, body, _ = await api.call("POST", "/api/notices", {**NOTICE, **change})

    assert status == 400
    assert body["error"].startswith(message)
    assert "\n" not in body["error"]
    assert (await api.call("GET", "/api/notices"))[1] == []


async def test_a_missing_field_is_named(api: Api) -> None:
    """A body without ``ref`` says which field is missing."""
    body = {k: v for k, v in NOTICE.items() if k != "ref"}

    status, answer, _ = await api.call("POST", "/api/notices", body)

    assert (status, answer) == (400, {"error": "body: ref: required field is missing"})


@pytest.mark.parametrize("token", [None, "wrong", TOKEN + "x"], ids=["none", "wrong", "longer"])
async def test_without_the_token_nothing_is_read_or_changed(api: Api, token: str | None) -> None:
    """A missing or wrong bearer token is a 401 with a Bearer challenge."""
    for method, path, body in (
        ("GET", "/api/notices", None),
        ("POST", "/api/notices", NOTICE),
        ("POST", "/api/notices/1/revoke", {"note": "x"}),
    ):
        status, _, headers = await api.call(method, path, body, token=token)
        assert status == 401
        assert headers["WWW-Authenticate"].startswith("Bearer")
    assert (await api.call("GET", "/api/notices"))[1] == []


async def test_without_a_configured_token_the_api_is_off(tmp_path: Path) -> None:
    """No http.api_token: every notices call is a 403 saying how to turn it on."""
    async for api in serve(tmp_path, None, NOW):
        for method, path in (("GET", "/api/notices"), ("POST", "/api/notices")):
            status, body, _ = await api.call(method, path, NOTICE, token=TOKEN)
            assert status == 403
            assert body == {"error": "the notices API is off: set http.api_token to use it"}


# The command line, through the parser `slawatch` registers it in.


def slawatch_notice(*args: str) -> int:
    """Parse ``notice ARGS`` as `slawatch` does and run the command."""
    parser = argparse.ArgumentParser(prog="slawatch")
    add_notice_commands(parser.add_subparsers(dest="command", required=True))
    parsed = parser.parse_args(["notice", *args])
    code: int = parsed.handler(parsed)
    return code


def test_the_cli_adds_lists_and_revokes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`notice add` prints the new notice, `list` shows it (text and JSON), `revoke` marks it
    with who and why, and it is still listed."""
    path = tmp_path / "slawatch.yaml"
    path.write_text(config(tmp_path / "x.db"), encoding="utf-8")
    common = ("--config", str(path))

    assert slawatch_notice(
        "add", *common, "--service", "shop", "--at", "2026-09-30T10:12:00+08:00",
        "--ref", "status page incident 77", "--by", "carol",
    ) == 0  # fmt: skip
    added = capsys.readouterr().out
    assert added.startswith("#1 shop notified 2026-09-30T02:12:00Z [valid] by carol at ")
    assert added.endswith(": status page incident 77\n")

    assert slawatch_notice("revoke", *common, "1", "--note", "other service", "--by", "dan") == 0
    assert "[REVOKED]" in capsys.readouterr().out

    assert slawatch_notice("list", *common, "--format", "json") == 0
    (record,) = json.loads(capsys.readouterr().out)
    assert record["ref"] == "status page incident 77"
    assert record["revoked"]["by"] == "dan"
    assert record["revoked"]["note"] == "other service"
    assert slawatch_notice("list", *common, "--service", "shop") == 0
    assert capsys.readouterr().out.count("\n") == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(("--at", "yesterday", "--ref", "r"), "notice add: at: ", id="bad-instant"),
        pytest.param(
            ("--at", "2026-09-30T10:00:00Z", "--ref", " "), "notice add: ref: ", id="blank-ref"
        ),
        pytest.param(
            ("--at", "2999-01-01T00:00:00Z", "--ref", "r"),
            "at: 2999-01-01T00:00:00Z is in the future",
            id="future",
        ),
    ],
)
def test_the_cli_refuses_bad_input_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    """Bad input is one InputError line naming the field (`slawatch` exits 2); nothing stored."""
    path = tmp_path / "slawatch.yaml"
    path.write_text(config(tmp_path / "x.db"), encoding="utf-8")

    with pytest.raises(InputError) as caught:
        slawatch_notice("add", "--config", str(path), "--service", "shop", *args, "--by", "x")

    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)
    assert slawatch_notice("list", "--config", str(path)) == 0
    assert capsys.readouterr().out == ""

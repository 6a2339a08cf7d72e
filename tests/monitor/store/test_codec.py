"""The row codecs on their own: records survive the trip to columns and back in both dialects."""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from monitor.evidence import DERIVED_KINDS, ExclusionRecord, IntervalKind, NoticeRecord
from monitor.results import Outcome, ProbeResult
from monitor.store.codec import (
    EXCLUSION_FIELDS,
    LOOKUP_TABLES,
    NOTICE_FIELDS,
    POSTGRES_ROWS,
    RESULT_COLUMNS,
    REVOCATION_FIELDS,
    SQLITE_ROWS,
    InvalidValueError,
    NameIds,
    RowCodec,
    aware,
    detail_json,
    from_microseconds,
    interval_kind,
    kind_values,
    microseconds,
    outcome,
)

from .samples import MICRO, T0, at, interval

CODECS = [
    pytest.param(SQLITE_ROWS, id="sqlite"),
    pytest.param(POSTGRES_ROWS, id="postgresql"),
]
#: Two hours east of UTC: an instant given in another zone is the same instant.
EAST = timezone(timedelta(hours=2))


def stored(row: Sequence[Any]) -> tuple[Any, ...]:
    """A row as a database gives it back: an id first, never revoked."""
    return (7, *row, None, None, None)


def named_ids() -> NameIds:
    """A cache that knows one vantage, one check and every outcome."""
    names = NameIds()
    names.remember("vantages", "eu-west", 3)
    names.remember("checks", "shop/api", 11)
    for ident, kept in enumerate(Outcome, start=1):
        names.remember("outcomes", kept.value, ident)
    return names


def row_of(codec: RowCodec[Any, Any], result: ProbeResult, names: NameIds) -> tuple[Any, ...]:
    """:meth:`RowCodec.result_row` with the ids ``names`` knows."""

    def ident(table: str, name: str) -> int:
        found = names.id(table, name)
        assert found is not None
        return found

    vantage, check = ident("vantages", result.vantage), ident("checks", result.check)
    return codec.result_row(result, vantage, check, ident("outcomes", result.outcome.value))


@pytest.mark.parametrize("codec", CODECS)
def test_interval_round_trip(codec: RowCodec[Any, Any]) -> None:
    """An interval with bounds, an end and a nested, non-ASCII detail comes back equal."""
    detail = {"status": 503, "reason": "Überlastet", "probes": [1, 2.5, None]}
    record = dataclasses.replace(
        interval(at(0), at(90), detail=detail), start_bound=at(-30), end_bound=at(60)
    )
    back = codec.interval((41, *codec.interval_row(record)))
    assert back == dataclasses.replace(record, id=41)


@pytest.mark.parametrize("codec", CODECS)
def test_open_interval_round_trip(codec: RowCodec[Any, Any]) -> None:
    """An interval still open keeps ``end`` and its bounds None, and an empty detail."""
    record = interval(at(0), kind=IntervalKind.GAP)
    row = codec.interval_row(record)
    assert row[0] == "gap"
    assert row[4:7] == (None, None, None)
    assert row[7] == "{}"
    assert codec.interval((5, *row)) == dataclasses.replace(record, id=5)


@pytest.mark.parametrize("codec", CODECS)
def test_exclusion_round_trip(codec: RowCodec[Any, Any]) -> None:
    """An exclusion, announced or not, revoked or not, comes back equal with its id."""
    record = ExclusionRecord(
        "shop",
        at(0),
        at(3600),
        "maintenance",
        "db upgrade",
        "alice",
        at(-7200),
        announced_at=at(-86400),
    )
    row = codec.exclusion_row(record)
    assert len(row) == len(EXCLUSION_FIELDS)
    assert codec.exclusion(stored(row)) == dataclasses.replace(record, id=7)
    revoked = (codec.instant(at(10)), "bob", "entered twice")
    back = codec.exclusion((7, *row, *revoked))
    assert back == dataclasses.replace(
        record, id=7, revoked_at=at(10), revoked_by="bob", revoke_note="entered twice"
    )
    plain = dataclasses.replace(record, announced_at=None)
    assert codec.exclusion(stored(codec.exclusion_row(plain))) == dataclasses.replace(plain, id=7)


@pytest.mark.parametrize("codec", CODECS)
def test_notice_round_trip(codec: RowCodec[Any, Any]) -> None:
    """A notice, revoked or not, comes back equal with its id."""
    record = NoticeRecord("shop", at(120), "TICKET-1", "alice", at(300))
    row = codec.notice_row(record)
    assert len(row) == len(NOTICE_FIELDS)
    assert codec.notice(stored(row)) == dataclasses.replace(record, id=7)
    back = codec.notice((7, *row, codec.instant(at(400)), "bob", "wrong service"))
    assert back == dataclasses.replace(
        record, id=7, revoked_at=at(400), revoked_by="bob", revoke_note="wrong service"
    )


def test_annotation_columns_cover_their_records() -> None:
    """The annotation codecs name every field of their records, the id aside."""
    for record, fields in ((ExclusionRecord, EXCLUSION_FIELDS), (NoticeRecord, NOTICE_FIELDS)):
        named = {field.name for field in dataclasses.fields(record)}
        assert {*fields, *REVOCATION_FIELDS, "id"} == named


@pytest.mark.parametrize("codec", CODECS)
@pytest.mark.parametrize(
    "result",
    [
        ProbeResult("shop/api", "eu-west", T0, 0.0125, Outcome.UP, status=200, bytes_read=512),
        ProbeResult(
            "shop/api",
            "eu-west",
            T0 + MICRO,
            1.000001,
            Outcome.TLS_ERROR,
            detail="certificate expires in 3 days",
            status=None,
            bytes_read=0,
            cert_expires_at=T0 + timedelta(days=3),
            answers=("192.0.2.1", "2001:db8::1"),
        ),
    ],
    ids=["plain", "full"],
)
def test_result_round_trip(codec: RowCodec[Any, Any], result: ProbeResult) -> None:
    """A result comes back equal, its names through their lookup ids, in RESULT_COLUMNS order."""
    names = named_ids()
    row = row_of(codec, result, names)
    assert len(row) == len(RESULT_COLUMNS)
    assert (row[0], row[1]) == (3, 11)
    assert codec.result(row, names) == result


@pytest.mark.parametrize("codec", CODECS)
def test_no_answers_are_null(codec: RowCodec[Any, Any]) -> None:
    """A result without answers stores NULL, not an empty array."""
    result = ProbeResult("shop/api", "eu-west", T0, 0.5, Outcome.UP)
    assert row_of(codec, result, named_ids())[-1] is None


def test_sqlite_columns() -> None:
    """SQLite keeps instants as integer microseconds since the epoch and answers as compact JSON."""
    result = ProbeResult(
        "shop/api", "eu-west", T0, 0.0123456789, Outcome.UP, answers=("a", "ö"), cert_expires_at=T0
    )
    row = row_of(SQLITE_ROWS, result, named_ids())
    expected_us = int(T0.timestamp()) * 1_000_000
    assert row[2] == row[8] == expected_us
    assert row[3] == 12_346  # latency in whole microseconds, rounded
    assert row[9] == '["a","ö"]'


def test_postgres_columns() -> None:
    """PostgreSQL keeps instants as the datetimes given and answers as a list of text."""
    result = ProbeResult("shop/api", "eu-west", T0, 0.25, Outcome.UP, answers=("a",))
    row = row_of(POSTGRES_ROWS, result, named_ids())
    assert row[2] is T0
    assert row[3] == 250_000
    assert row[9] == ["a"]


def test_microseconds_round_trip() -> None:
    """An instant in any zone becomes microseconds and comes back as the same instant in UTC."""
    given = datetime(2026, 10, 5, 12, 0, 0, 1, tzinfo=EAST)
    back = from_microseconds(microseconds(given))
    assert back == given
    assert back.tzinfo is UTC
    assert microseconds(datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)) == -1


@pytest.mark.parametrize("codec", CODECS)
def test_naive_instants_refused(codec: RowCodec[Any, Any]) -> None:
    """A naive datetime names no instant: every codec refuses it, naming the value."""
    naive = datetime(2026, 10, 5, 10, 0)  # noqa: DTZ001 - the value under test
    with pytest.raises(InvalidValueError, match="2026-10-05T10:00:00 has no time zone"):
        codec.instant(naive)
    with pytest.raises(InvalidValueError, match="no time zone"):
        codec.interval_row(interval(naive))
    with pytest.raises(InvalidValueError, match="no time zone"):
        aware(naive)


def test_detail_json() -> None:
    """Detail is compact JSON text, non-ASCII kept; what JSON cannot say is refused."""
    assert detail_json({"a": [1, "é"]}) == '{"a":[1,"é"]}'
    assert json.loads(detail_json({"n": None})) == {"n": None}
    with pytest.raises(InvalidValueError, match="detail is not JSON"):
        detail_json({"ratio": math.nan})
    with pytest.raises(InvalidValueError, match="detail is not JSON"):
        detail_json({"when": T0})


def test_kinds() -> None:
    """Kinds are checked both ways; a query's kinds are their values, sorted."""
    assert interval_kind("outage") is IntervalKind.OUTAGE
    with pytest.raises(InvalidValueError, match="unknown interval kind 'nap'"):
        interval_kind("nap")
    assert kind_values([IntervalKind.GAP, IntervalKind.BLIP]) == ["blip", "gap"]
    assert kind_values(DERIVED_KINDS) == sorted(kind.value for kind in DERIVED_KINDS)
    with pytest.raises(InvalidValueError, match="unknown interval kind"):
        kind_values(["gap", "nap"])
    with pytest.raises(InvalidValueError, match="unknown interval kind 'nap'"):
        SQLITE_ROWS.interval((1, "nap", "eu-west", "shop/api", 0, None, None, None, "{}"))


def test_kinds_as_a_parameter() -> None:
    """A query's kinds go to SQLite as a JSON array and to PostgreSQL as a list, both sorted."""
    kinds = [IntervalKind.OUTAGE, IntervalKind.BLIP]
    assert SQLITE_ROWS.kinds(kinds) == '["blip","outage"]'
    assert POSTGRES_ROWS.kinds(kinds) == ["blip", "outage"]
    with pytest.raises(InvalidValueError, match="unknown interval kind 'nap'"):
        POSTGRES_ROWS.kinds(["nap"])


def test_outcomes() -> None:
    """A stored outcome name reads back as its Outcome; one this program does not know is refused."""
    assert outcome("up") is Outcome.UP
    with pytest.raises(InvalidValueError, match="unknown outcome 'sideways'"):
        outcome("sideways")


def test_name_ids_both_ways() -> None:
    """Names and ids are cached both ways; an id never seen is refused, naming its table."""
    names = NameIds()
    assert names.id("checks", "shop/api") is None
    names.load("checks", [(11, "shop/api"), (12, "shop/web")])
    assert names.id("checks", "shop/web") == 12
    assert names.name("checks", 11) == "shop/api"
    with pytest.raises(InvalidValueError, match="checks has no id 13"):
        names.name("checks", 13)
    names.clear()
    assert names.id("checks", "shop/api") is None


def test_name_ids_unknown_tables() -> None:
    """The tables to read again are those where a result row holds an id not cached yet."""
    names = named_ids()
    row = row_of(SQLITE_ROWS, ProbeResult("shop/api", "eu-west", T0, 0.1, Outcome.UP), names)
    assert names.unknown([row]) == []
    foreign = (4, row[1], row[2], row[3], 99, *row[5:])
    assert names.unknown([row, foreign]) == ["vantages", "outcomes"]
    assert set(LOOKUP_TABLES) == {"vantages", "checks", "outcomes"}


@pytest.mark.parametrize("codec", CODECS)
def test_newest_by_vantage(codec: RowCodec[Any, Any]) -> None:
    """Each vantage's newest start among result rows, in vantage id order."""
    names = named_ids()
    names.remember("vantages", "us-east", 1)
    results = [
        ProbeResult("shop/api", "eu-west", at(20), 0.1, Outcome.UP),
        ProbeResult("shop/api", "us-east", at(5), 0.1, Outcome.UP),
        ProbeResult("shop/api", "eu-west", at(10), 0.1, Outcome.UP),
    ]
    rows = [row_of(codec, result, names) for result in results]
    assert codec.newest(rows) == [(1, codec.instant(at(5))), (3, codec.instant(at(20)))]

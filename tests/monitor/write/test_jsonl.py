"""The JSON-line codec of the spool and the journal: round trips, torn lines, bad rows."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.evidence import (
    IntervalChange,
    IntervalClose,
    IntervalKind,
    IntervalOpen,
    IntervalRecord,
)
from monitor.results import Outcome, ProbeResult
from monitor.write.jsonl import (
    TORN,
    decode_change,
    decode_result,
    encode_change,
    encode_result,
    read_change,
    read_result,
    replace_file,
)

from ...tmpfs import fill, small_filesystem

T0 = datetime(2026, 10, 5, 10, 0, tzinfo=UTC)

FULL = ProbeResult(
    "shop/dns",
    "ap-south",
    datetime(2026, 10, 5, 18, 30, 15, 123456, tzinfo=timezone(timedelta(hours=8))),
    0.000123456789,
    Outcome.CONTENT_MISMATCH,
    detail='Größe ≠ 200 — 検査 "quoted"\nsecond line\ttab',
    status=203,
    bytes_read=2**40,
    cert_expires_at=datetime(2027, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
    answers=("192.0.2.1", "2001:db8::1", "ünïcode.example."),
)
BARE = ProbeResult("c", "v", T0, 0.0, Outcome.TIMEOUT)

#: Results that cannot be read back equal, and what encoding them says.
UNENCODABLE = [
    (ProbeResult("c", "v", datetime(2026, 10, 5), 0.1, Outcome.UP), "started_at has no UTC"),  # noqa: DTZ001
    (
        ProbeResult(
            "c",
            "v",
            T0,
            0.1,
            Outcome.UP,
            cert_expires_at=datetime(2027, 1, 1),  # noqa: DTZ001
        ),
        "cert_expires_at has no UTC",
    ),
    (
        ProbeResult(
            "c", "v", datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))), 0.1, Outcome.UP
        ),
        "started_at is out of range",
    ),
    (ProbeResult("c", "v", T0, float("nan"), Outcome.UP), "not JSON compliant"),
    (ProbeResult("c", "v", T0, float("inf"), Outcome.UP), "not JSON compliant"),
]

CHANGES: list[IntervalChange] = [
    IntervalOpen(
        IntervalRecord(
            IntervalKind.OUTAGE,
            "eu-west",
            "shop",
            T0 + timedelta(microseconds=123456),
            None,
            start_bound=T0 - timedelta(seconds=10),
            detail={"checks_down": ["home", "file"], "note": "écrit \ud800", "ratio": 0.5},
            id=2**61 + 7,
        )
    ),
    IntervalOpen(
        IntervalRecord(
            IntervalKind.GAP,
            "eu-west",
            "*",
            T0,
            T0 + timedelta(minutes=1),
            T0,
            T0 + timedelta(seconds=50),
            id=12,
        )
    ),
    IntervalClose(2**61 + 7, T0 + timedelta(minutes=5), T0 + timedelta(minutes=4), None),
    IntervalClose(12, T0 + timedelta(minutes=1), None, {"stopped": "clean"}),
]

#: Two lines of a journal as an earlier version saved it: text unescaped, instants without a
#: fraction when it was zero, a detail number that is not finite.
EARLIER_JOURNAL = (
    '{"open":{"id":2305843009213693959,"kind":"outage","vantage":"eu-west","subject":"shop",'
    '"start":"2026-10-05T10:00:00Z","end":null,"start_bound":"2026-10-05T09:59:50.500000Z",'
    '"end_bound":null,"detail":{"checks_down":["home","file"],"note":"écrit","ratio":Infinity}}}\n'
    '{"close":{"id":2305843009213693959,"end":"2026-10-05T10:05:00Z","end_bound":null,'
    '"detail":{"stopped":"clean"}}}\n'
)

#: What those two lines hold.
EARLIER_CHANGES: list[IntervalChange] = [
    IntervalOpen(
        IntervalRecord(
            IntervalKind.OUTAGE,
            "eu-west",
            "shop",
            T0,
            None,
            T0 - timedelta(seconds=9, microseconds=500000),
            None,
            {"checks_down": ["home", "file"], "note": "écrit", "ratio": float("inf")},
            2**61 + 7,
        )
    ),
    IntervalClose(2**61 + 7, T0 + timedelta(minutes=5), None, {"stopped": "clean"}),
]


# Results


def test_result_round_trip_keeps_every_field_in_utc() -> None:
    """Every field comes back equal, instants as UTC-aware datetimes."""
    full, bare = (decode_result(encode_result(r)) for r in (FULL, BARE))
    assert (full, bare) == (FULL, BARE)
    assert full.started_at.tzinfo is UTC
    assert full.started_at == datetime(2026, 10, 5, 10, 30, 15, 123456, tzinfo=UTC)
    assert full.cert_expires_at is not None
    assert full.cert_expires_at.tzinfo is UTC


def test_encoding_is_one_compact_line_in_utc_with_microseconds() -> None:
    """A row is one compact JSON object, instants written in UTC with microseconds."""
    line = encode_result(FULL)
    assert "\n" not in line
    assert ", " not in line
    assert ": " not in line
    assert json.loads(line) == {
        "check": "shop/dns",
        "vantage": "ap-south",
        "started_at": "2026-10-05T10:30:15.123456Z",
        "latency": 0.000123456789,
        "outcome": "content_mismatch",
        "detail": FULL.detail,
        "status": 203,
        "bytes_read": 2**40,
        "cert_expires_at": "2027-01-01T00:00:00.000001Z",
        "answers": ["192.0.2.1", "2001:db8::1", "ünïcode.example."],
    }
    assert json.loads(encode_result(BARE))["started_at"] == "2026-10-05T10:00:00.000000Z"


def test_any_string_round_trips_even_a_lone_surrogate() -> None:
    """Text a result can hold, including a lone surrogate, is written and read back unchanged."""
    odd = ProbeResult("c\ud800", "v", T0, 1.0, Outcome.UP, detail="\udcff\x00", answers=("\ud83d",))
    assert encode_result(odd).isascii()
    assert decode_result(encode_result(odd)) == odd


@pytest.mark.parametrize(("result", "message"), UNENCODABLE)
def test_results_that_cannot_round_trip_are_refused(result: ProbeResult, message: str) -> None:
    """A naive or out-of-range instant or a non-finite latency is a ValueError naming it."""
    with pytest.raises(ValueError, match=message):
        encode_result(result)


def _line(**changes: Any) -> str:
    """An encoded row with some fields replaced (a value of ... removes the field)."""
    fields = json.loads(encode_result(FULL))
    fields.update(changes)
    return json.dumps({key: value for key, value in fields.items() if value is not ...})


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("", "Expecting value"),
        ("not json", "Expecting value"),
        ('{"check": "c"', "Expecting"),
        ("[1, 2]", "expected a JSON object, got list"),
        ("[" * 100_000, "nested too deeply"),
        (_line(answers=...), r"missing: \['answers'\], unexpected: \[\]"),
        (_line(extra=1), r"missing: \[\], unexpected: \['extra'\]"),
        (_line(check=1), "check must be a string, not int"),
        (_line(vantage=None), "vantage must be a string, not NoneType"),
        (_line(detail=[]), "detail must be a string, not list"),
        (_line(outcome="bogus"), "'bogus' is not a valid Outcome"),
        (_line(outcome=1), "outcome must be a string"),
        (
            _line(started_at="2026-10-05T10:00:00Z"),
            "started_at must be YYYY-MM-DDTHH:MM:SS.ffffffZ",
        ),
        (_line(started_at="2026-10-05T10:00:00.000000+00:00"), "started_at must be"),
        (_line(started_at="2026-02-31T10:00:00.000000Z"), "day is out of range"),
        (_line(started_at=5), "started_at must be a string"),
        (_line(cert_expires_at="tomorrow"), "cert_expires_at must be"),
        (_line(latency=True), "latency must be a number, not bool"),
        (_line(latency="0.5"), "latency must be a number, not str"),
        (_line(latency=10**400), "latency is out of range"),
        (_line(latency=...).replace("}", ',"latency":1e999}'), "latency must be finite"),
        (_line(latency=...).replace("}", ',"latency":NaN}'), "NaN is not a number"),
        (_line(latency=...).replace("}", ',"latency":-Infinity}'), "-Infinity is not a number"),
        (_line(status=True), "status must be an integer, not bool"),
        (_line(status="200"), "status must be an integer, not str"),
        (_line(bytes_read=1.5), "bytes_read must be an integer, not float"),
        (_line(answers="192.0.2.1"), "answers must be a list of strings"),
        (_line(answers=["a", 1]), "answers must be a list of strings"),
    ],
)
def test_decode_refuses_anything_but_an_encoded_result(line: str, message: str) -> None:
    """A line that is not exactly an encoded result is a ValueError naming the problem."""
    with pytest.raises(ValueError, match=message):
        decode_result(line)


def test_decode_accepts_a_whole_number_latency_as_float() -> None:
    """A latency written as a JSON integer reads back as the equal float."""
    result = decode_result(_line(latency=2))
    assert result.latency == 2.0
    assert isinstance(result.latency, float)


@given(
    result=st.builds(
        ProbeResult,
        check=st.text(),
        vantage=st.text(),
        started_at=st.datetimes(
            min_value=datetime(1000, 1, 2),  # noqa: DTZ001 - hypothesis bounds are naive
            max_value=datetime(9999, 12, 30),  # noqa: DTZ001
            timezones=st.sampled_from([UTC, timezone(timedelta(hours=-9, minutes=-30))]),
        ),
        latency=st.floats(allow_nan=False, allow_infinity=False),
        outcome=st.sampled_from(Outcome),
        detail=st.text(),
        status=st.none() | st.integers(),
        bytes_read=st.integers(),
        cert_expires_at=st.none() | st.datetimes(timezones=st.just(UTC)),
        answers=st.lists(st.text()).map(tuple),
    )
)
def test_encode_decode_round_trip_any_result(result: ProbeResult) -> None:
    """Any result with aware, representable instants and a finite latency round-trips equal."""
    decoded = decode_result(encode_result(result))
    assert decoded == result
    assert decoded.started_at.tzinfo is UTC


# Interval changes


def test_changes_round_trip_as_ascii_lines() -> None:
    """Opens and closes come back equal, every field, from one ASCII line each."""
    lines = [encode_change(change) for change in CHANGES]

    assert all(line.isascii() and "\n" not in line for line in lines)
    assert [decode_change(line) for line in lines] == CHANGES


def test_a_change_line_is_the_open_or_close_object() -> None:
    """A close is {"close": {...}} with RFC 3339 instants; a refused one says why beside it."""
    line = encode_change(CHANGES[2], refused="no open interval")

    assert json.loads(line) == {
        "close": {
            "id": 2**61 + 7,
            "end": "2026-10-05T10:05:00Z",
            "end_bound": "2026-10-05T10:04:00Z",
            "detail": None,
        },
        "refused": "no open interval",
    }
    assert decode_change(line) == CHANGES[2]


def test_a_journal_an_earlier_version_saved_reads_back() -> None:
    """Lines as an earlier version wrote them (unescaped, no zero fraction, Infinity) decode."""
    lines = EARLIER_JOURNAL.encode("utf-8").splitlines(keepends=True)

    assert [read_change(line) for line in lines] == EARLIER_CHANGES


def _change(which: str, /, **changes: Any) -> str:
    """An encoded open or close with some of its fields replaced (... removes the field)."""
    entry = json.loads(encode_change(CHANGES[0] if which == "open" else CHANGES[2]))
    fields = {**entry[which], **changes}
    return json.dumps({which: {key: value for key, value in fields.items() if value is not ...}})


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "Expecting value"),
        ("[1]", "expected a JSON object, got list"),
        ("{}", r"expected open or close, got \[\]"),
        ('{"open": {}, "close": {}}', r"expected open or close, got \['close', 'open'\]"),
        ('{"open": 1}', "open: expected a JSON object, got int"),
        (_change("open", id=...), r"open: fields missing: \['id'\], unexpected: \[\]"),
        (_change("close", note="x"), r"close: fields missing: \[\], unexpected: \['note'\]"),
        (_change("open", id="12"), "id must be an integer, not str"),
        (_change("open", kind="bogus"), "'bogus' is not a valid IntervalKind"),
        (_change("open", vantage=None), "vantage must be a string, not NoneType"),
        (_change("open", start="yesterday"), "start: expected an RFC 3339 instant"),
        (_change("open", end="2026-10-05T10:00:00"), "end: instant .* has no UTC offset"),
        (_change("open", detail=[]), "detail must be a JSON object, not list"),
        (_change("close", end=None), "end must be a string, not NoneType"),
        (_change("close", detail="clean"), "detail must be a JSON object, not str"),
    ],
)
def test_decode_refuses_anything_but_an_encoded_change(line: str, message: str) -> None:
    """A line that is not an encoded change is a ValueError naming the problem."""
    with pytest.raises(ValueError, match=message):
        decode_change(line)


# Lines as read from a file


@pytest.mark.parametrize(
    ("read", "whole"),
    [
        (read_result, encode_result(FULL).encode()),
        (read_change, encode_change(CHANGES[0]).encode()),
    ],
)
def test_a_last_line_cut_short_is_told_apart(read: Callable[[bytes], object], whole: bytes) -> None:
    """A line without its newline that does not decode is a write cut short; with it, bad."""
    with pytest.raises(ValueError, match=f"^{re.escape(TORN)}$"):
        read(whole[: len(whole) // 2])
    with pytest.raises(ValueError, match=r"^not a (result|saved change) \(.+\)$"):
        read(whole[: len(whole) // 2] + b"\n")


def test_a_whole_line_reads_with_or_without_its_newline() -> None:
    """A line that decodes is a row, whether or not its newline made it to the file."""
    line = encode_result(FULL).encode()

    assert read_result(line + b"\n") == read_result(line) == FULL
    assert read_change(encode_change(CHANGES[3]).encode()) == CHANGES[3]


def test_bytes_that_are_not_utf8_are_not_a_row() -> None:
    """Undecodable bytes on a whole line are a bad row naming the decoding error."""
    with pytest.raises(ValueError, match=r"^not a result \('utf-8' codec can't decode"):
        read_result(b"\xff\xfe\n")


# Whole files


def test_replace_file_puts_the_new_content_in_place(tmp_path: Path) -> None:
    """The file holds exactly the new bytes afterwards, and no temporary file is left."""
    path = tmp_path / "journal.jsonl"
    path.write_bytes(b"old\n")

    replace_file(path, b"new\n")

    assert path.read_bytes() == b"new\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["journal.jsonl"]


def test_replace_file_on_a_full_disk_keeps_the_old_file_and_leaves_no_part(
    tmp_path: Path,
) -> None:
    """A replace the disk has no room for raises, keeps the old content whole, leaves no part."""
    with small_filesystem(tmp_path / "disk") as disk:
        path = disk / "journal.jsonl"
        path.write_bytes(b"old\n")
        fill(disk)

        with pytest.raises(OSError, match="No space left on device"):
            replace_file(path, b"new\n" * 4096)

        assert path.read_bytes() == b"old\n"
        assert sorted(p.name for p in disk.iterdir()) == ["filler", "journal.jsonl"]

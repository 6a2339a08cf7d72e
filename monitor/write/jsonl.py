"""One JSON object a line: how probe results and interval changes are kept in local files.

The spool (:mod:`monitor.write.spool`) holds one result a line, the journal file
(:mod:`monitor.write.journal_file`) one interval change a line. Both are written compact, with
non-ASCII text escaped, so that a line is ASCII and any string (even a lone surrogate) is read
back unchanged.

- **A result** is held to exactly what :func:`encode_result` writes: every field, the right types,
  instants in UTC with microseconds, a finite latency. The spool has no other writer to humour.
- **A change** is ``{"open": {...}}`` or ``{"close": {...}}``, perhaps with ``"refused"`` beside
  it (why the store would not take it). Its instants are RFC 3339 as
  :func:`~monitor.timefmt.format_instant` writes them, and its detail is whatever JSON the
  interval carries, numbers that are not finite included: the journal reads back what any
  earlier version saved.

A line read from a file that does not decode (:func:`read_result`, :func:`read_change`) is a
ValueError saying why; a last line without its newline is told apart, as what a write cut short
leaves behind. :func:`replace_file` gives a file new content whole or not at all.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, TypeVar

from ..evidence import IntervalChange, IntervalClose, IntervalKind, IntervalOpen, IntervalRecord
from ..results import Outcome, ProbeResult
from ..timefmt import format_instant, parse_instant

__all__ = [
    "TORN",
    "decode_change",
    "decode_result",
    "encode_change",
    "encode_result",
    "read_change",
    "read_result",
    "replace_file",
]

_T = TypeVar("_T")

#: The reason given for a last line that does not decode and has no newline.
TORN: Final = "truncated last line (writing stopped mid-line)"

# ASCII digits only, and exactly what encode_result writes.
_INSTANT: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")
_RESULT_FIELDS: Final = frozenset(
    {
        "check",
        "vantage",
        "started_at",
        "latency",
        "outcome",
        "detail",
        "status",
        "bytes_read",
        "cert_expires_at",
        "answers",
    }
)
_OPEN_FIELDS: Final = frozenset(
    {"id", "kind", "vantage", "subject", "start", "end", "start_bound", "end_bound", "detail"}
)
_CLOSE_FIELDS: Final = frozenset({"id", "end", "end_bound", "detail"})


def encode_result(result: ProbeResult) -> str:
    """One compact JSON line (without the newline) holding every field of ``result``.

    Instants are written in UTC with microseconds. Raises ValueError for what cannot be read
    back equal: a naive or out-of-range instant, or a latency that is not finite.
    """
    fields = {
        "check": result.check,
        "vantage": result.vantage,
        "started_at": _utc(result.started_at, "started_at"),
        "latency": result.latency,
        "outcome": result.outcome.value,
        "detail": result.detail,
        "status": result.status,
        "bytes_read": result.bytes_read,
        "cert_expires_at": (
            None
            if result.cert_expires_at is None
            else _utc(result.cert_expires_at, "cert_expires_at")
        ),
        "answers": list(result.answers),
    }
    return _dumps(fields, finite=True)


def decode_result(line: str) -> ProbeResult:
    """The result :func:`encode_result` wrote as ``line``; ValueError if it is anything else."""
    data = _fields(_load(line, finite=True), _RESULT_FIELDS, "")
    answers = data["answers"]
    if not isinstance(answers, list) or not all(isinstance(answer, str) for answer in answers):
        raise ValueError("answers must be a list of strings")
    return ProbeResult(
        check=_string(data, "check"),
        vantage=_string(data, "vantage"),
        started_at=_utc_instant(data, "started_at"),
        latency=_latency(data),
        outcome=Outcome(_string(data, "outcome")),
        detail=_string(data, "detail"),
        status=_optional(data, "status", _integer),
        bytes_read=_integer(data, "bytes_read"),
        cert_expires_at=_optional(data, "cert_expires_at", _utc_instant),
        answers=tuple(answers),
    )


def encode_change(change: IntervalChange, *, refused: str | None = None) -> str:
    """One compact JSON line (without the newline) holding ``change``, and the store's reason
    for refusing it when given."""
    entry: dict[str, Any]
    if isinstance(change, IntervalOpen):
        r = change.record
        entry = {
            "open": {
                "id": r.id,
                "kind": r.kind.value,
                "vantage": r.vantage,
                "subject": r.subject,
                "start": format_instant(r.start),
                "end": _rfc3339(r.end),
                "start_bound": _rfc3339(r.start_bound),
                "end_bound": _rfc3339(r.end_bound),
                "detail": dict(r.detail),
            }
        }
    else:
        entry = {
            "close": {
                "id": change.interval_id,
                "end": format_instant(change.end),
                "end_bound": _rfc3339(change.end_bound),
                "detail": None if change.detail is None else dict(change.detail),
            }
        }
    if refused is not None:
        entry["refused"] = refused
    return _dumps(entry, finite=False)


def decode_change(line: str) -> IntervalChange:
    """The change :func:`encode_change` wrote as ``line`` (its ``refused`` reason, if any, is
    not part of it); ValueError if it is anything else."""
    entry = _mapping(_load(line, finite=False), "")
    kinds = sorted(entry.keys() - {"refused"})
    if kinds == ["open"]:
        o = _fields(entry["open"], _OPEN_FIELDS, "open: ")
        record = IntervalRecord(
            IntervalKind(_string(o, "kind")),
            _string(o, "vantage"),
            _string(o, "subject"),
            _instant(o, "start"),
            _optional(o, "end", _instant),
            _optional(o, "start_bound", _instant),
            _optional(o, "end_bound", _instant),
            _object(o, "detail"),
            _integer(o, "id"),
        )
        return IntervalOpen(record)
    if kinds == ["close"]:
        c = _fields(entry["close"], _CLOSE_FIELDS, "close: ")
        return IntervalClose(
            _integer(c, "id"),
            _instant(c, "end"),
            _optional(c, "end_bound", _instant),
            _optional(c, "detail", _object),
        )
    raise ValueError(f"expected open or close, got {kinds}")


def read_result(raw: bytes) -> ProbeResult:
    """The result in ``raw``, one line as read from a file (its newline, if any, included).

    ValueError if it does not decode: ``not a result (why)``, or for a last line cut short,
    :data:`TORN`.
    """
    return _read(raw, decode_result, "a result")


def read_change(raw: bytes) -> IntervalChange:
    """The change in ``raw``, one line as read from a file; ValueError as :func:`read_result`."""
    return _read(raw, decode_change, "a saved change")


def replace_file(path: Path, data: bytes) -> None:
    """Make ``data`` the content of ``path``, whole or not at all: written under a temporary
    name beside it, synced, then renamed over it.

    An OSError is raised once the temporary file is removed: a part written to a full disk
    would hold the very space a second attempt needs.
    """
    partial = path.with_name(path.name + ".partial")
    try:
        with partial.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        partial.replace(path)
    except OSError:
        with contextlib.suppress(OSError):
            partial.unlink()
        raise


def _read(raw: bytes, decode: Callable[[str], _T], what: str) -> _T:
    try:
        return decode(raw.decode("utf-8"))
    except ValueError as error:  # UnicodeDecodeError is one too
        if not raw.endswith(b"\n"):
            raise ValueError(TORN) from None
        raise ValueError(f"not {what} ({error})") from None


def _dumps(value: Mapping[str, Any], *, finite: bool) -> str:
    return json.dumps(value, separators=(",", ":"), allow_nan=not finite)


def _load(line: str, *, finite: bool) -> object:
    try:
        return json.loads(line, parse_constant=_reject_constant if finite else None)
    except RecursionError:
        # Garbage such as a long run of "[" nests deeper than the parser can follow.
        raise ValueError("nested too deeply") from None


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number")


def _mapping(value: object, where: str) -> Mapping[str, object]:
    if not isinstance(value, dict):
        raise ValueError(f"{where}expected a JSON object, got {type(value).__name__}")
    return value


def _fields(value: object, expected: frozenset[str], where: str) -> Mapping[str, object]:
    """``value`` as a JSON object with exactly the keys ``expected``."""
    value = _mapping(value, where)
    if value.keys() != expected:
        missing, unexpected = sorted(expected - value.keys()), sorted(value.keys() - expected)
        raise ValueError(f"{where}fields missing: {missing}, unexpected: {unexpected}")
    return value


def _optional(
    data: Mapping[str, object], name: str, read: Callable[[Mapping[str, object], str], _T]
) -> _T | None:
    return None if data[name] is None else read(data, name)


def _string(data: Mapping[str, object], name: str) -> str:
    value = data[name]
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string, not {type(value).__name__}")
    return value


def _integer(data: Mapping[str, object], name: str) -> int:
    value = data[name]
    # bool is an int to Python, but true is not a count to JSON.
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{name} must be an integer, not {type(value).__name__}")
    return value


def _object(data: Mapping[str, object], name: str) -> dict[str, Any]:
    value = data[name]
    if not isinstance(value, dict):
        raise ValueError(f"{name} must be a JSON object, not {type(value).__name__}")
    return value


def _latency(data: Mapping[str, object]) -> float:
    value = data["latency"]
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise ValueError(f"latency must be a number, not {type(value).__name__}")
    try:
        latency = float(value)
    except OverflowError:
        raise ValueError("latency is out of range") from None
    # json reads 1e999 as infinity, which encode_result never writes.
    if not math.isfinite(latency):
        raise ValueError(f"latency must be finite, got {latency}")
    return latency


def _utc(instant: datetime, name: str) -> str:
    if instant.utcoffset() is None:
        raise ValueError(f"{name} has no UTC offset: {instant.isoformat()}")
    try:
        utc = instant.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{name} is out of range in UTC: {instant.isoformat()}") from None
    return utc.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def _utc_instant(data: Mapping[str, object], name: str) -> datetime:
    value = _string(data, name)
    if not _INSTANT.fullmatch(value):
        raise ValueError(f"{name} must be YYYY-MM-DDTHH:MM:SS.ffffffZ, got {value!r}")
    # The Z makes this an aware datetime in UTC; fromisoformat still rejects a 31 February.
    return datetime.fromisoformat(value)


def _rfc3339(instant: datetime | None) -> str | None:
    return None if instant is None else format_instant(instant)


def _instant(data: Mapping[str, object], name: str) -> datetime:
    try:
        return parse_instant(_string(data, name))
    except ValueError as error:
        raise ValueError(f"{name}: {error}") from None

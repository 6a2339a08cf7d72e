"""Interval changes saved to a local file at shutdown, when the store could not take them.

One JSON object per line, ``{"open": {...}}`` or ``{"close": {...}}``, in the order they were
made; written to a temporary name, synced, then renamed, so the file is whole or absent. The
daemon writes them to the store first thing at its next start, before it resumes open
intervals, and removes the file only once they are stored.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from ..errors import StorageError
from ..evidence import IntervalChange, IntervalClose, IntervalKind, IntervalOpen, IntervalRecord
from ..timefmt import format_instant, parse_instant

__all__ = ["keep_rejected", "load_journal", "save_journal"]


def _instant(value: datetime | None) -> str | None:
    return None if value is None else format_instant(value)


def _parse(value: object) -> datetime | None:
    return None if value is None else parse_instant(str(value))


def _entry(change: IntervalChange) -> dict[str, Any]:
    """One change as the JSON object of a journal line."""
    if isinstance(change, IntervalOpen):
        r = change.record
        return {
            "open": {
                "id": r.id,
                "kind": r.kind.value,
                "vantage": r.vantage,
                "subject": r.subject,
                "start": format_instant(r.start),
                "end": _instant(r.end),
                "start_bound": _instant(r.start_bound),
                "end_bound": _instant(r.end_bound),
                "detail": dict(r.detail),
            }
        }
    return {
        "close": {
            "id": change.interval_id,
            "end": format_instant(change.end),
            "end_bound": _instant(change.end_bound),
            "detail": None if change.detail is None else dict(change.detail),
        }
    }


def _line(entry: dict[str, Any]) -> str:
    return json.dumps(entry, separators=(",", ":"), ensure_ascii=False) + "\n"


def keep_rejected(change: IntervalChange, error: StorageError, path: Path) -> None:
    """Append a change the store refused to ``path``, with the reason: kept for a person to
    look at, never retried."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(_line({**_entry(change), "refused": str(error)}))
    except OSError as failure:
        reason = failure.strerror or failure
        raise StorageError(f"journal {path}: cannot append: {reason}") from None


def save_journal(changes: Iterable[IntervalChange], path: Path) -> int:
    """Write interval changes not yet stored to ``path`` (replaced atomically); return how
    many. For shutdown while the store is down; :func:`load_journal` reads them back."""
    lines = [_line(_entry(change)) for change in changes]
    partial = path.with_name(path.name + ".partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with partial.open("w", encoding="utf-8") as handle:
            handle.writelines(lines)
            handle.flush()
            os.fsync(handle.fileno())
        partial.replace(path)
    except OSError as error:
        # A part written to a full disk would hold the very space a second attempt needs.
        with contextlib.suppress(OSError):
            partial.unlink()
        raise StorageError(f"journal {path}: cannot save: {error.strerror or error}") from None
    return len(lines)


def load_journal(path: Path) -> list[IntervalChange]:
    """The changes :func:`save_journal` wrote to ``path``, in order; none if there is no file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as error:
        raise StorageError(f"journal {path}: cannot read: {error}") from None
    changes: list[IntervalChange] = []
    for number, line in enumerate(text.splitlines(), start=1):
        try:
            entry = json.loads(line)
            if "open" in entry:
                o = entry["open"]
                record = IntervalRecord(
                    IntervalKind(o["kind"]),
                    o["vantage"],
                    o["subject"],
                    parse_instant(o["start"]),
                    _parse(o["end"]),
                    _parse(o["start_bound"]),
                    _parse(o["end_bound"]),
                    o["detail"],
                    int(o["id"]),
                )
                changes.append(IntervalOpen(record))
            else:
                c = entry["close"]
                changes.append(
                    IntervalClose(
                        int(c["id"]), parse_instant(c["end"]), _parse(c["end_bound"]), c["detail"]
                    )
                )
        except (ValueError, KeyError, TypeError) as error:
            raise StorageError(
                f"journal {path}: line {number}: not a saved change: {error}"
            ) from None
    return changes

"""Interval changes saved to a local file at shutdown, when the store could not take them.

One JSON object per line (:func:`~monitor.write.jsonl.encode_change`), in the order they were
made; written to a temporary name, synced, then renamed, so the file is whole or absent. The
daemon writes them to the store first thing at its next start, before it resumes open
intervals, and removes the file only once they are stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..errors import StorageError
from ..evidence import IntervalChange
from .jsonl import encode_change, read_change, replace_file

__all__ = ["keep_rejected", "load_journal", "save_journal"]


def keep_rejected(change: IntervalChange, error: StorageError, path: Path) -> None:
    """Append a change the store refused to ``path``, with the reason: kept for a person to
    look at, never retried."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="ascii") as handle:
            handle.write(encode_change(change, refused=str(error)) + "\n")
    except OSError as failure:
        reason = failure.strerror or failure
        raise StorageError(f"journal {path}: cannot append: {reason}") from None


def save_journal(changes: Iterable[IntervalChange], path: Path) -> int:
    """Write interval changes not yet stored to ``path`` (replaced atomically); return how
    many. For shutdown while the store is down; :func:`load_journal` reads them back."""
    lines = [encode_change(change) + "\n" for change in changes]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        replace_file(path, "".join(lines).encode("ascii"))
    except OSError as error:
        raise StorageError(f"journal {path}: cannot save: {error.strerror or error}") from None
    return len(lines)


def load_journal(path: Path) -> list[IntervalChange]:
    """The changes :func:`save_journal` wrote to ``path``, in order; none if there is no file.

    A line that is not a saved change, a last one cut short included, is a StorageError naming
    it: the file is kept, since what it holds may be an outage.
    """
    try:
        with path.open("rb") as handle:
            lines = handle.readlines()
    except FileNotFoundError:
        return []
    except OSError as error:
        raise StorageError(f"journal {path}: cannot read: {error.strerror or error}") from None
    changes: list[IntervalChange] = []
    for number, raw in enumerate(lines, start=1):
        try:
            changes.append(read_change(raw))
        except ValueError as error:
            raise StorageError(f"journal {path}: line {number}: {error}") from None
    return changes

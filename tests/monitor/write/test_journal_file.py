"""Interval changes saved at shutdown and read back at the next start."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.errors import StorageError
from monitor.evidence import (
    IntervalChange,
    IntervalClose,
    IntervalKind,
    IntervalOpen,
    IntervalRecord,
)
from monitor.write.journal_file import keep_rejected, load_journal, save_journal

T0 = datetime(2026, 10, 5, 10, 0, 0, 123456, tzinfo=UTC)

CHANGES: list[IntervalChange] = [
    IntervalOpen(
        IntervalRecord(
            IntervalKind.OUTAGE,
            "eu-west",
            "shop",
            T0,
            None,
            start_bound=T0 - timedelta(seconds=10),
            detail={"checks_down": ["home", "file"], "note": "écrit"},
            id=2**61 + 7,
        )
    ),
    IntervalOpen(
        IntervalRecord(IntervalKind.GAP, "eu-west", "*", T0, T0 + timedelta(minutes=1), id=12)
    ),
    IntervalClose(2**61 + 7, T0 + timedelta(minutes=5), T0 + timedelta(minutes=4), None),
    IntervalClose(12, T0 + timedelta(minutes=1), None, {"stopped": "clean"}),
]


def test_changes_round_trip_in_order(tmp_path: Path) -> None:
    """Every field of opens and closes comes back equal, in the order saved."""
    path = tmp_path / "spool" / "journal.jsonl"

    assert save_journal(CHANGES, path) == 4

    assert load_journal(path) == CHANGES
    assert not path.with_name("journal.jsonl.partial").exists()


def test_no_file_is_no_changes(tmp_path: Path) -> None:
    """A clean shutdown leaves no file: nothing to store."""
    assert load_journal(tmp_path / "journal.jsonl") == []


@pytest.mark.parametrize(
    "content",
    [
        pytest.param('{"open": {"id": 1}}\n', id="missing-fields"),
        pytest.param("not json\n", id="not-json"),
        pytest.param('{"close": {"id": 1, "end": "yesterday"}}\n', id="bad-instant"),
    ],
)
def test_a_damaged_file_is_one_storage_error_naming_the_line(tmp_path: Path, content: str) -> None:
    """A file that is not a saved journal is refused (and kept), naming the file and line."""
    path = tmp_path / "journal.jsonl"
    path.write_text(content, encoding="utf-8")

    with pytest.raises(StorageError, match=r"journal .*journal\.jsonl: line 1: ") as caught:
        load_journal(path)

    assert "\n" not in str(caught.value)
    assert path.exists()


def test_an_unwritable_place_is_a_storage_error(tmp_path: Path) -> None:
    """Saving under a regular file fails with one line naming the path."""
    blocker = tmp_path / "file"
    blocker.write_text("x")

    with pytest.raises(StorageError, match="cannot save"):
        save_journal(CHANGES, blocker / "journal.jsonl")


def test_refused_changes_are_appended_with_the_reason(tmp_path: Path) -> None:
    """Each refused change is one more line, with the store's reason beside it."""
    path = tmp_path / "spool" / "rejected.jsonl"

    keep_rejected(CHANGES[2], StorageError("no open interval", refused=True), path)
    keep_rejected(CHANGES[3], StorageError("constraint failed", refused=True), path)

    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["refused"] for line in lines] == [
        "no open interval",
        "constraint failed",
    ]
    assert json.loads(lines[0])["close"]["id"] == 2**61 + 7

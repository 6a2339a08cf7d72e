"""Interval changes saved at shutdown and read back at the next start."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.errors import StorageError
from monitor.write.journal_file import keep_rejected, load_journal, save_journal

from .test_jsonl import CHANGES, EARLIER_CHANGES, EARLIER_JOURNAL


def test_changes_round_trip_in_order(tmp_path: Path) -> None:
    """Every field of opens and closes comes back equal, in the order saved."""
    path = tmp_path / "spool" / "journal.jsonl"

    assert save_journal(CHANGES, path) == 4

    assert load_journal(path) == CHANGES
    assert not path.with_name("journal.jsonl.partial").exists()


def test_a_journal_an_earlier_version_saved_is_loaded(tmp_path: Path) -> None:
    """A file saved by an earlier version (unescaped text, no zero fractions) loads whole."""
    path = tmp_path / "journal.jsonl"
    path.write_bytes(EARLIER_JOURNAL.encode("utf-8"))

    assert load_journal(path) == EARLIER_CHANGES


def test_a_last_line_cut_short_is_refused_and_the_file_kept(tmp_path: Path) -> None:
    """A torn last line is a StorageError saying so; nothing is dropped, the file stays."""
    path = tmp_path / "journal.jsonl"
    save_journal(CHANGES, path)
    path.write_bytes(path.read_bytes()[:-20])

    with pytest.raises(
        StorageError, match=r"journal .*: line 4: truncated last line \(writing stopped mid-line\)$"
    ):
        load_journal(path)

    assert path.exists()


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

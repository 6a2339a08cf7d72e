"""Spool: rows spilled to local segment files come back in order, whole, after any restart."""

from __future__ import annotations

import contextlib
import itertools
import re
import resource
import signal
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.errors import StorageError
from monitor.results import Outcome, ProbeResult
from monitor.write.jsonl import decode_result, encode_result
from monitor.write.spool import DEFAULT_SEGMENT_BYTES, Spool

from ...tmpfs import fill, small_filesystem
from .test_jsonl import BARE, FULL, UNENCODABLE

T0 = datetime(2026, 10, 5, 10, 0, tzinfo=UTC)

#: A segment size so small that every row gets a segment file of its own.
ONE_ROW = 1


def row(i: int, *, check: str = "shop/api") -> ProbeResult:
    """A distinct plain result: ``i`` seconds and microseconds after T0."""
    return ProbeResult(
        check,
        "eu-west",
        T0 + timedelta(seconds=i, microseconds=i),
        0.0125,
        Outcome.UP,
        status=200,
        bytes_read=512,
    )


def rows(start: int, stop: int) -> list[ProbeResult]:
    """``row(i)`` for i in [start, stop)."""
    return [row(i) for i in range(start, stop)]


def segment_files(directory: Path) -> list[Path]:
    """The segment files in ``directory``, in reading order."""
    found = [
        (int(path.name.removeprefix("spool-").removesuffix(".jsonl")), path)
        for path in directory.glob("spool-*.jsonl")
    ]
    return [path for _, path in sorted(found)]


def rows_in(path: Path) -> list[ProbeResult]:
    """The rows of one segment file that decode."""
    held = []
    for line in path.read_bytes().splitlines():
        with contextlib.suppress(ValueError):
            held.append(decode_result(line.decode()))
    return held


@pytest.fixture
def make_spool(tmp_path: Path) -> Iterator[Callable[..., Spool]]:
    """Opened spools on ``tmp_path / "spool"`` (or a given directory), closed after the test."""
    made: list[Spool] = []

    def make(directory: Path | None = None, **options: Any) -> Spool:
        spool = Spool(tmp_path / "spool" if directory is None else directory, **options)
        made.append(spool)
        spool.open()
        return spool

    yield make
    for spool in made:
        spool.close()


@contextlib.contextmanager
def file_size_limit(limit: int) -> Iterator[None]:
    """Writes past ``limit`` bytes of any file fail with EFBIG (a disk that fills up)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, handler)


# Encoding


def test_round_trip_keeps_every_field(make_spool: Callable[..., Spool]) -> None:
    """Every field comes back equal, instants as UTC-aware datetimes, also after a restart."""
    spool = make_spool()
    spool.append([FULL, BARE])
    assert spool.peek(2) == [FULL, BARE]
    spool.close()
    full, bare = make_spool().peek(2)
    assert (full, bare) == (FULL, BARE)
    assert full.started_at.tzinfo is UTC
    assert full.cert_expires_at is not None
    assert full.cert_expires_at.tzinfo is UTC


#: A row exactly as an earlier version of the spool wrote it.
EARLIER_ROW = (
    b'{"check":"shop/dns","vantage":"ap-south","started_at":"2026-10-05T10:30:15.123456Z",'
    b'"latency":0.25,"outcome":"content_mismatch","detail":"Gr\\u00f6\\u00dfe \\u2260 200",'
    b'"status":203,"bytes_read":4096,"cert_expires_at":"2027-01-01T00:00:00.000000Z",'
    b'"answers":["192.0.2.1"]}\n'
)


def test_a_spool_an_earlier_version_wrote_is_read(make_spool: Callable[..., Spool]) -> None:
    """A segment file left by an earlier version gives back the result it held, unreported."""
    directory = make_spool().directory
    (directory / "spool-0.jsonl").write_bytes(EARLIER_ROW)
    problems: list[str] = []

    spool = make_spool(on_problem=problems.append)

    assert spool.peek(2) == [
        ProbeResult(
            "shop/dns",
            "ap-south",
            datetime(2026, 10, 5, 10, 30, 15, 123456, tzinfo=UTC),
            0.25,
            Outcome.CONTENT_MISMATCH,
            detail="Größe ≠ 200",
            status=203,
            bytes_read=4096,
            cert_expires_at=datetime(2027, 1, 1, tzinfo=UTC),
            answers=("192.0.2.1",),
        )
    ]
    assert (problems, spool.skipped) == ([], 0)


@pytest.mark.parametrize(("result", "message"), UNENCODABLE)
def test_results_that_cannot_round_trip_are_refused_before_anything_is_written(
    make_spool: Callable[..., Spool], result: ProbeResult, message: str
) -> None:
    """A naive or out-of-range instant or a non-finite latency is a ValueError; nothing is spooled."""
    with pytest.raises(ValueError, match=message):
        encode_result(result)
    spool = make_spool()
    for add in (spool.append, spool.prepend):
        with pytest.raises(ValueError, match=message):
            add([row(0), result])
    assert (spool.pending, spool.spilled) == (0, 0)
    assert segment_files(spool.directory) == []


# Order, peek and commit


def test_order_across_appends_prepends_and_segments(make_spool: Callable[..., Spool]) -> None:
    """Rows come out prepended-last-first, then in append order, across many segment files."""
    spool = make_spool(segment_bytes=ONE_ROW)
    spool.append(rows(7, 10))
    spool.prepend(rows(5, 7))
    spool.append(rows(10, 12))
    spool.prepend(rows(0, 5))
    assert spool.peek(100) == rows(0, 12)
    assert len(segment_files(spool.directory)) == 7  # 5 one-row appends, 2 prepends
    spool.close()
    assert make_spool(segment_bytes=ONE_ROW).peek(100) == rows(0, 12)


def test_prepend_uses_negative_sequence_numbers(make_spool: Callable[..., Spool]) -> None:
    """Prepending before segment 0 names segments -1, -2, ..., and they are read first."""
    spool = make_spool()
    spool.append(rows(2, 3))
    spool.prepend(rows(1, 2))
    spool.prepend(rows(0, 1))
    names = [path.name for path in segment_files(spool.directory)]
    assert names == ["spool--2.jsonl", "spool--1.jsonl", "spool-0.jsonl"]
    spool.close()
    assert make_spool().peek(3) == rows(0, 3)


def test_prepend_into_an_empty_spool_then_append_after_it(
    make_spool: Callable[..., Spool],
) -> None:
    """A prepend into an empty spool is the oldest row, and later appends follow it."""
    spool = make_spool()
    spool.prepend(rows(0, 2))
    spool.append(rows(2, 4))
    assert spool.peek(10) == rows(0, 4)


def test_segment_rolls_once_it_reaches_segment_bytes(make_spool: Callable[..., Spool]) -> None:
    """A segment takes rows while below segment_bytes, so it ends at most one row past it."""
    size = len(encode_result(row(0))) + 1
    spool = make_spool(segment_bytes=2 * size + 1)
    spool.append(rows(0, 4))
    spool.append(rows(4, 5))
    assert [len(rows_in(path)) for path in segment_files(spool.directory)] == [3, 2]
    spool.close()
    spool = make_spool(segment_bytes=2 * size + 1)
    spool.append(rows(5, 6))  # the last segment is below the size still: it takes one more row
    assert [len(rows_in(path)) for path in segment_files(spool.directory)] == [3, 3]


def test_a_full_segment_found_at_open_gets_no_more_rows(make_spool: Callable[..., Spool]) -> None:
    """After a restart with a smaller segment_bytes, appends start a new segment."""
    make_spool().append(rows(0, 3))
    spool = make_spool(segment_bytes=10)
    spool.append(rows(3, 4))
    assert [len(rows_in(path)) for path in segment_files(spool.directory)] == [3, 1]
    assert spool.peek(5) == rows(0, 4)


def test_peek_repeats_and_does_not_remove(make_spool: Callable[..., Spool]) -> None:
    """Peeking returns the oldest rows, the same again, and fewer when there are fewer."""
    spool = make_spool(segment_bytes=ONE_ROW)
    spool.append(rows(0, 3))
    assert spool.peek(2) == rows(0, 2)
    assert spool.peek(2) == rows(0, 2)
    assert spool.peek(0) == []
    assert spool.peek(10) == rows(0, 3)
    assert spool.pending == 3
    with pytest.raises(ValueError, match="cannot peek -1 rows"):
        spool.peek(-1)


def test_commit_drops_the_oldest_peeked_rows(make_spool: Callable[..., Spool]) -> None:
    """Commit drops rows from the head, at most as many as the last peek returned."""
    spool = make_spool()
    spool.append(rows(0, 5))
    with pytest.raises(ValueError, match="cannot commit 1 rows: the last peek left 0"):
        spool.commit(1)
    assert spool.peek(3) == rows(0, 3)
    with pytest.raises(ValueError, match="cannot commit 4 rows: the last peek left 3"):
        spool.commit(4)
    with pytest.raises(ValueError, match="cannot commit -1 rows"):
        spool.commit(-1)
    spool.commit(2)
    spool.commit(1)  # what is left of the last peek may be committed later
    with pytest.raises(ValueError, match="cannot commit 1 rows: the last peek left 0"):
        spool.commit(1)
    assert spool.pending == 2
    assert spool.peek(5) == rows(3, 5)
    spool.commit(0)
    assert spool.peek(5) == rows(3, 5)


def test_peek_larger_than_a_commit_window_is_allowed_to_shrink(
    make_spool: Callable[..., Spool],
) -> None:
    """A smaller peek after a larger one limits the next commit to the smaller count."""
    spool = make_spool()
    spool.append(rows(0, 5))
    spool.peek(5)
    spool.peek(2)
    with pytest.raises(ValueError, match="cannot commit 3 rows: the last peek left 2"):
        spool.commit(3)


def test_prepend_ends_the_peek(make_spool: Callable[..., Spool]) -> None:
    """After a prepend nothing may be committed until the next peek, which shows the new rows."""
    spool = make_spool()
    spool.append(rows(2, 4))
    assert spool.peek(2) == rows(2, 4)
    spool.prepend(rows(0, 2))
    with pytest.raises(ValueError, match="the last peek left 0"):
        spool.commit(1)
    assert spool.peek(3) == rows(0, 3)
    spool.commit(3)
    assert spool.peek(3) == rows(3, 4)


def test_empty_append_and_prepend_change_nothing(make_spool: Callable[..., Spool]) -> None:
    """Appending or prepending no rows creates no file and keeps the peek."""
    spool = make_spool()
    spool.append([])
    spool.prepend([])
    assert segment_files(spool.directory) == []
    spool.append(rows(0, 1))
    spool.peek(1)
    spool.prepend([])
    spool.commit(1)
    assert spool.pending == 0


def test_rows_appended_while_reading_the_last_segment_follow(
    make_spool: Callable[..., Spool],
) -> None:
    """Rows appended after a peek reached the end are found by the next peek."""
    spool = make_spool()
    spool.append(rows(0, 2))
    assert spool.peek(5) == rows(0, 2)
    spool.append(rows(2, 4))
    assert spool.peek(5) == rows(0, 4)
    spool.commit(4)
    spool.append(rows(4, 5))
    assert spool.peek(5) == rows(4, 5)


# Files


def test_segment_files_are_deleted_once_fully_committed(
    make_spool: Callable[..., Spool],
) -> None:
    """A segment file goes when its last row is committed, not before."""
    size = len(encode_result(row(0))) + 1
    spool = make_spool(segment_bytes=2 * size)
    spool.append(rows(0, 5))
    first, second, third = segment_files(spool.directory)
    assert spool.peek(3) == rows(0, 3)
    spool.commit(1)
    assert segment_files(spool.directory) == [first, second, third]
    spool.commit(1)
    assert segment_files(spool.directory) == [second, third]
    spool.commit(1)
    assert segment_files(spool.directory) == [second, third]
    spool.peek(2)
    spool.commit(2)
    assert segment_files(spool.directory) == []
    assert spool.pending == 0
    spool.append(rows(5, 6))  # the segment being appended to was deleted too: a new one
    assert [path.name for path in segment_files(spool.directory)] == ["spool-3.jsonl"]
    assert spool.peek(1) == rows(5, 6)


def test_restart_replays_uncommitted_rows_and_partly_committed_segments(
    make_spool: Callable[..., Spool],
) -> None:
    """After a restart every row still in a file is pending: at least once, never lost."""
    size = len(encode_result(row(0))) + 1
    spool = make_spool(segment_bytes=3 * size)
    spool.append(rows(0, 6))  # two segments of three
    spool.peek(4)
    spool.commit(4)  # the first segment is gone; one row of the second is committed
    spool.close()
    again = make_spool(segment_bytes=3 * size)
    assert again.pending == 3
    assert again.peek(10) == rows(3, 6)


def test_restart_after_close_without_commit_keeps_everything(
    make_spool: Callable[..., Spool],
) -> None:
    """Rows survive close and a new Spool on the same directory, with exact pending."""
    spool = make_spool(segment_bytes=ONE_ROW)
    spool.append(rows(0, 3))
    spool.prepend(rows(-2, 0))
    spool.close()
    again = make_spool(segment_bytes=ONE_ROW)
    assert again.pending == 5
    assert again.peek(10) == rows(-2, 3)


def test_unrelated_files_are_ignored_and_left_alone(make_spool: Callable[..., Spool]) -> None:
    """Only files named spool-<integer>.jsonl are segments; other entries stay untouched."""
    directory = make_spool().directory
    others = {
        "notes.txt": b"not a segment\n",
        "spool-007.jsonl": encode_result(row(7)).encode() + b"\n",
        "spool--0.jsonl": encode_result(row(8)).encode() + b"\n",
        "spool-x.jsonl": b"garbage\n",
        "spool-1.jsonl.tmp": b"garbage\n",
        "spool-\u0663.jsonl": encode_result(row(9)).encode() + b"\n",
    }
    for name, content in others.items():
        (directory / name).write_bytes(content)
    (directory / "spool-5.jsonl").mkdir()
    (directory / "spool-6.jsonl").symlink_to(directory / "missing")
    problems: list[str] = []
    spool = make_spool(on_problem=problems.append)
    assert (spool.pending, problems) == (0, [])
    spool.append(rows(0, 1))
    spool.peek(1)
    spool.commit(1)
    for name, content in others.items():
        assert (directory / name).read_bytes() == content
    assert (directory / "spool-5.jsonl").is_dir()


# Bad content


def test_truncated_last_line_is_skipped_and_appends_start_a_new_segment(
    make_spool: Callable[..., Spool],
) -> None:
    """A line cut short is reported with its file and line, skipped, and not appended onto."""
    spool = make_spool()
    spool.append(rows(0, 3))
    spool.close()
    path = spool.directory / "spool-0.jsonl"
    whole = path.read_bytes()
    cut = whole[: -len(encode_result(row(2))) // 2]
    path.write_bytes(cut)
    problems: list[str] = []
    spool = make_spool(on_problem=problems.append)
    assert problems == [
        f"spool {path}: line 3: truncated last line (writing stopped mid-line); skipped"
    ]
    assert (spool.pending, spool.skipped) == (2, 1)
    spool.append(rows(3, 4))
    assert path.read_bytes() == cut
    assert [p.name for p in segment_files(spool.directory)] == ["spool-0.jsonl", "spool-1.jsonl"]
    assert spool.peek(10) == [row(0), row(1), row(3)]
    spool.close()
    problems.clear()
    assert make_spool(on_problem=problems.append).peek(10) == [row(0), row(1), row(3)]
    assert len(problems) == 1


def test_whole_last_line_without_newline_is_a_row(make_spool: Callable[..., Spool]) -> None:
    """A last row missing only its newline is kept, and appends still start a new segment."""
    spool = make_spool()
    spool.append(rows(0, 2))
    spool.close()
    path = spool.directory / "spool-0.jsonl"
    path.write_bytes(path.read_bytes().rstrip(b"\n"))
    problems: list[str] = []
    spool = make_spool(on_problem=problems.append)
    assert (spool.pending, problems) == (2, [])
    spool.append(rows(2, 3))
    assert len(segment_files(spool.directory)) == 2
    assert spool.peek(5) == rows(0, 3)


def test_corrupt_middle_lines_are_skipped_and_reported(
    make_spool: Callable[..., Spool],
) -> None:
    """Undecodable lines anywhere are skipped with file and line number; the rest is read."""
    spool = make_spool()
    path = spool.directory / "spool-0.jsonl"
    good = [encode_result(r).encode() for r in rows(0, 3)]
    path.write_bytes(b"\n".join([good[0], b"{garbage", good[1], b"\xff\xfe", b"", good[2], b""]))
    spool.close()
    problems: list[str] = []
    spool = make_spool(on_problem=problems.append)
    assert [p.split(": ", 2)[1] for p in problems] == ["line 2", "line 4", "line 5"]
    assert all(p.startswith(f"spool {path}: line ") and "not a result (" in p for p in problems)
    assert all("\n" not in p for p in problems)
    assert (spool.pending, spool.skipped) == (3, 3)
    assert spool.peek(10) == rows(0, 3)
    spool.append(rows(3, 4))  # the file ends with a newline: appends continue in it
    assert segment_files(spool.directory) == [path]
    spool.peek(10)
    spool.commit(4)
    assert not path.exists()


def test_segments_without_rows_are_deleted_when_reached(
    make_spool: Callable[..., Spool],
) -> None:
    """An empty or all-bad segment is passed over and deleted, and counts for nothing."""
    directory = make_spool().directory
    (directory / "spool-0.jsonl").write_bytes(b"")
    (directory / "spool-1.jsonl").write_bytes(b"bad\n")
    (directory / "spool-2.jsonl").write_bytes(encode_result(row(0)).encode() + b"\n")
    (directory / "spool-3.jsonl").write_bytes(b"")
    spool = make_spool()
    assert (spool.pending, spool.skipped) == (1, 1)
    assert spool.peek(5) == [row(0)]
    assert [p.name for p in segment_files(directory)] == ["spool-2.jsonl", "spool-3.jsonl"]
    spool.append(rows(1, 2))  # into the empty last segment
    assert [p.name for p in segment_files(directory)] == ["spool-2.jsonl", "spool-3.jsonl"]
    spool.peek(5)
    spool.commit(2)
    assert segment_files(directory) == []


def test_empty_spool_deletes_an_empty_segment_on_peek(make_spool: Callable[..., Spool]) -> None:
    """A lone empty segment file (a crash right after creating it) is tidied by a peek."""
    directory = make_spool().directory
    (directory / "spool-4.jsonl").write_bytes(b"")
    spool = make_spool()
    assert spool.peek(1) == []
    assert segment_files(directory) == []
    spool.append(rows(0, 1))
    assert [p.name for p in segment_files(directory)] == ["spool-5.jsonl"]


def test_segment_changed_behind_the_spools_back_is_read_as_it_is(
    make_spool: Callable[..., Spool],
) -> None:
    """A segment edited after open is read as it now is; pending follows; nothing raises."""
    spool = make_spool(segment_bytes=ONE_ROW)
    spool.append([row(0)])
    spool.append([row(1)])
    spool.close()
    first, second = segment_files(spool.directory)
    spool = make_spool(segment_bytes=ONE_ROW)
    first.write_bytes(b"")  # a row counted at open is gone
    second.write_bytes(b"".join(encode_result(r).encode() + b"\n" for r in rows(1, 4)))
    assert spool.pending == 2
    assert spool.peek(10) == rows(1, 4)
    assert spool.pending == 3
    spool.commit(3)
    assert spool.pending == 0
    assert segment_files(spool.directory) == []


# Counters and lifecycle


def test_pending_and_spilled_count_rows(make_spool: Callable[..., Spool]) -> None:
    """pending is rows not committed; spilled counts rows added through this object."""
    spool = make_spool(segment_bytes=ONE_ROW)
    assert (spool.pending, spool.spilled, spool.skipped) == (0, 0, 0)
    spool.append(rows(0, 3))
    spool.prepend(rows(-1, 0))
    assert (spool.pending, spool.spilled) == (4, 4)
    spool.peek(2)
    assert spool.pending == 4
    spool.commit(2)
    assert (spool.pending, spool.spilled) == (2, 4)
    spool.close()
    assert spool.pending == 2
    spool.open()
    assert (spool.pending, spool.spilled) == (2, 4)
    spool.append(rows(3, 4))
    assert (spool.pending, spool.spilled) == (3, 5)


def test_open_and_close_are_idempotent(make_spool: Callable[..., Spool]) -> None:
    """open twice counts once; close twice is harmless; a closed spool refuses work."""
    spool = make_spool()
    spool.append(rows(0, 2))
    spool.open()
    assert spool.pending == 2
    spool.close()
    spool.close()
    for operation in (
        lambda: spool.append(rows(2, 3)),
        lambda: spool.prepend(rows(2, 3)),
        lambda: spool.peek(1),
        lambda: spool.commit(0),
        spool.sync,
    ):
        with pytest.raises(RuntimeError, match=re.escape(f"spool {spool.directory} is not open")):
            operation()
    spool.open()
    spool.open()
    assert spool.peek(5) == rows(0, 2)


def test_open_creates_missing_directories(tmp_path: Path) -> None:
    """open() creates the directory and its parents; a str path works too."""
    spool = Spool(str(tmp_path / "a" / "b"))
    assert spool.directory == tmp_path / "a" / "b"
    spool.open()
    assert spool.directory.is_dir()
    spool.close()


def test_sync_and_close_make_rows_durable(make_spool: Callable[..., Spool]) -> None:
    """sync() and close() flush what was appended; a spool with nothing open syncs nothing."""
    spool = make_spool()
    spool.sync()
    spool.append(rows(0, 2))
    spool.sync()
    spool.sync()
    spool.append(rows(2, 3))
    spool.close()
    assert rows_in(spool.directory / "spool-0.jsonl") == rows(0, 3)


def test_segment_bytes_must_be_positive(tmp_path: Path) -> None:
    """A segment size below one byte is a ValueError."""
    with pytest.raises(ValueError, match="segment_bytes must be at least 1, got 0"):
        Spool(tmp_path, segment_bytes=0)


# Filesystem failures


def test_directory_that_cannot_be_created_is_a_storage_error(tmp_path: Path) -> None:
    """A spool directory under a regular file gives StorageError naming the path."""
    blocker = tmp_path / "file"
    blocker.write_text("x")
    spool = Spool(blocker / "spool")
    with pytest.raises(StorageError) as caught:
        spool.open()
    message = str(caught.value)
    assert message == f"spool {blocker / 'spool'}: create directory: Not a directory"
    assert "\n" not in message


def test_existing_file_at_a_new_segment_name_is_a_storage_error(
    make_spool: Callable[..., Spool],
) -> None:
    """A segment is never created over an existing file: StorageError naming it."""
    spool = make_spool()
    blocker = spool.directory / "spool-0.jsonl"
    blocker.write_bytes(b"other\n")
    with pytest.raises(StorageError, match=re.escape(f"spool {blocker}: create: File exists")):
        spool.append(rows(0, 1))
    assert blocker.read_bytes() == b"other\n"
    assert spool.pending == 0


def test_append_failing_part_way_keeps_whole_rows_and_goes_on(
    make_spool: Callable[..., Spool],
) -> None:
    """A disk that fills mid-append: whole rows stay, the part of a row is cut off, and later
    rows go on in the same file."""
    problems: list[str] = []
    spool = make_spool(on_problem=problems.append)
    line = len(encode_result(row(0))) + 1
    with file_size_limit(line + 10), pytest.raises(StorageError) as caught:
        spool.append(rows(0, 3))
    path = spool.directory / "spool-0.jsonl"
    assert str(caught.value) == f"spool {path}: append: File too large"
    assert (spool.pending, spool.spilled) == (1, 1)
    assert path.stat().st_size == line
    spool.append(rows(3, 4))
    assert segment_files(spool.directory) == [path]
    assert spool.peek(5) == [row(0), row(3)]
    spool.close()
    again = make_spool(on_problem=problems.append)
    assert again.peek(5) == [row(0), row(3)]
    assert problems == []


def test_appends_that_write_no_row_leave_no_file(make_spool: Callable[..., Spool]) -> None:
    """However often an append fails before its first whole row, no file is left behind, and
    the spool works once the disk has room again."""
    spool = make_spool()
    with file_size_limit(10):
        for _ in range(50):
            with pytest.raises(StorageError, match="append: File too large"):
                spool.append(rows(0, 1))
    assert segment_files(spool.directory) == []
    assert (spool.pending, spool.spilled) == (0, 0)
    spool.append(rows(1, 2))
    assert len(segment_files(spool.directory)) == 1
    assert spool.peek(5) == rows(1, 2)


def test_appends_after_whole_rows_failing_keep_to_one_file(
    make_spool: Callable[..., Spool],
) -> None:
    """Rows already in a segment stay, and failed appends after them add no file and no part
    of a row."""
    spool = make_spool()
    spool.append(rows(0, 2))
    [path] = segment_files(spool.directory)
    size = path.stat().st_size
    with file_size_limit(size + 10):
        for _ in range(20):
            with pytest.raises(StorageError):
                spool.append(rows(2, 3))
    assert segment_files(spool.directory) == [path]
    assert path.stat().st_size == size
    spool.append(rows(3, 4))
    assert spool.peek(5) == [row(0), row(1), row(3)]


def test_prepend_failing_part_way_keeps_whole_rows_first(
    make_spool: Callable[..., Spool],
) -> None:
    """A disk that fills mid-prepend: whole rows stay first, the spool goes on working."""
    spool = make_spool()
    spool.append(rows(5, 6))
    line = len(encode_result(row(0))) + 1
    with file_size_limit(line + 10), pytest.raises(StorageError) as caught:
        spool.prepend(rows(0, 3))
    path = spool.directory / "spool--1.jsonl"
    assert str(caught.value) == f"spool {path}: write: File too large"
    assert (spool.pending, spool.spilled) == (2, 2)
    assert spool.peek(5) == [row(0), row(5)]
    spool.commit(2)
    assert segment_files(spool.directory) == []


def test_prepend_that_writes_nothing_leaves_no_rows(make_spool: Callable[..., Spool]) -> None:
    """A prepend failing before its first whole row adds nothing, and leaves no file."""
    spool = make_spool()
    with file_size_limit(10), pytest.raises(StorageError, match="File too large"):
        spool.prepend(rows(0, 1))
    assert spool.pending == 0
    assert segment_files(spool.directory) == []
    assert spool.peek(1) == []
    assert segment_files(spool.directory) == []


def test_a_full_disk_leaves_no_files_and_the_spool_resumes_once_it_has_room(
    tmp_path: Path,
) -> None:
    """On a real filesystem with no space left, appends and prepends fail (StorageError naming
    the reason) without leaving a file; once space is freed, both work again."""
    with small_filesystem(tmp_path / "disk") as disk:
        spool = Spool(disk / "spool")
        spool.open()
        filler = fill(disk)
        for number in range(100):
            with pytest.raises(StorageError, match="No space left on device"):
                spool.append(rows(number, number + 1))
        with pytest.raises(StorageError, match="No space left on device"):
            spool.prepend(rows(-1, 0))
        assert segment_files(spool.directory) == []
        assert spool.pending == 0
        filler.unlink()
        spool.append(rows(100, 101))
        spool.prepend(rows(-1, 0))
        assert spool.peek(5) == [row(-1), row(100)]
        spool.close()


# The reserve


def test_open_sets_the_reserve_aside_and_release_gives_it_back(tmp_path: Path) -> None:
    """open() fills the reserve file to its size; release_reserve() deletes it and says how much
    it freed, once; the next open sets it aside again."""
    spool = Spool(tmp_path / "spool", reserve_bytes=8192)
    spool.open()
    assert spool.reserve_path == tmp_path / "spool" / "journal.reserve"
    assert spool.reserve_path.stat().st_size == 8192
    assert spool.release_reserve() == 8192
    assert not spool.reserve_path.exists()
    assert spool.release_reserve() == 0
    spool.close()
    spool.open()
    assert spool.reserve_path.stat().st_size == 8192
    assert segment_files(spool.directory) == []
    spool.close()


def test_a_reserve_that_does_not_fit_is_reported_and_the_spool_works(tmp_path: Path) -> None:
    """Without room for the reserve, open() says so through on_problem and goes on, leaving no
    part of it behind."""
    problems: list[str] = []
    spool = Spool(tmp_path / "spool", reserve_bytes=8192, on_problem=problems.append)
    with file_size_limit(100):
        spool.open()
    path = tmp_path / "spool" / "journal.reserve"
    assert problems == [
        f"spool {path}: cannot set aside 8192 bytes for the journal at stop: File too large"
    ]
    assert sorted(p.name for p in spool.directory.iterdir()) == []
    spool.append(rows(0, 1))
    assert spool.peek(1) == rows(0, 1)
    assert spool.skipped == 0
    spool.close()


def test_a_negative_reserve_is_refused(tmp_path: Path) -> None:
    """A reserve below zero bytes is a ValueError."""
    with pytest.raises(ValueError, match="reserve_bytes must not be negative, got -1"):
        Spool(tmp_path, reserve_bytes=-1)


# The list model


OPERATIONS = st.lists(
    st.tuples(st.sampled_from(["append", "prepend", "peek", "commit"]), st.integers(0, 5))
    | st.just(("reopen", 0)),
    max_size=40,
)


@given(operations=OPERATIONS, segment_bytes=st.sampled_from([ONE_ROW, 600, DEFAULT_SEGMENT_BYTES]))
def test_any_interleaving_follows_the_list_model(
    operations: list[tuple[str, int]], segment_bytes: int
) -> None:
    """Rows come out as a list model predicts; a reopen brings back at most the head file's
    committed rows, in front."""
    numbers = itertools.count()
    model: list[ProbeResult] = []
    peeked = 0
    with tempfile.TemporaryDirectory() as directory:
        spool = Spool(directory, segment_bytes=segment_bytes)
        spool.open()
        for operation, n in operations:
            if operation == "append":
                added = [row(next(numbers)) for _ in range(n)]
                spool.append(added)
                model += added
            elif operation == "prepend":
                added = [row(-next(numbers)) for _ in range(n)]
                spool.prepend(added)
                model = added + model
                peeked = peeked if n == 0 else 0
            elif operation == "peek":
                assert spool.peek(n) == model[:n]
                peeked = min(n, len(model))
            elif operation == "commit" and n > peeked:
                with pytest.raises(ValueError, match="cannot commit"):
                    spool.commit(n)
            elif operation == "commit":
                spool.commit(n)
                model = model[n:]
                peeked -= n
            else:
                spool.close()
                files = [rows_in(path) for path in segment_files(Path(directory))]
                held = [r for file in files for r in file]
                replayed = len(held) - len(model)
                assert held[replayed:] == model
                assert replayed == 0 or 0 < replayed < len(files[0])
                spool.open()
                model, peeked = held, 0
            assert spool.pending == len(model)
        spool.close()

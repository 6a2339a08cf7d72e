"""What a stop keeps for the next start, on a real small filesystem, and the exact account of
what it could not keep."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.clock import FakeClock
from monitor.evidence import (
    IntervalChange,
    IntervalClose,
    IntervalKind,
    IntervalOpen,
    IntervalRecord,
)
from monitor.results import Outcome, ProbeResult
from monitor.store import SQLiteStore
from monitor.write.journal_file import load_journal
from monitor.write.leftovers import JOURNAL_RESERVE_BYTES, keep_leftovers
from monitor.write.spool import Spool
from monitor.write.writer import ResultWriter

from ...tmpfs import fill, small_filesystem

T0 = datetime(2026, 10, 5, 10, 0, tzinfo=UTC)


def result(index: int) -> ProbeResult:
    """The ``index``-th result of one check, a second apart."""
    return ProbeResult("shop/home", "v1", T0 + timedelta(seconds=index), 0.01, Outcome.UP)


def changes(count: int) -> list[IntervalChange]:
    """An outage opened and closed ``count // 2`` times."""
    made: list[IntervalChange] = []
    for number in range(count // 2):
        start = T0 + timedelta(minutes=number)
        record = IntervalRecord(IntervalKind.OUTAGE, "v1", "shop", start, id=number + 1)
        made += [IntervalOpen(record), IntervalClose(number + 1, start + timedelta(seconds=30))]
    return made


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB tmpfs, unmounted afterwards."""
    with small_filesystem(tmp_path / "disk") as mounted:
        yield mounted


def writer_for(spool: Spool, tmp_path: Path) -> ResultWriter:
    """A writer on a store never reached, spilling to ``spool`` past 5 results in memory."""
    return ResultWriter(SQLiteStore(tmp_path / "unused.db"), FakeClock(), max_queue=5, spool=spool)


def test_with_room_everything_is_kept(disk: Path, tmp_path: Path) -> None:
    """The journal file holds every interval change, the spool every result, in order (older
    ones in memory first); nothing is lost."""
    spool = Spool(disk / "spool", reserve_bytes=JOURNAL_RESERVE_BYTES)
    spool.open()
    writer = writer_for(spool, tmp_path)
    for index in range(12):
        writer.submit(result(index))
    for change in changes(4):
        writer.submit_interval(change)

    left = keep_leftovers(writer, spool, disk / "spool" / "journal.jsonl")

    assert (left.results_kept, left.changes_kept, left.results_lost, left.changes_lost) == (
        12,
        4,
        0,
        0,
    )
    assert not left.lost
    assert load_journal(disk / "spool" / "journal.jsonl") == changes(4)
    assert spool.peek(20) == [result(i) for i in range(12)]
    assert spool.reserve_path.exists()
    spool.close()


def test_on_a_full_disk_the_reserve_keeps_the_journal_and_lost_results_are_counted(
    disk: Path, tmp_path: Path
) -> None:
    """The disk filled while the daemon ran: the space set aside at start takes the interval
    changes, and then the oldest results it still has room for; the rest fit nowhere, and the
    account says exactly how many."""
    spool = Spool(disk / "spool", reserve_bytes=JOURNAL_RESERVE_BYTES)
    spool.open()
    fill(disk)
    writer = writer_for(spool, tmp_path)
    results = [result(index) for index in range(2000)]
    for each in results:
        writer.submit(each)
    for change in changes(6):
        writer.submit_interval(change)

    left = keep_leftovers(writer, spool, disk / "spool" / "journal.jsonl")

    assert (left.changes_kept, left.changes_lost) == (6, 0)
    assert load_journal(disk / "spool" / "journal.jsonl") == changes(6)
    assert not spool.reserve_path.exists()
    assert 0 < left.results_kept < 2000
    assert left.results_kept + left.results_lost == 2000
    assert spool.peek(2000) == results[: left.results_kept]
    segment = re.escape(f"spool {disk / 'spool'}/spool-") + r"[0-9]+\.jsonl"
    assert re.fullmatch(
        re.escape(
            f"stopped with the store unavailable: lost {left.results_lost} results and 0"
            " interval changes ("
        )
        + segment
        + re.escape(
            ": append: No space left on device);"
            f" {left.results_kept} results wait in {disk / 'spool'} and 6 interval changes in"
            f" {disk / 'spool' / 'journal.jsonl'}, to be written at the next start"
        ),
        left.describe(),
    )
    spool.close()


def test_without_a_reserve_a_full_disk_loses_the_journal_too_and_says_so(
    disk: Path, tmp_path: Path
) -> None:
    """No space set aside and none left: every interval change and every result in memory is
    counted as lost, with the reason, and no part of a file is left behind."""
    spool = Spool(disk / "spool")
    spool.open()
    fill(disk)
    writer = writer_for(spool, tmp_path)
    writer.submit(result(0))
    for change in changes(2):
        writer.submit_interval(change)

    left = keep_leftovers(writer, spool, disk / "spool" / "journal.jsonl")

    assert (left.results_kept, left.changes_kept, left.results_lost, left.changes_lost) == (
        0,
        0,
        1,
        2,
    )
    assert left.describe() == (
        "stopped with the store unavailable: lost 1 results and 2 interval changes (journal"
        f" {disk / 'spool' / 'journal.jsonl'}: cannot save: No space left on device)"
    )
    assert list((disk / "spool").iterdir()) == []
    spool.close()


def test_results_dropped_before_the_stop_are_in_the_account(tmp_path: Path) -> None:
    """Results dropped while memory was full and the spool unwritable are named in the line,
    though the stop, the spool working again, kept everything."""
    spool = Spool(tmp_path / "spool")
    spool.open()
    spool.directory.rmdir()
    spool.directory.write_text("not a directory")  # every new segment file fails
    writer = ResultWriter(
        SQLiteStore(tmp_path / "unused.db"), FakeClock(), max_queue=1, memory_limit=1, spool=spool
    )
    for index in range(3):
        writer.submit(result(index))
    spool.directory.unlink()
    spool.directory.mkdir()

    left = keep_leftovers(writer, spool, tmp_path / "spool" / "journal.jsonl")

    assert (left.results_kept, left.results_lost, left.dropped, left.lost) == (1, 0, 2, False)
    assert spool.peek(5) == [result(2)]
    assert left.describe().endswith("; 2 results were dropped earlier, memory being full")
    spool.close()

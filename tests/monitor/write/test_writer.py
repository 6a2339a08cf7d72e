"""ResultWriter: batching, order, retries and shutdown, on a fake clock and a real SQLite file."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.clock import FakeClock
from monitor.errors import StorageError
from monitor.evidence import (
    IntervalClose,
    IntervalKind,
    IntervalOpen,
    IntervalRecord,
    new_interval_id,
)
from monitor.results import Outcome, ProbeResult
from monitor.store import SQLiteStore
from monitor.write.spool import Spool
from monitor.write.writer import ResultWriter

T0 = datetime(2026, 10, 1, tzinfo=UTC)


class FailingStore(SQLiteStore):
    """A real SQLiteStore whose first ``failures`` writes raise StorageError.

    It also notes when each write was attempted (on the fake clock) and lets a test wait until a
    number of batches are written, since those run in a real worker thread.
    """

    def __init__(self, path: Path, clock: FakeClock, failures: int = 0) -> None:
        super().__init__(path)
        self.clock = clock
        self.failures = failures
        #: Attempts after this many fail too (None: never).
        self.refuse_after: int | None = None
        self.attempts: list[float] = []
        self.batches: list[int] = []
        self.writing = asyncio.Event()
        self._written = asyncio.Condition()

    async def write_results(self, results: Sequence[ProbeResult]) -> None:
        """Fail while failures are left; otherwise write for real and note the batch size."""
        self.attempts.append(self.clock.monotonic())
        self.writing.set()
        refused = self.refuse_after is not None and len(self.attempts) > self.refuse_after
        if len(self.attempts) <= self.failures or refused:
            raise StorageError(f"sqlite:///{self.path}: write_results: database is locked")
        await super().write_results(results)
        async with self._written:
            self.batches.append(len(results))
            self._written.notify_all()

    async def wait_for_batches(self, count: int) -> None:
        """Until ``count`` batches are written (a guard fails the test if that never happens)."""
        async with asyncio.timeout(10), self._written:
            await self._written.wait_for(lambda: len(self.batches) >= count)

    async def stored(self) -> list[ProbeResult]:
        """Everything in the file."""
        return await self.results(start=T0 - timedelta(days=1), end=T0 + timedelta(days=1))


@pytest.fixture
def clock() -> FakeClock:
    """Time that moves only when the test says so."""
    return FakeClock(T0)


@pytest.fixture
async def store(tmp_path: Path, clock: FakeClock) -> AsyncIterator[FailingStore]:
    """A store that works until a test gives it failures."""
    store = FailingStore(tmp_path / "results.db", clock)
    await store.open()
    yield store
    await store.close()


@contextlib.asynccontextmanager
async def running(writer: ResultWriter, clock: FakeClock) -> AsyncIterator[asyncio.Task[None]]:
    """``writer.run()`` as a task, parked in its first wait; cancelled on exit."""
    task = asyncio.create_task(writer.run())
    await clock.settle()
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def result(index: int) -> ProbeResult:
    """The ``index``-th result: 10 ms apart, over three checks."""
    return ProbeResult(
        f"shop/check-{index % 3}",
        "eu-west",
        T0 + timedelta(milliseconds=10 * index),
        0.001 * (index % 7),
        Outcome.UP if index % 5 else Outcome.TIMEOUT,
        status=200 if index % 5 else None,
    )


def submit(writer: ResultWriter, indexes: range) -> list[ProbeResult]:
    """Submit results ``indexes``; return them."""
    results = [result(i) for i in indexes]
    for each in results:
        writer.submit(each)
    return results


async def test_a_full_batch_is_written_at_once(store: FailingStore, clock: FakeClock) -> None:
    """Full batches go without waiting for the interval; the rest goes when it has passed."""
    writer = ResultWriter(store, clock, batch_size=5, flush_interval=1.0)
    async with running(writer, clock):
        results = submit(writer, range(12))
        await store.wait_for_batches(2)
        await clock.settle()
        assert (store.batches, writer.depth, clock.monotonic()) == ([5, 5], 2, 0.0)

        await clock.advance(1.0)
        await store.wait_for_batches(3)

    assert store.batches == [5, 5, 2]
    assert await store.stored() == results


async def test_a_partial_batch_waits_for_the_interval(
    store: FailingStore, clock: FakeClock
) -> None:
    """Fewer than ``batch_size`` results are written when ``flush_interval`` has passed."""
    writer = ResultWriter(store, clock, batch_size=500, flush_interval=2.0)
    async with running(writer, clock):
        results = submit(writer, range(3))
        await clock.advance(1.999)
        assert (store.attempts, writer.depth) == ([], 3)

        await clock.advance(0.001)
        await store.wait_for_batches(1)
        await clock.settle()

        assert store.attempts == [2.0]
        assert (writer.depth, writer.written, writer.write_errors) == (0, 3, 0)
        assert writer.last_write_at == T0 + timedelta(seconds=2)
    assert await store.stored() == results


async def test_a_batch_leaves_the_interval_on_schedule(
    store: FailingStore, clock: FakeClock
) -> None:
    """A full batch written mid-interval does not postpone the timed flush of the rest."""
    writer = ResultWriter(store, clock, batch_size=4, flush_interval=1.0)
    async with running(writer, clock):
        submit(writer, range(2))
        await clock.advance(0.5)
        submit(writer, range(2, 5))
        await store.wait_for_batches(1)
        await clock.settle()

        await clock.advance(0.5)
        await store.wait_for_batches(2)

    assert store.attempts == [0.5, 1.0]
    assert store.batches == [4, 1]


async def test_order_is_kept_across_many_batches(store: FailingStore, clock: FakeClock) -> None:
    """Results are stored exactly once each, in the order they were submitted."""
    writer = ResultWriter(store, clock, batch_size=100, flush_interval=1.0)
    async with running(writer, clock):
        results = submit(writer, range(1234))
        await store.wait_for_batches(12)
        await clock.settle()
        await clock.advance(1.0)
        await store.wait_for_batches(13)

    assert store.batches == [100] * 12 + [34]
    assert await store.stored() == results


async def test_a_failing_store_loses_and_duplicates_nothing(
    store: FailingStore, clock: FakeClock
) -> None:
    """Failed writes keep their batch and retry after 1, 2, 4 s; results queued meanwhile follow."""
    errors: list[StorageError] = []
    store.failures = 3
    writer = ResultWriter(store, clock, batch_size=500, flush_interval=1.0, on_error=errors.append)
    async with running(writer, clock):
        results = submit(writer, range(10))
        await clock.advance(2.5)
        results += submit(writer, range(10, 15))
        await clock.advance(5.5)
        await store.wait_for_batches(1)
        await clock.settle()

        assert store.attempts == [1.0, 2.0, 4.0, 8.0]
        assert (writer.write_errors, writer.written, writer.depth) == (3, 15, 0)
        assert writer.last_write_at == T0 + timedelta(seconds=8)
    assert [str(e) for e in errors] == [
        f"sqlite:///{store.path}: write_results: database is locked"
    ] * 3
    assert await store.stored() == results


async def test_backoff_doubles_up_to_thirty_seconds(store: FailingStore, clock: FakeClock) -> None:
    """Retries wait 1, 2, 4, 8, 16 s, then 30 s each, and keep the results queued throughout."""
    store.failures = 1_000
    writer = ResultWriter(store, clock, batch_size=500, flush_interval=1.0)
    async with running(writer, clock):
        submit(writer, range(3))
        await clock.advance(1.0 + 200.0)

    assert store.attempts == [1, 2, 4, 8, 16, 32, 62, 92, 122, 152, 182]
    assert (writer.depth, writer.written, writer.write_errors) == (3, 0, 11)
    assert writer.last_write_at is None


async def test_cancelled_while_retrying_keeps_the_batch(
    store: FailingStore, clock: FakeClock
) -> None:
    """Cancelling during the backoff propagates and leaves the batch queued for drain."""
    store.failures = 1
    writer = ResultWriter(store, clock, batch_size=500, flush_interval=1.0)
    task = asyncio.create_task(writer.run())
    await clock.settle()
    results = submit(writer, range(3))
    await clock.advance(1.0)

    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert (writer.depth, writer.written) == (3, 0)
    assert await writer.drain(10.0) == 3
    assert await store.stored() == results


async def test_cancelled_while_writing_loses_and_duplicates_nothing(
    store: FailingStore, clock: FakeClock
) -> None:
    """A write under way when cancelled is cancelled too (a store that does not answer must not
    hold up a shutdown); its batch stays queued unless the write is known to have succeeded, and
    writing it again stores nothing twice."""
    writer = ResultWriter(store, clock, batch_size=500, flush_interval=1.0)
    task = asyncio.create_task(writer.run())
    await clock.settle()
    results = submit(writer, range(500))
    await store.writing.wait()

    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert writer.depth + writer.written == 500
    await writer.drain(10.0)
    assert writer.depth == 0
    assert await store.stored() == results


async def test_drain_writes_everything_left(store: FailingStore, clock: FakeClock) -> None:
    """At shutdown every queued result is written, in batches, and the count returned."""
    writer = ResultWriter(store, clock, batch_size=500, flush_interval=1.0)
    results = submit(writer, range(1200))

    assert await writer.drain(30.0) == 1200

    assert store.batches == [500, 500, 200]
    assert writer.depth == 0
    assert await store.stored() == results


async def test_drain_retries_until_its_deadline(store: FailingStore, clock: FakeClock) -> None:
    """A failing store is retried within the deadline; what is left stays queued."""
    store.failures = 1_000
    writer = ResultWriter(store, clock)
    submit(writer, range(4))

    drain = asyncio.create_task(writer.drain(5.0))
    await clock.advance(5.0)

    assert await drain == 0
    assert store.attempts == [0, 1, 3, 5]
    assert (writer.depth, writer.write_errors) == (4, 4)


async def test_drain_succeeds_once_the_store_recovers(
    store: FailingStore, clock: FakeClock
) -> None:
    """A store that comes back before the deadline gets everything."""
    store.failures = 2
    writer = ResultWriter(store, clock)
    results = submit(writer, range(4))

    drain = asyncio.create_task(writer.drain(5.0))
    await clock.advance(3.0)

    assert await drain == 4
    assert store.attempts == [0, 1, 3]
    assert await store.stored() == results


async def test_nothing_is_dropped_past_max_queue(store: FailingStore, clock: FakeClock) -> None:
    """``submit`` never blocks or drops: past ``max_queue`` the writer only says so."""
    store.failures = 1_000
    writer = ResultWriter(store, clock, batch_size=5, max_queue=10)
    async with running(writer, clock):
        results = submit(writer, range(25))
        await clock.settle()

        assert (writer.depth, writer.over_capacity) == (25, True)
    store.failures = 0

    assert await writer.drain(10.0) == 25
    assert writer.over_capacity is False
    assert await store.stored() == results


@pytest.mark.parametrize(
    "options",
    [
        pytest.param({"batch_size": 0}, id="batch_size"),
        pytest.param({"flush_interval": 0.0}, id="flush_interval"),
        pytest.param({"max_queue": 0}, id="max_queue"),
        pytest.param({"max_queue": 10, "memory_limit": 9}, id="memory_limit"),
    ],
)
def test_nonsense_settings_are_refused(
    tmp_path: Path, clock: FakeClock, options: dict[str, Any]
) -> None:
    """Sizes and intervals must be positive."""
    store = SQLiteStore(tmp_path / "unused.db")

    with pytest.raises(ValueError, match=list(options)[-1]):
        ResultWriter(store, clock, **options)


def test_an_interval_without_its_id_is_refused(store: FailingStore, clock: FakeClock) -> None:
    """The journal needs ids chosen up front, so that a close can follow its open."""
    writer = ResultWriter(store, clock)
    record = IntervalRecord(IntervalKind.OUTAGE, "eu-west", "shop", T0)
    with pytest.raises(ValueError, match="needs its id"):
        writer.submit_interval(IntervalOpen(record))


async def test_an_interval_change_is_written_at_once_without_waiting_for_results(
    store: FailingStore, clock: FakeClock
) -> None:
    """An interval opened and closed is written without waiting for the flush interval, in
    order, while a partial batch of results keeps waiting for it."""
    writer = ResultWriter(store, clock, batch_size=10, flush_interval=60.0)
    ident = new_interval_id()
    async with running(writer, clock):
        submit(writer, range(3))
        writer.submit_interval(
            IntervalOpen(IntervalRecord(IntervalKind.OUTAGE, "eu-west", "shop", T0, id=ident))
        )
        writer.submit_interval(IntervalClose(ident, T0 + timedelta(seconds=30)))
        # The writes run in the store's worker thread: wait for them, with a deadline.
        for _ in range(500):
            if writer.journal_depth == 0:
                break
            await asyncio.sleep(0.01)
        assert writer.journal_depth == 0
        assert writer.depth == 3
    [stored] = await store.intervals(start=T0, end=T0 + timedelta(hours=1))
    assert (stored.id, stored.end) == (ident, T0 + timedelta(seconds=30))


# The spool: bounded memory, the rest on disk.


@pytest.fixture
def spool(tmp_path: Path) -> Iterator[Spool]:
    """An open spool in the test's directory, closed afterwards."""
    made = Spool(tmp_path / "spool", segment_bytes=4096)
    made.open()
    yield made
    made.close()


async def test_past_the_memory_bound_results_spill_to_disk(
    store: FailingStore, clock: FakeClock, spool: Spool
) -> None:
    """With the store down, memory holds ``max_queue`` results and the spool the rest; once it
    is back every result is written once, in the order submitted, and the files are gone."""
    store.failures = 1_000
    writer = ResultWriter(store, clock, batch_size=4, max_queue=10, spool=spool)
    async with running(writer, clock):
        results = submit(writer, range(60))
        await clock.settle()

        assert (writer.memory_depth, writer.spool_depth, writer.depth) == (10, 50, 60)
        assert writer.spilled == 50
        assert writer.over_capacity is False
        store.failures = 0
        await clock.advance(60.0)
        await store.wait_for_batches(16)  # memory: 4 + 4 + 2, then the spool: 12 x 4 + 2

    assert await store.stored() == results
    assert (writer.depth, writer.written) == (0, 60)
    assert list(spool.directory.glob("spool-*.jsonl")) == []


async def test_while_spilling_new_results_queue_behind_the_spool(
    store: FailingStore, clock: FakeClock, spool: Spool
) -> None:
    """Once results went to disk, later ones follow them there until the spool is empty, so the
    store receives them in submission order even when memory has room again."""
    writer = ResultWriter(store, clock, batch_size=100, max_queue=2, spool=spool)
    first = submit(writer, range(5))
    store.refuse_after = 1
    await writer.drain(0)  # memory written, then the store fails: the spool keeps 2..4 ...
    later = submit(writer, range(5, 8))
    store.refuse_after = None

    assert (writer.memory_depth, writer.spool_depth) == (0, 6)  # ... so 5..7 join them there
    await writer.drain(10.0)
    assert await store.stored() == first + later
    assert store.batches[:1] == [2]


async def test_results_left_at_shutdown_are_written_by_the_next_run(
    store: FailingStore, clock: FakeClock, tmp_path: Path
) -> None:
    """At shutdown memory goes to the spool, before what was already there; the next writer on
    the same directory writes it all first, in order, without duplicates."""
    store.failures = 1_000
    spool = Spool(tmp_path / "spool")
    spool.open()
    writer = ResultWriter(store, clock, max_queue=3, spool=spool)
    results = submit(writer, range(8))
    await writer.drain(0)
    assert writer.spill_rest() == 3
    spool.close()

    again = Spool(tmp_path / "spool")
    again.open()
    store.failures = 0
    resumed = ResultWriter(store, clock, max_queue=3, spool=again)
    assert resumed.depth == 8
    newer = submit(resumed, range(8, 10))
    await resumed.drain(10.0)
    again.close()

    assert await store.stored() == results + newer


async def test_a_batch_replayed_after_a_crash_is_not_duplicated(
    store: FailingStore, clock: FakeClock, tmp_path: Path
) -> None:
    """A spool whose rows were written but not yet removed (a crash in between) is replayed at
    the next start; the store keeps each result once."""
    spool = Spool(tmp_path / "spool")
    spool.open()
    results = [result(i) for i in range(6)]
    spool.append(results)
    await store.write_results(results[:4])  # written, then the process died
    spool.close()

    again = Spool(tmp_path / "spool")
    again.open()
    await ResultWriter(store, clock, spool=again).drain(10.0)
    again.close()

    assert await store.stored() == results


def break_spool(spool: Spool) -> None:
    """Make every new segment file fail: a regular file where the directory was."""
    spool.directory.rmdir()
    spool.directory.write_text("not a directory")


def mend_spool(spool: Spool) -> None:
    """Undo :func:`break_spool`."""
    spool.directory.unlink()
    spool.directory.mkdir()


def messages(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    """The writer's log messages containing ``text``."""
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "monitor.write.writer" and text in r.getMessage()
    ]


async def test_a_spool_that_cannot_write_keeps_results_in_memory(
    store: FailingStore, clock: FakeClock, spool: Spool, caplog: pytest.LogCaptureFixture
) -> None:
    """If the disk refuses the spill, results stay in memory behind the spool, never dropped
    below the limit; the failure is counted and logged once, not as a store write error."""
    store.failures = 1_000
    errors: list[StorageError] = []
    break_spool(spool)
    writer = ResultWriter(
        store, clock, max_queue=2, memory_limit=100, spool=spool, on_error=errors.append
    )
    results = submit(writer, range(40))

    assert (writer.memory_depth, writer.spool_depth, writer.dropped) == (40, 0, 0)
    assert writer.over_capacity
    assert (writer.spool_errors, writer.write_errors, errors) == (1, 0, [])
    assert writer.spool_error is not None
    assert len(messages(caplog, "spool cannot be written")) == 1
    store.failures = 0
    await writer.drain(10.0)
    assert await store.stored() == results


async def test_a_failing_spool_is_tried_once_per_flush_interval_until_it_recovers(
    store: FailingStore, clock: FakeClock, spool: Spool, caplog: pytest.LogCaptureFixture
) -> None:
    """While the store is down and the spool fails, the spool is tried again once per flush
    interval (not per result), with no new file and no log line per attempt; once it works,
    the results in memory move there, that is logged once, and every result reaches the store
    once, in the order submitted."""
    caplog.set_level(logging.INFO, logger="monitor.write.writer")
    store.failures = 1_000
    break_spool(spool)
    writer = ResultWriter(
        store, clock, batch_size=4, flush_interval=1.0, max_queue=2, memory_limit=1000, spool=spool
    )
    async with running(writer, clock):
        results = submit(writer, range(10))
        await clock.advance(5.0)
        results += submit(writer, range(10, 20))

        assert writer.spool_errors == 6  # the first spill, then once a second
        assert len(messages(caplog, "spool cannot be written")) == 1
        mend_spool(spool)
        await clock.advance(1.0)

        assert messages(caplog, "spool writable again") == [
            "spool writable again: 18 results moved there from memory"
        ]
        assert (writer.memory_depth, writer.spool_depth, writer.spool_error) == (2, 18, None)
        assert len(list(spool.directory.glob("spool-*.jsonl"))) == 1
        results += submit(writer, range(20, 23))
        assert writer.spool_depth == 21
        store.failures = 0
        await clock.advance(60.0)
        await store.wait_for_batches(7)

    assert await store.stored() == results
    assert writer.depth == 0
    assert messages(caplog, "store writes succeed again") == [
        "store writes succeed again after 3 failed attempts; 21 results and 0 interval changes"
        " still to write"
    ]


async def test_past_the_memory_limit_the_oldest_results_are_dropped_and_counted(
    store: FailingStore, clock: FakeClock, spool: Spool, caplog: pytest.LogCaptureFixture
) -> None:
    """With the store down and the spool failing, memory keeps the newest ``memory_limit``
    results; the older ones are dropped, counted, and logged at most once a minute with the
    counts; what memory kept is written once the store is back."""
    store.failures = 1_000
    break_spool(spool)
    writer = ResultWriter(store, clock, batch_size=5, max_queue=4, memory_limit=10, spool=spool)
    async with running(writer, clock):
        results = submit(writer, range(31))
        assert (writer.memory_depth, writer.dropped) == (10, 21)
        assert writer.last_dropped_at == T0
        await clock.advance(30.0)
        results += submit(writer, range(31, 36))
        assert writer.dropped == 26
        assert len(messages(caplog, "dropped")) == 1
        await clock.advance(30.0)
        await clock.settle()

    assert messages(caplog, "dropped") == [
        "dropped 1 results, the oldest waiting (1 since start): memory reached its limit of 10"
        " results and interval changes, and the spool could not take them",
        "dropped 25 results, the oldest waiting (26 since start): memory reached its limit of 10"
        " results and interval changes, and the spool could not take them",
    ]
    assert writer.last_dropped_at == T0 + timedelta(seconds=30)
    store.failures = 0
    await writer.drain(10.0)
    assert await store.stored() == results[-10:]


async def test_interval_changes_are_kept_in_preference_to_results(
    store: FailingStore, clock: FakeClock
) -> None:
    """Interval changes count against the memory limit, but a result is dropped to make room
    for one, never the change; changes alone past the limit are all kept, and every result is
    then dropped as it comes."""
    store.failures = 1_000
    writer = ResultWriter(store, clock, max_queue=4, memory_limit=4)
    submit(writer, range(4))
    opened = [
        IntervalOpen(
            IntervalRecord(IntervalKind.OUTAGE, "eu-west", "shop", T0, id=new_interval_id())
        )
        for _ in range(6)
    ]
    writer.submit_interval(opened[0])
    assert (writer.memory_depth, writer.journal_depth, writer.dropped) == (3, 1, 1)
    for change in opened[1:]:
        writer.submit_interval(change)
    submit(writer, range(4, 6))

    assert (writer.memory_depth, writer.journal_depth, writer.dropped) == (0, 6, 6)
    assert writer.memory_used == 6
    store.failures = 0
    await writer.drain(10.0)
    stored = await store.intervals(start=T0, end=T0 + timedelta(days=1))
    assert len(stored) == len(opened)
    assert {i.id for i in stored} == {c.record.id for c in opened}


async def test_a_batch_being_written_is_never_dropped(
    store: FailingStore, clock: FakeClock
) -> None:
    """Results dropped while a write is under way are the oldest not in its batch, so the
    write removes exactly what it stored and nothing is counted twice."""
    writer = ResultWriter(store, clock, batch_size=3, max_queue=5, memory_limit=5)
    results = submit(writer, range(5))
    gate = asyncio.Event()
    original = store.write_results

    async def slow(results: Sequence[ProbeResult]) -> None:
        await gate.wait()
        await original(results)

    store.write_results = slow  # type: ignore[method-assign]
    drain = asyncio.create_task(writer.drain(10.0))
    await clock.settle()
    results += submit(writer, range(5, 7))  # drops 3 and 4, not 0..2 being written
    gate.set()
    await drain

    assert writer.dropped == 2
    assert await store.stored() == results[:3] + results[5:]


async def test_a_change_the_store_refuses_is_set_aside_and_the_rest_goes_on(
    store: FailingStore, clock: FakeClock
) -> None:
    """A close of an interval that does not exist can never be written: it is handed to
    ``on_rejected`` and dropped, and the changes and results behind it are written."""
    rejected: list[object] = []
    writer = ResultWriter(store, clock, on_rejected=lambda change, error: rejected.append(change))
    bad = IntervalClose(12345, T0)
    good = IntervalRecord(IntervalKind.OUTAGE, "eu-west", "shop", T0, id=new_interval_id())
    writer.submit_interval(bad)
    writer.submit_interval(IntervalOpen(good))
    results = submit(writer, range(3))

    await writer.drain(10.0)

    assert rejected == [bad]
    assert writer.journal_depth == 0
    assert [i.id for i in await store.intervals(start=T0, end=T0 + timedelta(days=1))] == [good.id]
    assert await store.stored() == results


async def test_interval_changes_do_not_wait_behind_a_spooled_backlog(
    store: FailingStore, clock: FakeClock, spool: Spool
) -> None:
    """While a long spool is written out, an interval change made meanwhile is written before
    the next spooled batch, not after the whole backlog."""
    spool.append([result(i) for i in range(40)])
    writer = ResultWriter(store, clock, batch_size=10, spool=spool)
    order: list[str] = []
    original = store.write_results

    async def noting(results: Sequence[ProbeResult]) -> None:
        order.append("results")
        if len(order) == 1:
            writer.submit_interval(IntervalOpen(change))
        await original(results)

    async def open_noting(record: IntervalRecord) -> int:
        order.append("interval")
        return await SQLiteStore.open_interval(store, record)

    change = IntervalRecord(IntervalKind.OUTAGE, "eu-west", "shop", T0, id=new_interval_id())
    store.write_results = noting  # type: ignore[method-assign]
    store.open_interval = open_noting  # type: ignore[method-assign]

    await writer.drain(10.0)

    assert order == ["results", "interval", "results", "results", "results"]


def test_the_spool_remembers_the_newest_instant_it_holds(tmp_path: Path) -> None:
    """What a vantage measured but the store does not have yet still counts as measured."""
    first = Spool(tmp_path / "spool")
    first.open()
    assert first.newest is None
    first.append([result(5), result(9), result(2)])
    first.close()

    again = Spool(tmp_path / "spool")
    again.open()

    assert again.newest == result(9).started_at
    again.close()


def test_a_spool_segment_removed_underneath_is_skipped_not_retried(tmp_path: Path) -> None:
    """A segment file deleted by someone else is reported and passed over; later rows follow."""
    problems: list[str] = []
    spool = Spool(tmp_path / "spool", segment_bytes=200, on_problem=problems.append)
    spool.open()
    spool.append([result(i) for i in range(6)])
    first = min(spool.directory.glob("spool-*.jsonl"), key=lambda p: int(p.stem.split("-")[1]))
    first.unlink()

    got = spool.peek(100)

    assert got[-1:] == [result(5)]
    assert result(0) not in got
    assert any("gone with the file" in p for p in problems)
    spool.close()

"""Raw results on their way to the store: queued in memory, written in batches, never lost.

Probes must not wait on the store, and a store outage must lose nothing. So
:meth:`ResultWriter.submit` only appends to a queue, and :meth:`ResultWriter.run` writes from its
head: a batch when ``batch_size`` results are waiting, and whatever is waiting once
``flush_interval`` has passed. A failed write keeps its results at the head of the queue and is
retried after a pause that doubles from 1 s up to 30 s, so results are written once each, in the
order they were submitted.

Interval changes (an outage opening, a check recovering) travel the same way, in a journal of
their own that is written first, one change at a time, in order, as soon as it is submitted. Each
interval carries an id chosen before it is written, so its close can be queued behind its open,
and a retried write of either is harmless (the store makes both idempotent).

Past ``max_queue`` results in memory, further ones go to a :class:`~monitor.write.spool.Spool`
(local append-only files) and stay there, new ones behind them, until every spilled result is
written: so results reach the store in the order they were submitted, and memory stays bounded
however long the store is down. The store skips a result it already holds, so a spilled batch
written again after a crash is harmless. At shutdown, what could not be written goes to the spool
too (:meth:`ResultWriter.spill_rest`), and interval changes to a journal file beside it
(:mod:`monitor.write.leftovers`), to be written first at the next start. Without a spool (tests,
tools), the memory queue grows instead and :attr:`ResultWriter.over_capacity` says so.

When the spool cannot be written either (a full disk), results wait in memory behind it, in an
overflow queue written to the store after the spool, and the spool is tried again once per
flush interval: the first failure is logged, and the recovery, not every attempt. Memory then
holds at most ``memory_limit`` results and interval changes together; past it the oldest
results are dropped, counted (:attr:`ResultWriter.dropped`) and logged at most once a minute.
Interval changes are never dropped: should they alone pass the limit, they are all kept and
every result is dropped as it comes. A batch being written is not dropped either, so memory can
pass the limit by that batch until its write ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Final

from ..clock import Clock
from ..errors import StorageError
from ..evidence import IntervalChange, IntervalOpen
from ..results import ProbeResult
from ..store.base import Store
from .spool import Spool

__all__ = [
    "DROP_LOG_EVERY",
    "MAX_BACKOFF",
    "MIN_BACKOFF",
    "ResultWriter",
]

#: The first pause after a failed write, in seconds; it doubles after each further failure...
MIN_BACKOFF: Final = 1.0
#: ... up to this, so a store that comes back is used again within half a minute.
MAX_BACKOFF: Final = 30.0
#: Dropped results are logged at most this often, in seconds, with the count since the last time.
DROP_LOG_EVERY: Final = 60.0

log = logging.getLogger(__name__)


class ResultWriter:
    """Batches probe results into a :class:`~monitor.store.base.Store`.

    ``on_error`` is called with each failed store write's error (to log it); ``on_rejected``
    with an interval change the store refused outright, which is then set aside (to keep it
    elsewhere). Neither may raise. The writer logs the spool's failures and recoveries, the
    store's recovery after failed writes, and dropped results itself. The counters ``depth``,
    ``written``, ``write_errors``, ``dropped``, ``spool_errors`` and ``last_write_at`` are for
    metrics.
    """

    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        batch_size: int = 500,
        flush_interval: float = 1.0,
        max_queue: int = 100_000,
        memory_limit: int | None = None,
        spool: Spool | None = None,
        on_error: Callable[[StorageError], None] | None = None,
        on_rejected: Callable[[IntervalChange, StorageError], None] | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        if flush_interval <= 0:
            raise ValueError(f"flush_interval must be positive, got {flush_interval}")
        if max_queue < 1:
            raise ValueError(f"max_queue must be at least 1, got {max_queue}")
        if memory_limit is not None and memory_limit < max_queue:
            raise ValueError(
                f"memory_limit must be at least max_queue ({max_queue}), got {memory_limit}"
            )
        self._store = store
        self._clock = clock
        self._batch_size = batch_size
        self._flush_interval = flush_interval
        self.max_queue = max_queue
        #: Results and interval changes held in memory at most (None: no limit).
        self.memory_limit = memory_limit
        self._on_error = on_error
        self._on_rejected = on_rejected
        self._spool = spool
        #: Results older than everything in the spool.
        self._queue: deque[ProbeResult] = deque()
        #: Results newer than everything in the spool, which could not take them.
        self._overflow: deque[ProbeResult] = deque()
        #: The queue a write is taking its batch from, and the batch's size: never dropped.
        self._in_flight: tuple[deque[ProbeResult], int] | None = None
        self._journal: deque[IntervalChange] = deque()
        self._batch_ready = asyncio.Event()
        # One write at a time, so that run() and drain() never write the same head twice.
        self._writing = asyncio.Lock()
        self._written = 0
        self._write_errors = 0
        self._failed_in_a_row = 0
        self._last_write_at: datetime | None = None
        #: The spool's last failure while it cannot be written (None: it can).
        self._spool_error: StorageError | None = None
        self._spool_errors = 0
        self._dropped = 0
        self._last_dropped_at: datetime | None = None
        self._dropped_unlogged = 0
        self._drops_logged_at: float | None = None

    @property
    def depth(self) -> int:
        """Results submitted and not yet written, in memory and in the spool."""
        return self.memory_depth + self.spool_depth

    @property
    def memory_depth(self) -> int:
        """Results waiting in memory."""
        return len(self._queue) + len(self._overflow)

    @property
    def memory_used(self) -> int:
        """Results and interval changes held in memory: what ``memory_limit`` bounds."""
        return self.memory_depth + len(self._journal)

    @property
    def dropped(self) -> int:
        """Results dropped since this writer was made: memory was at its limit and the spool
        could not take them."""
        return self._dropped

    @property
    def last_dropped_at(self) -> datetime | None:
        """Wall time of the last result dropped, if any."""
        return self._last_dropped_at

    @property
    def spool_errors(self) -> int:
        """Failed spool operations (appends, syncs, deletions) since this writer was made."""
        return self._spool_errors

    @property
    def spool_error(self) -> StorageError | None:
        """The spool's last failure while it cannot be written (results past ``max_queue`` then
        wait in memory); None while it can."""
        return self._spool_error

    @property
    def spool_depth(self) -> int:
        """Results waiting in the spool files."""
        return self._spool.pending if self._spool is not None else 0

    @property
    def spilled(self) -> int:
        """Results that went to the spool since this writer was made."""
        return self._spool.spilled if self._spool is not None else 0

    @property
    def journal(self) -> tuple[IntervalChange, ...]:
        """Interval changes not yet written, in order."""
        return tuple(self._journal)

    @property
    def journal_depth(self) -> int:
        """Interval changes submitted and not yet written."""
        return len(self._journal)

    @property
    def over_capacity(self) -> bool:
        """More than ``max_queue`` results wait in memory: the store has been failing or slow for
        a while, and there is no spool or it cannot be written."""
        return self.memory_depth > self.max_queue

    @property
    def written(self) -> int:
        """Results written since this writer was made."""
        return self._written

    @property
    def write_errors(self) -> int:
        """Failed write attempts since this writer was made."""
        return self._write_errors

    @property
    def last_write_at(self) -> datetime | None:
        """Wall time of the last successful write, if any."""
        return self._last_write_at

    def submit(self, result: ProbeResult) -> None:
        """Queue ``result`` for writing; returns at once, whatever the state of the store."""
        # Once a result went to the spool, every later one follows it there until the spool is
        # empty again, so results are written in the order they came (a spool left with rows
        # by a previous run starts so too).
        spool = self._spool
        if spool is not None and (
            spool.pending or self._overflow or len(self._queue) >= self.max_queue
        ):
            # While the spool fails, results wait behind it in memory; it is tried again once
            # per flush interval, not once per result.
            if self._spool_error is None and self._spill([result]):
                return
            self._overflow.append(result)
        else:
            self._queue.append(result)
            if len(self._queue) >= self._batch_size:
                self._batch_ready.set()
        self._make_room()

    def spill_rest(self) -> int:
        """Move every result still in memory to the spool (at shutdown, once the store gave up);
        those older than the spool go before it, the rest after. Returns how many moved; what
        the spool could not take stays in :attr:`memory_depth`."""
        if self._spool is None:
            return 0
        moved = 0
        if self._queue:
            before = self._spool.pending
            try:
                self._spool.prepend(list(self._queue))
            except StorageError as error:
                self._spool_failed(error)
            kept = self._spool.pending - before
            for _ in range(kept):
                self._queue.popleft()
            moved += kept
        if self._overflow and not self._queue:
            moved += self._spill_overflow()
        return moved

    def submit_interval(self, change: IntervalChange) -> None:
        """Queue an interval change; it is written before any result, as soon as possible."""
        if isinstance(change, IntervalOpen) and change.record.id is None:
            raise ValueError("an interval written through the journal needs its id")
        self._journal.append(change)
        self._batch_ready.set()
        self._make_room()

    def _spill(self, results: list[ProbeResult]) -> int:
        """Append ``results`` to the spool; how many it took (all but a failure's remainder)."""
        assert self._spool is not None  # noqa: S101 -- only called with a spool
        before = self._spool.pending
        try:
            self._spool.append(results)
        except StorageError as error:
            self._spool_failed(error)
            return self._spool.pending - before
        return len(results)

    def _spill_overflow(self) -> int:
        """Move the overflow queue to the spool; how many results moved."""
        moved = self._spill(list(self._overflow))
        for _ in range(moved):
            self._overflow.popleft()
        return moved

    def _tend(self) -> None:
        """Once per flush interval, even while the store is down: make spilled results durable,
        try a failing spool again, and report results dropped meanwhile."""
        spool = self._spool
        if spool is not None and self._in_flight is None:
            if self._spool_error is not None and self._overflow:
                held = len(self._overflow)
                if self._spill_overflow() == held:
                    self._spool_recovered(held)
            if spool.pending:
                try:
                    spool.sync()
                except StorageError as error:
                    self._spool_failed(error)
        self._report_drops()

    def _spool_failed(self, error: StorageError) -> None:
        self._spool_errors += 1
        if self._spool_error is None:
            limit = "no limit" if self.memory_limit is None else f"at most {self.memory_limit}"
            log.error(
                "spool cannot be written; results wait in memory (%s) and the spool is tried "
                "again every %gs: %s",
                limit,
                self._flush_interval,
                error,
            )
        self._spool_error = error

    def _spool_recovered(self, moved: int) -> None:
        self._spool_error = None
        log.info("spool writable again: %d results moved there from memory", moved)

    def _make_room(self) -> None:
        """Drop the oldest results while memory holds more than ``memory_limit``."""
        if self.memory_limit is None:
            return
        excess = self.memory_used - self.memory_limit
        while excess > 0 and self._drop_oldest():
            excess -= 1
        self._report_drops()

    def _drop_oldest(self) -> bool:
        """Drop the oldest result not being written; False if there is none."""
        for queue in (self._queue, self._overflow):
            busy = self._in_flight[1] if self._in_flight and self._in_flight[0] is queue else 0
            if len(queue) > busy:
                del queue[busy]
                self._dropped += 1
                self._dropped_unlogged += 1
                self._last_dropped_at = self._clock.now()
                return True
        return False

    def _report_drops(self) -> None:
        """Log the results dropped since the last report, at most once per DROP_LOG_EVERY."""
        if not self._dropped_unlogged:
            return
        now = self._clock.monotonic()
        if self._drops_logged_at is not None and now - self._drops_logged_at < DROP_LOG_EVERY:
            return
        log.error(
            "dropped %d results, the oldest waiting (%d since start): memory reached its limit "
            "of %s results and interval changes, and the spool could not take them",
            self._dropped_unlogged,
            self._dropped,
            self.memory_limit,
        )
        self._dropped_unlogged = 0
        self._drops_logged_at = now

    async def run(self) -> None:
        """Write queued results until cancelled.

        A full batch is written as soon as it is queued; the rest once ``flush_interval`` has
        passed since the previous timed flush, so no result waits much longer than that (unless
        the store fails). Cancelling leaves every result not yet written in the queue, for
        :meth:`drain`; a write already under way is waited for first, so that its results are
        neither lost nor written again.
        """
        flush_at = self._clock.monotonic() + self._flush_interval
        while True:
            if await self._wait(flush_at - self._clock.monotonic()):
                self._tend()
                await self._write_queued(everything=True)
                flush_at = self._clock.monotonic() + self._flush_interval
            else:
                await self._write_queued(everything=False)

    async def drain(self, deadline: float) -> int:
        """Write everything still queued, retrying until ``deadline`` seconds from now.

        For shutdown, after :meth:`run` has been cancelled. Returns how many results were
        written; :attr:`depth` is what could not be. A write attempt that has begun is not cut
        short by the deadline.
        """
        before = self._written
        await self._write_queued(everything=True, deadline=self._clock.monotonic() + deadline)
        return self._written - before

    async def _wait(self, seconds: float) -> bool:
        """Wait for a full batch or an interval change (False), or for ``seconds`` (True)."""
        if len(self._queue) >= self._batch_size or self._journal:
            return False
        self._batch_ready.clear()
        timer = asyncio.ensure_future(self._clock.sleep(seconds))
        batch = asyncio.ensure_future(self._batch_ready.wait())
        try:
            await asyncio.wait((timer, batch), return_when=asyncio.FIRST_COMPLETED)
        finally:
            timer.cancel()
            batch.cancel()
            await asyncio.gather(timer, batch, return_exceptions=True)
        return not timer.cancelled()

    async def _write_queued(self, *, everything: bool, deadline: float | None = None) -> None:
        """Write full batches from the head of the queue, and the last partial one too if
        ``everything``; with a ``deadline`` (monotonic), give up once it has passed."""
        if not await self._write_journal(deadline):
            return
        while self._queue and (everything or len(self._queue) >= self._batch_size):
            if not await self._retry(self._attempt_queued, deadline):
                return
            # Interval changes made meanwhile go first: a long backlog must not hide an outage.
            if not await self._write_journal(deadline):
                return
        if self._queue or self._spool is None:
            return  # spilled results are newer than those still in memory
        while self._spool.pending:
            if not await self._retry(self._attempt_spooled, deadline):
                return
            if not await self._write_journal(deadline):
                return
        while self._overflow:  # newer than the spool, which could not take them
            if not await self._retry(self._attempt_overflow, deadline):
                return
            if not await self._write_journal(deadline):
                return

    async def _write_journal(self, deadline: float | None) -> bool:
        """Write every queued interval change; False if the deadline passed first."""
        while self._journal:
            if not await self._retry(self._attempt_change, deadline):
                return False
        return True

    async def _retry(
        self, attempt: Callable[[], Awaitable[StorageError | None]], deadline: float | None
    ) -> bool:
        """Make ``attempt`` until it succeeds, with backoff; False if the deadline passed first."""
        backoff = MIN_BACKOFF
        while True:
            error = await attempt()
            if error is None:
                return True
            self._failed_in_a_row += 1
            self._report(error)
            pause = (
                backoff if deadline is None else min(backoff, deadline - self._clock.monotonic())
            )
            if pause <= 0:
                return False
            await self._pause(pause)
            backoff = min(backoff * 2, MAX_BACKOFF)

    async def _pause(self, seconds: float) -> None:
        """Wait ``seconds`` between attempts, tending the spool every flush interval meanwhile:
        a store down for hours must not stop spilled results from being synced."""
        until = self._clock.monotonic() + seconds
        while (left := until - self._clock.monotonic()) > 0:
            await self._clock.sleep(min(left, self._flush_interval))
            self._tend()

    async def _attempt_queued(self) -> StorageError | None:
        return await self._attempt_batch(self._queue)

    async def _attempt_overflow(self) -> StorageError | None:
        return await self._attempt_batch(self._overflow)

    async def _attempt_batch(self, queue: deque[ProbeResult]) -> StorageError | None:
        """Try once to write the head batch of ``queue``; on success remove it."""
        async with self._writing:
            batch = list(itertools.islice(queue, self._batch_size))
            if not batch:
                return None

            def done() -> None:
                for _ in batch:
                    queue.popleft()
                self._written += len(batch)
                self._last_write_at = self._clock.now()

            self._in_flight = (queue, len(batch))
            try:
                return await self._attempt(lambda: self._store.write_results(batch), done)
            finally:
                self._in_flight = None

    def _report(self, error: StorageError) -> None:
        self._write_errors += 1
        if self._on_error is not None:
            self._on_error(error)

    async def _attempt_spooled(self) -> StorageError | None:
        """Try once to write the oldest spilled batch; on success drop it from the spool."""
        spool = self._spool
        assert spool is not None  # noqa: S101 -- only called with a spool
        async with self._writing:
            try:
                batch = spool.peek(self._batch_size)
            except StorageError as error:
                return error  # the disk failed to read: retried like a failed write
            if not batch:
                return None

            def done() -> None:
                self._written += len(batch)
                self._last_write_at = self._clock.now()
                try:
                    spool.commit(len(batch))
                except StorageError as error:
                    # Written, but its file may stay: replayed later, skipped by the store.
                    self._spool_failed(error)

            return await self._attempt(lambda: self._store.write_results(batch), done)

    async def _attempt_change(self) -> StorageError | None:
        """Try once to write the head interval change; on success remove it from the journal."""
        async with self._writing:
            if not self._journal:
                return None
            change = self._journal[0]
            error = await self._attempt(lambda: self._write_change(change), self._journal.popleft)
            if error is not None and error.refused:
                # The store rejects this change itself (say, a close before its interval's
                # start): retrying cannot help, and it must not hold back everything behind it.
                self._journal.popleft()
                self._report(error)
                if self._on_rejected is not None:
                    self._on_rejected(change, error)
                return None
            return error

    async def _write_change(self, change: IntervalChange) -> None:
        if isinstance(change, IntervalOpen):
            await self._store.open_interval(change.record)
        else:
            await self._store.close_interval(
                change.interval_id, change.end, change.end_bound, change.detail
            )

    async def _attempt(
        self, operation: Callable[[], Awaitable[object]], done: Callable[[], object]
    ) -> StorageError | None:
        """Run one write (the caller holds the write lock); call ``done`` exactly when it
        succeeded."""
        write = asyncio.ensure_future(operation())
        try:
            await asyncio.shield(write)
        except asyncio.CancelledError:
            # Cancel the write too (a store that does not answer must not hold up a shutdown;
            # every write is safe to repeat), then learn its outcome before letting the
            # cancellation through, so that its results stay queued exactly if not written.
            write.cancel()
            while not write.done():
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait((write,))
            if not write.cancelled() and write.exception() is None:
                done()
            raise
        except StorageError as error:
            return error
        done()
        if self._failed_in_a_row:
            log.info(
                "store writes succeed again after %d failed attempts; %d results and %d interval "
                "changes still to write",
                self._failed_in_a_row,
                self.depth,
                self.journal_depth,
            )
            self._failed_in_a_row = 0
        return None

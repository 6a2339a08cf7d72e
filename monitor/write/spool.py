"""Probe results kept on local disk while the store is down, to be written to it later, in order.

The result writer holds a bounded queue in memory; past the bound it spills results here, and
writes them to the store from here once it is back. The store de-duplicates results by (vantage,
check, started_at), so writing a row twice is harmless and losing one is not: everything here is
built to replay rather than to lose.

The spool is a directory of append-only segment files, ``spool-<seq>.jsonl``, read in numeric
order of ``<seq>``: one line per result, as :mod:`monitor.write.jsonl` writes it. Appends go to the
segment with the highest number, and a new one is started once it reaches ``segment_bytes``.
:meth:`Spool.prepend` writes a segment numbered below every other one (negative numbers are
fine), for results that were still in memory at shutdown and are older than the spool.

Reading is :meth:`Spool.peek` (the oldest rows, not removed) then :meth:`Spool.commit` (they are
stored: drop them). The read position lives in memory only, and a segment file is deleted once
all of its rows are committed. So after a crash or restart every row of the remaining files is
pending again, including the committed rows of a partially committed segment: at-least-once.

A line that does not decode (the process died mid-write, or the disk returned garbage) is
skipped, reported through ``on_problem`` and counted in :attr:`Spool.skipped`, never raised: bad
content must not stop the daemon from writing the good rows. Failures of the filesystem itself
are raised as :class:`~monitor.errors.StorageError`.

A failed append leaves no trace: the file is cut back to its last whole row (and removed if
that leaves it empty), so a disk that stays full costs neither a new file per attempt nor a
half-written line. With ``reserve_bytes``, :meth:`Spool.open` also sets that much space aside in
a file of its own, ``journal.reserve``, which :meth:`Spool.release_reserve` gives back: room for
the few interval changes saved at a stop even when results have filled the disk.

All I/O is synchronous: appends are small and the file system's page cache absorbs them, so the
event loop thread can afford them. Durability is :meth:`Spool.sync`, which the writer calls once
per flush interval rather than once per append.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from io import BufferedReader, FileIO
from itertools import islice
from pathlib import Path
from typing import Final

from ..errors import StorageError
from ..results import ProbeResult
from .jsonl import encode_result, read_result, replace_file

__all__ = ["DEFAULT_SEGMENT_BYTES", "RESERVE_NAME", "Spool"]

#: A segment file is closed for appends, and a new one started, once it reaches this size.
DEFAULT_SEGMENT_BYTES: Final = 64 * 1024 * 1024
#: The file in the spool directory holding the space set aside.
RESERVE_NAME: Final = "journal.reserve"

# ASCII digits only: ``\d`` would also match other scripts' digits, which int() accepts, so two
# names could map to one number. No leading zeros or "-0", for the same reason.
_SEGMENT_NAME: Final = re.compile(r"spool-(0|-?[1-9][0-9]*)\.jsonl")


def _storage_error(path: Path, action: str, error: OSError) -> StorageError:
    """The one form of every filesystem failure of the spool: the path, the action, the reason."""
    return StorageError(f"spool {path}: {action}: {error.strerror or error}")


@contextlib.contextmanager
def _storage(path: Path, action: str) -> Iterator[None]:
    try:
        yield
    except OSError as error:
        raise _storage_error(path, action, error) from error


def _write_all(handle: FileIO, data: bytes) -> tuple[int, OSError | None]:
    """Write ``data`` at the end of ``handle``: how many bytes made it, and the error if not all.

    The count matters when the write fails part-way: the rows written in full are in the file,
    and will be read back after a restart.
    """
    view = memoryview(data)
    written = 0
    try:
        while written < len(data):
            written += handle.write(view[written:])
    except OSError as error:
        return written, error
    return written, None


def _whole_rows(data: bytes, written: int) -> int:
    """How many of the first ``written`` bytes of ``data`` are whole lines."""
    return data.rfind(b"\n", 0, written) + 1


def _cut_back(handle: FileIO, size: int) -> bool:
    """Cut the file back to ``size`` bytes (the end of its last whole row), where the next write
    goes; False if even that failed."""
    try:
        handle.truncate(size)
        handle.seek(size)
    except OSError:
        return False
    return True


def _encode_lines(results: Sequence[ProbeResult]) -> list[bytes]:
    # Everything is encoded before anything is written, so a result that cannot be encoded
    # leaves the spool as it was.
    return [encode_result(result).encode("ascii") + b"\n" for result in results]


@dataclass(eq=False)
class _Segment:
    """What this process knows of one segment file."""

    seq: int
    path: Path
    #: Bytes in the file.
    size: int = 0
    #: Rows (lines that decode) that the reader has not reached yet.
    unread: int = 0
    #: Rows read (or prepended) into the buffer and not yet committed.
    buffered: int = 0
    #: Bytes of the file the reader has consumed.
    offset: int = 0
    #: The reader has passed the end of the file, which will not grow any more.
    exhausted: bool = False


class Spool:
    """Append-only segment files of probe results in ``directory``; see the module docstring.

    ``on_problem`` is called with a one-line message for each line skipped because it does not
    decode, and when the reserve cannot be set aside; it must not raise. :meth:`open` must be
    called before anything else, and the spool holds at most two files open: the segment being
    appended to and the one being read.
    """

    def __init__(
        self,
        directory: str | Path,
        *,
        segment_bytes: int = DEFAULT_SEGMENT_BYTES,
        reserve_bytes: int = 0,
        on_problem: Callable[[str], None] | None = None,
    ) -> None:
        if segment_bytes < 1:
            raise ValueError(f"segment_bytes must be at least 1, got {segment_bytes}")
        if reserve_bytes < 0:
            raise ValueError(f"reserve_bytes must not be negative, got {reserve_bytes}")
        self._directory = Path(directory)
        self._segment_bytes = segment_bytes
        self._reserve_bytes = reserve_bytes
        self._on_problem = on_problem
        self._open = False
        #: Every segment file, in reading order.
        self._segments: list[_Segment] = []
        #: Decoded rows, oldest first, each with the segment it came from; committing pops them.
        self._buffer: deque[tuple[ProbeResult, _Segment]] = deque()
        #: Rows returned by the last peek and not committed since: what commit may drop.
        self._peeked = 0
        #: The segment appends go to (the last one), and its file once opened.
        self._active: _Segment | None = None
        self._appender: FileIO | None = None
        self._reader: tuple[_Segment, BufferedReader] | None = None
        self._next_seq = 0
        #: A segment file was created since the directory was last synced.
        self._directory_dirty = False
        self._spilled = 0
        self._skipped = 0
        self._newest: datetime | None = None

    @property
    def directory(self) -> Path:
        """Where the segment files are."""
        return self._directory

    @property
    def reserve_path(self) -> Path:
        """The file holding the space set aside (see :meth:`release_reserve`)."""
        return self._directory / RESERVE_NAME

    def release_reserve(self) -> int:
        """Give back the space set aside at :meth:`open`; how many bytes that freed (0 if none).

        The next :meth:`open` sets it aside again, if the disk has room by then.
        """
        try:
            size = self.reserve_path.stat().st_size
            self.reserve_path.unlink()
        except OSError:
            return 0
        return size

    @property
    def pending(self) -> int:
        """Rows in the spool not yet committed."""
        return len(self._buffer) + sum(segment.unread for segment in self._segments)

    @property
    def newest(self) -> datetime | None:
        """The latest ``started_at`` of any row seen in or added to the spool since opening:
        evidence of when this vantage last measured, even before the store has it."""
        return self._newest

    def _saw(self, results: Sequence[ProbeResult]) -> None:
        for result in results:
            if self._newest is None or result.started_at > self._newest:
                self._newest = result.started_at

    @property
    def spilled(self) -> int:
        """Rows appended or prepended since this object was made."""
        return self._spilled

    @property
    def skipped(self) -> int:
        """Lines skipped since this object was made because they do not decode (each reported
        through ``on_problem``); opening again reports and counts the same lines again."""
        return self._skipped

    def open(self) -> None:
        """Create the directory if needed and find the rows in its segment files.

        Every row of every segment file is pending afterwards. Does nothing if already open; after
        :meth:`close`, reads the directory afresh, as a restart would.
        """
        if self._open:
            return
        with _storage(self._directory, "create directory"):
            self._directory.mkdir(parents=True, exist_ok=True)
        with _storage(self._directory, "list"), os.scandir(self._directory) as entries:
            names = sorted(
                (int(match[1]), Path(entry.path))
                for entry in entries
                if (match := _SEGMENT_NAME.fullmatch(entry.name)) and entry.is_file()
            )
        self._segments = []
        self._buffer.clear()
        self._peeked = 0
        self._active = None
        self._next_seq = names[-1][0] + 1 if names else 0
        ends_with_newline = True
        for seq, path in names:
            segment, ends_with_newline = self._scan(seq, path)
            self._segments.append(segment)
        # Appending after a line cut short would glue the new row onto it, losing both: such a
        # segment (or a full one) gets no more rows, and appends start a new one.
        if self._segments and ends_with_newline:
            last = self._segments[-1]
            if last.size < self._segment_bytes:
                self._active = last
        self._open = True
        self._set_aside()

    def _set_aside(self) -> None:
        """Make sure the reserve file holds ``reserve_bytes``; say so if the disk has no room."""
        if not self._reserve_bytes:
            return
        path = self.reserve_path
        with contextlib.suppress(OSError):
            if path.stat().st_size == self._reserve_bytes:
                return
        try:
            # Random bytes: a file system that compresses must still allocate every block.
            replace_file(path, os.urandom(self._reserve_bytes))
        except OSError as error:
            if self._on_problem is not None:
                self._on_problem(
                    f"spool {path}: cannot set aside {self._reserve_bytes} bytes for the journal"
                    f" at stop: {error.strerror or error}"
                )
            return
        self._directory_dirty = True

    def close(self) -> None:
        """Flush and sync the segment being appended to, and close the files; idempotent.

        The counters keep their values; :meth:`open` may be called again.
        """
        if not self._open:
            return
        self._open = False
        try:
            self._retire(sync=True)
            self._sync_directory()
        finally:
            self._close_reader()

    def append(self, results: Sequence[ProbeResult]) -> None:
        """Add ``results`` after everything pending, handed to the OS (not synced) on return.

        Raises ValueError, before writing anything, if one of them cannot be encoded (see
        :func:`~monitor.write.jsonl.encode_result`). If writing fails (StorageError), the rows
        written in full before the failure stay in the spool and count in :attr:`pending`; later
        appends go to a new segment. Appending those rows again is harmless (the store
        de-duplicates).
        """
        self._require_open()
        lines = _encode_lines(results)
        self._saw(results)
        start = 0
        while start < len(lines):
            segment, handle = self._appendable()
            end, size = start, segment.size
            while end < len(lines) and size < self._segment_bytes:
                size += len(lines[end])
                end += 1
            self._append_lines(segment, handle, b"".join(lines[start:end]))
            start = end
            if segment.size >= self._segment_bytes:
                self._retire(sync=True)

    def prepend(self, results: Sequence[ProbeResult]) -> None:
        """Add ``results`` before everything pending, in a new segment synced to disk on return.

        For results still in memory at shutdown, which are older than the spool. A prepend puts
        rows ahead of those the last :meth:`peek` returned, so it ends that peek: commit nothing
        until the next one. If writing fails (StorageError), the rows written in full before the
        failure stay in the spool, first.
        """
        self._require_open()
        lines = _encode_lines(results)
        self._saw(results)
        if not lines:
            return
        seq = self._segments[0].seq - 1 if self._segments else self._take_seq()
        segment = self._segment(seq)
        segment.exhausted = True  # its rows go straight to the buffer, never through the reader
        data = b"".join(lines)
        with _storage(segment.path, "create"):
            handle = open(segment.path, "xb", buffering=0)  # noqa: SIM115 - closed below
        self._directory_dirty = True
        try:
            written, error = _write_all(handle, data)
            whole = _whole_rows(data, written)
            if error is not None and _cut_back(handle, whole):
                written = whole
            rows = data.count(b"\n", 0, whole)
            segment.size, segment.buffered = written, rows
            if written:
                self._segments.insert(0, segment)
            self._buffer.extendleft((result, segment) for result in reversed(results[:rows]))
            self._spilled += rows
            self._peeked = 0
            if error is not None:
                raise _storage_error(segment.path, "write", error) from error
            with _storage(segment.path, "sync"):
                os.fsync(handle.fileno())
        finally:
            with _storage(segment.path, "close"):
                handle.close()
            if not segment.size:
                # Nothing made it: a full disk must not fill the directory with empty files.
                with contextlib.suppress(OSError):
                    segment.path.unlink()
        self._sync_directory()

    def peek(self, n: int) -> list[ProbeResult]:
        """The oldest ``n`` pending rows (fewer if there are not as many), in order, not removed.

        Peeking again returns the same rows first. Only the rows asked for are read from disk.
        """
        self._require_open()
        if n < 0:
            raise ValueError(f"cannot peek {n} rows")
        self._fill(n)
        self._drop_finished()
        self._peeked = min(n, len(self._buffer))
        return [result for result, _ in islice(self._buffer, n)]

    def commit(self, n: int) -> None:
        """The ``n`` oldest pending rows are stored: drop them, deleting finished segment files.

        ``n`` may not exceed the rows the last :meth:`peek` returned less those committed since
        (ValueError): only rows the caller has seen can have been stored. A StorageError here (a
        file could not be deleted) leaves the rows committed; the file is deleted later, or its
        rows are written again after a restart.
        """
        self._require_open()
        if not 0 <= n <= self._peeked:
            raise ValueError(f"cannot commit {n} rows: the last peek left {self._peeked}")
        for _ in range(n):
            _, segment = self._buffer.popleft()
            segment.buffered -= 1
        self._peeked -= n
        self._drop_finished()

    def sync(self) -> None:
        """Make the rows appended so far durable: fsync the segment being appended to (and the
        directory, if a segment file was created since the last sync)."""
        self._require_open()
        if self._appender is not None and self._active is not None:
            with _storage(self._active.path, "sync"):
                os.fsync(self._appender.fileno())
        self._sync_directory()

    def _require_open(self) -> None:
        if not self._open:
            raise RuntimeError(f"spool {self._directory} is not open")

    def _problem(self, path: Path, line: int, reason: str) -> None:
        self._skipped += 1
        if self._on_problem is not None:
            self._on_problem(f"spool {path}: line {line}: {reason}; skipped")

    def _segment(self, seq: int) -> _Segment:
        return _Segment(seq, self._directory / f"spool-{seq}.jsonl")

    def _take_seq(self) -> int:
        seq = self._next_seq
        self._next_seq += 1
        return seq

    def _scan(self, seq: int, path: Path) -> tuple[_Segment, bool]:
        """The segment file at ``path`` with its rows counted and its bad lines reported; and
        whether it ends with a newline (or is empty)."""
        segment = self._segment(seq)
        ends_with_newline = True
        with _storage(path, "read"), path.open("rb") as file:
            for number, raw in enumerate(file, 1):
                segment.size += len(raw)
                ends_with_newline = raw.endswith(b"\n")
                try:
                    self._saw((read_result(raw),))
                except ValueError as error:
                    self._problem(path, number, str(error))
                    continue
                segment.unread += 1
        return segment, ends_with_newline

    def _appendable(self) -> tuple[_Segment, FileIO]:
        """The segment to append to, and its file, starting a new one if there is none."""
        segment = self._active
        if segment is None:
            segment = self._segment(self._take_seq())
            with _storage(segment.path, "create"):
                self._appender = open(segment.path, "xb", buffering=0)  # noqa: SIM115
            self._directory_dirty = True
            self._segments.append(segment)
            self._active = segment
        elif self._appender is None:
            with _storage(segment.path, "open for appending"):
                self._appender = open(segment.path, "ab", buffering=0)  # noqa: SIM115
        return segment, self._appender

    def _append_lines(self, segment: _Segment, handle: FileIO, data: bytes) -> None:
        written, error = _write_all(handle, data)
        whole = _whole_rows(data, written)
        rows = data.count(b"\n", 0, whole)
        segment.unread += rows
        self._spilled += rows
        if error is None:
            segment.size += written
            return
        if _cut_back(handle, segment.size + whole):
            # The file ends with a whole row again, so appends may go on in it: a disk that
            # stays full costs no new file per attempt.
            segment.size += whole
            if not segment.size:
                self._discard(segment)
        else:
            # The file may still end in part of a line: the next row must not be glued onto it.
            segment.size += written
            self._retire(sync=False)
        raise _storage_error(segment.path, "append", error) from error

    def _discard(self, segment: _Segment) -> None:
        """Remove the empty segment being appended to, file and all."""
        self._retire(sync=False)
        self._segments.remove(segment)
        with contextlib.suppress(OSError):  # left behind, it is an empty file, tidied later
            segment.path.unlink()

    def _retire(self, *, sync: bool) -> None:
        """Stop appending to the active segment (the next append starts a new one)."""
        segment, handle = self._active, self._appender
        self._active = self._appender = None
        if segment is None or handle is None:
            return
        with _storage(segment.path, "close"):
            try:
                if sync:
                    os.fsync(handle.fileno())
            finally:
                handle.close()

    def _sync_directory(self) -> None:
        """Make the creation of new segment files durable."""
        if not self._directory_dirty:
            return
        # Windows cannot open a directory to sync it, and needs no such sync.
        if os.name == "posix":  # pragma: no branch
            with _storage(self._directory, "sync"):
                descriptor = os.open(self._directory, os.O_RDONLY)
                try:
                    os.fsync(descriptor)
                finally:
                    os.close(descriptor)
        self._directory_dirty = False

    def _fill(self, n: int) -> None:
        """Read rows into the buffer until it holds ``n`` or there are no more."""
        for segment in self._segments:
            if len(self._buffer) >= n:
                return
            if segment.exhausted:
                continue
            self._read_rows(segment, n)
            if not segment.exhausted:
                return  # the segment being appended to, read to its end

    def _read_rows(self, segment: _Segment, n: int) -> None:
        """Read rows of ``segment`` into the buffer until it holds ``n`` or the file ends."""
        if self._reader is not None and self._reader[0] is segment:
            reader = self._reader[1]
        else:
            self._close_reader()
            if not segment.path.exists():
                # Removed behind the spool's back: its rows are gone, and retrying cannot bring
                # them back, so the rows after it are written instead of waiting forever.
                self._problem(segment.path, 0, f"{segment.unread} rows gone with the file")
                segment.exhausted = True
                segment.unread = 0
                return
            with _storage(segment.path, "open for reading"):
                reader = segment.path.open("rb")
                self._reader = (segment, reader)
                reader.seek(segment.offset)
        while len(self._buffer) < n:
            with _storage(segment.path, "read"):
                raw = reader.readline()
            if not raw:
                if segment is not self._active:
                    segment.exhausted = True
                    # Only if the file changed behind the spool's back can rows be counted
                    # and not found; they are not coming any more.
                    segment.unread = 0
                    self._close_reader()
                return
            segment.offset += len(raw)
            try:
                result = read_result(raw)
            except ValueError:
                # Reported when the spool was opened, or the tail of a failed append.
                continue
            segment.unread = max(segment.unread - 1, 0)
            segment.buffered += 1
            self._buffer.append((result, segment))

    def _close_reader(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None:
            reader[1].close()

    def _drop_finished(self) -> None:
        """Delete the leading segment files that hold no row still pending."""
        while self._segments and not (self._segments[0].unread or self._segments[0].buffered):
            segment = self._segments[0]
            if self._reader is not None and self._reader[0] is segment:
                self._close_reader()
            if segment is self._active:
                self._retire(sync=False)
            with _storage(segment.path, "delete"):
                segment.path.unlink(missing_ok=True)
            del self._segments[0]

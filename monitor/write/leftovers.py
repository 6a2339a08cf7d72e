"""At a stop, what the store could not take is kept for the next start, and any loss counted.

Interval changes go first, to the journal file (:func:`~monitor.write.journal_file.save_journal`):
they are few and small, and losing one loses an outage. Should the disk be too full even for
them, the space the spool set aside at start (:meth:`~monitor.write.spool.Spool.release_reserve`) is
given back and the journal written again. Results follow, to the spool
(:meth:`~monitor.write.writer.ResultWriter.spill_rest`). What could be kept nowhere is counted
exactly, so that the daemon can say what was lost rather than merely that something failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from ..errors import StorageError
from .journal_file import save_journal
from .spool import Spool
from .writer import ResultWriter

__all__ = ["JOURNAL_RESERVE_BYTES", "Leftovers", "keep_leftovers"]

#: Space the spool sets aside for the journal at stop: about 200 interval changes.
JOURNAL_RESERVE_BYTES: Final = 64 * 1024


@dataclass(frozen=True, slots=True)
class Leftovers:
    """What a stop left for the next start, and what it could not keep."""

    #: Where results wait (the spool directory) and interval changes (the journal file).
    spool: Path
    journal: Path
    #: Results waiting in the spool, and interval changes in the journal file.
    results_kept: int
    changes_kept: int
    #: Results and interval changes kept nowhere.
    results_lost: int
    changes_lost: int
    #: Results dropped before the stop, while memory was at its limit.
    dropped: int
    #: Why something was lost: the first failure, one line.
    reason: str | None = None

    @property
    def lost(self) -> bool:
        """Something could not be kept at this stop."""
        return bool(self.results_lost or self.changes_lost)

    def describe(self) -> str:
        """One line: what waits for the next start, what was lost and why, what was dropped."""
        parts = []
        if self.lost:
            parts.append(
                f"lost {self.results_lost} results and {self.changes_lost} interval changes"
                f" ({self.reason})"
            )
        if self.results_kept or self.changes_kept:
            parts.append(
                f"{self.results_kept} results wait in {self.spool} and {self.changes_kept}"
                f" interval changes in {self.journal}, to be written at the next start"
            )
        if self.dropped:
            parts.append(f"{self.dropped} results were dropped earlier, memory being full")
        return "stopped with the store unavailable: " + "; ".join(parts)


def keep_leftovers(writer: ResultWriter, spool: Spool, journal: Path) -> Leftovers:
    """Save what ``writer`` still holds: its interval changes to ``journal``, then its results
    to ``spool``; count what could be kept nowhere. Never raises for a full or failing disk."""
    reason: str | None = None
    changes = writer.journal
    changes_kept = 0
    if changes:
        try:
            changes_kept = save_journal(changes, journal)
        except StorageError as error:
            reason = str(error)
            if spool.release_reserve():
                try:
                    changes_kept = save_journal(changes, journal)
                except StorageError as again:
                    reason = str(again)
                else:
                    reason = None
    writer.spill_rest()
    results_lost = writer.memory_depth
    if results_lost and reason is None:
        reason = str(writer.spool_error or f"spool {spool.directory}: cannot be written")
    return Leftovers(
        spool=spool.directory,
        journal=journal,
        results_kept=spool.pending,
        changes_kept=changes_kept,
        results_lost=results_lost,
        changes_lost=len(changes) - changes_kept,
        dropped=writer.dropped,
        reason=reason,
    )

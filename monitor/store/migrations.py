"""Schema migrations: ordered SQL scripts, each applied once, in order, in its own transaction.

Version ``n`` is the ``n``-th script of a list; a store records each applied version in
``schema_migrations(version, applied_at)`` and applies the missing ones when it opens. Scripts are
only ever appended: an applied script is history, so it is never edited (a change is a new script).
Each store dialect keeps its own list here, so the schemas can be compared side by side.

SQLite (:data:`SQLITE`) keeps instants as INTEGER microseconds since the Unix epoch, UTC: exact,
compact and ordered like the instants themselves. The ``results`` table is the bulk of the data, so
its vantage, check and outcome are small integers referencing the lookup tables ``vantages``,
``checks`` and ``outcomes`` (one row per name, added as names first appear); ``intervals`` are few,
so they keep their names as text. The interval columns are ``start_at``/``end_at`` because ``END``
is a reserved word in SQL.
"""

from __future__ import annotations

from typing import Final

__all__ = ["SQLITE", "SQLITE_MIGRATIONS_TABLE"]

#: Created before any migration runs, so that it can record the first one.
SQLITE_MIGRATIONS_TABLE: Final = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    applied_at INTEGER NOT NULL
        DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER))
)
"""

_SQLITE_1 = """
CREATE TABLE vantages (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
CREATE TABLE checks (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
CREATE TABLE outcomes (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

-- One row per probe. latency_us is the latency in whole microseconds; answers is a compact JSON
-- array of strings, NULL when there are none; cert_expires_at is NULL when not measured.
CREATE TABLE results (
    id              INTEGER PRIMARY KEY,
    vantage         INTEGER NOT NULL REFERENCES vantages (id),
    check_id        INTEGER NOT NULL REFERENCES checks (id),
    started_at      INTEGER NOT NULL,
    latency_us      INTEGER NOT NULL,
    outcome         INTEGER NOT NULL REFERENCES outcomes (id),
    status          INTEGER,
    bytes_read      INTEGER NOT NULL,
    detail          TEXT NOT NULL,
    cert_expires_at INTEGER,
    answers         TEXT
);
CREATE INDEX results_by_check ON results (check_id, started_at);
-- Serves time-range reads, the last result of a vantage and retention.
CREATE INDEX results_by_time ON results (started_at);

-- Half-open [start_at, end_at); end_at is NULL while the interval is open. opened_at is when the
-- row was written, from the database's clock: bookkeeping, not evidence.
CREATE TABLE intervals (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    vantage     TEXT NOT NULL,
    subject     TEXT NOT NULL,
    start_at    INTEGER NOT NULL,
    end_at      INTEGER CHECK (end_at IS NULL OR end_at >= start_at),
    start_bound INTEGER,
    end_bound   INTEGER,
    detail      TEXT NOT NULL DEFAULT '{}',
    opened_at   INTEGER NOT NULL
        DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER))
);
-- Overlap queries: an interval overlapping [a, b) ends after a (or is open) and starts before b.
CREATE INDEX intervals_by_end ON intervals (end_at, start_at);
CREATE INDEX intervals_by_subject ON intervals (subject, start_at);
-- Only the open intervals, which a restarting vantage resumes.
CREATE INDEX intervals_open ON intervals (vantage) WHERE end_at IS NULL;
"""

# A result is identified by (vantage, check, started_at): a batch written twice (a retry after
# an unclear failure, a spill file replayed after a crash) must not store it twice. Each
# vantage's newest result is kept beside its name, so finding it costs no scan.
_SQLITE_2 = """
DELETE FROM results
WHERE id NOT IN (SELECT MIN(id) FROM results GROUP BY check_id, started_at, vantage);
DROP INDEX results_by_check;
CREATE UNIQUE INDEX results_identity ON results (check_id, started_at, vantage);
ALTER TABLE vantages ADD COLUMN last_result_at INTEGER;
UPDATE vantages
SET last_result_at = (SELECT MAX(started_at) FROM results WHERE results.vantage = vantages.id);
"""

#: SQLite's scripts; version ``n`` is ``SQLITE[n - 1]``.
SQLITE: Final[tuple[str, ...]] = (_SQLITE_1, _SQLITE_2)

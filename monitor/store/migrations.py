"""Schema migrations: ordered SQL scripts, each applied once, in order, in its own transaction.

Version ``n`` is the ``n``-th script of a list; a store records each applied version in
``schema_migrations(version, applied_at)`` and applies the missing ones when it opens. Scripts are
only ever appended: an applied script is history, so it is never edited (a change is a new script).
Each store dialect keeps its own list here, so the schemas can be compared side by side.

Both dialects share one shape. The ``results`` table is the bulk of the data, so its vantage, check
and outcome are small integers referencing the lookup tables ``vantages``, ``checks`` and
``outcomes`` (one row per name, added as names first appear); ``vantages.last_result_at`` keeps
each vantage's newest result beside its name. ``intervals`` are few, so they keep their names as
text. The interval columns are ``start_at``/``end_at`` because ``END`` is a reserved word in SQL.

SQLite (:data:`SQLITE`) keeps instants as INTEGER microseconds since the Unix epoch, UTC: exact,
compact and ordered like the instants themselves.

PostgreSQL (:data:`POSTGRES`) keeps instants as ``timestamptz`` (microseconds, UTC inside) and
differs where a server with years of results calls for it:

- ``results`` is partitioned by range of ``started_at``, one partition per UTC day named
  ``results_YYYYMMDD``, created by the store before a write needs it (not by a migration).
  Retention drops whole partitions instead of deleting rows, leaving nothing to vacuum.
- A result row has no surrogate id: ``(check_id, vantage, started_at)`` is its identity, a unique
  index that includes the partition key (so it may be declared on the partitioned table) and
  serves reads by check; in that order its entries carry no alignment padding. Reads by time
  prune partitions, then use a BRIN index on ``started_at``: results are stored in time order, so
  a few bytes per block range replace a B-tree as large as the table's key.
- Columns are ordered widest alignment first (8-byte, 4-byte, 2-byte, then variable length), so
  that no padding sits between them; ``answers`` is a ``text[]``, NULL when empty.
- Results carry no foreign keys to the lookup tables: rows there are never deleted and the store
  resolves every id in the transaction that writes it, while a foreign key would add a lookup per
  row to every bulk write.
- ``intervals.detail`` is ``jsonb``; interval ids are ``bigint``, chosen by the caller (random
  62-bit values) or else taken from an identity sequence.

Both keep ``day_aggregates``: each service's figures of one local day, derived from the intervals
and the exclusions (:mod:`monitor.status.aggregates`), so that the status page reads 90 rows a
service instead of recomputing 90 verdicts. Being derived, a row must never outlive what it was
derived from, and the schema itself sees to it, whoever writes: triggers delete the rows of the
days an interval or an exclusion written, changed or deleted covers, in the same transaction
(a late interval change replayed from the spool, ``slawatch db rebuild``'s replacement, an
exclusion added or revoked). The rows name their local day and its UTC span ``[start_at,
end_at)``; the overlap tests use the span, so the triggers need no time zone. Every later
migration empties the table (:data:`CLEARS_AGGREGATES`): code that changed the schema may read
the evidence differently.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "AGGREGATES_SINCE",
    "CLEARS_AGGREGATES",
    "POSTGRES",
    "POSTGRES_MIGRATIONS_TABLE",
    "SQLITE",
    "SQLITE_MIGRATIONS_TABLE",
]

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

# Exclusions are annotations, kept for good: revoking one marks it, never deletes it.
_SQLITE_3 = """
CREATE TABLE exclusions (
    id           INTEGER PRIMARY KEY,
    service      TEXT NOT NULL,
    start_at     INTEGER NOT NULL,
    end_at       INTEGER NOT NULL CHECK (end_at > start_at),
    reason       TEXT NOT NULL,
    announced_at INTEGER,
    note         TEXT NOT NULL,
    added_by     TEXT NOT NULL,
    added_at     INTEGER NOT NULL,
    revoked_at   INTEGER,
    revoked_by   TEXT,
    revoke_note  TEXT
);
CREATE INDEX exclusions_by_service ON exclusions (service, start_at);
"""

# Provider notices (C4) are annotations too, kept for good: revoking one marks it. Reads are by
# service and time.
_SQLITE_4 = """
CREATE TABLE notices (
    id          INTEGER PRIMARY KEY,
    service     TEXT NOT NULL,
    notified_at INTEGER NOT NULL,
    ref         TEXT NOT NULL,
    added_by    TEXT NOT NULL,
    added_at    INTEGER NOT NULL,
    revoked_at  INTEGER,
    revoked_by  TEXT,
    revoke_note TEXT
);
CREATE INDEX notices_by_service ON notices (service, notified_at);
"""

# Per service and local day of the status page's zone: measured, outage, degraded, maintenance
# and gap time in microseconds; spans is a JSON object of the day's outage, unconfirmed and
# degraded spans ([[start_us, end_us], ...]), NULL when there are none; basis names what the
# figures were computed under (the zone, the quorum rule, the frontend checks), so a row computed
# under another configuration is not read as this one's. A row whose computed_at is NULL is a
# claim: a computation began, and may store its figures only if the row (its claim token) is
# still there when it ends. The triggers delete the rows of the days an interval or exclusion
# change covers (an open interval covers every day from its start), claims included: figures
# read from evidence that changed meanwhile are never stored. The key leads with the day: the
# status page reads a range of days for every service, one contiguous stretch of the table.
# day_aggregates_generation counts the table's changes (the triggers, claims and stored figures
# move it), so that a reader can keep what it read until it moves.
_SQLITE_5 = """
CREATE TABLE day_aggregates (
    day            TEXT NOT NULL,
    service        TEXT NOT NULL,
    start_at       INTEGER NOT NULL,
    end_at         INTEGER NOT NULL CHECK (end_at > start_at),
    measured_us    INTEGER NOT NULL,
    outage_us      INTEGER NOT NULL,
    degraded_us    INTEGER NOT NULL,
    maintenance_us INTEGER NOT NULL,
    gap_us         INTEGER NOT NULL,
    spans          TEXT,
    basis          TEXT NOT NULL,
    claim          INTEGER NOT NULL,
    computed_at    INTEGER,
    PRIMARY KEY (day, service)
) WITHOUT ROWID;
-- The triggers find the days an instant range overlaps.
CREATE INDEX day_aggregates_by_end ON day_aggregates (end_at);
-- One row: bumped by every change of the table, so that a reader may keep what it read.
CREATE TABLE day_aggregates_generation (n INTEGER NOT NULL);
INSERT INTO day_aggregates_generation (n) VALUES (0);
CREATE TRIGGER day_aggregates_interval_added AFTER INSERT ON intervals
WHEN EXISTS (
    SELECT 1 FROM day_aggregates
    WHERE end_at > NEW.start_at AND (NEW.end_at IS NULL OR start_at < NEW.end_at)
)
BEGIN
    DELETE FROM day_aggregates
    WHERE end_at > NEW.start_at AND (NEW.end_at IS NULL OR start_at < NEW.end_at);
    UPDATE day_aggregates_generation SET n = n + 1;
END;
CREATE TRIGGER day_aggregates_interval_removed AFTER DELETE ON intervals
WHEN EXISTS (
    SELECT 1 FROM day_aggregates
    WHERE end_at > OLD.start_at AND (OLD.end_at IS NULL OR start_at < OLD.end_at)
)
BEGIN
    DELETE FROM day_aggregates
    WHERE end_at > OLD.start_at AND (OLD.end_at IS NULL OR start_at < OLD.end_at);
    UPDATE day_aggregates_generation SET n = n + 1;
END;
-- A close changes the days from the earlier of the two ends on (an open end is the later);
-- another start, detail (the services a run measured), kind, vantage or subject changes every
-- day the row covers.
CREATE TRIGGER day_aggregates_interval_changed AFTER UPDATE ON intervals
WHEN EXISTS (
    SELECT 1 FROM day_aggregates
    WHERE end_at > CASE
        WHEN OLD.start_at IS NOT NEW.start_at OR OLD.detail IS NOT NEW.detail
            OR OLD.kind IS NOT NEW.kind OR OLD.vantage IS NOT NEW.vantage
            OR OLD.subject IS NOT NEW.subject
            THEN MIN(OLD.start_at, NEW.start_at)
        ELSE MIN(COALESCE(OLD.end_at, NEW.end_at), COALESCE(NEW.end_at, OLD.end_at))
    END
)
BEGIN
    DELETE FROM day_aggregates
    WHERE end_at > CASE
        WHEN OLD.start_at IS NOT NEW.start_at OR OLD.detail IS NOT NEW.detail
            OR OLD.kind IS NOT NEW.kind OR OLD.vantage IS NOT NEW.vantage
            OR OLD.subject IS NOT NEW.subject
            THEN MIN(OLD.start_at, NEW.start_at)
        ELSE MIN(COALESCE(OLD.end_at, NEW.end_at), COALESCE(NEW.end_at, OLD.end_at))
    END;
    UPDATE day_aggregates_generation SET n = n + 1;
END;
CREATE TRIGGER day_aggregates_exclusion_added AFTER INSERT ON exclusions
WHEN EXISTS (
    SELECT 1 FROM day_aggregates
    WHERE service = NEW.service AND end_at > NEW.start_at AND start_at < NEW.end_at
)
BEGIN
    DELETE FROM day_aggregates
    WHERE service = NEW.service AND end_at > NEW.start_at AND start_at < NEW.end_at;
    UPDATE day_aggregates_generation SET n = n + 1;
END;
CREATE TRIGGER day_aggregates_exclusion_changed AFTER UPDATE ON exclusions
WHEN EXISTS (
    SELECT 1 FROM day_aggregates
    WHERE service IN (OLD.service, NEW.service)
      AND end_at > MIN(OLD.start_at, NEW.start_at) AND start_at < MAX(OLD.end_at, NEW.end_at)
)
BEGIN
    DELETE FROM day_aggregates
    WHERE service IN (OLD.service, NEW.service)
      AND end_at > MIN(OLD.start_at, NEW.start_at) AND start_at < MAX(OLD.end_at, NEW.end_at);
    UPDATE day_aggregates_generation SET n = n + 1;
END;
CREATE TRIGGER day_aggregates_exclusion_removed AFTER DELETE ON exclusions
WHEN EXISTS (
    SELECT 1 FROM day_aggregates
    WHERE service = OLD.service AND end_at > OLD.start_at AND start_at < OLD.end_at
)
BEGIN
    DELETE FROM day_aggregates
    WHERE service = OLD.service AND end_at > OLD.start_at AND start_at < OLD.end_at;
    UPDATE day_aggregates_generation SET n = n + 1;
END;
"""

#: SQLite's scripts; version ``n`` is ``SQLITE[n - 1]``.
SQLITE: Final[tuple[str, ...]] = (_SQLITE_1, _SQLITE_2, _SQLITE_3, _SQLITE_4, _SQLITE_5)

#: Created (under the migration lock) before any migration runs, so that it can record the first.
POSTGRES_MIGRATIONS_TABLE: Final = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""

_POSTGRES_1 = """
CREATE TABLE vantages (
    id             smallint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    name           text NOT NULL UNIQUE,
    last_result_at timestamptz
);
CREATE TABLE checks (
    id   integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    name text NOT NULL UNIQUE
);
CREATE TABLE outcomes (
    id   smallint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    name text NOT NULL UNIQUE
);

-- One row per probe, partitioned by UTC day (results_YYYYMMDD, created on demand by the store).
-- latency_us is the latency in whole microseconds; status is NULL when no HTTP status was read,
-- cert_expires_at when not measured, answers when there are none.
CREATE TABLE results (
    started_at      timestamptz NOT NULL,
    bytes_read      bigint NOT NULL,
    cert_expires_at timestamptz,
    check_id        integer NOT NULL,
    latency_us      integer NOT NULL,
    vantage         smallint NOT NULL,
    outcome         smallint NOT NULL,
    status          smallint,
    detail          text NOT NULL,
    answers         text[]
) PARTITION BY RANGE (started_at);
-- The identity of a result, and reads by check. In this order the key has no alignment padding
-- (28 bytes an entry, where (check_id, started_at, vantage) takes 36).
CREATE UNIQUE INDEX results_identity ON results (check_id, vantage, started_at);
-- Reads by time within a day's partition.
CREATE INDEX results_by_time ON results USING brin (started_at);

-- Half-open [start_at, end_at); end_at is NULL while the interval is open. opened_at is when the
-- row was written, from the database's clock: bookkeeping, not evidence.
CREATE TABLE intervals (
    id          bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    kind        text NOT NULL,
    vantage     text NOT NULL,
    subject     text NOT NULL,
    start_at    timestamptz NOT NULL,
    end_at      timestamptz CHECK (end_at IS NULL OR end_at >= start_at),
    start_bound timestamptz,
    end_bound   timestamptz,
    detail      jsonb NOT NULL DEFAULT '{}',
    opened_at   timestamptz NOT NULL DEFAULT now()
);
-- Overlap queries: an interval overlapping [a, b) ends after a (or is open) and starts before b.
CREATE INDEX intervals_by_end ON intervals (end_at, start_at);
CREATE INDEX intervals_by_subject ON intervals (subject, start_at);
-- Only the open intervals, which a restarting vantage resumes.
CREATE INDEX intervals_open ON intervals (vantage) WHERE end_at IS NULL;
"""

# Exclusions are annotations, kept for good: revoking one marks it, never deletes it.
_POSTGRES_2 = """
CREATE TABLE exclusions (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    service      text NOT NULL,
    start_at     timestamptz NOT NULL,
    end_at       timestamptz NOT NULL CHECK (end_at > start_at),
    reason       text NOT NULL,
    announced_at timestamptz,
    note         text NOT NULL,
    added_by     text NOT NULL,
    added_at     timestamptz NOT NULL,
    revoked_at   timestamptz,
    revoked_by   text,
    revoke_note  text
);
CREATE INDEX exclusions_by_service ON exclusions (service, start_at);
"""

# Provider notices (C4) are annotations too, kept for good: revoking one marks it. Reads are by
# service and time.
_POSTGRES_3 = """
CREATE TABLE notices (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    service     text NOT NULL,
    notified_at timestamptz NOT NULL,
    ref         text NOT NULL,
    added_by    text NOT NULL,
    added_at    timestamptz NOT NULL,
    revoked_at  timestamptz,
    revoked_by  text,
    revoke_note text
);
CREATE INDEX notices_by_service ON notices (service, notified_at);
"""

# As SQLite's _SQLITE_5: the day's figures per service, and triggers that delete the rows of the
# days an interval or exclusion change covers. Microseconds as bigint; spans as json, checked and
# kept as written.
_POSTGRES_4 = """
CREATE TABLE day_aggregates (
    day            date NOT NULL,
    service        text NOT NULL,
    start_at       timestamptz NOT NULL,
    end_at         timestamptz NOT NULL CHECK (end_at > start_at),
    measured_us    bigint NOT NULL,
    outage_us      bigint NOT NULL,
    degraded_us    bigint NOT NULL,
    maintenance_us bigint NOT NULL,
    gap_us         bigint NOT NULL,
    claim          bigint NOT NULL,
    computed_at    timestamptz,
    basis          text NOT NULL,
    spans          json,
    PRIMARY KEY (day, service)
);
-- The triggers find the days an instant range overlaps.
CREATE INDEX day_aggregates_by_end ON day_aggregates (end_at);
-- One row: bumped by every change of the table, so that a reader may keep what it read.
CREATE TABLE day_aggregates_generation (n bigint NOT NULL);
INSERT INTO day_aggregates_generation (n) VALUES (0);

-- The instants from which the change of an interval row (TG_OP) may alter a day's figures, and
-- until which (NULL: for ever). A close changes the days from the earlier of the two ends on;
-- another start, detail (the services a run measured), kind, vantage or subject every day the
-- row covers. The generation moves only when a day goes: most changes are about today, which is
-- never stored, and leave the one row unlocked.
CREATE FUNCTION day_aggregates_interval_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    since timestamptz;
    until timestamptz;
BEGIN
    IF TG_OP = 'INSERT' THEN
        since := NEW.start_at;
        until := NEW.end_at;
    ELSIF TG_OP = 'DELETE' THEN
        since := OLD.start_at;
        until := OLD.end_at;
    ELSIF OLD.start_at IS DISTINCT FROM NEW.start_at OR OLD.detail IS DISTINCT FROM NEW.detail
        OR OLD.kind IS DISTINCT FROM NEW.kind OR OLD.vantage IS DISTINCT FROM NEW.vantage
        OR OLD.subject IS DISTINCT FROM NEW.subject THEN
        since := LEAST(OLD.start_at, NEW.start_at);
    ELSE
        since := LEAST(COALESCE(OLD.end_at, NEW.end_at), COALESCE(NEW.end_at, OLD.end_at));
    END IF;
    IF since IS NOT NULL THEN
        DELETE FROM day_aggregates
        WHERE end_at > since AND (until IS NULL OR start_at < until);
        IF FOUND THEN
            UPDATE day_aggregates_generation SET n = n + 1;
        END IF;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER day_aggregates_interval_changed AFTER INSERT OR UPDATE OR DELETE ON intervals
FOR EACH ROW EXECUTE FUNCTION day_aggregates_interval_changed();

CREATE FUNCTION day_aggregates_exclusion_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    gone boolean := false;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM day_aggregates
        WHERE service = OLD.service AND end_at > OLD.start_at AND start_at < OLD.end_at;
        gone := FOUND;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        DELETE FROM day_aggregates
        WHERE service = NEW.service AND end_at > NEW.start_at AND start_at < NEW.end_at;
        gone := gone OR FOUND;
    END IF;
    IF gone THEN
        UPDATE day_aggregates_generation SET n = n + 1;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER day_aggregates_exclusion_changed AFTER INSERT OR UPDATE OR DELETE ON exclusions
FOR EACH ROW EXECUTE FUNCTION day_aggregates_exclusion_changed();
"""

#: PostgreSQL's scripts; version ``n`` is ``POSTGRES[n - 1]``.
POSTGRES: Final[tuple[str, ...]] = (_POSTGRES_1, _POSTGRES_2, _POSTGRES_3, _POSTGRES_4)

#: The first version of each dialect with ``day_aggregates``: every version after it empties the
#: table (:data:`CLEARS_AGGREGATES`) in the transaction that applies it.
AGGREGATES_SINCE: Final = {"sqlite": 5, "postgresql": 4}
#: Run after applying any migration past :data:`AGGREGATES_SINCE`: the per-day figures are
#: derived, and a program that changed the schema may derive them differently.
CLEARS_AGGREGATES: Final = (
    "DELETE FROM day_aggregates",
    "UPDATE day_aggregates_generation SET n = n + 1",
)

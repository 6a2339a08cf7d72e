"""Rows and records: how both stores turn evidence into columns and back, in one place.

Shared, because the two schemas (:mod:`monitor.store.migrations`) agree on it:

- **The columns of intervals, exclusions and notices**, in the order both stores insert and
  select them: :meth:`RowCodec.interval_row` and :meth:`RowCodec.interval`, and so on.
- **A result's columns in one order**, :data:`RESULT_COLUMNS`: the order SQLite inserts and both
  stores select, and PostgreSQL copies into its staging table. Its table keeps another physical
  order (widest alignment first), which a column list hides.
- **Values checked on their way in**: an instant must name its time zone, an interval's detail
  must be JSON (kept as compact text), a kind or outcome must be one this program knows. A value
  that is not is an :class:`InvalidValueError`, which each store reports as a refused request.
- **Latency in whole microseconds**, and a result's answers stored only when there are some.
- **The name <-> id caches of the lookup tables** (:class:`NameIds`): rows there are never
  changed or deleted, so a cache stays true when another process adds names.

Deliberately not shared, because the dialects differ for a reason:

- **How an instant is a column**: INTEGER microseconds since the epoch in SQLite,
  ``timestamptz`` in PostgreSQL; and **how a list of text is** (a result's answers, the kinds a
  query matches): a JSON array as text in SQLite, ``text[]`` in PostgreSQL. Each dialect has a
  :class:`RowCodec` of its own for that, :data:`SQLITE_ROWS` and :data:`POSTGRES_ROWS`, alike in
  everything else.
- **SQL and how it runs**: the statements, transactions, how a batch of results is written (row
  by row, or COPY into daily partitions), how new names get their ids (one at a time, or in
  sets), how old results go (chunked deletes, or dropped partitions), a worker thread against a
  connection pool. That stays in :mod:`monitor.store.sqlite` and :mod:`monitor.store.postgres`;
  the steps both take alike around their SQL are :mod:`monitor.store.rowstore`.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final, Generic, TypeVar

from ..evidence import ExclusionRecord, IntervalKind, IntervalRecord, NoticeRecord
from ..results import Outcome, ProbeResult
from .base import DayAggregate, DayClaim, DayFigures

__all__ = [
    "EXCLUSION_FIELDS",
    "LOOKUP_TABLES",
    "NOTICE_FIELDS",
    "POSTGRES_ROWS",
    "RESULT_COLUMNS",
    "REVOCATION_FIELDS",
    "SQLITE_ROWS",
    "InvalidValueError",
    "NameIds",
    "RowCodec",
    "aware",
    "detail_json",
    "from_microseconds",
    "interval_kind",
    "kind_values",
    "microseconds",
    "outcome",
]

#: The lookup tables that give vantages, checks and outcomes their small ids.
LOOKUP_TABLES: Final = ("vantages", "checks", "outcomes")

#: A result's columns in the order :meth:`RowCodec.result_row` gives them and
#: :meth:`RowCodec.result` reads them.
RESULT_COLUMNS: Final = (
    "vantage",
    "check_id",
    "started_at",
    "latency_us",
    "outcome",
    "status",
    "bytes_read",
    "detail",
    "cert_expires_at",
    "answers",
)
#: The columns of a new exclusion, in order, as the :class:`ExclusionRecord` fields they hold.
EXCLUSION_FIELDS: Final = (
    "service",
    "start",
    "end",
    "reason",
    "announced_at",
    "note",
    "added_by",
    "added_at",
)
#: The columns of a new notice, in order, as the :class:`NoticeRecord` fields they hold.
NOTICE_FIELDS: Final = ("service", "at", "ref", "added_by", "added_at")
#: The columns a stored exclusion or notice has after those: whether, when, by whom and why it was
#: revoked.
REVOCATION_FIELDS: Final = ("revoked_at", "revoked_by", "revoke_note")
# The fields of these records that hold instants.
_INSTANT_FIELDS: Final = frozenset({"start", "end", "at", "announced_at", "added_at", "revoked_at"})

# Where a result row holds the id of a name, by lookup table.
_RESULT_IDS: Final = (("vantages", 0), ("checks", 1), ("outcomes", 4))

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND: Final = timedelta(microseconds=1)

#: How a dialect keeps an instant in a column.
InstantT = TypeVar("InstantT")
#: How a dialect keeps a list of text in a column (or passes it as a parameter).
TextsT = TypeVar("TextsT")


class InvalidValueError(ValueError):
    """A value the store cannot keep (a naive datetime, a detail that is not JSON) or cannot read
    back (an unknown kind, outcome or lookup id)."""


def aware(instant: datetime) -> datetime:
    """``instant`` itself; a naive datetime names no instant, so it is refused."""
    if instant.utcoffset() is None:
        raise InvalidValueError(f"instant {instant.isoformat()} has no time zone")
    return instant


def microseconds(instant: datetime) -> int:
    """Microseconds since the Unix epoch (naive datetimes refused): exact and ordered."""
    return (aware(instant) - _EPOCH) // _MICROSECOND


def from_microseconds(us: int) -> datetime:
    """The UTC instant ``us`` microseconds after the Unix epoch."""
    return _EPOCH + timedelta(microseconds=us)


def detail_json(detail: Mapping[str, Any]) -> str:
    """An interval's detail as compact JSON text; anything JSON cannot say is refused."""
    try:
        return json.dumps(dict(detail), separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise InvalidValueError(f"detail is not JSON: {error}") from None


def interval_kind(value: str) -> IntervalKind:
    """The kind a stored (or given) value names; one this program does not know is refused."""
    try:
        return IntervalKind(value)
    except ValueError:
        raise InvalidValueError(f"unknown interval kind {value!r}") from None


def kind_values(kinds: Collection[str]) -> list[str]:
    """The values of ``kinds``, each checked, sorted: what a query matches ``kind`` against."""
    return sorted(interval_kind(kind).value for kind in kinds)


def outcome(name: str) -> Outcome:
    """The outcome a stored name says; one this program does not know is refused."""
    try:
        return Outcome(name)
    except ValueError:
        raise InvalidValueError(f"unknown outcome {name!r}") from None


class NameIds:
    """The lookup tables (:data:`LOOKUP_TABLES`) both ways, as far as seen.

    Only ids of committed rows may be remembered: an id added by a transaction that rolls back
    never existed.
    """

    def __init__(self) -> None:
        self._ids: dict[str, dict[str, int]] = {table: {} for table in LOOKUP_TABLES}
        self._names: dict[str, dict[int, str]] = {table: {} for table in LOOKUP_TABLES}

    def clear(self) -> None:
        """Forget everything: the database may have been replaced."""
        for table in LOOKUP_TABLES:
            self._ids[table].clear()
            self._names[table].clear()

    def remember(self, table: str, name: str, ident: int) -> None:
        """Note that ``name`` has the id ``ident`` in ``table``."""
        self._ids[table][name] = ident
        self._names[table][ident] = name

    def load(self, table: str, rows: Iterable[Sequence[Any]]) -> None:
        """Remember every ``(id, name)`` row read from ``table``."""
        for ident, name in rows:
            self.remember(table, name, int(ident))

    def id(self, table: str, name: str) -> int | None:
        """The id of ``name`` in ``table``, if seen."""
        return self._ids[table].get(name)

    def name(self, table: str, ident: int) -> str:
        """The name behind an id; an id never seen is an :class:`InvalidValueError`."""
        try:
            return self._names[table][ident]
        except KeyError:
            raise InvalidValueError(f"{table} has no id {ident}") from None

    def unknown(self, rows: Sequence[Sequence[Any]]) -> list[str]:
        """The lookup tables to read again before these result rows can be decoded: those where
        a row holds an id not seen yet (added by another process)."""
        return [
            table
            for table, column in _RESULT_IDS
            if any(row[column] not in self._names[table] for row in rows)
        ]


class RowCodec(Generic[InstantT, TextsT]):
    """Records as rows and back, for a dialect that keeps instants as ``InstantT`` and lists of text
    as ``TextsT``.

    Rows are tuples (or anything that unpacks like one) of the columns each method names, in that
    order.
    """

    def __init__(
        self,
        *,
        instant: Callable[[datetime], InstantT],
        read_instant: Callable[[InstantT], datetime],
        texts: Callable[[Sequence[str]], TextsT],
        read_texts: Callable[[TextsT], Iterable[str]],
        day: Callable[[date], Any],
        read_day: Callable[[Any], date],
    ) -> None:
        self._instant: Final = instant
        self._read_instant: Final = read_instant
        self._texts: Final = texts
        self._read_texts: Final = read_texts
        self._day: Final = day
        # Day figures are read by the tens of thousands (90 days of each service), over a
        # few hundred distinct days: one date object per day, not one per row.
        self._read_day: Final = functools.lru_cache(maxsize=1024)(read_day)

    def instant(self, value: datetime) -> InstantT:
        """An instant as a column; a naive datetime is refused."""
        return self._instant(value)

    def optional_instant(self, value: datetime | None) -> InstantT | None:
        """An instant or None as a column."""
        return None if value is None else self._instant(value)

    def read_instant(self, value: InstantT) -> datetime:
        """A column as a UTC-aware instant."""
        return self._read_instant(value)

    def read_optional_instant(self, value: InstantT | None) -> datetime | None:
        """A column, NULL or an instant, as read."""
        return None if value is None else self._read_instant(value)

    def kinds(self, kinds: Collection[str]) -> TextsT:
        """The values of ``kinds`` (each checked, sorted) as a parameter a query matches ``kind``
        against."""
        return self._texts(kind_values(kinds))

    def interval_row(self, record: IntervalRecord) -> tuple[Any, ...]:
        """``kind, vantage, subject, start_at, end_at, start_bound, end_bound, detail``: the
        columns of an interval after its id."""
        return (
            interval_kind(record.kind).value,
            record.vantage,
            record.subject,
            self.instant(record.start),
            self.optional_instant(record.end),
            self.optional_instant(record.start_bound),
            self.optional_instant(record.end_bound),
            detail_json(record.detail),
        )

    def interval(self, row: Iterable[Any]) -> IntervalRecord:
        """An interval from its ``id`` and the columns of :meth:`interval_row`."""
        ident, kind, vantage, subject, start, end, start_bound, end_bound, detail = row
        return IntervalRecord(
            kind=interval_kind(kind),
            vantage=vantage,
            subject=subject,
            start=self.read_instant(start),
            end=self.read_optional_instant(end),
            start_bound=self.read_optional_instant(start_bound),
            end_bound=self.read_optional_instant(end_bound),
            detail=json.loads(detail),
            id=ident,
        )

    def exclusion_row(self, record: ExclusionRecord) -> tuple[Any, ...]:
        """The columns a new exclusion is stored with: its :data:`EXCLUSION_FIELDS`."""
        return self._annotation_row(record, EXCLUSION_FIELDS)

    def exclusion(self, row: Iterable[Any]) -> ExclusionRecord:
        """An exclusion from its ``id``, :data:`EXCLUSION_FIELDS`, then
        :data:`REVOCATION_FIELDS`."""
        return ExclusionRecord(**self._annotation(row, EXCLUSION_FIELDS))

    def notice_row(self, record: NoticeRecord) -> tuple[Any, ...]:
        """The columns a new notice is stored with: its :data:`NOTICE_FIELDS`."""
        return self._annotation_row(record, NOTICE_FIELDS)

    def notice(self, row: Iterable[Any]) -> NoticeRecord:
        """A notice from its ``id``, :data:`NOTICE_FIELDS`, then :data:`REVOCATION_FIELDS`."""
        return NoticeRecord(**self._annotation(row, NOTICE_FIELDS))

    def _annotation_row(
        self, record: ExclusionRecord | NoticeRecord, fields: Sequence[str]
    ) -> tuple[Any, ...]:
        values = (getattr(record, field) for field in fields)
        return tuple(self.instant(v) if isinstance(v, datetime) else v for v in values)

    def _annotation(self, row: Iterable[Any], fields: Sequence[str]) -> dict[str, Any]:
        """The fields of an annotation record, by name, from its stored row."""
        ident, *values = row
        named = dict(zip((*fields, *REVOCATION_FIELDS), values, strict=True))
        for field in named.keys() & _INSTANT_FIELDS:
            named[field] = self.read_optional_instant(named[field])
        return {**named, "id": ident}

    def day(self, value: date) -> Any:
        """A local date as a column."""
        return self._day(value)

    def day_claim_row(self, claim: DayClaim) -> tuple[Any, ...]:
        """``service, day, start_at, end_at, claim``: the columns of a claimed day."""
        if claim.end <= claim.start:
            raise InvalidValueError(f"day {claim.day.isoformat()}: its span ends before it starts")
        return (
            claim.service,
            self._day(claim.day),
            self.instant(claim.start),
            self.instant(claim.end),
            claim.token,
        )

    def day_figures_row(self, aggregate: DayAggregate) -> tuple[Any, ...]:
        """``measured_us, outage_us, degraded_us, maintenance_us, gap_us, spans, basis,
        computed_at``, then the key ``service, day, claim``: what stores a claimed day's
        figures."""
        figures = aggregate.figures
        durations = figures[2:7]
        if any(not isinstance(us, int) or us < 0 for us in durations):
            raise InvalidValueError(
                f"day {figures.day.isoformat()}: durations must be whole microseconds, not negative"
            )
        if figures.spans is not None:
            try:
                json.loads(figures.spans)
            except ValueError:
                raise InvalidValueError(
                    f"day {figures.day.isoformat()}: spans are not JSON"
                ) from None
        return (
            *durations,
            figures.spans,
            figures.basis,
            self.instant(aggregate.computed_at),
            figures.service,
            self._day(figures.day),
            aggregate.token,
        )

    def day_figures(self, row: Sequence[Any]) -> DayFigures:
        """A day's figures from ``service, day``, the five durations, ``spans`` and ``basis``."""
        service, day, measured, outage, degraded, maintenance, gap, spans, basis = row
        # The names repeat in every row: interned, each is held once however many rows there are.
        return DayFigures(
            sys.intern(service),
            self._read_day(day),
            measured,
            outage,
            degraded,
            maintenance,
            gap,
            spans,
            sys.intern(basis),
        )

    def day_key(self, row: Sequence[Any]) -> tuple[str, date, str]:
        """``service, day, basis`` from their columns."""
        service, day, basis = row
        return sys.intern(service), self._read_day(day), sys.intern(basis)

    def result_row(
        self, result: ProbeResult, vantage: int, check: int, outcome: int
    ) -> tuple[Any, ...]:
        """A result's :data:`RESULT_COLUMNS`, given the lookup ids of its vantage, check and
        outcome."""
        instant, cert = self._instant, result.cert_expires_at  # for every result: no detours
        return (
            vantage,
            check,
            instant(result.started_at),
            round(result.latency * 1_000_000),
            outcome,
            result.status,
            result.bytes_read,
            result.detail,
            None if cert is None else instant(cert),
            self._texts(result.answers) if result.answers else None,
        )

    def result(self, row: Iterable[Any], names: NameIds) -> ProbeResult:
        """A result from its :data:`RESULT_COLUMNS`, its ids named by ``names``."""
        vantage, check, started_at, latency_us, kept, status, size, detail, cert, answers = row
        read = self._read_instant  # called for every result read: no detours
        return ProbeResult(
            check=names.name("checks", check),
            vantage=names.name("vantages", vantage),
            started_at=read(started_at),
            latency=latency_us / 1_000_000,
            outcome=outcome(names.name("outcomes", kept)),
            detail=detail,
            status=status,
            bytes_read=size,
            cert_expires_at=None if cert is None else read(cert),
            answers=tuple(self._read_texts(answers)) if answers else (),
        )

    def newest(self, rows: Iterable[Sequence[Any]]) -> list[tuple[int, InstantT]]:
        """Each vantage's newest ``started_at`` among these result rows, by vantage id."""
        newest: dict[int, Any] = {}  # instants of one dialect: all int, or all datetime
        for row in rows:
            vantage, started_at = row[0], row[2]
            newest[vantage] = max(newest.get(vantage, started_at), started_at)
        return sorted(newest.items())


def _texts_json(texts: Sequence[str]) -> str:
    return json.dumps(list(texts), separators=(",", ":"), ensure_ascii=False)


def _as_read(instant: datetime) -> datetime:
    """asyncpg reads ``timestamptz`` as a UTC-aware datetime already."""
    return instant


def _same_day(day: date) -> date:
    """asyncpg reads and writes ``date`` as a date already."""
    return day


#: SQLite: instants as INTEGER microseconds since the Unix epoch, lists of text as a JSON array,
#: local dates as ISO text (``2026-10-05``, ordered like the dates).
SQLITE_ROWS: Final[RowCodec[int, str]] = RowCodec(
    instant=microseconds,
    read_instant=from_microseconds,
    texts=_texts_json,
    read_texts=json.loads,
    day=date.isoformat,
    read_day=date.fromisoformat,
)

#: PostgreSQL: instants as ``timestamptz`` (aware datetimes both ways), lists of text as
#: ``text[]``, local dates as ``date``.
POSTGRES_ROWS: Final[RowCodec[datetime, list[str]]] = RowCodec(
    instant=aware,
    read_instant=_as_read,
    texts=list,
    read_texts=tuple,
    day=_same_day,
    read_day=_same_day,
)

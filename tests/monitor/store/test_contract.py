"""The Store contract of monitor/store/base.py, run against every implementation in BACKENDS."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from monitor.errors import StorageError
from monitor.evidence import ExclusionRecord, NoticeRecord
from monitor.results import Outcome, ProbeResult
from monitor.store import IntervalKind, IntervalRecord, Store
from monitor.store import postgres as postgres_store
from monitor.store import sqlite as sqlite_store
from monitor.store.base import DayAggregate, DayClaim, DayFigures
from monitor.store.migrations import POSTGRES, SQLITE

from .samples import API, EU, MICRO, T0, US_EAST, WEB, at, interval, probe


async def everything(store: Store) -> list[ProbeResult]:
    """Every result of the test day."""
    return await store.results(start=T0 - timedelta(days=1), end=T0 + timedelta(days=1))


async def all_intervals(store: Store) -> list[IntervalRecord]:
    """Every interval of the test day."""
    return await store.intervals(start=T0 - timedelta(days=1), end=T0 + timedelta(days=1))


# Results


async def test_result_round_trips_every_field(store: Store) -> None:
    """Every field comes back equal, instants to the microsecond and in UTC."""
    full = ProbeResult(
        check=API,
        vantage=EU,
        started_at=datetime(2026, 10, 5, 18, 0, 0, 123456, tzinfo=timezone(timedelta(hours=8))),
        latency=0.123456,
        outcome=Outcome.HTTP_STATUS,
        detail="HTTP 503 Service Unavailable — retry later",
        status=503,
        bytes_read=1_234_567,
        cert_expires_at=datetime(2027, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
        answers=("192.0.2.1", "2001:db8::1"),
    )
    bare = ProbeResult("shop/dns", US_EAST, at(1) - MICRO, 0.0, Outcome.TIMEOUT)
    await store.write_results([full, bare])

    got = await everything(store)

    assert got == [full, bare]
    assert [r.started_at.isoformat() for r in got] == [
        "2026-10-05T10:00:00.123456+00:00",
        "2026-10-05T10:00:00.999999+00:00",
    ]
    assert got[0].cert_expires_at is not None
    assert got[0].cert_expires_at.isoformat() == "2027-01-01T00:00:00.000001+00:00"


@pytest.mark.parametrize("outcome", list(Outcome), ids=str)
async def test_every_outcome_round_trips(store: Store, outcome: Outcome) -> None:
    """Each outcome is stored and read back as itself."""
    await store.write_results([probe(0, outcome=outcome)])

    assert [r.outcome for r in await everything(store)] == [outcome]


async def test_results_come_back_in_time_order(store: Store) -> None:
    """Results are read in ``started_at`` order, whatever order they were written in."""
    await store.write_results([probe(3), probe(1, check=WEB)])
    await store.write_results([probe(2, vantage=US_EAST), probe(0)])

    assert [r.started_at for r in await everything(store)] == [at(0), at(1), at(2), at(3)]


async def test_empty_batch_is_accepted(store: Store) -> None:
    """Writing no results is a no-op, not an error."""
    await store.write_results([])

    assert await everything(store) == []


# Twelve results one second apart: checks alternate, vantages alternate every two.
SAMPLE = [probe(i, check=(API, WEB)[i % 2], vantage=(EU, US_EAST)[i // 2 % 2]) for i in range(12)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param({}, lambda r: True, id="whole-window"),
        pytest.param({"start": at(4)}, lambda r: r.started_at >= at(4), id="start-inclusive"),
        pytest.param({"end": at(8)}, lambda r: r.started_at < at(8), id="end-exclusive"),
        pytest.param({"start": at(5), "end": at(5)}, lambda r: False, id="empty-window"),
        pytest.param({"check": API}, lambda r: r.check == API, id="check"),
        pytest.param({"vantage": US_EAST}, lambda r: r.vantage == US_EAST, id="vantage"),
        pytest.param(
            {"check": WEB, "vantage": EU, "start": at(2)},
            lambda r: r.check == WEB and r.vantage == EU and r.started_at >= at(2),
            id="check-vantage-time",
        ),
        pytest.param({"check": "shop/none"}, lambda r: False, id="unknown-check"),
        pytest.param({"vantage": "ap-south"}, lambda r: False, id="unknown-vantage"),
    ],
)
async def test_results_filters(
    store: Store, query: dict[str, Any], expected: Callable[[ProbeResult], bool]
) -> None:
    """Results are filtered by check, vantage and the half-open window ``[start, end)``."""
    await store.write_results(SAMPLE)

    got = await store.results(**{"start": at(0), "end": at(12), **query})

    assert got == [r for r in SAMPLE if expected(r)]


async def test_last_result_at_is_the_newest_of_the_vantage(store: Store) -> None:
    """The newest ``started_at`` of the vantage counts, not the last one written."""
    assert await store.last_result_at(EU) is None
    await store.write_results([probe(5), probe(9, check=WEB), probe(7), probe(20, vantage=US_EAST)])

    assert await store.last_result_at(EU) == at(9)
    assert await store.last_result_at(US_EAST) == at(20)
    assert await store.last_result_at("ap-south") is None


async def test_concurrent_writes_from_many_tasks(store: Store) -> None:
    """Batches written at once from many tasks are all kept, none mixed up."""
    batches = [
        [probe(task + 50 * i, check=f"svc/c{task}") for i in range(20)] for task in range(50)
    ]

    await asyncio.gather(*(store.write_results(batch) for batch in batches))

    got = await store.results(start=at(0), end=at(1000))
    assert len(got) == 1000
    assert got == sorted((r for batch in batches for r in batch), key=lambda r: r.started_at)
    assert await store.results(start=at(0), end=at(1000), check="svc/c7") == batches[7]


async def test_a_failed_batch_writes_nothing(store: Store) -> None:
    """A batch is atomic: one bad result (a naive instant) and none of it is written."""
    naive = dataclasses.replace(probe(1), started_at=datetime(2026, 10, 5, 10))  # noqa: DTZ001 -- the refused value

    with pytest.raises(StorageError, match="writing results") as caught:
        await store.write_results([probe(0), naive, probe(2)])

    assert "\n" not in str(caught.value)
    assert await everything(store) == []


# Intervals


async def test_interval_round_trips_every_field(store: Store) -> None:
    """An interval comes back as written, with its new id."""
    record = IntervalRecord(
        kind=IntervalKind.OUTAGE,
        vantage=EU,
        subject="shop",
        start=at(60),
        end=at(360) + 5 * MICRO,
        start_bound=at(50),
        end_bound=at(350),
        detail={"checks": [API, WEB], "confirmed_after": 3, "note": "détail"},
    )

    ident = await store.open_interval(record)

    assert await all_intervals(store) == [dataclasses.replace(record, id=ident)]


async def test_open_then_close_an_interval(store: Store) -> None:
    """Closing sets the end, the end bound and the detail; the interval is no longer open."""
    ident = await store.open_interval(interval(at(60), detail={"failures": 3}))
    assert [i.id for i in await store.open_intervals(EU)] == [ident]

    await store.close_interval(ident, at(120), end_bound=at(110), detail={"failures": 9})

    (closed,) = await all_intervals(store)
    assert (closed.end, closed.end_bound, closed.detail) == (at(120), at(110), {"failures": 9})
    assert await store.open_intervals(EU) == []


async def test_closing_without_detail_keeps_it(store: Store) -> None:
    """Detail and end bound not given on close stay as they were."""
    record = dataclasses.replace(interval(at(60), detail={"failures": 3}), end_bound=at(70))
    ident = await store.open_interval(record)

    await store.close_interval(ident, at(120))

    (closed,) = await all_intervals(store)
    assert (closed.end, closed.end_bound, closed.detail) == (at(120), at(70), {"failures": 3})


async def test_closing_an_unknown_or_closed_interval_fails(store: Store) -> None:
    """Evidence is not rewritten: a closed interval keeps its end, an unknown one stays unknown."""
    ident = await store.open_interval(interval(at(60)))
    await store.close_interval(ident, at(120))

    with pytest.raises(StorageError, match="closing an interval"):
        await store.close_interval(ident, at(180))
    with pytest.raises(StorageError, match="closing an interval"):
        await store.close_interval(ident + 1000, at(180))
    (kept,) = await all_intervals(store)
    assert kept.end == at(120)


async def test_an_interval_with_its_own_id_can_be_written_again(store: Store) -> None:
    """A record carrying its id is stored under it, and writing it again changes nothing
    (a retried write is safe)."""
    record = dataclasses.replace(interval(at(60)), id=7_000_000_001)
    assert await store.open_interval(record) == 7_000_000_001
    assert await store.open_interval(dataclasses.replace(record, subject="other")) == 7_000_000_001
    assert await all_intervals(store) == [record]


async def test_repeating_a_close_at_the_same_end_is_harmless(store: Store) -> None:
    """A close repeated at the same instant succeeds; at another instant it is refused."""
    ident = await store.open_interval(interval(at(60)))
    await store.close_interval(ident, at(120), end_bound=at(110))
    await store.close_interval(ident, at(120), end_bound=at(110))
    with pytest.raises(StorageError, match="closing an interval"):
        await store.close_interval(ident, at(121))
    (closed,) = await all_intervals(store)
    assert (closed.end, closed.end_bound) == (at(120), at(110))


@pytest.mark.parametrize(
    ("start", "end", "included"),
    [
        pytest.param(at(200), at(300), False, id="query-starts-at-its-end"),
        pytest.param(at(0), at(100), False, id="query-ends-at-its-start"),
        pytest.param(at(200) - MICRO, at(300), True, id="last-microsecond"),
        pytest.param(at(0), at(100) + MICRO, True, id="first-microsecond"),
        pytest.param(at(50), at(150), True, id="overlaps-its-start"),
        pytest.param(at(150), at(250), True, id="overlaps-its-end"),
        pytest.param(at(120), at(130), True, id="inside"),
        pytest.param(at(0), at(300), True, id="covers"),
        pytest.param(at(100), at(200), True, id="same"),
        pytest.param(at(300), at(400), False, id="after"),
    ],
)
async def test_overlap_is_half_open(
    store: Store, start: datetime, end: datetime, included: bool
) -> None:
    """``[100 s, 200 s)`` overlaps a query window exactly when they share an instant."""
    ident = await store.open_interval(interval(at(100), at(200)))

    got = await store.intervals(start=start, end=end)

    assert [i.id for i in got] == ([ident] if included else [])


@pytest.mark.parametrize(
    ("start", "end", "included"),
    [
        pytest.param(at(0), at(100), False, id="before-it-opened"),
        pytest.param(at(0), at(100) + MICRO, True, id="its-first-microsecond"),
        pytest.param(at(150), at(160), True, id="while-open"),
        pytest.param(at(86_400 * 30), at(86_400 * 31), True, id="a-month-later"),
    ],
)
async def test_open_intervals_overlap_everything_after_their_start(
    store: Store, start: datetime, end: datetime, included: bool
) -> None:
    """An interval that is still open reaches every window after its start."""
    ident = await store.open_interval(interval(at(100)))

    got = await store.intervals(start=start, end=end)

    assert [i.id for i in got] == ([ident] if included else [])


async def test_intervals_filters(store: Store) -> None:
    """Intervals are filtered by kinds, vantage and subject; no kinds selects nothing."""
    down = await store.open_interval(interval(at(10), at(20)))
    gap = await store.open_interval(interval(at(30), at(40), kind=IntervalKind.GAP, subject="*"))
    outage = await store.open_interval(
        interval(at(50), kind=IntervalKind.OUTAGE, vantage=US_EAST, subject="shop")
    )

    async def ids(**query: Any) -> list[int | None]:
        found = await store.intervals(start=at(0), end=at(100), **query)
        return [i.id for i in found]

    assert await ids() == [down, gap, outage]
    assert await ids(kinds=[IntervalKind.GAP, IntervalKind.OUTAGE]) == [gap, outage]
    assert await ids(kinds={IntervalKind.BLIP}) == []
    assert await ids(kinds=[]) == []
    assert await ids(vantage=EU) == [down, gap]
    assert await ids(subject="*") == [gap]
    assert await ids(kinds=[IntervalKind.CHECK_DOWN], vantage=US_EAST) == []


async def test_intervals_are_ordered_by_start_then_id(store: Store) -> None:
    """Intervals come by start; those starting together, in the order they were stored."""
    third = await store.open_interval(interval(at(30), at(90)))
    first = await store.open_interval(interval(at(10), subject=WEB))
    second = await store.open_interval(interval(at(10), at(11)))
    fourth = await store.open_interval(interval(at(40), kind=IntervalKind.GAP, subject="*"))

    assert [i.id for i in await all_intervals(store)] == [first, second, third, fourth]


async def test_open_intervals_are_per_vantage(store: Store) -> None:
    """``open_intervals`` returns the vantage's open intervals only, by start."""
    late = await store.open_interval(interval(at(50)))
    early = await store.open_interval(interval(at(10), kind=IntervalKind.GAP, subject="*"))
    await store.open_interval(interval(at(20), at(30)))
    elsewhere = await store.open_interval(interval(at(5), vantage=US_EAST))

    assert [i.id for i in await store.open_intervals(EU)] == [early, late]
    assert [i.id for i in await store.open_intervals(US_EAST)] == [elsewhere]
    assert await store.open_intervals("ap-south") == []


# Retention


DAY = timedelta(days=1)


async def test_prune_on_day_boundaries_is_exact(store: Store) -> None:
    """A cutoff at midnight UTC removes exactly the earlier days' results; intervals stay."""
    midnight = T0.replace(hour=0)
    days = [probe(-86_400 * d + 60 * i) for d in range(1, 4) for i in range(3)]
    today = [probe(60 * i) for i in range(3)]
    await store.write_results(days + today)
    kept = [
        await store.open_interval(interval(midnight - 3 * DAY, midnight - 2 * DAY)),
        await store.open_interval(interval(midnight - DAY)),
    ]

    assert await store.prune(midnight - DAY) == 6

    remaining = await store.results(start=midnight - 5 * DAY, end=midnight + DAY)
    assert remaining == sorted(
        (r for r in days + today if r.started_at >= midnight - DAY), key=lambda r: r.started_at
    )
    ids = [i.id for i in await store.intervals(start=midnight - 5 * DAY, end=midnight + DAY)]
    assert ids == kept
    assert await store.prune(midnight - DAY) == 0


async def test_prune_never_removes_results_at_or_after_the_cutoff(store: Store) -> None:
    """Mid-day, a store may keep earlier results of the day, but never loses later ones."""
    await store.write_results([probe(i) for i in range(10)])

    removed = await store.prune(at(5))

    left = [r.started_at for r in await everything(store)]
    assert left[-5:] == [at(i) for i in range(5, 10)]
    assert len(left) == 10 - removed


# Identity, vantages, rebuild


async def test_a_result_written_twice_is_stored_once(store: Store) -> None:
    """(vantage, check, started_at) identifies a result: a repeated batch adds only the new."""
    await store.write_results([probe(0), probe(1)])
    await store.write_results([probe(1), probe(1, vantage=US_EAST), probe(2), probe(2)])

    got = await everything(store)
    assert sorted((r.started_at, r.vantage) for r in got) == [
        (at(0), EU),
        (at(1), EU),
        (at(1), US_EAST),
        (at(2), EU),
    ]


async def test_vantages_seen_lists_each_vantage_with_its_newest_result(store: Store) -> None:
    """Every vantage that wrote a result, with its newest ``started_at`` (not its last write)."""
    assert await store.vantages_seen() == {}
    await store.write_results([probe(9), probe(3, vantage=US_EAST)])
    await store.write_results([probe(4), probe(2, vantage=US_EAST, check=WEB)])

    assert await store.vantages_seen() == {EU: at(9), US_EAST: at(3)}


def rebuilt(start: datetime, end: datetime | None, **fields: Any) -> IntervalRecord:
    """A replacement interval, with the id a rebuild gives it."""
    return dataclasses.replace(interval(start, end, **fields), id=int(start.timestamp()) % 10**9)


async def test_replace_intervals_swaps_derived_intervals_of_one_vantage(store: Store) -> None:
    """From the start on, this vantage's derived intervals are replaced; the rest is untouched."""
    before = await store.open_interval(interval(at(0), at(50)))
    running_over = await store.open_interval(interval(at(60)))
    after = await store.open_interval(interval(at(150), at(160), kind=IntervalKind.OUTAGE))
    lifecycle = await store.open_interval(interval(at(120), kind=IntervalKind.RUNNING, subject="*"))
    restart_gap = await store.open_interval(
        interval(at(130), at(140), kind=IntervalKind.GAP, subject="*")
    )
    other_vantage = await store.open_interval(interval(at(150), vantage=US_EAST))
    new = [rebuilt(at(110), at(170)), rebuilt(at(200), None, kind=IntervalKind.ISOLATED)]

    await store.replace_intervals(EU, at(100), new)

    got = {i.id: i for i in await all_intervals(store)}
    assert after not in got
    assert got[before].end == at(50)
    assert got[running_over].end == at(100)
    assert got[lifecycle].end is None
    assert got[restart_gap].end == at(140)
    assert got[other_vantage].end is None
    for record in new:
        assert got[record.id] == record
    assert len(got) == 7


async def test_replace_intervals_is_atomic(store: Store) -> None:
    """A replacement that fails (an interval without an id) leaves everything as it was."""
    kept = await store.open_interval(interval(at(150), at(160)))

    with pytest.raises(StorageError, match="replacing intervals"):
        await store.replace_intervals(EU, at(100), [rebuilt(at(110), None), interval(at(120))])

    assert [i.id for i in await all_intervals(store)] == [kept]


# Exclusions


def exclusion(start: float, end: float, **fields: Any) -> ExclusionRecord:
    """An exclusion of the shop from ``start`` to ``end`` seconds after T0."""
    values: dict[str, Any] = {
        "service": "shop",
        "start": at(start),
        "end": at(end),
        "reason": "maintenance",
        "note": "kernel upgrade",
        "added_by": "alice",
        "added_at": at(-3600),
        "announced_at": at(-86_400 * 2),
    }
    values.update(fields)
    return ExclusionRecord(**values)


async def test_exclusion_round_trips_every_field(store: Store) -> None:
    """An added exclusion comes back whole, with the id the store gave it and not revoked."""
    record = exclusion(10, 70, note="Wartung — 内核升级")

    ident = await store.add_exclusion(record)

    assert await store.exclusions() == [dataclasses.replace(record, id=ident)]


async def test_exclusions_filter_by_service_and_overlap(store: Store) -> None:
    """Filtered by service and by half-open overlap with the window."""
    first = await store.add_exclusion(exclusion(0, 10))
    second = await store.add_exclusion(exclusion(20, 30, reason="force_majeure"))
    await store.add_exclusion(exclusion(0, 100, service="other"))

    async def ids(**query: Any) -> list[int | None]:
        return [e.id for e in await store.exclusions(**query)]

    assert await ids(service="shop") == [first, second]
    assert await ids(service="shop", start=at(10)) == [second]
    assert await ids(service="shop", end=at(20)) == [first]
    assert await ids(service="shop", start=at(5), end=at(25)) == [first, second]
    assert len(await ids()) == 3


async def test_revoking_marks_and_never_deletes(store: Store) -> None:
    """A revoked exclusion stays, with who revoked it, when and why; revoking twice, or an
    unknown id, is an error that changes nothing."""
    ident = await store.add_exclusion(exclusion(0, 10))

    revoked = await store.revoke_exclusion(ident, by="bob", at=at(50), note="entered by mistake")

    assert (revoked.revoked_by, revoked.revoked_at, revoked.revoke_note) == (
        "bob",
        at(50),
        "entered by mistake",
    )
    assert await store.exclusions() == [revoked]
    with pytest.raises(StorageError, match="revoking an exclusion"):
        await store.revoke_exclusion(ident, by="carol", at=at(60), note="again")
    with pytest.raises(StorageError, match="revoking an exclusion"):
        await store.revoke_exclusion(ident + 1000, by="carol", at=at(60), note="unknown")
    assert await store.exclusions() == [revoked]


# Provider notices


def notice(seconds: float, **fields: Any) -> NoticeRecord:
    """A notice to the shop given ``seconds`` after T0."""
    values: dict[str, Any] = {
        "service": "shop",
        "at": at(seconds),
        "ref": "mail from support, ticket 4411",
        "added_by": "alice",
        "added_at": at(seconds + 600),
    }
    values.update(fields)
    return NoticeRecord(**values)


async def test_notice_round_trips_every_field(store: Store) -> None:
    """An added notice comes back whole, to the microsecond and in UTC, with its new id."""
    record = notice(
        0,
        at=datetime(2026, 10, 5, 18, 12, 0, 654321, tzinfo=timezone(timedelta(hours=8))),
        ref="Störungsmeldung — 故障通知 https://status.example.com/i/77",
        added_at=datetime(2026, 10, 5, 11, 0, 0, 1, tzinfo=UTC),
    )

    ident = await store.add_notice(record)

    (got,) = await store.notices()
    assert got == dataclasses.replace(record, id=ident)
    assert got.at.isoformat() == "2026-10-05T10:12:00.654321+00:00"
    assert (got.revoked_at, got.revoked_by, got.revoke_note) == (None, None, None)


async def test_notices_filter_by_service_and_half_open_window(store: Store) -> None:
    """Filtered by service and by ``start <= at < end``."""
    first = await store.add_notice(notice(10))
    second = await store.add_notice(notice(20))
    await store.add_notice(notice(15, service="other"))

    async def ids(**query: Any) -> list[int | None]:
        return [n.id for n in await store.notices(**query)]

    assert await ids(service="shop") == [first, second]
    assert await ids(service="shop", start=at(10)) == [first, second]
    assert await ids(service="shop", start=at(10) + MICRO) == [second]
    assert await ids(service="shop", end=at(20)) == [first]
    assert await ids(service="shop", start=at(20), end=at(20)) == []
    assert await ids(service="nope") == []
    assert len(await ids()) == 3


async def test_notices_are_ordered_by_time_then_id(store: Store) -> None:
    """Whatever order they were added in, notices come by ``at``; equal instants by id."""
    late = await store.add_notice(notice(30))
    tie_a = await store.add_notice(notice(5))
    tie_b = await store.add_notice(notice(5, ref="the same minute, by phone"))
    early = await store.add_notice(notice(-60))

    assert [n.id for n in await store.notices()] == [early, tie_a, tie_b, late]


async def test_revoking_a_notice_marks_and_never_deletes(store: Store) -> None:
    """A revoked notice stays, with who revoked it, when and why; revoking twice, or an unknown
    id, is an error that changes nothing."""
    ident = await store.add_notice(notice(0))

    revoked = await store.revoke_notice(ident, by="bob", at=at(50), note="wrong service")

    assert (revoked.id, revoked.revoked_by, revoked.revoked_at, revoked.revoke_note) == (
        ident,
        "bob",
        at(50),
        "wrong service",
    )
    assert await store.notices() == [revoked]
    with pytest.raises(StorageError, match="revoking a notice"):
        await store.revoke_notice(ident, by="carol", at=at(60), note="again")
    with pytest.raises(StorageError, match="revoking a notice"):
        await store.revoke_notice(ident + 1000, by="carol", at=at(60), note="unknown")
    assert await store.notices() == [revoked]


async def test_a_notice_without_a_time_zone_is_refused(store: Store) -> None:
    """A naive ``at`` names no instant: a StorageError, and nothing is stored."""
    naive = notice(0, at=datetime(2026, 10, 5, 10))  # noqa: DTZ001 -- the refused value

    with pytest.raises(StorageError, match="adding a notice"):
        await store.add_notice(naive)

    assert await store.notices() == []


# Lifecycle


async def test_migrations_are_idempotent(store: Store, make_store: Callable[[], Store]) -> None:
    """Opening a migrated database again applies nothing and reports the same version."""
    version = await store.schema_version()
    assert version >= 1

    again = make_store()
    await again.open()

    assert await again.schema_version() == version
    assert await store.schema_version() == version


async def test_data_survives_close_and_reopen(
    store: Store, make_store: Callable[[], Store]
) -> None:
    """Results and intervals written before closing are there after opening again."""
    await store.write_results(SAMPLE)
    ident = await store.open_interval(interval(at(3)))
    await store.close()

    reopened = make_store()
    await reopened.open()

    assert await everything(reopened) == SAMPLE
    assert [i.id for i in await reopened.open_intervals(EU)] == [ident]
    assert await reopened.last_result_at(US_EAST) == at(11)


async def test_a_closed_store_refuses_work(store: Store) -> None:
    """After ``close`` (idempotent) every operation is a StorageError, until opened again."""
    await store.close()
    await store.close()

    with pytest.raises(StorageError):
        await store.write_results([probe(0)])

    await store.open()
    await store.write_results([probe(0)])
    assert len(await everything(store)) == 1


# Day figures: the status page's per-day aggregates, and what keeps them true


DAY = timedelta(days=1)
FIRST = T0.date()


def claim(service: str, day: int, token: int = 7) -> DayClaim:
    """A claim of the UTC day ``day`` days after T0's."""
    start = datetime.combine(FIRST + timedelta(days=day), datetime.min.time(), tzinfo=UTC)
    return DayClaim(service, FIRST + timedelta(days=day), start, start + DAY, token)


def figures(service: str, day: int, outage_us: int = 0, spans: str | None = None) -> DayFigures:
    return DayFigures(
        service, FIRST + timedelta(days=day), 86_400_000_000, outage_us, 0, 0, 0, spans, "b"
    )


async def stored_days(store: Store) -> list[tuple[str, int]]:
    """(service, day after T0's) of every computed day of the test month, by service; the
    figures read and the keys read (``days_stored``) agree on them, basis included."""
    first, last = FIRST - 40 * DAY, FIRST + 40 * DAY
    found = await store.day_figures(first=first, last=last)
    keys = await store.days_stored(first=first, last=last)
    assert sorted(keys) == sorted((f.service, f.day, f.basis) for f in found)
    return sorted((f.service, (f.day - FIRST).days) for f in found)


async def put_days(store: Store, days: list[tuple[str, int]]) -> None:
    """Claim and store these days with plain figures."""
    await store.claim_days([claim(service, day) for service, day in days])
    await store.put_day_figures(
        [DayAggregate(figures(service, day), 7, T0) for service, day in days]
    )


async def test_day_figures_round_trip_once_claimed(store: Store) -> None:
    """A claimed day is not read until its figures are stored; then they read back as given, by
    day then service."""
    spans = '{"outage":[[1,2]]}'
    await store.claim_days([claim("web", 0), claim("api", 1), claim("api", 0)])

    assert await stored_days(store) == []

    await store.put_day_figures(
        [
            DayAggregate(figures("api", 0, 5, spans), 7, T0),
            DayAggregate(figures("api", 1), 7, T0),
            DayAggregate(figures("web", 0), 7, T0),
        ]
    )

    got = await store.day_figures(first=FIRST, last=FIRST + DAY)
    assert got == (figures("api", 0, 5, spans), figures("web", 0), figures("api", 1))
    assert await store.day_figures(first=FIRST + DAY, last=FIRST + DAY) == (figures("api", 1),)


async def test_figures_without_their_claim_are_dropped(store: Store) -> None:
    """Another token, a day never claimed, a day already computed: nothing changes."""
    await store.claim_days([claim("api", 0, token=1)])
    await store.put_day_figures(
        [DayAggregate(figures("api", 0), 2, T0), DayAggregate(figures("api", 3), 1, T0)]
    )
    assert await stored_days(store) == []

    await store.put_day_figures([DayAggregate(figures("api", 0), 1, T0)])
    await store.put_day_figures([DayAggregate(figures("api", 0, 99), 1, T0)])

    assert [f.outage_us for f in await store.day_figures(first=FIRST, last=FIRST)] == [0]


async def test_a_new_claim_replaces_stored_figures(store: Store) -> None:
    """Claiming a computed day again (another configuration) hides it until stored anew."""
    await put_days(store, [("api", 0)])
    await store.claim_days([claim("api", 0, token=8)])

    assert await stored_days(store) == []


async def test_an_interval_change_deletes_the_days_it_covers(store: Store) -> None:
    """Written, closed or deleted, an interval takes the stored days it covers with it, every
    service's (the vantage-wide ones count for all); other days stay."""
    await put_days(store, [("api", d) for d in range(5)] + [("web", 1)])
    start = datetime.combine(FIRST, datetime.min.time(), tzinfo=UTC)

    await store.open_interval(interval(start + DAY + timedelta(seconds=2), start + 2 * DAY))
    assert await stored_days(store) == [("api", 0), ("api", 2), ("api", 3), ("api", 4)]

    ident = await store.open_interval(interval(start + 3 * DAY + DAY / 2))  # open: to the end
    assert await stored_days(store) == [("api", 0), ("api", 2)]

    await put_days(store, [("api", 3), ("api", 4)])
    await store.close_interval(ident, start + 4 * DAY + DAY / 2)
    # Closed within day 4: day 3 is as it was computed (the interval ran through it then).
    assert await stored_days(store) == [("api", 0), ("api", 2), ("api", 3)]

    # A rebuild from day 2 on: what it deletes (day 3's interval) and what it writes (in day 2).
    rebuilt = dataclasses.replace(interval(start + 2 * DAY + DAY / 2, start + 3 * DAY), id=41)
    await store.replace_intervals(EU, start + 2 * DAY, [rebuilt])
    assert await stored_days(store) == [("api", 0)]


async def test_an_exclusion_deletes_its_service_days(store: Store) -> None:
    """Added or revoked, an exclusion takes the stored days of its service it covers."""
    await put_days(store, [("shop", d) for d in range(4)] + [("web", 1)])
    ident = await store.add_exclusion(
        exclusion(20 * 3600, 44 * 3600)  # T0 is 10:00: from day 1 06:00 to day 2 06:00
    )

    assert await stored_days(store) == [("shop", 0), ("shop", 3), ("web", 1)]

    await put_days(store, [("shop", 1), ("shop", 2)])
    await store.revoke_exclusion(ident, by="ops", at=T0, note="wrong")

    assert await stored_days(store) == [("shop", 0), ("shop", 3), ("web", 1)]


async def test_a_change_while_computing_drops_the_figures(store: Store) -> None:
    """Evidence written between the claim and the figures: the figures are not stored."""
    await store.claim_days([claim("api", 0)])
    start = datetime.combine(FIRST, datetime.min.time(), tzinfo=UTC)
    await store.open_interval(interval(start + DAY / 2, start + DAY / 2 + 10 * MICRO))
    await store.put_day_figures([DayAggregate(figures("api", 0), 7, T0)])

    assert await stored_days(store) == []


async def test_day_figures_read_again_follow_another_process(
    store: Store, make_store: Callable[[], Store]
) -> None:
    """What one store read is kept only while nothing changed: a change through another store
    on the same database (another process) shows at the next read."""
    other = make_store()
    await other.open()
    await put_days(store, [("shop", 0), ("shop", 1)])
    assert await stored_days(store) == [("shop", 0), ("shop", 1)]

    await other.add_exclusion(exclusion(20 * 3600, 21 * 3600))  # day 1
    assert await stored_days(store) == [("shop", 0)]

    await put_days(other, [("web", 2)])
    assert await stored_days(store) == [("shop", 0), ("web", 2)]
    await other.claim_days([claim("web", 2, token=9)])
    assert await stored_days(store) == [("shop", 0)]


@pytest.mark.parametrize(
    ("bad", "match"),
    [
        pytest.param(figures("api", 0)._replace(gap_us=-1), "not negative", id="negative"),
        pytest.param(figures("api", 0)._replace(spans="{oops"), "not JSON", id="spans"),
    ],
)
async def test_figures_that_cannot_be_true_are_refused(
    store: Store, bad: DayFigures, match: str
) -> None:
    await store.claim_days([claim("api", 0)])

    with pytest.raises(StorageError, match=match) as caught:
        await store.put_day_figures([DayAggregate(bad, 7, T0)])

    assert caught.value.refused
    assert await stored_days(store) == []


async def test_a_later_migration_empties_the_day_figures(
    store: Store, make_store: Callable[[], Store], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A program whose schema changed may derive the figures differently: every stored day
    goes when a newer migration is applied."""
    await put_days(store, [("api", 0), ("web", 1)])
    await store.close()
    monkeypatch.setattr(sqlite_store, "SQLITE", (*SQLITE, "CREATE TABLE later (x INTEGER);"))
    monkeypatch.setattr(postgres_store, "POSTGRES", (*POSTGRES, "CREATE TABLE later (x int);"))

    newer = make_store()
    await newer.open()

    assert await stored_days(newer) == []
    await put_days(newer, [("api", 0)])
    assert await stored_days(newer) == [("api", 0)]

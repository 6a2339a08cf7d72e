"""The stored day figures: computed once per closed day, never disagreeing with the intervals."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from monitor.config.settings import Settings
from monitor.evidence import ExclusionRecord
from monitor.rebuild import rebuild
from monitor.results import Outcome, ProbeResult
from monitor.status.aggregates import DAYS_PER_ROUND, basis, fill_days
from monitor.status.build import build_public
from monitor.status.model import DayKind, PublicStatus
from monitor.store import PostgresStore, SQLiteStore
from monitor.store.base import Store

from ...pg import scratch_database
from .conftest import fill_all
from .scenario import EAST, NOW, START, WEST, fill, local, settings

H = timedelta(hours=1)
S = timedelta(seconds=1)


def cell(status: PublicStatus, service: str, day: date) -> DayKind:
    found = next(s for s in status.services if s.name == service)
    return next(c.kind for c in found.days if c.date == day)


async def test_closed_days_are_computed_once_a_few_at_a_time(
    store: Store, config: Settings
) -> None:
    """The most recent first, DAYS_PER_ROUND days a round, every service's; then nothing left."""
    assert await fill_days(store, config, NOW) == DAYS_PER_ROUND
    first = await store.day_figures(first=date(2025, 12, 1), last=date(2026, 3, 31))
    assert {f.day for f in first} == {date(2026, 3, 9) - timedelta(days=n) for n in range(7)}
    assert {f.service for f in first} == {"api", "web", "shop", "docs", "internal"}

    await fill_all(store, config)
    every = await store.day_figures(first=date(2025, 12, 1), last=date(2026, 3, 31))
    assert len(every) == 89 * 5  # the closed days of 90, for 5 services; today is live
    assert await fill_days(store, config, NOW) == 0
    outage = next(f for f in every if f.service == "api" and f.day == date(2026, 3, 5))
    assert (outage.outage_us, outage.measured_us) == (1_800_000_000, 86_400_000_000)


async def test_an_exclusion_added_recomputes_the_days_it_covers(
    store: Store, config: Settings
) -> None:
    """A maintenance entered for the 3rd: that day of shop goes, the next round computes it
    again, and the page shows it; no other day or service is touched."""
    await fill_all(store, config)
    before = await store.day_figures(first=date(2026, 3, 1), last=date(2026, 3, 9))
    await store.add_exclusion(
        ExclusionRecord(
            service="shop",
            start=local(3, 4),
            end=local(3, 5),
            reason="maintenance",
            note="late entry",
            added_by="ops",
            added_at=NOW,
            announced_at=local(1, 0),
        )
    )

    after = await store.day_figures(first=date(2026, 3, 1), last=date(2026, 3, 9))
    assert set(before) - set(after) == {
        f for f in before if (f.service, f.day) == ("shop", date(2026, 3, 3))
    }
    assert await fill_days(store, config, NOW) == 1
    page = await build_public(store, config, NOW)
    assert cell(page, "shop", date(2026, 3, 3)) is DayKind.MAINTENANCE
    day = await store.day_figures(first=date(2026, 3, 3), last=date(2026, 3, 3))
    shop = next(f for f in day if f.service == "shop")
    assert shop.maintenance_us == 3_600_000_000


async def test_another_quorum_rule_is_another_basis(
    store: Store, config: Settings, tmp_path: Path
) -> None:
    """Figures computed under another rule are not read as this one's: the days are computed
    again, by the new rule."""
    await fill_all(store, config)
    anyone = config.model_copy(
        update={
            "services": [
                s.model_copy(update={"quorum": "any"}) if s.name == "api" else s
                for s in config.services
            ]
        }
    )
    assert basis(anyone.services[0], anyone.status_page.timezone) != basis(
        config.services[0], config.status_page.timezone
    )

    page = await build_public(store, anyone, NOW)
    assert cell(page, "api", date(2026, 3, 5)) is DayKind.NO_DATA  # not computed yet
    assert cell(page, "web", date(2026, 3, 5)) is DayKind.UP

    assert await fill_days(store, anyone, NOW) == DAYS_PER_ROUND
    await fill_all(store, anyone)
    page = await build_public(store, anyone, NOW)
    assert cell(page, "api", date(2026, 3, 5)) is DayKind.OUTAGE


async def test_a_rebuild_recomputes_the_days_it_changed(store: Store, config: Settings) -> None:
    """``slawatch db rebuild`` of one vantage from its (few) results: its outages go, the days
    they covered go with them, and the page then follows the rebuilt intervals: one vantage of
    two is no majority."""
    later = NOW + H  # the vantages' daemons have stopped
    await fill_all(store, config)
    assert cell(await build_public(store, config, later), "api", date(2026, 3, 5)) is (
        DayKind.OUTAGE
    )

    await rebuild(store, config, start=START, now=later, vantages=[EAST])
    stored = await store.day_figures(first=date(2026, 3, 5), last=date(2026, 3, 5))
    assert "api" not in {f.service for f in stored}

    while await fill_days(store, config, later):
        pass
    assert cell(await build_public(store, config, later), "api", date(2026, 3, 5)) is (DayKind.UP)


async def test_yesterday_not_stored_yet_is_computed_live(store: Store, config: Settings) -> None:
    """Just after midnight, before the daemon stored yesterday: the page computes it itself."""
    after_midnight = local(11, 0, 5)
    await fill_all(store, config)  # up to the 9th
    # The vantages still measure.
    await store.write_results(
        [
            ProbeResult("internal/home", vantage, after_midnight - S, 0.01, Outcome.UP)
            for vantage in (EAST, WEST)
        ]
    )
    page = await build_public(store, config, after_midnight)
    api = next(s for s in page.services if s.name == "api")
    yesterday = api.days[-2]
    assert yesterday.date == date(2026, 3, 10)
    assert (yesterday.kind, yesterday.measured, yesterday.outage) == (
        DayKind.OUTAGE,
        24 * H,
        # From 21:15 local to midnight, as of five minutes past.
        2 * H + 45 * timedelta(minutes=1),
    )


def test_history_of_one_day_has_nothing_to_store(tmp_path: Path) -> None:
    one = settings(tmp_path / "x.db", "  history_days: 1\n")
    assert one.status_page.history_days == 1


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def either(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """The scenario on a fresh SQLite file, or a fresh PostgreSQL database."""
    async with contextlib.AsyncExitStack() as stack:
        if request.param == "sqlite":
            opened: Store = SQLiteStore(tmp_path / "either.db")
        else:
            opened = PostgresStore(await stack.enter_async_context(scratch_database()))
        await opened.open()
        stack.push_async_callback(opened.close)
        await fill(opened)
        yield opened


async def test_days_follow_the_evidence_in_both_stores(either: Store, config: Settings) -> None:
    """Filled, built, an exclusion added, filled again, built again: the same page from SQLite
    and from PostgreSQL, and the page follows the change."""
    await fill_all(either, config)
    before = await build_public(either, config, NOW)
    assert cell(before, "api", date(2026, 3, 5)) is DayKind.OUTAGE
    assert cell(before, "shop", date(2026, 3, 4)) is DayKind.UP

    await either.add_exclusion(
        ExclusionRecord(
            service="shop",
            start=local(4, 1),
            end=local(4, 2),
            reason="maintenance",
            note="entered late",
            added_by="ops",
            added_at=NOW,
        )
    )
    assert await fill_days(either, config, NOW) == 1
    after = await build_public(either, config, NOW)
    assert cell(after, "shop", date(2026, 3, 4)) is DayKind.MAINTENANCE
    assert after.services[0] == before.services[0]

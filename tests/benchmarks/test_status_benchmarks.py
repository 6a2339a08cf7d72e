"""Benchmarks of the status page's values, run on demand with `./dev bench`: figures printed, not
asserted as times.

A thousand services watched from two vantages for 90 days: their closed days stored as the daemon
stores them, today's evidence (running intervals, some outages, degraded periods and gaps) in the
intervals. The build reads the stored days in one query and today's intervals in another.
PostgreSQL figures need the server of ``tests/pg.py`` (a scratch database is made and dropped).
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.config.settings import Settings, parse_settings
from monitor.evidence import IntervalKind, IntervalRecord
from monitor.results import Outcome, ProbeResult
from monitor.status.aggregates import basis, fill_days
from monitor.status.build import build_public
from monitor.store import open_store
from monitor.store.base import DayAggregate, DayClaim, DayFigures, Store
from monitor.store.sqlite import SQLiteStore

from ..pg import scratch_database

NOW = datetime(2026, 10, 20, 12, tzinfo=UTC)
SERVICES = 1_000
VANTAGES = ("bench-east", "bench-west")
DAY_US = 86_400_000_000


def report(name: str, figure: str) -> None:
    print(f"\nBENCH {name}: {figure}")


def _settings(services: int) -> Settings:
    lines = ["contracts: {c: {currency: EUR, daily_fee: 10}}", "services:"]
    lines += [
        f"  - {{name: s{n:04d}, contract: c,"
        f" frontend: [{{name: home, type: http, url: 'http://127.0.0.1:9/{n}'}}]}}"
        for n in range(services)
    ]
    return parse_settings("\n".join(lines) + "\n", "bench.yaml")


async def _fill(store: Store, settings: Settings, *, outages: int, degraded: int) -> None:
    """89 stored days a service (mostly up, now and then an outage), and today's intervals: an
    outage for one service in ``outages``, one in ``degraded`` degraded now."""
    rng = random.Random(7)
    zone = settings.status_page.timezone
    today = NOW.astimezone(zone).date()
    start = NOW - timedelta(days=95)
    for vantage in VANTAGES:
        await store.open_interval(
            IntervalRecord(IntervalKind.RUNNING, vantage, "*", start, detail={})
        )
    await store.write_results(
        [
            ProbeResult("s0000/home", v, NOW - timedelta(seconds=5), 0.01, Outcome.UP)
            for v in VANTAGES
        ]
    )
    for n, service in enumerate(settings.services):
        if n % outages == 0:
            for vantage in VANTAGES:
                begun = NOW - timedelta(minutes=rng.randrange(30, 600))
                await store.open_interval(
                    IntervalRecord(
                        IntervalKind.OUTAGE,
                        vantage,
                        service.name,
                        begun,
                        begun + timedelta(minutes=rng.randrange(1, 30)),
                    )
                )
        if n % degraded == 0:
            for vantage in VANTAGES:
                await store.open_interval(
                    IntervalRecord(
                        IntervalKind.DEGRADED, vantage, service.name, NOW - timedelta(minutes=20)
                    )
                )
    claims, aggregates = [], []
    for day_index in range(1, 90):
        day = today - timedelta(days=day_index)
        begin = datetime(day.year, day.month, day.day, tzinfo=UTC)
        for service in settings.services:
            key = basis(service, zone)
            outage = rng.randrange(1, 3_600) * 1_000_000 if rng.random() < 0.05 else 0
            spans = (
                f'{{"outage":[[{int(begin.timestamp()) * 1_000_000},'
                f"{int(begin.timestamp()) * 1_000_000 + outage}]]}}"
                if outage
                else None
            )
            figures = DayFigures(service.name, day, DAY_US, outage, 0, 0, 0, spans, key)
            claims.append(DayClaim(service.name, day, begin, begin + timedelta(days=1), 1))
            aggregates.append(DayAggregate(figures, 1, NOW))
    await store.claim_days(claims)
    await store.put_day_figures(aggregates)


async def _measure(name: str, store: Store, *, outages: int = 50, degraded: int = 100) -> None:
    """Build five times: the first reads the 89,000 stored days, the others find them kept (as
    every build does until the stored days change, once a day or so)."""
    settings = _settings(SERVICES)
    await store.open()
    try:
        await _fill(store, settings, outages=outages, degraded=degraded)
        timings = []
        for _ in range(5):
            began = time.perf_counter()
            status = await build_public(store, settings, NOW)
            timings.append(time.perf_counter() - began)
        assert len(status.services) == SERVICES
        assert sum(len(s.days) for s in status.services) == SERVICES * 90
        first, *then = timings
        today = f"{SERVICES // outages} with an outage today, {SERVICES // degraded} degraded now"
        report(
            f"{name} status page values, 1,000 services x 90 days ({today})",
            f"{min(then) * 1000:.0f} ms (best of 4 builds; the first one, reading the stored"
            f" days, {first * 1000:.0f} ms)",
        )
        # What the daemon's background task does when one day of every service is missing.
        stored = await store.day_figures(first=NOW.date(), last=NOW.date())
        assert stored == ()
        claims = [
            DayClaim(s.name, NOW.date() - timedelta(days=1), NOW, NOW + timedelta(days=1), 2)
            for s in settings.services
        ]
        await store.claim_days(claims)  # hides the stored yesterday: it is missing again
        began = time.perf_counter()
        done = await fill_days(store, settings, NOW, max_days=1)
        took = time.perf_counter() - began
        assert done == 1
        report(f"{name} one day of 1,000 services computed and stored", f"{took * 1000:.0f} ms")
    finally:
        await store.close()


async def test_status_values_for_1000_services_sqlite(tmp_path: Path) -> None:
    """The public status of 1,000 services from a SQLite store."""
    await _measure("sqlite", SQLiteStore(tmp_path / "bench.db"))


async def test_status_values_on_a_bad_day_sqlite(tmp_path: Path) -> None:
    """The same on a bad day: a tenth of the services had an outage, a seventh is degraded."""
    await _measure("sqlite", SQLiteStore(tmp_path / "bench.db"), outages=10, degraded=7)


async def test_status_values_for_1000_services_postgres() -> None:
    """The public status of 1,000 services from a PostgreSQL store."""
    async with scratch_database() as url:
        await _measure("postgresql", open_store(url))

"""Benchmarks of the HTML pages, run on demand with `./dev bench`: figures printed, not asserted."""

from __future__ import annotations

import random
import time
from datetime import UTC, date, datetime, timedelta

from monitor.status.model import (
    ComponentStatus,
    DayCell,
    DayKind,
    Incident,
    PublicService,
    PublicStatus,
    UptimeWindow,
)
from monitor.web.pages import render_status

NOW = datetime(2026, 10, 20, 12, tzinfo=UTC)
DAY = timedelta(days=1)
ZERO = timedelta(0)


def _day(rng: random.Random, day: date) -> DayCell:
    """A day as a real history has them: mostly up, now and then an outage of some minutes,
    degraded time, maintenance or a gap."""
    roll = rng.random()
    if roll < 0.9:
        return DayCell(day, DayKind.UP, DAY, ZERO, ZERO, ZERO, ZERO)
    minutes = timedelta(seconds=rng.randrange(1, 7200))
    if roll < 0.94:
        return DayCell(day, DayKind.OUTAGE, DAY, minutes, ZERO, ZERO, ZERO)
    if roll < 0.97:
        return DayCell(day, DayKind.DEGRADED, DAY, ZERO, minutes, ZERO, ZERO)
    if roll < 0.99:
        return DayCell(day, DayKind.MAINTENANCE, DAY, ZERO, ZERO, minutes, ZERO)
    return DayCell(day, DayKind.GAP, DAY - minutes, ZERO, ZERO, ZERO, minutes)


def _status(services: int) -> PublicStatus:
    rng = random.Random(11)
    first = NOW.date() - timedelta(days=89)
    shown = []
    for n in range(services):
        days = tuple(_day(rng, first + timedelta(days=i)) for i in range(90))
        outage = sum((d.outage for d in days), ZERO)
        windows = tuple(
            UptimeWindow(key, key, NOW - span, NOW, span, min(outage, span))
            for key, span in (("24h", DAY), ("7d", 7 * DAY), ("30d", 30 * DAY), ("90d", 90 * DAY))
        )
        status = rng.choice(list(ComponentStatus))
        shown.append(PublicService(f"service-{n:04d}", status, NOW - DAY, days, windows))
    incidents = tuple(
        Incident(f"i{n}", f"service-{n:04d}", NOW - n * DAY, NOW - n * DAY + DAY / 24)
        for n in range(1, 50)
    )
    return PublicStatus("Status", NOW, "UTC", tuple(shown), incidents, ())


def test_status_page_for_1000_services() -> None:
    """The status page of 1,000 services with 90 days each (90,000 day cells), rendered from
    the values the builder gives: the first render (each distinct day's look worked out), the
    best of the four after it (as the daemon renders every few seconds), the page's size."""
    status = _status(1000)
    timings = []
    for _ in range(5):
        began = time.perf_counter()
        page = render_status(status, window="30d")
        timings.append(time.perf_counter() - began)
    assert page.count('<section class="svc"') == 1000
    first, *then = timings
    print(
        f"\nBENCH status page, 1,000 services x 90 days: {min(then) * 1000:.0f} ms"
        f" (best of 4 renders; the first one {first * 1000:.0f} ms), {len(page) / 1e6:.1f} MB"
    )

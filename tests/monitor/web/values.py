"""Status and dashboard values built by hand: what the pages must show, whatever builds them.

Three services on 2026-10-20 at 12:00 in Shanghai: ``shop`` down since 11:40 (an outage
ongoing, and one on 10-05 that ended), ``api`` degraded (some checks failing), ``files`` up with a
maintenance announced for 10-22 and a gap on 10-12 when nobody measured it. Every figure here is
chosen so that a page shows it in exactly one way.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction

from monitor.status.model import (
    CheckLine,
    ComponentStatus,
    Dashboard,
    DayCell,
    DayKind,
    Incident,
    Maintenance,
    PublicService,
    PublicStatus,
    ServiceMoney,
    UptimeWindow,
)

__all__ = ["NOW", "dashboard", "public_status", "service", "up_day"]

CST = timezone(timedelta(hours=8))
NOW = datetime(2026, 10, 20, 12, 0, tzinfo=CST)
DAY = timedelta(days=1)
ZERO = timedelta(0)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant of October 2026 in Shanghai time."""
    return datetime(2026, 10, day, hour, minute, tzinfo=CST)


def up_day(day: date) -> DayCell:
    """A day measured throughout and up."""
    return DayCell(day, DayKind.UP, DAY, ZERO, ZERO, ZERO, ZERO)


def days(special: dict[date, DayCell], count: int = 90) -> tuple[DayCell, ...]:
    """``count`` days ending on NOW's, up unless ``special``; the first ten without data."""
    last = NOW.date()
    cells = []
    for n in range(count):
        day = last - timedelta(days=count - 1 - n)
        if n < 10:
            cells.append(DayCell(day, DayKind.NO_DATA, ZERO, ZERO, ZERO, ZERO, ZERO))
        else:
            cells.append(special.get(day, up_day(day)))
    return tuple(cells)


def windows(outage: timedelta, measured_90d: timedelta) -> tuple[UptimeWindow, ...]:
    """The five windows, each with ``outage`` inside it; 90 days measured only ``measured_90d``."""
    spans = {"24h": DAY, "7d": 7 * DAY, "30d": 30 * DAY, "90d": 90 * DAY}
    labels = {"24h": "last 24 hours", "7d": "last 7 days", "30d": "last 30 days",
              "90d": "last 90 days"}  # fmt: skip
    out = [
        UptimeWindow(
            key,
            labels[key],
            NOW - span,
            NOW,
            measured_90d if key == "90d" else span,
            outage,
        )
        for key, span in spans.items()
    ]
    start = at(1, 0)
    out.append(UptimeWindow("month", "October so far", start, NOW, NOW - start, outage))
    return tuple(out)


def service(name: str, status: ComponentStatus, *, since: datetime | None = None) -> PublicService:
    """A service with the scenario's days and windows for its name."""
    if name == "shop":
        special = {
            date(2026, 10, 5): DayCell(
                date(2026, 10, 5), DayKind.OUTAGE, DAY, timedelta(minutes=7, seconds=25), ZERO,
                ZERO, ZERO,
            ),
            date(2026, 10, 20): DayCell(
                date(2026, 10, 20), DayKind.OUTAGE, timedelta(hours=12), timedelta(minutes=20),
                ZERO, ZERO, ZERO,
            ),
        }  # fmt: skip
        outage = timedelta(minutes=27, seconds=25)
    elif name == "api":
        special = {
            date(2026, 10, 20): DayCell(
                date(2026, 10, 20), DayKind.DEGRADED, timedelta(hours=12), ZERO,
                timedelta(hours=1), ZERO, ZERO,
            )
        }  # fmt: skip
        outage = ZERO
    else:
        special = {
            date(2026, 10, 12): DayCell(
                date(2026, 10, 12), DayKind.GAP, timedelta(hours=21), ZERO, ZERO, ZERO,
                timedelta(hours=3),
            ),
            date(2026, 10, 8): DayCell(
                date(2026, 10, 8), DayKind.MAINTENANCE, DAY, ZERO, ZERO, timedelta(hours=2), ZERO
            ),
        }  # fmt: skip
        outage = ZERO
    return PublicService(
        name, status, since, days(special), windows(outage, 80 * DAY - timedelta(hours=3))
    )


def public_status(*, names: tuple[str, str, str] = ("shop", "api", "files")) -> PublicStatus:
    """The public status of the scenario; ``names`` renames the three services."""
    shop, api, files = names
    return PublicStatus(
        title="Example status",
        generated_at=NOW,
        timezone="Asia/Shanghai",
        services=(
            _renamed(service("shop", ComponentStatus.MAJOR_OUTAGE, since=at(20, 11, 40)), shop),
            _renamed(service("api", ComponentStatus.PARTIAL_OUTAGE, since=at(20, 11)), api),
            _renamed(service("files", ComponentStatus.OPERATIONAL), files),
        ),
        incidents=(
            Incident("o-2", shop, at(20, 11, 40), None),
            Incident(
                "o-1", shop, at(5, 10, 0), at(5, 10, 7) + timedelta(seconds=25), unconfirmed=True
            ),
        ),
        maintenances=(
            Maintenance("m-2", files, at(22, 2), at(22, 4), at(15, 9), accepted=True),
            Maintenance("m-1", files, at(8, 1), at(8, 3), at(1, 9), accepted=True),
        ),
    )


def _renamed(service: PublicService, name: str) -> PublicService:
    return PublicService(name, service.status, service.since, service.days, service.windows)


def dashboard(*, names: tuple[str, str, str] = ("shop", "api", "files")) -> Dashboard:
    """The scenario's dashboard, as vantage sh-1 sees it."""
    public = public_status(names=names)
    shop, api, files = names
    return Dashboard(
        public=public,
        vantage="sh-1",
        checks=(
            CheckLine(
                shop,
                "home",
                "frontend",
                "down",
                "connect_error",
                None,
                at(20, 11, 59),
                "connection refused",
                None,
            ),
            CheckLine(
                api,
                "v1",
                "frontend",
                "down",
                "http_status",
                0.0421,
                at(20, 11, 59),
                "HTTP 503",
                at(30, 0),
            ),
            CheckLine(
                api,
                "v2",
                "frontend",
                "up",
                "up",
                0.0123,
                at(20, 11, 59),
                "HTTP 200",
                datetime(2027, 3, 1, tzinfo=CST),
            ),
            CheckLine(
                files, "cdn", "frontend", "up", "up", 0.2345, at(20, 11, 58), "HTTP 200", None
            ),
        ),
        votes={
            shop: {"sh-1": "down", "bj-1": "down"},
            api: {"sh-1": "up", "bj-1": "up"},
            files: {"sh-1": "up"},
        },
        degraded=(Incident("d-1", api, at(20, 11), None),),
        failovers=(Incident("f-1", files, at(18, 3), at(18, 3, 5)),),
        money=(
            ServiceMoney(
                shop, "CNY", Decimal("3.15"), 21, Fraction(99931, 100000), None, None, "2026-10"
            ),
            ServiceMoney(
                api, "USD", Decimal("0.00"), 0, Fraction(1), Fraction(99995, 1000), 432, "2026-10"
            ),
            ServiceMoney(files, "CNY", Decimal("0.00"), 0, None, None, None, "2026-10"),
        ),
        health={
            "status": "ok",
            "problems": [],
            "vantage": "sh-1",
            "checks": 4,
            "scheduler_lag_seconds": 0.0123,
            "store_queue_depth": 17,
            "store_spool_depth": 0,
            "interval_changes_waiting": 0,
            "store_memory_depth": 17,
            "store_memory_limit": 100000,
            "results_dropped": 0,
        },
        months=("2026-10", "2026-09"),
    )

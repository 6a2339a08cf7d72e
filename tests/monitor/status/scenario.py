"""A scripted store for the status page tests: five services watched from two vantages.

Everything is stored as the daemons would have (running intervals, outages, degraded periods,
gaps, a failover event, results for the vantages' signs of life) and as people would (maintenance
exclusions), at fixed instants: nothing reads a clock. The status page's zone is Asia/Shanghai
(UTC+8, no daylight saving time), so a local day runs from 16:00 UTC to 16:00 UTC.

``NOW`` is 2026-03-10 22:00 local (14:00 UTC); monitoring began 2026-03-01 00:00 local. Then:

- ``api`` was down 2026-03-05 10:00-10:30 local (both vantages), and is down again since 45
  minutes before now: ``major_outage``.
- ``web`` is degraded (some frontend check down, both vantages) since 2 hours before now:
  ``partial_outage``, no outage.
- ``shop`` is up; a maintenance is announced for tomorrow (3 days ahead: accepted), one took place
  2026-03-07 02:00-03:00 local (announced 2 hours ahead: refused, shown all the same), and one
  more was revoked (shown nowhere). Its node-a failed over on 2026-03-06.
- ``docs`` had a gap (nobody measured it) 2026-03-08 12:00-13:00 local, and has one since 30
  minutes before now: not measured, ``degraded_performance``.
- ``internal`` is up and not public: it appears on the dashboard only.

The vantages' names, the checks' URLs (with a token in the query) and the contract's currency
are distinctive, so that a test can look for them in public output.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from monitor.config.settings import Settings, parse_settings
from monitor.evidence import ExclusionRecord, IntervalKind, IntervalRecord
from monitor.results import Outcome, ProbeResult
from monitor.store.base import Store

__all__ = [
    "CONFIG",
    "CST",
    "EAST",
    "NOW",
    "PRIVATE_WORDS",
    "SERVICES",
    "START",
    "WEST",
    "fill",
    "local",
    "settings",
]

CST = timezone(timedelta(hours=8))
NOW = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
EAST = "vantage-east-1"
WEST = "vantage-west-2"
SERVICES = ("api", "web", "shop", "docs", "internal")


def local(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    """An instant of March 2026 (or ``month``) in Shanghai time."""
    return datetime(2026, month, day, hour, minute, tzinfo=CST)


#: When monitoring began.
START = local(1, 0)

CONFIG = """
vantage: vantage-east-1
store: "sqlite:///{db}"
contracts:
  basic:
    timezone: Asia/Shanghai
    currency: CNY
    daily_fee: "144.00"
    maintenance_notice_hours: 24
services:
  - name: api
    contract: basic
    frontend:
      - {{name: home, type: http, url: "http://127.0.0.1:9/api/health?token=hunter2"}}
  - name: web
    contract: basic
    frontend:
      - {{name: home, type: http, url: "http://127.0.0.1:9/web/index.html?token=hunter2"}}
      - {{name: img, type: http, url: "http://127.0.0.1:9/web/logo.png?token=hunter2"}}
  - name: shop
    contract: basic
    frontend:
      - {{name: home, type: http, url: "http://127.0.0.1:9/shop/?token=hunter2"}}
    nodes:
      - {{name: node-a, type: http, url: "http://127.0.0.1:9/node-a/?token=hunter2"}}
  - name: docs
    contract: basic
    frontend:
      - {{name: home, type: http, url: "http://127.0.0.1:9/docs/?token=hunter2"}}
  - name: internal
    contract: basic
    frontend:
      - {{name: home, type: http, url: "http://127.0.0.1:9/internal/?token=hunter2"}}
status_page:
  title: "Example <Status> & Co"
  timezone: Asia/Shanghai
  public: [api, web, shop, docs]
  url: "https://status.example.com/"
{extra}"""

#: What public output must never contain: vantage names, check URLs and their parts, money,
#: the private service.
PRIVATE_WORDS = (
    EAST,
    WEST,
    "vantage-",
    "hunter2",
    "127.0.0.1",
    "/api/health",
    "logo.png",
    "CNY",
    "144",
    "credit",
    "internal",
)


def settings(db: Path, extra: str = "") -> Settings:
    """The scenario's configuration, storing in ``db``; ``extra`` adds settings under
    ``status_page``."""
    return parse_settings(CONFIG.format(db=db, extra=extra), "scenario.yaml")


async def _both(store: Store, kind: IntervalKind, subject: str, **fields: Any) -> None:
    for vantage in (EAST, WEST):
        await store.open_interval(IntervalRecord(kind, vantage, subject, **fields))


async def fill(store: Store) -> None:
    """Store the scenario."""
    await _both(
        store,
        IntervalKind.RUNNING,
        "*",
        start=START,
        detail={"services": list(SERVICES)},
    )
    # Signs of life: each vantage's newest result, 10 s before now.
    await store.write_results(
        [
            ProbeResult("internal/home", vantage, NOW - timedelta(seconds=10), 0.01, Outcome.UP)
            for vantage in (EAST, WEST)
        ]
    )
    # api: down on the 5th for 30 minutes, and since 45 minutes ago.
    await _both(store, IntervalKind.OUTAGE, "api", start=local(5, 10), end=local(5, 10, 30))
    await _both(
        store, IntervalKind.CHECK_DOWN, "api/home", start=local(5, 10), end=local(5, 10, 30)
    )
    await _both(store, IntervalKind.OUTAGE, "api", start=NOW - timedelta(minutes=45))
    await _both(store, IntervalKind.CHECK_DOWN, "api/home", start=NOW - timedelta(minutes=45))
    # web: one of two frontend checks down for 2 hours, still.
    await _both(store, IntervalKind.DEGRADED, "web", start=NOW - timedelta(hours=2))
    await _both(store, IntervalKind.CHECK_DOWN, "web/img", start=NOW - timedelta(hours=2))
    # docs: its only frontend check without fresh results, on the 8th and now.
    await _both(store, IntervalKind.GAP, "docs/home", start=local(8, 12), end=local(8, 13))
    await _both(store, IntervalKind.GAP, "docs/home", start=NOW - timedelta(minutes=30))
    # shop's node-a failed over on the 6th, and the frontend kept serving.
    await store.open_interval(
        IntervalRecord(
            IntervalKind.FAILOVER,
            EAST,
            "shop/node-a",
            local(6, 9),
            local(6, 9, 4),
            detail={"verdict": "kept", "reasons": []},
        )
    )
    # shop's maintenance: tomorrow (announced 3 days ahead), on the 7th (2 hours ahead), and one
    # revoked.
    for start, hours, announced in (
        (NOW + timedelta(days=1), 2, NOW - timedelta(days=3)),
        (local(7, 2), 1, local(7, 0)),
        (local(9, 2), 3, local(2, 0)),
    ):
        await store.add_exclusion(
            ExclusionRecord(
                service="shop",
                start=start,
                end=start + timedelta(hours=hours),
                reason="maintenance",
                note="planned work",
                added_by="ops",
                added_at=announced,
                announced_at=announced,
            )
        )
    revoked = [e for e in await store.exclusions(service="shop") if e.start == local(9, 2)]
    assert revoked[0].id is not None
    await store.revoke_exclusion(revoked[0].id, by="ops", at=local(8, 0), note="cancelled")

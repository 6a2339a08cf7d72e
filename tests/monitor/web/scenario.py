"""A scripted store for the pages: three services on 2026-10-20 at 12:00 in Shanghai.

Two vantages (``sh-1`` and ``bj-1``) have run since 2026-09-01, both stopped on 10-12 from
03:00 to 06:00 (a gap: nobody measured anything). ``shop`` was down on 10-05 from 10:00:00 to
10:07:25 and is down again since 11:40 today, as both vantages saw; ``api`` is degraded since
11:00 (one of its two frontend checks failing, from both vantages); ``files`` is up, had an
announced maintenance on 10-08 from 01:00 to 03:00 and has one announced for 10-22 from 02:00
to 04:00. Both vantages recorded a result 30 s ago, so the services are measured now.

The figures the pages must show are worked out here by hand, not read back from the builder.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from monitor.config.settings import Settings, parse_settings
from monitor.evidence import ExclusionRecord, IntervalKind, IntervalRecord
from monitor.results import Outcome, ProbeResult
from monitor.store.base import Store

__all__ = ["CHECK_URL", "CONFIG", "NOW", "VANTAGES", "at", "config_text", "fill", "settings"]

CST = timezone(timedelta(hours=8))
NOW = datetime(2026, 10, 20, 12, 0, tzinfo=CST)
VANTAGES = ("sh-1", "bj-1")
#: A check target that must never reach the public page unless asked for.
CHECK_URL = "http://127.0.0.1:9/private-shop-path?key=hunter2"

CONFIG = """
vantage: sh-1
store: "sqlite:///{db}"
http: {{listen: "127.0.0.1:0"{token}}}
contracts:
  cny: {{timezone: Asia/Shanghai, currency: CNY, daily_fee: "144.00"}}
  usd: {{timezone: Asia/Shanghai, currency: USD, daily_fee: "10.00"}}
status_page:
  title: Example status
  timezone: Asia/Shanghai
{extra}
services:
  - name: {shop}
    contract: cny
    frontend:
      - {{name: home, type: http, url: "{url}"}}
  - name: api
    contract: usd
    frontend:
      - {{name: v1, type: http, url: "http://127.0.0.1:9/v1"}}
      - {{name: v2, type: http, url: "http://127.0.0.1:9/v2"}}
  - name: files
    contract: cny
    frontend:
      - {{name: cdn, type: http, url: "http://127.0.0.1:9/cdn"}}
"""


def at(day: int, hour: int, minute: int = 0, second: int = 0, month: int = 10) -> datetime:
    """An instant of 2026 in Shanghai time."""
    return datetime(2026, month, day, hour, minute, second, tzinfo=CST)


def config_text(db: Path, *, token: str | None = None, shop: str = "shop", extra: str = "") -> str:
    """The scenario's configuration; ``token`` sets ``http.api_token``, ``extra`` adds lines to
    ``status_page``, ``shop`` renames the first service."""
    return CONFIG.format(
        db=db,
        token="" if token is None else f", api_token: {token}",
        extra=extra,
        shop=shop.replace('"', '\\"'),
        url=CHECK_URL,
    )


def settings(db: Path, **options: Any) -> Settings:
    """The scenario's settings (see :func:`config_text`)."""
    return parse_settings(config_text(db, **options), "scenario.yaml")


async def _interval(
    store: Store, kind: IntervalKind, vantage: str, subject: str, **fields: Any
) -> None:
    await store.open_interval(IntervalRecord(kind, vantage, subject, **fields))


async def fill(store: Store, *, shop: str = "shop") -> None:
    """Store the scenario; ``shop`` names the first service."""
    for vantage in VANTAGES:
        await _interval(
            store, IntervalKind.RUNNING, vantage, "*", start=at(1, 0, month=9), end=at(12, 3)
        )
        await _interval(store, IntervalKind.RUNNING, vantage, "*", start=at(12, 6))
        # shop: 10-05 10:00:00 to 10:07:25 (445 s), and since 11:40 today.
        for start, end in ((at(5, 10), at(5, 10, 7, 25)), (at(20, 11, 40), None)):
            await _interval(
                store,
                IntervalKind.OUTAGE,
                vantage,
                shop,
                start=start,
                end=end,
                detail={"checks_down": ["home"]},
            )
            await _interval(
                store, IntervalKind.CHECK_DOWN, vantage, f"{shop}/home", start=start, end=end
            )
        # api: v1 failing since 11:00, v2 fine: degraded, not down.
        await _interval(
            store,
            IntervalKind.DEGRADED,
            vantage,
            "api",
            start=at(20, 11),
            detail={"checks_down": ["v1"]},
        )
        await _interval(store, IntervalKind.CHECK_DOWN, vantage, "api/v1", start=at(20, 11))
        results = [
            ProbeResult(f"{shop}/home", vantage, NOW - timedelta(seconds=30), 5.0,
                        Outcome.TIMEOUT, detail="timed out"),
            ProbeResult("api/v1", vantage, NOW - timedelta(seconds=30), 0.042,
                        Outcome.HTTP_STATUS, status=503, detail="HTTP 503"),
            ProbeResult("api/v2", vantage, NOW - timedelta(seconds=30), 0.012, Outcome.UP,
                        status=200, detail="HTTP 200",
                        cert_expires_at=at(30, 0)),
            ProbeResult("files/cdn", vantage, NOW - timedelta(seconds=30), 0.234, Outcome.UP,
                        status=200, detail="HTTP 200"),
        ]  # fmt: skip
        await store.write_results(results)
    for start, end, announced in (
        (at(8, 1), at(8, 3), at(1, 9)),
        (at(22, 2), at(22, 4), at(15, 9)),
    ):
        await store.add_exclusion(
            ExclusionRecord(
                service="files",
                start=start,
                end=end,
                reason="maintenance",
                note="disk replacement",
                added_by="ops@example.com",
                added_at=announced,
                announced_at=announced,
            )
        )

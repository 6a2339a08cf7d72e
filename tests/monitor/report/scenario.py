"""A scripted month for the report tests: October 2026 of a shop watched from two vantages.

Everything is stored as the daemons would have stored it (running intervals, per-vantage
outages with bounds, checks down with their outcomes, a restart gap, a degraded period), plus
exclusions and the provider's notices entered by people. The figures it must produce are worked
out here by hand, from CREDIT-RULES.md's rules, so the tests compare the report against arithmetic,
not against itself. Notices change no credit: they only say which outages were notified (C4).

Contract: Asia/Shanghai, 144.00 CNY a day, per_outage rounding, credit_multiplier 1.5 (so a
whole day down is capped), maintenance needs 24 h notice and counts for 240 minutes at most.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from monitor.config.settings import Settings, parse_settings
from monitor.evidence import ExclusionRecord, IntervalKind, IntervalRecord, NoticeRecord
from monitor.store.base import Store

__all__ = [
    "CONFIG",
    "EARLY",
    "EXPECTED",
    "NOW",
    "fill",
    "fill_early_month",
    "fill_long_failover",
    "local",
    "settings",
]

CST = timezone(timedelta(hours=8))
#: When the report is made: the month is over.
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=CST)


def local(day: int, hour: int, minute: int = 0, second: int = 0, month: int = 10) -> datetime:
    """An instant of October 2026 (or ``month``) in Shanghai time."""
    return datetime(2026, month, day, hour, minute, second, tzinfo=CST)


CONFIG = """
vantage: sh-1
store: "sqlite:///{db}"
contracts:
  cloud-basic:
    timezone: Asia/Shanghai
    currency: CNY
    daily_fee: "144.00"
    rounding: per_outage
    credit_multiplier: "1.5"
    maintenance_notice_hours: 24
    maintenance_max_minutes: 240
services:
  - name: {name}
    contract: cloud-basic
    frontend:
      - {{name: home, type: http, url: "http://127.0.0.1:9/"}}
      - {{name: file, type: http, url: "http://127.0.0.1:9/app.js"}}
"""


def settings(db: Path, name: str = "shop") -> Settings:
    """The scenario's configuration, storing in ``db``; ``name`` is the service's name."""
    return parse_settings(CONFIG.format(db=db, name=name), "scenario.yaml")


#: The credit of each day with any, and the month's total, by hand (see the comments in fill).
EXPECTED: dict[str, Any] = {
    "days": {
        "2026-10-05": ("8", Decimal("1.20"), False),
        "2026-10-09": ("10", Decimal("1.50"), False),
        "2026-10-10": ("20", Decimal("3.00"), False),
        "2026-10-12": ("15", Decimal("2.25"), False),
        "2026-10-20": ("1440", Decimal("144.00"), True),
        "2026-10-27": ("5", Decimal("0.75"), False),
        "2026-10-28": ("60", Decimal("9.00"), False),
    },
    "total": Decimal("161.70"),
    "outages": 7,
    #: Per outage (by its UTC start): the first notice answering it and the seconds from the
    #: outage's start to it, or None: never notified.
    "notices": {
        "2026-10-05T02:00:05Z": ("status page incident 101", 720.0),
        "2026-10-09T15:50:00Z": ("mail: network trouble from 23:40", -600.0),
        "2026-10-12T02:15:00Z": None,
        "2026-10-19T16:00:00Z": ("apology mail for the 20th", 120_600.0),
        "2026-10-24T18:10:00Z": None,
        "2026-10-26T18:00:00Z": None,
        "2026-10-27T19:00:00Z": None,
    },
    "not_notified": 4,
}


async def _interval(
    store: Store, kind: IntervalKind, vantage: str, subject: str, **fields: Any
) -> None:
    await store.open_interval(IntervalRecord(kind, vantage, subject, **fields))


async def _outage(
    store: Store,
    vantage: str,
    start: datetime,
    end: datetime,
    service: str,
    *,
    outcomes: dict[str, int] | None = None,
) -> None:
    """A vantage's outage of the service: both frontend checks down, with bounds 10 s wide."""
    bounds = {
        "start_bound": start - timedelta(seconds=10),
        "end_bound": end - timedelta(seconds=10),
    }
    await _interval(
        store,
        IntervalKind.OUTAGE,
        vantage,
        service,
        start=start,
        end=end,
        **bounds,
        detail={"checks_down": ["file", "home"]},
    )
    for check in ("home", "file"):
        await _interval(
            store,
            IntervalKind.CHECK_DOWN,
            vantage,
            f"{service}/{check}",
            start=start,
            end=end,
            **bounds,
            detail={"outcomes": outcomes or {"timeout": 3, "http_status": 1}},
        )


def _failover_detail(
    verdict: str, reasons: list[str], *, failures: int, down: float, dns_after: float | None = None
) -> dict[str, Any]:
    return {
        "verdict": verdict,
        "reasons": reasons,
        "frontend_probes": 30,
        "frontend_failures": failures,
        "frontend_clean_after_seconds": 50.0 if failures else 0.0,
        "frontend_outage_seconds": down,
        "frontend_longest_outage_seconds": down,
        "dns": None
        if dns_after is None
        else {
            "address": "192.0.2.11",
            "in_answer_at_start": True,
            "removed_after_seconds": dns_after,
            "ttl_seconds": 30,
        },
        "capacity_back_after_seconds": 240.0 if verdict == "kept" else 1200.0,
        "capacity_back_by": "node recovered",
        "terms": {"max_frontend_outage_seconds": 30.0, "restore_within_seconds": 600.0},
    }


async def fill(store: Store, service: str = "shop") -> None:
    """Store the month."""
    for vantage in ("sh-1", "bj-1"):
        await _interval(
            store,
            IntervalKind.RUNNING,
            vantage,
            "*",
            start=local(1, 0) - timedelta(hours=1),
            end=local(1, 0, month=11),
        )
    # bj-1 restarted on the 12th: not measuring 10:00-11:00.
    await _interval(
        store,
        IntervalKind.GAP,
        "bj-1",
        "*",
        start=local(12, 10),
        end=local(12, 11),
        detail={"reason": "daemon not running"},
    )

    # 5th: both see it; the quorum (both) from 10:00:05 to 10:07:30 = 445 s -> 8 min -> 1.20.
    await _outage(
        store,
        "sh-1",
        local(5, 10),
        local(5, 10, 7, 30),
        service,
        outcomes={"timeout": 4, "connect_error": 2},
    )
    await _outage(store, "bj-1", local(5, 10, 0, 5), local(5, 10, 7, 40), service)
    # 9th-10th across midnight: 10 min (1.50) and 20 min (3.00).
    for vantage in ("sh-1", "bj-1"):
        await _outage(store, vantage, local(9, 23, 50), local(10, 0, 20), service)
    # 12th: sh-1 alone while bj-1 is down itself: it alone measures, 15 min -> 2.25.
    await _outage(store, "sh-1", local(12, 10, 15), local(12, 10, 30), service)
    # 15th: bj-1 alone while sh-1 sees it up: not an outage.
    await _outage(store, "bj-1", local(15, 8), local(15, 8, 30), service)
    # 20th: the whole day: 1440 min x 144 x 1.5 / 1440 = 216 > 144: capped at 144.00.
    for vantage in ("sh-1", "bj-1"):
        await _outage(store, vantage, local(20, 0), local(21, 0), service)
    # 25th: within an announced maintenance: excluded, nothing credited.
    for vantage in ("sh-1", "bj-1"):
        await _outage(store, vantage, local(25, 2, 10), local(25, 2, 40), service)
    # 27th: within a maintenance announced 6 h ahead (24 h needed): 5 min -> 0.75.
    for vantage in ("sh-1", "bj-1"):
        await _outage(store, vantage, local(27, 2), local(27, 2, 5), service)
    # 28th: 03:00-05:00 in a maintenance 00:00-06:00 that counts for its first 240 min only:
    # 60 min excluded, 60 min credited -> 9.00.
    for vantage in ("sh-1", "bj-1"):
        await _outage(store, vantage, local(28, 3), local(28, 5), service)
    # 7th: degraded (the file download alone), reported, not credited.
    await _interval(
        store,
        IntervalKind.DEGRADED,
        "sh-1",
        service,
        start=local(7, 12),
        end=local(7, 12, 10),
        detail={"checks_down": ["file"]},
    )
    # Failover events as the daemon stores them (monitor.failover): node-a on the 3rd, routed
    # around and back in 4 minutes (kept); node-b on the 16th, the frontend down 45 s (breached).
    await _interval(
        store,
        IntervalKind.FAILOVER,
        "sh-1",
        f"{service}/node-a",
        start=local(3, 14),
        end=local(3, 14, 4),
        detail=_failover_detail("kept", [], failures=0, down=0.0, dns_after=35.0),
    )
    await _interval(
        store,
        IntervalKind.FAILOVER,
        "bj-1",
        f"{service}/node-b",
        start=local(16, 9),
        end=local(16, 9, 20),
        detail=_failover_detail(
            "breached", ["frontend down 45s at a stretch (at most 30s)"], failures=9, down=45.0
        ),
    )

    async def exclusion(
        start: datetime, end: datetime, reason: str, note: str, announced: datetime | None = None
    ) -> int:
        return await store.add_exclusion(
            ExclusionRecord(
                service=service,
                start=start,
                end=end,
                reason=reason,
                note=note,
                added_by="ops@example.com",
                added_at=local(1, 9),
                announced_at=announced,
            )
        )

    await exclusion(
        local(25, 2), local(25, 3), "maintenance", "announced upgrade", announced=local(20, 10)
    )
    await exclusion(
        local(27, 2), local(27, 8), "maintenance", "late notice", announced=local(26, 20)
    )
    await exclusion(
        local(28, 0), local(28, 6), "maintenance", "long window", announced=local(25, 0)
    )
    withdrawn = await exclusion(local(5, 9), local(5, 11), "force_majeure", "typhoon?")
    await store.revoke_exclusion(
        withdrawn, by="finance@example.com", at=local(6, 9), note="no typhoon that day"
    )

    async def notice(at: datetime, ref: str) -> int:
        return await store.add_notice(
            NoticeRecord(
                service=service,
                at=at,
                ref=ref,
                added_by="ops@example.com",
                added_at=at + timedelta(hours=1),
            )
        )

    # 5th: 12 min after the quorum's start (10:00:05), then a follow-up: the first one counts.
    await notice(local(5, 10, 12, 5), "status page incident 101")
    await notice(local(5, 10, 30), "incident 101 resolved")
    # 9th: 10 min before the measured start, within the 15 min allowed: -600 s.
    await notice(local(9, 23, 40), "mail: network trouble from 23:40")
    # 12th: the outage ended at 10:30; a notice 24 h 30 min later answers nothing.
    await notice(local(13, 11), "mail about yesterday's outage")
    # 20th: 33 h 30 min after the start, but within 24 h of the end (21st 00:00): late, matched.
    await notice(local(21, 9, 30), "apology mail for the 20th")
    # 27th: entered, then revoked: it answers nothing, so the 27th was never notified.
    wrong = await notice(local(27, 2, 3), "entered for the wrong service")
    await store.revoke_notice(
        wrong, by="finance@example.com", at=local(28, 9), note="that was the CDN"
    )


async def fill_long_failover(store: Store, service: str = "shop") -> None:
    """A failover event whose every text runs long: a long node name, several long reasons and
    a long account of how capacity came back, as a verdict against strict terms can give."""
    detail = _failover_detail(
        "breached",
        [
            "frontend down 45s at a stretch (at most 30s)",
            "DNS still answered with 192.0.2.11 for 180s after the node failed (at most 60s)",
            "capacity back after 1200s, by the node recovering, not by a replacement (at most "
            "600s)",
            "frontend_failures_while_routing_around_the_node_without_any_space_to_break_a_line",
        ],
        failures=9,
        down=45.25,
        dns_after=180.5,
    )
    detail["capacity_back_by"] = "node recovered after a manual restart by the provider's on-call"
    await _interval(
        store,
        IntervalKind.FAILOVER,
        "sh-1",
        f"{service}/node-eu-west-1a.internal.example.com",
        start=local(22, 23, 58),
        end=local(23, 0, 18),
        detail=detail,
    )


#: When the early month's report is made: the 3rd of October at midnight, two days in.
EARLY = local(3, 0)


async def fill_early_month(store: Store, service: str = "shop") -> None:
    """The first two days of October, of which the vantages measured only the last 12 hours (they
    started at noon on the 2nd), with one outage of 0.4 s at 18:00 on the 2nd."""
    for vantage in ("sh-1", "bj-1"):
        await _interval(store, IntervalKind.RUNNING, vantage, "*", start=local(2, 12), end=EARLY)
        await _outage(
            store,
            vantage,
            local(2, 18),
            local(2, 18) + timedelta(microseconds=400_000),
            service,
        )

"""A service's month so far, as the report would compute it now: the live SLA figures.

The same measured case as the report (:func:`monitor.case.measured.measure`: the quorum's verdict,
the exclusions in force, the gaps) and the same engine (:func:`sla.compute`, by the contract's
policy), over the contract's current local month up to ``now``. It reads intervals only, never
raw results, so it stays cheap enough to run every minute.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from sla import CreditResult, Credits, Interval, MonthCredit, UptimeResult, day_span, total

from ..config.settings import ServiceConfig, Settings
from ..durations import availability
from ..store.base import Store
from .measured import measure

__all__ = ["MonthFigures", "month_figures"]

_US = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class MonthFigures:
    """The credits of the month so far and the time behind them."""

    service: str
    currency: str
    #: The contract's local month, as a UTC interval.
    month: Interval
    credits: Credits
    #: The engine's unavailable and excluded time (gaps in under ``gap_policy: down``).
    unavailable: timedelta
    excluded: timedelta
    #: The quorum's outage time, and the part of the month so far some vantage measured.
    outage: timedelta
    measured: timedelta

    @property
    def total_credit(self) -> Decimal:
        """The credit owed so far."""
        return self.credits.total_credit

    @property
    def tier(self) -> MonthCredit | None:
        """The month under ``uptime_tiers``; None under ``per_minute``."""
        return self.credits.months[0] if isinstance(self.credits, UptimeResult) else None

    @property
    def credited_minutes(self) -> int:
        """Minutes credited (the downtime minutes under ``uptime_tiers``)."""
        if isinstance(self.credits, CreditResult):
            return sum(day.credited_minutes for day in self.credits.days)
        return self.credits.months[0].downtime_minutes

    @property
    def availability(self) -> Fraction | None:
        """Time-based availability over the measured time (the report's), or None without any."""
        return availability(self.outage, self.measured)


def _month_of(now: datetime, settings: Settings, service: ServiceConfig) -> tuple[date, date]:
    zone = settings.contracts[service.contract].to_contract().timezone
    local = now.astimezone(zone)
    last = calendar.monthrange(local.year, local.month)[1]
    return date(local.year, local.month, 1), date(local.year, local.month, last)


async def month_figures(
    store: Store, settings: Settings, service: ServiceConfig, now: datetime
) -> MonthFigures:
    """``service``'s current local month up to ``now``."""
    first, last = _month_of(now, settings, service)
    measured = await measure(store, settings, service, first=first, last=last, now=now)
    case, verdict = measured.case, measured.verdict
    credits = case.credits()
    if isinstance(credits, CreditResult):
        unavailable = sum((day.unavailable for day in credits.days), timedelta(0))
        excluded = sum((day.excluded for day in credits.days), timedelta(0))
    else:
        unavailable, excluded = credits.months[0].unavailable, credits.months[0].excluded
    zone = case.contract.timezone
    return MonthFigures(
        service=service.name,
        currency=case.contract.currency,
        month=Interval(day_span(first, zone).start, day_span(last, zone).end),
        credits=credits,
        unavailable=unavailable,
        excluded=excluded,
        outage=total(case.outages),
        measured=verdict.window.duration - total(case.gaps),
    )

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

from sla import CreditResult, Credits, Interval, MonthCredit, day_span, total

from ..config.settings import ServiceConfig, Settings
from ..durations import availability
from ..store.base import Store
from .format import Case
from .measured import measure

__all__ = ["Credited", "CreditsMemo", "MonthFigures", "month_figures"]

_US = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class Credited:
    """What the engine's credits of a month come to, for the live figures."""

    total_credit: Decimal
    #: Minutes credited (the downtime minutes under ``uptime_tiers``).
    credited_minutes: int
    #: The month under ``uptime_tiers``; None under ``per_minute``.
    tier: MonthCredit | None
    #: The engine's unavailable and excluded time (gaps in under ``gap_policy: down``).
    unavailable: timedelta
    excluded: timedelta

    @classmethod
    def of(cls, credits: Credits) -> Credited:
        """The figures of ``credits``."""
        if isinstance(credits, CreditResult):
            return cls(
                total_credit=credits.total_credit,
                credited_minutes=sum(day.credited_minutes for day in credits.days),
                tier=None,
                unavailable=sum((day.unavailable for day in credits.days), timedelta(0)),
                excluded=sum((day.excluded for day in credits.days), timedelta(0)),
            )
        month = credits.months[0]
        return cls(
            total_credit=credits.total_credit,
            credited_minutes=month.downtime_minutes,
            tier=month,
            unavailable=month.unavailable,
            excluded=month.excluded,
        )


class CreditsMemo:
    """The last case of each service and what its credits came to.

    A month's case stays the same minute after minute unless an outage, a gap or an exclusion
    came, or an outage is still going on: then the engine runs again; otherwise its last answer
    for that very case is the answer. Equal cases, equal credits: the engine is a pure function.
    """

    def __init__(self) -> None:
        self._last: dict[str, tuple[Case, Credited]] = {}

    def credited(self, service: str, case: Case) -> Credited:
        """What ``case``'s credits come to."""
        last = self._last.get(service)
        if last is not None and last[0] == case:
            return last[1]
        credited = Credited.of(case.credits())
        self._last[service] = (case, credited)
        return credited

    def forget(self, keep: set[str]) -> None:
        """Drop the services not in ``keep`` (removed by a reload)."""
        for service in self._last.keys() - keep:
            del self._last[service]


@dataclass(frozen=True, slots=True)
class MonthFigures:
    """The credits of the month so far and the time behind them."""

    service: str
    currency: str
    #: The contract's local month, as a UTC interval.
    month: Interval
    credited: Credited
    #: The quorum's outage time, and the part of the month so far some vantage measured.
    outage: timedelta
    measured: timedelta

    @property
    def total_credit(self) -> Decimal:
        """The credit owed so far."""
        return self.credited.total_credit

    @property
    def tier(self) -> MonthCredit | None:
        """The month under ``uptime_tiers``; None under ``per_minute``."""
        return self.credited.tier

    @property
    def credited_minutes(self) -> int:
        """Minutes credited (the downtime minutes under ``uptime_tiers``)."""
        return self.credited.credited_minutes

    @property
    def unavailable(self) -> timedelta:
        """The engine's unavailable time."""
        return self.credited.unavailable

    @property
    def excluded(self) -> timedelta:
        """The engine's excluded time."""
        return self.credited.excluded

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
    store: Store,
    settings: Settings,
    service: ServiceConfig,
    now: datetime,
    *,
    memo: CreditsMemo | None = None,
) -> MonthFigures:
    """``service``'s current local month up to ``now``; ``memo`` spares the engine a case it
    has answered before."""
    first, last = _month_of(now, settings, service)
    measured = await measure(store, settings, service, first=first, last=last, now=now)
    case, verdict = measured.case, measured.verdict
    credited = (memo or CreditsMemo()).credited(service.name, case)
    zone = case.contract.timezone
    return MonthFigures(
        service=service.name,
        currency=case.contract.currency,
        month=Interval(day_span(first, zone).start, day_span(last, zone).end),
        credited=credited,
        outage=total(case.outages),
        measured=verdict.window.duration - total(case.gaps),
    )

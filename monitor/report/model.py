"""The monthly credit report as plain values: everything every format shows, computed once.

Per service, the month is its contract's local calendar month. The credits are :func:`sla.compute`
(by the contract's policy) on the measured case (:func:`monitor.case.measured.measure`): the very
case ``slawatch export`` prints, so ``slawatch credits`` on it gives the same figures. Around the
credits, the evidence: each outage with the vantages that saw it, their intervals and uncertainty
bounds, the checks that failed and how; exclusions with their audit trail and whether the contract
accepted them; the provider's notices, matched to the outages they answer (C4); gaps; degraded
periods. A month not over yet is *provisional*; a month without any measurement says so.
"""

from __future__ import annotations

import calendar
import dataclasses
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from sla import (
    Contract,
    CreditPolicy,
    CreditResult,
    Credits,
    DayCredit,
    GapPolicy,
    Interval,
    IntervalSet,
    MonthCredit,
    Rounding,
    UptimeResult,
    applied_exclusion,
    day_span,
    downtime_minutes,
    intersect,
    iter_days,
    round_half_up,
    subtract,
    total,
    union,
)

from ..annotations.decisions import decide
from ..annotations.notices import NOTICE_EARLY, NOTICE_WITHIN, assign_notices, match_notices
from ..case.measured import measure
from ..config.settings import ServiceConfig, Settings
from ..config.terms import ContractTerms
from ..durations import availability
from ..evidence import ExclusionRecord, IntervalKind, IntervalRecord, NoticeRecord
from ..quorum import service_verdict
from ..store.base import Store

__all__ = [
    "DayPiece",
    "ExclusionView",
    "NoticeView",
    "OutageEvidence",
    "Report",
    "ServiceReport",
    "Sighting",
    "build_report",
]

_MINUTE = timedelta(minutes=1)
#: How far around the month outages are looked for when matching notices: a notice near the
#: month's edges may answer an outage just outside it.
_AROUND = timedelta(days=2)
#: The furthest back an outage running into the month is followed to its start.
_FURTHEST = timedelta(days=64)


@dataclass(frozen=True, slots=True)
class Sighting:
    """One vantage's own outage interval, with its uncertainty bounds."""

    vantage: str
    start: datetime
    end: datetime | None
    start_bound: datetime | None
    end_bound: datetime | None


@dataclass(frozen=True, slots=True)
class DayPiece:
    """The part of an outage within one local day, and what it earned there."""

    date: date
    unavailable: timedelta
    excluded: timedelta
    #: Minutes credited for this piece: rounded up on its own under ``per_outage``; under the
    #: other roundings the day's minutes are rounded once for the whole day (see the day table).
    minutes: int | None
    #: minutes x fee x multiplier / minutes_in_day, before the day's cap, in minor units.
    credit: Decimal | None


@dataclass(frozen=True, slots=True)
class OutageEvidence:
    """A whole-service outage as the vantages' quorum decided it, with what shows it."""

    span: Interval
    ongoing: bool
    vantages: tuple[str, ...]
    sightings: tuple[Sighting, ...]
    #: Frontend check name -> outcome -> failed probes, over the vantages that saw it.
    checks: dict[str, dict[str, int]]
    days: tuple[DayPiece, ...]
    #: The provider's first notice of it (C4), or None: never notified.
    notice: NoticeRecord | None = None
    #: The parts of it that no independent reference confirms (a single vantage, without
    #: canaries, whose every check was down): still outage and credited, said beside it.
    unconfirmed: IntervalSet = ()
    #: From the outage's start to the notice; negative when the provider was ahead of the
    #: vantages. For an outage that began before the month, from when it began.
    time_to_notice: timedelta | None = None
    #: Under ``uptime_tiers``: the downtime minutes of the month that this outage's counting
    #: stretches hold (two outages may share a clock minute, which the month counts once), and
    #: its creditable time too short to count (``min_downtime_minutes``). None otherwise.
    tier_minutes: int | None = None
    too_short: IntervalSet = ()


@dataclass(frozen=True, slots=True)
class NoticeView:
    """A provider notice of the month (or one answering an outage of the month), and the start of
    the outage it answers, if any (:func:`monitor.annotations.notices.assign_notices`)."""

    record: NoticeRecord
    outage_start: datetime | None


@dataclass(frozen=True, slots=True)
class ExclusionView:
    """A stored exclusion and what the contract made of it."""

    record: ExclusionRecord
    #: ``applied``, ``applied in part``, ``refused`` or ``revoked``.
    status: str
    explanation: str
    applied: Interval | None
    #: Unavailable time it removed from the credit.
    excluded: timedelta


@dataclass(frozen=True, slots=True)
class ServiceReport:
    """One service's month."""

    service: ServiceConfig
    terms: ContractTerms
    contract: Contract
    first: date
    last: date
    month: Interval
    #: The part of the month that has happened: from its start to the earlier of its end and now.
    window: Interval
    provisional: bool
    #: Daily credits (``per_minute``) or the month's (``uptime_tiers``), by the contract's policy.
    credits: Credits
    outages: tuple[OutageEvidence, ...]
    exclusions: tuple[ExclusionView, ...]
    notices: tuple[NoticeView, ...]
    gaps: IntervalSet
    degraded: tuple[IntervalRecord, ...]
    #: Failover events (a node down while others served), each vantage's own, judged (C4).
    failovers: tuple[IntervalRecord, ...]
    #: Each vantage's measured time on the service this month.
    vantages: dict[str, timedelta]
    measured: timedelta
    unavailable: timedelta

    @property
    def has_data(self) -> bool:
        """Whether any vantage measured the service this month."""
        return self.measured > timedelta(0)

    @property
    def elapsed(self) -> timedelta:
        """The part of the month that has happened: the whole month once it is over."""
        return self.window.duration

    @property
    def not_measured(self) -> timedelta:
        """The part of the month so far that no vantage measured: the gaps."""
        return self.elapsed - self.measured

    def unconfirmed_on(self, day: date) -> timedelta:
        """The outage time of the local ``day`` that no independent reference confirms."""
        bounds = (day_span(day, self.contract.timezone),)
        return total(intersect(bounds, [u for o in self.outages for u in o.unconfirmed]))

    def measured_on(self, day: date) -> timedelta:
        """The time of the local ``day`` that some vantage measured."""
        inside = intersect((day_span(day, self.contract.timezone),), (self.window,))
        return total(subtract(inside, self.gaps))

    @property
    def availability(self) -> Fraction | None:
        """Time-based availability over the measured time (not the month's), or None without
        any: beside it, every format says how much was measured (:attr:`measured`)."""
        return availability(self.unavailable, self.measured) if self.has_data else None

    @property
    def days(self) -> tuple[DayCredit, ...]:
        """The daily credits under ``per_minute``; none under ``uptime_tiers``."""
        return self.credits.days if isinstance(self.credits, CreditResult) else ()

    @property
    def tier(self) -> MonthCredit | None:
        """The month's uptime and tier under ``uptime_tiers``; None under ``per_minute``."""
        return self.credits.months[0] if isinstance(self.credits, UptimeResult) else None

    @property
    def total_credit(self) -> Decimal:
        """The credit owed for the month, in the contract's currency."""
        return self.credits.total_credit

    @property
    def credited_minutes(self) -> int:
        """Minutes credited over the month (the downtime minutes under ``uptime_tiers``)."""
        tier = self.tier
        if tier is not None:
            return tier.downtime_minutes
        return sum(day.credited_minutes for day in self.days)

    @property
    def outages_not_notified(self) -> int:
        """Outages the provider never notified (C4)."""
        return sum(1 for outage in self.outages if outage.notice is None)

    @property
    def days_capped(self) -> int:
        """Days whose credit was capped at the day's fee (C2)."""
        return sum(1 for day in self.days if day.capped)


@dataclass(frozen=True, slots=True)
class Report:
    """The month's report over one or more services."""

    year: int
    month: int
    generated_at: datetime
    services: tuple[ServiceReport, ...]

    @property
    def label(self) -> str:
        """``YYYY-MM``."""
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def provisional(self) -> bool:
        """Whether any service's month is still in progress."""
        return any(s.provisional for s in self.services)


async def build_report(
    store: Store,
    settings: Settings,
    year: int,
    month: int,
    *,
    now: datetime,
    services: list[ServiceConfig] | None = None,
) -> Report:
    """The report of ``year-month`` for ``services`` (default: every configured one)."""
    chosen = settings.services if services is None else services
    built = [await _service(store, settings, s, year=year, month=month, now=now) for s in chosen]
    return Report(year, month, now, tuple(built))


async def _service(
    store: Store,
    settings: Settings,
    service: ServiceConfig,
    *,
    year: int,
    month: int,
    now: datetime,
) -> ServiceReport:
    terms = settings.contracts[service.contract]
    contract = terms.to_contract()
    first = date(year, month, 1)
    last = date(year, month, calendar.monthrange(year, month)[1])
    month_span = Interval(
        day_span(first, contract.timezone).start, day_span(last, contract.timezone).end
    )
    measured = await measure(store, settings, service, first=first, last=last, now=now)
    case, verdict = measured.case, measured.verdict
    credits = case.credits()
    accepted = [
        span
        for span in (applied_exclusion(contract, e) for e in case.exclusions)
        if span is not None
    ]
    outage_records = await store.intervals(
        start=verdict.window.start,
        end=verdict.window.end,
        kinds=[
            IntervalKind.OUTAGE,
            IntervalKind.CHECK_DOWN,
            IntervalKind.DEGRADED,
            IntervalKind.FAILOVER,
        ],
    )
    days = {day.date: day for day in credits.days} if isinstance(credits, CreditResult) else {}
    month_credit = credits.months[0] if isinstance(credits, UptimeResult) else None
    outages = tuple(
        _evidence(
            span,
            window_end=verdict.window.end,
            now=now,
            service=service,
            records=outage_records,
            contract=contract,
            accepted=accepted,
            days=days,
            month_credit=month_credit,
            unconfirmed=verdict.unconfirmed,
        )
        for span in case.outages
    )
    outages, notices = await _with_notices(store, service, outages, month_span, now)
    views = {v.vantage: total(intersect(v.measured, (verdict.window,))) for v in verdict.views}
    return ServiceReport(
        service=service,
        terms=terms,
        contract=contract,
        first=first,
        last=last,
        month=month_span,
        window=verdict.window,
        provisional=now < month_span.end,
        credits=credits,
        outages=outages,
        exclusions=tuple(
            _exclusion_view(r, contract, case.outages, case.gaps) for r in measured.exclusions
        ),
        notices=notices,
        gaps=case.gaps,
        degraded=tuple(
            r
            for r in outage_records
            if r.kind is IntervalKind.DEGRADED and r.subject == service.name
        ),
        failovers=tuple(
            r
            for r in outage_records
            if r.kind is IntervalKind.FAILOVER and r.subject.startswith(f"{service.name}/")
        ),
        vantages=views,
        measured=verdict.window.duration - total(case.gaps),
        unavailable=total(case.outages),
    )


def _evidence(
    span: Interval,
    *,
    window_end: datetime,
    now: datetime,
    service: ServiceConfig,
    records: list[IntervalRecord],
    contract: Contract,
    accepted: list[Interval],
    days: dict[date, DayCredit],
    month_credit: MonthCredit | None,
    unconfirmed: IntervalSet,
) -> OutageEvidence:
    def overlaps(record: IntervalRecord) -> bool:
        end = record.end if record.end is not None else now
        return record.start < span.end and end > span.start

    sightings = tuple(
        Sighting(r.vantage, r.start, r.end, r.start_bound, r.end_bound)
        for r in records
        if r.kind is IntervalKind.OUTAGE and r.subject == service.name and overlaps(r)
    )
    frontend = {f"{service.name}/{check.name}": check.name for check in service.frontend}
    agreeing = {s.vantage for s in sightings}
    checks: dict[str, Counter[str]] = defaultdict(Counter)
    for record in records:
        if (
            record.kind is IntervalKind.CHECK_DOWN
            and record.subject in frontend
            and record.vantage in agreeing
            and overlaps(record)
        ):
            checks[frontend[record.subject]].update(record.detail.get("outcomes", {}))
    pieces = []
    for day in iter_days(
        span.start.astimezone(contract.timezone).date(),
        (span.end - timedelta(microseconds=1)).astimezone(contract.timezone).date(),
    ):
        bounds = day_span(day, contract.timezone)
        inside = intersect((span,), (bounds,))
        creditable = subtract(inside, accepted)
        minutes = credit = None
        per_outage = contract.credit_policy is CreditPolicy.PER_MINUTE and (
            contract.rounding is Rounding.PER_OUTAGE
        )
        if per_outage and day in days:
            # The engine's own rule for this outage's piece, at the day's own fee and length.
            minutes = -(-total(creditable) // _MINUTE)
            credited = days[day]
            rate = Fraction(credited.fee) * Fraction(contract.credit_multiplier)
            share = minutes * rate / credited.minutes_in_day if credited.minutes_in_day else 0
            credit = round_half_up(Fraction(share), contract.minor_units)
        pieces.append(
            DayPiece(day, total(inside), total(inside) - total(creditable), minutes, credit)
        )
    tier_minutes = None
    too_short: IntervalSet = ()
    if month_credit is not None:
        counted = intersect(month_credit.counted, (span,))
        tier_minutes = downtime_minutes(contract, counted)
        creditable = subtract(intersect((span,), (month_credit.span,)), accepted)
        too_short = subtract(creditable, counted)
    return OutageEvidence(
        span=span,
        ongoing=span.end >= window_end >= now,
        vantages=tuple(sorted(agreeing)),
        sightings=tuple(sorted(sightings, key=lambda s: (s.start, s.vantage))),
        checks={name: dict(counts) for name, counts in sorted(checks.items())},
        days=tuple(pieces),
        unconfirmed=intersect((span,), unconfirmed),
        tier_minutes=tier_minutes,
        too_short=too_short,
    )


async def _with_notices(
    store: Store,
    service: ServiceConfig,
    outages: tuple[OutageEvidence, ...],
    month: Interval,
    now: datetime,
) -> tuple[tuple[OutageEvidence, ...], tuple[NoticeView, ...]]:
    """The outages with the notice that answers each, and the notices to list.

    Matching sees the outages of the days around the month too, by the same quorum: a notice just
    after the month does not answer its last outage when a later one had started, and an outage
    across the month's edge is matched whole, from its real start. Listed are the notices given in
    the month and those that answer one of its outages.
    """
    outside = []
    # Before the month: far enough back to find where an outage running into it began (an
    # outage cut at the window's start began earlier still), up to two months.
    back = _AROUND
    while True:
        window = Interval(month.start - back, max(month.start - back, min(month.start, now)))
        before = (await service_verdict(store, service, window, now)).outage
        if window.empty or not before or before[0].start > window.start or back >= _FURTHEST:
            break
        back *= 2
    outside.append(before)
    after = Interval(month.end, max(month.end, min(month.end + _AROUND, now)))
    if not after.empty:
        outside.append((await service_verdict(store, service, after, now)).outage)
    whole = union(*outside, (o.span for o in outages))
    start = min([month.start, *(o.start for o in whole)]) - NOTICE_EARLY
    end = max([month.end, *(o.end for o in whole)]) + NOTICE_WITHIN
    records = await store.notices(service=service.name, start=start, end=end)
    answers = assign_notices(whole, records)
    first = match_notices(whole, records)
    # Each outage of the month is one piece of an outage of ``whole``.
    owner = {
        index: next(k for k, w in enumerate(whole) if w.start <= o.span.start < w.end)
        for index, o in enumerate(outages)
        if not o.span.empty
    }
    matched = []
    for index, outage in enumerate(outages):
        notice = first[owner[index]] if index in owner else None
        matched.append(
            dataclasses.replace(
                outage,
                notice=notice,
                time_to_notice=None if notice is None else notice.at - whole[owner[index]].start,
            )
        )
    ours = set(owner.values())
    views = tuple(
        NoticeView(record, None if answer is None else whole[answer].start)
        for record, answer in zip(records, answers, strict=True)
        if month.start <= record.at < month.end or answer in ours
    )
    return tuple(matched), views


def _exclusion_view(
    record: ExclusionRecord, contract: Contract, outages: IntervalSet, gaps: IntervalSet
) -> ExclusionView:
    decision = decide(record, contract)
    applied = decision.applied
    unavailable = outages if contract.gap_policy is GapPolicy.EXCLUDE else (*outages, *gaps)
    excluded = timedelta(0) if applied is None else total(intersect(unavailable, (applied,)))
    return ExclusionView(record, decision.status, decision.explanation, applied, excluded)

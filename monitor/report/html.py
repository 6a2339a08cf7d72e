"""The report as one self-contained HTML page: what a customer's finance team sends the provider.

The page must stand on its own for as long as the claim does: opened offline, from a mail
attachment or an archive, or printed to PDF. So it refers to nothing outside itself: the style is
inline, the charts are inline SVG, the fonts are the system's, and no script is needed. It shows
every day of the month (a reader checks the sum) and, beside each figure, the evidence behind it.

The page is laid out by the templates of :mod:`monitor.web` (``report.html``), with the style of
the status page and the dashboard; this module works out what they show: the figures, the rows
of each table, where each bar and segment of the charts goes. Every text that comes from data
(service, vantage and check names, notes, people) is escaped by the templates, or by
:func:`monitor.web.render.markup` where a cell mixes it with markup: a name may hold markup, and
the page must show it, not run it. Money is formatted by :func:`sla.format_money`, as in the JSON
report, so the two never disagree by a cent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Final

from markupsafe import Markup

from sla import (
    GapPolicy,
    Interval,
    MonthCredit,
    Rounding,
    day_span,
    format_money,
    format_percent,
    intersect,
    iter_days,
    plain_decimal,
    total,
)

from ..annotations.decisions import ahead_of
from ..durations import DURATION_RULE
from ..quorum import UNCONFIRMED_NOTE
from ..timefmt import format_instant
from ..web.render import duration, local, markup, render, time_tag, unbroken
from .data import SCHEMA, availability_base, availability_percent, method, tier_summary
from .model import ExclusionView, NoticeView, OutageEvidence, Report, ServiceReport

__all__ = ["render_html"]

# Fixed English names: the page must not change with the locale of the machine rendering it.
_MONTHS: Final = ("January", "February", "March", "April", "May", "June", "July", "August",
                  "September", "October", "November", "December")  # fmt: skip
_WEEKDAYS: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MINUTE: Final = timedelta(minutes=1)
_DASH: Final = Markup(" &ndash; ")

#: A cell of a table: text (escaped by the template) or markup.
Cell = str | Markup


@dataclass(frozen=True, slots=True)
class Table:
    """A table the ``table`` macro lays out: a header, rows of cells, and how to show them."""

    head: tuple[Cell, ...]
    rows: list[list[Cell]]
    #: Columns from this one on hold figures, aligned right.
    numeric_from: int = 99
    cls: str = ""
    #: Each row's class, or none.
    marks: list[str] | None = None
    foot: list[Cell] | None = None


def _head(*cells: Cell) -> tuple[Cell, ...]:
    return cells


def _time(instant: datetime, zone: tzinfo, *, since: date | None = None) -> Markup:
    return time_tag(instant, zone, since)


def _money(amount: Decimal, units: int) -> str:
    return format_money(amount, units)


def _day_label(day: date) -> str:
    return f"{_WEEKDAYS[day.weekday()]} {day.isoformat()}"


# -- the summary cards --------------------------------------------------------------------------


def _cards(s: ServiceReport) -> list[tuple[str, str, Cell]]:
    credits = s.credits
    percent = availability_percent(s)
    amount = _money(credits.total_credit, credits.minor_units)
    measured = duration(s.measured)
    tier = s.tier
    down = markup(" <small>{} down</small>", duration(s.unavailable)) if s.outages else ""
    minutes: tuple[str, str, Cell] = (
        ("", "Credited minutes", f"{s.credited_minutes}")
        if tier is None
        else (
            "",
            "Monthly uptime",
            markup(
                "{} % <small>{} downtime minutes</small>",
                format_percent(tier.uptime_percent),
                tier.downtime_minutes,
            ),
        )
    )
    return [
        ("total", "Total credit", markup("{} <small>{}</small>", amount, credits.currency)),
        minutes,
        (
            "",
            "Availability",
            "n/a"
            if percent is None
            else markup("{} % <small>of {} measured</small>", percent, measured),
        ),
        ("", "Outages", markup("{}{}", len(s.outages), down)),
        (
            "warn" if s.outages_not_notified else "",
            "Never notified (C4)",
            f"{s.outages_not_notified}",
        ),
        ("", "Days capped", f"{s.days_capped}")
        if tier is None
        else ("", "Credit percentage", f"{plain_decimal(tier.credit_percent)} %"),
        (
            "",
            "Measured time",
            markup(
                "{} <small>of {}; {} not measured</small>",
                measured,
                duration(s.elapsed),
                duration(s.not_measured),
            ),
        ),
    ]


# -- the chart of credits per day ---------------------------------------------------------------


def _nice_step(top: Decimal) -> Decimal:
    """A round axis step (1, 2, 2.5 or 5 times a power of ten) for about four intervals."""
    rough = top / 4 if top > 0 else Decimal(1)
    base = Decimal(1).scaleb(rough.adjusted())
    for factor in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5)):
        if base * factor >= rough:
            return base * factor
    return base * 10


@dataclass(frozen=True, slots=True)
class _Bar:
    """A day of the chart: its label, and its bar when it has a credit."""

    day: int
    mid: str
    weekend: bool
    credited: bool
    x: str = ""
    y: str = ""
    width: str = ""
    height: str = ""
    tip: str = ""
    amount: str = ""
    value_y: str = ""
    cap_y: str = ""
    capped: bool = False


@dataclass(frozen=True, slots=True)
class _Chart:
    width: int
    height: int
    left: int
    right: int
    bottom: int
    currency: str
    ticks: list[tuple[str, str, str]]
    bars: list[_Bar]
    empty: bool


def _chart(s: ServiceReport) -> _Chart:
    days, units, currency = s.days, s.credits.minor_units, s.credits.currency
    width, height, left, right, top, bottom = 960, 250, 64, 948, 40, 210
    highest = max((d.credit for d in days), default=Decimal(0))
    step = _nice_step(highest)
    ticks = max(1, math.ceil(highest / step))
    slot = (right - left) / max(1, len(days))
    lines = []
    for i in range(ticks + 1):
        y = bottom - (bottom - top) * i / ticks
        lines.append((f"{y:.1f}", f"{y + 4:.1f}", f"{step * i:f}"))
    bars = []
    for i, day in enumerate(days):
        x, mid = left + slot * i, left + slot * (i + 0.5)
        weekend = day.date.weekday() >= 5
        if day.credit <= 0:
            bars.append(_Bar(day.date.day, f"{mid:.1f}", weekend, credited=False))
            continue
        # A minimum height, so that a credit of a few cents beside a capped day still shows.
        bar = max(2.0, float(day.credit / (step * ticks)) * (bottom - top))
        amount = _money(day.credit, units)
        tip = f"{day.date.isoformat()}: {amount} {currency}, {day.credited_minutes} min"
        if day.capped:
            tip += ", capped at the fee of the day"
        bars.append(
            _Bar(
                day.date.day,
                f"{mid:.1f}",
                weekend,
                credited=True,
                x=f"{x + slot * 0.18:.1f}",
                y=f"{bottom - bar:.1f}",
                width=f"{slot * 0.64:.1f}",
                height=f"{bar:.1f}",
                tip=tip,
                amount=amount,
                value_y=f"{bottom - bar - 4:.1f}",
                cap_y=f"{bottom - bar - 16:.1f}",
                capped=day.capped,
            )
        )
    return _Chart(width, height, left, right, bottom, currency, lines, bars, highest == 0)


# -- the timeline of each day ---------------------------------------------------------------------

_TL_LEFT: Final = 150
_TL_PX: Final = 0.58  # per minute: 24 h is 835 px, beside 150 px of day labels
_TL_ROW: Final = 20
_TL_TOP: Final = 52
#: What a timeline row draws, bottom first: class, what it is, offset from the top, height.
_LAYERS: Final = (
    ("gap", "not measured", 0, 14),
    ("future", "not yet happened", 0, 14),
    ("degraded", "degraded", 0, 10),
    ("down", "outage", 0, 10),
    # Exclusions as a strip at the foot of the row, so an excluded outage stays visible.
    ("excl", "exclusion applied", 10, 4),
)


@dataclass(frozen=True, slots=True)
class _Segment:
    cls: str
    x: str
    y: int
    width: str
    height: int
    tip: str


@dataclass(frozen=True, slots=True)
class _Row:
    label: str
    weekend: bool
    y: int
    text_y: int
    track: str
    segments: list[_Segment]


@dataclass(frozen=True, slots=True)
class _Timeline:
    width: str
    height: int
    zone: str
    legend: list[tuple[str, str, int, int]]
    hours: list[tuple[str, bool, bool, str]]
    rows: list[_Row]


def _layers(s: ServiceReport) -> dict[str, list[Interval]]:
    """The instants each layer draws; each row shows its own day's part of them."""
    return {
        "gap": list(s.gaps),
        "future": [Interval(s.window.end, s.month.end)] if s.window.end < s.month.end else [],
        # A degraded period still open ends, for drawing, where the measurement does.
        "degraded": [Interval(r.start, max(r.start, r.end or s.window.end)) for r in s.degraded],
        "down": [o.span for o in s.outages],
        "excl": [v.applied for v in s.exclusions if v.applied is not None],
    }


def _timeline_row(layers: dict[str, list[Interval]], date_: date, row: int, zone: tzinfo) -> _Row:
    """One local day; segments are placed by the time elapsed since its start."""
    day = day_span(date_, zone)
    minutes_in_day = day.duration / _MINUTE
    y = _TL_TOP + row * _TL_ROW
    label = _day_label(date_)
    if minutes_in_day != 1440:
        label += f" ({minutes_in_day / 60:g} h)"
    segments = []
    for cls, what, top, height in _LAYERS:
        for piece in intersect(layers[cls], (day,)):
            x = _TL_LEFT + (piece.start - day.start) / _MINUTE * _TL_PX
            width = max(1.5, piece.duration / _MINUTE * _TL_PX)
            tip = f"{what}: {local(piece.start, zone)} to {local(piece.end, zone)}"
            segments.append(
                _Segment(
                    cls, f"{x:.1f}", y + top, f"{width:.1f}", height,
                    f"{tip} ({duration(piece.duration)})",
                )
            )  # fmt: skip
    return _Row(label, date_.weekday() >= 5, y, y + 11, f"{minutes_in_day * _TL_PX:.1f}", segments)


def _timeline(s: ServiceReport) -> _Timeline:
    zone = s.contract.timezone
    days = list(iter_days(s.first, s.last))
    hours = math.ceil(max((day_span(d, zone).duration / _MINUTE for d in days), default=1440) / 60)
    width = _TL_LEFT + hours * 60 * _TL_PX + 20
    height = _TL_TOP + _TL_ROW * len(days) + 8
    keys = [("down", "outage"), ("degraded", "degraded (not credited)"),
            ("gap", "gap (not measured)"), ("excl", "exclusion applied")]  # fmt: skip
    if s.provisional:
        keys.append(("future", "not yet happened"))
    legend = []
    x = _TL_LEFT
    for cls, label in keys:
        legend.append((cls, label, x, x + 19))
        x += 30 + len(label) * 6
    marks = []
    for hour in range(hours + 1):
        at = round(_TL_LEFT + hour * 60 * _TL_PX, 1)
        marks.append((f"{at}", hour % 6 == 0, hour % 3 == 0, f"{hour:02d}:00"))
    layers = _layers(s)
    rows = [_timeline_row(layers, day, row, zone) for row, day in enumerate(days)]
    return _Timeline(f"{width:.0f}", height, str(zone), legend, marks, rows)


# -- the tables ---------------------------------------------------------------------------------


def _day_table(s: ServiceReport) -> Table:
    days, units, currency = s.days, s.credits.minor_units, s.credits.currency
    rows: list[list[Cell]] = [
        [
            _day_label(d.date),
            f"{float(d.minutes_in_day):g}",
            markup('<span title="fee from {}">{}</span>', d.fee_source.value, _money(d.fee, units)),
            duration(d.unavailable),
            duration(d.excluded),
            str(d.credited_minutes),
            _money(d.credit, units),
            Markup('<span class="badge b-cap">capped</span>') if d.capped else "",
        ]
        for d in days
    ]
    foot: list[Cell] = [
        f"Total, {len(days)} days",
        "",
        _money(sum((d.fee for d in days), Decimal(0)), units),
        duration(sum((d.unavailable for d in days), timedelta(0))),
        duration(sum((d.excluded for d in days), timedelta(0))),
        str(s.credited_minutes),
        _money(s.credits.total_credit, units),
        str(s.days_capped),
    ]
    head = _head(
        "Date", "Minutes in day", f"Fee ({currency})", "Unavailable", "Excluded", "Credited min",
        f"Credit ({currency})", "Capped",
    )  # fmt: skip
    marks = ["hit" if d.unavailable else "zero" for d in days]
    return Table(head, rows, numeric_from=1, cls="days", marks=marks, foot=foot)


def _between(first: datetime | None, last: datetime, zone: tzinfo, since: date) -> Markup:
    """The window ``first`` to ``last`` the truth lies in; without a bound, just the instant."""
    if first is None:
        return _time(last, zone, since=since)
    return _time(first, zone, since=since) + _DASH + _time(last, zone, since=since)


@dataclass(frozen=True, slots=True)
class _Outage:
    number: int
    start: Markup
    end: Markup
    ongoing: bool
    length: str
    utc: str
    vantages: str
    quorum: str
    notice: Markup
    sightings: Table
    checks: Table | None
    pieces: Table
    notes: list[Markup]


def _outage(s: ServiceReport, o: OutageEvidence, number: int) -> _Outage:
    zone, units = s.contract.timezone, s.credits.minor_units
    since = o.span.start.astimezone(zone).date()
    sightings: list[list[Cell]] = [
        [
            x.vantage,
            _between(x.start_bound, x.start, zone, since),
            "still down" if x.end is None else _between(x.end_bound, x.end, zone, since),
        ]
        for x in o.sightings
    ]
    times = Markup(" &times; ")
    checks: list[list[Cell]] = [
        [
            check,
            Markup(", ").join(
                markup("{}{}{}", outcome, times, n) for outcome, n in outcomes.items()
            ),
        ]
        for check, outcomes in o.checks.items()
    ]
    mdash = Markup("&mdash;")
    pieces: list[list[Cell]] = [
        [
            p.date.isoformat(),
            duration(p.unavailable),
            duration(p.excluded),
            mdash if p.minutes is None else str(p.minutes),
            mdash if p.credit is None else _money(p.credit, units),
        ]
        for p in o.days
    ]
    notes = [
        markup(
            '<p class="note">{} is capped at its fee: its credit is {} (C2).</p>',
            d.date.isoformat(),
            _money(d.credit, units),
        )
        for d in s.days
        if d.capped and any(p.date == d.date for p in o.days)
    ]
    if o.tier_minutes is not None:
        short = total(o.too_short)
        tail = f"; {duration(short)} too short to count (min_downtime_minutes)" if short else ""
        notes.append(
            markup(
                '<p class="note">Downtime minutes toward the month\'s uptime: {}{}.</p>',
                o.tier_minutes,
                tail,
            )
        )
    elif s.contract.rounding is not Rounding.PER_OUTAGE:
        notes.append(
            markup(
                '<p class="note">Under <code>{}</code> rounding, the minutes are rounded once for '
                "the whole day: see the day table.</p>",
                s.contract.rounding.value,
            )
        )
    if o.unconfirmed:
        notes.append(
            markup(
                '<p class="note"><strong>Unconfirmed</strong> for {} of it: {} (still counted as '
                "outage).</p>",
                duration(total(o.unconfirmed)),
                UNCONFIRMED_NOTE,
            )
        )
    return _Outage(
        number=number,
        start=_time(o.span.start, zone),
        end=_time(o.span.end, zone, since=since),
        ongoing=o.ongoing,
        length=duration(o.span.duration),
        utc=f"UTC {format_instant(o.span.start)} to {format_instant(o.span.end)}",
        vantages=", ".join(o.vantages),
        quorum=str(s.service.quorum),
        notice=_notice(o, zone),
        sightings=Table(
            _head(
                "Vantage",
                Markup("Went down between: last success &ndash; first failure"),
                Markup("Came back between: last failure &ndash; recovery"),
            ),
            sightings,
        ),
        checks=Table(_head("Check", "Outcomes"), checks) if checks else None,
        pieces=Table(
            _head(
                "Day", "Unavailable", "Excluded", "Credited min", f"Credit ({s.credits.currency})"
            ),
            pieces,
            numeric_from=1,
        ),
        notes=notes,
    )


def _notice(o: OutageEvidence, zone: tzinfo) -> Markup:
    notice, delay = o.notice, o.time_to_notice
    if notice is None or delay is None:
        return Markup(
            '<span class="badge b-unnotified">not notified</span> C4 promises immediate notice '
            "of a whole-service failure; none was recorded"
        )
    when = (
        f"{duration(delay)} after its start"
        if delay >= timedelta(0)
        else f"{duration(-delay)} before its start"
    )
    return markup(
        "{} (<strong>{}</strong>): {} <small>(#{}, recorded by {})</small>",
        _time(notice.at, zone),
        when,
        notice.ref,
        notice.id,
        notice.added_by,
    )


def _notices(s: ServiceReport) -> Table | None:
    zone = s.contract.timezone

    def status(v: NoticeView) -> Cell:
        r = v.record
        if r.revoked_at is None:
            return "valid"
        return markup(
            '<span class="badge b-revoked">revoked</span> by {} at {}: {}',
            r.revoked_by or "unknown",
            _time(r.revoked_at, zone),
            r.revoke_note or "no reason given",
        )

    rows: list[list[Cell]] = [
        [
            _time(v.record.at, zone),
            v.record.ref,
            markup("{} at {}", v.record.added_by, _time(v.record.added_at, zone)),
            "none" if v.outage_start is None else _time(v.outage_start, zone),
            status(v),
        ]
        for v in s.notices
    ]
    if not rows:
        return None
    head = _head("Given", "Reference", "Added", "Answers the outage of", "Status")
    return Table(head, rows, cls="notices")


_BADGES: Final = {"applied": "b-applied", "applied in part": "b-part", "refused": "b-refused"}


@dataclass(frozen=True, slots=True)
class _Exclusion:
    cls: str
    title: str
    badge: str
    status: str
    rows: list[tuple[str, Cell]]


def _exclusion(s: ServiceReport, v: ExclusionView) -> _Exclusion:
    zone, r = s.contract.timezone, v.record
    announced: Cell = "not announced"
    if r.announced_at is not None:
        when = unbroken(ahead_of(r.start - r.announced_at))
        announced = markup("{} ({} its start)", _time(r.announced_at, zone), when)
    period = _time(r.start, zone) + Markup(" to ") + _time(r.end, zone)
    rows: list[tuple[str, Cell]] = [
        ("Period", markup("{} ({})", period, duration(r.end - r.start))),
        ("Note", r.note),
        ("Announced", announced),
        ("Added", markup("by {} at {}", r.added_by, _time(r.added_at, zone))),
        ("Decision", unbroken(v.explanation)),
    ]
    if v.applied is not None and v.applied != Interval(r.start, r.end):
        rows.append(
            (
                "Applied part",
                _time(v.applied.start, zone) + Markup(" to ") + _time(v.applied.end, zone),
            )
        )
    if r.revoked_at is not None:
        rows.append(
            (
                "Revoked",
                markup(
                    "by {} at {}: {}",
                    r.revoked_by or "unknown",
                    _time(r.revoked_at, zone),
                    r.revoke_note or "no reason given",
                ),
            )
        )
    rows.append(("Excluded time", duration(v.excluded)))
    return _Exclusion(
        cls=v.status.replace(" ", "-"),
        title=r.reason.replace("_", " ").capitalize(),
        badge=_BADGES.get(v.status, "b-revoked"),
        status=v.status,
        rows=rows,
    )


def _failovers(s: ServiceReport) -> Table | None:
    zone = s.contract.timezone
    rows: list[list[Cell]] = []
    marks = []
    for record in s.failovers:
        d = record.detail
        dns = d.get("dns") or {}
        removed = dns.get("removed_after_seconds")
        verdict = markup("{}", d.get("verdict", ""))
        for reason in d.get("reasons") or ():
            verdict += markup("<br><small>{}</small>", reason)
        since = record.start.astimezone(zone).date()
        back: Cell = "still down" if record.end is None else _time(record.end, zone, since=since)
        rows.append(
            [
                record.subject.partition("/")[2],
                record.vantage,
                _time(record.start, zone) + _DASH + markup("{}", back),
                verdict,
                str(d.get("capacity_back_by") or ""),
                str(d.get("frontend_failures", "")),
                duration(timedelta(seconds=float(d.get("frontend_outage_seconds", 0)))),
                "" if removed is None else duration(timedelta(seconds=float(removed))),
            ]
        )
        marks.append("breached" if d.get("verdict") == "breached" else "")
    if not rows:
        return None
    head = _head(
        "Node", "Vantage", Markup("Failed &ndash; capacity back"), "Verdict", "Capacity back by",
        "Frontend failures", "Frontend down", "DNS removed after",
    )  # fmt: skip
    return Table(head, rows, numeric_from=5, cls="failovers", marks=marks)


def _quorum(rule: object) -> str:
    words = {
        "majority": "more than half of the vantages with data",
        "all": "every vantage with data",
        "any": "any one vantage with data",
    }
    return words.get(
        str(rule), f"at least {rule} vantages with data (all of them, when fewer have data)"
    )


@dataclass(frozen=True, slots=True)
class _Service:
    """One service's section of the page, ready to lay out."""

    index: int
    uid: str
    s: ServiceReport
    zone: str
    month: str
    provisional_end: Markup | None
    cards: list[tuple[str, str, Cell]]
    availability: str | None
    base: str
    tier: list[tuple[str, str]] | None
    tiers: Table | None
    chart: _Chart | None
    days: Table | None
    fee_sources: str
    timeline: _Timeline
    outages: list[_Outage]
    exclusions: list[_Exclusion]
    notices: Table | None
    gap_policy: str
    gap_words: str
    gaps: Table | None
    vantages: Table | None
    degraded: Table | None
    failovers: Table | None
    terms: Table
    quorum_words: str
    rules: tuple[str, ...]
    clauses: Table


def _tiers(s: ServiceReport, month: MonthCredit) -> tuple[list[tuple[str, str]], Table]:
    """An ``uptime_tiers`` month: uptime, the tier applied, the credit, the next tier."""
    pairs = tier_summary(month, s.credits.minor_units, s.credits.currency)
    rows: list[list[Cell]] = [
        [
            f"below {plain_decimal(t.below)} %",
            f"{plain_decimal(t.percent)} %",
            "applied" if t == month.tier else ("next" if t == month.next_tier else ""),
        ]
        for t in sorted(s.contract.tiers, key=lambda t: (-t.below, t.percent))
    ]
    return pairs, Table(_head("Uptime", "Credit", ""), rows, numeric_from=1)


def _service(s: ServiceReport, report: Report, index: int) -> _Service:
    zone = s.contract.timezone
    tier = s.tier
    pairs, tiers = _tiers(s, tier) if tier is not None else (None, None)
    if s.contract.gap_policy is GapPolicy.DOWN:
        policy = "a gap counts as unavailable time and is credited like an outage"
    else:
        policy = "a gap counts neither as up nor as down: it earns no credit, and is shown here"
    gaps: list[list[Cell]] = [
        [_time(g.start, zone), _time(g.end, zone), duration(g.duration)] for g in s.gaps
    ]
    degraded: list[list[Cell]] = [
        [
            r.vantage,
            ", ".join(str(c) for c in r.detail.get("checks_down", [])),
            _time(r.start, zone),
            "still degraded" if r.end is None else _time(r.end, zone),
            "" if r.end is None else duration(r.end - r.start),
        ]
        for r in s.degraded
    ]
    vantages: list[list[Cell]] = [[name, duration(t)] for name, t in sorted(s.vantages.items())]
    terms: list[list[Cell]] = [
        [markup("<code>{}</code>", k), "null" if v is None else str(v)]
        for k, v in s.terms.to_json().items()
    ]
    rules, fields = method(s)
    clauses: list[list[Cell]] = [[markup("<code>{}</code>", k), v] for k, v in fields.items()]
    return _Service(
        index=index,
        uid=f"s{index}",
        s=s,
        zone=str(zone),
        month=f"{_MONTHS[report.month - 1]} {report.year}",
        provisional_end=_time(s.window.end, zone) if s.provisional else None,
        cards=_cards(s),
        availability=availability_percent(s),
        base=unbroken(availability_base(s)),
        tier=pairs,
        tiers=tiers,
        chart=_chart(s) if tier is None else None,
        days=_day_table(s) if tier is None else None,
        fee_sources=", ".join(sorted({d.fee_source.value for d in s.days})),
        timeline=_timeline(s),
        outages=[_outage(s, o, n) for n, o in enumerate(s.outages, 1)],
        exclusions=[_exclusion(s, v) for v in s.exclusions],
        notices=_notices(s),
        gap_policy=s.contract.gap_policy.value,
        gap_words=policy,
        gaps=Table(_head("From", "To", "Duration"), gaps, numeric_from=2, cls="narrow")
        if gaps
        else None,
        vantages=Table(_head("Vantage", "Measured"), vantages, numeric_from=1, cls="narrow")
        if vantages
        else None,
        degraded=Table(
            _head("Vantage", "Checks down", "From", "To", "Duration"), degraded, numeric_from=4
        )
        if degraded
        else None,
        failovers=_failovers(s),
        terms=Table(_head("Term", "Value"), terms, cls="terms"),
        quorum_words=_quorum(s.service.quorum),
        rules=rules,
        clauses=Table(_head("Field", "Clause"), clauses, cls="terms"),
    )


def _contents(report: Report) -> Table | None:
    """With several services, a list of them and their totals, linking within the page."""
    if len(report.services) < 2:
        return None
    rows: list[list[Cell]] = [
        [
            markup('<a href="#service-{}">{}</a>', i, s.service.name),
            s.service.contract,
            "provisional" if s.provisional else "final",
            f"{_money(s.credits.total_credit, s.credits.minor_units)} {s.credits.currency}",
        ]
        for i, s in enumerate(report.services, 1)
    ]
    return Table(_head("Service", "Contract", "Month", "Total credit"), rows, numeric_from=3)


def render_html(report: Report) -> str:
    """The whole report as one HTML5 page, with no reference to anything outside it."""
    return render(
        "report.html",
        report=report,
        month=f"{_MONTHS[report.month - 1]} {report.year}",
        state=" (provisional)" if report.provisional else "",
        names=", ".join(s.service.name for s in report.services),
        generated=format_instant(report.generated_at),
        contents=_contents(report),
        services=[_service(s, report, i) for i, s in enumerate(report.services, 1)],
        schema=SCHEMA,
        duration_rule=DURATION_RULE,
        refresh=0,
        live=False,
    )

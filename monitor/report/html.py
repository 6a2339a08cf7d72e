"""The report as one self-contained HTML page: what a customer's finance team sends the provider.

The page must stand on its own for as long as the claim does: opened offline, from a mail
attachment or an archive, or printed to PDF. So it refers to nothing outside itself: the style is
inline, the charts are inline SVG, the fonts are the system's, and no script is needed. It shows
every day of the month (a reader checks the sum) and, beside each figure, the evidence behind it.

Every text that comes from data (service, vantage and check names, notes, people) is escaped: a
name may hold markup, and the page must show it, not run it. Money is formatted by
:func:`sla.format_money`, as in the JSON report, so the two never disagree by a cent.
"""

from __future__ import annotations

import html
import math
import re
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Final

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
from ..durations import DURATION_RULE, format_duration
from ..quorum import UNCONFIRMED_NOTE
from ..timefmt import format_instant
from .data import SCHEMA, availability_base, availability_percent, method, tier_summary
from .model import ExclusionView, NoticeView, OutageEvidence, Report, ServiceReport

__all__ = ["render_html"]

# Fixed English names: the page must not change with the locale of the machine rendering it.
_MONTHS: Final = ("January", "February", "March", "April", "May", "June", "July", "August",
                  "September", "October", "November", "December")  # fmt: skip
_WEEKDAYS: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MINUTE: Final = timedelta(minutes=1)
_DASH: Final = " &ndash; "
_FIGURE_UNIT: Final = re.compile(r"(\d) (?=(?:d|h|min|s)\b)")

_CSS: Final = """
:root{--ink:#1d2330;--muted:#5d6675;--faint:#8a93a3;--line:#dde1e8;--bg:#f3f4f7;--accent:#27408b;
--down:#c62828;--degraded:#e89a0c;--gap:#8f96a3;--excl:#2f6fdb;--cap:#8e1b1b}
*{box-sizing:border-box}
html{background:var(--bg);color:var(--ink);-webkit-print-color-adjust:exact;print-color-adjust:exact}
body{margin:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",Arial,sans-serif}
main{max-width:1080px;margin:0 auto;padding:28px 24px 40px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:22px;margin:0}h4{font-size:14px;margin:0}
h3{font-size:16px;margin:30px 0 10px;padding-bottom:4px;border-bottom:1px solid var(--line)}
h5{margin:14px 0 4px;font-size:11.5px;text-transform:uppercase;letter-spacing:.05em}
p{margin:6px 0}h5,.sub,.note,small,.utc,figcaption{color:var(--muted)}
.note,figcaption{font-size:12.5px}.utc{font-size:11.5px}figure{margin:0}
.doc-head,.svc-head,.o-head{display:flex;justify-content:space-between;gap:16px;align-items:baseline}
.doc-head{margin-bottom:18px}.meta,.period{text-align:right;font-size:12.5px;color:var(--muted)}
.service{background:#fff;border:1px solid var(--line);border-radius:10px;padding:26px 30px;
margin-bottom:28px;box-shadow:0 1px 3px rgba(20,30,50,.06)}
.banner{margin:14px 0 0;padding:10px 14px;border-radius:6px;border:1px solid;font-size:13.5px}
.provisional{background:#fff7e6;border-color:#f0b849;color:#6b4a00}
.nodata{background:#f1f3f6;border-color:#b9c0cc;color:#39404d}
.cards{display:grid;grid-template-columns:repeat(4,1fr);gap:10px;margin-top:18px}
.card{border:1px solid var(--line);border-radius:8px;padding:10px 12px}
.card dt{font-size:11.5px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted)}
.card dd{margin:2px 0 0;font-size:19px;font-weight:600;font-variant-numeric:tabular-nums}
.card.total{grid-column:span 2;background:#f4f6fc;border-color:#c9d2ea}
.card.total dd{font-size:30px;color:var(--accent)}.card dd small{font-size:12.5px;font-weight:400}
.card.warn dd{color:var(--cap)}
table{border-collapse:collapse;width:100%;font-size:13px;font-variant-numeric:tabular-nums}
th,td{padding:4px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{font-size:11.5px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);
font-weight:600;border-bottom:1.5px solid #b9c0cc}
.n{text-align:right}td.n{white-space:nowrap}tr.zero td{color:var(--faint)}
tr.hit td{background:#fbfbfd}tr.breached td{background:#fdf3f3}
tfoot td{font-weight:700;border-top:2px solid var(--ink);border-bottom:none}
table.narrow{width:auto;min-width:45%}
table.failovers{table-layout:fixed}
table.failovers td,.failovers time{white-space:normal;overflow-wrap:anywhere}
.failovers th:nth-child(1),.failovers th:nth-child(5){width:13%}
.failovers th:nth-child(2){width:8%}.failovers th:nth-child(3){width:17%}
.failovers th:nth-child(4){width:22%}.failovers th:nth-child(n+6){width:9%}
time,td:first-child{white-space:nowrap}
.badge{display:inline-block;padding:0 7px;border-radius:9px;font-size:11.5px;font-weight:600;
border:1px solid;white-space:nowrap;line-height:18px}
.b-cap,.b-refused,.b-ongoing,.b-unnotified{color:var(--cap);border-color:#e3a3a3;background:#fdf1f1}
.b-applied{color:#1d5a2c;border-color:#9fd0ab;background:#eff9f1}
.b-part{color:#6b4a00;border-color:#f0b849;background:#fff7e6}
.b-revoked{color:#4b5261;border-color:#b9c0cc;background:#f1f3f6}
svg{display:block;width:100%;height:auto}
svg text{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;font-size:11px;
fill:var(--muted)}
svg .grid{stroke:#e6e9ef}svg .major{stroke:#cfd4dd}svg .axis{stroke:var(--faint)}
svg .bar{fill:var(--accent)}svg .capped{fill:var(--cap)}svg .value{fill:var(--ink);font-size:9.5px}
svg .cap-label{fill:var(--cap);font-weight:700;font-size:10px}svg .weekend{font-weight:600}
svg .track{fill:#eef0f4}svg .down{fill:var(--down)}svg .degraded{fill:var(--degraded)}
svg .excl{fill:var(--excl)}svg .future{fill:#fff;stroke:#c9ced6;stroke-dasharray:2 2}
svg .key{stroke:#b9c0cc;stroke-width:.5}
.outage,.exclusion{border:1px solid var(--line);border-left:4px solid var(--down);border-radius:6px;
padding:12px 16px;margin:12px 0}
.exclusion{border-left-color:var(--excl);margin:0}.refused,.revoked{border-left-color:var(--gap)}
.ex-grid,.cols{display:grid;grid-template-columns:1fr 1fr;gap:12px 24px}.cols{margin-top:8px}
dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:3px 14px;margin:8px 0 0;font-size:13px}
dl.kv dt{color:var(--muted)}dl.kv dd{margin:0}ol li{margin:3px 0}nav{margin-bottom:20px}
code{font:12px ui-monospace,Menlo,Consolas,monospace;background:#f1f3f6;padding:0 3px}
footer{color:var(--muted);font-size:12px;border-top:1px solid var(--line);padding-top:10px}
@media (max-width:760px){.cards{grid-template-columns:1fr 1fr}.cols,.ex-grid{display:block}}
@page{size:A4;margin:14mm 12mm}
@media print{html,body{background:#fff}body{font-size:11.5px}main{max-width:none;padding:0}
.service{border:none;box-shadow:none;padding:0;margin:0;break-before:page}
.service:first-of-type{break-before:auto}
h3,h5{break-after:avoid}tr,figure,.outage,.exclusion,.cards,.banner{break-inside:avoid}
thead{display:table-header-group}tfoot{display:table-row-group}
.cards{grid-template-columns:repeat(4,1fr)}.card.total{background:#fff}.exclusion{margin:0 0 12px}}
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _money(amount: Decimal, units: int) -> str:
    return format_money(amount, units)


def _local(instant: datetime, zone: tzinfo) -> str:
    return instant.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")


def _time(instant: datetime, zone: tzinfo, *, since: date | None = None) -> str:
    """A local instant with its UTC form as tooltip; just the clock when it falls on ``since``."""
    local = instant.astimezone(zone)
    text = local.strftime("%H:%M:%S") if local.date() == since else _local(instant, zone)
    utc = format_instant(instant)
    return f'<time datetime="{utc}" title="{utc}">{text}</time>'


def _duration(delta: timedelta, *, round_up: bool = True) -> str:
    """:func:`monitor.durations.format_duration`, each figure kept on a line with its unit."""
    return _unbroken(format_duration(delta, round_up=round_up))


def _unbroken(text: str) -> str:
    """``3 d`` kept together in running text: a line may break between units, never inside."""
    return _FIGURE_UNIT.sub("\\1\N{NO-BREAK SPACE}", text)


def _day_label(day: date) -> str:
    return f"{_WEEKDAYS[day.weekday()]} {day.isoformat()}"


def _table(
    head: str,
    rows: list[list[str]],
    *,
    numeric_from: int = 99,
    cls: str = "",
    marks: list[str] | None = None,
    foot: list[str] | None = None,
) -> str:
    """A table of cells already in HTML. ``head`` is ``|``-separated; columns from
    ``numeric_from`` on hold figures, aligned right; ``marks`` are the rows' classes."""

    def line(tag: str, cells: list[str], mark: str = "") -> str:
        row = "".join(
            f'<{tag} class="n">{c}</{tag}>' if i >= numeric_from else f"<{tag}>{c}</{tag}>"
            for i, c in enumerate(cells)
        )
        return f'<tr class="{mark}">{row}</tr>' if mark else f"<tr>{row}</tr>"

    body = "".join(map(line, ["td"] * len(rows), rows, marks or [""] * len(rows)))
    tfoot = f"<tfoot>{line('td', foot)}</tfoot>" if foot else ""
    return (
        f'<table class="{cls}"><thead>{line("th", head.split("|"))}</thead>'
        f"<tbody>{body}</tbody>{tfoot}</table>"
    )


def _header(s: ServiceReport, report: Report) -> str:
    zone = s.contract.timezone
    banners = ""
    if s.provisional:
        banners += (
            '<p class="banner provisional"><strong>Provisional.</strong> The month is still in '
            f"progress: figures run to {_time(s.window.end, zone)} and will change.</p>"
        )
    if not s.has_data:
        banners += (
            '<p class="banner nodata"><strong>No data.</strong> No vantage measured this service '
            "in this month, so there is no measured downtime to credit.</p>"
        )
    return (
        f'<div class="svc-head"><div><h2>{_e(s.service.name)}</h2>'
        f'<p class="sub">Contract <strong>{_e(s.service.contract)}</strong> &middot; '
        f"{_MONTHS[report.month - 1]} {report.year}</p></div>"
        f'<div class="period">{s.first.isoformat()} to {s.last.isoformat()}<br>'
        f"local days in <strong>{_e(zone)}</strong></div></div>{banners}"
    )


def _summary(s: ServiceReport) -> str:
    credits = s.credits
    percent = availability_percent(s)
    amount = _money(credits.total_credit, credits.minor_units)
    down = f" <small>{_duration(s.unavailable)} down</small>" if s.outages else ""
    measured = _duration(s.measured)
    tier = s.tier
    minutes = (
        ("", "Credited minutes", f"{s.credited_minutes}")
        if tier is None
        else (
            "",
            "Monthly uptime",
            f"{format_percent(tier.uptime_percent)} % <small>{tier.downtime_minutes} downtime "
            "minutes</small>",
        )
    )
    cards = [
        ("total", "Total credit", f"{amount} <small>{_e(credits.currency)}</small>"),
        minutes,
        (
            "",
            "Availability",
            "n/a" if percent is None else f"{percent} % <small>of {measured} measured</small>",
        ),
        ("", "Outages", f"{len(s.outages)}{down}"),
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
            f"{measured} <small>of {_duration(s.elapsed)}; {_duration(s.not_measured)} not "
            "measured</small>",
        ),
    ]
    items = "".join(
        f'<div class="card {cls}"><dt>{label}</dt><dd>{value}</dd></div>'
        for cls, label, value in cards
    )
    base = (
        f'<p class="note">No availability: {_unbroken(_e(availability_base(s)))}.</p>'
        if percent is None
        else f'<p class="note">Availability {percent} % is '
        f"{_unbroken(_e(availability_base(s)))}: time no vantage measured is left out of it.</p>"
    )
    if s.outages:
        base += (
            f'<p class="note">Outages never notified: {s.outages_not_notified} of '
            f"{len(s.outages)} (C4: immediate notice of a whole-service failure).</p>"
        )
    return f'<dl class="cards">{items}</dl>{base}'


def _nice_step(top: Decimal) -> Decimal:
    """A round axis step (1, 2, 2.5 or 5 times a power of ten) for about four intervals."""
    rough = top / 4 if top > 0 else Decimal(1)
    base = Decimal(1).scaleb(rough.adjusted())
    for factor in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5)):
        if base * factor >= rough:
            return base * factor
    return base * 10


def _chart(s: ServiceReport, uid: str) -> str:
    days, units, currency = s.days, s.credits.minor_units, _e(s.credits.currency)
    width, height, left, right, top, bottom = 960, 250, 64, 948, 40, 210
    highest = max((d.credit for d in days), default=Decimal(0))
    step = _nice_step(highest)
    ticks = max(1, math.ceil(highest / step))
    slot = (right - left) / max(1, len(days))
    parts = []
    for i in range(ticks + 1):
        y = bottom - (bottom - top) * i / ticks
        parts.append(
            f'<line class="grid" x1="{left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end">{step * i:f}</text>'
        )
    for i, day in enumerate(days):
        x, mid = left + slot * i, left + slot * (i + 0.5)
        weekend = ' class="weekend"' if day.date.weekday() >= 5 else ""
        parts.append(
            f'<text x="{mid:.1f}" y="{bottom + 16}" text-anchor="middle"{weekend}>'
            f"{day.date.day}</text>"
        )
        if day.credit <= 0:
            continue
        # A minimum height, so that a credit of a few cents beside a capped day still shows.
        bar = max(2.0, float(day.credit / (step * ticks)) * (bottom - top))
        amount = _money(day.credit, units)
        tip = f"{day.date.isoformat()}: {amount} {currency}, {day.credited_minutes} min"
        capped = " capped" if day.capped else ""
        parts.append(
            f'<rect class="bar{capped}" x="{x + slot * 0.18:.1f}" y="{bottom - bar:.1f}" '
            f'width="{slot * 0.64:.1f}" height="{bar:.1f}" rx="1.5"><title>{tip}'
            f"{', capped at the fee of the day' if capped else ''}</title></rect>"
            f'<text class="value" x="{mid:.1f}" y="{bottom - bar - 4:.1f}" '
            f'text-anchor="middle">{amount}</text>'
        )
        if day.capped:
            parts.append(
                f'<text class="cap-label" x="{mid:.1f}" y="{bottom - bar - 16:.1f}" '
                'text-anchor="middle">CAP</text>'
            )
    if highest == 0:
        parts.append(
            f'<text x="{(left + right) / 2}" y="{bottom - 40}" text-anchor="middle">'
            "no credit this month</text>"
        )
    return (
        f'<figure><svg viewBox="0 0 {width} {height}" role="img" aria-labelledby="{uid}-ct">'
        f'<title id="{uid}-ct">Credit per day in {currency}; capped days in dark red, marked '
        f'CAP</title><text x="{left}" y="14">credit per day ({currency})</text>{"".join(parts)}'
        f'<line class="axis" x1="{left}" x2="{right}" y1="{bottom}" y2="{bottom}"/>'
        f'<text x="{right}" y="{height - 4}" text-anchor="end">day of the month (weekends in '
        "bold)</text></svg><figcaption>One bar per local day with its credit; a dark red bar "
        "marked CAP reached the fee of the day (C2).</figcaption></figure>"
    )


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


def _timeline_row(
    layers: dict[str, list[Interval]], date_: date, row: int, zone: tzinfo, uid: str
) -> str:
    """One local day; segments are placed by the time elapsed since its start."""
    day = day_span(date_, zone)
    minutes_in_day = day.duration / _MINUTE
    y = _TL_TOP + row * _TL_ROW
    label = _day_label(date_)
    if minutes_in_day != 1440:
        label += f" ({minutes_in_day / 60:g} h)"
    weekend = ' class="weekend"' if date_.weekday() >= 5 else ""
    out = [
        f'<text x="{_TL_LEFT - 8}" y="{y + 11}" text-anchor="end"{weekend}>{label}</text>'
        f'<rect class="track" x="{_TL_LEFT}" y="{y}" height="14" '
        f'width="{minutes_in_day * _TL_PX:.1f}"/>'
    ]
    for cls, what, top, height in _LAYERS:
        fill = f' fill="url(#{uid}-h)"' if cls == "gap" else ""
        for piece in intersect(layers[cls], (day,)):
            x = _TL_LEFT + (piece.start - day.start) / _MINUTE * _TL_PX
            width = max(1.5, piece.duration / _MINUTE * _TL_PX)
            tip = f"{what}: {_local(piece.start, zone)} to {_local(piece.end, zone)}"
            out.append(
                f'<rect class="{cls}"{fill} x="{x:.1f}" y="{y + top}" width="{width:.1f}" '
                f'height="{height}"><title>{tip} ({_duration(piece.duration)})</title></rect>'
            )
    return "".join(out)


def _timeline(s: ServiceReport, uid: str) -> str:
    zone = s.contract.timezone
    days = list(iter_days(s.first, s.last))
    hours = math.ceil(max((day_span(d, zone).duration / _MINUTE for d in days), default=1440) / 60)
    width = _TL_LEFT + hours * 60 * _TL_PX + 20
    height = _TL_TOP + _TL_ROW * len(days) + 8
    legend = [("down", "outage"), ("degraded", "degraded (not credited)"),
              ("gap", "gap (not measured)"), ("excl", "exclusion applied")]  # fmt: skip
    if s.provisional:
        legend.append(("future", "not yet happened"))
    parts = [
        f'<defs><pattern id="{uid}-h" width="5" height="5" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="5" height="5" fill="#e3e6eb"/>'
        '<line x1="0" y1="0" x2="0" y2="5" stroke="#8f96a3" stroke-width="2"/></pattern></defs>'
    ]
    x = _TL_LEFT
    for cls, label in legend:
        fill = f' fill="url(#{uid}-h)"' if cls == "gap" else ""
        parts.append(
            f'<rect class="{cls} key"{fill} x="{x}" y="4" width="14" height="10"/>'
            f'<text x="{x + 19}" y="13">{label}</text>'
        )
        x += 30 + len(label) * 6
    for hour in range(hours + 1):
        at = round(_TL_LEFT + hour * 60 * _TL_PX, 1)
        major = " major" if hour % 6 == 0 else ""
        parts.append(f'<line class="grid{major}" x1="{at}" x2="{at}" y1="46" y2="{height - 6}"/>')
        if hour % 3 == 0:
            parts.append(f'<text x="{at}" y="42" text-anchor="middle">{hour:02d}:00</text>')
    layers = _layers(s)
    parts += [_timeline_row(layers, day, row, zone, uid) for row, day in enumerate(days)]
    return (
        f'<figure><svg viewBox="0 0 {width:.0f} {height}" role="img" aria-labelledby="{uid}-tt">'
        f'<title id="{uid}-tt">Each local day in {_e(zone)}: outages, degraded periods, gaps and '
        f"applied exclusions</title>{''.join(parts)}</svg>"
        f"<figcaption>One row per local day in {_e(zone)}, from 00:00 to 24:00; the blue strip "
        "at the foot of a row is an applied exclusion. Positions are the time elapsed since local "
        "midnight, so on a 23 h or 25 h day (marked) the hours after the clock change are "
        "shifted by one. Hover a segment for its times.</figcaption></figure>"
    )


def _day_table(s: ServiceReport) -> str:
    days, units, currency = s.days, s.credits.minor_units, _e(s.credits.currency)
    rows = [
        [
            _day_label(d.date),
            f"{float(d.minutes_in_day):g}",
            f'<span title="fee from {_e(d.fee_source.value)}">{_money(d.fee, units)}</span>',
            _duration(d.unavailable),
            _duration(d.excluded),
            str(d.credited_minutes),
            _money(d.credit, units),
            '<span class="badge b-cap">capped</span>' if d.capped else "",
        ]
        for d in days
    ]
    foot = [
        f"Total, {len(days)} days",
        "",
        _money(sum((d.fee for d in days), Decimal(0)), units),
        _duration(sum((d.unavailable for d in days), timedelta(0))),
        _duration(sum((d.excluded for d in days), timedelta(0))),
        str(s.credited_minutes),
        _money(s.credits.total_credit, units),
        str(s.days_capped),
    ]
    head = (
        f"Date|Minutes in day|Fee ({currency})|Unavailable|Excluded|Credited min|"
        f"Credit ({currency})|Capped"
    )
    marks = ["hit" if d.unavailable else "zero" for d in days]
    sources = ", ".join(sorted({d.fee_source.value for d in days}))
    return (
        _table(head, rows, numeric_from=1, cls="days", marks=marks, foot=foot)
        + f'<p class="note">Every local day of the month. Fees from: {_e(sources)}. Each day is '
        "capped at its own fee and nothing carries into the next day (C1, C2). "
        f"{DURATION_RULE}</p>"
    )


def _between(first: datetime | None, last: datetime, zone: tzinfo, since: date) -> str:
    """The window ``first`` to ``last`` the truth lies in; without a bound, just the instant."""
    if first is None:
        return _time(last, zone, since=since)
    return _time(first, zone, since=since) + _DASH + _time(last, zone, since=since)


def _outage(s: ServiceReport, o: OutageEvidence, number: int) -> str:
    zone, units = s.contract.timezone, s.credits.minor_units
    since = o.span.start.astimezone(zone).date()
    sightings = [
        [
            _e(x.vantage),
            _between(x.start_bound, x.start, zone, since),
            "still down" if x.end is None else _between(x.end_bound, x.end, zone, since),
        ]
        for x in o.sightings
    ]
    checks = [
        [_e(check), ", ".join(f"{_e(outcome)} &times; {n}" for outcome, n in outcomes.items())]
        for check, outcomes in o.checks.items()
    ]
    pieces = [
        [
            p.date.isoformat(),
            _duration(p.unavailable),
            _duration(p.excluded),
            "&mdash;" if p.minutes is None else str(p.minutes),
            "&mdash;" if p.credit is None else _money(p.credit, units),
        ]
        for p in o.days
    ]
    notes = "".join(
        f'<p class="note">{d.date.isoformat()} is capped at its fee: its credit is '
        f"{_money(d.credit, units)} (C2).</p>"
        for d in s.days
        if d.capped and any(p.date == d.date for p in o.days)
    )
    if o.tier_minutes is not None:
        short = total(o.too_short)
        notes += (
            f'<p class="note">Downtime minutes toward the month\'s uptime: {o.tier_minutes}'
            + (f"; {_duration(short)} too short to count (min_downtime_minutes)" if short else "")
            + ".</p>"
        )
    elif s.contract.rounding is not Rounding.PER_OUTAGE:
        notes += (
            f'<p class="note">Under <code>{_e(s.contract.rounding.value)}</code> rounding, the '
            "minutes are rounded once for the whole day: see the day table.</p>"
        )
    if o.unconfirmed:
        notes += (
            f'<p class="note"><strong>Unconfirmed</strong> for {_duration(total(o.unconfirmed))}'
            f" of it: {_e(UNCONFIRMED_NOTE)} (still counted as outage).</p>"
        )
    ongoing = ' <span class="badge b-ongoing">ongoing</span>' if o.ongoing else ""
    return (
        f'<article class="outage"><div class="o-head"><h4>Outage {number}: '
        f"{_time(o.span.start, zone)} to {_time(o.span.end, zone, since=since)}{ongoing}</h4>"
        f"<strong>{_duration(o.span.duration)}</strong></div>"
        f'<div class="utc">UTC {format_instant(o.span.start)} to {format_instant(o.span.end)}'
        f'</div><dl class="kv"><dt>Vantages that agreed</dt><dd>{_e(", ".join(o.vantages))} '
        f"(quorum <code>{_e(s.service.quorum)}</code>)</dd>"
        f"<dt>Provider notice</dt><dd>{_notice(o, zone)}</dd></dl>"
        "<h5>Each vantage's own interval (times on the first day unless dated)</h5>"
        + _table(
            "Vantage|Went down between: last success &ndash; first failure"
            "|Came back between: last failure &ndash; recovery",
            sightings,
        )
        + '<div class="cols"><div><h5>Frontend checks that failed: failed probes</h5>'
        + (_table("Check|Outcomes", checks) if checks else "<p>None recorded.</p>")
        + "</div><div><h5>Per day: credit before the day's cap</h5>"
        + _table(
            f"Day|Unavailable|Excluded|Credited min|Credit ({_e(s.credits.currency)})",
            pieces,
            numeric_from=1,
        )
        + f"{notes}</div></div></article>"
    )


def _notice(o: OutageEvidence, zone: tzinfo) -> str:
    notice, delay = o.notice, o.time_to_notice
    if notice is None or delay is None:
        return (
            '<span class="badge b-unnotified">not notified</span> C4 promises immediate notice '
            "of a whole-service failure; none was recorded"
        )
    when = (
        f"{_duration(delay)} after its start"
        if delay >= timedelta(0)
        else f"{_duration(-delay)} before its start"
    )
    return (
        f"{_time(notice.at, zone)} (<strong>{when}</strong>): {_e(notice.ref)} "
        f"<small>(#{notice.id}, recorded by {_e(notice.added_by)})</small>"
    )


def _notices(s: ServiceReport) -> str:
    zone = s.contract.timezone

    def status(v: NoticeView) -> str:
        r = v.record
        if r.revoked_at is None:
            return "valid"
        who, why = _e(r.revoked_by or "unknown"), _e(r.revoke_note or "no reason given")
        return (
            f'<span class="badge b-revoked">revoked</span> by {who} at '
            f"{_time(r.revoked_at, zone)}: {why}"
        )

    rows = [
        [
            _time(v.record.at, zone),
            _e(v.record.ref),
            f"{_e(v.record.added_by)} at {_time(v.record.added_at, zone)}",
            "none" if v.outage_start is None else _time(v.outage_start, zone),
            status(v),
        ]
        for v in s.notices
    ]
    if not rows:
        return "<p>No notice from the provider was recorded.</p>"
    return _table("Given|Reference|Added|Answers the outage of|Status", rows, cls="notices") + (
        '<p class="note">A notice answers the latest outage that started before it (allowing '
        "15 minutes for the provider's clocks), if it came within 24 h of that outage's end. "
        "Notices change no credit.</p>"
    )


_BADGES: Final = {"applied": "b-applied", "applied in part": "b-part", "refused": "b-refused"}


def _exclusion(s: ServiceReport, v: ExclusionView) -> str:
    zone, r = s.contract.timezone, v.record
    announced = "not announced"
    if r.announced_at is not None:
        when = _unbroken(ahead_of(r.start - r.announced_at))
        announced = f"{_time(r.announced_at, zone)} ({when} its start)"
    period = f"{_time(r.start, zone)} to {_time(r.end, zone)}"
    rows = [
        ("Period", f"{period} ({_duration(r.end - r.start)})"),
        ("Note", _e(r.note)),
        ("Announced", announced),
        ("Added", f"by {_e(r.added_by)} at {_time(r.added_at, zone)}"),
        ("Decision", _unbroken(_e(v.explanation))),
    ]
    if v.applied is not None and v.applied != Interval(r.start, r.end):
        rows.append(
            ("Applied part", f"{_time(v.applied.start, zone)} to {_time(v.applied.end, zone)}")
        )
    if r.revoked_at is not None:
        who = _e(r.revoked_by or "unknown")
        why = _e(r.revoke_note or "no reason given")
        rows.append(("Revoked", f"by {who} at {_time(r.revoked_at, zone)}: {why}"))
    rows.append(("Excluded time", _duration(v.excluded)))
    items = "".join(f"<dt>{k}</dt><dd>{value}</dd>" for k, value in rows)
    return (
        f'<article class="exclusion {_e(v.status.replace(" ", "-"))}"><div class="o-head"><h4>'
        f"{_e(r.reason.replace('_', ' ').capitalize())}</h4>"
        f'<span class="badge {_BADGES.get(v.status, "b-revoked")}">{_e(v.status)}</span></div>'
        f'<dl class="kv">{items}</dl></article>'
    )


def _periods(s: ServiceReport) -> str:
    zone = s.contract.timezone
    if s.contract.gap_policy is GapPolicy.DOWN:
        policy = "a gap counts as unavailable time and is credited like an outage"
    else:
        policy = "a gap counts neither as up nor as down: it earns no credit, and is shown here"
    gaps = [[_time(g.start, zone), _time(g.end, zone), _duration(g.duration)] for g in s.gaps]
    degraded = [
        [
            _e(r.vantage),
            _e(", ".join(str(c) for c in r.detail.get("checks_down", []))),
            _time(r.start, zone),
            "still degraded" if r.end is None else _time(r.end, zone),
            "" if r.end is None else _duration(r.end - r.start),
        ]
        for r in s.degraded
    ]
    vantages = [[_e(name), _duration(t)] for name, t in sorted(s.vantages.items())]
    return (
        "<h3>Gaps: time not measured</h3>"
        f"<p>Gap policy <code>{_e(s.contract.gap_policy.value)}</code>: {policy}.</p>"
        + (
            _table("From|To|Duration", gaps, numeric_from=2, cls="narrow")
            if gaps
            else "<p>No gaps: the vantages measured the service throughout.</p>"
        )
        + "<h5>Time each vantage measured</h5>"
        + (
            _table("Vantage|Measured", vantages, numeric_from=1, cls="narrow")
            if vantages
            else "<p>None.</p>"
        )
        + "<h3>Degraded periods</h3><p>Some but not all frontend checks down: reported, not "
        "credited (C1 and C3 credit only the whole service unavailable).</p>"
        + (
            _table("Vantage|Checks down|From|To|Duration", degraded, numeric_from=4)
            if degraded
            else "<p>None.</p>"
        )
        + "<h3>Failover events</h3><p>A node down while others could serve. C4 promises it is "
        "replaced automatically through the local and global load balancers; each event is "
        "judged against the service's failover terms. Reported, not credited.</p>" + _failovers(s)
    )


def _failovers(s: ServiceReport) -> str:
    zone = s.contract.timezone
    rows, marks = [], []
    for record in s.failovers:
        d = record.detail
        dns = d.get("dns") or {}
        removed = dns.get("removed_after_seconds")
        verdict = _e(d.get("verdict", ""))
        if d.get("reasons"):
            verdict += "".join(f"<br><small>{_e(reason)}</small>" for reason in d["reasons"])
        since = record.start.astimezone(zone).date()
        rows.append(
            [
                _e(record.subject.partition("/")[2]),
                _e(record.vantage),
                _time(record.start, zone)
                + _DASH
                + ("still down" if record.end is None else _time(record.end, zone, since=since)),
                verdict,
                _e(d.get("capacity_back_by") or ""),
                _e(d.get("frontend_failures", "")),
                _duration(timedelta(seconds=float(d.get("frontend_outage_seconds", 0)))),
                "" if removed is None else _duration(timedelta(seconds=float(removed))),
            ]
        )
        marks.append("breached" if d.get("verdict") == "breached" else "")
    if not rows:
        return "<p>None.</p>"
    head = (
        "Node|Vantage|Failed &ndash; capacity back|Verdict|Capacity back by|Frontend failures"
        "|Frontend down|DNS removed after"
    )
    return _table(head, rows, numeric_from=5, cls="failovers", marks=marks) + (
        '<p class="note">Times on the day the node failed unless dated.</p>'
    )


def _quorum(rule: object) -> str:
    words = {
        "majority": "more than half of the vantages with data",
        "all": "every vantage with data",
        "any": "any one vantage with data",
    }
    return words.get(
        str(rule), f"at least {_e(rule)} vantages with data (all of them, when fewer have data)"
    )


def _method(s: ServiceReport) -> str:
    terms = [
        [f"<code>{_e(k)}</code>", _e("null" if v is None else v)]
        for k, v in s.terms.to_json().items()
    ]
    rule_list, fields = method(s)
    clauses = [[f"<code>{_e(k)}</code>", _e(v)] for k, v in fields.items()]
    rules = "".join(f"<li>{_e(rule)}</li>" for rule in rule_list)
    return (
        '<h3>How the numbers were computed</h3><div class="cols"><div><h5>Contract terms used'
        f"</h5>{_table('Term|Value', terms, cls='terms')}<p>Quorum <code>"
        f"{_e(s.service.quorum)}</code>: the service is down where {_quorum(s.service.quorum)} "
        "saw every frontend check down.</p></div>"
        f'<div><h5>Rules</h5><ol class="method">{rules}</ol></div></div>'
        f"<h5>Where each figure of the {'day' if s.tier is None else 'month'} table comes from</h5>"
        + _table("Field|Clause", clauses, cls="terms")
    )


def _tier_section(s: ServiceReport, month: MonthCredit) -> str:
    """An ``uptime_tiers`` month: uptime, the tier applied, the credit, the next tier."""
    units, currency = s.credits.minor_units, s.credits.currency
    pairs = "".join(
        f"<dt>{_e(label)}</dt><dd>{_e(value)}</dd>"
        for label, value in tier_summary(month, units, currency)
    )
    rows = [
        [
            f"below {_e(plain_decimal(t.below))} %",
            f"{_e(plain_decimal(t.percent))} %",
            "applied" if t == month.tier else ("next" if t == month.next_tier else ""),
        ]
        for t in sorted(s.contract.tiers, key=lambda t: (-t.below, t.percent))
    ]
    return f'<dl class="kv">{pairs}</dl>' + _table("Uptime|Credit|", rows, numeric_from=1)


def _credit_section(s: ServiceReport, uid: str) -> str:
    month = s.tier
    if month is not None:
        return f"<h3>Uptime and tiers</h3>{_tier_section(s, month)}"
    return f"<h3>Credit per day</h3>{_chart(s, uid)}<h3>Day by day</h3>{_day_table(s)}"


def _service(s: ServiceReport, report: Report, index: int) -> str:
    uid = f"s{index}"
    outages = "".join(_outage(s, o, n) for n, o in enumerate(s.outages, 1))
    exclusions = "".join(_exclusion(s, v) for v in s.exclusions)
    return (
        f'<section class="service" id="service-{index}">{_header(s, report)}{_summary(s)}'
        + _credit_section(s, uid)
        + f"<h3>Timeline</h3>{_timeline(s, uid)}<h3>Outages and their evidence</h3>"
        + (outages or "<p>No outage this month.</p>")
        + "<h3>Exclusions</h3>"
        + (f'<div class="ex-grid">{exclusions}</div>' if exclusions else "<p>None entered.</p>")
        + "<h3>Provider notices (C4)</h3>"
        + _notices(s)
        + _periods(s)
        + _method(s)
        + "</section>"
    )


def _contents(report: Report) -> str:
    """With several services, a list of them and their totals, linking within the page."""
    if len(report.services) < 2:
        return ""
    rows = [
        [
            f'<a href="#service-{i}">{_e(s.service.name)}</a>',
            _e(s.service.contract),
            "provisional" if s.provisional else "final",
            f"{_money(s.credits.total_credit, s.credits.minor_units)} {_e(s.credits.currency)}",
        ]
        for i, s in enumerate(report.services, 1)
    ]
    return f"<nav>{_table('Service|Contract|Month|Total credit', rows, numeric_from=3)}</nav>"


def render_html(report: Report) -> str:
    """The whole report as one HTML5 page, with no reference to anything outside it."""
    month = f"{_MONTHS[report.month - 1]} {report.year}"
    state = " (provisional)" if report.provisional else ""
    names = _e(", ".join(s.service.name for s in report.services))
    generated = _e(format_instant(report.generated_at))
    services = "".join(_service(s, report, i) for i, s in enumerate(report.services, 1))
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>SLA credit report {report.label}{state}: {names}</title>"
        f"<style>{_CSS}</style></head><body><main>"
        f'<header class="doc-head"><div><h1>SLA credit report</h1><p class="sub">{month}{state}'
        f" &middot; {len(report.services)} service{'s' if len(report.services) != 1 else ''}</p>"
        f'</div><div class="meta">Generated {generated}<br>Times are local to each '
        "contract's time zone; hover one for UTC.</div></header>"
        f"{_contents(report)}{services}<footer>Generated at {generated} by slawatch. The same "
        f"figures are in the JSON report, schema <code>{SCHEMA}</code>. Money is exact in the "
        "currency's minor units, rounded once per day, half up. "
        f"{DURATION_RULE}</footer></main></body></html>\n"
    )

"""One function per page: the public status page, the dashboard, the login form, an error.

Each takes the values of :mod:`monitor.status.model` (or plain arguments) and returns the whole
page. What a template shows is prepared here, once: the words of each state, the 90-day bar,
which window the reader chose, which incidents are current; the templates only lay it out.

The day bar is built here rather than in a template loop: a page of a thousand services holds
ninety thousand days, and a cell's tooltip is the same for every day with the same figures.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from fractions import Fraction
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from markupsafe import Markup

from ..quorum import UNCONFIRMED_NOTE
from ..status.model import (
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
from .render import duration, percent, render, text

__all__ = [
    "DEFAULT_WINDOW",
    "STATUS_WORDS",
    "WINDOWS",
    "render_dashboard",
    "render_error",
    "render_login",
    "render_status",
]

#: The uptime windows a reader may choose, in the order the links show them.
WINDOWS: Final = ("24h", "7d", "30d", "90d", "month")
DEFAULT_WINDOW: Final = "90d"

#: A state in words: the page says it, beside an icon, never by colour alone.
STATUS_WORDS: Final = {
    ComponentStatus.OPERATIONAL.value: "Operational",
    ComponentStatus.PARTIAL_OUTAGE.value: "Degraded",
    ComponentStatus.MAJOR_OUTAGE.value: "Down",
    ComponentStatus.UNDER_MAINTENANCE.value: "Under maintenance",
    # No vantage has fresh data: the page must not call that operational.
    ComponentStatus.DEGRADED_PERFORMANCE.value: "Not measured",
}
_BANNER_ORDER: Final = (
    (ComponentStatus.MAJOR_OUTAGE, "down"),
    (ComponentStatus.PARTIAL_OUTAGE, "degraded"),
    (ComponentStatus.DEGRADED_PERFORMANCE, "not measured"),
    (ComponentStatus.UNDER_MAINTENANCE, "under maintenance"),
)
_KIND_WORDS: Final = {
    DayKind.OUTAGE: "outage",
    DayKind.DEGRADED: "degraded",
    DayKind.MAINTENANCE: "maintenance",
    DayKind.GAP: "partly not measured",
    DayKind.UP: "up",
    DayKind.NO_DATA: "no data",
}
#: The legend under the bars, in the order of how bad a day was.
_LEGEND: Final = (
    ("up", "up"),
    ("degraded", "degraded: some checks failed"),
    ("outage", "outage"),
    ("maintenance", "announced maintenance"),
    ("gap", "partly not measured"),
    ("no_data", "no data"),
)
_PATTERNED: Final = {"gap": "k-gap", "maintenance": "k-maint"}
_PUBLIC_UNCONFIRMED: Final = "not confirmed by an independent reference"
#: Geometry of a day's cell in the bar's own units; the bar stretches to the page's width.
_CELL: Final = 5
_CELL_WIDTH: Final = 4
_BAR_HEIGHT: Final = 34


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        # The settings validate the zone; a model built elsewhere still renders, in UTC.
        return ZoneInfo("UTC")


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}" if n == 1 else f"{n} {thing}s"


def banner(services: Sequence[PublicService]) -> str:
    """The overall state in words, counting the services in each state but operational."""
    if not services:
        return "No service is shown on this page"
    counts = {state: sum(1 for s in services if s.status is state) for state, _ in _BANNER_ORDER}
    parts = [f"{_count(counts[state], 'service')} {words}" for state, words in _BANNER_ORDER]
    shown = [part for (state, _), part in zip(_BANNER_ORDER, parts, strict=True) if counts[state]]
    if not shown:
        return "All services operational"
    return ", ".join(shown)


#: What identifies a day's look: its kind and figures (not its date).
_Key = tuple[DayKind, timedelta, timedelta, timedelta, timedelta, timedelta]


def _ratio(measured: timedelta, outage: timedelta) -> Fraction | None:
    if measured <= timedelta(0):
        return None
    return 1 - Fraction(outage // timedelta(microseconds=1), measured // timedelta(microseconds=1))


def _figures(key: _Key) -> str:
    """A day's figures in words, after its date; the same for every day with these figures."""
    kind, measured, outage, degraded, maintenance, gap = key
    if kind is DayKind.NO_DATA:
        return "no data"
    parts = [_KIND_WORDS[kind]]
    for amount, words in (
        (outage, "down"),
        (degraded, "degraded"),
        (maintenance, "maintenance"),
        (gap, "not measured"),
    ):
        if amount > timedelta(0):
            parts.append(f"{words} {duration(amount)}")
    parts.append(f"{duration(measured)} measured, {percent(_ratio(measured, outage))} up")
    return "; ".join(parts)


@dataclass(frozen=True, slots=True)
class _Look:
    """Everything of a day's cell and row but its date and place, worked out once for every
    day with the same figures: a page of a thousand services has ninety thousand days."""

    #: The cell: markup before its x, between its x and its date, after its date.
    head: str
    middle: str
    tail: str
    #: The figures in words (the tooltip after the date).
    title: str
    #: The row of the days-to-report table after its date cell, or "" for a day up or without
    #: data (not listed).
    row: str


def _look(key: _Key) -> _Look:
    kind = key[0]
    fill = _PATTERNED.get(kind.value)
    paint = f' fill="url(#{fill})"' if fill else ""
    title = _figures(key)
    row = ""
    if kind not in (DayKind.UP, DayKind.NO_DATA):
        _, measured, outage, degraded, maintenance, gap = key
        cells = [_KIND_WORDS[kind]] + [
            duration(d) for d in (outage, degraded, maintenance, gap, measured)
        ]
        cells.append(percent(_ratio(measured, outage)))
        row = "".join(
            f'<td class="n">{c}</td>' if i else f"<td>{c}</td>" for i, c in enumerate(cells)
        )
    return _Look(
        head=f'<rect class="k-{kind.value}"{paint} x="',
        middle=f'" width="{_CELL_WIDTH}" height="{_BAR_HEIGHT}"><title>',
        tail=f": {title}</title></rect>",
        title=title,
        row=row + "</tr>" if row else "",
    )


_LOOKS: dict[_Key, _Look] = {}
_DATES: dict[date, str] = {}
#: Past this many looks the cache starts afresh: a history's figures repeat, but not forever.
_MAX_LOOKS: Final = 20_000


def _look_of(cell: DayCell) -> _Look:
    key = (cell.kind, cell.measured, cell.outage, cell.degraded, cell.maintenance, cell.gap)
    found = _LOOKS.get(key)
    if found is None:
        if len(_LOOKS) >= _MAX_LOOKS:
            _LOOKS.clear()
        found = _LOOKS[key] = _look(key)
    return found


def day_title(cell: DayCell) -> str:
    """A day's tooltip: its date, what happened, and its figures."""
    return f"{cell.date.isoformat()}: {_look_of(cell).title}"


@dataclass(frozen=True, slots=True)
class _Bar:
    """A service's days laid out: the bar, the rows of the days to report, the counts."""

    svg: Markup
    rows: Markup
    notable: int
    no_data: int


def day_bar(days: Sequence[DayCell], name: str) -> _Bar:
    """The bar of days, one cell each, coloured (and, for gaps and maintenance, patterned) by
    its kind, with the day's figures as its tooltip, and the rows of the days to report (any
    but up or without data); ``name`` names the bar for screen readers.

    Built here rather than in a template loop, for speed; dates and figures only reach the
    markup unescaped, the name is escaped."""
    cells = []
    rows = []
    counts = dict.fromkeys(DayKind, 0)
    looks, dates = _LOOKS, _DATES
    if len(looks) >= _MAX_LOOKS:
        looks.clear()
    if len(dates) >= _MAX_LOOKS:
        dates.clear()
    # The loop of a page: no call it can do without.
    for i, cell in enumerate(days):
        key = (cell.kind, cell.measured, cell.outage, cell.degraded, cell.maintenance, cell.gap)
        look = looks.get(key)
        if look is None:
            look = looks[key] = _look(key)
        day = cell.date
        iso = dates.get(day)
        if iso is None:
            iso = dates[day] = day.isoformat()
        cells.append(f"{look.head}{i * _CELL}{look.middle}{iso}{look.tail}")
        counts[key[0]] += 1
        if look.row:
            rows.append(f"<tr><td>{iso}</td>{look.row}")
    label = f"{name}: {_bar_label(days, counts)}"
    svg = (
        f'<svg class="days" viewBox="0 0 {max(1, len(days)) * _CELL} {_BAR_HEIGHT}" '
        f'preserveAspectRatio="none" role="img" aria-label="{text(label)}">'
        + "".join(cells)
        + "</svg>"
    )
    return _Bar(
        Markup(svg),  # noqa: S704 - built above from dates, figures and the escaped name
        Markup("".join(rows)),  # noqa: S704 - dates and figures only
        len(rows),
        counts[DayKind.NO_DATA],
    )


def _bar_label(days: Sequence[DayCell], counts: dict[DayKind, int]) -> str:
    if not days:
        return "no days to show"
    said = [
        f"{_count(counts[kind], 'day')} {_KIND_WORDS[kind]}"
        for kind in (DayKind.OUTAGE, DayKind.DEGRADED, DayKind.MAINTENANCE, DayKind.GAP)
        if counts[kind]
    ]
    head = f"{len(days)} days from {days[0].date.isoformat()} to {days[-1].date.isoformat()}"
    if counts[DayKind.NO_DATA]:
        said.append(f"{_count(counts[DayKind.NO_DATA], 'day')} without data")
    return f"{head}: " + (", ".join(said) if said else "every day up")


@dataclass(frozen=True, slots=True)
class _WindowLink:
    key: str
    label: str
    href: str
    current: bool


@dataclass(frozen=True, slots=True)
class _ServiceBlock:
    """A service as the status page lays it out."""

    name: str
    status: ComponentStatus
    since: datetime | None
    window: UptimeWindow | None
    not_measured: timedelta
    bar: _Bar
    first: date | None
    last: date | None
    #: Shown only as ``status_page`` allows (empty otherwise): check names and targets, and
    #: the vantages with their votes.
    checks: tuple[tuple[str, str], ...]
    vantages: tuple[tuple[str, str], ...]


def _block(service: PublicService, window: str) -> _ServiceBlock:
    chosen = next((w for w in service.windows if w.key == window), None)
    missing = timedelta(0)
    if chosen is not None:
        missing = max(timedelta(0), (chosen.end - chosen.start) - chosen.measured)
    days = service.days
    return _ServiceBlock(
        name=service.name,
        status=service.status,
        since=service.since,
        window=chosen,
        not_measured=missing,
        bar=day_bar(days, service.name),
        first=days[0].date if days else None,
        last=days[-1].date if days else None,
        checks=service.checks,
        vantages=service.vantages,
    )


def _windows(
    services: Sequence[PublicService], chosen: str, href: Callable[[str], str]
) -> list[_WindowLink]:
    labels = {w.key: w.label for s in services for w in s.windows}
    return [
        _WindowLink(key, labels.get(key, key), href(key), key == chosen)
        for key in WINDOWS
        if key in labels or not services
    ]


def _split_incidents(
    incidents: Sequence[Incident],
) -> tuple[list[Incident], list[Incident]]:
    current = [i for i in incidents if i.end is None]
    past = sorted((i for i in incidents if i.end is not None), key=lambda i: i.start, reverse=True)
    return current, past


def _split_maintenance(
    maintenances: Sequence[Maintenance], now: datetime
) -> tuple[list[Maintenance], list[Maintenance], list[Maintenance]]:
    ahead = sorted((m for m in maintenances if m.start > now), key=lambda m: m.start)
    going = [m for m in maintenances if m.start <= now < m.end]
    past = sorted((m for m in maintenances if m.end <= now), key=lambda m: m.start, reverse=True)
    return ahead, going, past


def _common(status: PublicStatus) -> dict[str, object]:
    return {
        "status_words": STATUS_WORDS,
        "kind_words": {kind.value: words for kind, words in _KIND_WORDS.items()},
        "day_legend": _LEGEND,
        "patterned": _PATTERNED,
        "zone": _zone(status.timezone),
        "now": status.generated_at,
    }


def _query_window(key: str) -> str:
    return f"?window={key}"


def render_status(
    status: PublicStatus,
    *,
    window: str = DEFAULT_WINDOW,
    window_href: Callable[[str], str] = _query_window,
    refresh: int = 60,
    links: Sequence[tuple[str, str]] = (),
) -> str:
    """The public status page, showing uptime over ``window`` (one of :data:`WINDOWS`).

    ``window_href`` gives each window's link (a query on the daemon, a file in a static export);
    ``links`` are other formats of the same status (label, address); ``refresh`` is how often
    an open page reloads itself, in seconds (0: never).
    """
    current, past = _split_incidents(status.incidents)
    ahead, going, done = _split_maintenance(status.maintenances, status.generated_at)
    return render(
        "status.html",
        **_common(status),
        status=status,
        worst=status.worst,
        banner=banner(status.services),
        services=[_block(s, window) for s in status.services],
        windows=_windows(status.services, window, window_href),
        current=current,
        past=past,
        ahead=ahead,
        going=going,
        done=done,
        links=list(links),
        refresh=refresh,
        unconfirmed_note=_PUBLIC_UNCONFIRMED,
    )


@dataclass(frozen=True, slots=True)
class _CertLine:
    check: CheckLine
    left: timedelta
    soon: bool


def _certificates(checks: Sequence[CheckLine], now: datetime, soon: timedelta) -> list[_CertLine]:
    lines = [
        _CertLine(c, c.cert_expires_at - now, c.cert_expires_at - now <= soon)
        for c in checks
        if c.cert_expires_at is not None
    ]
    return sorted(lines, key=lambda line: line.left)


def _money_rows(money: Sequence[ServiceMoney]) -> list[ServiceMoney]:
    return sorted(money, key=lambda m: m.service)


def render_dashboard(
    dashboard: Dashboard,
    *,
    window: str = DEFAULT_WINDOW,
    window_href: Callable[[str], str] = _query_window,
    report_href: Callable[[str], str] = lambda month: f"/report/{month}",
    logout: bool = False,
    cert_warning: timedelta = timedelta(days=14),
    refresh: int = 30,
) -> str:
    """The operators' dashboard: every service and check, money, votes, health, reports.

    ``logout`` shows the button that ends the session (when a token guards the page);
    certificates expiring within ``cert_warning`` are marked.
    """
    public = dashboard.public
    current, past = _split_incidents(public.incidents)
    ahead, going, done = _split_maintenance(public.maintenances, public.generated_at)
    return render(
        "dashboard.html",
        **_common(public),
        d=dashboard,
        status=public,
        worst=public.worst,
        banner=banner(public.services),
        services=[_block(s, window) for s in public.services],
        windows=_windows(public.services, window, window_href),
        current=current,
        past=past[:20],
        ahead=ahead,
        going=going,
        degraded_open=[i for i in dashboard.degraded if i.end is None],
        degraded_past=[i for i in dashboard.degraded if i.end is not None],
        failovers=dashboard.failovers,
        money=_money_rows(dashboard.money),
        certificates=_certificates(dashboard.checks, public.generated_at, cert_warning),
        health=dashboard.health,
        report_href=report_href,
        logout=logout,
        refresh=refresh,
        unconfirmed_note=UNCONFIRMED_NOTE,
        done=done,
    )


def render_login(*, message: str | None = None) -> str:
    """The form that asks for ``http.api_token``; ``message`` says why it is shown again."""
    return render("login.html", message=message, refresh=0)


def render_error(code: int, message: str) -> str:
    """A page saying what went wrong, in one line."""
    return render("error.html", code=code, message=message, refresh=0)

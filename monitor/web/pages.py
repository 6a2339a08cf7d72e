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
from functools import lru_cache
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from markupsafe import Markup, escape

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
from .render import duration, percent, render

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


def _figures(  # noqa: PLR0917 - the cache's key is the arguments
    kind: DayKind,
    measured: timedelta,
    outage: timedelta,
    degraded: timedelta,
    maintenance: timedelta,
    gap: timedelta,
) -> str:
    """A day's figures in words, after its date; the same for every day with these figures."""
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
    availability = _ratio(measured, outage)
    parts.append(f"{duration(measured)} measured, {percent(availability)} up")
    return "; ".join(parts)


_cached_figures = lru_cache(maxsize=4096)(_figures)


def _ratio(measured: timedelta, outage: timedelta) -> Fraction | None:
    if measured <= timedelta(0):
        return None
    return 1 - Fraction(outage // timedelta(microseconds=1), measured // timedelta(microseconds=1))


def day_title(cell: DayCell) -> str:
    """A day's tooltip: its date, what happened, and its figures."""
    figures = _cached_figures(
        cell.kind, cell.measured, cell.outage, cell.degraded, cell.maintenance, cell.gap
    )
    return f"{cell.date.isoformat()}: {figures}"


def day_bar(days: Sequence[DayCell], label: str) -> Markup:
    """The bar of days, one cell each, coloured (and, for gaps and maintenance, patterned) by
    its kind, with the day's figures as its tooltip; ``label`` names it for screen readers."""
    parts = [
        f'<svg class="days" viewBox="0 0 {max(1, len(days)) * _CELL} {_BAR_HEIGHT}" '
        f'preserveAspectRatio="none" role="img" aria-label="{escape(label)}">'
    ]
    append = parts.append
    for i, cell in enumerate(days):
        kind = cell.kind.value
        fill = _PATTERNED.get(kind)
        paint = f' fill="url(#{fill})"' if fill else ""
        append(
            f'<rect class="k-{kind}"{paint} x="{i * _CELL}" width="{_CELL_WIDTH}" '
            f'height="{_BAR_HEIGHT}"><title>{day_title(cell)}</title></rect>'
        )
    append("</svg>")
    # Dates and figures only: nothing from data reaches the markup unescaped.
    return Markup("".join(parts))  # noqa: S704


def _bar_label(days: Sequence[DayCell]) -> str:
    if not days:
        return "No days to show"
    counts = {kind: sum(1 for d in days if d.kind is kind) for kind in DayKind}
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
    bar: Markup
    first: date | None
    last: date | None
    notable: tuple[DayCell, ...]
    no_data: int
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
        bar=day_bar(days, f"{service.name}: {_bar_label(days)}"),
        first=days[0].date if days else None,
        last=days[-1].date if days else None,
        notable=tuple(d for d in days if d.kind not in (DayKind.UP, DayKind.NO_DATA)),
        no_data=sum(1 for d in days if d.kind is DayKind.NO_DATA),
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

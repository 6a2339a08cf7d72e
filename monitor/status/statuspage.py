"""``summary.json`` in the shape of the Atlassian Statuspage API v2, from a :class:`PublicStatus`.

Tools that read a Statuspage page (dashboards, chat integrations, status aggregators) read this
one too. What slawatch fills, and how:

- ``page``: ``id`` derived from the title and ``status_page.url``; ``name`` the title; ``url``
  ``status_page.url`` (null when not set); ``time_zone`` the page's zone; ``updated_at`` when the
  values were built.
- ``components``: one per public service, in the configuration's order (``position`` from 1).
  ``id`` derived from the name; ``status`` the state now (``operational``,
  ``degraded_performance`` when no vantage measures it, ``partial_outage``, ``major_outage``,
  ``under_maintenance``); ``updated_at`` since when that state holds (when known, else now);
  ``created_at`` and ``start_date`` the first day measured within the history kept;
  ``description`` null; ``showcase`` true; ``group`` false, ``group_id`` null,
  ``only_show_if_degraded`` false.
- ``incidents``: the outages going on now (the summary lists unresolved incidents only), each
  ``investigating`` (slawatch measures; it does not diagnose), impact ``critical`` (the whole
  service is down by the quorum), ``created_at`` = ``started_at`` = ``updated_at`` the outage's
  start, ``resolved_at`` and ``monitoring_at`` null, ``shortlink`` the page's URL with
  ``#incident-ID`` (only when ``status_page.url`` is set), one ``incident_updates`` entry saying
  what was measured, and the service as its component.
- ``scheduled_maintenances``: announced maintenance in progress (``in_progress``) or to come
  (``scheduled``), soonest first: ``scheduled_for``/``scheduled_until`` its span, ``created_at``
  when it was announced, impact ``maintenance``.
- ``status``: ``indicator`` and ``description`` from the worst state: ``critical`` (major outage),
  ``major`` (partial outage), ``minor`` (not measured), ``none`` (operational, or maintenance,
  which is said in the description).

Ids are 12 characters of ``a-z2-7``, stable across builds. Instants are RFC 3339 in UTC.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

from sla import day_span

from ..timefmt import format_instant
from .build import ident
from .model import ComponentStatus, DayKind, Incident, Maintenance, PublicService, PublicStatus

__all__ = ["STATUS_WORDS", "component_id", "page_id", "summary"]

#: The page's indicator and description for its worst state.
_INDICATOR: Final = {
    ComponentStatus.MAJOR_OUTAGE: ("critical", "Major System Outage"),
    ComponentStatus.PARTIAL_OUTAGE: ("major", "Partial System Outage"),
    ComponentStatus.DEGRADED_PERFORMANCE: ("minor", "Not Measured: No Vantage Has Fresh Data"),
    ComponentStatus.UNDER_MAINTENANCE: ("none", "Service Under Maintenance"),
    ComponentStatus.OPERATIONAL: ("none", "All Systems Operational"),
}
#: Each state in words, for people: never a colour alone.
STATUS_WORDS: Final = {
    ComponentStatus.OPERATIONAL: "operational",
    ComponentStatus.DEGRADED_PERFORMANCE: "not measured",
    ComponentStatus.PARTIAL_OUTAGE: "partial outage",
    ComponentStatus.MAJOR_OUTAGE: "major outage",
    ComponentStatus.UNDER_MAINTENANCE: "under maintenance",
}


def page_id(status: PublicStatus, url: str | None) -> str:
    """The page's id: derived from its title and address."""
    return ident("page", status.title, url or "")


def component_id(service: str) -> str:
    """A service's component id: derived from its name."""
    return ident("component", service)


def _shortlink(url: str | None, anchor: str) -> dict[str, str]:
    return {} if url is None else {"shortlink": f"{url}#{anchor}"}


def _first_measured(service: PublicService, zone: ZoneInfo) -> datetime | None:
    day = next((c.date for c in service.days if c.kind is not DayKind.NO_DATA), None)
    return None if day is None else day_span(day, zone).start


def _component(
    service: PublicService, position: int, page: str, zone: ZoneInfo, now: datetime
) -> dict[str, Any]:
    first = _first_measured(service, zone)
    return {
        "id": component_id(service.name),
        "name": service.name,
        "status": service.status.value,
        "created_at": format_instant(first or now),
        "updated_at": format_instant(service.since or now),
        "position": position,
        "description": None,
        "showcase": True,
        "start_date": None if first is None else first.astimezone(zone).date().isoformat(),
        "group_id": None,
        "page_id": page,
        "group": False,
        "only_show_if_degraded": False,
    }


def _incident(
    incident: Incident, component: dict[str, Any], page: str, url: str | None
) -> dict[str, Any]:
    start = format_instant(incident.start)
    body = f"Measured down since {start} by the quorum of vantage points."
    if incident.unconfirmed:
        body += " Not confirmed by an independent reference."
    return {
        "id": incident.id,
        "name": f"{incident.service} is down",
        "status": "investigating",
        "created_at": start,
        "updated_at": start,
        "monitoring_at": None,
        "resolved_at": None,
        "impact": "critical",
        **_shortlink(url, f"incident-{incident.id}"),
        "started_at": start,
        "page_id": page,
        "incident_updates": [
            {
                "id": ident("update", incident.id),
                "status": "investigating",
                "body": body,
                "incident_id": incident.id,
                "created_at": start,
                "updated_at": start,
                "display_at": start,
                "affected_components": [
                    {
                        "code": component["id"],
                        "name": incident.service,
                        "old_status": ComponentStatus.OPERATIONAL.value,
                        "new_status": ComponentStatus.MAJOR_OUTAGE.value,
                    }
                ],
            }
        ],
        "components": [component],
    }


def _maintenance(
    maintenance: Maintenance,
    component: dict[str, Any],
    page: str,
    url: str | None,
    now: datetime,
) -> dict[str, Any]:
    state = "in_progress" if maintenance.start <= now else "scheduled"
    created = format_instant(maintenance.announced_at or maintenance.start)
    start, end = format_instant(maintenance.start), format_instant(maintenance.end)
    return {
        "id": maintenance.id,
        "name": f"Maintenance of {maintenance.service}",
        "status": state,
        "created_at": created,
        "updated_at": created,
        "monitoring_at": None,
        "resolved_at": None,
        "impact": "maintenance",
        **_shortlink(url, f"maintenance-{maintenance.id}"),
        "started_at": start,
        "page_id": page,
        "incident_updates": [
            {
                "id": ident("update", maintenance.id),
                "status": state,
                "body": f"Maintenance announced for {start} to {end}.",
                "incident_id": maintenance.id,
                "created_at": created,
                "updated_at": created,
                "display_at": created,
                "affected_components": [
                    {
                        "code": component["id"],
                        "name": maintenance.service,
                        "old_status": ComponentStatus.OPERATIONAL.value,
                        "new_status": ComponentStatus.UNDER_MAINTENANCE.value,
                    }
                ],
            }
        ],
        "components": [component],
        "scheduled_for": start,
        "scheduled_until": end,
    }


def summary(status: PublicStatus, *, url: str | None = None) -> dict[str, Any]:
    """``summary.json``'s body; ``url`` is where the page is published (``status_page.url``)."""
    page = page_id(status, url)
    zone = ZoneInfo(status.timezone)
    now = status.generated_at
    components = {
        service.name: _component(service, position, page, zone, now)
        for position, service in enumerate(status.services, start=1)
    }
    incidents = [
        _incident(incident, components[incident.service], page, url)
        for incident in status.incidents
        if incident.ongoing and incident.service in components
    ]
    maintenances = [
        _maintenance(m, components[m.service], page, url, now)
        for m in sorted(status.maintenances, key=lambda m: (m.start, m.service))
        if m.end > now and m.service in components
    ]
    indicator, description = _INDICATOR[status.worst]
    return {
        "page": {
            "id": page,
            "name": status.title,
            "url": url,
            "time_zone": status.timezone,
            "updated_at": format_instant(now),
        },
        "components": list(components.values()),
        "incidents": incidents,
        "scheduled_maintenances": maintenances,
        "status": {"indicator": indicator, "description": description},
    }

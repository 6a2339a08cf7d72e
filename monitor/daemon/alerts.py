"""What the daemon tells the webhooks, and when: the words of each notification.

- ``outage_start`` / ``outage_end``: this vantage's own view of the service (every frontend
  check down, then not), the fastest signal; the report decides by the vantages' quorum.
- ``failover_breach``: as soon as a failover event's breach is certain.
- ``cert_expiry``: a checked certificate within ``notify.cert_expiry_days``, once a day per
  check.

Every notification goes to the ``submit`` given (the daemon's
:meth:`~monitor.daemon.webhooks.Notifier.submit`, which only queues); nothing here waits.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from ..config.settings import NotifyEvent
from ..failover import FailoverEvent
from ..results import ProbeResult
from ..scheduler import ScheduledCheck
from ..state import ServiceState
from ..timefmt import format_instant
from .webhooks import Notification

__all__ = ["Alerts"]


class Alerts:
    """Turns the daemon's events into notifications, each handed to ``submit``."""

    def __init__(
        self, submit: Callable[[Notification], None], vantage: str, cert_expiry_days: int
    ) -> None:
        self._submit = submit
        self._vantage = vantage
        self._cert_expiry = timedelta(days=cert_expiry_days)
        # Checks whose certificate warning went out, with the day it did.
        self._cert_warned: dict[str, date] = {}

    def _send(
        self, event: NotifyEvent, service: str, at: datetime, summary: str, **details: object
    ) -> None:
        self._submit(Notification(event, service, at, summary, details, self._vantage))

    def service_changed(
        self, service: str, old: ServiceState, new: ServiceState, at: datetime
    ) -> None:
        """An outage starts (every frontend check down) or ends, from this vantage."""
        if new is ServiceState.DOWN:
            self._send("outage_start", service, at, "every frontend check is down")
        elif old is ServiceState.DOWN:
            self._send("outage_end", service, at, f"the service is {new.value} again")

    def failover_breached(self, event: FailoverEvent, at: datetime) -> None:
        """A failover event broke the promise (C4)."""
        self._send(
            "failover_breach",
            event.service,
            at,
            f"node {event.node} failed at {format_instant(event.start)}: "
            + "; ".join(event.reasons),
            node=event.node,
            since=event.start,
            reasons=list(event.reasons),
        )

    def result(self, check: ScheduledCheck, result: ProbeResult) -> None:
        """Warn, once a day per check, of a certificate that expires soon."""
        expires = result.cert_expires_at
        if expires is None:
            return
        left = expires - result.started_at
        today = result.started_at.date()
        if left > self._cert_expiry or self._cert_warned.get(check.id) == today:
            return
        self._cert_warned[check.id] = today
        self._send(
            "cert_expiry",
            check.service,
            result.started_at,
            f"the certificate of {check.name} expires {format_instant(expires)}"
            f" ({left.days} days left)",
            check=check.name,
            expires_at=expires,
        )

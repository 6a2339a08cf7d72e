"""Failover events: a node fails; did the load balancers route around it, and was it replaced?

C4 promises that "the node will be replaced by other nodes automatically through local load
balancer and global load balancer". A node check confirmed down (probed directly, bypassing the
load balancer) opens a *failover event* for its service. While it lasts the tracker records:

- the frontend's probes and failures, and when it served cleanly again: the first success after
  the last failure (the local load balancer took the node out);
- how long the frontend was down (the service's outage, as this vantage saw it), in all and at
  the longest stretch;
- for a service with ``dns``: when the answer stopped containing the node's address (the global
  load balancer took it out), beside the record's TTL;
- when capacity came back: the node recovered, or a new address joined the DNS answer.

Capacity back closes the event, judged against the service's ``failover`` terms: *kept* when no
frontend outage lasted longer than ``max_frontend_outage`` and capacity came back within
``restore_within``; otherwise *breached*, with the reasons. A breach is announced as soon as it
is certain (a long frontend outage, or ``restore_within`` passing), not only at the close.

When every node of the service is down, the service has no capacity to fail over to: that is a
whole-service outage (credited as such when the frontend fails), not a failover, and the events
of that service are dropped. Events are stored when they close (interval kind ``failover``,
subject ``service/node``); one still open when the daemon stops is not stored.
"""

from __future__ import annotations

import ipaddress
import re
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final
from urllib.parse import urlsplit

from .config.settings import CheckRole, HttpCheck, ServiceConfig, TcpCheck
from .evidence import IntervalJournal, IntervalKind, IntervalOpen, IntervalRecord, new_interval_id
from .results import ProbeResult
from .scheduler import ScheduledCheck
from .state import CheckState

__all__ = ["FailoverEvent", "FailoverTracker", "node_address"]

_TTL: Final = re.compile(r"\bttl (\d+)s\b")
#: Frontend results remembered per service, to count those between a node's first failure and
#: its confirmation (confirm x retry interval, a few probes).
_RECENT: Final = 32


def _count_frontend(event: FailoverEvent, result: ProbeResult) -> None:
    """Count one frontend result against an event."""
    event.frontend_probes += 1
    if result.up:
        if event.frontend_clean_at is None and event.last_frontend_failure is not None:
            event.frontend_clean_at = result.started_at
    else:
        event.frontend_failures += 1
        event.last_frontend_failure = result.started_at
        event.frontend_clean_at = None


def node_address(check: ScheduledCheck) -> str | None:
    """The IP address a node check probes, if it names one (a host name says nothing to
    compare a DNS answer with)."""
    spec = check.spec
    if isinstance(spec, HttpCheck):
        host = urlsplit(spec.url).hostname
    elif isinstance(spec, TcpCheck):
        host = spec.host
    else:
        return None
    try:
        return str(ipaddress.ip_address(host or ""))
    except ValueError:
        return None


@dataclass(slots=True)
class FailoverEvent:
    """One node's failure and what followed, while it is followed."""

    service: str
    node: str
    start: datetime
    max_frontend_outage: timedelta
    restore_within: timedelta
    address: str | None = None
    in_dns_at_start: bool | None = None
    dns_removed_at: datetime | None = None
    dns_ttl: int | None = None
    answers_at_start: frozenset[str] = frozenset()
    frontend_probes: int = 0
    frontend_failures: int = 0
    last_frontend_failure: datetime | None = None
    frontend_clean_at: datetime | None = None
    outage_since: datetime | None = None
    outage_total: timedelta = timedelta(0)
    outage_longest: timedelta = timedelta(0)
    capacity_at: datetime | None = None
    capacity_how: str | None = None
    reasons: list[str] = field(default_factory=list)

    def outage_until(self, now: datetime) -> tuple[timedelta, timedelta]:
        """Frontend outage (total, longest stretch) counting a stretch still going on."""
        if self.outage_since is None:
            return self.outage_total, self.outage_longest
        current = now - self.outage_since
        return self.outage_total + current, max(self.outage_longest, current)

    def breaches(self, now: datetime) -> list[str]:
        """Why the promise is broken as of ``now`` (empty while it is kept)."""
        found = []
        _, longest = self.outage_until(now)
        if longest > self.max_frontend_outage:
            found.append(
                f"frontend down {longest.total_seconds():.0f}s at a stretch"
                f" (at most {self.max_frontend_outage.total_seconds():.0f}s)"
            )
        restored = self.capacity_at if self.capacity_at is not None else now
        if restored - self.start > self.restore_within:
            found.append(
                f"capacity not back within {self.restore_within.total_seconds():.0f}s"
                + ("" if self.capacity_at is not None else " (still missing)")
            )
        return found

    def detail(self, end: datetime) -> dict[str, Any]:
        """The figures stored with the closed event."""
        total, longest = self.outage_until(end)

        def after(instant: datetime | None) -> float | None:
            return None if instant is None else (instant - self.start).total_seconds()

        return {
            "verdict": "breached" if self.reasons else "kept",
            "reasons": list(self.reasons),
            "frontend_probes": self.frontend_probes,
            "frontend_failures": self.frontend_failures,
            "frontend_clean_after_seconds": (
                after(self.frontend_clean_at) if self.frontend_failures else 0.0
            ),
            "frontend_outage_seconds": total.total_seconds(),
            "frontend_longest_outage_seconds": longest.total_seconds(),
            "dns": None
            if self.in_dns_at_start is None
            else {
                "address": self.address,
                "in_answer_at_start": self.in_dns_at_start,
                "removed_after_seconds": after(self.dns_removed_at),
                "ttl_seconds": self.dns_ttl,
            },
            "capacity_back_after_seconds": after(self.capacity_at),
            "capacity_back_by": self.capacity_how,
            "terms": {
                "max_frontend_outage_seconds": self.max_frontend_outage.total_seconds(),
                "restore_within_seconds": self.restore_within.total_seconds(),
            },
        }


class FailoverTracker:
    """Follows the failover events of one vantage; fed by the daemon with every result and
    every confirmed change of a check's state.

    ``on_event(kind, event, at)`` is told of ``breached`` (once per event, as soon as certain)
    and ``closed`` events, for metrics and notifications; it must not raise.
    """

    def __init__(
        self,
        journal: IntervalJournal,
        vantage: str,
        *,
        on_event: Callable[[str, FailoverEvent, datetime], None] | None = None,
    ) -> None:
        self._journal = journal
        self._vantage = vantage
        self._on_event = on_event
        self._services: dict[str, ServiceConfig] = {}
        self._nodes: dict[str, list[ScheduledCheck]] = {}
        self._node_state: dict[str, CheckState] = {}
        self._open: dict[str, FailoverEvent] = {}
        self._answers: dict[str, tuple[frozenset[str], int | None]] = {}
        # Every address DNS has handed out for the service: a rotating answer is not new capacity.
        self._seen: dict[str, set[str]] = {}
        self._service_down: dict[str, datetime | None] = {}
        # The latest frontend results of each service: a node is confirmed down some probes
        # after its first failure, and the frontend's failures in between belong to its event.
        self._recent: dict[str, deque[ProbeResult]] = {}
        # Nodes still down when capacity came back after a whole-service failure, since when.
        self._pending: dict[str, datetime] = {}

    @property
    def open_events(self) -> list[FailoverEvent]:
        """Events still followed, by start."""
        return sorted(self._open.values(), key=lambda e: e.start)

    def nodes_up(self, service: str) -> int:
        """Nodes of ``service`` confirmed up now."""
        return sum(
            1
            for check in self._nodes.get(service, [])
            if self._node_state.get(check.id) is CheckState.UP
        )

    def set_services(
        self, services: Iterable[ServiceConfig], checks: Iterable[ScheduledCheck]
    ) -> None:
        """Follow these services (a reload keeps the events of nodes still configured)."""
        self._services = {s.name: s for s in services}
        self._nodes = {}
        for check in checks:
            if check.role is CheckRole.NODE and check.service in self._services:
                self._nodes.setdefault(check.service, []).append(check)
        known = {c.id for nodes in self._nodes.values() for c in nodes}
        for check_id in [k for k in self._open if k not in known]:
            del self._open[check_id]
        for service in self._recent.keys() - self._nodes.keys():
            del self._recent[service]

    def seed(self, check: ScheduledCheck, state: CheckState) -> None:
        """Know a node's state without an event (after a restart or reload: it was down before,
        so its failure is not news)."""
        if check.role is CheckRole.NODE:
            self._node_state[check.id] = state

    def seed_service(self, service: str, down: bool, at: datetime) -> None:
        """Know whether the service is in an outage (after a restart), unless already known."""
        self._service_down.setdefault(service, at if down else None)

    def check_changed(self, check: ScheduledCheck, state: CheckState, at: datetime) -> None:
        """A check's confirmed state changed at ``at`` (DOWN: its first failed probe; UP: the
        probe that recovered)."""
        if check.role is not CheckRole.NODE or check.service not in self._services:
            return
        was = self._node_state.get(check.id)
        self._node_state[check.id] = state
        if state is CheckState.DOWN:
            self._node_down(check, at)
        elif state is CheckState.UP and check.id in self._open:
            event = self._open[check.id]
            event.capacity_at, event.capacity_how = at, "node recovered"
            self._close(check.id, at)
        elif state is CheckState.UP and was is CheckState.DOWN:
            # Capacity again after every node was down: a node still down fails over from now,
            # once its next probe shows it is still down (nodes restarted together recover
            # within a probe of each other, and that is no failover).
            for node in self._nodes.get(check.service, []):
                if self._node_state.get(node.id) is CheckState.DOWN and node.id not in self._open:
                    self._pending.setdefault(node.id, at)

    def service_changed(self, service: str, down: bool, at: datetime) -> None:
        """This vantage's view of the service: in an outage (every frontend check down) or not."""
        self._service_down[service] = at if down else None
        for event in self._events_of(service):
            if down and event.outage_since is None:
                event.outage_since = max(at, event.start)
            elif not down and event.outage_since is not None:
                stretch = max(at - event.outage_since, timedelta(0))
                event.outage_total += stretch
                event.outage_longest = max(event.outage_longest, stretch)
                event.outage_since = None

    def observe(self, check: ScheduledCheck, result: ProbeResult) -> None:
        """Take every result: frontend results count against open events, DNS answers are
        compared with the failed nodes' addresses, and deadlines are checked."""
        service = check.service
        at = result.started_at
        if check.role is CheckRole.DNS and result.up:
            self._dns_answer(service, result)
        if check.role is CheckRole.FRONTEND and service in self._nodes:
            # Only a service with nodes can have a failover to count them against.
            self._recent.setdefault(service, deque(maxlen=_RECENT)).append(result)
        pending = self._pending.pop(check.id, None)
        if pending is not None and not result.up and check.id not in self._open:
            self._open_event(check, pending)
        for event in self._events_of(service):
            if check.role is CheckRole.FRONTEND and at >= event.start:
                _count_frontend(event, result)
            self._judge(event, at)

    def _events_of(self, service: str) -> list[FailoverEvent]:
        return [e for e in self._open.values() if e.service == service]

    def _node_down(self, check: ScheduledCheck, at: datetime) -> None:
        nodes = self._nodes.get(check.service, [])
        if nodes and all(self._node_state.get(n.id) is CheckState.DOWN for n in nodes):
            # No node left to fail over to: a whole-service failure, not a failover. Events
            # that had already broken the promise are kept, the rest were its onset.
            for node in nodes:
                event = self._open.get(node.id)
                if event is not None and event.reasons:
                    event.reasons.append("then every node failed")
                    self._close(node.id, at)
                else:
                    self._open.pop(node.id, None)
            return
        if check.id not in self._open:
            self._open_event(check, at)

    def _open_event(self, check: ScheduledCheck, at: datetime) -> None:
        terms = self._services[check.service].failover
        event = FailoverEvent(
            service=check.service,
            node=check.name,
            start=at,
            max_frontend_outage=timedelta(seconds=terms.max_frontend_outage),
            restore_within=timedelta(seconds=terms.restore_within),
            address=node_address(check),
        )
        down_since = self._service_down.get(check.service)
        if down_since is not None:
            event.outage_since = max(down_since, at)
        if check.service in self._answers:
            answers, ttl = self._answers[check.service]
            event.answers_at_start = frozenset(self._seen.get(check.service, ())) | answers
            event.dns_ttl = ttl
            if event.address is not None:
                event.in_dns_at_start = event.address in answers
        self._open[check.id] = event
        # The frontend's results since the node's first failure, before it was confirmed.
        for result in self._recent.get(check.service, ()):
            if result.started_at >= at:
                _count_frontend(event, result)

    def _dns_answer(self, service: str, result: ProbeResult) -> None:
        answers = frozenset(result.answers)
        match = _TTL.search(result.detail)
        ttl = int(match[1]) if match else None
        self._answers[service] = (answers, ttl)
        seen_before = frozenset(self._seen.get(service, ()))
        self._seen.setdefault(service, set()).update(answers)
        for check_id, event in list(self._open.items()):
            if event.service != service or result.started_at < event.start:
                continue
            if event.in_dns_at_start is None and event.address is not None:
                event.in_dns_at_start = event.address in answers
                event.answers_at_start = seen_before | answers
                event.dns_ttl = ttl
            if (
                event.in_dns_at_start  # a node DNS never handed out cannot be taken out of it
                and event.dns_removed_at is None
                and event.address not in answers
            ):
                event.dns_removed_at = result.started_at
            failed = {event.address} if event.address else set()
            joined = answers - event.answers_at_start - failed
            if event.answers_at_start and joined:
                event.capacity_at = result.started_at
                event.capacity_how = f"new address {', '.join(sorted(joined))} in DNS"
                self._close(check_id, result.started_at)

    def _judge(self, event: FailoverEvent, now: datetime) -> None:
        """Announce a breach as soon as it is certain."""
        if event.reasons:
            return
        found = event.breaches(now)
        if found:
            event.reasons = found
            if self._on_event is not None:
                self._on_event("breached", event, now)

    def _close(self, check_id: str, at: datetime) -> None:
        event = self._open.pop(check_id)
        if event.outage_since is not None:
            stretch = max(at - event.outage_since, timedelta(0))
            event.outage_total += stretch
            event.outage_longest = max(event.outage_longest, stretch)
            event.outage_since = None
        final = event.breaches(at)
        if final and not event.reasons and self._on_event is not None:
            event.reasons = final
            self._on_event("breached", event, at)
        # The breaches as of the close, then what else was noted (every node failing after).
        noted = [r for r in event.reasons if r.startswith("then ")]
        event.reasons = (final or [r for r in event.reasons if r not in noted]) + noted
        record = IntervalRecord(
            IntervalKind.FAILOVER,
            self._vantage,
            f"{event.service}/{event.node}",
            event.start,
            max(at, event.start),
            detail=event.detail(at),
            id=new_interval_id(),
        )
        self._journal.submit_interval(IntervalOpen(record))
        if self._on_event is not None:
            self._on_event("closed", event, at)

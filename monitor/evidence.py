"""The evidence vocabulary: the intervals slawatch derives from probe results, what people add
beside them (exclusions, provider notices), and the changes that open and close intervals.

The state tracker, failover and the quorum speak it; the write path carries it and the stores
keep it. It imports nothing of them.

Instants are UTC-aware datetimes, intervals half-open ``[start, end)``; an interval whose ``end``
is None is still open.
"""

from __future__ import annotations

import enum
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

__all__ = [
    "DERIVED_KINDS",
    "LIFECYCLE_SUBJECT",
    "ExclusionRecord",
    "IntervalChange",
    "IntervalClose",
    "IntervalJournal",
    "IntervalKind",
    "IntervalOpen",
    "IntervalRecord",
    "NoticeRecord",
    "new_interval_id",
]


class IntervalKind(enum.StrEnum):
    """What an interval records."""

    #: One check confirmed down from one vantage (subject: ``service/check``).
    CHECK_DOWN = "check_down"
    #: Failed probes that recovered before confirmation: shown, never an outage.
    BLIP = "blip"
    #: No fresh result: neither up nor down (subject: ``service/check``, or ``*`` for the vantage).
    GAP = "gap"
    #: Every frontend check of a service down (subject: the service).
    OUTAGE = "outage"
    #: Some but not all frontend checks of a service down (subject: the service).
    DEGRADED = "degraded"
    #: Every check this vantage runs down at once, its canaries included: its own network is the
    #: likelier cause, so its votes do not count meanwhile (subject: the vantage's name). Only a
    #: vantage with canaries is ever isolated: without them nothing tells a cut-off vantage from
    #: dead services, and measured downtime stands (see UNCONFIRMED).
    ISOLATED = "isolated"
    #: Every check of a vantage without canaries down at once: its outages stand and are credited,
    #: but nothing independent confirms that the vantage itself could reach the network
    #: meanwhile (subject: the vantage's name). The report and the live state say so beside them.
    UNCONFIRMED = "unconfirmed"
    #: The daemon of this vantage was running (subject ``*``): where no vantage ran, nothing was
    #: measured.
    RUNNING = "running"
    #: A node confirmed down while others could serve, and what followed (subject
    #: ``service/node``; the detail holds the figures and the verdict, see monitor.failover).
    FAILOVER = "failover"


#: Interval kinds derived from raw results alone, which ``slawatch db rebuild`` recomputes. The
#: rest (RUNNING, and the vantage-wide GAP with subject ``*``) record the daemon's own life;
#: FAILOVER events are judged live and kept as they were.
DERIVED_KINDS: frozenset[IntervalKind] = frozenset(
    {
        IntervalKind.CHECK_DOWN,
        IntervalKind.BLIP,
        IntervalKind.GAP,
        IntervalKind.OUTAGE,
        IntervalKind.DEGRADED,
        IntervalKind.ISOLATED,
        IntervalKind.UNCONFIRMED,
    }
)
#: The subject of intervals about a vantage's daemon itself, never replaced by a rebuild.
LIFECYCLE_SUBJECT = "*"


@dataclass(frozen=True, slots=True)
class IntervalRecord:
    """One stored interval with its evidence.

    ``start_bound`` is the last success before ``start`` and ``end_bound`` the last failure
    before ``end``: the truth lies in ``[start_bound, start]`` and ``[end_bound, end]``.
    """

    kind: IntervalKind
    vantage: str
    subject: str
    start: datetime
    end: datetime | None = None
    start_bound: datetime | None = None
    end_bound: datetime | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)
    id: int | None = None


@dataclass(frozen=True, slots=True)
class ExclusionRecord:
    """A period a service's downtime does not count, with why and who said so (C5, C6).

    Kept for good: revoking one sets ``revoked_at``/``revoked_by``/``revoke_note`` and never
    deletes it, so every change can be traced. ``reason`` is a value of
    :class:`sla.ExclusionReason`; ``announced_at`` is when a maintenance was announced.
    """

    service: str
    start: datetime
    end: datetime
    reason: str
    note: str
    added_by: str
    added_at: datetime
    announced_at: datetime | None = None
    revoked_at: datetime | None = None
    revoked_by: str | None = None
    revoke_note: str | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class NoticeRecord:
    """When the provider told the customer of an outage, and where that is written (C4).

    ``at`` is when the notice was given (the provider's mail, status page or call); ``ref``
    points to it (a ticket, a URL, a quote). Kept for good, like exclusions: a notice entered by
    mistake is revoked (``revoked_at``/``revoked_by``/``revoke_note``), never deleted, and a
    revoked notice answers no outage.
    """

    service: str
    at: datetime
    ref: str
    added_by: str
    added_at: datetime
    revoked_at: datetime | None = None
    revoked_by: str | None = None
    revoke_note: str | None = None
    id: int | None = None


def new_interval_id() -> int:
    """A fresh interval id: random 62 bits, so vantages sharing one store never collide."""
    return secrets.randbits(62) + 1


@dataclass(frozen=True, slots=True)
class IntervalOpen:
    """Store ``record`` (which carries its id)."""

    record: IntervalRecord


@dataclass(frozen=True, slots=True)
class IntervalClose:
    """Close the interval ``interval_id`` at ``end``."""

    interval_id: int
    end: datetime
    end_bound: datetime | None = None
    detail: Mapping[str, Any] | None = None


IntervalChange = IntervalOpen | IntervalClose


class IntervalJournal(Protocol):
    """Where interval changes go: the writer in the daemon, a plain list in a rebuild."""

    def submit_interval(self, change: IntervalChange) -> None:
        """Take one change, in order; never waits."""
        ...

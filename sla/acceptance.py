"""Whether the contract accepts an exclusion, how much of it, and why (C5, C6).

Force majeure, the customer and third parties are excluded in full (C5). A maintenance is
excluded only when announced at least ``maintenance_notice_hours`` before its start, and then
only for its first ``maintenance_max_minutes`` (C6's "reasonable period"). The credit engine
applies exactly this decision; the report and ``slawatch exclude list`` say which one it was.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .contract import Contract, Exclusion, ExclusionReason
from .intervals import Interval

__all__ = ["Acceptance", "ExclusionDecision", "decide_exclusion"]


class Acceptance(enum.StrEnum):
    """What the contract made of an exclusion."""

    #: Accepted for the whole of its period.
    IN_FULL = "in_full"
    #: A maintenance longer than ``maintenance_max_minutes``: accepted for its first part only.
    FIRST_PART = "first_part"
    #: A maintenance with no announcement: refused.
    NOT_ANNOUNCED = "not_announced"
    #: A maintenance announced less than ``maintenance_notice_hours`` before its start: refused.
    ANNOUNCED_LATE = "announced_late"


@dataclass(frozen=True, slots=True)
class ExclusionDecision:
    """The decision, and the part of the exclusion's period that it removes (None: none)."""

    acceptance: Acceptance
    applied: Interval | None

    @property
    def accepted(self) -> bool:
        """Whether any of the exclusion counts."""
        return self.applied is not None


def decide_exclusion(contract: Contract, exclusion: Exclusion) -> ExclusionDecision:
    """What ``contract`` decides about ``exclusion`` (C5, C6)."""
    span = exclusion.span
    if exclusion.reason is not ExclusionReason.MAINTENANCE:
        return ExclusionDecision(Acceptance.IN_FULL, span)
    announced = exclusion.announced_at
    if announced is None:
        return ExclusionDecision(Acceptance.NOT_ANNOUNCED, None)
    if span.start - announced < contract.maintenance_notice:
        return ExclusionDecision(Acceptance.ANNOUNCED_LATE, None)
    limit = contract.maintenance_max
    if limit is not None and span.duration > limit:
        return ExclusionDecision(Acceptance.FIRST_PART, Interval(span.start, span.start + limit))
    return ExclusionDecision(Acceptance.IN_FULL, span)

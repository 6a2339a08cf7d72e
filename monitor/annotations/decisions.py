"""What the contract decides about a stored exclusion, in words.

The decision is the credit engine's (:func:`sla.decide_exclusion`, C5 and C6); this module only
says it, the same way in the monthly report and in ``slawatch exclude list``: accepted in full,
accepted for its first ``maintenance_max_minutes``, refused for late or missing notice, or
revoked. The words hold durations only, never instants, so each output shows instants its own
way (local time in the report, UTC on the command line).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sla import Acceptance, Contract, ExclusionReason, Interval, decide_exclusion

from ..case.measured import to_exclusion
from ..durations import format_duration
from ..evidence import ExclusionRecord
from ..timefmt import format_instant

__all__ = ["Decision", "ahead_of", "decide", "decision_to_json"]

#: The report's status word for each of the engine's reasons.
_STATUS = {
    Acceptance.IN_FULL: "applied",
    Acceptance.FIRST_PART: "applied in part",
    Acceptance.NOT_ANNOUNCED: "refused",
    Acceptance.ANNOUNCED_LATE: "refused",
}


@dataclass(frozen=True, slots=True)
class Decision:
    """A stored exclusion's fate under a contract."""

    #: ``applied``, ``applied in part``, ``refused`` or ``revoked``.
    status: str
    #: The engine's reason; None for a revoked exclusion, which the engine never sees.
    acceptance: Acceptance | None
    explanation: str
    #: The part of its period that is excluded, or None.
    applied: Interval | None


def _amount(value: Decimal) -> str:
    """A contract term as written: ``24``, ``0.5``, ``240``."""
    return format(value.normalize(), "f")


def decide(record: ExclusionRecord, contract: Contract) -> Decision:
    """The contract's decision about ``record``, with why, in words."""
    if record.revoked_at is not None:
        return Decision("revoked", None, "revoked: not applied", None)
    decision = decide_exclusion(contract, to_exclusion(record))
    acceptance = decision.acceptance
    if record.reason != ExclusionReason.MAINTENANCE.value:
        why = "accepted in full (C5)"
    else:
        why = (
            f"{_notice(record)}, the contract needs "
            f"{_amount(contract.maintenance_notice_hours)} h of notice (C6)"
        )
        if acceptance is Acceptance.FIRST_PART:
            limit = _amount(contract.maintenance_max_minutes or Decimal(0))
            length = format_duration(record.end - record.start)
            why = f"accepted for its first {limit} min (maintenance_max_minutes) of {length}: {why}"
        elif acceptance is Acceptance.IN_FULL:
            why = f"accepted in full: {why}"
        else:
            why = f"refused: {why}"
    return Decision(_STATUS[acceptance], acceptance, why, decision.applied)


def _notice(record: ExclusionRecord) -> str:
    if record.announced_at is None:
        return "never announced"
    return f"announced {ahead_of(record.start - record.announced_at)} its start"


def ahead_of(notice: timedelta) -> str:
    """How long before (or after) its start a maintenance was announced: ``6 h before``.

    Notice given rounds down, lateness up: neither reads as more notice than was given.
    """
    if notice >= timedelta(0):
        return f"{format_duration(notice, round_up=False)} before"
    return f"{format_duration(-notice)} after"


def decision_to_json(decision: Decision) -> dict[str, Any]:
    """The decision as JSON: ``status``, ``acceptance`` (null when revoked), ``explanation``
    and ``applied`` (the excluded part, RFC 3339 UTC, or null)."""
    applied = decision.applied
    return {
        "status": decision.status,
        "acceptance": None if decision.acceptance is None else decision.acceptance.value,
        "explanation": decision.explanation,
        "applied": None
        if applied is None
        else {"start": format_instant(applied.start), "end": format_instant(applied.end)},
    }

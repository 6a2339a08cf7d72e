"""The credit engine: pure functions from measured downtime to SLA credits.

Standard library only, no I/O, no clock: every instant and period is an argument (ARCHITECTURE.md).
The rules are CREDIT-RULES.md's; each module cites the clause it implements.
"""

from .acceptance import Acceptance, ExclusionDecision, decide_exclusion
from .calendar import day_span, days_in_month, iter_days, local_date
from .contract import Contract, Exclusion, ExclusionReason, GapPolicy, Period, Rounding
from .credits import (
    CLAUSES,
    CreditResult,
    DayCredit,
    FeeSource,
    applied_exclusion,
    compute_credits,
    creditable_minutes,
)
from .errors import ContractError, IntervalError, SLAError
from .intervals import Interval, IntervalSet, intersect, normalize, quorum, subtract, total, union
from .money import format_money, round_half_up
from .output import day_to_json, result_to_json

__all__ = [
    "CLAUSES",
    "Acceptance",
    "Contract",
    "ContractError",
    "CreditResult",
    "DayCredit",
    "Exclusion",
    "ExclusionDecision",
    "ExclusionReason",
    "FeeSource",
    "GapPolicy",
    "Interval",
    "IntervalError",
    "IntervalSet",
    "Period",
    "Rounding",
    "SLAError",
    "applied_exclusion",
    "compute_credits",
    "creditable_minutes",
    "day_span",
    "day_to_json",
    "days_in_month",
    "decide_exclusion",
    "format_money",
    "intersect",
    "iter_days",
    "local_date",
    "normalize",
    "quorum",
    "result_to_json",
    "round_half_up",
    "subtract",
    "total",
    "union",
]

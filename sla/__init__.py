"""The credit engine: pure functions from measured downtime to SLA credits.

Standard library only, no I/O, no clock: every instant and period is an argument (ARCHITECTURE.md).
The rules are CREDIT-RULES.md's; each module cites the clause it implements.
"""

from .acceptance import Acceptance, ExclusionDecision, decide_exclusion
from .calendar import Month, day_span, days_in_month, iter_days, iter_months, local_date
from .contract import (
    PER_MINUTE_FIELDS,
    TIER_FIELDS,
    Contract,
    CreditPolicy,
    DowntimeMinutes,
    Exclusion,
    ExclusionReason,
    GapPolicy,
    Period,
    Rounding,
    Termination,
    Tier,
)
from .credits import (
    CLAUSES,
    CreditResult,
    DayCredit,
    Fees,
    FeeSource,
    Refund,
    applied_exclusion,
    compute_credits,
    creditable_minutes,
)
from .engine import Credits, compute
from .errors import ContractError, IntervalError, SLAError
from .intervals import Interval, IntervalSet, intersect, normalize, quorum, subtract, total, union
from .money import format_money, round_half_up
from .output import (
    day_to_json,
    format_percent,
    month_to_json,
    plain_decimal,
    result_to_json,
)
from .tiers import (
    MonthCredit,
    UptimeResult,
    compute_uptime_credits,
    counted_stretches,
    downtime_minutes,
    tier_for,
)

__all__ = [
    "CLAUSES",
    "PER_MINUTE_FIELDS",
    "TIER_FIELDS",
    "Acceptance",
    "Contract",
    "ContractError",
    "CreditPolicy",
    "CreditResult",
    "Credits",
    "DayCredit",
    "DowntimeMinutes",
    "Exclusion",
    "ExclusionDecision",
    "ExclusionReason",
    "FeeSource",
    "Fees",
    "GapPolicy",
    "Interval",
    "IntervalError",
    "IntervalSet",
    "Month",
    "MonthCredit",
    "Period",
    "Refund",
    "Rounding",
    "SLAError",
    "Termination",
    "Tier",
    "UptimeResult",
    "applied_exclusion",
    "compute",
    "compute_credits",
    "compute_uptime_credits",
    "counted_stretches",
    "creditable_minutes",
    "day_span",
    "day_to_json",
    "days_in_month",
    "decide_exclusion",
    "downtime_minutes",
    "format_money",
    "format_percent",
    "intersect",
    "iter_days",
    "iter_months",
    "local_date",
    "month_to_json",
    "normalize",
    "plain_decimal",
    "quorum",
    "result_to_json",
    "round_half_up",
    "subtract",
    "tier_for",
    "total",
    "union",
]

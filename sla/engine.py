"""One entry point for every credit policy: the contract's ``credit_policy`` decides the rule."""

from __future__ import annotations

from collections.abc import Iterable

from .contract import Contract, CreditPolicy, Exclusion, Period, Termination
from .credits import CreditResult, Fees, compute_credits
from .errors import ContractError
from .intervals import Interval
from .tiers import UptimeResult, compute_uptime_credits

__all__ = ["Credits", "compute"]

#: Daily credits (``per_minute``) or monthly ones (``uptime_tiers``).
Credits = CreditResult | UptimeResult


def compute(
    contract: Contract,
    period: Period,
    outages: Iterable[Interval],
    *,
    exclusions: Iterable[Exclusion] = (),
    gaps: Iterable[Interval] = (),
    fees: Fees | None = None,
    termination: Termination | None = None,
) -> Credits:
    """The credits the contract's policy gives for the measured outages over ``period``."""
    if contract.credit_policy is CreditPolicy.UPTIME_TIERS:
        if termination is not None:
            raise ContractError(
                "termination", "the termination refund applies under per_minute, not uptime_tiers"
            )
        return compute_uptime_credits(
            contract, period, outages, exclusions=exclusions, gaps=gaps, fees=fees
        )
    return compute_credits(
        contract,
        period,
        outages,
        exclusions=exclusions,
        gaps=gaps,
        fees=fees,
        termination=termination,
    )

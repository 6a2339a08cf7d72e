"""A contract's terms as written in a configuration or a case file: the ``contract`` object of
CREDIT-RULES.md, validated, with CREDIT-RULES.md's defaults, turned into the credit engine's
:class:`sla.Contract`.

Each credit policy reads its own fields; a field of the other policy is an error, named, so a
contract never silently means something else than what was written.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sla import (
    PER_MINUTE_FIELDS,
    TIER_FIELDS,
    Contract,
    ContractError,
    CreditPolicy,
    DowntimeMinutes,
    GapPolicy,
    Rounding,
    Tier,
)

from .fields import Amount, Duration, Zone

__all__ = ["ContractTerms", "TierTerms"]


class TierTerms(BaseModel):
    """``{below: P, percent: C}``: C % of the month's charge when uptime % is below P."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    below: Amount
    percent: Amount


class ContractTerms(BaseModel):
    """The ``contract`` object; defaults are CREDIT-RULES.md's."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    timezone: Zone = Field(default_factory=lambda: ZoneInfo("UTC"))
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    minor_units: Annotated[int, Field(ge=0, le=12, strict=True)] = 2
    credit_policy: CreditPolicy = CreditPolicy.PER_MINUTE
    daily_fee: Amount | None = None
    monthly_fee: Amount | None = None
    rounding: Rounding = Rounding.PER_OUTAGE
    credit_multiplier: Amount = Decimal(1)
    tiers: tuple[TierTerms, ...] | None = None
    downtime_minutes: DowntimeMinutes | None = None
    min_downtime_minutes: Amount | None = None
    max_credit_percent: Amount | None = None
    maintenance_notice_hours: Amount = Decimal(24)
    maintenance_max_minutes: Amount | None = Decimal(240)
    gap_policy: GapPolicy = GapPolicy.EXCLUDE
    #: How long after the end of the month a claim may be filed (``60d``); read by the claim.
    claim_within: Duration | None = None
    #: Or a named deadline: the end of the month after the claimed one.
    claim_by: Literal["end_of_second_billing_cycle"] | None = None

    @model_validator(mode="after")
    def _fields_of_the_policy(self) -> ContractTerms:
        if self.credit_policy is CreditPolicy.UPTIME_TIERS:
            foreign, mine, other = PER_MINUTE_FIELDS, "uptime_tiers", "per_minute"
        else:
            foreign, mine, other = TIER_FIELDS, "per_minute", "uptime_tiers"
        problems = [
            f"{name}: belongs to credit_policy {other}, not {mine}"
            for name in foreign
            if name in self.model_fields_set
        ]
        if mine == "uptime_tiers" and not self.tiers:
            problems.append("tiers: expected at least one tier under credit_policy uptime_tiers")
        if self.claim_within is not None and self.claim_by is not None:
            problems.append("claim_by: give claim_within or claim_by, not both")
        if not problems:
            try:
                self.to_contract()
            except ContractError as error:
                problems.append(f"{error.field.removeprefix('contract.')}: {error.problem}")
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def _written(self) -> set[str]:
        """The fields the policy reads (those of the other policy are never written out)."""
        foreign = (
            PER_MINUTE_FIELDS if self.credit_policy is CreditPolicy.UPTIME_TIERS else TIER_FIELDS
        )
        return set(type(self).model_fields) - set(foreign)

    def to_json(self) -> dict[str, Any]:
        """The terms in the case format, amounts as exact decimal strings."""
        out: dict[str, Any] = {"timezone": str(self.timezone)}
        for name, value in self:
            if name == "timezone" or name not in self._written() or value is None:
                continue
            if name == "tiers":
                out[name] = [{"below": str(t.below), "percent": str(t.percent)} for t in value]
            elif name == "claim_within":
                days, rest = divmod(value, 86400)
                out[name] = f"{days:g}d" if not rest else f"{value:g}s"
            else:
                out[name] = str(value) if isinstance(value, Decimal) else value
        if self.maintenance_max_minutes is None:
            out["maintenance_max_minutes"] = None
        return out

    def to_contract(self) -> Contract:
        """The credit engine's contract."""
        return Contract(
            currency=self.currency,
            timezone=self.timezone,
            minor_units=self.minor_units,
            daily_fee=self.daily_fee,
            monthly_fee=self.monthly_fee,
            rounding=self.rounding,
            credit_multiplier=self.credit_multiplier,
            maintenance_notice_hours=self.maintenance_notice_hours,
            maintenance_max_minutes=self.maintenance_max_minutes,
            gap_policy=self.gap_policy,
            credit_policy=self.credit_policy,
            tiers=tuple(Tier(t.below, t.percent) for t in self.tiers or ()),
            downtime_minutes=self.downtime_minutes,
            min_downtime_minutes=self.min_downtime_minutes,
            max_credit_percent=self.max_credit_percent,
        )

"""A contract's terms as written in a configuration or a case file: the ``contract`` object of
CREDIT-RULES.md, validated, with CREDIT-RULES.md's defaults, turned into the credit engine's
:class:`sla.Contract`."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from sla import Contract, GapPolicy, Rounding

from .fields import Amount, Zone

__all__ = ["ContractTerms"]


class ContractTerms(BaseModel):
    """The ``contract`` object; defaults are CREDIT-RULES.md's."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    timezone: Zone = Field(default_factory=lambda: ZoneInfo("UTC"))
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    minor_units: Annotated[int, Field(ge=0, le=12, strict=True)] = 2
    daily_fee: Amount | None = None
    monthly_fee: Amount | None = None
    rounding: Rounding = Rounding.PER_OUTAGE
    credit_multiplier: Amount = Decimal(1)
    maintenance_notice_hours: Amount = Decimal(24)
    maintenance_max_minutes: Amount | None = Decimal(240)
    gap_policy: GapPolicy = GapPolicy.EXCLUDE

    def to_json(self) -> dict[str, Any]:
        """The terms in the case format, amounts as exact decimal strings."""
        out: dict[str, Any] = {"timezone": str(self.timezone)}
        for name, value in self:
            if name == "timezone" or value is None:
                continue
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
        )

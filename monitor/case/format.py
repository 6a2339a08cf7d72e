"""The case format of CREDIT-RULES.md, parsed at the edge into the credit engine's plain values.

``load_case`` accepts the case object itself, or a worked-example file ``{"case": ..., "expected":
...}`` (its ``case`` is used). Numbers in JSON are read as exact decimals, never as floats.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from sla import (
    Contract,
    Credits,
    Exclusion,
    ExclusionReason,
    Interval,
    Month,
    Period,
    SLAError,
    Termination,
    compute,
)

from ..config.fields import Amount, Day, Instant, describe_validation_error
from ..config.terms import ContractTerms
from ..errors import InputError
from ..redact import excerpt
from ..timefmt import parse_date

__all__ = ["Case", "load_case", "parse_case"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)


class PeriodDates(_Model):
    start: Day
    end: Day


class Span(BaseModel):
    """An interval; other keys (ids, notes, evidence) are carried by exports and ignored here."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    start: Instant
    end: Instant


class ExclusionSpan(Span):
    reason: ExclusionReason
    announced_at: Instant | None = None


class TerminationTerms(_Model):
    date: Day
    prepaid: Amount


def _fee_key(value: object) -> date | Month:
    """A day (``per_minute``) or a month (``uptime_tiers``); the engine checks which applies."""
    if isinstance(value, str) and _MONTH.fullmatch(value):
        try:
            return Month(int(value[:4]), int(value[5:]))
        except SLAError:
            raise ValueError(f"{excerpt(value)} is not a calendar month") from None
    if isinstance(value, str) and _DAY.fullmatch(value):
        return parse_date(value)
    raise ValueError(f"expected a day YYYY-MM-DD or a month YYYY-MM, got {excerpt(value)}")


_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
FeeKey = Annotated[date | Month, BeforeValidator(_fee_key)]


class CaseModel(_Model):
    contract: ContractTerms
    period: PeriodDates
    fees: dict[FeeKey, Amount] = Field(default_factory=dict)
    termination: TerminationTerms | None = None
    outages: list[Span] = Field(default_factory=list)
    exclusions: list[ExclusionSpan] = Field(default_factory=list)
    gaps: list[Span] = Field(default_factory=list)
    meta: dict[str, Any] = Field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Case:
    """A parsed case, ready for ``sla.compute_credits``."""

    contract: Contract
    period: Period
    fees: dict[date | Month, Decimal]
    outages: tuple[Interval, ...]
    exclusions: tuple[Exclusion, ...]
    gaps: tuple[Interval, ...]
    termination: Termination | None = None

    def credits(self) -> Credits:
        """The credits of this case, by its contract's policy."""
        return compute(
            self.contract,
            self.period,
            self.outages,
            exclusions=self.exclusions,
            gaps=self.gaps,
            fees=self.fees,
            termination=self.termination,
        )


def _interval(span: Span, field: str) -> Interval:
    try:
        return Interval(span.start, span.end)
    except SLAError as error:
        raise InputError(f"{field}.{error.field}: {error.problem}") from None


def parse_case(document: object) -> Case:
    """Validate a decoded case document; errors name the field path."""
    if isinstance(document, dict) and "case" in document and "contract" not in document:
        document = document["case"]
    try:
        model = CaseModel.model_validate(document)
    except ValidationError as error:
        raise InputError(describe_validation_error(error)) from None
    try:
        return Case(
            contract=model.contract.to_contract(),
            period=Period(model.period.start, model.period.end),
            fees=dict(model.fees),
            outages=tuple(_interval(s, f"outages[{i}]") for i, s in enumerate(model.outages)),
            exclusions=tuple(
                Exclusion(_interval(s, f"exclusions[{i}]"), s.reason, s.announced_at)
                for i, s in enumerate(model.exclusions)
            ),
            gaps=tuple(_interval(s, f"gaps[{i}]") for i, s in enumerate(model.gaps)),
            termination=(
                None
                if model.termination is None
                else Termination(model.termination.date, model.termination.prepaid)
            ),
        )
    except SLAError as error:
        raise InputError(str(error)) from None


def load_case(text: str) -> Case:
    """Parse a case from JSON text."""
    try:
        document = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as error:
        raise InputError(
            f"not valid JSON at line {error.lineno} column {error.colno}: {error.msg}"
        ) from None
    return parse_case(document)

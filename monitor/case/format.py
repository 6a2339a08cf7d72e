"""The case format of CREDIT-RULES.md, parsed at the edge into the credit engine's plain values.

``load_case`` accepts the case object itself, or a worked-example file ``{"case": ..., "expected":
...}`` (its ``case`` is used). Numbers in JSON are read as exact decimals, never as floats.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sla import (
    Contract,
    Exclusion,
    ExclusionReason,
    Interval,
    Period,
    SLAError,
)

from ..config.fields import Amount, Day, Instant, describe_validation_error
from ..config.terms import ContractTerms
from ..errors import InputError

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


class CaseModel(_Model):
    contract: ContractTerms
    period: PeriodDates
    fees: dict[Day, Amount] = Field(default_factory=dict)
    outages: list[Span] = Field(default_factory=list)
    exclusions: list[ExclusionSpan] = Field(default_factory=list)
    gaps: list[Span] = Field(default_factory=list)
    meta: dict[str, Any] = Field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Case:
    """A parsed case, ready for ``sla.compute_credits``."""

    contract: Contract
    period: Period
    fees: dict[date, Decimal]
    outages: tuple[Interval, ...]
    exclusions: tuple[Exclusion, ...]
    gaps: tuple[Interval, ...]


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

"""Errors raised by the credit engine.

The tree::

    SLAError                 anything the credit engine refuses
    ├── IntervalError        an interval that cannot exist (naive instant, end before start)
    └── ContractError        terms or inputs that the contract rules cannot apply to
                             (no fee for a day, a reversed period, a bad amount)

Every error carries ``field``: the dotted path of the input at fault, so the caller can print one
line that names it.
"""

from __future__ import annotations

__all__ = ["ContractError", "IntervalError", "SLAError"]


class SLAError(Exception):
    """Base of every error the credit engine raises."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}" if field else problem)
        self.field = field
        self.problem = problem


class IntervalError(SLAError):
    """An interval is not a valid half-open span of aware instants."""


class ContractError(SLAError):
    """The contract terms, or the period and fees they are applied to, are not usable."""

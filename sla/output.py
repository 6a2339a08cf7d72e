"""CREDIT-RULES.md's output format: the JSON that ``slawatch credits`` prints."""

from __future__ import annotations

from typing import Any

from .credits import CreditResult, DayCredit
from .money import format_money

__all__ = ["day_to_json", "result_to_json"]


def day_to_json(day: DayCredit, minor_units: int) -> dict[str, Any]:
    """One day's entry, with money as strings of exactly ``minor_units`` decimals."""
    minutes_in_day = day.minutes_in_day
    return {
        "date": day.date.isoformat(),
        "minutes_in_day": (
            minutes_in_day.numerator if minutes_in_day.denominator == 1 else float(minutes_in_day)
        ),
        "fee": format_money(day.fee, minor_units),
        "unavailable_seconds": day.unavailable.total_seconds(),
        "excluded_seconds": day.excluded.total_seconds(),
        "credited_minutes": day.credited_minutes,
        "credit": format_money(day.credit, minor_units),
        "capped": day.capped,
    }


def result_to_json(result: CreditResult) -> dict[str, Any]:
    """The whole output object: currency, period total and one entry per day, in order."""
    return {
        "currency": result.currency,
        "total_credit": format_money(result.total_credit, result.minor_units),
        "days": [day_to_json(day, result.minor_units) for day in result.days],
    }

"""CREDIT-RULES.md's output format: the JSON that ``slawatch credits`` prints."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from .credits import CreditResult, DayCredit, Refund
from .money import format_money, round_half_up
from .tiers import MonthCredit, UptimeResult

__all__ = [
    "day_to_json",
    "format_percent",
    "month_to_json",
    "plain_decimal",
    "result_to_json",
]


def _minutes(value: Fraction) -> int | float:
    return value.numerator if value.denominator == 1 else float(value)


def plain_decimal(value: Decimal) -> str:
    """A decimal without exponent or trailing zeros ("10", "12.5")."""
    return format(value.normalize(), "f")


def format_percent(value: Fraction) -> str:
    """An exact percentage to 4 decimals, half up ("99.8992"), for reading only."""
    return f"{round_half_up(value, 4):.4f}"


def day_to_json(day: DayCredit, minor_units: int) -> dict[str, Any]:
    """One day's entry, with money as strings of exactly ``minor_units`` decimals."""
    return {
        "date": day.date.isoformat(),
        "minutes_in_day": _minutes(day.minutes_in_day),
        "fee": format_money(day.fee, minor_units),
        "unavailable_seconds": day.unavailable.total_seconds(),
        "excluded_seconds": day.excluded.total_seconds(),
        "credited_minutes": day.credited_minutes,
        "credit": format_money(day.credit, minor_units),
        "capped": day.capped,
    }


def month_to_json(month: MonthCredit, minor_units: int) -> dict[str, Any]:
    """One month's entry under ``uptime_tiers``."""
    return {
        "month": str(month.month),
        "minutes_in_month": _minutes(month.minutes_in_month),
        "charge": format_money(month.charge, minor_units),
        "unavailable_seconds": month.unavailable.total_seconds(),
        "excluded_seconds": month.excluded.total_seconds(),
        "downtime_minutes": month.downtime_minutes,
        "uptime_percent": format_percent(month.uptime_percent),
        "credit_percent": plain_decimal(month.credit_percent),
        "credit": format_money(month.credit, minor_units),
    }


def _refund_to_json(refund: Refund, minor_units: int) -> dict[str, str]:
    return {
        "date": refund.date.isoformat(),
        "prepaid": format_money(refund.prepaid, minor_units),
        "used": format_money(refund.used, minor_units),
        "refund": format_money(refund.refund, minor_units),
    }


def result_to_json(result: CreditResult | UptimeResult) -> dict[str, Any]:
    """The whole output object: currency, period total and one entry per day or month."""
    units = result.minor_units
    out: dict[str, Any] = {
        "currency": result.currency,
        "total_credit": format_money(result.total_credit, units),
    }
    if isinstance(result, UptimeResult):
        out["months"] = [month_to_json(m, units) for m in result.months]
        return out
    out["days"] = [day_to_json(day, units) for day in result.days]
    if result.termination is not None:
        out["termination"] = _refund_to_json(result.termination, units)
    return out

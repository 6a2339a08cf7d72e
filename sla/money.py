"""Money: exact amounts, rounded once to the currency's minor units, half up (C1, C2).

Intermediate amounts are :class:`fractions.Fraction`, so ``minutes x fee x multiplier /
minutes_in_day`` is exact whatever the divisor; only the final figure becomes a ``Decimal``.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

__all__ = ["format_money", "round_half_up"]


def round_half_up(amount: Fraction | Decimal, minor_units: int) -> Decimal:
    """Round ``amount`` to ``minor_units`` decimals, halves away from zero.

    Done on the exact fraction, so no binary or decimal precision limit can shift a half.
    """
    scale = 10**minor_units
    scaled = Fraction(amount) * scale
    sign = -1 if scaled < 0 else 1
    whole, rest = divmod(abs(scaled.numerator), scaled.denominator)
    if 2 * rest >= scaled.denominator:
        whole += 1
    # Built from its digits, so no decimal context precision can round it again.
    digits = tuple(int(d) for d in str(whole))
    # An amount that rounds to zero is plain zero, never "-0.00".
    return Decimal((1 if sign < 0 and whole else 0, digits, -minor_units))


def format_money(amount: Decimal, minor_units: int) -> str:
    """The amount as a string with exactly ``minor_units`` decimals ("0.80", "144")."""
    return f"{round_half_up(amount, minor_units):.{minor_units}f}"

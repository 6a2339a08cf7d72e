"""Money (CREDIT-RULES.md "Money": computed exactly, rounded once to the currency's minor units,
half up; money fields are strings with exactly ``minor_units`` decimals)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from sla import format_money, round_half_up


@pytest.mark.parametrize(
    ("amount", "minor_units", "expected"),
    [
        pytest.param(Fraction(2875, 1000), 2, "2.88", id="exact-half-up"),
        pytest.param(Fraction(2874999, 1000000), 2, "2.87", id="just-below-half"),
        pytest.param(Fraction(28749999999, 10**10), 2, "2.87", id="far-below-half"),
        pytest.param(Decimal("2.865"), 2, "2.87", id="half-up-not-half-even"),
        pytest.param(Decimal("2.885"), 2, "2.89", id="half-up-odd"),
        pytest.param(Decimal("0.005"), 2, "0.01", id="smallest-half"),
        pytest.param(Decimal("0.0049999"), 2, "0.00", id="below-smallest-half"),
        pytest.param(Decimal("0.80"), 2, "0.80", id="already-rounded"),
        pytest.param(Decimal("144"), 2, "144.00", id="gains-decimals"),
        pytest.param(Decimal("2.5"), 0, "3", id="minor-0-half-up"),
        pytest.param(Decimal("2.4999"), 0, "2", id="minor-0-below-half"),
        pytest.param(Fraction(1, 3), 3, "0.333", id="minor-3-third"),
        pytest.param(Fraction(2, 3), 3, "0.667", id="minor-3-two-thirds"),
        pytest.param(Decimal("1.0005"), 3, "1.001", id="minor-3-half"),
        pytest.param(Fraction(100, 31), 2, "3.23", id="hundred-over-31"),
        pytest.param(Decimal("-2.5"), 0, "-3", id="negative-half-away-from-zero"),
        pytest.param(Decimal(0), 3, "0.000", id="zero-minor-3"),
    ],
)
def test_round_half_up(amount: Fraction | Decimal, minor_units: int, expected: str) -> None:
    """round_half_up rounds the exact amount to minor units, halves away from zero."""
    rounded = round_half_up(amount, minor_units)
    # Compared as text: Decimal equality would also accept other exponents and a signed zero.
    assert str(rounded) == expected


@pytest.mark.parametrize(
    ("amount", "minor_units", "expected"),
    [
        pytest.param(Decimal("0.8"), 2, "0.80", id="pads-to-two"),
        pytest.param(Decimal("144"), 0, "144", id="minor-0-no-point"),
        pytest.param(Decimal("144.00"), 0, "144", id="minor-0-drops-decimals"),
        pytest.param(Decimal("3.2258"), 3, "3.226", id="minor-3-rounds"),
        pytest.param(Decimal(0), 3, "0.000", id="zero-minor-3"),
        pytest.param(Decimal("1.005"), 2, "1.01", id="half-up"),
        pytest.param(Decimal("1E+3"), 2, "1000.00", id="exponent-notation"),
        pytest.param(Decimal("12.5"), 12, "12.500000000000", id="minor-12"),
    ],
)
def test_format_money(amount: Decimal, minor_units: int, expected: str) -> None:
    """format_money writes exactly minor_units decimals, rounding half up."""
    assert format_money(amount, minor_units) == expected


def test_round_half_up_is_exact_beyond_28_digits() -> None:
    """An amount with 30 significant digits is already rounded, so it comes back unchanged."""
    amount = Decimal("1234567890123456789012345678.91")
    assert str(round_half_up(amount, 2)) == "1234567890123456789012345678.91"
    assert format_money(amount, 2) == "1234567890123456789012345678.91"


@pytest.mark.parametrize(
    ("amount", "minor_units", "expected"),
    [
        pytest.param(Decimal("-0.004"), 2, "0.00", id="decimal"),
        pytest.param(Fraction(-1, 1000), 2, "0.00", id="fraction"),
        pytest.param(Decimal("-0.4"), 0, "0", id="minor-0"),
    ],
)
def test_negative_amount_rounding_to_zero_is_plain_zero(
    amount: Fraction | Decimal, minor_units: int, expected: str
) -> None:
    """A negative amount that rounds to zero comes back as 0, without a minus sign."""
    assert str(round_half_up(amount, minor_units)) == expected


def test_format_money_never_writes_minus_zero() -> None:
    """format_money(-0.004, 2) is "0.00", not "-0.00"."""
    assert format_money(Decimal("-0.004"), 2) == "0.00"

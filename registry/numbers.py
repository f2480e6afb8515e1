"""Exact integers to display floats, safely for any size.

Counts are Python integers of any size (a spec may say 10**400); a ratio or a percentage
of two of them is a float for display and JSON, which these helpers compute without
overflow, and without NaN or infinity (not valid JSON): ``None`` stands for "no value".
"""

from __future__ import annotations

from fractions import Fraction


def ratio(numerator: int | float, denominator: int | float) -> float | None:
    """``numerator / denominator`` as a float; None when the denominator is 0 or the
    result is beyond a float's range."""
    if not denominator:
        return None
    try:
        if type(numerator) is int and type(denominator) is int:  # int / int is correctly rounded, as Fraction's is
            return numerator / denominator
        value = float(Fraction(numerator) / Fraction(denominator))
    except (OverflowError, ValueError):
        return None
    return value if value not in (float("inf"), float("-inf")) else None


def ceil_div(numerator: int, denominator: int) -> int:
    """``ceil(numerator / denominator)`` in exact integer arithmetic."""
    return -(-numerator // denominator)


#: What a float result beyond the range of a double says (about 1.8e308).
BEYOND_FLOAT = "beyond the range of a floating-point number (about 1.8e308)"


def finite_ratio(numerator: int | float | Fraction, denominator: int | float | Fraction, what: str) -> float:
    """``numerator / denominator`` (the denominator positive), computed exactly and given as a
    finite float; ValueError naming ``what`` when it is beyond a float's range (a figure we
    cannot print honestly is refused, never shown as ``inf``)."""
    try:
        value = float(Fraction(numerator) / Fraction(denominator))
    except (OverflowError, ValueError, ZeroDivisionError):
        raise ValueError(f"{what} is {BEYOND_FLOAT}") from None
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"{what} is {BEYOND_FLOAT}")
    return value

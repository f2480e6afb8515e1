"""Checks of options shared by the compute commands: a bad value is one line and exit 2.

They run in ``run()`` rather than as argparse types or choices, which would print the
whole usage before the error.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation


def positive_int(command: str, option: str, value: int | str) -> int:
    """``value`` as a positive integer (``1.4e12`` is accepted if it is a whole number) of at
    most :data:`registry.sources.spec.MAX_DIGITS` digits."""
    from registry.io import MAX_DIGITS

    try:
        number = Decimal(str(value).replace("_", ""))
    except InvalidOperation:
        number = None
    if number is not None and number.is_finite() and number.adjusted() >= MAX_DIGITS:  # before int(): 1e99999999
        raise SystemExit(f"registry {command}: {option} may have at most {MAX_DIGITS} digits")
    if number is None or not number.is_finite() or number != number.to_integral_value() or number < 1:
        raise SystemExit(f"registry {command}: {option} must be a positive whole number, got {value}")
    return int(number)


def positive_float(command: str, option: str, value: float | str) -> float:
    """``value`` as a positive finite number."""
    try:
        number = float(str(value).replace("_", ""))
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or number <= 0:
        raise SystemExit(f"registry {command}: {option} must be a positive finite number, got {value}")
    return number


def choice(command: str, option: str, value: str, choices: Iterable[str]) -> str:
    """``value`` if it is one of ``choices``; otherwise one line naming them."""
    known = tuple(choices)
    if value not in known:
        raise SystemExit(f"registry {command}: {option} must be one of {', '.join(known)}, not {value!r}")
    return value

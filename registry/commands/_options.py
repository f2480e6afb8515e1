"""Checks of options shared by the compute commands: a bad value is one line and exit 2.

They run in ``run()`` rather than as argparse types or choices, which would print the
whole usage before the error.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation


#: The most GPUs (``--gpus``, ``--tp``, ``--pp``, ``--ep``) and sequences (``--batch``) an option may
#: give: far past any machine, and small enough that every rate and share computed from them
#: in floating point stays finite (docs/compute.md states it).
MAX_GPUS = MAX_BATCH = 10**9  # registry.analyses.gpus.MAX_GPUS is the same bound for --gpus
#: ``chinchilla --compute`` is at least one FLOP (smaller budgets underflow the rule's N to 0).
MIN_COMPUTE = 1.0
#: ``chinchilla --tokens-per-param`` lies in this range (Chinchilla's is 20).
TOKENS_PER_PARAM_RANGE = (1e-6, 1e6)


def positive_int(command: str, option: str, value: int | str, most: int | None = None) -> int:
    """``value`` as a positive integer (``1.4e12`` is accepted if it is a whole number) of at
    most :data:`registry.sources.spec.MAX_DIGITS` digits, and at most ``most`` if given."""
    from registry.sources.spec import MAX_DIGITS

    try:
        number = Decimal(str(value).replace("_", ""))
    except InvalidOperation:
        number = None
    if number is not None and number.is_finite() and number.adjusted() >= MAX_DIGITS:  # before int(): 1e99999999
        raise SystemExit(f"registry {command}: {option} may have at most {MAX_DIGITS} digits")
    if number is None or not number.is_finite() or number != number.to_integral_value() or number < 1:
        raise SystemExit(f"registry {command}: {option} must be a positive whole number, got {_shown(value)}")
    if most is not None and number > most:
        raise SystemExit(f"registry {command}: {option} may be at most {most:,}, got {_shown(value)}")
    return int(number)


def positive_float(command: str, option: str, value: float | str, least: float | None = None,
                   most: float | None = None) -> float:  # fmt: skip
    """``value`` as a positive finite number, within [``least``, ``most``] where given."""
    text = str(value).replace("_", "")
    try:
        number = float(text) if len(text) <= 1000 else math.nan
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or number <= 0:
        raise SystemExit(f"registry {command}: {option} must be a positive finite number, got {_shown(value)}")
    if (least is not None and number < least) or (most is not None and number > most):
        bounds = f"at least {least:g}" if most is None else f"at most {most:g}" if least is None else f"from {least:g} to {most:g}"
        raise SystemExit(f"registry {command}: {option} must be {bounds}, got {_shown(value)}")
    return number


def _shown(value: object) -> str:
    """An option's value as an error line quotes it: at most 40 characters."""
    text = str(value)
    return text if len(text) <= 40 else f"{text[:20]}...{text[-10:]} ({len(text)} characters)"


def choice(command: str, option: str, value: str, choices: Iterable[str]) -> str:
    """``value`` if it is one of ``choices``; otherwise one line naming them."""
    known = tuple(choices)
    if value not in known:
        raise SystemExit(f"registry {command}: {option} must be one of {', '.join(known)}, not {value!r}")
    return value

"""Checks of options shared by the compute commands: a bad value is one line and exit 2.

They run in ``run()`` rather than as argparse types or choices, which would print the
whole usage before the error.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

#: Suffixes a count may carry: decimal (``8k`` = 8,000, ``1T`` = 10**12) and binary (``8Ki`` = 8,192).
SUFFIXES: dict[str, int] = {"k": 10**3, "m": 10**6, "b": 10**9, "g": 10**9, "t": 10**12,
                            "ki": 2**10, "mi": 2**20, "gi": 2**30, "ti": 2**40}  # fmt: skip


def parse_number(text: object) -> Decimal | None:
    """``text`` as an exact number: ``1.4e12``, ``1_000``, ``15T``, ``300B``, ``8k`` (decimal
    suffixes: 8,000), ``8Ki`` (binary: 8,192); None when it is no number."""
    raw = str(text).strip().replace("_", "")
    scale = 1
    match = re.fullmatch(r"([0-9.eE+-]*[0-9.])\s*([kKmMbBgGtT][iI]?)", raw)
    if match:
        raw, scale = match.group(1), SUFFIXES[match.group(2).lower()]
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return None
    return value * scale if scale != 1 and value.is_finite() else value


#: The most GPUs (``--gpus``, ``--tp``, ``--pp``, ``--ep``) and sequences (``--batch``) an option may
#: give: far past any machine, and small enough that every rate and share computed from them
#: in floating point stays finite (docs/compute.md states it).
MAX_GPUS = MAX_BATCH = 10**9  # registry.analyses.gpus.MAX_GPUS is the same bound for --gpus
#: ``chinchilla --compute`` is at least one FLOP (smaller budgets underflow the rule's N to 0).
MIN_COMPUTE = 1.0
#: ``chinchilla --tokens-per-param`` lies in this range (Chinchilla's is 20).
TOKENS_PER_PARAM_RANGE = (1e-6, 1e6)
#: ``flops --achieved-tflops`` lies in the range of a GPU catalogue's peaks
#: (:data:`registry.analyses.gpus.RANGES`): 1 GFLOP/s to 1 ZFLOP/s per GPU.
TFLOPS_RANGE = (1e-3, 1e9)


def positive_int(command: str, option: str, value: int | str, most: int | None = None) -> int:
    """``value`` as a positive integer (``1.4e12``, ``15T``, ``8k`` = 8,000 and ``8Ki`` = 8,192 are
    accepted if whole) of at most :data:`registry.io.MAX_DIGITS` digits, and at most ``most`` if given."""
    from registry.io import MAX_DIGITS

    try:
        number = parse_number(value)
    except (InvalidOperation, ArithmeticError):
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
    """``value`` as a positive finite number (suffixes as :func:`parse_number` reads them), within
    [``least``, ``most``] where given."""
    try:
        parsed = parse_number(value) if len(str(value)) <= 1000 else None
        number = math.nan if parsed is None else float(parsed)
    except (ValueError, ArithmeticError):
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

"""What fits on a GPU: the runtime's reserve, the fewest GPUs, the longest context and largest batch.

A GPU's memory is not all the model's: the CUDA context (a few hundred MB), the
libraries' workspaces (cuBLAS, NCCL buffers), the allocator's fragmentation and the
framework's own buffers take some. ``registry`` keeps a reserve of
:data:`DEFAULT_RESERVE` of the card by default: vLLM's default
``gpu_memory_utilization = 0.9`` (vLLM engine arguments, "The fraction of GPU memory to
be used for the model executor ... default 0.9"). ``--reserve`` takes a fraction
(``0.05``, ``5%``) or a size (``4GB``, ``2GiB``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from fractions import Fraction

#: The default runtime reserve: a tenth of the card (vLLM's gpu_memory_utilization 0.9).
DEFAULT_RESERVE = Fraction(1, 10)

#: The largest context or batch searched for.
SEARCH_LIMIT = 2**31

_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
          "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}  # fmt: skip


def parse_reserve(text: str | float | int) -> Fraction | int:
    """``--reserve``: a fraction of the card (``0.1``, ``10%``) or bytes (``4GB``, ``2GiB``, ``500000000``).

    Raises ValueError for anything else, a fraction of 1 or more, or a negative size.
    """
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        value = Fraction(text)
        if 0 <= value < 1:
            return value
        if value >= 1 and value == int(value):
            return int(value)
        raise ValueError(f"a reserve is a fraction below 1 or a whole number of bytes, got {text}")
    raw = str(text).strip().lower().replace("_", "")
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(%|[kmgt]?i?b)?", raw)
    if not match:
        raise ValueError(f"expected a fraction (0.1, 10%) or a size (4GB, 2GiB), got {text!r}")
    number, unit = Fraction(match.group(1)), match.group(2) or ""
    if unit == "%":
        if number >= 100:
            raise ValueError(f"a reserve of {text} leaves nothing")
        return number / 100
    if unit == "" and number < 1:
        return number
    if unit not in _UNITS:
        raise ValueError(f"unknown unit in {text!r}; use %, B, KB, MB, GB, TB, KiB, MiB, GiB or TiB")
    return int(number * _UNITS[unit])


def reserve_bytes(capacity: int, reserve: Fraction | float | int) -> int:
    """The bytes of a ``capacity``-byte card kept for the runtime (a fraction of it, or bytes)."""
    if isinstance(reserve, int) and not isinstance(reserve, bool):
        return min(reserve, capacity)
    share = Fraction(reserve)
    if not 0 <= share < 1:
        raise ValueError(f"reserve must be a fraction in [0, 1) or bytes, got {reserve}")
    value = capacity * share
    return -(-value.numerator // value.denominator)


def largest(fits: Callable[[int], bool], limit: int = SEARCH_LIMIT) -> int | None:
    """The largest ``n`` in ``1..limit`` with ``fits(n)``, for a ``fits`` that stays False once False; None if not 1."""
    if not fits(1):
        return None
    lo = 1
    hi = 2
    while hi <= limit and fits(hi):
        lo, hi = hi, hi * 2
    if hi > limit:
        return limit if fits(limit) else _bisect(fits, lo, limit)
    return _bisect(fits, lo, hi)


def _bisect(fits: Callable[[int], bool], lo: int, hi: int) -> int:
    """``fits(lo)`` holds and ``fits(hi)`` does not: the largest that fits."""
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if fits(mid):
            lo = mid
        else:
            hi = mid
    return lo

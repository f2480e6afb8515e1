"""How numbers read, and how wide a table may be: the one place for both, at the bottom of output/.

Every view (terminal tables, Markdown, the HTML report, plots, checkpoint reports) formats
its numbers here:

- parameter and token counts, approximately: ``1.82B``, ``15.00T`` (:func:`count_text`);
  exactly: ``1,557,611,200`` (:func:`exact_text`);
- FLOPs and compute budgets: ``1.50e+13`` (:func:`flops_text`);
- ratios: ``1.92x`` (three significant digits); percentages: ``-0.02%``, rounded once
  from the exact value (:func:`percent_text`); a share of a total, ``<0.01%`` for a tiny
  one (:func:`share_text`); bytes in decimal GB (:func:`gb_text`).

``--format json`` and ``csv`` never go through here: they keep exact integers and full
floats. :func:`width` is how wide a default table may be, :func:`terminal_columns` what
the terminal says (argparse's help uses it too). Nothing here computes a count, and this
module imports no other module of registry.
"""

from __future__ import annotations

import os
import sys
from typing import IO

__all__ = [
    "MIN_WIDTH", "count_text", "exact_text", "flops_text", "gb_text", "percent_text", "ratio_text", "share_text",
    "terminal_columns", "width",
]  # fmt: skip

#: The narrowest terminal a default table must fit (wider terminals: their width).
MIN_WIDTH = 80


def terminal_columns(stream: IO[str] | None = None) -> int:
    """The terminal's width as ``shutil.get_terminal_size`` gives it: ``COLUMNS`` when set to
    a positive number, else the width of the terminal ``stream`` (default ``sys.stdout``)
    writes to, else 0 (a pipe, a file, no terminal)."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns > 0:
        return columns
    try:
        stream = sys.stdout if stream is None else stream
        return os.get_terminal_size(stream.fileno()).columns if stream.isatty() else 0
    except (AttributeError, OSError, ValueError):
        return 0


def width() -> int:
    """The width tables must fit: :func:`terminal_columns`, at least :data:`MIN_WIDTH`
    (output to a pipe or a file: :data:`MIN_WIDTH`, the same every run)."""
    return max(MIN_WIDTH, terminal_columns())


def count_text(n: int | float | None) -> str:
    """A parameter or token count with a short unit: 1.56B, 124.44M, 39.94K, 15.00T
    (beyond 10^15, scientific with exact digits: 1.00e+400)."""
    if n is None:
        return ""
    if abs(n) >= 10**15:  # beyond the units: scientific, exact digits from the integer
        from decimal import Decimal  # imported when needed: start-up time

        return f"{Decimal(n):.2e}"
    for unit, size in (("T", 10**12), ("B", 10**9), ("M", 10**6), ("K", 10**3)):
        if abs(n) >= size:
            return f"{n / size:.2f}{unit}"
    return str(n)


def exact_text(n: int | None) -> str:
    """An exact count with thousands separators ('' for None)."""
    return "" if n is None else f"{n:,}"


def flops_text(x: int | float | None) -> str:
    """FLOPs (or a compute budget) in scientific form: 1.50e+13 (exact digits for a huge int)."""
    if x is None:
        return ""
    try:
        return f"{x:.2e}"
    except OverflowError:
        from decimal import Decimal

        return f"{Decimal(x):.2e}"


def ratio_text(x: float | None) -> str:
    """A ratio with three significant digits: 0.999x, 1.92x, 18.9x."""
    return "" if x is None else f"{x:.3g}x"


def percent_text(x: float | None, signed: bool = False) -> str:
    """A percentage rounded once, to two decimals, from the exact value (``signed``: with + or -)."""
    if x is None:
        return ""
    return f"{x:+.2f}%" if signed else f"{x:.2f}%"


def share_text(share: float) -> str:
    """A share in percent, rounded once to two decimals; a tiny non-zero share is '<0.01%'."""
    return "<0.01%" if 0 < share < 0.005 else f"{share:.2f}%"


def gb_text(n: int) -> str:
    """Bytes in decimal gigabytes (1 GB = 1e9 bytes), the unit of the command line, the HTML report and the plots
    (in scientific notation, exact digits, past a float's range: a spec may hold 10**400 parameters)."""
    try:
        return f"{n / 1e9:,.2f} GB"
    except OverflowError:
        from decimal import Decimal

        return f"{Decimal(n) / Decimal(10**9):.2e} GB"

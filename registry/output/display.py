"""How numbers read in tables: one format for each kind of quantity, in every command.

- parameter and token counts, approximately: ``1.82B``, ``15.00T`` (:func:`count_text`);
  exactly: ``1,557,611,200`` (:func:`exact_text`);
- FLOPs and compute budgets: ``1.50e+13`` (:func:`flops_text`);
- ratios: ``1.92x`` (three significant digits); percentages: ``-0.02%``, rounded once
  from the exact value (:func:`percent_text`).

Numbers are right-aligned (:func:`table`). ``--format json`` and ``csv`` never go through
here: they keep exact integers and full floats. Nothing here computes a count.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

#: The narrowest terminal a default table must fit (wider terminals: their width).
MIN_WIDTH = 80


def width() -> int:
    """The width tables must fit: ``COLUMNS``, else the terminal's when stdout is one, at
    least :data:`MIN_WIDTH` (output to a pipe or a file: :data:`MIN_WIDTH`, the same every run)."""
    import sys

    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.stdout.fileno()).columns if sys.stdout.isatty() else MIN_WIDTH
        except (AttributeError, OSError, ValueError):
            columns = MIN_WIDTH
    return max(MIN_WIDTH, columns)


def count_text(n: int | float | None) -> str:
    """A parameter or token count with a short unit: 1.56B, 124.44M, 39.94K, 15.00T."""
    from registry.output.render import human

    return "" if n is None else human(n)


def exact_text(n: int | None) -> str:
    """An exact count with thousands separators."""
    return "" if n is None else f"{n:,}"


def flops_text(x: int | float | None) -> str:
    """FLOPs (or a compute budget) in scientific form: 1.50e+13 (exact digits for a huge int)."""
    if x is None:
        return ""
    try:
        return f"{x:.2e}"
    except OverflowError:
        return f"{Decimal(x):.2e}"


def ratio_text(x: float | None) -> str:
    """A ratio with three significant digits: 0.999x, 1.92x, 18.9x."""
    return "" if x is None else f"{x:.3g}x"


def percent_text(x: float | None, signed: bool = False) -> str:
    """A percentage rounded once, to two decimals, from the exact value (``signed``: with + or -)."""
    if x is None:
        return ""
    return f"{x:+.2f}%" if signed else f"{x:.2f}%"


def table(rows: Sequence[dict[str, Any]], fmt: str = "table", right: Iterable[str] = ()) -> str:
    """Rows of text as a table (``simple``, or ``github`` for markdown); the ``right`` columns right-aligned."""
    from registry.output.table_draw import tabulated

    if not rows:
        return ""
    keys = list(rows[0])
    return tabulated(keys, [[r.get(k) for k in keys] for r in rows], fmt, right)


def fitted_table(rows: Sequence[dict[str, Any]], fmt: str = "table", right: Iterable[str] = (),
                 optional: Sequence[str] = ()) -> tuple[str, list[str]]:  # fmt: skip
    """:func:`table`, leaving out ``optional`` columns (in that order) until it fits :func:`width`.

    Returns the text and the columns left out (for a line saying so). Only the ``table``
    format is fitted: markdown is for documents, where a wide table scrolls.
    """
    right = set(right)
    keys = list(rows[0]) if rows else []
    dropped: list[str] = []
    text = table(rows, fmt, right)
    for column in optional:
        if fmt != "table" or max((len(line) for line in text.splitlines()), default=0) <= width():
            break
        if column in keys:
            keys.remove(column)
            dropped.append(column)
            text = table([{k: r.get(k) for k in keys} for r in rows], fmt, right)
    return text, dropped


def wrap(text: str, indent: str = "") -> str:
    """``text`` wrapped to :func:`width` columns (long URLs are kept whole)."""
    import textwrap

    return textwrap.fill(text, width(), subsequent_indent=indent, break_long_words=False, break_on_hyphens=False)


__all__ = ["MIN_WIDTH", "count_text", "exact_text", "flops_text", "percent_text", "ratio_text", "fitted_table", "table", "width", "wrap"]

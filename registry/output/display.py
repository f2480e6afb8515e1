"""Tables of rows of text, as every command's table view draws them: :func:`table`,
:func:`fitted_table` (optional columns left out until it fits the terminal) and
:func:`wrap` (a paragraph to the terminal's width).

Numbers arrive formatted (:mod:`registry.output.formats`, the one number format) and are
right-aligned where told. ``--format json`` and ``csv`` never go through here. Nothing
here computes a count.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from registry.output.formats import width


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


__all__ = ["fitted_table", "table", "wrap"]

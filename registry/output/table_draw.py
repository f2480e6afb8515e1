"""Tables drawn as text, in two layouts: ``simple`` (the terminal's) and ``github`` (markdown).

Every table of every command is drawn here. The layouts are tabulate's (``simple``:
header, a line of dashes, rows, two spaces between columns; ``github``: ``| a | b |``
rows under a ``|---|---|`` line, no alignment colons), drawn without importing tabulate
(its import costs a cold ``registry count`` start-up time, issue 9). :func:`tabulated`
gives, byte for byte, what ``tabulate(rows, headers, tablefmt, disable_numparse=True)``
gave for cells of one line, as every command's are (tests/test_widths.py compares them
on random tables); :func:`draw` is the drawing alone, for
tables whose column widths are chosen elsewhere (:mod:`registry.output.table_width`).
Nothing here computes or rounds a number: cells arrive as text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["GAP", "HEADER_PADDING", "column_widths", "draw", "longest_line", "tabulated"]

#: Spaces between two columns of a ``simple`` table.
GAP = 2
#: What tabulate adds to a header's length for its column's least width.
HEADER_PADDING = 2


def longest_line(text: str) -> int:
    """The length of the longest line of ``text``."""
    return max((len(line) for line in text.splitlines()), default=0)


def column_widths(headers: Sequence[str], rows: Sequence[Sequence[str]], header_padding: int = 0) -> list[int]:
    """Each column's width: its longest line, header included (plus ``header_padding``)."""
    return [max([len(h) + header_padding] + [longest_line(r[i]) for r in rows]) for i, h in enumerate(headers)]


def draw(headers: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[int], right: Iterable[str] = (),
         fmt: str = "table", separate: bool = False, under: Sequence[str] | None = None) -> str:  # fmt: skip
    """Cells of text (a cell may hold several lines) as a table, ``fmt`` ``"table"``
    (``simple``) or ``"markdown"`` (``github``); ``right``: the headers whose column is
    right-aligned (header included). ``simple`` only: ``separate`` puts a blank line around
    a row of several lines, ``under`` is text printed under each row (its lines already
    indented). No line ends in spaces."""
    right = set(right)
    markdown = fmt == "markdown"

    def line(values: Sequence[str]) -> str:
        parts = [v.rjust(w) if h in right else v.ljust(w) for h, v, w in zip(headers, values, widths)]
        return ("| " + " | ".join(parts) + " |" if markdown else (" " * GAP).join(parts)).rstrip()

    out = [line(list(headers))]
    out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|" if markdown else line(["-" * w for w in widths]))
    for n, row in enumerate(rows):
        split = [c.splitlines() or [""] for c in row]
        height = max((len(s) for s in split), default=1)
        if separate and height > 1 and n and out[-1] != "":
            out.append("")
        out += [line([s[j] if j < len(s) else "" for s in split]) for j in range(height)]
        if under is not None and under[n]:
            out += under[n].splitlines()
            height += 1
        if separate and height > 1 and n < len(rows) - 1:
            out.append("")
    return "\n".join(out)


def tabulated(headers: Sequence[str], rows: Sequence[Sequence[Any]], fmt: str = "table", right: Iterable[str] = (),
              strip: bool = True) -> str:  # fmt: skip
    """What tabulate printed for these rows (``disable_numparse=True``, the ``right``
    columns given ``colalign="right"``, no trailing spaces): every value as ``str`` (None as
    an empty cell), stripped unless ``strip`` is False (tabulate's ``preserve_whitespace``),
    each column as wide as its longest cell or its header plus :data:`HEADER_PADDING`."""
    cells = [[_text(v).strip() if strip else _text(v) for v in row] for row in rows]
    right = right if cells else ()  # tabulate aligned the headers of a table without rows left
    return draw(headers, cells, column_widths(headers, cells, HEADER_PADDING), right, fmt)


def _text(value: Any) -> str:
    return "" if value is None else str(value)

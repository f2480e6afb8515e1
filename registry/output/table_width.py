"""Tables that fit the terminal (``COLUMNS``, at least 80; :func:`registry.output.formats.width`).

:func:`fit_table` prints rows of text as a ``simple`` table when it fits. When it does
not, it tries, in this order:

1. wrapping the long-text columns it was told may wrap (a description), inside their
   cells, with a blank line between rows that take several lines;
2. moving the columns it was told may go below (a description) under each row,
   indented and wrapped, the other columns fitted as a table;
3. one row only: the row as two columns, field and value (values wrapped);
4. several rows: the columns in groups, each group a table of its own that repeats the
   first (key) column, so every value stays in a table beside its row's name.

:func:`stacked_table` is the layout for rows keyed by a long name (a tensor's, in
``verify``'s differences): each row's name on a line of its own, its other cells on the
next line, indented, under a header of two lines that says which is which; a column of
long text (another name, a note) goes under the cells, labelled, when the cells do not
fit beside each other. A name is never cut.

Numbers stay right-aligned in every layout. Only the ``table`` format is fitted:
markdown is for documents (a wide table scrolls) and is drawn whole (:func:`registry.output.table_draw.tabulated`).
Nothing here computes or rounds a number: cells arrive as text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from registry.output.formats import width
from registry.output.table_draw import GAP, draw, longest_line, tabulated

__all__ = ["fit_table", "longest_line", "stacked_table"]

#: The narrowest a wrapped text column gets.
MIN_WRAP = 20
#: The narrowest a column that may go below its row is wrapped inside the table (else it goes below).
MIN_BELOW = 40
#: How far :func:`stacked_table` indents the cells under each row's name.
STACK_INDENT = 4


def fit_table(rows: Sequence[dict[str, Any]], fmt: str = "table", right: Iterable[str] = (),
              wrap: Iterable[str] = (), below: Sequence[str] = (), limit: int | None = None) -> str:  # fmt: skip
    """``rows`` (dicts of text, same keys) as a table no wider than ``limit`` (default
    :func:`registry.output.formats.width`); ``right`` columns right-aligned, ``wrap`` columns may
    be wrapped inside their cells, ``below`` columns may move under their row (indented,
    wrapped). See the module docstring for the layouts tried."""
    right, wrap, below = set(right), set(wrap), [k for k in below if rows and k in rows[0]]
    if not rows:
        return ""
    if fmt != "table":
        keys = list(rows[0])
        return tabulated(keys, [[r.get(k) for k in keys] for r in rows], fmt, right)
    limit = width() if limit is None else limit
    keys = list(rows[0])
    cells = [[_text(r.get(k)) for k in keys] for r in rows]
    natural = [max([len(k)] + [longest_line(c[i]) for c in cells]) for i, k in enumerate(keys)]
    if _total(natural) <= limit:
        return draw(keys, cells, natural, right)
    wrapped = _wrapped(keys, cells, natural, wrap | set(below), limit, {k: MIN_BELOW for k in below})
    if wrapped is not None:
        return draw(keys, *wrapped, right, separate=True)
    if below:  # the long text under each row, indented; the other columns fitted as a table
        kept = [i for i, k in enumerate(keys) if k not in below]
        under = ["\n".join(_indented(f"{k}: {r.get(k)}" if len(below) > 1 else _text(r.get(k)), limit)
                           for k in below if _text(r.get(k))) for r in rows]  # fmt: skip
        kept_keys = [keys[i] for i in kept]
        kept_cells = [[c[i] for i in kept] for c in cells]
        kept_natural = [natural[i] for i in kept]
        if _total(kept_natural) <= limit:
            return draw(kept_keys, kept_cells, kept_natural, right, separate=True, under=under)
        wrapped = _wrapped(kept_keys, kept_cells, kept_natural, wrap, limit)
        if wrapped is not None:
            return draw(kept_keys, *wrapped, right, separate=True, under=under)
    if len(rows) == 1:
        return _field_value(keys, cells[0], right, limit)
    return "\n\n".join(draw([keys[0]] + [keys[i] for i in group], [[c[0]] + [c[i] for i in group] for c in cells],
                               [natural[0]] + [natural[i] for i in group], right) for group in _groups(natural, limit))  # fmt: skip


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _total(widths: Sequence[int]) -> int:
    return sum(widths) + GAP * (len(widths) - 1)


def _wrapped(keys: list[str], cells: list[list[str]], natural: list[int], wrap: set[str], limit: int,
             minimum: dict[str, int] | None = None) -> tuple[list[list[str]], list[int]] | None:  # fmt: skip
    """The cells with the ``wrap`` columns wrapped to share what the others leave, or None
    if that leaves any of them narrower than :data:`MIN_WRAP` (``minimum[key]`` if given,
    and its header)."""
    minimum = minimum or {}
    columns = [i for i, k in enumerate(keys) if k in wrap]
    if not columns:
        return None
    fixed = sum(w for i, w in enumerate(natural) if i not in columns) + GAP * (len(keys) - 1)
    room = limit - fixed
    widths = list(natural)
    ordered = sorted(columns, key=lambda i: natural[i])
    for n, i in enumerate(ordered):  # the narrow ones whole, the others share what is left equally
        widths[i] = min(natural[i], room // (len(ordered) - n))
        room -= widths[i]
        if widths[i] < min(natural[i], max(minimum.get(keys[i], MIN_WRAP), len(keys[i]))):
            return None
    out = [[_fill(c[i], widths[i]) if i in columns else c[i] for i in range(len(keys))] for c in cells]
    return out, [max([len(keys[i])] + [longest_line(c[i]) for c in out]) for i in range(len(keys))]


def _fill(text: str, columns: int) -> str:
    """``text`` wrapped to ``columns`` (each of its lines on its own); a word longer than that is split
    after one of its dots where one fits (a dotted name: ``discriminator_predictions.`` /
    ``dense_prediction``), else wherever the line ends."""
    import re
    import textwrap  # here, not at the top: a table that fits needs none (start-up time)

    class Wrapper(textwrap.TextWrapper):
        def _split(self, text: str) -> list[str]:
            chunks = super()._split(text)
            return [part for chunk in chunks
                    for part in (re.split(r"(?<=[^\s.]\.)(?=[^\s.])", chunk) if len(chunk) > columns else [chunk])]  # fmt: skip

    wrapper = Wrapper(columns, break_on_hyphens=False)
    return "\n".join("\n".join(wrapper.wrap(line)) or "" for line in text.splitlines() or [""])


def _indented(text: str, limit: int) -> str:
    """``text`` wrapped to ``limit`` columns, every line indented by four spaces."""
    return "\n".join("    " + line for line in _fill(text, limit - 4).splitlines())


def _field_value(keys: Sequence[str], values: Sequence[str], right: set[str], limit: int) -> str:
    """One row as two columns: each field and its value (values wrapped to what is left)."""
    label = max(len(k) for k in keys[1:]) if len(keys) > 1 else len(keys[0])
    label = min(label, limit // 2)
    room = max(limit - label - GAP, MIN_WRAP)
    value_width = min(max([longest_line(v) for k, v in zip(keys[1:], values[1:]) if k in right], default=0), room)
    rows = []
    for k, v in zip(keys[1:], values[1:]):
        text = _fill(v, room) if longest_line(v) > room else v
        rows.append([_fill(k, label) if len(k) > label else k, text])
    lines = [f"{keys[0]}: {values[0]}"]
    for k, v in rows:
        ks, vs = k.splitlines() or [""], v.splitlines() or [""]
        for j in range(max(len(ks), len(vs))):
            kj = ks[j] if j < len(ks) else ""
            vj = vs[j] if j < len(vs) else ""
            vj = vj.rjust(value_width) if k in right and len(vs) == 1 else vj
            lines.append(f"{kj.ljust(label)}{' ' * GAP}{vj}".rstrip())
    return "\n".join(lines)


def _groups(natural: Sequence[int], limit: int) -> list[list[int]]:
    """The columns after the first in consecutive groups, each fitting ``limit`` beside the first."""
    groups: list[list[int]] = [[]]
    used = natural[0]
    for i in range(1, len(natural)):
        if groups[-1] and used + GAP + natural[i] > limit:
            groups.append([])
            used = natural[0]
        groups[-1].append(i)
        used += GAP + natural[i]
    return groups


def stacked_table(rows: Sequence[dict[str, Any]], right: Iterable[str] = (), below: Sequence[str] = (),
                  limit: int | None = None) -> str:  # fmt: skip
    """``rows`` (dicts of one-line text, same keys) with each row's first cell (a name) on a
    line of its own, and under it, indented by :data:`STACK_INDENT`, its other cells as a
    row of a table (``right`` columns right-aligned); the header is the first key on a line,
    then the table's header, indented. Columns empty in every row are left out. When the
    cells are wider than ``limit`` (default :func:`registry.output.formats.width`), the
    ``below`` columns leave the table and go under each row, ``key: value``, indented, wrapped
    between words only, continuation lines indented two more spaces. A name too long for
    the line may leave its last word (a run's ``(×12)``) to the next line, indented; it is
    never split elsewhere, and one longer than the line stands whole."""
    if not rows:
        return ""
    limit = width() if limit is None else limit
    first, *others = list(dict.fromkeys(k for r in rows for k in r))
    others = [k for k in others if any(_text(r.get(k)) for r in rows)]
    room = limit - STACK_INDENT

    def natural(keys: Sequence[str]) -> list[int]:
        return [max([len(k)] + [longest_line(_text(r.get(k))) for r in rows]) for k in keys]

    kept = others if _total(natural(others)) <= room else [k for k in others if k not in below]
    moved = [k for k in others if k not in kept]
    pad = " " * STACK_INDENT
    cells = [[_text(r.get(k)) for k in kept] for r in rows]
    table = draw(kept, cells, natural(kept), set(right)).splitlines() if kept else [""] * (len(rows) + 2)
    out = [first, *(pad + line for line in table[:2] if line)]
    for r, line in zip(rows, table[2:]):
        out.append(_name_lines(_text(r.get(first)), limit))
        if line:
            out.append(pad + line)
        out += [_words(f"{k}: {_text(r.get(k))}", room, pad) for k in moved if _text(r.get(k))]
    return "\n".join(out)


def _name_lines(name: str, columns: int) -> str:
    """``name`` on one line, or, when longer than ``columns``, its last word on the next, indented two spaces."""
    head, _, tail = name.rpartition(" ")
    return f"{head}\n  {tail}" if len(name) > columns and head and len(head) <= columns else name


def _words(text: str, columns: int, indent: str = "") -> str:
    """``text`` wrapped to ``columns`` between words, each line indented by ``indent`` and the
    lines after the first by two more spaces; a word longer than a line is never split (it
    stands whole on a line of its own)."""
    import textwrap  # here, not at the top: start-up time

    lines = textwrap.wrap(text, columns, subsequent_indent="  ", break_long_words=False, break_on_hyphens=False)
    return "\n".join(indent + line for line in lines or [""])

"""Runs of layers in listings: rows that differ only in a layer number shown as one row.

``registry verify`` of a model of 10,000 layers against a checkpoint that lacks them would
list 120,000 missing tensors; :func:`collapse_runs` shows them as one row per tensor of a
layer, ``h.{0..9999}.attn.c_attn.weight (×10000)``, as the counts show runs of layers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

__all__ = ["collapse_runs"]

_NUMBER = re.compile(r"(?<=\.)(?:0|[1-9][0-9]*)(?=\.|$)|^(?:0|[1-9][0-9]*)(?=\.)")


def collapse_runs(rows: Sequence[dict[str, Any]], key: str = "name", fields: Sequence[str] = ("checkpoint",)) -> list[dict[str, Any]]:
    """``rows`` with those alike but for the first number in ``row[key]`` merged into one row
    whose ``key`` reads ``prefix.{first..last}.rest`` (or ``{a..b step k}``) and ``count`` says how
    many. Only rows whose other values are equal and whose ``fields`` are empty merge, and only
    when the numbers are an arithmetic progression of three or more; the first row's place is kept."""
    groups: dict[tuple, list[int]] = {}
    order: list[tuple | int] = []
    for i, row in enumerate(rows):
        name = row.get(key)
        match = _NUMBER.search(name) if isinstance(name, str) else None
        if match is None or any(row.get(f) for f in fields):
            order.append(i)
            continue
        template = (name[: match.start()], name[match.end():])
        group = (template, tuple((k, v) for k, v in row.items() if k != key))
        if group not in groups:
            groups[group] = []
            order.append(group)
        groups[group].append(i)
    out: list[dict[str, Any]] = []
    for item in order:
        if isinstance(item, int):
            out.append(dict(rows[item]))
            continue
        members = groups[item]
        numbers = [int(_NUMBER.search(rows[i][key]).group()) for i in members]  # type: ignore[union-attr]
        step = numbers[1] - numbers[0] if len(numbers) > 1 else 0
        progression = len(numbers) >= 3 and step > 0 and all(b - a == step for a, b in zip(numbers, numbers[1:]))
        if not progression:
            out.extend(dict(rows[i]) for i in members)
            continue
        (head, tail) = item[0]
        span = f"{{{numbers[0]}..{numbers[-1]}{'' if step == 1 else f' step {step}'}}}"
        out.append({**rows[members[0]], key: f"{head}{span}{tail} (×{len(numbers)})"})
    return out

"""Strict values: what a spec's TOML gives, validated as it is written, and said as TOML says it.

Spec files are validated in pydantic's strict mode: ``d_model = true``, ``"768"`` and
``768.0`` are not whole numbers, ``bias = "no"`` is not a boolean. Strict mode refuses
a TOML array for a ``tuple[...]`` field too, so the arrays of such fields are made
tuples first (nothing else is converted). :func:`given` names a refused value in a
message: its kind and how it was written.
"""

from __future__ import annotations

import datetime
import typing
from typing import Any

from pydantic import BaseModel

from registry.text import short_value


def given(value: Any) -> str:
    """A value as an error message shows what was given: ``the boolean true``, ``the text '768'``."""
    if isinstance(value, bool):
        return f"the boolean {'true' if value else 'false'}"
    if isinstance(value, int):
        return short_value(value)
    if isinstance(value, float):
        return f"the decimal number {short_value(value)}"
    if isinstance(value, str):
        return f"the text {short_value(value)}"
    if isinstance(value, (list, tuple)):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, (datetime.date, datetime.time)):
        return f"the date/time {value.isoformat()}"
    return f"a {type(value).__name__}"


def _is_tuple(annotation: Any) -> bool:
    """Whether ``annotation`` is ``tuple[...]`` (possibly optional or annotated)."""
    origin = typing.get_origin(annotation)
    if origin is tuple or annotation is tuple:
        return True
    if origin is typing.Annotated:
        return _is_tuple(typing.get_args(annotation)[0])
    if origin is typing.Union or type(annotation).__name__ == "UnionType":
        return any(_is_tuple(a) for a in typing.get_args(annotation))
    return False


def tuple_fields(model: type[BaseModel]) -> frozenset[str]:
    """The fields of ``model`` (and their aliases) typed as tuples."""
    names = set()
    for name, info in model.model_fields.items():
        if _is_tuple(info.annotation):
            names.add(name)
            if info.alias:
                names.add(info.alias)
    return frozenset(names)


def arrays_as_tuples(model: type[BaseModel], data: Any) -> Any:
    """``data`` with the arrays of ``model``'s tuple fields made tuples (a copy; other values as given)."""
    if not isinstance(data, dict):
        return data
    fields = tuple_fields(model)
    if not fields:
        return data
    return {k: tuple(v) if k in fields and isinstance(v, list) else v for k, v in data.items()}


def block_arrays_as_tuples(blocks: Any) -> Any:
    """A ``[[blocks]]`` list with every block's tuple fields as tuples, at any depth (a copy)."""
    from registry.blocks import BLOCK_TYPES

    if not isinstance(blocks, list):
        return blocks
    root: list[Any] = list(blocks)
    stack: list[list[Any]] = [root]  # a loop, not recursion: blocks may nest deeply
    while stack:
        items = stack.pop()
        for i, block in enumerate(items):
            if not isinstance(block, dict):
                continue
            cls = BLOCK_TYPES.get(block.get("kind")) if isinstance(block.get("kind"), str) else None
            copy = arrays_as_tuples(cls, block) if cls is not None else dict(block)
            if copy is block:
                copy = dict(block)
            if isinstance(copy.get("blocks"), list):
                copy["blocks"] = list(copy["blocks"])
                stack.append(copy["blocks"])
            items[i] = copy
    return root

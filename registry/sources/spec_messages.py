"""What pydantic's validation errors of a spec mean, in the words ``registry`` prints: the location of a field as
TOML writes it (``params.d_model``, ``blocks[0].kind``) and one phrase per kind of error, with a "did you mean"
hint for a field close to a known one (:mod:`registry.sources.spec` and :mod:`registry.sources.overrides` use it)."""

from __future__ import annotations

import re

from pydantic import BaseModel

from registry.blocks import BLOCK_TYPES
from registry.sources.strict_values import given


def strip_tags(loc: tuple) -> tuple:
    """Drop the discriminator tags pydantic inserts after a list index (``blocks.0.attention``)."""
    out: list = []
    for i, part in enumerate(loc):
        if isinstance(part, str) and i > 0 and isinstance(loc[i - 1], int) and part in BLOCK_TYPES:
            continue
        out.append(part)
    return tuple(out)


def location_text(loc: tuple) -> str:
    """``params.d_model``, ``blocks[0].kind``; a key that is not bare is quoted as TOML writes it."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
            continue
        key = str(part)
        if not _BARE_KEY.fullmatch(key):
            import json  # an error path: imported when needed (start-up time)

            key = json.dumps(key[:60] + ("..." if len(key) > 60 else ""), ensure_ascii=False)
        text += f".{key}" if text else key
    return text


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def error_message(error: dict, model: type[BaseModel] | None) -> str:
    """What pydantic's ``error`` means, in one phrase, with a "did you mean" hint for an unknown field."""
    return plain_message(error) + close_field_hint(error, model, [])


def close_field_hint(error: dict, model: type[BaseModel] | None, extras: list[str]) -> str:
    """"; did you mean ..." for an unknown field close to one of ``model``'s, or a missing one close
    to one of the unknown ``extras`` given; else ""."""
    if error["type"] not in ("extra_forbidden", "missing") or not error["loc"]:
        return ""
    import difflib  # an error path: imported when needed (start-up time)

    field = str(error["loc"][-1])
    if error["type"] == "extra_forbidden":
        close = difflib.get_close_matches(field, [] if model is None else list(model.model_fields), n=2, cutoff=0.6)
        return f"; did you mean {' or '.join(close)}?" if close else ""
    close = difflib.get_close_matches(field, extras, n=1, cutoff=0.6)
    return f"; {close[0]!r} is given: did you mean {field}?" if close else ""


def plain_message(error: dict) -> str:
    """What pydantic's ``error`` means, in one phrase (no hint)."""
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    got = f" (got {given(value)})"
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        op = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<", "less_than_equal": "<="}[kind]
        bound = next(iter(ctx.values()))
        return f"must be {op} {bound}{got}"
    if kind.startswith("int_") or kind == "int_from_float":
        return f"must be a whole number{got}"
    if kind.startswith("float_"):
        return f"must be a number{got}"
    if kind in ("list_type", "tuple_type", "set_type"):
        return f"must be an array{got}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"must be a table{got}"
    if kind.startswith("bool_"):
        return f"must be true or false{got}"
    if kind.startswith("string_"):
        return f"{error['msg'].replace('String', 'must be text,').lower()}{got}" if kind == "string_too_short" else f"must be text{got}"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    if kind == "union_tag_invalid":
        return f"unknown block kind {ctx.get('tag')!r}; known: {', '.join(BLOCK_TYPES)}"
    if kind == "union_tag_not_found":
        return f"a block needs a kind (one of {', '.join(BLOCK_TYPES)})"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected')}{got}"
    return f"{error['msg']}{got}"


__all__ = ["close_field_hint", "error_message", "location_text", "plain_message", "strip_tags"]

"""A tiny TOML writer for specs: top-level keys, then flat tables or nested arrays of ``[[blocks]]``.

Enough for what ``registry import-hf`` writes (text, whole numbers, floats, booleans
and lists of them); anything else is a :class:`TypeError`, never a silently wrong
file. The output is read back by :mod:`tomllib` in the tests.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_UNPRINTABLE = re.compile(r"[^ -~]")  # candidates; printable ones are kept (see string())


def key(name: str) -> str:
    """A TOML key: bare when it can be, quoted otherwise."""
    return name if _BARE_KEY.match(name) else string(name)


def string(text: str) -> str:
    """A basic TOML string (JSON's escapes are valid TOML escapes).

    Every character that is not printable is escaped as ``\\uXXXX``: TOML refuses raw
    control characters (DEL included) in a string, and an escaped bidirectional override
    cannot reorder what an editor shows. A lone surrogate is no Unicode character, which
    TOML cannot hold even escaped: :class:`ValueError`.
    """
    out = json.dumps(text, ensure_ascii=False)
    if out.isascii() and out.isprintable():
        return out
    for c in out:
        if 0xD800 <= ord(c) <= 0xDFFF:
            raise ValueError(f"text holds a lone surrogate (U+{ord(c):04X}), which a TOML file cannot hold")
    return _UNPRINTABLE.sub(_escaped, out)


def _escaped(match: re.Match[str]) -> str:
    c = match.group()
    if c.isprintable():
        return c
    return f"\\u{ord(c):04x}" if ord(c) <= 0xFFFF else f"\\U{ord(c):08x}"


def value(item: Any) -> str:
    """One TOML value."""
    if isinstance(item, bool):
        return "true" if item else "false"
    if isinstance(item, int):
        return str(item)
    if isinstance(item, float):
        if math.isnan(item) or math.isinf(item):
            return "nan" if math.isnan(item) else ("inf" if item > 0 else "-inf")
        return repr(item)
    if isinstance(item, str):
        return string(item)
    if isinstance(item, (list, tuple)):
        return "[" + ", ".join(value(v) for v in item) + "]"
    if isinstance(item, Mapping):
        return "{ " + ", ".join(f"{key(k)} = {value(v)}" for k, v in item.items()) + " }" if item else "{}"
    raise TypeError(f"cannot write {type(item).__name__} as a TOML value")


def dumps(top: Mapping[str, Any], tables: Mapping[str, Mapping[str, Any]] | None = None, header: str = "") -> str:
    """TOML text: ``header`` lines as comments, ``top`` keys, then each flat table.

    Keys whose value is None are left out (TOML has no null). A table's value that is a list of
    tables (a composite model's ``parts``) is written after its other keys as ``[[name.key]]``
    entries, each one's own tables as ``[name.key.sub]`` below it.
    """
    lines = [f"# {_comment(line)}" if line else "#" for line in header.splitlines()]
    lines += [_entry(k, v) for k, v in top.items() if v is not None]
    for name, table in (tables or {}).items():
        lines += ["", f"[{key(name)}]"]
        lines += [_entry(k, v, f"{name}.") for k, v in table.items() if v is not None and not _tables(v)]
        for k, items in ((k, v) for k, v in table.items() if _tables(v)):
            where = f"{key(name)}.{key(k)}"
            for item in items:
                lines += ["", f"[[{where}]]"]
                lines += [_entry(f, v, f"{name}.{k}.") for f, v in item.items() if v is not None and not _table(v)]
                for f, sub in ((f, v) for f, v in item.items() if _table(v)):
                    lines += [f"[{where}.{key(f)}]"] + [_entry(g, v, f"{name}.{k}.{f}.") for g, v in sub.items() if v is not None]
    return "\n".join(lines) + "\n"


def _table(item: Any) -> bool:
    return isinstance(item, Mapping) and bool(item)


def _tables(item: Any) -> bool:
    return isinstance(item, (list, tuple)) and bool(item) and all(isinstance(v, Mapping) for v in item)


def dumps_blocks(top: Mapping[str, Any], blocks: list[Mapping[str, Any]], header: str = "") -> str:
    """TOML text of a spec that composes blocks: ``header`` comments, ``top`` keys, then each block
    as ``[[blocks]]`` and its own ``blocks`` as ``[[blocks.blocks]]`` (depth first), indented by depth."""
    lines = dumps(top, header=header).rstrip("\n").splitlines()
    _write_blocks(lines, blocks, "blocks", 0)
    return "\n".join(lines) + "\n"


def _write_blocks(lines: list[str], blocks: list[Mapping[str, Any]], table: str, depth: int) -> None:
    indent = "  " * depth
    for block in blocks:
        lines += ["", f"{indent}[[{table}]]"]
        lines += [indent + _entry(k, v, f"{table}.") for k, v in block.items() if v is not None and k != "blocks"]
        _write_blocks(lines, block.get("blocks", ()), f"{table}.blocks", depth + 1)


def _entry(name: str, item: Any, prefix: str = "") -> str:
    """``key = value``; a value TOML cannot hold is a ValueError naming the key."""
    try:
        return f"{key(name)} = {value(item)}"
    except ValueError as exc:
        raise ValueError(f"{prefix}{name}: {exc}") from None


def _comment(line: str) -> str:
    """A comment's text: TOML allows no control character (but tab) in a comment."""
    return string(line)[1:-1] if not line.isprintable() else line

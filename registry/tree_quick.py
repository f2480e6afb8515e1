"""A quick proof that a block tree has no path or tie problem, for the common case.

:func:`registry.tree_check.tree_problem` finds the first problem of a tree exactly (and
says where it is); it is run on every model built, so its cost is paid by every count of a
sweep. :func:`clearly_sound` answers the question most trees ask, "is there none?", with
one pass of string keys: it returns True only when the exact check would find nothing,
and False whenever it cannot tell (the exact check then runs and reports).

Why True is safe: two tensors can have the same path only if their paths have the same
*group key*, the path with each repeat's copy numbers and each numeric segment replaced by
a marker (the exact check compares only tensors of one group); so if every group key is
unique, no two paths can meet. A tie is clearly sound when it names, exactly, a tensor
outside any repeat, other than itself, of the same shape, that holds storage (is not tied
itself); any other tie (into a repeat, along a chain of ties) is left to the exact check.
"""

from __future__ import annotations

import re

from registry.blocks import BlockBase, Module, Repeat

_NUMBER = re.compile(r"0|[1-9][0-9]*")  # a segment the exact check reads as a copy number
_MARK = "\x00"  # stands for a copy number or numeric segment in a group key
_keys: dict[str, str] = {}  # group key of each path text met so far (names repeat from model to model)


def _group(path: str) -> str:
    """``path`` with every numeric segment replaced by the marker (cached)."""
    found = _keys.get(path)
    if found is None:
        if _MARK in path:
            raise ValueError("marker in a name")
        found = ".".join(_MARK if _NUMBER.fullmatch(s) else s for s in path.split(".")) if path else path
        if len(_keys) > 100_000:
            _keys.clear()
        _keys[path] = found
    return found


_SORTS: dict[type, int] = {}  # 1: a repeat, 2: a module, 0: any other block (isinstance on pydantic classes is slow)


def _sort(cls: type) -> int:
    found = _SORTS.get(cls)
    if found is None:
        found = 1 if issubclass(cls, Repeat) else 2 if issubclass(cls, Module) else 0
        if found and cls.tensors is not BlockBase.tensors:
            found = -1  # a container with tensors of its own: left to the exact check
        _SORTS[cls] = found
    return found


def _join(a: str, b: str) -> str:
    return f"{a}.{b}" if a and b else (a or b)


def clearly_sound(root: BlockBase) -> bool:
    """True when ``root``'s tensor paths are clearly unique and its ties clearly sound (see the module)."""
    try:
        return _clearly_sound(root)
    except ValueError:
        return False


def _clearly_sound(root: BlockBase) -> bool:
    seen: set[str] = set()
    literal: dict[str, tuple] = {}  # tensors outside any repeat, by path
    tied: list[tuple[str, tuple, str]] = []
    stack: list[tuple[BlockBase, str, str, bool]] = [(root, "", "", False)]  # block, path, group key, in a repeat
    sorts = _SORTS
    while stack:
        block, prefix, key, ranged = stack.pop()
        cls = type(block)
        sort = sorts.get(cls)
        if sort is None:
            sort = _sort(cls)
        if sort < 0:
            return False
        for tensor in () if sort else block.own_tensors:
            path = tensor[0]
            group = _join(key, _group(path))
            if group in seen:
                return False
            seen.add(group)
            if not ranged:
                label = _join(prefix, path)
                literal[label] = tensor
                if tensor[5] is not None:
                    tied.append((label, tensor[1], tensor[5]))
            elif tensor[5] is not None:
                return False
        if sort == 1:
            inner = _join(_join(key, _group(block.name)), _MARK)
            stack.extend((child, "", inner, True) for child in block.blocks)
        elif sort == 2:
            name = block.name
            inner_key = _join(key, _group(name))
            inner = "" if ranged else _join(prefix, name)
            stack.extend((child, inner, inner_key, ranged) for child in block.blocks)
        else:
            stack.extend((child, prefix, key, ranged) for child in block.children())
    for label, shape, target in tied:
        found = literal.get(target)
        if found is None or target == label or found[1] != shape or found[5] is not None:
            return False
    return True

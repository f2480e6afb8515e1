"""A quick proof that a block tree has no path or tie problem, for the common case.

:func:`registry.blocks.tree_check.tree_problem` finds the first problem of a tree exactly (and
says where it is); it is run on every model built, so its cost is paid by every count of a
sweep. :func:`clearly_sound` answers the question most trees ask, "is there none?", from a
summary of string keys per block: it returns True only when the exact check would find
nothing, and False whenever it cannot tell (the exact check then runs and reports). Each
block's summary is computed once per block state and kept with it, so that a sweep that
builds the same layer body again (:mod:`registry.blocks.interning`) checks only what is new.

Why True is safe: two tensors can have the same path only if their paths have the same
*group key*, the path with each repeat's copy numbers and each numeric segment replaced by
a marker (the exact check compares only tensors of one group); so if every group key is
unique, no two paths can meet. A block's summary holds its tensors' group keys relative to
where it is placed (a parent prefixes its name), so keys are unique in the tree exactly when
the children's keys are disjoint at every parent. A tie is clearly sound when it names,
exactly, a tensor outside any repeat, other than itself, of the same shape, that holds
storage (is not tied itself); any other tie (into a repeat, along a chain of ties) is left
to the exact check.
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
        summary = _summary(root)
    except (ValueError, RecursionError):  # a marker in a name; a tree deeper than the stack
        return False
    if summary is None:
        return False
    literal = summary.literal
    for label, shape, target in summary.ties:
        found = literal.get(target)
        if found is None or target == label or found[1] != shape or found[5] is not None:
            return False
    return True


class _Summary:
    """What the quick check knows of one block, relative to where the block is placed:
    the group keys of its tensors (all distinct), its tensors outside any repeat by path,
    and its ties outside any repeat as (path, shape, target)."""

    __slots__ = ("groups", "literal", "ties")

    def __init__(self, groups: frozenset[str], literal: dict[str, tuple], ties: tuple[tuple[str, tuple, str], ...]):
        self.groups, self.literal, self.ties = groups, literal, ties


def _summary(block: BlockBase) -> _Summary | None:
    """``block``'s summary (None: not clearly sound), computed once per block state (blocks
    are immutable; equal trusted blocks share it, see :mod:`registry.blocks.interning`)."""
    cache = block.__dict__
    found = cache.get("_quick_check")
    if found is None:
        found = _summarize(block)
        cache["_quick_check"] = False if found is None else found
    return found or None


def _summarize(block: BlockBase) -> _Summary | None:
    cls = type(block)
    sort = _SORTS.get(cls)
    if sort is None:
        sort = _sort(cls)
    if sort < 0:
        return None
    groups: set[str] = set()
    literal: dict[str, tuple] = {}
    ties: list[tuple[str, tuple, str]] = []
    if sort == 0:
        for tensor in block.own_tensors:
            path = tensor[0]
            group = _group(path)
            if group in groups:
                return None
            groups.add(group)
            literal[path] = tensor
            if tensor[5] is not None:
                ties.append((path, tensor[1], tensor[5]))
        children = block.children()
        name = group_name = ""
    else:
        children = block.blocks
        name = block.name
        group_name = _group(name)
        if sort == 1:
            group_name = _join(group_name, _MARK)
    for child in children:
        part = _summary(child)
        if part is None:
            return None
        if sort == 1:
            if part.ties:  # a tie inside a repeat: left to the exact check
                return None
            inner = {_join(group_name, g) for g in part.groups}
        elif group_name:
            inner = {_join(group_name, g) for g in part.groups}
            literal.update({_join(name, p): t for p, t in part.literal.items()})
            ties += [(_join(name, label), shape, target) for label, shape, target in part.ties]
        else:
            inner = part.groups
            literal.update(part.literal)
            ties += part.ties
        if not groups.isdisjoint(inner):
            return None
        groups |= inner
    return _Summary(frozenset(groups), literal, tuple(ties))

"""Interning: equal trusted blocks share one state: what a block computes once (its parts, tensors,
tally, path check) is computed once for all blocks of the same kind and field values.

A sweep over hyper-parameters builds the same layer body again and again: only the
embedding's rows change when the vocabulary does, only the repeat's count when the depth
does. A block constructed as trusted (:func:`registry.blocks.base.trusted_blocks`) looks up
its class and field values here; if an equal block was built before, the new block takes
that block's ``__dict__`` (its field values and the caches kept in it) instead of a copy of
its own, and so never computes its tally or expands its parts again.

Sharing is safe because blocks are frozen: nothing writes to a block's ``__dict__`` but the
caches, whose values depend on the field values alone. The key of a block holds the
*identity* of each child block's ``__dict__``: children are compared as the very same state,
which the cached entry keeps alive (its ``blocks`` list refers to them), so an identity in a
live key is never reused by another object. Values the key cannot hold exactly (anything but
text, whole numbers, booleans, floats, None, blocks, and lists, tuples and dicts of those)
leave the block unshared. The cache is emptied when it reaches :data:`MAX_SHARED` entries,
which only costs recomputation.
"""

from __future__ import annotations

from typing import Any

#: The most block states kept for sharing; beyond that the cache starts again empty.
MAX_SHARED = 16_384

_SCALARS = (str, int, bool, float, type(None))
_SCALAR_SET = frozenset(_SCALARS)
_class_of = type
_TEXT = frozenset((str,))
_shared: dict[tuple, dict[str, Any]] = {}
_block_classes: set[type] = set()


def register_block_class(cls: type) -> None:
    """Say that instances of ``cls`` are blocks (a key holds a child block by its state's identity)."""
    _block_classes.add(cls)


def shared_state(key: tuple) -> dict[str, Any] | None:
    """The ``__dict__`` of the block built before with ``key`` (see :func:`sharing_key`), if any."""
    return _shared.get(key)


def keep_state(key: tuple, state: dict[str, Any]) -> None:
    """Keep ``state`` (a new block's ``__dict__``) for the blocks built later with ``key``."""
    if len(_shared) >= MAX_SHARED:
        _shared.clear()
    _shared[key] = state


def clear() -> None:
    """Forget every kept block state (tests use it to start from a cold cache)."""
    _shared.clear()


def sharing_key(cls: type, data: dict[str, Any]) -> tuple | None:
    """A key equal for two constructions of ``cls`` exactly when their keyword arguments are
    equal value for value (types included: ``True`` is not ``1``) and their child blocks are
    the same states; None when a value cannot be part of a key."""
    values = tuple(data.values())
    kinds = tuple(map(_class_of, values))
    if _SCALAR_SET.issuperset(kinds):  # the common case: text, numbers, flags
        return (cls, tuple(data), kinds, values)
    frozen = tuple([v if k in _SCALAR_SET else _frozen(v) for v, k in zip(values, kinds)])
    if _UNKEYABLE in frozen:
        return None
    return (cls, tuple(data), kinds, frozen)


def _frozen(value: Any) -> Any:
    """``value`` (a list, tuple or dict of keyable values, or a block) as part of a key."""
    kind = value.__class__
    if kind in _SCALAR_SET:
        return (kind, value)
    if kind in _block_classes:
        return (_Block, id(value.__dict__))
    if kind is list or kind is tuple:
        if _block_classes.issuperset(map(_class_of, value)):  # a list of blocks: their states
            return (kind, _Block, *[id(item.__dict__) for item in value])
        items: list[Any] = [kind]
        for item in value:
            frozen = _frozen(item)
            if frozen is _UNKEYABLE:
                return _UNKEYABLE
            items.append(frozen)
        return tuple(items)
    if kind is dict:
        values = tuple(value.values())
        kinds = tuple(map(_class_of, values))
        if _SCALAR_SET.issuperset(kinds) and _TEXT.issuperset(map(_class_of, value)):  # names of roles, say
            return (dict, tuple(value), kinds, values)
        items = [dict, None]  # None: not the form above
        for key, item in value.items():
            frozen = _frozen(item)
            if frozen is _UNKEYABLE or key.__class__ is not str:
                return _UNKEYABLE
            items += (key, frozen)
        return tuple(items)
    return _UNKEYABLE


class _Block:
    """Marks a child block's identity in a key (an ``int`` value is ``(int, n)``)."""


#: What :func:`_frozen` returns for a value no key can hold.
_UNKEYABLE = object()

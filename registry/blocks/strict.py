"""A block tree from outside the core (a third-party family's ``build()``), checked like user input.

Blocks a family builds are constructed without validation (:func:`registry.blocks.base.trusted_blocks`):
the built-in families are tested against their reference implementations. A third-party
plugin is not: it may hand back ``Linear(in_features=-5)`` (a negative count), ``2.5`` or
``'64'`` where a whole number belongs, a block made with ``model_construct``, or a block
kind of its own whose tensors have negative dimensions. :func:`untrusted_problem` finds the
first such problem: every distinct block is validated again by pydantic in strict mode (as
a spec's ``[[blocks]]`` are), the tensors of a block kind defined outside the core must have
whole, non-negative dimensions, and the tree's totals must be whole and non-negative.
Shared blocks are checked once, so a tree of many repeated layers costs what its distinct
blocks cost.
"""

from __future__ import annotations

from pydantic import ValidationError

from registry.blocks.base import BlockBase

__all__ = ["untrusted_problem"]


def untrusted_problem(tree: BlockBase) -> str | None:
    """What is wrong with ``tree`` as a block tree handed over by a plugin (None: nothing)."""
    seen: set[int] = set()
    stack: list[tuple[BlockBase, str]] = [(tree, "")]
    while stack:
        block, where = stack.pop()
        if id(block) in seen:
            continue
        seen.add(id(block))
        cls = type(block)
        label = f"{where or 'the root'} ({getattr(block, 'kind', cls.__name__)})"
        state = block.__dict__
        values = {name: state.get(name) for name in cls.model_fields if name in state}
        try:
            cls.model_validate(values, strict=True)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"])
            return f"block {label}: {field}: {first['msg']}, got {_shown(first.get('input'))}"
        except (ValueError, TypeError) as exc:
            return f"block {label}: {exc}"
        own = cls.__module__.startswith("registry.")
        if not own:
            for tensor in block.tensors():
                if not all(type(d) is int and d >= 0 for d in tensor.shape):
                    return f"block {label}: tensor {tensor.path!r} has shape {_shown(tensor.shape)}, not whole non-negative sizes"
        for name, value in values.items():
            items = value if isinstance(value, (list, tuple)) else (value,)
            for i, item in enumerate(items):
                if isinstance(item, BlockBase):
                    stack.append((item, _path(where, name, i if items is value else None)))
        if not own:
            stack.extend((child, _path(where, "children()", i)) for i, child in enumerate(block.children()))
    tally = tree.tally
    for figure in ("params", "params_with_ties", "active"):
        value = getattr(tally, figure)
        if type(value) is not int or value < 0:
            return f"the tree's {figure} is {_shown(value)}, not a whole non-negative number"
    return None


def _path(where: str, name: str, index: int | None) -> str:
    step = name if index is None else f"{name}[{index}]"
    return f"{where}.{step}" if where else step


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."

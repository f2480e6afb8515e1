"""Parts of a composite model: the groups of its block tree marked with a ``part`` (vision tower,
projector, language model), their totals, and the tree of one part alone.

A vision-language model is one block tree whose groups (:class:`~registry.blocks.Module`) carry
``part = "vision"``, ``"projector"``, ``"text"``; a part may be several groups (a language model's
``model.language_model`` and its ``lm_head``). Parts do not nest.
"""

from __future__ import annotations

from collections.abc import Iterator

from registry.blocks.base import BlockBase
from registry.blocks.containers import Module, Repeat


def _marked(block: BlockBase) -> Iterator[Module]:
    """The groups under ``block`` (itself included) that carry a part, outermost first."""
    if isinstance(block, Module) and block.part:
        yield block
        return
    if isinstance(block, (Module, Repeat)):
        for child in block.children():
            yield from _marked(child)


def part_names(root: Module) -> list[str]:
    """The parts of ``root``, in tree order (empty for a model that has none)."""
    names: list[str] = []
    for group in _marked(root):
        if group.part not in names:
            names.append(group.part)
    return names


def part_totals(root: Module) -> tuple[dict[str, int], dict[str, int]]:
    """Each part's parameters (tied tensors once) and active parameters per token, in tree order (walked once per
    tree, as a block's tally is: blocks are immutable; each call returns new dicts)."""
    found = root.__dict__.get("_part_totals")
    if found is None:
        totals: dict[str, int] = {}
        active: dict[str, int] = {}
        for group in _marked(root):
            tally = group.tally
            totals[group.part] = totals.get(group.part, 0) + tally.params
            active[group.part] = active.get(group.part, 0) + tally.active
        found = root.__dict__["_part_totals"] = (totals, active)
    return dict(found[0]), dict(found[1])


def only_part(root: Module, part: str) -> Module:
    """``root`` with only the groups of ``part`` (and the modules that hold them): paths unchanged."""

    def keep(block: BlockBase) -> BlockBase | None:
        if isinstance(block, Module) and block.part:
            return block if block.part == part else None
        if isinstance(block, Module):
            kids = [k for k in (keep(c) for c in block.blocks) if k is not None]
            return block.model_copy(update={"blocks": kids}) if kids else None
        return None  # a tensor outside every part: not one part's

    kept = keep(root)
    return kept if isinstance(kept, Module) else Module()


__all__ = ["only_part", "part_names", "part_totals"]

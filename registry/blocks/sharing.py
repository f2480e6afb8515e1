"""Shared bodies: blocks whose tensors exist once but run several times (cross-layer sharing)."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Literal

from pydantic import Field, NonNegativeInt

from registry.blocks.base import BlockBase, add_children, join
from registry.blocks.tally import Tally

if TYPE_CHECKING:
    from registry.blocks import Block


class Shared(BlockBase):
    """``blocks`` whose tensors exist once, used ``uses`` times in a forward pass.

    ALBERT's layer groups are one such body each: a group of layers whose weights every
    layer of its share of the network reuses. The tensors are named once, under
    ``name`` (no copy numbers), and counted once in ``params``, ``active`` and the
    components; ``params_with_ties`` (and the split by leaf kind) counts them at each
    use, as a per-use hand count would. A body built but never used (``uses = 0``) is
    counted once in both.
    """

    kind: Literal["shared"] = "shared"
    uses: NonNegativeInt = Field(description="how many times the body runs in one forward pass")
    blocks: list[Block] = Field(default_factory=list, description="the body, whose tensors exist once")

    def children(self) -> tuple[Block, ...]:
        # the body's blocks placed under this block's name (validated already: no second validation)
        return tuple(type(b).model_construct(**{**dict(b), "name": join(self.name, b.name)}) for b in self.blocks)

    @cached_property
    def tally(self) -> Tally:
        body = Tally()
        add_children(body, self.blocks)
        tally = Tally()
        tally.add(body)
        again = max(self.uses, 1) - 1  # the uses after the first add only to the per-use counts
        tally.params_with_ties += body.params_with_ties * again
        for kind, value in body.kinds.items():
            tally.kinds[kind] += value * again
        return tally

"""Containers: a named group of blocks, and a body repeated n times (layers, experts)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry.blocks.base import BlockBase, FieldError, add_children
from registry.blocks.tally import Tally

if TYPE_CHECKING:
    from registry.blocks import Block


class Module(BlockBase):
    """A named group of blocks (like an ``nn.Module`` with children).

    ``part`` marks the group as one part of a composite model (its vision tower, its
    projector, its language model): reports give each part's total, and ``--part`` counts one
    alone (:mod:`registry.blocks.parts`).
    """

    kind: Literal["module"] = "module"
    blocks: list[Block] = Field(default_factory=list, description="the child blocks")
    part: str = Field("", pattern=r"^([a-z][a-z0-9_]*)?$",
                      description="the part of a composite model this group is (text, vision, audio, projector; empty: none)")

    def children(self) -> tuple[Block, ...]:
        return tuple(self.blocks)


class Repeat(BlockBase):
    """``blocks`` repeated ``count`` times, numbered ``start, start+stride, …`` under ``name``.

    The layers of a transformer are one repeat (``h.0`` … ``h.47``); the experts of a
    MoE layer are another, with ``active`` (default: all) of them used per token.
    Several repeats under the same name with different ``start``/``stride`` describe
    per-layer patterns (dense first layers, MoE every k-th layer).
    """

    kind: Literal["repeat"] = "repeat"
    count: PositiveInt = Field(description="how many copies")
    start: NonNegativeInt = Field(0, description="number of the first copy")
    stride: PositiveInt = Field(1, description="step between the numbers of consecutive copies")
    active: NonNegativeInt | None = Field(None, description="copies used per token (default all; a MoE's top-k)")
    blocks: list[Block] = Field(default_factory=list, description="the body of one copy")

    @model_validator(mode="after")
    def _check(self) -> Repeat:
        if self.active is not None and self.active > self.count:
            raise FieldError("active", f"active ({self.active}) exceeds count ({self.count})")
        return self

    @property
    def indices(self) -> range:
        """The layer numbers this repeat covers."""
        return range(self.start, self.start + self.count * self.stride, self.stride)

    def children(self) -> tuple[Block, ...]:
        return tuple(self.blocks)

    def compute_tally(self) -> Tally:
        body = Tally()
        add_children(body, self.blocks)
        tally = Tally()
        tally.add(body, self.count, self.count if self.active is None else self.active)
        return tally

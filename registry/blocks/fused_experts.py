"""Routed experts stored as stacked 3-D tensors, one slice per expert (Granite-MoE's checkpoints)."""

from __future__ import annotations

from functools import cached_property
from typing import Literal

from pydantic import Field, PositiveInt, model_validator

from registry.blocks.base import BlockBase, FieldError, join, role_names
from registry.tally import Tally
from registry.tensors import Tensor

FUSED_EXPERTS_NAMES = {"gate_up": "gate_up_proj", "up": "up_proj", "down": "down_proj"}


class FusedExperts(BlockBase):
    """``n_experts`` feed-forward experts held as two 3-D tensors, ``top_k`` used per token.

    Gated experts: ``gate_up`` of shape ``(n_experts, 2 × d_ff, d_model)`` (gate and up
    projections of every expert, stacked) and ``down`` of shape ``(n_experts, d_model,
    d_ff)``; ungated: ``up`` of ``(n_experts, d_ff, d_model)`` and ``down``. No biases.
    This is how Granite-MoE's checkpoints store them (``input_linear.weight``,
    ``output_linear.weight``) and how transformers 5 holds every MoE's experts in
    memory. ``names`` maps the roles (gate_up, up, down) to tensor paths relative to the
    block. The active count takes ``top_k`` of the ``n_experts`` slices.
    """

    kind: Literal["fused_experts"] = "fused_experts"
    d_model: PositiveInt = Field(description="input and output width")
    d_ff: PositiveInt = Field(description="inner width of one expert")
    n_experts: PositiveInt = Field(description="experts stacked in each tensor")
    top_k: PositiveInt = Field(description="experts used per token")
    gated: bool = Field(True, description="gate and up projections stacked in one tensor of 2 × d_ff rows")
    names: dict[str, str] = Field(default_factory=dict, description="tensor path per role (gate_up, up, down)")

    @model_validator(mode="after")
    def _check(self) -> FusedExperts:
        if self.top_k > self.n_experts:
            raise FieldError("top_k", f"top_k ({self.top_k}) exceeds n_experts ({self.n_experts})")
        role_names(FUSED_EXPERTS_NAMES, self.names, "fused_experts")
        return self

    def _slices(self) -> tuple[Tensor, ...]:
        """One expert's share of each tensor (shapes without the leading expert dimension)."""
        names = role_names(FUSED_EXPERTS_NAMES, self.names, "fused_experts")
        first = ("gate_up", 2 * self.d_ff) if self.gated else ("up", self.d_ff)
        return (
            Tensor(join(self.name, names[first[0]]), (first[1], self.d_model), "parameter", "experts"),
            Tensor(join(self.name, names["down"]), (self.d_model, self.d_ff), "parameter", "experts"),
        )

    def tensors(self) -> tuple[Tensor, ...]:
        return tuple(t._replace(shape=(self.n_experts, *t.shape)) for t in self._slices())

    def children(self) -> tuple[BlockBase, ...]:
        return ()  # defined here so that parents use this block's own tally (active share) and not its tensors

    @cached_property
    def tally(self) -> Tally:
        tally = Tally()
        tally.add(Tally.of_tensors(self._slices()), self.n_experts, self.top_k)
        return tally

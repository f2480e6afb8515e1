"""Routed experts stored as 2-D tensors whose rows are the experts' rows, one after another (DBRX)."""

from __future__ import annotations

from functools import cached_property
from typing import Literal

from pydantic import Field, PositiveInt, model_validator

from registry.blocks.base import BlockBase, FieldError, join, role_names
from registry.tally import Tally
from registry.tensors import Tensor

FLAT_EXPERTS_NAMES = {"gate": "w1", "up": "v1", "down": "w2"}


class FlatExperts(BlockBase):
    """``n_experts`` feed-forward experts held as 2-D tensors of ``n_experts × d_ff`` rows, ``top_k`` used per token.

    Every projection (``gate`` and ``up`` when ``gated``, then ``down``) is one tensor of
    shape ``(n_experts × d_ff, d_model)``: expert ``e`` owns rows ``e × d_ff`` to
    ``(e + 1) × d_ff``; the down projection is stored the same way (transposed with
    respect to a ``d_ff → d_model`` linear layer). No biases. This is how DBRX's
    checkpoints and transformers store them (``ffn.experts.mlp.w1``, ``v1``, ``w2``).
    ``names`` maps the roles (gate, up, down) to tensor paths relative to the block.
    The active count takes ``top_k`` of the ``n_experts`` row blocks.
    """

    kind: Literal["flat_experts"] = "flat_experts"
    d_model: PositiveInt = Field(description="input and output width")
    d_ff: PositiveInt = Field(description="inner width of one expert")
    n_experts: PositiveInt = Field(description="experts whose rows each tensor holds")
    top_k: PositiveInt = Field(description="experts used per token")
    gated: bool = Field(True, description="a gate projection beside the up projection (three tensors)")
    names: dict[str, str] = Field(default_factory=dict, description="tensor path per role (gate, up, down)")

    @model_validator(mode="after")
    def _check(self) -> FlatExperts:
        if self.top_k > self.n_experts:
            raise FieldError("top_k", f"top_k ({self.top_k}) exceeds n_experts ({self.n_experts})")
        role_names(FLAT_EXPERTS_NAMES, self.names, "flat_experts")
        return self

    def _slices(self) -> tuple[Tensor, ...]:
        """One expert's rows of each tensor."""
        names = role_names(FLAT_EXPERTS_NAMES, self.names, "flat_experts")
        roles = ("gate", "up", "down") if self.gated else ("up", "down")
        return tuple(Tensor(join(self.name, names[r]), (self.d_ff, self.d_model), "parameter", "experts") for r in roles)

    def tensors(self) -> tuple[Tensor, ...]:
        return tuple(t._replace(shape=(self.n_experts * self.d_ff, self.d_model)) for t in self._slices())

    def children(self) -> tuple[BlockBase, ...]:
        return ()  # defined here so that parents use this block's own tally (active share) and not its tensors

    @cached_property
    def tally(self) -> Tally:
        tally = Tally()
        tally.add(Tally.of_tensors(self._slices()), self.n_experts, self.top_k)
        return tally

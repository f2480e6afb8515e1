"""Routed experts held in a few large tensors instead of one module per expert.

Two storage layouts exist in published checkpoints: ``stacked`` 3-D tensors with one
slice per expert (Granite-MoE's ``input_linear``/``output_linear``, and how transformers 5
holds every MoE's experts in memory), and ``rows``: 2-D tensors whose rows are the
experts' rows one after another (DBRX's ``ffn.experts.mlp.w1``/``v1``/``w2``).
"""

from __future__ import annotations

from functools import cached_property
from typing import Literal

from pydantic import Field, PositiveInt, model_validator

from registry.blocks.base import BlockBase, Component, FieldError, join, role_names
from registry.blocks.tally import Tally
from registry.blocks.tensors import Tensor

FUSED_EXPERTS_NAMES = {
    "gate_up": "gate_up_proj",
    "gate": "gate_proj",
    "up": "up_proj",
    "down": "down_proj",
    "gate_up_bias": "gate_up_proj_bias",
    "up_bias": "up_proj_bias",
    "down_bias": "down_proj_bias",
}


class FusedExperts(BlockBase):
    """``n_experts`` feed-forward experts held in shared tensors, ``top_k`` used per token.

    ``layout = "stacked"``: gated experts are ``gate_up`` of shape ``(n_experts, 2 × d_ff,
    d_model)`` (gate and up projections of every expert, stacked) and ``down`` of shape
    ``(n_experts, d_model, d_ff)``; ungated ones ``up`` of ``(n_experts, d_ff, d_model)`` and
    ``down``. ``layout = "rows"``: every projection (``gate`` and ``up`` when gated, then
    ``down``) is one tensor of ``(n_experts × d_ff, d_model)``, expert ``e`` owning rows
    ``e × d_ff`` to ``(e + 1) × d_ff`` (the down projection is stored transposed with respect
    to a ``d_ff → d_model`` linear layer). ``names`` maps the roles (gate_up,
    gate, up, down, and the biases' gate_up_bias, up_bias, down_bias) to tensor paths
    relative to the block. The active count takes ``top_k`` of the ``n_experts`` slices.

    Two switches give gpt-oss's layout (transformers' ``GptOssExperts``,
    ``models/gpt_oss/modeling_gpt_oss.py``), stacked only: ``transposed`` stores each
    expert's matrices as ``(in, out)``: ``gate_up`` ``(n_experts, d_model, 2 × d_ff)`` and
    ``down`` ``(n_experts, d_ff, d_model)``; ``bias`` adds ``gate_up_proj_bias`` ``(n_experts,
    2 × d_ff)`` (``up_proj_bias`` ``(n_experts, d_ff)`` when not gated) and
    ``down_proj_bias`` ``(n_experts, d_model)``. ``component`` is the report's component:
    ``experts``, or ``attention`` for JetMoE's attention experts.
    """

    kind: Literal["fused_experts"] = "fused_experts"
    d_model: PositiveInt = Field(description="input and output width")
    d_ff: PositiveInt = Field(description="inner width of one expert")
    n_experts: PositiveInt = Field(description="experts held in each tensor")
    top_k: PositiveInt = Field(description="experts used per token")
    gated: bool = Field(True, description="a gate projection beside the up projection")
    layout: Literal["stacked", "rows"] = Field(
        "stacked", description="stacked: 3-D tensors, one slice per expert; rows: 2-D tensors of n_experts x d_ff rows"
    )
    bias: bool = Field(False, description="a bias per expert on each projection (gpt-oss; stacked layout only)")
    transposed: bool = Field(False, description="matrices stored (in, out) per expert, as gpt-oss (stacked layout only)")
    component: Component = Field("experts", description="the report's component")
    names: dict[str, str] = Field(default_factory=dict, description="tensor path per role (gate_up, gate, up, down, ...)")

    @model_validator(mode="after")
    def _check(self) -> FusedExperts:
        if self.top_k > self.n_experts:
            raise FieldError("top_k", f"top_k ({self.top_k}) exceeds n_experts ({self.n_experts})")
        for switch in ("bias", "transposed"):
            if getattr(self, switch) and self.layout == "rows":
                raise FieldError(switch, f"{switch} = true needs layout = \"stacked\" (the rows layout has no such form)")
        role_names(FUSED_EXPERTS_NAMES, self.names, "fused_experts")
        return self

    def _slices(self) -> tuple[Tensor, ...]:
        """One expert's share of each tensor."""
        names = role_names(FUSED_EXPERTS_NAMES, self.names, "fused_experts")

        def part(role: str, shape: tuple[int, ...]) -> Tensor:
            return Tensor(join(self.name, names[role]), shape, "parameter", self.component)

        d, f = self.d_model, self.d_ff
        if self.layout == "rows":
            return tuple(part(role, (f, d)) for role in (("gate", "up", "down") if self.gated else ("up", "down")))
        first, width = ("gate_up", 2 * f) if self.gated else ("up", f)
        if self.transposed:
            slices = [part(first, (d, width)), part("down", (f, d))]
        else:
            slices = [part(first, (width, d)), part("down", (d, f))]
        if self.bias:
            slices += [part(first + "_bias", (width,)), part("down_bias", (d,))]
        return tuple(slices)

    def tensors(self) -> tuple[Tensor, ...]:
        if self.layout == "rows":
            return tuple(t._replace(shape=(self.n_experts * t.shape[0], t.shape[1])) for t in self._slices())
        return tuple(t._replace(shape=(self.n_experts, *t.shape)) for t in self._slices())

    def children(self) -> tuple[BlockBase, ...]:
        return ()  # defined here so that parents use this block's own tally (active share) and not its tensors

    @cached_property
    def tally(self) -> Tally:
        tally = Tally()
        tally.add(Tally.of_tensors(self._slices()), self.n_experts, self.top_k)
        return tally

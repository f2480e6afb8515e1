"""Feed-forward blocks: dense or gated, and mixture-of-experts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry.blocks.base import BlockBase, Component, FieldError, join, role_names
from registry.blocks.leaves import Linear, RMSNorm

if TYPE_CHECKING:
    from registry.blocks import Block


FEED_FORWARD_NAMES = {
    "up": "up_proj",
    "gate": "gate_proj",
    "down": "down_proj",
    "gate_up": "gate_up_proj",
    "sub_norm": "ffn_sub_norm",
}


class FeedForward(BlockBase):
    """Position-wise feed-forward: ``d_model → d_ff → d_model``.

    ``gated`` adds a gate projection (GLU variants such as SwiGLU: three matrices);
    ``fused_gate_up`` stores the gate and up projections as one of ``2 × d_ff`` outputs
    (Phi-3's ``gate_up_proj``). ``sub_norm`` adds BitNet's RMS norm of the inner
    activations before the down projection (``ffn_sub_norm``, of ``d_ff``; transformers'
    ``BitNetMLP``). ``names`` maps roles (up, gate, down, gate_up, sub_norm) to the
    family's submodule names.
    """

    kind: Literal["feed_forward"] = "feed_forward"
    d_model: PositiveInt = Field(description="input and output width")
    d_ff: PositiveInt = Field(description="inner width")
    gated: bool = Field(False, description="a gate projection beside the up projection (SwiGLU: three matrices)")
    bias: bool = Field(True, description="biases on the projections")
    fused_gate_up: bool = Field(False, description="gate and up projections stored as one (needs gated)")
    transposed: bool = Field(False, description="weights stored (in, out), as GPT-2's Conv1D")
    sub_norm: bool = Field(False, description="an RMS norm of the inner activations before down (BitNet's ffn_sub_norm)")
    component: Component = Field("feed_forward", description="the report's component")
    names: dict[str, str] = Field(default_factory=dict, description="submodule name per role (up, gate, down, gate_up, sub_norm)")

    @model_validator(mode="after")
    def _check(self) -> FeedForward:
        if self.fused_gate_up and not self.gated:
            raise FieldError("fused_gate_up", "a fused gate-up projection needs gated = true")
        role_names(FEED_FORWARD_NAMES, self.names, "feed_forward")
        return self

    def children(self) -> tuple[Block, ...]:
        names = role_names(FEED_FORWARD_NAMES, self.names, "feed_forward")

        def linear(role: str, n_in: int, n_out: int) -> Linear:
            return Linear(
                name=join(self.name, names[role]), in_features=n_in, out_features=n_out,
                bias=self.bias, transposed=self.transposed, component=self.component,
            )  # fmt: skip

        if self.fused_gate_up:
            parts: tuple[Block, ...] = (linear("gate_up", self.d_model, 2 * self.d_ff), linear("down", self.d_ff, self.d_model))
        else:
            roles = (("gate", "up") if self.gated else ("up",))
            parts = (*(linear(r, self.d_model, self.d_ff) for r in roles), linear("down", self.d_ff, self.d_model))
        if self.sub_norm:
            parts += (RMSNorm(name=join(self.name, names["sub_norm"]), dim=self.d_ff),)
        return parts


MOE_NAMES = {"router": "gate", "experts": "experts", "shared": "shared_experts", "shared_gate": "shared_expert_gate"}


class MoE(BlockBase):
    """Mixture-of-experts feed-forward: a router and ``n_experts`` expert MLPs, of which
    ``top_k`` are used per token, plus ``n_shared_experts`` always-on experts.

    Each expert is a :class:`FeedForward` of width ``d_ff`` (``gated`` and ``bias`` as
    there, submodule names from ``expert_names``); shared experts have width
    ``shared_d_ff`` (default ``d_ff``); ``shared_gate`` adds a sigmoid gate
    ``d_model → 1`` on the shared expert (Qwen2-MoE). ``names`` maps roles (router,
    experts, shared, shared_gate) to submodule names. With one shared expert it is a
    single module at ``names["shared"]``; with more, a repeat under that name.
    """

    kind: Literal["moe"] = "moe"
    d_model: PositiveInt = Field(description="input and output width")
    d_ff: PositiveInt = Field(description="inner width of one routed expert")
    n_experts: PositiveInt = Field(description="routed experts")
    top_k: PositiveInt = Field(description="routed experts used per token")
    gated: bool = Field(True, description="gated experts (three matrices)")
    bias: bool = Field(False, description="biases on the experts' projections")
    router_bias: bool = Field(False, description="a bias on the router")
    n_shared_experts: NonNegativeInt = Field(0, description="always-on experts")
    shared_d_ff: PositiveInt | None = Field(None, description="inner width of a shared expert (default d_ff)")
    shared_gate: bool = Field(False, description="a sigmoid gate d_model -> 1 on the shared expert (Qwen2-MoE)")
    names: dict[str, str] = Field(default_factory=dict, description="submodule name per role (router, experts, shared, shared_gate)")
    expert_names: dict[str, str] = Field(default_factory=dict, description="submodule name per role inside an expert (up, gate, down)")

    @model_validator(mode="after")
    def _check(self) -> MoE:
        if self.top_k > self.n_experts:
            raise FieldError("top_k", f"top_k ({self.top_k}) exceeds n_experts ({self.n_experts})")
        role_names(MOE_NAMES, self.names, "moe")
        role_names(FEED_FORWARD_NAMES, self.expert_names, "moe experts")
        return self

    def children(self) -> tuple[Block, ...]:
        from registry.blocks.containers import Repeat

        names = role_names(MOE_NAMES, self.names, "moe")

        def expert(name: str, d_ff: int, component: Component) -> FeedForward:
            return FeedForward(
                name=name, d_model=self.d_model, d_ff=d_ff, gated=self.gated, bias=self.bias,
                component=component, names=self.expert_names,
            )  # fmt: skip

        parts: list[Block] = [
            Linear(
                name=join(self.name, names["router"]), in_features=self.d_model, out_features=self.n_experts,
                bias=self.router_bias, component="router",
            ),
            Repeat(
                name=join(self.name, names["experts"]), count=self.n_experts, active=self.top_k,
                blocks=[expert("", self.d_ff, "experts")],
            ),
        ]  # fmt: skip
        shared_d_ff = self.shared_d_ff or self.d_ff
        shared_name = join(self.name, names["shared"])
        if self.n_shared_experts == 1:
            parts.append(expert(shared_name, shared_d_ff, "shared_experts"))
        elif self.n_shared_experts > 1:
            body = expert("", shared_d_ff, "shared_experts")
            parts.append(Repeat(name=shared_name, count=self.n_shared_experts, blocks=[body]))
        if self.shared_gate:
            parts.append(
                Linear(name=join(self.name, names["shared_gate"]), in_features=self.d_model, out_features=1,
                       bias=False, component="shared_experts")
            )  # fmt: skip
        return tuple(parts)

"""Mixture of attention heads (JetMoE, Shen et al. 2024): routed query and output experts over shared keys and values."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, PositiveInt, model_validator

from registry.blocks.base import BlockBase, FieldError, join, role_names
from registry.blocks.fused_experts import FusedExperts
from registry.blocks.leaves import Linear, Parameter

if TYPE_CHECKING:
    from registry.blocks import Block


MIXTURE_OF_ATTENTION_NAMES = {
    "kv": "kv_proj",
    "bias": "experts.bias",
    "input": "experts.input_linear.weight",
    "output": "experts.output_linear.weight",
    "router": "experts.router.layer",
}


class MixtureOfAttention(BlockBase):
    """Mixture of attention heads: one key/value projection shared by all experts, and
    ``n_experts`` attention experts, ``top_k`` used per token, each with its own query
    projection ``d_model → n_kv_heads × head_dim`` and output projection back.

    With ``W = n_kv_heads × head_dim``, the tensors, named as the published checkpoints
    name them (``names`` maps roles to other names): ``kv_proj`` (``d_model → 2W``, no
    bias); under ``experts``: ``input_linear.weight`` (``n_experts × W × d_model``: the
    experts' query projections), ``output_linear.weight`` (``n_experts × d_model × W``),
    ``bias`` (``d_model``, added to the output) and the router ``router.layer``
    (``d_model → n_experts``, no bias). The active count takes ``top_k`` of the experts.
    A token has ``top_k × n_kv_heads`` query heads over ``n_kv_heads`` key/value heads.

    Sources: Shen et al., "JetMoE: Reaching Llama2 Performance with 0.1M Dollars" (arXiv
    2404.07413); transformers' ``JetMoeAttention``, ``JetMoeMoA``,
    ``JetMoeParallelExperts`` and ``JetMoeTopKGating`` (``models/jetmoe/modeling_jetmoe.py``).

    A decoding step keeps the keys and values of every token so far: ``2W`` values a token.
    """

    kind: Literal["mixture_of_attention"] = "mixture_of_attention"
    d_model: PositiveInt = Field(description="input and output width")
    n_experts: PositiveInt = Field(description="attention experts (num_local_experts)")
    top_k: PositiveInt = Field(description="experts used per token (num_experts_per_tok)")
    n_kv_heads: PositiveInt = Field(description="key/value heads (num_key_value_heads); each expert has as many query heads")
    head_dim: PositiveInt = Field(description="width of a head (kv_channels)")
    names: dict[str, str] = Field(default_factory=dict, description="tensor or submodule name per role (kv, bias, input, output, router)")

    @model_validator(mode="after")
    def _check(self) -> MixtureOfAttention:
        if self.top_k > self.n_experts:
            raise FieldError("top_k", f"top_k ({self.top_k}) exceeds n_experts ({self.n_experts})")
        role_names(MIXTURE_OF_ATTENTION_NAMES, self.names, "mixture_of_attention")
        return self

    @property
    def kv_width(self) -> int:
        """Width of the keys (or values) of one token: ``n_kv_heads × head_dim``."""
        return self.n_kv_heads * self.head_dim

    def children(self) -> tuple[Block, ...]:
        names = role_names(MIXTURE_OF_ATTENTION_NAMES, self.names, "mixture_of_attention")
        d, w = self.d_model, self.kv_width
        return (
            Linear(name=join(self.name, names["kv"]), in_features=d, out_features=2 * w, bias=False,
                   component="attention"),
            FusedExperts(name=self.name, d_model=d, d_ff=w, n_experts=self.n_experts, top_k=self.top_k, gated=False,
                         component="attention", names={"up": names["input"], "down": names["output"]}),
            Parameter(name=join(self.name, names["bias"]), shape=(d,), component="attention"),
            Linear(name=join(self.name, names["router"]), in_features=d, out_features=self.n_experts, bias=False,
                   component="router"),
        )  # fmt: skip

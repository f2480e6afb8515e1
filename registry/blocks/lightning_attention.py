"""Lightning attention (MiniMax-01, 2025): linear attention with a decaying matrix-valued state per head."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, PositiveInt, model_validator

from registry.blocks.base import BlockBase, Component, join, role_names
from registry.blocks.leaves import Linear, RMSNorm

if TYPE_CHECKING:
    from registry.blocks import Block


LIGHTNING_ATTENTION_NAMES = {"qkv": "qkv_proj", "gate": "output_gate", "norm": "norm", "out": "out_proj"}


class LightningAttention(BlockBase):
    """Lightning attention: ``n_heads`` heads of ``head_dim`` for queries, keys and values, a
    linear-attention recurrence with a fixed per-head decay (no parameters), an RMS norm of the
    heads' output, a sigmoid output gate and an output projection.

    With ``W = n_heads × head_dim``, the tensors, named as the published checkpoints name them
    (``names`` maps roles to other names), none with a bias: ``qkv_proj`` (``d_model → 3W``),
    ``output_gate`` (``d_model → W``), ``norm`` (one weight of ``W``), ``out_proj`` (``W → d_model``).

    Sources: MiniMax, "MiniMax-01: Scaling Foundation Models with Lightning Attention"
    (arXiv 2501.08313); transformers' ``MiniMaxLightningAttention``
    (``models/minimax/modeling_minimax.py``).

    The state kept per sequence is constant in the sequence length: ``n_heads × head_dim ×
    head_dim`` values at the cache's type (transformers' ``MiniMaxCache`` keeps it as the value
    states' type); no convolution.
    """

    kind: Literal["lightning_attention"] = "lightning_attention"
    d_model: PositiveInt = Field(description="input and output width")
    n_heads: PositiveInt = Field(description="heads (num_attention_heads)")
    head_dim: PositiveInt = Field(description="width of a head (head_dim)")
    component: Component = Field("attention", description="the report's component (the token mixer's)")
    names: dict[str, str] = Field(default_factory=dict, description="submodule name per role (qkv, gate, norm, out)")

    @model_validator(mode="after")
    def _check(self) -> LightningAttention:
        role_names(LIGHTNING_ATTENTION_NAMES, self.names, "lightning_attention")
        return self

    @property
    def state_values(self) -> int:
        """Values of the recurrent state per sequence (``n_heads × head_dim × head_dim``, at the cache's type)."""
        return self.n_heads * self.head_dim * self.head_dim

    def children(self) -> tuple[Block, ...]:
        names = role_names(LIGHTNING_ATTENTION_NAMES, self.names, "lightning_attention")
        d, w, component = self.d_model, self.n_heads * self.head_dim, self.component

        def linear(role: str, n_in: int, n_out: int) -> Linear:
            return Linear(name=join(self.name, names[role]), in_features=n_in, out_features=n_out, bias=False,
                          component=component)  # fmt: skip

        return (linear("qkv", d, 3 * w), linear("gate", d, w), RMSNorm(name=join(self.name, names["norm"]), dim=w),
                linear("out", w, d))  # fmt: skip

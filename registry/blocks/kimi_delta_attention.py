"""Kimi Delta Attention (Kimi Linear, Moonshot AI 2025): gated DeltaNet with a per-channel decay."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, PositiveInt, model_validator

from registry.blocks.base import BlockBase, Component, join, role_names
from registry.blocks.leaves import Linear, Parameter, RMSNorm

if TYPE_CHECKING:
    from registry.blocks import Block


KIMI_DELTA_ATTENTION_NAMES = {
    "q": "q_proj",
    "k": "k_proj",
    "v": "v_proj",
    "conv": "conv1d",
    "q_conv": "q_conv1d",
    "k_conv": "k_conv1d",
    "v_conv": "v_conv1d",
    "f_a": "f_a_proj",
    "f_b": "f_b_proj",
    "dt_bias": "dt_bias",
    "a_log": "A_log",
    "b": "b_proj",
    "g_a": "g_a_proj",
    "g_b": "g_b_proj",
    "norm": "o_norm",
    "out": "o_proj",
}


class KimiDeltaAttention(BlockBase):
    """Kimi Delta Attention (KDA): ``n_heads`` heads of ``head_dim`` for queries, keys and
    values alike, a depthwise causal convolution on each, a delta-rule recurrence whose
    decay is per channel (from a low-rank forget gate) rather than per head, a low-rank
    output gate, a gated RMS norm and an output projection.

    With ``W = n_heads × head_dim``, the tensors, named as the published checkpoints name
    them (``names`` maps roles to other names), none with a bias: ``q_proj``, ``k_proj``,
    ``v_proj`` (``d_model → W``); ``q_conv1d``, ``k_conv1d``, ``v_conv1d`` (depthwise,
    weight ``W × 1 × d_conv`` each; with ``split_conv = false`` one ``conv1d`` of
    ``3W × 1 × d_conv``, as transformers concatenates them); the forget gate ``f_a_proj``
    (``d_model → head_dim``), ``f_b_proj`` (``head_dim → W``), ``dt_bias`` (``W``) and
    ``A_log`` (``1 × 1 × n_heads × 1``); ``b_proj`` (``d_model → n_heads``, the write
    strength β); the output gate ``g_a_proj`` (``d_model → head_dim``) and ``g_b_proj``
    (``head_dim → W``); ``o_norm`` (one weight of ``head_dim``); ``o_proj`` (``W →
    d_model``). transformers holds the forget gate's four tensors under ``forget_gate.``:
    give ``names = {f_a = "forget_gate.f_a_proj", f_b = "forget_gate.f_b_proj", dt_bias =
    "forget_gate.dt_bias", a_log = "forget_gate.A_log"}`` and ``split_conv = false`` for
    its names.

    Sources: Kimi Team, "Kimi Linear: An Expressive, Efficient Attention Architecture"
    (arXiv 2510.26692); transformers' ``KimiLinearDeltaAttention`` and
    ``KimiLinearForgetGate`` (``models/kimi_linear/modeling_kimi_linear.py``), whose weight
    conversion (``conversion_mapping.py``, ``kimi_linear``) gives the checkpoints' names.

    The state kept per sequence is constant in the sequence length: the convolutions' last
    ``d_conv`` inputs (``3W × d_conv`` values, at the cache's type) and the recurrent
    state, ``n_heads × head_dim × head_dim`` values held in fp32.
    """

    kind: Literal["kimi_delta_attention"] = "kimi_delta_attention"
    d_model: PositiveInt = Field(description="input and output width")
    n_heads: PositiveInt = Field(description="heads (linear_num_heads)")
    head_dim: PositiveInt = Field(description="width of a head, and rank of the forget and output gates (linear_head_dim)")
    d_conv: PositiveInt = Field(4, description="width of the depthwise convolution kernels (linear_conv_kernel_dim)")
    split_conv: bool = Field(
        True, description="one convolution each for q, k and v, as the checkpoints store them (false: one conv1d)"
    )
    component: Component = Field("attention", description="the report's component (the token mixer's)")
    names: dict[str, str] = Field(default_factory=dict, description="submodule name per role (q, k, v, f_a, f_b, g_a, ...)")

    @model_validator(mode="after")
    def _check(self) -> KimiDeltaAttention:
        role_names(KIMI_DELTA_ATTENTION_NAMES, self.names, "kimi_delta_attention")
        return self

    @property
    def conv_state_values(self) -> int:
        """Values of the convolution states per sequence (``3 · n_heads · head_dim × d_conv``)."""
        return 3 * self.n_heads * self.head_dim * self.d_conv

    @property
    def recurrent_state_values(self) -> int:
        """Values of the recurrent state per sequence (``n_heads × head_dim × head_dim``, fp32)."""
        return self.n_heads * self.head_dim * self.head_dim

    def children(self) -> tuple[Block, ...]:
        names = role_names(KIMI_DELTA_ATTENTION_NAMES, self.names, "kimi_delta_attention")
        d, r, w, h, component = self.d_model, self.head_dim, self.n_heads * self.head_dim, self.n_heads, self.component

        def linear(role: str, n_in: int, n_out: int) -> Linear:
            return Linear(name=join(self.name, names[role]), in_features=n_in, out_features=n_out, bias=False,
                          component=component)  # fmt: skip

        def param(role: str, *shape: int) -> Parameter:
            return Parameter(name=join(self.name, names[role]), shape=shape, component=component)

        def conv(role: str, channels: int) -> Parameter:
            return Parameter(name=join(self.name, names[role], "weight"), shape=(channels, 1, self.d_conv),
                             component=component)  # fmt: skip

        parts: list[Block] = [linear("q", d, w), linear("k", d, w), linear("v", d, w)]
        if self.split_conv:
            parts += [conv("q_conv", w), conv("k_conv", w), conv("v_conv", w)]
        else:
            parts.append(conv("conv", 3 * w))
        parts += [
            linear("f_a", d, r), linear("f_b", r, w), param("dt_bias", w), param("a_log", 1, 1, h, 1),
            linear("b", d, h), linear("g_a", d, r), linear("g_b", r, w),
            RMSNorm(name=join(self.name, names["norm"]), dim=r),
            linear("out", w, d),
        ]  # fmt: skip
        return tuple(parts)

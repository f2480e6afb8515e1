"""Gated DeltaNet linear attention (Yang, Kautz & Hatamizadeh 2024): a token mixer with a matrix-valued state."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, PositiveInt, model_validator

from registry.blocks.base import BlockBase, Component, FieldError, join, role_names
from registry.blocks.leaves import Linear, Parameter, RMSNorm

if TYPE_CHECKING:
    from registry.blocks import Block


GATED_DELTANET_NAMES = {
    "qkvz": "in_proj_qkvz",
    "ba": "in_proj_ba",
    "qkv": "in_proj_qkv",
    "z": "in_proj_z",
    "b": "in_proj_b",
    "a": "in_proj_a",
    "q": "q_proj",
    "k": "k_proj",
    "v": "v_proj",
    "conv": "conv1d",
    "q_conv": "q_conv1d",
    "k_conv": "k_conv1d",
    "v_conv": "v_conv1d",
    "dt_bias": "dt_bias",
    "a_log": "A_log",
    "norm": "norm",
    "out": "out_proj",
}


class GatedDeltaNet(BlockBase):
    """Gated DeltaNet linear attention: queries and keys of ``n_k_heads`` heads of
    ``head_k_dim``, values of ``n_v_heads`` heads of ``head_v_dim``, a depthwise causal
    convolution over queries, keys and values, a gated delta-rule recurrence, a gated RMS
    norm and an output projection.

    With ``K = n_k_heads × head_k_dim`` and ``V = n_v_heads × head_v_dim``, the tensors,
    named as the published checkpoints name them (``names`` maps roles to other names),
    none with a bias:

    * the input projections, by ``projections``: ``fused`` (Qwen3-Next): ``in_proj_qkvz``
      (``d_model → 2K + 2V``: queries, keys, values and the output gate z) and ``in_proj_ba``
      (``d_model → 2 · n_v_heads``: the write strength β and the decay input a);
      ``split`` (Qwen3.5): ``in_proj_qkv`` (``d_model → 2K + V``), ``in_proj_z``
      (``d_model → V``), ``in_proj_b`` and ``in_proj_a`` (``d_model → n_v_heads`` each);
      ``separate`` (OLMo-hybrid, whose names are ``q_proj``, ``k_proj``, ``v_proj``,
      ``g_proj`` for z, ``b_proj``, ``a_proj``: pass the last three in ``names``): one
      projection each for q (``K``), k (``K``), v (``V``), z (``V``), b and a (``n_v_heads``);
    * ``conv1d`` (depthwise, weight ``(2K + V) × 1 × d_conv``), or with ``split_conv``
      ``q_conv1d``, ``k_conv1d`` (``K × 1 × d_conv``) and ``v_conv1d`` (``V × 1 × d_conv``),
      as OLMo-hybrid's checkpoints store it (transformers concatenates them into ``conv1d``);
    * ``dt_bias`` and ``A_log`` (``n_v_heads`` each);
    * ``norm``: the gated RMS norm, one weight of ``head_v_dim`` shared by the heads
      (OLMo-hybrid's ``o_norm``);
    * ``out_proj`` (``V → d_model``; OLMo-hybrid's ``o_proj``).

    Sources: Yang et al., "Gated Delta Networks: Improving Mamba2 with Delta Rule"
    (arXiv 2412.06464); transformers' ``Qwen3NextGatedDeltaNet``
    (``models/qwen3_next/modeling_qwen3_next.py``), ``Qwen3_5GatedDeltaNet``
    (``models/qwen3_5/modeling_qwen3_5.py``) and ``OlmoHybridGatedDeltaNet``
    (``models/olmo_hybrid/modeling_olmo_hybrid.py``).

    The state kept per sequence is constant in the sequence length: the convolution's last
    ``d_conv`` inputs (``(2K + V) × d_conv`` values, at the cache's type) and the
    recurrent state, ``n_v_heads × head_k_dim × head_v_dim`` values held in fp32 (as
    transformers' recurrences compute and cache it).
    """

    kind: Literal["gated_deltanet"] = "gated_deltanet"
    d_model: PositiveInt = Field(description="input and output width")
    n_k_heads: PositiveInt = Field(description="query and key heads (linear_num_key_heads)")
    n_v_heads: PositiveInt = Field(description="value heads (linear_num_value_heads; a multiple of n_k_heads)")
    head_k_dim: PositiveInt = Field(description="width of a query or key head (linear_key_head_dim)")
    head_v_dim: PositiveInt = Field(description="width of a value head (linear_value_head_dim)")
    d_conv: PositiveInt = Field(4, description="width of the depthwise convolution kernel (linear_conv_kernel_dim)")
    projections: Literal["fused", "split", "separate"] = Field(
        "fused",
        description="input projections: fused (in_proj_qkvz, in_proj_ba: Qwen3-Next), split (in_proj_qkv, "
        "in_proj_z, in_proj_b, in_proj_a: Qwen3.5) or separate (q, k, v, z, b, a: OLMo-hybrid)",
    )
    split_conv: bool = Field(False, description="one convolution each for q, k and v (q_conv1d, k_conv1d, v_conv1d)")
    component: Component = Field("attention", description="the report's component (the token mixer's)")
    names: dict[str, str] = Field(default_factory=dict, description="submodule name per role (qkvz, ba, conv, norm, out, ...)")

    @model_validator(mode="after")
    def _check(self) -> GatedDeltaNet:
        if self.n_v_heads % self.n_k_heads:
            raise FieldError(
                "n_v_heads", f"n_v_heads ({self.n_v_heads}) must be a multiple of n_k_heads ({self.n_k_heads})"
            )
        role_names(GATED_DELTANET_NAMES, self.names, "gated_deltanet")
        return self

    @property
    def key_dim(self) -> int:
        """Width of all query (or key) heads: ``n_k_heads × head_k_dim``."""
        return self.n_k_heads * self.head_k_dim

    @property
    def value_dim(self) -> int:
        """Width of all value heads: ``n_v_heads × head_v_dim``."""
        return self.n_v_heads * self.head_v_dim

    @property
    def conv_state_values(self) -> int:
        """Values of the convolution state per sequence (``(2K + V) × d_conv``, as transformers caches it)."""
        return (2 * self.key_dim + self.value_dim) * self.d_conv

    @property
    def recurrent_state_values(self) -> int:
        """Values of the recurrent state per sequence (``n_v_heads × head_k_dim × head_v_dim``, fp32)."""
        return self.n_v_heads * self.head_k_dim * self.head_v_dim

    def children(self) -> tuple[Block, ...]:
        names = role_names(GATED_DELTANET_NAMES, self.names, "gated_deltanet")
        d, k, v, h, component = self.d_model, self.key_dim, self.value_dim, self.n_v_heads, self.component

        def linear(role: str, n_in: int, n_out: int) -> Linear:
            return Linear(name=join(self.name, names[role]), in_features=n_in, out_features=n_out, bias=False,
                          component=component)  # fmt: skip

        def conv(role: str, channels: int) -> Parameter:
            return Parameter(name=join(self.name, names[role], "weight"), shape=(channels, 1, self.d_conv),
                             component=component)  # fmt: skip

        if self.projections == "fused":
            parts: list[Block] = [linear("qkvz", d, 2 * k + 2 * v), linear("ba", d, 2 * h)]
        elif self.projections == "split":
            parts = [linear("qkv", d, 2 * k + v), linear("z", d, v), linear("b", d, h), linear("a", d, h)]
        else:
            parts = [linear("q", d, k), linear("k", d, k), linear("v", d, v), linear("z", d, v),
                     linear("b", d, h), linear("a", d, h)]  # fmt: skip
        if self.split_conv:
            parts += [conv("q_conv", k), conv("k_conv", k), conv("v_conv", v)]
        else:
            parts.append(conv("conv", 2 * k + v))
        parts += [
            Parameter(name=join(self.name, names["dt_bias"]), shape=(h,), component=component),
            Parameter(name=join(self.name, names["a_log"]), shape=(h,), component=component),
            RMSNorm(name=join(self.name, names["norm"]), dim=self.head_v_dim),
            linear("out", v, d),
        ]
        return tuple(parts)

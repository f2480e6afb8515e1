"""``qwen3-next``: Llama-style decoders whose token mixers alternate gated DeltaNet and gated full attention.

Each layer mixes tokens either with gated DeltaNet linear attention (``linear_attn``, a
:class:`~registry.blocks.GatedDeltaNet`: constant state per sequence) or with full
attention (``self_attn``) whose query projection also yields a sigmoid gate of its output
(``output_gate``: ``q_proj`` of ``2 × n_heads × head_dim``) and whose queries and keys are
RMS-normalised per head. Every ``full_attention_every``-th layer (``(i + 1) % k == 0``)
attends fully, the others are linear, unless ``full_attention_layers`` lists the full ones.
The feed-forwards are those of ``llama-moe`` in its ``qwen2_moe`` style (routed experts, a
shared expert with its sigmoid gate, MoE every ``moe_every``-th layer but ``dense_layers``);
``n_experts = 0`` makes every feed-forward dense. ``deltanet_projections`` names the linear
attention's input projections: ``fused`` (Qwen3-Next: ``in_proj_qkvz``, ``in_proj_ba``) or
``split`` (Qwen3.5: ``in_proj_qkv``, ``in_proj_z``, ``in_proj_b``, ``in_proj_a``).

``linear_kind = "lightning"`` makes the linear layers MiniMax-01's lightning attention instead
(``self_attn``, a :class:`~registry.blocks.LightningAttention` over the full attention's heads),
with ``full_qk_norm`` false and ``output_gate`` false for MiniMax's plain grouped-query full
attention; the experts are then named as Mixtral's (``style = "mixtral"``).

Sources: transformers' ``Qwen3NextDecoderLayer`` (``models/qwen3_next/modeling_qwen3_next.py``)
and ``Qwen3_5MoeDecoderLayer`` (``models/qwen3_5_moe/modeling_qwen3_5_moe.py``), ``MiniMaxDecoderLayer`` and
``MiniMaxLightningAttention`` (``models/minimax/modeling_minimax.py``). The published
checkpoints also hold multi-token-prediction weights (``mtp.*``), which transformers skips on
loading (``_keys_to_ignore_on_load_unexpected``): declared with ``mtp_layers``, not counted.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import CheckpointOnly, Family, hookimpl
from registry.blocks import Block, FieldError, GatedDeltaNet, LightningAttention, Module
from registry.plugins.decoder import moe_runs, norm, self_attention, stack
from registry.plugins.llama import NORM_LAYOUTS, LlamaMoEParams, dense_mlp, causal_model, moe_block
from registry.plugins.periodic_layers import split

#: A run of layers: (kind, first layer, how many, step between them).
Run = tuple[str, int, int, int]


class HybridParams(LlamaMoEParams):
    """Hyper-parameters of the qwen3-next family: llama-moe's, the linear attention and the layer mix."""

    n_experts: NonNegativeInt = Field(description="routed experts per MoE layer (num_experts; 0: every MLP dense)")
    top_k: NonNegativeInt = Field(0, description="experts routed per token (num_experts_per_tok)")
    linear_kind: Literal["gated_deltanet", "lightning"] = Field(
        "gated_deltanet", description="the linear layers' token mixer: gated_deltanet (Qwen3-Next, Qwen3.5) or "
        "lightning (MiniMax-01: qkv_proj, output_gate, norm, out_proj over the attention's heads)",
    )  # fmt: skip
    linear_n_k_heads: PositiveInt | None = Field(None, description="query/key heads of the gated DeltaNet (linear_num_key_heads)")
    linear_n_v_heads: PositiveInt | None = Field(None, description="value heads of the gated DeltaNet (linear_num_value_heads)")
    linear_head_k_dim: PositiveInt | None = Field(
        None, description="query/key head width of the gated DeltaNet (linear_key_head_dim)"
    )
    linear_head_v_dim: PositiveInt | None = Field(None, description="value head width of the gated DeltaNet (linear_value_head_dim)")
    linear_conv: PositiveInt = Field(4, description="width of the linear attention's convolution (linear_conv_kernel_dim)")
    deltanet_projections: Literal["fused", "split"] = Field(
        "fused", description="linear attention input projections: fused (in_proj_qkvz, in_proj_ba: Qwen3-Next) or "
        "split (in_proj_qkv, in_proj_z, in_proj_b, in_proj_a: Qwen3.5)",
    )  # fmt: skip
    output_gate: bool = Field(True, description="the full attention's q_proj also yields an output gate (twice as wide)")
    full_qk_norm: bool = Field(True, description="per-head RMS norms on the full attention's queries and keys (false: MiniMax)")
    full_attention_every: PositiveInt = Field(4, description="layer i attends fully when (i + 1) % k == 0 (full_attention_interval)")
    full_attention_layers: list[NonNegativeInt] | None = Field(
        None, description="the layers that attend fully (from layer_types; overrides full_attention_every)"
    )
    mtp_layers: NonNegativeInt = Field(
        0, le=1000, description="multi-token-prediction layers the checkpoints hold (mtp.*; not built by transformers: not counted)"
    )

    @model_validator(mode="after")
    def _check_hybrid(self) -> HybridParams:
        if self.n_experts and not self.top_k:
            raise FieldError("top_k", "must be at least 1 when there are experts")
        if self.layer_top_k is not None:
            raise FieldError("layer_top_k", "the qwen3-next family routes top_k experts in every layer")
        if self.full_attention_layers is not None:
            missing = sorted(i for i in set(self.full_attention_layers) if i >= self.n_layers)
            if missing:
                raise FieldError("full_attention_layers", f"layer {missing[0]} does not exist (n_layers is {self.n_layers})")
        if self.linear_kind == "lightning":
            return self
        for name in ("linear_n_k_heads", "linear_n_v_heads", "linear_head_k_dim", "linear_head_v_dim"):
            if getattr(self, name) is None:
                raise FieldError(name, "is required for gated DeltaNet linear attention")
        try:
            GatedDeltaNet(d_model=self.d_model, n_k_heads=self.linear_n_k_heads, n_v_heads=self.linear_n_v_heads,
                          head_k_dim=self.linear_head_k_dim, head_v_dim=self.linear_head_v_dim)  # fmt: skip
        except ValueError:
            raise FieldError("linear_n_v_heads", f"{self.linear_n_v_heads} is not a multiple of linear_n_k_heads "
                             f"({self.linear_n_k_heads})") from None  # fmt: skip
        return self


def layer_runs(p: HybridParams) -> list[Run]:
    """The layers as runs of ``<mlp>+<mixer>`` kinds (``dense``/``moe``, ``full``/``linear``), in layer order."""
    mlp = moe_runs(p.n_layers, p.moe_every, p.first_dense, p.dense_layers) if p.n_experts else [("dense", 0, p.n_layers, 1)]
    runs: list[Run] = []
    full_set = None if p.full_attention_layers is None else set(p.full_attention_layers)
    for kind, start, count, step in mlp:
        if full_set is not None:
            for i in range(start, start + count * step, step):
                runs.append((f"{kind}+{'full' if i in full_set else 'linear'}", i, 1, 1))
            continue
        k = p.full_attention_every
        full, linear = split((start, count, step), k, k - 1, "full_attention_every")
        runs += [(f"{kind}+full", *s) for s in full] + [(f"{kind}+linear", *s) for s in linear]
    return sorted(runs, key=lambda run: run[1])


def _mixer(p: HybridParams, kind: str) -> Block:
    if kind == "full":
        return self_attention(p, bias=p.qkv_bias, out_bias=p.out_bias, qk_norm="head" if p.full_qk_norm else None).model_copy(
            update={"output_gate": p.output_gate}
        )
    if p.linear_kind == "lightning":
        return LightningAttention(name="self_attn", d_model=p.d_model, n_heads=p.n_heads,
                                  head_dim=p.head_dim or p.d_model // p.n_heads)
    return GatedDeltaNet(
        name="linear_attn", d_model=p.d_model, n_k_heads=p.linear_n_k_heads, n_v_heads=p.linear_n_v_heads,
        head_k_dim=p.linear_head_k_dim, head_v_dim=p.linear_head_v_dim, d_conv=p.linear_conv,
        projections=p.deltanet_projections,
    )  # fmt: skip


def build(p: HybridParams) -> Module:
    """The block tree of a Qwen3-Next-style hybrid model."""
    norms = [norm(name, p.d_model) for name in NORM_LAYOUTS["pre"]]
    bodies = {}
    for mlp in ("dense", "moe"):
        for mixer in ("full", "linear"):
            ff = moe_block(p) if mlp == "moe" else dense_mlp(p)
            bodies[f"{mlp}+{mixer}"] = [_mixer(p, mixer), ff, *norms]
    return causal_model(p, stack(layer_runs(p), bodies))


MTP_REASON = (
    "multi-token-prediction (MTP) weights of the published checkpoint; transformers skips them on loading "
    "(_keys_to_ignore_on_load_unexpected), so they are not counted"
)


def checkpoint_only(p: HybridParams) -> list[CheckpointOnly]:
    """What the published checkpoints hold beyond transformers' parameters, for ``registry verify``."""
    return [CheckpointOnly("mtp.*", MTP_REASON)] if p.mtp_layers else []


@hookimpl
def register_families(register):
    """Register the ``qwen3-next`` family."""
    register(
        Family(name="qwen3-next", params=HybridParams, build=build, checkpoint_only=checkpoint_only,
               description="Qwen3-Next, Qwen3.5, MiniMax-01: linear attention (gated DeltaNet, lightning) and full "
                           "attention layers, routed and shared experts")
    )  # fmt: skip

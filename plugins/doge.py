"""Doge (SmallDoge, 2025): ``doge``, a decoder with dynamic-mask attention, learned residual scales and, optionally,
a cross-domain mixture of experts (CDMoE) whose routed experts are single rows of two embedding tables.

As transformers 5.25 builds ``DogeForCausalLM`` (``models/doge/modeling_doge.py``): ``model.embed_tokens``;
per layer ``input_layernorm``; ``self_attn`` with ``q_proj``, ``k_proj``, ``v_proj``, ``o_proj`` (biases
when ``attention_bias``), per-head RMS ``q_norm`` and ``k_norm``, the dynamic mask's ``A`` (one value a
key/value head) and ``dt_proj`` (the values' width to one value a key/value head, biased as the attention);
``input_residual`` (``d_model``); ``post_attention_layernorm``; ``mlp``; ``post_attention_residual``;
``model.norm``; ``lm_head`` (tied or not). The ``mlp`` is a SwiGLU (``gate_proj``, ``up_proj``,
``down_proj``, biased when ``mlp_bias``); with ``is_moe`` it also holds the router ``router_gate``
(``d_model`` to twice ⌊√n_experts⌋ product keys) and the routed experts ``down_embed`` and ``up_embed``
(``n_experts`` rows of ``d_model`` each), of which ``top_k`` rows of each work per token; the SwiGLU
then works for every token as a shared expert.

Sources: transformers' ``models/doge/modeling_doge.py`` (DogeAttention, DogeCDMoE, DogeDecoderLayer);
the SmallDoge checkpoints (SmallDoge/Doge-160M, SmallDoge/Doge-120M-MoE).
"""

from __future__ import annotations

from math import isqrt

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Block, FeedForward, FieldError, FusedExperts, Linear, Module, Parameter, Repeat, RMSNorm
from registry.plugins.decoder import GQAParams, causal_lm, self_attention


class DogeParams(GQAParams):
    """Hyper-parameters of the doge family."""

    d_ff: PositiveInt = Field(description="SwiGLU width (intermediate_size)")
    qkv_bias: bool = Field(False, description="biases on every attention projection and dt_proj (attention_bias)")
    mlp_bias: bool = Field(False, description="biases on the SwiGLU projections (mlp_bias)")
    sliding_window: PositiveInt | None = Field(None, description="every layer attends this many tokens back (none: all)")
    moe: bool = Field(False, description="the cross-domain mixture of experts in every layer (is_moe)")
    n_experts: PositiveInt = Field(16384, description="routed experts: rows of down_embed and up_embed (num_experts)")
    top_k: NonNegativeInt = Field(64, description="routed experts per token (num_experts_per_tok)")

    @model_validator(mode="after")
    def _check(self) -> DogeParams:
        self.check_attention()
        if self.moe:
            keys = isqrt(self.n_experts)
            if not 1 <= self.top_k <= keys * keys:
                raise FieldError("top_k", f"must be between 1 and the {keys * keys} expert pairs the "
                                 f"{keys} product keys of n_experts ({self.n_experts}) can choose")  # fmt: skip
        return self


def _mlp(p: DogeParams) -> Block:
    shared = FeedForward(name="mlp", d_model=p.d_model, d_ff=p.d_ff, gated=True, bias=p.mlp_bias,
                         component="shared_experts" if p.moe else "feed_forward")  # fmt: skip
    if not p.moe:
        return shared
    keys = isqrt(p.n_experts)
    return Module(blocks=[
        shared,
        Linear(name="mlp.router_gate", in_features=p.d_model, out_features=2 * keys, bias=False, component="router"),
        FusedExperts(name="mlp", d_model=p.d_model, d_ff=1, n_experts=p.n_experts, top_k=p.top_k, gated=False,
                     layout="rows", names={"up": "up_embed.weight", "down": "down_embed.weight"}),
    ])  # fmt: skip


def build(p: DogeParams) -> Module:
    """The block tree of a Doge model."""
    d, kv = p.d_model, p.n_kv_heads or p.n_heads
    attention = self_attention(p, bias=p.qkv_bias, out_bias=p.qkv_bias, qk_norm="head")
    if p.sliding_window is not None:
        attention = attention.model_copy(update={"sliding_window": p.sliding_window})
    layer: list[Block] = [
        RMSNorm(name="input_layernorm", dim=d),
        attention,
        Parameter(name="self_attn.A", shape=(kv,), component="attention"),
        Linear(name="self_attn.dt_proj", in_features=kv * attention.head_width, out_features=kv, bias=p.qkv_bias,
               component="attention"),
        Parameter(name="input_residual", shape=(d,), component="other"),
        RMSNorm(name="post_attention_layernorm", dim=d),
        _mlp(p),
        Parameter(name="post_attention_residual", shape=(d,), component="other"),
    ]  # fmt: skip
    return causal_lm(p, [Repeat(name="layers", count=p.n_layers, blocks=layer)], RMSNorm(name="norm", dim=d))


@hookimpl
def register_families(register):
    """Register the ``doge`` family."""
    register(
        Family(name="doge", params=DogeParams, build=build,
               description="Doge: dynamic-mask attention, learned residual scales, optional product-key CDMoE")
    )  # fmt: skip

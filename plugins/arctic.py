"""Snowflake Arctic: a dense transformer with a residual mixture-of-experts beside it.

Every layer has grouped-query attention (no biases, rotary positions, RMSNorm). On a
MoE layer (``(i + 1) % moe_every == 0``; every layer in the released model) the
feed-forward is a router and ``n_experts`` SwiGLU experts of width ``d_ff`` with
``top_k`` used per token, and, with ``residual``, a dense SwiGLU "residual MLP" of
width ``d_model`` (Arctic's code fixes it to the hidden size) with its own RMSNorm
runs beside it; the other layers have one dense SwiGLU of width ``d_ff``.

Arctic is not in transformers: the layout follows Snowflake's remote code for the
published checkpoints (``modeling_arctic.py``, as ported to vLLM's ``arctic.py``), whose
names are kept: ``model.layers.<i>.block_sparse_moe.gate``,
``block_sparse_moe.experts.<e>.w1`` (gate), ``w3`` (up), ``w2`` (down),
``residual_layernorm``, ``residual_mlp.w1`` …, and on dense layers
``block_sparse_moe.mlp.w1`` ….
"""

from __future__ import annotations

from pydantic import Field, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Block, FeedForward, FieldError, MoE, Module, RMSNorm
from registry.plugins.decoder import GQAParams, causal_lm, moe_runs, self_attention, stack
from registry import REQUIRED
from registry.plugins.hf_common import DECODER_READS, DECODER_SHAPE_FREE, ROUTER, causal_classes, expect, hf_row, lm_head

_W = {"gate": "w1", "up": "w3", "down": "w2"}


class ArcticParams(GQAParams):
    """Hyper-parameters of the arctic family."""

    d_ff: PositiveInt = Field(description="width of each expert and of the dense layers' MLP (intermediate_size)")
    n_experts: PositiveInt = Field(description="experts per MoE layer (num_local_experts)")
    top_k: PositiveInt = Field(description="experts routed per token (num_experts_per_tok)")
    moe_every: PositiveInt = Field(1, description="layer i is MoE when (i + 1) % moe_every == 0 (moe_layer_frequency)")
    residual: bool = Field(True, description="a dense residual MLP (width d_model) beside each MoE (use_residual)")

    @model_validator(mode="after")
    def _check(self) -> ArcticParams:
        self.check_attention()
        if self.top_k > self.n_experts:
            raise FieldError("top_k", f"top_k ({self.top_k}) exceeds n_experts ({self.n_experts})")
        return self


def build(p: ArcticParams) -> Module:
    """The block tree of an Arctic model."""
    d = p.d_model
    norms: list[Block] = [RMSNorm(name="input_layernorm", dim=d), RMSNorm(name="post_attention_layernorm", dim=d)]
    moe: list[Block] = [
        MoE(name="block_sparse_moe", d_model=d, d_ff=p.d_ff, n_experts=p.n_experts, top_k=p.top_k, gated=True,
            bias=False, expert_names=_W),
    ]  # fmt: skip
    if p.residual:
        moe += [
            RMSNorm(name="residual_layernorm", dim=d),
            FeedForward(name="residual_mlp", d_model=d, d_ff=d, gated=True, bias=False, names=_W),
        ]
    dense = FeedForward(name="block_sparse_moe.mlp", d_model=d, d_ff=p.d_ff, gated=True, bias=False, names=_W)
    attention = self_attention(p)
    bodies = {"moe": [attention, *moe, *norms], "dense": [attention, dense, *norms]}
    return causal_lm(p, stack(moe_runs(p.n_layers, p.moe_every), bodies), RMSNorm(name="norm", dim=d))


@hookimpl
def register_families(register):
    """Register the ``arctic`` family."""
    register(
        Family(name="arctic", params=ArcticParams, build=build,
               description="Snowflake Arctic: dense transformer with a residual top-k MoE beside each MLP")
    )  # fmt: skip


# --------------------------------------------------------------------------- Hugging Face model type


#: Arctic is remote code (Snowflake's configuration_arctic.py), not in transformers: these are the
#: defaults of its ArcticConfig, which scripts/generate_defaults.py cannot read.
_ARCTIC_DEFAULTS = {
    "vocab_size": 32000, "hidden_size": 4096, "num_hidden_layers": 32, "num_attention_heads": 32,
    "tie_word_embeddings": False, "intermediate_size": 14336, "num_key_value_heads": None, "num_local_experts": 8,
    "num_experts_per_tok": 1, "moe_layer_frequency": 2, "use_residual": REQUIRED,
}  # fmt: skip


@hookimpl
def register_model_types(register):
    """Map the ``arctic`` model type: not in transformers; it follows Snowflake's remote code for the
    published checkpoints (``modeling_arctic.py``)."""
    register(hf_row(
        "arctic", "arctic", causal_classes("Arctic"),
        {**DECODER_READS, "d_ff": "intermediate_size", "n_kv_heads": "num_key_value_heads?",
         "n_experts": "num_local_experts", "top_k": "num_experts_per_tok", "moe_every": "moe_layer_frequency",
         "residual": "use_residual"},
        lm_head, expect("quantization", (None,), "quantised weights are stored packed; count the unquantised config"),
        defaults=_ARCTIC_DEFAULTS,
        shape_free=(*DECODER_SHAPE_FREE, *ROUTER, "sliding_window", "parallel_attn_mlp_res", "moe_train_capacity_factor",
                    "moe_eval_capacity_factor", "enable_expert_tensor_parallelism", "moe_min_capacity",
                    "moe_token_dropping"),
    ))  # fmt: skip

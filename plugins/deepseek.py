"""DeepSeek-V2: multi-head latent attention and fine-grained mixture-of-experts.

Each layer's attention is a :class:`~registry.blocks.LatentAttention`: a low-rank
query compression (``q_lora_rank``; None for one full query projection, as in
DeepSeek-V2-Lite), a key/value latent of width ``kv_lora_rank`` plus a decoupled
rotary key of ``qk_rope_head_dim`` shared by the heads, and RMS norms on both
latents (MiniCPM3: leave the experts out, and every layer is dense). The feed-forward of the first
``first_dense`` layers is a dense SwiGLU of
width ``d_ff``; every later layer has a router, ``n_experts`` small SwiGLU experts
(``expert_d_ff``) of which ``top_k`` are used per token, and ``n_shared_experts``
always-on experts that the checkpoints store fused as one SwiGLU of width
``n_shared_experts * expert_d_ff``.

Tensor names follow the published checkpoints (``model.layers.<i>.self_attn.q_a_proj``,
``…kv_a_proj_with_mqa``, ``model.layers.<i>.mlp.gate``, ``mlp.experts.<e>.gate_proj``,
``mlp.shared_experts.up_proj``). transformers 5 holds a layer's routed experts in
memory as two fused 3-D parameters (``mlp.experts.gate_up_proj``, ``mlp.experts.down_proj``,
without biases): the same numbers under other names. ``mlp_bias`` adds biases to the
dense and shared feed-forwards only, as transformers builds them (with no shared
expert and ``mlp_bias``, transformers still builds an empty shared expert whose down
projection has a ``d_model`` bias: it is counted).

DeepSeek-V3.2 (model type ``deepseek_v32``, mapped in :mod:`registry.plugins.moe_model_types`) adds
the lightning indexer to every attention (``index_n_heads``, ``index_head_dim``; see
:class:`~registry.blocks.LatentAttention`) and may list its dense layers (``dense_layers``).

Kimi Linear (model type ``kimi_linear``, mapped in :mod:`registry.plugins.hybrid_types_2026`) is the same
family with ``linear_layers``: those layers mix tokens with Kimi Delta Attention
(:class:`~registry.blocks.KimiDeltaAttention` of ``kda_n_heads`` heads of ``kda_head_dim``, its
convolutions ``kda_conv`` wide) instead of latent attention, and ``moe_names = "kimi"`` names the
experts as its checkpoints do (``block_sparse_moe.gate``, ``block_sparse_moe.experts.<e>.w1``/``w3``/``w2``,
``block_sparse_moe.shared_experts``).

DeepSeek-V3 (model type ``deepseek_v3``) is the same family: latent attention, the
first ``first_dense`` layers dense, then routed plus shared experts, no ``mlp_bias``
(transformers' DeepseekV3MLP has none; with ``n_shared_experts = 0`` it builds
zero-element shared-expert tensors, which hold no parameters and are not listed).
Two switches change no count but tell ``registry verify`` what the published
checkpoints hold beyond transformers' parameters (:class:`registry.CheckpointOnly`):
``router_score_bias`` (each MoE router's ``e_score_correction_bias`` of ``n_experts``,
used by ``topk_method = "noaux_tc"``: a buffer in transformers, not a parameter),
``mtp_layers`` (multi-token-prediction modules stored as extra layers after the last
one, ``model.layers.61.*`` in DeepSeek-V3, with ``enorm``, ``hnorm``, ``eh_proj`` and
``shared_head``: transformers builds no MTP layer; its block tree, as the checkpoint
stores it, is declared so that ``count --include-mtp`` can count it). The FP8 block scales of the
published checkpoint (``weight_scale_inv``) are read by the core's quantized-checkpoint
support, not declared here.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import CheckpointOnly, Family, hookimpl
from registry.blocks import (
    Block, Embedding, FeedForward, FieldError, KimiDeltaAttention, LatentAttention, Linear, MoE, Module, Parameter,
    RMSNorm,
)  # fmt: skip
from registry import ConfigReader, Params
from registry.plugins.decoder import DecoderParams, causal_lm, check_dense_layers, moe_runs, stack
from registry.plugins.hf_common import DECODER_READS, DECODER_SHAPE_FREE, ROUTER, causal_classes, expect, hf_row, lm_head


class DeepSeekV2Params(DecoderParams):
    """Hyper-parameters of the deepseek-v2 family."""

    q_lora_rank: PositiveInt | None = Field(None, description="query latent width (leave it out: one full query projection, as in DeepSeek-V2-Lite)")
    kv_lora_rank: PositiveInt = Field(description="key/value latent width")
    qk_nope_head_dim: PositiveInt = Field(description="per-head query/key width without rotary positions")
    qk_rope_head_dim: PositiveInt = Field(description="decoupled rotary query/key width (the key part shared by heads)")
    v_head_dim: PositiveInt = Field(description="per-head value width")
    attention_bias: bool = Field(False, description="biases on q_a_proj, kv_a_proj_with_mqa and o_proj")
    d_ff: PositiveInt = Field(description="width of the dense feed-forward of the first layers (intermediate_size)")
    mlp_bias: bool = Field(False, description="biases on the dense and shared feed-forwards")
    n_experts: PositiveInt | None = Field(
        None, description="routed experts per MoE layer (n_routed_experts); leave it out: no experts, every layer "
        "dense (MiniCPM3)",
    )  # fmt: skip
    top_k: PositiveInt | None = Field(None, description="experts routed per token (num_experts_per_tok; needs n_experts)")
    expert_d_ff: PositiveInt | None = Field(None, description="width of one routed expert (moe_intermediate_size; needs n_experts)")
    n_shared_experts: NonNegativeInt = Field(0, description="always-on experts, stored fused as one feed-forward")
    first_dense: NonNegativeInt = Field(0, description="the first layers stay dense (first_k_dense_replace)")
    dense_layers: list[NonNegativeInt] = Field(
        default_factory=list, description="layers that stay dense whatever first_dense says (DeepSeek-V3.2's mlp_layer_types)"
    )
    index_n_heads: PositiveInt | None = Field(
        None, description="heads of DeepSeek-V3.2's lightning indexer (index_n_heads; leave it out: no indexer)"
    )
    index_head_dim: PositiveInt | None = Field(None, description="width of an indexer head (index_head_dim)")
    index_shared_layers: list[NonNegativeInt] = Field(
        default_factory=list, description="layers that reuse the previous layer's top-k and hold no indexer (GLM-5's "
        "indexer_types shared)",
    )  # fmt: skip
    router_score_bias: bool = Field(
        False, description="checkpoints hold each router's e_score_correction_bias (a buffer in transformers: not counted)"
    )
    mtp_layers: NonNegativeInt = Field(
        0, le=1000, description="multi-token-prediction layers the checkpoints hold after the last layer (not built by transformers: not counted)"
    )
    mtp_embeddings: bool = Field(
        True, description="each multi-token-prediction layer stores its own embed_tokens and shared_head.head (GLM-5's "
        "share the model's: false)",
    )  # fmt: skip
    linear_layers: list[NonNegativeInt] = Field(
        default_factory=list, description="layers whose attention is Kimi Delta Attention instead (Kimi Linear's layer_types)"
    )
    kda_n_heads: PositiveInt | None = Field(None, description="heads of the Kimi Delta Attention (linear_num_heads)")
    kda_head_dim: PositiveInt | None = Field(None, description="width of a Kimi Delta Attention head (linear_head_dim)")
    kda_conv: PositiveInt = Field(4, description="width of its convolutions (linear_conv_kernel_dim)")
    moe_names: Literal["deepseek", "kimi"] = Field(
        "deepseek", description="checkpoint names of the experts: deepseek (mlp.gate, mlp.experts.<e>.gate_proj, "
        "mlp.shared_experts) or kimi (block_sparse_moe.gate, block_sparse_moe.experts.<e>.w1/w3/w2)",
    )  # fmt: skip

    @model_validator(mode="after")
    def _check(self) -> DeepSeekV2Params:
        missing = sorted(i for i in set(self.linear_layers) if i >= self.n_layers)
        if missing:
            raise FieldError("linear_layers", f"layer {missing[0]} does not exist (n_layers is {self.n_layers})")
        if self.linear_layers and (self.kda_n_heads is None or self.kda_head_dim is None):
            field = "kda_n_heads" if self.kda_n_heads is None else "kda_head_dim"
            raise FieldError(field, "is required when some layers are Kimi Delta Attention (linear_layers)")
        if self.n_experts is None:
            for name in ("top_k", "expert_d_ff", "n_shared_experts", "first_dense", "dense_layers"):
                if getattr(self, name):
                    raise FieldError(name, "without n_experts every layer is dense: leave it out")
        elif self.top_k is None or self.expert_d_ff is None:
            raise FieldError("top_k" if self.top_k is None else "expert_d_ff", "required with n_experts")
        elif self.top_k > self.n_experts:
            raise FieldError("top_k", f"top_k ({self.top_k}) exceeds n_experts ({self.n_experts})")
        check_dense_layers(self.dense_layers, self.n_layers)
        if (self.index_n_heads is None) != (self.index_head_dim is None):
            field = "index_head_dim" if self.index_head_dim is None else "index_n_heads"
            raise FieldError(field, "the lightning indexer needs both index_n_heads and index_head_dim")
        if self.index_n_heads is not None and self.q_lora_rank is None:
            raise FieldError("q_lora_rank", "the lightning indexer reads the query latent: it needs q_lora_rank")
        if self.index_shared_layers and self.index_n_heads is None:
            raise FieldError("index_shared_layers", "layers can share the indexer's top-k only with an indexer (index_n_heads)")
        shared = sorted(i for i in set(self.index_shared_layers) if i >= self.n_layers)
        if shared:
            raise FieldError("index_shared_layers", f"layer {shared[0]} does not exist (n_layers is {self.n_layers})")
        return self


def build(p: DeepSeekV2Params) -> Module:
    """The block tree of a DeepSeek-V2 model (of Kimi Linear with ``linear_layers``, of GLM-5 with
    ``index_shared_layers``)."""
    bodies = _layer_bodies(p)
    first_dense = p.n_layers if p.n_experts is None else p.first_dense
    runs = moe_runs(p.n_layers, 1, first_dense, p.dense_layers)
    if p.linear_layers:  # Kimi Linear: its attention latent or delta
        bodies |= {f"{kind}+linear": [_delta_attention(p), *body[1:]] for kind, body in list(bodies.items())}
        runs = _mark(runs, set(p.linear_layers), "+linear")
    if p.index_shared_layers:  # GLM-5: these layers reuse the previous layer's top-k, without an indexer
        unindexed = p.model_copy(update={"index_n_heads": None, "index_head_dim": None})
        bodies |= {f"{kind}+shared": [_latent_attention(unindexed), *body[1:]] for kind, body in list(bodies.items())}
        runs = _mark(runs, set(p.index_shared_layers), "+shared")
    return causal_lm(p, stack(runs, bodies), RMSNorm(name="norm", dim=p.d_model))


def _mark(runs: list, layers: set[int], suffix: str) -> list:
    """The runs with the listed ``layers`` of another kind (``kind + suffix``), consecutive layers of a kind as one run."""
    kinds = [(f"{kind}{suffix}" if i in layers else kind, i)
             for kind, start, count, step in runs for i in range(start, start + count * step, step)]  # fmt: skip
    merged: list = []
    for kind, i in sorted(kinds, key=lambda item: item[1]):
        if merged and merged[-1][0] == kind and merged[-1][1] + merged[-1][2] == i:
            merged[-1] = (kind, merged[-1][1], merged[-1][2] + 1, 1)
        else:
            merged.append((kind, i, 1, 1))
    return merged


def _delta_attention(p: DeepSeekV2Params) -> Block:
    """Kimi Linear's delta attention, named as its checkpoints name it (KimiDeltaAttention's defaults)."""
    return KimiDeltaAttention(name="self_attn", d_model=p.d_model, n_heads=p.kda_n_heads, head_dim=p.kda_head_dim,
                              d_conv=p.kda_conv)  # fmt: skip


def _latent_attention(p: DeepSeekV2Params) -> LatentAttention:
    """One layer's multi-head latent attention (with the lightning indexer when ``index_n_heads`` is given)."""
    return LatentAttention(
        name="self_attn", d_model=p.d_model, n_heads=p.n_heads, q_lora_rank=p.q_lora_rank,
        kv_lora_rank=p.kv_lora_rank, qk_nope_head_dim=p.qk_nope_head_dim, qk_rope_head_dim=p.qk_rope_head_dim,
        v_head_dim=p.v_head_dim, bias=p.attention_bias, index_n_heads=p.index_n_heads, index_head_dim=p.index_head_dim,
    )  # fmt: skip


def _layer_bodies(p: DeepSeekV2Params) -> dict[str, list[Block]]:
    """The blocks of a dense and of a mixture-of-experts decoder layer."""
    attention = _latent_attention(p)
    norms: list[Block] = [
        RMSNorm(name="input_layernorm", dim=p.d_model),
        RMSNorm(name="post_attention_layernorm", dim=p.d_model),
    ]
    dense = FeedForward(name="mlp", d_model=p.d_model, d_ff=p.d_ff, gated=True, bias=p.mlp_bias)
    if p.n_experts is None or p.top_k is None or p.expert_d_ff is None:  # no experts: every layer dense
        return {"dense": [attention, dense, *norms]}
    kimi = p.moe_names == "kimi"
    where = "block_sparse_moe" if kimi else "mlp"
    moe: list[Block] = [
        MoE(name=where, d_model=p.d_model, d_ff=p.expert_d_ff, n_experts=p.n_experts, top_k=p.top_k, gated=True,
            bias=False, expert_names={"gate": "w1", "up": "w3", "down": "w2"} if kimi else {})
    ]  # fmt: skip
    if p.n_shared_experts:
        moe.append(
            FeedForward(name=f"{where}.shared_experts", d_model=p.d_model, d_ff=p.n_shared_experts * p.expert_d_ff,
                        gated=True, bias=p.mlp_bias, component="shared_experts")
        )  # fmt: skip
    elif p.mlp_bias:  # transformers builds an empty shared expert whose down projection keeps its bias
        moe.append(Parameter(name=f"{where}.shared_experts.down_proj.bias", shape=(p.d_model,), component="shared_experts"))
    return {"dense": [attention, dense, *norms], "moe": [attention, *moe, *norms]}


def mtp_module(p: DeepSeekV2Params, index: int) -> Module:
    """The multi-token-prediction layer ``n_layers + index`` as the published checkpoint stores it.

    DeepSeek-V3's ``model.layers.61.*`` (DeepSeek-AI 2024, arXiv:2412.19437, section 2.2;
    the checkpoint's README_WEIGHTS.md): its own copy of the token embedding
    (``embed_tokens``), ``enorm`` and ``hnorm``, ``eh_proj`` (``2·d_model → d_model``),
    one decoder layer (a mixture-of-experts layer past ``first_dense``), and
    ``shared_head`` (a norm and a copy of the output head). With ``mtp_embeddings`` false (GLM-5)
    the layer stores no embedding and no head: it uses the model's.
    """
    n = p.n_layers + index
    bodies = _layer_bodies(p)
    body = bodies["moe" if n >= p.first_dense and "moe" in bodies else "dense"]
    d = p.d_model
    head = Linear(name="head", in_features=d, out_features=p.vocab_size, bias=False, component="head")
    own = p.mtp_embeddings  # GLM-5's MTP layer shares the model's embedding and head: it stores neither
    blocks: list[Block] = [
        *([Embedding(name="embed_tokens", num_embeddings=p.vocab_size, embedding_dim=d, role="token")] if own else []),
        RMSNorm(name="enorm", dim=d), RMSNorm(name="hnorm", dim=d),
        Linear(name="eh_proj", in_features=2 * d, out_features=d, bias=False),
        *body,
        Module(name="shared_head", blocks=[RMSNorm(name="norm", dim=d), *([head] if own else [])]),
    ]  # fmt: skip
    prefix = "model." if p.lm_head else ""
    return Module(name=f"{prefix}layers.{n}", blocks=blocks)


MTP_REASON = (
    "multi-token-prediction (MTP) module of the published checkpoint (embedding, enorm, hnorm, eh_proj, a decoder "
    "layer, shared_head); transformers builds no MTP layer, so it is not counted"
)
ROUTER_BIAS_REASON = (
    "the router's e_score_correction_bias (topk_method noaux_tc), a buffer in transformers, loaded but not a parameter"
)


def checkpoint_only(p: DeepSeekV2Params) -> list[CheckpointOnly]:
    """What the published checkpoints hold beyond transformers' parameters, for ``registry verify``."""
    prefix = "model." if p.lm_head else ""
    known = [CheckpointOnly(f"{prefix}layers.{p.n_layers + i}.*", MTP_REASON, mtp_module(p, i))
             for i in range(p.mtp_layers)]  # fmt: skip
    if p.router_score_bias:
        where = "block_sparse_moe" if p.moe_names == "kimi" else "mlp"
        known.append(CheckpointOnly(f"{prefix}layers.*.{where}.gate.e_score_correction_bias", ROUTER_BIAS_REASON))
    return known


@hookimpl
def register_families(register):
    """Register the ``deepseek-v2`` family (DeepSeek-V2 and V3)."""
    register(
        Family(name="deepseek-v2", params=DeepSeekV2Params, build=build, checkpoint_only=checkpoint_only,
               description="DeepSeek-V2/V3, MiniCPM3: multi-head latent attention, fine-grained MoE with shared experts (or none)")
    )  # fmt: skip


# --------------------------------------------------------------------------- Hugging Face model type


#: The multi-head latent attention and experts of DeepSeek-V2's and V3's configurations.
_READS = {
    **DECODER_READS, "q_lora_rank": "q_lora_rank?", "kv_lora_rank": "kv_lora_rank", "qk_nope_head_dim": "qk_nope_head_dim",
    "qk_rope_head_dim": "qk_rope_head_dim", "v_head_dim": "v_head_dim", "attention_bias": "attention_bias",
    "d_ff": "intermediate_size", "top_k": "num_experts_per_tok", "expert_d_ff": "moe_intermediate_size",
    "n_shared_experts": "n_shared_experts", "first_dense": "first_k_dense_replace",
}  # fmt: skip
_SHAPE_FREE = (*DECODER_SHAPE_FREE, *ROUTER, "num_key_value_heads", "head_dim", "qk_head_dim", "n_group", "topk_group",
               "routed_scaling_factor")  # fmt: skip
#: transformers ignores moe_layer_freq while DeepSeek's own code honours it.
_MOE_EVERY_LAYER = expect("moe_layer_freq", (1,), "transformers ignores it while DeepSeek's own code honours it: the "
                          "MoE layers are ambiguous")  # fmt: skip


def _top_k_given(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (DeepSeek-V2): its configuration's default top-k is null; the active count needs it; and
    DeepseekV2Config refuses heads that do not divide the width, though no shape needs it."""
    d_model, heads = params["d_model"][1], params["n_heads"][1]
    if d_model % heads:  # DeepseekV2Config.validate_architecture refuses it
        raise cfg.error("num_attention_heads", f"n_heads ({heads}) does not divide d_model ({d_model}); "
                                               "transformers' DeepseekV2Config refuses it")  # fmt: skip
    if params["top_k"][1] is None:
        raise cfg.error("num_experts_per_tok", "missing or null: the experts used per token decide the active count")


def _router_score_bias(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (DeepSeek-V3): topk_method noaux_tc keeps each router's e_score_correction_bias in the checkpoints."""
    method = cfg.raw("topk_method", "noaux_tc")
    if not isinstance(method, str):
        raise cfg.error("topk_method", f"must be a string (got {method!r})")
    params["router_score_bias"] = ("topk_method", method == "noaux_tc")


@hookimpl
def register_model_types(register):
    """Map the ``deepseek_v2`` and ``deepseek_v3`` model types."""
    register(hf_row("deepseek_v2", "deepseek-v2", causal_classes("DeepseekV2"),
                    {**_READS, "mlp_bias": "mlp_bias", "n_experts": "n_routed_experts|num_experts"},
                    lm_head, _MOE_EVERY_LAYER, _top_k_given,
                    shape_free=(*_SHAPE_FREE, "topk_method", "scoring_func", "aux_loss_alpha", "seq_aux", "ep_size")))  # fmt: skip
    register(hf_row("deepseek_v3", "deepseek-v2", causal_classes("DeepseekV3"),
                    {**_READS, "n_experts": "n_routed_experts|num_local_experts",
                     "mtp_layers": "num_nextn_predict_layers|num_mtp_layers"},
                    lm_head, _MOE_EVERY_LAYER, _router_score_bias, shape_free=(*_SHAPE_FREE, "rope_interleave")))  # fmt: skip

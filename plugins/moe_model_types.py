"""The mixture-of-experts and new-attention Hugging Face model types of 2025-26, as rows of data.

gpt_oss, qwen3_next, glm4_moe, deepseek_v32, minimax_m2 and glm4_moe_lite: one :class:`registry.Row`
each (config field -> hyper-parameter, transformers' defaults from
:mod:`registry.plugins.generated_defaults`, the switches the type sets), and a few rules where the
logic is real. The families: ``llama-moe`` (:mod:`registry.plugins.llama`: gpt_oss, glm4_moe,
minimax_m2), ``qwen3-next`` (:mod:`registry.plugins.hybrid_attention`: qwen3_next) and
``deepseek-v2`` (:mod:`registry.plugins.deepseek`: deepseek_v32, glm4_moe_lite).
"""

from __future__ import annotations

from registry import ConfigReader, Params, Row, hookimpl
from registry.plugins.attention_windows import windows
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.hf_common import (
    ATTENTION_BIAS_READS, DECODER_READS, DECODER_RULES, DECODER_SHAPE_FREE, ROUTER, SLIDING, causal_classes, lm_head,
)  # fmt: skip

_DECODER, _SLIDING, _ROUTER = frozenset(DECODER_SHAPE_FREE), frozenset(SLIDING), frozenset(ROUTER)

#: gpt-oss (transformers' GptOssConfig): attention sinks, biased attention, a biased router and biased,
#: clamped SwiGLU experts stored (in, out); sliding and full attention alternate (layer_types).
GPT_OSS = Row(
    "gpt_oss", "llama-moe", causal_classes("GptOss"),
    reads={**DECODER_READS, **ATTENTION_BIAS_READS, "d_ff": "intermediate_size", "n_kv_heads": "num_key_value_heads",
           "head_dim": "head_dim", "n_experts": "num_local_experts|num_experts", "top_k": "num_experts_per_tok"},
    defaults=DEFAULTS["gpt_oss"], fixed={"style": "gpt_oss", "attention_sinks": True},
    rules=(*DECODER_RULES, windows("gemma2", DEFAULTS["gpt_oss"]["sliding_window"])),
    shape_free=_DECODER | _SLIDING | _ROUTER | {"swiglu_alpha", "swiglu_limit"},
    description="gpt-oss: attention sinks, biased router, biased clamped SwiGLU experts, alternating sliding windows",
)  # fmt: skip

#: The linear attention of Qwen3-Next and Qwen3.5 (gated DeltaNet).
LINEAR_READS = {"linear_n_k_heads": "linear_num_key_heads", "linear_n_v_heads": "linear_num_value_heads",
                "linear_head_k_dim": "linear_key_head_dim", "linear_head_v_dim": "linear_value_head_dim",
                "linear_conv": "linear_conv_kernel_dim"}  # fmt: skip
#: Qwen-style experts: routed, one shared expert with a sigmoid gate.
QWEN_EXPERT_READS = {"n_experts": "num_experts", "top_k": "num_experts_per_tok",
                     "expert_d_ff": "moe_intermediate_size", "shared_d_ff": "shared_expert_intermediate_size"}  # fmt: skip
_LINEAR_KINDS = ("linear_attention", "full_attention")


def qwen_mixers(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (Qwen3-Next, Qwen3.5): which layers attend fully: ``layer_types`` when given, else every
    ``full_attention_interval``-th layer (default 4; transformers reads it only without layer_types)."""
    n_layers = params["n_layers"][1]
    types = cfg.raw("layer_types", None)
    if types is None:
        params["full_attention_every"] = ("full_attention_interval", cfg.int("full_attention_interval", 4))
        return
    cfg.read.add("full_attention_interval")
    if not isinstance(types, list) or any(t not in _LINEAR_KINDS for t in types):
        raise cfg.error("layer_types", f"must be a list of {' or '.join(_LINEAR_KINDS)}")
    if len(types) != n_layers:
        raise cfg.error("layer_types", f"lists {len(types)} layers, num_hidden_layers is {n_layers}")
    full = [i for i, t in enumerate(types) if t == "full_attention"]
    k = full[0] + 1 if full else 0
    if full and full == list(range(k - 1, n_layers, k)):
        params["full_attention_every"] = ("layer_types", k)
    else:
        params["full_attention_layers"] = ("layer_types", full)


def qwen_experts(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (Qwen3-Next, Qwen3.5): no experts makes every MLP dense (experts fields unused); a shared expert
    of width 0 holds no parameters (its gate stays)."""
    if params["n_experts"][1] == 0:
        for name in ("top_k", "expert_d_ff", "shared_d_ff", "moe_every", "dense_layers"):
            params.pop(name, None)
        return
    if "dense_layers" in params:
        key, dense = params["dense_layers"]
        params["dense_layers"] = (key, sorted(set(dense or [])))
    key, shared = params["shared_d_ff"]
    params["n_shared_experts"] = (key, 1 if shared else 0)
    params["shared_d_ff"] = (key, shared or None)


QWEN3_NEXT = Row(
    "qwen3_next", "qwen3-next", causal_classes("Qwen3Next"),
    reads={**DECODER_READS, **ATTENTION_BIAS_READS, **LINEAR_READS, **QWEN_EXPERT_READS, "d_ff": "intermediate_size",
           "n_kv_heads": "num_key_value_heads", "head_dim": "head_dim", "moe_every": "decoder_sparse_step",
           "dense_layers": "mlp_only_layers?"},
    defaults=DEFAULTS["qwen3_next"], fixed={"style": "qwen2_moe", "shared_gate": True, "mtp_layers": 1},
    rules=(*DECODER_RULES, qwen_mixers, qwen_experts),
    shape_free=_DECODER | _ROUTER | {"partial_rotary_factor"},
    description="Qwen3-Next: gated DeltaNet and gated attention layers, routed experts and a gated shared expert",
)  # fmt: skip

def _fused_shared_experts(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (DeepSeek-style experts): ``n_shared_experts`` always-on experts stored as one MLP of
    ``n_shared_experts × moe_intermediate_size`` (none: transformers' zero-width MLP holds nothing)."""
    key, shared = params["n_shared_experts"]
    if shared:
        width = shared * (params["expert_d_ff"][1] or params["d_ff"][1])
        params["shared_d_ff"] = (key, width)
    params["n_shared_experts"] = (key, 1 if shared else 0)


def _qk_norm_switch(field: str, model_type: str):
    """A row's rule: per-head query/key RMS norms when the config's ``field`` is true."""

    def rule(cfg: ConfigReader, cls: str, params: Params) -> None:
        if cfg.bool(field, DEFAULTS[model_type][field]):
            params["qk_norm"] = (field, "head")

    rule.__doc__ = f"Rule: per-head query/key norms when {field} is true."
    return rule


#: DeepSeek-style experts (router mlp.gate with a score-correction buffer, fused shared experts, dense first layers).
_DEEPSEEK_EXPERTS = {"n_experts": "n_routed_experts|num_local_experts", "top_k": "num_experts_per_tok",
                     "expert_d_ff": "moe_intermediate_size", "n_shared_experts": "n_shared_experts",
                     "first_dense": "first_k_dense_replace"}  # fmt: skip
#: Shape-free fields of DeepSeek-style group-limited routing.
_GROUP_ROUTING = frozenset(("routed_scaling_factor", "n_group", "topk_group"))

GLM4_MOE = Row(
    "glm4_moe", "llama-moe", causal_classes("Glm4Moe"),
    reads={**DECODER_READS, **_DEEPSEEK_EXPERTS, "qkv_bias": "attention_bias", "d_ff": "intermediate_size",
           "n_kv_heads": "num_key_value_heads", "head_dim": "head_dim", "mtp_layers": "num_mtp_layers|num_nextn_predict_layers"},
    defaults={"head_dim": None, **DEFAULTS["glm4_moe"]}, fixed={"style": "deepseek", "router_score_bias": True},
    rules=(*DECODER_RULES, _fused_shared_experts, _qk_norm_switch("use_qk_norm", "glm4_moe")),
    shape_free=_DECODER | _ROUTER | _GROUP_ROUTING,
    description="GLM-4.5/4.6/4.7: GQA with biased q/k/v, dense first layers, routed and shared experts, an MTP layer",
)  # fmt: skip

def mlp_layer_types(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (DeepSeek-V3.2): ``mlp_layer_types`` (dense / sparse per layer), when given, says which layers are
    dense instead of ``first_k_dense_replace``; ``moe_layer_freq`` other than 1 is refused as for DeepSeek-V3."""
    cfg.expect("moe_layer_freq", (1,), "transformers ignores it while DeepSeek's own code honours it: the MoE layers "
               "are ambiguous")  # fmt: skip
    kinds = cfg.raw("mlp_layer_types", None)
    if kinds is None:
        return
    n_layers = params["n_layers"][1]
    if not isinstance(kinds, list) or any(k not in ("dense", "sparse") for k in kinds):
        raise cfg.error("mlp_layer_types", "must be a list of dense or sparse")
    if len(kinds) != n_layers:
        raise cfg.error("mlp_layer_types", f"lists {len(kinds)} layers, num_hidden_layers is {n_layers}")
    dense = [i for i, k in enumerate(kinds) if k == "dense"]
    first = next((i for i, k in enumerate(kinds) if k == "sparse"), n_layers)
    params["first_dense"] = ("mlp_layer_types", first)
    params["dense_layers"] = ("mlp_layer_types", [i for i in dense if i >= first])


DEEPSEEK_V32 = Row(
    "deepseek_v32", "deepseek-v2", causal_classes("DeepseekV32"),
    reads={**DECODER_READS, **_DEEPSEEK_EXPERTS, "q_lora_rank": "q_lora_rank", "kv_lora_rank": "kv_lora_rank",
           "qk_nope_head_dim": "qk_nope_head_dim", "qk_rope_head_dim": "qk_rope_head_dim", "v_head_dim": "v_head_dim",
           "attention_bias": "attention_bias", "d_ff": "intermediate_size", "index_n_heads": "index_n_heads",
           "index_head_dim": "index_head_dim", "mtp_layers": "num_nextn_predict_layers"},
    # num_nextn_predict_layers is no field of DeepseekV32Config: it says what the published checkpoints hold
    defaults={**DEFAULTS["deepseek_v32"], "num_nextn_predict_layers": 0}, fixed={"router_score_bias": True},
    rules=(lm_head, mlp_layer_types),
    shape_free=_DECODER | _ROUTER | _GROUP_ROUTING | {"num_key_value_heads", "head_dim", "mlp_bias", "index_topk",
                                                      "layer_types", "rope_interleave", "qk_head_dim"},
    description="DeepSeek-V3.2: DeepSeek-V3 with the lightning indexer (DeepSeek sparse attention)",
)  # fmt: skip

MINIMAX_M2 = Row(
    "minimax_m2", "llama-moe", causal_classes("MiniMaxM2"),
    reads={**DECODER_READS, "d_ff": "intermediate_size", "n_kv_heads": "num_key_value_heads", "head_dim": "head_dim",
           "n_experts": "num_local_experts|num_experts", "top_k": "num_experts_per_tok"},
    defaults=DEFAULTS["minimax_m2"], fixed={"style": "mixtral", "qk_norm": "full", "router_score_bias": True},
    rules=DECODER_RULES, shape_free=_DECODER | _ROUTER,
    description="MiniMax-M2: GQA with full-width query/key norms, 256 routed experts (Mixtral names)",
)  # fmt: skip

def _glm_lite_layers(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (GLM-4.7-Flash): without mlp_layer_types, layer 0 is dense and the rest MoE (Glm4MoeLiteConfig)."""
    params["first_dense"] = ("mlp_layer_types", 1)
    mlp_layer_types(cfg, cls, params)


_LATENT = {"q_lora_rank": "q_lora_rank?", "kv_lora_rank": "kv_lora_rank", "qk_nope_head_dim": "qk_nope_head_dim",
           "v_head_dim": "v_head_dim", "attention_bias": "attention_bias", "d_ff": "intermediate_size"}  # fmt: skip

GLM4_MOE_LITE = Row(
    "glm4_moe_lite", "deepseek-v2", causal_classes("Glm4MoeLite"),
    reads={**DECODER_READS, **_LATENT, "n_experts": "n_routed_experts|num_local_experts", "top_k": "num_experts_per_tok",
           "expert_d_ff": "moe_intermediate_size", "n_shared_experts": "n_shared_experts",
           "qk_rope_head_dim": "qk_rope_head_dim|head_dim", "mtp_layers": "num_nextn_predict_layers"},
    # num_nextn_predict_layers is no field of Glm4MoeLiteConfig: it says what the published checkpoints hold
    defaults={**DEFAULTS["glm4_moe_lite"], "num_nextn_predict_layers": 0}, fixed={"router_score_bias": True},
    rules=(lm_head, _glm_lite_layers),
    shape_free=_DECODER | _ROUTER | _GROUP_ROUTING | {"num_key_value_heads", "qk_head_dim", "rope_interleave"},
    description="GLM-4.7-Flash: multi-head latent attention, routed and shared experts, layer 0 dense",
)  # fmt: skip

#: Every row of this plugin (the module's docstring lists them).
ROWS = (GPT_OSS, QWEN3_NEXT, GLM4_MOE, DEEPSEEK_V32, MINIMAX_M2, GLM4_MOE_LITE)


@hookimpl
def register_model_types(register):
    """Map the mixture-of-experts and new-attention model types of 2025-26 (see the module's docstring)."""
    for row in ROWS:
        register(row)

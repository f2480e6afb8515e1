"""The Hugging Face model types of the Llama-style families (``llama`` and ``llama-moe``), as rows of data.

llama, mistral, mixtral, qwen2, qwen2_moe, qwen3, qwen3_moe, gemma, gemma2, gemma3_text,
olmo2, olmoe, granite, granitemoe, cohere, stablelm, phi3 and phimoe: one :class:`registry.Row`
each (config field -> hyper-parameter, transformers' defaults from
:mod:`registry.plugins.generated_defaults`, the switches the type sets), and a few rules where
the logic is real; the families and their switches are in :mod:`registry.plugins.llama`.
"""

from __future__ import annotations

from registry import ConfigReader, Params, Row, hookimpl
from registry.plugins.attention_windows import windows
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.hf_common import (
    ATTENTION_BIAS_READS, ATTENTION_READS, DECODER_READS, DECODER_RULES, DECODER_SHAPE_FREE, ROTARY, ROUTER, SLIDING,
    heads_divide_width,
    causal_classes,
)  # fmt: skip

_DECODER = frozenset(DECODER_SHAPE_FREE)
_SLIDING, _ROUTER = frozenset(SLIDING), frozenset(ROUTER)
#: Shape-free fields of Gemma's configurations (softcapping, attention scaling, activation names).
_GEMMA = frozenset(("hidden_activation", "query_pre_attn_scalar", "final_logit_softcapping", "attn_logit_softcapping",
                    "use_bidirectional_attention", "cache_implementation"))  # fmt: skip
#: Granite's multipliers: they scale activations, not shapes.
_GRANITE = frozenset(("embedding_multiplier", "logits_scaling", "residual_multiplier", "attention_multiplier"))
#: The shape-free fields of Cohere and StableLM (LayerNorm epsilon, dropout, logit scale).
_LAYER_NORM = frozenset(("hidden_act", "layer_norm_eps", "attention_dropout", "hidden_dropout", "logit_scale", *ROTARY))
#: The experts of a MoE config, under either name the configuration accepts (attribute_map).
_MOE = {"top_k": "num_experts_per_tok"}


def _no_experts_is_dense(cfg: ConfigReader, cls: str, params: Params) -> str | None:
    """Rule (Qwen2-MoE, Qwen3-MoE): no experts means a dense MLP in every layer (the dense family);
    otherwise the shared expert (if any) and the dense layers as the family takes them."""
    if params["n_experts"][1] == 0:
        for name in ("n_experts", "top_k", "expert_d_ff", "moe_every", "dense_layers", "shared_d_ff", "style",
                     "shared_gate", "n_shared_experts"):  # fmt: skip
            params.pop(name, None)
        return "llama"
    dense = params["dense_layers"]
    params["dense_layers"] = (dense[0], sorted(set(dense[1] or [])))
    if "shared_d_ff" in params:
        key, shared = params["shared_d_ff"]
        params["n_shared_experts"] = (key, 1 if shared else 0)
        params["shared_d_ff"] = (key, shared or None)
    return None


def _olmoe_query_norm(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (OLMoE): its query norm has hidden_size features, so heads must tile hidden_size exactly."""
    hidden, heads = params["d_model"][1], params["n_heads"][1]
    if hidden % heads:
        raise cfg.error("num_attention_heads", f"{heads} does not divide hidden_size ({hidden}): OLMoE's query "
                        "norm has hidden_size features, which would not match the queries")  # fmt: skip
    if params["head_dim"][1] * heads != hidden:
        raise cfg.error("head_dim", "OLMoE's query norm has hidden_size features: head_dim must be "
                        "hidden_size / num_attention_heads")  # fmt: skip


def _cohere_qk_norm(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (Cohere): ``use_qk_norm`` adds per-head query and key norms."""
    if cfg.bool("use_qk_norm", DEFAULTS["cohere"]["use_qk_norm"]):
        params["qk_norm"] = ("use_qk_norm", "per_head")


def _stablelm(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (StableLM): the head width is hidden_size // heads (transformers refuses a remainder); parallel
    residual and per-head query/key LayerNorms are switches of the config."""
    hidden, heads = params["d_model"][1], params["n_heads"][1]
    if hidden % heads:  # StableLmAttention raises: the head width is hidden_size // num_attention_heads
        raise cfg.error("num_attention_heads", f"{heads} does not divide hidden_size ({hidden}); transformers "
                        "cannot build this model")  # fmt: skip
    if cfg.bool("use_parallel_residual", DEFAULTS["stablelm"]["use_parallel_residual"]):
        params["norm_layout"] = ("use_parallel_residual", "parallel")
    if cfg.bool("qk_layernorm", DEFAULTS["stablelm"]["qk_layernorm"]):
        params |= {"qk_norm": ("qk_layernorm", "per_head_modules"), "qk_norm_names": ("model_type", "q_layernorm")}


def _row(name: str, prefix: str, family: str, reads: dict, shape_free: frozenset, *rules, fixed=None,
         defaults=None, classes=None) -> Row:  # fmt: skip
    return Row(
        name, family, classes or causal_classes(prefix), reads={**DECODER_READS, **reads},
        # head_dim: where it is no field of the configuration, the attention still reads it when the file sets it
        defaults={"head_dim": None, **DEFAULTS[name], **(defaults or {})}, fixed=fixed or {}, rules=(*DECODER_RULES, *rules),
        shape_free=shape_free,
    )  # fmt: skip


_GQA = {**ATTENTION_READS, **ATTENTION_BIAS_READS}
#: num_key_value_heads where the configuration's default is a number (null refused, as @strict does).
_KV = {"n_kv_heads": "num_key_value_heads"}
#: head_dim where the configuration takes null for "derive it".
_NULL_HEAD_DIM = {"head_dim": "head_dim?"}
_QWEN_MOE = {"n_experts": "num_experts", **_MOE, "expert_d_ff": "moe_intermediate_size", "moe_every": "decoder_sparse_step",
             "dense_layers": "mlp_only_layers?"}  # fmt: skip

#: Every row of this plugin (the module's docstring lists them).
ROWS = (
    _row("llama", "Llama", "llama", {**_GQA, **_NULL_HEAD_DIM, "mlp_bias": "mlp_bias"}, _DECODER, heads_divide_width),
    _row("mistral", "Mistral", "llama", {**ATTENTION_READS, **_NULL_HEAD_DIM}, _DECODER | _SLIDING,
         windows("all", DEFAULTS["mistral"]["sliding_window"])),
    _row("mixtral", "Mixtral", "llama-moe",
         {**ATTENTION_READS, **_NULL_HEAD_DIM, "n_experts": "num_local_experts", **_MOE},
         _DECODER | _SLIDING | _ROUTER, windows("all", DEFAULTS["mixtral"]["sliding_window"]), fixed={"style": "mixtral"}),
    _row("qwen2", "Qwen2", "llama", ATTENTION_READS, _DECODER | _SLIDING, windows("qwen", DEFAULTS["qwen2"]["sliding_window"]),
         fixed={"qkv_bias": True}),
    _row("qwen2_moe", "Qwen2Moe", "llama-moe",
         {**ATTENTION_READS, **_KV, "qkv_bias": "qkv_bias", **_QWEN_MOE, "shared_d_ff": "shared_expert_intermediate_size"},
         _DECODER | _SLIDING | _ROUTER, windows("qwen", DEFAULTS["qwen2_moe"]["sliding_window"]), _no_experts_is_dense,
         fixed={"style": "qwen2_moe", "shared_gate": True}),
    _row("qwen3", "Qwen3", "llama", _GQA, _DECODER | _SLIDING, windows("qwen", DEFAULTS["qwen3"]["sliding_window"]),
         fixed={"qk_norm": "head"}),
    _row("qwen3_moe", "Qwen3Moe", "llama-moe",
         {**_GQA, **_KV, **_QWEN_MOE, "n_experts": "num_local_experts|num_experts"},
         _DECODER | _SLIDING | _ROUTER, windows("qwen", DEFAULTS["qwen3_moe"]["sliding_window"]), _no_experts_is_dense,
         fixed={"qk_norm": "head", "style": "qwen2_moe"}),
    _row("gemma", "Gemma", "llama", {**_GQA, **_KV}, _DECODER | _GEMMA),
    _row("gemma2", "Gemma2", "llama", {**_GQA, **_KV}, _DECODER | _SLIDING | _GEMMA, heads_divide_width,
         windows("gemma2", DEFAULTS["gemma2"]["sliding_window"]), fixed={"norm_layout": "sandwich"}),
    _row("gemma3_text", "Gemma3", "llama", {**_GQA, **_KV},
         _DECODER | _SLIDING | _GEMMA | {"_sliding_window_pattern", "sliding_window_pattern", "rope_local_base_freq"},
         heads_divide_width, windows("gemma3", DEFAULTS["gemma3_text"]["sliding_window"]), fixed={"norm_layout": "sandwich", "qk_norm": "head"},
         classes=("Gemma3ForCausalLM", "Gemma3TextModel")),
    _row("olmo2", "Olmo2", "llama", _GQA, _DECODER, fixed={"norm_layout": "post", "qk_norm": "full"}),
    _row("olmoe", "Olmoe", "llama-moe", {**_GQA, "n_experts": "num_experts|num_local_experts", **_MOE},
         _DECODER | _ROUTER | {"clip_qkv"}, _olmoe_query_norm, fixed={"qk_norm": "full", "style": "qwen2_moe"}),
    _row("granite", "Granite", "llama", {**_GQA, "mlp_bias": "mlp_bias"}, _DECODER | _GRANITE),
    _row("granitemoe", "GraniteMoe", "llama-moe", {**_GQA, "n_experts": "num_local_experts", **_MOE},
         _DECODER | _ROUTER | _GRANITE, fixed={"style": "granitemoe"}),
    _row("cohere", "Cohere", "llama", _GQA, _LAYER_NORM, _cohere_qk_norm,
         fixed={"norm": "layer_norm", "norm_layout": "parallel"}),
    _row("stablelm", "StableLm", "llama", {"d_ff": "intermediate_size", **_KV, "qkv_bias": "use_qkv_bias"},
         _LAYER_NORM, _stablelm, fixed={"norm": "layer_norm", "norm_bias": True, "norm_layout": "pre"}),
    _row("phi3", "Phi3", "llama", ATTENTION_READS,
         _DECODER | _SLIDING | {"resid_pdrop", "embd_pdrop", "original_max_position_embeddings"},
         windows("all", DEFAULTS["phi3"]["sliding_window"]),
         fixed={"fused_qkv": True, "fused_gate_up": True}),
    # Phi-3.5-MoE's published config names its class PhiMoEForCausalLM (its remote code); transformers'
    # class is PhimoeForCausalLM, and it builds that one from the file.
    _row("phimoe", "Phimoe", "llama-moe",
         {**_GQA, **_KV, "lm_head_bias": "lm_head_bias", "n_experts": "num_local_experts", **_MOE},
         _DECODER | _SLIDING | _ROUTER | {"input_jitter_noise"}, windows("all", DEFAULTS["phimoe"]["sliding_window"]),
         fixed={"norm": "layer_norm", "norm_bias": True, "style": "mixtral"},
         classes=(*causal_classes("Phimoe"), "PhiMoEForCausalLM")),
)


@hookimpl
def register_model_types(register):
    """Map the Llama-style model types: llama, mistral, mixtral, qwen2(_moe), qwen3(_moe), gemma(2, 3_text),
    olmo2, olmoe, granite(moe), cohere, stablelm, phi3 and phimoe."""
    for row in ROWS:
        register(row)

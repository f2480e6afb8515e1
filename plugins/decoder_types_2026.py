"""More decoder model types of 2024-26 on existing families, as rows of data.

ministral, hunyuan_v1_dense, internlm3 (``llama``); hunyuan_v1_moe, ernie4_5_moe, dots1,
granitemoeshared, flex_olmo (``llama-moe``, :mod:`registry.plugins.llama`) and minicpm3
(``deepseek-v2`` without experts, :mod:`registry.plugins.deepseek`): one :class:`registry.Row` each
(config field -> hyper-parameter, transformers' defaults from
:mod:`registry.plugins.generated_defaults`, the switches the type sets), and rules of a few lines
where the logic is real (Hunyuan's per-layer top-k, ERNIE's MoE layer range, dots.llm1's windows).

Where transformers' attention reads ``head_dim`` with ``getattr(config, "head_dim", ...)`` and the
configuration class has the field with a null default (Ministral, Hunyuan), a missing or null
``head_dim`` reaches the model as None and it cannot be built: the rows require it. InternLM3's
published configs name their remote-code class (``InternLM3ForCausalLM``, through ``auto_map``);
transformers 5 builds its native InternLM3 (the Llama implementation, ``LlamaForCausalLM``) from
them, and that is the model counted.
"""

from __future__ import annotations

from registry import ConfigReader, Params, Row, hookimpl
from registry.plugins.attention_windows import layer_types_params, windows
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.hf_common import (
    ATTENTION_BIAS_READS, DECODER_READS, DECODER_RULES, DECODER_SHAPE_FREE, ROUTER, SLIDING, causal_classes,
    heads_divide_width, lm_head,
)  # fmt: skip

_DECODER, _SLIDING, _ROUTER = frozenset(DECODER_SHAPE_FREE), frozenset(SLIDING), frozenset(ROUTER)
#: Granite's multipliers: they scale activations, not shapes.
_GRANITE = frozenset(("embedding_multiplier", "logits_scaling", "residual_multiplier", "attention_multiplier"))
#: Hunyuan's special token ids (no shapes).
_HUNYUAN = frozenset(("eod_token_id", "sep_token_id"))
#: The attention most of these rows read; ``head_dim`` null or missing means hidden_size // heads.
_GQA = {"d_ff": "intermediate_size", "n_kv_heads": "num_key_value_heads?", "head_dim": "head_dim"}


def _defaults(model_type: str, head_dim_required: bool = False) -> dict:
    """transformers' defaults of ``model_type``; ``head_dim`` left out (required) where a null one crashes the
    model, else None (derived) where the configuration has no such field."""
    defaults = {"head_dim": None, **DEFAULTS[model_type]}
    if head_dim_required:
        del defaults["head_dim"]
    return defaults


def _null_is_refused(*names: str):
    """A row's rule: hyper-parameters whose configuration default is null, which transformers cannot build."""

    def rule(cfg: ConfigReader, cls: str, params: Params) -> None:
        for name in names:
            key, value = params[name]
            if value is None:
                raise cfg.error(key, "missing or null: transformers cannot build the model without it")

    rule.__doc__ = f"Rule: {', '.join(names)} must be given (their defaults are null)."
    return rule


def _one_shared_expert(field: str, times_expert: bool):
    """A row's rule: the shared experts as one MLP (``field`` experts of ``moe_intermediate_size`` each when
    ``times_expert``, else one MLP ``field`` wide); none or width 0 holds nothing."""

    def rule(cfg: ConfigReader, cls: str, params: Params) -> None:
        key, value = params["n_shared_experts"] if times_expert else params["shared_d_ff"]
        width = value * (params["expert_d_ff"][1] or params["d_ff"][1]) if times_expert and value else value
        params["n_shared_experts"] = (key, 1 if value else 0)
        params["shared_d_ff"] = (key, width or None)

    rule.__doc__ = f"Rule: the shared experts ({field}) as one MLP."
    return rule


# --------------------------------------------------------------------------- dense


def _internlm3_bias(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (InternLM3): InternLM3Config refuses different attention and MLP biases (the Llama implementation)."""
    if params["qkv_bias"][1] != params["mlp_bias"][1]:
        raise cfg.error(params["mlp_bias"][0], "must equal attention_bias (qkv_bias): InternLM3Config refuses "
                        "different biases, as the Llama implementation it builds has one setting")  # fmt: skip


#: Ministral (MinistralConfig): Mistral with layer_types; head_dim required.
MINISTRAL = Row(
    "ministral", "llama", causal_classes("Ministral"), reads={**DECODER_READS, **_GQA},
    defaults=_defaults("ministral", head_dim_required=True), rules=(*DECODER_RULES, windows("types", DEFAULTS["ministral"]["sliding_window"])),
    shape_free=_DECODER | _SLIDING, description="Ministral-8B: Mistral with layer_types (every layer slides by default)",
)  # fmt: skip

#: Hunyuan dense (HunYuanDenseV1Config): per-head query/key norms named query_layernorm/key_layernorm.
HUNYUAN_V1_DENSE = Row(
    "hunyuan_v1_dense", "llama", causal_classes("HunYuanDenseV1"), reads={**DECODER_READS, **ATTENTION_BIAS_READS, **_GQA},
    defaults=_defaults("hunyuan_v1_dense", head_dim_required=True),
    fixed={"qk_norm": "head", "qk_norm_names": "query_layernorm"}, rules=DECODER_RULES,
    shape_free=_DECODER | _HUNYUAN, description="Hunyuan dense: GQA with per-head query/key norms (query_layernorm)",
)  # fmt: skip

#: InternLM3 (InternLM3Config): the Llama implementation, one bias setting for attention and MLP.
INTERNLM3 = Row(
    "internlm3", "llama", ("InternLM3ForCausalLM", "InternLM3Model", "LlamaForCausalLM", "LlamaModel"),
    reads={**DECODER_READS, **_GQA, "head_dim": "head_dim?", "qkv_bias": "attention_bias|qkv_bias",
           "out_bias": "attention_bias|qkv_bias", "mlp_bias": "mlp_bias|bias"},
    defaults=DEFAULTS["internlm3"], rules=(*DECODER_RULES, heads_divide_width, _internlm3_bias), shape_free=_DECODER,
    description="InternLM3: Llama (transformers builds LlamaForCausalLM for the remote-code class)",
)  # fmt: skip

# --------------------------------------------------------------------------- mixture of experts


def _hunyuan_top_k(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (Hunyuan-MoE): ``moe_topk`` (alias num_experts_per_tok) is a whole number or one per layer
    (``HunYuanMoEV1Gate`` reads ``moe_topk[layer_idx]``); values that differ become ``layer_top_k``."""
    names = [n for n in ("moe_topk", "num_experts_per_tok") if cfg.has(n)]
    values = [cfg.raw(n) for n in names] or [DEFAULTS["hunyuan_v1_moe"]["moe_topk"]]
    for other, value in zip(names[1:], values[1:]):
        if value != values[0]:
            raise cfg.error(other, f"disagrees with {names[0]}: the two spellings of one field must agree")
    key, value, n_layers = (names or ["moe_topk"])[0], values[0], params["n_layers"][1]
    if isinstance(value, list):
        if len(value) < n_layers or any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in value):
            raise cfg.error(key, f"must be a whole number >= 1 or a list of one per layer ({n_layers})")
        if len(set(value[:n_layers])) > 1:
            params["layer_top_k"] = (key, value[:n_layers])
        value = value[0]
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise cfg.error(key, f"must be a whole number >= 1 (got {value!r})")
    params["top_k"] = (key, value)


#: Hunyuan-MoE (HunYuanMoEV1Config): routed experts and one shared MLP, all intermediate_size wide.
HUNYUAN_V1_MOE = Row(
    "hunyuan_v1_moe", "llama-moe", causal_classes("HunYuanMoEV1"),
    reads={**DECODER_READS, **ATTENTION_BIAS_READS, "n_experts": "num_experts|num_local_experts", **_GQA},
    defaults=_defaults("hunyuan_v1_moe", head_dim_required=True),
    fixed={"qk_norm": "head", "qk_norm_names": "query_layernorm", "style": "hunyuan", "n_shared_experts": 1},
    rules=(*DECODER_RULES, _hunyuan_top_k), shape_free=_DECODER | _HUNYUAN | _ROUTER,
    description="Hunyuan-MoE (A13B): query/key norms, routed experts and one shared MLP, all intermediate_size wide",
)  # fmt: skip


def _ernie_moe_layers(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (ERNIE-4.5-MoE): layer i is MoE when ``(i + 1) % moe_layer_interval == 0`` and
    ``moe_layer_start_index <= i <= moe_layer_end_index`` (-1: the last layer)."""
    d = DEFAULTS["ernie4_5_moe"]
    n_layers = params["n_layers"][1]
    start = cfg.int("moe_layer_start_index", d["moe_layer_start_index"], minimum=0)
    every = cfg.int("moe_layer_interval", d["moe_layer_interval"])
    end = cfg.int("moe_layer_end_index", d["moe_layer_end_index"], minimum=-1)
    last = n_layers - 1 if end == -1 else min(end, n_layers - 1)
    if n_layers - 1 - last > 10_000:
        raise cfg.error("moe_layer_end_index", "leaves more than 10,000 dense layers after it; registry lists them")
    params["first_dense"] = ("moe_layer_start_index", min(start, n_layers) if start <= last else n_layers)
    params["moe_every"] = ("moe_layer_interval", every)
    params["dense_layers"] = ("moe_layer_end_index", list(range(last + 1, n_layers)) if start <= last else [])


#: ERNIE-4.5-MoE (Ernie4_5_MoeConfig): MoE layers in a range, a learned router score correction.
ERNIE4_5_MOE = Row(
    "ernie4_5_moe", "llama-moe", causal_classes("Ernie4_5_Moe"),
    reads={**DECODER_READS, **_GQA, "n_kv_heads": "num_key_value_heads", "qkv_bias": "use_bias", "out_bias": "use_bias",
           "mlp_bias": "use_bias", "lm_head_bias": "use_bias", "n_experts": "moe_num_experts|num_experts",
           "top_k": "moe_k|num_experts_per_tok", "expert_d_ff": "moe_intermediate_size",
           "n_shared_experts": "moe_num_shared_experts", "mtp_layers": "num_mtp_layers|num_nextn_predict_layers?"},
    defaults=_defaults("ernie4_5_moe"), fixed={"style": "ernie"},
    rules=(*DECODER_RULES, _one_shared_expert("moe_num_shared_experts", True), _ernie_moe_layers),
    shape_free=_DECODER | _ROUTER | {"moe_norm_min"},
    description="ERNIE-4.5-MoE: biased GQA, routed experts with a learned score correction, biased shared experts",
)  # fmt: skip


def _dots1_windows(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (dots.llm1): ``layer_types``, else the layers from ``max_window_layers`` on slide when
    ``sliding_window`` is set (Dots1Config; no use_sliding_window switch)."""
    n_layers = params["n_layers"][1]
    window = cfg.int("sliding_window", DEFAULTS["dots1"]["sliding_window"], nullable=True)
    first_full = cfg.int("max_window_layers", DEFAULTS["dots1"]["max_window_layers"], minimum=0)
    types = cfg.raw("layer_types", None)
    if types is not None:
        found = layer_types_params(cfg, types, n_layers)
        if window is not None:
            params.update({"sliding_window": ("sliding_window", window)} | found)
    elif window is not None and first_full < n_layers:
        params["sliding_window"] = ("sliding_window", window)
        if first_full:
            params["max_window_layers"] = ("max_window_layers", first_full)


#: dots.llm1 (Dots1Config): Qwen3-style attention, DeepSeek-V3-style experts.
DOTS1 = Row(
    "dots1", "llama-moe", causal_classes("Dots1"),
    reads={**DECODER_READS, **_GQA, **ATTENTION_BIAS_READS, "n_experts": "n_routed_experts|num_local_experts",
           "top_k": "num_experts_per_tok", "expert_d_ff": "moe_intermediate_size", "n_shared_experts": "n_shared_experts",
           "first_dense": "first_k_dense_replace"},
    defaults=_defaults("dots1"), fixed={"style": "deepseek", "qk_norm": "head", "router_score_bias": True},
    rules=(*DECODER_RULES, _null_is_refused("n_experts", "top_k", "n_shared_experts"),
           _one_shared_expert("n_shared_experts", True), _dots1_windows),
    shape_free=_DECODER | _ROUTER | _SLIDING | {"routed_scaling_factor", "n_group", "topk_group"},
    description="dots.llm1: Qwen3-style attention, DeepSeek-V3-style experts (dense first layers, shared experts)",
)  # fmt: skip

#: Granite-MoE-Shared (GraniteMoeSharedConfig): Granite-MoE with a shared MLP beside the experts.
GRANITEMOESHARED = Row(
    "granitemoeshared", "llama-moe", causal_classes("GraniteMoeShared"),
    reads={**DECODER_READS, **_GQA, **ATTENTION_BIAS_READS, "n_experts": "num_local_experts",
           "top_k": "num_experts_per_tok", "shared_d_ff": "shared_intermediate_size"},
    defaults=_defaults("granitemoeshared"), fixed={"style": "granitemoe"},
    rules=(*DECODER_RULES, _one_shared_expert("shared_intermediate_size", False)),
    shape_free=_DECODER | _ROUTER | _GRANITE,
    description="Granite-MoE with a shared MLP (shared_mlp.input_linear/output_linear) beside the experts",
)  # fmt: skip

#: FlexOlmo (FlexOlmoConfig): OLMoE's experts, OLMo-2's norms.
FLEX_OLMO = Row(
    "flex_olmo", "llama-moe", causal_classes("FlexOlmo"),
    reads={**DECODER_READS, **_GQA, **ATTENTION_BIAS_READS, "n_experts": "num_experts|num_local_experts",
           "top_k": "num_experts_per_tok"},
    defaults=_defaults("flex_olmo"), fixed={"style": "qwen2_moe", "qk_norm": "full", "norm_layout": "post"},
    rules=DECODER_RULES, shape_free=_DECODER | _ROUTER,
    description="FlexOlmo: OLMoE's experts with OLMo-2's norms after each sublayer",
)  # fmt: skip

# --------------------------------------------------------------------------- latent attention


def _minicpm3_value_width(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (MiniCPM3): a null ``v_head_dim`` is hidden_size // heads (MiniCPM3Config.__post_init__)."""
    if params["v_head_dim"][1] is None:
        if params["n_heads"][1] < 1:  # the family checks it, after this rule divides by it
            raise cfg.error(params["n_heads"][0], f"must be at least 1, got {params['n_heads'][1]}")
        params["v_head_dim"] = ("v_head_dim", params["d_model"][1] // params["n_heads"][1])
        if not params["v_head_dim"][1]:
            raise cfg.error("num_attention_heads", "exceeds hidden_size: the derived v_head_dim would be 0")


#: MiniCPM3 (MiniCPM3Config): latent attention, no experts.
MINICPM3 = Row(
    "minicpm3", "deepseek-v2", causal_classes("MiniCPM3"),
    reads={**DECODER_READS, "q_lora_rank": "q_lora_rank?", "kv_lora_rank": "kv_lora_rank",
           "qk_nope_head_dim": "qk_nope_head_dim", "qk_rope_head_dim": "qk_rope_head_dim", "v_head_dim": "v_head_dim?",
           "attention_bias": "attention_bias", "d_ff": "intermediate_size", "mlp_bias": "mlp_bias"},
    defaults=DEFAULTS["minicpm3"], rules=(lm_head, _minicpm3_value_width),
    # muP scalings of embeddings, residuals and logits: no parameters
    shape_free=_DECODER | {"scale_emb", "scale_depth", "dim_model_base", "num_key_value_heads", "head_dim", "qk_head_dim"},
    description="MiniCPM3: multi-head latent attention, dense SwiGLU in every layer, scaled embeddings/residuals",
)  # fmt: skip

#: Every row of this plugin (the module's docstring lists them).
ROWS = (MINISTRAL, HUNYUAN_V1_DENSE, INTERNLM3, HUNYUAN_V1_MOE, ERNIE4_5_MOE, DOTS1, GRANITEMOESHARED, FLEX_OLMO, MINICPM3)


@hookimpl
def register_model_types(register):
    """Map ministral, hunyuan_v1_dense, internlm3, hunyuan_v1_moe, ernie4_5_moe, dots1, granitemoeshared,
    flex_olmo and minicpm3 (see the module's docstring)."""
    for row in ROWS:
        register(row)

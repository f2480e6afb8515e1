"""More causal-LM model types of transformers 5.25 on existing families, as rows of data.

mimo_v2_flash, afmoe, mellum, solar_open and laguna (``llama-moe``), exaone (``llama``; both in
:mod:`registry.plugins.llama`) and youtu (``deepseek-v2``): one :class:`registry.Row` each (config field ->
hyper-parameter, transformers' defaults from :mod:`registry.plugins.generated_defaults`, the switches the type
sets), and rules of a few lines where the logic is real.

MiMo-V2-Flash (``MiMoV2FlashConfig``): the published config.json describes its layers with fields of Xiaomi's
own code (``hybrid_layer_pattern``, ``moe_layer_freq``, ``swa_num_key_value_heads`` …) which transformers 5.25
does not read: it takes ``layer_types`` (default: full attention in layer 0 and every sixth layer, the others
slide) and ``mlp_layer_types`` (default: layer 0 dense, the others sparse), and gives the sliding layers twice
``num_key_value_heads`` and a learned attention sink per query head. The published checkpoints also hold three
multi-token-prediction modules (``model.mtp.layers.<i>.*``, the model card's "3-layer MTP weights") and each router's
``e_score_correction_bias`` (a buffer in transformers); neither is built by transformers, so neither is counted. A config whose own fields disagree with
what transformers builds is refused, naming the field, rather than counted as something it does not describe.
"""

from __future__ import annotations

from registry import ConfigReader, Params, Row, hookimpl
from registry.plugins.attention_windows import windows
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.hf_common import (
    ATTENTION_BIAS_READS, DECODER_READS, DECODER_RULES, DECODER_SHAPE_FREE, ROUTER, SLIDING, causal_classes,
    heads_divide_width, lm_head,
)  # fmt: skip

_MIMO = DEFAULTS["mimo_v2_flash"]
#: Fields of Xiaomi's MiMo code in the published config that change no shape (transformers ignores them).
_MIMO_SHAPE_FREE = frozenset((
    "attention_value_scale", "layernorm_epsilon", "swa_rope_theta", "attention_chunk_size", "sliding_window_size",
    "routed_scaling_factor", "n_group", "topk_group", "scoring_func", "topk_method", "mlp_bias", "use_qk_norm",
    "hidden_dropout",
))  # fmt: skip


def _mimo_default_layer_types(n_layers: int) -> list[str]:
    """transformers' default (MiMoV2FlashConfig.__post_init__): full attention in layer 0 and every sixth layer."""
    return ["full_attention" if i == 0 or not (i + 1) % 6 else "sliding_attention" for i in range(n_layers)]


def _mimo_kinds(cfg: ConfigReader, key: str, default: list[str], known: tuple[str, str], n_layers: int,
                count_field: str = "num_hidden_layers") -> list[str]:
    """A per-layer list of ``known`` kinds (``key``) of ``n_layers`` (``count_field``), or ``default`` when absent
    or null."""
    kinds = cfg.raw(key, None)
    if kinds is None:
        return default
    if not isinstance(kinds, list) or any(k not in known for k in kinds):
        raise cfg.error(key, f"must be a list of {' or '.join(known)}")
    if len(kinds) != n_layers:
        raise cfg.error(key, f"lists {len(kinds)} layers, {count_field} is {n_layers}")
    return kinds


def _mimo_agrees(cfg: ConfigReader, key: str, kinds: list[str], ones: str, what: str) -> None:
    """Refuse Xiaomi's per-layer 0/1 list ``key`` when it disagrees with the ``kinds`` transformers builds
    (``ones``: the kind a 1 stands for)."""
    given = cfg.raw(key, None)
    if given is None:
        return
    if not isinstance(given, list) or any(v not in (0, 1) or isinstance(v, bool) for v in given):
        raise cfg.error(key, "must be a list of 0 and 1")
    if [bool(v) for v in given] != [k == ones for k in kinds]:
        raise cfg.error(key, f"disagrees with the {what} transformers builds (it reads {what}, default or given, "
                        f"and ignores {key}): fix one of them")  # fmt: skip


def _mimo_same(cfg: ConfigReader, key: str, expected: int, why: str) -> None:
    """Refuse a field of Xiaomi's code that transformers ignores when it says other than what is built."""
    cfg.read.add(key)
    if cfg.has(key) and cfg.raw(key) is not None and cfg.raw(key) != expected:
        raise cfg.error(key, f"must be {expected} ({why}); transformers ignores it and builds {expected}")


def _mimo_layers(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (MiMo-V2-Flash): the layers' attention and MLP kinds, the sliding layers' key/value heads and sinks;
    Xiaomi's fields that disagree with them are refused."""
    n_layers, heads, kv = params["n_layers"][1], params["n_heads"][1], params["n_kv_heads"][1]
    types = _mimo_kinds(cfg, "layer_types", _mimo_default_layer_types(n_layers), ("full_attention", "sliding_attention"), n_layers)
    mlps = _mimo_kinds(cfg, "mlp_layer_types", ["dense"] + ["sparse"] * (n_layers - 1), ("dense", "sparse"), n_layers)
    _mimo_agrees(cfg, "hybrid_layer_pattern", types, "sliding_attention", "layer_types")
    _mimo_agrees(cfg, "moe_layer_freq", mlps, "sparse", "mlp_layer_types")
    if kv < 1:  # the family checks it, after this rule divides by it
        raise cfg.error(params["n_kv_heads"][0], f"must be at least 1, got {kv}")
    if n_layers and heads % (2 * kv):
        raise cfg.error("num_key_value_heads", f"twice it ({2 * kv}, the sliding layers' key/value heads) must "
                        f"divide num_attention_heads ({heads})")  # fmt: skip
    _mimo_same(cfg, "swa_num_key_value_heads", 2 * kv, "twice num_key_value_heads")
    _mimo_same(cfg, "swa_num_attention_heads", heads, "num_attention_heads")
    _mimo_same(cfg, "swa_head_dim", params["head_dim"][1], "head_dim")
    _mimo_same(cfg, "swa_v_head_dim", params["v_head_dim"][1], "v_head_dim")
    cfg.expect("add_full_attention_sink_bias", (False, None), "transformers gives the full-attention layers no sinks")
    cfg.expect("add_swa_attention_sink_bias", (True, None), "transformers gives every sliding layer its sinks")
    cfg.expect("n_shared_experts", (0, None), "transformers builds no shared experts for mimo_v2_flash")
    size = cfg.int("sliding_window_size", None, nullable=True)  # transformers: sliding_window_size + 1
    window = size + 1 if size is not None else cfg.int("sliding_window", _MIMO["sliding_window"])
    params["sliding_window"] = ("sliding_window_size" if size is not None else "sliding_window", window)
    params["layer_types"] = ("layer_types", types)
    params["sliding_kv_heads"] = ("num_key_value_heads", 2 * kv)
    params["sliding_sinks"] = ("layer_types", True)
    params["dense_layers"] = ("mlp_layer_types", [i for i, kind in enumerate(mlps) if kind == "dense"])


#: MiMo-V2-Flash (MiMoV2FlashConfig): hybrid sliding/full attention with narrower value heads, routed experts.
MIMO_V2_FLASH = Row(
    "mimo_v2_flash", "llama-moe", causal_classes("MiMoV2Flash"),
    reads={**DECODER_READS, "n_kv_heads": "num_key_value_heads", "head_dim": "head_dim", "v_head_dim": "v_head_dim",
           "d_ff": "intermediate_size", "qkv_bias": "attention_bias", "n_experts": "n_routed_experts|num_local_experts",
           "top_k": "num_experts_per_tok", "expert_d_ff": "moe_intermediate_size"},
    defaults=_MIMO, fixed={"style": "deepseek", "router_score_bias": True, "mtp_modules": True},
    rules=(lm_head, _mimo_layers),
    shape_free=frozenset(DECODER_SHAPE_FREE) | frozenset(SLIDING) | frozenset(ROUTER) | _MIMO_SHAPE_FREE,
    description="MiMo-V2-Flash: 5:1 sliding/full attention (sliding: twice the KV heads, sinks), value heads "
                "narrower than query/key heads, a dense first layer, then routed experts",
)  # fmt: skip



def _afmoe_experts(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (AFMoE): the shared experts as one MLP of ``num_shared_experts × moe_intermediate_size``; the dense
    first layers (``num_dense_layers``, all of them when it exceeds num_hidden_layers)."""
    shared = cfg.int("num_shared_experts", DEFAULTS["afmoe"]["num_shared_experts"], minimum=0)
    if not shared:
        raise cfg.error("num_shared_experts", "0 is not supported: transformers then builds shared experts of width 0 "
                        "(empty tensors), which registry does not hold")  # fmt: skip
    params["n_shared_experts"] = ("num_shared_experts", 1)
    params["shared_d_ff"] = ("num_shared_experts", shared * params["expert_d_ff"][1])
    dense = cfg.int("num_dense_layers", DEFAULTS["afmoe"]["num_dense_layers"], minimum=0)
    params["first_dense"] = ("num_dense_layers", min(dense, params["n_layers"][1]))


#: AFMoE (AfmoeConfig): Arcee's Trinity Nano, Mini and Large.
AFMOE = Row(
    "afmoe", "llama-moe", causal_classes("Afmoe"),
    reads={**DECODER_READS, "n_kv_heads": "num_key_value_heads?", "head_dim": "head_dim", "d_ff": "intermediate_size",
           "qkv_bias": "attention_bias", "out_bias": "attention_bias", "n_experts": "num_experts",
           "top_k": "num_experts_per_tok", "expert_d_ff": "moe_intermediate_size"},
    defaults=DEFAULTS["afmoe"], fixed={"style": "afmoe", "qk_norm": "head", "norm_layout": "afmoe", "attention_gate": True},
    rules=(*DECODER_RULES, _afmoe_experts,
           windows("types", DEFAULTS["afmoe"]["sliding_window"], DEFAULTS["afmoe"]["global_attn_every_n_layers"],
                   "global_attn_every_n_layers")),
    # route_scale, mup_enabled: scalings; the rest of Arcee's own fields (route_norm, score_func, n_group ...) no shapes
    shape_free=frozenset(DECODER_SHAPE_FREE) | frozenset(SLIDING) | frozenset(ROUTER) | {
        "route_scale", "mup_enabled", "route_norm", "score_func", "n_group", "topk_group", "num_expert_groups",
        "num_limited_groups", "load_balance_coeff", "use_grouped_mm"},
    description="AFMoE (Arcee Trinity): gated attention with query/key norms, four norms a layer, sliding and full "
                "layers, dense first layers, routed and shared experts",
)  # fmt: skip

#: EXAONE 3.0 / 3.5 (ExaoneConfig): transformers 5.25 builds LlamaForCausalLM for it (its checkpoints' names,
#: ``transformer.h.<i>.attn.attention.*``, are renamed on load); ``num_layers``, ``layer_norm_epsilon`` and
#: ``activation_function`` are the attribute_map's spellings of num_hidden_layers, rms_norm_eps and hidden_act.
EXAONE = Row(
    "exaone", "llama", ("ExaoneForCausalLM", "ExaoneModel", "LlamaForCausalLM", "LlamaModel"),
    reads={**DECODER_READS, "n_layers": "num_hidden_layers|num_layers", "d_ff": "intermediate_size",
           "n_kv_heads": "num_key_value_heads?", "head_dim": "head_dim?", **ATTENTION_BIAS_READS, "mlp_bias": "mlp_bias"},
    defaults=DEFAULTS["exaone"], rules=(*DECODER_RULES, heads_divide_width),
    # embed_dropout: a field of LG's remote-code config (dropout, no shape) that transformers keeps as an extra
    shape_free=frozenset(DECODER_SHAPE_FREE) | {"layer_norm_epsilon", "activation_function", "embed_dropout"},
    description="EXAONE 3.0/3.5: Llama (transformers builds LlamaForCausalLM; LG's names renamed on load)",
)  # fmt: skip

def _mellum_layers(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (Mellum): the dense layers (``mlp_layer_types``, default all sparse); at most one MTP layer (MellumConfig
    refuses more), which transformers does not build (the checkpoint's ``mtp.*`` tensors are ignored on load) and
    is declared checkpoint-only, its MLP the kind ``mtp_mlp_layer_types`` names (default sparse)."""
    n_layers = params["n_layers"][1]
    mlps = _mimo_kinds(cfg, "mlp_layer_types", ["sparse"] * n_layers, ("dense", "sparse"), n_layers)
    params["dense_layers"] = ("mlp_layer_types", [i for i, kind in enumerate(mlps) if kind == "dense"])
    for key in ("num_mtp_layers", "num_nextn_predict_layers"):  # attribute_map: two spellings of one field
        mtp = cfg.int(key, None, nullable=True, minimum=0)
        if mtp is not None and mtp > 1:
            raise cfg.error(key, f"is {mtp}: Mellum supports a single MTP layer (MellumConfig refuses more)")
        if mtp:
            params["mtp_layers"] = (key, mtp)
            kinds = _mimo_kinds(cfg, "mtp_mlp_layer_types", ["sparse"], ("dense", "sparse"), 1, key)
            params["mtp_dense"] = ("mtp_mlp_layer_types", kinds[0] == "dense")
    cfg.raw("mtp_mlp_layer_types", None)  # read either way: it changes a shape only when there is an MTP layer


#: Mellum 2 (MellumConfig, JetBrains): Qwen3-MoE's attention (per-head query/key norms) and experts, biased attention
#: projections (output too) when attention_bias, sliding and full layers (layer_types; default all full), optional
#: dense layers.
MELLUM = Row(
    "mellum", "llama-moe", causal_classes("Mellum"),
    reads={**DECODER_READS, "n_kv_heads": "num_key_value_heads", "head_dim": "head_dim", "d_ff": "intermediate_size",
           **ATTENTION_BIAS_READS, "n_experts": "num_experts|num_local_experts", "top_k": "num_experts_per_tok",
           "expert_d_ff": "moe_intermediate_size"},
    defaults=DEFAULTS["mellum"], fixed={"style": "qwen2_moe", "qk_norm": "head", "mtp_stored": "root"},
    rules=(*DECODER_RULES, _mellum_layers, windows("types", DEFAULTS["mellum"]["sliding_window"], 1)),
    # the MTP layer's attention kind changes no shape; max_window_layers and use_sliding_window are Qwen fields
    # some copies carry, which MellumConfig ignores
    shape_free=frozenset(DECODER_SHAPE_FREE) | frozenset(SLIDING) | frozenset(ROUTER) | {"mtp_layer_types"},
    description="Mellum 2 (JetBrains): GQA with per-head query/key norms, sliding and full layers, routed experts "
                "(Qwen3-MoE names), optional dense layers",
)  # fmt: skip

def _solar_open_experts(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (Solar Open): every layer routes (no dense layers: the fields some copies carry for them, DeepSeek's
    first_k_dense_replace and the unused intermediate_size, must not say otherwise); the shared experts as one MLP of
    ``n_shared_experts × moe_intermediate_size``."""
    cfg.expect("first_k_dense_replace", (0, None), "transformers builds every Solar Open layer with experts")
    cfg.raw("intermediate_size", None)  # no field of SolarOpenConfig: no dense MLP is built
    key, shared = params["n_shared_experts"]
    params["d_ff"] = ("moe_intermediate_size", params["expert_d_ff"][1])  # no dense layer uses it
    params["n_shared_experts"] = (key, 1 if shared else 0)
    if shared:
        params["shared_d_ff"] = (key, shared * params["expert_d_ff"][1])


#: Solar Open (SolarOpenConfig, Upstage): GLM-4.5's MoE layout (DeepSeek names, a score-correction buffer), every
#: layer with experts, no query/key norms, no output bias.
SOLAR_OPEN = Row(
    "solar_open", "llama-moe", causal_classes("SolarOpen"),
    reads={**DECODER_READS, "n_kv_heads": "num_key_value_heads", "head_dim": "head_dim", "qkv_bias": "attention_bias",
           "n_experts": "n_routed_experts|num_local_experts", "top_k": "num_experts_per_tok",
           "expert_d_ff": "moe_intermediate_size", "n_shared_experts": "n_shared_experts"},
    defaults=DEFAULTS["solar_open"], fixed={"style": "deepseek", "router_score_bias": True},
    rules=(*DECODER_RULES, _solar_open_experts),
    shape_free=frozenset(DECODER_SHAPE_FREE) | frozenset(ROUTER) | {"routed_scaling_factor", "n_group", "topk_group"},
    description="Solar Open (Upstage): GQA, routed and shared experts in every layer (GLM-4.5's names)",
)  # fmt: skip

def _laguna_layers(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (Laguna): the query heads of full and of sliding layers (``num_attention_heads_per_layer``, one count for
    each kind, else refused), the attention gate (``gating``: true or "per-head", one a head; any other value, one a
    channel), the dense layers (``mlp_layer_types``, default the first) and the shared expert."""
    n_layers, heads = params["n_layers"][1], params["n_heads"][1]
    kinds = _mimo_kinds(cfg, "layer_types", ["full_attention"] * n_layers, ("full_attention", "sliding_attention"), n_layers)
    per_layer = cfg.raw("num_attention_heads_per_layer", None)
    if per_layer is None:
        per_layer = [heads] * n_layers
    if not isinstance(per_layer, list) or any(isinstance(h, bool) or not isinstance(h, int) or h < 1 for h in per_layer):
        raise cfg.error("num_attention_heads_per_layer", "must be a list of whole numbers of at least 1")
    if len(per_layer) != n_layers:
        raise cfg.error("num_attention_heads_per_layer", f"lists {len(per_layer)} layers, num_hidden_layers is {n_layers}")
    full = {h for h, kind in zip(per_layer, kinds) if kind == "full_attention"}
    sliding = {h for h, kind in zip(per_layer, kinds) if kind == "sliding_attention"}
    if len(full) > 1 or len(sliding) > 1:
        raise cfg.error("num_attention_heads_per_layer", "registry holds one head count for the full-attention layers "
                        "and one for the sliding ones; this list varies within a kind")  # fmt: skip
    params["n_heads"] = ("num_attention_heads_per_layer", next(iter(full or sliding), heads))
    if full and sliding and sliding != full:
        params["sliding_heads"] = ("num_attention_heads_per_layer", next(iter(sliding)))
    gating = cfg.raw("gating", DEFAULTS["laguna"]["gating"])
    if not isinstance(gating, (bool, str)):
        raise cfg.error("gating", "must be true, false or a string (\"per-head\": one gate a head)")
    params["attention_gate"] = ("gating", "g_proj_per_head" if gating is True or gating == "per-head" else "g_proj")
    mlps = _mimo_kinds(cfg, "mlp_layer_types", ["dense"] + ["sparse"] * (n_layers - 1), ("dense", "sparse"), n_layers)
    params["dense_layers"] = ("mlp_layer_types", [i for i, kind in enumerate(mlps) if kind == "dense"])
    shared = cfg.int("shared_expert_intermediate_size", DEFAULTS["laguna"]["shared_expert_intermediate_size"])
    params |= {"n_shared_experts": ("shared_expert_intermediate_size", 1), "shared_d_ff": ("shared_expert_intermediate_size", shared)}
    cfg.expect("moe_apply_router_weight_on_input", (False, None), "transformers' Laguna does not implement it")


#: Laguna (LagunaConfig, poolside): per-head query/key norms and a gated attention output (g_proj), more query heads in
#: the sliding layers than in the full ones, a dense first layer, routed experts with a learned score bias and a
#: shared expert.
LAGUNA = Row(
    "laguna", "llama-moe", causal_classes("Laguna"),
    reads={**DECODER_READS, "n_kv_heads": "num_key_value_heads", "head_dim": "head_dim", "d_ff": "intermediate_size",
           **ATTENTION_BIAS_READS, "n_experts": "num_experts", "top_k": "num_experts_per_tok",
           "expert_d_ff": "moe_intermediate_size"},
    defaults=DEFAULTS["laguna"], fixed={"style": "laguna", "qk_norm": "head"},
    rules=(*DECODER_RULES, windows("types", DEFAULTS["laguna"]["sliding_window"], 1), _laguna_layers),
    # partial_rotary_factor and use_bidirectional_attention: fields of poolside's code some files carry (no shapes)
    shape_free=frozenset(DECODER_SHAPE_FREE) | frozenset(SLIDING) | frozenset(ROUTER) | {
        "moe_routed_scaling_factor", "moe_router_logit_softcapping", "partial_rotary_factor",
        "use_bidirectional_attention"},
    description="Laguna (poolside): gated attention (g_proj) with query/key norms, more heads in the sliding layers, "
                "a dense first layer, routed experts with a learned score bias and a shared expert",
)  # fmt: skip

#: Youtu-LLM (YoutuConfig, Tencent): DeepSeek-V3's latent attention, a dense SwiGLU in every layer, tied embeddings.
YOUTU = Row(
    "youtu", "deepseek-v2", causal_classes("Youtu"),
    reads={**DECODER_READS, "q_lora_rank": "q_lora_rank?", "kv_lora_rank": "kv_lora_rank",
           "qk_nope_head_dim": "qk_nope_head_dim", "qk_rope_head_dim": "qk_rope_head_dim", "v_head_dim": "v_head_dim",
           "attention_bias": "attention_bias", "d_ff": "intermediate_size"},
    defaults=DEFAULTS["youtu"], rules=(lm_head,),
    # num_key_value_heads: latent attention has none of its own; the initializer ranges and rope_interleave: no shapes
    shape_free=frozenset(DECODER_SHAPE_FREE) | {"num_key_value_heads", "head_dim", "qk_head_dim", "rope_interleave",
                                                "embedding_initializer_range"},
    description="Youtu-LLM: multi-head latent attention, dense SwiGLU in every layer",
)  # fmt: skip

#: Every row of this plugin (the module's docstring lists them).
ROWS = (MIMO_V2_FLASH, AFMOE, EXAONE, MELLUM, SOLAR_OPEN, LAGUNA, YOUTU)


@hookimpl
def register_model_types(register):
    """Map mimo_v2_flash, afmoe, exaone, mellum, solar_open, laguna and youtu (see the module's docstring)."""
    for row in ROWS:
        register(row)

"""The Hugging Face model types of the hybrid and linear-attention language models of 2026, as rows of data.

qwen3_5_text and qwen3_5_moe_text (the language models of Qwen3.5 and Qwen3.5-MoE, family ``qwen3-next`` of
:mod:`registry.plugins.hybrid_attention`: gated DeltaNet with split input projections beside gated full
attention), minimax (MiniMax-Text-01, the same family with lightning attention beside grouped-query attention,
Mixtral-style experts) and kimi_linear (Kimi Linear, family ``deepseek-v2`` of :mod:`registry.plugins.deepseek`: Kimi
Delta Attention beside multi-head latent attention, DeepSeek-style experts) and llama4_text (Llama 4's language model, family ``llama-moe`` of
:mod:`registry.plugins.llama` in its ``llama4`` style: routed experts beside a shared expert in every
``interleave_moe_layer_step``-th layer, chunked attention in the layers with rotary positions) and
longcat_flash (LongCat-Flash, family ``longcat-flash`` of :mod:`registry.plugins.longcat`): one
:class:`registry.Row` each, with transformers' defaults from
:mod:`registry.plugins.generated_defaults`, and rules where the logic is real.
"""

from __future__ import annotations

from registry import ConfigReader, Params, Row, hookimpl
from registry.plugins.attention_windows import layer_types_params
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.hf_common import (
    ATTENTION_BIAS_READS, DECODER_READS, DECODER_RULES, DECODER_SHAPE_FREE, ROUTER, causal_classes, expect, lm_head,
)  # fmt: skip
from registry.plugins.moe_model_types import LINEAR_READS, QWEN_EXPERT_READS, qwen_experts, qwen_mixers

_DECODER, _ROUTER = frozenset(DECODER_SHAPE_FREE), frozenset(ROUTER)

#: Fields the published Qwen3.5 configs hold that are no field of transformers' configuration: the checkpoint's
#: multi-token-prediction layers (``mtp.*``, read as ``mtp_layers``) and the precision of the linear attention's state.
_QWEN3_5_EXTRA = {"mtp_num_hidden_layers": 0}
_QWEN3_5_FREE = frozenset({"partial_rotary_factor", "mtp_use_dedicated_embeddings", "mamba_ssm_dtype"})
#: transformers' Qwen3.5 attention always gates its output (q_proj twice as wide): a config saying otherwise is refused.
_GATED = expect("attn_output_gate", (True,), "transformers' Qwen3.5 attention always gates its output")


def _all_moe(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (Qwen3.5-MoE): every layer holds experts (transformers' Qwen3_5MoeDecoderLayer), so at least one;
    mlp_only_layers, which transformers does not read, may only say so; the dense width is no field."""
    cfg.expect("mlp_only_layers", ([], None), "transformers' Qwen3.5-MoE builds experts in every layer")
    if params["n_experts"][1] < 1:
        raise cfg.error("num_experts", "must be >= 1: every layer of Qwen3.5-MoE is a mixture of experts")
    params["d_ff"] = params["expert_d_ff"]  # no dense MLP anywhere: the family's d_ff is unused


QWEN3_5_TEXT = Row(
    "qwen3_5_text", "qwen3-next", ("Qwen3_5ForCausalLM", "Qwen3_5TextModel"),
    reads={**DECODER_READS, **ATTENTION_BIAS_READS, **LINEAR_READS, "d_ff": "intermediate_size",
           "n_kv_heads": "num_key_value_heads", "head_dim": "head_dim", "mtp_layers": "mtp_num_hidden_layers"},
    defaults={**DEFAULTS["qwen3_5_text"], **_QWEN3_5_EXTRA},
    fixed={"n_experts": 0, "deltanet_projections": "split"},
    rules=(*DECODER_RULES, qwen_mixers, _GATED,
           expect("mlp_only_layers", ([], None), "transformers' Qwen3.5 has no experts: every MLP is dense")),
    shape_free=_DECODER | _QWEN3_5_FREE,
    description="Qwen3.5 (language model): gated DeltaNet and gated attention layers, dense MLPs",
)  # fmt: skip

QWEN3_5_MOE_TEXT = Row(
    "qwen3_5_moe_text", "qwen3-next", ("Qwen3_5MoeForCausalLM", "Qwen3_5MoeTextModel"),
    reads={**DECODER_READS, **ATTENTION_BIAS_READS, **LINEAR_READS, **QWEN_EXPERT_READS,
           "n_kv_heads": "num_key_value_heads", "head_dim": "head_dim", "mtp_layers": "mtp_num_hidden_layers"},
    defaults={**DEFAULTS["qwen3_5_moe_text"], **_QWEN3_5_EXTRA},
    fixed={"style": "qwen2_moe", "shared_gate": True, "deltanet_projections": "split"},
    rules=(*DECODER_RULES, qwen_mixers, _GATED, _all_moe, qwen_experts),
    shape_free=_DECODER | _ROUTER | _QWEN3_5_FREE,
    description="Qwen3.5-MoE (language model): gated DeltaNet and gated attention layers, routed experts and a "
                "gated shared expert in every layer",
)  # fmt: skip


def _minimax_layers(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (MiniMax): which layers attend fully: ``layer_types`` when given, else transformers' default
    (MiniMaxConfig: layers 0, 2, 4, ... full, the others lightning)."""
    if cfg.raw("layer_types", None) is not None:
        qwen_mixers(cfg, cls, params)
        return
    params["full_attention_layers"] = ("layer_types", list(range(0, params["n_layers"][1], 2)))


MINIMAX = Row(
    "minimax", "qwen3-next", causal_classes("MiniMax"),
    reads={**DECODER_READS, "d_ff": "intermediate_size", "n_kv_heads": "num_key_value_heads?", "head_dim": "head_dim?",
           "n_experts": "num_local_experts|num_experts", "top_k": "num_experts_per_tok"},
    defaults=DEFAULTS["minimax"],
    fixed={"style": "mixtral", "linear_kind": "lightning", "output_gate": False, "full_qk_norm": False},
    rules=(*DECODER_RULES, _minimax_layers,
           # MiniMax-Text-01's own code has a shared expert of this width; transformers' MiniMax has none
           expect("shared_intermediate_size", (0, None, [0]), "transformers' MiniMax builds no shared expert")),
    shape_free=_DECODER | _ROUTER | {"block_size", "full_attn_alpha_factor", "full_attn_beta_factor", "sliding_window",
                                     "linear_attn_alpha_factor", "linear_attn_beta_factor", "mlp_alpha_factor",
                                     "mlp_beta_factor", "postnorm", "rotary_dim", "shared_moe_mode"},
    description="MiniMax-Text-01: lightning (linear) attention and grouped-query attention layers, routed experts",
)  # fmt: skip

#: linear_attn_config (the form Kimi Linear's checkpoints give) key -> transformers' top-level field it overrides.
_KIMI_LINEAR_CONFIG = {"num_heads": "linear_num_heads", "head_dim": "linear_head_dim",
                       "short_conv_kernel_size": "linear_conv_kernel_dim"}  # fmt: skip


def _kimi_whole(cfg: ConfigReader, where: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise cfg.error(where.split(".")[0], f"{where} must be a whole number >= 1 (got {value!r})")
    return value


def _kimi_layers(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (Kimi Linear, as KimiLinearConfig reads it): the delta attention's sizes from linear_attn_config when it
    gives them (else linear_num_heads, linear_head_dim, linear_conv_kernel_dim); which layers are delta attention
    from layer_types, else linear_attn_config's full_attn_layers and kda_layers (1-based), else layers 4, 8, 12, ...
    attend fully; which MLPs are dense from mlp_layer_types, else the first first_k_dense_replace (default 1)."""
    n = params["n_layers"][1]
    nested = cfg.raw("linear_attn_config", None)
    cfg.read.update({"linear_attn_config", "layer_types", "mlp_layer_types", "first_k_dense_replace"})
    if nested is not None and not isinstance(nested, dict):
        raise cfg.error("linear_attn_config", "must be an object")
    nested = nested or {}
    for key, field in _KIMI_LINEAR_CONFIG.items():
        given = key in nested
        value = nested[key] if given else cfg.raw(field, DEFAULTS["kimi_linear"][field])
        name = {"linear_num_heads": "kda_n_heads", "linear_head_dim": "kda_head_dim"}.get(field, "kda_conv")
        params[name] = ("linear_attn_config" if given else field, _kimi_whole(cfg, f"linear_attn_config.{key}"
                                                                             if given else field, value))
    kinds = cfg.raw("layer_types", None)
    if kinds is not None:
        if not isinstance(kinds, list) or len(kinds) != n or any(k not in ("full_attention", "linear_attention")
                                                                 for k in kinds):  # fmt: skip
            raise cfg.error("layer_types", f"must list {n} layers (num_hidden_layers), each full_attention or "
                                           "linear_attention")  # fmt: skip
        linear = [i for i, k in enumerate(kinds) if k == "linear_attention"]
    elif "full_attn_layers" in nested and "kda_layers" in nested:
        full, kda = nested["full_attn_layers"], nested["kda_layers"]
        listed = [*full, *kda] if isinstance(full, list) and isinstance(kda, list) else [None]
        if any(isinstance(i, bool) or not isinstance(i, int) for i in listed) or sorted(listed) != list(range(1, n + 1)):
            raise cfg.error("linear_attn_config", f"full_attn_layers and kda_layers must share out layers 1 to {n} "
                                                  "(num_hidden_layers), each once")  # fmt: skip
        linear = sorted(i - 1 for i in kda)
    else:
        linear = [i for i in range(n) if not (i and i % 4 == 0)]
    params["linear_layers"] = ("layer_types", linear)
    mlp = cfg.raw("mlp_layer_types", None)
    if mlp is None:
        first = cfg.int("first_k_dense_replace", 1, minimum=0)
        params["first_dense"] = ("first_k_dense_replace", min(first, n))
        return
    if not isinstance(mlp, list) or len(mlp) != n or any(k not in ("dense", "sparse") for k in mlp):
        raise cfg.error("mlp_layer_types", f"must list {n} layers (num_hidden_layers), each dense or sparse")
    params["dense_layers"] = ("mlp_layer_types", [i for i, k in enumerate(mlp) if k == "dense"])


def _kimi_checks(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (Kimi Linear): the experts used per token decide the active count (null refused); the latent
    attention repeats its keys num_attention_heads // num_key_value_heads times, so that must divide evenly
    (null: as many as the heads), though no shape depends on it."""
    if params["top_k"][1] is None:
        raise cfg.error("num_experts_per_tok", "missing or null: the experts used per token decide the active count")
    heads = params["n_heads"][1]
    kv = cfg.int("num_key_value_heads", DEFAULTS["kimi_linear"]["num_key_value_heads"], nullable=True) or heads
    if heads % kv:
        raise cfg.error("num_key_value_heads", f"{kv} does not divide num_attention_heads ({heads}): transformers' "
                                               "latent attention could not run")  # fmt: skip


KIMI_LINEAR = Row(
    "kimi_linear", "deepseek-v2", causal_classes("KimiLinear"),
    reads={**DECODER_READS, "q_lora_rank": "q_lora_rank?", "kv_lora_rank": "kv_lora_rank",
           "qk_nope_head_dim": "qk_nope_head_dim", "qk_rope_head_dim": "qk_rope_head_dim", "v_head_dim": "v_head_dim",
           "attention_bias": "attention_bias", "d_ff": "intermediate_size", "expert_d_ff": "moe_intermediate_size",
           "n_experts": "num_local_experts|num_experts", "top_k": "num_experts_per_tok|num_experts_per_token?",
           "n_shared_experts": "n_shared_experts|num_shared_experts"},
    # transformers' KimiLinearForCausalLM ties nothing (_tied_weights_keys is empty), whatever tie_word_embeddings says
    defaults=DEFAULTS["kimi_linear"], fixed={"moe_names": "kimi", "router_score_bias": True, "tie_word_embeddings": False},
    rules=(lm_head, _kimi_checks, _kimi_layers,
           expect("moe_layer_freq", (1,), "transformers ignores it: the MoE layers would be ambiguous"),
           expect("num_nextn_predict_layers", (0, None), "transformers' Kimi Linear builds no multi-token prediction")),
    shape_free=_DECODER | _ROUTER | {"num_key_value_heads", "head_dim", "routed_scaling_factor", "n_group",
                                     "num_expert_group", "topk_group", "moe_renormalize", "model_max_length",
                                     "linear_num_heads", "linear_head_dim", "linear_conv_kernel_dim", "mla_use_nope",
                                     "use_grouped_topk", "moe_router_activation_func", "qk_head_dim"},
    description="Kimi Linear: Kimi Delta Attention and latent attention layers, routed and shared experts",
)  # fmt: skip


def _llama4_moe_layers(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (Llama 4): the MoE layers: moe_layers when given (the others dense), else every
    interleave_moe_layer_step-th layer (layers k - 1, 2k - 1, ...; Llama4TextConfig)."""
    n = params["n_layers"][1]
    step = cfg.int("interleave_moe_layer_step", DEFAULTS["llama4_text"]["interleave_moe_layer_step"])
    listed = cfg.raw("moe_layers", None)
    if listed is None:
        params["moe_every"] = ("interleave_moe_layer_step", step)
        return
    moe = cfg.int_list("moe_layers", [])
    if any(i >= n for i in moe):
        raise cfg.error("moe_layers", f"layer {max(moe)} does not exist (num_hidden_layers is {n})")
    k = min(moe) + 1 if moe else 1
    if moe and sorted(set(moe)) == list(range(k - 1, n, k)):
        params["moe_every"] = ("moe_layers", k)
    else:
        params["dense_layers"] = ("moe_layers", [i for i in range(n) if i not in set(moe)])


def _llama4_chunks(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (Llama 4): which layers attend in chunks of attention_chunk_size (layer_types, else the layers with
    rotary positions: no_rope_layers, else all but every no_rope_layer_interval-th); a chunked layer caches at most
    one chunk, so it is counted as a sliding window of that many tokens (no parameters either way)."""
    n = params["n_layers"][1]
    chunk = cfg.int("attention_chunk_size", DEFAULTS["llama4_text"]["attention_chunk_size"], nullable=True)
    types = cfg.raw("layer_types", None)
    cfg.read.update({"no_rope_layers", "no_rope_layer_interval"})
    if types is None:
        rope = cfg.raw("no_rope_layers", None)
        if not rope:  # null or empty: transformers' default
            k = cfg.int("no_rope_layer_interval", DEFAULTS["llama4_text"]["no_rope_layer_interval"])
            rope = [int((i + 1) % k != 0) for i in range(n)]
        if not isinstance(rope, list) or len(rope) < n or any(v not in (0, 1) or isinstance(v, float) for v in rope):
            raise cfg.error("no_rope_layers", f"must list 0 or 1 for each of the {n} layers (num_hidden_layers)")
        types = ["chunked_attention" if r and chunk is not None else "full_attention" for r in rope[:n]]
    elif not isinstance(types, list) or any(t not in ("chunked_attention", "full_attention") for t in types):
        raise cfg.error("layer_types", "must be a list of chunked_attention or full_attention")
    elif "chunked_attention" in types and chunk is None:
        raise cfg.error("attention_chunk_size", "must be given for chunked_attention layers")
    windows = layer_types_params(cfg, ["sliding_attention" if t == "chunked_attention" else t for t in types], n)
    params.update(windows)
    if "chunked_attention" in types:
        params["sliding_window"] = ("attention_chunk_size", chunk)


LLAMA4_TEXT = Row(
    "llama4_text", "llama-moe", ("Llama4ForCausalLM", "Llama4TextModel"),
    reads={**DECODER_READS, **ATTENTION_BIAS_READS, "n_kv_heads": "num_key_value_heads?", "head_dim": "head_dim?",
           "d_ff": "intermediate_size_mlp", "expert_d_ff": "intermediate_size", "n_experts": "num_local_experts",
           "top_k": "num_experts_per_tok"},
    defaults=DEFAULTS["llama4_text"], fixed={"style": "llama4", "n_shared_experts": 1},
    rules=(*DECODER_RULES, _llama4_moe_layers, _llama4_chunks),
    # use_qk_norm: Llama 4's query/key norms learn no weight; no_rope_layers says where rotary positions are skipped
    shape_free=_DECODER | _ROUTER | {"router_jitter_noise", "use_qk_norm", "attn_temperature_tuning", "floor_scale",
                                     "attn_scale"},
    description="Llama 4 (language model): routed experts and a shared expert in interleaved layers, chunked "
                "attention, layers without rotary positions",
)  # fmt: skip


def _longcat(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (LongCat-Flash): num_layers layers (num_hidden_layers, transformers' other spelling, counts the
    attention sublayers: twice as many); qk_head_dim, settable, must be qk_nope_head_dim + qk_rope_head_dim (the
    key and query widths disagree otherwise); num_key_value_heads must divide the heads (the latent attention
    repeats its keys, though no shape depends on it)."""
    n = params["n_layers"][1]
    if cfg.has("num_hidden_layers"):
        sublayers = cfg.int("num_hidden_layers", 2 * n, minimum=2)
        if cfg.has("num_layers") and sublayers != 2 * n:
            raise cfg.error("num_hidden_layers", f"{sublayers} disagrees with num_layers ({n}): LongCat-Flash has two "
                                                 "attention sublayers per layer")  # fmt: skip
        params["n_layers"] = ("num_hidden_layers", sublayers // 2)
    width = params["qk_nope_head_dim"][1] + params["qk_rope_head_dim"][1]
    given = cfg.int("qk_head_dim", None, nullable=True)
    if given is not None and given != width:
        raise cfg.error("qk_head_dim", f"must be qk_nope_head_dim + qk_rope_head_dim ({width}), as the keys are")
    heads = params["n_heads"][1]
    if heads < 1:  # the family checks it, after this rule divides by it
        raise cfg.error(params["n_heads"][0], f"must be at least 1, got {heads}")
    kv = cfg.int("num_key_value_heads", None, nullable=True) or heads
    if heads % kv:
        raise cfg.error("num_key_value_heads", f"{kv} does not divide num_attention_heads ({heads}): transformers' "
                                               "latent attention could not run")  # fmt: skip


LONGCAT_FLASH = Row(
    "longcat_flash", "longcat-flash", causal_classes("LongcatFlash"),
    reads={"vocab_size": "vocab_size", "d_model": "hidden_size", "n_layers": "num_layers",
           "n_heads": "num_attention_heads", "tie_word_embeddings": "tie_word_embeddings", "q_lora_rank": "q_lora_rank",
           "kv_lora_rank": "kv_lora_rank", "qk_nope_head_dim": "qk_nope_head_dim", "qk_rope_head_dim": "qk_rope_head_dim",
           "v_head_dim": "v_head_dim", "attention_bias": "attention_bias", "d_ff": "ffn_hidden_size|intermediate_size",
           "n_experts": "n_routed_experts|num_local_experts", "n_zero_experts": "zero_expert_num",
           "top_k": "moe_topk|num_experts_per_tok", "expert_d_ff": "expert_ffn_hidden_size|moe_intermediate_size",
           "router_bias": "router_bias"},
    # router_bias is no field of LongcatFlashConfig: transformers' router reads it with getattr, default false
    defaults={**DEFAULTS["longcat_flash"], "router_bias": False},
    rules=(lm_head, _longcat),
    shape_free=_DECODER | _ROUTER | {"head_dim", "routed_scaling_factor", "mla_scale_q_lora", "mla_scale_kv_lora",
                                     "zero_expert_type", "mtp_num_layers", "num_key_value_heads", "qk_head_dim"},
    description="LongCat-Flash: two latent-attention sublayers per layer beside a shortcut MoE whose router also picks "
                "zero-computation experts",
)  # fmt: skip

#: Every row of this plugin (the module's docstring lists them).
ROWS = (QWEN3_5_TEXT, QWEN3_5_MOE_TEXT, MINIMAX, KIMI_LINEAR, LLAMA4_TEXT, LONGCAT_FLASH)


@hookimpl
def register_model_types(register):
    """Map the hybrid and linear-attention model types of 2026 (see the module's docstring)."""
    for row in ROWS:
        register(row)

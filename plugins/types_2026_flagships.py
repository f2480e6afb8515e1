"""The Hugging Face model types of the 2026 flagships' language models, as rows of data.

glm_moe_dsa (GLM-5, GLM-5.1; family ``deepseek-v2`` of :mod:`registry.plugins.deepseek`):
DeepSeek-V3.2's layout (multi-head latent attention with the lightning indexer, dense first
layers, routed and shared experts) whose layers may share the previous layer's top-k and then
hold no indexer (``indexer_types``), and whose multi-token-prediction layer shares the model's
embedding and head. One :class:`registry.Row` each (config field -> hyper-parameter,
transformers' defaults from :mod:`registry.plugins.generated_defaults`, the switches the type
sets), and a rule where the logic is real.

deepseek_v4 (DeepSeek-V4-Flash, DeepSeek-V4-Pro; family ``deepseek-v4`` of :mod:`registry.plugins.deepseek_v4`):
each layer's attention sliding, compressed sparse (CSA) or heavily compressed (HCA), read from
``layer_types`` or the checkpoints' ``compress_ratios`` (0, 4, 128 per layer), hyper-connections, and
routed experts in every layer.

mistral4 (Mistral Small 4's language model; family ``deepseek-v2``): DeepSeek-V3's layout, multi-head latent
attention and routed plus shared experts, with a router that keeps no score-correction bias.

gemma4_text (Gemma 4's language model; family ``gemma4`` of :mod:`registry.plugins.gemma4`): sliding and
global layers of different head widths and key/value heads, keys as values on the global layers,
kv-shared last layers, per-layer inputs, and experts beside the MLP.
"""

from __future__ import annotations

from registry import ConfigReader, Params, Row, hookimpl
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.hf_common import DECODER_READS, DECODER_SHAPE_FREE, ROUTER, causal_classes, lm_head
from registry.plugins.moe_model_types import mlp_layer_types

_DECODER, _ROUTER = frozenset(DECODER_SHAPE_FREE), frozenset(ROUTER)


def _indexer_types(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (GLM-5): which layers run their own lightning indexer (``"full"``) and which reuse the previous
    full layer's top-k and hold none (``"shared"``), as GlmMoeDsaConfig derives them: ``indexer_types``
    when given, else ``index_topk_pattern`` (a string of F and S, or a list), else every
    ``index_topk_freq``-th layer counted from ``index_skip_topk_offset - 1`` (defaults 1 and 2: every layer)."""
    n_layers = params["n_layers"][1]
    kinds, field = cfg.raw("indexer_types", None), "indexer_types"
    pattern = cfg.raw("index_topk_pattern", None)
    freq, offset = cfg.raw("index_topk_freq", 1), cfg.raw("index_skip_topk_offset", 2)
    if kinds is None and pattern is not None:
        field = "index_topk_pattern"
        if isinstance(pattern, str):
            if any(c not in "FS" for c in pattern):
                raise cfg.error(field, "must be a string of F (full) and S (shared), or a list of full and shared")
            kinds = [{"F": "full", "S": "shared"}[c] for c in pattern]
        else:
            kinds = pattern
    if kinds is None:
        for key, value in (("index_topk_freq", freq), ("index_skip_topk_offset", offset)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise cfg.error(key, f"must be a whole number (got {value!r})")
        freq = max(freq, 1)
        params["index_shared_layers"] = ("index_topk_freq", [i for i in range(n_layers) if max(i - offset + 1, 0) % freq])
        return
    if not isinstance(kinds, list) or any(k not in ("full", "shared") for k in kinds):
        raise cfg.error(field, "must be a list of full or shared")
    if len(kinds) < n_layers:
        raise cfg.error(field, f"lists {len(kinds)} layers, num_hidden_layers is {n_layers}")
    params["index_shared_layers"] = (field, [i for i, k in enumerate(kinds[:n_layers]) if k == "shared"])


GLM_MOE_DSA = Row(
    "glm_moe_dsa", "deepseek-v2", causal_classes("GlmMoeDsa"),
    reads={**DECODER_READS, "q_lora_rank": "q_lora_rank", "kv_lora_rank": "kv_lora_rank",
           "qk_nope_head_dim": "qk_nope_head_dim", "qk_rope_head_dim": "qk_rope_head_dim", "v_head_dim": "v_head_dim",
           "attention_bias": "attention_bias", "d_ff": "intermediate_size", "index_n_heads": "index_n_heads",
           "index_head_dim": "index_head_dim", "n_experts": "n_routed_experts|num_local_experts",
           "top_k": "num_experts_per_tok", "expert_d_ff": "moe_intermediate_size", "n_shared_experts": "n_shared_experts",
           "first_dense": "first_k_dense_replace", "mtp_layers": "num_nextn_predict_layers"},
    # num_nextn_predict_layers is no field of GlmMoeDsaConfig: it says what the published checkpoints hold
    defaults={**DEFAULTS["glm_moe_dsa"], "num_nextn_predict_layers": 0},
    fixed={"router_score_bias": True, "mtp_embeddings": False},
    rules=(lm_head, mlp_layer_types, _indexer_types),
    shape_free=_DECODER | _ROUTER | {"routed_scaling_factor", "n_group", "topk_group", "num_key_value_heads", "head_dim",
                                     "mlp_bias", "index_topk", "layer_types", "rope_interleave", "qk_head_dim",
                                     "indexer_rope_interleave", "index_share_for_mtp_iteration", "topk_method",
                                     "scoring_func", "ep_size", "moe_router_dtype"},
    description="GLM-5: DeepSeek-V3.2's latent attention and lightning indexer, layers sharing the indexer's top-k",
)  # fmt: skip

#: DeepseekV4Config's layer kinds, and the per-layer compression ratios its published configs give instead.
_V4_KINDS = {"sliding_attention": "sliding", "compressed_sparse_attention": "csa", "heavily_compressed_attention": "hca"}
_V4_RATIOS = {0: "sliding_attention", 4: "compressed_sparse_attention", 128: "heavily_compressed_attention"}


def _v4_layers(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (DeepSeek-V4): each layer's attention, as DeepseekV4Config derives it: ``layer_types`` when given,
    else ``compress_ratios`` (0: sliding, 4: CSA, 128: HCA per layer; the published configs list the MTP layer
    too), else two HCA layers then CSA and HCA alternating; cut to ``num_hidden_layers``. The compression rates
    come from ``compress_rates`` (or ``compress_rate_csa`` / ``compress_rate_hca``); ``mlp_layer_types`` (hash or
    scored routing) changes no shape but is checked as transformers checks it."""
    n = params["n_layers"][1]
    kinds, field = cfg.raw("layer_types", None), "layer_types"
    ratios = cfg.raw("compress_ratios", None)
    if kinds is None and ratios is not None:
        field = "compress_ratios"
        if not isinstance(ratios, list) or any(isinstance(r, bool) or r not in _V4_RATIOS for r in ratios):
            raise cfg.error(field, "must be a list of 0, 4 or 128 (sliding, compressed sparse, heavily compressed)")
        kinds = [_V4_RATIOS[r] for r in ratios]
    if kinds is None:
        kinds = ["heavily_compressed_attention"] * min(n, 2) + [
            "compressed_sparse_attention" if i % 2 else "heavily_compressed_attention" for i in range(max(n - 2, 0))]
    if not isinstance(kinds, list) or any(k not in _V4_KINDS for k in kinds):
        raise cfg.error(field, f"must be a list of {', '.join(_V4_KINDS)}")
    if len(kinds) < n:
        raise cfg.error(field, f"lists {len(kinds)} layers, num_hidden_layers is {n}")
    params["layer_types"] = (field, [_V4_KINDS[k] for k in kinds[:n]])
    rates = cfg.raw("compress_rates", None) or {}
    if not isinstance(rates, dict):
        raise cfg.error("compress_rates", "must be an object of compressed_sparse_attention and heavily_compressed_attention")
    for key, legacy, name, default in (("compressed_sparse_attention", "compress_rate_csa", "csa_rate", 4),
                                       ("heavily_compressed_attention", "compress_rate_hca", "hca_rate", 128)):
        value, where = cfg.raw(legacy, None), legacy
        if value is None:
            value, where = rates.get(key, default), "compress_rates"
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise cfg.error(where, f"the rate of {key} must be a whole number >= 1 (got {value!r})")
        params[name] = (where, value)
    mlp = cfg.raw("mlp_layer_types", None)
    if mlp is not None and (not isinstance(mlp, list) or any(k not in ("hash_moe", "moe") for k in mlp)
                            or len(mlp) < n):  # fmt: skip
        raise cfg.error("mlp_layer_types", f"must list hash_moe or moe for each of the {n} layers")


DEEPSEEK_V4 = Row(
    "deepseek_v4", "deepseek-v4", causal_classes("DeepseekV4"),
    reads={**DECODER_READS, "head_dim": "head_dim", "q_lora_rank": "q_lora_rank", "o_groups": "o_groups",
           "o_lora_rank": "o_lora_rank", "sliding_window": "sliding_window", "index_n_heads": "index_n_heads",
           "index_head_dim": "index_head_dim", "hc_mult": "hc_mult", "n_experts": "n_routed_experts|num_local_experts",
           "top_k": "num_experts_per_tok", "expert_d_ff": "moe_intermediate_size|intermediate_size",
           "mlp_bias": "mlp_bias", "mtp_layers": "num_nextn_predict_layers"},
    defaults=DEFAULTS["deepseek_v4"], rules=(lm_head, _v4_layers),
    # n_shared_experts: transformers builds one shared expert whatever it says; num_key_value_heads: one key/value
    # head always; num_hash_layers: the hash-routed layers (mlp_layer_types), whose shapes are the scored ones'
    shape_free=_DECODER | _ROUTER | {"n_shared_experts", "num_key_value_heads", "num_hash_layers", "attention_bias",
                                     "qk_rope_head_dim", "partial_rotary_factor", "compress_rope_theta", "hc_eps",
                                     "hc_sinkhorn_iters", "index_topk", "routed_scaling_factor", "scoring_func",
                                     "swiglu_limit", "topk_method", "expert_dtype", "n_group", "topk_group"},
    description="DeepSeek-V4: sliding, compressed sparse and heavily compressed attention, hyper-connections, MoE",
)  # fmt: skip

MISTRAL4 = Row(
    "mistral4", "deepseek-v2", causal_classes("Mistral4"),
    reads={**DECODER_READS, "q_lora_rank": "q_lora_rank?", "kv_lora_rank": "kv_lora_rank",
           "qk_nope_head_dim": "qk_nope_head_dim", "qk_rope_head_dim": "qk_rope_head_dim", "v_head_dim": "v_head_dim",
           "attention_bias": "attention_bias", "d_ff": "intermediate_size", "n_experts": "n_routed_experts|num_local_experts",
           "top_k": "num_experts_per_tok", "expert_d_ff": "moe_intermediate_size", "n_shared_experts": "n_shared_experts",
           "first_dense": "first_k_dense_replace"},
    defaults=DEFAULTS["mistral4"], rules=(lm_head,),
    # head_dim and qk_head_dim: Mistral4Config sets both to qk_nope_head_dim + qk_rope_head_dim
    shape_free=_DECODER | _ROUTER | {"routed_scaling_factor", "n_group", "topk_group", "num_key_value_heads", "head_dim",
                                     "qk_head_dim", "rope_interleave"},
    description="Mistral Small 4's language model: DeepSeek-V3's latent attention and routed plus shared experts",
)  # fmt: skip

_GEMMA4_KINDS = {"sliding_attention": "sliding", "full_attention": "full"}
#: The per-layer overrides of a Gemma 4 layer that registry reads; the others it lets pass hold no parameters.
_GEMMA4_OVERRIDES = ("head_dim", "num_key_value_heads")
_GEMMA4_SHAPE_FREE_OVERRIDES = ("rope_parameters", "sliding_window")


def _gemma4_per_layer(cfg: ConfigReader, params: Params) -> None:
    """Rule (Gemma 4): ``per_layer_config``, layer index -> overrides. ``Gemma4TextConfig`` builds it from
    ``global_head_dim`` and ``num_global_key_value_heads`` (which it then drops) and ``to_dict`` writes it, so a config
    saved by transformers 5.25 gives the full layers' head width here only. The full layers must agree (registry
    models one width for them), the sliding layers keep ``head_dim`` and ``num_key_value_heads``, and a
    ``global_head_dim`` also given must agree, since transformers ignores it beside ``per_layer_config``."""
    table = cfg.raw("per_layer_config")
    if not isinstance(table, dict):
        raise cfg.error("per_layer_config", "must be an object of layer index -> overrides")
    kinds = params["layer_types"][1]
    base = {"head_dim": params["head_dim"][1], "num_key_value_heads": params["n_kv_heads"][1]}
    full: set[tuple[int, int]] = set()
    for i, kind in enumerate(kinds):
        found = [k for k in table if isinstance(k, str) and k.isdigit() and int(k) == i]
        if len(found) > 1:
            raise cfg.error(f"per_layer_config.{found[1]}", f"layer {i} is given twice ({found[0]} and {found[1]})")
        overrides = table[found[0]] if found else {}
        where = f"per_layer_config.{found[0]}" if found else "per_layer_config"
        if not isinstance(overrides, dict):
            raise cfg.error(where, "must be an object of field -> value")
        for key, value in overrides.items():
            if key not in _GEMMA4_OVERRIDES + _GEMMA4_SHAPE_FREE_OVERRIDES:
                raise cfg.error(f"{where}.{key}", f"a per-layer {key} is not modelled (registry reads "
                                                  f"{' and '.join(_GEMMA4_OVERRIDES)})")  # fmt: skip
            if key in _GEMMA4_OVERRIDES and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise cfg.error(f"{where}.{key}", f"must be a positive whole number, not {value!r}")
        shape = tuple(overrides.get(k, base[k]) for k in _GEMMA4_OVERRIDES)
        if kind == "full":
            full.add(shape)
        elif shape != tuple(base.values()):
            raise cfg.error(where, f"overrides sliding layer {i}'s head_dim or num_key_value_heads, which registry "
                                   "does not model (only the full layers have widths of their own)")  # fmt: skip
    unknown = [k for k in table if not (isinstance(k, str) and k.isdigit() and int(k) < len(kinds))]
    if unknown:
        raise cfg.error(f"per_layer_config.{unknown[0]}", f"is not a layer index below num_hidden_layers ({len(kinds)})")
    if len(full) > 1:
        raise cfg.error("per_layer_config", f"the full layers have different widths {sorted(full)}; registry models "
                                            "one head_dim and num_key_value_heads for them")  # fmt: skip
    (head_dim, kv_heads), = full or {tuple(base.values())}
    given = cfg.raw("global_head_dim", None)
    if given is not None and given != head_dim:
        raise cfg.error("global_head_dim", f"is {given!r}, but per_layer_config gives the full layers head_dim "
                                           f"{head_dim} (transformers reads per_layer_config)")  # fmt: skip
    given = cfg.raw("num_global_key_value_heads", None)
    if given is not None and params["k_eq_v"][1] and given != kv_heads:
        raise cfg.error("num_global_key_value_heads", f"is {given!r}, but per_layer_config gives the full layers "
                                                      f"num_key_value_heads {kv_heads} (transformers reads per_layer_config)")  # fmt: skip
    params["global_head_dim"] = ("per_layer_config", head_dim)
    if kv_heads != base["num_key_value_heads"] and not params["k_eq_v"][1]:
        raise cfg.error("per_layer_config", "gives the full layers num_key_value_heads of their own without "
                                            "attention_k_eq_v, which registry does not model")  # fmt: skip
    params["n_global_kv_heads"] = ("per_layer_config", kv_heads)


def _gemma4_layers(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (Gemma 4): each layer's attention as Gemma4TextConfig derives it (``layer_types``, else every sixth
    layer full, the last layer full whatever the list says); the experts only with ``enable_moe_block``; a
    config's ``per_layer_config`` (what transformers 5.25 writes in place of ``global_head_dim``) as
    :func:`_gemma4_per_layer` reads it."""
    n = params["n_layers"][1]
    kinds = cfg.raw("layer_types", None)
    if kinds is None:
        kinds = ["sliding_attention" if (i + 1) % 6 else "full_attention" for i in range(n)]
    if not isinstance(kinds, list) or any(k not in _GEMMA4_KINDS for k in kinds):
        raise cfg.error("layer_types", "must be a list of sliding_attention or full_attention")
    if len(kinds) != n:
        raise cfg.error("layer_types", f"lists {len(kinds)} layers, num_hidden_layers is {n}")
    params["layer_types"] = ("layer_types", [_GEMMA4_KINDS[k] for k in kinds[:-1]] + ["full"])
    if cfg.raw("per_layer_config", None) is not None:
        _gemma4_per_layer(cfg, params)
    if not cfg.bool("enable_moe_block", False):
        for key in ("n_experts", "top_k", "expert_d_ff"):
            params[key] = ("enable_moe_block", None)
        return
    for key, field in (("n_experts", "num_experts"), ("top_k", "top_k_experts"), ("expert_d_ff", "moe_intermediate_size")):
        if params[key][1] is None:
            raise cfg.error(field, "required with enable_moe_block (transformers cannot build the experts without it)")


GEMMA4_TEXT = Row(
    "gemma4_text", "gemma4", ("Gemma4ForCausalLM", "Gemma4TextModel"),
    reads={**DECODER_READS, "n_kv_heads": "num_key_value_heads", "head_dim": "head_dim",
           "global_head_dim": "global_head_dim", "n_global_kv_heads": "num_global_key_value_heads?",
           "k_eq_v": "attention_k_eq_v", "attention_bias": "attention_bias", "d_ff": "intermediate_size",
           "double_wide": "use_double_wide_mlp", "sliding_window": "sliding_window",
           "kv_shared_layers": "num_kv_shared_layers", "per_layer_dim": "hidden_size_per_layer_input",
           "per_layer_vocab": "vocab_size_per_layer_input", "n_experts": "num_experts?", "top_k": "top_k_experts?",
           "expert_d_ff": "moe_intermediate_size?"},
    # global_head_dim and num_global_key_value_heads are no fields of Gemma4TextConfig: its __post_init__ reads them
    defaults={**DEFAULTS["gemma4_text"], "global_head_dim": 512, "num_global_key_value_heads": None},
    rules=(lm_head, _gemma4_layers),
    # expert_intermediate_size: an early name of moe_intermediate_size that transformers 5.25 no longer reads
    shape_free=_DECODER | {"hidden_activation", "final_logit_softcapping", "use_bidirectional_attention",
                           "expert_intermediate_size", "enable_moe_block", "layer_types"},
    description="Gemma 4's language model: sliding and global attention, keys as values, shared caches, experts",
)  # fmt: skip

#: Every row of this plugin (the module's docstring lists them).
ROWS = (GLM_MOE_DSA, DEEPSEEK_V4, MISTRAL4, GEMMA4_TEXT)


@hookimpl
def register_model_types(register):
    """Map the 2026 flagships' language-model types (see the module's docstring)."""
    for row in ROWS:
        register(row)

"""The Hugging Face model types of the 2026 flagships' language models, as rows of data.

glm_moe_dsa (GLM-5, GLM-5.1; family ``deepseek-v2`` of :mod:`registry.plugins.deepseek`):
DeepSeek-V3.2's layout (multi-head latent attention with the lightning indexer, dense first
layers, routed and shared experts) whose layers may share the previous layer's top-k and then
hold no indexer (``indexer_types``), and whose multi-token-prediction layer shares the model's
embedding and head. One :class:`registry.Row` each (config field -> hyper-parameter,
transformers' defaults from :mod:`registry.plugins.generated_defaults`, the switches the type
sets), and a rule where the logic is real.
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

#: Every row of this plugin (the module's docstring lists them).
ROWS = (GLM_MOE_DSA,)


@hookimpl
def register_model_types(register):
    """Map the 2026 flagships' language-model types (see the module's docstring)."""
    for row in ROWS:
        register(row)

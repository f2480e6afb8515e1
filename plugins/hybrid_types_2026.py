"""The Hugging Face model types of the hybrid and linear-attention language models of 2026, as rows of data.

qwen3_5_text and qwen3_5_moe_text (the language models of Qwen3.5 and Qwen3.5-MoE, family ``qwen3-next`` of
:mod:`registry.plugins.hybrid_attention`: gated DeltaNet with split input projections beside gated full
attention): one :class:`registry.Row` each, with transformers' defaults from
:mod:`registry.plugins.generated_defaults`, and rules where the logic is real.
"""

from __future__ import annotations

from registry import ConfigReader, Params, Row, hookimpl
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.hf_common import (
    ATTENTION_BIAS_READS, DECODER_READS, DECODER_RULES, DECODER_SHAPE_FREE, ROUTER, causal_classes, expect,
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

#: Every row of this plugin (the module's docstring lists them).
ROWS = (QWEN3_5_TEXT, QWEN3_5_MOE_TEXT)


@hookimpl
def register_model_types(register):
    """Map the hybrid and linear-attention model types of 2026 (see the module's docstring)."""
    for row in ROWS:
        register(row)

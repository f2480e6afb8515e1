"""Mixture-of-experts decoders of 2025-26, as rows of data (second set): hy_v3 (``llama-moe``, in
:mod:`registry.plugins.llama`): one :class:`registry.Row` each (config field -> hyper-parameter, transformers'
defaults from :mod:`registry.plugins.generated_defaults`, the switches the type sets), and rules of a few lines
where the logic is real.

Hy3 (``HYV3Config``, Tencent's Hy3-preview): a Llama-style decoder with per-head query/key RMS norms, dense layers
where ``mlp_layer_types`` says ``dense`` (default: layer 0), and elsewhere a sigmoid router ``mlp.gate`` over
``num_experts`` stacked SwiGLU experts with one always-on MLP ``mlp.shared_experts`` of
``num_shared_experts × moe_intermediate_size`` (zero shared experts: transformers falls back to a shared MLP of
``intermediate_size``). The checkpoints also hold each MoE block's ``mlp.e_score_correction_bias`` (a buffer) and
``num_nextn_predict_layers`` multi-token-prediction layers after the last (``model.layers.80.*``, which
HYV3ForCausalLM ignores on load); neither is counted.
"""

from __future__ import annotations

from registry import ConfigReader, Params, Row, hookimpl
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.hf_common import DECODER_READS, DECODER_RULES, DECODER_SHAPE_FREE, ROUTER, causal_classes
from registry.plugins.moe_model_types import mlp_layer_types

#: Hy3's routing settings: they change which experts are picked and how outputs combine, not shapes.
_HY_ROUTING = frozenset(("router_scaling_factor", "enable_moe_fp32_combine"))


def _hy_v3_layers(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (Hy3): ``mlp_layer_types`` (default, HYV3Config.__post_init__: layer 0 dense, the others sparse)."""
    params["first_dense"] = ("mlp_layer_types", 1)
    mlp_layer_types(cfg, cls, params)


def _hy_v3_experts(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (Hy3): the shared MLP is ``num_shared_experts × moe_intermediate_size`` wide, ``intermediate_size``
    when that is 0 (HYV3MLP takes ``intermediate_size or config.intermediate_size``); ``mlp_bias`` would put
    biases on the dense and shared MLPs but not on the stacked experts, a layout not modelled: refused."""
    cfg.expect("mlp_bias", (False,), "biases on the dense and shared MLPs beside unbiased experts are not modelled")
    key, shared = params["n_shared_experts"]
    width = shared * params["expert_d_ff"][1] if shared else params["d_ff"][1]
    params["shared_d_ff"] = (key, width)
    params["n_shared_experts"] = (key, 1)


#: Hy3 (HYV3Config): per-head q/k norms, a sigmoid router, stacked experts and a shared MLP, layer 0 dense.
HY_V3 = Row(
    "hy_v3", "llama-moe", causal_classes("HYV3"),
    reads={**DECODER_READS, "qkv_bias": "attention_bias", "out_bias": "attention_bias", "d_ff": "intermediate_size",
           "n_kv_heads": "num_key_value_heads", "head_dim": "head_dim", "n_experts": "num_experts|num_local_experts",
           "top_k": "num_experts_per_tok", "expert_d_ff": "moe_intermediate_size",
           "n_shared_experts": "num_shared_experts", "mtp_layers": "num_nextn_predict_layers"},
    # num_nextn_predict_layers is no field of HYV3Config: it says what the published checkpoints hold
    defaults={**DEFAULTS["hy_v3"], "num_nextn_predict_layers": 0},
    fixed={"style": "deepseek", "qk_norm": "head", "router_score_bias": True, "router_score_bias_in_block": True},
    rules=(*DECODER_RULES, _hy_v3_layers, _hy_v3_experts),
    shape_free=frozenset(DECODER_SHAPE_FREE) | frozenset(ROUTER) | _HY_ROUTING,
    description="Hy3 (Tencent): GQA with q/k norms, a sigmoid router over stacked experts and a shared MLP, "
                "layer 0 dense, an MTP layer in the checkpoints",
)  # fmt: skip

#: Every row of this plugin (the module's docstring lists them).
ROWS = (HY_V3,)


@hookimpl
def register_model_types(register):
    """Map the mixture-of-experts decoders of this module (see its docstring)."""
    for row in ROWS:
        register(row)

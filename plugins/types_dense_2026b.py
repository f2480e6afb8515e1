"""Decoder model types of 2025-26, as rows of data.

jais2 (Jais 2: LayerNorms with shifts, a plain up/down MLP with biases, ReLU²) and hyperclovax
(HyperCLOVA X SEED: Granite's decoder with ``post_norm1``/``post_norm2`` after each sublayer,
the ``peri`` norm layout, when ``use_post_norm``) on the ``llama`` family, and doge (SmallDoge) on its own
family (:mod:`registry.plugins.doge`): one :class:`registry.Row` each (config field ->
hyper-parameter, transformers' defaults from :mod:`registry.plugins.generated_defaults`, the switches
the type sets), and rules of a few lines where the logic is real. The llama family and its switches
are in :mod:`registry.plugins.llama`.
"""

from __future__ import annotations

from registry import ConfigReader, Params, Row, Rule, hookimpl
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.hf_common import (
    ATTENTION_BIAS_READS, DECODER_READS, DECODER_RULES, DECODER_SHAPE_FREE, ROTARY, causal_classes, heads_divide_width,
)  # fmt: skip

#: The attention and MLP widths these rows read (``head_dim`` null or missing: hidden_size // heads).
_GQA = {"d_ff": "intermediate_size", "n_kv_heads": "num_key_value_heads?", "head_dim": "head_dim"}
#: Granite's multipliers (HyperCLOVA X's MuP scalings): they scale activations, not shapes.
_MULTIPLIERS = frozenset(("embedding_multiplier", "logits_scaling", "residual_multiplier", "attention_multiplier"))
#: The shape-free fields of a LayerNorm decoder (Jais 2).
_LAYER_NORM = frozenset(("hidden_act", "layer_norm_eps", "attention_dropout", *ROTARY))


def _activation(model_type: str) -> Rule:
    """Rule factory: an MLP activation with learned scalars (transformers' ``ACT2FN``: xielu, prelu) adds them."""

    def rule(cfg: ConfigReader, cls: str, params: Params) -> None:
        act = cfg.raw("hidden_act", DEFAULTS[model_type]["hidden_act"])
        if act in ("xielu", "prelu"):
            params["act_params"] = ("hidden_act", act)

    rule.__doc__ = f"Rule ({model_type}): learned scalars of the MLP's activation (hidden_act xielu or prelu)."
    return rule


def _post_norms(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (HyperCLOVA X): ``use_post_norm`` adds an RMSNorm after the attention and after the MLP."""
    if cfg.bool("use_post_norm", DEFAULTS["hyperclovax"]["use_post_norm"]):
        params["norm_layout"] = ("use_post_norm", "peri")


def _no_learned_activation(model_type: str) -> Rule:
    """Rule factory: refuse an activation with learned scalars (xielu, prelu), which the family does not hold."""

    def rule(cfg: ConfigReader, cls: str, params: Params) -> None:
        if cfg.raw("hidden_act", DEFAULTS[model_type]["hidden_act"]) in ("xielu", "prelu"):
            raise cfg.error("hidden_act", "an activation with learned scalars (xielu, prelu) is not supported for "
                            f"{model_type}: registry cannot count its parameters")  # fmt: skip

    rule.__doc__ = f"Rule ({model_type}): hidden_act may not be xielu or prelu (learned scalars)."
    return rule


def _row(name: str, prefix: str, reads: dict, shape_free: frozenset, *rules: Rule, fixed: dict | None = None,
         description: str = "", family: str = "llama") -> Row:  # fmt: skip
    return Row(
        name, family, causal_classes(prefix), reads={**DECODER_READS, **reads},
        defaults={"head_dim": None, **DEFAULTS[name]}, fixed=fixed or {}, rules=(*DECODER_RULES, *rules),
        shape_free=shape_free, description=description or f"{prefix} (transformers' {name})",
    )  # fmt: skip


#: Every row of this plugin (the module's docstring lists them).
ROWS = (
    _row("jais2", "Jais2", {**_GQA, **ATTENTION_BIAS_READS, "mlp_bias": "mlp_bias"}, _LAYER_NORM,
         heads_divide_width, _activation("jais2"),
         fixed={"norm": "layer_norm", "norm_bias": True, "gated_mlp": False},
         description="Jais 2 (transformers' jais2: LayerNorm, plain ReLU² MLP with biases)"),
    _row("hyperclovax", "HyperCLOVAX", {**_GQA, **ATTENTION_BIAS_READS, "mlp_bias": "mlp_bias"},
         frozenset(DECODER_SHAPE_FREE) | _MULTIPLIERS, heads_divide_width, _post_norms,
         description="HyperCLOVA X SEED (transformers' hyperclovax: Granite with peri-layer post-norms)"),
    _row("doge", "Doge", {**_GQA, "qkv_bias": "attention_bias", "mlp_bias": "mlp_bias", "sliding_window": "sliding_window?",
                          "moe": "is_moe", "n_experts": "num_experts", "top_k": "num_experts_per_tok"},
         frozenset(("hidden_act", "rms_norm_eps", "attention_dropout", "hidden_dropout", "keep_window_size",
                    "norm_topk_prob", "output_router_logits", "router_aux_loss_coef", *ROTARY)),
         _no_learned_activation("doge"), family="doge",
         description="Doge (transformers' doge: dynamic-mask attention, optional product-key CDMoE)"),
)


@hookimpl
def register_model_types(register):
    """Map jais2, hyperclovax and doge (see the module's docstring)."""
    for row in ROWS:
        register(row)

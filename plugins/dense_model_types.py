"""The dense decoder model types of 2025 on the ``llama`` family, as rows of data.

olmo3, smollm3, exaone4, seed_oss, apertus, helium, ernie4_5, cohere2, arcee, ministral3,
vaultgemma, glm, glm4, bitnet and olmo: one :class:`registry.Row` each (config field ->
hyper-parameter, transformers' defaults from :mod:`registry.plugins.generated_defaults`, the
switches the type sets), and rules of a few lines where transformers' modelling code does something no field says (Helium's output
projection, BitNet's sub-norm, SmolLM3's sliding layers). The switches are the dense
family's, in :mod:`registry.plugins.llama`.
"""

from __future__ import annotations

from registry import ConfigReader, Params, Row, hookimpl
from registry.plugins.attention_windows import layer_types_params, windows
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.hf_common import (
    ATTENTION_BIAS_READS, ATTENTION_READS, DECODER_READS, DECODER_RULES, DECODER_SHAPE_FREE, SLIDING, causal_classes,
    heads_divide_width, remote_class,
)  # fmt: skip

_DECODER = frozenset(DECODER_SHAPE_FREE)
_SLIDING = frozenset(SLIDING)
#: Gemma-style shape-free fields (softcapping, attention scaling, activation names).
_GEMMA = frozenset(("hidden_activation", "query_pre_attn_scalar", "final_logit_softcapping", "attn_logit_softcapping"))
_GQA = {**ATTENTION_READS, **ATTENTION_BIAS_READS}
#: num_key_value_heads where the configuration's default is a number (null refused, as @strict does).
_KV = {"n_kv_heads": "num_key_value_heads"}
#: head_dim where the modelling code takes null for "derive it" (``getattr(config, "head_dim", None) or ...``).
_NULL_HEAD_DIM = {"head_dim": "head_dim?"}


def _activation(model_type: str, field: str):
    """Rule: an MLP activation with learned scalars (transformers' ``ACT2FN``: xielu, prelu) adds them."""

    def rule(cfg: ConfigReader, cls: str, params: Params) -> None:
        act = cfg.raw(field, DEFAULTS[model_type][field])
        if act in ("xielu", "prelu"):
            params["act_params"] = (field, act)

    rule.__doc__ = f"Rule ({model_type}): learned scalars of the MLP's activation ({field} xielu or prelu)."
    return rule


def _width_is_heads(what: str):
    """Rule: a tensor transformers sizes by hidden_size where the attention is heads x head_dim wide: the two
    must agree, or the model cannot run (``what`` names the tensor)."""

    def rule(cfg: ConfigReader, cls: str, params: Params) -> None:
        heads, width = params["n_heads"][1], params["head_dim"][1]
        if heads * width != params["d_model"][1]:
            raise cfg.error(params["head_dim"][0], f"num_attention_heads x head_dim ({heads} x {width}) must equal "
                            f"hidden_size ({params['d_model'][1]}): {what} takes hidden_size features")  # fmt: skip

    rule.__doc__ = f"Rule: heads x head_dim must be hidden_size ({what})."
    return rule


def _exaone4_window(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (EXAONE-4): without sliding_window and layer_types, ``Exaone4Config`` divides by a zero pattern."""
    if cfg.raw("sliding_window", 4096) is None and cfg.raw("layer_types", None) is None:
        raise cfg.error("sliding_window", "null needs layer_types (transformers cannot build the config without)")


def _exaone_mtp(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (EXAONE 4.5's text config): ``num_nextn_predict_layers`` multi-token-prediction layers in the
    checkpoint's ``mtp.*`` (no field of ``Exaone4Config``; absent: none), one stored layer when
    ``mtp_share_layers`` (reused at every depth: llama.cpp's converter copies ``mtp.layers.0``)."""
    n = cfg.int("num_nextn_predict_layers", 0, minimum=0, nullable=True) or 0
    shared = cfg.bool("mtp_share_layers", False)
    params["mtp_layers"] = ("num_nextn_predict_layers", min(n, 1) if shared else n)


def _smollm3_windows(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (SmolLM3): ``layer_types``, else with use_sliding_window the layers without rotary positions
    (``no_rope_layers``, by default every ``no_rope_layer_interval``-th) slide."""
    defaults = DEFAULTS["smollm3"]
    n_layers = params["n_layers"][1]
    window = cfg.int("sliding_window", defaults["sliding_window"], nullable=True)
    use = cfg.bool("use_sliding_window", defaults["use_sliding_window"])
    interval = cfg.int("no_rope_layer_interval", defaults["no_rope_layer_interval"])
    types = cfg.raw("layer_types", None)
    if types is None:
        if not (use and window is not None):
            return
        no_rope = cfg.raw("no_rope_layers", None)
        if no_rope is None:
            no_rope = [int((i + 1) % interval != 0) for i in range(n_layers)]
        elif not isinstance(no_rope, list) or len(no_rope) < n_layers:
            raise cfg.error("no_rope_layers", f"must list at least num_hidden_layers ({n_layers}) flags")
        types = ["full_attention" if no_rope[i] else "sliding_attention" for i in range(n_layers)]
    if window is not None:
        params.update({"sliding_window": ("sliding_window", window)} | layer_types_params(cfg, types, n_layers))
    else:
        layer_types_params(cfg, types, n_layers)  # checked, no window: every layer attends to all tokens


def _ernie_remote(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (ERNIE 4.5): Baidu's remote-code Ernie4_5_ForCausalLM (the first revision of the 0.3B configs) gives its
    LM head a bias when ``use_bias`` and ``weight_share_add_bias`` (default true) are set; transformers'
    Ernie4_5ForCausalLM has none, so such a config is refused rather than counted short."""
    if cls == "Ernie4_5_ForCausalLM" and params["mlp_bias"][1] and cfg.raw("weight_share_add_bias", True):
        raise cfg.error("use_bias", "with weight_share_add_bias, the remote-code Ernie4_5_ForCausalLM has an LM head "
                        "bias that transformers' Ernie4_5ForCausalLM has not; registry cannot count it")  # fmt: skip


def _row(name: str, prefix: str, reads: dict, shape_free: frozenset, *rules, fixed=None, classes=None,
         act: str = "hidden_act") -> Row:  # fmt: skip
    return Row(
        name, "llama", classes or causal_classes(prefix), reads={**DECODER_READS, **reads},
        # head_dim: where it is no field of the configuration, the attention still reads it when the file sets it
        defaults={"head_dim": None, **DEFAULTS[name]}, fixed=fixed or {},
        rules=(*DECODER_RULES, *rules, _activation(name, act)),
        shape_free=shape_free, description=f"{prefix} (transformers' {name})",
    )  # fmt: skip


def _window(name: str, **kw):
    return windows("types", DEFAULTS[name]["sliding_window"], **kw)


_QK_HEAD = {"qk_norm": "head"}

#: Every row of this plugin (the module's docstring lists them).
ROWS = (
    _row("olmo3", "Olmo3", _GQA, _DECODER | _SLIDING, _window("olmo3", pattern=4),
         fixed={"norm_layout": "post", "qk_norm": "full"}),
    _row("smollm3", "SmolLM3", {**_GQA, "mlp_bias": "mlp_bias"},
         _DECODER | _SLIDING | {"no_rope_layers", "no_rope_layer_interval"}, _smollm3_windows),
    _row("exaone4", "Exaone4", {**ATTENTION_READS, **_KV}, _DECODER | _SLIDING | {"sliding_window_pattern"},
         _exaone4_window, _window("exaone4", pattern=4, pattern_field="sliding_window_pattern"), _exaone_mtp,
         fixed={"norm_layout": "post", **_QK_HEAD}),
    _row("seed_oss", "SeedOss", {**ATTENTION_READS, "qkv_bias": "attention_bias", "out_bias": "attention_out_bias",
                                 "mlp_bias": "mlp_bias"},
         _DECODER | {"residual_dropout"}),
    _row("apertus", "Apertus", _GQA, _DECODER,
         fixed={"norm_layout": "apertus", "gated_mlp": False, **_QK_HEAD}),
    _row("helium", "Helium", {**ATTENTION_READS, "qkv_bias": "attention_bias", "mlp_bias": "mlp_bias"}, _DECODER,
         _width_is_heads("o_proj")),
    _row("ernie4_5", "Ernie4_5", {**ATTENTION_READS, "qkv_bias": "use_bias", "out_bias": "use_bias", "mlp_bias": "use_bias"},
         _DECODER, _ernie_remote, remote_class("Ernie4_5_ForCausalLM", "Ernie4_5ForCausalLM"),
         # the 0.3B's first, remote-code revision; its checkpoint is the one Ernie4_5Config documents
         # (baidu/ERNIE-4.5-0.3B-PT), renamed in config.json only (vLLM PR 21735)
         classes=(*causal_classes("Ernie4_5"), "Ernie4_5_ForCausalLM")),
    _row("cohere2", "Cohere2", _GQA,
         frozenset(("hidden_act", "layer_norm_eps", "attention_dropout", "logit_scale", "rope_parameters",
                    "max_position_embeddings")) | _SLIDING | {"sliding_window_pattern"},
         _window("cohere2", pattern=4, pattern_field="sliding_window_pattern"),
         fixed={"norm": "layer_norm", "norm_layout": "parallel"}),
    _row("arcee", "Arcee", {**_GQA, "mlp_bias": "mlp_bias"}, _DECODER, heads_divide_width, fixed={"gated_mlp": False}),
    _row("ministral3", "Ministral3", {**ATTENTION_READS, **_NULL_HEAD_DIM}, _DECODER | _SLIDING),
    _row("vaultgemma", "VaultGemma", {**_GQA, **_KV}, _DECODER | _SLIDING | _GEMMA, heads_divide_width,
         windows("gemma2", DEFAULTS["vaultgemma"]["sliding_window"]), fixed={"norm_layout": "pre_ffn"},
         act="hidden_activation"),
    _row("glm", "Glm", {**ATTENTION_READS, "qkv_bias": "attention_bias"}, _DECODER, fixed={"fused_gate_up": True, "act_fn_name": "activation_fn"}),
    _row("glm4", "Glm4", {**ATTENTION_READS, "qkv_bias": "attention_bias"}, _DECODER,
         fixed={"fused_gate_up": True, "norm_layout": "glm4", "act_fn_name": "activation_fn"}),
    _row("bitnet", "BitNet", _GQA, _DECODER, _width_is_heads("attn_sub_norm"), fixed={"sub_norms": True}),
    _row("olmo", "Olmo", _GQA, _DECODER | {"clip_qkv"}, fixed={"norm_params": False}),
)


@hookimpl
def register_model_types(register):
    """Map the dense decoders of 2025: olmo3, smollm3, exaone4, seed_oss, apertus, helium, ernie4_5,
    cohere2, arcee, ministral3, vaultgemma, glm, glm4, bitnet and olmo."""
    for row in ROWS:
        register(row)

"""Decoder model types of 2025-26, as rows of data.

jais2 (Jais 2: LayerNorms with shifts, a plain up/down MLP with biases, ReLU²) and hyperclovax
(HyperCLOVA X SEED: Granite's decoder with ``post_norm1``/``post_norm2`` after each sublayer,
the ``peri`` norm layout, when ``use_post_norm``) on the ``llama`` family, and doge (SmallDoge) on its own
family (:mod:`registry.plugins.doge`), blt (the Byte Latent Transformer, its four sub-configs read as one row's
dotted fields; :mod:`registry.plugins.blt`), and the composite gemma4_assistant (Gemma 4's drafter: a kv-shared
``gemma4_text`` and the ``gemma4-assistant`` projections of :mod:`registry.plugins.gemma4_assistant`): one :class:`registry.Row` each (config field ->
hyper-parameter, transformers' defaults from :mod:`registry.plugins.generated_defaults`, the switches
the type sets), and rules of a few lines where the logic is real. The llama family and its switches
are in :mod:`registry.plugins.llama`.
"""

from __future__ import annotations

from registry import Composite, ConfigReader, Params, Row, Rule, Tower, hookimpl
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.hf_common import (
    ATTENTION_BIAS_READS, DECODER_READS, DECODER_RULES, DECODER_SHAPE_FREE, ROTARY, causal_classes, heads_divide_width,
)  # fmt: skip
from registry.plugins.vlm_types import tie

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


def _assistant_text(cfg: ConfigReader, cls: str, parts: dict[str, Params]) -> None:
    """Rule (Gemma 4 assistant): its language model reuses the target's caches in every layer (a null or zero
    ``num_kv_shared_layers`` means all of them) and has no per-layer inputs, experts or double-wide MLPs, as
    ``Gemma4AssistantConfig.validate_architecture`` demands."""
    text = parts["text"]
    n_layers = text["n_layers"][1]
    key, shared = text["kv_shared_layers"]
    if not shared:
        text["kv_shared_layers"] = (key, n_layers)
    elif shared != n_layers:
        raise cfg.error(key, f"must equal num_hidden_layers ({n_layers}): every layer of a Gemma 4 assistant reuses the "
                        "target model's cache")  # fmt: skip
    for name, what in (("per_layer_dim", "0"), ("per_layer_vocab", "0"), ("double_wide", "false")):
        key, value = text[name]
        if value:
            raise cfg.error(key, f"must be {what} in a Gemma 4 assistant (transformers refuses the config)")
    if text.get("n_experts", ("", None))[1] is not None:
        raise cfg.error("text_config.enable_moe_block", "must be false in a Gemma 4 assistant (transformers refuses the config)")


def _assistant_projections(cfg: ConfigReader, parts: dict[str, Params]) -> Params:
    """The ``gemma4-assistant`` part: the projections to and from ``backbone_hidden_size``, and the centroid head
    when ``use_ordered_embeddings``."""
    defaults = DEFAULTS["gemma4_assistant"]
    centroids = cfg.int("num_centroids", defaults["num_centroids"], minimum=1)
    ordered = cfg.bool("use_ordered_embeddings", defaults["use_ordered_embeddings"])
    return {"d_model": ("text_config.hidden_size", parts["text"]["d_model"][1]),
            "backbone_d_model": ("backbone_hidden_size", cfg.int("backbone_hidden_size", defaults["backbone_hidden_size"])),
            "centroids": ("num_centroids", centroids if ordered else None)}  # fmt: skip


def _blt(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (BLT): the hash embedding's tables (hash functions × byte-group sizes; no sizes given: six), the
    encoder's SwiGLU width when null (``int(8 × hidden_size / 3)``, as BltLocalEncoderConfig derives it), the LM
    head unless the bare BltModel, and no activation with learned scalars (which the family does not hold)."""
    sizes = cfg.raw("encoder_hash_byte_group_size", None)
    if sizes is None:
        sizes = [3, 4, 5, 6, 7, 8]  # BltConfig.__post_init__
    if not isinstance(sizes, list) or not sizes:
        raise cfg.error("encoder_hash_byte_group_size", "must be a non-empty list of byte-group sizes")
    functions = cfg.int("encoder_hash_byte_group_nb_functions", DEFAULTS["blt"]["encoder_hash_byte_group_nb_functions"],
                        minimum=1)  # fmt: skip
    params["hash_tables"] = ("encoder_hash_byte_group_size", functions * len(sizes))
    key, width = params["enc_d_ff"]
    if width is None:
        params["enc_d_ff"] = (key, int(8 * params["enc_d_model"][1] / 3))
    params["lm_head"] = ("architectures", cls != "BltModel")
    for part in ("encoder_config", "global_config", "decoder_config"):
        sub = cfg.raw(part, None)
        act = sub.get("hidden_act", "silu") if isinstance(sub, dict) else "silu"
        if act in ("xielu", "prelu"):
            raise cfg.error(f"{part}.hidden_act", "an activation with learned scalars (xielu, prelu) is not supported "
                            "for blt: registry cannot count its parameters")  # fmt: skip


def _stack(prefix: str, config: str, nullable_ff: bool = False) -> dict[str, str]:
    """The reads of one BLT stack (``prefix``: the family's, ``config``: the sub-config)."""
    return {f"{prefix}_d_model": f"{config}.hidden_size", f"{prefix}_n_heads": f"{config}.num_attention_heads",
            f"{prefix}_n_kv_heads": f"{config}.num_key_value_heads?", f"{prefix}_n_layers": f"{config}.num_hidden_layers",
            f"{prefix}_d_ff": f"{config}.intermediate_size" + ("?" if nullable_ff else "")}  # fmt: skip


#: The sub-configs' fields that change no shape (the top level's local_attention_window_len sets the encoder's window;
#: its hidden_size_global is not used by the encoder).
_BLT_SUB_SHAPE_FREE = frozenset(
    f"{config}.{name}" for config in ("encoder_config", "global_config", "decoder_config", "patcher_config")
    for name in ("rms_norm_eps", "dropout", "max_position_embeddings", "rope_parameters", "rope_theta", "rope_scaling",
                 "initializer_range", "tie_word_embeddings", "hidden_act", "pad_token_id", "bos_token_id", "eos_token_id",
                 "sliding_window", "hidden_size_global", "vocab_size")
    if (config, name) not in {("decoder_config", "hidden_size_global"), ("patcher_config", "sliding_window"),
                              ("patcher_config", "vocab_size"), ("encoder_config", "vocab_size")}
)  # fmt: skip

#: The Byte Latent Transformer: four sub-configs read as one row (dotted fields).
BLT = Row(
    "blt", "blt", ("BltForCausalLM", "BltModel"),
    reads={"vocab_size": "vocab_size", "tie_word_embeddings": "tie_word_embeddings", "cross_k": "cross_attn_k",
           **_stack("enc", "encoder_config", nullable_ff=True), "enc_vocab": "encoder_config.vocab_size",
           "enc_cross_all": "encoder_config.cross_attn_all_layers", "enc_cross_k": "encoder_config.cross_attn_k",
           "enc_window": "local_attention_window_len?", **_stack("glob", "global_config"), **_stack("dec", "decoder_config"),
           "dec_cross_all": "decoder_config.cross_attn_all_layers", "dec_cross_k": "decoder_config.cross_attn_k",
           "dec_global_d_model": "decoder_config.hidden_size_global", "hash_vocab": "encoder_hash_byte_group_vocab",
           "patcher": "patch_in_forward", **_stack("pat", "patcher_config"), "pat_vocab": "patcher_config.vocab_size",
           "pat_window": "patcher_config.sliding_window?"},
    defaults=DEFAULTS["blt"], rules=(_blt,),
    shape_free=_BLT_SUB_SHAPE_FREE | {"max_position_embeddings", "patch_size", "patching_mode", "patching_threshold",
                                      "patching_batch_size", "max_patch_length", "rope_parameters", "decoder_config.vocab_size"},
    description="Byte Latent Transformer (transformers' blt: byte encoder and decoder, global patch transformer, patcher)",
)  # fmt: skip

#: Gemma 4's assistant (drafter): its gemma4_text language model, tied head, and projections.
GEMMA4_ASSISTANT = Composite(
    "gemma4_assistant", "composite", ("Gemma4AssistantForCausalLM",), (
        Tower("text", config="text_config", model_type="gemma4_text"),
        Tower("assistant", family="gemma4-assistant", params=_assistant_projections),
    ), rules=(tie(), _assistant_text), shape_free=frozenset((
        "centroid_intermediate_top_k",
        # the target model's special tokens, which the published files carry (no fields of Gemma4AssistantConfig)
        "audio_token_id", "boa_token_id", "boi_token_id", "eoa_token_id", "eoi_token_id", "image_token_id")),
    description="Gemma 4 assistant (drafter): a kv-shared gemma4_text, projections to and from the target's width",
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
    """Map jais2, hyperclovax, doge, blt and gemma4_assistant (see the module's docstring)."""
    for row in (*ROWS, BLT, GEMMA4_ASSISTANT):
        register(row)

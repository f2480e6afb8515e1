"""Hugging Face model types counted with the ``gpt-style`` family, as rows of data.

``gptj``, ``gpt_neox``, ``falcon``, ``starcoder2``, ``gpt_bigcode``, ``opt``, ``bloom`` and
``phi``: one :class:`registry.Row` each (config field -> switch of
:class:`~registry.plugins.gpt_style.GPTStyleParams`, transformers' defaults from
:mod:`registry.plugins.generated_defaults`), the layout named as the model type, and a rule
where the logic is real (Falcon's heads and norms, OPT's final norm, Phi's query/key norms).
A field with an ``attribute_map`` alias (GPT-J's ``n_embd`` / ``hidden_size``) may be given
under either name; both, with different values, are refused.
"""

from __future__ import annotations

from registry import ConfigReader, Params, hookimpl
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.hf_common import DECODER_READS, ROTARY, causal_classes, derived_head_dim, hf_row, lm_head

#: Dropouts, epsilons and activations: no shapes.
_DROPOUTS = ("resid_pdrop", "embd_pdrop", "attn_pdrop", "attention_dropout", "hidden_dropout")
_GPT_SHAPE_FREE = (*_DROPOUTS, "activation_function", "layer_norm_epsilon")
#: GPT-2-style names of the sizes, each with its attribute_map alias.
_GPT2_NAMES = {"d_model": "n_embd|hidden_size", "n_layers": "n_layer|num_hidden_layers",
               "n_heads": "n_head|num_attention_heads", "d_ff": "n_inner?"}  # fmt: skip


def _flag(cfg: ConfigReader, key: str) -> bool:
    """true or false, where null counts as false (Falcon's ``bool | None`` fields)."""
    value = cfg.raw(key, DEFAULTS["falcon"][key])
    if value is not None and not isinstance(value, bool):
        raise cfg.error(key, f"must be true, false or null (got {value!r})")
    return bool(value)


def _falcon(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (Falcon): key/value heads from new_decoder_architecture, multi_query and num_kv_heads; the norms
    from parallel_attn and num_ln_in_parallel_attn alone (as FalconDecoderLayer builds them); bias and ALiBi."""
    new, parallel = _flag(cfg, "new_decoder_architecture"), _flag(cfg, "parallel_attn")
    multi_query, bias = _flag(cfg, "multi_query"), _flag(cfg, "bias")
    n_kv = cfg.int("num_kv_heads", None, nullable=True)
    n_ln = cfg.int("num_ln_in_parallel_attn", None, nullable=True)
    if n_ln is None and new:
        n_ln = 2  # what FalconDecoderLayer sets for the new decoder architecture
    params["n_kv_heads"] = ("num_kv_heads", n_kv) if new else ("multi_query", 1 if multi_query else None)
    params |= {name: ("bias", bias) for name in ("qkv_bias", "out_bias", "mlp_bias")}
    params["parallel_residual"] = ("parallel_attn", parallel)
    params["shared_norm"] = ("num_ln_in_parallel_attn", parallel and n_ln != 2)
    params["positions"] = ("alibi", "alibi" if _flag(cfg, "alibi") else "rotary")


def _multi_query(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (GPTBigCode): multi_query means one key/value head."""
    params["n_kv_heads"] = ("multi_query", 1 if cfg.bool("multi_query", True) else None)


def _opt_final_norm(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (OPT): a final LayerNorm with do_layer_norm_before, unless _remove_final_layer_norm."""
    final = cfg.bool("do_layer_norm_before", True) and not cfg.bool("_remove_final_layer_norm", False)
    params["final_norm"] = ("do_layer_norm_before", final)


def _phi_qk_norm(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (Phi): the query/key LayerNorms are hidden_size // num_attention_heads wide, so no other head_dim."""
    width = params["d_model"][1] // params["n_heads"][1]
    if params["qk_norm"][1] and cfg.has("head_dim") and params["head_dim"][1] != width:
        raise cfg.error("head_dim", f"{params['head_dim'][1]} is not supported with qk_layernorm: transformers sizes "
                                    f"those norms hidden_size // num_attention_heads ({width}) and cannot run them")  # fmt: skip


def _row(name: str, prefix: str, reads: dict, shape_free, *rules, fixed=None, defaults=None):
    return hf_row(name, "gpt-style", causal_classes(prefix), {"vocab_size": "vocab_size",
                  "tie_word_embeddings": "tie_word_embeddings", **reads}, lm_head, *rules,
                  fixed={"layout": name, **(fixed or {})}, defaults=defaults, shape_free=shape_free)  # fmt: skip


_BIAS = {"qkv_bias": "use_bias", "out_bias": "use_bias", "mlp_bias": "use_bias"}
#: head_dim is no field of these configurations; the attention reads it when the file sets it.
_HEAD_DIM = {"head_dim": None}

#: Every row of this plugin (the module's docstring lists them).
ROWS = (
    _row("gptj", "GPTJ", _GPT2_NAMES, (*_GPT_SHAPE_FREE, "rotary_dim", "n_positions", "max_position_embeddings"),
         fixed={"qkv_bias": False, "out_bias": False, "parallel_residual": True, "shared_norm": True,
                "lm_head_bias": True}),  # fmt: skip
    _row("gpt_neox", "GPTNeoX",
         {**DECODER_READS, "d_ff": "intermediate_size", "qkv_bias": "attention_bias", "out_bias": "attention_bias",
          # parallel or not, a GPT-NeoX layer has its two norms (use_parallel_residual changes no shape)
          "parallel_residual": "use_parallel_residual"},
         (*_DROPOUTS, "hidden_act", "classifier_dropout", "layer_norm_eps", "rotary_pct", "rotary_emb_base", *ROTARY),
         fixed={"fused_qkv": True}),  # fmt: skip
    _row("falcon", "Falcon",
         {**DECODER_READS, "d_model": "hidden_size|n_embed", "d_ff": "ffn_hidden_size?"},
         (*_DROPOUTS, "activation", "layer_norm_epsilon", *ROTARY,
          "num_key_value_heads"),  # set by transformers >= 5.25, always recomputed from num_kv_heads and multi_query
         _falcon, fixed={"fused_qkv": True}),  # fmt: skip
    _row("starcoder2", "Starcoder2",
         {**DECODER_READS, "n_kv_heads": "num_key_value_heads", "head_dim": "head_dim?", "d_ff": "intermediate_size",
          **_BIAS},
         (*_DROPOUTS, "hidden_act", "norm_epsilon", "residual_dropout", "embedding_dropout", "sliding_window", *ROTARY),
         derived_head_dim, defaults=_HEAD_DIM),  # fmt: skip
    _row("gpt_bigcode", "GPTBigCode", {**_GPT2_NAMES, "n_positions": "n_positions|max_position_embeddings"},
         (*_GPT_SHAPE_FREE, "scale_attn_weights", "attention_softmax_in_fp32", "scale_attention_softmax_in_fp32",
          "num_key_value_heads"),  # saved by transformers, but always recomputed from multi_query
         _multi_query, fixed={"positions": "learned", "fused_qkv": True}),  # fmt: skip
    _row("opt", "OPT",
         {**DECODER_READS, "d_ff": "ffn_dim", "n_positions": "max_position_embeddings",
          "embed_dim": "word_embed_proj_dim?", "qkv_bias": "enable_bias", "out_bias": "enable_bias",
          "mlp_bias": "enable_bias", "norm_affine": "layer_norm_elementwise_affine"},
         (*_DROPOUTS, "dropout", "activation_function", "layerdrop", "init_std"),
         _opt_final_norm, fixed={"positions": "learned", "position_offset": 2}),  # fmt: skip
    _row("bloom", "Bloom",
         {"d_model": "hidden_size|n_embed", "n_layers": "n_layer|num_hidden_layers",
          "n_heads": "n_head|num_attention_heads"},
         (*_DROPOUTS, "layer_norm_epsilon", "apply_residual_connection_post_layernorm", "pretraining_tp",
          "slow_but_exact"),
         fixed={"positions": "alibi", "fused_qkv": True, "embed_norm": True}),  # fmt: skip
    _row("phi", "Phi",
         {**DECODER_READS, "n_kv_heads": "num_key_value_heads?", "head_dim": "head_dim", "d_ff": "intermediate_size",
          "qk_norm": "qk_layernorm"},
         (*_DROPOUTS, "hidden_act", "layer_norm_eps", *ROTARY), derived_head_dim, _phi_qk_norm,
         fixed={"parallel_residual": True, "shared_norm": True, "lm_head_bias": True}, defaults=_HEAD_DIM),  # fmt: skip
)


@hookimpl
def register_model_types(register):
    """Map gptj, gpt_neox, falcon, starcoder2, gpt_bigcode, opt, bloom and phi to the gpt-style family."""
    for row in ROWS:
        register(row)

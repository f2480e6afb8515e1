"""Hugging Face model types counted with the ``gpt-style`` family, as transformers 5 builds them.

``gptj``, ``gpt_neox``, ``falcon``, ``starcoder2``, ``gpt_bigcode``, ``opt``, ``bloom`` and
``phi``: each mapping is mostly a row of switches of
:class:`~registry.plugins.gpt_style.GPTStyleParams`, read from the config's fields with
transformers' defaults (``configuration_<type>.py``) and the shapes of its modules
(``modeling_<type>.py``). Where a configuration class has ``attribute_map`` aliases
(``hidden_size`` for GPT-J's ``n_embd``) a config.json may use either name; as in
transformers, the alias wins when both are given.
"""

from __future__ import annotations

from typing import Any

from registry import hookimpl
from registry import ConfigReader
from registry import Mapped, ModelType, Params
from registry.plugins.hf_common import ROTARY, causal_classes, has_lm_head

FAMILY = "gpt-style"


def _int(cfg: ConfigReader, key: str, default: Any, alias: str | None = None, nullable: bool = False) -> tuple[str, Any]:
    """(the field the value came from, the value): ``alias`` wins over ``key`` when given, as in transformers."""
    value = cfg.int(key, default, nullable=nullable)
    if alias is not None and cfg.has(alias):
        return alias, cfg.int(alias, None, nullable=nullable)
    if alias is not None:
        cfg.read.add(alias)
    return key, value


def _flag(cfg: ConfigReader, key: str, default: bool | None) -> bool:
    """true or false, where null counts as false (``bool | None`` fields of transformers' configs)."""
    value = cfg.raw(key, default)
    if value is not None and not isinstance(value, bool):
        raise cfg.error(key, f"must be true, false or null (got {value!r})")
    return bool(value)


def _heads_of(cfg: ConfigReader, cls: str, layout: str, **keys: tuple[str, Any]) -> Params:
    """The common rows: layout, sizes (``keys`` name each size's field and value) and the head."""
    params: Params = {"layout": ("model_type", layout), **keys}
    params["lm_head"] = ("architectures", has_lm_head(cls))
    return params


def _map_gptj(cfg: ConfigReader, cls: str) -> Mapped:
    params = _heads_of(
        cfg, cls, "gptj",
        vocab_size=("vocab_size", cfg.int("vocab_size", 50400)),
        d_model=_int(cfg, "n_embd", 4096, "hidden_size"),
        n_layers=_int(cfg, "n_layer", 28, "num_hidden_layers"),
        n_heads=_int(cfg, "n_head", 16, "num_attention_heads"),
        d_ff=("n_inner", cfg.int("n_inner", None, nullable=True)),
    )  # fmt: skip
    params |= {
        "qkv_bias": ("model_type", False), "out_bias": ("model_type", False),
        "parallel_residual": ("model_type", True), "shared_norm": ("model_type", True),
        "tie_word_embeddings": ("tie_word_embeddings", cfg.bool("tie_word_embeddings", False)),
        "lm_head_bias": ("model_type", True),
    }  # fmt: skip
    _int(cfg, "n_positions", 2048, "max_position_embeddings")  # rotary: the table is a buffer
    return Mapped(FAMILY, params)


def _map_gpt_neox(cfg: ConfigReader, cls: str) -> Mapped:
    bias = cfg.bool("attention_bias", True)
    params = _heads_of(
        cfg, cls, "gpt_neox",
        vocab_size=("vocab_size", cfg.int("vocab_size", 50432)),
        d_model=("hidden_size", cfg.int("hidden_size", 6144)),
        n_layers=("num_hidden_layers", cfg.int("num_hidden_layers", 44)),
        n_heads=("num_attention_heads", cfg.int("num_attention_heads", 64)),
        d_ff=("intermediate_size", cfg.int("intermediate_size", 24576)),
    )  # fmt: skip
    params |= {
        "fused_qkv": ("model_type", True), "qkv_bias": ("attention_bias", bias), "out_bias": ("attention_bias", bias),
        # parallel or not, a GPT-NeoX layer has its two norms (use_parallel_residual changes no shape)
        "parallel_residual": ("use_parallel_residual", cfg.bool("use_parallel_residual", True)),
        "tie_word_embeddings": ("tie_word_embeddings", cfg.bool("tie_word_embeddings", False)),
    }  # fmt: skip
    return Mapped(FAMILY, params)


def _map_falcon(cfg: ConfigReader, cls: str) -> Mapped:
    hidden = _int(cfg, "hidden_size", 4544, "n_embed")
    heads = cfg.int("num_attention_heads", 71)
    new = _flag(cfg, "new_decoder_architecture", False)
    multi_query = _flag(cfg, "multi_query", True)
    parallel = _flag(cfg, "parallel_attn", True)
    n_kv = cfg.int("num_kv_heads", None, nullable=True)
    n_ln = cfg.int("num_ln_in_parallel_attn", None, nullable=True)
    if n_ln is None and new:
        n_ln = 2  # what FalconDecoderLayer sets for the new decoder architecture
    if new:
        kv = ("num_kv_heads", n_kv)  # None: as many as query heads
    elif multi_query:
        kv = ("multi_query", 1)
    else:
        kv = ("multi_query", None)
    bias = _flag(cfg, "bias", False)
    params = _heads_of(
        cfg, cls, "falcon",
        vocab_size=("vocab_size", cfg.int("vocab_size", 65024)),
        d_model=hidden,
        n_layers=("num_hidden_layers", cfg.int("num_hidden_layers", 32)),
        n_heads=("num_attention_heads", heads),
        n_kv_heads=kv,
        d_ff=("ffn_hidden_size", cfg.int("ffn_hidden_size", None, nullable=True)),
    )  # fmt: skip
    params |= {
        "fused_qkv": ("model_type", True), "qkv_bias": ("bias", bias), "out_bias": ("bias", bias),
        "mlp_bias": ("bias", bias),
        # transformers builds the norms from parallel_attn and num_ln_in_parallel_attn alone
        "parallel_residual": ("parallel_attn", parallel),
        "shared_norm": ("num_ln_in_parallel_attn", parallel and n_ln != 2),
        "positions": ("alibi", "alibi" if _flag(cfg, "alibi", False) else "rotary"),
        "tie_word_embeddings": ("tie_word_embeddings", cfg.bool("tie_word_embeddings", True)),
    }  # fmt: skip
    return Mapped(FAMILY, params)


def _map_starcoder2(cfg: ConfigReader, cls: str) -> Mapped:
    bias = cfg.bool("use_bias", True)
    params = _heads_of(
        cfg, cls, "starcoder2",
        vocab_size=("vocab_size", cfg.int("vocab_size", 49152)),
        d_model=("hidden_size", cfg.int("hidden_size", 3072)),
        n_layers=("num_hidden_layers", cfg.int("num_hidden_layers", 30)),
        n_heads=("num_attention_heads", cfg.int("num_attention_heads", 24)),
        n_kv_heads=("num_key_value_heads", cfg.int("num_key_value_heads", 2)),
        # not a field of Starcoder2Config, but the attention reads it when the file sets it (null: the default)
        head_dim=("head_dim", cfg.int("head_dim", None, nullable=True)
                  or cfg.int("hidden_size", 3072) // cfg.int("num_attention_heads", 24)),
        d_ff=("intermediate_size", cfg.int("intermediate_size", 12288)),
    )  # fmt: skip
    params |= {
        "qkv_bias": ("use_bias", bias), "out_bias": ("use_bias", bias), "mlp_bias": ("use_bias", bias),
        "tie_word_embeddings": ("tie_word_embeddings", cfg.bool("tie_word_embeddings", True)),
    }  # fmt: skip
    return Mapped(FAMILY, params)


def _map_gpt_bigcode(cfg: ConfigReader, cls: str) -> Mapped:
    multi_query = cfg.bool("multi_query", True)
    params = _heads_of(
        cfg, cls, "gpt_bigcode",
        vocab_size=("vocab_size", cfg.int("vocab_size", 50257)),
        d_model=_int(cfg, "n_embd", 768, "hidden_size"),
        n_layers=_int(cfg, "n_layer", 12, "num_hidden_layers"),
        n_heads=_int(cfg, "n_head", 12, "num_attention_heads"),
        n_kv_heads=("multi_query", 1 if multi_query else None),
        d_ff=("n_inner", cfg.int("n_inner", None, nullable=True)),
        n_positions=_int(cfg, "n_positions", 1024, "max_position_embeddings"),
    )  # fmt: skip
    params |= {
        "positions": ("model_type", "learned"), "fused_qkv": ("model_type", True),
        "tie_word_embeddings": ("tie_word_embeddings", cfg.bool("tie_word_embeddings", True)),
    }  # fmt: skip
    return Mapped(FAMILY, params)


def _map_opt(cfg: ConfigReader, cls: str) -> Mapped:
    hidden = cfg.int("hidden_size", 768)
    bias = cfg.bool("enable_bias", True)
    proj = cfg.int("word_embed_proj_dim", None, nullable=True)
    final = cfg.bool("do_layer_norm_before", True) and not cfg.bool("_remove_final_layer_norm", False)
    params = _heads_of(
        cfg, cls, "opt",
        vocab_size=("vocab_size", cfg.int("vocab_size", 50272)),
        d_model=("hidden_size", hidden),
        n_layers=("num_hidden_layers", cfg.int("num_hidden_layers", 12)),
        n_heads=("num_attention_heads", cfg.int("num_attention_heads", 12)),
        d_ff=("ffn_dim", cfg.int("ffn_dim", 3072)),
        n_positions=("max_position_embeddings", cfg.int("max_position_embeddings", 2048)),
        embed_dim=("word_embed_proj_dim", proj),
    )  # fmt: skip
    params |= {
        "positions": ("model_type", "learned"), "position_offset": ("model_type", 2),
        "qkv_bias": ("enable_bias", bias), "out_bias": ("enable_bias", bias), "mlp_bias": ("enable_bias", bias),
        "norm_affine": ("layer_norm_elementwise_affine", cfg.bool("layer_norm_elementwise_affine", True)),
        "final_norm": ("do_layer_norm_before", final),
        "tie_word_embeddings": ("tie_word_embeddings", cfg.bool("tie_word_embeddings", True)),
    }  # fmt: skip
    return Mapped(FAMILY, params)


def _map_bloom(cfg: ConfigReader, cls: str) -> Mapped:
    params = _heads_of(
        cfg, cls, "bloom",
        vocab_size=("vocab_size", cfg.int("vocab_size", 250880)),
        d_model=_int(cfg, "hidden_size", 64, "n_embed"),
        n_layers=_int(cfg, "n_layer", 2, "num_hidden_layers"),
        n_heads=_int(cfg, "n_head", 8, "num_attention_heads"),
    )  # fmt: skip
    params |= {
        "positions": ("model_type", "alibi"), "fused_qkv": ("model_type", True), "embed_norm": ("model_type", True),
        "tie_word_embeddings": ("tie_word_embeddings", cfg.bool("tie_word_embeddings", True)),
    }  # fmt: skip
    return Mapped(FAMILY, params)


def _map_phi(cfg: ConfigReader, cls: str) -> Mapped:
    hidden, heads = cfg.int("hidden_size", 2048), cfg.int("num_attention_heads", 32)
    qk_norm = cfg.bool("qk_layernorm", False)
    # not a field of PhiConfig, but the attention reads it when the file sets it
    given = cfg.int("head_dim", None) if cfg.has("head_dim") else None
    if qk_norm and given is not None and given != hidden // heads:
        raise cfg.error("head_dim", f"{given} is not supported with qk_layernorm: transformers sizes those norms "
                                    f"hidden_size // num_attention_heads ({hidden // heads}) and cannot run them")  # fmt: skip
    params = _heads_of(
        cfg, cls, "phi",
        vocab_size=("vocab_size", cfg.int("vocab_size", 51200)),
        d_model=("hidden_size", hidden),
        n_layers=("num_hidden_layers", cfg.int("num_hidden_layers", 24)),
        n_heads=("num_attention_heads", heads),
        n_kv_heads=("num_key_value_heads", cfg.int("num_key_value_heads", None, nullable=True)),
        head_dim=("head_dim", given if given is not None else hidden // heads),
        d_ff=("intermediate_size", cfg.int("intermediate_size", 8192)),
    )  # fmt: skip
    params |= {
        "qk_norm": ("qk_layernorm", qk_norm), "parallel_residual": ("model_type", True),
        "shared_norm": ("model_type", True), "lm_head_bias": ("model_type", True),
        "tie_word_embeddings": ("tie_word_embeddings", cfg.bool("tie_word_embeddings", False)),
    }  # fmt: skip
    return Mapped(FAMILY, params)


#: Dropouts, epsilons and activations: no shapes.
_DROPOUTS = ("resid_pdrop", "embd_pdrop", "attn_pdrop", "attention_dropout", "hidden_dropout")
_GPT_SHAPE_FREE = (*_DROPOUTS, "activation_function", "layer_norm_epsilon")


@hookimpl
def register_model_types(register):
    """Map gptj, gpt_neox, falcon, starcoder2, gpt_bigcode, opt, bloom and phi to the gpt-style family."""
    free = frozenset
    register(ModelType("gptj", causal_classes("GPTJ"), _map_gptj, free((*_GPT_SHAPE_FREE, "rotary_dim"))))
    register(ModelType("gpt_neox", causal_classes("GPTNeoX"), _map_gpt_neox, free((
        *_DROPOUTS, "hidden_act", "classifier_dropout", "layer_norm_eps", "rotary_pct", "rotary_emb_base", *ROTARY,
    ))))  # fmt: skip
    register(ModelType("falcon", causal_classes("Falcon"), _map_falcon, free((
        *_DROPOUTS, "activation", "layer_norm_epsilon", *ROTARY,
        "num_key_value_heads",  # set by transformers >= 5.25, always recomputed from num_kv_heads and multi_query
    ))))  # fmt: skip
    register(ModelType("starcoder2", causal_classes("Starcoder2"), _map_starcoder2, free((
        *_DROPOUTS, "hidden_act", "norm_epsilon", "residual_dropout", "embedding_dropout", "sliding_window", *ROTARY,
    ))))  # fmt: skip
    register(ModelType("gpt_bigcode", causal_classes("GPTBigCode"), _map_gpt_bigcode, free((
        *_GPT_SHAPE_FREE, "scale_attn_weights", "attention_softmax_in_fp32", "scale_attention_softmax_in_fp32",
        "num_key_value_heads",  # saved by transformers, but always recomputed from multi_query
    ))))  # fmt: skip
    register(ModelType("opt", causal_classes("OPT"), _map_opt, free((
        *_DROPOUTS, "dropout", "activation_function", "layerdrop", "init_std",
    ))))  # fmt: skip
    register(ModelType("bloom", causal_classes("Bloom"), _map_bloom, free((
        *_DROPOUTS, "layer_norm_epsilon", "apply_residual_connection_post_layernorm", "pretraining_tp",
        "slow_but_exact",
    ))))  # fmt: skip
    register(ModelType("phi", causal_classes("Phi"), _map_phi, free((
        *_DROPOUTS, "hidden_act", "layer_norm_eps", *ROTARY,
    ))))  # fmt: skip

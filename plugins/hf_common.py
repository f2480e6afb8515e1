"""Pieces shared by the built-in Hugging Face model-type mappings.

Not a plugin (it registers nothing): readers of the fields most ``config.json`` files
share, on top of :class:`registry.ConfigReader`. Only public API is used: a
third-party mapping may import it.
"""

from __future__ import annotations

from registry import ConfigReader, short_value
from registry import Params

#: Rotary position settings: no parameters.
ROTARY = ("rope_parameters", "rope_scaling", "rope_theta", "partial_rotary_factor", "max_position_embeddings")
#: Shape-free fields of the Llama-style decoders.
DECODER_SHAPE_FREE = ("hidden_act", "rms_norm_eps", "attention_dropout", "pretraining_tp", *ROTARY)
#: Sliding-window attention settings: they change which tokens are attended, not shapes.
SLIDING = ("sliding_window", "use_sliding_window", "max_window_layers", "layer_types")
#: Router settings of mixture-of-experts configs: losses and noise, no shapes.
ROUTER = ("output_router_logits", "router_aux_loss_coef", "router_jitter_noise", "norm_topk_prob")


def causal_classes(prefix: str) -> tuple[str, ...]:
    """``<prefix>ForCausalLM`` (the usual class) and the bare ``<prefix>Model``."""
    return f"{prefix}ForCausalLM", f"{prefix}Model"


def has_lm_head(cls: str) -> bool:
    """Whether a class has a language-modelling head (every class but the bare ``...Model``)."""
    return not cls.endswith("Model") or cls.endswith("LMHeadModel")


def decoder_params(cfg: ConfigReader, cls: str, vocab: int, hidden: int, layers: int, heads: int) -> Params:
    """The hyper-parameters every Llama-style decoder config has, with transformers' defaults."""
    return {
        "vocab_size": ("vocab_size", cfg.int("vocab_size", vocab)),
        "d_model": ("hidden_size", cfg.int("hidden_size", hidden)),
        "n_layers": ("num_hidden_layers", cfg.int("num_hidden_layers", layers)),
        "n_heads": ("num_attention_heads", cfg.int("num_attention_heads", heads)),
        "lm_head": ("architectures", has_lm_head(cls)),
        "tie_word_embeddings": ("tie_word_embeddings", cfg.bool("tie_word_embeddings", False)),
    }


def num_labels(cfg: ConfigReader) -> tuple[str, int]:
    """transformers' ``num_labels``: the length of ``id2label`` when given, else ``num_labels``, else 2."""
    labels = cfg.raw("id2label")
    if labels is not None:
        if not isinstance(labels, dict) or not labels:
            raise cfg.error("id2label", f"must be a non-empty object of labels (got {short_value(labels)})")
        cfg.raw("num_labels")
        return "id2label", len(labels)
    return "num_labels", cfg.int("num_labels", 2)


def head_dim(params: Params, given: int | None) -> int:
    """The head width transformers uses: the config's, else ``hidden_size // num_attention_heads`` (floored)."""
    return given if given is not None else params["d_model"][1] // params["n_heads"][1]


# --- pieces of rows (registry.Row): the reads most decoders share, and rules of a few lines ----------

#: The hyper-parameters every Llama-style decoder reads, and from which fields.
DECODER_READS = {
    "vocab_size": "vocab_size", "d_model": "hidden_size", "n_layers": "num_hidden_layers",
    "n_heads": "num_attention_heads", "tie_word_embeddings": "tie_word_embeddings",
}  # fmt: skip
#: The attention and MLP widths most of them read (a null num_key_value_heads means n_heads).
ATTENTION_READS = {"d_ff": "intermediate_size", "n_kv_heads": "num_key_value_heads?", "head_dim": "head_dim"}
#: One attention_bias switch for the query/key/value and output projections.
ATTENTION_BIAS_READS = {"qkv_bias": "attention_bias", "out_bias": "attention_bias"}


def lm_head(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule: a language-modelling head unless the class is the bare ``...Model``."""
    params["lm_head"] = ("architectures", has_lm_head(cls))


def derived_head_dim(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule: ``head_dim`` not given means ``hidden_size // num_attention_heads`` (floored), as transformers derives it."""
    if "head_dim" in params:
        params["head_dim"] = (params["head_dim"][0], head_dim(params, params["head_dim"][1]))


#: The rules every Llama-style decoder row runs first.
DECODER_RULES = (lm_head, derived_head_dim)

"""Hugging Face ``t5`` and ``bart`` configs → the ``encoder-decoder`` family, as transformers 5 builds them.

T5 (``T5ForConditionalGeneration``, ``T5Model``, ``T5EncoderModel``): no biases, scale-only
norms, ``num_heads × d_kv`` inner attention width, a relative attention bias in layer 0 of
each stack, ``feed_forward_proj = "gated-…"`` (T5 v1.1, Flan-T5) for the gated feed-forward
(``is_gated_act``, when the file sets it, wins over ``feed_forward_proj``, as in transformers).
transformers 5 ties the LM head and both stacks' ``embed_tokens`` to ``shared`` whatever
``tie_word_embeddings`` says (``T5Config`` forces it to true and keeps only the output scaling
from it); a file with ``tie_word_embeddings = false`` is counted so, with a note that its
checkpoint's own ``lm_head.weight`` is kept apart by ``from_pretrained``.

BART (``BartForConditionalGeneration``, ``BartModel``): biases everywhere, LayerNorms with a
shift, learned positions of ``max_position_embeddings + 2`` rows, ``layernorm_embedding``, no
final norm; ``tie_word_embeddings = false`` unties everything: both stacks' ``embed_tokens``
and the LM head get tables of their own. ``scale_embedding`` multiplies the embeddings by
``sqrt(d_model)``: no parameters. ``final_logits_bias`` is a buffer, not counted.

The aliases of transformers' ``attribute_map`` (``hidden_size``, ``num_attention_heads``,
``num_hidden_layers``, T5's ``head_dim``) win over the field they stand for, as in transformers.
"""

from __future__ import annotations

from typing import Any

from registry import hookimpl
from registry import ConfigReader, short_value as short
from registry import Mapped, ModelType, Params

#: T5WithLMHeadModel is the name early published T5 configs give T5ForConditionalGeneration (t5-small …
#: t5-11b); transformers 5 has no such class and its auto classes build T5ForConditionalGeneration for them.
T5_CLASSES = ("T5ForConditionalGeneration", "T5Model", "T5EncoderModel", "T5WithLMHeadModel")
BART_CLASSES = ("BartForConditionalGeneration", "BartModel")

ARCHITECTURES = {
    "T5ForConditionalGeneration": "conditional_generation", "T5Model": "model", "T5EncoderModel": "encoder",
    "T5WithLMHeadModel": "conditional_generation",
    "BartForConditionalGeneration": "conditional_generation", "BartModel": "model",
}  # fmt: skip


def _aliased(cfg: ConfigReader, key: str, alias: str, default: Any, minimum: int = 1) -> tuple[str, Any]:
    """(the field the value came from, the value): ``alias`` when the config sets it, else ``key``."""
    if cfg.has(alias):
        cfg.raw(key)  # overridden: read, so that it is not reported as unknown
        return alias, cfg.int(alias, default, minimum=minimum)
    cfg.read.add(alias)
    return key, cfg.int(key, default, minimum=minimum)


def _t5_gated(cfg: ConfigReader) -> tuple[str, bool]:
    """Whether the feed-forward is gated: ``is_gated_act`` if set, else ``feed_forward_proj``'s prefix."""
    value = cfg.raw("feed_forward_proj", "relu")
    if not isinstance(value, str):
        raise cfg.error("feed_forward_proj", f"must be a string such as 'relu' or 'gated-gelu' (got {short(value)})")
    parts = value.split("-")
    if (len(parts) > 1 and parts[0] != "gated") or len(parts) > 2 or not parts[-1] or value == "gated":
        raise cfg.error(
            "feed_forward_proj", f"{short(value)} is not of the form '<activation>' or 'gated-<activation>' "
            "(transformers refuses it)",
        )  # fmt: skip
    if cfg.has("is_gated_act"):
        return "is_gated_act", cfg.bool("is_gated_act", False)
    cfg.read.add("is_gated_act")
    return "feed_forward_proj", parts[0] == "gated"


def _map_t5(cfg: ConfigReader, cls: str) -> Mapped:
    d_model = _aliased(cfg, "d_model", "hidden_size", 512)
    layers_key, n_layers = _aliased(cfg, "num_layers", "num_hidden_layers", 6, minimum=0)
    # transformers takes the decoder's default from num_layers before the alias is applied
    decoder_default = cfg.int("num_layers", 6, minimum=0) if layers_key != "num_layers" else n_layers
    n_decoder = cfg.int("num_decoder_layers", None, nullable=True, minimum=0)
    tie = cfg.bool("tie_word_embeddings", True)
    notes: tuple[str, ...] = ()
    params: Params = {
        "layout": ("model_type", "t5"),
        "architecture": ("architectures", ARCHITECTURES[cls]),
        "vocab_size": ("vocab_size", cfg.int("vocab_size", 32128)),
        "d_model": d_model,
        "n_encoder_layers": (layers_key, n_layers),
        "n_decoder_layers": ("num_decoder_layers", decoder_default if n_decoder is None else n_decoder),
        "n_heads": _aliased(cfg, "num_heads", "num_attention_heads", 8),
        "head_dim": _aliased(cfg, "d_kv", "head_dim", 64),
        "d_ff": ("d_ff", cfg.int("d_ff", 2048)),
        "gated": _t5_gated(cfg),
        "bias": ("model_type", False),
        "norm": ("model_type", "rms_norm"),
        "relative_attention_buckets": (
            "relative_attention_num_buckets", cfg.int("relative_attention_num_buckets", 32)
        ),
        "final_norm": ("model_type", True),
        # T5Config sets tie_word_embeddings to true whatever the file says
        "tie_embeddings": ("tie_word_embeddings", True),
        "tie_lm_head": ("tie_word_embeddings", True),
    }
    if cls == "T5WithLMHeadModel":
        notes += (
            f"{cfg.path}: architectures: T5WithLMHeadModel is the old name of T5ForConditionalGeneration "
            "(transformers 5 builds that class for this config), counted as such",
        )
    if not tie and ARCHITECTURES[cls] == "conditional_generation":
        notes += (
            f"{cfg.path}: tie_word_embeddings: false is not honoured by transformers 5 for model_type 't5': "
            "the model built from this config ties lm_head to shared, as counted here; from_pretrained keeps a "
            "checkpoint's own lm_head.weight apart (T5 v1.1, Flan-T5), adding vocab_size x d_model parameters "
            "(family switch tie_lm_head = false in a spec)",
        )
    return Mapped("encoder-decoder", params, notes)


def _map_bart(cfg: ConfigReader, cls: str) -> Mapped:
    tie = cfg.bool("tie_word_embeddings", True)
    params: Params = {
        "layout": ("model_type", "bart"),
        "architecture": ("architectures", ARCHITECTURES[cls]),
        "vocab_size": ("vocab_size", cfg.int("vocab_size", 50265)),
        "d_model": _aliased(cfg, "d_model", "hidden_size", 1024),
        "n_encoder_layers": _aliased(cfg, "encoder_layers", "num_hidden_layers", 12, minimum=0),
        "n_decoder_layers": ("decoder_layers", cfg.int("decoder_layers", 12, minimum=0)),
        "n_heads": _aliased(cfg, "encoder_attention_heads", "num_attention_heads", 16),
        "n_decoder_heads": ("decoder_attention_heads", cfg.int("decoder_attention_heads", 16)),
        "d_ff": ("encoder_ffn_dim", cfg.int("encoder_ffn_dim", 4096)),
        "decoder_d_ff": ("decoder_ffn_dim", cfg.int("decoder_ffn_dim", 4096)),
        "bias": ("model_type", True),
        "norm": ("model_type", "layer_norm"),
        "n_positions": ("max_position_embeddings", cfg.int("max_position_embeddings", 1024)),
        "position_offset": ("model_type", 2),
        "embedding_norm": ("model_type", True),
        "final_norm": ("model_type", False),
        "tie_embeddings": ("tie_word_embeddings", tie),
        "tie_lm_head": ("tie_word_embeddings", tie),
    }
    return Mapped("encoder-decoder", params)


#: Fields of T5Config that change no shape.
T5_SHAPE_FREE = frozenset((
    "relative_attention_max_distance", "dropout_rate", "layer_norm_epsilon", "initializer_factor", "dense_act_fn",
    "scale_decoder_outputs", "classifier_dropout",
))  # fmt: skip

#: Fields of BartConfig that change no shape.
BART_SHAPE_FREE = frozenset((
    "encoder_layerdrop", "decoder_layerdrop", "activation_function", "dropout", "attention_dropout",
    "activation_dropout", "init_std", "classifier_dropout", "scale_embedding", "num_labels",
))  # fmt: skip


@hookimpl
def register_model_types(register):
    """Map the ``t5`` and ``bart`` model types."""
    register(ModelType("t5", T5_CLASSES, _map_t5, T5_SHAPE_FREE))
    register(ModelType("bart", BART_CLASSES, _map_bart, BART_SHAPE_FREE))

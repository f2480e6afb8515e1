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

Each is a :class:`registry.Row` (transformers' defaults from
:mod:`registry.plugins.generated_defaults`). The aliases of transformers' ``attribute_map``
(``hidden_size``, ``num_attention_heads``, ``num_hidden_layers``, T5's ``head_dim``) may be
given for the field they stand for; both, with different values, are refused.
"""

from __future__ import annotations

from registry import ConfigReader, Params, hookimpl, short_value as short
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.hf_common import hf_row

#: T5WithLMHeadModel is the name early published T5 configs give T5ForConditionalGeneration (t5-small …
#: t5-11b); transformers 5 has no such class and its auto classes build T5ForConditionalGeneration for them.
ARCHITECTURES = {
    "T5ForConditionalGeneration": "conditional_generation", "T5Model": "model", "T5EncoderModel": "encoder",
    "T5WithLMHeadModel": "conditional_generation",
    "BartForConditionalGeneration": "conditional_generation", "BartModel": "model",
}  # fmt: skip


def _architecture(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule: which stacks and head the class builds."""
    params["architecture"] = ("architectures", ARCHITECTURES[cls])


def _t5(cfg: ConfigReader, cls: str, params: Params) -> tuple[str, ...]:
    """Rule (T5): the decoder's layers (num_layers' when not given: transformers takes that default before
    the alias), the gated feed-forward, and notes on the old class name and on a tie transformers ignores."""
    default_layers = cfg.data.get("num_layers", DEFAULTS["t5"]["num_layers"])
    n_decoder = cfg.int("num_decoder_layers", None, nullable=True, minimum=0)
    params["n_decoder_layers"] = ("num_decoder_layers", default_layers if n_decoder is None else n_decoder)
    params["gated"] = _t5_gated(cfg)
    notes: tuple[str, ...] = ()
    if cls == "T5WithLMHeadModel":
        notes += (
            f"{cfg.path}: architectures: T5WithLMHeadModel is the old name of T5ForConditionalGeneration "
            "(transformers 5 builds that class for this config), counted as such",
        )
    if not cfg.bool("tie_word_embeddings", True) and ARCHITECTURES[cls] == "conditional_generation":
        notes += (
            f"{cfg.path}: tie_word_embeddings: false is not honoured by transformers 5 for model_type 't5': "
            "the model built from this config ties lm_head to shared, as counted here; from_pretrained keeps a "
            "checkpoint's own lm_head.weight apart (T5 v1.1, Flan-T5), adding vocab_size x d_model parameters "
            "(family switch tie_lm_head = false in a spec)",
        )
    return notes


def _t5_gated(cfg: ConfigReader) -> tuple[str, bool]:
    """Whether the feed-forward is gated: ``is_gated_act`` if set, else ``feed_forward_proj``'s prefix."""
    value = cfg.raw("feed_forward_proj", DEFAULTS["t5"]["feed_forward_proj"])
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


#: Every row of this plugin.
ROWS = (
    hf_row("t5", "encoder-decoder", tuple(c for c in ARCHITECTURES if c.startswith("T5")),
           {"vocab_size": "vocab_size", "d_model": "d_model|hidden_size", "n_encoder_layers": "num_layers|num_hidden_layers",
            "n_heads": "num_heads|num_attention_heads", "head_dim": "d_kv|head_dim", "d_ff": "d_ff",
            "relative_attention_buckets": "relative_attention_num_buckets"},
           _architecture, _t5,
           # T5Config sets tie_word_embeddings to true whatever the file says
           fixed={"layout": "t5", "bias": False, "norm": "rms_norm", "final_norm": True, "tie_embeddings": True,
                  "tie_lm_head": True},
           shape_free=("relative_attention_max_distance", "dropout_rate", "layer_norm_epsilon", "initializer_factor",
                       "dense_act_fn", "scale_decoder_outputs", "classifier_dropout")),  # fmt: skip
    # tie_word_embeddings = false unties everything: both stacks' embed_tokens and the LM head
    hf_row("bart", "encoder-decoder", ("BartForConditionalGeneration", "BartModel"),
           {"vocab_size": "vocab_size", "d_model": "d_model|hidden_size",
            "n_encoder_layers": "encoder_layers|num_hidden_layers", "n_decoder_layers": "decoder_layers",
            "n_heads": "encoder_attention_heads|num_attention_heads", "n_decoder_heads": "decoder_attention_heads",
            "d_ff": "encoder_ffn_dim", "decoder_d_ff": "decoder_ffn_dim", "n_positions": "max_position_embeddings",
            "tie_embeddings": "tie_word_embeddings", "tie_lm_head": "tie_word_embeddings"},
           _architecture,
           fixed={"layout": "bart", "bias": True, "norm": "layer_norm", "position_offset": 2, "embedding_norm": True,
                  "final_norm": False},
           shape_free=("encoder_layerdrop", "decoder_layerdrop", "activation_function", "dropout", "attention_dropout",
                       "activation_dropout", "init_std", "classifier_dropout", "scale_embedding", "num_labels")),  # fmt: skip
)


@hookimpl
def register_model_types(register):
    """Map the ``t5`` and ``bart`` model types."""
    for row in ROWS:
        register(row)

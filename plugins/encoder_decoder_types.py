"""Hugging Face T5-shaped (``t5``, ``mt5``, ``umt5``, ``longt5``) and BART-shaped (``bart``, ``mbart``,
``marian``, ``pegasus``) configs → the ``encoder-decoder`` family, as transformers 5 builds them.

T5 (``T5ForConditionalGeneration``, ``T5Model``, ``T5EncoderModel``): no biases, scale-only
norms, ``num_heads × d_kv`` inner attention width, a relative attention bias in layer 0 of
each stack, ``feed_forward_proj = "gated-…"`` (T5 v1.1, Flan-T5) for the gated feed-forward
(``is_gated_act``, when the file sets it, wins over ``feed_forward_proj``, as in transformers).
transformers 5 ties the LM head and both stacks' ``embed_tokens`` to ``shared`` whatever
``tie_word_embeddings`` says (``T5Config`` forces it to true and keeps only the output scaling
from it); a file with ``tie_word_embeddings = false`` is counted so, with a note that its
checkpoint's own ``lm_head.weight`` is kept apart by ``from_pretrained``.

mT5 is T5 v1.1 in shape (transformers 5 ties its LM head as T5's, although the published files
say ``tie_word_embeddings = false``: the same note); umT5 adds a relative attention bias to the
self-attention of every layer; LongT5's encoder attention is ``local`` or ``transient-global``
(``encoder_attention_type``; the latter adds a global relative bias in layer 0 and a global input
norm in every encoder layer).

BART (``BartForConditionalGeneration``, ``BartModel``): biases everywhere, LayerNorms with a
shift, learned positions of ``max_position_embeddings + 2`` rows, ``layernorm_embedding``, no
final norm; ``tie_word_embeddings = false`` unties everything: both stacks' ``embed_tokens``
and the LM head get tables of their own. ``scale_embedding`` multiplies the embeddings by
``sqrt(d_model)``: no parameters. ``final_logits_bias`` is a buffer, not counted. mBART adds a final
``layer_norm`` to each stack; Pegasus has the final norms but no ``layernorm_embedding``, and
sinusoidal positions of ``max_position_embeddings`` rows (no offset); Marian has neither norm,
the same sinusoidal positions, and ``share_encoder_decoder_embeddings = false`` gives each stack a
table of its own (the decoder's of ``decoder_vocab_size`` rows), the LM head tied to the decoder's.
transformers 5 holds the sinusoidal tables as (frozen) parameters: they are counted.

Each is a :class:`registry.Row` (transformers' defaults from
:mod:`registry.plugins.generated_defaults`). The aliases of transformers' ``attribute_map``
(``hidden_size``, ``num_attention_heads``, ``num_hidden_layers``, T5's ``head_dim``) may be
given for the field they stand for; both, with different values, are refused.
"""

from __future__ import annotations

from registry import ConfigReader, Params, Row, hookimpl, short_value as short
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.hf_common import hf_row

#: T5WithLMHeadModel is the name early published T5 configs give T5ForConditionalGeneration (t5-small …
#: t5-11b); transformers 5 has no such class and its auto classes build T5ForConditionalGeneration for them.
ARCHITECTURES = {
    "T5ForConditionalGeneration": "conditional_generation", "T5Model": "model", "T5EncoderModel": "encoder",
    "T5WithLMHeadModel": "conditional_generation",
    "MT5ForConditionalGeneration": "conditional_generation", "MT5Model": "model", "MT5EncoderModel": "encoder",
    "UMT5ForConditionalGeneration": "conditional_generation", "UMT5Model": "model", "UMT5EncoderModel": "encoder",
    "LongT5ForConditionalGeneration": "conditional_generation", "LongT5Model": "model",
    "LongT5EncoderModel": "encoder",
    "BartForConditionalGeneration": "conditional_generation", "BartModel": "model", "BartForCausalLM": "causal_lm",
    "MBartForConditionalGeneration": "conditional_generation", "MBartModel": "model", "MBartForCausalLM": "causal_lm",
    "MarianMTModel": "conditional_generation", "MarianModel": "model",
    "PegasusForConditionalGeneration": "conditional_generation", "PegasusModel": "model",
}  # fmt: skip


def _classes(prefix: str) -> tuple[str, ...]:
    """The classes of ``ARCHITECTURES`` whose name starts with ``prefix`` (the usual one first)."""
    return tuple(c for c in ARCHITECTURES if c.startswith(prefix))


def _architecture(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule: which stacks and head the class builds."""
    params["architecture"] = ("architectures", ARCHITECTURES[cls])


def _decoder_cross(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (BART, mBART): the decoder's layers always hold their cross-attention (``encoder_attn``), whatever
    ``add_cross_attention`` says (a generic wrapper's decoder config sets it; BART never reads it)."""
    cfg.raw("add_cross_attention")


def _t5(cfg: ConfigReader, cls: str, params: Params) -> tuple[str, ...]:
    """Rule (T5, mT5, umT5, LongT5): the decoder's layers (num_layers' when not given: transformers takes that
    default before the alias), the gated feed-forward, LongT5's encoder attention, and notes on the old class
    name and on a tie transformers ignores."""
    model_type = cfg.data.get("model_type", "t5")
    defaults = DEFAULTS.get(model_type, DEFAULTS["t5"])
    default_layers = cfg.data.get("num_layers", defaults["num_layers"])
    n_decoder = cfg.int("num_decoder_layers", None, nullable=True, minimum=0)
    params["n_decoder_layers"] = ("num_decoder_layers", default_layers if n_decoder is None else n_decoder)
    params["gated"] = _t5_gated(cfg, defaults["feed_forward_proj"])
    if model_type == "longt5":
        kind = cfg.raw("encoder_attention_type", defaults["encoder_attention_type"])
        if kind not in ("local", "transient-global"):
            raise cfg.error("encoder_attention_type", f"must be 'local' or 'transient-global' (got {short(kind)}); "
                            "transformers refuses any other")  # fmt: skip
        params["encoder_attention"] = ("encoder_attention_type", kind)
    notes: tuple[str, ...] = ()
    if cls == "T5WithLMHeadModel":
        notes += (
            f"{cfg.path}: architectures: T5WithLMHeadModel is the old name of T5ForConditionalGeneration "
            "(transformers 5 builds that class for this config), counted as such",
        )
    if not cfg.bool("tie_word_embeddings", True) and ARCHITECTURES[cls] == "conditional_generation":
        notes += (
            f"{cfg.path}: tie_word_embeddings: false is not honoured by transformers 5 for model_type "
            f"'{model_type}': the model built from this config ties lm_head to shared, as counted here; the "
            "published checkpoint holds an lm_head.weight of its own (T5 v1.1, Flan-T5, mT5, umT5), "
            "vocab_size x d_model more parameters (family switch tie_lm_head = false in a spec)",
        )
    return notes


def _t5_gated(cfg: ConfigReader, default: str) -> tuple[str, bool]:
    """Whether the feed-forward is gated: ``is_gated_act`` if set, else ``feed_forward_proj``'s prefix."""
    value = cfg.raw("feed_forward_proj", default)
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


def _marian(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (Marian): the decoder's vocabulary (null or absent: vocab_size); transformers gives it to the
    decoder's own embedding table and, when the stacks share no table, to the LM head."""
    rows = cfg.int("decoder_vocab_size", None, nullable=True)
    if rows is not None:
        params["decoder_vocab_size"] = ("decoder_vocab_size", rows)


_T5_READS = {
    "vocab_size": "vocab_size", "d_model": "d_model|hidden_size", "n_encoder_layers": "num_layers|num_hidden_layers",
    "n_heads": "num_heads|num_attention_heads", "head_dim": "d_kv|head_dim", "d_ff": "d_ff",
    "relative_attention_buckets": "relative_attention_num_buckets",
}  # fmt: skip
_T5_SHAPE_FREE = ("relative_attention_max_distance", "dropout_rate", "layer_norm_epsilon", "initializer_factor",
                  "dense_act_fn", "scale_decoder_outputs", "classifier_dropout")  # fmt: skip
#: The configuration class sets tie_word_embeddings to true whatever the file says.
_T5_FIXED = {"layout": "t5", "bias": False, "norm": "rms_norm", "final_norm": True, "tie_embeddings": True,
             "tie_lm_head": True}  # fmt: skip
#: BART-shaped configs' fields of each hyper-parameter (also read by :mod:`registry.plugins.types_seq2seq_more`);
#: tie_word_embeddings = false unties everything: both stacks' embed_tokens and the LM head.
BART_READS = {
    "vocab_size": "vocab_size", "d_model": "d_model|hidden_size",
    "n_encoder_layers": "encoder_layers|num_hidden_layers", "n_decoder_layers": "decoder_layers",
    "n_heads": "encoder_attention_heads|num_attention_heads", "n_decoder_heads": "decoder_attention_heads",
    "d_ff": "encoder_ffn_dim", "decoder_d_ff": "decoder_ffn_dim", "n_positions": "max_position_embeddings",
    "tie_embeddings": "tie_word_embeddings", "tie_lm_head": "tie_word_embeddings",
}  # fmt: skip
#: BART-shaped configs' fields that change no shape.
BART_SHAPE_FREE = ("encoder_layerdrop", "decoder_layerdrop", "activation_function", "dropout", "attention_dropout",
                   "activation_dropout", "init_std", "classifier_dropout", "scale_embedding", "num_labels")  # fmt: skip
#: What every BART-shaped model type sets whatever its config says.
BART_FIXED = {"layout": "bart", "bias": True, "norm": "layer_norm"}


def _t5_row(name: str, prefix: str, **fixed) -> Row:
    shape_free = _T5_SHAPE_FREE + (("local_radius", "global_block_size") if name == "longt5" else ())
    return hf_row(name, "encoder-decoder", _classes(prefix), _T5_READS, _architecture, _t5,
                  fixed={**_T5_FIXED, **fixed}, shape_free=shape_free)  # fmt: skip


def _bart_row(name: str, prefix: str, *rules, reads=None, shape_free=(), **fixed) -> Row:
    return hf_row(name, "encoder-decoder", _classes(prefix), {**BART_READS, **(reads or {})}, _architecture, *rules,
                  fixed={**BART_FIXED, **fixed}, shape_free=BART_SHAPE_FREE + shape_free)  # fmt: skip


#: Every row of this plugin.
ROWS = (
    _t5_row("t5", "T5"),
    _t5_row("mt5", "MT5"),
    _t5_row("umt5", "UMT5", relative_bias_every_layer=True),
    _t5_row("longt5", "LongT5"),
    _bart_row("bart", "Bart", _decoder_cross, position_offset=2, embedding_norm=True, final_norm=False),
    _bart_row("mbart", "MBart", _decoder_cross, position_offset=2, embedding_norm=True, final_norm=True),
    # sinusoidal positions of max_position_embeddings rows, no offset
    _bart_row("pegasus", "Pegasus", embedding_norm=False, final_norm=True),
    _bart_row("marian", "Marian", _marian, reads={"shared_embedding": "share_encoder_decoder_embeddings"},
              embedding_norm=False, final_norm=False),
)


@hookimpl
def register_model_types(register):
    """Map the T5-shaped and BART-shaped model types (the module's docstring lists them)."""
    for row in ROWS:
        register(row)

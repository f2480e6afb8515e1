"""Hugging Face model types of older text models, as rows of data: ``fsmt`` and ``prophetnet`` (each its own
family).

FSMT (``FSMTForConditionalGeneration``, ``FSMTModel``; facebook/wmt19-*): each stack's token table of its own
vocabulary (``src_vocab_size``, ``tgt_vocab_size``), sinusoidal position tables of ``max_position_embeddings +
pad_token_id + 1`` rows held as parameters, BART's post-norm layers, the decoder's ``output_projection`` as LM
head; ``tie_word_embeddings`` ties both token tables and the head (transformers gives the encoder's the decoder's
shape: a note says so when the vocabularies differ). The ``attribute_map`` aliases (``hidden_size``,
``num_attention_heads``, ``num_hidden_layers``, ``vocab_size``) may be given for the field they stand for; both,
with different values, are refused.

ProphetNet (``ProphetNetForConditionalGeneration``, ``ProphetNetModel``, ``ProphetNetForCausalLM``, and the
stacks alone, ``ProphetNetDecoder`` and ``ProphetNetEncoder``): ``add_cross_attention`` (true by default) gives
every decoder layer its cross-attention, in every class; ``tie_word_embeddings`` ties the stacks' tables and the
LM head to the shared one; ``pad_token_id`` must be a row of the token and position tables (``padding_idx``);
``num_hidden_layers`` is refused (transformers' configuration refuses to set it). The published files' old
fields (``encoder_max_position_embeddings``, ``decoder_max_position_embeddings``, the layer drops, ``output_past``,
``prefix``) build nothing. Each is a :class:`registry.Row` (transformers' defaults from
:mod:`registry.plugins.generated_defaults`).
"""

from __future__ import annotations

from registry import ConfigReader, Params, hookimpl
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.hf_common import hf_row

_FSMT_CLASSES = {"FSMTForConditionalGeneration": "conditional_generation", "FSMTModel": "model"}


def _fsmt(cfg: ConfigReader, cls: str, params: Params) -> tuple[str, ...]:
    """Rule (FSMT): the class's stacks, the position rows (max_position_embeddings + pad_token_id + 1, as
    SinusoidalPositionalEmbedding is built; the padding row inside every table), and a note on a tie of two
    vocabularies of different sizes."""
    params["architecture"] = ("architectures", _FSMT_CLASSES[cls])
    src, tgt = params["src_vocab_size"][1], params["tgt_vocab_size"][1]
    pad = cfg.int("pad_token_id", DEFAULTS["fsmt"]["pad_token_id"], minimum=0)
    if pad >= min(src, tgt):
        raise cfg.error("pad_token_id", f"{pad} is no row of the token tables ({src} and {tgt} rows): transformers "
                        "cannot build them")  # fmt: skip
    params["n_positions"] = ("max_position_embeddings", params["n_positions"][1] + pad + 1)
    if params["tie_embeddings"][1] and src != tgt:
        return (f"{cfg.path}: tie_word_embeddings: true with src_vocab_size {src} and tgt_vocab_size {tgt}: transformers "
                f"ties the encoder's token table to the decoder's ({tgt} rows), as counted here",)  # fmt: skip
    return ()


_PROPHETNET_CLASSES = {
    "ProphetNetForConditionalGeneration": "conditional_generation", "ProphetNetModel": "model",
    "ProphetNetForCausalLM": "causal_lm", "ProphetNetDecoder": "decoder", "ProphetNetEncoder": "encoder",
}  # fmt: skip


def _prophetnet(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (ProphetNet): the class's stacks and head; pad_token_id a row of the token and position tables;
    num_hidden_layers refused, as the configuration refuses it."""
    params["architecture"] = ("architectures", _PROPHETNET_CLASSES[cls])
    if cfg.has("num_hidden_layers"):
        raise cfg.error("num_hidden_layers", "cannot be set for prophetnet (transformers refuses it): give "
                        "num_encoder_layers and num_decoder_layers")  # fmt: skip
    pad = cfg.int("pad_token_id", DEFAULTS["prophetnet"]["pad_token_id"], nullable=True, minimum=0)
    rows = min(params["vocab_size"][1], params["n_positions"][1])
    if pad is not None and pad >= rows:
        raise cfg.error("pad_token_id", f"{pad} is no row of the token and position tables (padding_idx; "
                        f"vocab_size {params['vocab_size'][1]}, max_position_embeddings {params['n_positions'][1]})")  # fmt: skip


#: Every row of this plugin (the module's docstring lists them).
ROWS = (
    hf_row("fsmt", "fsmt", tuple(_FSMT_CLASSES),
           {"src_vocab_size": "src_vocab_size", "tgt_vocab_size": "tgt_vocab_size|vocab_size",
            "d_model": "d_model|hidden_size", "n_encoder_layers": "encoder_layers|num_hidden_layers",
            "n_decoder_layers": "decoder_layers", "n_heads": "encoder_attention_heads|num_attention_heads",
            "n_decoder_heads": "decoder_attention_heads", "d_ff": "encoder_ffn_dim", "decoder_d_ff": "decoder_ffn_dim",
            "n_positions": "max_position_embeddings", "tie_embeddings": "tie_word_embeddings"},
           _fsmt,
           shape_free=("langs", "activation_function", "max_length", "encoder_layerdrop", "decoder_layerdrop",
                       "attention_dropout", "dropout", "activation_dropout", "init_std", "scale_embedding",
                       "num_beams", "length_penalty", "early_stopping")),  # fmt: skip
    hf_row("prophetnet", "prophetnet", tuple(_PROPHETNET_CLASSES),
           {"vocab_size": "vocab_size", "d_model": "hidden_size", "n_encoder_layers": "num_encoder_layers",
            "n_decoder_layers": "num_decoder_layers", "n_heads": "num_encoder_attention_heads|num_attention_heads",
            "n_decoder_heads": "num_decoder_attention_heads", "d_ff": "encoder_ffn_dim",
            "decoder_d_ff": "decoder_ffn_dim", "n_positions": "max_position_embeddings", "ngram": "ngram",
            "relative_buckets": "num_buckets", "cross_attention": "add_cross_attention",
            "tie_embeddings": "tie_word_embeddings"},
           _prophetnet,
           shape_free=("activation_dropout", "activation_function", "attention_dropout", "dropout", "init_std",
                       "relative_max_distance", "disable_ngram_loss", "eps", "encoder_max_position_embeddings",
                       "decoder_max_position_embeddings", "encoder_layerdrop", "decoder_layerdrop", "output_past",
                       "prefix", "gradient_checkpointing")),  # fmt: skip
)


@hookimpl
def register_model_types(register):
    """Map fsmt and prophetnet, each to its family."""
    for row in ROWS:
        register(row)

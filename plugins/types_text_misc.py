"""Hugging Face model types of older text models, as rows of data: ``fsmt``, ``prophetnet``, ``reformer``,
``cpmant``, ``xlnet``, ``ctrl`` and ``gpt_neox_japanese`` (each its own family).

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
``prefix``) build nothing.

Reformer (``ReformerModelWithLMHead``, which transformers builds only with ``is_decoder`` true and no chunks after
(``local_num_chunks_after``, ``lsh_num_chunks_after`` 0), ``ReformerForMaskedLM``, only with ``is_decoder``
false, and ``ReformerModel``): ``num_hidden_layers`` layers (``len(attn_layers)`` when not given; the file's value
wins, as in transformers), layer ``i`` of kind ``attn_layers[i]`` when the list mixes ``local`` and ``lsh``;
axial position embeddings with ``axial_pos_embds`` (``axial_pos_shape``, ``axial_pos_embds_dim``), else a
table of ``max_position_embeddings`` rows. ``tie_word_embeddings`` ties nothing (the LM head reads both
reversible streams, twice the table's width). The published files' old ``num_chunks_before``,
``num_chunks_after``, ``intermediate_size`` and ``output_past`` build nothing.

CPM-Ant (``CpmAntForCausalLM``, ``CpmAntModel``; the published file names ``CPMAntForCausalLM``, the old
spelling transformers' auto class resolves to ``CpmAntForCausalLM``): ``prompt_types × prompt_length`` prompt
rows after the vocabulary in the input table; ``tie_word_embeddings`` ties nothing (the head has fewer rows than
the input table); the published file's ``mask_modules`` builds nothing.

XLNet (``XLNetLMHeadModel``, ``XLNetModel``): ``d_head`` null or absent means ``d_model // n_head``, any other
value is refused (as transformers' configuration refuses it), and so is ``max_position_embeddings`` (XLNet has no
length limit: transformers refuses to set it) and an ``attn_type`` other than ``bi`` or ``uni``; ``untie_r`` of
old files changes nothing (every layer holds its own biases in transformers 5). ``n_token`` is the
``attribute_map`` alias of ``vocab_size``.

CTRL (``CTRLLMHeadModel``, ``CTRLModel``) and GPT-NeoX-Japanese (``GPTNeoXJapaneseForCausalLM``,
``GPTNeoXJapaneseModel``): heads that do not divide the width are refused (transformers builds the projections
but cannot split them into heads); CTRL's position table is a buffer, so ``n_positions`` changes no shape; the
MLP of GPT-NeoX-Japanese is ``int(hidden_size × intermediate_multiple_size)`` wide. Old files' fields that
transformers 5 no longer knows (CTRL's ``n_ctx``, ``attn_pdrop``, ``summary_*``) build nothing and are named in a
warning. Each is a :class:`registry.Row` (transformers' defaults from
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


_REFORMER_CLASSES = {"ReformerModelWithLMHead": "lm", "ReformerForMaskedLM": "lm", "ReformerModel": "model"}


def _reformer(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (Reformer): the layers' attention kinds, the positions and the class's head, refusing what
    transformers' classes refuse (the LM head model's is_decoder and chunks after, the masked LM's is_decoder)."""
    params["architecture"] = ("architectures", _REFORMER_CLASSES[cls])
    kinds = cfg.raw("attn_layers", list(DEFAULTS["reformer"]["attn_layers"]))
    if not isinstance(kinds, list) or not kinds or any(k not in ("local", "lsh") for k in kinds):
        raise cfg.error("attn_layers", "must be a non-empty list of 'local' and 'lsh' (transformers builds no other)")
    n_layers = cfg.int("num_hidden_layers", len(kinds))
    if len(set(kinds)) == 1:
        kinds = kinds[:1] * n_layers
    elif n_layers > len(kinds):
        raise cfg.error("num_hidden_layers", f"{n_layers} layers but attn_layers mixes local and lsh for {len(kinds)} "
                        "only (transformers cannot build the others)")  # fmt: skip
    params["attention_kinds"] = ("attn_layers", tuple(kinds[:n_layers]))
    if cfg.bool("axial_pos_embds", DEFAULTS["reformer"]["axial_pos_embds"]):
        for key, name in (("axial_pos_shape", "axial_shape"), ("axial_pos_embds_dim", "axial_dims")):
            value = cfg.int_list(key, list(DEFAULTS["reformer"][key]))
            if not value or 0 in value:
                raise cfg.error(key, f"must be a non-empty list of whole numbers >= 1 (got {value})")
            params[name] = (key, tuple(value))
    else:
        params["n_positions"] = ("max_position_embeddings", cfg.int("max_position_embeddings",
                                                                    DEFAULTS["reformer"]["max_position_embeddings"]))
    cfg.read.add("max_position_embeddings")
    decoder = cfg.bool("is_decoder", False)
    if cls == "ReformerForMaskedLM" and decoder:
        raise cfg.error("is_decoder", "must be false for ReformerForMaskedLM (transformers refuses a causal masked LM)")
    if cls == "ReformerModelWithLMHead":
        if not decoder:
            raise cfg.error("is_decoder", "must be true for ReformerModelWithLMHead (transformers refuses it otherwise)")
        for kind in set(kinds):
            key = f"{kind}_num_chunks_after"
            if cfg.raw(key, DEFAULTS["reformer"][key]) not in (0, None):
                raise cfg.error(key, "must be 0 for ReformerModelWithLMHead (a causal model attends no later chunk)")


_CPMANT_CLASSES = {"CpmAntForCausalLM": "causal_lm", "CpmAntModel": "model", "CPMAntForCausalLM": "causal_lm"}


def _cpmant(cfg: ConfigReader, cls: str, params: Params) -> tuple[str, ...]:
    """Rule (CPM-Ant): the class's head, and the prompt rows of the input table."""
    params["architecture"] = ("architectures", _CPMANT_CLASSES[cls])
    types = cfg.int("prompt_types", DEFAULTS["cpmant"]["prompt_types"], minimum=0)
    length = cfg.int("prompt_length", DEFAULTS["cpmant"]["prompt_length"], minimum=0)
    params["prompt_rows"] = ("prompt_types", types * length)
    if cls == "CPMAntForCausalLM":
        return ("architectures names CPMAntForCausalLM, the old spelling of CpmAntForCausalLM (what transformers "
                "builds for this model type): counted as such",)  # fmt: skip
    return ()


def _xlnet(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (XLNet): the class's head; d_head only as d_model // n_head; no max_position_embeddings; attn_type."""
    params["architecture"] = ("architectures", "model" if cls == "XLNetModel" else "lm")
    width, heads = params["d_model"][1], params["n_heads"][1]
    if width % heads:
        raise cfg.error(params["n_heads"][0], f"{heads} does not divide d_model ({width}); transformers refuses it")
    d_head = cfg.int("d_head", None, nullable=True)
    if d_head is not None and d_head != width // heads:
        raise cfg.error("d_head", f"{d_head} is not d_model // n_head ({width // heads}); transformers refuses it")
    if cfg.has("max_position_embeddings"):
        raise cfg.error("max_position_embeddings", "cannot be set for xlnet (no sequence length limit: transformers "
                        "refuses it)")  # fmt: skip
    cfg.expect("attn_type", ("bi", "uni"), "transformers' XLNet attends 'bi' or 'uni' only")


def _ctrl(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (CTRL): the class's head."""
    params["architecture"] = ("architectures", "model" if cls == "CTRLModel" else "lm")


def _gpt_neox_japanese(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (GPT-NeoX-Japanese): the class's head and the MLP width, int(hidden_size * intermediate_multiple_size)."""
    params["architecture"] = ("architectures", "model" if cls == "GPTNeoXJapaneseModel" else "lm")
    multiple = cfg.int("intermediate_multiple_size", DEFAULTS["gpt_neox_japanese"]["intermediate_multiple_size"])
    params["d_ff"] = ("intermediate_multiple_size", params["d_model"][1] * multiple)


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
    hf_row("reformer", "reformer", tuple(_REFORMER_CLASSES),
           {"vocab_size": "vocab_size", "d_model": "hidden_size", "n_heads": "num_attention_heads",
            "head_dim": "attention_head_size", "d_ff": "feed_forward_size"},
           _reformer,
           shape_free=("attention_probs_dropout_prob", "axial_norm_std", "chunk_size_lm_head", "hash_seed",
                       "hidden_act", "hidden_dropout_prob", "initializer_range", "layer_norm_eps",
                       "local_num_chunks_before", "local_num_chunks_after", "local_attention_probs_dropout_prob",
                       "local_attn_chunk_length", "lsh_attn_chunk_length", "lsh_attention_probs_dropout_prob",
                       "lsh_num_chunks_before", "lsh_num_chunks_after", "num_buckets", "num_hashes",
                       "tie_word_embeddings", "classifier_dropout", "num_chunks_before", "num_chunks_after",
                       "intermediate_size", "output_past")),  # fmt: skip
    hf_row("cpmant", "cpmant", tuple(_CPMANT_CLASSES),
           {"vocab_size": "vocab_size", "d_model": "hidden_size", "n_layers": "num_hidden_layers",
            "n_heads": "num_attention_heads", "head_dim": "dim_head", "d_ff": "dim_ff",
            "segment_types": "segment_types", "relative_buckets": "position_bias_num_buckets"},
           _cpmant,
           shape_free=("dropout_p", "position_bias_max_distance", "eps", "init_std", "tie_word_embeddings",
                       "mask_modules")),  # fmt: skip
    hf_row("xlnet", "xlnet", ("XLNetLMHeadModel", "XLNetModel"),
           {"vocab_size": "vocab_size|n_token", "d_model": "d_model|hidden_size", "n_layers": "n_layer|num_hidden_layers",
            "n_heads": "n_head|num_attention_heads", "d_ff": "d_inner", "tie_word_embeddings": "tie_word_embeddings"},
           _xlnet,
           shape_free=("ff_activation", "initializer_range", "layer_norm_eps", "dropout", "mem_len", "reuse_len",
                       "use_mems_eval", "use_mems_train", "bi_data", "clamp_len", "same_length", "summary_type",
                       "summary_use_proj", "summary_activation", "summary_last_dropout", "start_n_top", "end_n_top",
                       "untie_r")),  # fmt: skip
    hf_row("ctrl", "ctrl", ("CTRLLMHeadModel", "CTRLModel"),
           {"vocab_size": "vocab_size", "d_model": "n_embd|hidden_size", "n_layers": "n_layer|num_hidden_layers",
            "n_heads": "n_head|num_attention_heads", "d_ff": "dff", "tie_word_embeddings": "tie_word_embeddings"},
           _ctrl,
           shape_free=("n_positions", "max_position_embeddings", "resid_pdrop", "embd_pdrop", "layer_norm_epsilon",
                       "initializer_range")),  # fmt: skip
    hf_row("gpt_neox_japanese", "gpt-neox-japanese", ("GPTNeoXJapaneseForCausalLM", "GPTNeoXJapaneseModel"),
           {"vocab_size": "vocab_size", "d_model": "hidden_size", "n_layers": "num_hidden_layers",
            "n_heads": "num_attention_heads", "tie_word_embeddings": "tie_word_embeddings"},
           _gpt_neox_japanese,
           shape_free=("hidden_act", "max_position_embeddings", "initializer_range", "layer_norm_eps",
                       "rope_parameters", "rope_scaling", "rotary_pct", "rotary_emb_base", "attention_dropout",
                       "hidden_dropout")),  # fmt: skip
)


@hookimpl
def register_model_types(register):
    """Map fsmt, prophetnet, reformer, cpmant, xlnet, ctrl and gpt_neox_japanese, each to its family."""
    for row in ROWS:
        register(row)

"""Hugging Face model types of the ``encoder`` family, as rows of data: roberta, xlm-roberta,
camembert, distilbert, albert, deberta-v2, modernbert, modernbert-decoder, electra, big_bird and
bert-generation.

XLM-RoBERTa and CamemBERT are RoBERTa in every tensor (their classes hold the same ``roberta.``
modules); BigBird is BERT-shaped (its block-sparse attention has no tensors of its own, its pooler
is a bare Linear present on every class, ``use_bias`` only on queries, keys and values);
BertGeneration has no pooler and no segments, and its LM head is the decoder alone; ModernBERT-
Decoder is ModernBERT's layer with separate query, key and value projections and a causal LM head.
Decoder layers built with ``is_decoder`` and ``add_cross_attention`` get a cross-attention each.

One :class:`registry.Row` each (config field -> hyper-parameter, transformers' defaults from
:mod:`registry.plugins.generated_defaults`), plus the few rules of its ``modeling_<type>.py``
that decide which tensors exist (the head and pooler of each class; DeBERTa-v2's relative
positions and convolution, read from ``getattr(config, ...)`` fields its configuration class
does not declare, with the defaults of that code).
"""

from __future__ import annotations

from typing import Any

from registry import ConfigReader, Params, Row, hookimpl, short_value as short
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.hf_common import ABSOLUTE_POSITIONS, hf_row, num_labels

_DROPOUTS = ("hidden_act", "hidden_dropout_prob", "attention_probs_dropout_prob", "layer_norm_eps")
#: The fields BERT-like configs share.
_BERT_READS = {
    "vocab_size": "vocab_size", "d_model": "hidden_size", "n_layers": "num_hidden_layers",
    "n_heads": "num_attention_heads", "d_ff": "intermediate_size", "tie_word_embeddings": "tie_word_embeddings",
}  # fmt: skip
_POSITIONS = {"n_positions": "max_position_embeddings", "type_vocab_size": "type_vocab_size"}


def bert_like_head(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule: the MLM head of ``...ForMaskedLM``, the pre-training heads of ``...ForPreTraining``, the
    classification head of ``...ForSequenceClassification`` (transformers' ``num_labels`` outputs), else none."""
    head = "mlm" if cls.endswith("ForMaskedLM") else "pretraining" if cls.endswith("ForPreTraining") else "none"
    if cls.endswith("ForSequenceClassification"):
        head = "classifier"
        params["n_labels"] = num_labels(cfg)
    params["head"] = ("architectures", head)


def pooler_on_bare_model(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (RoBERTa, XLM-RoBERTa, CamemBERT): the bare model class has the pooler."""
    params["pooler"] = ("architectures", cls.endswith("Model"))


def cross_attention_rule(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule: a cross-attention in every layer of a decoder built with add_cross_attention (transformers refuses
    add_cross_attention without is_decoder)."""
    cross = cfg.bool("add_cross_attention", False)
    if cross and not cfg.bool("is_decoder", False):
        raise cfg.error("add_cross_attention", "true needs is_decoder: true (transformers refuses to build "
                        "cross-attention in an encoder)")  # fmt: skip
    params["cross_attention"] = ("add_cross_attention", cross)


def _big_bird(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (BigBird): the pooler on every class; use_bias on queries, keys and values only."""
    params["pooler"] = ("architectures", True)
    params["qkv_bias"] = ("use_bias", cfg.bool("use_bias", DEFAULTS["big_bird"]["use_bias"]))


def _bert_generation(cfg: ConfigReader, cls: str, params: Params) -> tuple[str, ...]:
    """Rule (BertGeneration): the decoder class has the LM head, the encoder class none; Google's published
    encoder configs name the old class BertForSeqGenerationEncoderModel, counted as BertGenerationEncoder."""
    params["head"] = ("architectures", "mlm" if cls == "BertGenerationDecoder" else "none")
    if cls != "BertForSeqGenerationEncoderModel":
        return ()
    return (f"{cfg.path}: architectures: BertForSeqGenerationEncoderModel is the old name of BertGenerationEncoder "
            "(transformers 5 has no such class; its AutoModel builds BertGenerationEncoder for this config), "
            "counted as such",)  # fmt: skip


def _albert_heads(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (ALBERT): a pooler but on the MLM class; the sentence-order classifier of the pre-training
    class has transformers' ``num_labels`` outputs (the length of ``id2label`` when given, else ``num_labels``)."""
    params["pooler"] = ("architectures", cls != "AlbertForMaskedLM")
    if cls == "AlbertForPreTraining":
        params["n_labels"] = num_labels(cfg)


def name_list_field(cfg: ConfigReader, key: str, default: Any) -> list[str]:
    """A ``"a|b"`` string (split, stripped, lower-cased as transformers does) or a list of strings."""
    value = cfg.raw(key, default)
    if value is None:
        return []
    if isinstance(value, str):
        return [x.strip() for x in value.lower().split("|")]
    if isinstance(value, list) and all(isinstance(x, str) for x in value):
        return list(value)
    raise cfg.error(key, f"must be a string such as \"p2c|c2p\" or a list of strings (got {short(value)})")


def whole_field(cfg: ConfigReader, key: str, default: int) -> int:
    """Any whole number (negative ones mean "not set" in DeBERTa's configs)."""
    value = cfg.raw(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise cfg.error(key, f"must be a whole number (got {short(value)})")
    return value


def _deberta(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (DeBERTa-v2): position rows only with position_biased_input; relative positions, their
    projections and norm, and the convolution, as DebertaV2Encoder and DebertaV2Attention build them."""
    d, heads = params["d_model"][1], params["n_heads"][1]
    positions = cfg.int("max_position_embeddings", DEFAULTS["deberta-v2"]["max_position_embeddings"])
    biased = cfg.bool("position_biased_input", DEFAULTS["deberta-v2"]["position_biased_input"])
    params["n_positions"] = ("position_biased_input", positions if biased else 0)
    params["embedding_size"] = ("embedding_size", cfg.int("embedding_size", d))
    if cls.endswith("ForSequenceClassification") and cfg.int("pooler_hidden_size", d) != d:
        raise cfg.error("pooler_hidden_size", f"must be hidden_size ({d}): ContextPooler's dense layer is "
                        "pooler_hidden_size wide and takes the hidden states, so the model could not run")  # fmt: skip
    if cfg.has("attention_head_size") and cfg.int("attention_head_size", None) != d // heads:
        raise cfg.error("attention_head_size", "must be hidden_size / num_attention_heads: transformers' attention "
                        "output projection is hidden_size wide, so its model could not run with another width")  # fmt: skip
    max_relative = whole_field(cfg, "max_relative_positions", -1)
    buckets = whole_field(cfg, "position_buckets", -1)
    attention_types = name_list_field(cfg, "pos_att_type", None)
    share = cfg.bool("share_att_key", False)
    if cfg.bool("relative_attention", False):  # 2 x buckets rows, else 2 x max_relative_positions (positions if < 1)
        rows = 2 * buckets if buckets > 0 else 2 * (max_relative if max_relative >= 1 else positions)
        params["relative_positions"] = ("relative_attention", rows)
        params["pos_key_proj"] = ("pos_att_type", not share and "c2p" in attention_types)
        params["pos_query_proj"] = ("pos_att_type", not share and "p2c" in attention_types)
    params["rel_norm"] = ("norm_rel_ebd", "layer_norm" in name_list_field(cfg, "norm_rel_ebd", "none"))
    kernel = whole_field(cfg, "conv_kernel_size", 0)
    if kernel > 0:
        params["conv_kernel_size"] = ("conv_kernel_size", kernel)
        params["conv_groups"] = ("conv_groups", cfg.int("conv_groups", 1))


_CLASSES = {
    "roberta": ("RobertaForMaskedLM", "RobertaModel", "RobertaForSequenceClassification"),
    "xlm-roberta": ("XLMRobertaForMaskedLM", "XLMRobertaModel", "XLMRobertaForSequenceClassification"),
    "camembert": ("CamembertForMaskedLM", "CamembertModel", "CamembertForSequenceClassification"),
    "big_bird": ("BigBirdForMaskedLM", "BigBirdModel", "BigBirdForPreTraining"),
    "bert-generation": ("BertGenerationEncoder", "BertGenerationDecoder", "BertForSeqGenerationEncoderModel"),
    "modernbert-decoder": ("ModernBertDecoderForCausalLM", "ModernBertDecoderModel"),
    "distilbert": ("DistilBertForMaskedLM", "DistilBertModel", "DistilBertForSequenceClassification"),
    "albert": ("AlbertForMaskedLM", "AlbertModel", "AlbertForPreTraining"),
    "deberta-v2": ("DebertaV2ForMaskedLM", "DebertaV2Model", "DebertaV2ForSequenceClassification"),
    "modernbert": ("ModernBertForMaskedLM", "ModernBertModel", "ModernBertForSequenceClassification"),
    "electra": ("ElectraForPreTraining", "ElectraModel", "ElectraForMaskedLM", "ElectraForSequenceClassification"),
}


def _row(name: str, layout: str, reads: dict, shape_free, *rules, fixed=None):
    return hf_row(name, "encoder", _CLASSES[name], {**_BERT_READS, **reads}, bert_like_head, *rules,
                  fixed={"layout": layout, **(fixed or {})}, shape_free=shape_free)  # fmt: skip


def _causal_head(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (ModernBERT-Decoder): the causal LM class has the head (ModernBERT's, as an LM head)."""
    params["head"] = ("architectures", "mlm" if cls.endswith("ForCausalLM") else "none")


_MODERNBERT_READS = {"norm_bias": "norm_bias", "attention_bias": "attention_bias", "mlp_bias": "mlp_bias",
                     "head_bias": "classifier_bias", "decoder_bias": "decoder_bias"}  # fmt: skip


def _roberta_like(name: str) -> Row:
    # position rows are max_position_embeddings as given: it already counts padding_idx + 1 (514 = 512 + 2)
    return _row(name, "roberta", _POSITIONS, (*_DROPOUTS, "classifier_dropout"), ABSOLUTE_POSITIONS,
                pooler_on_bare_model, cross_attention_rule)  # fmt: skip


#: Every row of this plugin (the module's docstring lists them).
ROWS = (
    _roberta_like("roberta"),
    _roberta_like("xlm-roberta"),
    _roberta_like("camembert"),
    _row("distilbert", "distilbert",
         {"d_model": "dim|hidden_size", "n_layers": "n_layers|num_hidden_layers",
          "n_heads": "n_heads|num_attention_heads", "d_ff": "hidden_dim", "n_positions": "max_position_embeddings"},
         # sinusoidal_pos_embds only fills the position table: it is a parameter all the same
         ("dropout", "attention_dropout", "activation", "qa_dropout", "seq_classif_dropout", "sinusoidal_pos_embds"),
         fixed={"type_vocab_size": 0}),  # fmt: skip
    _row("albert", "albert",
         {**_POSITIONS, "embedding_size": "embedding_size", "n_groups": "num_hidden_groups",
          "inner_group_num": "inner_group_num"},
         (*_DROPOUTS, "classifier_dropout_prob"), ABSOLUTE_POSITIONS, _albert_heads),  # fmt: skip
    _row("deberta-v2", "deberta",
         {"type_vocab_size": "type_vocab_size", "legacy_head": "legacy"},
         (*_DROPOUTS, "pooler_dropout", "pooler_hidden_act", "pooler_hidden_size", "conv_act"), _deberta),
    _row("modernbert", "modernbert", _MODERNBERT_READS,
         ("hidden_activation", "max_position_embeddings", "initializer_cutoff_factor", "norm_eps", "cls_token_id",
          "attention_dropout", "layer_types", "rope_parameters", "local_attention", "embedding_dropout", "mlp_dropout",
          "classifier_pooling", "classifier_dropout", "classifier_activation", "deterministic_flash_attn",
          "sparse_prediction", "sparse_pred_ignore_index", "global_attn_every_n_layers", "global_rope_theta",
          "local_rope_theta", "reference_compile", "repad_logits_with_grad",
          "layer_norm_eps", "position_embedding_type"),  # in the published configs; ModernBertConfig ignores them
         fixed={"n_positions": 0, "type_vocab_size": 0}),  # rotary positions: no table  # fmt: skip
    _row("modernbert-decoder", "modernbert_decoder", _MODERNBERT_READS,
         ("hidden_activation", "max_position_embeddings", "initializer_cutoff_factor", "norm_eps", "cls_token_id",
          "attention_dropout", "layer_types", "rope_parameters", "local_attention", "embedding_dropout", "mlp_dropout",
          "classifier_dropout", "classifier_activation", "sliding_window", "global_attn_every_n_layers",
          "global_rope_theta", "local_rope_theta"),
         _causal_head, fixed={"n_positions": 0, "type_vocab_size": 0}),  # rotary positions: no table  # fmt: skip
    _row("big_bird", "big_bird", _POSITIONS,
         (*_DROPOUTS, "classifier_dropout", "attention_type", "block_size", "num_random_blocks", "rescale_embeddings"),
         ABSOLUTE_POSITIONS, _big_bird, cross_attention_rule),  # fmt: skip
    _row("bert-generation", "bert_generation", {"n_positions": "max_position_embeddings"}, _DROPOUTS,
         ABSOLUTE_POSITIONS, _bert_generation, cross_attention_rule, fixed={"type_vocab_size": 0}),  # fmt: skip
    _row("electra", "electra", {**_POSITIONS, "embedding_size": "embedding_size"},
         (*_DROPOUTS, "classifier_dropout", "summary_type", "summary_use_proj", "summary_activation",
          "summary_last_dropout"), ABSOLUTE_POSITIONS),  # fmt: skip
)


@hookimpl
def register_model_types(register):
    """Map the BERT-like model types (the module's docstring lists them) to the ``encoder`` family."""
    for row in ROWS:
        register(row)

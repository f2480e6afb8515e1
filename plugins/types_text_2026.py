"""More Hugging Face text model types on existing families, as rows of data: data2vec-text,
roberta-prelayernorm, xlm-roberta-xl, ernie, megatron-bert, rembert and roc_bert (``encoder``), and
diffllama and iquestcoder (``llama``).

Data2VecText is RoBERTa in every tensor under its own prefix (``data2vec_text.``).
RoBERTa-PreLayerNorm (fairseq's ``--encoder-normalize-before``) and XLM-RoBERTa-XL are RoBERTa
with each layer's norms before its attention and its intermediate layer, and one norm after the
last layer (on the base model for the first, on the encoder for the second); XLM-RoBERTa-XL has
no norm on its embeddings. ERNIE (1.0 to 3.0, nghuyong's conversions) is BERT under ``ernie.``
with a task type table beside the segment table when ``use_task_id`` is set; its pooler is on
the bare model and the pre-training class (sentence-pair classifier of 2), not on the MLM class.
Megatron-BERT is BERT with pre-norm layers (``attention.ln``, ``ln``), no embedding norm and a
last norm on the encoder (``encoder.ln``). RemBERT is BERT with ``input_embedding_size`` wide
embeddings projected to ``hidden_size`` by the encoder, and an MLM head that maps to
``output_embedding_size`` before its decoder, which is never tied (RemBERT's classes declare no
tied weights, whatever ``tie_word_embeddings`` says). RoCBert is BERT under ``roc_bert.`` with
a pronunciation and a shape table always built, and, with ``concat_input``, a projection of the
token embedding concatenated with the enabled ones; its pre-training class is the MLM class with
the pooler.
DiffLlama is Llama whose attention learns four vectors of ``head_dim`` per layer (the lambdas of
differential attention; its group norm has no weights). IQuest-Coder is built by transformers 5 as
its Llama implementation (``LlamaForCausalLM``; the published configs name the remote-code class
``IQuestCoderForCausalLM``, counted as that Llama model), which refuses ``clip_qkv`` and sliding windows.

One :class:`registry.Row` each (config field -> hyper-parameter, transformers' defaults from
:mod:`registry.plugins.generated_defaults`), plus the few rules of its ``modeling_<type>.py``
that decide which tensors exist (the head and pooler of each class).
"""

from __future__ import annotations

from registry import ConfigReader, Params, Row, hookimpl
from registry.plugins.encoder_types import bert_like_head, cross_attention_rule, pooler_on_bare_model
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.hf_common import (
    ABSOLUTE_POSITIONS, ATTENTION_BIAS_READS, ATTENTION_READS, DECODER_READS, DECODER_RULES, DECODER_SHAPE_FREE,
    causal_classes, expect, hf_row, remote_class,
)  # fmt: skip

_DROPOUTS = ("hidden_act", "hidden_dropout_prob", "attention_probs_dropout_prob", "layer_norm_eps", "classifier_dropout")
#: The fields BERT-like configs share.
_BERT_READS = {
    "vocab_size": "vocab_size", "d_model": "hidden_size", "n_layers": "num_hidden_layers",
    "n_heads": "num_attention_heads", "d_ff": "intermediate_size", "tie_word_embeddings": "tie_word_embeddings",
    "n_positions": "max_position_embeddings", "type_vocab_size": "type_vocab_size",
}  # fmt: skip


def _pooler_on_model_and_pretraining(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (ERNIE, Megatron-BERT): the pooler on the bare model and the pre-training class, not the MLM class."""
    params["pooler"] = ("architectures", cls.endswith(("Model", "ForPreTraining")))


def _task_types(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (ERNIE): the task type table (``task_type_vocab_size`` rows) only with ``use_task_id``, as
    ErnieEmbeddings builds it."""
    if cfg.bool("use_task_id", DEFAULTS["ernie"]["use_task_id"]):
        rows = cfg.int("task_type_vocab_size", DEFAULTS["ernie"]["task_type_vocab_size"])
        params["task_type_vocab_size"] = ("task_type_vocab_size", rows)


def _roberta_like(name: str, layout: str, prefix: str) -> Row:
    """A RoBERTa-shaped row: the MLM class, the bare model (with its pooler), the classification class."""
    # position rows are max_position_embeddings as given: it already counts padding_idx + 1 (514 = 512 + 2)
    classes = (f"{prefix}ForMaskedLM", f"{prefix}Model", f"{prefix}ForSequenceClassification")
    return hf_row(name, "encoder", classes, _BERT_READS, bert_like_head, ABSOLUTE_POSITIONS, pooler_on_bare_model,
                  cross_attention_rule, fixed={"layout": layout}, shape_free=_DROPOUTS)  # fmt: skip


def _roc_bert(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (RoCBert): the pre-training class is the MLM head on the model with its pooler; both extra tables
    reserve row ``pad_token_id`` for padding (torch refuses an index outside the table); with ``concat_input``,
    ``map_inputs_layer`` takes the token embedding and the enabled tables' widths."""
    if cls == "RoCBertForPreTraining":
        params["head"] = ("architectures", "mlm")
    pad = cfg.raw("pad_token_id", DEFAULTS["roc_bert"]["pad_token_id"])
    for field in ("pronunciation_vocab_size", "shape_vocab_size"):
        if isinstance(pad, int) and not isinstance(pad, bool) and pad >= params[field][1]:
            raise cfg.error(field, f"must be more than pad_token_id ({pad}): RoCBert's table reserves that row for "
                            f"padding (got {params[field][1]})")  # fmt: skip
    if cfg.bool("concat_input", DEFAULTS["roc_bert"]["concat_input"]):
        width = params["d_model"][1]
        for flag, dim in (("enable_pronunciation", "pronunciation_embed_dim"), ("enable_shape", "shape_embed_dim")):
            if cfg.bool(flag, DEFAULTS["roc_bert"][flag]):
                width += params[dim][1]
        params["map_inputs_width"] = ("concat_input", width)


def _even_kv_heads(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (DiffLlama): DiffLlamaAttention refuses an odd number of key/value heads (its two attention calls
    split the values along the key/value heads in halves)."""
    key, kv = params["n_kv_heads"] if params["n_kv_heads"][1] is not None else params["n_heads"]
    if kv % 2:
        raise cfg.error(key, f"must be even: DiffLlama's differential attention splits the values along the "
                        f"key/value heads in two (got {kv})")  # fmt: skip


#: Every row of this plugin (the module's docstring lists them).
ROWS: tuple[Row, ...] = (
    _roberta_like("data2vec-text", "data2vec_text", "Data2VecText"),
    _roberta_like("roberta-prelayernorm", "roberta_prelayernorm", "RobertaPreLayerNorm"),
    _roberta_like("xlm-roberta-xl", "xlm_roberta_xl", "XLMRobertaXL"),
    hf_row("ernie", "encoder", ("ErnieForMaskedLM", "ErnieModel", "ErnieForPreTraining"), _BERT_READS,
           bert_like_head, ABSOLUTE_POSITIONS, _pooler_on_model_and_pretraining, _task_types, cross_attention_rule,
           fixed={"layout": "ernie"}, shape_free=_DROPOUTS),  # fmt: skip
    hf_row("megatron-bert", "encoder", ("MegatronBertForMaskedLM", "MegatronBertModel", "MegatronBertForPreTraining"),
           _BERT_READS, bert_like_head, ABSOLUTE_POSITIONS, _pooler_on_model_and_pretraining, cross_attention_rule,
           fixed={"layout": "megatron_bert"}, shape_free=_DROPOUTS),  # fmt: skip
    hf_row("rembert", "encoder", ("RemBertForMaskedLM", "RemBertModel"),
           {**{k: v for k, v in _BERT_READS.items() if k != "tie_word_embeddings"},
            "embedding_size": "input_embedding_size", "head_width": "output_embedding_size"},
           bert_like_head, ABSOLUTE_POSITIONS, pooler_on_bare_model, cross_attention_rule,
           fixed={"layout": "rembert", "tie_word_embeddings": False},
           shape_free=(*_DROPOUTS, "classifier_dropout_prob", "tie_word_embeddings")),  # fmt: skip
    hf_row("roc_bert", "encoder", ("RoCBertForMaskedLM", "RoCBertModel", "RoCBertForPreTraining"),
           {**_BERT_READS, **{k: k for k in ("pronunciation_vocab_size", "pronunciation_embed_dim", "shape_vocab_size",
                                              "shape_embed_dim")}},
           bert_like_head, ABSOLUTE_POSITIONS, _pooler_on_model_and_pretraining, _roc_bert, cross_attention_rule,
           fixed={"layout": "roc_bert"}, shape_free=_DROPOUTS),  # fmt: skip
    Row("diffllama", "llama", causal_classes("DiffLlama"), reads={**DECODER_READS, **ATTENTION_READS,
        "n_kv_heads": "num_key_value_heads?", "head_dim": "head_dim?", **ATTENTION_BIAS_READS},  # null: hidden // heads
        defaults={"head_dim": None, **DEFAULTS["diffllama"]},
        fixed={"diff_lambdas": True}, rules=(*DECODER_RULES, _even_kv_heads), shape_free=frozenset((*DECODER_SHAPE_FREE, "lambda_std_dev")),
        description="DiffLlama: Llama with differential attention (four learned lambda vectors per layer)"),  # fmt: skip
    Row("iquestcoder", "llama", ("IQuestCoderForCausalLM", "IQuestCoderModel", "LlamaForCausalLM", "LlamaModel"),
        reads={**DECODER_READS, **ATTENTION_READS, "n_kv_heads": "num_key_value_heads?", "head_dim": "head_dim?",
               **ATTENTION_BIAS_READS, "mlp_bias": "mlp_bias"}, defaults=DEFAULTS["iquestcoder"],  # null: hidden // heads
        rules=(*DECODER_RULES, remote_class("IQuestCoderForCausalLM", "LlamaForCausalLM"),
               expect("clip_qkv", (None,), "IQuestCoderConfig refuses it: no released checkpoint clips"),
               expect("use_sliding_window", (False,), "IQuestCoderConfig refuses sliding windows")),
        shape_free=frozenset(DECODER_SHAPE_FREE),
        description="IQuest-Coder: Llama (transformers builds LlamaForCausalLM for the remote-code class)"),  # fmt: skip
)


@hookimpl
def register_model_types(register):
    """Map the text model types of this module (its docstring lists them) to the ``encoder`` and ``llama`` families."""
    for row in ROWS:
        register(row)

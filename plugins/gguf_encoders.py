"""GGUF architectures of the encoders, as rows of data: llama.cpp's ``bert`` (embedding models: bge, all-MiniLM, e5),
``t5`` and ``t5encoder``.

llama.cpp's converter (``BertModel`` in ``convert_hf_to_gguf.py``) writes ``bert.block_count``,
``bert.embedding_length``, ``bert.feed_forward_length``, ``bert.attention.head_count`` and renames
the tensors by gguf-py's ``TensorNameMap`` for ``MODEL_ARCH.BERT`` (``token_embd``, ``token_types``,
``position_embd``, ``token_embd_norm``; ``blk.N.attn_q/k/v/output``, ``attn_output_norm``, ``ffn_up``,
``ffn_down``, ``layer_output_norm``). It drops the pooler and any head (``pooler.*``, ``cls.*``): the file
is read as ``BertModel(config, add_pooling_layer=False)``, the encoder alone, with a note saying so.
The position and segment rows are those of ``position_embd`` and ``token_types`` (exact, whatever
``bert.context_length`` and ``tokenizer.ggml.token_type_count`` say). RoBERTa-style files (XLM-RoBERTa's bge-m3 and
multilingual-e5, tokenizer ``t5``; RoBERTa, ``gpt2``) hold pad_token_id + 1 position rows fewer than the checkpoint
(the converter's cut): counted as they are, with a note.

``T5Model`` in ``convert_hf_to_gguf.py`` writes ``t5.block_count``, ``t5.embedding_length``, ``t5.feed_forward_length``,
``t5.attention.head_count``, ``t5.attention.key_length`` (``d_kv``) and the encoder's and decoder's blocks
under ``enc.blk`` and ``dec.blk`` (``attn_rel_b``: the relative-position bias of the first block). A file
with ``output.weight`` (T5 v1.1, Flan-T5: a head of its own) reads as ``tie_word_embeddings`` false, which
transformers 5 does not honour for t5: counted tied, as transformers builds it, with the t5 model type's note.
"""

from __future__ import annotations

from typing import Any

from registry import GgufArchitecture, GgufMetadata, hookimpl, short_value


#: The tokenizers of the RoBERTa-style models llama.cpp's converter writes as ``bert``: XLM-RoBERTa's
#: sentencepiece (``XLMRobertaModel``: bge-m3, multilingual-e5) and RoBERTa's BPE (``RobertaModel``).
ROBERTA_TOKENIZERS = {"t5": "XLMRobertaModel", "gpt2": "RobertaModel"}


def _bert(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (bert): the learned positions and the segments are the rows of ``position_embd`` and ``token_types``.

    A RoBERTa-style file (``tokenizer.ggml.model`` ``t5``: XLM-RoBERTa; ``gpt2``: RoBERTa) holds pad_token_id + 1
    position rows fewer than the checkpoint: llama.cpp's ``RobertaModel`` / ``XLMRobertaModel`` (conversion/bert.py
    at 0c1e57098) cut ``position_embeddings[pad_token_id + 1:]``, the rows RoBERTa never uses. The file is counted
    as it is (its rows), with a note saying what transformers' model holds more. Another tokenizer is refused."""
    tokenizer = meta.data.get("tokenizer.ggml.model")
    if tokenizer is not None and tokenizer != "bert" and tokenizer not in ROBERTA_TOKENIZERS:
        raise meta.error("tokenizer.ggml.model", f"{short_value(tokenizer)} is not a tokenizer llama.cpp's converter "
                         "writes for bert (BERT's 'bert', XLM-RoBERTa's 't5', RoBERTa's 'gpt2'): not mapped")  # fmt: skip
    for tensor, name in (("position_embd.weight", "max_position_embeddings"), ("token_types.weight", "type_vocab_size")):
        rows = meta.rows(tensor)
        if rows is None:
            raise meta.error(tensor, f"missing: {name} is its number of rows")
        config[name] = rows
    if tokenizer in ROBERTA_TOKENIZERS:
        pad = meta.int("tokenizer.ggml.padding_token_id", None, minimum=0)
        cut = "pad_token_id + 1" if pad is None else f"pad_token_id + 1 = {pad + 1}"
        more = "" if pad is None else (f" ({config['max_position_embeddings'] + pad + 1} rows, "
                                       f"{(pad + 1) * config['hidden_size']:,} parameters more)")  # fmt: skip
        meta.note(f"a RoBERTa-style file (tokenizer.ggml.model {tokenizer!r}): llama.cpp's converter cut the first "
                  f"{cut} rows of the position embedding, which RoBERTa never uses; counted as the file holds it "
                  f"({config['max_position_embeddings']} rows); transformers' {ROBERTA_TOKENIZERS[tokenizer]} holds "
                  f"{cut} more{more}")  # fmt: skip


#: BERT's tensors in BertModel's names; inside ``encoder.layer.<i>`` for a block.
BERT_TENSORS = {
    "token_embd": "embeddings.word_embeddings", "token_types": "embeddings.token_type_embeddings",
    "position_embd": "embeddings.position_embeddings", "token_embd_norm": "embeddings.LayerNorm",
    "attn_q": "attention.self.query", "attn_k": "attention.self.key", "attn_v": "attention.self.value",
    "attn_output": "attention.output.dense", "attn_output_norm": "attention.output.LayerNorm",
    "ffn_up": "intermediate.dense", "ffn_down": "output.dense", "layer_output_norm": "output.LayerNorm",
}  # fmt: skip

def _t5(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (t5): the relative-position buckets are the rows of ``enc.blk.0.attn_rel_b``; the decoder's layers
    ``decoder_block_count`` when written, else the number of ``dec.blk.<n>`` blocks in the file (t5encoder: none)."""
    buckets = meta.rows("enc.blk.0.attn_rel_b.weight")
    if buckets is None:
        raise meta.error("enc.blk.0.attn_rel_b.weight", "missing: relative_attention_num_buckets is its number of rows")
    config["relative_attention_num_buckets"] = buckets
    if meta.arch == "t5" and "num_decoder_layers" not in config:
        config["num_decoder_layers"] = len({n.split(".")[2] for n in meta.tensors if n.startswith("dec.blk.")})


def _feed_forward(layer: int, prefix: str = "") -> dict[str, str]:
    """T5's feed-forward in sub-layer ``layer`` (``wi``, or ``wi_0``/``wi_1`` when gated: see ``T5_GATED``)."""
    return {f"{prefix}ffn_norm": f"layer.{layer}.layer_norm", f"{prefix}ffn_up": f"layer.{layer}.DenseReluDense.wi",
            f"{prefix}ffn_down": f"layer.{layer}.DenseReluDense.wo"}  # fmt: skip


def _self_attention(prefix: str = "") -> dict[str, str]:
    """T5's self-attention, sub-layer 0 (the relative-position bias on the first block only)."""
    return {f"{prefix}attn_norm": "layer.0.layer_norm", **{f"{prefix}attn_{x}": f"layer.0.SelfAttention.{x}" for x in "qkvo"},
            f"{prefix}attn_rel_b": "layer.0.SelfAttention.relative_attention_bias"}  # fmt: skip


#: T5's tensors: the encoder's blocks (``enc.blk``, in ``encoder.block.<i>``), the decoder's (``dec.blk``, in
#: ``decoder.block.<i>``: their own entries, ``dec.blk.<name>``), the shared embedding and the final norms.
T5_TENSORS = {
    "token_embd": "shared", "output": "lm_head", "enc.output_norm": "encoder.final_layer_norm",
    "dec.output_norm": "decoder.final_layer_norm", **_self_attention(), **_feed_forward(1),
    **_self_attention("dec.blk."), "dec.blk.cross_attn_norm": "layer.1.layer_norm",
    **{f"dec.blk.cross_attn_{x}": f"layer.1.EncDecAttention.{x}" for x in "qkvo"}, **_feed_forward(2, "dec.blk."),
}  # fmt: skip
#: A gated feed-forward (T5 v1.1, Flan-T5, mT5): ``ffn_gate`` is ``wi_0``, ``ffn_up`` is ``wi_1``.
T5_GATED = {"enc.blk.0.ffn_gate.weight": {
    "ffn_gate": "layer.1.DenseReluDense.wi_0", "ffn_up": "layer.1.DenseReluDense.wi_1",
    "dec.blk.ffn_gate": "layer.2.DenseReluDense.wi_0", "dec.blk.ffn_up": "layer.2.DenseReluDense.wi_1"}}  # fmt: skip
T5_KEYS = {"block_count": "num_layers", "embedding_length": "d_model", "feed_forward_length": "d_ff",
           "attention.head_count": "num_heads", "attention.key_length": "d_kv",
           "decoder_block_count?": "num_decoder_layers"}  # fmt: skip


def t5(name: str, cls: str, description: str) -> GgufArchitecture:
    """A row of llama.cpp's T5 (``t5``: encoder and decoder; ``t5encoder``: the encoder alone)."""
    return GgufArchitecture(
        name, model_type="t5", classes=(cls,), keys=T5_KEYS, tensors=T5_TENSORS, layers="encoder.block",
        blocks="enc.blk", renumbered={"dec.blk": "decoder.block"}, variants=T5_GATED,
        presence={"is_gated_act": "enc.blk.0.ffn_gate.weight", "tie_word_embeddings": "!output.weight"}, rule=_t5,
        description=description,
    )  # fmt: skip


def _modern_bert(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (modern-bert): the encoder alone (ModernBertModel). ``ModernBertModel`` in llama.cpp's conversion/bert.py
    (0c1e57098) strips ``model.`` and writes a masked-LM or classifier head as ``cls`` / ``cls.norm`` /
    ``cls.output`` (and its decoder bias not at all): a file with a head is refused, not guessed."""
    head = next((name for name in meta.tensors if name.startswith("cls.")), None)
    if head is not None:
        raise meta.error(head, "a ModernBERT head (ModernBertForMaskedLM or ForSequenceClassification), which the "
                         "converter writes only in part: not mapped (registry reads ModernBertModel, the encoder)")  # fmt: skip


#: ModernBERT's tensors in ModernBertModel's names (gguf-py's TensorNameMap for MODEL_ARCH.MODERN_BERT); the first
#: layer has no attn_norm (transformers' Identity), which the file then lacks too.
MODERN_BERT_TENSORS = {
    "token_embd": "embeddings.tok_embeddings", "token_embd_norm": "embeddings.norm", "attn_norm": "attn_norm",
    "attn_qkv": "attn.Wqkv", "attn_output": "attn.Wo", "ffn_norm": "mlp_norm", "ffn_up": "mlp.Wi",
    "ffn_down": "mlp.Wo", "output_norm": "final_norm",
}  # fmt: skip

ROWS = (
    # ModernBERT (llama.cpp 0c1e57098: ModernBertModel in conversion/bert.py, src/models/modern-bert.cpp): TextModel's
    # keys; the fused Wqkv (attn_qkv, 3 × width) and GLU Wi (ffn_up, 2 × feed_forward_length) kept as transformers holds
    # them; biases when the config's norm_bias / attention_bias / mlp_bias
    GgufArchitecture(
        "modern-bert", model_type="modernbert", classes=("ModernBertModel",), layers="layers", rule=_modern_bert,
        keys={"block_count": "num_hidden_layers", "embedding_length": "hidden_size",
              "feed_forward_length": "intermediate_size", "attention.head_count": "num_attention_heads"},
        tensors=MODERN_BERT_TENSORS,
        presence={"norm_bias": "token_embd_norm.bias", "attention_bias": "blk.0.attn_qkv.bias",
                  "mlp_bias": "blk.0.ffn_up.bias"},
        description="ModernBERT's encoder (ModernBertModel; gte-modernbert, granite-embedding R2)",
    ),
    GgufArchitecture(
        "bert", model_type="bert", classes=("BertModel",), layers="encoder.layer", rule=_bert,
        keys={"block_count": "num_hidden_layers", "embedding_length": "hidden_size",
              "feed_forward_length": "intermediate_size", "attention.head_count": "num_attention_heads"},
        tensors=BERT_TENSORS, fixed={"add_pooling_layer": False},
        description="BERT embedding models (bge, all-MiniLM, e5; RoBERTa-style: bge-m3, multilingual-e5): BertModel "
                    "without its pooler, which the file drops",
    ),
    t5("t5", "T5ForConditionalGeneration", "T5, Flan-T5 (encoder, decoder and the head tied to the embedding)"),
    t5("t5encoder", "T5EncoderModel", "T5's encoder alone (the text encoders of image models)"),
)


@hookimpl
def register_gguf_architectures(register):
    """The encoders: bert, modern-bert, t5, t5encoder."""
    for row in ROWS:
        register(row)

"""GGUF architectures of the encoders, as rows of data: llama.cpp's ``bert`` (embedding models: bge, all-MiniLM, e5).

llama.cpp's converter (``BertModel`` in ``convert_hf_to_gguf.py``) writes ``bert.block_count``,
``bert.embedding_length``, ``bert.feed_forward_length``, ``bert.attention.head_count`` and renames
the tensors by gguf-py's ``TensorNameMap`` for ``MODEL_ARCH.BERT`` (``token_embd``, ``token_types``,
``position_embd``, ``token_embd_norm``; ``blk.N.attn_q/k/v/output``, ``attn_output_norm``, ``ffn_up``,
``ffn_down``, ``layer_output_norm``). It drops the pooler and any head (``pooler.*``, ``cls.*``): the file
is read as ``BertModel(config, add_pooling_layer=False)``, the encoder alone, with a note saying so.
The position and segment rows are those of ``position_embd`` and ``token_types`` (exact, whatever
``bert.context_length`` and ``tokenizer.ggml.token_type_count`` say).
"""

from __future__ import annotations

from typing import Any

from registry import GgufArchitecture, GgufMetadata, hookimpl


def _bert(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (bert): the learned positions and the segments are the rows of ``position_embd`` and ``token_types``."""
    for tensor, name in (("position_embd.weight", "max_position_embeddings"), ("token_types.weight", "type_vocab_size")):
        rows = meta.rows(tensor)
        if rows is None:
            raise meta.error(tensor, f"missing: {name} is its number of rows")
        config[name] = rows


#: BERT's tensors in BertModel's names; inside ``encoder.layer.<i>`` for a block.
BERT_TENSORS = {
    "token_embd": "embeddings.word_embeddings", "token_types": "embeddings.token_type_embeddings",
    "position_embd": "embeddings.position_embeddings", "token_embd_norm": "embeddings.LayerNorm",
    "attn_q": "attention.self.query", "attn_k": "attention.self.key", "attn_v": "attention.self.value",
    "attn_output": "attention.output.dense", "attn_output_norm": "attention.output.LayerNorm",
    "ffn_up": "intermediate.dense", "ffn_down": "output.dense", "layer_output_norm": "output.LayerNorm",
}  # fmt: skip

ROWS = (
    GgufArchitecture(
        "bert", model_type="bert", classes=("BertModel",), layers="encoder.layer", rule=_bert,
        keys={"block_count": "num_hidden_layers", "embedding_length": "hidden_size",
              "feed_forward_length": "intermediate_size", "attention.head_count": "num_attention_heads"},
        tensors=BERT_TENSORS, fixed={"add_pooling_layer": False},
        description="BERT embedding models (bge, all-MiniLM, e5): BertModel without its pooler, which the file drops",
    ),
)


@hookimpl
def register_gguf_architectures(register):
    """The encoders: bert."""
    for row in ROWS:
        register(row)

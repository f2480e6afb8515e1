"""GGUF architecture of jina-embeddings-v3, as a row of data: llama.cpp's ``jina-bert-v3``.

llama.cpp's conversion/bert.py (``XLMRobertaModel``, with the config's ``lora_adaptations``) converts the remote-code
checkpoint of jina-embeddings-v3 (``roberta.`` stripped; ``emb_ln``, ``encoder.layers.<i>.mixer.Wqkv`` /
``mixer.out_proj``, ``mlp.fc1`` / ``fc2``, ``norm1`` / ``norm2``) and writes BertModel's keys with gguf-py's
``TensorNameMap`` for ``MODEL_ARCH.JINA_BERT_V3``: ``token_embd``, ``token_types``, ``token_embd_norm``;
``blk.N.attn_qkv`` (the fused Wqkv, with its bias), ``attn_output``, ``attn_output_norm``, ``ffn_up`` (fc1),
``ffn_down`` (fc2), ``layer_output_norm``. Its task LoRA adapters go to files of their own (``lora-<task>-``), and
no pooler is written. transformers' ``JinaEmbeddingsV3Model`` (model type ``jina_embeddings_v3``) holds the same
parameters (Wqkv cut in three along its rows) and a pooler: the file is counted as the model built without it
(``add_pooling_layer=False``), with a note.
"""

from __future__ import annotations

from typing import Any

from registry import GgufArchitecture, GgufMetadata, hookimpl

#: jina-embeddings-v3's tensors in transformers' JinaEmbeddingsV3Model names (``layers.<i>`` for a block).
JINA_BERT_V3_TENSORS = {
    "token_embd": "embeddings.word_embeddings", "token_types": "embeddings.token_type_embeddings",
    "token_embd_norm": "embeddings.LayerNorm",
    "attn_qkv": "self_attn.q_proj+self_attn.k_proj+self_attn.v_proj", "attn_output": "self_attn.o_proj",
    "attn_output_norm": "post_attention_layernorm", "ffn_up": "mlp.fc1", "ffn_down": "mlp.fc2",
    "layer_output_norm": "post_mlp_layernorm",
}  # fmt: skip


def _jina_bert_v3(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (jina-bert-v3): the segments are the rows of ``token_types`` (a file without it: refused, as
    transformers' JinaEmbeddingsV3Model always holds the table)."""
    rows = meta.rows("token_types.weight")
    if rows is None:
        raise meta.error("token_types.weight", "missing: type_vocab_size is its number of rows (transformers' "
                         "JinaEmbeddingsV3Model always holds the token-type embedding)")  # fmt: skip
    config["type_vocab_size"] = rows


ROWS = (
    GgufArchitecture(
        "jina-bert-v3", model_type="jina_embeddings_v3", classes=("JinaEmbeddingsV3Model",), layers="layers",
        rule=_jina_bert_v3,
        keys={"block_count": "num_hidden_layers", "embedding_length": "hidden_size",
              "feed_forward_length": "intermediate_size", "attention.head_count": "num_attention_heads"},
        tensors=JINA_BERT_V3_TENSORS, fixed={"add_pooling_layer": False},
        description="jina-embeddings-v3 (JinaEmbeddingsV3Model without its pooler, which the file drops; its LoRA "
                    "adapters are files of their own)",
    ),
)


@hookimpl
def register_gguf_architectures(register):
    """jina-bert-v3."""
    for row in ROWS:
        register(row)

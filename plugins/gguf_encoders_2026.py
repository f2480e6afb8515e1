"""GGUF architectures of the encoders mapped in 2026, as rows of data: llama.cpp's ``nomic-bert`` (nomic-embed-text
v1 and v1.5) and ``eurobert`` (EuroBERT, jina-embeddings-v5-text); ``nomic-bert-moe`` (nomic-embed-text-v2-moe) is
refused, saying why.

``NomicBertModel`` in llama.cpp's conversion/bert.py (0c1e57098) converts the remote-code checkpoint (its names:
``emb_ln``, ``encoder.layers.<i>.attn.Wqkv``, ``mlp.fc11`` / ``fc12`` / ``fc2``, ``norm1`` / ``norm2``) and writes
BertModel's keys (``nomic-bert.block_count``, ``embedding_length``, ``feed_forward_length``, ``attention.head_count``)
with gguf-py's ``TensorNameMap`` for ``MODEL_ARCH.NOMIC_BERT``: ``token_embd``, ``token_types``, ``token_embd_norm``;
``blk.N.attn_qkv`` (the fused Wqkv), ``attn_output``, ``attn_output_norm``, ``ffn_up`` (fc11), ``ffn_gate`` (fc12),
``ffn_down`` (fc2), ``layer_output_norm``. transformers' ``NomicBertModel`` (model type ``nomic_bert``) holds the same
parameters under Llama's names, Wqkv cut in three along its rows (its conversion mapping's ``Chunk(dim=0)``; no
grouped keys and values in Nomic BERT): the file counts exactly as transformers' model, no pooler on either side.

``EuroBertModel`` (conversion/bert.py, registered for ``EuroBertModel`` and ``JinaEmbeddingsV5Model``) strips
``model.`` and writes TextModel's keys and the Llama names (``token_embd``, ``blk.N.attn_q/k/v/output``,
``attn_norm``, ``ffn_norm``, ``ffn_gate/up/down``, ``output_norm``): the encoder alone, transformers' ``EuroBertModel``
(model type ``eurobert``, on the llama family). The masked-LM head is not written (``lm_head`` is no tensor of
``MODEL_ARCH.EUROBERT``): a file with ``output.weight`` is refused, not guessed.
"""

from __future__ import annotations

from typing import Any

from registry import GgufArchitecture, GgufMetadata, hookimpl
from registry.plugins.gguf_decoders import BIASES, DECODER_KEYS, head_dim

#: Nomic BERT's tensors in transformers' NomicBertModel names (``layers.<i>`` for a block). ``attn_qkv`` is the
#: remote-code checkpoint's fused Wqkv, q, k and v of ``hidden_size`` rows each; separate ``attn_q/k/v`` (which
#: llama.cpp's loader also takes) read as they are.
NOMIC_BERT_TENSORS = {
    "token_embd": "embeddings.word_embeddings", "token_types": "embeddings.token_type_embeddings",
    "token_embd_norm": "embeddings.LayerNorm",
    "attn_qkv": "self_attn.q_proj+self_attn.k_proj+self_attn.v_proj", "attn_q": "self_attn.q_proj",
    "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj", "attn_output": "self_attn.o_proj",
    "attn_output_norm": "post_attention_layernorm", "ffn_up": "mlp.up_proj", "ffn_gate": "mlp.gate_proj",
    "ffn_down": "mlp.down_proj", "layer_output_norm": "post_mlp_layernorm",
}  # fmt: skip


def _nomic_bert(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (nomic-bert): the segments are the rows of ``token_types`` (a file without it: one segment, which
    transformers' NomicBertModel cannot leave out, so refused); Nomic BERT's positions are rotary (no table), and its
    Wqkv must cut into three equal parts (no grouped keys and values: ``attention.head_count_kv``, when written,
    must be the heads)."""
    rows = meta.rows("token_types.weight")
    if rows is None:
        raise meta.error("token_types.weight", "missing: type_vocab_size is its number of rows (transformers' "
                         "NomicBertModel always holds the token-type embedding)")  # fmt: skip
    config["type_vocab_size"] = rows
    heads, kv = config["num_attention_heads"], meta.int(f"{meta.arch}.attention.head_count_kv", None, minimum=1)
    if kv is not None and kv != heads:
        raise meta.error(f"{meta.arch}.attention.head_count_kv", f"{kv} is not the {heads} heads: Nomic BERT has "
                         "no grouped keys and values (transformers' NomicBertModel builds q, k and v alike)")  # fmt: skip


def _eurobert(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (eurobert): ``head_dim`` as the decoders read it; a file with a head (``output.weight``) is refused:
    llama.cpp's converter writes EuroBertModel, the encoder, and no tensor of ``MODEL_ARCH.EUROBERT`` is a head."""
    if "output.weight" in meta.tensors:
        raise meta.error("output.weight", "a head (EuroBertForMaskedLM's lm_head?), which llama.cpp's converter "
                         "does not write for eurobert: not mapped (registry reads EuroBertModel, the encoder)")  # fmt: skip
    head_dim(meta, config)


def _nomic_bert_moe(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (nomic-bert-moe): refused. nomic-embed-text-v2-moe's mixture-of-experts layers (``ffn_gate_inp``,
    ``ffn_up_exps`` / ``ffn_down_exps`` every ``moe_every_n_layers``) are remote code that transformers 5.25's
    ``nomic_bert`` does not build (it builds every layer dense): no model type counts the file honestly."""
    raise meta.error("general.architecture", "'nomic-bert-moe' (nomic-embed-text-v2-moe): its mixture-of-experts "
                     "layers are remote code that transformers' nomic_bert does not build (it builds them dense, not "
                     "the checkpoint's model): not mapped")  # fmt: skip


ROWS = (
    GgufArchitecture(
        "nomic-bert", model_type="nomic_bert", classes=("NomicBertModel",), layers="layers", rule=_nomic_bert,
        keys={"block_count": "num_hidden_layers", "embedding_length": "hidden_size",
              "feed_forward_length": "intermediate_size", "attention.head_count": "num_attention_heads"},
        tensors=NOMIC_BERT_TENSORS,
        description="Nomic BERT embedding models (nomic-embed-text v1, v1.5): NomicBertModel, Wqkv fused in the file",
    ),
    GgufArchitecture(
        "eurobert", model_type="eurobert", classes=("EuroBertModel",), layers="layers", rule=_eurobert,
        keys=DECODER_KEYS,
        tensors={"token_embd": "embed_tokens", "output_norm": "norm", "attn_q": "self_attn.q_proj",
                 "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj", "attn_output": "self_attn.o_proj",
                 "attn_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm", "ffn_gate": "mlp.gate_proj",
                 "ffn_up": "mlp.up_proj", "ffn_down": "mlp.down_proj"},
        presence=BIASES,
        description="EuroBERT's encoder (EuroBertModel; jina-embeddings-v5-text)",
    ),
    GgufArchitecture(
        "nomic-bert-moe", model_type="nomic_bert", vocab="", rule=_nomic_bert_moe,
        description="refused: nomic-embed-text-v2-moe's experts, which transformers' nomic_bert builds dense",
    ),
)


@hookimpl
def register_gguf_architectures(register):
    """The encoders of 2026: nomic-bert, eurobert; nomic-bert-moe, refused."""
    for row in ROWS:
        register(row)

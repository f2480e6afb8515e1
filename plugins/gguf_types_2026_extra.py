"""GGUF architectures of more mapped model types, as rows of data (read by ``registry.sources.gguf_rows``).

gemma-embedding (EmbeddingGemma, ``gemma3_text`` as ``Gemma3TextModel``), minimax-01 (MiniMax-Text-01, ``minimax``),
dbrx (DBRX) and paddleocr (PaddleOCR-VL's language model). Checked against llama.cpp at 0c1e57098 (vendored by
llama-cpp-python 0.3.36): the converters ``EmbeddingGemma`` (conversion/gemma.py), ``MiniMaxText01Model``
(conversion/minimax.py), ``DbrxModel`` (conversion/dbrx.py) and ``PaddleOCRModel`` (conversion/ernie.py), the
tensors of each architecture in ``gguf-py/gguf/constants.py`` (``MODEL_TENSORS``) and their Hugging Face names in
``gguf-py/gguf/tensor_mapping.py``. Where llama.cpp stores the model otherwise than the checkpoint:

* ``EmbeddingGemma`` converts ``Gemma3TextModel`` (no head: the embedding model's hidden states) under Gemma 3's
  tensor names (the norms' ``+ 1`` baked in: values, not shapes). With ``--sentence-transformers-dense-modules`` it
  also writes the sentence-transformers pipeline's two Dense projections after pooling (``2_Dense``, ``3_Dense``)
  as ``dense_2.weight`` / ``dense_3.weight``: no part of transformers' ``Gemma3TextModel``, set aside with a note
  naming their parameters;
* ``MiniMaxText01Model`` keeps each lightning-attention layer's fused ``qkv_proj`` (``attn_qkv``), its
  ``output_gate`` (``attn_gate``) and ``norm`` (``attn_norm_2``), and writes both kinds of layer's output projection
  as ``attn_output`` (a lightning layer's ``out_proj``, a softmax layer's ``o_proj``: read per block); it writes no
  per-layer kind, so the layer types are read from the tensors (a block with ``attn_qkv`` is a lightning layer, one
  with ``attn_q`` a softmax layer). The experts are merged per layer (Mixtral's ``w1``/``w3``/``w2`` as
  ``ffn_gate_exps``/``ffn_up_exps``/``ffn_down_exps``), read per expert;
* ``DbrxModel`` views each layer's fused experts (``ffn.experts.mlp.w1`` / ``v1`` / ``w2``, rows of all experts) as
  ``(experts, width, d_model)``, ``w2`` transposed: ``ffn_gate_exps`` / ``ffn_up_exps`` / ``ffn_down_exps``, the
  same elements as the checkpoint's fused tensors, compared by count; it writes no tie (DBRX has its own head);
* ``PaddleOCRModel`` is ``Ernie4_5Model`` under the architecture ``paddleocr`` (M-RoPE sections written, no shape):
  read alone as ERNIE 4.5's decoder (``Ernie4_5ForCausalLM``, the same tensors as PaddleOCR-VL's language model and
  its head), and as ``paddleocr_vl_text`` when its mmproj completes it (:mod:`registry.plugins.gguf_mmproj_paddle`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from registry import GgufArchitecture, GgufMetadata, hookimpl
from registry.plugins.gguf_decoders import ATTENTION, DECODER_KEYS, MIXTRAL, MLP, PRE_NORMS, QK_NORM, SANDWICH, TIED, TOP
from registry.plugins.gguf_decoders import head_dim
from registry.plugins.gguf_types_2026 import ROWS as ROWS_2026

#: The sentence-transformers Dense projections EmbeddingGemma's converter may add (gguf-py's DENSE_2_OUT, DENSE_3_OUT).
_DENSE = ("dense_2.weight", "dense_3.weight")
#: DBRX's tensors (gguf-py's map, "# dbrx"), inside ``transformer.blocks.<i>`` for a block. DbrxModel views each fused
#: expert tensor (``ffn.experts.mlp.w1`` / ``v1`` / ``w2``, experts × width rows, no ``.weight``) as (experts, width,
#: d_model), ``w2`` transposed to (experts, d_model, width): the same elements, compared by count.
_DBRX = {"token_embd": "transformer.wte", "output_norm": "transformer.norm_f", "output": "lm_head",
         "attn_norm": "norm_attn_norm.norm_1", "attn_qkv": "norm_attn_norm.attn.Wqkv",
         "attn_output": "norm_attn_norm.attn.out_proj", "attn_output_norm": "norm_attn_norm.norm_2",
         "ffn_gate_inp": "ffn.router.layer", "ffn_gate_exps.weight": "~ffn.experts.mlp.w1",
         "ffn_up_exps.weight": "~ffn.experts.mlp.v1", "ffn_down_exps.weight": "~ffn.experts.mlp.w2"}  # fmt: skip
#: DbrxModel.set_gguf_parameters' keys as DbrxConfig's fields (its attention and experts in sub-configs).
_DBRX_KEYS = {"block_count": "n_layers", "embedding_length": "d_model", "feed_forward_length": "ffn_config.ffn_hidden_size",
              "attention.head_count": "n_heads", "attention.head_count_kv": "attn_config.kv_n_heads",
              "expert_count": "ffn_config.moe_num_experts", "expert_used_count": "ffn_config.moe_top_k"}  # fmt: skip
#: MiniMax-01's lightning-attention layer (tensor_mapping.py, "# minimax-01"): inside ``model.layers.<i>``.
_LIGHTNING = {"attn_qkv": "self_attn.qkv_proj", "attn_gate": "self_attn.output_gate", "attn_norm_2": "self_attn.norm"}


def _gemma_embedding(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (EmbeddingGemma): at least one head, the head width (``attention.key_length``); the sentence-transformers
    Dense layers the file may hold, set aside with a note (transformers' Gemma3TextModel has none)."""
    meta.int(f"{meta.arch}.attention.head_count")
    head_dim(meta, config)
    dense = [(name, meta.tensors[name]) for name in _DENSE if name in meta.tensors]
    if dense:
        said = ", ".join(f"{name} {list(shape)}" for name, shape in dense)
        count = sum(_numel(shape) for _, shape in dense)
        meta.note(f"the sentence-transformers Dense projections after pooling ({said}: {count:,} parameters), written by "
                  "--sentence-transformers-dense-modules, are no part of transformers' Gemma3TextModel: set aside, not "
                  "counted")  # fmt: skip


def _numel(shape: tuple[int, ...]) -> int:
    """The elements of a tensor of ``shape``."""
    n = 1
    for d in shape:
        n *= d
    return n


def _minimax01(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (MiniMax-01): at least one head, the head width (``attention.key_length``); each layer's kind from its
    tensors (``attn_qkv``: lightning attention, ``attn_q``: softmax attention), which the converter writes no key for."""
    meta.int(f"{meta.arch}.attention.head_count")
    head_dim(meta, config)
    kinds = []
    for i in range(config["num_hidden_layers"]):
        lightning, softmax = f"blk.{i}.attn_qkv.weight" in meta.tensors, f"blk.{i}.attn_q.weight" in meta.tensors
        if lightning == softmax:
            raise meta.error(f"blk.{i}.attn_qkv.weight", f"{'both' if lightning else 'neither'} attn_qkv (a lightning "
                             "layer) and attn_q (a softmax attention layer): every MiniMax-01 layer is one of the two")  # fmt: skip
        kinds.append("linear_attention" if lightning else "full_attention")
    config["layer_types"] = kinds


def _paddleocr(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (PaddleOCR-VL's language model): the head width (``attention.key_length``); a head of its own
    (``output.weight``) counted as the file holds it, with a note: transformers 5.25 ties the head of the published
    config (its flat top level says false, which PaddleOCRVLConfig.__post_init__ overrules)."""
    head_dim(meta, config)
    if "output.weight" in meta.tensors:
        rows, width = meta.tensors["output.weight"][0], config["hidden_size"]
        meta.note(f"output.weight: a head of its own, counted as the file holds it ({rows} × {width} = "
                  f"{rows * width:,} parameters); transformers 5.25 builds PaddleOCR-VL's published config with the "
                  "head tied to the embedding (PaddleOCRVLConfig.__post_init__), holding that many fewer")  # fmt: skip


_ERNIE = next(row for row in ROWS_2026 if row.name == "ernie4_5")

ROWS = (
    # EmbeddingGemma: Gemma3TextModel (sandwich norms, query/key norms, sliding and full layers; no head)
    GgufArchitecture(
        "gemma-embedding", model_type="gemma3_text", classes=("Gemma3TextModel",), rule=_gemma_embedding,
        keys=DECODER_KEYS, layers="layers",
        tensors={"token_embd": "embed_tokens", "output_norm": "norm", **ATTENTION, **MLP, **SANDWICH, **QK_NORM},
        not_parameters=("rope_freqs.weight", *_DENSE),
        description="EmbeddingGemma: Gemma3TextModel (no head); sentence-transformers' Dense layers set aside",
    ),
    # MiniMax-Text-01: lightning attention layers and softmax (grouped-query) attention layers, routed experts in every
    # layer (Mixtral's names)
    GgufArchitecture(
        "minimax-01", model_type="minimax", classes=("MiniMaxForCausalLM",), rule=_minimax01,
        keys={**DECODER_KEYS, "expert_count": "num_local_experts", "expert_used_count": "num_experts_per_tok"},
        tensors={**TOP, **ATTENTION, **_LIGHTNING, **PRE_NORMS, **MIXTRAL},
        block_variants={"attn_qkv.weight": {"attn_output": "self_attn.out_proj"}}, presence=TIED,
        description="MiniMax-Text-01: lightning and softmax attention layers, routed experts",
    ),
    # DBRX: fused-QKV grouped-query attention, bias-free LayerNorms, fused fine-grained experts
    GgufArchitecture(
        "dbrx", model_type="dbrx", classes=("DbrxForCausalLM",), keys=_DBRX_KEYS, tensors=_DBRX,
        layers="transformer.blocks", description="DBRX: the fused experts compared by count",
    ),
    # PaddleOCR-VL's language model: ERNIE 4.5's decoder (PaddleOCRModel is Ernie4_5Model)
    replace(_ERNIE, name="paddleocr", rule=_paddleocr, description="PaddleOCR-VL's language model (ERNIE 4.5's decoder); with its clip/"
            "paddleocr mmproj: the whole paddleocr_vl model"),
)  # fmt: skip


@hookimpl
def register_gguf_architectures(register):
    """More mapped types' GGUF architectures: gemma-embedding, minimax-01, dbrx, paddleocr."""
    for row in ROWS:
        register(row)

"""GGUF architectures of model types mapped in 2026 that llama.cpp also runs, as rows of data (read by
``registry.sources.gguf_rows``).

hy_v3 (Tencent's Hy3, ``HYV3Model`` in llama.cpp 0c1e57098's ``conversion/hunyuan.py``, ``src/models/hy-v3.cpp``):
a Llama-style decoder with per-head query/key norms, dense MLPs in the blocks without a router (``ffn_gate_inp``;
Hy3's ``mlp_layer_types``), elsewhere routed experts stored merged, one always-on shared MLP
(``expert_shared_feed_forward_length`` = ``num_shared_experts × moe_intermediate_size``) and the router's
``e_score_correction_bias`` (``exp_probs_b``). The converter keeps the checkpoint's multi-token-prediction layers
(``model.layers.<n>.*``, ``num_nextn_predict_layers`` of them) as the last blocks, counted in ``block_count``
(``nextn_predict_layers`` says how many): their decoder layer and ``eh_proj`` / ``enorm`` / ``hnorm``, the
``final_layernorm`` renamed ``nextn.shared_head_norm``. The metadata keys are gguf-py's ``Keys.LLM`` and
``Keys.Attention``; the tensor names llama.cpp's ``TENSOR_NAMES`` for ``MODEL_TENSORS[HY_V3]``.

minimax-m3 (MiniMax-M3's language model, ``MiniMaxM3Model`` in ``conversion/minimax.py``, ``src/models/minimax-m3.cpp``),
read as ``minimax_m3_vl_text`` (transformers' ``MiniMaxM3VLForCausalLM``, whose names the ``minimax-m3`` family
counts): GQA with per-head query/key norms (the Gemma-style ``1 + w`` norms baked in: the same shapes), on the sparse
layers the lightning indexer (``indexer.q_proj`` / ``k_proj`` / ``q_norm`` / ``k_norm``: ``layer_types``), dense
MLPs (``feed_forward_length``: ``dense_intermediate_size``, the converter's first choice) in the blocks without a
router, elsewhere routed experts of ``expert_feed_forward_length`` (``intermediate_size``) and one shared expert of
``expert_shared_count × expert_feed_forward_length`` rows (how llama.cpp reads its width), the router's score bias
``exp_probs_b``. The checkpoint's and llama.cpp's separate gate and up projections are transformers' fused
``gate_up_proj`` (dense, shared and stacked experts): read by count.

gemma4-assistant (Gemma 4's drafter, ``Gemma4AssistantModel`` in ``conversion/gemma.py``, a ``Gemma4Model``;
``src/models/gemma4-assistant.cpp``), read as ``gemma4_assistant``: Gemma 4's keys (the sliding pattern, both head
widths, ``shared_kv_layers``: every layer reuses the target's cache, so no key/value projections or key norms), its
``embedding_length_out`` the target's width (``backbone_hidden_size``), ``pre_projection`` / ``post_projection`` as
``nextn.pre_projection`` / ``nextn.post_projection``, ``layer_scalar`` (a buffer) ``layer_output_scale``. The converter
drops ``masked_embedding.*`` (the ordered embedding's ``centroids``, a parameter, and its ``token_ordering``): such a
file is counted as it holds it, without the centroid head, and says so. A tied head: the file has no ``output``.

chatglm (``ChatGLMModel`` in ``conversion/chatglm.py``, ``src/models/chatglm.cpp``) for GLM-4's ``GlmForCausalLM``
(``glm``: GLM-4-9B-0414's predecessor ``glm-4-9b-chat-hf``, GLM-Edge), read through gguf-py's ``TensorNameMap``:
attention with query/key/value biases (``attention_bias``), the fused ``gate_up_proj`` as ``ffn_up``, two pre-norms.
The converter writes no ``key_length``: the head width is ``attn_q``'s rows over the heads. ChatGLM2/3's files
(``ChatGLMModel``, the remote-code checkpoints: a fused ``attn_qkv``) are the same architecture string and are
refused: registry maps no ``chatglm`` model type.
"""

from __future__ import annotations

from typing import Any

from registry import GgufArchitecture, GgufMetadata, hookimpl
from registry.plugins.gguf_decoders import (
    ATTENTION, DECODER_KEYS, MLP, PRE_NORMS, QK_NORM, SANDWICH, TIED, TOP, decoder, head_dim,
)  # fmt: skip
from registry.plugins.gguf_hybrid import per_layer
from registry.plugins.gguf_moe import EXPERT_KEYS, EXPERTS, NEXTN, SHARED_EXPERTS


def _hy_v3(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (Hy3): the prediction layers out of ``block_count``; each layer dense or sparse as its block holds a
    router or not (``mlp_layer_types``); the shared experts from ``expert_shared_feed_forward_length`` over the
    experts' width (``num_shared_experts``)."""
    head_dim(meta, config)
    a, mtp = meta.arch, config.get("num_nextn_predict_layers", 0)
    n = config["num_hidden_layers"] - mtp
    if n < 1:
        raise meta.error(f"{a}.nextn_predict_layers", f"{mtp} prediction layers leave no layer in block_count")
    width, shared = config["moe_intermediate_size"], meta.int(f"{a}.expert_shared_feed_forward_length", minimum=0)
    if not width or shared % width:
        raise meta.error(f"{a}.expert_shared_feed_forward_length", f"{shared} is not a whole number of shared "
                         f"experts of expert_feed_forward_length {width}")  # fmt: skip
    config.update(num_hidden_layers=n, num_shared_experts=shared // width, mlp_layer_types=[
        "sparse" if f"blk.{i}.ffn_gate_inp.weight" in meta.tensors else "dense" for i in range(n)])  # fmt: skip


def _minimax_m3(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (MiniMax-M3): each layer's MLP dense or MoE as its block holds a router or not (``mlp_layer_types``), its
    attention sparse where the block holds the indexer (``layer_types``); the shared expert's width, which
    llama.cpp reads as ``expert_shared_count`` experts of ``expert_feed_forward_length``, from ``ffn_up_shexp``."""
    head_dim(meta, config)
    a, n, width = meta.arch, config["num_hidden_layers"], config["intermediate_size"]
    moe = [i for i in range(n) if f"blk.{i}.ffn_gate_inp.weight" in meta.tensors]
    shared = meta.int(f"{a}.expert_shared_count", minimum=0) * width
    rows = meta.rows(f"blk.{moe[0]}.ffn_up_shexp.weight") if moe else shared
    if rows != shared:
        raise meta.error(f"{a}.expert_shared_count", f"{shared // width} shared experts of expert_feed_forward_length "
                         f"{width} are {shared} rows, blk.{moe[0]}.ffn_up_shexp.weight has {rows}")  # fmt: skip
    config.update(shared_intermediate_size=shared or width,
                  mlp_layer_types=["sparse" if i in moe else "dense" for i in range(n)],
                  layer_types=["minimax_m3_sparse" if f"blk.{i}.indexer.q_proj.weight" in meta.tensors
                               else "full_attention" for i in range(n)])  # fmt: skip


#: MiniMax-M3's MLPs as transformers holds them: gate and up fused (dense, shared and routed experts).
_M3_MLP = {
    "ffn_gate": "~mlp.gate_up_proj", "ffn_up": "~mlp.gate_up_proj", "ffn_down": "mlp.down_proj",
    "ffn_gate_inp": "mlp.gate", "exp_probs_b.bias": "mlp.gate.e_score_correction_bias",
    "ffn_gate_exps.weight": "~mlp.experts.gate_up_proj", "ffn_up_exps.weight": "~mlp.experts.gate_up_proj",
    "ffn_down_exps.weight": "~mlp.experts.down_proj", "ffn_gate_shexp": "~mlp.shared_experts.gate_up_proj",
    "ffn_up_shexp": "~mlp.shared_experts.gate_up_proj", "ffn_down_shexp": "mlp.shared_experts.down_proj",
}  # fmt: skip
#: MiniMax-M3's lightning indexer (the checkpoint's ``self_attn.index_q_proj``, transformers' ``indexer.q_proj``).
_M3_INDEXER = {"indexer.q_proj": "self_attn.indexer.q_proj", "indexer.k_proj": "self_attn.indexer.k_proj",
               "indexer.q_norm": "self_attn.indexer.q_norm", "indexer.k_norm": "self_attn.indexer.k_norm"}  # fmt: skip

def _gemma4_assistant(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (Gemma 4 assistant): the layer types from the sliding pattern, one MLP width (``feed_forward_length``,
    per layer or not), every layer's cache shared, the vocabulary the language model's; the ordered embedding's
    centroids, which the converter drops, left out (with a note)."""
    text, a = config["text_config"], meta.arch
    n = text["num_hidden_layers"]
    sliding = per_layer(meta, "attention.sliding_window_pattern", n, bool)
    widths = set(per_layer(meta, "feed_forward_length", n))
    if len(widths) != 1:
        raise meta.error(f"{a}.feed_forward_length", f"gives layers different widths ({sorted(widths)}); a Gemma 4 "
                         "assistant has one (no double-wide MLPs)")  # fmt: skip
    if text["num_kv_shared_layers"] not in (0, n):
        raise meta.error(f"{a}.attention.shared_kv_layers", f"must be block_count ({n}): every layer of a Gemma 4 "
                         "assistant reuses the target model's cache")  # fmt: skip
    heads = min(per_layer(meta, "attention.head_count_kv", n)) if meta.has(f"{a}.attention.head_count_kv") else 1
    text.update(layer_types=["sliding_attention" if s else "full_attention" for s in sliding], intermediate_size=widths.pop(),
                num_key_value_heads=heads or 1, hidden_size_per_layer_input=0, vocab_size_per_layer_input=0)  # fmt: skip
    text["vocab_size"] = config.pop("vocab_size")  # the language model's (token_embd's rows)
    config["use_ordered_embeddings"] = False
    meta.note("a Gemma 4 assistant's GGUF holds no masked_embedding: llama.cpp's converter drops the ordered embedding's "
              "centroid head (num_centroids × hidden_size parameters) of a checkpoint that has one; counted as the file "
              "holds it")  # fmt: skip


def _chatglm(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (GLM-4, chatglm): ChatGLM2/3's fused ``attn_qkv`` refused; the head width from ``attn_q``'s rows."""
    if "blk.0.attn_qkv.weight" in meta.tensors:
        raise meta.error("blk.0.attn_qkv.weight", "a ChatGLM2/3 file (fused attn_qkv, remote-code ChatGLMModel): not "
                         "mapped; registry reads GLM-4's GlmForCausalLM (glm) from a chatglm GGUF")  # fmt: skip
    heads, rows = config["num_attention_heads"], meta.rows("blk.0.attn_q.weight")
    if not rows or rows % heads:
        raise meta.error("blk.0.attn_q.weight", f"{rows} rows are not {heads} heads (attention.head_count)")
    config["head_dim"] = rows // heads


ROWS = (
    # Hy3: dense and MoE layers, a shared MLP and router score biases; the MTP layers are the last blocks
    GgufArchitecture(
        "hy_v3", model_type="hy_v3", classes=("HYV3ForCausalLM",), rule=_hy_v3,
        keys={**DECODER_KEYS, **EXPERT_KEYS, "expert_feed_forward_length": "moe_intermediate_size",
              "nextn_predict_layers?": "num_nextn_predict_layers"},
        tensors={**TOP, **ATTENTION, **QK_NORM, **PRE_NORMS, **MLP, **EXPERTS, **SHARED_EXPERTS,
                 "exp_probs_b.bias": "mlp.e_score_correction_bias", **NEXTN,
                 "nextn.shared_head_norm": "final_layernorm"},
        presence={**TIED, "attention_bias": "blk.0.attn_q.bias"},
        description="Hy3 (Tencent): q/k norms, dense and MoE layers, a shared MLP, MTP layers as the last blocks",
    ),
    # MiniMax-M3 (text): dense and MoE layers, the indexer on the sparse layers; with its mmproj, the whole model
    GgufArchitecture(
        "minimax-m3", model_type="minimax_m3_vl_text", classes=("MiniMaxM3VLForCausalLM",), rule=_minimax_m3,
        keys={**DECODER_KEYS, "feed_forward_length": "dense_intermediate_size", **EXPERT_KEYS,
              "expert_count": "num_local_experts", "expert_feed_forward_length": "intermediate_size",
              "attention.indexer.head_count": "index_n_heads", "attention.indexer.key_length": "index_head_dim"},
        tensors={**TOP, **ATTENTION, **QK_NORM, **PRE_NORMS, **_M3_MLP, **_M3_INDEXER}, presence=TIED,
        description="MiniMax-M3's language model (minimax_m3_vl_text): the lightning indexer, dense and MoE layers",
    ),
    # Gemma 4's assistant: a kv-shared Gemma 4 language model and its projections to and from the target's width
    GgufArchitecture(
        "gemma4-assistant", model_type="gemma4_assistant", classes=("Gemma4AssistantForCausalLM",),
        rule=_gemma4_assistant,
        keys={"block_count": "text_config.num_hidden_layers", "embedding_length": "text_config.hidden_size",
              "attention.head_count": "text_config.num_attention_heads",
              "attention.key_length": "text_config.global_head_dim", "attention.key_length_swa": "text_config.head_dim",
              "attention.shared_kv_layers": "text_config.num_kv_shared_layers",
              "embedding_length_out": "backbone_hidden_size"},
        tensors={"token_embd": "model.embed_tokens", "output_norm": "model.norm", "output": "lm_head",
                 "nextn.pre_projection": "pre_projection", "nextn.post_projection": "post_projection",
                 "attn_q": "self_attn.q_proj", "attn_output": "self_attn.o_proj", "attn_q_norm": "self_attn.q_norm",
                 **SANDWICH, **MLP, "layer_output_scale.weight": "layer_scalar"},
        presence=TIED, description="Gemma 4's assistant (drafter for assisted decoding), without the centroid head "
        "the converter drops",
    ),
    # GLM-4 (GlmForCausalLM): biased query/key/value, the fused gate_up_proj as ffn_up
    decoder("chatglm", "glm", "GlmForCausalLM", {**ATTENTION, "ffn_up": "mlp.gate_up_proj", "ffn_down": "mlp.down_proj",
            **PRE_NORMS}, presence={"attention_bias": "blk.0.attn_q.bias"}, rule=_chatglm,
            description="GLM-4's GlmForCausalLM (glm); ChatGLM2/3 files refused"),
)


@hookimpl
def register_gguf_architectures(register):
    """The GGUF architectures of this module (see its docstring): hy_v3, minimax-m3, gemma4-assistant,
    chatglm."""
    for row in ROWS:
        register(row)

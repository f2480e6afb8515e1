"""More GGUF architectures of model types mapped in 2025-26, as rows of data (read by ``registry.sources.gguf_rows``).

deepseek32 (DeepSeek-V3.2, ``deepseek_v32``) and mimo2 (MiMo-V2-Flash, ``mimo_v2_flash``). Checked against
llama.cpp at 0c1e57098 (vendored by llama-cpp-python 0.3.36): the converters ``DeepseekV32Model``
(conversion/deepseek.py) and ``MimoV2Model`` (conversion/mimo.py), the tensors of each architecture in
``gguf-py/gguf/constants.py`` (``MODEL_TENSORS[DEEPSEEK32]``, ``MODEL_TENSORS[MIMO2]``) and their Hugging Face names
in ``gguf-py/gguf/tensor_mapping.py``. Where llama.cpp stores the model otherwise than the checkpoint:

* both merge each layer's routed experts into ``ffn_{gate,up,down}_exps`` (read per expert) and write each
  router's ``e_score_correction_bias`` as ``exp_probs_b.bias`` (a checkpoint tensor the families declare);
* DeepSeek-V3.2 splits ``kv_b_proj`` per head into ``attn_k_b`` (transposed) and ``attn_v_b`` (read as
  ``kv_b_proj``, by count) and keeps its multi-token-prediction layer as the last block under the checkpoint's
  number (``model.layers.61`` -> ``blk.61``, counted in ``block_count``, ``nextn_predict_layers`` of them, none with
  ``--no-mtp``): the rule takes them off the layers, and they read as the checkpoint's MTP layers, as GLM-5's;
* MiMo-V2-Flash writes the per-layer key/value heads as an array over the blocks (``attention.head_count_kv``),
  the sliding layers as ``attention.sliding_window_pattern`` (1: sliding), each sliding layer's attention sinks as
  ``attn_sinks`` (the checkpoint's ``attention_sink_bias``, transformers' ``self_attn.sinks``), and appends the
  checkpoint's three MTP modules (``model.mtp.layers.<i>``) as blocks after the last layer (``mtp``: read back under
  ``model.mtp.layers.<i>``, which transformers does not build and the family declares, not counted).
"""

from __future__ import annotations

from typing import Any

from registry import GgufArchitecture, GgufMetadata, hookimpl
from registry.plugins.gguf_decoders import ATTENTION, DECODER_KEYS, MLP, PRE_NORMS, TIED, TOP
from registry.plugins.gguf_hybrid import per_layer
from registry.plugins.gguf_moe import EXPERT_KEYS, EXPERTS, GLM_KEYS, NEXTN, SCORE_BIAS, SHARED_EXPERTS

#: DeepSeek-V3.2's latent attention (the checkpoint's names; ``kv_b_proj`` split in two, compared by count).
_MLA = {"attn_q": "self_attn.q_proj", "attn_q_a": "self_attn.q_a_proj", "attn_q_a_norm": "self_attn.q_a_layernorm",
        "attn_q_b": "self_attn.q_b_proj", "attn_kv_a_mqa": "self_attn.kv_a_proj_with_mqa",
        "attn_kv_a_norm": "self_attn.kv_a_layernorm", "attn_kv_b": "self_attn.kv_b_proj",
        "attn_k_b": "~self_attn.kv_b_proj", "attn_v_b": "~self_attn.kv_b_proj", "attn_output": "self_attn.o_proj"}  # fmt: skip
#: The lightning indexer (gguf-py's INDEXER_*: ``indexer.k_norm`` is a LayerNorm, weight and bias).
_INDEXER = {"indexer.attn_q_b": "self_attn.indexer.wq_b", "indexer.attn_k": "self_attn.indexer.wk",
            "indexer.k_norm": "self_attn.indexer.k_norm", "indexer.proj": "self_attn.indexer.weights_proj"}  # fmt: skip
#: MiMo-V2-Flash's MTP module's own tensors (gguf-py's NEXTN_* and LAYER_OUT_NORM: its ``final_layernorm``).
_MIMO_MTP = {"nextn.eh_proj": "eh_proj", "nextn.enorm": "enorm", "nextn.hnorm": "hnorm",
             "layer_output_norm": "final_layernorm"}  # fmt: skip


def _deepseek32(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (DeepSeek-V3.2, DeepseekV32Model): the latent attention's head widths from ``rope.dimension_count``,
    ``attention.key_length_mla`` and ``value_length_mla`` (llama.cpp writes the attention as MQA: the key/value heads
    are the query heads), ``q_lora_rank`` null when absent; the MTP layers kept as the last blocks taken off
    ``block_count``."""
    a = meta.arch
    rope, key = meta.int(f"{a}.rope.dimension_count"), meta.int(f"{a}.attention.key_length_mla")
    if key <= rope:
        raise meta.error(f"{a}.attention.key_length_mla", f"{key} leaves no room for the {rope} rotary dimensions "
                         "(rope.dimension_count)")  # fmt: skip
    config.update(qk_rope_head_dim=rope, qk_nope_head_dim=key - rope, num_key_value_heads=config["num_attention_heads"],
                  v_head_dim=meta.int(f"{a}.attention.value_length_mla"))  # fmt: skip
    config.setdefault("q_lora_rank", None)
    mtp = config.setdefault("num_nextn_predict_layers", 0)
    if config["num_hidden_layers"] <= mtp:
        raise meta.error(f"{a}.nextn_predict_layers", f"{mtp} leaves no layer of block_count {config['num_hidden_layers']}")
    config["num_hidden_layers"] -= mtp


def _mimo2(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (MiMo-V2-Flash, MimoV2Model): the layer types from ``attention.sliding_window_pattern`` (1: sliding),
    the full layers' key/value heads from ``attention.head_count_kv`` (the sliding layers must have twice them, as
    transformers builds), the dense layers (no router ``ffn_gate_inp``); the arrays list the MTP blocks too (cut)."""
    a, n = meta.arch, config["num_hidden_layers"]
    sliding = per_layer(meta, "attention.sliding_window_pattern", n, bool) if meta.has(
        f"{a}.attention.sliding_window_pattern") else None  # fmt: skip
    if sliding is None:
        raise meta.error(f"{a}.attention.sliding_window_pattern", "required metadata key is missing")
    kv = per_layer(meta, "attention.head_count_kv", n)
    full = {k for k, s in zip(kv, sliding) if not s}
    slid = {k for k, s in zip(kv, sliding) if s}
    base = min(full) if full else min(slid, default=0) // 2
    if len(full) > 1 or not base or slid - {2 * base}:
        raise meta.error(f"{a}.attention.head_count_kv", f"{kv} is not one number on the full layers and twice it on "
                         "the sliding layers (sliding_window_pattern), as transformers builds MiMo-V2-Flash")  # fmt: skip
    config.update(num_key_value_heads=base, layer_types=["sliding_attention" if s else "full_attention" for s in sliding],
                  mlp_layer_types=["sparse" if f"blk.{i}.ffn_gate_inp.weight" in meta.tensors else "dense"
                                   for i in range(n)])  # fmt: skip


ROWS = (
    # DeepSeek-V3.2: DeepSeek-V3 (latent attention, dense first layers, routed and shared experts with score biases)
    # with the lightning indexer in every layer; its MTP layer kept as the last block under the checkpoint's number
    GgufArchitecture(
        "deepseek32", model_type="deepseek_v32", classes=("DeepseekV32ForCausalLM",), rule=_deepseek32,
        keys={**DECODER_KEYS, **GLM_KEYS, "attention.q_lora_rank?": "q_lora_rank",
              "attention.kv_lora_rank": "kv_lora_rank", "attention.indexer.head_count": "index_n_heads",
              "attention.indexer.key_length": "index_head_dim", "nextn_predict_layers?": "num_nextn_predict_layers"},
        tensors={**TOP, **_MLA, **PRE_NORMS, **MLP, **EXPERTS, **SHARED_EXPERTS, **SCORE_BIAS, **_INDEXER, **NEXTN},
        presence=TIED,
    ),
    # MiMo-V2-Flash: sliding (twice the key/value heads, sinks) and full attention, value heads narrower than the
    # query/key heads, a dense first layer then routed experts; three MTP modules appended after the layers
    GgufArchitecture(
        "mimo2", model_type="mimo_v2_flash", classes=("MiMoV2FlashForCausalLM",), rule=_mimo2,
        keys={k: v for k, v in DECODER_KEYS.items() if not k.startswith("attention.head_count_kv")}
        | {"attention.key_length": "head_dim", "attention.value_length": "v_head_dim", **EXPERT_KEYS,
           "expert_count": "n_routed_experts", "expert_feed_forward_length": "moe_intermediate_size"},
        tensors={**TOP, **ATTENTION, **PRE_NORMS, **MLP, **EXPERTS, **SCORE_BIAS, "attn_sinks.weight": "self_attn.sinks",
                 **_MIMO_MTP},
        mtp="model.mtp.layers", presence=TIED,
    ),
)


@hookimpl
def register_gguf_architectures(register):
    """More 2025-26 types' GGUF architectures: deepseek32, mimo2."""
    for row in ROWS:
        register(row)

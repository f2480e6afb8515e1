"""More GGUF architectures of model types mapped in 2025-26, as rows of data (read by ``registry.sources.gguf_rows``).

deepseek32 (DeepSeek-V3.2, ``deepseek_v32``), mimo2 (MiMo-V2-Flash, ``mimo_v2_flash``), deepseek4 (DeepSeek-V4,
``deepseek_v4``), granite_swa (GraniteSWA), mellum (Mellum 2) and laguna (Laguna). Checked against llama.cpp at
0c1e57098 (vendored by llama-cpp-python 0.3.36): the converters ``DeepseekV32Model`` and ``DeepseekV4Model``
(conversion/deepseek.py), ``MimoV2Model`` (conversion/mimo.py),
``GraniteSWAModel`` (conversion/granite.py), ``MellumModel`` (conversion/mellum.py) and ``LagunaModel``
(conversion/laguna.py), the tensors of each architecture in ``gguf-py/gguf/constants.py`` (``MODEL_TENSORS``) and
their Hugging Face names in ``gguf-py/gguf/tensor_mapping.py``. Where llama.cpp stores the model otherwise than the
checkpoint:

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
  ``model.mtp.layers.<i>``, which transformers does not build and the family declares, not counted);
* DeepseekV4Model reads DeepSeek's own checkpoint names (``layers.<i>.attn.wq_a``, ``hc_attn_fn``) and writes each
  under its own GGUF name, shapes unchanged; the rows name transformers' modules (the deepseek-v4 family's).
  The routers' buffers it writes (``exp_probs_b.bias``, the hash layers' integer ``ffn_gate_tid2eid``) are no
  parameters; the per-layer attention kinds are ``attention.compress_ratios``; the MTP module is dropped
  (``--mtp`` writes a file of it alone, refused);
* the sliding layers are ``attention.sliding_window_pattern`` (GraniteSWA, Mellum: true where a layer slides);
  LagunaModel writes none, and llama.cpp's loader then takes full attention every fourth layer from the first
  when a window is written: the rule reads the file as llama.cpp does. Laguna's query heads per layer are the array
  ``attention.head_count``, its attention gate (one a head, or one a channel) the rows of ``attn_gate``.
"""

from __future__ import annotations

from typing import Any

from registry import GgufArchitecture, GgufArray, GgufMetadata, hookimpl
from registry.plugins.gguf_decoders import ATTENTION, DECODER_KEYS, MLP, PRE_NORMS, QK_NORM, TIED, TOP, decoder, head_dim
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
#: DeepSeek-V4's hyper-connections: DeepseekV4Model's names (``hc_attn_fn`` ...; the head's ``output_hc_*``), as
#: transformers holds them (the family's RENAMES: ``hc_attn_fn`` is ``attn_hc.fn``).
_V4_HC = {"output_hc_fn.weight": "model.hc_head.hc_fn", "output_hc_base.weight": "model.hc_head.hc_base",
          "output_hc_scale.weight": "model.hc_head.hc_scale", **{
              f"hc_{part}_{p}.weight": f"{part}_hc.{p}" for part in ("attn", "ffn") for p in ("fn", "base", "scale")}}
#: DeepSeek-V4's attention: the converter's names of the checkpoint's ``attn.*`` (``wq_a`` is ``attn_q_a``, ``wkv``
#: ``attn_kv``, ``wo_a`` ``attn_output_a``, the compressors' ``wkv`` / ``wgate`` / ``ape`` / ``norm``) as transformers'.
_V4_ATTENTION = {
    "attn_sinks.weight": "self_attn.sinks", "attn_q_a": "self_attn.q_a_proj", "attn_q_a_norm": "self_attn.q_a_norm",
    "attn_q_b": "self_attn.q_b_proj", "attn_kv": "self_attn.kv_proj", "attn_kv_a_norm": "self_attn.kv_norm",
    "attn_output_a": "self_attn.o_a_proj", "attn_output_b": "self_attn.o_b_proj",
    "attn_compressor_kv": "self_attn.compressor.kv_proj", "attn_compressor_gate": "self_attn.compressor.gate_proj",
    "attn_compressor_ape.weight": "self_attn.compressor.position_bias",
    "attn_compressor_norm": "self_attn.compressor.kv_norm",
    "indexer.attn_q_b": "self_attn.compressor.indexer.q_b_proj",
    "indexer.proj": "self_attn.compressor.indexer.scorer.weights_proj",
    "indexer_compressor_kv": "self_attn.compressor.indexer.kv_proj",
    "indexer_compressor_gate": "self_attn.compressor.indexer.gate_proj",
    "indexer_compressor_ape.weight": "self_attn.compressor.indexer.position_bias",
    "indexer_compressor_norm": "self_attn.compressor.indexer.kv_norm",
}  # fmt: skip
#: MiMo-V2-Flash's MTP module's own tensors (gguf-py's NEXTN_* and LAYER_OUT_NORM: its ``final_layernorm``).
_MIMO_MTP = {"nextn.eh_proj": "eh_proj", "nextn.enorm": "enorm", "nextn.hnorm": "hnorm",
             "layer_output_norm": "final_layernorm"}  # fmt: skip


def _sliding(meta: GgufMetadata, n: int, every: int = 0) -> list[str]:
    """The layer types from ``attention.sliding_window_pattern`` (true: sliding); without it, what llama.cpp's loader
    assumes (``load_swa_pattern``): full attention every ``every``-th layer from the first when a sliding window is
    written, else (or ``every`` 0) every layer full."""
    if meta.has(f"{meta.arch}.attention.sliding_window_pattern"):
        sliding = per_layer(meta, "attention.sliding_window_pattern", n, bool)
    else:
        windowed = every and meta.int(f"{meta.arch}.attention.sliding_window", 0, minimum=0)
        sliding = [bool(windowed) and i % every != 0 for i in range(n)]
    return ["sliding_attention" if s else "full_attention" for s in sliding]


def _dense(meta: GgufMetadata, n: int) -> list[str]:
    """The MLP kind of each layer: sparse where the block holds a router (``ffn_gate_inp``), else dense."""
    return ["sparse" if f"blk.{i}.ffn_gate_inp.weight" in meta.tensors else "dense" for i in range(n)]


def _granite_swa(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (GraniteSWA, GraniteSWAModel): the layer types from ``attention.sliding_window_pattern``; head_dim is
    hidden / heads (the converter drops a config's head_dim). A GraniteMoeSWA file (routers in the blocks) is refused:
    registry maps no granitemoe_swa."""
    head_dim(meta, config)
    config["layer_types"] = _sliding(meta, config["num_hidden_layers"])
    router = next((t for t in meta.tensors if t.endswith(".ffn_gate_inp.weight")), None)
    if router is not None:
        raise meta.error(router, "a GraniteMoeSWA file (routed experts): registry maps no granitemoe_swa model type")


def _mellum(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (Mellum, MellumModel): the layer types from ``attention.sliding_window_pattern`` (absent: all full), the
    dense layers (no router)."""
    head_dim(meta, config)
    n = config["num_hidden_layers"]
    config.update(layer_types=_sliding(meta, n), mlp_layer_types=_dense(meta, n))


def _laguna(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (Laguna, LagunaModel): the query heads of each layer from the array ``attention.head_count``; the layer
    types as llama.cpp's loader reads them (the pattern, else full attention every fourth layer from the first when
    a sliding window is written); the attention gate from the rows of ``attn_gate`` (one a head: per head; head_dim a
    head: per element); the dense layers (no router)."""
    a, n = meta.arch, config["num_hidden_layers"]
    heads = per_layer(meta, "attention.head_count", n)
    if not all(heads):
        raise meta.error(f"{a}.attention.head_count", f"{heads}: every layer has query heads")
    config.update(num_attention_heads=heads[0], num_attention_heads_per_layer=heads, layer_types=_sliding(meta, n, 4),
                  mlp_layer_types=_dense(meta, n))  # fmt: skip
    head_dim(meta, config)
    gate = meta.rows("blk.0.attn_gate.weight")
    if gate not in (heads[0], heads[0] * config["head_dim"]):
        raise meta.error("blk.0.attn_gate.weight", f"{gate} rows: neither one a head ({heads[0]}) nor head_dim a head "
                         f"({heads[0] * config['head_dim']}), the two gates of Laguna")  # fmt: skip
    config["gating"] = True if gate == heads[0] else "per-element"


def _deepseek4(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (DeepSeek-V4, DeepseekV4Model): each layer's attention from ``attention.compress_ratios`` (0: sliding, 4:
    compressed sparse, 128: heavily compressed; the published config, which the converter copies, lists its MTP
    layer too: cut), read as the config field it is. An MTP-only file (``--mtp``: ``nextn_predict_layers``) is refused."""
    a, n = meta.arch, config["num_hidden_layers"]
    if meta.has(f"{a}.nextn_predict_layers"):
        raise meta.error(f"{a}.nextn_predict_layers", "an MTP-only file (convert_hf_to_gguf --mtp) holds the "
                         "prediction module, not the model")  # fmt: skip
    key = f"{a}.attention.compress_ratios"
    value = meta.data.get(key)
    items = value.items if isinstance(value, GgufArray) else None
    if items is None or len(items) not in (n, n + 1) or any(type(r) is not int for r in items):
        raise meta.error(key, f"{'missing' if value is None else 'must list one whole number per layer'}: the "
                         f"compression ratio of each of the {n} layers (block_count; the published config's one more, "
                         "its MTP layer's)")  # fmt: skip
    config["compress_ratios"] = list(items[:n])


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
    # DeepSeek-V4: compressed attention (the compressor and, in compressed sparse layers, the indexer with its own
    # compressor), manifold-constrained hyper-connections around each sublayer and before the head, routed experts
    # and one shared expert in every layer; the routers' buffers (score biases, the hash layers' token-to-expert
    # table) are no parameters; the converter drops the MTP module (mtp.*) unless --mtp
    GgufArchitecture(
        "deepseek4", model_type="deepseek_v4", classes=("DeepseekV4ForCausalLM",), rule=_deepseek4,
        keys={"block_count": "num_hidden_layers", "embedding_length": "hidden_size",
              "attention.head_count": "num_attention_heads", "attention.key_length": "head_dim",
              "attention.q_lora_rank": "q_lora_rank", "attention.output_group_count": "o_groups",
              "attention.output_lora_rank": "o_lora_rank", "attention.sliding_window": "sliding_window",
              "attention.indexer.head_count": "index_n_heads", "attention.indexer.key_length": "index_head_dim",
              "hyper_connection.count": "hc_mult", "expert_count": "n_routed_experts",
              "expert_used_count": "num_experts_per_tok", "expert_feed_forward_length": "moe_intermediate_size",
              "hash_layer_count?": "num_hash_layers"},
        tensors={**TOP, **_V4_HC, **_V4_ATTENTION, "attn_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm",
                 **EXPERTS, **SHARED_EXPERTS},
        not_parameters=("rope_freqs.weight", "exp_probs_b.bias", "ffn_gate_tid2eid.weight"), presence=TIED,
    ),
    # GraniteSWA: Granite's decoder with a learned sink per query head in every layer and sliding layers
    decoder("granite_swa", "granite_swa", "GraniteSWAForCausalLM",
            {**ATTENTION, **MLP, **PRE_NORMS, "attn_sinks.weight": "self_attn.sinks"}, rule=_granite_swa,
            keys={"attention.sliding_window?": "sliding_window"},
            presence={"attention_bias": "blk.0.attn_q.bias", "mlp_bias": "blk.0.ffn_up.bias"}),
    # Mellum 2: per-head query/key norms, sliding and full layers, routed experts (Qwen3-MoE names); llama.cpp's
    # tensor list has no dense MLP and the converter no MTP module, so its files hold neither
    decoder("mellum", "mellum", "MellumForCausalLM", {**ATTENTION, **QK_NORM, **PRE_NORMS, **MLP, **EXPERTS},
            rule=_mellum, keys={**EXPERT_KEYS, "expert_feed_forward_length": "moe_intermediate_size",
                                "attention.sliding_window?": "sliding_window"},
            presence={"attention_bias": "blk.0.attn_q.bias"}),
    # Laguna: gated attention (attn_gate) with query/key norms, the query heads per layer, a dense first layer, routed
    # experts with a learned score bias (a parameter in transformers) and a shared expert
    GgufArchitecture(
        "laguna", model_type="laguna", classes=("LagunaForCausalLM",), rule=_laguna,
        keys={k: v for k, v in DECODER_KEYS.items() if k != "attention.head_count"}
        | {**EXPERT_KEYS, "expert_feed_forward_length": "moe_intermediate_size",
           "expert_shared_feed_forward_length": "shared_expert_intermediate_size",
           "attention.sliding_window?": "sliding_window"},
        tensors={**TOP, **ATTENTION, **QK_NORM, "attn_gate": "self_attn.g_proj", **PRE_NORMS, **MLP, **EXPERTS,
                 **SHARED_EXPERTS, **SCORE_BIAS},
        presence={**TIED, "attention_bias": "blk.0.attn_q.bias"},
    ),
)


@hookimpl
def register_gguf_architectures(register):
    """More 2025-26 types' GGUF architectures: deepseek32, mimo2, deepseek4, granite_swa, mellum, laguna."""
    for row in ROWS:
        register(row)

"""The GGUF architectures of plugins/gguf_types_2026_more.py (deepseek32, mimo2, deepseek4, granite_swa, mellum,
laguna) count and verify exactly.

Reference: transformers' meta model of a small config of each type (total and active parameters); the GGUF file
is written from it as llama.cpp's converter at 0c1e57098 writes one (tests/gguf_files.py). gguf-py 0.19 (the
installed reference library) has no ``deepseek32``, ``deepseek4``, ``granite_swa``, ``mellum`` or ``laguna``
architecture: their tensor names are written out below from llama.cpp 0c1e57098's ``gguf-py/gguf/constants.py``
(``MODEL_TENSORS`` of each and ``TENSOR_NAMES``) and ``tensor_mapping.py`` (the Hugging Face name of each), and the
file is written by gguf-py's ``GGUFWriter`` under the architecture string. ``mimo2`` is in gguf-py 0.19: its names
come from gguf-py's ``TensorNameMap``.
"""

from __future__ import annotations

import pytest

from tests.gguf_files import Case, case_id, check_case, refused_bytes, split_experts
from tests.test_gguf_architectures import deepseek_keys, deepseek_tensors

gguf = pytest.importorskip("gguf")

SMALL = {"vocab_size": 96, "hidden_size": 64, "intermediate_size": 80, "num_hidden_layers": 3,
         "num_attention_heads": 4, "pad_token_id": 0, "tie_word_embeddings": False}  # fmt: skip

#: DeepSeek-V3.2's tensors as DeepseekV32Model writes them: MODEL_TENSORS[DEEPSEEK32] in constants.py at 0c1e57098,
#: named by TENSOR_NAMES (``blk.{bid}.indexer.attn_q_b`` ...), each the Hugging Face module tensor_mapping.py gives it
#: (``self_attn.indexer.wq_b`` for INDEXER_ATTN_Q_B, ``self_attn.k_b_proj`` for ATTN_K_B, the merged experts as
#: ``mlp.experts.gate_proj``, the router bias ``mlp.gate.e_score_correction`` as FFN_EXP_PROBS_B ``exp_probs_b``).
DEEPSEEK32_NAMES = {
    "model.embed_tokens": "token_embd", "model.norm": "output_norm", "lm_head": "output",
    "input_layernorm": "attn_norm", "post_attention_layernorm": "ffn_norm",
    "self_attn.q_proj": "attn_q", "self_attn.q_a_proj": "attn_q_a", "self_attn.q_a_layernorm": "attn_q_a_norm",
    "self_attn.q_b_proj": "attn_q_b", "self_attn.kv_a_proj_with_mqa": "attn_kv_a_mqa",
    "self_attn.kv_a_layernorm": "attn_kv_a_norm", "self_attn.k_b_proj": "attn_k_b", "self_attn.v_b_proj": "attn_v_b",
    "self_attn.o_proj": "attn_output", "self_attn.indexer.wq_b": "indexer.attn_q_b", "self_attn.indexer.wk":
    "indexer.attn_k", "self_attn.indexer.k_norm": "indexer.k_norm", "self_attn.indexer.weights_proj": "indexer.proj",
    "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up", "mlp.down_proj": "ffn_down", "mlp.gate": "ffn_gate_inp",
    "mlp.experts.gate_proj": "ffn_gate_exps", "mlp.experts.up_proj": "ffn_up_exps",
    "mlp.experts.down_proj": "ffn_down_exps", "mlp.shared_experts.gate_proj": "ffn_gate_shexp",
    "mlp.shared_experts.up_proj": "ffn_up_shexp", "mlp.shared_experts.down_proj": "ffn_down_shexp",
}  # fmt: skip

DEEPSEEK32 = {**SMALL, "num_key_value_heads": 4, "n_routed_experts": 4, "num_experts_per_tok": 2,
              "moe_intermediate_size": 24, "first_k_dense_replace": 1, "n_shared_experts": 1, "kv_lora_rank": 16,
              "q_lora_rank": 32, "qk_nope_head_dim": 8, "qk_rope_head_dim": 4, "v_head_dim": 8, "index_n_heads": 2,
              "index_head_dim": 8, "index_topk": 4, "n_group": 1, "topk_group": 1}  # fmt: skip


def deepseek32_keys(config, mtp: int = 0):
    """DeepseekV32Model.set_gguf_parameters: DeepseekV2Model's keys, the indexer's; with its MTP layers, block_count
    counts them and nextn_predict_layers says how many."""
    keys = {**deepseek_keys(config), "attention.indexer.head_count": config.index_n_heads,
            "attention.indexer.key_length": config.index_head_dim, "attention.indexer.top_k": config.index_topk}
    return keys | ({"block_count": config.num_hidden_layers + mtp, "nextn_predict_layers": mtp} if mtp else {})


def deepseek32_extra(config, mtp: int = 0):
    """What transformers does not build: each router's score bias (a buffer) as ``exp_probs_b.bias``; the MTP layer's
    own embedding and head (NEXTN_EMBED_TOKENS, NEXTN_SHARED_HEAD_HEAD: DeepSeek-V3's checkpoint stores both)."""
    n, v, d = config.num_hidden_layers, config.vocab_size, config.hidden_size
    biases = {f"blk.{i}.exp_probs_b.bias": (config.n_routed_experts,) for i in range(config.first_k_dense_replace, n + mtp)}
    return biases | {f"blk.{n + k}.nextn.{t}.weight": (v, d) for k in range(mtp) for t in ("embed_tokens", "shared_head_head")}


def _deepseek32(fields=DEEPSEEK32, mtp: int = 0) -> Case:
    return Case("deepseek32", "deepseek_v32", "DeepseekV32ForCausalLM", fields, lambda c: deepseek32_keys(c, mtp),
                deepseek_tensors, extra=lambda c: deepseek32_extra(c, mtp), mtp=mtp, names=DEEPSEEK32_NAMES)


MIMO = {**SMALL, "num_key_value_heads": 1, "head_dim": 16, "v_head_dim": 8, "n_routed_experts": 4,
        "num_experts_per_tok": 2, "moe_intermediate_size": 24,
        "layer_types": ["full_attention", "sliding_attention", "sliding_attention"]}  # fmt: skip
#: The MTP modules MimoV2Model appends (its _n_nextn: the published checkpoints' three).
MIMO_MTP = 3


def mimo_keys(config, kv=None):
    """MimoV2Model.set_gguf_parameters: head_count_kv and sliding_window_pattern over every block (the MTP blocks
    sliding), value_length the value heads' width, the experts' count and width, nextn_predict_layers."""
    sliding = [t == "sliding_attention" for t in config.layer_types] + [True] * MIMO_MTP
    base = config.num_key_value_heads
    return {"block_count": config.num_hidden_layers + MIMO_MTP, "nextn_predict_layers": MIMO_MTP,
            "attention.head_count_kv": kv or [2 * base if s else base for s in sliding],
            "attention.sliding_window_pattern": sliding, "attention.value_length": config.v_head_dim,
            "expert_count": config.n_routed_experts, "expert_feed_forward_length": config.moe_intermediate_size}


def mimo_tensors(name, shape, config):
    """MimoV2Model.filter_tensors: the attention sinks (the checkpoint's attention_sink_bias) get ``.weight``; the
    experts merged."""
    if name.endswith("self_attn.sinks"):
        return [(f"gguf:blk.{name.split('.')[2]}.attn_sinks.weight", shape)]
    return split_experts(name, shape, config)


def mimo_extra(config):
    """What transformers does not build: each router's score bias (``exp_probs_b.bias``), and the three MTP modules
    (``model.mtp.layers.<i>``, renumbered after the layers by MimoV2Model.modify_tensors): a sliding layer with a
    dense MLP, its eh_proj, enorm, hnorm and final_layernorm (LAYER_OUT_NORM)."""
    n, d, heads = config.num_hidden_layers, config.hidden_size, config.num_attention_heads
    kv, hd, vd, ff = 2 * config.num_key_value_heads, config.head_dim, config.v_head_dim, config.intermediate_size
    out = {f"blk.{i}.exp_probs_b.bias": (config.n_routed_experts,) for i in range(1, n)}
    for b in range(n, n + MIMO_MTP):
        out |= {f"blk.{b}.{t}.weight": s for t, s in (
            ("attn_norm", (d,)), ("attn_q", (heads * hd, d)), ("attn_k", (kv * hd, d)), ("attn_v", (kv * vd, d)),
            ("attn_output", (d, heads * vd)), ("attn_sinks", (heads,)), ("ffn_norm", (d,)), ("ffn_gate", (ff, d)),
            ("ffn_up", (ff, d)), ("ffn_down", (d, ff)), ("nextn.eh_proj", (d, 2 * d)), ("nextn.enorm", (d,)),
            ("nextn.hnorm", (d,)), ("layer_output_norm", (d,)))}  # fmt: skip
    return out


def _mimo(fields=MIMO, kv=None) -> Case:
    return Case("mimo2", "mimo_v2_flash", "MiMoV2FlashForCausalLM", fields, lambda c: mimo_keys(c, kv), mimo_tensors,
                extra=mimo_extra)


#: The names common to granite_swa, mellum and laguna (MODEL_TENSORS of each in constants.py at 0c1e57098, their
#: Hugging Face modules in tensor_mapping.py: ``self_attn.g_proj`` is ATTN_GATE ``attn_gate``, ``mlp.gate``
#: FFN_GATE_INP, ``self_attn.q_norm`` ATTN_Q_NORM, the merged experts ``mlp.experts.gate_proj`` FFN_GATE_EXP).
LLAMA_NAMES = {
    "model.embed_tokens": "token_embd", "model.norm": "output_norm", "lm_head": "output",
    "input_layernorm": "attn_norm", "post_attention_layernorm": "ffn_norm", "self_attn.q_proj": "attn_q",
    "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v", "self_attn.o_proj": "attn_output",
    "self_attn.q_norm": "attn_q_norm", "self_attn.k_norm": "attn_k_norm", "self_attn.g_proj": "attn_gate",
    "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up", "mlp.down_proj": "ffn_down", "mlp.gate": "ffn_gate_inp",
    "mlp.experts.gate_proj": "ffn_gate_exps", "mlp.experts.up_proj": "ffn_up_exps",
    "mlp.experts.down_proj": "ffn_down_exps", "mlp.shared_experts.gate_proj": "ffn_gate_shexp",
    "mlp.shared_experts.up_proj": "ffn_up_shexp", "mlp.shared_experts.down_proj": "ffn_down_shexp",
    # FFN_EXP_PROBS_B (laguna: the checkpoint's mlp.experts.e_score_correction_bias, transformers' mlp.gate's)
    "mlp.gate.e_score_correction_bias": "exp_probs_b.bias",
}  # fmt: skip


def sinks_with_weight(name, shape, config):
    """GraniteSWAModel.filter_tensors: the attention sinks get ``.weight`` (ATTN_SINKS ``attn_sinks``)."""
    if name.endswith("self_attn.sinks"):
        return [(f"gguf:blk.{name.split('.')[2]}.attn_sinks.weight", shape)]
    return None


def sliding_keys(config):
    """set_gguf_parameters of GraniteSWAModel and MellumModel: the window, and the pattern from layer_types."""
    return {"attention.sliding_window": config.sliding_window,
            "attention.sliding_window_pattern": [t == "sliding_attention" for t in config.layer_types]}


#: GraniteSWAConfig has no head_dim (GraniteModel drops one anyway): no key_length is written.
GRANITE_SWA = {**SMALL, "num_key_value_heads": 2,
               "layer_types": ["full_attention", "sliding_attention", "sliding_attention"]}  # fmt: skip


def _granite_swa(fields=GRANITE_SWA, keys=sliding_keys, reshape=sinks_with_weight, extra=lambda c: {}) -> Case:
    return Case("granite_swa", "granite_swa", "GraniteSWAForCausalLM", fields, keys, reshape, extra=extra,
                names=LLAMA_NAMES)


MELLUM = {**SMALL, "num_key_value_heads": 2, "head_dim": 16, "num_experts": 4, "num_experts_per_tok": 2,
          "moe_intermediate_size": 24, "layer_types": ["sliding_attention", "full_attention", "sliding_attention"]}


def mellum_keys(config):
    """MellumModel.set_gguf_parameters: the experts' width, the window and its pattern."""
    return {**sliding_keys(config), "expert_feed_forward_length": config.moe_intermediate_size}


def _mellum(fields=MELLUM, keys=mellum_keys) -> Case:
    return Case("mellum", "mellum", "MellumForCausalLM", fields, keys, split_experts, names=LLAMA_NAMES)


LAGUNA = {**SMALL, "num_hidden_layers": 5, "num_key_value_heads": 2, "head_dim": 16, "num_experts": 4,
          "num_experts_per_tok": 2, "moe_intermediate_size": 24, "shared_expert_intermediate_size": 32,
          "sliding_window": 8, "num_attention_heads_per_layer": [4, 8, 8, 8, 4],
          "layer_types": ["full_attention", "sliding_attention", "sliding_attention", "sliding_attention",
                          "full_attention"]}  # fmt: skip


def laguna_keys(config, heads=None):
    """LagunaModel.set_gguf_parameters: the query heads per layer (an array), the window (no pattern: llama.cpp's
    loader takes full attention every fourth layer from the first), the experts' and shared expert's widths, the
    leading dense layers."""
    per_layer = config.num_attention_heads_per_layer or [config.num_attention_heads] * config.num_hidden_layers
    return {"attention.head_count": heads or per_layer, "attention.sliding_window": config.sliding_window,
            "expert_feed_forward_length": config.moe_intermediate_size,
            "expert_shared_feed_forward_length": config.shared_expert_intermediate_size,
            "leading_dense_block_count": config.mlp_layer_types.index("sparse")}  # fmt: skip


def _laguna(fields=LAGUNA, heads=None) -> Case:
    return Case("laguna", "laguna", "LagunaForCausalLM", fields, lambda c: laguna_keys(c, heads), split_experts,
                names=LLAMA_NAMES)


#: DeepSeek-V4's tensors as DeepseekV4Model writes them (its _map_dsv4_tensor_name, conversion/deepseek.py at
#: 0c1e57098, from the checkpoint's names; TENSOR_NAMES in constants.py: ATTN_KV_NORM is ``attn_kv_a_norm``, HC_HEAD_FN
#: ``output_hc_fn``, ATTN_COMPRESSOR_APE ``attn_compressor_ape``), keyed by transformers' names of those checkpoint
#: tensors (the deepseek-v4 family's RENAMES, from transformers' conversion_mapping.py: ``attn.wkv`` is
#: ``self_attn.kv_proj``, ``attn.compressor.ape`` ``self_attn.compressor.position_bias``, ``hc_attn_fn`` ``attn_hc.fn``).
#: The converter appends ``.weight`` to the names without one (``attn.attn_sink``, ``hc_head_fn``, the ``ape``).
DEEPSEEK4_NAMES = {
    "model.embed_tokens": "token_embd", "model.norm": "output_norm", "lm_head": "output",
    "model.hc_head.hc_fn": "output_hc_fn.weight", "model.hc_head.hc_base": "output_hc_base.weight",
    "model.hc_head.hc_scale": "output_hc_scale.weight",
    **{f"{part}_hc.{p}": f"hc_{part}_{p}.weight" for part in ("attn", "ffn") for p in ("fn", "base", "scale")},
    "input_layernorm": "attn_norm", "post_attention_layernorm": "ffn_norm", "self_attn.sinks": "attn_sinks.weight",
    "self_attn.q_a_proj": "attn_q_a", "self_attn.q_a_norm": "attn_q_a_norm", "self_attn.q_b_proj": "attn_q_b",
    "self_attn.kv_proj": "attn_kv", "self_attn.kv_norm": "attn_kv_a_norm", "self_attn.o_a_proj": "attn_output_a",
    "self_attn.o_b_proj": "attn_output_b", "self_attn.compressor.kv_proj": "attn_compressor_kv",
    "self_attn.compressor.gate_proj": "attn_compressor_gate",
    "self_attn.compressor.position_bias": "attn_compressor_ape.weight",
    "self_attn.compressor.kv_norm": "attn_compressor_norm", "self_attn.compressor.indexer.q_b_proj": "indexer.attn_q_b",
    "self_attn.compressor.indexer.scorer.weights_proj": "indexer.proj",
    "self_attn.compressor.indexer.kv_proj": "indexer_compressor_kv",
    "self_attn.compressor.indexer.gate_proj": "indexer_compressor_gate",
    "self_attn.compressor.indexer.position_bias": "indexer_compressor_ape.weight",
    "self_attn.compressor.indexer.kv_norm": "indexer_compressor_norm",
    "mlp.gate": "ffn_gate_inp", "mlp.experts.gate_proj": "ffn_gate_exps", "mlp.experts.up_proj": "ffn_up_exps",
    "mlp.experts.down_proj": "ffn_down_exps", "mlp.shared_experts.gate_proj": "ffn_gate_shexp",
    "mlp.shared_experts.up_proj": "ffn_up_shexp", "mlp.shared_experts.down_proj": "ffn_down_shexp",
}  # fmt: skip

DEEPSEEK4 = {"vocab_size": 96, "hidden_size": 64, "num_hidden_layers": 4, "num_attention_heads": 4, "head_dim": 16,
             "q_lora_rank": 32, "o_groups": 2, "o_lora_rank": 16, "index_n_heads": 2, "index_head_dim": 8, "hc_mult": 2,
             "n_routed_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 24, "qk_rope_head_dim": 8,
             "sliding_window": 8, "num_hash_layers": 1, "pad_token_id": 0, "tie_word_embeddings": False,
             "layer_types": ["sliding_attention", "heavily_compressed_attention", "compressed_sparse_attention",
                             "heavily_compressed_attention"]}  # fmt: skip
#: DeepseekV4Config's layer kinds as the published config's compress_ratios (0, 4, 128).
V4_RATIOS = {"sliding_attention": 0, "compressed_sparse_attention": 4, "heavily_compressed_attention": 128}


def deepseek4_keys(config, ratios=None):
    """DeepseekV4Model.set_gguf_parameters: the ranks, groups, window, indexer, hyper-connections, experts, hash
    layers, and compress_ratios as the published config lists them (one more, its MTP layer's)."""
    return {"expert_count": config.n_routed_experts, "rope.dimension_count": config.qk_rope_head_dim,
            "attention.q_lora_rank": config.q_lora_rank, "attention.sliding_window": config.sliding_window,
            "expert_feed_forward_length": config.moe_intermediate_size, "expert_shared_count": 1,
            "attention.indexer.head_count": config.index_n_heads, "attention.indexer.key_length": config.index_head_dim,
            "attention.output_group_count": config.o_groups, "attention.output_lora_rank": config.o_lora_rank,
            "attention.compress_ratios": ratios or [V4_RATIOS[t] for t in config.layer_types] + [0],
            "hyper_connection.count": config.hc_mult, "hash_layer_count": config.mlp_layer_types.count("hash_moe")}  # fmt: skip


def deepseek4_extra(config):
    """The routers' buffers the converter writes: the hash layers' token-to-expert table (``ffn_gate_tid2eid``, its
    _write_hash_routing_tensors) and the other layers' score bias (``ffn.gate.bias`` as ``exp_probs_b.bias``)."""
    hashed = config.mlp_layer_types.count("hash_moe")  # DeepseekV4Config's num_hash_layers: the first ones
    return {**{f"blk.{i}.ffn_gate_tid2eid.weight": (config.vocab_size, config.num_experts_per_tok) for i in range(hashed)},
            **{f"blk.{i}.exp_probs_b.bias": (config.n_routed_experts,) for i in range(hashed, config.num_hidden_layers)}}


def _deepseek4(fields=DEEPSEEK4, ratios=None) -> Case:
    return Case("deepseek4", "deepseek_v4", "DeepseekV4ForCausalLM", fields, lambda c: deepseek4_keys(c, ratios),
                split_experts, extra=deepseek4_extra, names=DEEPSEEK4_NAMES)


CASES = [
    _deepseek32(),
    # the MTP layer kept as the last block (DeepseekV32Model without --no-mtp); a tied head (no output tensor)
    _deepseek32({**DEEPSEEK32, "q_lora_rank": 24, "tie_word_embeddings": True}, mtp=1),
    _mimo(),
    # the full layers in the middle, every layer MoE, a tied head
    _mimo({**MIMO, "num_hidden_layers": 4, "num_key_value_heads": 2, "tie_word_embeddings": True,
           "layer_types": ["sliding_attention", "full_attention", "full_attention", "sliding_attention"],
           "mlp_layer_types": ["sparse"] * 4}),
    _deepseek4(),
    # every kind alternating after a first compressed sparse layer, no hash layer
    _deepseek4({**DEEPSEEK4, "num_hash_layers": 0, "layer_types": [
        "compressed_sparse_attention", "heavily_compressed_attention", "compressed_sparse_attention", "sliding_attention"]}),
    _granite_swa(),
    _granite_swa({**GRANITE_SWA, "attention_bias": True, "mlp_bias": True, "tie_word_embeddings": True}),
    _mellum(),
    # all full attention (no window written), biased attention projections
    _mellum({**MELLUM, "layer_types": ["full_attention"] * 3, "attention_bias": True},
            lambda c: {"expert_feed_forward_length": c.moe_intermediate_size}),
    _laguna(),
    # every layer's heads alike, a per-element gate (head_dim rows a head), a tied head
    _laguna({**LAGUNA, "num_attention_heads_per_layer": None, "gating": "per-element", "tie_word_embeddings": True,
             "mlp_layer_types": ["dense", "dense", "sparse", "sparse", "sparse"]}),
]


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_count_and_verify_agree_with_transformers(case, tmp_path, capsys):
    check_case(case, tmp_path, capsys)


def test_deepseek32_without_its_mla_key_is_refused(tmp_path, capsys):
    line = refused_bytes(tmp_path, capsys, CASES[0], b"deepseek32.attention.key_length_mla", b"deepseek32.attention.key_lengtx_mla")
    assert "deepseek32.attention.key_length_mla: required metadata key is missing" in line


def test_deepseek32_without_its_indexer_key_is_refused(tmp_path, capsys):
    line = refused_bytes(tmp_path, capsys, CASES[0], b"deepseek32.attention.indexer.head_count",
                   b"deepseek32.attention.indexer.head_cxunt")  # fmt: skip
    assert "deepseek32.attention.indexer.head_count: required metadata key is missing" in line


def test_mimo2_with_a_short_key_value_head_array_is_refused(tmp_path, capsys):
    case = _mimo(kv=[1, 2])
    line = refused_bytes(tmp_path, capsys, case, b"", b"")
    assert "mimo2.attention.head_count_kv: must list 3 whole numbers, one per layer (block_count)" in line


def test_mimo2_without_its_sliding_pattern_is_refused(tmp_path, capsys):
    line = refused_bytes(tmp_path, capsys, CASES[2], b"mimo2.attention.sliding_window_pattern",
                   b"mimo2.attention.sliding_windxw_pattern")  # fmt: skip
    assert "mimo2.attention.sliding_window_pattern: required metadata key is missing" in line


def test_mimo2_with_sliding_layers_not_twice_the_key_value_heads_is_refused(tmp_path, capsys):
    line = refused_bytes(tmp_path, capsys, _mimo(kv=[1, 1, 1, 1, 1, 1]), b"", b"")
    assert "mimo2.attention.head_count_kv: [1, 1, 1] is not one number on the full layers and twice it" in line


@pytest.mark.parametrize("case, old, words", [
    (CASES[4], b"deepseek4.hyper_connection.count", "deepseek4.hyper_connection.count"),
    (CASES[6], b"granite_swa.embedding_length", "granite_swa.embedding_length"),
    (CASES[8], b"mellum.expert_feed_forward_length", "mellum.expert_feed_forward_length"),
    (CASES[10], b"laguna.expert_shared_feed_forward_length", "laguna.expert_shared_feed_forward_length"),
])  # fmt: skip
def test_a_missing_key_is_refused_naming_it(case, old, words, tmp_path, capsys):
    line = refused_bytes(tmp_path, capsys, case, old, old[:-2] + b"xx")
    assert f"{words}: required metadata key is missing" in line


@pytest.mark.parametrize("case, words", [
    (_granite_swa(keys=lambda c: {**sliding_keys(c), "attention.sliding_window_pattern": [False, True]}),
     "granite_swa.attention.sliding_window_pattern: must list 3 true or false values, one per layer"),
    (_mellum(keys=lambda c: {**mellum_keys(c), "attention.sliding_window_pattern": [True] * 4}),
     "mellum.attention.sliding_window_pattern: must list 3 true or false values, one per layer"),
    (_laguna(heads=[4, 8, 8, 8]), "laguna.attention.head_count: must list 5 whole numbers, one per layer"),
    (_deepseek4(ratios=[0, 128, 4]), "deepseek4.attention.compress_ratios: must list one whole number per layer: the "
                                     "compression ratio of each of the 4 layers"),
])  # fmt: skip
def test_a_per_layer_array_of_the_wrong_length_is_refused(case, words, tmp_path, capsys):
    assert words in refused_bytes(tmp_path, capsys, case, b"", b"")


def test_a_granite_moe_swa_file_is_refused(tmp_path, capsys):
    """GraniteMoeSWAModel writes granite_swa too, with routers: registry maps no granitemoe_swa model type."""
    case = _granite_swa(extra=lambda c: {"blk.1.ffn_gate_inp.weight": (4, c.hidden_size)})
    line = refused_bytes(tmp_path, capsys, case, b"", b"")
    assert "blk.1.ffn_gate_inp.weight: a GraniteMoeSWA file (routed experts): registry maps no granitemoe_swa" in line


def test_a_laguna_gate_of_neither_width_is_refused(tmp_path, capsys):
    def gate(name, shape, config):
        return [(name, (3, shape[1]))] if name.endswith("g_proj.weight") else split_experts(name, shape, config)

    case = Case("laguna", "laguna", "LagunaForCausalLM", LAGUNA, laguna_keys, gate, names=LLAMA_NAMES)
    assert "blk.0.attn_gate.weight: 3 rows: neither one a head (4) nor head_dim a head (64)" in refused_bytes(
        tmp_path, capsys, case, b"", b"")


def test_a_deepseek4_mtp_only_file_is_refused(tmp_path, capsys):
    """DeepseekV4Model with --mtp writes nextn_predict_layers and only the prediction module: not the model."""
    case = Case("deepseek4", "deepseek_v4", "DeepseekV4ForCausalLM", DEEPSEEK4,
                lambda c: {**deepseek4_keys(c), "nextn_predict_layers": 1}, split_experts, extra=deepseek4_extra,
                names=DEEPSEEK4_NAMES)  # fmt: skip
    assert "deepseek4.nextn_predict_layers: an MTP-only file" in refused_bytes(tmp_path, capsys, case, b"", b"")

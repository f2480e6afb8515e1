"""The GGUF architectures of plugins/gguf_types_2026_more.py (deepseek32, mimo2) count and verify exactly.

Reference: transformers' meta model of a small config of each type (total and active parameters); the GGUF file
is written from it as llama.cpp's converter at 0c1e57098 writes one (tests/gguf_files.py). gguf-py 0.19 (the
installed reference library) has no ``deepseek32`` architecture: its tensor names are written out below from
llama.cpp 0c1e57098's ``gguf-py/gguf/constants.py`` (``MODEL_TENSORS[MODEL_ARCH.DEEPSEEK32]`` and ``TENSOR_NAMES``)
and ``tensor_mapping.py`` (the Hugging Face name of each), and the file is written by gguf-py's ``GGUFWriter``
under the architecture string. ``mimo2`` is in gguf-py 0.19: its names come from gguf-py's ``TensorNameMap``.
"""

from __future__ import annotations

import json

import pytest

from registry.cli import main
from tests.gguf_files import Case, case_id, check_case, split_experts, write_case
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


CASES = [
    _deepseek32(),
    # the MTP layer kept as the last block (DeepseekV32Model without --no-mtp); a tied head (no output tensor)
    _deepseek32({**DEEPSEEK32, "q_lora_rank": 24, "tie_word_embeddings": True}, mtp=1),
    _mimo(),
    # the full layers in the middle, every layer MoE, a tied head
    _mimo({**MIMO, "num_hidden_layers": 4, "num_key_value_heads": 2, "tie_word_embeddings": True,
           "layer_types": ["sliding_attention", "full_attention", "full_attention", "sliding_attention"],
           "mlp_layer_types": ["sparse"] * 4}),
]


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_count_and_verify_agree_with_transformers(case, tmp_path, capsys):
    check_case(case, tmp_path, capsys)


def refused(tmp_path, capsys, case, old: bytes, new: bytes) -> str:
    """``registry count`` of ``case``'s GGUF with ``old`` replaced by ``new`` in its bytes: the one line (status 2)."""
    path, *_ = write_case(case, tmp_path / "x.gguf")
    path.write_bytes(path.read_bytes().replace(old, new))
    code = main(["count", str(path)])
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert code == 2 and not out and len(lines) == 1, lines
    assert lines[0].startswith("registry count: ")
    return lines[0]


def test_deepseek32_without_its_mla_key_is_refused(tmp_path, capsys):
    line = refused(tmp_path, capsys, CASES[0], b"deepseek32.attention.key_length_mla", b"deepseek32.attention.key_lengtx_mla")
    assert "deepseek32.attention.key_length_mla: required metadata key is missing" in line


def test_deepseek32_without_its_indexer_key_is_refused(tmp_path, capsys):
    line = refused(tmp_path, capsys, CASES[0], b"deepseek32.attention.indexer.head_count",
                   b"deepseek32.attention.indexer.head_cxunt")  # fmt: skip
    assert "deepseek32.attention.indexer.head_count: required metadata key is missing" in line


def test_mimo2_with_a_short_key_value_head_array_is_refused(tmp_path, capsys):
    case = _mimo(kv=[1, 2])
    line = refused(tmp_path, capsys, case, b"", b"")
    assert "mimo2.attention.head_count_kv: must list 3 whole numbers, one per layer (block_count)" in line


def test_mimo2_without_its_sliding_pattern_is_refused(tmp_path, capsys):
    line = refused(tmp_path, capsys, CASES[2], b"mimo2.attention.sliding_window_pattern",
                   b"mimo2.attention.sliding_windxw_pattern")  # fmt: skip
    assert "mimo2.attention.sliding_window_pattern: required metadata key is missing" in line


def test_mimo2_with_sliding_layers_not_twice_the_key_value_heads_is_refused(tmp_path, capsys):
    line = refused(tmp_path, capsys, _mimo(kv=[1, 1, 1, 1, 1, 1]), b"", b"")
    assert "mimo2.attention.head_count_kv: [1, 1, 1] is not one number on the full layers and twice it" in line

"""The GGUF architectures of the 2025-26 model types (plugins/gguf_types_2026.py) count and verify exactly.

Reference: transformers' meta model of a small config of each type; the GGUF file is written from it
as llama.cpp's converter writes one (tests/gguf_files.py: gguf-py 0.19's ``TensorNameMap`` for the
tensor names, its ``Keys`` for the metadata: the standard keys, and the experts' where the type has them).
"""

from __future__ import annotations

import pytest

from tests.gguf_files import Case, case_id, check_case, split_experts

gguf = pytest.importorskip("gguf")

SMALL = {"vocab_size": 96, "hidden_size": 64, "intermediate_size": 80, "num_hidden_layers": 2,
         "num_attention_heads": 4, "num_key_value_heads": 2, "pad_token_id": 0}  # fmt: skip
UNTIED = {**SMALL, "tie_word_embeddings": False}
TIED = {**SMALL, "tie_word_embeddings": True}


def score_biases(config, experts: int, first: int = 0) -> dict[str, tuple[int, ...]]:
    """exp_probs_b.bias: the routers' e_score_correction_bias, a buffer in transformers, stored by checkpoints."""
    return {f"blk.{i}.exp_probs_b.bias": (experts,) for i in range(first, config.num_hidden_layers)}


def deepseek_style_keys(config):
    """The expert keys of DeepSeek-style converters (gguf-py Keys.LLM: EXPERT_COUNT, EXPERT_SHARED_COUNT, ...)."""
    return {"expert_count": config.n_routed_experts, "expert_shared_count": config.n_shared_experts,
            "expert_feed_forward_length": config.moe_intermediate_size,
            "leading_dense_block_count": config.first_k_dense_replace}  # fmt: skip


def minimax_experts(name, shape, config):
    """transformers 5 holds MiniMax-M2's router as mlp.gate (the checkpoint: block_sparse_moe.gate): the GGUF
    ffn_gate_inp; the fused experts as the checkpoint's stacked gate and up."""
    if name.endswith("mlp.gate.weight"):
        return [(f"gguf:blk.{name.split('.')[2]}.ffn_gate_inp.weight", shape)]
    return split_experts(name, shape, config)


def ernie_moe_tensors(name, shape, config):
    """ERNIE-4.5-MoE: the score correction (a (1, experts) parameter) stored as exp_probs_b; the fused experts as
    the checkpoint's stacked gate and up."""
    if name.endswith("moe_statics.e_score_correction_bias"):
        return [(f"gguf:blk.{name.split('.')[2]}.exp_probs_b.bias", (shape[-1],))]
    return split_experts(name, shape, config)


def ernie_moe_keys(config):
    return {"expert_count": config.moe_num_experts, "expert_used_count": config.moe_k,
            "expert_feed_forward_length": config.moe_intermediate_size}  # fmt: skip


ERNIE_MOE = {**UNTIED, "moe_num_experts": 4, "moe_k": 2, "moe_intermediate_size": 24, "head_dim": 16,
             "num_hidden_layers": 4}  # fmt: skip
def lfm2_moe_keys(config):
    """LFM2MoeModel: LFM2's per-layer head_count_kv (0 on convolution layers) and l_cache, the experts' width."""
    return {"attention.head_count_kv": [config.num_key_value_heads if t == "full_attention" else 0
                                        for t in config.layer_types], "shortconv.l_cache": config.conv_L_cache,
            "expert_feed_forward_length": config.moe_intermediate_size}  # fmt: skip


def lfm2_moe_tensors(name, shape, config):
    """The short convolution squeezed (as LFM2's converter stores it); the fused experts as the checkpoint's."""
    return [(name, (shape[0], shape[2]))] if name.endswith("conv.conv.weight") else split_experts(name, shape, config)


LFM2_MOE = {"vocab_size": 96, "hidden_size": 64, "num_hidden_layers": 4, "num_attention_heads": 4,
            "num_key_value_heads": 2, "intermediate_size": 96, "moe_intermediate_size": 24, "num_experts": 4,
            "num_experts_per_tok": 2, "num_dense_layers": 1, "conv_L_cache": 3, "pad_token_id": 0,
            "layer_types": ["conv", "full_attention", "conv", "full_attention"]}  # fmt: skip
def qwen35_keys(config):
    """Qwen3.5 (Qwen3-Next's converter): the gated DeltaNet's keys; the experts' widths for the MoE."""
    keys = {"ssm.conv_kernel": config.linear_conv_kernel_dim, "ssm.state_size": config.linear_key_head_dim,
            "ssm.group_count": config.linear_num_key_heads, "ssm.time_step_rank": config.linear_num_value_heads,
            "ssm.inner_size": config.linear_value_head_dim * config.linear_num_value_heads}  # fmt: skip
    if getattr(config, "moe_intermediate_size", None):
        keys |= {"expert_feed_forward_length": config.moe_intermediate_size,
                 "expert_shared_feed_forward_length": config.shared_expert_intermediate_size}  # fmt: skip
    return keys


def qwen35_mtp_keys(config):
    """Qwen3_5TextModel (Qwen3NextModel, _QwenMtpMixin; llama.cpp conversion/qwen.py at 0c1e57098): block_count counts
    the MTP block appended after the layers (mtp_num_hidden_layers), nextn_predict_layers says how many, and
    attention.recurrent_layers lists every block (the MTP block false)."""
    recurrent = [kind == "linear_attention" for kind in config.layer_types] + [False]
    return {**qwen35_keys(config), "block_count": config.num_hidden_layers + 1, "nextn_predict_layers": 1,
            "attention.recurrent_layers": recurrent}  # fmt: skip


def qwen35_tensors(name, shape, config):
    """The convolution squeezed, dt_bias written as ssm_dt.bias; the fused experts as the checkpoint's."""
    if name.endswith("conv1d.weight"):
        return [(name, (shape[0], shape[2]))]
    if name.endswith("dt_bias"):
        return [(f"gguf:blk.{name.split('.')[2]}.ssm_dt.bias", shape)]
    return split_experts(name, shape, config)


QWEN35 = {**UNTIED, "num_hidden_layers": 4, "head_dim": 16, "linear_num_key_heads": 2, "linear_num_value_heads": 4,
          "linear_key_head_dim": 8, "linear_value_head_dim": 6, "linear_conv_kernel_dim": 3,
          "layer_types": ["linear_attention", "full_attention", "linear_attention", "full_attention"]}  # fmt: skip
DOTS1 = {**UNTIED, "n_routed_experts": 4, "num_experts_per_tok": 2, "n_shared_experts": 1, "moe_intermediate_size": 24,
         "first_k_dense_replace": 1, "head_dim": 16}  # fmt: skip

CASES = [
    Case("ernie4_5", "ernie4_5", "Ernie4_5ForCausalLM", {**UNTIED, "head_dim": 16}),
    Case("ernie4_5", "ernie4_5", "Ernie4_5ForCausalLM", {**TIED, "head_dim": 24, "use_bias": True}),
    Case("seed_oss", "seed_oss", "SeedOssForCausalLM", {**UNTIED, "head_dim": 16}),
    Case("seed_oss", "seed_oss", "SeedOssForCausalLM",
         {**TIED, "head_dim": 8, "attention_bias": False, "attention_out_bias": True, "mlp_bias": True}),
    Case("arcee", "arcee", "ArceeForCausalLM", {**UNTIED, "head_dim": 16}),
    Case("arcee", "arcee", "ArceeForCausalLM", {**TIED, "head_dim": 16, "attention_bias": True, "mlp_bias": True}),
    Case("glm4", "glm4", "Glm4ForCausalLM", {**UNTIED, "head_dim": 16}),
    Case("glm4", "glm4", "Glm4ForCausalLM", {**TIED, "head_dim": 24, "attention_bias": False}),
    Case("ernie4_5-moe", "ernie4_5_moe", "Ernie4_5_MoeForCausalLM",
         {**ERNIE_MOE, "moe_num_shared_experts": 2, "moe_layer_start_index": 1}, ernie_moe_keys, ernie_moe_tensors),
    Case("ernie4_5-moe", "ernie4_5_moe", "Ernie4_5_MoeForCausalLM",
         {**ERNIE_MOE, "tie_word_embeddings": True, "use_bias": True, "moe_num_shared_experts": 0,
          "moe_layer_interval": 2, "moe_layer_end_index": 2}, ernie_moe_keys, ernie_moe_tensors),
    Case("hunyuan-moe", "hunyuan_v1_moe", "HunYuanMoEV1ForCausalLM",
         {**UNTIED, "num_experts": 4, "moe_topk": 2, "head_dim": 16}, reshape=split_experts),
    Case("hunyuan-moe", "hunyuan_v1_moe", "HunYuanMoEV1ForCausalLM",
         {**TIED, "num_experts": 3, "moe_topk": 1, "head_dim": 8, "attention_bias": True}, reshape=split_experts),
    Case("dots1", "dots1", "Dots1ForCausalLM", DOTS1, deepseek_style_keys, split_experts,
         extra=lambda c: score_biases(c, c.n_routed_experts, c.first_k_dense_replace)),
    Case("lfm2moe", "lfm2_moe", "Lfm2MoeForCausalLM", LFM2_MOE, lfm2_moe_keys, lfm2_moe_tensors,
         extra=lambda c: score_biases(c, c.num_experts, c.num_dense_layers)),  # expert_bias, stored as exp_probs_b
    Case("lfm2moe", "lfm2_moe", "Lfm2MoeForCausalLM",
         {**LFM2_MOE, "num_dense_layers": 2, "use_expert_bias": False},  # llama.cpp ties LFM2's head (no OUTPUT)
         lfm2_moe_keys, lfm2_moe_tensors),
    Case("qwen35", "qwen3_5_text", "Qwen3_5ForCausalLM", QWEN35, qwen35_keys, qwen35_tensors),
    Case("qwen35", "qwen3_5_text", "Qwen3_5ForCausalLM",
         {**QWEN35, "tie_word_embeddings": True, "attention_bias": True,
          "layer_types": ["linear_attention", "linear_attention", "linear_attention", "full_attention"]},
         qwen35_keys, qwen35_tensors),
    Case("qwen35moe", "qwen3_5_moe_text", "Qwen3_5MoeForCausalLM",
         {**QWEN35, "num_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 24,
          "shared_expert_intermediate_size": 40}, qwen35_keys, qwen35_tensors),
    # with the MTP block llama.cpp appends (the last layer's copy and the prediction module's own tensors)
    Case("qwen35", "qwen3_5_text", "Qwen3_5ForCausalLM", QWEN35, qwen35_mtp_keys, qwen35_tensors, mtp=1),
    Case("qwen35moe", "qwen3_5_moe_text", "Qwen3_5MoeForCausalLM",
         {**QWEN35, "num_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 24,
          "shared_expert_intermediate_size": 40}, qwen35_mtp_keys, qwen35_tensors, mtp=1),
    Case("minimax-m2", "minimax_m2", "MiniMaxM2ForCausalLM",
         {**UNTIED, "num_local_experts": 4, "num_experts_per_tok": 2, "head_dim": 16},
         lambda c: {"expert_feed_forward_length": c.intermediate_size}, minimax_experts,
         extra=lambda c: score_biases(c, c.num_local_experts)),
]


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_count_and_verify_agree_with_transformers(case, tmp_path, capsys):
    check_case(case, tmp_path, capsys)

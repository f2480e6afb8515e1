"""GPT-2, Falcon, the state-space models and the hybrids from GGUF, exact against transformers' meta model.

As tests/test_gguf_architectures.py: a small config of each model type, its GGUF written as llama.cpp's
converter writes it (tests/gguf_files.py), ``registry count`` and ``inspect`` checked against
transformers' count and the checkpoint's names (llama.cpp's reshaped tensors by count).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.gguf_files import Case, case_id, check_case, granite_experts, mamba2_layout, split_experts

gguf = pytest.importorskip("gguf")


def gpt2_tensors(name, shape, config):
    """GPT2Model: the Conv1D weights (in, out) stored as (out, in)."""
    if name.endswith((".c_attn.weight", ".c_proj.weight", ".c_fc.weight")):
        return [(name, shape[::-1])]
    return None


def mamba_tensors(name, shape, config):
    """MambaModel / Mamba2Model: the convolution squeezed; Mamba-2's A and D as (heads, 1), its norm per group,
    its dt_bias renamed dt_proj.bias."""
    if name.endswith("conv1d.weight"):
        return [(name, (shape[0], shape[2]))]
    if config.model_type == "mamba2":
        if name.endswith(("A_log", "D")):
            return [(name, (shape[0], 1))]
        if name.endswith("mixer.norm.weight"):
            return [(name, (config.n_groups, shape[0] // config.n_groups))]
        if name.endswith("dt_bias"):  # renamed dt_proj.bias by the converter: ssm_dt.bias
            return [(f"gguf:blk.{name.split('.')[2]}.ssm_dt.bias", shape)]
    return None


def ssm_keys(config):
    keys = {"block_count": config.num_hidden_layers, "embedding_length": config.hidden_size,
            "feed_forward_length": 0, "attention.head_count": 0, "ssm.conv_kernel": config.conv_kernel,
            "ssm.inner_size": config.expand * config.hidden_size, "ssm.state_size": config.state_size}  # fmt: skip
    if config.model_type == "mamba2":
        return {**keys, "ssm.time_step_rank": config.num_heads, "ssm.group_count": config.n_groups}
    return {**keys, "ssm.time_step_rank": config.time_step_rank}


OTHER_CASES = [
    Case("gpt2", "gpt2", "GPT2LMHeadModel", {"vocab_size": 96, "n_embd": 64, "n_layer": 2, "n_head": 4, "n_positions": 40},
         lambda c: {"feed_forward_length": 4 * c.n_embd, "context_length": c.n_positions}, gpt2_tensors,
         extra=lambda c: {"output.weight": (c.vocab_size, c.n_embd)}),  # the tied head, written as a copy
    Case("mamba", "mamba", "MambaForCausalLM", {"vocab_size": 96, "hidden_size": 64, "num_hidden_layers": 2,
         "state_size": 8, "time_step_rank": 6, "pad_token_id": 0}, ssm_keys, mamba_tensors, standard=False),
    Case("mamba2", "mamba2", "Mamba2ForCausalLM", {"vocab_size": 96, "hidden_size": 64, "num_hidden_layers": 2,
         "num_heads": 8, "head_dim": 16, "expand": 2, "n_groups": 2, "state_size": 16, "pad_token_id": 0,
         "tie_word_embeddings": False}, ssm_keys, mamba_tensors, standard=False),
]


@pytest.mark.parametrize("case", OTHER_CASES, ids=[case_id(c) for c in OTHER_CASES])
def test_gpt2_and_ssm_count_and_inspect_agree_with_transformers(case, tmp_path, capsys):
    check_case(case, tmp_path, capsys)


def falcon_keys(config):
    """FalconModel.set_gguf_parameters: head_count_kv from num_kv_heads (else 1), feed_forward_length 4 × hidden."""
    return {"feed_forward_length": 4 * config.hidden_size, "attention.head_count_kv": config.num_kv_heads or 1}


FALCON = {"vocab_size": 96, "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4}
FALCON_CASES = [
    Case("falcon", "falcon", "FalconForCausalLM", {**FALCON, "multi_query": True, "parallel_attn": True}, falcon_keys),
    Case("falcon", "falcon", "FalconForCausalLM", {**FALCON, "new_decoder_architecture": True, "num_kv_heads": 2,
         "ffn_hidden_size": 96, "tie_word_embeddings": False}, falcon_keys),  # fmt: skip
    Case("falcon", "falcon", "FalconForCausalLM", {**FALCON, "new_decoder_architecture": True, "num_kv_heads": 2,
         "num_ln_in_parallel_attn": 1, "bias": True}, falcon_keys),  # fmt: skip
]


@pytest.mark.parametrize("case", FALCON_CASES, ids=[case_id(c) for c in FALCON_CASES])
def test_falcon_count_and_inspect_agree_with_transformers(case, tmp_path, capsys):
    check_case(case, tmp_path, capsys)


# --- hybrids -----------------------------------------------------------------------------------------------------


def lfm2_keys(config):
    """LFM2Model.set_gguf_parameters: head_count_kv per layer (0 on convolution layers), the adjusted MLP width."""
    return {"attention.head_count_kv": [config.num_key_value_heads if t == "full_attention" else 0
                                        for t in config.layer_types], "shortconv.l_cache": config.conv_L_cache}  # fmt: skip


def lfm2_tensors(name, shape, config):
    """LFM2Model.modify_tensors: the short convolution squeezed."""
    return [(name, (shape[0], shape[2]))] if name.endswith("conv.conv.weight") else None


def nemotron_keys(config):
    """NemotronHModel (GraniteHybridModel, Mamba2Model): the per-layer arrays and the mixer's keys."""
    kinds = config.hybrid_override_pattern
    return {"attention.head_count_kv": [config.num_key_value_heads if k == "*" else 0 for k in kinds],
            "feed_forward_length": [config.intermediate_size if k == "-" else 0 for k in kinds],
            "ssm.conv_kernel": config.conv_kernel, "ssm.state_size": config.ssm_state_size,
            "ssm.group_count": config.n_groups, "ssm.inner_size": config.mamba_num_heads * config.mamba_head_dim,
            "ssm.time_step_rank": config.mamba_num_heads, "attention.key_length": config.head_dim}  # fmt: skip




def nemotron_tensors(name, shape, config):
    """The checkpoint's names (backbone.*, transformers 5 holds model.*), reshaped as for Mamba-2."""
    name = name.replace("model.", "backbone.", 1) if name.startswith("model.") else name
    return mamba2_layout(name, shape, config.n_groups) or [(name, shape)]


HYBRID_CASES = [
    Case("lfm2", "lfm2", "Lfm2ForCausalLM", {"vocab_size": 96, "hidden_size": 64, "num_hidden_layers": 4,
         "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 96, "block_auto_adjust_ff_dim": False,
         "layer_types": ["conv", "full_attention", "conv", "full_attention"], "conv_L_cache": 3, "pad_token_id": 0},
         lfm2_keys, lfm2_tensors),  # fmt: skip
    Case("nemotron_h", "nemotron_h", "NemotronHForCausalLM", {"vocab_size": 96, "hidden_size": 64,
         "num_hidden_layers": 4, "hybrid_override_pattern": "M*-M", "num_attention_heads": 4, "num_key_value_heads": 2,
         "head_dim": 16, "mamba_num_heads": 8, "mamba_head_dim": 16, "n_groups": 2, "ssm_state_size": 16,
         "intermediate_size": 80, "pad_token_id": 0}, nemotron_keys, nemotron_tensors),  # fmt: skip
]


@pytest.mark.parametrize("case", HYBRID_CASES, ids=[case_id(c) for c in HYBRID_CASES])
def test_hybrid_count_and_inspect_agree_with_transformers(case, tmp_path, capsys):
    check_case(case, tmp_path, capsys)


def granite_hybrid_keys(config):
    """GraniteHybridModel: head_count_kv per layer (0 on Mamba-2 layers), the mixer's keys, the experts'."""
    keys = {"attention.head_count_kv": [config.num_key_value_heads if t in ("attention", "full_attention") else 0
                                        for t in config.layer_types],
            "ssm.conv_kernel": config.mamba_d_conv, "ssm.state_size": config.mamba_d_state,
            "ssm.group_count": config.mamba_n_groups, "ssm.inner_size": config.mamba_expand * config.hidden_size,
            "ssm.time_step_rank": config.mamba_n_heads,
            "expert_shared_feed_forward_length": config.shared_intermediate_size}  # fmt: skip
    if not config.num_local_experts:
        keys.pop("expert_count", None)
    return keys


def granite_hybrid_tensors(name, shape, config):
    """GraniteHybridModel: experts split as Granite-MoE's, the shared MLP's input_linear split into gate and up
    (ffn_*_shexp beside experts, ffn_* without), Mamba-2's tensors reshaped."""
    block = name.split(".")[2] if name.startswith("model.layers.") else None
    shared = "shexp" if config.num_local_experts else ""
    if name.endswith("shared_mlp.input_linear.weight"):
        return [(f"gguf:blk.{block}.ffn_{p}{'_' + shared if shared else ''}.weight", (shape[0] // 2, shape[1]))
                for p in ("gate", "up")]  # fmt: skip
    if name.endswith("shared_mlp.output_linear.weight"):
        return [(f"gguf:blk.{block}.ffn_down{'_' + shared if shared else ''}.weight", shape)]
    if ".block_sparse_moe." in name:
        return granite_experts(name, shape, config)
    return mamba2_layout(name, shape, config.mamba_n_groups)


GRANITE_HYBRID = {"vocab_size": 96, "hidden_size": 64, "num_hidden_layers": 3, "layer_types": ["mamba", "attention",
                  "mamba"], "num_attention_heads": 4, "num_key_value_heads": 2, "mamba_n_heads": 8, "mamba_d_head": 16,
                  "mamba_expand": 2, "mamba_n_groups": 2, "mamba_d_state": 16, "shared_intermediate_size": 40,
                  "pad_token_id": 0}  # fmt: skip
HYBRID_CASES_2 = [
    Case("granitehybrid", "granitemoehybrid", "GraniteMoeHybridForCausalLM",
         {**GRANITE_HYBRID, "intermediate_size": 24, "num_local_experts": 4, "num_experts_per_tok": 2},
         granite_hybrid_keys, granite_hybrid_tensors),
    Case("granitehybrid", "granitemoehybrid", "GraniteMoeHybridForCausalLM",
         {**GRANITE_HYBRID, "num_local_experts": 0, "num_experts_per_tok": 0, "intermediate_size": 40},
         granite_hybrid_keys, granite_hybrid_tensors),
]


@pytest.mark.parametrize("case", HYBRID_CASES_2, ids=[case_id(c) for c in HYBRID_CASES_2])
def test_hybrid_2_count_and_inspect_agree_with_transformers(case, tmp_path, capsys):
    check_case(case, tmp_path, capsys)


def falcon_h1_keys(config):
    """FalconH1Model: the mixer's keys beside the attention's."""
    return {"ssm.conv_kernel": config.mamba_d_conv, "ssm.state_size": config.mamba_d_state,
            "ssm.group_count": config.mamba_n_groups, "ssm.inner_size": config.mamba_d_ssm,
            "ssm.time_step_rank": config.mamba_n_heads}  # fmt: skip


FALCON_H1 = {"vocab_size": 96, "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
             "num_key_value_heads": 2, "head_dim": 16, "mamba_n_heads": 8, "mamba_d_head": 16, "mamba_d_ssm": 128,
             "mamba_n_groups": 2, "mamba_d_state": 16, "intermediate_size": 80, "pad_token_id": 0}  # fmt: skip
FALCON_H1_CASES = [
    Case("falcon-h1", "falcon_h1", "FalconH1ForCausalLM", {**FALCON_H1, "mamba_rms_norm": True}, falcon_h1_keys,
         lambda name, shape, config: mamba2_layout(name, shape, config.mamba_n_groups)),
    Case("falcon-h1", "falcon_h1", "FalconH1ForCausalLM", {**FALCON_H1, "mamba_rms_norm": False,
         "tie_word_embeddings": True}, falcon_h1_keys,  # fmt: skip
         lambda name, shape, config: mamba2_layout(name, shape, config.mamba_n_groups)),
]


@pytest.mark.parametrize("case", FALCON_H1_CASES, ids=[case_id(c) for c in FALCON_H1_CASES])
def test_falcon_h1_count_and_inspect_agree_with_transformers(case, tmp_path, capsys):
    check_case(case, tmp_path, capsys)


def qwen3next_keys(config):
    """Qwen3NextModel (Qwen2MoeModel): the experts' widths, the gated DeltaNet's keys, the attention interval."""
    return {"expert_feed_forward_length": config.moe_intermediate_size,
            "expert_shared_feed_forward_length": config.shared_expert_intermediate_size,
            "ssm.conv_kernel": config.linear_conv_kernel_dim, "ssm.state_size": config.linear_key_head_dim,
            "ssm.group_count": config.linear_num_key_heads, "ssm.time_step_rank": config.linear_num_value_heads,
            "ssm.inner_size": config.linear_value_head_dim * config.linear_num_value_heads,
            "full_attention_interval": config.layer_types.index("full_attention") + 1}  # fmt: skip


def qwen3next_mtp_keys(config):
    """Qwen3NextModel with _QwenMtpMixin (llama.cpp conversion/qwen.py, 0c1e57098): block_count counts the MTP block
    appended after the layers, nextn_predict_layers says how many; attention.recurrent_layers lists every block
    (the MTP block false: full attention) when the config has layer_types."""
    recurrent = [kind == "linear_attention" for kind in config.layer_types] + [False]
    return {**qwen3next_keys(config), "block_count": config.num_hidden_layers + 1, "nextn_predict_layers": 1,
            "attention.recurrent_layers": recurrent}  # fmt: skip


def qwen3next_split_tensors(name, shape, config):
    """Qwen3NextModel.modify_tensors at 0c1e57098: in_proj_qkvz written as attn_qkv (q, k, v of every head) and
    attn_gate (z); the rest as qwen3next_tensors."""
    if name.endswith("in_proj_qkvz.weight"):
        block, hidden = name.split(".")[2], shape[1]
        key = config.linear_key_head_dim * config.linear_num_key_heads
        value = config.linear_value_head_dim * config.linear_num_value_heads
        return [(f"gguf:blk.{block}.attn_qkv.weight", (2 * key + value, hidden)),
                (f"gguf:blk.{block}.attn_gate.weight", (value, hidden))]  # fmt: skip
    return qwen3next_tensors(name, shape, config)


def qwen3next_tensors(name, shape, config):
    """Qwen3NextModel.modify_tensors: the convolution squeezed, dt_bias renamed dt_proj.bias; experts stacked."""
    if name.endswith("conv1d.weight"):
        return [(name, (shape[0], shape[2]))]
    if name.endswith("dt_bias"):
        return [(f"gguf:blk.{name.split('.')[2]}.ssm_dt.bias", shape)]
    return split_experts(name, shape, config)


QWEN3_NEXT_CASES = [
    Case("qwen3next", "qwen3_next", "Qwen3NextForCausalLM", {"vocab_size": 96, "hidden_size": 64,
         "num_hidden_layers": 4, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16,
         "intermediate_size": 80, "num_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 24,
         "shared_expert_intermediate_size": 40, "linear_num_key_heads": 2, "linear_num_value_heads": 4,
         "linear_key_head_dim": 8, "linear_value_head_dim": 8, "linear_conv_kernel_dim": 4,
         "full_attention_interval": 2, "pad_token_id": 0, "tie_word_embeddings": False},
         qwen3next_keys, qwen3next_tensors),  # fmt: skip
    # as llama.cpp 0c1e57098 writes it: the MTP block after the layers (a full-attention layer with experts and
    # the prediction module's eh_proj, enorm, hnorm, shared_head_norm), recurrent_layers, attn_qkv / attn_gate
    Case("qwen3next", "qwen3_next", "Qwen3NextForCausalLM", {"vocab_size": 96, "hidden_size": 64,
         "num_hidden_layers": 4, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16,
         "intermediate_size": 80, "num_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 24,
         "shared_expert_intermediate_size": 40, "linear_num_key_heads": 2, "linear_num_value_heads": 4,
         "linear_key_head_dim": 8, "linear_value_head_dim": 8, "linear_conv_kernel_dim": 4,
         "layer_types": ["linear_attention", "full_attention", "linear_attention", "full_attention"],
         "pad_token_id": 0, "tie_word_embeddings": False},
         qwen3next_mtp_keys, qwen3next_split_tensors, mtp=1),  # fmt: skip
]


@pytest.mark.parametrize("case", QWEN3_NEXT_CASES, ids=[case_id(c) for c in QWEN3_NEXT_CASES])
def test_qwen3next_count_and_inspect_agree_with_transformers(case, tmp_path, capsys):
    check_case(case, tmp_path, capsys)


def nemotron_moe_keys(config):
    """NemotronHModel for Nemotron 3: the per-layer arrays (the routed experts' width on their layers)."""
    widths = {"-": config.intermediate_size, "E": config.moe_intermediate_size}
    return {**nemotron_keys(config), "expert_used_count": config.num_experts_per_tok,
            "feed_forward_length": [widths.get(k, 0) for k in config.hybrid_override_pattern]}  # fmt: skip


def nemotron_moe_tensors(name, shape, config):
    """The routed experts (E, rows, cols) as ffn_up_exps / ffn_down_exps; the rest as for Nemotron-H."""
    block = name.split(".")[2] if name.startswith("model.layers.") else None
    if name.endswith("mixer.experts.up_proj") or name.endswith("mixer.experts.down_proj"):
        return [(f"gguf:blk.{block}.ffn_{name.rsplit('.', 1)[1].removesuffix('_proj')}_exps.weight", shape)]
    return nemotron_tensors(name, shape, config)


NEMOTRON_MOE_CASES = [
    Case("nemotron_h_moe", "nemotron_h", "NemotronHForCausalLM", {"vocab_size": 96, "hidden_size": 64,
         "num_hidden_layers": 4, "hybrid_override_pattern": "ME*E", "num_attention_heads": 4, "num_key_value_heads": 2,
         "head_dim": 16, "mamba_num_heads": 8, "mamba_head_dim": 16, "n_groups": 2, "ssm_state_size": 16,
         "intermediate_size": 80, "n_routed_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 24,
         "moe_shared_expert_intermediate_size": 40, "pad_token_id": 0},
         nemotron_moe_keys, nemotron_moe_tensors,
         extra=lambda c: {f"blk.{i}.exp_probs_b.bias": (c.n_routed_experts,)
                          for i, k in enumerate(c.hybrid_override_pattern) if k == "E"}),  # fmt: skip
]


def nemotron_mtp_keys(config):
    """NemotronHModel with an MTP head (llama.cpp conversion/nemotron.py at 0c1e57098): one block appended after the
    layers (block_count + 1, nextn_predict_layers 1), listed among the attention and MoE layers of the arrays."""
    keys = nemotron_moe_keys(config)
    return {**keys, "block_count": config.num_hidden_layers + 1, "nextn_predict_layers": 1,
            "attention.head_count_kv": [*keys["attention.head_count_kv"], config.num_key_value_heads],
            "feed_forward_length": [*keys["feed_forward_length"], config.moe_intermediate_size]}  # fmt: skip


def nemotron_mtp_block(config):
    """The MTP block's tensors beyond a copy of the last (MoE) layer: the checkpoint's mtp.layers.0 attention and
    mtp.layers.1.norm (post_attention_norm), as NemotronHModel.modify_tensors renames them; the score biases."""
    n, d, hd = config.num_hidden_layers, config.hidden_size, config.head_dim
    q, kv = config.num_attention_heads * hd, config.num_key_value_heads * hd
    return {**NEMOTRON_MOE_CASES[0].extra(config), f"blk.{n}.attn_q.weight": (q, d), f"blk.{n}.attn_k.weight": (kv, d),
            f"blk.{n}.attn_v.weight": (kv, d), f"blk.{n}.attn_output.weight": (d, q),
            f"blk.{n}.post_attention_norm.weight": (d,)}  # fmt: skip


NEMOTRON_MOE_CASES.append(replace(NEMOTRON_MOE_CASES[0], keys=nemotron_mtp_keys, extra=nemotron_mtp_block, mtp=1))


@pytest.mark.parametrize("case", NEMOTRON_MOE_CASES, ids=[case_id(c) for c in NEMOTRON_MOE_CASES])
def test_nemotron_h_moe_count_and_inspect_agree_with_transformers(case, tmp_path, capsys):
    check_case(case, tmp_path, capsys)

"""The GGUF architectures of plugins/gguf_decoders_more.py count and verify exactly (reference: transformers' meta model).

The GGUF file is written from a small config of each type as llama.cpp's converter writes one (tests/gguf_files.py:
gguf-py's ``TensorNameMap`` for the names); where the converter writes other keys than ``TextModel``'s, or stacks
tensors, the case says so, citing the converter class of llama.cpp 0c1e57098 (llama-cpp-python 0.3.36's vendor).
"""

from __future__ import annotations

import pytest

from registry.cli import main
from tests.test_gguf_architectures import deepseek_keys, deepseek_tensors, score_biases
from tests.gguf_files import Case, case_id, check_case, granite_experts, split_experts, stacked_experts, write_case

gguf = pytest.importorskip("gguf")

SMALL = {"vocab_size": 96, "hidden_size": 64, "intermediate_size": 80, "num_hidden_layers": 2,
         "num_attention_heads": 4, "num_key_value_heads": 2, "pad_token_id": 0}  # fmt: skip
UNTIED = {**SMALL, "tie_word_embeddings": False}
TIED = {**SMALL, "tie_word_embeddings": True}


def stacked_qk_norms(name, shape, config):
    """StableLMModel._stack_qk_norm: the per-head q/k LayerNorms stacked into one (heads, head width) tensor."""
    for which, heads in (("q", config.num_attention_heads), ("k", config.num_key_value_heads)):
        if f".self_attn.{which}_layernorm.norms." in name:
            block, head = name.split(".")[2], int(name.split(".")[-2])
            return [(f"gguf:blk.{block}.attn_{which}_norm.weight", (heads, *shape))] if head == 0 else []
    return None


def neox_head(name, shape, config):
    """GPT-NeoX's checkpoints (Pythia) name the head embed_out, which gguf-py maps to output; transformers 5 lm_head."""
    return [("gguf:output.weight", shape)] if name == "lm_head.weight" else None


def starcoder_keys(config):
    """StarCoderModel.set_gguf_parameters: feed_forward_length 4 × hidden and head_count_kv 1, whatever the config."""
    return {"feed_forward_length": 4 * config.n_embd, "attention.head_count_kv": 1}


def bloom_keys(config):
    """BloomModel.set_gguf_parameters: feed_forward_length 4 × hidden, head_count_kv = heads."""
    return {"feed_forward_length": 4 * config.hidden_size, "attention.head_count_kv": config.n_head}


def bloom_names(name, shape, config):
    """BloomModel.modify_tensors: the names without transformer. (as BLOOM's checkpoints hold them)."""
    return [(name.removeprefix("transformer."), shape)]


def bitnet_norms(name, shape, config):
    """gguf-py maps 1bitLLM's sub-norm names (inner_attn_ln, ffn_layernorm) to attn_sub_norm / ffn_sub_norm, of the
    shapes of transformers' BitNet's attn_sub_norm / ffn_sub_norm."""
    for hf in ("attn_sub_norm", "ffn_sub_norm"):
        if name.endswith(f".{hf}.weight"):
            return [(f"gguf:blk.{name.split('.')[2]}.{hf}.weight", shape)]
    return None


def olmo3_keys(config):
    """Olmo2Model.set_gguf_parameters for OLMo 3: the sliding window and its per-layer pattern (true: sliding)."""
    return {"attention.sliding_window": config.sliding_window,
            "attention.sliding_window_pattern": [t == "sliding_attention" for t in config.layer_types]}  # fmt: skip


def granite_shared(name, shape, config):
    """GraniteMoeModel.modify_tensors: shared_mlp.input_linear split into ffn_gate_shexp / ffn_up_shexp, its
    output_linear ffn_down_shexp; the experts as Granite-MoE's."""
    block = name.split(".")[2] if name.startswith("model.layers.") else None
    if name.endswith("shared_mlp.input_linear.weight"):
        return [(f"gguf:blk.{block}.ffn_{p}_shexp.weight", (shape[0] // 2, shape[1])) for p in ("gate", "up")]
    if name.endswith("shared_mlp.output_linear.weight"):
        return [(f"gguf:blk.{block}.ffn_down_shexp.weight", shape)]
    return granite_experts(name, shape, config)


def minicpm3_keys(config):
    """MiniCPM3Model.set_gguf_parameters: the latent ranks, key_length nope + rope, the rotary width; no value width."""
    return {"attention.q_lora_rank": config.q_lora_rank, "attention.kv_lora_rank": config.kv_lora_rank,
            "rope.dimension_count": config.qk_rope_head_dim,
            "attention.key_length": config.qk_nope_head_dim + config.qk_rope_head_dim}  # fmt: skip


def mpt_keys(config):
    """MPTModel.set_gguf_parameters: feed_forward_length 4 × d_model, no head_count_kv without grouped heads."""
    return {"feed_forward_length": 4 * config.d_model}


def phi2_keys(config):
    """Phi2Model.set_gguf_parameters: feed_forward_length 4 × hidden and head_count_kv = heads, whatever the config."""
    return {"feed_forward_length": 4 * config.hidden_size, "attention.head_count_kv": config.num_attention_heads}


def llama4_experts(name, shape, config):
    """Llama4Model.modify_tensors: gate_up_proj (E, d, 2 ff) split and transposed into ffn_gate_exps / ffn_up_exps
    (E, ff, d), down_proj (E, ff, d) transposed into ffn_down_exps (E, d, ff)."""
    block = name.split(".")[2] if name.startswith("model.layers.") else None
    if name.endswith("experts.gate_up_proj"):
        e, d, ff2 = shape
        return [(f"gguf:blk.{block}.ffn_{p}_exps.weight", (e, ff2 // 2, d)) for p in ("gate", "up")]
    if name.endswith("experts.down_proj"):
        e, ff, d = shape
        return [(f"gguf:blk.{block}.ffn_down_exps.weight", (e, d, ff))]
    return None


def llama4_keys(config):
    """Llama4Model: feed_forward_length the dense MLP's width, expert_feed_forward_length the experts',
    interleave_moe_layer_step."""
    return {"feed_forward_length": config.intermediate_size_mlp, "expert_feed_forward_length": config.intermediate_size,
            "interleave_moe_layer_step": config.interleave_moe_layer_step}  # fmt: skip


def phimoe_experts(name, shape, config):
    """PhiMoeModel: the checkpoint's block_sparse_moe.experts.*.w1/w3/w2 stacked into ffn_{gate,up,down}_exps (from
    transformers 5's fused gate_up_proj, down_proj); the router (block_sparse_moe.gate) is ffn_gate_inp."""
    if name.endswith("mlp.router.weight"):
        return [(f"gguf:blk.{name.split('.')[2]}.ffn_gate_inp.weight", shape)]
    return stacked_experts(name, shape)


LLAMA4 = {**UNTIED, "num_hidden_layers": 4, "num_local_experts": 4, "num_experts_per_tok": 1, "intermediate_size": 24,
          "intermediate_size_mlp": 48, "interleave_moe_layer_step": 2, "head_dim": 16}  # fmt: skip
AFMOE = {**UNTIED, "num_hidden_layers": 3, "num_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 24,
         "num_dense_layers": 1, "num_shared_experts": 1, "head_dim": 16}  # fmt: skip


def afmoe_keys(config):
    """AfmoeModel.set_gguf_parameters: the shared experts, their width, the dense first layers."""
    return {"expert_shared_count": config.num_shared_experts, "expert_feed_forward_length": config.moe_intermediate_size,
            "leading_dense_block_count": config.num_dense_layers}  # fmt: skip


def afmoe_tensors(name, shape, config):
    """AfmoeModel.filter_tensors: expert_bias renamed expert_bias.bias (exp_probs_b.bias); the experts merged."""
    if name.endswith("mlp.expert_bias"):
        return [(f"gguf:blk.{name.split('.')[2]}.exp_probs_b.bias", shape)]
    return split_experts(name, shape, config)


GLM_DSA = {**UNTIED, "num_hidden_layers": 3, "num_key_value_heads": 4, "n_routed_experts": 4, "num_experts_per_tok": 2,
           "moe_intermediate_size": 24, "first_k_dense_replace": 1, "n_shared_experts": 1, "kv_lora_rank": 16,
           "q_lora_rank": 32, "qk_nope_head_dim": 8, "qk_rope_head_dim": 4, "v_head_dim": 8, "index_n_heads": 2,
           "index_head_dim": 8, "index_topk": 4, "n_group": 1, "topk_group": 1,
           "indexer_types": ["full", "shared", "full"]}  # fmt: skip


def glm_dsa_keys(config):
    """GlmMoeDsaModel.set_gguf_parameters: DeepseekV2Model's keys, the indexer's, its types (true: full)."""
    return {**deepseek_keys(config), "attention.indexer.head_count": config.index_n_heads,
            "attention.indexer.key_length": config.index_head_dim, "attention.indexer.top_k": config.index_topk,
            "attention.indexer.types": [t == "full" for t in config.indexer_types]}  # fmt: skip


def mistral4_tensors(name, shape, config):
    """Mistral4Model.modify_tensors: the stacked experts kept (gate_up_proj as ffn_gate_up_exps, down_proj as
    ffn_down_exps, .weight added); kv_b_proj split as DeepseekV2Model splits it."""
    block = name.split(".")[2] if name.startswith("model.layers.") else None
    for hf, gg in (("experts.gate_up_proj", "ffn_gate_up_exps"), ("experts.down_proj", "ffn_down_exps")):
        if name.endswith(hf):
            return [(f"gguf:blk.{block}.{gg}.weight", shape)]
    return deepseek_tensors(name, shape, config)


MISTRAL4 = {**UNTIED, "num_hidden_layers": 3, "num_key_value_heads": 4, "n_routed_experts": 4, "num_experts_per_tok": 2,
            "moe_intermediate_size": 24, "first_k_dense_replace": 1, "n_shared_experts": 1, "kv_lora_rank": 16,
            "q_lora_rank": 32, "qk_nope_head_dim": 8, "qk_rope_head_dim": 4, "v_head_dim": 8}  # fmt: skip

KIMI_LINEAR = {**UNTIED, "num_hidden_layers": 3, "num_key_value_heads": 4, "num_experts": 4, "num_experts_per_tok": 2,
               "moe_intermediate_size": 24, "first_k_dense_replace": 1, "num_shared_experts": 1, "kv_lora_rank": 16,
               "q_lora_rank": None, "qk_nope_head_dim": 8, "qk_rope_head_dim": 4, "v_head_dim": 8, "bos_token_id": 0,
               "eos_token_id": 0, "linear_attn_config": {"full_attn_layers": [2], "kda_layers": [1, 3], "head_dim": 8,
                                                         "num_heads": 4, "short_conv_kernel_size": 4}}  # fmt: skip


def kimi_linear_keys(config):
    """KimiLinearModel.set_gguf_parameters: head_count_kv 1 (MQA) on the latent-attention layers, 0 on the delta ones;
    the KDA's kernel and head width; the latent attention's and the experts' keys."""
    kda = {i - 1 for i in config.linear_attn_config["kda_layers"]}
    return {"attention.head_count_kv": [0 if i in kda else 1 for i in range(config.num_hidden_layers)],
            "ssm.conv_kernel": config.linear_conv_kernel_dim, "kda.head_dim": config.linear_head_dim,
            "attention.kv_lora_rank": config.kv_lora_rank, "rope.dimension_count": config.qk_rope_head_dim,
            "attention.key_length": config.kv_lora_rank + config.qk_rope_head_dim,
            "attention.key_length_mla": config.qk_nope_head_dim + config.qk_rope_head_dim,
            "attention.value_length_mla": config.v_head_dim, "expert_feed_forward_length": config.moe_intermediate_size,
            "expert_shared_count": config.num_shared_experts, "leading_dense_block_count": config.first_k_dense_replace,
            **({"attention.q_lora_rank": config.q_lora_rank} if config.q_lora_rank else {})}  # fmt: skip


def kimi_linear_tensors(name, shape, config):
    """KimiLinearModel.modify_tensors on the checkpoint's names (transformers 5 fuses the q/k/v convolutions, groups
    the forget gate and names the MoE mlp): each convolution (1, width, 1, kernel), dt_bias as ssm_dt.bias, the
    experts stacked, kv_b_proj split."""
    block = name.split(".")[2] if name.startswith("model.layers.") else None
    if name.endswith("self_attn.conv1d.weight"):
        width = shape[0] // 3
        return [(f"gguf:blk.{block}.ssm_conv1d_{p}.weight", (1, width, 1, shape[2])) for p in "qkv"]
    renamed = {"forget_gate.dt_bias": "ssm_dt.bias", "forget_gate.A_log": "ssm_a", "forget_gate.f_a_proj.weight":
               "ssm_f_a.weight", "forget_gate.f_b_proj.weight": "ssm_f_b.weight"}  # fmt: skip
    suffix = next((k for k in renamed if name.endswith(k)), None)
    if suffix:
        return [(f"gguf:blk.{block}.{renamed[suffix]}", shape)]
    if ".mlp.gate." in name or ".mlp.shared_experts." in name:  # the checkpoint's block_sparse_moe (as gguf-py maps it)
        return [(name.replace(".mlp.", ".block_sparse_moe."), shape)]
    return stacked_experts(name, shape) or deepseek_tensors(name, shape, config)


JAMBA = {**UNTIED, "num_hidden_layers": 4, "num_experts": 4, "num_experts_per_tok": 2, "attn_layer_offset": 1,
         "attn_layer_period": 2, "expert_layer_offset": 1, "expert_layer_period": 2, "mamba_d_state": 8,
         "mamba_d_conv": 4, "mamba_expand": 2, "mamba_dt_rank": 8}  # fmt: skip


def jamba_keys(config):
    """JambaModel.set_gguf_parameters: head_count_kv per layer (0 on the Mamba layers), the mixer's sizes."""
    n, offset, period = config.num_hidden_layers, config.attn_layer_offset, config.attn_layer_period
    kv = [config.num_key_value_heads if i >= offset and (i - offset) % period == 0 else 0 for i in range(n)]
    return {"attention.head_count_kv": kv, "ssm.conv_kernel": config.mamba_d_conv, "ssm.state_size": config.mamba_d_state,
            "ssm.inner_size": config.mamba_expand * config.hidden_size, "ssm.time_step_rank": config.mamba_dt_rank}  # fmt: skip


def jamba_tensors(name, shape, config):
    """JambaModel.modify_tensors: the convolution squeezed, the experts stacked."""
    return [(name, (shape[0], shape[2]))] if name.endswith("conv1d.weight") else stacked_experts(name, shape)


PHIMOE = {**UNTIED, "num_local_experts": 4, "num_experts_per_tok": 2}

CASES = [
    Case("command-r", "cohere", "CohereForCausalLM", TIED),
    Case("command-r", "cohere", "CohereForCausalLM", {**TIED, "use_qk_norm": True, "attention_bias": True}),
    Case("cohere2", "cohere2", "Cohere2ForCausalLM", {**TIED, "head_dim": 24}),
    Case("olmo", "olmo", "OlmoForCausalLM", UNTIED),
    Case("olmo", "olmo", "OlmoForCausalLM", {**TIED, "attention_bias": True}),
    Case("stablelm", "stablelm", "StableLmForCausalLM", UNTIED),
    Case("stablelm", "stablelm", "StableLmForCausalLM",
         {**TIED, "use_qkv_bias": True, "qk_layernorm": True, "use_parallel_residual": True}, reshape=stacked_qk_norms),
    Case("phi2", "phi", "PhiForCausalLM", UNTIED, phi2_keys),
    Case("phi2", "phi", "PhiForCausalLM", {**SMALL, "num_key_value_heads": 4, "intermediate_size": 256}, phi2_keys),
    Case("gptneox", "gpt_neox", "GPTNeoXForCausalLM", UNTIED, reshape=neox_head),
    Case("gptneox", "gpt_neox", "GPTNeoXForCausalLM", {**TIED, "use_parallel_residual": False}, reshape=neox_head),
    Case("exaone", "exaone", "ExaoneForCausalLM", {**UNTIED, "head_dim": 16}),
    Case("exaone", "exaone", "ExaoneForCausalLM", {**TIED, "head_dim": 24}),
    Case("starcoder", "gpt_bigcode", "GPTBigCodeForCausalLM",
         {"vocab_size": 96, "n_embd": 64, "n_layer": 2, "n_head": 4, "n_inner": 80, "n_positions": 40}, starcoder_keys),
    Case("starcoder", "gpt_bigcode", "GPTBigCodeForCausalLM",
         {"vocab_size": 96, "n_embd": 64, "n_layer": 2, "n_head": 4, "n_positions": 32, "multi_query": False,
          "tie_word_embeddings": False}, starcoder_keys),
    Case("bloom", "bloom", "BloomForCausalLM", {"vocab_size": 96, "hidden_size": 64, "n_layer": 2, "n_head": 4},
         bloom_keys, bloom_names),
    Case("nemotron", "nemotron", "NemotronForCausalLM", {**UNTIED, "head_dim": 16}),
    Case("nemotron", "nemotron", "NemotronForCausalLM", {**TIED, "head_dim": 24, "attention_bias": True, "mlp_bias": True}),
    Case("bitnet", "bitnet", "BitNetForCausalLM", TIED, reshape=bitnet_norms),
    # OLMo 3 and GraniteMoeShared: written by OLMo 2's and Granite-MoE's converters, read through their rows
    Case("olmo2", "olmo3", "Olmo3ForCausalLM",
         {**UNTIED, "num_hidden_layers": 4, "sliding_window": 16,
          "layer_types": ["sliding_attention", "sliding_attention", "sliding_attention", "full_attention"]}, olmo3_keys),
    # EXAONE 4.5's language model (Exaone4_5_TextModel): EXAONE 4's tensors, its MTP layer appended as the last block
    Case("exaone4", "exaone4", "Exaone4ForCausalLM", {**UNTIED, "head_dim": 16, "num_nextn_predict_layers": 1},
         lambda c: {"block_count": c.num_hidden_layers + 1, "nextn_predict_layers": 1}, mtp=1),
    Case("granitemoe", "granitemoeshared", "GraniteMoeSharedForCausalLM",
         {**TIED, "num_local_experts": 4, "num_experts_per_tok": 2, "shared_intermediate_size": 40},
         lambda c: {"expert_shared_feed_forward_length": c.shared_intermediate_size}, granite_shared),
    Case("minicpm3", "minicpm3", "MiniCPM3ForCausalLM",
         {**TIED, "kv_lora_rank": 16, "q_lora_rank": 32, "qk_nope_head_dim": 8, "qk_rope_head_dim": 4}, minicpm3_keys),
    Case("minicpm3", "minicpm3", "MiniCPM3ForCausalLM",
         {**UNTIED, "kv_lora_rank": 16, "q_lora_rank": 24, "qk_nope_head_dim": 8, "qk_rope_head_dim": 8,
          "v_head_dim": 12}, minicpm3_keys),
    Case("llama4", "llama4_text", "Llama4ForCausalLM", LLAMA4, llama4_keys, llama4_experts),
    Case("llama4", "llama4_text", "Llama4ForCausalLM", {**LLAMA4, "interleave_moe_layer_step": 1, "tie_word_embeddings": True},
         llama4_keys, llama4_experts),
    Case("phimoe", "phimoe", "PhimoeForCausalLM", PHIMOE, reshape=phimoe_experts),
    Case("phimoe", "phimoe", "PhimoeForCausalLM", {**PHIMOE, "attention_bias": True, "lm_head_bias": True},
         reshape=phimoe_experts),
    # the reference: transformers' Qwen3-MoE of the text config (Qwen3-VL-MoE's language model has its layout)
    Case("qwen3vlmoe", "qwen3_moe", "Qwen3MoeForCausalLM",
         {**UNTIED, "num_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 24, "head_dim": 16},
         lambda c: {"expert_feed_forward_length": c.moe_intermediate_size}, split_experts),
    Case("glm-dsa", "glm_moe_dsa", "GlmMoeDsaForCausalLM", GLM_DSA, glm_dsa_keys, deepseek_tensors, extra=score_biases),
    # every layer with its indexer (no indexer types written), the MTP layer kept as the last block
    Case("glm-dsa", "glm_moe_dsa", "GlmMoeDsaForCausalLM", {**GLM_DSA, "indexer_types": ["full"] * 3},
         lambda c: {**{k: v for k, v in glm_dsa_keys(c).items() if k != "attention.indexer.types"},
                    "block_count": c.num_hidden_layers + 1, "nextn_predict_layers": 1},
         deepseek_tensors, extra=score_biases, mtp=1),
    Case("mistral4", "mistral4", "Mistral4ForCausalLM", MISTRAL4, deepseek_keys, mistral4_tensors),
    Case("mistral4", "mistral4", "Mistral4ForCausalLM", {**MISTRAL4, "q_lora_rank": None, "tie_word_embeddings": True},
         deepseek_keys, mistral4_tensors),
    Case("kimi-linear", "kimi_linear", "KimiLinearForCausalLM", KIMI_LINEAR, kimi_linear_keys, kimi_linear_tensors,
         extra=lambda c: {f"blk.{i}.exp_probs_b.bias": (c.num_experts,) for i in range(1, c.num_hidden_layers)}),
    Case("kimi-linear", "kimi_linear", "KimiLinearForCausalLM",
         {**KIMI_LINEAR, "q_lora_rank": 24, "first_k_dense_replace": 2, "linear_attn_config": {
             "full_attn_layers": [1, 3], "kda_layers": [2], "head_dim": 6, "num_heads": 2, "short_conv_kernel_size": 3}},
         kimi_linear_keys, kimi_linear_tensors, extra=lambda c: {"blk.2.exp_probs_b.bias": (c.num_experts,)}),
    Case("mpt", "mpt", "MptForCausalLM", {"vocab_size": 96, "d_model": 64, "n_heads": 4, "n_layers": 2}, mpt_keys),
    Case("jamba", "jamba", "JambaForCausalLM", JAMBA, jamba_keys, jamba_tensors),
    Case("jamba", "jamba", "JambaForCausalLM",
         {**JAMBA, "num_hidden_layers": 6, "attn_layer_offset": 2, "attn_layer_period": 4, "expert_layer_offset": 0,
          "expert_layer_period": 3, "mamba_proj_bias": True, "tie_word_embeddings": True}, jamba_keys, jamba_tensors),
    Case("afmoe", "afmoe", "AfmoeForCausalLM", AFMOE, afmoe_keys, afmoe_tensors),
    Case("afmoe", "afmoe", "AfmoeForCausalLM",
         {**AFMOE, "num_shared_experts": 2, "num_dense_layers": 2, "tie_word_embeddings": True, "head_dim": 24},
         afmoe_keys, afmoe_tensors),
]


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_count_and_verify_agree_with_transformers(case, tmp_path, capsys):
    check_case(case, tmp_path, capsys)


def refused(tmp_path, capsys, case, old: bytes, new: bytes):
    """``registry count`` of ``case``'s GGUF with ``old`` replaced by ``new`` in its bytes: (status, the one line)."""
    path, *_ = write_case(case, tmp_path / "x.gguf")
    path.write_bytes(path.read_bytes().replace(old, new))
    code = main(["count", str(path)])
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    return code, lines[0]


def test_a_missing_key_is_refused_naming_it(tmp_path, capsys):
    code, line = refused(tmp_path, capsys, CASES[0], b"command-r.attention.head_count", b"command-r.attention.head_cxunt")
    assert code == 2 and line.startswith("registry count: ")
    assert "command-r.attention.head_count: required metadata key is missing" in line


def test_a_phi2_file_without_its_key_projection_is_refused(tmp_path, capsys):
    """Phi2Model's file without attn_k (an old fused conversion) cannot give the key/value heads: refused, not
    guessed from head_count_kv, which the converter writes equal to the heads whatever the model."""
    code, line = refused(tmp_path, capsys, CASES[7], b"blk.0.attn_k.", b"blk.0.attn_j.")
    assert code == 2 and "blk.0.attn_k.weight: missing" in line


def test_a_llama4_step_that_contradicts_the_routers_is_refused(tmp_path, capsys):
    """interleave_moe_layer_step 1 (every layer MoE) in a file whose routers are in every second block: refused."""
    case = Case("llama4", "llama4_text", "Llama4ForCausalLM", LLAMA4,
                lambda c: {**llama4_keys(c), "interleave_moe_layer_step": 1}, llama4_experts)
    code, line = refused(tmp_path, capsys, case, b"", b"")
    assert code == 2 and "llama4.interleave_moe_layer_step: 1 disagrees with the blocks that hold a router" in line


def test_a_jamba_file_with_irregular_attention_layers_is_refused(tmp_path, capsys):
    """Attention in layers 1 and 2 of 4 is no offset-and-period placement: refused, naming head_count_kv."""
    case = Case("jamba", "jamba", "JambaForCausalLM", JAMBA,
                lambda c: {**jamba_keys(c), "attention.head_count_kv": [0, 2, 2, 0]}, jamba_tensors)
    code, line = refused(tmp_path, capsys, case, b"", b"")
    assert code == 2 and "jamba.attention.head_count_kv: the attention layers [1, 2] are not every k-th layer" in line


def test_an_mpt_file_with_grouped_key_value_heads_is_refused(tmp_path, capsys):
    """A fused attn_qkv of hidden + 2 head widths (the remote code's kv_n_heads 1): transformers' MPT has none."""
    def grouped(name, shape, config):
        return [(name, (config.d_model + 2 * (config.d_model // config.n_heads), shape[1]))] if "Wqkv" in name else None

    case = Case("mpt", "mpt", "MptForCausalLM", {"vocab_size": 96, "d_model": 64, "n_heads": 4, "n_layers": 2}, mpt_keys,
                grouped)  # fmt: skip
    code, line = refused(tmp_path, capsys, case, b"", b"")
    assert code == 2 and "blk.0.attn_qkv.weight: 96 rows, not 3 × embedding_length" in line

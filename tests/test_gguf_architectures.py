"""Every mapped GGUF architecture counts and verifies exactly (reference: transformers' meta model).

For each architecture, a small config of its Hugging Face model type is built by transformers
on the meta device, and a GGUF file is written from it as llama.cpp's converter writes one
(tests/gguf_files.py: gguf-py's own name map and metadata keys). ``registry count x.gguf``
must give transformers' total and find every GGUF tensor under a name of the counted model
(the checkpoint verified: nothing missing, nothing extra); ``inspect`` counts the file's
tensors as they are.
"""

from __future__ import annotations

import json
from collections import Counter
import math

import pytest

from registry.checkpoints import open_checkpoint
from registry.cli import main
from registry.sources.gguf_config import gguf_tensors_as_checkpoint
from tests.gguf_files import Case, split_experts, write_case

gguf = pytest.importorskip("gguf")

SMALL = {"vocab_size": 96, "hidden_size": 64, "intermediate_size": 80, "num_hidden_layers": 2,
         "num_attention_heads": 4, "num_key_value_heads": 2, "pad_token_id": 0}  # fmt: skip
UNTIED = {**SMALL, "tie_word_embeddings": False}


def gemma_keys(config):
    return {"attention.key_length": config.head_dim, "attention.value_length": config.head_dim}


CASES = [
    Case("llama", "llama", "LlamaForCausalLM", UNTIED),
    Case("llama", "llama", "LlamaForCausalLM", {**SMALL, "tie_word_embeddings": True, "attention_bias": True}),
    Case("mistral3", "ministral3", "Ministral3ForCausalLM", {**UNTIED, "head_dim": 24}),
    Case("qwen2", "qwen2", "Qwen2ForCausalLM", UNTIED),
    Case("qwen3", "qwen3", "Qwen3ForCausalLM", {**UNTIED, "head_dim": 32}),
    Case("qwen3", "qwen3", "Qwen3ForCausalLM", {**SMALL, "tie_word_embeddings": True, "head_dim": 16}),
    Case("gemma", "gemma", "GemmaForCausalLM", {**SMALL, "head_dim": 24}, gemma_keys),
    Case("gemma2", "gemma2", "Gemma2ForCausalLM", {**SMALL, "head_dim": 16}, gemma_keys),
    Case("gemma3", "gemma3_text", "Gemma3ForCausalLM", {**SMALL, "head_dim": 32}, gemma_keys),
    Case("olmo2", "olmo2", "Olmo2ForCausalLM", UNTIED),
    Case("exaone4", "exaone4", "Exaone4ForCausalLM", {**UNTIED, "head_dim": 16}),
    Case("granite", "granite", "GraniteForCausalLM", {**SMALL, "tie_word_embeddings": True}),
    Case("smollm3", "smollm3", "SmolLM3ForCausalLM", {**UNTIED, "pad_token_id": 0}),
    Case("phi3", "phi3", "Phi3ForCausalLM", UNTIED),
    Case("starcoder2", "starcoder2", "Starcoder2ForCausalLM", {**SMALL, "tie_word_embeddings": True}),
]


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def case_id(case: Case) -> str:
    return f"{case.arch}-{case.model_type}-{abs(hash(json.dumps(case.fields, sort_keys=True))) % 1000}"


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_count_and_inspect_agree_with_transformers(case, tmp_path, capsys):
    path, reference, tensors, origin = write_case(case, tmp_path / f"{case.arch}.gguf")
    code, out, err = run(capsys, "count", path, "-f", "json")
    assert code == 0, err
    (row,) = json.loads(out)
    assert row["total_params"] == reference
    check = row["checkpoint"]
    assert check["identical"], check
    code, out, err = run(capsys, "inspect", path, "-f", "json")
    assert code == 0, err
    assert json.loads(out)["total_params"] == sum(math.prod(s) for s in tensors.values())
    # each tensor stored as the checkpoint stores it reads as the checkpoint name it came from, up to the
    # LM head model's "transformer." (GPT-2's checkpoints hold GPT2Model's names, Falcon's the head model's)
    renamed, skipped = gguf_tensors_as_checkpoint(open_checkpoint(path))
    split = Counter(part for t in renamed for part in t.parts)  # merged experts read as one tensor per expert
    names = {part: t.name.removeprefix("transformer.") for t in renamed for part in t.parts if split[part] == 1}
    origin = {g: name.removeprefix("transformer.") for g, name in origin.items() if split[g] == 1}
    assert {g: names.get(g) for g in origin} == origin
    assert sum(t.numel for t in renamed) == sum(math.prod(tensors[g]) for g in tensors if g not in skipped)


# --- mixture-of-experts ------------------------------------------------------------------------------------------

MOE = {**UNTIED, "num_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 24}


def qwen_moe_keys(config):
    keys = {"expert_feed_forward_length": config.moe_intermediate_size}
    if getattr(config, "shared_expert_intermediate_size", None):
        keys["expert_shared_feed_forward_length"] = config.shared_expert_intermediate_size
    return keys


def granite_experts(name, shape, config):
    """GraniteMoeModel: input_linear split into ffn_gate_exps / ffn_up_exps, output_linear is ffn_down_exps."""
    block = name.split(".")[2] if name.startswith("model.layers.") else None
    if name.endswith("experts.gate_up_proj"):
        e, rows, cols = shape
        return [(f"gguf:blk.{block}.ffn_{p}_exps.weight", (e, rows // 2, cols)) for p in ("gate", "up")]
    if name.endswith("experts.down_proj"):
        return [(f"gguf:blk.{block}.ffn_down_exps.weight", shape)]
    if name.endswith("router.weight"):
        return [(name.replace("router.weight", "router.layer.weight"), shape)]
    return None


def gpt_oss_experts(name, shape, config):
    """GptOssModel: gate_up_proj (E, d, 2 ff) de-interleaved and transposed; down_proj (E, ff, d) transposed."""
    block = name.split(".")[2] if name.startswith("model.layers.") else None
    if name.endswith("gate_up_proj"):
        e, d, ff2 = shape
        return [(f"gguf:blk.{block}.ffn_{p}_exps.weight", (e, ff2 // 2, d)) for p in ("gate", "up")]
    if name.endswith("gate_up_proj_bias"):
        e, ff2 = shape
        return [(f"gguf:blk.{block}.ffn_{p}_exps.bias", (e, ff2 // 2)) for p in ("gate", "up")]
    if name.endswith("experts.down_proj"):
        e, ff, d = shape
        return [(f"gguf:blk.{block}.ffn_down_exps.weight", (e, d, ff))]
    if name.endswith("down_proj_bias"):
        return [(f"gguf:blk.{block}.ffn_down_exps.bias", shape)]
    if name.endswith("sinks"):
        return [(f"gguf:blk.{block}.attn_sinks.weight", shape)]
    return None


def score_biases(config):
    """exp_probs_b.bias: the routers' e_score_correction_bias, a buffer in transformers, stored by checkpoints."""
    return {f"blk.{i}.exp_probs_b.bias": (config.n_routed_experts,)
            for i in range(config.first_k_dense_replace, config.num_hidden_layers)}  # fmt: skip


def glm_keys(config):
    return {"expert_count": config.n_routed_experts, "expert_shared_count": config.n_shared_experts,
            "expert_feed_forward_length": config.moe_intermediate_size,
            "leading_dense_block_count": config.first_k_dense_replace}  # fmt: skip


def deepseek_keys(config):
    """DeepseekV2Model.set_gguf_parameters: MQA with wide heads, the MLA widths under *_mla."""
    keys = {**glm_keys(config), "attention.head_count_kv": 1, "attention.kv_lora_rank": config.kv_lora_rank,
            "attention.key_length": config.kv_lora_rank + config.qk_rope_head_dim,
            "attention.value_length": config.kv_lora_rank,
            "attention.key_length_mla": config.qk_nope_head_dim + config.qk_rope_head_dim,
            "attention.value_length_mla": config.v_head_dim, "rope.dimension_count": config.qk_rope_head_dim}  # fmt: skip
    if config.q_lora_rank is not None:
        keys["attention.q_lora_rank"] = config.q_lora_rank
    return keys


def deepseek_tensors(name, shape, config):
    """DeepseekV2Model.modify_tensors: kv_b_proj split per head into k_b (transposed) and v_b."""
    if not name.endswith("kv_b_proj.weight"):
        return split_experts(name, shape, config)
    heads, nope, v, rank = config.num_attention_heads, config.qk_nope_head_dim, config.v_head_dim, config.kv_lora_rank
    base = name.removesuffix("kv_b_proj.weight")
    return [(base + "k_b_proj.weight", (heads, rank, nope)), (base + "v_b_proj.weight", (heads, v, rank))]


DEEPSEEK = {**UNTIED, "n_routed_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 24,
            "first_k_dense_replace": 1, "n_shared_experts": 1, "kv_lora_rank": 16, "qk_nope_head_dim": 8,
            "qk_rope_head_dim": 4, "v_head_dim": 8, "n_group": 1, "topk_group": 1, "num_hidden_layers": 3}  # fmt: skip

MOE_CASES = [
    Case("qwen3moe", "qwen3_moe", "Qwen3MoeForCausalLM", {**MOE, "head_dim": 16}, qwen_moe_keys, split_experts),
    Case("qwen2moe", "qwen2_moe", "Qwen2MoeForCausalLM", {**MOE, "shared_expert_intermediate_size": 40},
         qwen_moe_keys, split_experts),
    Case("olmoe", "olmoe", "OlmoeForCausalLM", {**UNTIED, "num_experts": 4, "num_experts_per_tok": 2},
         reshape=split_experts),
    Case("granitemoe", "granitemoe", "GraniteMoeForCausalLM",
         {**SMALL, "tie_word_embeddings": True, "num_local_experts": 4, "num_experts_per_tok": 2},
         reshape=granite_experts),
    Case("gpt-oss", "gpt_oss", "GptOssForCausalLM", {**UNTIED, "num_local_experts": 4, "num_experts_per_tok": 2,
         "head_dim": 16}, lambda c: {"expert_feed_forward_length": c.intermediate_size}, gpt_oss_experts),
    Case("glm4moe", "glm4_moe", "Glm4MoeForCausalLM",
         {**UNTIED, "n_routed_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 24,
          "first_k_dense_replace": 1, "n_shared_experts": 1, "head_dim": 16, "use_qk_norm": True, "attention_bias": True},
         lambda c: {**glm_keys(c), "block_count": c.num_hidden_layers + 1, "nextn_predict_layers": 1},
         split_experts, extra=score_biases, mtp=1),
    Case("deepseek2", "deepseek_v3", "DeepseekV3ForCausalLM", {**DEEPSEEK, "q_lora_rank": 32}, deepseek_keys,
         deepseek_tensors, extra=score_biases),
    Case("deepseek2", "deepseek_v2", "DeepseekV2ForCausalLM", {**DEEPSEEK, "q_lora_rank": None}, deepseek_keys,
         deepseek_tensors),
]


@pytest.mark.parametrize("case", MOE_CASES, ids=[case_id(c) for c in MOE_CASES])
def test_moe_count_and_inspect_agree_with_transformers(case, tmp_path, capsys):
    test_count_and_inspect_agree_with_transformers(case, tmp_path, capsys)


# --- GPT-2 and the state-space models ----------------------------------------------------------------------------


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
    test_count_and_inspect_agree_with_transformers(case, tmp_path, capsys)


def test_an_unmapped_architecture_is_refused_in_one_line_naming_the_mapped_ones(tmp_path, capsys):
    from registry.plugin_manager import load_gguf_architectures

    case = Case("llama", "llama", "LlamaForCausalLM", UNTIED)
    path, *_ = write_case(case, tmp_path / "x.gguf")
    data = path.read_bytes().replace(b"llama", b"llamb")  # general.architecture and its keys: llamb
    path.write_bytes(data)
    code, out, err = run(capsys, "count", path)
    (line,) = err.strip().splitlines()
    assert code == 2 and line.startswith("registry count: ") and "general.architecture: 'llamb' is not mapped" in line
    mapped = sorted(load_gguf_architectures().items)
    assert len(mapped) >= 20 and f"mapped: {', '.join(mapped)}" in line



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
    test_count_and_inspect_agree_with_transformers(case, tmp_path, capsys)


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


def mamba2_layout(name, shape, groups):
    """Mamba2Model.modify_tensors: the convolution squeezed, A and D as (heads, 1), the norm per group, dt_bias
    renamed dt_proj.bias (ssm_dt.bias); None for another tensor."""
    if name.endswith("conv1d.weight"):
        return [(name, (shape[0], shape[2]))]
    if name.endswith(("A_log", ".D")):
        return [(name, (shape[0], 1))]
    if name.endswith("mixer.norm.weight") or name.endswith("mamba.norm.weight"):
        return [(name, (groups, shape[0] // groups))]
    if name.endswith("dt_bias"):
        return [(f"gguf:blk.{name.split('.')[2]}.ssm_dt.bias", shape)]
    return None


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
    test_count_and_inspect_agree_with_transformers(case, tmp_path, capsys)


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
    test_count_and_inspect_agree_with_transformers(case, tmp_path, capsys)

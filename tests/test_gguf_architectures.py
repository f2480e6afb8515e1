"""Every mapped GGUF architecture counts and verifies exactly (reference: transformers' meta model).

For each architecture, a small config of its Hugging Face model type is built by transformers
on the meta device, and a GGUF file is written from it as llama.cpp's converter writes one
(tests/gguf_files.py: gguf-py's own name map and metadata keys). ``registry count x.gguf``
must give transformers' total and find every GGUF tensor under a name of the counted model
(the checkpoint verified: nothing missing, nothing extra); ``inspect`` counts the file's
tensors as they are.
"""

from __future__ import annotations

import pytest

from registry.cli import main
from tests.gguf_files import Case, case_id, check_case, granite_experts, split_experts, stacked_experts, write_case

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
    Case("qwen2vl", "qwen2", "Qwen2ForCausalLM", {**SMALL, "tie_word_embeddings": True}),  # Qwen2.5-VL's text GGUF
    Case("qwen3", "qwen3", "Qwen3ForCausalLM", {**UNTIED, "head_dim": 32}),
    Case("qwen3", "qwen3", "Qwen3ForCausalLM", {**SMALL, "tie_word_embeddings": True, "head_dim": 16}),
    Case("qwen3vl", "qwen3", "Qwen3ForCausalLM", {**UNTIED, "head_dim": 16}),  # Qwen3-VL's text GGUF
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


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_count_and_inspect_agree_with_transformers(case, tmp_path, capsys):
    check_case(case, tmp_path, capsys)


# --- mixture-of-experts ------------------------------------------------------------------------------------------

MOE = {**UNTIED, "num_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 24}


def qwen_moe_keys(config):
    keys = {"expert_feed_forward_length": config.moe_intermediate_size}
    if getattr(config, "shared_expert_intermediate_size", None):
        keys["expert_shared_feed_forward_length"] = config.shared_expert_intermediate_size
    return keys




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
    # GLM-4.7-Flash's way (Glm4MoeLiteModel, llama.cpp 0c1e57098 conversion/glm.py): written as deepseek2 with its MTP
    # layer kept as the last block (block_count + 1, nextn_predict_layers 1)
    Case("deepseek2", "deepseek_v3", "DeepseekV3ForCausalLM", {**DEEPSEEK, "q_lora_rank": 32},
         lambda c: {**deepseek_keys(c), "block_count": c.num_hidden_layers + 1, "nextn_predict_layers": 1},
         deepseek_tensors, extra=score_biases, mtp=1),
]


@pytest.mark.parametrize("case", MOE_CASES, ids=[case_id(c) for c in MOE_CASES])
def test_moe_count_and_inspect_agree_with_transformers(case, tmp_path, capsys):
    check_case(case, tmp_path, capsys)


def test_an_unmapped_architecture_is_refused_in_one_line_naming_the_mapped_ones(tmp_path, capsys):
    from registry.plugin_manager import load_gguf_architectures

    case = Case("llama", "llama", "LlamaForCausalLM", UNTIED)
    path, *_ = write_case(case, tmp_path / "x.gguf")
    data = path.read_bytes().replace(b"llama", b"llamb")  # general.architecture and its keys: llamb
    path.write_bytes(data)
    code = main(["count", str(path)])
    err = capsys.readouterr().err
    (line,) = err.strip().splitlines()
    assert code == 2 and line.startswith("registry count: ") and "general.architecture: 'llamb' is not mapped" in line
    mapped = sorted({a.architecture for a in load_gguf_architectures().items.values()})  # clip/gemma3: clip
    assert len(mapped) >= 20 and f"mapped: {', '.join(mapped)}" in line


def refused(tmp_path, capsys, case, edit):
    """``registry count`` of ``case``'s GGUF with ``edit`` applied to its bytes: (exit status, the one error line)."""
    path, *_ = write_case(case, tmp_path / "x.gguf")
    path.write_bytes(edit(path.read_bytes()))
    code = main(["count", str(path)])
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    return code, lines[0]


def test_a_missing_key_and_a_wrong_tensor_are_refused_naming_them(tmp_path, capsys):
    qwen3moe = MOE_CASES[0]
    code, line = refused(tmp_path, capsys, qwen3moe, lambda b: b.replace(b"qwen3moe.expert_count", b"qwen3moe.expert_cxunt"))
    assert code == 2 and "qwen3moe.expert_count: required metadata key is missing" in line
    # a tensor the row does not name keeps its GGUF name: the verification reports it extra, the count stands
    path, *_ = write_case(MOE_CASES[3], tmp_path / "y.gguf")
    path.write_bytes(path.read_bytes().replace(b"blk.0.ffn_down_exps", b"blk.0.ffn_down_expq"))
    code = main(["count", str(path)])
    out = capsys.readouterr().out
    assert code == 1 and "does not match the checkpoint" in out and "blk.0.ffn_down_expq.weight" in out


def mixtral_experts(name, shape, config):
    """LlamaModel.modify_tensors: Mixtral's experts stacked into ffn_{gate,up,down}_exps, written as llama."""
    if name.endswith("mlp.gate.weight"):
        return [(f"gguf:blk.{name.split('.')[2]}.ffn_gate_inp.weight", shape)]
    return stacked_experts(name, shape)


@pytest.mark.parametrize("fields", [{**UNTIED, "num_local_experts": 4, "num_experts_per_tok": 2, "intermediate_size": 24}])
def test_mixtral_written_as_llama(fields, tmp_path, capsys):
    check_case(Case("llama", "mixtral", "MixtralForCausalLM", fields, reshape=mixtral_experts), tmp_path, capsys)


def test_the_documented_third_party_row_counts_a_gguf(tmp_path, capsys):
    """docs/plugins.md's GPT-NeoX row, registered by a plugin of its own, counts and verifies a GGUF of it."""
    import re
    import types

    from registry.plugin_manager import register_plugin, reset
    from tests.conftest import ROOT

    text = (ROOT / "docs" / "plugins.md").read_text()
    (source,) = [block for block in re.findall(r"```python\n(.*?)```", text, re.S) if '"gptneox"' in block]
    plugin = types.ModuleType("registry_neox_gguf")
    exec(compile(source, "docs/plugins.md", "exec"), plugin.__dict__)
    try:
        register_plugin(plugin, "neox-gguf")
        # transformers 5 holds the head as lm_head; GPT-NeoX checkpoints (and the row) name it embed_out
        check_case(Case("gptneox", "gpt_neox", "GPTNeoXForCausalLM",
                        {"vocab_size": 96, "hidden_size": 64, "intermediate_size": 80, "num_hidden_layers": 2,
                         "num_attention_heads": 4, "tie_word_embeddings": False},
                        reshape=lambda name, shape, config: [("embed_out.weight", shape)] if name == "lm_head.weight"
                        else None), tmp_path, capsys)  # fmt: skip
    finally:
        reset()


def test_a_row_with_a_wrong_value_is_one_warning_naming_its_plugin(capsys):
    from registry import GgufArchitecture, hookimpl
    from registry.plugin_manager import load_gguf_architectures, register_plugin, reset

    class Faulty:
        @staticmethod
        @hookimpl
        def register_gguf_architectures(register):
            register(GgufArchitecture("odd", model_type="llama", tensors={"attn_q": 3}))

    try:
        register_plugin(Faulty, "faulty-row")
        errors = [str(e) for e in load_gguf_architectures().errors]
        assert "odd" not in load_gguf_architectures().items
    finally:
        reset()
    assert any("faulty-row" in e and "must be text" in e for e in errors), errors

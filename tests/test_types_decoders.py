"""The Llama-style model types of the breadth issue, against transformers 5.24's own models.

gemma, gemma2, gemma3_text, qwen3, qwen3_moe, olmo2, olmoe, granite, granitemoe, cohere,
stablelm, phi3 and phimoe. References, all built on the meta device (nothing is allocated or
downloaded):

* totals: ``sum(p.numel() for p in model.parameters())`` of the class named in the config;
* active parameters of MoE models: that total with each layer's routed experts scaled by
  top_k / n_experts (tests/_hf_configs.py ``reference_counts``);
* tensor names and shapes: ``named_parameters(remove_duplicate=False)``, after turning the
  checkpoint names registry uses into the names transformers 5 holds in memory (its fused
  ``experts.gate_up_proj`` / ``experts.down_proj``, PhiMoE's ``mlp.router``, Granite-MoE's
  ``block_sparse_moe.router`` and ``experts``);
* the specs: the meta count of the config each cites (a published file in tests/configs, or
  for Gemma-3-4B the text_config of its multimodal config), and near their reported_params.

Random small configs of these model types and their refusals: one row each in
tests/types_table.py (checked by tests/test_types_table.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import registry
from registry.blocks import Attention, FusedExperts, Module
from registry.analyses.report import iter_tensors
from tests._hf_configs import make_config, quiet_transformers, reference_counts, top_k_of, write_config
from tests.conftest import ROOT

CONFIGS = ROOT / "tests" / "configs"
SPECS = ROOT / "specs"


# --------------------------------------------------------------------------- tensor names


def test_granite_moe_tensors_are_the_checkpoints_stacked_ones(tmp_path):
    """Granite-MoE's checkpoint stores each layer's experts as input_linear (E, 2F, D) and
    output_linear (E, D, F), and its router as router.layer (transformers' conversion_mapping)."""
    config = make_config("granitemoe", "GraniteMoeForCausalLM", dict(
        vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=2,
        intermediate_size=12, num_local_experts=3, num_experts_per_tok=2))  # fmt: skip
    (model,) = registry.load(write_config(config, tmp_path / "config.json"))
    shapes = {t.path: t.shape for t in iter_tensors(model.architecture)}
    layer = "model.layers.0.block_sparse_moe"
    assert shapes[f"{layer}.input_linear.weight"] == (3, 24, 16)
    assert shapes[f"{layer}.output_linear.weight"] == (3, 16, 12)
    assert shapes[f"{layer}.router.layer.weight"] == (3, 16)


# --------------------------------------------------------------------------- specs vs the configs they cite

#: Gemma-3-4B's text_config (https://huggingface.co/google/gemma-3-4b-pt/blob/main/config.json): its
#: shape fields; the rest are Gemma3TextConfig's defaults.
GEMMA3_4B_TEXT = dict(hidden_size=2560, intermediate_size=10240, num_hidden_layers=34, num_attention_heads=8,
                      num_key_value_heads=4, head_dim=256, vocab_size=262208, sliding_window=1024,
                      query_pre_attn_scalar=256)  # fmt: skip

#: spec file -> published config folder it cites (None: built from GEMMA3_4B_TEXT).
SPEC_CONFIGS = {
    "gemma-2-9b": "gemma-2-9b", "gemma-3-4b": None, "qwen3-8b": "qwen3-8b", "qwen3-30b-a3b": "qwen3-30b-a3b",
    "phi-4": "phi-4", "olmo-2-7b": "olmo-2-1124-7b", "olmoe-1b-7b": "olmoe-1b-7b-0924",
}  # fmt: skip


def _published_config(folder: str | None):
    transformers = quiet_transformers()
    if folder is None:
        return make_config("gemma3_text", "Gemma3ForCausalLM", GEMMA3_4B_TEXT)
    data = json.loads((CONFIGS / folder / "config.json").read_text())
    config = transformers.CONFIG_MAPPING[data["model_type"]].from_dict({k: v for k, v in data.items()
                                                                       if k != "model_type"})  # fmt: skip
    return config


@pytest.mark.parametrize("spec", sorted(SPEC_CONFIGS))
def test_spec_equals_the_meta_count_of_the_config_it_cites(spec):
    """Reference: transformers' model of the cited config on the meta device (total and active);
    then the spec is near its reported_params (the published figures are rounded: within 5%)."""
    config = _published_config(SPEC_CONFIGS[spec])
    (model,) = registry.load(SPECS / f"{spec}.toml")
    report = registry.count(model)
    assert (report.total_params, report.active_params) == reference_counts(config, top_k_of(config))
    assert abs(report.reported_diff_pct) < 5


def test_gemma3_4b_spec_says_the_vision_tower_is_not_counted():
    text = (SPECS / "gemma-3-4b.toml").read_text()
    assert "vision tower is not counted" in text and "NOT COUNTED" in text


# --------------------------------------------------------------------------- refusals and aliases


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data, indent=2))
    return path


def test_phi_3_5_moe_remote_code_class_name_is_accepted(tmp_path):
    """Phi-3.5-MoE's published config names its remote-code class PhiMoEForCausalLM; transformers
    builds PhimoeForCausalLM from it, and so does registry."""
    data = json.loads((CONFIGS / "phi-3.5-moe-instruct" / "config.json").read_text())
    remote = registry.count(registry.load(_write(tmp_path, {**data, "architectures": ["PhiMoEForCausalLM"]}))[0])
    config = _published_config("phi-3.5-moe-instruct")
    assert (remote.total_params, remote.active_params) == reference_counts(config, top_k_of(config))


def test_jetmoe_remote_code_class_name_is_accepted_with_a_note():
    """The jetmoe org's published configs name their remote-code class JetMoEForCausalLM; transformers
    builds JetMoeForCausalLM for the model type, and so does registry (with a note saying so)."""
    path = CONFIGS / "jetmoe-8b-sft" / "config.json"
    (model,) = registry.load(path)
    report = registry.count(model)
    config = _published_config("jetmoe-8b-sft")
    assert config.architectures == ["JetMoEForCausalLM"]
    total, _ = reference_counts(config)  # the active share of its routed experts: tests/types_table.py's jetmoe row
    assert report.total_params == total
    assert any("remote-code class JetMoEForCausalLM" in w and "JetMoeForCausalLM" in w for w in model.warnings)


# --------------------------------------------------------------------------- the core pieces


def test_fused_experts_count_top_k_of_the_slices():
    block = FusedExperts(d_model=8, d_ff=5, n_experts=4, top_k=1)
    assert block.tally.params == 4 * (2 * 5 * 8 + 8 * 5)
    assert block.tally.active == 2 * 5 * 8 + 8 * 5
    assert [t.shape for t in block.tensors()] == [(4, 10, 8), (4, 8, 5)]
    ungated = FusedExperts(d_model=8, d_ff=5, n_experts=4, top_k=2, gated=False)
    assert ungated.tally.params == 4 * 2 * 5 * 8 and ungated.tally.active == 2 * 2 * 5 * 8
    holder = Module(blocks=[block])  # a parent takes the block's own tally (its active share)
    assert holder.tally.active == block.tally.active


@pytest.mark.parametrize(
    "qk_norm, kind, bias, expected",
    [
        ("head", "rms_norm", False, 2 * 4),
        ("full", "rms_norm", False, 4 * 4 + 2 * 4),
        ("per_head", "layer_norm", False, 4 * 4 + 2 * 4),
        ("per_head", "layer_norm", True, 2 * (4 * 4 + 2 * 4)),
        ("per_head_modules", "layer_norm", False, 4 * 4 + 2 * 4),
        ("per_head_modules", "layer_norm", True, 2 * (4 * 4 + 2 * 4)),
    ],
)
def test_query_key_norm_variants(qk_norm, kind, bias, expected):
    plain = Attention(d_model=16, n_heads=4, n_kv_heads=2, bias=False)
    normed = plain.model_copy(update={"qk_norm": qk_norm, "qk_norm_kind": kind, "qk_norm_bias": bias})
    normed = Attention.model_validate(normed.model_dump())
    assert normed.tally.params - plain.tally.params == expected

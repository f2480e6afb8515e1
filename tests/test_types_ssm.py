"""State-space and recurrent model types (mamba, falcon_mamba, rwkv, jamba) against transformers.

The reference is transformers 5.24's model of the config's class built on the meta device:
``sum(p.numel() for p in model.parameters())`` for the total, and for Jamba's active count
the same with each MoE layer's routed-expert parameters scaled by top_k / n_experts
(tests/_hf_configs.py ``reference_counts``). All four model types ship with transformers
5.24 (``transformers/models/{mamba,falcon_mamba,rwkv,jamba}``). Tensor names are compared
with the reference's ``named_parameters()``; transformers 5 holds Jamba's experts fused in
memory (``feed_forward.experts.gate_up_proj``, ``down_proj``) where the checkpoints have one
tensor per expert (``feed_forward.experts.<e>.gate_proj.weight`` …): compared by count.

Random small configs of these model types, a few named ones (cases) and their refusals: one row
each in tests/types_table.py (checked by tests/test_types_table.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import registry
from registry import count, iter_tensors
from tests._hf_configs import make_config, reference_counts, top_k_of, write_config
from tests.conftest import ROOT

CONFIGS = ROOT / "tests" / "configs"


# --------------------------------------------------------------------------- checkpoint names


@pytest.mark.parametrize("architecture", ["JambaForCausalLM", "JambaModel"])
def test_jamba_checkpoint_names_one_tensor_per_expert(tmp_path, architecture):
    """The checkpoints hold one tensor per expert (``feed_forward.experts.<e>.gate_proj.weight`` ...) where
    transformers 5 fuses them in memory; the layer pattern puts experts at i % 3 == 2 and attention at
    i % 4 == 1 (the same config is a case of jamba's row in tests/types_table.py, names against transformers)."""
    fields = dict(vocab_size=50, hidden_size=32, num_hidden_layers=10, num_attention_heads=4, num_key_value_heads=2,
                  intermediate_size=24, num_experts=3, num_experts_per_tok=2, attn_layer_period=4,
                  attn_layer_offset=1, expert_layer_period=3, expert_layer_offset=2)  # fmt: skip
    config = make_config("jamba", architecture, fields)
    (model,) = registry.load(write_config(config, tmp_path / "config.json"))
    ours = {t.path for t in iter_tensors(model.architecture)}
    prefix = "model." if architecture == "JambaForCausalLM" else ""
    for layer in (2, 5, 8):  # i % 3 == 2: experts
        assert f"{prefix}layers.{layer}.feed_forward.router.weight" in ours
        assert f"{prefix}layers.{layer}.feed_forward.experts.2.gate_proj.weight" in ours
        assert f"{prefix}layers.{layer}.feed_forward.experts.2.down_proj.weight" in ours
    assert f"{prefix}layers.1.self_attn.q_proj.weight" in ours  # i % 4 == 1: attention
    assert f"{prefix}layers.0.mamba.dt_layernorm.weight" in ours


def test_jamba_1_5_mini_layer_pattern_is_a_few_runs():
    """32 layers: attention at 4, 12, 20, 28 (i % 8 == 4), experts at the odd layers (i % 2 == 1)."""
    (model,) = registry.load(ROOT / "specs" / "jamba-1.5-mini.toml")
    repeats = [b for b in model.architecture.blocks[0].blocks if getattr(b, "kind", "") == "repeat"]
    assert len(repeats) == 5
    layers = {i: r for r in repeats for i in r.indices}
    assert sorted(layers) == list(range(32))
    assert {i for i, r in layers.items() if r.blocks[0].kind == "attention"} == {4, 12, 20, 28}
    assert {i for i, r in layers.items() if r.blocks[1].kind == "moe"} == set(range(1, 32, 2))


def test_a_huge_layer_count_is_counted_by_runs():
    (model,) = registry.load(ROOT / "specs" / "jamba-1.5-mini.toml")
    params = {**model.params.model_dump(), "n_layers": 32 * 10**20}
    big = count(registry.build_model("ssm-hybrid", **params))
    small = count(model)
    embed_and_head = 2 * 65536 * 4096 + 4096  # embedding, untied head, final norm
    assert big.total_params - embed_and_head == (small.total_params - embed_and_head) * 10**20


# --------------------------------------------------------------------------- the specs and the published configs


@pytest.mark.parametrize(
    "spec, folder, low, high",
    [
        ("mamba-2.8b", "mamba-2.8b-hf", 2.7e9, 2.9e9),  # '2.8B' (Gu & Dao 2023, Table 3)
        ("jamba-1.5-mini", "AI21-Jamba-1.5-Mini", 51e9, 53e9),  # '52B total' (model card)
    ],
)
def test_spec_equals_the_meta_count_of_the_config_it_cites(spec, folder, low, high):
    from tests.test_model_types import _transformers_config

    (model,) = registry.load(ROOT / "specs" / f"{spec}.toml")
    report = count(model)
    data = json.loads((CONFIGS / folder / "config.json").read_text())
    config = _transformers_config(data)
    assert (report.total_params, report.active_params) == reference_counts(config, top_k_of(config))
    assert low < report.total_params < high and model.reported_params is not None


def test_jamba_1_5_mini_active_params_near_the_model_card():
    """'12B active and 52B total parameters' (huggingface.co/ai21labs/AI21-Jamba-1.5-Mini)."""
    report = count(registry.load(ROOT / "specs" / "jamba-1.5-mini.toml")[0])
    assert 11.5e9 < report.active_params < 12.5e9


# --------------------------------------------------------------------------- Jamba with one expert


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data, indent=2))
    return path


JAMBA = {"architectures": ["JambaForCausalLM"], "model_type": "jamba", "hidden_size": 64, "num_hidden_layers": 4,
         "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 96, "vocab_size": 100}  # fmt: skip


def test_jamba_with_one_expert_is_dense_everywhere(tmp_path):
    """num_experts = 1: transformers builds JambaMLP in every layer, whatever num_experts_per_tok says."""
    config = make_config("jamba", "JambaForCausalLM", {**{k: v for k, v in JAMBA.items() if k not in ("model_type",
                         "architectures")}, "num_experts": 1, "num_experts_per_tok": 2})  # fmt: skip
    report = count(registry.load(write_config(config, tmp_path / "config.json"))[0])
    assert (report.total_params, report.active_params) == reference_counts(config)

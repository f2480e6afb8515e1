"""The modern families (llama, llama-moe, deepseek-v2, arctic, nemotron) against their references.

Each spec in specs/ that a transformers model type describes is checked against
``sum(p.numel() for p in model.parameters())`` of that model built on the meta
device from the published config (tests/_hf_configs.py cites each one); tensor names
and shapes are checked too, outside the routed experts that transformers 5 fuses in
memory. Published totals and active counts are checked against the model cards'
figures at the precision the cards give them. Arctic is not in transformers: its
spec is checked against the model card's figures and against importing its
published config.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import registry
from registry import count, iter_tensors
from tests._hf_configs import PUBLISHED, make_config, meta_model, quiet_transformers, reference_counts, top_k_of

SPECS = Path(__file__).resolve().parent.parent / "specs"
NEW_SPECS = [
    "llama-2-7b", "llama-2-70b", "llama-3.1-8b", "llama-3.1-405b", "mistral-7b", "mixtral-8x7b", "mixtral-8x22b",
    "qwen2-moe-a2.7b", "deepseek-v2", "snowflake-arctic", "nemotron-4-340b",
]  # fmt: skip
WITH_REFERENCE = {p.spec: key for key, p in PUBLISHED.items() if p.spec}


def load_spec(name: str) -> registry.Model:
    (model,) = registry.load(SPECS / f"{name}.toml")
    return model


# --------------------------------------------------------------------------- the specs themselves


@pytest.mark.parametrize("name", NEW_SPECS)
def test_spec_cites_source_and_published_figure(name):
    model = load_spec(name)
    assert model.source and model.reported_params
    assert model.notes  # each says what it was checked against


def test_every_spec_but_arctic_has_a_transformers_reference():
    assert sorted(WITH_REFERENCE) == sorted(n for n in NEW_SPECS if n != "snowflake-arctic")


@pytest.mark.parametrize(
    "name, tokens",
    [
        ("llama-3.1-405b", 15.6e12),  # Llama Team 2024, The Llama 3 Herd of Models, Section 1
        ("snowflake-arctic", 3.5e12),  # Arctic model card: 'pretrained on 3.5 trillion tokens'
        ("nemotron-4-340b", 9e12),  # Nemotron-4 340B Technical Report: 9 trillion tokens
        ("deepseek-v2", 8.1e12),  # DeepSeek-V2 paper, abstract: 8.1T tokens
    ],
)
def test_seed_models_have_published_training_tokens(name, tokens):
    assert load_spec(name).training_tokens == tokens


# --------------------------------------------------------------------------- against transformers


@pytest.mark.parametrize("name", sorted(WITH_REFERENCE))
def test_spec_equals_transformers_meta_count(name):
    published = PUBLISHED[WITH_REFERENCE[name]]
    config = make_config(published.model_type, published.architecture, published.fields)
    total, active = reference_counts(config, top_k_of(config))
    report = count(load_spec(name))
    assert report.total_params == total
    assert report.active_params == active


def test_llama_2_7b_is_exactly_transformers_count():
    quiet_transformers()
    from transformers import LlamaConfig, LlamaForCausalLM  # LlamaConfig's defaults are Llama-2-7B's config

    import torch

    with torch.device("meta"):
        model = LlamaForCausalLM(LlamaConfig())
    assert count(load_spec("llama-2-7b")).total_params == sum(p.numel() for p in model.parameters())


def _ours(model: registry.Model) -> dict[str, tuple[int, ...]]:
    return {t.path: t.shape for t in iter_tensors(model.architecture) if t.tied_to is None}


@pytest.mark.parametrize("name", ["llama-2-7b", "mistral-7b", "nemotron-4-340b"])
def test_dense_tensor_names_and_shapes_match_transformers(name):
    published = PUBLISHED[WITH_REFERENCE[name]]
    reference = meta_model(make_config(published.model_type, published.architecture, published.fields))
    assert _ours(load_spec(name)) == {n: tuple(p.shape) for n, p in reference.named_parameters()}


@pytest.mark.parametrize("name", ["mixtral-8x7b", "qwen2-moe-a2.7b", "deepseek-v2"])
def test_moe_tensor_names_match_transformers_outside_fused_experts(name):
    published = PUBLISHED[WITH_REFERENCE[name]]
    reference = meta_model(make_config(published.model_type, published.architecture, published.fields))
    theirs = {n: tuple(p.shape) for n, p in reference.named_parameters() if ".experts." not in n}
    ours = {
        n.replace(".block_sparse_moe.", ".mlp."): s  # transformers 5 renames Mixtral's block in memory
        for n, s in _ours(load_spec(name)).items()
        if ".experts." not in n
    }
    assert ours == theirs
    # the routed experts: per-expert checkpoint tensors vs transformers' fused 3-D parameters
    fused = sum(p.numel() for n, p in reference.named_parameters() if ".experts." in n)
    assert sum(t.numel for t in iter_tensors(load_spec(name).architecture) if ".experts." in t.path) == fused


def test_mixtral_expert_names_follow_the_checkpoint_files():
    names = set(_ours(load_spec("mixtral-8x7b")))
    # mistralai/Mixtral-8x7B-v0.1, model.safetensors.index.json
    assert "model.layers.0.block_sparse_moe.experts.3.w1.weight" in names
    assert "model.layers.31.block_sparse_moe.gate.weight" in names
    assert "lm_head.weight" in names


# --------------------------------------------------------------------------- against the model cards


def _billions(n: int, digits: int) -> float:
    return round(n / 1e9, digits)


@pytest.mark.parametrize(
    "name, total, active, digits",
    [
        # mistral.ai/news/mixtral-of-experts: '46.7B total parameters but only uses 12.9B parameters per token'
        ("mixtral-8x7b", 46.7, 12.9, 1),
        # mistral.ai/news/mixtral-8x22b: '141B parameters', 'only 39B active'
        ("mixtral-8x22b", 141, 39, 0),
        # qwenlm.github.io/blog/qwen-moe: '14.3B parameters in total and 2.7B activated parameters'
        ("qwen2-moe-a2.7b", 14.3, 2.7, 1),
        # DeepSeek-V2 paper, abstract: '236B total parameters, of which 21B are activated for each token'
        ("deepseek-v2", 236, 21, 0),
    ],
)
def test_moe_totals_and_active_match_model_cards(name, total, active, digits):
    report = count(load_spec(name))
    assert _billions(report.total_params, digits) == total
    assert _billions(report.active_params, digits) == active


def test_arctic_matches_model_card():
    # Arctic model card: 'a 10B dense transformer model with a residual 128x3.66B MoE MLP resulting in
    # 480B total and 17B active parameters chosen using a top-2 gating'
    report = count(load_spec("snowflake-arctic"))
    dense = sum(report.components[c] for c in ("embedding", "attention", "feed_forward", "head"))
    one_expert = report.components["experts"] // 128
    assert _billions(dense, 0) == 10
    assert _billions(one_expert, 2) == 3.66
    assert _billions(report.active_params, 0) == 17
    # 10B + 128 x 3.66B = 478.5B, which the card rounds to 480B
    assert abs(report.total_params - 480e9) / 480e9 < 0.005
    assert (report.total_params, report.active_params) == arctic_written_out(ARCTIC_CONFIG)


# Snowflake/snowflake-arctic-base config.json, shape fields (the rest do not change shapes)
ARCTIC_CONFIG = {
    "architectures": ["ArcticForCausalLM"], "model_type": "arctic", "hidden_size": 7168,
    "intermediate_size": 4864, "num_hidden_layers": 35, "num_attention_heads": 56, "num_key_value_heads": 8,
    "num_local_experts": 128, "num_experts_per_tok": 2, "moe_layer_frequency": 1, "use_residual": True,
    "parallel_attn_mlp_res": True, "vocab_size": 32000, "tie_word_embeddings": False, "rms_norm_eps": 1e-05,
    "rope_theta": 10000, "max_position_embeddings": 4096, "hidden_act": "silu", "quantization": None,
}  # fmt: skip


def arctic_written_out(c: dict) -> tuple[int, int]:
    """(total, active) of an Arctic config whose every layer is MoE, term by term as Snowflake's
    modeling_arctic.py builds it (ported to vLLM's arctic.py and TensorRT-LLM): per layer q and o
    (d x d), k and v (d x kv_heads*head_dim), two RMSNorms, a router (n_experts x d), n_experts
    SwiGLU experts (3 x d x d_ff), and the residual RMSNorm and SwiGLU MLP of width d; then the
    embedding, the final RMSNorm and the untied head. Active: top_k of the experts."""
    d, ff, layers, vocab = c["hidden_size"], c["intermediate_size"], c["num_hidden_layers"], c["vocab_size"]
    head_dim = d // c["num_attention_heads"]
    assert c["moe_layer_frequency"] == 1 and c["use_residual"] and not c["tie_word_embeddings"]
    attention = 2 * d * d + 2 * d * c["num_key_value_heads"] * head_dim
    expert = 3 * d * ff
    shared = attention + 2 * d + c["num_local_experts"] * d + d + 3 * d * d
    total = vocab * d + layers * (shared + c["num_local_experts"] * expert) + d + d * vocab
    active = total - layers * (c["num_local_experts"] - c["num_experts_per_tok"]) * expert
    return total, active


def test_arctic_imported_published_config_counts_as_written_out(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(ARCTIC_CONFIG))
    imported = count(registry.load(path)[0])
    assert (imported.total_params, imported.active_params) == arctic_written_out(ARCTIC_CONFIG)


def test_nemotron_matches_technical_report():
    # Nemotron-4 340B Technical Report, Section 2.1: 9.4B embedding and 331.6B non-embedding parameters
    report = count(load_spec("nemotron-4-340b"))
    embedding = report.components["embedding"] + report.components["head"]
    assert _billions(embedding, 1) == 9.4
    assert _billions(report.total_params - embedding, 1) == 331.6


# --------------------------------------------------------------------------- layer patterns


def _moe_layers(model: registry.Model) -> set[int]:
    return {int(t.path.split(".")[2]) for t in iter_tensors(model.architecture) if ".experts." in t.path}


def test_llama_moe_layer_pattern_follows_transformers_rule():
    # Qwen2MoeDecoderLayer: MoE when layer not in mlp_only_layers and (layer + 1) % decoder_sparse_step == 0;
    # DeepseekV2DecoderLayer: MoE when layer >= first_k_dense_replace
    model = registry.build_model(
        "llama-moe", vocab_size=10, d_model=8, n_layers=9, n_heads=2, d_ff=4, n_experts=3, top_k=1,
        moe_every=2, first_dense=2, dense_layers=[5],
    )  # fmt: skip
    assert _moe_layers(model) == {3, 7}
    rows = count(model).layers
    assert [r.path for r in rows if r.first is None] == ["model.embed_tokens", "model.norm", "lm_head"]
    layers = sorted(r.first + k * r.stride for r in rows if r.first is not None for k in range(r.count))
    assert layers == list(range(9))
    assert all(r.path == "model.layers" for r in rows if r.first is not None)


def moe_rule(i: int, moe_every: int, first_dense: int, dense_layers: tuple[int, ...]) -> bool:
    """transformers' rule, written out per layer (Qwen2MoeDecoderLayer / DeepseekV2DecoderLayer)."""
    return i >= first_dense and (i + 1) % moe_every == 0 and i not in dense_layers


@settings(max_examples=200, deadline=None)
@given(n=st.integers(1, 60), k=st.integers(1, 8), first=st.integers(0, 10),
       dense=st.lists(st.integers(0, 70), max_size=4).map(tuple))  # fmt: skip
def test_moe_runs_cover_every_layer_once(n, k, first, dense):
    from registry.plugins.decoder import moe_runs

    covered = sorted((start + j * stride, kind) for kind, start, count, stride in moe_runs(n, k, first, dense)
                     for j in range(count))  # fmt: skip
    assert covered == [(i, "moe" if moe_rule(i, k, first, dense) else "dense") for i in range(n)]


def test_moe_runs_of_a_huge_model_are_few():
    from registry.plugins.decoder import moe_runs

    runs = moe_runs(10**30, 2, 1, (5,))
    assert len(runs) <= 6
    assert sum(count for _, _, count, _ in runs) == 10**30

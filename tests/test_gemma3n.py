"""Gemma 3n's language model beyond its counts (tests/test_types_table.py checks those): the KV cache of its
shared layers against transformers' cache, and the FLOPs of a layer that shares keys and values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import registry
from registry.analyses.flops_terms import forward_terms
from registry.analyses.kv_cache import cache_groups
from tests._hf_configs import quiet_transformers

SMALL = {"model_type": "gemma3n_text", "architectures": ["Gemma3nForCausalLM"], "hidden_size": 16,
         "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 8, "intermediate_size": 24, "vocab_size": 50,
         "vocab_size_per_layer_input": 40, "hidden_size_per_layer_input": 4, "laurel_rank": 2,
         "sliding_window": 6}  # fmt: skip
CASES = [
    {"num_hidden_layers": 10, "num_kv_shared_layers": 5},
    {"num_hidden_layers": 6, "num_kv_shared_layers": 2,
     "layer_types": ["sliding_attention", "full_attention", "sliding_attention", "full_attention", "full_attention",
                     "sliding_attention"]},
    {"num_hidden_layers": 4, "num_kv_shared_layers": 0},
    {"num_hidden_layers": 35, "num_kv_shared_layers": 15},
]  # fmt: skip


def _model(tmp_path: Path, case: dict) -> registry.Model:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({**SMALL, **case}))
    return registry.load(path)[0]


@pytest.mark.parametrize("case", CASES)
def test_shared_layers_keep_no_cache_as_transformers_cache_gives_them_none(case, tmp_path):
    """transformers' ``DynamicCache(config=...)`` (cache_utils.py: a ``DummyLayer`` for each layer whose
    ``kv_sharing_modes`` entry is "reuse") keeps keys and values for the other layers only, sliding or full."""
    pytest.importorskip("torch")
    transformers = quiet_transformers()
    config = transformers.Gemma3nTextConfig(**{k: v for k, v in {**SMALL, **case}.items() if k not in ("model_type", "architectures")})
    layers = transformers.DynamicCache(config=config).layers
    kinds = [type(layer).__name__ for layer in layers]
    expected = {"sliding": kinds.count("DynamicSlidingWindowLayer"), "full": kinds.count("DynamicLayer")}
    assert kinds.count("DummyLayer") == case["num_kv_shared_layers"]
    groups, notes = cache_groups(_model(tmp_path, case).architecture, seq_len=100, batch=1, bits=16)
    ours = {"sliding": sum(g.layers for g in groups if g.kind.startswith("sliding")),
            "full": sum(g.layers for g in groups if g.kind == "full attention")}  # fmt: skip
    assert ours == expected and not notes
    assert all(g.values_per_token == 2 * 2 * 8 for g in groups)  # keys and values of 2 heads of 8


def test_a_shared_layer_projects_queries_only(tmp_path):
    """``Gemma3nTextAttention`` builds ``k_proj`` and ``v_proj`` only where the layer does not reuse another's keys
    and values, so Appendix F's ``attention_qkv`` term is 2·s·d·(inner + 2·kv) per own layer, 2·s·d·inner per
    shared one; the scores still run over the cached keys (a sliding layer's window)."""
    case = {"num_hidden_layers": 10, "num_kv_shared_layers": 5}
    terms, _ = forward_terms(_model(tmp_path, case), seq_len=32)
    s, d, inner, kv = 32, 16, 4 * 8, 2 * 8
    assert terms["attention_qkv"] == 10 * 2 * s * d * inner + 5 * 2 * s * d * 2 * kv
    windows = [min(32, 6) if (i + 1) % 5 else 32 for i in range(10)]  # every fifth layer full (layer_types default)
    assert terms["attention_logits"] == sum(2 * s * k * inner for k in windows)

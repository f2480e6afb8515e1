"""Gemma 4's attention switch (``Attention.kv_projections``) against transformers' module, its cache and FLOPs.

Reference: transformers 5.25's ``Gemma4TextAttention`` (``models/gemma4/modeling_gemma4.py``) on the meta device:
a global layer with ``attention_k_eq_v`` has no value projection, a kv-shared layer (the last
``num_kv_shared_layers``) no key or value projection and no key norm; the value norm has no weight.
"""

from __future__ import annotations

import pytest

from registry import iter_tensors
from registry.analyses.kv_cache import cache_groups
from registry.blocks import Attention, Module
from tests._hf_configs import quiet_transformers


def _reference(layer: int):
    import torch

    from transformers.models.gemma4 import modeling_gemma4

    config = quiet_transformers().Gemma4TextConfig(
        num_hidden_layers=4, hidden_size=32, num_attention_heads=4, num_key_value_heads=2, head_dim=8,
        global_head_dim=16, num_global_key_value_heads=1, attention_k_eq_v=True, num_kv_shared_layers=2,
        layer_types=["sliding_attention", "full_attention"] * 2, vocab_size=16, hidden_size_per_layer_input=0,
    )  # fmt: skip
    with torch.device("meta"):
        return modeling_gemma4.Gemma4TextAttention(config, layer)


@pytest.mark.parametrize("layer, fields", [
    (0, dict(n_kv_heads=2, head_dim=8, kv_projections="keys_values", sliding_window=512)),
    (1, dict(n_kv_heads=1, head_dim=16, kv_projections="keys")),
    (2, dict(n_kv_heads=2, head_dim=8, kv_projections="none", sliding_window=512)),
    (3, dict(n_kv_heads=1, head_dim=16, kv_projections="none")),
])  # fmt: skip
def test_kv_projections_are_gemma4(layer, fields):
    module = _reference(layer)
    block = Attention(d_model=32, n_heads=4, bias=False, qk_norm="head", **fields)
    assert {t.path: tuple(t.shape) for t in iter_tensors(block)} == {
        n: tuple(p.shape) for n, p in module.named_parameters()}
    assert block.tally.params == sum(p.numel() for p in module.parameters())


def test_kv_shared_layers_cache_nothing_of_their_own():
    own = Attention(d_model=32, n_heads=4, n_kv_heads=1, head_dim=16, kv_projections="keys")
    shared = Attention(d_model=32, n_heads=4, n_kv_heads=1, head_dim=16, kv_projections="none")
    groups, _ = cache_groups(Module(blocks=[own, shared]), 100, 1, 16)
    assert [(g.kind, g.layers, g.values_per_token) for g in groups] == [("full attention", 1, 2 * 16)]


def test_kv_projections_flops():
    from registry.analyses.flops import forward_terms
    from registry.model import Model

    seq = 8
    for projections, own in (("keys_values", 2), ("keys", 1), ("none", 0)):
        block = Attention(d_model=32, n_heads=4, n_kv_heads=1, head_dim=16, kv_projections=projections)
        terms, _ = forward_terms(Model(name="g4", architecture=Module(blocks=[block])), seq)
        assert terms["attention_qkv"] == 2 * seq * 32 * (4 * 16 + own * 16)


def test_fused_qkv_has_keys_and_values():
    with pytest.raises(ValueError, match="keys and values"):
        Attention(d_model=32, n_heads=4, fused_qkv=True, kv_projections="keys")

"""DeepSeek-V4's attention (``compressed_attention``) against transformers' module, its cache and its FLOPs.

Reference: transformers 5.25's ``DeepseekV4Attention`` (``models/deepseek_v4/modeling_deepseek_v4.py``), built on
the meta device for hypothesis-random small configs of each layer type (sliding, compressed sparse, heavily
compressed): its parameters, name for name and shape for shape, are the block's tensors. The cache and FLOPs
follow the block's docstring (DeepSeek-AI 2026, "DeepSeek-V4", section 2.3).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from registry import iter_tensors
from registry.analyses.kv_cache import cache_groups
from registry.blocks import CompressedAttention, Module
from tests._hf_configs import quiet_transformers

_KINDS = {"sliding_attention": (0, False), "compressed_sparse_attention": (4, True),
          "heavily_compressed_attention": (128, False)}  # fmt: skip


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(_KINDS)), st.integers(1, 4), st.sampled_from([16, 32]), st.integers(1, 12),
       st.sampled_from([1, 2]), st.integers(1, 6), st.integers(1, 3), st.sampled_from([8, 16]), st.integers(4, 40))
def test_compressed_attention_is_deepseek_v4(kind, heads, head_dim, q_rank, groups, o_rank, i_heads, i_dim, d):
    import importlib

    import torch

    transformers = quiet_transformers()
    config = transformers.DeepseekV4Config(
        hidden_size=d, num_attention_heads=heads, head_dim=head_dim, q_lora_rank=q_rank, o_groups=groups,
        o_lora_rank=o_rank, index_n_heads=i_heads, index_head_dim=i_dim, num_hidden_layers=1, layer_types=[kind],
        vocab_size=16,
    )  # fmt: skip
    modeling = importlib.import_module("transformers.models.deepseek_v4.modeling_deepseek_v4")
    with torch.device("meta"):
        module = modeling.DeepseekV4Attention(config, 0)
    rate, csa = _KINDS[kind]
    block = CompressedAttention(
        d_model=d, n_heads=heads, head_dim=head_dim, q_lora_rank=q_rank, o_groups=groups, o_lora_rank=o_rank,
        sliding_window=128, compress_rate=rate, overlap=csa, index_n_heads=i_heads if csa else None,
        index_head_dim=i_dim if csa else None,
    )  # fmt: skip
    assert {t.path: tuple(t.shape) for t in iter_tensors(block)} == {
        name: tuple(p.shape) for name, p in module.named_parameters()}
    assert block.tally.params == sum(p.numel() for p in module.parameters())


def _csa(**extra) -> CompressedAttention:
    fields = dict(d_model=64, n_heads=4, head_dim=32, q_lora_rank=16, o_groups=2, o_lora_rank=8, sliding_window=128,
                  compress_rate=4, overlap=True, index_n_heads=2, index_head_dim=16)  # fmt: skip
    return CompressedAttention(**{**fields, **extra})


def test_compressed_attention_cache():
    """The window's key/value (at most sliding_window tokens), one compressed entry per compress_rate tokens,
    and for CSA as many indexer keys: each group at its own width."""
    groups, notes = cache_groups(_csa(), 1001, 1, 16)
    kept = {g.kind: (g.tokens, g.values_per_token, g.tokens_per_entry, g.bytes) for g in groups}
    assert kept == {"sliding window 128": (128, 32, 1, 128 * 32 * 2), "compressed 1/4": (251, 32, 4, 251 * 32 * 2),
                    "indexer 1/4": (251, 16, 4, 251 * 16 * 2)}  # fmt: skip
    assert not notes
    assert "tokens_per_entry" not in groups[0].to_dict() and groups[1].to_dict()["tokens_per_entry"] == 4


def test_compressed_attention_flops():
    """Scores against the window and the compressed entries; the grouped output projection is attention_output."""
    from registry.analyses.flops import forward_terms
    from registry.model import Model

    block, seq = _csa(), 256
    terms, notes = forward_terms(Model(name="v4", architecture=Module(blocks=[block])), seq)
    keys = 128 + 256 // 4
    assert terms["attention_logits"] == terms["attention_values"] == 2 * seq * keys * 4 * 32
    assert terms["attention_softmax"] == 3 * 4 * seq * keys
    assert terms["attention_output"] == 2 * seq * (64 * 16 + 16 * 64)
    linears = sum(t.numel for t in iter_tensors(block) if t.path.endswith("proj.weight"))
    assert terms["attention_qkv"] + terms["attention_output"] == 2 * seq * linears
    assert not any("not known" in note for note in notes)


@pytest.mark.parametrize("extra, message", [
    (dict(o_groups=5), "must divide"),
    (dict(index_n_heads=None), "comes with overlap"),
])  # fmt: skip
def test_bad_compressed_attention_is_one_readable_error(extra, message):
    with pytest.raises(ValidationError, match=message):
        _csa(**extra)

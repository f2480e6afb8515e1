"""The cache per kind of layer against the published figures the issue names (Mistral-7B-v0.1's 4,096-token
window at 32,768 tokens; Gemma-2-9B's local and global layers at 8,192 tokens), against transformers'
own per-layer settings (config.layer_types, sliding_window) for published and random configs, and
against transformers' cache shapes for Mamba, RWKV and cross-attention."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.analyses.kv_cache import cache_groups
from registry.blocks import Attention, Repeat
from registry.sources.hf_config import load_config
from registry.sources.loading import load
from registry.analyses.memory import memory

ROOT = Path(__file__).resolve().parents[1]
SPECS, CONFIGS = ROOT / "specs", ROOT / "tests" / "configs"


def run_cli(capsys, *argv):
    from registry.cli import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_mistral_7b_caches_its_window_at_32k(capsys):
    """Mistral-7B-v0.1 at 32,768 tokens: 4,096 tokens a layer, 32 x 2 x 8 x 128 x 4,096 x 2 = 536,870,912 bytes."""
    code, out, _ = run_cli(capsys, "memory", str(SPECS / "mistral-7b.toml"), "--seq-len", "32768", "--batch", "1",
                           "--format", "json")  # fmt: skip
    row = json.loads(out)[0]
    assert code == 0 and row["kv_cache_bytes"] == 536_870_912 == 32 * 2 * 8 * 128 * 4096 * 2
    [group] = row["kv_cache_by_kind"]
    assert (group["kind"], group["layers"], group["tokens"]) == ("sliding window 4,096", 32, 4096)
    assert row["kv_cache_bytes_per_token"] * 32768 == 4_294_967_296  # what a full cache would take


def test_gemma_2_9b_local_and_global_layers_at_8k():
    """Gemma-2-9B at 8,192 tokens: 21 local layers keep a 4,096-token window, 21 global layers 8,192 tokens."""
    report = memory(load(SPECS / "gemma-2-9b.toml")[0], seq_len=8192)
    kinds = {g.kind: g for g in report.kv_cache_by_kind}
    local, full = kinds["sliding window 4,096"], kinds["full attention"]
    assert (local.layers, local.tokens, full.layers, full.tokens) == (21, 4096, 21, 8192)
    per_token_layer = 2 * 8 * 256 * 2
    assert report.kv_cache_bytes == per_token_layer * 21 * (4096 + 8192)


def _windows(model) -> list[int | None]:
    """Each layer's sliding window, by layer number, from the block tree."""
    out: dict[int, int | None] = {}

    def walk(block):
        if isinstance(block, Repeat) and block.name.endswith("layers"):
            attn = [b for b in block.blocks if isinstance(b, Attention)]
            for i in block.indices:
                out[i] = attn[0].sliding_window
            return
        for child in getattr(block, "blocks", None) or block.children():
            walk(child)

    walk(model.architecture)
    return [out[i] for i in sorted(out)]


def _reference_windows(config) -> list[int | None]:
    """transformers' per-layer window: layer_types where the model reads them, else sliding_window everywhere."""
    types = getattr(config, "layer_types", None)
    if types is None or config.model_type in ("mistral", "mixtral", "phi3", "phimoe"):
        return [config.sliding_window] * config.num_hidden_layers
    return [config.sliding_window if t == "sliding_attention" else None for t in types]


@pytest.mark.parametrize("folder", ["mistral-7b-v0.1", "gemma-2-9b", "gemma-3-1b-it", "qwen2-7b", "qwen3-8b",
                                    "mixtral-8x7b-v0.1", "phi-3.5-moe-instruct", "qwen3-30b-a3b"])  # fmt: skip
def test_published_configs_slide_where_transformers_does(folder):
    from transformers import AutoConfig

    path = CONFIGS / folder / "config.json"
    config = AutoConfig.for_model(**json.loads(path.read_text()))
    assert _windows(load_config(path)[0]) == _reference_windows(config)


@settings(max_examples=25, deadline=None)
@given(
    model_type=st.sampled_from(["qwen2", "qwen3", "gemma2", "gemma3_text", "mistral"]),
    layers=st.integers(1, 12), window=st.integers(1, 5000), use=st.booleans(),
    max_window=st.integers(0, 14), pattern=st.integers(1, 7), explicit=st.booleans(), seed=st.randoms(),
)
def test_random_configs_slide_where_transformers_does(tmp_path_factory, model_type, layers, window, use, max_window,
                                                      pattern, explicit, seed):  # fmt: skip
    from transformers import AutoConfig

    data = {"model_type": model_type, "num_hidden_layers": layers, "hidden_size": 64, "num_attention_heads": 4,
            "num_key_value_heads": 2, "head_dim": 16, "intermediate_size": 96, "vocab_size": 100,
            "sliding_window": window}  # fmt: skip
    if model_type.startswith("qwen"):
        data |= {"use_sliding_window": use, "max_window_layers": max_window}
    if model_type == "gemma3_text":
        data["sliding_window_pattern"] = pattern
    if explicit and model_type != "mistral":
        data["layer_types"] = [seed.choice(["sliding_attention", "full_attention"]) for _ in range(layers)]
    path = tmp_path_factory.mktemp("cfg") / "config.json"
    path.write_text(json.dumps(data))
    config = AutoConfig.for_model(**data)
    assert _windows(load_config(path)[0]) == _reference_windows(config)


def test_mamba_state_is_transformers_cache_shapes():
    """transformers' Mamba cache: conv states (batch, intermediate_size, conv_kernel) and ssm states
    (batch, intermediate_size, state_size) per layer, constant in the sequence length."""
    model = load_config(CONFIGS / "mamba-130m-hf" / "config.json")[0]
    cfg = json.loads((CONFIGS / "mamba-130m-hf" / "config.json").read_text())
    inner = cfg.get("intermediate_size") or cfg["expand"] * cfg["hidden_size"]
    per_layer = inner * cfg.get("conv_kernel", 4) + inner * cfg.get("state_size", 16)
    for seq in (16, 4096):
        [group], _ = cache_groups(model.architecture, seq, 3, 16)
        assert group.kind == "ssm state" and group.tokens is None
        assert group.bytes == cfg["num_hidden_layers"] * per_layer * 3 * 2


def test_rwkv_state_is_transformers_state():
    """RwkvModel's state: five (batch, hidden_size, layers) tensors, two at the model's type, three fp32."""
    model = load_config(CONFIGS / "rwkv-4-169m-pile" / "config.json")[0]
    cfg = json.loads((CONFIGS / "rwkv-4-169m-pile" / "config.json").read_text())
    d, layers = cfg["hidden_size"], cfg["num_hidden_layers"]
    groups, _ = cache_groups(model.architecture, 1000, 1, 16)
    assert sum(g.bytes for g in groups) == layers * (2 * d * 2 + 3 * d * 4)


def test_encoder_decoder_caches_decoder_self_attention_and_the_encoder_for_cross_attention():
    model = load(SPECS / "t5-base.toml")[0]
    report = memory(model, seq_len=100, encoder_len=512)
    kinds = {g.kind: g for g in report.kv_cache_by_kind}
    assert set(kinds) == {"full attention", "cross attention"}  # the encoder's own attention keeps nothing
    assert (kinds["full attention"].layers, kinds["full attention"].tokens) == (12, 100)
    assert (kinds["cross attention"].layers, kinds["cross attention"].tokens) == (12, 512)
    assert kinds["cross attention"].bytes == 12 * 2 * 12 * 64 * 512 * 2


def test_albert_shared_layers_cache_at_each_use():
    model = load_config(CONFIGS / "albert-base-v2" / "config.json")[0]
    [group], _ = cache_groups(model.architecture, 10, 1, 16)
    assert group.layers == 12  # one shared layer used 12 times

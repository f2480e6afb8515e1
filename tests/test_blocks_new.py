"""The recurrent and hybrid block kinds, and the switches on existing blocks, against transformers' modules.

Reference: each test names the transformers class it builds, for hypothesis-random small
configs, on the meta device (``with torch.device("meta"): module = Cls(config, layer_idx=0)``),
and compares ``{name: tuple(shape)}`` of ``module.named_parameters()`` with the block's
tensors (path → shape) exactly, and the total with the block's count. Where the published
checkpoints name a tensor otherwise than transformers holds it in memory (OLMo-hybrid's and
Kimi Linear's convolutions, Kimi's forget gate), the block is given transformers' names
through its ``names`` and ``split_conv`` switches, and the checkpoints' layout is compared by
count. Every class is in transformers 5.25 (``transformers/models/<type>/modeling_<type>.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from registry import iter_tensors
from registry.analyses.kv_cache import cache_groups
from registry.blocks import (
    RGLRU, Attention, FeedForward, FusedExperts, GatedDeltaNet, KimiDeltaAttention, LatentAttention, LightningAttention,
    Mamba2Mixer, MixtureOfAttention, Module, Repeat, ShortConv,
)  # fmt: skip
from tests._hf_configs import quiet_transformers

_SMALL = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_EVEN = st.integers(1, 3).map(lambda n: 2 * n)  # rotary head widths: transformers 5.25 refuses an odd one


def _module(model_type: str, cls_name: str, config_cls: str, fields: dict[str, Any], *args: Any) -> Any:
    """transformers' ``cls_name`` of ``models/<model_type>``, built on the meta device from ``config_cls(**fields)``."""
    import importlib

    import torch

    transformers = quiet_transformers()
    config = getattr(transformers, config_cls)(**fields)
    module = importlib.import_module(f"transformers.models.{model_type}.modeling_{model_type}")
    with torch.device("meta"):
        return getattr(module, cls_name)(config, *args)


def _same_tensors(module: Any, block: Any) -> None:
    """The block's tensors are the module's parameters, name for name and shape for shape; the totals agree."""
    reference = {name: tuple(p.shape) for name, p in module.named_parameters()}
    ours = {t.path: tuple(t.shape) for t in iter_tensors(block)}
    assert ours == reference
    assert block.tally.params == sum(p.numel() for p in module.parameters())


# --------------------------------------------------------------------------- gated DeltaNet


@st.composite
def _delta_heads(draw: Callable) -> dict[str, int]:
    k_heads = draw(st.integers(1, 3))
    return dict(
        hidden_size=draw(st.integers(1, 24)), linear_num_key_heads=k_heads,
        linear_num_value_heads=k_heads * draw(st.integers(1, 3)), linear_key_head_dim=draw(st.integers(1, 6)),
        linear_value_head_dim=draw(st.integers(1, 6)), linear_conv_kernel_dim=draw(st.integers(1, 5)),
    )  # fmt: skip


def _gated_deltanet(fields: dict[str, int], **switches: Any) -> GatedDeltaNet:
    return GatedDeltaNet(
        d_model=fields["hidden_size"], n_k_heads=fields["linear_num_key_heads"],
        n_v_heads=fields["linear_num_value_heads"], head_k_dim=fields["linear_key_head_dim"],
        head_v_dim=fields["linear_value_head_dim"], d_conv=fields["linear_conv_kernel_dim"], **switches,
    )  # fmt: skip


@_SMALL
@given(_delta_heads())
def test_gated_deltanet_fused_is_qwen3_next(fields):
    """Reference: transformers' Qwen3NextGatedDeltaNet (in_proj_qkvz, in_proj_ba)."""
    module = _module("qwen3_next", "Qwen3NextGatedDeltaNet", "Qwen3NextConfig", {**fields, "num_hidden_layers": 1}, 0)
    _same_tensors(module, _gated_deltanet(fields))


@_SMALL
@given(_delta_heads())
def test_gated_deltanet_split_is_qwen3_5(fields):
    """Reference: transformers' Qwen3_5GatedDeltaNet (in_proj_qkv, in_proj_z, in_proj_b, in_proj_a)."""
    module = _module("qwen3_5", "Qwen3_5GatedDeltaNet", "Qwen3_5TextConfig", {**fields, "num_hidden_layers": 1}, 0)
    _same_tensors(module, _gated_deltanet(fields, projections="split"))


_OLMO_NAMES = {"z": "g_proj", "b": "b_proj", "a": "a_proj", "norm": "o_norm", "out": "o_proj"}


@_SMALL
@given(_delta_heads())
def test_gated_deltanet_separate_is_olmo_hybrid(fields):
    """Reference: transformers' OlmoHybridGatedDeltaNet (one projection each; the checkpoints' q_conv1d,
    k_conv1d, v_conv1d concatenated into conv1d, so split_conv = false here and the same count with it)."""
    config = {**fields, "num_hidden_layers": 2, "layer_types": ["linear_attention", "full_attention"]}
    module = _module("olmo_hybrid", "OlmoHybridGatedDeltaNet", "OlmoHybridConfig", config, 0)
    _same_tensors(module, _gated_deltanet(fields, projections="separate", names=_OLMO_NAMES))
    checkpoint = _gated_deltanet(fields, projections="separate", names=_OLMO_NAMES, split_conv=True)
    assert {t.path for t in iter_tensors(checkpoint)} >= {"q_conv1d.weight", "k_conv1d.weight", "v_conv1d.weight"}
    assert checkpoint.tally.params == sum(p.numel() for p in module.parameters())


def test_gated_deltanet_state_is_transformers_cache_shapes():
    """transformers' linear-attention cache: conv states (batch, 2K + V, kernel) at the model's type and
    recurrent states (batch, n_v_heads, head_k_dim, head_v_dim) in fp32, whatever the sequence length."""
    block = GatedDeltaNet(d_model=64, n_k_heads=2, n_v_heads=4, head_k_dim=8, head_v_dim=16, d_conv=4)
    conv, recurrent = (2 * 16 + 64) * 4, 4 * 8 * 16
    for seq in (1, 100_000):
        [group], notes = cache_groups(Repeat(count=3, blocks=[block]), seq, 2, 16)
        assert group.kind == "gated deltanet state" and group.tokens is None and not notes
        assert group.bytes == 3 * 2 * (conv * 2 + recurrent * 4)


# --------------------------------------------------------------------------- Kimi Delta Attention

_KIMI_TRANSFORMERS = {
    "f_a": "forget_gate.f_a_proj", "f_b": "forget_gate.f_b_proj", "dt_bias": "forget_gate.dt_bias",
    "a_log": "forget_gate.A_log",
}  # fmt: skip


@_SMALL
@given(st.integers(1, 24), st.integers(1, 4), st.integers(1, 6), st.integers(1, 5))
def test_kimi_delta_attention_is_kimi_linear(d, heads, head_dim, kernel):
    """Reference: transformers' KimiLinearDeltaAttention and KimiLinearForgetGate. transformers holds the
    forget gate under forget_gate. and one conv1d; the checkpoints' names (its conversion mapping) are the
    block's defaults, with the same count."""
    config = dict(hidden_size=d, linear_num_heads=heads, linear_head_dim=head_dim, linear_conv_kernel_dim=kernel,
                  num_hidden_layers=1, layer_types=["linear_attention"])  # fmt: skip
    module = _module("kimi_linear", "KimiLinearDeltaAttention", "KimiLinearConfig", config, 0)
    fields = dict(d_model=d, n_heads=heads, head_dim=head_dim, d_conv=kernel)
    _same_tensors(module, KimiDeltaAttention(**fields, split_conv=False, names=_KIMI_TRANSFORMERS))
    checkpoint = KimiDeltaAttention(**fields)
    paths = {t.path for t in iter_tensors(checkpoint)}
    assert {"q_conv1d.weight", "f_a_proj.weight", "f_b_proj.weight", "dt_bias", "A_log"} <= paths
    assert checkpoint.tally.params == sum(p.numel() for p in module.parameters())


def test_kimi_delta_attention_state():
    block = KimiDeltaAttention(d_model=32, n_heads=2, head_dim=8, d_conv=4)
    [group], _ = cache_groups(block, 5000, 1, 16)
    assert group.kind == "kimi delta attention state"
    assert group.bytes == 3 * 16 * 4 * 2 + 2 * 8 * 8 * 4


# --------------------------------------------------------------------------- Mamba-2


@st.composite
def _mamba2(draw: Callable) -> dict[str, Any]:
    groups = draw(st.integers(1, 3))
    heads = groups * draw(st.integers(1, 3))
    return dict(
        d_model=draw(st.integers(1, 12)), n_heads=heads, head_dim=draw(st.integers(1, 4)),
        d_state=draw(st.integers(1, 8)), n_groups=groups, d_conv=draw(st.integers(1, 5)),
        bias=draw(st.booleans()), conv_bias=draw(st.booleans()),
    )  # fmt: skip


def _mamba2_block(f: dict[str, Any], **switches: Any) -> Mamba2Mixer:
    return Mamba2Mixer(
        d_model=f["d_model"], d_inner=f["n_heads"] * f["head_dim"], n_heads=f["n_heads"], head_dim=f["head_dim"],
        d_state=f["d_state"], n_groups=f["n_groups"], d_conv=f["d_conv"], bias=f["bias"],
        conv_bias=f["conv_bias"], **switches,
    )  # fmt: skip


@_SMALL
@given(_mamba2())
def test_mamba2_mixer_is_mamba2(f):
    """Reference: transformers' Mamba2Mixer (expand × hidden_size = n_heads × head_dim here)."""
    d_model = f["n_heads"] * f["head_dim"]  # expand = 1
    f = {**f, "d_model": d_model}
    config = dict(hidden_size=d_model, expand=1, num_heads=f["n_heads"], head_dim=f["head_dim"],
                  state_size=f["d_state"], n_groups=f["n_groups"], conv_kernel=f["d_conv"], use_bias=f["bias"],
                  use_conv_bias=f["conv_bias"], num_hidden_layers=1)  # fmt: skip
    _same_tensors(_module("mamba2", "Mamba2Mixer", "Mamba2Config", config, 0), _mamba2_block(f))


@_SMALL
@given(_mamba2())
def test_mamba2_mixer_is_nemotron_h(f):
    """Reference: transformers' NemotronHMamba2Mixer (inner width mamba_num_heads × mamba_head_dim)."""
    config = dict(hidden_size=f["d_model"], mamba_num_heads=f["n_heads"], mamba_head_dim=f["head_dim"],
                  ssm_state_size=f["d_state"], n_groups=f["n_groups"], conv_kernel=f["d_conv"], use_bias=f["bias"],
                  use_conv_bias=f["conv_bias"], num_hidden_layers=1, layers_block_type=["mamba"])  # fmt: skip
    _same_tensors(_module("nemotron_h", "NemotronHMamba2Mixer", "NemotronHConfig", config, 0), _mamba2_block(f))


@_SMALL
@given(_mamba2())
def test_mamba2_mixer_is_granite_moe_hybrid_and_bamba(f):
    """Reference: transformers' GraniteMoeHybridMambaLayer and BambaMixer (mamba_* fields)."""
    f = {**f, "d_model": f["n_heads"] * f["head_dim"]}
    config = dict(hidden_size=f["d_model"], mamba_expand=1, mamba_n_heads=f["n_heads"], mamba_d_head=f["head_dim"],
                  mamba_d_state=f["d_state"], mamba_n_groups=f["n_groups"], mamba_d_conv=f["d_conv"],
                  mamba_proj_bias=f["bias"], mamba_conv_bias=f["conv_bias"], num_hidden_layers=1)  # fmt: skip
    granite = {**config, "layer_types": ["mamba"]}
    _same_tensors(
        _module("granitemoehybrid", "GraniteMoeHybridMambaLayer", "GraniteMoeHybridConfig", granite, 0),
        _mamba2_block(f),
    )
    _same_tensors(_module("bamba", "BambaMixer", "BambaConfig", config, 0), _mamba2_block(f))


@_SMALL
@given(_mamba2(), st.booleans(), st.booleans(), st.integers(1, 20))
def test_mamba2_mixer_is_falcon_h1(f, out_bias, rms_norm, d_model):
    """Reference: transformers' FalconH1Mixer: the inner width is mamba_d_ssm, the output projection's bias
    is projectors_bias, the gated norm optional (mamba_rms_norm); mup_vector is a buffer."""
    inner = f["n_heads"] * f["head_dim"]
    f = {**f, "d_model": d_model}
    config = dict(hidden_size=d_model, mamba_d_ssm=inner, mamba_n_heads=f["n_heads"], mamba_d_head=f["head_dim"],
                  mamba_d_state=f["d_state"], mamba_n_groups=f["n_groups"], mamba_d_conv=f["d_conv"],
                  mamba_proj_bias=f["bias"], mamba_conv_bias=f["conv_bias"], projectors_bias=out_bias,
                  mamba_rms_norm=rms_norm, num_hidden_layers=1)  # fmt: skip
    block = _mamba2_block(f, out_bias=out_bias, gated_norm=rms_norm)
    _same_tensors(_module("falcon_h1", "FalconH1Mixer", "FalconH1Config", config, 0), block)


@_SMALL
@given(_mamba2())
def test_mamba2_mixer_is_zamba2(f):
    """Reference: transformers' Zamba2MambaMixer: the convolution always has a bias; add_bias_linear for the
    projections; mamba_headdim = mamba_expand × hidden_size / n_mamba_heads."""
    inner = f["n_heads"] * f["head_dim"]
    config = dict(hidden_size=inner, mamba_expand=1, n_mamba_heads=f["n_heads"], mamba_d_state=f["d_state"],
                  mamba_ngroups=f["n_groups"], mamba_d_conv=f["d_conv"], add_bias_linear=f["bias"],
                  num_hidden_layers=1, layers_block_type=["mamba"], num_attention_heads=1)  # fmt: skip
    block = _mamba2_block({**f, "d_model": inner, "conv_bias": True})
    _same_tensors(_module("zamba2", "Zamba2MambaMixer", "Zamba2Config", config, 0), block)


def test_mamba2_state():
    """The conv state (conv_dim × d_conv, model type) and the SSM state (heads × head_dim × d_state, fp32)."""
    block = Mamba2Mixer(d_model=64, d_inner=128, n_heads=8, d_state=16, n_groups=2, d_conv=4)
    [group], _ = cache_groups(block, 10, 1, 16)
    assert group.kind == "mamba-2 state"
    assert group.bytes == (128 + 2 * 2 * 16) * 4 * 2 + 8 * 16 * 16 * 4


# --------------------------------------------------------------------------- short convolution, RG-LRU


@_SMALL
@given(st.integers(1, 24), st.integers(1, 5), st.booleans())
def test_short_conv_is_lfm2(d, kernel, bias):
    """Reference: transformers' Lfm2ShortConv (conv_bias covers the projections and the convolution)."""
    config = dict(hidden_size=d, conv_L_cache=kernel, conv_bias=bias, num_hidden_layers=1, layer_types=["conv"])
    module = _module("lfm2", "Lfm2ShortConv", "Lfm2Config", config, 0)
    _same_tensors(module, ShortConv(d_model=d, d_conv=kernel, bias=bias))
    [group], _ = cache_groups(ShortConv(d_model=d, d_conv=kernel, bias=bias), 99, 1, 16)
    assert group.kind == "short conv state" and group.bytes == d * kernel * 2


@_SMALL
@given(st.integers(1, 24), st.integers(1, 4), st.integers(1, 4), st.integers(1, 5))
def test_rg_lru_is_recurrent_gemma(d, heads, block_width, kernel):
    """Reference: transformers' RecurrentGemmaRecurrentBlock and RecurrentGemmaRglru."""
    width = heads * block_width
    config = dict(hidden_size=d, lru_width=width, num_attention_heads=heads, conv1d_width=kernel, num_hidden_layers=1)
    module = _module("recurrent_gemma", "RecurrentGemmaRecurrentBlock", "RecurrentGemmaConfig", config, 0)
    block = RGLRU(d_model=d, lru_width=width, n_heads=heads, d_conv=kernel)
    _same_tensors(module, block)
    [group], _ = cache_groups(block, 99, 1, 16)
    assert group.kind == "rg-lru state" and group.bytes == width * (kernel - 1) * 2 + width * 4


# --------------------------------------------------------------------------- gpt-oss: sinks, biased transposed experts


@_SMALL
@given(st.integers(1, 3), st.integers(1, 3), _EVEN, st.integers(1, 20), st.integers(1, 4), st.integers(1, 8))
def test_gpt_oss_sinks_and_experts(kv_heads, groups, head_dim, d, experts, d_ff):
    """Reference: transformers' GptOssAttention (sinks) and GptOssMLP (GptOssTopKRouter with a bias,
    GptOssExperts: gate_up_proj (E, d_model, 2·d_ff), down_proj (E, d_ff, d_model), both with biases)."""
    heads = kv_heads * groups
    config = dict(hidden_size=d, num_attention_heads=heads, num_key_value_heads=kv_heads, head_dim=head_dim,
                  num_local_experts=experts, num_experts_per_tok=1, intermediate_size=d_ff, num_hidden_layers=1)  # fmt: skip
    attention = _module("gpt_oss", "GptOssAttention", "GptOssConfig", config, 0)
    _same_tensors(attention, Attention(d_model=d, n_heads=heads, n_kv_heads=kv_heads, head_dim=head_dim, sinks=True))
    from registry.blocks import Linear

    mlp = Module(blocks=[
        Linear(name="router", in_features=d, out_features=experts, component="router"),
        FusedExperts(name="experts", d_model=d, d_ff=d_ff, n_experts=experts, top_k=1, bias=True, transposed=True),
    ])  # fmt: skip
    _same_tensors(_module("gpt_oss", "GptOssMLP", "GptOssConfig", config), mlp)


@_SMALL
@given(st.integers(1, 2), st.integers(1, 3), _EVEN, st.integers(1, 6), st.integers(1, 20))
def test_value_heads_and_sliding_layers_are_mimo_v2_flash(kv_heads, groups, head_dim, v_head_dim, d):
    """Reference: transformers' MiMoV2FlashAttention: value heads of v_head_dim, and on a sliding layer twice the
    key/value heads and one sink per query head; the KV cache keeps a key and a value per head and token."""
    heads = 2 * kv_heads * groups
    config = dict(hidden_size=d, num_attention_heads=heads, num_key_value_heads=kv_heads, head_dim=head_dim,
                  v_head_dim=v_head_dim, num_hidden_layers=2, layer_types=["full_attention", "sliding_attention"])  # fmt: skip
    full = Attention(d_model=d, n_heads=heads, n_kv_heads=kv_heads, head_dim=head_dim, v_head_dim=v_head_dim, bias=False)
    sliding = full.model_copy(update={"n_kv_heads": 2 * kv_heads, "sinks": True, "sliding_window": 4})
    _same_tensors(_module("mimo_v2_flash", "MiMoV2FlashAttention", "MiMoV2FlashConfig", config, 0), full)
    _same_tensors(_module("mimo_v2_flash", "MiMoV2FlashAttention", "MiMoV2FlashConfig", config, 1), sliding)
    [group], _ = cache_groups(full, 10, 1, 16)
    assert group.values_per_token == kv_heads * (head_dim + v_head_dim)


# --------------------------------------------------------------------------- DeepSeek-V3.2, JetMoE, BitNet


@_SMALL
@given(st.integers(1, 20), st.integers(1, 3), st.integers(1, 6), st.integers(1, 6), st.integers(1, 4),
       _EVEN, st.integers(1, 4), st.integers(1, 3), _EVEN, st.booleans())  # fmt: skip
def test_latent_attention_indexer_is_deepseek_v32(d, heads, q_rank, kv_rank, nope, rope, v, i_heads, i_dim, bias):
    """Reference: transformers' DeepseekV32Attention with its DeepseekV32Indexer."""
    config = dict(hidden_size=d, num_attention_heads=heads, q_lora_rank=q_rank, kv_lora_rank=kv_rank,
                  qk_nope_head_dim=nope, qk_rope_head_dim=rope, v_head_dim=v, index_n_heads=i_heads,
                  index_head_dim=i_dim, attention_bias=bias, num_hidden_layers=1)  # fmt: skip
    module = _module("deepseek_v32", "DeepseekV32Attention", "DeepseekV32Config", config, 0)
    block = LatentAttention(d_model=d, n_heads=heads, q_lora_rank=q_rank, kv_lora_rank=kv_rank, qk_nope_head_dim=nope,
                            qk_rope_head_dim=rope, v_head_dim=v, bias=bias, index_n_heads=i_heads, index_head_dim=i_dim)  # fmt: skip
    _same_tensors(module, block)
    [group], _ = cache_groups(block, 10, 1, 16)
    assert group.values_per_token == kv_rank + rope + i_dim  # the latent, its rotary key, the indexer's key


@_SMALL
@given(st.integers(1, 20), st.integers(1, 5), st.integers(1, 3), _EVEN, st.data())
def test_mixture_of_attention_is_jetmoe(d, experts, kv_heads, head_dim, data):
    """Reference: transformers' JetMoeAttention (JetMoeMoA, JetMoeParallelExperts, JetMoeTopKGating)."""
    top_k = data.draw(st.integers(1, experts))
    config = dict(hidden_size=d, num_local_experts=experts, num_experts_per_tok=top_k, num_key_value_heads=kv_heads,
                  kv_channels=head_dim, num_hidden_layers=1)  # fmt: skip
    module = _module("jetmoe", "JetMoeAttention", "JetMoeConfig", config, 0)
    block = MixtureOfAttention(d_model=d, n_experts=experts, top_k=top_k, n_kv_heads=kv_heads, head_dim=head_dim)
    _same_tensors(module, block)
    w = kv_heads * head_dim
    assert block.tally.active == block.tally.params - (experts - top_k) * 2 * w * d  # top_k of the experts' q and o
    [group], _ = cache_groups(block, 10, 1, 16)
    assert group.kind == "full attention" and group.values_per_token == 2 * w


@_SMALL
@given(st.integers(1, 4), _EVEN, st.integers(1, 30), st.booleans())
def test_bitnet_sub_norms(heads, head_dim, d_ff, bias):
    """Reference: transformers' BitNetAttention (attn_sub_norm) and BitNetMLP (ffn_sub_norm)."""
    d = heads * head_dim
    config = dict(hidden_size=d, num_attention_heads=heads, num_key_value_heads=heads, intermediate_size=d_ff,
                  attention_bias=bias, num_hidden_layers=1)  # fmt: skip
    attention = _module("bitnet", "BitNetAttention", "BitNetConfig", config, 0)
    _same_tensors(attention, Attention(d_model=d, n_heads=heads, bias=bias, sub_norm=True))
    mlp = _module("bitnet", "BitNetMLP", "BitNetConfig", config)
    _same_tensors(mlp, FeedForward(d_model=d, d_ff=d_ff, gated=True, bias=False, sub_norm=True))


# --------------------------------------------------------------------------- refusals and defaults


@pytest.mark.parametrize(
    ("cls", "fields", "message"),
    [
        (GatedDeltaNet, dict(d_model=8, n_k_heads=3, n_v_heads=4, head_k_dim=2, head_v_dim=2), "multiple of n_k_heads"),
        (GatedDeltaNet, dict(d_model=8, n_k_heads=1, n_v_heads=1, head_k_dim=2, head_v_dim=2, projections="qkv"),
         "projections"),
        (GatedDeltaNet, dict(d_model=8, n_k_heads=1, n_v_heads=1, head_k_dim=2, head_v_dim=2, names={"zz": "x"}),
         "unknown role"),
        (KimiDeltaAttention, dict(d_model=8, n_heads=2, head_dim=2, names={"forget": "x"}), "unknown role"),
        (Mamba2Mixer, dict(d_model=8, d_inner=16, n_heads=4, n_groups=3), "must divide n_heads"),
        (Mamba2Mixer, dict(d_model=8, d_inner=15, n_heads=4), "does not divide d_inner"),
        (RGLRU, dict(d_model=8, lru_width=10, n_heads=3), "must divide lru_width"),
        (ShortConv, dict(d_model=8, d_conv=0), "greater than 0"),
        (Attention, dict(d_model=8, n_heads=2, v_head_dim=2, fused_qkv=True), "not supported with fused_qkv"),
        (MixtureOfAttention, dict(d_model=8, n_experts=2, top_k=3, n_kv_heads=1, head_dim=4), "exceeds n_experts"),
        (FusedExperts, dict(d_model=8, d_ff=4, n_experts=2, top_k=1, layout="rows", bias=True), "stacked"),
        (FusedExperts, dict(d_model=8, d_ff=4, n_experts=2, top_k=1, layout="rows", transposed=True), "stacked"),
        (LatentAttention, dict(d_model=8, n_heads=2, kv_lora_rank=4, qk_nope_head_dim=2, qk_rope_head_dim=2,
                               v_head_dim=2, index_n_heads=2, index_head_dim=4), "needs q_lora_rank"),
        (LatentAttention, dict(d_model=8, n_heads=2, q_lora_rank=4, kv_lora_rank=4, qk_nope_head_dim=2,
                               qk_rope_head_dim=2, v_head_dim=2, index_n_heads=2), "both index_n_heads"),
    ],
)  # fmt: skip
def test_bad_switches_are_one_readable_error(cls, fields, message):
    with pytest.raises(ValidationError) as caught:
        cls(**fields)
    assert caught.value.error_count() == 1 and message in str(caught.value)


def test_new_switches_default_to_the_old_blocks():
    """sinks, sub_norm, bias, transposed and the indexer are off unless asked for: the same tensors as before."""
    assert [t.path for t in iter_tensors(Attention(d_model=8, n_heads=2))] == [
        "q_proj.weight", "q_proj.bias", "k_proj.weight", "k_proj.bias", "v_proj.weight", "v_proj.bias",
        "o_proj.weight", "o_proj.bias",
    ]  # fmt: skip
    assert [t.path for t in iter_tensors(FeedForward(d_model=8, d_ff=4))] == [
        "up_proj.weight", "up_proj.bias", "down_proj.weight", "down_proj.bias",
    ]  # fmt: skip
    experts = FusedExperts(d_model=8, d_ff=4, n_experts=2, top_k=1)
    assert [(t.path, t.shape, t.component) for t in iter_tensors(experts)] == [
        ("gate_up_proj", (2, 8, 8), "experts"), ("down_proj", (2, 8, 4), "experts"),
    ]  # fmt: skip
    latent = LatentAttention(d_model=8, n_heads=2, q_lora_rank=4, kv_lora_rank=4, qk_nope_head_dim=2,
                             qk_rope_head_dim=2, v_head_dim=2)  # fmt: skip
    assert not any(t.path.startswith("indexer.") for t in iter_tensors(latent))


def test_mixture_of_attention_flops_are_attention_terms():
    """JetMoE's attention costs what attention with top_k × n_kv_heads query heads costs (Appendix F's terms),
    its experts' query and output projections counted for the top_k experts a token uses."""
    from registry.analyses.flops import forward_terms
    from registry.model import Model

    d, experts, top_k, kv_heads, head_dim, seq = 32, 4, 2, 2, 8, 16
    block = MixtureOfAttention(d_model=d, n_experts=experts, top_k=top_k, n_kv_heads=kv_heads, head_dim=head_dim)
    terms, notes = forward_terms(Model(name="moa", architecture=Module(blocks=[block])), seq)
    w = kv_heads * head_dim
    assert terms["attention_qkv"] == 2 * seq * d * (top_k * w + 2 * w)
    assert terms["attention_logits"] == terms["attention_values"] == 2 * seq * seq * top_k * w
    assert terms["attention_softmax"] == 3 * top_k * kv_heads * seq * seq
    assert terms["attention_output"] == 2 * seq * top_k * w * d
    assert terms["router"] == 2 * seq * d * experts
    assert not any("not known" in note for note in notes)


# --------------------------------------------------------------------------- lightning attention


@_SMALL
@given(st.integers(1, 24), st.integers(1, 4), _EVEN)
def test_lightning_attention_is_minimax(d, heads, head_dim):
    """Reference: transformers' MiniMaxLightningAttention (models/minimax/modeling_minimax.py)."""
    config = dict(hidden_size=d, num_attention_heads=heads, num_key_value_heads=heads, head_dim=head_dim,
                  num_hidden_layers=1, layer_types=["linear_attention"])  # fmt: skip
    module = _module("minimax", "MiniMaxLightningAttention", "MiniMaxConfig", config, 0)
    _same_tensors(module, LightningAttention(d_model=d, n_heads=heads, head_dim=head_dim))


def test_lightning_attention_state():
    """Reference: transformers' MiniMaxLightningAttention keeps one heads × head_dim × head_dim state per layer,
    at the value states' type (attn_weights_inter)."""
    block = LightningAttention(d_model=32, n_heads=2, head_dim=8)
    [group], _ = cache_groups(block, 5000, 1, 16)
    assert group.kind == "lightning attention state"
    assert group.bytes == 2 * 8 * 8 * 2

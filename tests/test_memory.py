"""Tests of registry.analyses.memory and ``registry memory``: weights, training state and KV cache against
formulas written here (2 x layers x kv-heads x head-width x bytes), LLaMA-2 7B's published count,
and error paths."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from registry import blocks
from registry.blocks import Attention, Embedding, FeedForward, Linear, Module, Repeat, RMSNorm
from registry.cli import main
from registry.sources.loading import load
from registry.analyses.memory import DTYPE_BITS, memory
from registry.model import Model

ROOT = Path(__file__).resolve().parents[1]
LLAMA2 = ROOT / "specs" / "llama-2-7b.toml"
GPT2 = ROOT / "specs" / "gpt2.toml"
# Bytes per value, written out: IEEE fp32 4, bf16/fp16 2, fp8/int8 1, int4 a half.
BYTES = {"fp32": 4, "bf16": 2, "fp16": 2, "fp8": 1, "int8": 1, "int4": 0.5}


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def gqa_model(layers=4, d=256, heads=8, kv=2, head_dim=32, vocab=1000) -> Model:
    layer = [
        RMSNorm(name="n1", dim=d),
        Attention(name="attn", d_model=d, n_heads=heads, n_kv_heads=kv, head_dim=head_dim, bias=False),
        FeedForward(name="mlp", d_model=d, d_ff=4 * d, gated=True, bias=False),
    ]
    return Model(
        name="toy-gqa",
        architecture=Module(blocks=[
            Embedding(name="tok", num_embeddings=vocab, embedding_dim=d),
            Repeat(name="layers", count=layers, blocks=layer),
            Linear(name="head", in_features=d, out_features=vocab, bias=False, component="head"),
        ]),
    )  # fmt: skip


def test_llama2_7b_weights_and_kv_cache(capsys):
    (model,) = load(LLAMA2)
    report = memory(model, "bf16")
    # 6,738,415,616 parameters: Hugging Face's LlamaForCausalLM for Llama-2-7b, as the issue states.
    assert report.total_params == 6_738_415_616
    assert report.weights_bytes == 6_738_415_616 * 2
    # 32 layers, 32 key/value heads of 128 (Touvron et al. 2023, Llama-2 7B has no GQA).
    assert report.kv_cache_bytes_per_token == 2 * 32 * 32 * 128 * 2
    assert report.kv_cache_reduction == 1.0
    code, out, _ = run_cli(capsys, "memory", str(LLAMA2), "--dtype", "bf16")
    assert code == 0 and "13.48 GB" in out


@pytest.mark.parametrize("dtype", list(DTYPE_BITS))
def test_weights_and_kv_at_every_dtype(dtype):
    model = gqa_model()
    report = memory(model, dtype, seq_len=100, batch=3)
    n = report.total_params
    assert report.weights_bytes == math.ceil(n * BYTES[dtype])
    per_token = math.ceil(2 * 4 * 2 * 32 * BYTES[dtype])  # 2 x layers x kv-heads x head-width x bytes
    assert report.kv_cache_bytes_per_token == per_token
    assert report.kv_cache_bytes == per_token * 100 * 3
    assert report.total_bytes == report.weights_bytes + report.kv_cache_bytes


def test_grouped_query_saving_is_heads_over_kv_heads():
    report = memory(gqa_model(heads=8, kv=2), "bf16")
    assert report.mha_kv_cache_bytes_per_token == 2 * 4 * 8 * 32 * 2
    assert report.kv_cache_reduction == 8 / 2
    assert memory(gqa_model(heads=8, kv=1), "fp16").kv_cache_reduction == 8.0  # multi-query


def test_kv_dtype_overrides():
    report = memory(gqa_model(), "int4", kv_dtype="fp16")
    assert report.kv_cache_bytes_per_token == 2 * 4 * 2 * 32 * 2


@pytest.mark.parametrize(
    "dtype, optimizer, per_param",
    [
        # mixed precision AdamW: bf16 weights and gradients, fp32 master, m and v: 2 + 2 + 4 + 4 + 4.
        ("bf16", "adamw", 16),
        ("fp16", "adamw", 16),
        # fp32 AdamW: weights, gradients, m, v; no master copy.
        ("fp32", "adamw", 16),
        # SGD with momentum: one fp32 buffer.
        ("bf16", "sgd", 2 + 2 + 4 + 4),
        ("fp32", "sgd", 4 + 4 + 4),
    ],
)
def test_training_bytes(dtype, optimizer, per_param):
    report = memory(gqa_model(), dtype, train=True, optimizer=optimizer)
    assert report.model_states_bytes == per_param * report.total_params
    assert report.total_bytes == report.model_states_bytes + report.activations_bytes
    assert report.gradients_bytes == report.weights_bytes


def test_moe_weights_count_every_expert():
    spec = ROOT / "specs" / "gpt4-moe-rumored.toml"
    (model,) = load(spec)
    report = memory(model, "fp8")
    assert report.weights_bytes == report.total_params > report.active_params


def test_latent_attention_cache():
    layers, heads, rank, rope, nope, v = 3, 16, 64, 16, 32, 32
    mla = blocks.LatentAttention(d_model=256, n_heads=heads, kv_lora_rank=rank, qk_nope_head_dim=nope,
                                 qk_rope_head_dim=rope, v_head_dim=v)  # fmt: skip
    model = Model(name="mla", architecture=Module(blocks=[Repeat(name="layers", count=layers, blocks=[mla])]))
    report = memory(model, "bf16")
    # DeepSeek-V2 (arXiv 2405.04434, Table 1): MLA caches (d_c + d_h^R) values per layer.
    assert report.kv_cache_bytes_per_token == layers * (rank + rope) * 2
    assert report.mha_kv_cache_bytes_per_token == layers * heads * (nope + rope + v) * 2
    assert report.kv_cache_reduction == heads * (nope + rope + v) / (rank + rope)


def test_cli_json_keys(capsys):
    code, out, _ = run_cli(capsys, "memory", str(GPT2), "--dtype", "fp16", "--format", "json")
    (row,) = json.loads(out)
    assert code == 0
    keys = ("name", "total_params", "active_params", "reported_params", "weights_bytes", "kv_cache_bytes_per_token")
    assert all(key in row for key in keys)
    assert row["weights_bytes"] == 2 * row["total_params"]
    # GPT-2 small: 12 layers, 12 heads of 64 (Radford et al. 2019 / the HF config).
    assert row["kv_cache_bytes_per_token"] == 2 * 12 * 12 * 64 * 2


def test_cli_training_table_and_csv(capsys):
    code, out, _ = run_cli(capsys, "memory", str(GPT2), "--train", "--optimizer", "sgd")
    assert code == 0 and "optimizer" in out and "flash attention, recomputation none" in out
    code, out, _ = run_cli(capsys, "memory", str(GPT2), "--format", "csv", "--seq-len", "1024", "--batch", "8")
    header, row = out.splitlines()
    assert code == 0 and header.startswith("name,total_params,active_params,reported_params")
    assert ",1024,8," in row


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--dtype", "fp64"], "--dtype must be one of fp32, bf16, fp16, fp8, int8, int4"),
        (["--kv-dtype", "fp12"], "--kv-dtype must be one of"),
        (["--seq-len", "-1"], "--seq-len must be a positive whole number"),
        (["--batch", "0"], "--batch must be a positive whole number"),
        (["--train", "--dtype", "int4"], "--train needs --dtype fp32, bf16, fp16"),
        (["--train", "--optimizer", "lion"], "--optimizer must be one of adamw, sgd"),
    ],
)
def test_cli_bad_input_is_one_line(capsys, argv, message):
    code, out, err = run_cli(capsys, "memory", str(GPT2), *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err


def test_library_rejects_bad_arguments():
    with pytest.raises(ValueError, match="dtype"):
        memory(gqa_model(), "fp64")
    with pytest.raises(ValueError, match="training"):
        memory(gqa_model(), "int8", train=True)
    with pytest.raises(ValueError, match="seq_len"):
        memory(gqa_model(), seq_len=-5)

"""Verdicts a user can act on: tensor parallelism against the heads, the runtime reserve, the fewest
GPUs within the given parallelism, the longest context and largest batch that fit, weights and caches
in the formats users download, latency. Each expected figure is written out from its source."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest

from registry.analyses.fitting import parse_reserve
from registry.analyses.gpus import find, load_catalog
from registry.analyses.latency import latency
from registry.analyses.memory import memory
from registry.analyses.sharding import Parallelism
from registry.analyses.storage import FORMATS, find_format
from registry.cli import main
from registry.sources.loading import load

H100 = find(load_catalog(), "h100-sxm")


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def model(name):
    return load(name)[0]


def test_tp_past_the_kv_heads_keeps_whole_heads():
    # Llama-2-70B: 80 layers, 64 query heads, 8 KV heads of 128 (its config.json); bf16: 2 bytes.
    # Over 16 GPUs each keeps one whole KV head (vLLM: tp % kv_heads == 0): 1/8 of the cache, not 1/16.
    m = model("llama-2-70b")
    r = memory(m, "bf16", seq_len=4096, parallel=Parallelism(gpus=16, tp=16))
    kv = 2 * 80 * 8 * 128 * 2 * 4096
    assert r.kv_cache_bytes == kv and r.per_gpu_kv_cache_bytes == kv // 8
    assert any("each KV head is kept on 2 GPUs" in n for n in r.notes)
    assert memory(m, "bf16", seq_len=4096, parallel=Parallelism(gpus=8, tp=8)).per_gpu_kv_cache_bytes == kv // 8


def test_impossible_splits_are_refused_in_one_line(capsys):
    with pytest.raises(ValueError, match="does not divide the 64 query heads"):
        memory(model("llama-2-70b"), parallel=Parallelism(gpus=3, tp=3))
    code, out, err = run_cli(capsys, "memory", "llama-2-70b", "--tp", "3", "--gpus", "3")
    assert code == 2 and out == "" and err.count("\n") == 1 and "tensor parallelism 3" in err
    # Qwen2-7B: 28 query heads, 4 KV heads (its config.json): 14 GPUs split the queries, not the KV heads
    from pathlib import Path

    from registry.sources.hf_config import load_config

    (qwen,) = load_config(Path(__file__).parent / "configs" / "qwen2-7b" / "config.json")
    with pytest.raises(ValueError, match="neither divides the 4 KV heads nor is a multiple of them"):
        memory(qwen, parallel=Parallelism(gpus=14, tp=14))


def test_the_reserve_and_the_margin():
    # DeepSeek-V3 in fp8 on 8 H100 at 32k x 8: the latent cache is whole on every GPU; the reserve
    # (a tenth of 80 GiB, vLLM's gpu_memory_utilization 0.9) is kept: it misses, and says by how much.
    r = memory(model("deepseek-v3"), "fp8", seq_len=32768, batch=8, parallel=Parallelism(gpus=8), gpu=H100,
               search=False)  # fmt: skip
    assert r.reserve_bytes == 8 * 2**30 and r.usable_bytes == 72 * 2**30
    assert r.fits is False and r.fit_margin_bytes == r.usable_bytes - r.per_gpu_bytes < 0
    assert r.per_gpu_kv_cache_bytes == r.kv_cache_bytes  # MLA: one latent every head reads
    no_reserve = memory(model("llama-3.1-8b"), gpu=H100, reserve=0, search=False)
    assert no_reserve.usable_bytes == 80 * 2**30


@pytest.mark.parametrize("text, expected", [("10%", Fraction(1, 10)), ("0.05", Fraction(1, 20)),
                                            ("4GB", 4 * 10**9), ("2GiB", 2 * 2**30)])  # fmt: skip
def test_reserve_spellings(text, expected):
    assert parse_reserve(text) == expected


def test_min_gpus_within_the_given_parallelism():
    m = model("llama-2-70b")  # about 138 GB of bf16 weights
    free = memory(m, "bf16", gpu=H100, search=False)
    assert free.fits is False and free.min_gpus == 2  # the smallest tensor-parallel degree that fits
    fixed = memory(m, "bf16", parallel=Parallelism(gpus=4, tp=4), gpu=H100, search=False)
    assert fixed.min_gpus == 4  # more replicas do not shrink a GPU's share: tp x pp is the answer
    one = memory(m, "bf16", parallel=Parallelism(gpus=1, tp=1, pp=1), gpu=find(load_catalog(), "rtx-4090"),
                 search=False)  # fmt: skip
    assert one.min_gpus is not None and one.min_gpus > 1


def test_max_context_and_batch_are_the_largest_that_fit():
    m = model("llama-3.1-8b")
    r = memory(m, "bf16", seq_len=8192, batch=2, gpu=H100)
    assert memory(m, "bf16", seq_len=r.max_context, batch=2).per_gpu_bytes <= r.usable_bytes
    assert memory(m, "bf16", seq_len=r.max_context + 1, batch=2).per_gpu_bytes > r.usable_bytes
    assert memory(m, "bf16", seq_len=8192, batch=r.max_batch).per_gpu_bytes <= r.usable_bytes
    assert memory(m, "bf16", seq_len=8192, batch=r.max_batch + 1).per_gpu_bytes > r.usable_bytes


def test_quantized_formats_at_their_bits():
    # llama.cpp ggml-common.h: block_q8_0 is 34 bytes per 32 values, block_q4_K 144 per 256, block_q6_K 210 per 256
    assert FORMATS["q8_0"].bits == Fraction(34 * 8, 32) == Fraction(17, 2)
    assert FORMATS["q4_k_m"].bits == Fraction(144 * 8, 256) and FORMATS["q6_k"].bits == Fraction(210 * 8, 256)
    # QLoRA section 3: NF4 with double quantization, 4.127 bits; OCP MX: 32 FP4 values share an 8-bit scale
    assert round(float(FORMATS["nf4"].bits), 3) == 4.127 and FORMATS["mxfp4"].bits == Fraction(17, 4)
    assert find_format("AWQ").name == "awq-int4" and find_format("Q4_K_M").name == "q4_k_m"
    with pytest.raises(ValueError, match="unknown kv_dtype 'q4_k_m'"):
        find_format("q4_k_m", kv=True)


def test_gguf_formats_quantize_every_matrix_and_keep_1d_tensors_in_f32():
    m = model("llama-3.1-8b")
    r = memory(m, "q8_0")
    # Llama-3.1-8B: 8,030,261,248 parameters, of which the 65 RMSNorm weights of 4,096 are 1-D
    one_d = 65 * 4096
    assert r.weights_bytes == (8_030_261_248 - one_d) * 17 // 16 + one_d * 4


def test_linear_formats_keep_embeddings_and_head_in_bf16():
    m = model("llama-3.1-8b")
    r = memory(m, "awq-int4")
    embed_and_head = 2 * 128256 * 4096
    linear = 8_030_261_248 - embed_and_head - 65 * 4096
    assert r.weights_bytes == -(-linear * 133 // 256) + 2 * (embed_and_head + 65 * 4096)  # 4.15625 = 133/32 bits


def test_kv_cache_in_q8_0():
    # Llama-2-7B: 32 layers x 32 KV heads x 128, keys and values, at 34 bytes per 32 values
    r = memory(model("llama-2-7b"), "bf16", kv_dtype="q8_0", seq_len=4096)
    assert r.kv_cache_bytes_per_token == 2 * 32 * 32 * 128 * 34 // 32
    assert r.kv_cache_bytes == 4096 * r.kv_cache_bytes_per_token


def test_several_dtypes_side_by_side(capsys):
    code, out, _ = run_cli(capsys, "memory", "llama-3.1-8b", "--dtype", "bf16,q8_0,q4_k_m", "--seq-len", "8Ki",
                           "--format", "json")  # fmt: skip
    rows = json.loads(out)
    assert code == 0 and [r["dtype"] for r in rows] == ["bf16", "q8_0", "q4_k_m"]
    assert rows[0]["seq_len"] == 8192 and rows[0]["weights_bytes"] > rows[1]["weights_bytes"] > rows[2]["weights_bytes"]


def test_library_takes_the_command_lines_options():
    import registry

    r = registry.estimate_memory("llama-3.1-8b", lora=16, gpus="1xH100", recompute="full")
    assert r.training and r.lora_rank == 16 and r.recompute == "full" and r.gpu == "h100-sxm"
    with pytest.raises(TypeError, match="unknown option"):
        registry.estimate_memory("llama-3.1-8b", lroa=16)
    assert "llama-3.1-8b" in registry.html_report(["llama-3.1-8b"])


def test_latency_is_bytes_over_bandwidth_and_flops_over_peak():
    m = model("llama-2-7b")
    rows, _ = latency(m, H100, context=4096, batch=1, tp=(1, 2))
    from registry.analyses.inference import inference

    inf = inference(m, 4096, 1, 16, 16)
    one, two = rows
    # computed exactly, then rounded once: equal to the float formula but for its own roundings
    assert one.tpot_s == pytest.approx(inf.decode_bytes_per_step / (3350e9 * 0.8), rel=1e-12)  # H100 SXM: 3.35 TB/s, at 80%
    assert one.ttft_s == pytest.approx(inf.prefill_flops / (989e12 * 0.5), rel=1e-12)  # 989 dense bf16 TFLOP/s at MFU 0.5
    assert two.tpot_s == one.tpot_s / 2 and two.tp == 2
    assert [r.tp for r in latency(model("llama-2-70b"), H100, 1024, tp=(1, 3, 8))[0]] == [1, 8]  # 3 splits no heads

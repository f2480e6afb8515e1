"""Serving figures against formulas written here: decode FLOPs (2 per weight and the scores over the context,
capped by a sliding window), bytes per decode step (weights + cache) and the roofline bound; shared bodies
counted at each use in FLOPs."""

from __future__ import annotations

import json
from pathlib import Path

from registry.analyses.gpus import load_catalog
from registry.analyses.inference import inference
from registry.cli import main
from registry.analyses.flops import decode_terms, forward_terms
from registry.sources.hf_config import load_config
from registry.sources.loading import load
from registry.analyses.memory import memory
from registry.analyses.report import count

ROOT = Path(__file__).resolve().parents[1]
SPECS, CONFIGS = ROOT / "specs", ROOT / "tests" / "configs"


def test_decode_flops_llama_2_7b():
    model = load(SPECS / "llama-2-7b.toml")[0]
    c, layers, d, heads, vocab = 4096, 32, 4096, 32, 32000
    terms, _ = decode_terms(model, c)
    n = count(model).total_params
    matmuls = 2 * (n - 2 * vocab * d) + 2 * 2 * vocab * d  # every weight once; embeddings as Appendix F counts them
    norms = layers * 2 * d + d  # norm weights are not multiplied
    scores = layers * (2 * c * d + 3 * heads * c + 2 * c * d)
    assert sum(terms.values()) == matmuls - 2 * norms + scores


def test_sliding_window_caps_the_scores():
    model = load(SPECS / "mistral-7b.toml")[0]
    far, _ = decode_terms(model, 32768)
    near, _ = decode_terms(model, 4096)
    assert far == near  # past the window a new token costs the same
    prefill, _ = forward_terms(model, 8192)
    assert prefill["attention_logits"] == 32 * 2 * 8192 * 4096 * 4096


def test_bytes_per_decode_step_and_roofline():
    model = load(SPECS / "llama-2-7b.toml")[0]
    h100 = load_catalog()["h100-sxm"]
    inf = inference(model, 4096, batch=8, gpu=h100)
    mem = memory(model, seq_len=4096, batch=8)
    assert inf.decode_bytes_per_step == mem.weights_bytes + mem.kv_cache_bytes
    memory_time = inf.decode_bytes_per_step / 3350e9
    compute_time = 8 * inf.decode_flops_per_token / 989e12
    assert inf.decode_bound == "memory" and inf.decode_tokens_per_second == 8 / max(memory_time, compute_time)
    two = inference(model, 4096, batch=8, gpu=h100, gpus=2)
    assert abs(two.decode_tokens_per_second - 2 * inf.decode_tokens_per_second) < 1e-6 * inf.decode_tokens_per_second


def test_moe_reads_the_experts_its_tokens_touch():
    model = load(SPECS / "mixtral-8x7b.toml")[0]
    report = count(model)
    experts, active = report.components["experts"], report.components_active["experts"]
    one = inference(model, 1, batch=1)
    assert one.decode_weight_bytes == 2 * (report.total_params - experts + active)  # top-2 of 8 at batch 1
    many = inference(model, 1, batch=512)
    assert abs(many.decode_weight_bytes - 2 * report.total_params) < 1e-6 * report.total_params


def test_shared_layers_run_at_each_use():
    """ALBERT: one layer's weights used 12 times; its FLOPs are 12 layers' and no block kind is unknown."""
    model = load_config(CONFIGS / "albert-base-v2" / "config.json")[0]
    terms, notes = forward_terms(model, 128)
    assert not any("not known" in n for n in notes)
    d, f = 768, 3072
    assert terms["feed_forward"] == 12 * 2 * 128 * 2 * d * f


def test_cli_serving_columns(capsys):
    code = main(["flops", str(SPECS / "llama-2-7b.toml"), "--context", "4096", "--batch", "8", "--gpus", "1xH100",
                 "--format", "json"])  # fmt: skip
    out, _ = capsys.readouterr()
    row = json.loads(out)[0]
    assert code == 0 and row["decode_bound"] == "memory" and row["decode_tokens_per_second_per_gpu"] > 0
    assert row["context"] == 4096 and row["prefill_flops"] > row["decode_flops_per_token"]

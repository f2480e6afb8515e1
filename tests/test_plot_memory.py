"""``registry plot memory``: per-GPU memory by part over GPUs (training) or context (serving); the rows equal
registry.analyses.memory's figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from registry.analyses.sharding import Parallelism
from registry.cli import main
from registry.sources.loading import load
from registry.analyses.memory import Training, memory

SPECS = Path(__file__).resolve().parents[1] / "specs"


def test_memory_over_gpus_and_context(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    out_png = tmp_path / "m.png"
    code = main(["plot", "memory", str(SPECS / "llama-2-7b.toml"), "-o", str(out_png), "--format", "json"])
    rows = json.loads(capsys.readouterr().out)
    assert code == 0 and out_png.stat().st_size > 0 and [r["gpus"] for r in rows][:3] == [1, 2, 4]
    model = load(SPECS / "llama-2-7b.toml")[0]
    ref = memory(model, train=True, parallel=Parallelism(gpus=8, zero=3), training=Training(recompute="selective"))
    assert rows[3]["per_gpu_bytes"] == ref.per_gpu_bytes
    out_png = tmp_path / "c.png"
    code = main(["plot", "memory", str(SPECS / "mistral-7b.toml"), "--over", "context", "-o", str(out_png),
                 "--format", "json"])  # fmt: skip
    rows = json.loads(capsys.readouterr().out)
    assert code == 0 and rows[-1]["per_gpu_kv_cache_bytes"] == rows[2]["per_gpu_kv_cache_bytes"]  # the window is full

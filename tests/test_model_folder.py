"""``registry count DIR``: a model folder counted from its config.json and verified against its checkpoint.

The folder holds docs/examples/smollm2-135m/config.json and a sharded, sparse
(header-only) safetensors checkpoint with the tensor names and shapes
``LlamaForCausalLM.save_pretrained`` writes (checked against transformers'
``named_parameters()`` of the meta-device model).
"""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path

import pytest

from registry.cli import main
from tests.conftest import ROOT
from tests.safetensors_files import count_reads, write_header

CONFIG = ROOT / "docs" / "examples" / "smollm2-135m" / "config.json"


@pytest.fixture(scope="module")
def smol_tensors() -> dict[str, tuple[str, tuple[int, ...]]]:
    """name -> (dtype, shape) of SmolLM2-135M as transformers holds it (the tied head once)."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    data = json.loads(CONFIG.read_text())
    config = transformers.LlamaConfig(**{k: v for k, v in data.items() if not k.startswith("_")})
    with torch.device("meta"):
        model = transformers.LlamaForCausalLM(config)
    return {name: ("BF16", tuple(p.shape)) for name, p in model.named_parameters()}


def sharded_folder(folder: Path, tensors: dict, shards: int = 3, total_size: int | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(CONFIG, folder / "config.json")
    names = list(tensors)
    weight_map, size = {}, 0
    for i in range(shards):
        shard = f"model-{i + 1:05d}-of-{shards:05d}.safetensors"
        part = {n: tensors[n] for n in names[i::shards]}
        write_header(folder / shard, part)
        weight_map.update(dict.fromkeys(part, shard))
        size += sum(2 * _numel(s) for _, s in part.values())
    index = {"metadata": {"total_size": size if total_size is None else total_size}, "weight_map": weight_map}
    (folder / "model.safetensors.index.json").write_text(json.dumps(index))
    return folder


def _numel(shape) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_count_folder_counts_and_verifies(tmp_path, capsys, smol_tensors):
    folder = sharded_folder(tmp_path / "smollm2", smol_tensors)
    code, out, err = run(capsys, "count", folder)
    assert code == 0, out + err
    assert "134,515,008" in out
    index = folder / "model.safetensors.index.json"
    assert f"SmolLM2-135M matches the checkpoint {index}: 272 tensors" in out
    code, out, err = run(capsys, "count", folder, "-f", "json")
    (data,) = json.loads(out)
    assert data["total_params"] == 134_515_008 and data["checkpoint"]["identical"]
    assert data["checkpoint"]["counts"]["matched"] == 272 and data["checkpoint"]["counts"]["tied"] == 1
    code, out, _ = run(capsys, "inspect", folder)
    assert code == 0 and "134,515,008 parameters" in out
    code, out, _ = run(capsys, "verify", CONFIG, folder)
    assert code == 0


def test_count_folder_reads_only_headers(tmp_path, monkeypatch, smol_tensors):
    folder = sharded_folder(tmp_path / "smollm2", smol_tensors)
    sizes = count_reads(monkeypatch)
    assert main(["count", str(folder), "-f", "json"]) == 0
    expected = (folder / "model.safetensors.index.json").stat().st_size + (folder / "config.json").stat().st_size
    for shard in folder.glob("model-*.safetensors"):
        with open(shard, "rb") as f:
            expected += 8 + struct.unpack("<Q", f.read(8))[0]
    assert sum(sizes) == expected


def test_count_folder_reports_a_mismatch(tmp_path, capsys, smol_tensors):
    tensors = dict(smol_tensors)
    del tensors["model.layers.7.mlp.up_proj.weight"]
    tensors["model.layers.0.self_attn.q_proj.weight"] = ("BF16", (576, 577))
    folder = sharded_folder(tmp_path / "broken", tensors)
    code, out, err = run(capsys, "count", folder)
    assert code == 1, err
    assert "does not match the checkpoint" in out and "1 missing, 0 extra, 1 shape mismatches" in out
    assert "model.layers.7.mlp.up_proj.weight" in out and "(576, 577)" in out


def test_index_consistency(tmp_path, capsys, smol_tensors):
    folder = sharded_folder(tmp_path / "size", smol_tensors, total_size=12345)
    code, out, _ = run(capsys, "count", folder)
    assert code == 0 and "metadata.total_size: says 12,345 bytes but the shards' tensors hold 269,030,016" in out
    folder = sharded_folder(tmp_path / "unlisted", smol_tensors)
    index = json.loads((folder / "model.safetensors.index.json").read_text())
    del index["weight_map"]["model.norm.weight"]
    (folder / "model.safetensors.index.json").write_text(json.dumps(index))
    code, out, err = run(capsys, "count", folder)
    assert code == 2 and "model.norm.weight: tensor is in shard" in err and "not in the index's weight_map" in err
    assert "134,515,008" in out  # the config is counted; only the checkpoint is refused
    (folder / "model-00002-of-00003.safetensors").unlink()
    code, _, err = run(capsys, "inspect", folder)
    assert code == 2 and "shard model-00002-of-00003.safetensors is missing" in err


def test_folder_without_config(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("hi")
    code, _, err = run(capsys, "count", tmp_path)
    assert code == 2 and "is a directory, not a spec file" in err
    named = tmp_path / "model.d"
    named.mkdir()
    code, _, err = run(capsys, "count", named)
    assert code == 2 and "holds no config.json" in err

"""Tests of ``registry inspect`` and ``registry verify`` on checkpoints of real (tiny) models.

The checkpoints are written by Hugging Face transformers from randomly initialised
tiny GPT-2 and BERT models (single file and sharded with an index); the reference
count is ``sum(p.numel() for p in model.parameters())`` of the saved model.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from tests.safetensors_files import count_reads, write_raw
from registry.checkpoints import TensorInfo, read_checkpoint
from registry.cli import main
from registry.sources.loading import load
from registry.model import build_model
from registry.analyses.report import count, iter_tensors
from registry.checkpoints.verify import Rename, compare

ROOT = Path(__file__).resolve().parent.parent

GPT = {"vocab_size": 100, "n_positions": 16, "d_model": 8, "n_layers": 2, "n_heads": 2}
BERT = {"vocab_size": 100, "n_positions": 16, "type_vocab_size": 2, "d_model": 8, "n_layers": 2, "n_heads": 2, "d_ff": 16}

#: Hugging Face class -> (family, the spec's hyper-parameters).
SPECS: dict[str, tuple[str, dict]] = {
    "GPT2LMHeadModel": ("gpt", {**GPT, "lm_head": True}),
    "GPT2Model": ("gpt", GPT),
    "BertModel": ("bert", {**BERT, "architecture": "BertModel"}),
    "BertForMaskedLM": ("bert", {**BERT, "architecture": "BertForMaskedLM"}),
}


# --------------------------------------------------------------------------- helpers


def hf_model(cls_name: str):
    """A tiny randomly initialised transformers model of class ``cls_name``."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("safetensors")
    torch.manual_seed(0)
    if cls_name.startswith("GPT2"):
        config = transformers.GPT2Config(
            vocab_size=100, n_positions=16, n_embd=8, n_layer=2, n_head=2, bos_token_id=0, eos_token_id=0
        )
    else:
        config = transformers.BertConfig(
            vocab_size=100, max_position_embeddings=16, type_vocab_size=2, hidden_size=8,
            num_hidden_layers=2, num_attention_heads=2, intermediate_size=16,
        )  # fmt: skip
    return getattr(transformers, cls_name)(config).eval()


def write_spec(folder: Path, name: str, family: str, **params) -> Path:
    """A one-model spec file (JSON scalars are valid TOML)."""
    lines = [f'name = "{name}"', f'family = "{family}"', "", "[params]"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in params.items()]
    path = folder / f"{name}.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def run(capsys, *argv) -> tuple[int, str, str]:
    """Run the CLI in-process; return (exit status, stdout, stderr)."""
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_error_line(err: str, *fragments: str) -> None:
    """stderr is exactly one ``registry inspect:`` or ``registry verify:`` line holding every
    fragment, no traceback."""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(("registry inspect: ", "registry verify: ")), err
    for fragment in fragments:
        assert fragment in lines[0], err
    assert "Traceback" not in err


def infos(model) -> list[TensorInfo]:
    """F32 TensorInfos for every untied tensor of a registry model, named as the spec names them."""
    return [TensorInfo(t.path, "F32", t.shape, 4 * math.prod(t.shape))
            for t in iter_tensors(model.architecture) if not t.tied_to]  # fmt: skip


# --------------------------------------------------------------------------- checkpoints


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> dict[str, dict]:
    """Each tiny model saved as one file and sharded; its reference count and stored tensors."""
    out = {}
    for cls_name, (family, params) in SPECS.items():
        model = hf_model(cls_name)
        folder = tmp_path_factory.mktemp(cls_name)
        model.save_pretrained(folder / "single", safe_serialization=True)
        model.save_pretrained(folder / "sharded", safe_serialization=True, max_shard_size="2KB")
        out[cls_name] = {
            "model": model,
            "params": sum(p.numel() for p in model.parameters()),
            "single": folder / "single" / "model.safetensors",
            "index": folder / "sharded" / "model.safetensors.index.json",
            "sharded": folder / "sharded",
            "spec": write_spec(folder, cls_name.lower(), family, **params),
            "folder": folder,
        }
    return out


def test_sharded_checkpoints_have_several_shards(saved):
    for entry in saved.values():
        assert entry["index"].is_file()
        assert len(list(entry["sharded"].glob("model-*.safetensors"))) > 1


# --------------------------------------------------------------------------- inspect


@pytest.mark.parametrize("cls_name", SPECS)
@pytest.mark.parametrize("form", ["single", "index", "sharded"])
def test_inspect_totals_equal_torch(saved, capsys, cls_name, form):
    entry = saved[cls_name]
    code, out, err = run(capsys, "inspect", entry[form], "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert set(data) == {"checkpoint", "format", "total_params", "total_bytes", "tensors", "stored_tensors",
                         "quantization", "groups", "types", "notes"}
    assert data["quantization"] is None and data["format"] == "safetensors"
    assert data["total_params"] == entry["params"]
    assert data["total_bytes"] == 4 * entry["params"]  # float32
    assert data["tensors"] == len(read_checkpoint(entry["single"]))
    assert sum(g["params"] for g in data["groups"]) == entry["params"]
    assert sum(g["tensors"] for g in data["groups"]) == data["tensors"]
    assert {g["dtype"] for g in data["groups"]} == {"F32"}
    assert set(data["groups"][0]) == {"group", "dtype", "tensors", "params", "bytes"}


def test_inspect_groups_by_depth(saved, capsys):
    entry = saved["BertForMaskedLM"]
    code, out, _ = run(capsys, "inspect", entry["single"], "--depth", "1", "-f", "json")
    assert code == 0
    groups = {g["group"]: g["params"] for g in json.loads(out)["groups"]}
    assert set(groups) == {"bert", "cls"}
    assert sum(groups.values()) == entry["params"]
    code, out, _ = run(capsys, "inspect", entry["single"], "-f", "json")
    assert {g["group"] for g in json.loads(out)["groups"]} == {"bert.embeddings", "bert.encoder", "cls.predictions"}


def test_inspect_table_and_csv(saved, capsys):
    entry = saved["GPT2LMHeadModel"]
    code, out, _ = run(capsys, "inspect", entry["sharded"])
    assert code == 0
    assert f"{entry['params']:,} parameters" in out
    total = [line for line in out.splitlines() if line.startswith("total")]
    assert len(total) == 1 and f"{entry['params']:,}" in total[0]
    assert "transformer.h" in out
    code, out, _ = run(capsys, "inspect", entry["single"], "-f", "csv")
    assert code == 0
    assert out.splitlines()[0] == "group,dtype,tensors,params,bytes"


def test_inspect_rejects_a_bad_depth(saved, capsys):
    code, _, err = run(capsys, "inspect", saved["GPT2Model"]["single"], "--depth", "0")
    assert code == 2 and "--depth" in err


# --------------------------------------------------------------------------- verify: agreement


@pytest.mark.parametrize("cls_name", SPECS)
@pytest.mark.parametrize("form", ["single", "index", "sharded"])
def test_verify_matching_spec(saved, capsys, cls_name, form):
    entry = saved[cls_name]
    stored = len(read_checkpoint(entry["single"]))
    code, out, err = run(capsys, "verify", entry["spec"], entry[form])
    assert code == 0, out + err
    assert f"{stored} matched, 0 missing, 0 extra, 0 shape mismatches" in out.splitlines()[0]
    # the spec counts what torch counts
    assert count(load(entry["spec"])[0]).total_params == entry["params"]


def test_verify_gpt2_lm_head_quirks(saved, capsys):
    """GPT2LMHeadModel: transformer. prefix stripped once, Conv1D shapes as stored, head tied."""
    entry = saved["GPT2LMHeadModel"]
    code, out, _ = run(capsys, "verify", entry["spec"], entry["single"], "-f", "json")
    assert code == 0
    data = json.loads(out)
    assert data["identical"] is True
    assert data["rename"] == {"prefix": "transformer", "add": False}
    assert [e["name"] for e in data["tied"]] == ["lm_head.weight"]
    matched = {e["name"]: e for e in data["matched"]}
    assert matched["h.0.attn.c_attn.weight"]["checkpoint"] == "transformer.h.0.attn.c_attn.weight"
    assert matched["h.0.attn.c_attn.weight"]["found"] == [8, 24]  # Conv1D: (in, out)
    assert data["counts"] == {"matched": 28, "tied": 1, "missing": 0, "extra": 0, "mismatched": 0, "ignored": 0}
    assert {"spec", "model", "checkpoint", "missing", "extra", "mismatched"} <= set(data)


def test_verify_head_stored_instead_of_embedding(tmp_path, saved, capsys):
    """safetensors' save_model keeps lm_head.weight and drops the tied transformer.wte.weight."""
    from safetensors.torch import save_model

    entry = saved["GPT2LMHeadModel"]
    path = tmp_path / "model.safetensors"
    save_model(entry["model"], str(path))
    names = {t.name for t in read_checkpoint(path)}
    assert "lm_head.weight" in names and "transformer.wte.weight" not in names
    code, out, _ = run(capsys, "verify", entry["spec"], path, "-f", "json")
    assert code == 0, out
    assert [(e["name"], e["note"]) for e in json.loads(out)["tied"]] == [("wte.weight", "tied to lm_head.weight, stored once")]


def test_verify_base_model_checkpoint_against_head_spec(saved, capsys):
    """A GPT2Model checkpoint satisfies a spec whose head is tied (the head stores nothing)."""
    code, out, _ = run(capsys, "verify", saved["GPT2LMHeadModel"]["spec"], saved["GPT2Model"]["single"])
    assert code == 0, out


def test_verify_buffers_and_old_layer_norm_names(tmp_path, saved, capsys):
    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file

    gpt = dict(saved["GPT2Model"]["model"].state_dict())
    gpt["h.0.attn.bias"] = torch.ones(1, 1, 16, 16, dtype=torch.bool).tril()
    gpt["h.0.attn.masked_bias"] = torch.tensor(-1e4)
    save_file({k: v.contiguous() for k, v in gpt.items()}, str(tmp_path / "gpt.safetensors"))
    code, out, _ = run(capsys, "verify", saved["GPT2Model"]["spec"], tmp_path / "gpt.safetensors", "-f", "json")
    assert code == 0, out
    assert sorted(e["name"] for e in json.loads(out)["ignored"]) == ["h.0.attn.bias", "h.0.attn.masked_bias"]

    bert = {}
    for key, value in saved["BertModel"]["model"].state_dict().items():
        key = key.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta")
        bert[key] = value.contiguous()
    bert["embeddings.position_ids"] = torch.arange(16).unsqueeze(0)
    save_file(bert, str(tmp_path / "bert.safetensors"))
    code, out, _ = run(capsys, "verify", saved["BertModel"]["spec"], tmp_path / "bert.safetensors", "-f", "json")
    assert code == 0, out
    data = json.loads(out)
    assert [e["name"] for e in data["ignored"]] == ["embeddings.position_ids"]
    matched = {e["name"]: e["checkpoint"] for e in data["matched"]}
    assert matched["embeddings.LayerNorm.weight"] == "embeddings.LayerNorm.gamma"


# --------------------------------------------------------------------------- verify: differences


def diff(capsys, spec: Path, ckpt: Path) -> dict:
    code, out, err = run(capsys, "verify", spec, ckpt, "-f", "json")
    assert code == 1, out + err
    data = json.loads(out)
    assert data["identical"] is False
    return data


def test_verify_more_layers_in_spec(tmp_path, saved, capsys):
    spec = write_spec(tmp_path, "three", "gpt", **{**GPT, "n_layers": 3, "lm_head": True})
    data = diff(capsys, spec, saved["GPT2LMHeadModel"]["sharded"])
    assert {e["name"] for e in data["missing"]} == {n for n in (t.path for t in iter_tensors(load(spec)[0].architecture))
                                                    if n.startswith("h.2.")}  # fmt: skip
    assert data["counts"]["missing"] == 12
    assert data["extra"] == [] and data["mismatched"] == []


def test_verify_fewer_layers_in_spec(tmp_path, saved, capsys):
    spec = write_spec(tmp_path, "one", "gpt", **{**GPT, "n_layers": 1, "lm_head": True})
    data = diff(capsys, spec, saved["GPT2LMHeadModel"]["single"])
    assert data["counts"]["extra"] == 12
    assert all(e["name"].startswith("transformer.h.1.") for e in data["extra"])
    assert data["missing"] == [] and data["mismatched"] == []


def test_verify_other_width(tmp_path, saved, capsys):
    spec = write_spec(tmp_path, "wide", "bert", **{**BERT, "architecture": "BertForMaskedLM", "d_model": 16})
    data = diff(capsys, spec, saved["BertForMaskedLM"]["single"])
    stored = read_checkpoint(saved["BertForMaskedLM"]["single"])
    mismatched = {e["name"]: (e["expected"], e["found"]) for e in data["mismatched"]}
    assert set(mismatched) == {t.name for t in stored if 8 in t.shape}  # every tensor with a d_model dimension
    unchanged = {t.name for t in stored if "intermediate.dense.bias" in t.name} | {"cls.predictions.bias"}
    assert {e["name"] for e in data["matched"]} == unchanged
    assert mismatched["bert.embeddings.word_embeddings.weight"] == ([100, 16], [100, 8])
    assert data["missing"] == [] and data["extra"] == []  # the tied decoder: reported once, on the embedding
    assert [e["name"] for e in data["tied"]] == ["cls.predictions.decoder.weight"]


def test_verify_other_vocabulary_table(tmp_path, saved, capsys):
    spec = write_spec(tmp_path, "vocab", "gpt", **{**GPT, "vocab_size": 101, "lm_head": True})
    code, out, _ = run(capsys, "verify", spec, saved["GPT2LMHeadModel"]["single"])
    assert code == 1
    assert out.splitlines()[0].endswith("27 matched, 0 missing, 0 extra, 1 shape mismatches")
    row = next(line for line in out.splitlines() if line.startswith("shape"))
    assert "wte.weight" in row and "(101, 8)" in row and "(100, 8)" in row


def test_verify_transposed_weight(tmp_path, saved, capsys):
    from safetensors.torch import save_file

    state = {k: v.contiguous() for k, v in saved["GPT2Model"]["model"].state_dict().items()}
    state["h.0.mlp.c_fc.weight"] = state["h.0.mlp.c_fc.weight"].t().contiguous()  # (32, 8): nn.Linear layout
    save_file(state, str(tmp_path / "model.safetensors"))
    data = diff(capsys, saved["GPT2Model"]["spec"], tmp_path / "model.safetensors")
    assert data["mismatched"] == [{"name": "h.0.mlp.c_fc.weight", "checkpoint": "h.0.mlp.c_fc.weight",
                                   "expected": [8, 32], "found": [32, 8], "note": "transposed"}]  # fmt: skip
    code, out, _ = run(capsys, "verify", saved["GPT2Model"]["spec"], tmp_path / "model.safetensors", "-f", "csv")
    assert code == 1
    assert out.splitlines() == ["status,name,checkpoint,expected,found,note",
                                'shape,h.0.mlp.c_fc.weight,,"(8, 32)","(32, 8)",transposed']  # fmt: skip


# --------------------------------------------------------------------------- compare, without torch


def test_compare_adds_a_prefix_the_checkpoint_lacks():
    model = build_model("bert", architecture="BertForMaskedLM", **{k: v for k, v in BERT.items()})
    stored = [TensorInfo(t.name.removeprefix("bert."), t.dtype, t.shape, t.nbytes) for t in infos(model)]
    result = compare(model, stored)
    assert result.identical and result.rename == Rename("bert", add=True)
    assert len(result.matched) == len(stored) and len(result.tied) == 1


def test_compare_names_as_stored_win():
    model = build_model("gpt", **GPT)
    stored = [TensorInfo("transformer." + t.name, t.dtype, t.shape, t.nbytes) for t in infos(model)]
    stored.append(TensorInfo("wte.weight", "F32", (100, 8), 3200))
    result = compare(model, stored)
    assert result.rename == Rename("transformer", add=False)
    assert [e.name for e in result.extra] == ["transformer.wte.weight"]
    assert next(e for e in result.matched if e.name == "wte.weight").checkpoint == "wte.weight"


def test_compare_untied_head_must_be_stored():
    model = build_model("gpt", **GPT, lm_head=True, tie_word_embeddings=False)
    result = compare(model, infos(model)[:-1])  # drop lm_head.weight
    assert [e.name for e in result.missing] == ["lm_head.weight"] and not result.tied


def test_compare_buffer_lookalikes_are_extra():
    model = build_model("gpt", **GPT)
    stored = [*infos(model), TensorInfo("h.0.attn.bias", "F32", (24,), 96), TensorInfo("h.0.position_ids", "F32", (4,), 16)]
    result = compare(model, stored)
    assert [e.name for e in result.extra] == ["h.0.attn.bias", "h.0.position_ids"] and not result.ignored


# --------------------------------------------------------------------------- several models in one spec


def test_verify_spec_with_several_models(tmp_path, saved, capsys):
    params = "\n".join(f"{k} = {json.dumps(v)}" for k, v in GPT.items() if k != "n_layers")
    spec = tmp_path / "sizes.toml"
    spec.write_text(f'family = "gpt"\n\n[params]\n{params}\n\n'
                    '[[models]]\nname = "two"\nparams = { n_layers = 2 }\n\n'
                    '[[models]]\nname = "three"\nparams = { n_layers = 3 }\n')  # fmt: skip
    ckpt = saved["GPT2Model"]["single"]
    code, _, err = run(capsys, "verify", spec, ckpt)
    assert code == 2
    one_error_line(err, str(spec), "two, three", "--model")
    code, _, err = run(capsys, "verify", spec, ckpt, "--model", "four")
    assert code == 2
    one_error_line(err, "'four'", "two, three")
    assert run(capsys, "verify", spec, ckpt, "--model", "two")[0] == 0
    assert run(capsys, "verify", spec, ckpt, "-m", "three")[0] == 1


# --------------------------------------------------------------------------- corrupt input


@pytest.fixture
def truncated(tmp_path, saved) -> Path:
    data = saved["GPT2Model"]["single"].read_bytes()
    path = tmp_path / "truncated.safetensors"
    path.write_bytes(data[: len(data) - 100])
    return path


@pytest.mark.parametrize("command", ["inspect", "verify"])
def test_truncated_file(capsys, saved, truncated, command):
    argv = [command, truncated] if command == "inspect" else [command, saved["GPT2Model"]["spec"], truncated]
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    one_error_line(err, str(truncated), "truncated")


@pytest.mark.parametrize("command", ["inspect", "verify"])
def test_header_longer_than_file(tmp_path, capsys, saved, command):
    path = write_raw(tmp_path / "liar.safetensors", b'{"a": {}}', length=10**6)
    argv = [command, path] if command == "inspect" else [command, saved["GPT2Model"]["spec"], path]
    code, _, err = run(capsys, *argv)
    assert code == 2
    one_error_line(err, str(path), "header claims 1000000 bytes")


def test_corrupt_and_missing_shards(tmp_path, capsys, saved):
    import shutil

    folder = tmp_path / "sharded"
    shutil.copytree(saved["GPT2LMHeadModel"]["sharded"], folder)
    shard = sorted(folder.glob("model-*.safetensors"))[1]
    shard.write_bytes(shard.read_bytes()[:-4])
    code, _, err = run(capsys, "verify", saved["GPT2LMHeadModel"]["spec"], folder)
    assert code == 2
    one_error_line(err, shard.name)
    shard.unlink()
    code, _, err = run(capsys, "inspect", folder / "model.safetensors.index.json")
    assert code == 2
    one_error_line(err, f"shard {shard.name} is missing")


def test_unreadable_spec_and_missing_checkpoint(tmp_path, capsys, saved):
    code, _, err = run(capsys, "verify", tmp_path / "nope.toml", saved["GPT2Model"]["single"])
    assert code == 2 and "nope.toml" in err and "Traceback" not in err
    code, _, err = run(capsys, "verify", saved["GPT2Model"]["spec"], tmp_path / "nope.safetensors")
    assert code == 2
    one_error_line(err, "nope.safetensors", "no such file")


# --------------------------------------------------------------------------- headers only


def test_large_sparse_checkpoint_reads_only_headers(tmp_path, capsys, monkeypatch):
    """A GPT-2 XL sized checkpoint (6.2 GB, sparse): inspect and verify read the header alone."""
    model = load(ROOT / "specs" / "gpt2-xl.toml")[0]
    header, offset = {"__metadata__": {"format": "pt"}}, 0
    for t in iter_tensors(model.architecture):
        if t.tied_to:
            continue
        size = 4 * math.prod(t.shape)
        header[t.path] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + size]}
        offset += size
    raw = json.dumps(header).encode()
    path = write_raw(tmp_path / "model.safetensors", raw, data_size=offset)
    assert path.stat().st_size > 6 * 10**9

    read_sizes = count_reads(monkeypatch)
    code, out, _ = run(capsys, "inspect", path, "-f", "json")
    assert code == 0
    assert json.loads(out)["total_params"] == count(model).total_params
    assert json.loads(out)["total_bytes"] == offset
    assert sum(read_sizes) == 8 + len(raw)
    read_sizes.clear()
    code, out, _ = run(capsys, "verify", ROOT / "specs" / "gpt2-xl.toml", path)
    assert code == 0, out
    assert sum(read_sizes) == 8 + len(raw)


# --------------------------------------------------------------------------- the real command line


def test_exit_status_from_a_subprocess(tmp_path, saved, truncated):
    spec = write_spec(tmp_path, "three", "gpt", **{**GPT, "n_layers": 3})
    ckpt = saved["GPT2Model"]["single"]

    def status(*argv) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "registry", *map(str, argv)], capture_output=True, text=True)

    assert status("verify", saved["GPT2Model"]["spec"], ckpt).returncode == 0
    differing = status("verify", spec, ckpt)
    assert differing.returncode == 1
    assert "0 extra" in differing.stdout and "12 missing" in differing.stdout
    corrupt = status("verify", spec, truncated)
    assert corrupt.returncode == 2
    assert len(corrupt.stderr.strip().splitlines()) == 1 and "truncated" in corrupt.stderr


def test_help(capsys):
    for command in ("inspect", "verify"):
        code, out, _ = run(capsys, command, "--help")
        assert code == 0 and "usage: registry " + command in out

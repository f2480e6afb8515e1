"""Hugging Face repo ids, the local cache and headers over the wire, against a local Hub (tests/hub_server.py).

Each command runs in a subprocess whose ``HF_ENDPOINT`` points at the local server and whose
``HF_HOME`` / ``HF_HUB_CACHE`` are a fresh folder (``huggingface_hub`` reads them when it is
imported). The repos hold published configs (``tests/configs``, ``docs/examples``) and the
safetensors headers ``save_pretrained`` writes for them (the tensors of transformers' model
on the meta device, the tied head once), their weights zeros the server generates and counts.
References: transformers' models of those configs on the meta device.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.hub_server import HubState, Repo, commit_of, safetensors_file, serve, sharded

SMOL = "HuggingFaceTB/SmolLM2-135M"
LLAMA = "meta-llama/Llama-3.1-8B"
MYSTERY = "acme/xlstm-tiny"
LIMITED = "acme/busy"
TOKEN = "hf_local_test_token"
SMOL_CONFIG = ROOT / "docs" / "examples" / "smollm2-135m" / "config.json"
LLAMA_CONFIG = ROOT / "tests" / "configs" / "llama-3.1-8b" / "config.json"
#: An xLSTM config (a model type no plugin maps): transformers' xLSTMConfig with small sizes.
XLSTM = {"model_type": "xlstm", "architectures": ["xLSTMForCausalLM"], "vocab_size": 1000, "hidden_size": 64,
         "embedding_dim": 64, "num_blocks": 2, "num_heads": 4}  # fmt: skip


def _meta(data: dict):
    """transformers' model of a config's data on the meta device."""
    from tests._hf_configs import meta_model
    from tests.test_model_types import _transformers_config

    return meta_model(_transformers_config(data))


def _tensors(model) -> dict[str, tuple[str, tuple[int, ...]]]:
    return {name: ("BF16", tuple(p.shape)) for name, p in model.named_parameters()}


@pytest.fixture(scope="module")
def hub():
    """The local Hub: its state (what it serves, what it served) and its endpoint."""
    pytest.importorskip("huggingface_hub")
    pytest.importorskip("torch")
    smol_data = json.loads(SMOL_CONFIG.read_text())
    llama_data = json.loads(LLAMA_CONFIG.read_text())
    smol, llama, xlstm = _meta(smol_data), _meta(llama_data), _meta(XLSTM)
    older = {**smol_data, "num_hidden_layers": 24}  # a fixture's older revision: fewer layers
    state = HubState()
    state.repos[SMOL] = Repo(
        commits={commit_of("smol-main"): {"config.json": SMOL_CONFIG.read_bytes(), **sharded(_tensors(smol), 3)},
                 commit_of("smol-v0"): {"config.json": json.dumps(older).encode()}},
        refs={"main": commit_of("smol-main"), "v0": commit_of("smol-v0")},
    )  # fmt: skip
    state.repos[LLAMA] = Repo(
        commits={commit_of("llama"): {"config.json": LLAMA_CONFIG.read_bytes(), **sharded(_tensors(llama), 4)}},
        refs={"main": commit_of("llama")}, gated_token=TOKEN,
    )  # fmt: skip
    state.repos[MYSTERY] = Repo(
        commits={commit_of("x"): {"config.json": json.dumps(XLSTM).encode(), "model.safetensors": safetensors_file(_tensors(xlstm))}},
        refs={"main": commit_of("x")},
    )  # fmt: skip
    state.repos[LIMITED] = Repo(commits={commit_of("b"): {}}, refs={"main": commit_of("b")}, rate_limited=True)
    server, endpoint = serve(state)
    counts = {"smol": _numel(smol), "llama": _numel(llama), "xlstm": _numel(xlstm), "older": _numel(_meta(older))}
    yield state, endpoint, counts
    server.shutdown()


def _numel(model) -> int:
    return sum(p.numel() for p in model.parameters())


def registry(hub, home: Path, *argv: str, token: str | None = None, offline: bool = False, endpoint: str | None = None):
    """Run ``registry ARGV`` against the local Hub with ``home`` as HF_HOME; (exit status, stdout, stderr)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGINGFACE_")) and "PROXY" not in k.upper()}
    env.update(HF_ENDPOINT=endpoint or hub[1], HF_HOME=str(home), HF_HUB_CACHE=str(home / "hub"),
               HF_HUB_DISABLE_TELEMETRY="1", NO_PROXY="localhost,127.0.0.1")  # fmt: skip
    if token:
        env["HF_TOKEN"] = token
    if offline:
        env["HF_HUB_OFFLINE"] = "1"
    proc = subprocess.run([sys.executable, "-m", "registry", *argv], capture_output=True, text=True, env=env,
                          cwd=home, timeout=120)  # fmt: skip
    return proc.returncode, proc.stdout, proc.stderr


def one_line(err: str, command: str = "count") -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"registry {command}: "), err
    return lines[0]


def test_a_public_repo_counts_exactly_and_is_verified_against_its_headers(hub, tmp_path):
    state, _, counts = hub
    code, out, err = registry(hub, tmp_path, "count", SMOL, "-f", "json")
    assert code == 0, err
    (data,) = json.loads(out)
    assert data["name"] == SMOL and data["total_params"] == counts["smol"]
    assert data["checkpoint"]["identical"] and data["checkpoint"]["logical_params"] == counts["smol"]
    assert f"/{SMOL}/blob/{commit_of('smol-main')}/config.json" in data["source"]
    assert all(served < 1_000_000 for served in state.served.values()) and len(state.served) == 3


def test_a_gated_repo_without_a_token_is_refused_and_with_one_counts(hub, tmp_path):
    _, _, counts = hub
    code, out, err = registry(hub, tmp_path, "count", LLAMA)
    assert code == 2 and out == ""
    line = one_line(err)
    assert "gated" in line and "hf auth login" in line and "HF_TOKEN" in line
    code, out, err = registry(hub, tmp_path, "count", LLAMA, "-f", "json", token=TOKEN)
    assert code == 0, err
    (data,) = json.loads(out)
    assert data["total_params"] == counts["llama"] and data["checkpoint"]["identical"]
    assert "the catalogue's llama-3.1-8b describes this repo" in data["source"]
    assert data["reported_params"] == 8_000_000_000  # the catalogue entry's published figure


def test_the_token_hf_auth_login_stored_is_used(hub, tmp_path):
    (tmp_path / "token").write_text(TOKEN)
    code, out, err = registry(hub, tmp_path, "count", LLAMA, "-f", "json")
    assert code == 0, err
    assert json.loads(out)[0]["total_params"] == hub[2]["llama"]


def test_inspect_of_a_sharded_repo_reads_only_headers(hub, tmp_path):
    state, _, counts = hub
    state.reset()
    code, out, err = registry(hub, tmp_path, "inspect", LLAMA, "-f", "json", token=TOKEN)
    assert code == 0, err
    data = json.loads(out)
    assert data["total_params"] == counts["llama"]
    assert sorted(state.served) == [f"model-0000{i}-of-00004.safetensors" for i in range(1, 5)]
    assert all(0 < served < 1_000_000 for served in state.served.values()), state.served


def test_verify_a_catalogue_spec_against_a_repo(hub, tmp_path):
    code, out, err = registry(hub, tmp_path, "verify", "llama-3.1-8b", LLAMA, token=TOKEN)
    assert code == 0, out + err
    assert "identical" in out or "match" in out


def test_a_pinned_revision_counts_that_revision(hub, tmp_path):
    _, _, counts = hub
    code, out, err = registry(hub, tmp_path, "count", f"{SMOL}@v0", "-f", "json")
    assert code == 0, err
    assert json.loads(out)[0]["total_params"] == counts["older"] != counts["smol"]
    code, out, err = registry(hub, tmp_path, "count", f"{SMOL}@{commit_of('smol-main')}", "-f", "json")
    assert code == 0, err
    assert json.loads(out)[0]["total_params"] == counts["smol"]


def test_a_missing_repo_revision_and_rate_limit_are_one_line_each(hub, tmp_path):
    code, out, err = registry(hub, tmp_path, "count", "meta-llama/Llama-3.1-9B")
    assert code == 2 and "repo not found" in one_line(err) and "llama-3.1-8b" in err
    code, out, err = registry(hub, tmp_path, "count", f"{SMOL}@no-such-branch")
    assert code == 2 and "revision 'no-such-branch' not found" in one_line(err)
    code, out, err = registry(hub, tmp_path, "memory", LIMITED)
    assert code == 2 and "rate-limited" in one_line(err, "memory")


def test_no_network_and_nothing_cached_is_one_line(hub, tmp_path):
    code, out, err = registry(hub, tmp_path, "count", SMOL, endpoint="http://localhost:9")  # nothing listens there
    assert code == 2 and "cannot be reached" in one_line(err)
    code, out, err = registry(hub, tmp_path, "count", SMOL, offline=True)
    assert code == 2 and "HF_HUB_OFFLINE=1" in one_line(err)


def test_an_unmapped_model_type_is_counted_from_its_headers(hub, tmp_path):
    _, _, counts = hub
    code, out, err = registry(hub, tmp_path, "count", MYSTERY)
    assert code == 0, err
    assert f"{counts['xlstm']:,} parameters" in out and "no family was mapped" in out and "'xlstm'" in out
    code, out, err = registry(hub, tmp_path, "count", MYSTERY, "-f", "json")
    (data,) = json.loads(out)
    assert data["total_params"] == counts["xlstm"] and data["family"] is None


def test_a_cached_repo_costs_one_revision_check_and_offline_none(hub, tmp_path):
    state, _, counts = hub
    assert registry(hub, tmp_path, "count", SMOL)[0] == 0
    state.reset()
    code, first, err = registry(hub, tmp_path, "count", SMOL)
    assert code == 0, err
    assert state.requests == [("HEAD", f"/{SMOL}/resolve/main/config.json")] and not state.served
    state.reset()
    code, offline, err = registry(hub, tmp_path, "count", SMOL, offline=True)
    assert code == 0, err
    assert offline == first and state.requests == []


def test_a_cache_folder_counts_and_is_named_after_its_repo(hub, tmp_path):
    _, _, counts = hub
    assert registry(hub, tmp_path, "count", SMOL)[0] == 0
    folder = tmp_path / "hub" / "models--HuggingFaceTB--SmolLM2-135M"
    snapshot = folder / "snapshots" / commit_of("smol-main")
    for path in (folder, snapshot):
        code, out, err = registry(hub, tmp_path, "count", str(path), "-f", "json", offline=True)
        assert code == 0, err
        (data,) = json.loads(out)
        assert data["name"] == SMOL and data["total_params"] == counts["smol"]


# --------------------------------------------------------------------------- without a server


def test_count_of_a_safetensors_file_counts_its_headers_as_inspect_does(tmp_path, capsys):
    """Reference: the header written holds 2 x 3 + 4 parameters."""
    from registry.cli import main
    from tests.safetensors_files import write_header

    path = write_header(tmp_path / "model.safetensors", {"a.weight": ("F32", (2, 3)), "b.bias": ("BF16", (4,))})
    assert main(["count", str(path)]) == 0
    counted = capsys.readouterr().out
    assert main(["inspect", str(path)]) == 0
    assert counted == capsys.readouterr().out and "10 parameters" in counted


def test_repo_ids_and_paths_are_told_apart(tmp_path, monkeypatch):
    from registry.sources.hub import is_repo_id, parse_repo_id

    assert parse_repo_id("org/name@v1.0:model-Q4_K_M.gguf") is not None
    ref = parse_repo_id("meta-llama/Llama-3.1-8B@refs/pr/1")
    assert (ref.repo_id, ref.revision, ref.file) == ("meta-llama/Llama-3.1-8B", "refs/pr/1", None)
    for path in ("specs/gpt2-xl.toml", "./org/name", "/abs/path", "a/b/c", "org/config.json", "org/--x", "org/a..b"):
        assert not is_repo_id(path), path
    monkeypatch.chdir(tmp_path)
    (tmp_path / "org" / "name").mkdir(parents=True)
    assert not is_repo_id("org/name") and is_repo_id("org/other")  # a path that exists wins


def test_the_catalogue_records_each_entrys_repo(capsys):
    from registry.cli import main

    assert main(["list", "llama-3.1-8b", "--format", "json"]) == 0
    (entry,) = json.loads(capsys.readouterr().out)
    assert entry["repo"] == "meta-llama/Llama-3.1-8B"


@pytest.mark.parametrize("command", ["count", "memory", "flops", "report", "validate", "inspect", "verify"])
def test_every_command_that_takes_a_model_names_every_input_in_its_help(command, capsys):
    from registry.cli import main

    try:
        main([command, "--help"])
    except SystemExit:
        pass
    text = " ".join(capsys.readouterr().out.split())
    for words in ("repo id", "cache folder", "GGUF" if command not in ("inspect",) else ".gguf", "folder"):
        assert words.lower() in text.lower(), (command, words)

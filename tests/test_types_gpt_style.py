"""The gpt-style model types (gptj, gpt_neox, falcon, starcoder2, gpt_bigcode, opt, bloom, phi)
against transformers 5.24, and model-type plugins from third parties.

References: ``sum(p.numel() for p in model.parameters())`` and
``named_parameters(remove_duplicate=False)`` of the transformers model of the config's
class, built on the meta device; published figures for the specs (cited in each spec).

Random small configs of these model types, their named variants (cases) and their refusals: one
row each in tests/types_table.py (checked by tests/test_types_table.py).
"""

from __future__ import annotations

import json
import textwrap
import tomllib
from pathlib import Path

import pytest

import registry
from registry.analyses.report import iter_tensors
from tests._hf_configs import make_config, meta_model, quiet_transformers, reference_counts, write_config
from tests.conftest import ROOT, SPECS
from tests.test_plugins import EXAMPLE, install_fake_dist, run_cli

CONFIGS = ROOT / "tests" / "configs"
TYPES = ("gptj", "gpt_neox", "falcon", "starcoder2", "gpt_bigcode", "opt", "bloom", "phi")

#: Checkpoint name -> the name transformers 5 holds the tensor under in memory (it renames on loading).
IN_MEMORY = {"embed_out.weight": "lm_head.weight"}


def _count(path: Path) -> int:
    (model,) = registry.load(path)
    return registry.count(model).total_params


def _names(path: Path) -> dict[str, tuple[int, ...]]:
    """Every tensor registry builds for a config.json, tied ones included, under transformers' in-memory names."""
    (model,) = registry.load(path)
    return {IN_MEMORY.get(t.path, t.path): tuple(t.shape) for t in iter_tensors(model.architecture)}


def _reference_names(config) -> dict[str, tuple[int, ...]]:
    return {n: tuple(p.shape) for n, p in meta_model(config).named_parameters(remove_duplicate=False)}


# --------------------------------------------------------------------------- random small configs


def test_every_type_is_mapped_by_the_built_in_plugin():
    """(Their random small configs and named variants: a row each in tests/types_table.py.)"""
    from registry.plugin_manager import load_model_types

    types = load_model_types().items
    for name in TYPES:
        assert types[name].origin == "built-in (registry.plugins.gpt_style_model_types)"


# --------------------------------------------------------------------------- checkpoint names


def test_published_names_follow_the_checkpoints(tmp_path):
    """The names a checkpoint holds: GPT-NeoX's output layer is embed_out (transformers 5 renames it lm_head)."""
    (model,) = registry.load(CONFIGS / "pythia-1.4b" / "config.json")
    names = {t.path for t in iter_tensors(model.architecture)}
    assert {"embed_out.weight", "gpt_neox.embed_in.weight", "gpt_neox.layers.23.attention.query_key_value.bias",
            "gpt_neox.final_layer_norm.bias"} <= names  # fmt: skip
    (falcon,) = registry.load(CONFIGS / "falcon-7b" / "config.json")
    names = {t.path for t in iter_tensors(falcon.architecture)}
    assert "transformer.h.31.self_attention.query_key_value.weight" in names
    assert "transformer.h.0.input_layernorm.weight" in names and "transformer.h.0.ln_mlp.weight" not in names


# --------------------------------------------------------------------------- specs


SPEC_CONFIGS = {"falcon-7b": "falcon-7b", "pythia-1.4b": "pythia-1.4b", "gpt-j-6b": "gpt-j-6b"}


def _transformers_config(folder: str):
    transformers = quiet_transformers()
    data = json.loads((CONFIGS / folder / "config.json").read_text())
    config = transformers.CONFIG_MAPPING[data["model_type"]].from_dict({k: v for k, v in data.items() if k != "model_type"})
    config.architectures = data["architectures"]
    return config


@pytest.mark.parametrize("spec", sorted(SPEC_CONFIGS))
def test_spec_equals_the_meta_count_of_the_config_it_cites(spec):
    """Reference: transformers' model of the published config.json the spec cites, on the meta device."""
    folder = SPEC_CONFIGS[spec]
    text = (SPECS / f"{spec}.toml").read_text()
    data = json.loads((CONFIGS / folder / "config.json").read_text())
    repo = data.get("_name_or_path") or {"falcon-7b": "tiiuae/falcon-7b", "pythia-1.4b": "EleutherAI/pythia-1.4b",
                                          "gpt-j-6b": "EleutherAI/gpt-j-6b"}[spec]  # fmt: skip
    assert f"https://huggingface.co/{repo}/blob/main/config.json" in text
    expected = reference_counts(_transformers_config(folder))[0]
    total = _count(SPECS / f"{spec}.toml")
    assert total == expected == _count(CONFIGS / folder / "config.json")
    reported = tomllib.loads(text)["reported_params"]
    assert abs(total - reported) / reported < 0.02  # within 2% of the published figure


def test_pythia_matches_its_published_table():
    """The Pythia model table (github.com/EleutherAI/pythia): 1,414,647,808 total, 1,208,602,624 without
    the input and output embeddings."""
    (model,) = registry.load(SPECS / "pythia-1.4b.toml")
    report = registry.count(model)
    assert report.total_params == 1_414_647_808
    head = sum(t.numel for t in iter_tensors(model.architecture) if t.path == "embed_out.weight")
    assert report.non_embedding_params - head == 1_208_602_624


# --------------------------------------------------------------------------- refusals


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data, indent=2))
    return path


# --------------------------------------------------------------------------- third-party model types


def test_example_plugin_maps_gpt_neox_configs_through_its_entry_point(tmp_path):
    """The tutorial's plugin replaces the built-in gpt_neox mapping: the source names it, and the count
    equals transformers' GPTNeoXForCausalLM on the meta device."""
    install_fake_dist(tmp_path, "registry-neox", "registry_neox", (EXAMPLE / "registry_neox.py").read_text())
    config = CONFIGS / "pythia-1.4b" / "config.json"
    proc = run_cli(tmp_path, "count", "--format", "json", str(config))
    assert proc.returncode == 0, proc.stderr
    (report,) = json.loads(proc.stdout)
    assert report["family"] == "neox"
    assert "mapped by neox (registry-neox 0.1.0)" in report["source"]
    assert report["total_params"] == reference_counts(_transformers_config("pythia-1.4b"))[0]


def test_example_plugin_mapping_matches_transformers_for_every_class(tmp_path, monkeypatch):
    """In-process, the example's mapping for a tied, bias-free bare model and its LM, against transformers."""
    from registry.plugin_manager import register_plugin, reset

    monkeypatch.syspath_prepend(str(EXAMPLE))
    import registry_neox

    try:
        register_plugin(registry_neox, name="neox-example")
        for architecture in ("GPTNeoXForCausalLM", "GPTNeoXModel"):
            config = make_config("gpt_neox", architecture, dict(
                hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=40, vocab_size=99,
                attention_bias=False, tie_word_embeddings=True))  # fmt: skip
            path = write_config(config, tmp_path / f"{architecture}.json")
            (model,) = registry.load(path)
            assert model.family == "neox" and "mapped by neox-example" in model.source
            assert registry.count(model).total_params == reference_counts(config)[0]
            assert _names(path) == _reference_names(config)
    finally:
        reset()


RAISES_IN_HOOK = textwrap.dedent(
    """
    from registry import hookimpl

    @hookimpl
    def register_model_types(register):
        raise ValueError("boom")
    """
)
INVALID = textwrap.dedent(
    """
    from registry import ModelType, hookimpl

    @hookimpl
    def register_model_types(register):
        register(ModelType(name="faulty", classes="FaultyForCausalLM", map=lambda cfg, cls: None))
    """
)
MAPPING_RAISES = textwrap.dedent(
    """
    from registry import ModelType, hookimpl

    def broken(cfg, cls):
        raise KeyError("hidden_size")

    @hookimpl
    def register_model_types(register):
        register(ModelType(name="faulty", classes=("FaultyForCausalLM",), map=broken))
    """
)


@pytest.mark.parametrize(
    "source, expected",
    [
        (RAISES_IN_HOOK, "register_model_types raised ValueError: boom"),
        (INVALID, "model type 'faulty': classes must be a non-empty sequence of class names"),
    ],
    ids=["hook-raises", "invalid"],
)
def test_faulty_model_type_plugin_is_one_warning_and_built_ins_still_count(tmp_path, source, expected):
    install_fake_dist(tmp_path, "registry-faulty", "registry_faulty", source)
    config = CONFIGS / "falcon-7b" / "config.json"
    proc = run_cli(tmp_path, "count", "--format", "json", str(config))
    assert proc.returncode == 0, proc.stderr
    (report,) = json.loads(proc.stdout)
    assert report["total_params"] == reference_counts(_transformers_config("falcon-7b"))[0]
    plugin_lines = [line for line in proc.stderr.splitlines() if "registry-faulty" in line]
    assert len(plugin_lines) == 1 and expected in plugin_lines[0], proc.stderr


def test_a_mapping_that_raises_is_one_line_naming_its_plugin(tmp_path):
    install_fake_dist(tmp_path, "registry-faulty", "registry_faulty", MAPPING_RAISES)
    built_in = run_cli(tmp_path, "count", "--format", "json", str(CONFIGS / "pythia-1.4b" / "config.json"))
    assert built_in.returncode == 0 and built_in.stderr == "", built_in.stderr
    assert json.loads(built_in.stdout)[0]["total_params"] == 1_414_647_808  # the Pythia model table
    path = _write(tmp_path, {"model_type": "faulty", "architectures": ["FaultyForCausalLM"]})
    proc = run_cli(tmp_path, "count", str(path))
    assert proc.returncode == 2 and proc.stdout == ""
    (line,) = proc.stderr.strip().splitlines()
    assert "registry-faulty" in line and "the mapping of model_type 'faulty' raised KeyError" in line
    assert "Traceback" not in proc.stderr

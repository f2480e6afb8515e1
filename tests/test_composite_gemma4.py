"""Gemma 4 (``gemma4``) whole and part by part against transformers 5.25's ``Gemma4ForConditionalGeneration``
on the meta device (tests/composite_reference.py), its towers alone against ``Gemma4VisionModel`` and
``Gemma4AudioModel``, and the refusals of its towers.

Where transformers keeps each part (``modeling_gemma4.py``, ``Gemma4Model``): :data:`PLACES`; a tower whose
sub-config is null is not built, nor its embedder. The active count of a language model with experts is the
total less ``(num_experts - top_k_experts) / num_experts`` of the routed experts' parameters (``.experts.``).
"""

from __future__ import annotations

import json
import math
import random

import pytest

import registry
from registry.cli import main
from tests._hf_configs import meta_model, quiet_transformers
from tests.composite_reference import Reference, both_routes, check, ours, published_folders
from tests.conftest import ROOT

CONFIGS = ROOT / "tests" / "configs"
PLACES = {"vision": ("model.vision_tower.",), "text": ("model.language_model.", "lm_head."),
          "audio": ("model.audio_tower.",), "embed_vision": ("model.embed_vision.",),
          "embed_audio": ("model.embed_audio.",)}  # fmt: skip
FOLDERS = published_folders(("gemma4",))


def _places(data: dict) -> dict:
    """The parts transformers builds for this config's data (a null tower: neither it nor its embedder)."""
    absent = {t for t in ("vision", "audio") if data.get(f"{t}_config") is None}
    return {k: v for k, v in PLACES.items() if k not in absent and k.removeprefix("embed_") not in absent}


def _active(reference: Reference) -> int:
    """transformers' model's parameters less the routed experts a token does not use."""
    text = reference.config.text_config
    if not text.enable_moe_block:
        return reference.total
    routed = sum(p.numel() for n, p in reference.model.named_parameters() if ".experts." in n)
    return reference.total - routed * (text.num_experts - text.top_k_experts) // text.num_experts


def _vision(rng: random.Random) -> dict:
    return {"hidden_size": rng.choice((8, 12)), "num_hidden_layers": rng.choice((1, 2)), "num_attention_heads": 2,
            "num_key_value_heads": rng.choice((1, 2)), "head_dim": rng.choice((4, 6)), "intermediate_size": rng.choice((10, 16)),
            "patch_size": rng.choice((2, 4)), "position_embedding_size": rng.choice((7, 32)),
            "use_clipped_linears": rng.choice((True, False)), "standardize": rng.choice((True, False))}  # fmt: skip


def _audio(rng: random.Random) -> dict:
    heads = rng.choice((1, 2, 4))
    return {"hidden_size": heads * rng.choice((4, 6)), "num_attention_heads": heads, "num_hidden_layers": rng.choice((1, 2)),
            "subsampling_conv_channels": [rng.choice((4, 8, 13)), rng.choice((3, 8))], "conv_kernel_size": rng.choice((3, 5)),
            "output_proj_dims": rng.choice((10, 24)), "use_clipped_linears": rng.choice((True, False))}  # fmt: skip


def _small(seed: int) -> dict:
    """A small random Gemma 4: shrunk text, vision and audio configs (now and then without a tower, with
    experts, with per-layer inputs and shared caches), the top-level tie now and then; as transformers'
    ``to_dict()`` writes it but for ``global_head_dim``, written as the published configs write it."""
    rng = random.Random(seed)
    text = {"hidden_size": 16, "num_attention_heads": 2, "num_key_value_heads": rng.choice((1, 2)), "head_dim": 4,
            "global_head_dim": 8, "num_hidden_layers": 4, "intermediate_size": 24, "vocab_size": 50,
            "vocab_size_per_layer_input": 40, "hidden_size_per_layer_input": rng.choice((0, 4)),
            "layer_types": ["sliding_attention", "full_attention", "sliding_attention", "full_attention"],
            "num_kv_shared_layers": rng.choice((0, 2)), "attention_k_eq_v": rng.choice((True, False))}  # fmt: skip
    if seed % 3 == 1:
        text |= {"enable_moe_block": True, "num_experts": 4, "top_k_experts": 2, "moe_intermediate_size": 6}
    towers = {"vision_config": _vision(rng) if seed % 4 != 3 else None, "audio_config": _audio(rng) if seed % 4 != 2 else None}
    top = {"tie_word_embeddings": rng.choice((True, False))} if seed % 2 else {}
    transformers = quiet_transformers()
    data = transformers.Gemma4Config(text_config=text, **towers, **top).to_dict()
    data["architectures"] = ["Gemma4ForConditionalGeneration"]
    # to_dict() writes the global layers' head width as per_layer_config; published configs say global_head_dim
    data["text_config"].pop("per_layer_config")
    data["text_config"]["global_head_dim"] = text["global_head_dim"]
    return data


def _check(model, data: dict) -> None:
    reference = Reference(data)
    moe = reference.config.text_config.enable_moe_block
    check(model, reference.names, _places(data), active=_active(reference), fused=moe)


def test_there_is_a_config():
    assert FOLDERS


@pytest.mark.parametrize("folder", FOLDERS)
def test_published_whole_and_by_part(folder, tmp_path, capsys):
    path = CONFIGS / folder / "config.json"
    data = json.loads(path.read_text())
    for counted in both_routes(path, tmp_path)[:2]:
        _check(counted, data)
    capsys.readouterr()


@pytest.mark.parametrize("seed", range(8))
def test_small_random_composites(seed, tmp_path, capsys):
    data = _small(seed)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    for counted in both_routes(path, tmp_path)[:2]:
        _check(counted, data)
    capsys.readouterr()


@pytest.mark.parametrize("tower, seed", [(t, s) for t in ("vision", "audio") for s in range(4)])
def test_tower_alone(tower, seed, tmp_path):
    """Reference: ``Gemma4VisionModel`` / ``Gemma4AudioModel`` of a random small config on the meta device."""
    transformers = quiet_transformers()
    make = _vision if tower == "vision" else _audio
    config = getattr(transformers, f"Gemma4{tower.title()}Config")(**make(random.Random(seed)))
    config.architectures = [f"Gemma4{tower.title()}Model"]
    names = {n: tuple(p.shape) for n, p in meta_model(config).named_parameters()}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config.to_dict()))
    (model,) = registry.load(path)
    assert ours(model) == names
    assert registry.count(model).total_params == sum(math.prod(s) for s in names.values())


@pytest.mark.parametrize("folder, part", [(f, p) for f in FOLDERS for p in ("text", "vision", "audio")
                                          if p != "audio" or json.loads((CONFIGS / f / "config.json").read_text())["audio_config"]])
def test_part_option(folder, part, capsys):
    """``--part`` keeps one tower: its total is the report's figure for that part."""
    path = CONFIGS / folder / "config.json"
    (model,) = registry.load(path)
    expected = registry.count(model).parts[part]
    assert main(["count", str(path), "--part", part, "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    rows = out if isinstance(out, list) else [out]
    assert rows[0]["total_params"] == expected


@pytest.mark.parametrize("change, field, words", [
    ({"audio_config": {"subsampling_conv_channels": [8, 8, 8]}}, "audio_config.subsampling_conv_channels", "two convolutions"),
    ({"audio_config": {"subsampling_conv_channels": [2, 8]}}, "audio_config.subsampling_conv_channels", "at least 4"),
    ({"audio_config": {"num_attention_heads": 64, "hidden_size": 32}}, "audio_config.num_attention_heads", "head width"),
    ({"vision_config": {"patch_size": 0}}, "vision_config.patch_size", ""),
    ({"vision_config": [1]}, "vision_config", "object"),
])  # fmt: skip
def test_refusals(change, field, words, tmp_path, capsys):
    data = _small(0)
    for key, value in change.items():
        data[key] = {**data[key], **value} if isinstance(value, dict) else value
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    assert main(["count", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and field in err and words in err, err


def test_text_model_without_per_layer_inputs_takes_a_zero_per_layer_vocabulary(tmp_path, capsys):
    """Reference: transformers 5.25's ``Gemma4ForCausalLM`` on the meta device builds a config with
    ``vocab_size_per_layer_input: 0`` when ``hidden_size_per_layer_input`` is 0 (no per-layer table; Gemma 4's
    assistants publish such configs), and fails on it with per-layer inputs: registry counts the first, refuses the
    second in one line."""
    transformers = quiet_transformers()
    fields = dict(vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
                  num_key_value_heads=1, head_dim=16, global_head_dim=16, vocab_size_per_layer_input=0,
                  layer_types=["sliding_attention", "full_attention"])  # fmt: skip
    config = transformers.Gemma4TextConfig(**fields, hidden_size_per_layer_input=0)
    config.architectures = ["Gemma4ForCausalLM"]
    names = {n: tuple(p.shape) for n, p in meta_model(config).named_parameters()}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config.to_dict()))
    (model,) = registry.load(path)
    assert ours(model) == names
    with pytest.raises(IndexError):
        meta_model(transformers.Gemma4TextConfig(**fields, hidden_size_per_layer_input=8, architectures=["Gemma4ForCausalLM"]))
    path.write_text(json.dumps({**config.to_dict(), "hidden_size_per_layer_input": 8}))
    assert main(["count", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "vocab_size_per_layer_input" in err, err


@pytest.mark.parametrize("folder", [f for f in FOLDERS if f in ("gemma-4-e2b-it", "gemma-4-31b-it")])
def test_a_config_transformers_saved_counts_as_it_builds(folder, tmp_path):
    """Reference: ``Gemma4Config(**published).to_dict()`` (what ``save_pretrained`` writes under transformers 5.25:
    the full layers' widths move from ``global_head_dim`` / ``num_global_key_value_heads`` into
    ``per_layer_config``), built by transformers on the meta device; it also equals the published file's count."""
    data = json.loads((CONFIGS / folder / "config.json").read_text())
    saved = quiet_transformers().Gemma4Config(**data).to_dict()
    assert "per_layer_config" in saved["text_config"] and "global_head_dim" not in saved["text_config"]
    path = tmp_path / "config.json"
    path.write_text(json.dumps(saved))
    (model,) = registry.load(path)
    reference = Reference(saved)
    assert ours(model) == reference.names
    (published,) = registry.load(CONFIGS / folder / "config.json")
    assert registry.count(model).total_params == registry.count(published).total_params == reference.total


def _saved_text(**fields) -> dict:
    """A small Gemma4TextConfig as transformers 5.25 saves it: global widths written as ``per_layer_config``."""
    config = quiet_transformers().Gemma4TextConfig(
        vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=4, num_attention_heads=4,
        num_key_value_heads=2, head_dim=8, global_head_dim=16, num_global_key_value_heads=1, attention_k_eq_v=True,
        hidden_size_per_layer_input=0, layer_types=["sliding_attention", "full_attention"] * 2, **fields)  # fmt: skip
    return {**config.to_dict(), "architectures": ["Gemma4ForCausalLM"]}


def test_per_layer_config_of_a_saved_text_model(tmp_path):
    """Reference: transformers' ``Gemma4ForCausalLM`` of the saved small config, on the meta device."""
    data = _saved_text()
    assert data["per_layer_config"] == {"1": {"head_dim": 16, "num_key_value_heads": 1},
                                        "3": {"head_dim": 16, "num_key_value_heads": 1}}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    (model,) = registry.load(path)
    config = quiet_transformers().Gemma4TextConfig(**data)
    config.architectures = data["architectures"]
    assert ours(model) == {n: tuple(p.shape) for n, p in meta_model(config).named_parameters()}


@pytest.mark.parametrize("change, field, words", [
    ({"per_layer_config": {"0": {"head_dim": 4}}}, "per_layer_config.0", "sliding layer 0"),
    ({"per_layer_config": {"1": {"head_dim": 16}, "3": {"head_dim": 32}}}, "per_layer_config", "different widths"),
    ({"per_layer_config": {"1": {"intermediate_size": 8}}}, "per_layer_config.1.intermediate_size", "not modelled"),
    ({"per_layer_config": {"7": {"head_dim": 16}}}, "per_layer_config.7", "below num_hidden_layers"),
    ({"per_layer_config": {"1": {"head_dim": "16"}}}, "per_layer_config.1.head_dim", "positive whole number"),
    ({"per_layer_config": [16]}, "per_layer_config", "object"),
    ({"global_head_dim": 32}, "global_head_dim", "transformers reads per_layer_config"),
])  # fmt: skip
def test_per_layer_config_refusals(change, field, words, tmp_path, capsys):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({**_saved_text(), **change}))
    assert main(["count", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and field in err and words in err, err

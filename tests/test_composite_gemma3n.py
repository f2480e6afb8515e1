"""Gemma 3n (``gemma3n``) whole and part by part against transformers 5.25's ``Gemma3nForConditionalGeneration``
on the meta device (tests/composite_reference.py), its audio tower alone against ``Gemma3nAudioEncoder``, its
vision tower's layout against timm's model, and the refusals of its towers.

Where transformers keeps each part (``modeling_gemma3n.py``, ``Gemma3nModel``): :data:`PLACES`. Building the
vision tower needs timm (the ``reference`` extra); without an importable timm those tests skip, saying why.
"""

from __future__ import annotations

import json
import math
import random

import pytest

import registry
from registry.cli import main
from tests._hf_configs import meta_model, needs_timm, quiet_transformers
from tests.composite_reference import Reference, both_routes, check, ours, published_folders
from tests.conftest import ROOT

CONFIGS = ROOT / "tests" / "configs"
PLACES = {"vision": ("model.vision_tower.",), "text": ("model.language_model.", "lm_head."),
          "audio": ("model.audio_tower.",), "embed_vision": ("model.embed_vision.",),
          "embed_audio": ("model.embed_audio.",)}  # fmt: skip
FOLDERS = published_folders(("gemma3n",))


def _audio(rng: random.Random) -> dict:
    heads = rng.choice((1, 2, 3))
    return {"hidden_size": heads * rng.choice((4, 5, 8)), "conf_num_attention_heads": heads,
            "conf_num_hidden_layers": rng.choice((1, 2)), "input_feat_size": rng.choice((5, 16, 33)),
            "sscp_conv_channel_size": [rng.choice((2, 4)), rng.choice((3, 8))],
            "sscp_conv_kernel_size": [[rng.choice((1, 3)), rng.choice((1, 3))] for _ in range(2)],
            "sscp_conv_stride_size": [[rng.choice((1, 2)), rng.choice((1, 2))] for _ in range(2)],
            "conf_conv_kernel_size": rng.choice((3, 5)), "vocab_size": rng.choice((7, 16))}  # fmt: skip


def _small(seed: int) -> dict:
    """A small random Gemma 3n: shrunk text and audio configs, the published vision tower, random widths of the
    vision embedder, the top-level tie now and then; as transformers' ``to_dict()`` writes it."""
    rng = random.Random(seed)
    n_layers = rng.choice((2, 5))
    text = {"hidden_size": 16, "num_attention_heads": 2, "num_key_value_heads": rng.choice((1, 2)), "head_dim": 4,
            "num_hidden_layers": n_layers, "intermediate_size": rng.choice((8, [8, 12] * (n_layers // 2) + [8] * (n_layers % 2))),
            "vocab_size": 50, "vocab_size_per_layer_input": 40, "hidden_size_per_layer_input": 4, "laurel_rank": 2,
            "altup_num_inputs": rng.choice((1, 2, 4)), "num_kv_shared_layers": 0}  # fmt: skip
    if n_layers == 5:  # shared layers need an earlier layer of each of their kinds
        text["layer_types"] = ["sliding_attention", "full_attention", "sliding_attention", "full_attention", "sliding_attention"]
        text["num_kv_shared_layers"] = rng.choice((0, 1, 2))
    vision = {"hidden_size": rng.choice((8, 12)), "vocab_size": rng.choice((5, 9))}
    top = {"tie_word_embeddings": rng.choice((True, False))} if seed % 2 else {}
    transformers = quiet_transformers()
    data = transformers.Gemma3nConfig(text_config=text, vision_config=vision, audio_config=_audio(rng), **top).to_dict()
    data["architectures"] = ["Gemma3nForConditionalGeneration"]
    return data


def test_there_is_a_config():
    assert FOLDERS


@pytest.mark.parametrize("folder", FOLDERS)
def test_published_whole_and_by_part(folder, tmp_path, capsys):
    path = CONFIGS / folder / "config.json"
    reference = Reference(json.loads(path.read_text()))
    for counted in both_routes(path, tmp_path)[:2]:
        check(counted, reference.names, PLACES)
    capsys.readouterr()


@pytest.mark.parametrize("seed", range(4))
def test_small_random_composites(seed, tmp_path, capsys):
    data = _small(seed)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    (model,) = registry.load(path)
    check(model, Reference(data).names, PLACES)
    capsys.readouterr()


@pytest.mark.parametrize("seed", range(8))
def test_audio_tower_alone(seed, tmp_path):
    """Reference: ``Gemma3nAudioEncoder`` of a random small ``Gemma3nAudioConfig`` (no timm needed)."""
    transformers = quiet_transformers()
    config = transformers.Gemma3nAudioConfig(**_audio(random.Random(seed)))
    config.architectures = ["Gemma3nAudioEncoder"]
    names = {n: tuple(p.shape) for n, p in meta_model(config).named_parameters()}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config.to_dict()))
    (model,) = registry.load(path)
    assert ours(model) == names
    assert registry.count(model).total_params == sum(math.prod(s) for s in names.values())


def test_vision_layout_is_timm_model():
    """Reference: ``timm.create_model("mobilenetv5_300m_enc", num_classes=0)`` on the meta device, as
    ``TimmWrapperModel`` builds it (its tensors under ``timm_model.``)."""
    import torch

    needs_timm()
    import timm

    with torch.device("meta"):
        model = timm.create_model("mobilenetv5_300m_enc", pretrained=False, num_classes=0)
    names = {f"timm_model.{n}": tuple(p.shape) for n, p in model.named_parameters()}
    mine = ours(registry.build_model("mobilenetv5", architecture="mobilenetv5_300m_enc"))
    assert mine == names


@pytest.mark.parametrize("part", ["text", "vision", "audio"])
def test_part_option(part, capsys):
    """``--part`` keeps one tower: its total is the report's figure for that part."""
    path = CONFIGS / FOLDERS[0] / "config.json"
    (model,) = registry.load(path)
    expected = registry.count(model).parts[part]
    assert main(["count", str(path), "--part", part, "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    rows = out if isinstance(out, list) else [out]
    assert rows[0]["total_params"] == expected


@pytest.mark.parametrize("change, field, words", [
    ({"vision_config": {"architecture": "mobilenetv5_300m_enorm"}}, "vision_config.architecture", "not known"),
    ({"vision_config": {"architecture": 5}}, "vision_config.architecture", "string"),
    ({"vision_config": {"model_args": {"depth": 3}}}, "vision_config.model_args", "timm"),
    ({"audio_config": {"sscp_conv_channel_size": [8, 8, 8]}}, "audio_config.sscp_conv_channel_size", "two convolutions"),
])  # fmt: skip
def test_refusals(change, field, words, tmp_path, capsys):
    data = json.loads((CONFIGS / FOLDERS[0] / "config.json").read_text())
    for key, value in change.items():
        data[key] = {**data[key], **value}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    assert main(["count", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and field in err and words in err, err

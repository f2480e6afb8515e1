"""Phi-4-multimodal (``phi4_multimodal``) and its towers against transformers, whole and part by part.

Reference: transformers 5.25's ``Phi4MultimodalForCausalLM`` (``modeling_phi4_multimodal.py``) of the config, built on
the meta device (tests/composite_reference.py): its ``named_parameters()`` (the tied head once), total
``sum(p.numel() for p in model.parameters())``, and each part the parameters under the modules transformers gives it
(:data:`PLACES`); the towers alone as ``Phi4MultimodalVisionModel`` / ``Phi4MultimodalAudioModel``. The config in
tests/configs is by both routes (count config.json; import-hf then count); random small configs are transformers'
``Phi4MultimodalConfig`` of shrunk sub-configs, as ``to_dict()`` writes it.
"""

from __future__ import annotations

import json
import math
import random

import pytest

import registry
from registry.cli import main
from tests._hf_configs import meta_model, quiet_transformers
from tests.composite_reference import check, ours, reference_names
from tests.conftest import ROOT

CONFIG = ROOT / "tests" / "configs" / "phi-4-multimodal-instruct" / "config.json"
#: Where ``Phi4MultimodalForCausalLM`` keeps each part: the language model is ``model`` but its ``embed_tokens_extend``.
PLACES = {"text": ("model.embed_tokens.", "model.layers.", "model.norm.", "lm_head."),
          "vision": ("model.embed_tokens_extend.image_embed.",), "audio": ("model.embed_tokens_extend.audio_embed.",)}  # fmt: skip


def test_published_whole_and_by_part(tmp_path, capsys):
    data = json.loads(CONFIG.read_text())
    reference = reference_names(data)
    (model,) = registry.load(CONFIG)
    check(model, reference, PLACES)
    spec = tmp_path / "imported.toml"
    assert main(["import-hf", str(CONFIG), "-o", str(spec)]) == 0
    (imported,) = registry.load(spec)
    check(imported, reference, PLACES)
    capsys.readouterr()


def _vision(rng: random.Random) -> dict:
    heads = rng.choice((2, 4))
    return {"hidden_size": 8 * heads, "intermediate_size": rng.choice((20, 36)), "num_hidden_layers": rng.choice((1, 2)),
            "num_attention_heads": heads, "image_size": rng.choice((28, 32)), "patch_size": rng.choice((4, 7)),
            "num_channels": rng.choice((2, 3))}  # fmt: skip


def _audio(rng: random.Random) -> dict:
    heads = rng.choice((2, 4))
    width = 8 * heads
    return {"hidden_size": width, "intermediate_size": rng.choice((12, 24)), "num_blocks": rng.choice((1, 2)),
            "num_attention_heads": heads, "ext_pw_out_channel": width, "depthwise_separable_out_channel": width,
            "depthwise_multiplier": rng.choice((1, 2)), "kernel_size": rng.choice((3, 5)), "input_size": rng.choice((20, 80)),
            "time_reduction": rng.choice((2, 4, 8)), "nemo_conv_channels": rng.choice((8, 12)),
            "bias_max_distance": rng.choice((8, 20)), "bias_symmetric": rng.choice((True, False))}  # fmt: skip


def _small(seed: int) -> dict:
    """A small random ``phi4_multimodal`` config as transformers writes it."""
    rng = random.Random(seed)
    heads = rng.choice((2, 4))
    text = {"hidden_size": 8 * heads, "intermediate_size": rng.choice((24, 40)), "num_hidden_layers": rng.choice((1, 2)),
            "num_attention_heads": heads, "num_key_value_heads": rng.choice((1, heads)), "vocab_size": rng.choice((97, 128)),
            "tie_word_embeddings": rng.choice((True, False)), "pad_token_id": rng.choice((0, None))}  # fmt: skip
    config = quiet_transformers().Phi4MultimodalConfig(**text, vision_config=_vision(rng), audio_config=_audio(rng))
    data = config.to_dict()
    data["architectures"] = ["Phi4MultimodalForCausalLM"]
    return data


@pytest.mark.parametrize("seed", range(6))
def test_small_random_configs(seed, tmp_path, capsys):
    data = _small(seed)
    if seed % 2:  # text fields left to Phi4MultimodalConfig's defaults (not Phi-3's: 200,064 tokens, 8 key/value heads)
        for field in ("vocab_size", "num_key_value_heads"):
            del data[field]
        data["hidden_size"], data["num_attention_heads"] = 64, 8
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    (model,) = registry.load(path)
    check(model, reference_names(data), PLACES)
    assert main(["import-hf", str(path), "-o", str(tmp_path / "spec.toml")]) == 0
    (imported,) = registry.load(tmp_path / "spec.toml")
    check(imported, reference_names(data), PLACES)
    capsys.readouterr()


@pytest.mark.parametrize(("model_type", "cls", "draw"), [
    ("phi4_multimodal_vision", "Phi4MultimodalVisionModel", _vision),
    ("phi4_multimodal_audio", "Phi4MultimodalAudioModel", _audio),
])  # fmt: skip
@pytest.mark.parametrize("seed", range(3))
def test_towers_alone(model_type, cls, draw, seed, tmp_path, capsys):
    config = quiet_transformers().CONFIG_MAPPING[model_type](**draw(random.Random(seed)))
    config.architectures = [cls]
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config.to_dict()))
    reference = {n: tuple(p.shape) for n, p in meta_model(config).named_parameters()}
    (model,) = registry.load(path)
    assert ours(model) == reference
    assert registry.count(model).total_params == sum(math.prod(s) for s in reference.values())
    capsys.readouterr()


@pytest.mark.parametrize(("change", "message"), [
    ({"text_config": {"hidden_size": 8}}, "text_config: Phi4MultimodalConfig reads the language model's fields at the top level"),
    ({"audio_config": {"ext_pw_out_channel": 512}}, "audio_config.ext_pw_out_channel: 512 is not hidden_size (1024)"),
    ({"audio_config": {"depthwise_separable_out_channel": 512}}, "audio_config.depthwise_separable_out_channel: 512 is not hidden_size"),
    ({"audio_config": {"time_reduction": 3}}, "audio_config.time_reduction: 3 is not a multiple of 2"),
    ({"audio_config": {"downsample_rate": 2}}, "audio_config.downsample_rate: 2: transformers 5.25 stacks no frames"),
    ({"vision_config": None}, "vision_config: missing"),
])  # fmt: skip
def test_refusals_name_the_field(change, message, tmp_path, capsys):
    """A config whose model transformers refuses, or builds but could not run (the conformer's convolution module
    feeds ``ext_pw_out_channel`` and ``depthwise_separable_out_channel`` back into ``hidden_size``; the audio
    projections take ``hidden_size x downsample_rate`` inputs from the encoder's ``hidden_size``), is refused in one line."""
    data = json.loads(CONFIG.read_text())
    for key, value in change.items():
        data[key] = {**data[key], **value} if isinstance(value, dict) and key in data else value
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    assert main(["count", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("registry count: ") and message in err and "Traceback" not in err, err

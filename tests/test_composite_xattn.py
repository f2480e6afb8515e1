"""The composites llama4 (and its tower llama4_vision_model), whole and part by part, against transformers.

Reference: transformers 5.25's model of the config's class (``Llama4ForConditionalGeneration``) built on
the meta device: the total is ``sum(p.numel() for p in model.parameters())``, the tensors
``named_parameters()`` (a tied head counted once, at the embedding), the active count of a MoE language
model the total less ``(n_experts - top_k) / n_experts`` of the routed experts' parameters; each part is
the parameters under the modules transformers gives it (:data:`PLACES`, from ``modeling_<type>.py``).
Both routes (count config.json; import-hf then count), on every published config of these types in
``tests/configs`` and on small random configs (transformers' configuration of shrunk sub-configs and
drawn switches, as ``to_dict()`` writes it).
"""

from __future__ import annotations

import json
import math
import random

import pytest

import registry
from registry.analyses.report import iter_tensors
from registry.cli import main
from tests._hf_configs import meta_model, quiet_transformers
from tests.conftest import ROOT

CONFIGS = ROOT / "tests" / "configs"
#: Where transformers 5.25 keeps each part, per type.
PLACES = {
    "llama4": {"vision": ("vision_model.",), "projector": ("multi_modal_projector.",), "text": ("language_model.",)},
}
CLASSES = {"llama4": "Llama4ForConditionalGeneration"}
FOLDERS = sorted(p.parent.name for p in CONFIGS.glob("*/config.json")
                 if json.loads(p.read_text()).get("model_type") in PLACES)  # fmt: skip


class Reference:
    """transformers' model of a config: its tensors, total and active count."""

    def __init__(self, data: dict):
        transformers = quiet_transformers()
        config = transformers.CONFIG_MAPPING[data["model_type"]].from_dict({k: v for k, v in data.items() if k != "model_type"})
        config.architectures = data["architectures"]
        model = meta_model(config)
        self.names = {n: tuple(p.shape) for n, p in model.named_parameters()}
        self.total = sum(p.numel() for p in model.parameters())
        text = config.text_config
        experts, top_k = getattr(text, "num_local_experts", 0), getattr(text, "num_experts_per_tok", 0)
        routed = sum(p.numel() for n, p in model.named_parameters() if ".experts." in n)
        self.active = self.total - routed * (experts - top_k) // experts if experts and routed else self.total


def _ours(model) -> dict[str, tuple[int, ...]]:
    return {t.path: tuple(t.shape) for t in iter_tensors(model.architecture) if not t.tied_to}


def _check(model, ref: Reference, places: dict) -> None:
    assert _ours(model) == ref.names
    report = registry.count(model)
    assert report.total_params == ref.total
    assert report.active_params == ref.active
    assert sum(report.parts.values()) == report.total_params
    assert set(report.parts) == set(places)
    for part in report.parts:
        alone = registry.select_part(model, part)
        expected = {n: s for n, s in ref.names.items() if n.startswith(places[part])}
        assert _ours(alone) == expected, part
        assert registry.count(alone).total_params == report.parts[part] == sum(math.prod(s) for s in expected.values())


def _both_routes(data: dict, tmp_path) -> None:
    ref = Reference(data)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    (model,) = registry.load(path)
    _check(model, ref, PLACES[data["model_type"]])
    spec = tmp_path / "imported.toml"
    assert main(["import-hf", str(path), "-o", str(spec)]) == 0
    (imported,) = registry.load(spec)
    _check(imported, ref, PLACES[data["model_type"]])


def test_every_type_has_a_published_config():
    assert {json.loads((CONFIGS / f / "config.json").read_text())["model_type"] for f in FOLDERS} == set(PLACES)


@pytest.mark.parametrize("folder", FOLDERS)
def test_published_config_whole_and_by_part(folder, tmp_path, capsys):
    _both_routes(json.loads((CONFIGS / folder / "config.json").read_text()), tmp_path)
    capsys.readouterr()


def _llama4(rng: random.Random) -> tuple[dict, dict, dict]:
    heads = rng.choice((2, 4))
    text = {"hidden_size": 16 * heads, "intermediate_size": rng.choice((24, 40)), "intermediate_size_mlp": 48,
            "num_hidden_layers": rng.choice((2, 4)), "num_attention_heads": heads, "num_key_value_heads": 1,
            "head_dim": 16, "vocab_size": rng.choice((97, 128)), "num_local_experts": rng.choice((2, 4)),
            "num_experts_per_tok": 1, "interleave_moe_layer_step": rng.choice((1, 2)),
            "tie_word_embeddings": rng.choice((True, False))}  # fmt: skip
    ratio = 0.5
    vision = {"hidden_size": 8 * heads, "num_hidden_layers": rng.choice((1, 2)), "num_attention_heads": heads,
              "intermediate_size": int(8 * heads / ratio**2), "image_size": rng.choice((28, 42)),
              "patch_size": rng.choice((7, 14)), "pixel_shuffle_ratio": ratio,
              "projector_input_dim": rng.choice((24, 40)), "projector_output_dim": rng.choice((24, 40)),
              "vision_output_dim": rng.choice((24, 40))}  # fmt: skip
    vision["projector_input_dim"] = vision["projector_output_dim"]  # fc1's outputs are fc2's inputs in forward
    top = {"tie_word_embeddings": rng.choice((True, False))} if rng.random() < 0.5 else {}
    return text, vision, top


SMALL = {"llama4": _llama4}


def _small(seed: int, model_type: str) -> dict:
    text, vision, top = SMALL[model_type](random.Random(seed))
    config = quiet_transformers().CONFIG_MAPPING[model_type](text_config=text, vision_config=vision, **top)
    data = config.to_dict()
    data["architectures"] = [CLASSES[model_type]]
    return data


@pytest.mark.parametrize("model_type", sorted(SMALL))
@pytest.mark.parametrize("seed", range(5))
def test_small_random_config_whole_and_by_part(model_type, seed, tmp_path, capsys):
    data = _small(seed, model_type)
    if seed % 2:  # the top level's tie left to the configuration's default
        data.pop("tie_word_embeddings", None)
    _both_routes(data, tmp_path)
    capsys.readouterr()


def test_llama4_part_text_is_the_language_model_alone(capsys):
    """Reference: the published Scout text_config counted alone (tests/configs/llama-4-scout-text, checked against
    transformers' Llama4ForCausalLM in tests/test_model_types.py): ``--part text`` counts the same tensors."""
    whole = CONFIGS / "llama-4-scout-17b-16e-instruct" / "config.json"
    (text,) = registry.load(CONFIGS / "llama-4-scout-text" / "config.json")
    assert main(["count", str(whole), "--part", "text", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)[0]
    report = registry.count(text)
    assert (out["total_params"], out["active_params"]) == (report.total_params, report.active_params)


def test_a_bad_vision_field_is_named(tmp_path, capsys):
    data = json.loads((CONFIGS / "llama-4-scout-17b-16e-instruct" / "config.json").read_text())
    data["vision_config"]["vision_output_dim"] = 0
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    assert main(["count", str(path)]) == 2
    assert "vision_config.vision_output_dim" in capsys.readouterr().err

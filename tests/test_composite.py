"""Composite (vision-language) model types, whole and part by part, against transformers.

Reference: transformers 5.25's model of the config's class (``<X>ForConditionalGeneration``) on
the meta device. For every published config of a composite type in ``tests/configs``, by both
routes (count config.json; import-hf then count):

* the total is ``sum(p.numel() for p in model.parameters())``, and the tensor names and shapes
  are ``named_parameters()``'s (a tied head is named, counted once, at the embedding);
* each part (``--part``) is the parameters under the modules transformers gives it
  (:data:`PLACES`, from ``modeling_<type>.py``), and the parts add up to the whole.

Random small configs of each type (transformers' configuration defaults, shrunk) are checked
the same way, and the refusals of a composite config name the sub-config's field.
"""

from __future__ import annotations

import json

import pytest

import registry
from registry.analyses.report import iter_tensors
from registry.cli import main
from tests._hf_configs import meta_model, quiet_transformers
from tests.conftest import ROOT

CONFIGS = ROOT / "tests" / "configs"
#: Where transformers 5.25 keeps each part (attributes of ``<X>ForConditionalGeneration``).
PLACES = {
    "vision": ("model.vision_tower.",),
    "projector": ("model.multi_modal_projector.", "model.image_newline"),
    "text": ("model.language_model.", "lm_head."),
}
COMPOSITE_TYPES = ("gemma3", "llava", "llava_next", "mistral3", "paligemma", "aya_vision")
FOLDERS = sorted(p.parent.name for p in CONFIGS.glob("*/config.json")
                 if json.loads(p.read_text()).get("model_type") in COMPOSITE_TYPES)  # fmt: skip


def _reference(data: dict):
    transformers = quiet_transformers()
    config = transformers.CONFIG_MAPPING[data["model_type"]].from_dict({k: v for k, v in data.items() if k != "model_type"})
    config.architectures = data["architectures"]
    return {n: tuple(p.shape) for n, p in meta_model(config).named_parameters()}


def _ours(model) -> dict[str, tuple[int, ...]]:
    return {t.path: tuple(t.shape) for t in iter_tensors(model.architecture) if not t.tied_to}


def _check(model, reference: dict) -> None:
    assert _ours(model) == reference
    report = registry.count(model)
    assert report.total_params == sum(_numel(s) for s in reference.values())
    assert sum(report.parts.values()) == report.total_params
    for part in report.parts:
        alone = registry.select_part(model, part)
        expected = {n: s for n, s in reference.items() if n.startswith(PLACES[part])}
        assert _ours(alone) == expected, part
        assert registry.count(alone).total_params == report.parts[part] == sum(_numel(s) for s in expected.values())


def _numel(shape: tuple[int, ...]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def test_published_composites_exist():
    assert {json.loads((CONFIGS / f / "config.json").read_text())["model_type"] for f in FOLDERS} >= {"gemma3", "llava"}


@pytest.mark.parametrize("folder", FOLDERS)
def test_published_composite_whole_and_by_part(folder, tmp_path, capsys):
    path = CONFIGS / folder / "config.json"
    reference = _reference(json.loads(path.read_text()))
    (model,) = registry.load(path)
    _check(model, reference)
    spec = tmp_path / "imported.toml"
    assert main(["import-hf", str(path), "-o", str(spec)]) == 0
    (imported,) = registry.load(spec)
    _check(imported, reference)
    capsys.readouterr()


def test_part_option_of_the_commands(capsys):
    path = str(CONFIGS / "llava-1.5-7b-hf" / "config.json")
    (model,) = registry.load(path)
    parts = registry.count(model).parts
    assert main(["count", path, "--part", "text", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["total_params"] == parts["text"]
    assert main(["memory", path, "--part", "vision"]) == 0
    capsys.readouterr()
    assert main(["count", path, "--part", "audio"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith("has no part 'audio': its parts are vision, projector, text"), err
    assert main(["count", "gpt2", "--part", "text"]) == 2
    assert "it is not a composite model (it has no parts)" in capsys.readouterr().err


def test_a_bad_sub_config_field_is_named(tmp_path, capsys):
    data = json.loads((CONFIGS / "gemma-3-27b-it" / "config.json").read_text())
    data["text_config"]["num_hidden_layers"] = 0
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data, indent=2))
    assert main(["count", str(path)]) == 2
    assert "text_config.num_hidden_layers: must be >= 1 (got 0)" in capsys.readouterr().err
    data["text_config"]["num_hidden_layers"] = 2
    data["vision_config"]["model_type"] = "clip_vision_model"
    path.write_text(json.dumps(data, indent=2))
    assert main(["count", str(path)]) == 2
    assert "vision_config.model_type: 'clip_vision_model' is not supported here" in capsys.readouterr().err
    del data["vision_config"]
    path.write_text(json.dumps(data, indent=2))
    assert main(["count", str(path)]) == 2
    assert "vision_config: missing" in capsys.readouterr().err

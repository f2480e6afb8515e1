"""LightOnOCR's published configs: ``model_type`` mistral3, ``architectures`` LightOnOCRForConditionalGeneration.

transformers 5.25 has no class of that name; for a mistral3 config ``AutoModelForImageTextToText`` builds
``Mistral3ForConditionalGeneration`` (``tests/_hf_configs.BUILT_AS``), and ``tests/test_model_types.py`` and
``tests/test_composite.py`` check both folders against it (total, tensor names, by part). Here: the published figure,
and the refusal of a class the row does not take.
"""

from __future__ import annotations

import json

import registry
from registry.cli import main
from tests.conftest import ROOT

CONFIGS = ROOT / "tests" / "configs"


def test_lightonocr_2_total_is_the_hubs_safetensors_count():
    # Reference: the Hub's model API for lightonai/LightOnOCR-2-1B-bbox-soup (repo sha dfdbd3e3..., as saved in
    # hlky/dinoml_v2 agents/plans/transformers/lighton_ocr/_sources/lightonai__LightOnOCR-2-1B-bbox-soup/api_model.json):
    # safetensors parameters BF16 1,005,647,872 (the tied head stored once).
    (model,) = registry.load(str(CONFIGS / "lightonocr-2-1b-bbox-soup" / "config.json"))
    assert registry.count(model).total_params == 1_005_647_872


def test_a_class_mistral3_does_not_take_is_still_refused(tmp_path, capsys):
    data = json.loads((CONFIGS / "lightonocr-1b-1025" / "config.json").read_text())
    data["architectures"] = ["LightOnOcrForConditionalGeneration"]  # the lighton_ocr type's class, not mistral3's
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data, indent=2))
    assert main(["count", str(path)]) == 2
    err = capsys.readouterr().err
    assert "architectures: 'LightOnOcrForConditionalGeneration' is not supported; supported: " in err
    assert "LightOnOCRForConditionalGeneration" in err and "Mistral3ForConditionalGeneration" in err

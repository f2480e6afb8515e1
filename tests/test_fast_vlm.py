"""FastVLM (``fast_vlm``, plugins/vlm_types_2026d.py) whole and part by part, and its timm FastViT tower (the
``fastvit`` family, plugins/fastvit.py), against transformers and timm.

Reference: transformers 5.25's ``FastVlmForConditionalGeneration`` on the meta device, as in tests/test_composite.py
(tests/composite_reference.py): the total is ``sum(p.numel() for p in model.parameters())``, the tensor names and
shapes ``named_parameters()``'s, each part (``--part``) the parameters under the modules ``modeling_fast_vlm.py``
gives it (:data:`PLACES`). Its vision tower is ``TimmWrapperModel``: timm 1.0.31's ``fastvit.py`` model, imported
beside the torchvision stand-in (tests/torchvision_standin.py); the tower alone is checked against
``timm.create_model(name, num_classes=0[, inference_mode=True])`` for every FastViT timm registers, in both forms.
Published configs in ``tests/configs`` by both routes (count config.json; import-hf then count); random small configs
(transformers' ``FastVlmConfig`` of small sub-configs, as ``to_dict()`` writes it); refusals name the field.
"""

from __future__ import annotations

import json
import math
import random

import pytest

from registry.analyses.report import iter_tensors
from registry.cli import main
from registry.plugins.fastvit import LAYOUTS, FastVitParams, build, output_width, reduction
from registry.plugins.vlm_types_2026d import IMAGES_WHY
from tests._hf_configs import needs_timm, quiet_transformers
from tests.composite_reference import Reference, composite_data, data_both_routes, published_folders, refusal, small_text
from tests.conftest import ROOT

CONFIGS = ROOT / "tests" / "configs"
#: Where ``FastVlmForConditionalGeneration`` keeps each part.
PLACES = {"vision": ("model.vision_tower.",), "projector": ("model.multi_modal_projector.",),
          "text": ("model.language_model.", "lm_head.")}  # fmt: skip
FOLDERS = published_folders(("fast_vlm",))
FAST_VLM_7B = CONFIGS / "fastvlm-7b" / "config.json"


def test_the_published_configs_are_here():
    assert FOLDERS == ["fastvlm-0.5b", "fastvlm-1.5b", "fastvlm-7b"]


@pytest.mark.parametrize("folder", FOLDERS)
def test_published_whole_and_by_part(folder, tmp_path, capsys):
    needs_timm()
    path = CONFIGS / folder / "config.json"
    data = json.loads(path.read_text())
    data_both_routes(data, PLACES, tmp_path)
    reference = Reference(data).names
    spec = tmp_path / "imported.toml"
    capsys.readouterr()
    for part, prefixes in PLACES.items():  # the command's --part, on both routes
        expected = sum(math.prod(s) for n, s in reference.items() if n.startswith(prefixes))
        for source in (path, spec):
            assert main(["count", str(source), "--part", part, "--format", "json"]) == 0
            assert json.loads(capsys.readouterr().out)[0]["total_params"] == expected


def _timm():
    needs_timm()
    from tests.torchvision_standin import import_timm

    return import_timm()


def test_every_fastvit_of_timm_has_a_layout():
    """Reference: the FastViT models timm 1.0.31 registers (``timm.list_models("fastvit*")``)."""
    assert sorted(_timm().list_models("fastvit*")) == sorted(LAYOUTS)


@pytest.mark.parametrize("fused", [True, False], ids=["inference_mode", "training"])
@pytest.mark.parametrize("architecture", sorted(LAYOUTS))
def test_fastvit_tower_is_timms_model(architecture, fused):
    """Reference: ``timm.create_model(architecture, num_classes=0, inference_mode=fused)`` on the meta device, its
    parameters under ``timm_model.`` as ``TimmWrapperModel`` holds them; the output width is ``num_features``, the
    output grid's reduction the last ``feature_info`` entry's."""
    import torch

    timm = _timm()
    with torch.device("meta"):
        model = timm.create_model(architecture, pretrained=False, num_classes=0, **({"inference_mode": True} if fused else {}))
    expected = {f"timm_model.{n}": tuple(p.shape) for n, p in model.named_parameters()}
    tree = build(FastVitParams(architecture=architecture, inference_mode=fused))
    assert {t.path: tuple(t.shape) for t in iter_tensors(tree)} == expected
    assert output_width(architecture) == model.num_features
    assert reduction(architecture) == model.feature_info[-1]["reduction"]


def _small(seed: int) -> dict:
    """A small random FastVLM config: a small language model, a FastViT of timm (fused or not), random biases and
    ties, as ``FastVlmConfig(...).to_dict()`` writes it."""
    rng = random.Random(seed)
    heads = rng.choice((2, 4))
    text_type = rng.choice(("qwen2", "llama"))
    text = {"model_type": text_type, **small_text(rng, heads, heads * rng.choice((8, 16)))}
    vision = {"model_type": "timm_wrapper", "architecture": rng.choice(("fastvit_t8", "fastvit_sa12", "fastvit_mci0",
                                                                        "fastvit_mci3")),
              "hidden_size": rng.choice((24, 48)), "label_names": [],
              "model_args": rng.choice((None, {"inference_mode": True}, {"inference_mode": False}))}  # fmt: skip
    top = {"multimodal_projector_bias": rng.choice((True, False))}
    if rng.random() < 0.5:
        top["tie_word_embeddings"] = rng.choice((True, False))
    return composite_data("fast_vlm", "FastVlmForConditionalGeneration", text=text, vision=vision, **top)


@pytest.mark.parametrize("seed", range(6))
def test_random_small_configs_whole_and_by_part(seed, tmp_path):
    needs_timm()
    data_both_routes(_small(seed), PLACES, tmp_path)


@pytest.mark.parametrize(("change", "message"), [
    ({"vision_config.architecture": "resnet50"}, "vision_config.architecture: timm architecture 'resnet50' is not a FastViT"),
    ({"vision_config.model_args": {"inference_mode": True, "layers": [1, 1, 1, 1]}}, "vision_config.model_args.layers: changes timm's model"),
    ({"vision_config.model_args": {"inference_mode": "yes"}}, "vision_config.model_args.inference_mode: must be true or false"),
    ({"vision_config.model_args": [1]}, "vision_config.model_args: must be an object or null"),
    ({"vision_config.model_type": "clip_vision_model"}, "vision_config.model_type: 'clip_vision_model' is not supported here"),
    ({"vision_config.hidden_size": 0}, "vision_config.hidden_size: must be >= 1"),
    ({"vision_feature_layer": -2}, "vision_feature_layer: -2 is not supported"),
    ({"vision_feature_layer": -1.0}, "vision_feature_layer: -1.0 is not supported"),  # FastVlmConfig: an int
    ({"vision_feature_select_strategy": "default"}, "vision_feature_select_strategy: 'default' is not supported"),
    ({"multimodal_projector_bias": "yes"}, "multimodal_projector_bias: must be true or false"),
])  # fmt: skip
def test_refusals_name_the_field(change, message, tmp_path, capsys):
    assert message in refusal(json.loads(FAST_VLM_7B.read_text()), change, tmp_path, capsys)


def test_a_vision_config_without_hidden_size_is_refused(tmp_path, capsys):
    """Reference: ``FastVlmMultiModalProjector`` reads ``config.vision_config.hidden_size``, which
    ``TimmWrapperConfig`` does not define (an AttributeError in transformers without it)."""
    data = json.loads(FAST_VLM_7B.read_text())
    del data["vision_config"]["hidden_size"]
    assert "vision_config.hidden_size: missing" in refusal(data, {}, tmp_path, capsys)


def test_transformers_refuses_the_feature_choices_too():
    """Reference: ``FastVlmConfig.validate_architecture`` (the refusals above follow it)."""
    transformers = quiet_transformers()
    data = json.loads(FAST_VLM_7B.read_text())
    for change in ({"vision_feature_layer": -2}, {"vision_feature_select_strategy": "default"}):
        with pytest.raises(Exception, match="Only"):
            transformers.FastVlmConfig.from_dict({k: v for k, v in {**data, **change}.items() if k != "model_type"})


def test_unknown_vision_fields_are_named_by_strict(tmp_path, capsys):
    data = json.loads(FAST_VLM_7B.read_text())
    data["vision_config"]["not_a_field"] = 1
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    assert main(["count", str(path), "--strict"]) == 2
    assert "vision_config.not_a_field" in capsys.readouterr().err


def test_images_refused_with_the_reason(tmp_path, capsys):
    """The tokens an image becomes follow the processor's crop size (preprocessor_config.json), not config.json;
    refused on both routes (the config, the spec import-hf writes of it)."""
    spec = tmp_path / "imported.toml"
    assert main(["import-hf", str(FAST_VLM_7B), "-o", str(spec)]) == 0
    capsys.readouterr()
    for source in (FAST_VLM_7B, spec):
        assert main(["flops", str(source), "--images", "1", "--image-size", "1024x1024"]) == 2
        errors = [line for line in capsys.readouterr().err.splitlines() if "warning:" not in line]
        assert len(errors) == 1 and errors[0].startswith("registry flops: ")
        assert "its images are not modelled: " + IMAGES_WHY in errors[0] and "takes no images" not in errors[0]

"""The vision model types (vit, dinov2, dinov2_with_registers, clip_vision_model, siglip_vision_model, clip,
siglip) against transformers.

Reference: transformers' model of the config's class built on the meta device:
``sum(p.numel() for p in model.parameters())`` for the total and ``named_parameters()`` for every
tensor's name and shape (these models tie nothing). The strategies are plain data: for each model
type, its classes and the range each config field is drawn from.
"""

from __future__ import annotations

import json
import math
import sys

import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

import registry
from registry.cli import main
from tests._hf_configs import make_config, meta_model, quiet_transformers, write_config

_SMALL = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

#: The fields every ViT-style tower draws: name -> strategy (hidden_size is heads x head width).
_TOWER = {
    "num_hidden_layers": st.integers(1, 3), "intermediate_size": st.integers(1, 24), "num_channels": st.integers(1, 4),
    "patch_size": st.integers(1, 6), "image_size": st.integers(6, 20),
}  # fmt: skip
#: Per model type: its classes, and the fields drawn beside the tower's.
VISION_TYPES = {
    "vit": (["ViTModel", "ViTForImageClassification"],
            {"qkv_bias": st.booleans(), "pooler_output_size": st.sampled_from([None, 3, 7]), "num_labels": st.integers(0, 5)}),
    "dinov2": (["Dinov2Model", "Dinov2ForImageClassification"],
               {"qkv_bias": st.booleans(), "use_swiglu_ffn": st.booleans(), "use_mask_token": st.booleans(),
                "mlp_ratio": st.integers(1, 4), "num_labels": st.integers(0, 5)}),
    "dinov2_with_registers": (["Dinov2WithRegistersModel", "Dinov2WithRegistersForImageClassification"],
                              {"qkv_bias": st.booleans(), "use_swiglu_ffn": st.booleans(), "num_register_tokens": st.integers(1, 4),
                               "mlp_ratio": st.integers(1, 4), "num_labels": st.integers(0, 5)}),
    "clip_vision_model": (["CLIPVisionModel"], {}),
    "siglip_vision_model": (["SiglipVisionModel"], {"vision_use_head": st.booleans()}),
}  # fmt: skip
#: The text tower's fields of the dual encoders.
_TEXT = {"num_hidden_layers": st.integers(1, 2), "intermediate_size": st.integers(1, 24), "vocab_size": st.integers(5, 60),
         "max_position_embeddings": st.integers(1, 20)}  # fmt: skip
#: Per dual encoder: its class, the vision tower's extra fields, the text tower's, the top level's.
DUAL_TYPES = {
    "clip": ("CLIPModel", {}, {}, {"projection_dim": st.integers(1, 9)}),
    "siglip": ("SiglipModel", {"vision_use_head": st.booleans()}, {"projection_size": st.sampled_from([None, 3, 8])}, {}),
}  # fmt: skip


@st.composite
def _tower(draw, extra: dict) -> dict:
    heads = draw(st.integers(1, 3))
    fields = {"hidden_size": heads * draw(st.integers(1, 4)), "num_attention_heads": heads}
    fields |= {name: draw(strategy) for name, strategy in {**_TOWER, **extra}.items()}
    if fields["patch_size"] > fields["image_size"]:
        reject()
    return fields


@st.composite
def _text(draw, extra: dict) -> dict:
    heads = draw(st.integers(1, 3))
    fields = {"hidden_size": heads * draw(st.integers(1, 4)), "num_attention_heads": heads, "pad_token_id": 0,
              "bos_token_id": 0, "eos_token_id": 0}  # fmt: skip
    return fields | {name: draw(strategy) for name, strategy in {**_TEXT, **extra}.items()}


def _reference(config) -> tuple[int, dict[str, tuple[int, ...]]]:
    model = meta_model(config)
    named = {n: tuple(p.shape) for n, p in model.named_parameters()}
    assert sum(p.numel() for p in model.parameters()) == sum(math.prod(s) for s in named.values())
    return sum(math.prod(s) for s in named.values()), named


def _built_or_rejected(model_type: str, architecture: str, fields: dict):
    refusals: tuple[type[BaseException], ...] = (ValueError, TypeError, ZeroDivisionError)
    errors = sys.modules.get("huggingface_hub.errors")
    if errors is not None and hasattr(errors, "StrictDataclassClassValidationError"):
        refusals += (errors.StrictDataclassClassValidationError,)
    try:
        config = make_config(model_type, architecture, fields)
        expected = _reference(config)
    except refusals:
        reject()
    if any(0 in shape for shape in expected[1].values()):
        reject()  # empty weight matrices (DINOv2's SwiGLU of a tiny width): refused by registry, tested below
    return config, expected


def _ours(path) -> tuple[int, dict[str, tuple[int, ...]]]:
    (model,) = registry.load(path)
    return registry.count(model).total_params, {t.path: t.shape for t in registry.iter_tensors(model.architecture)}


@pytest.mark.parametrize("model_type", sorted(VISION_TYPES))
def test_random_small_vision_configs_match_transformers(tmp_path_factory, model_type):
    """Total and every tensor's name and shape, for random small configs of each class."""
    quiet_transformers()
    classes, extra = VISION_TYPES[model_type]

    @_SMALL
    @given(architecture=st.sampled_from(classes), fields=_tower(extra))
    def check(architecture, fields):
        config, expected = _built_or_rejected(model_type, architecture, fields)
        path = write_config(config, tmp_path_factory.mktemp("cfg") / "config.json")
        assert _ours(path) == expected

    check()


@pytest.mark.parametrize("model_type", sorted(DUAL_TYPES))
def test_random_small_dual_encoders_match_transformers(tmp_path_factory, model_type):
    """Both towers, the projections and the temperature, tensor by tensor."""
    quiet_transformers()
    architecture, vision_extra, text_extra, top = DUAL_TYPES[model_type]

    @_SMALL
    @given(vision=_tower(vision_extra), text=_text(text_extra), top=st.fixed_dictionaries(top))
    def check(vision, text, top):
        fields = {"vision_config": vision, "text_config": text, **top}
        config, expected = _built_or_rejected(model_type, architecture, fields)
        path = write_config(config, tmp_path_factory.mktemp("cfg") / "config.json")
        assert _ours(path) == expected

    check()


def test_a_dual_encoder_without_tower_configs_is_transformers_defaults(tmp_path):
    """Reference: CLIPModel of CLIPConfig() (both towers from their configurations' defaults)."""
    transformers = quiet_transformers()
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"model_type": "clip", "architectures": ["CLIPModel"]}))
    config = transformers.CLIPConfig()
    config.architectures = ["CLIPModel"]
    expected = _reference(config)
    assert _ours(path) == expected


@pytest.mark.parametrize(
    "data, words",
    [
        ({"vision_config": {"hidden_size": "wide"}}, "vision_config.hidden_size: must be a whole number"),
        ({"text_config": [1, 2]}, "text_config: must be an object of the tower's fields"),
        ({"vision_config": {"hidden_size": 10, "num_attention_heads": 3}}, "vision_config.num_attention_heads"),
        ({"vision_config": {"patch_size": 300}}, "vision_config.patch_size"),
    ],
)
def test_a_bad_tower_field_is_one_line_naming_it(tmp_path, capsys, data, words):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"model_type": "clip", "architectures": ["CLIPModel"], **data}))
    assert main(["count", str(path)]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("registry count: ") and words in line, line


def test_a_dinov2_swiglu_of_no_width_is_refused(tmp_path, capsys):
    """transformers builds empty (0-feature) weight matrices here; registry refuses the config instead."""
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"model_type": "dinov2", "architectures": ["Dinov2Model"], "hidden_size": 1,
                                "num_attention_heads": 1, "use_swiglu_ffn": True, "mlp_ratio": 1}))  # fmt: skip
    assert main(["count", str(path)]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "mlp_ratio: gives a SwiGLU MLP of 0 features" in line

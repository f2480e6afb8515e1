"""The Qwen vision towers (family ``qwen-vision``, rows in ``registry.plugins.qwen_vision_types``) against
transformers.

Reference: transformers 5.25's vision model of each sub-config (``Qwen2VisionTransformerPretrainedModel``,
``Qwen2_5_VisionTransformerPretrainedModel``, ``Qwen3VLVisionModel``, ``Qwen3VLMoeVisionModel``,
``Qwen3_5VisionModel``, ``Qwen3_5MoeVisionModel``) built on the meta device from a random small
vision config: ``sum(p.numel() for p in model.parameters())`` and every ``named_parameters()`` name
and shape (these towers tie nothing). Also the published towers of tests/configs, and refusals.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import registry
from registry.analyses.report import iter_tensors
from registry.contracts import ConfigReader
from registry.errors import SpecError
from registry.plugins.qwen_vision import QwenVisionParams
from registry.plugins.qwen_vision_types import VISION_ROWS
from tests._hf_configs import quiet_transformers

_SMALL = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
CONFIGS = Path(__file__).resolve().parent / "configs"

#: The fields each vision config draws (beside the heads and widths drawn by _config).
_COMMON = {"depth": st.integers(1, 3), "in_channels": st.integers(1, 4), "patch_size": st.integers(1, 4),
           "temporal_patch_size": st.integers(1, 3), "spatial_merge_size": st.integers(1, 3)}  # fmt: skip
_QWEN3 = {"intermediate_size": st.integers(1, 24), "out_hidden_size": st.integers(1, 20),
          "num_position_embeddings": st.integers(1, 30)}  # fmt: skip
_EXTRA = {
    "qwen2_vl_vision": {"mlp_ratio": st.integers(1, 4), "hidden_size": st.integers(1, 20)},
    "qwen2_5_vl_vision": {"intermediate_size": st.integers(1, 24), "out_hidden_size": st.integers(1, 20),
                          "window_size": st.integers(1, 64), "fullatt_block_indexes": st.lists(st.integers(0, 3), max_size=2)},
    "qwen3_vl_vision": {**_QWEN3, "deepstack_visual_indexes": st.lists(st.integers(0, 3), max_size=3)},
    "qwen3_vl_moe_vision": {**_QWEN3, "deepstack_visual_indexes": st.lists(st.integers(0, 3), max_size=3)},
    "qwen3_5_vision": _QWEN3,
    "qwen3_5_moe_vision": _QWEN3,
}  # fmt: skip


@st.composite
def _config(draw, model_type: str) -> dict:
    heads = draw(st.integers(1, 3))
    width = heads * 2 * draw(st.integers(1, 3))  # the rotary embedding needs an even head width
    key = "embed_dim" if model_type == "qwen2_vl_vision" else "hidden_size"
    fields = {"num_heads": heads, key: width}
    fields |= {name: draw(strategy) for name, strategy in {**_COMMON, **_EXTRA[model_type]}.items()}
    return fields


def _reference(model_type: str, data: dict) -> dict[str, tuple[int, ...]]:
    """Every parameter of transformers' tower of this vision config, with its shape."""
    import importlib

    import torch

    transformers = quiet_transformers()
    config = transformers.CONFIG_MAPPING[model_type](**{k: v for k, v in data.items() if k != "model_type"})
    modeling = importlib.import_module(type(config).__module__.replace(".configuration_", ".modeling_"))
    with torch.device("meta"):  # not every tower is exported at the top level (Qwen2-VL's)
        model = getattr(modeling, VISION_ROWS[model_type].classes[0])(config)
    return {name: tuple(p.shape) for name, p in model.named_parameters()}


def _ours(model_type: str, data: dict) -> dict[str, tuple[int, ...]]:
    """Every tensor of registry's tower of this vision config (read through the type's row)."""
    row = VISION_ROWS[model_type]
    reader = ConfigReader(data, "config.json")
    mapped = row.to_model_type(lambda family: QwenVisionParams.model_fields).map(reader, row.classes[0])
    model = registry.build_model(mapped.family, **{name: value for name, (_, value) in mapped.params.items()})
    return {t.path: t.shape for t in iter_tensors(model.architecture)}


@pytest.mark.parametrize("model_type", sorted(VISION_ROWS))
@_SMALL
@given(data=st.data())
def test_random_small_tower_matches_transformers(model_type, data):
    fields = data.draw(_config(model_type))
    assert _ours(model_type, fields) == _reference(model_type, fields)


def _published(folder: str) -> tuple[str, dict]:
    """The vision sub-config of a published file, and transformers' model type for it."""
    top = json.loads((CONFIGS / folder / "config.json").read_text())
    return f"{top['model_type']}_vision", top["vision_config"]


@pytest.mark.parametrize("folder", ["qwen2.5-vl-7b-instruct", "qwen3-vl-4b-instruct", "qwen3-vl-235b-a22b-thinking",
                                    "qwen3.5-9b", "qwen3.5-397b-a17b"])  # fmt: skip
def test_published_tower_matches_transformers(folder):
    if not (CONFIGS / folder).is_dir():
        pytest.skip(f"{folder} not in tests/configs")
    model_type, data = _published(folder)
    ours = _ours(model_type, data)
    assert ours == _reference(model_type, data)
    assert sum(__import__("math").prod(s) for s in ours.values()) > 0


@pytest.mark.parametrize(("model_type", "change", "field", "words"), [
    ("qwen3_vl_vision", {"num_heads": 5}, "n_heads", "does not divide"),
    ("qwen3_vl_vision", {"deepstack_visual_indexes": "8"}, "deepstack_visual_indexes", "must be a list"),
    ("qwen2_vl_vision", {"mlp_ratio": 4.0}, "mlp_ratio", "whole number"),
    ("qwen2_5_vl_vision", {"patch_size": [14, 14]}, "patch_size", "whole number"),
    ("qwen3_5_vision", {"depth": 0}, "n_layers", "greater than 0"),
])  # fmt: skip
def test_a_bad_vision_config_is_refused(model_type, change, field, words):
    with pytest.raises(SpecError) as caught:
        _ours(model_type, {"hidden_size": 64, "embed_dim": 64, "num_heads": 4, **change})
    assert field in str(caught.value) and words in str(caught.value)

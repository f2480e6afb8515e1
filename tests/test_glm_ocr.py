"""GLM-OCR (glm_ocr), a vision-language composite, and its vision tower, whole and part by part, against
transformers.

Reference: transformers 5.25's ``GlmOcrForConditionalGeneration`` of the config, built on the meta device
(``tests/composite_reference.py``): total ``sum(p.numel() for p in model.parameters())``, tensors
``named_parameters()`` (a tied head counted once); each part the parameters under the modules transformers
gives it (``model.visual.``: the tower with its downsampling convolution and merger; ``model.language_model.``
and ``lm_head.``). Both routes (count config.json; import-hf then count), on the published config
(tests/configs/glm-ocr, zai-org/GLM-OCR) and on small configs drawn from it (sizes shrunk, switches and
ties drawn).
"""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.cli import main
from tests.composite_reference import Reference, data_both_routes, refusal
from tests.conftest import ROOT

CONFIGS = ROOT / "tests" / "configs"
PLACES = {"vision": ("model.visual.",), "text": ("model.language_model.", "lm_head.")}
FOLDER = "glm-ocr"
_SMALL = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _data() -> dict:
    return json.loads((CONFIGS / FOLDER / "config.json").read_text())


def test_published_config_whole_and_by_part(tmp_path, capsys):
    data_both_routes(_data(), PLACES, tmp_path)
    capsys.readouterr()


def test_by_part_on_the_command_line(capsys):
    """``--part vision`` and ``--part text`` of GLM-OCR: the totals of transformers' modules under
    ``model.visual.`` and under ``model.language_model.`` with ``lm_head.``."""
    ref = Reference(_data())
    for part, prefixes in PLACES.items():
        assert main(["count", str(CONFIGS / FOLDER / "config.json"), "--part", part, "--format", "json"]) == 0
        (out,) = json.loads(capsys.readouterr().out)
        want = sum(p.numel() for n, p in ref.model.named_parameters() if n.startswith(prefixes))
        assert out["total_params"] == want, (part, want)


@st.composite
def _small(draw) -> dict:
    data = copy.deepcopy(_data())
    text, vision = data["text_config"], data["vision_config"]
    kv = draw(st.integers(1, 2))
    heads = kv * draw(st.integers(1, 3))
    width = heads * draw(st.sampled_from([2, 4, 8]))
    text.update({"hidden_size": width, "num_attention_heads": heads, "num_key_value_heads": kv,
                 "num_hidden_layers": draw(st.integers(1, 3)), "intermediate_size": draw(st.integers(1, 24)),
                 "vocab_size": draw(st.integers(8, 60)), "pad_token_id": 0, "attention_bias": draw(st.booleans()),
                 "head_dim": draw(st.sampled_from([2, 4, 6]))})  # fmt: skip
    text["rope_parameters"] = {**text["rope_parameters"], "mrope_section": [1, 0, 0]}
    if draw(st.booleans()):
        del text["head_dim"]  # hidden_size // num_attention_heads
    vheads = draw(st.integers(1, 2))
    patch = draw(st.integers(1, 4))
    vision.update({"depth": draw(st.integers(1, 3)), "num_heads": vheads, "hidden_size": vheads * 2 * draw(st.integers(1, 3)),
                   "patch_size": patch, "image_size": patch * draw(st.integers(1, 4)),
                   "temporal_patch_size": draw(st.integers(1, 2)), "spatial_merge_size": draw(st.integers(1, 2)),
                   "intermediate_size": draw(st.integers(1, 16)), "out_hidden_size": width,
                   "attention_bias": draw(st.booleans()), "in_channels": draw(st.integers(1, 3))})  # fmt: skip
    data["tie_word_embeddings"] = draw(st.booleans())
    return data


@_SMALL
@given(data=st.data())
def test_small_config_whole_and_by_part(data, tmp_path, capsys):
    data_both_routes(data.draw(_small()), PLACES, tmp_path)
    capsys.readouterr()


@pytest.mark.parametrize(("change", "words"), [
    ({"vision_config.num_heads": 5}, "vision_config.num_heads"),
    ({"vision_config.model_type": "qwen2_vl"}, "vision_config.model_type: 'qwen2_vl' is not supported"),
    ({"text_config.vocab_size": 0}, "text_config.vocab_size"),
    ({"text_config.num_attention_heads": 0}, "text_config.num_attention_heads"),
])  # fmt: skip
def test_a_bad_field_is_refused_naming_it(change, words, tmp_path, capsys):
    err = refusal(_data(), change, tmp_path, capsys)
    assert words in err, err


def test_fields_transformers_ignores_are_named(capsys):
    """The published file's ``num_nextn_predict_layers`` (the checkpoint's multi-token-prediction layer, which
    transformers drops on load) and ``attention_bias`` (GlmOcrTextAttention has no biases) are no fields of
    GlmOcrTextConfig: reported as ignored."""
    assert main(["count", str(CONFIGS / FOLDER / "config.json"), "--format", "json"]) == 0
    err = capsys.readouterr().err
    assert "text_config.num_nextn_predict_layers" in err and "text_config.attention_bias" in err

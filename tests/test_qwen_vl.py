"""The Qwen vision-language composites (qwen2_vl, qwen2_5_vl, qwen3_vl, qwen3_vl_moe, qwen3_5, qwen3_5_moe), whole
and part by part, against transformers.

Reference: transformers 5.25's ``<X>ForConditionalGeneration`` of the config, built on the meta device: the
total is ``sum(p.numel() for p in model.parameters())``, the tensors ``named_parameters()`` (a tied head
counted once, at the embedding; fused routed experts compared by their number of elements), the active
count of a MoE language model the total less ``(n_experts - top_k) / n_experts`` of the routed experts'
parameters; each part is the parameters under the modules transformers gives it (``model.visual.``: the
vision tower with its patch merger; ``model.language_model.`` and ``lm_head.``: the language model).
Both routes (count config.json; import-hf then count), on every published config of these types and on
small configs drawn from them (sizes shrunk, tie and layout switches drawn; Qwen2-VL's flat form too).
"""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.cli import main
from tests.composite_reference import data_both_routes, published_folders, refusal
from tests.conftest import ROOT

CONFIGS = ROOT / "tests" / "configs"
PLACES = {"vision": ("model.visual.",), "text": ("model.language_model.", "lm_head.")}
#: A published config of each type, the base of the small ones drawn.
BASES = {"qwen2_vl": "monoqwen2-vl-v0.1", "qwen2_5_vl": "qwen2.5-vl-7b-instruct",
         "qwen3_vl": "qwen3-vl-4b-instruct", "qwen3_vl_moe": "qwen3-vl-235b-a22b-thinking", "qwen3_5": "qwen3.5-9b",
         "qwen3_5_moe": "qwen3.5-397b-a17b"}  # fmt: skip
FOLDERS = published_folders(BASES)
_SMALL = settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _data(folder: str) -> dict:
    return json.loads((CONFIGS / folder / "config.json").read_text())


def _both_routes(data: dict, tmp_path) -> None:
    data_both_routes(data, PLACES, tmp_path, fused=True)


@pytest.mark.parametrize("folder", FOLDERS)
def test_published_config_whole_and_by_part(folder, tmp_path, capsys):
    _both_routes(_data(folder), tmp_path)
    capsys.readouterr()


def test_every_type_has_a_published_config():
    assert {_data(f)["model_type"] for f in FOLDERS} == set(BASES)


# --------------------------------------------------------------------------- small configs drawn


def _text_fields(draw, model_type: str, text: dict) -> dict:
    """The language model's sizes shrunk (and its switches drawn), in place of the published ones."""
    kv = draw(st.integers(1, 2))
    heads = kv * draw(st.integers(1, 2))
    head_dim = 2 * draw(st.integers(2, 4))
    layers = draw(st.integers(1, 4))
    out = {"num_hidden_layers": layers, "num_attention_heads": heads, "num_key_value_heads": kv,
           "intermediate_size": draw(st.integers(1, 24)), "vocab_size": draw(st.integers(8, 60))}  # fmt: skip
    if model_type.startswith("qwen2"):  # the head width is hidden_size / heads
        out["hidden_size"] = heads * head_dim
        out["rope_scaling"] = {"type": "mrope", "mrope_section": [head_dim // 2, 0, 0]}
    else:
        out |= {"hidden_size": draw(st.sampled_from([8, 12, 16])), "head_dim": head_dim}
    if model_type.startswith("qwen3_5"):
        kinds = ["linear_attention", "full_attention"]
        out |= {"layer_types": [draw(st.sampled_from(kinds)) for _ in range(layers)],
                "linear_num_key_heads": 1, "linear_num_value_heads": draw(st.sampled_from([1, 2])),
                "linear_key_head_dim": 4, "linear_value_head_dim": 4, "linear_conv_kernel_dim": 2,
                "rope_parameters": {**text.get("rope_parameters", {}), "mrope_section": [1, 1, 0]}}  # fmt: skip
    if "num_experts" in text:
        experts = draw(st.integers(1, 4))
        out |= {"num_experts": experts, "num_experts_per_tok": draw(st.integers(1, experts)),
                "moe_intermediate_size": draw(st.integers(1, 12))}  # fmt: skip
        if "shared_expert_intermediate_size" in text:
            out["shared_expert_intermediate_size"] = draw(st.integers(1, 12))
    return out


def _vision_fields(draw, model_type: str, text_width: int) -> dict:
    heads = draw(st.integers(1, 2))
    width = heads * 2 * draw(st.integers(1, 3))
    out = {"depth": draw(st.integers(1, 3)), "num_heads": heads, "patch_size": draw(st.integers(1, 4)),
           "temporal_patch_size": draw(st.integers(1, 2)), "spatial_merge_size": draw(st.integers(1, 2))}  # fmt: skip
    if model_type == "qwen2_vl":
        return out | {"embed_dim": width, "mlp_ratio": draw(st.integers(1, 3)), "hidden_size": text_width}
    out |= {"hidden_size": width, "intermediate_size": draw(st.integers(1, 16)), "out_hidden_size": text_width}
    if model_type.startswith("qwen3"):
        out["num_position_embeddings"] = draw(st.sampled_from([4, 9, 16]))
    if model_type.startswith("qwen3_vl"):
        out["deepstack_visual_indexes"] = draw(st.lists(st.integers(0, 2), max_size=3))
    return out


@st.composite
def _small(draw, model_type: str) -> dict:
    data = copy.deepcopy(_data(BASES[model_type]))
    flat = "text_config" not in data
    text = data if flat else data["text_config"]
    for key in ("max_window_layers", "layer_types"):  # the published layers' count
        text.pop(key, None)
    text.update(_text_fields(draw, model_type, text))
    data["vision_config"].update(_vision_fields(draw, model_type, text["hidden_size"]))
    data["tie_word_embeddings"] = draw(st.booleans())
    if model_type in ("qwen2_vl", "qwen2_5_vl") and not flat and draw(st.booleans()):  # the Hub's flat form
        data = {**data.pop("text_config"), **data}
    return data


@pytest.mark.parametrize("model_type", sorted(BASES))
@_SMALL
@given(data=st.data())
def test_small_config_whole_and_by_part(model_type, data, tmp_path, capsys):
    _both_routes(data.draw(_small(model_type)), tmp_path)
    capsys.readouterr()


# --------------------------------------------------------------------------- refusals and notes


@pytest.mark.parametrize(("folder", "change", "words"), [
    ("qwen3-vl-4b-instruct", {"vision_config.num_heads": 5}, "vision_config.num_heads"),
    ("qwen3-vl-4b-instruct", {"vision_config.model_type": "qwen2_vl"}, "vision_config.model_type: 'qwen2_vl' is not supported"),
    ("qwen2.5-vl-7b-instruct", {"num_attention_heads": 5}, "num_attention_heads: 5 does not divide"),
    ("qwen2.5-vl-7b-instruct", {"vision_config.depth": 0}, "vision_config.depth"),
    ("qwen3.5-9b", {"text_config.vocab_size": 0}, "text_config.vocab_size"),
])  # fmt: skip
def test_a_bad_field_is_refused_naming_it(folder, change, words, tmp_path, capsys):
    err = refusal(_data(folder), change, tmp_path, capsys)
    assert words in err, err


def test_fields_transformers_ignores_are_named(capsys):
    assert main(["count", str(CONFIGS / "qwen2.5-vl-7b-instruct" / "config.json"), "--format", "json"]) == 0
    err = capsys.readouterr().err
    # a top-level field Qwen2_5_VLConfig does not have, and two Qwen2_5_VLVisionConfig does not have
    assert "never reads them: vision_token_id, vision_config.in_chans, vision_config.spatial_patch_size" in err

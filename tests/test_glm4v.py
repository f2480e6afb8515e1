"""GLM's vision-language composites (glm4v, glm4v_moe) and their vision towers, whole and part by part, against
transformers.

Reference: transformers 5.25's ``Glm4vForConditionalGeneration`` / ``Glm4vMoeForConditionalGeneration`` of the
config, built on the meta device (``tests/composite_reference.py``): total ``sum(p.numel() for p in
model.parameters())``, tensors ``named_parameters()`` (a tied head counted once; fused routed experts compared
by their number of elements), the active count of the MoE language model the total less ``(n_experts - top_k)
/ n_experts`` of the routed experts' parameters; each part the parameters under the modules transformers gives
it (``model.visual.``: the tower with its downsampling convolution and merger; ``model.language_model.`` and
``lm_head.``). Both routes (count config.json; import-hf then count), on the configs under tests/configs and
on small configs drawn from them (sizes shrunk, switches and ties drawn).
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
#: The config of each type under tests/configs, the base of the small ones drawn.
BASES = {"glm4v": "glm4v-transformers-defaults", "glm4v_moe": "glm-4.5v"}
_SMALL = settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _data(folder: str) -> dict:
    return json.loads((CONFIGS / folder / "config.json").read_text())


def _both_routes(data: dict, tmp_path) -> None:
    data_both_routes(data, PLACES, tmp_path, fused=True)


@pytest.mark.parametrize("folder", sorted({*BASES.values(), "glm-4.6v-flash"}))
def test_config_whole_and_by_part(folder, tmp_path, capsys):
    _both_routes(_data(folder), tmp_path)
    capsys.readouterr()


def test_glm_4_5v_by_part_on_the_command_line(capsys):
    """``--part vision`` and ``--part text`` of GLM-4.5V: the totals of transformers' modules under
    ``model.visual.`` and under ``model.language_model.`` with ``lm_head.``."""
    ref = Reference(_data("glm-4.5v"))
    for part, prefixes in PLACES.items():
        assert main(["count", str(CONFIGS / "glm-4.5v" / "config.json"), "--part", part, "--format", "json"]) == 0
        (out,) = json.loads(capsys.readouterr().out)
        want = sum(p.numel() for n, p in ref.model.named_parameters() if n.startswith(prefixes))
        assert out["total_params"] == want, (part, want)
        if part == "text":  # 8 of 128 routed experts in the 45 MoE layers
            routed = sum(p.numel() for n, p in ref.model.named_parameters() if ".experts." in n)
            assert out["active_params"] == want - routed * (128 - 8) // 128


# --------------------------------------------------------------------------- small configs drawn


@st.composite
def _small(draw, model_type: str) -> dict:
    data = copy.deepcopy(_data(BASES[model_type]))
    text, vision = data["text_config"], data["vision_config"]
    kv = draw(st.integers(1, 2))
    heads = kv * draw(st.integers(1, 3))
    width = heads * draw(st.sampled_from([2, 4, 8]))
    text.update({"hidden_size": width, "num_attention_heads": heads, "num_key_value_heads": kv,
                 "num_hidden_layers": draw(st.integers(1, 3)), "intermediate_size": draw(st.integers(1, 24)),
                 "vocab_size": draw(st.integers(8, 60)), "pad_token_id": 0})  # fmt: skip
    if model_type == "glm4v_moe":
        experts = draw(st.integers(1, 4))  # shared experts 1..2: none means zero-width tensors (types_table checks it)
        text.update({"n_routed_experts": experts, "num_experts_per_tok": draw(st.integers(1, experts)),
                     "moe_intermediate_size": draw(st.integers(1, 12)), "n_shared_experts": draw(st.integers(1, 2)),
                     "first_k_dense_replace": draw(st.integers(0, 2)), "attention_bias": draw(st.booleans()),
                     "head_dim": draw(st.sampled_from([2, 4, 6]))})  # fmt: skip
        rope = "rope_parameters" if "rope_parameters" in text else "rope_scaling"  # the published file: rope_scaling
        text[rope] = {**text[rope], "mrope_section": [1, 0, 0]}
    vheads = draw(st.integers(1, 2))
    patch = draw(st.integers(1, 4))
    vision.update({"depth": draw(st.integers(1, 3)), "num_heads": vheads, "hidden_size": vheads * 2 * draw(st.integers(1, 3)),
                   "patch_size": patch, "image_size": patch * draw(st.integers(1, 4)),
                   "temporal_patch_size": draw(st.integers(1, 2)), "spatial_merge_size": draw(st.integers(1, 2)),
                   "intermediate_size": draw(st.integers(1, 16)), "out_hidden_size": width,
                   "attention_bias": draw(st.booleans()), "in_channels": draw(st.integers(1, 3))})  # fmt: skip
    data["tie_word_embeddings"] = draw(st.booleans())
    return data


@pytest.mark.parametrize("model_type", sorted(BASES))
@_SMALL
@given(data=st.data())
def test_small_config_whole_and_by_part(model_type, data, tmp_path, capsys):
    _both_routes(data.draw(_small(model_type)), tmp_path)
    capsys.readouterr()


# --------------------------------------------------------------------------- refusals and notes


@pytest.mark.parametrize(("change", "words"), [
    ({"vision_config.num_heads": 5}, "vision_config.num_heads"),
    ({"vision_config.patch_size": 400}, "vision_config.image_size"),
    ({"vision_config.model_type": "qwen2_vl"}, "vision_config.model_type: 'qwen2_vl' is not supported"),
    ({"text_config.vocab_size": 0}, "text_config.vocab_size"),
])  # fmt: skip
def test_a_bad_field_is_refused_naming_it(change, words, tmp_path, capsys):
    err = refusal(_data("glm-4.5v"), change, tmp_path, capsys)
    assert words in err, err


def test_the_published_vision_type_name_is_read_as_transformers_renames_it(tmp_path, capsys):
    """The Hub's GLM-4.5V file names its vision sub-config ``"glm4v_moe"``; transformers reads it as
    ``glm4v_moe_vision`` (``Glm4vMoeConfig.__post_init__``), and so does registry: the same count."""
    data = _data("glm-4.5v")
    data["vision_config"]["model_type"] = "glm4v_moe"
    _both_routes(data, tmp_path)
    capsys.readouterr()


def test_fields_transformers_ignores_are_named(capsys):
    """GLM-4.5V's ``use_qk_norm`` is no field of Glm4vMoeTextConfig and its model holds no query/key norms."""
    assert main(["count", str(CONFIGS / "glm-4.5v" / "config.json"), "--format", "json"]) == 0
    err = capsys.readouterr().err
    assert "text_config.use_qk_norm" in err


def test_the_hub_files_older_fields_count_as_transformers_reads_them(tmp_path, capsys):
    """The Hub's GLM-4.1V files (as hf-internal-testing/tiny-processor-glm4v shows them) spell the vision type
    ``"glm4v"``, give ``rope_theta``/``partial_rotary_factor``/``rope_scaling`` in text_config, an
    ``attention_bias`` Glm4vTextConfig does not have (its attention always has the biases) and, in older
    files, the text fields at the top level too: counted as transformers builds them."""
    data = _data("glm4v-transformers-defaults")
    data["vision_config"].update(model_type="glm4v", hidden_dropout_prob=0.0)
    text = data["text_config"]
    text.pop("rope_parameters", None)
    text.update(rope_theta=10000, partial_rotary_factor=0.5, attention_bias=False,
                rope_scaling={"rope_type": "default", "mrope_section": [8, 12, 12]})  # fmt: skip
    data.update(hidden_size=64, num_hidden_layers=2)
    _both_routes(data, tmp_path)
    capsys.readouterr()

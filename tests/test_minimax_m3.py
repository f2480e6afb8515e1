"""MiniMax-M3 (minimax_m3_vl), a vision-language composite with a MoE language model, and its vision tower,
whole and part by part, against transformers.

Reference: transformers 5.25's ``MiniMaxM3SparseForConditionalGeneration`` of the config, built on the meta
device (``tests/composite_reference.py``): total ``sum(p.numel() for p in model.parameters())``, tensors
``named_parameters()`` (a tied head counted once), the active count the total less ``(n_experts - top_k) /
n_experts`` of the routed experts' parameters; each part the parameters under the modules transformers gives it
(``model.vision_tower.``, ``model.multi_modal_projector.``, ``model.language_model.`` with ``lm_head.``). Both
routes (count config.json; import-hf then count), on the published config (tests/configs/minimax-m3-nvfp4,
nvidia/MiniMax-M3-NVFP4) and on small configs drawn from it (sizes and layer patterns drawn, in the
remote-code spelling of the published file or in transformers' own).
"""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.cli import main
from tests.composite_reference import data_both_routes, refusal
from tests.conftest import ROOT

CONFIGS = ROOT / "tests" / "configs"
FOLDER = "minimax-m3-nvfp4"
PLACES = {"vision": ("model.vision_tower.",), "projector": ("model.multi_modal_projector.",),
          "text": ("model.language_model.", "lm_head.")}  # fmt: skip
_SMALL = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _data() -> dict:
    return json.loads((CONFIGS / FOLDER / "config.json").read_text())


def test_published_config_whole_by_part_and_active(tmp_path, capsys):
    data_both_routes(_data(), PLACES, tmp_path, fused=True)
    capsys.readouterr()


def test_the_active_count_on_the_command_line(capsys):
    """MiniMax-M3: 4 of 128 routed experts in the 57 MoE layers (moe_layer_freq: the first 3 dense); the
    shared expert, the routers, the indexers and the vision tower always count."""
    assert main(["count", str(CONFIGS / FOLDER / "config.json"), "--format", "json"]) == 0
    (out,) = json.loads(capsys.readouterr().out)
    routed = 57 * 128 * (2 * 3072 * 6144 + 6144 * 3072)  # experts.gate_up_proj and experts.down_proj per layer
    assert out["active_params"] == out["total_params"] - routed * (128 - 4) // 128


@st.composite
def _small(draw) -> dict:
    data = copy.deepcopy(_data())
    del data["quantization_config"]
    text, vision = data["text_config"], data["vision_config"]
    kv = draw(st.integers(1, 2))
    heads = kv * draw(st.integers(1, 3))
    layers = draw(st.integers(1, 4))
    experts = draw(st.integers(1, 4))
    width = draw(st.sampled_from([4, 8, 12]))
    text.update({"hidden_size": width, "num_attention_heads": heads, "num_key_value_heads": kv, "num_hidden_layers": layers,
                 "head_dim": draw(st.sampled_from([2, 4, 6])), "intermediate_size": draw(st.integers(1, 8)),
                 "dense_intermediate_size": draw(st.integers(1, 12)), "shared_intermediate_size": draw(st.integers(1, 8)),
                 "num_local_experts": experts, "num_experts_per_tok": draw(st.integers(1, experts)),
                 "vocab_size": draw(st.integers(8, 60)), "tie_word_embeddings": draw(st.booleans())})  # fmt: skip
    moe = draw(st.lists(st.integers(0, 1), min_size=layers, max_size=layers))
    sparse = draw(st.lists(st.integers(0, 1), min_size=layers, max_size=layers))
    index = {"sparse_num_index_heads": draw(st.integers(1, 3)), "sparse_index_dim": draw(st.sampled_from([2, 4]))}
    if draw(st.booleans()):  # the published (remote-code) spelling
        text["moe_layer_freq"] = moe
        text["sparse_attention_config"] = {**text["sparse_attention_config"], **index, "sparse_attention_freq": sparse}
    else:  # transformers' own fields
        del text["moe_layer_freq"], text["sparse_attention_config"]
        text["mlp_layer_types"] = ["sparse" if m else "dense" for m in moe]
        text["layer_types"] = ["minimax_m3_sparse" if s else "full_attention" for s in sparse]
        text.update(index_n_heads=index["sparse_num_index_heads"], index_head_dim=index["sparse_index_dim"])
    vheads = draw(st.integers(1, 2))
    vision.update({"hidden_size": vheads * draw(st.sampled_from([2, 4])), "num_attention_heads": vheads,
                   "num_hidden_layers": draw(st.integers(1, 2)), "intermediate_size": draw(st.integers(1, 8)),
                   "patch_size": draw(st.integers(1, 3)), "temporal_patch_size": draw(st.integers(1, 2)),
                   "num_channels": draw(st.integers(1, 3)), "spatial_merge_size": draw(st.integers(1, 2))})  # fmt: skip
    data["projector_hidden_size"] = draw(st.integers(1, 12))
    data["tie_word_embeddings"] = draw(st.booleans())
    return data


@_SMALL
@given(data=st.data())
def test_small_config_whole_by_part_and_active(data, tmp_path, capsys):
    data_both_routes(data.draw(_small()), PLACES, tmp_path, fused=True)
    capsys.readouterr()


def _small_base() -> dict:
    data = _data()
    del data["quantization_config"]
    return data


@pytest.mark.parametrize(("change", "words"), [
    ({"vision_config.num_attention_heads": 7}, "vision_config.num_attention_heads"),
    ({"text_config.num_experts_per_tok": 200}, "text_config.num_experts_per_tok"),
    ({"text_config.moe_layer_freq": [1, 0]}, "text_config.moe_layer_freq: lists 2 layers"),
    ({"text_config.layer_types": ["sliding_attention"] * 60}, "text_config.layer_types: must be a list"),
    ({"text_config.sparse_attention_config": {"sparse_index_dim": 0}}, "text_config.sparse_attention_config"),
    ({"projector_hidden_size": 0}, "projector_hidden_size"),
])  # fmt: skip
def test_a_bad_field_is_refused_naming_it(change, words, tmp_path, capsys):
    err = refusal(_small_base(), change, tmp_path, capsys)
    assert words in err, err


def test_fields_transformers_ignores_are_named(capsys):
    """The remote-code file's fields MiniMaxM3VLTextConfig does not have (``use_qk_norm``, ``n_shared_experts``:
    the model always holds the query/key norms and one shared expert) are reported as ignored."""
    assert main(["count", str(CONFIGS / FOLDER / "config.json"), "--format", "json"]) == 0
    err = capsys.readouterr().err
    assert "text_config.use_qk_norm" in err and "text_config.n_shared_experts" in err

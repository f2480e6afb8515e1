"""The model types of plugins/types_paddle_2026.py (pp_chart2table and its tower pp_chart2table_vision; pp_formulanet and
its parts pp_formulanet_vision, pp_formulanet_text), whole and part by part, against transformers.

Reference: transformers 5.25's model of the config's class on the meta device, as in tests/test_composite.py
(tests/composite_reference.py): the total is ``sum(p.numel() for p in model.parameters())``, the tensor names and
shapes are ``named_parameters()``'s, each part (``--part``) the parameters under the modules transformers gives it
(:data:`PLACES`, from ``modeling_got_ocr2.py``, the class ``modeling_auto.py`` maps ``pp_chart2table`` to, and
``modeling_pp_formulanet.py``). Published
configs in ``tests/configs`` by both routes (count config.json; import-hf then count) and each part alone by ``registry
count --part``; random small configs (transformers' configuration of shrunk sub-configs, as ``to_dict()`` writes it);
the refusals name the field.
"""

from __future__ import annotations

import json
import random

import pytest

from tests.composite_reference import Reference, composite_data, data_both_routes, parts_by_command, published_folders, refusal, small_text
from tests.conftest import ROOT

CONFIGS = ROOT / "tests" / "configs"
_TEXT = ("model.language_model.", "lm_head.")
#: Where transformers 5.25 keeps each part of each type (attributes of the class).
PLACES = {
    "pp_chart2table": {"vision": ("model.vision_tower.",), "projector": ("model.multi_modal_projector.",), "text": _TEXT},
    "pp_formulanet": {"vision": tuple(f"model.encoder.{m}" for m in ("patch_embed.", "pos_embed", "layers.", "neck.")),
                      "projector": ("model.encoder.multi_modal_projector.",), "text": ("model.decoder.", "lm_head.")},
}  # fmt: skip
CLASSES = {"pp_chart2table": "GotOcr2ForConditionalGeneration", "pp_formulanet": "PPFormulaNetForConditionalGeneration"}
COMPOSITE_TYPES = tuple(CLASSES)
FOLDERS = published_folders(COMPOSITE_TYPES)
PP_CHART2TABLE = CONFIGS / "pp-chart2table" / "config.json"
PP_FORMULANET = CONFIGS / "pp-formulanet-plus-l" / "config.json"


def _check_data(data: dict, tmp_path) -> None:
    """``data`` against transformers' model of it, by both routes, whole and by part (Paddle's files name no class)."""
    data_both_routes(data, PLACES[data["model_type"]], tmp_path, architecture=CLASSES[data["model_type"]])


def test_every_type_has_a_published_config():
    assert {json.loads((CONFIGS / f / "config.json").read_text())["model_type"] for f in FOLDERS} == set(COMPOSITE_TYPES)


@pytest.mark.parametrize("folder", FOLDERS)
def test_published_whole_and_by_part(folder, tmp_path, capsys):
    path = CONFIGS / folder / "config.json"
    data = json.loads(path.read_text())
    _check_data(data, tmp_path)
    parts_by_command((path, tmp_path / "imported.toml"), Reference(data | {"architectures": [CLASSES[data["model_type"]]]}).names, PLACES[data["model_type"]], capsys)


@pytest.mark.parametrize("left_out", [("hidden_size",), ("vocab_size", "intermediate_size"),
                                      ("num_hidden_layers", "num_attention_heads", "num_key_value_heads")])
def test_pp_chart2table_text_fields_left_out_take_its_values(left_out, tmp_path):
    """Reference: transformers' model of the published config less some text fields (Qwen2's defaults: the
    ``init_kwargs`` of ``PPChart2TableConfig.sub_configs_defaults`` apply only to an absent ``text_config``,
    ``SubConfigSpec.build``), and the vision config with no fields at all (``PPChart2TableVisionConfig``'s defaults)."""
    data = json.loads(PP_CHART2TABLE.read_text())
    data["text_config"] = {k: v for k, v in data["text_config"].items() if k not in left_out}
    _check_data(data, tmp_path)
    _check_data(data | {"vision_config": {}}, tmp_path)


def _small(seed: int, model_type: str) -> dict:
    """A small random config of ``model_type``: transformers' configuration of a shrunk SAM encoder and language model
    (pp_formulanet: mBART decoder and projector channels)."""
    rng = random.Random(seed)
    heads = rng.choice((2, 4))
    width = heads * rng.choice((8, 16))
    layers = rng.choice((1, 3))
    text_type = rng.choice(("llama", "qwen2"))
    text = {"model_type": text_type, **small_text(rng, heads, width)}
    sam = {"model_type": f"{model_type}_vision", "hidden_size": 8 * heads, "num_hidden_layers": layers,
           "num_attention_heads": heads, "image_size": 32, "patch_size": rng.choice((4, 8)),
           "output_channels": rng.choice((6, 8)), "window_size": rng.choice((0, 2, 3)),
           "global_attn_indexes": rng.sample(range(layers), rng.choice((1, layers))),
           "use_abs_pos": rng.choice((True, False)), "use_rel_pos": rng.choice((True, False)),
           "qkv_bias": rng.choice((True, False)), "mlp_dim": rng.choice((12, 20))}  # fmt: skip
    if model_type == "pp_formulanet":
        sam |= {"post_conv_in_channels": sam["output_channels"], "post_conv_mid_channels": rng.choice((4, 10)),
                "post_conv_out_channels": rng.choice((6, 12)), "decoder_hidden_size": width}
        text = {"d_model": width, "decoder_layers": rng.choice((1, 2)), "decoder_attention_heads": heads,
                "decoder_ffn_dim": rng.choice((24, 40)), "vocab_size": rng.choice((97, 128)),
                "max_position_embeddings": rng.choice((16, 30)), "encoder_layers": rng.choice((0, 3)),
                "tie_word_embeddings": rng.choice((True, False)), "scale_embedding": rng.choice((True, False))}  # fmt: skip
        return composite_data(model_type, CLASSES[model_type], text=text, vision=sam)
    top = {"tie_word_embeddings": rng.choice((True, False))} if rng.random() < 0.5 else {}
    return composite_data(model_type, CLASSES[model_type], text=text, vision=sam, **top)


@pytest.mark.parametrize("model_type", COMPOSITE_TYPES)
@pytest.mark.parametrize("seed", range(6))
def test_small_random_composites(model_type, seed, tmp_path, capsys):
    data = _small(seed, model_type)
    if seed % 3 == 2:  # the top level's tie left to the configuration's default
        data.pop("tie_word_embeddings", None)
    _check_data(data, tmp_path)
    capsys.readouterr()


@pytest.mark.parametrize(("path", "change", "message"), [
    (PP_CHART2TABLE, {"vision_config.window_size": -1}, "vision_config.window_size: must be >= 0"),
    (PP_CHART2TABLE, {"vision_config.global_attn_indexes": "all"}, "vision_config.global_attn_indexes:"),
    (PP_CHART2TABLE, {"vision_config.model_type": "siglip_vision_model"}, "vision_config.model_type: 'siglip_vision_model'"),
    (PP_CHART2TABLE, {"text_config.hidden_size": 0}, "text_config.hidden_size: must be >= 1"),
    (PP_FORMULANET, {"vision_config.post_conv_mid_channels": 0}, "vision_config.post_conv_mid_channels: must be >= 1"),
    (PP_FORMULANET, {"vision_config.decoder_hidden_size": "wide"}, "vision_config.decoder_hidden_size: must be a whole"),
    (PP_FORMULANET, {"text_config.decoder_layers": -1}, "text_config.decoder_layers: must be >= 0"),
    (PP_FORMULANET, {"vision_config.model_type": "sam_vision_model"}, "vision_config.model_type: 'sam_vision_model'"),
])  # fmt: skip
def test_refusals(path, change, message, tmp_path, capsys):
    err = refusal(json.loads(path.read_text()), change, tmp_path, capsys)
    assert message in err, err

"""SAM 3 (``sam3``, ``Sam3Model``) whole and part by part against transformers, random small configs, refusals.

Reference: transformers 5.25's ``Sam3Model`` of the config (``modeling_sam3.py``) on the meta device, as in
tests/composite_reference.py: the total is ``sum(p.numel() for p in model.parameters())``, the tensor names and
shapes ``named_parameters()``'s, and each part (``--part``) the parameters under the modules ``Sam3Model.__init__``
gives it (:data:`PLACES`). The published config (tiny-random/sam3) by both routes (count config.json; import-hf then
count); random small configs are transformers' ``Sam3Config`` of shrunk sub-configs, as ``to_dict()`` writes it.
"""

from __future__ import annotations

import random

import pytest

from tests.composite_reference import Reference, check_both_routes, data_both_routes, published_folders, refusal
from tests._hf_configs import quiet_transformers
from tests.conftest import ROOT

CONFIGS = ROOT / "tests" / "configs"
#: Where ``Sam3Model`` keeps each part (its attributes: ``vision_encoder``, ``text_encoder``, ...).
PLACES = {"vision": ("vision_encoder.",), "text": ("text_encoder.",), "geometry": ("geometry_encoder.",),
          "detr_encoder": ("detr_encoder.",), "detr_decoder": ("detr_decoder.",), "mask_decoder": ("mask_decoder.",),
          "heads": ("text_projection.", "dot_product_scoring.")}  # fmt: skip
FOLDERS = published_folders(("sam3",))


def test_a_published_config_is_held():
    assert FOLDERS == ["tiny-random-sam3"]


@pytest.mark.parametrize("folder", FOLDERS)
def test_published_whole_and_by_part(folder, tmp_path, capsys):
    check_both_routes(CONFIGS / folder / "config.json", PLACES, tmp_path)
    capsys.readouterr()


def _stage(rng: random.Random, widths=(4, 8)) -> dict:
    heads = rng.choice((1, 2))
    return {"num_attention_heads": heads, "hidden_size": heads * rng.choice(widths), "intermediate_size": rng.choice((3, 8)),
            "num_layers": rng.choice((0, 1, 2))}  # fmt: skip


def small(seed: int) -> dict:
    """A small random SAM 3 config: ``Sam3Config`` of shrunk sub-configs, as ``to_dict()`` writes it."""
    rng = random.Random(seed)
    heads = rng.choice((1, 2))
    patch = rng.choice((2, 4))
    backbone = {"model_type": "sam3_vit_model", "num_attention_heads": heads, "hidden_size": heads * rng.choice((4, 8)),
                "intermediate_size": rng.choice((3, 10)), "num_hidden_layers": rng.choice((0, 1, 3)),
                "num_channels": rng.choice((1, 3)), "patch_size": patch, "pretrain_image_size": patch * rng.choice((1, 3)),
                "window_size": rng.choice((2, 3)), "global_attn_indexes": rng.choice(([], [0], [1, 2]))}  # fmt: skip
    scales = rng.sample((4.0, 2.0, 1.0, 0.5), rng.choice((1, 2, 4)))
    vision = {"backbone_config": backbone, "fpn_hidden_size": rng.choice((2, 5)), "scale_factors": scales}
    text_heads = rng.choice((1, 2))
    text = {"model_type": "clip_text_model", "num_attention_heads": text_heads, "hidden_size": 4 * text_heads,
            "intermediate_size": rng.choice((5, 8)), "num_hidden_layers": rng.choice((1, 2)),
            "vocab_size": rng.choice((50, 99)), "max_position_embeddings": rng.choice((5, 32))}  # fmt: skip
    if rng.random() < 0.7:
        text["projection_dim"] = rng.choice((3, 6))
    geometry = {**_stage(rng), "roi_size": rng.choice((1, 3))}
    decoder = {**_stage(rng), "num_queries": rng.choice((1, 5))}
    mask = {"num_attention_heads": rng.choice((1, 2)), "hidden_size": rng.choice((8, 16)),
            "num_upsampling_stages": rng.choice((0, 1, 3))}  # fmt: skip
    config = quiet_transformers().Sam3Config(
        vision_config=vision, text_config=text, geometry_encoder_config=geometry, detr_encoder_config=_stage(rng),
        detr_decoder_config=decoder, mask_decoder_config=mask)  # fmt: skip
    data = config.to_dict()
    data["architectures"] = ["Sam3Model"]
    return data


@pytest.mark.parametrize("seed", range(8))
def test_small_random_configs(seed, tmp_path, capsys):
    data = small(seed)
    names = Reference(data).names  # a part without tensors (a DETR encoder of no layers) is not one of the report's
    data_both_routes(data, {k: v for k, v in PLACES.items() if any(n.startswith(v) for n in names)}, tmp_path)
    capsys.readouterr()


def test_the_published_config_and_the_reference_agree_on_the_text_projection():
    """CLIPTextModelWithProjection's ``text_projection`` (projection_dim 16 in tiny-random/sam3) is in the reference."""
    import json

    names = Reference(json.loads((CONFIGS / "tiny-random-sam3" / "config.json").read_text())).names
    assert names["text_encoder.text_projection.weight"] == (16, 16)


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"mask_decoder_config.hidden_size": 12}, "mask_decoder_config.hidden_size", "multiple of 8"),
    ({"vision_config.scale_factors": [3.0]}, "vision_config.scale_factors", "4.0, 2.0, 1.0 or 0.5"),
    ({"vision_config.backbone_config.num_attention_heads": 3}, "vision_config.backbone_config.num_attention_heads",
     "does not divide"),
    ({"vision_config.backbone_config.model_type": None}, "vision_config.backbone_config", "sam3_vit_model"),
    ({"vision_config.backbone_config.patch_size": 400}, "vision_config.backbone_config.patch_size", "exceeds"),
    ({"vision_config.model_type": "sam2_vision_model"}, "vision_config.model_type", "not supported"),
    ({"text_config.projection_dim": 0}, "text_config.projection_dim", ">= 1"),
    ({"detr_decoder_config": None}, "detr_decoder_config", "missing"),
    ({"detr_encoder_config.num_layers": "six"}, "detr_encoder_config.num_layers", "whole number"),
])  # fmt: skip
def test_bad_values_are_refused_in_one_line(change, field, words, tmp_path, capsys):
    import json

    data = json.loads((CONFIGS / "tiny-random-sam3" / "config.json").read_text())
    err = refusal(data, change, tmp_path, capsys)
    assert field in err and words in err, err

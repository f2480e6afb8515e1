"""SAM 3 (``sam3``, ``Sam3Model``) and SAM 3 video (``sam3_video``, ``Sam3VideoModel``) whole and part by part against
transformers, random small configs, refusals.

Reference: transformers 5.25's ``Sam3Model`` / ``Sam3VideoModel`` of the config (``modeling_sam3.py``,
``modeling_sam3_video.py``) on the meta device, as in
tests/composite_reference.py: the total is ``sum(p.numel() for p in model.parameters())``, the tensor names and
shapes ``named_parameters()``'s, and each part (``--part``) the parameters under the modules ``Sam3Model.__init__``
gives it (:data:`PLACES`, :data:`VIDEO_PLACES`). The published configs (tiny-random/sam3, bodhicitta/sam3) by both
routes (count config.json; import-hf then count); random small configs are transformers' ``Sam3Config`` /
``Sam3VideoConfig`` of shrunk sub-configs, as ``to_dict()`` writes it.
"""

from __future__ import annotations

import json
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
#: Where ``Sam3VideoModel`` keeps each part: the detector (a ``Sam3Model``) as ``detector_model``, the tracker (a
#: ``Sam3TrackerVideoModel`` without its image encoder) as ``tracker_model``, a second FPN neck as ``tracker_neck``.
VIDEO_PLACES = {**{part: tuple(f"detector_model.{p}" for p in places) for part, places in PLACES.items()},
                "tracker": ("tracker_model.",), "tracker_neck": ("tracker_neck.",)}  # fmt: skip
FOLDERS = published_folders(("sam3", "sam3_video"))


def test_published_configs_are_held():
    assert FOLDERS == ["bodhicitta--sam3", "tiny-random-sam3"]


@pytest.mark.parametrize("folder", FOLDERS)
def test_published_whole_and_by_part(folder, tmp_path, capsys):
    path = CONFIGS / folder / "config.json"
    video = json.loads(path.read_text())["model_type"] == "sam3_video"
    check_both_routes(path, VIDEO_PLACES if video else PLACES, tmp_path)
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


def _tracker(rng: random.Random) -> dict:
    """A small random ``sam3_tracker_video`` config (SAM 2's tracker, as tests/types_table.py draws SAM 2's)."""
    heads = rng.choice((1, 2))
    return {"vision_config": {"model_type": "sam3_vision_model", "fpn_hidden_size": rng.choice((2, 6))},
            "prompt_encoder_config": {"hidden_size": rng.choice((2, 6)), "mask_input_channels": rng.choice((4, 8)),
                                      "num_point_embeddings": rng.choice((0, 4))},
            "mask_decoder_config": {"num_attention_heads": heads, "attention_downsample_rate": rng.choice((1, 2)),
                                    "hidden_size": 16 * heads, "mlp_dim": rng.choice((3, 8)),
                                    "num_hidden_layers": rng.choice((0, 2)), "num_multimask_outputs": rng.choice((0, 3)),
                                    "iou_head_depth": rng.choice((1, 3)), "iou_head_hidden_dim": rng.choice((2, 5))},
            "memory_attention_hidden_size": rng.choice((2, 8)), "memory_attention_num_layers": rng.choice((0, 2)),
            "memory_attention_feed_forward_hidden_size": rng.choice((3, 8)), "memory_encoder_hidden_size": rng.choice((2, 6)),
            "memory_encoder_output_channels": rng.choice((2, 6)), "mask_downsampler_embed_dim": rng.choice((2, 6)),
            "mask_downsampler_total_stride": rng.choice((4, 16)), "memory_fuser_embed_dim": rng.choice((2, 6)),
            "memory_fuser_intermediate_dim": rng.choice((3, 6)), "memory_fuser_num_layers": rng.choice((0, 2)),
            "num_maskmem": rng.choice((1, 3)), "enable_temporal_pos_encoding_for_object_pointers": rng.choice((True, False)),
            "enable_occlusion_spatial_embedding": rng.choice((True, False))}  # fmt: skip


def small_video(seed: int) -> dict:
    """A small random SAM 3 video config: ``Sam3VideoConfig`` of a small detector and tracker, as ``to_dict()`` writes it."""
    detector = small(seed)
    del detector["architectures"]
    config = quiet_transformers().Sam3VideoConfig(detector_config=detector, tracker_config=_tracker(random.Random(seed)))
    data = config.to_dict()
    data["architectures"] = ["Sam3VideoModel"]
    return data


def _present(places: dict, data: dict) -> dict:
    """The parts of ``places`` that hold tensors in transformers' model of ``data`` (a DETR encoder of no layers
    holds none: the report has no such part)."""
    names = Reference(data).names
    return {k: v for k, v in places.items() if any(n.startswith(v) for n in names)}


@pytest.mark.parametrize("seed", range(8))
def test_small_random_configs(seed, tmp_path, capsys):
    data = small(seed)
    data_both_routes(data, _present(PLACES, data), tmp_path)
    capsys.readouterr()


@pytest.mark.parametrize("seed", range(6))
def test_small_random_video_configs(seed, tmp_path, capsys):
    data = small_video(seed)
    data_both_routes(data, _present(VIDEO_PLACES, data), tmp_path)
    capsys.readouterr()


def test_a_video_detector_of_no_fpn_levels_counts_as_transformers_builds_it(tmp_path, capsys):
    """Reference: transformers' Sam3VideoModel whose detector's ``vision_config.scale_factors`` is empty (its
    ``tracker_neck`` then holds no levels; found by the mutation sweep, where build_vision raised IndexError)."""
    data = small_video(0)
    data["detector_config"]["vision_config"]["scale_factors"] = []
    data_both_routes(data, _present(VIDEO_PLACES, data), tmp_path)
    capsys.readouterr()


def test_the_published_config_and_the_reference_agree_on_the_text_projection():
    """CLIPTextModelWithProjection's ``text_projection`` (projection_dim 16 in tiny-random/sam3) is in the reference."""
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
    data = json.loads((CONFIGS / "tiny-random-sam3" / "config.json").read_text())
    err = refusal(data, change, tmp_path, capsys)
    assert field in err and words in err, err


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"tracker_config.model_type": "sam2_video"}, "tracker_config", "sam3_tracker_video"),
    ({"detector_config.model_type": "sam2"}, "detector_config", "only a sam3 detector"),
    ({"tracker_config.vision_config.model_type": "sam2_vision_model"}, "tracker_config.vision_config", "sam3_vision_model"),
    ({"tracker_config.vision_config.fpn_hidden_size": "wide"}, "tracker_config.vision_config.fpn_hidden_size",
     "whole number"),
    ({"tracker_config.mask_downsampler_stride": 1}, "tracker_config.mask_downsampler_stride", "at least 2"),
    ({"detector_config.text_config.projection_dim": 0}, "detector_config.text_config.projection_dim", ">= 1"),
    ({"detector_config.vision_config.scale_factors": [8.0]}, "detector_config.vision_config.scale_factors", "not built"),
    ({"tracker_config": [1, 2]}, "tracker_config", "must be an object"),
])  # fmt: skip
def test_bad_video_values_are_refused_in_one_line(change, field, words, tmp_path, capsys):
    data = json.loads((CONFIGS / "bodhicitta--sam3" / "config.json").read_text())
    err = refusal(data, change, tmp_path, capsys)
    assert field in err and words in err, err


def test_a_video_config_without_tracker_config_takes_the_trackers_defaults(tmp_path, capsys):
    """``Sam3VideoConfig`` builds a left-out ``tracker_config`` from ``Sam3TrackerVideoConfig()``'s defaults."""
    data = small_video(0)
    del data["tracker_config"]
    data_both_routes(data, _present(VIDEO_PLACES, data), tmp_path)
    capsys.readouterr()

"""The composites of plugins/vlm_types_more.py, whole and part by part, against transformers; their image rules
against hand computations.

Reference and checks as in tests/test_vlm_types_2026.py (its docstring): transformers 5.25's meta-device model of
the config's class, whole and per part (:data:`PLACES`, from ``modeling_<type>.py``), published configs by both
routes, random small configs, refusals naming the field.
"""

from __future__ import annotations

import json
import math
import random
import types

import pytest

import registry
from registry.analyses.images import plan_images
from registry.cli import main
from tests.composite_reference import check, check_both_routes, composite_data, parts_by_command, published_folders, reference_names, refusal, small_text
from tests.conftest import ROOT

CONFIGS = ROOT / "tests" / "configs"
#: Where transformers 5.25 keeps each part of each type (attributes of ``<X>ForConditionalGeneration``).
PLACES = {
    "llava_next_video": {"vision": ("model.vision_tower.",),
                         "projector": ("model.multi_modal_projector.", "model.image_newline", "model.vision_resampler."),
                         "text": ("model.language_model.", "lm_head.")},
}  # fmt: skip
#: The class of each type (transformers' ``MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING_NAMES``).
CLASSES = {"llava_next_video": "LlavaNextVideoForConditionalGeneration"}
COMPOSITE_TYPES = tuple(CLASSES)
FOLDERS = published_folders(COMPOSITE_TYPES)


def test_every_type_has_a_published_config():
    assert {json.loads((CONFIGS / f / "config.json").read_text())["model_type"] for f in FOLDERS} == set(COMPOSITE_TYPES)


@pytest.mark.parametrize("folder", FOLDERS)
def test_published_whole_and_by_part(folder, tmp_path, capsys):
    path = CONFIGS / folder / "config.json"
    places = PLACES[json.loads(path.read_text())["model_type"]]
    reference, spec = check_both_routes(path, places, tmp_path)
    parts_by_command((path, spec), reference, places, capsys)  # the command's --part, on both routes


def _small(seed: int, model_type: str) -> dict:
    """A small random config of ``model_type``: transformers' configuration of it from shrunk sub-configs and
    random top-level switches, as ``to_dict()`` writes it."""
    rng = random.Random(seed)
    heads = rng.choice((2, 4))
    width = heads * rng.choice((8, 16))
    text_type = rng.choice(("llama", "mistral", "qwen2"))
    text = {"model_type": text_type, **small_text(rng, heads, width), "head_dim": width // heads}
    vision = {"model_type": "clip_vision_model", "hidden_size": 16 * heads, "intermediate_size": rng.choice((20, 36)),
              "num_hidden_layers": rng.choice((1, 3)), "num_attention_heads": heads, "image_size": 28,
              "patch_size": rng.choice((7, 14))}  # fmt: skip
    top: dict = {"vision_feature_layer": rng.choice((-2, [-1, -2])), "multimodal_projector_bias": rng.choice((True, False))}
    if rng.random() < 0.5:
        top["tie_word_embeddings"] = rng.choice((True, False))
    if model_type == "llava_next_video":
        top |= {"spatial_pool_mode": rng.choice(("average", "max", "conv")), "spatial_pool_stride": rng.choice((1, 2, 3))}
        if rng.random() < 0.5:  # read by the pooler with getattr (the vision width when absent)
            top["spatial_pool_out_channels"] = rng.choice((8, 24))
    return composite_data(model_type, CLASSES[model_type], text=text, vision=vision, **top)


@pytest.mark.parametrize("model_type", COMPOSITE_TYPES)
@pytest.mark.parametrize("seed", range(8))
def test_small_random_composites(model_type, seed, tmp_path, capsys):
    data = _small(seed, model_type)
    if seed % 2:  # the top level's tie left to the configuration's default
        data.pop("tie_word_embeddings", None)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    (model,) = registry.load(path)
    check(model, reference_names(data), PLACES[model_type])
    capsys.readouterr()


def test_llava_next_video_conv_pooler(tmp_path):
    """Reference: ``LlavaNextVideoPooler`` in ``conv`` mode, a ``Conv2d`` of the vision width to
    ``spatial_pool_out_channels`` (kernel and stride ``spatial_pool_stride``) under ``model.vision_resampler.pool``."""
    data = json.loads((CONFIGS / "llava-next-video-7b-hf" / "config.json").read_text())
    data |= {"spatial_pool_mode": "conv", "spatial_pool_stride": 3, "spatial_pool_out_channels": 512}
    data["text_config"]["num_hidden_layers"] = 1
    data["vision_config"]["num_hidden_layers"] = 1
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    reference = reference_names(data)
    assert reference["model.vision_resampler.pool.weight"] == (512, 1024, 3, 3)
    (model,) = registry.load(path)
    check(model, reference, PLACES["llava_next_video"])


@pytest.mark.parametrize(("change", "message"), [
    ({"spatial_pool_mode": "bilinear"}, "spatial_pool_mode: 'bilinear' is not supported: LlavaNextVideoPooler's modes"),
    ({"spatial_pool_mode": "conv", "spatial_pool_stride": 0}, "spatial_pool_stride: must be >= 1 (got 0)"),
    ({"spatial_pool_out_channels": "wide"}, "spatial_pool_out_channels: must be a whole number"),
    ({"vision_config.num_hidden_layers": 0}, "vision_config.num_hidden_layers: must be >= 1 (got 0)"),
])  # fmt: skip
def test_llava_next_video_refusals(change, message, tmp_path, capsys):
    data = json.loads((CONFIGS / "llava-next-video-7b-hf" / "config.json").read_text())
    err = refusal(data, change, tmp_path, capsys)
    assert message in err, err


# --------------------------------------------------------------------------- images


def _llava_next_video_hand(height: int, width: int) -> tuple[int, int]:
    """LlavaNextVideoProcessor._get_number_of_features / _get_unpadded_features (processing_llava_next_video.py,
    LLaVA-NeXT's), select_best_resolution (image_processing_utils.py) over the published image_grid_pinpoints,
    tiles of 336 / 14 = 24 patches a side; "default" drops the class token: (tokens, crops)."""
    best, most, least = None, 0, math.inf
    for h, w in [[336, 672], [672, 336], [672, 672], [1008, 336], [336, 1008]]:
        scale = min(w / width, h / height)
        effective = min(int(width * scale) * int(height * scale), width * height)
        if effective > most or (effective == most and w * h - effective < least):
            best, most, least = (h, w), effective, w * h - effective
    grid_h, grid_w = best[0] // 336, best[1] // 336
    cur_h, cur_w = 24 * grid_h, 24 * grid_w
    if width / height > cur_w / cur_h:
        cur_h -= 2 * ((cur_h - int(round(height * cur_w / width, 7))) // 2)
    else:
        cur_w -= 2 * ((cur_w - int(round(width * cur_h / height, 7))) // 2)
    return cur_h * cur_w + cur_h + 24 * 24, 1 + grid_h * grid_w


@pytest.mark.parametrize("size", [(336, 336), (500, 800), (672, 672), (1000, 300), (333, 1500)])
def test_llava_next_video_images(size):
    (model,) = registry.load(CONFIGS / "llava-next-video-7b-hf" / "config.json")
    each = plan_images(model, 1, size).per_image
    assert (each.tokens, each.crops, each.patches) == (*_llava_next_video_hand(*size), 24 * 24 + 1)
    # transformers' own count: the processor's method on a stand-in holding what it reads
    from transformers.models.llava_next_video.processing_llava_next_video import LlavaNextVideoProcessor

    fake = types.SimpleNamespace(image_processor=types.SimpleNamespace(
        image_grid_pinpoints=[[336, 672], [672, 336], [672, 672], [1008, 336], [336, 1008]]),
        patch_size=14, num_additional_image_tokens=1)  # fmt: skip
    fake._get_unpadded_features = lambda *a: LlavaNextVideoProcessor._get_unpadded_features(fake, *a)
    assert LlavaNextVideoProcessor._get_number_of_features(fake, *size, 336, 336) - 1 == each.tokens  # "default"


def test_llava_next_video_worked_example():
    # 500 x 800 on 672 x 672 (2 x 2 tiles of 24 x 24 patches = 48 x 48), unpadded to 30 rows: 30 x 48 + 30
    # newlines + the base image's 576 = 2,046 tokens; the tower runs over 1 + 4 crops of 577.
    (model,) = registry.load(CONFIGS / "llava-next-video-7b-hf" / "config.json")
    each = plan_images(model, 1, (500, 800)).per_image
    assert (each.tokens, each.crops) == (30 * 48 + 30 + 576, 5)


@pytest.mark.parametrize(("field", "value", "message"), [
    ("d_pool", 64, "d_pool: the vision_resampler convolution's outputs need its kernel (pool)"),
    ("pool", -1, "pool: "),
])  # fmt: skip
def test_an_imported_pooler_switch_is_checked(field, value, message, tmp_path, capsys):
    """An imported spec's projector given a pooler switch out of place: one line naming the part and the field."""
    import tomllib

    from registry.output.toml_writer import dumps

    spec = tmp_path / "imported.toml"
    assert main(["import-hf", str(CONFIGS / "llava-next-video-7b-hf" / "config.json"), "-o", str(spec)]) == 0
    data = tomllib.loads(spec.read_text())
    (projector,) = [p for p in data["params"]["parts"] if p["part"] == "projector"]
    projector["params"][field] = value
    path = tmp_path / "bad.toml"
    path.write_text(dumps({k: v for k, v in data.items() if k != "params"}, {"params": data["params"]}))
    capsys.readouterr()
    assert main(["count", str(path)]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert f"params.parts: part 'projector' (projector): {message}" in line, line

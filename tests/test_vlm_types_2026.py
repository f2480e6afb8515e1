"""The composites of plugins/vlm_types_2026.py, whole and part by part, against transformers; their image rules
against hand computations and transformers' processors.

Reference: transformers 5.25's model of the config's class (``<X>ForConditionalGeneration``) on the meta
device, as in tests/test_composite.py (tests/composite_reference.py): the total is ``sum(p.numel() for p in
model.parameters())``, the tensor names and shapes are ``named_parameters()``'s, and each part (``--part``) is
the parameters under the modules transformers gives it (:data:`PLACES`, from ``modeling_<type>.py``).
Published configs in ``tests/configs`` by both routes (count config.json; import-hf then count), and each
part alone by ``registry count --part``; random small configs (transformers' configuration of shrunk
sub-configs, as ``to_dict()`` writes it); the refusals name the field.
"""

from __future__ import annotations

import json
import math
import random
import types

import pytest

import registry
from registry.analyses.images import plan_images
from tests._hf_configs import quiet_transformers
from tests.composite_reference import alone_both_routes, check, check_both_routes, composite_data, parts_by_command, published_folders, reference_names, refusal, small_text
from tests.conftest import ROOT

CONFIGS = ROOT / "tests" / "configs"
_TEXT = ("model.language_model.", "lm_head.")
#: Where transformers 5.25 keeps each part of each type (attributes of ``<X>ForConditionalGeneration``).
PLACES = {
    "cohere2_vision": {"vision": ("model.vision_tower.",), "projector": ("model.multi_modal_projector.",), "text": _TEXT},
    "llava_onevision": {"vision": ("model.vision_tower.",), "projector": ("model.multi_modal_projector.", "model.image_newline"),
                        "text": _TEXT},
    "paddleocr_vl": {"vision": ("model.visual.",), "text": _TEXT, "projector": ("model.projector.",)},
    "video_llava": {"video": ("model.video_tower.",), "vision": ("model.image_tower.",),
                    "projector": ("model.multi_modal_projector.",), "text": _TEXT},
    "vipllava": {"vision": ("model.vision_tower.",), "projector": ("model.multi_modal_projector.",), "text": _TEXT},
}  # fmt: skip
#: The class of each type (transformers' ``MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING_NAMES``).
CLASSES = {"cohere2_vision": "Cohere2VisionForConditionalGeneration",
           "llava_onevision": "LlavaOnevisionForConditionalGeneration",
           "paddleocr_vl": "PaddleOCRVLForConditionalGeneration",
           "video_llava": "VideoLlavaForConditionalGeneration",
           "vipllava": "VipLlavaForConditionalGeneration"}  # fmt: skip
COMPOSITE_TYPES = tuple(CLASSES)
FOLDERS = published_folders(COMPOSITE_TYPES)
ONEVISION = CONFIGS / "llava-onevision-qwen2-0.5b-ov-hf" / "config.json"
COMMAND_A = CONFIGS / "command-a-vision-07-2025-4bit" / "config.json"
VIDEO_LLAVA = CONFIGS / "video-llava-7b-hf" / "config.json"
PADDLEOCR = CONFIGS / "paddleocr-vl" / "config.json"
VIPLLAVA = CONFIGS / "vip-llava-13b-hf" / "config.json"


def test_every_type_has_a_published_config():
    assert {json.loads((CONFIGS / f / "config.json").read_text())["model_type"] for f in FOLDERS} == set(COMPOSITE_TYPES)


@pytest.mark.parametrize("folder", FOLDERS)
def test_published_whole_and_by_part(folder, tmp_path, capsys):
    path = CONFIGS / folder / "config.json"
    places = PLACES[json.loads(path.read_text())["model_type"]]
    reference, spec = check_both_routes(path, places, tmp_path)
    parts_by_command((path, spec), reference, places, capsys)  # the command's --part, on both routes


def test_onevision_ties_the_head_as_its_text_config_says():
    """Reference: ``LlavaOnevisionConfig.__post_init__`` takes the text config's ``tie_word_embeddings`` (true in the
    published 0.5B) over the top level's false: transformers' model holds no ``lm_head.weight`` of its own."""
    data = json.loads(ONEVISION.read_text())
    assert data["tie_word_embeddings"] is False and data["text_config"]["tie_word_embeddings"] is True
    assert "lm_head.weight" not in reference_names(data)


def _small(seed: int, model_type: str) -> dict:
    """A small random config of ``model_type``: transformers' configuration of it from shrunk sub-configs and
    random top-level switches, as ``to_dict()`` writes it."""
    rng = random.Random(seed)
    heads = rng.choice((2, 4))
    width = heads * rng.choice((8, 16))
    text_type = rng.choice(("llama", "mistral", "qwen2"))
    text = {"model_type": text_type, **small_text(rng, heads, width), "head_dim": width // heads}
    vision = {"model_type": "siglip_vision_model", "hidden_size": 16 * heads, "intermediate_size": rng.choice((20, 36)),
              "num_hidden_layers": rng.choice((1, 3)), "num_attention_heads": heads, "image_size": 28,
              "patch_size": rng.choice((7, 14))}  # fmt: skip
    top: dict = {}
    if rng.random() < 0.5:
        top["tie_word_embeddings"] = rng.choice((True, False))
    if model_type in ("llava_onevision", "video_llava"):
        top |= {"vision_feature_layer": rng.choice((-2, [-1, -2])), "multimodal_projector_bias": rng.choice((True, False))}
    if model_type == "llava_onevision":
        vision["vision_use_head"] = rng.choice((True, False))
    elif model_type == "video_llava":
        vision["model_type"] = "clip_vision_model"
    elif model_type == "vipllava":
        vision["model_type"] = "clip_vision_model"
        top |= {"vision_feature_layer": rng.choice((-2, [-1, -2], [-2, -3, 0])),
                "projector_layernorm_eps": rng.choice((1e-5, 1e-6))}  # fmt: skip
    elif model_type == "cohere2_vision":
        if rng.random() < 0.7:
            text |= {"model_type": "cohere2", "sliding_window": 8}
        vision |= {"vision_use_head": rng.choice((True, False)), "patch_size": 7}
        top |= {"downsample_factor": rng.choice((1, 2)), "alignment_intermediate_size": rng.choice((24, 38))}
    elif model_type == "paddleocr_vl":
        text |= {"model_type": "paddleocr_vl_text", "use_bias": rng.choice((True, False))}
        if rng.random() < 0.3:  # null: the configuration derives them
            text |= {"head_dim": None, "num_key_value_heads": None}
        vision = {k: v for k, v in vision.items() if k != "vision_use_head"}
        vision |= {"model_type": "paddleocr_vl_vision", "spatial_merge_size": rng.choice((1, 2))}
    return composite_data(model_type, CLASSES[model_type], text=text, vision=vision, **top)


@pytest.mark.parametrize("model_type", COMPOSITE_TYPES)
@pytest.mark.parametrize("seed", range(8))
def test_small_random_composites(model_type, seed, tmp_path, capsys):
    data = _small(seed, model_type)
    if seed % 2:  # the top level's tie left to the configuration's default (LLaVA-OneVision's: the text's)
        data.pop("tie_word_embeddings", None)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    (model,) = registry.load(path)
    check(model, reference_names(data), PLACES[model_type])
    capsys.readouterr()


@pytest.mark.parametrize(("path", "change", "message"), [
    (ONEVISION, {"vision_feature_layer": "last"}, "vision_feature_layer: must be a whole number or a non-empty list"),
    (ONEVISION, {"vision_config.model_type": "clip"}, "vision_config.model_type: 'clip' is not supported here"),
    (VIDEO_LLAVA, {"vision_config.num_hidden_layers": 0}, "vision_config.num_hidden_layers: must be >= 1 (got 0)"),
    (VIDEO_LLAVA, {"multimodal_projector_bias": "yes"}, "multimodal_projector_bias: must be true or false"),
    (COMMAND_A, {"downsample_factor": 0}, "downsample_factor: must be >= 1 (got 0)"),
    (COMMAND_A, {"alignment_intermediate_size": 1}, "alignment_intermediate_size: must be >= 2 for cohere2_vision"),
    (PADDLEOCR, {"vision_config.spatial_merge_size": 0}, "vision_config.spatial_merge_size: must be a whole number >= 1"),
    (PADDLEOCR, {"vision_config.model_type": "siglip_vision_model"}, "vision_config.model_type: 'siglip_vision_model' is not"),
    (PADDLEOCR, {"use_bias": "no"}, "use_bias: must be true or false"),
    (VIPLLAVA, {"vision_feature_layers": []}, "vision_feature_layers: must be a whole number or a non-empty list"),
])  # fmt: skip
def test_refusals(path, change, message, tmp_path, capsys):
    err = refusal(json.loads(path.read_text()), change, tmp_path, capsys)
    assert message in err, err


def test_paddleocr_ties_its_head_whatever_its_flat_top_level_says(tmp_path, capsys):
    """Reference: ``PaddleOCRVLConfig.__post_init__`` builds the text config from the flat top-level fields (the
    published file's) and ties the head when the text config's ``tie_word_embeddings`` (default true) says so,
    overruling the top level's false: transformers' model holds no ``lm_head.weight`` of its own; a note says so."""
    data = json.loads(PADDLEOCR.read_text())
    assert "text_config" not in data and data["tie_word_embeddings"] is False
    assert "lm_head.weight" not in reference_names(data)
    (model,) = registry.load(PADDLEOCR)
    assert any("tie_word_embeddings: false, but transformers 5.25 ties" in line for line in model.warnings)
    nested = composite_data("paddleocr_vl", CLASSES["paddleocr_vl"], text={"model_type": "paddleocr_vl_text",
                            "hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 4, "num_key_value_heads": 2,
                            "head_dim": 8, "intermediate_size": 40, "vocab_size": 97, "tie_word_embeddings": False},
                            vision={"model_type": "paddleocr_vl_vision", "hidden_size": 32, "intermediate_size": 40,
                                    "num_hidden_layers": 1, "num_attention_heads": 4, "image_size": 28, "patch_size": 7},
                            tie_word_embeddings=False)  # fmt: skip
    reference = reference_names(nested)
    assert "lm_head.weight" in reference  # both false: untied
    path = tmp_path / "config.json"
    path.write_text(json.dumps(nested))
    (untied,) = registry.load(path)
    check(untied, reference, PLACES["paddleocr_vl"])
    assert not any("tie_word_embeddings" in line for line in untied.warnings)


#: The towers mapped as types of their own: (type, class, a small config of it, the field switched).
TOWERS = [
    ("paddleocr_vl_vision", "PaddleOCRVisionModel",
     {"hidden_size": 32, "intermediate_size": 40, "num_hidden_layers": 2, "num_attention_heads": 4, "image_size": 24,
      "patch_size": 4, "num_channels": 2}, ("num_hidden_layers", 1)),
    ("paddleocr_vl_text", "PaddleOCRTextModel",
     {"hidden_size": 32, "intermediate_size": 40, "num_hidden_layers": 2, "num_attention_heads": 4,
      "num_key_value_heads": 2, "head_dim": 16, "vocab_size": 97}, ("use_bias", True)),
]  # fmt: skip


@pytest.mark.parametrize(("model_type", "cls", "fields", "switch"), TOWERS)
@pytest.mark.parametrize("switched", [True, False])
def test_towers_alone(model_type, cls, fields, switch, switched, tmp_path, capsys):
    """Reference: transformers' tower class of the type on the meta device (names, shapes, total), both routes."""
    transformers = quiet_transformers()
    config = transformers.CONFIG_MAPPING[model_type](**{**fields, **dict([switch] if switched else [])})
    alone_both_routes({**config.to_dict(), "architectures": [cls]}, tmp_path)
    capsys.readouterr()


# --------------------------------------------------------------------------- images


def _onevision_hand(height: int, width: int, pinpoints: list, most: int = 9) -> tuple[int, int]:
    """LlavaOnevisionProcessor._get_number_of_features / _get_unpadded_features (processing_llava_onevision.py):
    select_best_resolution (image_processing_utils.py) over ``pinpoints``, tiles of 384 / 14 = 27 patches a side,
    unpadded, then scaled down by ``ratio`` past ``most`` tiles; the base image's 729 ("full" keeps them all):
    (tokens, crops)."""
    best, most_kept, least = None, 0, math.inf
    for h, w in pinpoints:
        scale = min(w / width, h / height)
        effective = min(int(width * scale) * int(height * scale), width * height)
        if effective > most_kept or (effective == most_kept and w * h - effective < least):
            best, most_kept, least = (h, w), effective, w * h - effective
    grid_h, grid_w = best[0] // 384, best[1] // 384
    cur_h, cur_w = 27 * grid_h, 27 * grid_w
    if width / height > cur_w / cur_h:
        cur_h -= 2 * ((cur_h - int(round(height * cur_w / width, 7))) // 2)
    else:
        cur_w -= 2 * ((cur_w - int(round(width * cur_h / height, 7))) // 2)
    features, newlines = cur_h * cur_w, cur_h
    ratio = math.sqrt(cur_h * cur_w / (most * 27 * 27))
    if ratio > 1.1:
        features, newlines = int(cur_h // ratio) * int(cur_w // ratio), int(cur_h // ratio)
    return features + newlines + 729, 1 + grid_h * grid_w


@pytest.mark.parametrize("size", [(384, 384), (500, 800), (1152, 1152), (2000, 300), (333, 1500), (4000, 3000)])
def test_onevision_images(size):
    (model,) = registry.load(ONEVISION)
    pinpoints = json.loads(ONEVISION.read_text())["image_grid_pinpoints"]
    each = plan_images(model, 1, size).per_image
    assert (each.tokens, each.crops, each.patches) == (*_onevision_hand(*size, pinpoints), 729)
    # transformers' own count: the processor's method on a stand-in holding what it reads
    from transformers.models.llava_onevision.processing_llava_onevision import LlavaOnevisionProcessor

    fake = types.SimpleNamespace(image_processor=types.SimpleNamespace(image_grid_pinpoints=pinpoints),
                                 num_image_tokens=729, vision_aspect_ratio="anyres_max_9")  # fmt: skip
    fake._get_unpadded_features = lambda *a: LlavaOnevisionProcessor._get_unpadded_features(fake, *a)
    assert LlavaOnevisionProcessor._get_number_of_features(fake, *size, 384, 384) == each.tokens  # "full"


def test_onevision_worked_example():
    # 2000 x 300 on the 2304 x 384 grid (6 x 1 tiles of 27 x 27 patches = 162 x 27); the image is 24 patches wide
    # there, so (27 - 24) // 2 = 1 padding column goes each side: 162 x 25 = 4,050 features, under 9 tiles' 6,561:
    # kept; 162 newlines and the base image's 729: 4,941 tokens over 1 + 6 crops.
    (model,) = registry.load(ONEVISION)
    each = plan_images(model, 1, (2000, 300)).per_image
    assert (each.tokens, each.crops) == (162 * 25 + 162 + 729, 7)


def test_video_llava_images():
    # VideoLlavaProcessor: (224 / 14)² patches and the class token, less one for "default": 256 tokens.
    (model,) = registry.load(VIDEO_LLAVA)
    each = plan_images(model, 1, (480, 640)).per_image
    assert (each.tokens, each.crops, each.patches) == (256, 1, 257)


def _cohere2_tiles(height: int, width: int) -> int:
    """``Cohere2VisionImageProcessor.get_number_of_image_patches`` with its defaults (crop_to_patches, 1 to 12 tiles
    of 512): transformers' own ``get_all_supported_aspect_ratios`` and ``get_optimal_tiled_canvas``, taken from
    image_processing_cohere2_vision.py by their source (the module imports torchvision, which the tests lack)."""
    import ast
    import functools
    import importlib.util

    import numpy as np

    source = importlib.util.find_spec("transformers.models.cohere2_vision").submodule_search_locations[0]
    tree = ast.parse(open(f"{source}/image_processing_cohere2_vision.py").read())
    wanted = ("get_all_supported_aspect_ratios", "get_optimal_tiled_canvas")
    space: dict = {"np": np, "lru_cache": functools.lru_cache}
    exec(compile(ast.Module([n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name in wanted], []),
                 "image_processing_cohere2_vision.py", "exec"), space)  # fmt: skip
    columns, rows = space["get_optimal_tiled_canvas"]((height, width), (512, 512), 1, 12)
    return 1 + columns * rows if columns * rows > 1 else 1


@pytest.mark.parametrize("size", [(512, 512), (500, 800), (1024, 1024), (3000, 400), (200, 2500), (4000, 3000)])
def test_cohere2_vision_images(size):
    """Reference: the processor's tiles (:func:`_cohere2_tiles`) and ``Cohere2VisionProcessor``'s tokens: per tile
    (512 / 16 / 2)² = 256 and a line break, and the begin and end tokens."""
    (model,) = registry.load(COMMAND_A)
    each = plan_images(model, 1, size).per_image
    tiles = _cohere2_tiles(*size)
    assert (each.tokens, each.crops, each.patches) == (2 + tiles * (16 * 16 + 1), tiles, 32 * 32)


def test_cohere2_vision_worked_example():
    # 500 x 800 (height x width): the 2 x 1 grid (1,024 x 512) needs the least upscaling (1.25): 2 tiles and a
    # thumbnail, each 256 tokens and a line break, and the begin and end tokens: 2 + 3 x 257 = 773.
    (model,) = registry.load(COMMAND_A)
    each = plan_images(model, 1, (500, 800)).per_image
    assert (each.tokens, each.crops) == (773, 3)


@pytest.mark.parametrize("size", [(384, 384), (500, 800), (20, 600), (3000, 4000), (1536, 1536), (100, 100)])
def test_paddleocr_images(size):
    """Reference: ``PaddleOCRVLImageProcessorPil.get_number_of_image_patches`` (its defaults: 384² to 1536² pixels,
    patch 14, merge 2) and ``PaddleOCRVLProcessor``'s tokens, one per merge² patches."""
    from transformers.models.paddleocr_vl.image_processing_pil_paddleocr_vl import PaddleOCRVLImageProcessorPil

    (model,) = registry.load(PADDLEOCR)
    each = plan_images(model, 1, size).per_image
    patches = PaddleOCRVLImageProcessorPil().get_number_of_image_patches(*size, {})
    assert (each.tokens, each.crops, each.patches) == (patches // 4, 1, patches)


def test_paddleocr_worked_example():
    # 500 x 800 rounds to 504 x 812 (multiples of 28), within 384² to 1536² pixels: 36 x 58 patches of 14, merged
    # 2 x 2 into 18 x 29 = 522 tokens.
    (model,) = registry.load(PADDLEOCR)
    each = plan_images(model, 1, (500, 800)).per_image
    assert (each.height, each.width, each.patches, each.tokens) == (504, 812, 36 * 58, 522)


def test_vipllava_reads_the_alias_of_vision_feature_layer(tmp_path):
    """Reference: ``VipLlavaConfig.attribute_map`` reads the published ``vision_feature_layers`` as
    ``vision_feature_layer``: the projector's layer norm and ``linear_1`` take 5 layers' features (5 × 1,024)."""
    data = json.loads(VIPLLAVA.read_text())
    data["text_config"]["num_hidden_layers"] = 1
    data["vision_config"]["num_hidden_layers"] = 12
    reference = reference_names(data)
    assert reference["model.multi_modal_projector.projector_layernorm.weight"] == (5 * 1024,)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    (model,) = registry.load(path)
    check(model, reference, PLACES["vipllava"])
    data["vision_feature_layer"] = -2  # both given: transformers takes the alias
    assert reference_names(data) == reference
    path.write_text(json.dumps(data))
    (model,) = registry.load(path)
    check(model, reference, PLACES["vipllava"])


def test_vipllava_images():
    # (336 / 14)² = 576 patches and the class token in the tower; VipLlavaModel.get_image_features drops the class
    # token: 576 tokens, as LlavaProcessor counts them (num_additional_image_tokens 1, less 1 for "default").
    (model,) = registry.load(VIPLLAVA)
    each = plan_images(model, 1, (480, 640)).per_image
    assert (each.tokens, each.crops, each.patches) == (576, 1, 577)

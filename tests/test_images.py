"""Images in ``memory`` and ``flops`` (``--images N``, ``--image-size HxW``), against hand computations.

Each family's image tokens are worked out here by hand from its patching rules, as transformers 5.25's
processors and models apply them (the file and function cited at each), on the published configs of
``tests/configs/``; then the figures they imply: the KV cache of the language model over text and image
tokens (its layers x 2 x KV heads x head width x bytes, per token), and the FLOPs by registry's existing
rules applied to the longer sequence (the text part at S text + I image tokens equals its FLOPs at S + I
text tokens) and to the vision tower at its patch count per image (Qwen2.5-VL's windowed layers over
their windows).
"""

from __future__ import annotations

import functools
import json
import math
import types
from dataclasses import replace

import pytest

import registry
from registry.analyses.flops import flops
from registry.analyses.flops_terms import forward_terms
from registry.analyses.images import plan_images
from registry.analyses.memory import memory
from registry.analyses.report import iter_tensors
from registry.blocks.parts import only_part
from registry.cli import main
from tests.conftest import ROOT

CONFIGS = ROOT / "tests" / "configs"


@functools.lru_cache(maxsize=None)
def _load(folder: str, part: str | None = None):
    return registry.load(str(CONFIGS / folder / "config.json"), part=part)[0]


def _tokens(folder: str, count: int = 1, size=None):
    return plan_images(_load(folder), count, size).per_image


def test_gemma3_fixed_tokens_after_pooling():
    # Gemma3Processor._get_num_multimodal_tokens (processing_gemma3.py): image_seq_length = mm_tokens_per_image
    # per image, whatever its size (resized to vision_config.image_size, 896); Gemma3MultiModalProjector pools
    # the (896 / 14)² = 64² patches of the SigLIP tower (no class token) to 16² = 256.
    each = _tokens("gemma-3-27b-it")
    assert (each.tokens, each.patches, each.crops) == (256, (896 // 14) ** 2, 1)
    assert _tokens("gemma-3-27b-it", 1, (480, 640)).tokens == 256


def test_llava_drops_the_class_token():
    # LlavaModel.get_image_features (modeling_llava.py): the CLIP tower runs over (336 / 14)² = 576 patches and
    # its class token; "default" vision_feature_select_strategy keeps [:, 1:]: 576 features
    # (LlavaProcessor._get_num_multimodal_tokens: 576 + num_additional_image_tokens 1 - 1).
    each = _tokens("llava-1.5-7b-hf")
    assert (each.tokens, each.patches) == ((336 // 14) ** 2, (336 // 14) ** 2 + 1)
    data = json.loads((CONFIGS / "llava-1.5-7b-hf" / "config.json").read_text())
    data["vision_feature_select_strategy"] = "full"  # keeps the class token: 577
    from registry.sources.hf_config import config_models

    model = config_models(data, {}, CONFIGS / "llava-1.5-7b-hf" / "config.json")[0]
    assert plan_images(model, 1).per_image.tokens == 577


def test_paligemma_patches():
    # PaliGemmaProcessor: image_seq_length = (vision_config.image_size / patch_size)² = (224 / 14)² = 256 (the published
    # config leaves image_size to SiglipVisionConfig's default, 224).
    each = _tokens("paligemma-3b-pt-224")
    assert (each.tokens, each.patches) == (256, 256)


def _llava_next_hand(height: int, width: int) -> tuple[int, int]:
    """LlavaNextProcessor._get_number_of_features / _get_unpadded_features (processing_llava_next.py), with
    select_best_resolution (image_processing_utils.py) over the config's image_grid_pinpoints: (tokens, crops)."""
    pinpoints = [[336, 672], [672, 336], [672, 672], [1008, 336], [336, 1008]]
    best, most, least = None, 0, math.inf
    for h, w in pinpoints:
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
    return cur_h * cur_w + cur_h + 24 * 24, 1 + grid_h * grid_w  # + base image, its class token dropped


@pytest.mark.parametrize("size", [(336, 336), (500, 800), (672, 672), (1000, 300), (333, 1500)])
def test_llava_next_any_resolution(size):
    each = _tokens("llava-v1.6-mistral-7b-hf", 1, size)
    assert (each.tokens, each.crops, each.patches) == (*_llava_next_hand(*size), 577)
    # transformers' own count, its processor's method on a stand-in holding what it reads
    from transformers.models.llava_next.processing_llava_next import LlavaNextProcessor

    fake = types.SimpleNamespace(image_processor=types.SimpleNamespace(
        image_grid_pinpoints=[[336, 672], [672, 336], [672, 672], [1008, 336], [336, 1008]]),
        patch_size=14, num_additional_image_tokens=1)  # fmt: skip
    fake._get_unpadded_features = lambda *a: LlavaNextProcessor._get_unpadded_features(fake, *a)
    assert LlavaNextProcessor._get_number_of_features(fake, *size, 336, 336) - 1 == each.tokens  # "default"


def test_llava_next_worked_example():
    # 500 x 800 on 672 x 672 (2 x 2 tiles of 24 x 24 patches = 48 x 48), unpadded to 30 rows: 30 x 48 + 30
    # newlines + the base image's 576 = 2,046 tokens; the tower runs over 1 + 4 crops of 577.
    each = _tokens("llava-v1.6-mistral-7b-hf", 1, (500, 800))
    assert (each.tokens, each.crops) == (30 * 48 + 30 + 576, 5)


@pytest.mark.parametrize("size, rows, cols", [((1540, 1540), 55, 55), ((1000, 500), 36, 18), ((3080, 1540), 55, 28)])
def test_mistral3_pixtral_patches_merged_with_breaks(size, rows, cols):
    # PixtralImageProcessor get_resize_output_image_size (image_processing_pixtral.py): scaled down (floor) to
    # fit longest_edge = vision_config.image_size 1540, sides rounded up to multiples of patch x merge = 28;
    # PixtralProcessor.replace_image_token (processing_pixtral.py): a row of merged tokens then [IMG_BREAK],
    # the last one [IMG_END]: rows x cols + rows; the tower over (2 rows) x (2 cols) patches of 14.
    each = _tokens("mistral-small-3.1-24b-instruct-2503", 1, size)
    assert (each.tokens, each.patches, each.merged) == (rows * cols + rows, 4 * rows * cols, rows * cols)
    assert (each.height, each.width) == (rows * 28, cols * 28)



@pytest.mark.parametrize("size, rows, cols", [((480, 640), 30, 40), ((1024, 1024), 64, 64), ((2048, 1000), 64, 32)])
def test_llava_with_a_pixtral_tower(size, rows, cols):
    # mistral-community/pixtral-12b is a LlavaForConditionalGeneration with a Pixtral tower (image_size 1024, patch
    # 16) and PixtralProcessor (spatial_merge_size 1): get_resize_output_image_size (image_processing_pixtral.py)
    # scales down (floor) to fit longest_edge 1024 (2048 x 1000 -> 1024 x 500), sides rounded up to multiples of 16;
    # replace_image_token: a row of patch tokens then [IMG_BREAK] (the last [IMG_END]): rows x cols + rows; no
    # class token (vision_feature_select_strategy "full").
    each = _tokens("pixtral-12b", 1, size)
    assert (each.tokens, each.patches, each.merged) == (rows * cols + rows, rows * cols, rows * cols)
    assert (each.height, each.width) == (rows * 16, cols * 16)

def _aya_vision_model():
    """Aya Vision 8B's published config (SigLIP at image_size 364 and patch_size 14, downsample_factor 2: the values
    the AyaVisionProcessor defaults assume, img_size 364, patch_size 14 x 2 = 28)."""
    return _load("aya-vision-8b-mlx-8bit")


@pytest.mark.parametrize("size", [(364, 364), (480, 640), (1000, 300), (2000, 2000), (300, 3000)])
def test_aya_vision_tiles_and_thumbnail(size):
    # AyaVisionProcessor (processing_aya_vision.py) cuts with crop_to_patches=True; GotOcr2ImageProcessor
    # get_number_of_image_patches (image_processing_pil_got_ocr2.py): 1 tile, or the get_optimal_tiled_canvas grid
    # (1 to 12 tiles of 364 x 364) and a thumbnail; _get_num_multimodal_tokens: (364 // 28)² = 169 tokens per
    # tile; the tower runs over (364 / 14)² = 676 patches per tile (SigLIP: no class token).
    from transformers.models.got_ocr2.image_processing_pil_got_ocr2 import get_optimal_tiled_canvas

    columns, rows = get_optimal_tiled_canvas(size, (364, 364), 1, 12)
    tiles = 1 + columns * rows if columns * rows > 1 else 1
    each = plan_images(_aya_vision_model(), 1, size).per_image
    assert (each.tokens, each.crops, each.patches, each.merged) == (169 * tiles, tiles, 676, 169 * tiles)


def test_aya_vision_worked_example():
    # 480 x 640 (aspect 4:3): the closest grid of at most 12 tiles is 4 x 3 (columns x rows; 1.333 exactly);
    # 12 tiles and the thumbnail, 13 x 169 = 2,197 tokens.
    each = plan_images(_aya_vision_model(), 1, (480, 640)).per_image
    assert (each.tokens, each.crops, each.height, each.width) == (13 * 169, 13, 3 * 364, 4 * 364)


def _smart_resize(height, width, factor, min_pixels=56 * 56, max_pixels=28 * 28 * 1280):
    """transformers/models/qwen2_vl/image_processing_qwen2_vl.py smart_resize, with Qwen2VLImageProcessor's
    default bounds (size = {"shortest_edge": 56 * 56, "longest_edge": 28 * 28 * 1280})."""
    h, w = round(height / factor) * factor, round(width / factor) * factor
    if h * w > max_pixels:
        beta = math.sqrt(height * width / max_pixels)
        h, w = max(factor, math.floor(height / beta / factor) * factor), max(factor, math.floor(width / beta / factor) * factor)
    elif h * w < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h, w = math.ceil(height * beta / factor) * factor, math.ceil(width * beta / factor) * factor
    return h, w


@pytest.mark.parametrize("folder, patch", [("monoqwen2-vl-v0.1", 14), ("qwen2.5-vl-7b-instruct", 14),
                                           ("qwen3-vl-4b-instruct", 16), ("qwen3.5-9b", 16),
                                           ("qwen2.5-omni-7b", 14), ("qwen2.5-omni-3b", 14)])  # fmt: skip
@pytest.mark.parametrize("size", [(896, 896), (1080, 1920), (20, 30), (1024, 768)])
def test_qwen_smart_resize(folder, patch, size):
    # Qwen2VLProcessor._get_num_multimodal_tokens: get_number_of_image_patches (grid_h x grid_w of the
    # smart_resize'd image, factor patch x merge 2) // merge²
    h, w = _smart_resize(*size, patch * 2)
    each = _tokens(folder, 1, size)
    assert (each.height, each.width, each.patches) == (h, w, (h // patch) * (w // patch))
    assert each.tokens == each.patches // 4


@pytest.mark.parametrize("folder", ["qwen2.5-vl-7b-instruct", "qwen2.5-omni-7b"])
def test_qwen_worked_example(folder):
    # 1080 x 1920: rounded to 1092 x 1932 (2.1 Mpx > 1,003,520), so beta = sqrt(1080 * 1920 / 1,003,520) and
    # floor(1080 / beta / 28) * 28 = 728, floor(1920 / beta / 28) * 28 = 1316: 52 x 94 = 4,888 patches, 1,222 tokens.
    # Qwen2.5-Omni's thinker takes images as Qwen2.5-VL does (Qwen2_5OmniProcessor: Qwen2VLImageProcessor's grid //
    # merge_size²; Qwen2_5OmniVisionEncoder.get_window_index is Qwen2.5-VL's), its vision config one level down
    # (thinker_config.vision_config) with the same patch 14, merge 2, window 112 and full-attention layers.
    each = _tokens(folder, 1, (1080, 1920))
    assert (each.height, each.width, each.patches, each.tokens) == (728, 1316, 4888, 1222)
    # Qwen2.5-VL get_window_index (modeling_qwen2_5_vl.py): windows of 112 // 2 // 14 = 4 x 4 merged tokens on
    # the 26 x 47 merged grid: 7 x 12 windows, the last row 2 merged tokens high and the last column 3 wide
    assert len(each.windows) == 7 * 12 and sum(each.windows) == 4888 and each.windowed_layers == 32 - 4


def test_qwen_needs_a_size():
    with pytest.raises(ValueError, match="give --image-size"):
        plan_images(_load("qwen2.5-vl-7b-instruct"), 1)


@pytest.mark.parametrize("folder, size, tokens, per_token", [
    # Qwen2.5-VL-7B's text fields (flat config): 28 layers x 2 (K and V) x 4 KV heads x 3584 / 28 = 128 wide x 2 bytes
    ("qwen2.5-vl-7b-instruct", (896, 896), 1024, 28 * 2 * 4 * 128 * 2),
    # LLaVA-1.5-7B's text_config leaves LlamaConfig's defaults: 32 layers x 2 x 32 KV heads x 4096 / 32 x 2 bytes
    ("llava-1.5-7b-hf", None, 576, 32 * 2 * 32 * 128 * 2),
])  # fmt: skip
def test_kv_cache_over_text_and_image_tokens(folder, size, tokens, per_token):
    model, seq, count = _load(folder), 1000, 3
    report = memory(model, seq_len=seq, images=plan_images(model, count, size))
    assert report.seq_len == seq + count * tokens
    assert report.kv_cache_bytes == per_token * (seq + count * tokens)
    assert report.images["image_tokens"] == count * tokens and "images: 3 images" in report.notes[0]


FAMILIES = ["gemma-3-27b-it", "llava-1.5-7b-hf", "llava-v1.6-mistral-7b-hf", "paligemma-3b-pt-224",
            "mistral-small-3.1-24b-instruct-2503", "monoqwen2-vl-v0.1", "qwen3-vl-4b-instruct"]  # fmt: skip


@pytest.mark.parametrize("folder", FAMILIES)
def test_flops_text_and_vision(folder):
    model = _load(folder)
    plan = plan_images(model, 2, (640, 480) if "qwen" in folder else None)
    report = flops(model, 512, images=plan)
    text = flops(_load(folder, "text"), 512 + plan.tokens)
    # the language model at S text + I image tokens = at S + I text tokens
    assert report.seq_len == text.seq_len == 512 + plan.tokens
    each = plan.per_image
    tower = forward_terms(_part(model, "vision"), each.patches)[0]
    # the patch embedding, a convolution of kernel = stride = patch size (Conv3d of 2 frames for Qwen), computes one
    # output per patch: 2 FLOPs per weight per patch; CLIP's class token (LLaVA) is concatenated after it
    (weight,) = [t for t in iter_tensors(_part(model, "vision").architecture) if len(t.shape) >= 4]
    patch_conv = 2 * math.prod(weight.shape) * (each.patches - folder.startswith("llava")) * each.crops
    if "qwen" in folder:
        # the patch merger's (and Qwen3-VL's deepstack mergers') linears, the tower's only "other" term, run over
        # the merged tokens: 2 FLOPs per weight per merged token, not per patch
        vision = sum(tower.values()) - tower["other"] + tower["other"] // each.patches * each.merged + patch_conv
    else:  # the tower once per crop over its patches, the projector over the merged tokens of the image
        projector = forward_terms(_part(model, "projector"), each.merged)[0]
        vision = sum(tower.values()) * each.crops + sum(projector.values()) + patch_conv
    assert report.vision_forward_flops_per_image == vision
    assert report.forward_flops_per_sequence == text.forward_flops_per_sequence + 2 * vision


def _part(model, part):
    return replace(model, architecture=only_part(model.architecture, part))


def test_siglip_tower_flops_by_hand():
    # Gemma 3's SigLIP tower over P = 4,096 patches, Appendix F's terms per layer (d 1152, 16 heads, d_ff 4304):
    # QKV 2·P·3d², logits and values 2·2·P²·d, softmax 3·h·P², output 2·P·d², MLP 2·P·2·d·d_ff; 27 layers;
    # the projector's mm_input_projection_weight is a plain parameter (registry's rules give it 0 FLOPs);
    # SiglipVisionEmbeddings.patch_embedding, a Conv2d 3 -> 1152 of kernel = stride = 14: 2·P·1152·3·14².
    p, d, h, ff, layers = 4096, 1152, 16, 4304, 27
    per_layer = 2 * p * 3 * d * d + 4 * p * p * d + 3 * h * p * p + 2 * p * d * d + 4 * p * d * ff
    report = flops(_load("gemma-3-27b-it"), 100, images=plan_images(_load("gemma-3-27b-it"), 1))
    assert report.vision_forward_flops_per_image == layers * per_layer + 2 * p * d * 3 * 14 * 14


@pytest.mark.parametrize("folder", ["qwen2.5-vl-7b-instruct", "qwen2.5-omni-7b"])
def test_qwen2_5_window_attention_flops_by_hand(folder):
    # Qwen2.5-VL-7B's tower (d 1280, 16 heads, 32 layers, fullatt_block_indexes 7, 15, 23, 31) on 896 x 896:
    # 4,096 patches in 64 windows of 64; the 28 windowed layers' scores over sum(64²) = 262,144 pairs, the 4
    # full layers' over 4,096². Qwen2.5-Omni-7B's thinker_config.vision_config has the same numbers.
    model = _load(folder)
    plan = plan_images(model, 1, (896, 896))
    p, d, h = 4096, 1280, 16
    full = forward_terms(_part(model, "vision"), p)[0]
    pairs = 4 * p * p + 28 * 64 * 64 * 64
    scores = (2 + 2) * pairs * d + 3 * h * pairs
    plain = sum(v for k, v in full.items() if k not in ("attention_logits", "attention_softmax", "attention_values", "other"))
    merger = full["other"] // p * (p // 4)  # ln_q, mlp.0, mlp.2 over the 1,024 merged tokens
    patch_conv = 2 * p * d * 3 * 2 * 14 * 14  # Qwen2_5_VisionPatchEmbed.proj: Conv3d of kernel = stride = (2, 14, 14)
    assert flops(model, 10, images=plan).vision_forward_flops_per_image == plain + scores + merger + patch_conv


def test_training_memory_adds_the_vision_tower():
    model = _load("gemma-3-27b-it")
    plan = plan_images(model, 1)
    with_images = memory(model, train=True, seq_len=512, images=plan)
    text_only = memory(_load("gemma-3-27b-it", "text"), train=True, seq_len=512 + 256)
    assert with_images.activations_bytes > text_only.activations_bytes


@pytest.mark.parametrize("folder, args, message", [
    ("qwen2.5-7b", ["--images", "2"], "qwen2.5-7b: takes no images"),
    ("gemma-3-27b-it", ["--image-size", "0x5"], "--image-size: '0x5'"),
    ("gemma-3-27b-it", ["--image-size", "abc"], "--image-size: 'abc' is not HxW"),
    ("gemma-3-27b-it", ["--images", "0"], "--images"),
    ("qwen2.5-vl-7b-instruct", ["--images", "1"], "gives no native image size"),
])  # fmt: skip
@pytest.mark.parametrize("command", ["memory", "flops"])
def test_refusals(command, folder, args, message, cli):
    line = cli(command, str(CONFIGS / folder / "config.json"), *args).refusal_line()
    assert message in line  # the fixture checked the "registry COMMAND: " prefix


def test_json_keys(capsys):
    assert main(["flops", str(CONFIGS / "gemma-3-27b-it" / "config.json"), "--images", "2", "--format", "json"]) == 0
    row = json.loads(capsys.readouterr().out)[0]
    assert (row["images"], row["image_tokens_per_image"], row["vision_patches_per_crop"]) == (2, 256, 4096)
    assert row["image_assumption"].startswith("2 images of 896x896: 256 tokens each (Gemma 3 pooling)")


def test_library_functions():
    path = str(CONFIGS / "gemma-3-27b-it" / "config.json")
    assert registry.count_flops(path, images=2).images["image_tokens"] == 512
    assert registry.estimate_memory(path, seq_len=100, image_size=(480, 640)).seq_len == 100 + 256
    with pytest.raises(ValueError, match="takes no images"):  # a text-only model
        registry.count_flops(str(ROOT / "specs" / "meta-llama-3-8b.toml"), images=1)


@pytest.mark.parametrize("change, message", [
    ({"vision_feature_select_strategy": "foo"}, "vision_feature_select_strategy: must be 'default' or 'full'"),
    ({"image_grid_pinpoints": [[336, "x"]]}, "image_grid_pinpoints must be [height, width] pairs"),
])  # fmt: skip
def test_bad_image_fields(change, message, cli, tmp_path):
    data = json.loads((CONFIGS / "llava-v1.6-mistral-7b-hf" / "config.json").read_text())
    path = tmp_path / "config.json"
    path.write_text(json.dumps({**data, **change}))
    result = cli("flops", path, "--images", "1")
    assert result.code == 2 and result.out == "" and message in result.err.strip().splitlines()[-1]


def test_one_part_alone():
    # --part text: the language model over text and image tokens alone; --part vision: the tower over each image
    plan = plan_images(_load("gemma-3-27b-it"), 2)
    text = flops(_load("gemma-3-27b-it", "text"), 300, images=plan)
    assert text.forward_flops_per_sequence == flops(_load("gemma-3-27b-it", "text"), 300 + 512).forward_flops_per_sequence
    vision = flops(_load("gemma-3-27b-it", "vision"), 300, images=plan)
    tower = sum(forward_terms(_load("gemma-3-27b-it", "vision"), 4096)[0].values())
    tower += 2 * 4096 * 1152 * 3 * 14 * 14  # the patch convolution, 2 FLOPs per weight per patch
    assert vision.forward_flops_per_sequence == 2 * tower == 2 * vision.vision_forward_flops_per_image



@pytest.mark.parametrize("size, resized, tokens", [((480, 640), (672, 912), 266), ((896, 896), (768, 768), 256),
                                                   ((100, 4000), (96, 5040), 210)])  # fmt: skip
def test_gemma4_soft_token_budget(size, resized, tokens):
    # Gemma4ImageProcessor (image_processing_gemma4.py, get_aspect_ratio_preserving_size): max_patches =
    # max_soft_tokens 280 x pooling_kernel_size 3² = 2,520 patches of 16 px, 645,120 pixels; factor =
    # sqrt(645120 / (h·w)), each side floored to a multiple of 3·16 = 48; tokens (h/16)(w/16) / 9
    # (Gemma4Processor._get_num_multimodal_tokens). 480x640: factor 1.449 -> 695.6x927.4 -> 672x912, 42·57/9 = 266.
    # 896x896: 0.896 -> 803.2 -> 768x768, 48·48/9 = 256. 100x4000: 1.270 -> 127.0x5079.8 -> 96x5040, 6·315/9 = 210.
    # The tower runs over all 2,520 patch positions (the processor pads to max_patches).
    each = _tokens("gemma-4-31b-it", 1, size)
    assert ((each.height, each.width), each.tokens, each.merged, each.patches, each.crops) == (resized, tokens, tokens, 2520, 1)

def test_gemma4_soft_token_budget_against_transformers():
    """Reference: transformers' own get_aspect_ratio_preserving_size (processing_gemma4.py) and the processor's
    token count, patch_height × patch_width // pooling_kernel_size² (_get_num_multimodal_tokens)."""
    from transformers.models.gemma4.processing_gemma4 import get_aspect_ratio_preserving_size

    for size in [(480, 640), (896, 896), (1080, 1920), (100, 4000), (4000, 100), (60, 60), (3000, 2000)]:
        h, w = get_aspect_ratio_preserving_size(*size, patch_size=16, max_patches=2520, pooling_kernel_size=3)
        each = _tokens("gemma-4-31b-it", 1, size)
        assert (each.height, each.width, each.tokens) == (h, w, (h // 16) * (w // 16) // 9), size

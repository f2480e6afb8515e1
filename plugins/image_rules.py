"""How the vision-language model types' images become tokens: their :class:`registry.ImageRule`s.

Each rule names the config fields it reads (dotted: ``vision_config.patch_size``) and transformers 5.25's
defaults for those a config may leave out (its configuration classes: :data:`DEFAULTS`). Where the
processor has real logic the rule has a function of a few lines, after transformers' own code:

* :func:`qwen_smart_resize`: ``Qwen2VLImageProcessor`` (``image_processing_qwen2_vl.py`` ``smart_resize``,
  ``get_number_of_image_patches``) and ``Qwen2VLProcessor._get_num_multimodal_tokens``; Qwen2.5-VL's
  window attention (``modeling_qwen2_5_vl.py`` ``Qwen2_5_VisionTransformerPretrainedModel.get_window_index``);
* :func:`glm4v_smart_resize`: ``Glm4vImageProcessor`` (``image_processing_glm4v.py`` ``smart_resize`` over
  ``temporal_patch_size`` frames, ``get_number_of_image_patches``) and ``Glm4vProcessor._get_num_multimodal_tokens``;
* :func:`llava_next_anyres`: ``LlavaNextProcessor._get_number_of_features`` (``processing_llava_next.py``)
  with ``select_best_resolution`` (``image_processing_utils.py``);
* :func:`llava_patches`: LLaVA's square crop of CLIP patches, or with a Pixtral tower ``PixtralProcessor``'s
  (``processing_pixtral.py``; ``get_resize_output_image_size`` in ``image_processing_pixtral.py``);
* :func:`tiles_and_thumbnail`: ``GotOcr2ImageProcessor.get_number_of_image_patches`` with
  ``get_optimal_tiled_canvas`` (``image_processing_got_ocr2.py``) and ``AyaVisionProcessor._get_num_multimodal_tokens``.
"""

from __future__ import annotations

import math
from dataclasses import replace

from registry import ImageRule, ImageTokens
from registry.plugins.generated_defaults import DEFAULTS

#: ``Qwen2VLImageProcessor``'s default pixel bounds (``size = {"shortest_edge": 56 * 56, "longest_edge":
#: 28 * 28 * 1280}``); a checkpoint's preprocessor_config.json may set others.
QWEN_MIN_PIXELS, QWEN_MAX_PIXELS = 56 * 56, 28 * 28 * 1280
#: ``Glm4vImageProcessor``'s defaults: pixel bounds (``size = {"shortest_edge": 112 * 112, "longest_edge": 28 * 28 *
#: 15000}``) and the frames an image is repeated to (``temporal_patch_size = 2``); a preprocessor_config.json may set others.
GLM4V_MIN_PIXELS, GLM4V_MAX_PIXELS, GLM4V_FRAMES = 112 * 112, 28 * 28 * 15000, 2
#: ``LlavaNextConfig``'s default ``image_grid_pinpoints`` (configuration_llava_next.py).
LLAVA_NEXT_PINPOINTS = [[336, 672], [672, 336], [672, 672], [1008, 336], [336, 1008]]


def smart_resize(height: int, width: int, factor: int, min_pixels: int, max_pixels: int) -> tuple[int, int]:
    """transformers' ``smart_resize`` (image_processing_qwen2_vl.py): sides multiples of ``factor``, the area
    within the bounds, the aspect ratio kept as closely as possible. Raises ValueError past 200:1."""
    if max(height, width) / min(height, width) > 200:
        raise ValueError(f"Qwen's processor refuses an aspect ratio over 200 (got {height}x{width})")
    h_bar, w_bar = round(height / factor) * factor, round(width / factor) * factor
    if h_bar * w_bar > max_pixels:
        beta = math.sqrt((height * width) / max_pixels)
        h_bar = max(factor, math.floor(height / beta / factor) * factor)
        w_bar = max(factor, math.floor(width / beta / factor) * factor)
    elif h_bar * w_bar < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h_bar, w_bar = math.ceil(height * beta / factor) * factor, math.ceil(width * beta / factor) * factor
    return h_bar, w_bar


def qwen_smart_resize(inputs, height: int, width: int) -> ImageTokens:
    """Qwen-VL: ``smart_resize`` to multiples of ``patch x merge``, a grid of patches, one token per ``merge²``;
    Qwen2.5-VL's windowed layers see windows of ``window_size`` pixels (in merged units, ``window_size //
    merge // patch``, the last row and column of windows cut short)."""
    patch, merge = inputs.patch, inputs.merge
    h, w = smart_resize(height, width, patch * merge, QWEN_MIN_PIXELS, QWEN_MAX_PIXELS)
    rows, cols = h // patch, w // patch
    patches = rows * cols
    windows: tuple[int, ...] = ()
    windowed = 0
    window = inputs.extra.get("window_size")
    if window:
        side = max(window // merge // patch, 1)
        mr, mc = rows // merge, cols // merge
        heights = [min(side, mr - i) for i in range(0, mr, side)]
        widths = [min(side, mc - j) for j in range(0, mc, side)]
        windows = tuple(a * b * merge**2 for a in heights for b in widths)
        full = inputs.extra.get("fullatt_block_indexes") or ()
        windowed = inputs.extra["depth"] - len(set(full))
    return ImageTokens(h, w, patches // merge**2, 1, patches, patches // merge**2, windows, windowed,
                       inputs.extra.get("depth") or 0)


def glm4v_smart_resize(inputs, height: int, width: int) -> ImageTokens:
    """GLM-4V: ``smart_resize`` of ``image_processing_glm4v.py`` (sides under ``patch x merge`` scaled up to it,
    then multiples of it, the bounds applied to the pixels of the ``GLM4V_FRAMES`` frames an image becomes),
    a grid of patches, one token per ``merge²`` (the downsampling convolution)."""
    patch, merge = inputs.patch, inputs.merge
    factor, frames = patch * merge, GLM4V_FRAMES
    if height < factor or width < factor:
        scale = max(factor / height, factor / width)
        height, width = int(height * scale), int(width * scale)
    if max(height, width) / min(height, width) > 200:
        raise ValueError(f"GLM-4V's processor refuses an aspect ratio over 200 (got {height}x{width})")
    h, w = round(height / factor) * factor, round(width / factor) * factor
    if frames * h * w > GLM4V_MAX_PIXELS:
        beta = math.sqrt(frames * height * width / GLM4V_MAX_PIXELS)
        h, w = max(factor, math.floor(height / beta / factor) * factor), max(factor, math.floor(width / beta / factor) * factor)
    elif frames * h * w < GLM4V_MIN_PIXELS:
        beta = math.sqrt(GLM4V_MIN_PIXELS / (frames * height * width))
        h, w = math.ceil(height * beta / factor) * factor, math.ceil(width * beta / factor) * factor
    patches = (h // patch) * (w // patch)
    return ImageTokens(h, w, patches // merge**2, 1, patches, patches // merge**2)


def select_best_resolution(size: tuple[int, int], pinpoints: list) -> tuple[int, int]:
    """transformers' ``select_best_resolution`` (image_processing_utils.py): the grid resolution keeping the
    most of the image, then wasting the least."""
    height, width = size
    best, most, least = (0, 0), 0, float("inf")
    for h, w in pinpoints:
        scale = min(w / width, h / height)
        effective = min(int(width * scale) * int(height * scale), width * height)
        wasted = w * h - effective
        if effective > most or (effective == most and wasted < least):
            best, most, least = (h, w), effective, wasted
    return best


def llava_patches(inputs, height: int, width: int) -> ImageTokens:
    """LLaVA: a square crop of ``image_size``, one token per patch and the class token as
    ``vision_feature_select_strategy`` says; with a Pixtral tower (``vision_config.model_type`` ``pixtral``, as
    mistral-community/pixtral-12b) ``PixtralProcessor``'s tokens instead: the longest edge fitted to
    ``image_size``, a token per patch (no merge) and an ``[IMG_BREAK]``/``[IMG_END]`` after each row."""
    if inputs.extra.get("vision_type") == "pixtral":
        return replace(inputs, resize="longest_edge", merge=1, row_breaks=True, class_token=False,
                       drop_class_token=False).at(height, width)  # fmt: skip
    return replace(inputs, resize="fixed", function=None).at(height, width)


def llava_next_anyres(inputs, height: int, width: int) -> ImageTokens:
    """LLaVA-NeXT: the base image and the tiles of the best grid resolution, each a crop of ``image_size``; the
    tiles' features unpadded to the image's aspect ratio, a newline token after each row
    (``_get_number_of_features``, ``_get_unpadded_features``)."""
    side, patch = inputs.size, inputs.patch
    pinpoints = inputs.extra.get("image_grid_pinpoints") or LLAVA_NEXT_PINPOINTS
    if not isinstance(pinpoints, list) or not all(
            isinstance(p, list) and len(p) == 2 and all(type(v) is int and v >= side for v in p) for p in pinpoints):
        raise ValueError(f"image_grid_pinpoints must be [height, width] pairs of at least image_size ({side}) pixels")
    best_h, best_w = select_best_resolution((height, width), pinpoints)
    scale_h, scale_w = best_h // side, best_w // side
    per_side = side // patch
    cur_h, cur_w = per_side * scale_h, per_side * scale_w
    if width / height > cur_w / cur_h:
        cur_h -= 2 * ((cur_h - int(round(height * (cur_w / width), 7))) // 2)
    else:
        cur_w -= 2 * ((cur_w - int(round(width * (cur_h / height), 7))) // 2)
    base = per_side**2 + int(not inputs.drop_class_token)
    crops = 1 + scale_h * scale_w
    return ImageTokens(height, width, cur_h * cur_w + cur_h + base, crops, per_side**2 + 1, crops * base)


#: ``GotOcr2ImageProcessor``'s default tile bounds (``min_patches = 1``, ``max_patches = 12``); a checkpoint's
#: preprocessor_config.json may set others.
GOT_OCR2_MIN_TILES, GOT_OCR2_MAX_TILES = 1, 12


def optimal_tiled_canvas(height: int, width: int, side: int, low: int, high: int) -> tuple[int, int]:
    """transformers' ``get_optimal_tiled_canvas``: (columns, rows) of ``side``-pixel tiles whose aspect ratio is
    closest to the image's; on a tie the grid with more tiles, while the image covers over half of it."""
    grids = sorted(((w, h) for w in range(1, high + 1) for h in range(1, high + 1) if low <= w * h <= high),
                   key=lambda g: g[0] * g[1])  # fmt: skip
    aspect, area = width / height, width * height
    best, best_diff = (1, 1), float("inf")
    for grid in grids:
        diff = abs(aspect - grid[0] / grid[1])
        if diff < best_diff:
            best, best_diff = grid, diff
        elif diff == best_diff and area > 0.5 * side * side * grid[0] * grid[1]:
            best = grid
    return best


def tiles_and_thumbnail(inputs, height: int, width: int) -> ImageTokens:
    """Aya Vision: ``crop_to_patches`` (the processor's default) cuts the image into the best grid of tiles of
    ``image_size`` and adds a thumbnail (one tile when the grid is 1x1); each tile becomes
    ``(image_size // (patch_size × downsample_factor))²`` tokens after the pixel shuffle."""
    side, patch = inputs.size, inputs.patch
    columns, rows = optimal_tiled_canvas(height, width, side, GOT_OCR2_MIN_TILES, GOT_OCR2_MAX_TILES)
    crops = 1 + columns * rows if columns * rows > 1 else 1
    per_tile = (side // (patch * inputs.merge)) ** 2
    return ImageTokens(rows * side, columns * side, per_tile * crops, crops, (side // patch) ** 2, per_tile * crops)


#: ``Kimi_K25ImageProcessor``'s defaults: ``merge_size``, ``max_patches``, ``size["max_height"]`` (patches per side).
KIMI_MERGE, KIMI_MAX_PATCHES, KIMI_MAX_SIDE = 2, 16384, 512


def kimi_navit(inputs, height: int, width: int) -> ImageTokens:
    """Kimi K2.5: ``navit_resize`` scales the image down (never up) to at most ``max_patches`` patches and
    ``max_side`` patches a side, then pads each side to a multiple of ``patch × merge``; one token per ``merge²``
    patches."""
    patch = inputs.patch
    rows, cols = max(1, height // patch), max(1, width // patch)
    scale = min(1.0, math.sqrt(KIMI_MAX_PATCHES / (rows * cols)), KIMI_MAX_SIDE * patch / height, KIMI_MAX_SIDE * patch / width)
    h = min(max(1, int(height * scale)), KIMI_MAX_SIDE * patch)
    w = min(max(1, int(width * scale)), KIMI_MAX_SIDE * patch)
    unit = KIMI_MERGE * patch
    h, w = -(-h // unit) * unit, -(-w // unit) * unit
    patches = (h // patch) * (w // patch)
    return ImageTokens(h, w, patches // KIMI_MERGE**2, 1, patches, patches // KIMI_MERGE**2)


def _vision(kind: str, *names: str, at: str = "vision_config") -> dict:
    """transformers' defaults of a vision config's fields, as the rule's dotted names (the vision config at ``at``)."""
    return {f"{at}.{n}": DEFAULTS[kind][n] for n in names}


SIGLIP = _vision("siglip_vision_model", "image_size", "patch_size")
CLIP = _vision("clip_vision_model", "image_size", "patch_size")

GEMMA3 = ImageRule("Gemma 3 pooling", fixed_tokens="mm_tokens_per_image",
                   defaults={**SIGLIP, "mm_tokens_per_image": DEFAULTS["gemma3"]["mm_tokens_per_image"]},
                   note="resized to vision_config.image_size (Gemma3ImageProcessor, no pan-and-scan crops)")
LLAVA = ImageRule("LLaVA: CLIP or Pixtral patches", resize="function", class_token=True,
                  select_strategy="vision_feature_select_strategy", extra={"vision_type": "vision_config.model_type"},
                  defaults={**CLIP, "vision_feature_select_strategy": "default", "vision_config.model_type": "clip_vision_model"},
                  function=llava_patches,
                  note="resized and cropped to vision_config.image_size (the processor's crop_size); with a Pixtral "
                       "tower, the longest edge fitted to it and a token after each row (PixtralProcessor)")
LLAVA_NEXT = ImageRule("LLaVA-NeXT any-resolution tiles", resize="function", class_token=True,
                       select_strategy="vision_feature_select_strategy", extra={"image_grid_pinpoints": "image_grid_pinpoints"},
                       defaults={**CLIP, "vision_feature_select_strategy": "default"}, function=llava_next_anyres,
                       note="tiles of vision_config.image_size on the best image_grid_pinpoints resolution")
PALIGEMMA = ImageRule("PaliGemma: SigLIP patches", defaults=SIGLIP,
                      note="resized to vision_config.image_size (SiglipImageProcessor)")
MISTRAL3 = ImageRule("Pixtral patches merged by spatial_merge_size², [IMG_BREAK] per row", resize="longest_edge",
                     merge="spatial_merge_size", row_breaks=True,
                     defaults={**_vision("pixtral", "image_size", "patch_size"),
                               "spatial_merge_size": DEFAULTS["mistral3"]["spatial_merge_size"]},
                     note="longest edge fitted to vision_config.image_size (PixtralImageProcessor)")  # fmt: skip


AYA_VISION = ImageRule("SigLIP tiles and thumbnail, pixel shuffle of downsample_factor", resize="function",
                       merge="downsample_factor", function=tiles_and_thumbnail,
                       defaults={**_vision("siglip_vision_model", "image_size", "patch_size"),
                                 "downsample_factor": DEFAULTS["aya_vision"]["downsample_factor"]},
                       note=f"tiles of vision_config.image_size, {GOT_OCR2_MIN_TILES} to {GOT_OCR2_MAX_TILES} and a thumbnail "
                            "(GotOcr2ImageProcessor's defaults with AyaVisionProcessor's crop_to_patches; a "
                            "preprocessor_config.json may set others)")  # fmt: skip


def qwen(kind: str, at: str = "vision_config") -> ImageRule:
    """Qwen-VL's rule for the vision config type ``kind`` (``qwen2_5_vl_vision``: with window attention), the vision
    config at the dotted field ``at`` (Qwen2.5-Omni's: ``thinker_config.vision_config``)."""
    windowed = ("window_size", "fullatt_block_indexes", "depth") if DEFAULTS[kind].get("window_size") else ()
    fields = ("patch_size", "spatial_merge_size", *windowed)
    return ImageRule("Qwen smart_resize, patches merged by spatial_merge_size²", resize="function", size="",
                     patch=f"{at}.patch_size", merge=f"{at}.spatial_merge_size", merged_blocks=("merger", "deepstack_merger_list"),
                     extra={f: f"{at}.{f}" for f in fields[2:]},
                     defaults=_vision(kind, *fields, at=at), function=qwen_smart_resize,
                     note=f"Qwen2VLImageProcessor's default pixel bounds {QWEN_MIN_PIXELS:,} to {QWEN_MAX_PIXELS:,} "
                          "(a preprocessor_config.json may set others)")  # fmt: skip


def glm4v(kind: str) -> ImageRule:
    """GLM-4V's rule for the vision config type ``kind``."""
    return ImageRule("GLM-4V smart_resize, patches downsampled by spatial_merge_size²", resize="function", size="",
                     merge="vision_config.spatial_merge_size", merged_blocks=("downsample", "merger"),
                     defaults=_vision(kind, "patch_size", "spatial_merge_size"), function=glm4v_smart_resize,
                     note=f"Glm4vImageProcessor's default pixel bounds {GLM4V_MIN_PIXELS:,} to {GLM4V_MAX_PIXELS:,} over "
                          f"{GLM4V_FRAMES} frames (a preprocessor_config.json may set others)")  # fmt: skip


KIMI_K25 = ImageRule("Kimi K2.5 navit_resize, patches merged 2x2", resize="function", size="",
                     defaults=_vision("kimi_k25_vision", "patch_size"), function=kimi_navit,
                     note=f"Kimi_K25ImageProcessor's defaults: at most {KIMI_MAX_PATCHES:,} patches and {KIMI_MAX_SIDE} "
                          f"a side, merge_size {KIMI_MERGE} (a preprocessor_config.json may set others)")  # fmt: skip

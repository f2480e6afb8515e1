"""Vision-language model types of 2024-26 as composites of mapped types: cohere2_vision, llava_onevision, paddleocr_vl,
video_llava, vipllava (and the towers paddleocr_vl adds: ``paddleocr_vl_vision``, ``paddleocr_vl_text``).

Each is a :class:`registry.Composite` as in :mod:`registry.plugins.vlm_types`: its towers (the sub-config and
the model type that reads it), its projector (a layout of the ``projector`` family), where transformers 5.25
puts each part (``modeling_<type>.py``), and how an image becomes tokens.

* ``llava_onevision`` (``LlavaOnevisionForConditionalGeneration``; ``LlavaOnevisionModel`` is
  ``LlavaNextVideoModel`` without its ``vision_resampler``): a SigLIP tower, LLaVA-NeXT's projector and
  ``image_newline``, any mapped language model (Qwen2 in the published checkpoints). Images are LLaVA-NeXT's
  any-resolution tiles, scaled down past ``vision_aspect_ratio``'s ``anyres_max_<n>`` tiles
  (``LlavaOnevisionProcessor._get_unpadded_features``).
* ``video_llava`` (``VideoLlavaForConditionalGeneration``): two CLIP towers of the one ``vision_config``,
  ``model.video_tower`` (part ``video``) and ``model.image_tower`` (part ``vision``), LLaVA's projector, any
  mapped language model. An image is LLaVA's: a crop of ``image_size`` (``VideoLlavaProcessor``).
* ``cohere2_vision`` (``Cohere2VisionForConditionalGeneration``, Command A Vision): a SigLIP tower, a pixel
  shuffle of ``downsample_factor`` into ``linear_1`` of ``alignment_intermediate_size``, SwiGLU of its halves,
  ``linear_2`` to the text width (``Cohere2VisionMultiModalProjector``: Aya Vision's without the layer norm),
  any mapped language model (Cohere2). Images: the processor's tiles (:func:`cohere2_vision_tiles`).
* ``paddleocr_vl`` (``PaddleOCRVLForConditionalGeneration``, PaddleOCR-VL): ``model.visual``, SigLIP's vision
  transformer without its head (``paddleocr_vl_vision``: ``PaddleOCRVisionModel``; the published files name the
  sub-config ``"paddleocr_vl"``, which ``PaddleOCRVLConfig.__post_init__`` renames); ``model.language_model``, an
  ERNIE-4.5-style decoder (``paddleocr_vl_text``: ``PaddleOCRTextModel``, ``use_bias`` on every projection), its
  fields at the config's top level in the published files (``flat``); ``model.projector``, a LayerNorm of the
  vision width, then the merged width (``spatial_merge_size²`` patches) to itself and to the text width. The head
  is tied unless both the top level and the text config say false (``__post_init__``): the published files' flat
  fields give the text config none, so transformers ties it although their top level says false (a note says so).
  Images: ``PaddleOCRVLImageProcessor``'s ``smart_resize`` (:func:`paddleocr_smart_resize`).
* ``vipllava`` (``VipLlavaForConditionalGeneration``, ViP-LLaVA): LLaVA's CLIP tower and language model; the
  projector a LayerNorm of the ``vision_feature_layer`` layers' concatenated features (the published files spell the
  field ``vision_feature_layers``, an ``attribute_map`` alias) and LLaVA's two linears. An image is a crop of
  ``image_size``, its patches without the class token (``VipLlavaModel.get_image_features``).
"""

from __future__ import annotations

import math
from dataclasses import replace

from registry import Composite, ConfigReader, ImageRule, ImageTokens, Params, Row, Tower, hookimpl, short_value
from registry.plugins import image_rules
from registry.plugins.dense_model_types import ROWS as DENSE_ROWS
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.vision_model_types import VISION_READS, VISION_SHAPE_FREE
from registry.plugins.vlm_types import (
    PROJECTOR, TEXT_MOVES, VISION, composite_lm_head, llava_next_projector, llava_projector, tie,
)


def _default(cfg: ConfigReader, key: str):
    """transformers' default of a top-level field of this config's model type (its configuration class)."""
    return DEFAULTS[cfg.data["model_type"]][key]


def cohere2_vision_projector(cfg: ConfigReader, parts: dict[str, Params]) -> Params:
    """Command A Vision's ``Cohere2VisionMultiModalProjector``: pixel shuffle of ``downsample_factor``,
    ``linear_1`` to ``alignment_intermediate_size``, SwiGLU of its halves, ``linear_2`` to the text width."""
    return {"layout": ("model_type", "cohere2_vision"), "d_in": ("vision_config.hidden_size", parts["vision"]["d_model"][1]),
            "d_out": ("text_config.hidden_size", parts["text"]["d_model"][1]),
            "factor": ("downsample_factor", cfg.int("downsample_factor", _default(cfg, "downsample_factor"))),
            "d_hidden": ("alignment_intermediate_size",
                         cfg.int("alignment_intermediate_size", _default(cfg, "alignment_intermediate_size")))}  # fmt: skip


def paddleocr_projector(cfg: ConfigReader, parts: dict[str, Params]) -> Params:
    """PaddleOCR-VL's ``PaddleOCRProjector``: a LayerNorm of the vision width, then the merged width (the vision
    width × ``vision_config.spatial_merge_size²``) to itself and to the text width."""
    vision = cfg.raw("vision_config")
    merge = vision.get("spatial_merge_size", DEFAULTS["paddleocr_vl_vision"]["spatial_merge_size"])
    if isinstance(merge, bool) or not isinstance(merge, int) or merge < 1:
        raise cfg.error("vision_config.spatial_merge_size", f"must be a whole number >= 1 (got {short_value(merge)})")
    width = parts["vision"]["d_model"][1]
    return {"layout": ("model_type", "paddleocr_vl"), "d_in": parts["vision"]["d_model"],
            "d_hidden": ("vision_config.spatial_merge_size", width * merge * merge), "d_out": parts["text"]["d_model"]}


def vipllava_projector(cfg: ConfigReader, parts: dict[str, Params]) -> Params:
    """ViP-LLaVA's ``VipLlavaMultiModalProjector``: a LayerNorm of the concatenated features of ``vision_feature_layer``'s
    layers (one for a whole number), then LLaVA's two linears; ``vision_feature_layers`` is the field's alias, which
    transformers takes over the field when a file gives both."""
    cfg.raw("vision_feature_layer")  # read either way: the alias, when given, stands for it
    key = "vision_feature_layers" if cfg.has("vision_feature_layers") else "vision_feature_layer"
    value = cfg.raw(key, DEFAULTS["vipllava"]["vision_feature_layer"])
    if isinstance(value, int) and not isinstance(value, bool):
        layers = 1
    elif isinstance(value, list) and value and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        layers = len(value)
    else:
        raise cfg.error(key, f"must be a whole number or a non-empty list of them (got {short_value(value)})")
    return {"layout": ("model_type", "vipllava"), "d_in": parts["vision"]["d_model"], "d_out": parts["text"]["d_model"],
            "n_feature_layers": (key, layers)}


def _paddleocr_tie(cfg: ConfigReader, cls: str, parts: dict[str, Params]) -> tuple[str, ...]:
    """Rule: ``PaddleOCRVLConfig.__post_init__`` ties the head when the top level or the text config says so (the
    text config's default: true); a note when the file's top level says false and is overruled."""
    notes = tie(from_text=True)(cfg, cls, parts) or ()
    if cfg.raw("tie_word_embeddings") is False and parts["text"]["tie_word_embeddings"][1]:
        notes = (*notes, f"{cfg.path}: tie_word_embeddings: false, but transformers 5.25 ties the language model's head "
                 "to its embedding: PaddleOCRVLConfig.__post_init__ takes the text config's true (its default, the file "
                 "giving the text config none); a checkpoint with its own lm_head holds vocab_size × hidden_size more")  # fmt: skip
    return notes


#: PaddleOCR-VL's vision tower (``PaddleOCRVisionModel``): SigLIP's vision transformer without its head, held as
#: ``vision_model`` (transformers 5's ``SiglipVisionModel`` drops that attribute; ``PaddleOCRVisionModel`` keeps it:
#: the layout's prefix, which the family gives a classifier wrapper, here of no labels).
PADDLEOCR_VISION = Row(
    "paddleocr_vl_vision", "vision", ("PaddleOCRVisionModel",), reads={**VISION_READS, "d_ff": "intermediate_size"},
    defaults=DEFAULTS["paddleocr_vl_vision"],
    fixed={"layout": "siglip", "class_token": False, "head": "classifier", "n_labels": 0},
    # spatial_merge_size: read by the composite's projector; the rotary positions hold no tensors
    shape_free=VISION_SHAPE_FREE | {"spatial_merge_size", "rope_parameters"},
    description="the vision tower of a paddleocr_vl config (SigLIP's, no head)",
)  # fmt: skip


def _paddleocr_text() -> Row:
    """PaddleOCR-VL's language model (``PaddleOCRTextModel``): ERNIE 4.5's row (``use_bias`` on every projection)
    without its remote-code rules; ``head_dim`` and ``num_key_value_heads`` null derive as ``__post_init__`` does."""
    base = next(r for r in DENSE_ROWS if r.name == "ernie4_5")
    rules = tuple(r for r in base.rules if "remote" not in (r.__doc__ or ""))
    return replace(base, name="paddleocr_vl_text", classes=("PaddleOCRTextModel",), rules=rules,
                   reads={**base.reads, "head_dim": "head_dim?"}, defaults={"head_dim": None, **DEFAULTS["paddleocr_vl_text"]},
                   description="the language model of a paddleocr_vl config (text_config, or its top level)")  # fmt: skip


#: The sub-config types paddleocr_vl reads.
ROWS = (PADDLEOCR_VISION, _paddleocr_text())

# --------------------------------------------------------------------------- images


def onevision_anyres(inputs, height: int, width: int) -> ImageTokens:
    """LLaVA-OneVision (``LlavaOnevisionProcessor._get_number_of_features``): the base image and the tiles of the
    best grid resolution, each a crop of ``image_size`` of ``(image_size / patch_size)²`` patches (SigLIP: no class
    token); the tiles' features unpadded to the image's aspect ratio with a newline token after each row, then, when
    they exceed ``anyres_max_<n>`` tiles by more than 10%, scaled down by ``ratio`` (floor) on both sides."""
    side, patch = inputs.size, inputs.patch
    pinpoints = inputs.extra.get("image_grid_pinpoints") or DEFAULT_ONEVISION_PINPOINTS
    if not isinstance(pinpoints, list) or not all(
            isinstance(p, list) and len(p) == 2 and all(type(v) is int and v >= side for v in p) for p in pinpoints):
        raise ValueError(f"image_grid_pinpoints must be [height, width] pairs of at least image_size ({side}) pixels")
    aspect = inputs.extra.get("vision_aspect_ratio") or "anyres_max_9"
    most = aspect.strip("anyres_max_") if isinstance(aspect, str) else ""
    if not most.isdigit() or int(most) < 1:
        raise ValueError(f"vision_aspect_ratio must be anyres_max_<tiles> (got {aspect!r})")
    best_h, best_w = image_rules.select_best_resolution((height, width), pinpoints)
    scale_h, scale_w = best_h // side, best_w // side
    per_side = side // patch
    cur_h, cur_w = per_side * scale_h, per_side * scale_w
    if width / height > cur_w / cur_h:
        cur_h -= 2 * ((cur_h - int(round(height * (cur_w / width), 7))) // 2)
    else:
        cur_w -= 2 * ((cur_w - int(round(width * (cur_h / height), 7))) // 2)
    features, newlines = cur_h * cur_w, cur_h
    ratio = math.sqrt(cur_h * cur_w / (int(most) * per_side**2))
    if ratio > 1.1:
        features, newlines = int(cur_h // ratio) * int(cur_w // ratio), int(cur_h // ratio)
    tokens = features + newlines + per_side**2 - int(inputs.extra.get("strategy") == "default")
    crops = 1 + scale_h * scale_w
    return ImageTokens(height, width, tokens, crops, per_side**2, crops * per_side**2)


#: ``LlavaOnevisionConfig``'s default ``image_grid_pinpoints`` (``__post_init__``): 384 to 2304 pixels a side.
DEFAULT_ONEVISION_PINPOINTS = [[h, w] for h in range(384, 2305, 384) for w in range(384, 2305, 384)]

LLAVA_ONEVISION = ImageRule(
    "LLaVA-OneVision any-resolution tiles, at most anyres_max_<n>", resize="function",
    extra={"image_grid_pinpoints": "image_grid_pinpoints", "vision_aspect_ratio": "vision_aspect_ratio",
           "strategy": "vision_feature_select_strategy"},
    defaults={**image_rules.SIGLIP, "vision_aspect_ratio": DEFAULTS["llava_onevision"]["vision_aspect_ratio"],
              "vision_feature_select_strategy": DEFAULTS["llava_onevision"]["vision_feature_select_strategy"]},
    function=onevision_anyres,
    note="tiles of vision_config.image_size on the best image_grid_pinpoints resolution (LlavaOnevisionProcessor)")  # fmt: skip

VIDEO_LLAVA = ImageRule("Video-LLaVA: CLIP patches", class_token=True, select_strategy="vision_feature_select_strategy",
                        defaults={**image_rules.CLIP, "vision_feature_select_strategy": "default"},
                        note="resized and cropped to vision_config.image_size (VideoLlavaProcessor)")  # fmt: skip

#: ``Cohere2VisionImageProcessor``'s defaults: tiles of ``size`` (the vision tower's 512), 1 to 12 of them.
COHERE2_MIN_TILES, COHERE2_MAX_TILES = 1, 12


def _cohere2_canvas(height: int, width: int, side: int, most: int) -> tuple[int, int]:
    """``get_optimal_tiled_canvas`` (image_processing_cohere2_vision.py): (columns, rows) of the grid of at most
    ``most`` tiles needing the least upscaling, or, when every grid downscales, the least downscaling."""
    grids = sorted(((c, r) for c in range(1, most + 1) for r in range(1, most + 1) if c * r <= most),
                   key=lambda g: g[0] * g[1])  # fmt: skip
    scales = [min(c * side / width, r * side / height) for c, r in grids]
    if all(s < 1 for s in scales):
        return grids[scales.index(max(scales))]
    up = [s if s >= 1 else math.inf for s in scales]
    return grids[up.index(min(up))]


def cohere2_vision_tiles(inputs, height: int, width: int) -> ImageTokens:
    """Command A Vision (``Cohere2VisionProcessor._get_num_multimodal_tokens``): the best grid of tiles of
    ``image_size`` and a thumbnail (one tile alone when the grid is 1x1); each tile
    ``(image_size / (patch_size × downsample_factor))²`` tokens and a line break, and the image's begin and end tokens."""
    side, patch = inputs.size, inputs.patch
    columns, rows = _cohere2_canvas(height, width, side, COHERE2_MAX_TILES)
    crops = 1 + columns * rows if columns * rows > 1 else 1
    per_tile = (side // (patch * inputs.merge)) ** 2
    return ImageTokens(rows * side, columns * side, 2 + crops * (per_tile + 1), crops, (side // patch) ** 2, per_tile * crops)


COHERE2_VISION = ImageRule(
    "SigLIP tiles and thumbnail, pixel shuffle of downsample_factor, a line break per tile", resize="function",
    merge="downsample_factor", function=cohere2_vision_tiles,
    defaults={**image_rules.SIGLIP, "downsample_factor": DEFAULTS["cohere2_vision"]["downsample_factor"]},
    note=f"tiles of vision_config.image_size, {COHERE2_MIN_TILES} to {COHERE2_MAX_TILES} and a thumbnail "
         "(Cohere2VisionImageProcessor's defaults; a preprocessor_config.json may set others)")  # fmt: skip

#: ``PaddleOCRVLImageProcessor``'s default pixel bounds (``size = {"shortest_edge": 384 * 384, "longest_edge": 1536 *
#: 1536}``); a checkpoint's preprocessor_config.json may set others.
PADDLEOCR_MIN_PIXELS, PADDLEOCR_MAX_PIXELS = 384 * 384, 1536 * 1536


def paddleocr_smart_resize(inputs, height: int, width: int) -> ImageTokens:
    """PaddleOCR-VL (``smart_resize`` of image_processing_paddleocr_vl.py): a side under ``patch x merge`` scaled up to
    it first, then Qwen's ``smart_resize`` within the processor's bounds; a grid of patches, one token per ``merge²``
    (``PaddleOCRVLProcessor._get_num_multimodal_tokens``)."""
    patch, merge = inputs.patch, inputs.merge
    factor = patch * merge
    if height < factor:
        height, width = factor, round(width * factor / height)
    if width < factor:
        height, width = round(height * factor / width), factor
    if max(height, width) / min(height, width) > 200:
        raise ValueError(f"PaddleOCR-VL's processor refuses an aspect ratio over 200 (got {height}x{width})")
    h, w = image_rules.smart_resize(height, width, factor, PADDLEOCR_MIN_PIXELS, PADDLEOCR_MAX_PIXELS)
    patches = (h // patch) * (w // patch)
    return ImageTokens(h, w, patches // merge**2, 1, patches, patches // merge**2)


PADDLEOCR_VL = ImageRule(
    "PaddleOCR-VL smart_resize, patches merged by spatial_merge_size²", resize="function", size="",
    merge="vision_config.spatial_merge_size", function=paddleocr_smart_resize,
    defaults={f"vision_config.{f}": DEFAULTS["paddleocr_vl_vision"][f] for f in ("patch_size", "spatial_merge_size")},
    note=f"PaddleOCRVLImageProcessor's default pixel bounds {PADDLEOCR_MIN_PIXELS:,} to {PADDLEOCR_MAX_PIXELS:,} "
         "(a preprocessor_config.json may set others)")  # fmt: skip

def vipllava_patches(inputs, height: int, width: int) -> ImageTokens:
    """ViP-LLaVA: a crop of ``image_size``; the tower runs over its patches and the class token, the language model sees
    the patches alone (``VipLlavaModel.get_image_features`` drops the class token of every layer it reads)."""
    patches = (inputs.size // inputs.patch) ** 2
    return ImageTokens(inputs.size, inputs.size, patches, 1, patches + 1, patches)


VIPLLAVA = ImageRule("ViP-LLaVA: CLIP patches, no class token", resize="function", class_token=True,
                     defaults=image_rules.CLIP, function=vipllava_patches,
                     note="resized and cropped to vision_config.image_size (the processor's crop_size)")  # fmt: skip

# --------------------------------------------------------------------------- the composites

#: Token ids, sequence lengths and processing settings: no shapes.
_LLAVA_FREE = frozenset(("image_token_index", "video_token_index", "image_seq_length", "video_seq_length",
                         "projector_hidden_act", "vision_feature_select_strategy", "multimodal_projector_bias"))  # fmt: skip

#: The composite model types (the module's docstring lists them).
COMPOSITES = (
    Composite("cohere2_vision", "composite", ("Cohere2VisionForConditionalGeneration",),
              (Tower("vision", config="vision_config", model_type="siglip_vision_model", path=VISION),
               Tower("projector", family="projector", params=cohere2_vision_projector, path=PROJECTOR),
               Tower("text", config="text_config", model_type="cohere2", model_types=("*",), moves=TEXT_MOVES)),
              rules=(tie(),), shape_free=frozenset(("image_token_id",)),
              description="Command A Vision: SigLIP tower, pixel-shuffle SwiGLU projector, any mapped language model",
              images=COHERE2_VISION),
    Composite("llava_onevision", "composite", ("LlavaOnevisionForConditionalGeneration",),
              (Tower("vision", config="vision_config", model_type="siglip_vision_model", path=VISION),
               Tower("projector", family="projector", params=llava_next_projector, path=PROJECTOR,
                     moves={"image_newline": "model.image_newline"}),
               Tower("text", config="text_config", model_type="qwen2", model_types=("*",), moves=TEXT_MOVES)),
              rules=(tie(from_text=True),), shape_free=_LLAVA_FREE | {"image_grid_pinpoints", "vision_aspect_ratio"},
              description="LLaVA-OneVision: SigLIP tower, projector and image_newline, any mapped language model",
              images=LLAVA_ONEVISION),
    Composite("paddleocr_vl", "composite", ("PaddleOCRVLForConditionalGeneration",),
              (Tower("vision", config="vision_config", model_type="paddleocr_vl_vision", path="model.visual",
                     renames={"paddleocr_vl": "paddleocr_vl_vision"}),
               Tower("text", config="text_config", model_type="paddleocr_vl_text", flat=True, moves=TEXT_MOVES),
               Tower("projector", family="projector", params=paddleocr_projector, path="model.projector")),
              rules=(composite_lm_head, _paddleocr_tie),
              # tie_word_embeddings: the composite's, not the flat text fields' (the rule reads it)
              shape_free=frozenset(("image_token_id", "video_token_id", "vision_start_token_id", "vision_end_token_id",
                                    "tie_word_embeddings")),
              description="PaddleOCR-VL: SigLIP-style tower, merged-patch projector, ERNIE-4.5-style language model",
              images=PADDLEOCR_VL),
    Composite("video_llava", "composite", ("VideoLlavaForConditionalGeneration",),
              (Tower("video", config="vision_config", model_type="clip_vision_model", path="model.video_tower"),
               Tower("vision", config="vision_config", model_type="clip_vision_model", path="model.image_tower"),
               Tower("projector", family="projector", params=llava_projector, path=PROJECTOR),
               Tower("text", config="text_config", model_type="llama", model_types=("*",), moves=TEXT_MOVES)),
              rules=(tie(),), shape_free=_LLAVA_FREE,
              description="Video-LLaVA: CLIP video and image towers, two-layer projector, any mapped language model",
              images=VIDEO_LLAVA),
    Composite("vipllava", "composite", ("VipLlavaForConditionalGeneration",),
              (Tower("vision", config="vision_config", model_type="clip_vision_model", path=VISION),
               Tower("projector", family="projector", params=vipllava_projector, path=PROJECTOR),
               Tower("text", config="text_config", model_type="llama", model_types=("*",), moves=TEXT_MOVES)),
              rules=(tie(),), shape_free=frozenset(("image_token_index", "image_seq_length", "projector_hidden_act",
                                                    "projector_layernorm_eps")),
              description="ViP-LLaVA: CLIP tower, multi-layer projector with a layer norm, any mapped language model",
              images=VIPLLAVA),
)  # fmt: skip


@hookimpl
def register_model_types(register):
    """Map the composites of this module and the sub-config types they read."""
    for row in ROWS:
        register(row)
    for composite in COMPOSITES:
        register(composite)

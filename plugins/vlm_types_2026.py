"""Vision-language model types of 2024-26 as composites of mapped types: cohere2_vision, llava_onevision, video_llava.

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
"""

from __future__ import annotations

import math

from registry import Composite, ConfigReader, ImageRule, ImageTokens, Params, Tower, hookimpl
from registry.plugins import image_rules
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.vlm_types import PROJECTOR, TEXT_MOVES, VISION, llava_next_projector, llava_projector, tie


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
    Composite("video_llava", "composite", ("VideoLlavaForConditionalGeneration",),
              (Tower("video", config="vision_config", model_type="clip_vision_model", path="model.video_tower"),
               Tower("vision", config="vision_config", model_type="clip_vision_model", path="model.image_tower"),
               Tower("projector", family="projector", params=llava_projector, path=PROJECTOR),
               Tower("text", config="text_config", model_type="llama", model_types=("*",), moves=TEXT_MOVES)),
              rules=(tie(),), shape_free=_LLAVA_FREE,
              description="Video-LLaVA: CLIP video and image towers, two-layer projector, any mapped language model",
              images=VIDEO_LLAVA),
)  # fmt: skip


@hookimpl
def register_model_types(register):
    """Map the composites of this module."""
    for composite in COMPOSITES:
        register(composite)

"""Image rules (:class:`registry.ImageRule`) of the vision-language types of :mod:`registry.plugins.vlm_types_2026c`,
of minimax_m3_vl (:mod:`registry.plugins.vlm_types_2026b`) and modernvbert (:mod:`registry.plugins.types_encoders_2026b`),
after transformers 5.25's processors:

* Janus and DeepSeek-VL (``JanusImageProcessor``, ``DeepseekVLImageProcessor``): the longest edge resized to
  ``size`` (384) and the image padded to that square; the processor's ``num_image_tokens`` (576) image tokens, the
  SigLIP tower's ``(image_size / patch_size)²`` patches (no class token), the aligner over each;
* Aria (:func:`aria_image`): ``AriaImageProcessor`` without ``split_image`` (``AriaProcessor``'s default) resizes
  the longest edge to ``max_image_size`` (980) and pads to that square; the Idefics3 tower runs over all its
  patches, the projector's learned queries (``projector_patch_to_query_dict`` of that patch count) are the tokens,
  its cross-attention over the patches (:func:`aria_projector_flops`);
* Fuyu (:func:`fuyu_image`): ``FuyuImageProcessor`` scales an image down (never up) to fit 1080 x 1920, its
  patches cover it rounded up to whole patches; a token per patch and an ``|NEWLINE|`` after each row
  (``preprocess_with_tokenizer_info``, ``variable_sized``); no tower, one linear per patch;
* GOT-OCR 2.0 (:func:`got_ocr2_image`, :func:`got_ocr2_tower_flops`): one image of the SAM tower's ``image_size``,
  256 tokens after the projector's convolutions; the tower's FLOPs by hand (its attention is windowed, with
  relative positions, which its block tree does not time);
* MiniMax-M3 (:func:`minimax_m3_image`, :func:`minimax_m3_projector_flops`): ``smart_resize`` within
  ``MiniMaxM3VLImageProcessor``'s bounds, a token per ``spatial_merge_size²`` patches; its projector's first two
  linears run over every patch, the last two over the merged tokens;
* VideoLLaMA3: ``VideoLlama3ImageProcessor``'s ``smart_resize`` (Qwen's, its defaults the same bounds) with its
  image ``merge_size`` 1: a token per patch.

Types whose images registry cannot follow yet get a rule that refuses ``--images`` with the reason
(:func:`unmodelled`): minicpmv4_6, ovis2, deepseek_vl_hybrid, modernvbert.
"""

from __future__ import annotations

import math
from dataclasses import replace

from registry import ImageRule, ImageTokens
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.image_rules import QWEN_MAX_PIXELS, QWEN_MIN_PIXELS, qwen_smart_resize, smart_resize

#: ``AriaProcessor``'s ``max_image_size`` (its ``images_kwargs``, the image processor's default too): every image is
#: resized (longest edge) and padded to this square when ``split_image`` is off (the default).
ARIA_MAX_IMAGE_SIZE = 980
#: ``AriaConfig.__post_init__``'s default ``projector_patch_to_query_dict``: patches -> learned queries.
ARIA_PATCH_TO_QUERY = {1225: 128, 4900: 256}
#: ``FuyuImageProcessor``'s ``size`` (height, width): the box images are scaled down to fit.
FUYU_SIZE = (1080, 1920)


def _vision(kind: str, *names: str) -> dict:
    """transformers' defaults of a vision config's fields, as the rule's dotted names."""
    return {f"vision_config.{n}": DEFAULTS[kind][n] for n in names}


def aria_image(inputs, height: int, width: int) -> ImageTokens:
    """Aria: one crop of ``ARIA_MAX_IMAGE_SIZE`` pixels a side (``AriaImageProcessor._preprocess``: the longest
    edge scaled to it, the rest padded), ``(side / patch_size)²`` patches through the tower, and as many tokens as
    ``projector_patch_to_query_dict`` gives queries for that many patches (``AriaProjector.forward``)."""
    side = ARIA_MAX_IMAGE_SIZE
    patches = (side // inputs.patch) ** 2
    table = inputs.extra.get("patch_to_query") or ARIA_PATCH_TO_QUERY
    try:
        queries = {int(k): int(v) for k, v in table.items()}.get(patches)
    except (AttributeError, TypeError, ValueError):
        raise ValueError(f"projector_patch_to_query_dict must map patch counts to query counts (got {str(table)[:60]})")
    if queries is None or queries < 1:
        raise ValueError(f"projector_patch_to_query_dict gives no query count for the {patches:,} patches of a "
                         f"{side}x{side} image (AriaProjector would refuse it)")  # fmt: skip
    return ImageTokens(side, side, queries, 1, patches, queries)


def aria_projector_flops(inputs, each: ImageTokens) -> dict[str, int]:
    """``AriaProjector`` for one image: ``q_proj`` and ``multihead_attn``'s query projection over the ``tokens``
    learned queries, ``k_proj``, ``v_proj`` and its key and value projections over the ``patches``, the queries'
    scores and values over the patches (``vision_config.num_attention_heads`` heads), ``out_proj`` and ``linear``,
    then ``feed_forward`` (the vision width to the text width, twice) over the queries."""
    x = inputs.extra
    for key in ("d_vision", "d_text", "heads"):
        if isinstance(x[key], bool) or not isinstance(x[key], int) or x[key] < 1:
            raise ValueError(f"{ARIA.extra[key]} must be a whole number >= 1 for the image rule (got {x[key]!r})")
    d, text, queries, patches = x["d_vision"], x["d_text"], each.tokens, each.patches
    return {"attention_qkv": 2 * 2 * d * d * (queries + 2 * patches), "attention_logits": 2 * queries * patches * d,
            "attention_softmax": 3 * x["heads"] * queries * patches, "attention_values": 2 * queries * patches * d,
            "attention_output": 2 * 2 * d * d * queries, "feed_forward": 2 * queries * (d * text + text * text)}  # fmt: skip


def fuyu_image(inputs, height: int, width: int) -> ImageTokens:
    """Fuyu: scaled down to fit ``FUYU_SIZE`` keeping its aspect ratio (``FuyuImageProcessor.resize``: ``int`` of
    the scaled sides, only when larger), each side rounded up to whole patches (``preprocess_with_tokenizer_info``);
    ``rows x columns`` patches, each a token, and a newline token after each row."""
    patch = inputs.patch
    box_h, box_w = FUYU_SIZE
    scale = min(box_h / height, box_w / width)
    unpadded_h, unpadded_w = min(int(height * scale), height), min(int(width * scale), width)
    new_h = min(box_h, math.ceil(unpadded_h / patch) * patch)
    new_w = min(box_w, math.ceil(unpadded_w / patch) * patch)
    if new_h < patch or new_w < patch:
        raise ValueError(f"a {height}x{width} image is under one {patch}-pixel patch a side once fitted to "
                         f"{box_h}x{box_w} (FuyuImageProcessor)")  # fmt: skip
    rows, cols = new_h // patch, new_w // patch
    return ImageTokens(new_h, new_w, rows * cols + rows, 1, rows * cols, rows * cols)


def _square(kind: str, processor: str) -> ImageRule:
    """Janus's and DeepSeek-VL's rule: a padded square of ``vision_config.image_size``, a token per patch."""
    return ImageRule(f"{processor}: padded square, a token per patch",
                     defaults=_vision(kind, "image_size", "patch_size"),
                     note=f"longest edge resized to vision_config.image_size and padded to a square ({processor}); "
                          "the processor's default num_image_tokens, 576, is (384 / 16)²")  # fmt: skip


#: Janus: the image-generation parts of its connector never see an input image.
JANUS = replace(_square("janus_vision_model", "JanusImageProcessor"),
                idle_blocks=("generation_embeddings", "generation_aligner", "generation_head"))
DEEPSEEK_VL = _square("siglip_vision_model", "DeepseekVLImageProcessor")

ARIA = ImageRule("Aria: one padded 980-pixel crop, projector queries", resize="function", size="", fixed_side=ARIA_MAX_IMAGE_SIZE,
                 extra={"patch_to_query": "projector_patch_to_query_dict", "d_vision": "vision_config.hidden_size",
                        "heads": "vision_config.num_attention_heads", "d_text": "text_config.hidden_size"},
                 defaults={**_vision("idefics3_vision", "patch_size", "hidden_size", "num_attention_heads"),
                           "text_config.hidden_size": DEFAULTS["aria_text"]["hidden_size"],
                           "projector_patch_to_query_dict": ARIA_PATCH_TO_QUERY},
                 function=aria_image, connector_flops=aria_projector_flops,
                 note=f"AriaProcessor's defaults: max_image_size {ARIA_MAX_IMAGE_SIZE}, no split_image (the tower runs over the "
                      "padding too)")  # fmt: skip
FUYU = ImageRule("Fuyu: patches of the image fitted to 1080x1920, a newline per row", resize="function", size="",
                 patch="patch_size", defaults={"patch_size": DEFAULTS["fuyu"]["patch_size"]}, function=fuyu_image,
                 tower_modelled=False,  # no tower: each patch's pixels go through the one linear (the projector)
                 note=f"FuyuImageProcessor's size {FUYU_SIZE[0]}x{FUYU_SIZE[1]} (images scaled down to fit, never up); "
                      "no native size: give --image-size")  # fmt: skip
VIDEO_LLAMA_3 = ImageRule("VideoLLaMA3 smart_resize, a token per patch", resize="function", size="",
                          defaults=_vision("video_llama_3_vision", "patch_size"), function=qwen_smart_resize,
                          note=f"VideoLlama3ImageProcessor's defaults: pixel bounds {QWEN_MIN_PIXELS:,} to {QWEN_MAX_PIXELS:,}, "
                               "merge_size 1 for images (a preprocessor_config.json may set others)")  # fmt: skip


def _stride2(n: int) -> int:
    """The side a 3x3 convolution of stride 2 and padding 1 leaves of ``n`` (PyTorch's ``Conv2d`` output size)."""
    return (n - 1) // 2 + 1


def got_ocr2_image(inputs, height: int, width: int) -> ImageTokens:
    """GOT-OCR 2.0: resized to ``image_size`` (no crops: ``GotOcr2Processor``'s ``crop_to_patches`` False), the SAM
    encoder over its ``(image_size / patch_size)²`` patches, the projector's two stride-2 convolutions leaving a
    quarter of each side (``GotOcr2MultiModalProjector``): 256 tokens for 1024 / 16, the processor's
    ``num_image_tokens``."""
    side = inputs.size // inputs.patch
    merged = _stride2(_stride2(side)) ** 2
    return ImageTokens(inputs.size, inputs.size, merged, 1, side * side, merged)


def got_ocr2_tower_flops(inputs, height: int, width: int) -> dict[str, int]:
    """The SAM encoder's forward FLOPs (``GotOcr2VisionEncoder``), by Appendix F's terms: the patch convolution; each
    layer's attention, in windows of ``window_size`` patches a side over the grid padded to a multiple of it
    (``window_partition``: the padding is projected and attended too) but in the ``global_attn_indexes`` layers,
    with the decomposed relative positions (``get_decomposed_rel_pos``: two ``einsum`` of the queries with a
    position table of the window's side, counted with the logits); the MLP over the patches; the neck's 1x1 and
    3x3 convolutions to ``output_channels``."""
    x = inputs.extra
    for key in ("hidden_size", "heads", "mlp_dim", "output_channels", "layers", "window_size"):
        if isinstance(x[key], bool) or not isinstance(x[key], int) or x[key] < (0 if key == "window_size" else 1):
            raise ValueError(f"vision_config.{_SAM_FIELDS[key]} must be a whole number >= 1 for the image rule (got {x[key]!r})")
    if not isinstance(x["global_layers"], list) or not all(type(i) is int for i in x["global_layers"]):
        raise ValueError(f"vision_config.global_attn_indexes must be a list of layer numbers (got {x['global_layers']!r})")
    d, heads, mlp, out = x["hidden_size"], x["heads"], x["mlp_dim"], x["output_channels"]
    side, window, layers = height // inputs.patch, x["window_size"], x["layers"]
    global_layers = {i for i in x["global_layers"] if 0 <= i < layers}
    patches = side * side
    terms = dict.fromkeys(("attention_qkv", "attention_logits", "attention_softmax", "attention_values",
                           "attention_output", "feed_forward", "convolution"), 0)  # fmt: skip
    for i in range(layers):
        span = side if (i in global_layers or window <= 0) else window
        grid = -(-side // span) * span  # the padded side
        tokens, keys = grid * grid, span * span
        terms["attention_qkv"] += 2 * tokens * d * 3 * d
        terms["attention_logits"] += 2 * tokens * keys * d + 2 * 2 * tokens * span * d  # scores, then rel_h and rel_w
        terms["attention_softmax"] += 3 * heads * tokens * keys
        terms["attention_values"] += 2 * tokens * keys * d
        terms["attention_output"] += 2 * tokens * d * d
        terms["feed_forward"] += 2 * 2 * patches * d * mlp
    channels = 3 * inputs.patch * inputs.patch
    terms["convolution"] = 2 * patches * (channels * d + d * out + out * out * 9)
    return terms


#: The SAM encoder's fields its FLOPs read (``GotOcr2VisionConfig``; the published file gives none of them).
_SAM_FIELDS = {"hidden_size": "hidden_size", "heads": "num_attention_heads", "mlp_dim": "mlp_dim", "layers": "num_hidden_layers",
               "window_size": "window_size", "global_layers": "global_attn_indexes", "output_channels": "output_channels"}
GOT_OCR2 = ImageRule("GOT-OCR 2.0: SAM patches, two stride-2 convolutions", resize="function",
                     extra={k: f"vision_config.{v}" for k, v in _SAM_FIELDS.items()},
                     defaults=_vision("got_ocr2_vision", "image_size", "patch_size", *_SAM_FIELDS.values()),
                     function=got_ocr2_image, tower_modelled=False, tower_flops=got_ocr2_tower_flops,
                     note="resized to vision_config.image_size, the side the tower's position embeddings take "
                          "(GotOcr2ImageProcessor's own default, 384, would not fit them), no crops; the SAM tower's FLOPs "
                          "by its windows and convolutions, its activations not modelled (counted 0); the projector's "
                          "two stride-2 convolutions are not counted")  # fmt: skip


#: ``MiniMaxM3VLImageProcessor``'s default pixel bounds (``size = {"shortest_edge": 4 * 28 * 28, "longest_edge":
#: 451584}``); a preprocessor_config.json may set others.
MINIMAX_M3_MIN_PIXELS, MINIMAX_M3_MAX_PIXELS = 4 * 28 * 28, 451584


def minimax_m3_image(inputs, height: int, width: int) -> ImageTokens:
    """MiniMax-M3: ``smart_resize`` to multiples of ``patch_size × spatial_merge_size`` within the processor's bounds
    (``MiniMaxM3VLImageProcessor.get_number_of_image_patches``), a token per ``spatial_merge_size²`` patches
    (``MiniMaxM3VLProcessor._get_num_multimodal_tokens``)."""
    patch, merge = inputs.patch, inputs.merge
    h, w = smart_resize(height, width, patch * merge, MINIMAX_M3_MIN_PIXELS, MINIMAX_M3_MAX_PIXELS)
    patches = (h // patch) * (w // patch)
    return ImageTokens(h, w, patches // merge**2, 1, patches, patches // merge**2)


def minimax_m3_projector_flops(inputs, each: ImageTokens) -> dict[str, int]:
    """``MiniMaxM3VLMultiModalProjector`` for one image: ``linear_1`` (the vision width to ``projector_hidden_size``)
    and ``linear_2`` (to the text width) over every patch, then ``merge_linear_1`` (``spatial_merge_size²`` text
    widths to ``projector_hidden_size``) and ``merge_linear_2`` (to the text width) over the merged tokens: 2 FLOPs a
    weight a token, as the block tree's linears (``other``)."""
    x = inputs.extra
    for key in ("d_vision", "d_hidden", "d_text"):
        if isinstance(x[key], bool) or not isinstance(x[key], int) or x[key] < 1:
            raise ValueError(f"{MINIMAX_M3_VL.extra[key]} must be a whole number >= 1 for the image rule (got {x[key]!r})")
    d, hidden, text, merge = x["d_vision"], x["d_hidden"], x["d_text"], inputs.merge
    return {"other": 2 * each.patches * (d * hidden + hidden * text) + 2 * each.merged * (merge**2 * text * hidden + hidden * text)}


MINIMAX_M3_VL = ImageRule(
    "MiniMax-M3 smart_resize, patches merged by spatial_merge_size²", resize="function", size="",
    merge="vision_config.spatial_merge_size",
    extra={"d_vision": "vision_config.hidden_size", "d_hidden": "projector_hidden_size", "d_text": "text_config.hidden_size"},
    defaults={**_vision("minimax_m3_vl_vision", "patch_size", "spatial_merge_size", "hidden_size"),
              "projector_hidden_size": DEFAULTS["minimax_m3_vl"]["projector_hidden_size"],
              "text_config.hidden_size": DEFAULTS["minimax_m3_vl_text"]["hidden_size"]},
    function=minimax_m3_image, connector_flops=minimax_m3_projector_flops,
    note=f"MiniMaxM3VLImageProcessor's default pixel bounds {MINIMAX_M3_MIN_PIXELS:,} to {MINIMAX_M3_MAX_PIXELS:,} (a "
         "preprocessor_config.json may set others; the config's image_grid_pinpoints are not read by transformers 5.25)")


def _refuse(reason: str):
    """A rule function that refuses every image with ``reason``."""

    def refuse(inputs, height: int, width: int) -> ImageTokens:
        raise ValueError(f"its images are not modelled: {reason}")

    return refuse


def unmodelled(kind: str, label: str, reason: str) -> ImageRule:
    """The rule of a vision-language type whose processor or tower registry cannot follow yet: every ``--images``
    is refused with ``reason`` (rather than the "takes no images" of a text-only model)."""
    return ImageRule(label, resize="function", defaults=_vision(kind, "image_size", "patch_size"),
                     function=_refuse(reason), note=reason)  # fmt: skip


MINICPMV4_6 = unmodelled(
    "minicpmv4_6_vision", "MiniCPM-V 4.6 slices (not modelled)",
    "MiniCPMV4_6ImageProcessor slices an image into crops of different sizes and the tower merges its patches "
    "2x2 after layer insert_layer_id (the later layers run over a quarter of them)")
OVIS2 = unmodelled(
    "ovis2_vision", "Ovis2 tiles (not modelled)",
    "Ovis2ImageProcessor's tiles depend on its preprocessor_config.json (size, crop_to_patches, the covering-area "
    "grid), which a config.json does not give, and each tile adds visual indicator tokens")
DEEPSEEK_VL_HYBRID = unmodelled(
    "siglip_vision_model", "DeepSeek-VL 7B two towers (not modelled)",
    "each image runs through two towers (SigLIP at 384 pixels, SAM at 1024 with windowed attention and convolutions), "
    "and registry times one vision tower an image")
MODERNVBERT = unmodelled(
    "siglip_vision_model", "ModernVBERT Idefics3 tiles (not modelled)",
    "Idefics3Processor's image splitting (tiles of the longest edge and a global image) is not modelled")

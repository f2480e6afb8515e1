"""More LLaVA-style vision-language model types, as composites of mapped types: llava_next_video.

Each is a :class:`registry.Composite` as in :mod:`registry.plugins.vlm_types`: its towers (the
sub-config and the model type that reads it), its projector (a layout of the ``projector`` family),
where transformers 5.25 puts each part (``modeling_<type>.py``), and how an image becomes tokens
(:mod:`registry.plugins.image_rules`).

* ``llava_next_video`` (``LlavaNextVideoForConditionalGeneration``): LLaVA-NeXT's CLIP tower,
  projector, ``image_newline`` and language model, and the ``vision_resampler`` that pools a video's
  patches (``LlavaNextVideoPooler``: average or max pooling hold no tensors, its ``conv`` mode a
  convolution of ``spatial_pool_stride`` to ``spatial_pool_out_channels``, which the pooler reads with
  ``getattr``, the vision width when absent). Images are LLaVA-NeXT's any-resolution tiles
  (``LlavaNextVideoProcessor._get_number_of_features`` is LLaVA-NeXT's).
"""

from __future__ import annotations

from registry import Composite, ConfigReader, Params, Tower, hookimpl
from registry.plugins import image_rules
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.vlm_types import PROJECTOR, TEXT_MOVES, VISION, llava_next_projector, tie


def _default(cfg: ConfigReader, key: str):
    """transformers' default of a top-level field of this config's model type (its configuration class)."""
    return DEFAULTS[cfg.data["model_type"]][key]


def llava_next_video_projector(cfg: ConfigReader, parts: dict[str, Params]) -> Params:
    """LLaVA-NeXT-Video: LLaVA-NeXT's projector and ``image_newline``, and in the ``conv`` mode of
    ``spatial_pool_mode`` the ``vision_resampler``'s convolution."""
    params = llava_next_projector(cfg, parts)
    cfg.expect("spatial_pool_mode", ("average", "max", "conv"), "LlavaNextVideoPooler's modes are average, max and conv")
    mode = cfg.raw("spatial_pool_mode", _default(cfg, "spatial_pool_mode"))
    stride = cfg.int("spatial_pool_stride", _default(cfg, "spatial_pool_stride"))
    width = parts["vision"]["d_model"][1]
    out = cfg.int("spatial_pool_out_channels", width)  # no field of the configuration: getattr's default
    if mode == "conv":
        params |= {"pool": ("spatial_pool_stride", stride), "d_pool": ("spatial_pool_out_channels", out)}
    return params


#: The token ids, sequence lengths and processing settings of LLaVA-NeXT-Video: no shapes.
_LLAVA_NEXT_VIDEO_FREE = frozenset((
    "image_token_index", "video_token_index", "image_seq_length", "video_seq_length", "projector_hidden_act",
    "vision_feature_select_strategy", "multimodal_projector_bias", "image_grid_pinpoints",
))  # fmt: skip

#: The composite model types (the module's docstring lists them).
COMPOSITES = (
    Composite("llava_next_video", "composite", ("LlavaNextVideoForConditionalGeneration",),
              (Tower("vision", config="vision_config", model_type="clip_vision_model", path=VISION),
               Tower("projector", family="projector", params=llava_next_video_projector, path=PROJECTOR,
                     moves={"image_newline": "model.image_newline", "vision_resampler": "model.vision_resampler"}),
               Tower("text", config="text_config", model_type="llama", model_types=("*",), moves=TEXT_MOVES)),
              rules=(tie(from_text=True),), shape_free=_LLAVA_NEXT_VIDEO_FREE,
              description="LLaVA-NeXT-Video: CLIP tower, projector, image_newline and video pooler, any mapped language model",
              images=image_rules.LLAVA_NEXT),
)  # fmt: skip


@hookimpl
def register_model_types(register):
    """Map the composites of this module."""
    for composite in COMPOSITES:
        register(composite)

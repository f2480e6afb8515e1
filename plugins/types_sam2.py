"""SAM 2 and SAM 2.1 (``sam2_video``) as rows of data on the ``sam2`` family (:mod:`registry.plugins.sam2`).

``Sam2VideoModel`` (``modeling_sam2_video.py`` of transformers 5.25): the top-level fields feed memory attention
and the memory encoder, ``prompt_encoder_config`` and ``mask_decoder_config`` are read field by field, and
``vision_config`` (a ``sam2_vision_model``: the FPN neck) through its own row, whose ``backbone_config`` (a
``sam2_hiera_det_model``) is read as one more nested object. A sub-config left out takes its class's defaults, as
transformers builds it; a sub-config of another model type is refused. Sizes of inputs and feature maps, windows,
global blocks, query pooling, heads, activations, dropout, RoPE and the tracking switches change no shape.
``sam2`` (Sam2Model, the image model) is not mapped: no published config of that model type was found.
"""

from __future__ import annotations

from registry import ConfigReader, Row, hookimpl, short_value
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.sam2 import Sam2Params
from registry.plugins.vision_model_types import tower_params

#: The Hiera-det backbone's fields (``vision_config.backbone_config``) and the neck's, read in ``vision_config``.
_BACKBONE = {name: f"backbone_config.{key}" for name, key in (
    ("hidden_size", "hidden_size"), ("n_channels", "num_channels"), ("patch_kernel_size", "patch_kernel_size?"),
    ("background_size", "window_positional_embedding_background_size?"), ("blocks_per_stage", "blocks_per_stage?"),
    ("embed_dim_per_stage", "embed_dim_per_stage?"), ("window_size_per_stage", "window_size_per_stage?"),
    ("mlp_ratio", "mlp_ratio"))}  # fmt: skip
#: What a ``sam2_vision_model`` sub-config reads.
VISION_ROW = Row(
    "sam2_vision_model", "sam2", ("Sam2VisionModel",),
    reads={**_BACKBONE, "backbone_channel_list": "backbone_channel_list?", "fpn_hidden_size": "fpn_hidden_size",
           "fpn_kernel_size": "fpn_kernel_size"},
    defaults={**DEFAULTS["sam2_vision_model"],
              **{f"backbone_config.{k}": v for k, v in DEFAULTS["sam2_hiera_det_model"].items()}},
    shape_free=frozenset(("backbone_feature_sizes", "fpn_stride", "fpn_padding", "fpn_top_down_levels",
                          "num_feature_levels", "hidden_act", "layer_norm_eps", "initializer_range", "backbone_config",
                          *(f"backbone_config.{k}" for k in (
                              "model_type", "hidden_act", "layer_norm_eps", "initializer_range", "image_size",
                              "patch_stride", "patch_padding", "query_stride", "num_query_pool_stages",
                              "num_attention_heads", "num_attention_heads_per_stage", "global_attention_blocks")))),
)  # fmt: skip


def _sub_type(cfg: ConfigReader, key: str, sub: dict | None, expected: str, named: bool = False) -> None:
    """Refuse a sub-config that is not an object of ``expected``'s fields (with ``named``, one that does not name
    its model_type: transformers cannot tell which configuration class to build)."""
    if sub is None:
        return
    if not isinstance(sub, dict):
        raise cfg.error(key, f"must be an object of the sub-config's fields (got {short_value(sub)})")
    if named and "model_type" not in sub:
        raise cfg.error(key, f"has no model_type: transformers cannot tell its configuration class (give {expected!r})")
    kind = sub.get("model_type", expected)
    if kind != expected:
        raise cfg.error(key, f"model_type {short_value(kind)}: only a {expected} is mapped here")


def _vision(cfg: ConfigReader, cls: str, params: dict) -> None:
    """The image encoder: ``vision_config`` read through :data:`VISION_ROW` (its Hiera-det backbone nested)."""
    vision = cfg.raw("vision_config")
    _sub_type(cfg, "vision_config", vision, "sam2_vision_model")
    backbone = (vision or {}).get("backbone_config")
    _sub_type(cfg, "vision_config.backbone_config", backbone, "sam2_hiera_det_model", named=True)
    params.update(tower_params(cfg, "vision_config", VISION_ROW, "Sam2VisionModel", Sam2Params.model_fields))


def _rope(cfg: ConfigReader, cls: str, params: dict) -> None:
    """Memory attention's RoPE: transformers builds only the axial kind (another ``rope_type``: ValueError)."""
    rope = cfg.raw("rope_parameters")
    if rope is None:
        return
    if not isinstance(rope, dict):
        raise cfg.error("rope_parameters", f"must be an object (got {short_value(rope)})")
    if rope.get("rope_type", "axial") != "axial":
        raise cfg.error("rope_parameters", f"rope_type {short_value(rope.get('rope_type'))} is not supported: "
                        "memory attention takes only the axial RoPE")  # fmt: skip


_READS = {
    "prompt_d_model": "prompt_encoder_config.hidden_size", "mask_channels": "prompt_encoder_config.mask_input_channels",
    "n_point_embeddings": "prompt_encoder_config.num_point_embeddings",
    **{name: f"mask_decoder_config.{key}" for name, key in (
        ("decoder_d_model", "hidden_size"), ("decoder_d_ff", "mlp_dim"), ("decoder_n_layers", "num_hidden_layers"),
        ("downsample_rate", "attention_downsample_rate"), ("n_multimask", "num_multimask_outputs"),
        ("iou_depth", "iou_head_depth"), ("iou_d_hidden", "iou_head_hidden_dim"))},
    "memory_d_model": "memory_attention_hidden_size", "memory_downsample_rate": "memory_attention_downsample_rate",
    "memory_d_ff": "memory_attention_feed_forward_hidden_size", "memory_n_layers": "memory_attention_num_layers",
    "encoder_d_model": "memory_encoder_hidden_size", "encoder_out_channels": "memory_encoder_output_channels",
    "downsampler_d_model": "mask_downsampler_embed_dim", "downsampler_kernel": "mask_downsampler_kernel_size",
    "downsampler_stride": "mask_downsampler_stride", "downsampler_total_stride": "mask_downsampler_total_stride",
    "fuser_d_model": "memory_fuser_embed_dim", "fuser_d_ff": "memory_fuser_intermediate_dim",
    "fuser_kernel": "memory_fuser_kernel_size", "fuser_n_layers": "memory_fuser_num_layers",
    "num_maskmem": "num_maskmem", "temporal_projection": "enable_temporal_pos_encoding_for_object_pointers",
    "occlusion_embedding": "enable_occlusion_spatial_embedding",
}  # fmt: skip
#: Fields that change no shape: input sizes, activations, dropout, RoPE, padding, tracking switches and thresholds.
_SHAPE_FREE = frozenset((
    "image_size", "initializer_range", "mask_downsampler_hidden_act", "mask_downsampler_padding",
    "max_cond_frame_num", "max_object_pointers_in_encoder", "memory_attention_dropout",
    "memory_attention_feed_forward_hidden_act", "memory_attention_num_attention_heads",
    "memory_attention_rope_dropout", "memory_attention_rope_feat_sizes", "memory_attention_rope_theta",
    "memory_fuser_hidden_act", "memory_fuser_layer_scale_init_value", "memory_fuser_padding", "multimask_max_pt_num",
    "multimask_min_pt_num", "multimask_output_for_tracking", "multimask_output_in_sam",
    "sigmoid_bias_for_mem_enc", "sigmoid_scale_for_mem_enc", "tie_word_embeddings",
    "prompt_encoder_config.hidden_act", "prompt_encoder_config.image_size", "prompt_encoder_config.layer_norm_eps",
    "prompt_encoder_config.patch_size", "prompt_encoder_config.scale", "mask_decoder_config.hidden_act",
    "mask_decoder_config.num_attention_heads", "mask_decoder_config.dynamic_multimask_stability_delta",
    "mask_decoder_config.dynamic_multimask_stability_thresh", "mask_decoder_config.dynamic_multimask_via_stability",
))  # fmt: skip

#: What SAM 3's video tracker (``sam3_tracker_video``, :mod:`registry.plugins.types_sam3`) reads as SAM 2's does.
READS, SHAPE_FREE, rope = _READS, _SHAPE_FREE, _rope

ROWS = (
    Row("sam2_video", "sam2", ("Sam2VideoModel",), reads=_READS, defaults=DEFAULTS["sam2_video"], rules=(_vision, _rope),
        fixed={"video": True}, shape_free=_SHAPE_FREE,
        description="SAM 2 / 2.1: Hiera-det image encoder, FPN neck, prompt encoder, mask decoder, memory "
                    "attention and memory encoder"),
)  # fmt: skip


@hookimpl
def register_model_types(register):
    """Map sam2_video."""
    for row in ROWS:
        register(row)

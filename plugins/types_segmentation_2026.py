"""Universal segmentation and open-vocabulary detection transformers as model types: ``oneformer`` on the ``swin``
row and the ``oneformer`` family, ``omdet-turbo`` on the ``omdet-turbo-vision``, ``clip_text_model`` and
``omdet-turbo`` rows.

* ``oneformer`` (``modeling_oneformer.py``, ``OneFormerForUniversalSegmentation``): a Swin ``backbone_config``
  read through the ``swin`` row (``SwinBackbone`` holds SwinModel under ``swin``, and a norm per output stage of
  ``out_features`` / ``out_indices``), then the pixel decoder with multi-scale deformable attention, the
  task-conditioned transformer decoder, the task MLP and, with ``is_training``, the text mapper
  (:mod:`registry.plugins.oneformer`). A DiNAT backbone (``shi-labs/oneformer_*_dinat_large``) is refused:
  transformers builds it only with the ``natten`` library, so no reference can check it. A missing
  ``backbone_config`` (transformers' default Swin) is refused too. transformers' model builds its loss, which needs
  scipy (a reference dependency of the tests).
* ``omdet-turbo`` (``modeling_omdet_turbo.py``, ``OmDetTurboForObjectDetection``): a timm Swin named by ``backbone``
  (:data:`TIMM_SWINS`; ``backbone_kwargs`` may give ``out_indices``, ``img_size``, ``always_partition`` and
  ``num_channels``, as ``TimmBackboneConfig`` takes them; without ``backbone_kwargs`` ``OmDetTurboConfig`` builds
  stages 1 to 3 at ``image_size``, always partitioned), the CLIP text model of ``text_config`` under
  ``language_backbone.model``, the hybrid encoder and the decoder (:mod:`registry.plugins.omdet_turbo`). A
  ``backbone_config``, ``use_timm_backbone: false`` or ``backbone_kwargs`` without a ``backbone`` (transformers'
  Swin backbones) are refused, as are timm models outside :data:`TIMM_SWINS`.
"""

from __future__ import annotations

import math

from registry import Composite, ConfigReader, Params, Tower, hookimpl, short_value
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.hf_common import num_labels
from registry.plugins.types_vision_dense import backbone_out_stages

#: OneFormerConfig's fields that change no shape: losses, matcher and sampling, initialisation, dropout, the norm's
#: epsilon, the contrastive temperature (its ``criterion.logit_scale`` is a scalar whatever it is), the
#: task-norm and pre-norm switches and ``enforce_input_proj`` (its projections are a plain list, no
#: tensors), and two fields old Hub configs still carry (``num_classes``, ``max_seq_len``: nothing reads them).
_ONEFORMER_FREE = frozenset((
    "ignore_value", "no_object_weight", "class_weight", "mask_weight", "dice_weight", "contrastive_weight",
    "train_num_points", "oversample_ratio", "importance_sample_ratio", "init_std", "init_xavier_std", "layer_norm_eps",
    "use_auxiliary_loss", "output_auxiliary_logits", "dropout", "norm", "use_task_norm", "pre_norm",
    "enforce_input_proj", "contrastive_temperature", "num_classes", "max_seq_len",
))  # fmt: skip
#: OneFormerConfig's ``attribute_map``: another name a config may give a field.
_ALIASES = {"hidden_dim": "hidden_size", "decoder_layers": "num_hidden_layers"}


def _aliased(cfg: ConfigReader, name: str) -> int:
    """A whole number under its name or its ``attribute_map`` alias (:meth:`registry.ConfigReader.aliased_int`)."""
    return cfg.aliased_int(name, _ALIASES[name], DEFAULTS["oneformer"][name])


def _fpn_levels(cfg: ConfigReader) -> int:
    """The pixel decoder's extra FPN levels: ``log2`` of the smallest of the last three ``strides`` over
    ``common_stride`` (``OneFormerPixelDecoder``)."""
    t = "oneformer"
    strides = cfg.int_list("strides", DEFAULTS[t]["strides"])
    if not strides:
        raise cfg.error("strides", "needs at least one stride")
    common = cfg.int("common_stride", DEFAULTS[t]["common_stride"])
    smallest = min(strides[-3:])
    if smallest < common:
        raise cfg.error("common_stride", f"{common} is above the smallest attended stride {smallest} (strides)")
    return int(math.log2(smallest) - math.log2(common))


def _oneformer(cfg: ConfigReader, towers: dict[str, Params]) -> Params:
    """OneFormer's sizes around its Swin backbone (``OneFormerConfig``)."""
    t = "oneformer"
    embed, depths = towers["backbone"]["embed_dim"][1], towers["backbone"]["depths"][1]
    widths = [embed, *(embed * 2**i for i in range(len(depths)))]
    stages = backbone_out_stages(cfg, len(depths))
    label_field, labels = num_labels(cfg)
    temperature = cfg.raw("contrastive_temperature", DEFAULTS[t]["contrastive_temperature"])
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)):  # it sets criterion.logit_scale
        raise cfg.error("contrastive_temperature", f"must be a number (got {short_value(temperature)})")

    def whole(name: str, minimum: int = 1) -> tuple[str, int]:
        return name, cfg.int(name, DEFAULTS[t][name], minimum=minimum)

    return {
        "out_stages": ("backbone_config.out_features", stages),
        "output_widths": ("backbone_config.out_features", [widths[s] for s in stages]),
        "conv_dim": whole("conv_dim"),
        "mask_dim": whole("mask_dim"),
        "hidden_dim": ("hidden_dim", _aliased(cfg, "hidden_dim")),
        "encoder_layers": whole("encoder_layers", 0),
        "encoder_ffn_dim": whole("encoder_feedforward_dim"),
        "heads": whole("num_attention_heads"),
        "decoder_layers": ("decoder_layers", _aliased(cfg, "decoder_layers")),
        "dim_feedforward": whole("dim_feedforward"),
        "query_dec_layers": whole("query_dec_layers", 0),
        "num_queries": whole("num_queries"),
        "n_labels": (label_field, labels),
        "task_seq_len": whole("task_seq_len"),
        "fpn_levels": ("strides", _fpn_levels(cfg)),
        "text_mapper": ("is_training", cfg.bool("is_training", DEFAULTS[t]["is_training"])),
        "text_width": whole("text_encoder_width"),
        "text_context": whole("text_encoder_context_length"),
        "text_layers": whole("text_encoder_num_layers", 0),
        "text_vocab": whole("text_encoder_vocab_size"),
        "text_proj_layers": whole("text_encoder_proj_layers"),
        "text_n_ctx": whole("text_encoder_n_ctx", 0),
    }


#: timm's Swin Transformer V1 models (``swin_transformer.py`` of timm 1.0: their ``model_args``): name -> (patch size,
#: window size, embed_dim, depths, num_heads).
TIMM_SWINS = {
    "swin_tiny_patch4_window7_224": (4, 7, 96, [2, 2, 6, 2], [3, 6, 12, 24]),
    "swin_small_patch4_window7_224": (4, 7, 96, [2, 2, 18, 2], [3, 6, 12, 24]),
    "swin_base_patch4_window7_224": (4, 7, 128, [2, 2, 18, 2], [4, 8, 16, 32]),
    "swin_base_patch4_window12_384": (4, 12, 128, [2, 2, 18, 2], [4, 8, 16, 32]),
    "swin_large_patch4_window7_224": (4, 7, 192, [2, 2, 18, 2], [6, 12, 24, 48]),
    "swin_large_patch4_window12_384": (4, 12, 192, [2, 2, 18, 2], [6, 12, 24, 48]),
}
#: OmDetTurboConfig's fields that change no shape: activations, dropouts, epsilons, initialisation, the position
#: encoding, the class distance, the caches, the custom kernels, the evaluation size; the backbone fields read by
#: :func:`_omdet_vision`, and those transformers' timm route ignores (``backbone_depths``, ... of old configs).
_OMDET_FREE = frozenset((
    "apply_layernorm_after_vision_backbone", "batch_norm_eps", "cache_size", "class_distance_type",
    "conv_norm_activation", "csp_activation", "decoder_activation", "decoder_dropout", "disable_custom_kernels",
    "encoder_dropout", "encoder_feedforward_activation", "encoder_feedforward_dropout", "eval_size", "init_std",
    "layer_norm_eps", "positional_encoding_temperature", "is_encoder_decoder", "backbone", "backbone_kwargs",
    "use_timm_backbone", "use_pretrained_backbone", "image_size", "backbone_depths", "backbone_embed_dim",
    "backbone_image_size", "backbone_num_heads", "backbone_out_indices", "backbone_window_size",
))  # fmt: skip


def _omdet_sizes(cfg: ConfigReader) -> tuple[str, dict]:
    """The timm model's name and ``TimmBackboneConfig``'s keyword arguments (``OmDetTurboConfig.__post_init__``,
    ``consolidate_backbone_kwargs_to_config``)."""
    if cfg.raw("backbone_config") is not None:
        raise cfg.error("backbone_config", "is not supported for omdet-turbo: registry maps its timm Swin backbones "
                                           "(backbone, use_timm_backbone)")  # fmt: skip
    if not cfg.bool("use_timm_backbone", True):
        raise cfg.error("use_timm_backbone", "is false: transformers then builds its default Swin backbone, which "
                                             "registry does not map for omdet-turbo")  # fmt: skip
    kwargs = cfg.raw("backbone_kwargs") or {}
    if not isinstance(kwargs, dict) or set(kwargs) - {"out_indices", "img_size", "always_partition", "num_channels"}:
        raise cfg.error("backbone_kwargs", f"{short_value(kwargs)} is not supported: registry maps out_indices, "
                                           "img_size, always_partition and num_channels")  # fmt: skip
    if kwargs and cfg.raw("backbone") is None:
        raise cfg.error("backbone_kwargs", "without a backbone: transformers then builds its default Swin backbone, "
                                           "which registry does not map for omdet-turbo")  # fmt: skip
    name = cfg.raw("backbone") or "swin_tiny_patch4_window7_224"
    if name not in TIMM_SWINS:
        raise cfg.error("backbone", f"{short_value(name)} is not a timm backbone registry maps for omdet-turbo "
                                    f"(one of {', '.join(TIMM_SWINS)})")  # fmt: skip
    if not kwargs:
        kwargs = {"out_indices": [1, 2, 3], "img_size": cfg.raw("image_size", DEFAULTS["omdet-turbo"]["image_size"]),
                  "always_partition": True}
    return name, kwargs


def _omdet_vision(cfg: ConfigReader, towers: dict[str, Params]) -> Params:
    """OmDet-Turbo's timm Swin and its output norms."""
    name, kwargs = _omdet_sizes(cfg)
    patch, window, embed, depths, heads = TIMM_SWINS[name]
    where = "backbone_kwargs" if cfg.raw("backbone_kwargs") else "image_size"
    size = kwargs.get("img_size", 224)  # SwinTransformer's default
    sides = [size, size] if isinstance(size, int) and not isinstance(size, bool) else size
    if not isinstance(sides, list) or len(sides) != 2 or any(
            isinstance(s, bool) or not isinstance(s, int) or s < patch for s in sides):
        raise cfg.error(where, f"img_size {short_value(size)} must be a side or [height, width] of at least "
                               f"{patch} pixels")  # fmt: skip
    indices = kwargs.get("out_indices", [-1])  # TimmBackbone's default: the last stage
    indices = [-1] if indices is None else indices
    if not isinstance(indices, list) or not indices or any(isinstance(i, bool) or not isinstance(i, int) or not -4 <= i < 4
                                            for i in indices):  # fmt: skip
        raise cfg.error("backbone_kwargs", f"out_indices {short_value(indices)} must be stages of the Swin (0 to 3)")
    partition = kwargs.get("always_partition", False)
    channels = kwargs.get("num_channels", 3)
    if not isinstance(partition, bool) or isinstance(channels, bool) or not isinstance(channels, int) or channels < 1:
        raise cfg.error("backbone_kwargs", "always_partition must be true or false, num_channels a whole number >= 1")
    return {
        "embed_dim": ("backbone", embed), "depths": ("backbone", depths), "num_heads": ("backbone", heads),
        "window_size": ("backbone", window), "patch_size": ("backbone", patch), "image_size": (where, sides),
        "always_partition": (where, partition), "n_channels": ("backbone_kwargs", channels),
        "last_stage": ("backbone_kwargs", max(i % len(depths) for i in indices)),
        "norms": ("encoder_in_channels", cfg.int_list("encoder_in_channels", DEFAULTS["omdet-turbo"]["encoder_in_channels"])),
    }


def _omdet_alias(cfg: ConfigReader, name: str, alias: str) -> int:
    """``attribute_map``: ``alias`` is stored as ``name`` (:meth:`registry.ConfigReader.aliased_int`)."""
    defaults = DEFAULTS["omdet-turbo"]
    return cfg.aliased_int(name, alias, defaults.get(name, defaults.get(alias)))


def _omdet(cfg: ConfigReader, towers: dict[str, Params]) -> Params:
    """OmDet-Turbo's text projection, hybrid encoder and decoder (``OmDetTurboConfig``)."""
    t = "omdet-turbo"

    def whole(name: str, minimum: int = 1) -> tuple[str, int]:
        return name, cfg.int(name, DEFAULTS[t][name], minimum=minimum)

    def widths(name: str) -> tuple[str, list[int]]:
        values = cfg.int_list(name, DEFAULTS[t][name])
        if not values:
            raise cfg.error(name, "needs at least one width")
        return name, values

    d_model = _omdet_alias(cfg, "d_model", "encoder_hidden_dim")
    return {
        "text_in": whole("text_projection_in_dim"), "text_out": whole("text_projection_out_dim"),
        "in_channels": widths("encoder_in_channels"), "d_model": ("d_model", d_model),
        "attention_blocks": ("encoder_projection_indices", len(cfg.int_list("encoder_projection_indices",
                                                                            DEFAULTS[t]["encoder_projection_indices"]))),
        "encoder_layers": whole("encoder_layers", 0),
        "encoder_heads": ("encoder_attention_heads", _omdet_alias(cfg, "encoder_attention_heads", "num_attention_heads")),
        "encoder_ffn_dim": whole("encoder_dim_feedforward"),
        "csp_hidden": ("hidden_expansion", d_model * cfg.int("hidden_expansion", DEFAULTS[t]["hidden_expansion"])),
        "vision_features": widths("vision_features_channels"), "class_embed_dim": whole("class_embed_dim"),
        "task_hidden": whole("task_encoder_hidden_dim"), "decoder_width": whole("decoder_hidden_dim"),
        "decoder_heads": whole("decoder_num_heads"), "decoder_layers": whole("decoder_num_layers", 0),
        "decoder_ffn_dim": whole("decoder_dim_feedforward"), "decoder_points": whole("decoder_num_points"),
        "levels": whole("num_feature_levels"), "num_queries": whole("num_queries"),
        "learn_initial_query": ("learn_initial_query", cfg.bool("learn_initial_query", DEFAULTS[t]["learn_initial_query"])),
    }


#: The segmentation and detection composites (the module's docstring lists them).
COMPOSITES = (
    Composite("oneformer", "composite", ("OneFormerForUniversalSegmentation",), (
        Tower("backbone", config="backbone_config", model_type="swin", path="model.pixel_level_module.encoder.swin",
              builds="base"),
        Tower("heads", family="oneformer", params=_oneformer),
    ), shape_free=_ONEFORMER_FREE,
        description="OneFormer: a Swin backbone, a deformable pixel decoder, a task-conditioned transformer decoder"),
    Composite("omdet-turbo", "composite", ("OmDetTurboForObjectDetection",), (
        Tower("vision", family="omdet-turbo-vision", params=_omdet_vision),
        Tower("text", config="text_config", model_type="clip_text_model", path="language_backbone.model", builds="base"),
        Tower("detector", family="omdet-turbo", params=_omdet),
    ), shape_free=_OMDET_FREE,
        description="OmDet-Turbo: a timm Swin, a CLIP text model, a hybrid encoder, a task-conditioned deformable decoder"),
)


@hookimpl
def register_model_types(register):
    """Map the segmentation transformers of this module."""
    for composite in COMPOSITES:
        register(composite)

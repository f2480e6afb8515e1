"""LW-DETR and RF-DETR as model types, on the ``lw_detr`` family (:mod:`registry.plugins.lw_detr`).

* ``lw_detr`` (``modeling_lw_detr.py``, ``LwDetrForObjectDetection``, ``LwDetrModel``): an ``lw_detr_vit``
  ``backbone_config`` (a plain ViT with windowed and global attention; the windows change no shape), a projector
  of one C2F block per ``projector_scale_factors`` entry, a deformable decoder with ``group_detr`` query groups.
  ``LwDetrConfig.__post_init__`` sets ``num_feature_levels`` to the number of scales; a config that gives it
  anyway overrides that (transformers sets the given value afterwards), so it is read, the scales' count its
  default. ``projector_in_channels`` and ``projector_out_channels`` are derived and read by no layer.
* ``rf_detr`` (``modeling_rf_detr.py``, ``RfDetrForObjectDetection``, ``RfDetrForInstanceSegmentation``,
  ``RfDetrModel``): an ``rf_detr_dinov2`` ``backbone_config`` (DINOv2 with windowed attention, read as the
  ``vision`` family's ``dinov2`` layout), one C2F projector over the backbone's outputs side by side, LW-DETR's
  decoder; the instance segmentation head of ``RfDetrForInstanceSegmentation``. The published configs'
  ``projector_scale_factors`` is not a field of ``RfDetrConfig`` (kept as an attribute, read by no layer).

The backbone's outputs come from its ``out_indices``, else ``out_features``, else its last stage
(``BackboneConfigMixin``); only their number changes a shape. A missing ``backbone_config`` is refused (registry
does not guess transformers' default backbone), as are non-square image and patch sizes.
"""

from __future__ import annotations

import math

from registry import ConfigReader, Params, Row, SubConfig, hookimpl, short_value
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.hf_common import num_labels

#: Fields of LwDetrConfig and RfDetrConfig that change no shape: losses, matcher costs, dropouts, activations,
#: epsilons, initialisation, kernels; LW-DETR's derived projector widths; RF-DETR's segmentation loss settings.
_SHAPE_FREE = frozenset((
    "activation_dropout", "activation_function", "attention_dropout", "auxiliary_loss", "batch_norm_eps", "bbox_cost",
    "bbox_loss_coefficient", "class_cost", "class_loss_coefficient", "decoder_activation_function",
    "dice_loss_coefficient", "disable_custom_kernels", "dropout", "eos_coefficient", "focal_alpha", "giou_cost",
    "giou_loss_coefficient", "init_std", "projector_in_channels", "projector_out_channels", "layer_norm_eps",
    "mask_loss_coefficient", "mask_point_sample_ratio", "mask_downsample_ratio", "mask_class_loss_coefficient",
    "mask_dice_loss_coefficient", "segmentation_head_activation_function", "use_timm_backbone", "backbone",
    "backbone_kwargs", "use_pretrained_backbone",
))


def _outputs(sub: SubConfig, layers: int) -> int:
    """How many feature maps the backbone returns (``out_indices``, else ``out_features``, else its last stage),
    refused where ``BackboneConfigMixin`` refuses them."""
    stages = ["stem", *(f"stage{i}" for i in range(1, layers + 1))]
    indices, features = sub.raw("out_indices"), sub.raw("out_features")
    sub.raw("stage_names")  # transformers derives the stage names from num_hidden_layers
    if features is not None and (not isinstance(features, list) or not features or any(f not in stages for f in features)
                                 or features != [s for s in stages if s in features]):  # fmt: skip
        raise sub.error("out_features", f"{short_value(features)} must list stages of the backbone in order "
                                        f"(stem, stage1 ... stage{layers}), each once")  # fmt: skip
    if indices is None:
        return len(features) if features else 1
    if not isinstance(indices, list) or not indices or any(
            isinstance(i, bool) or not isinstance(i, int) or not -len(stages) <= i < len(stages) for i in indices):
        raise sub.error("out_indices", f"{short_value(indices)} is not a list of the backbone's stages (0 to {layers})")
    positive = [i % len(stages) for i in indices]
    if positive != sorted(set(positive)):
        raise sub.error("out_indices", f"{short_value(indices)} must name each stage once, in order")
    if features is not None and features != [stages[i] for i in positive]:
        raise sub.error("out_features", f"{short_value(features)} and out_indices {short_value(indices)} name "
                                        "different stages")  # fmt: skip
    return len(indices)


def _backbone(cfg: ConfigReader, model_type: str) -> Params:
    """The backbone_config's hyper-parameters (``lw_detr_vit`` or ``rf_detr_dinov2``)."""
    t = {"lw_detr": "lw_detr_vit", "rf_detr": "rf_detr_dinov2"}[model_type]
    b, sub = DEFAULTS[t], SubConfig(cfg, "backbone_config")
    sub.expect("model_type", (t,), f"{model_type}'s backbone is {t}")
    d, heads = sub.int("hidden_size", b["hidden_size"]), sub.int("num_attention_heads", b["num_attention_heads"])
    if d % heads:
        raise sub.error("num_attention_heads", f"{heads} heads do not divide hidden_size {d}")
    layers = sub.int("num_hidden_layers", b["num_hidden_layers"])
    ratio = sub.int("mlp_ratio", b["mlp_ratio"])  # a whole number, as both configuration classes type it
    patch = sub.int("patch_size", b["patch_size"])
    image_field = "pretrain_image_size" if t == "lw_detr_vit" else "image_size"
    image = sub.int(image_field, b[image_field])
    out: Params = {
        "vit_d_model": ("backbone_config.hidden_size", d),
        "vit_layers": ("backbone_config.num_hidden_layers", layers),
        "vit_heads": ("backbone_config.num_attention_heads", heads),
        "n_channels": ("backbone_config.num_channels", sub.int("num_channels", b["num_channels"])),
        "patch_size": ("backbone_config.patch_size", patch),
        "image_size": (f"backbone_config.{image_field}", image),
        "qkv_bias": ("backbone_config.qkv_bias", sub.bool("qkv_bias", b["qkv_bias"])),
        "backbone_outputs": ("backbone_config.out_indices", _outputs(sub, layers)),
    }
    if t == "lw_detr_vit":
        windows, size = sub.int("num_windows", b["num_windows"]), sub.int("image_size", b["image_size"])
        side = math.isqrt(windows)
        if side * side != windows:  # LwDetrViTConfig.validate_architecture
            raise sub.error("num_windows", f"{windows} is not a perfect square (LwDetrViTConfig refuses it)")
        if size / windows % side:
            raise sub.error("image_size", f"{size} / num_windows {windows} is not a multiple of {side} "
                                          "(LwDetrViTConfig refuses it)")  # fmt: skip
        out["vit_d_ff"] = ("backbone_config.mlp_ratio", d * ratio)
        out["position_embeddings"] = ("backbone_config.use_absolute_position_embeddings",
                                      sub.bool("use_absolute_position_embeddings", b["use_absolute_position_embeddings"]))
    else:
        swiglu = sub.bool("use_swiglu_ffn", b["use_swiglu_ffn"])
        width = d * ratio
        out["vit_d_ff"] = ("backbone_config.mlp_ratio", (int(width * 2 / 3) + 7) // 8 * 8 if swiglu else width)
        out["swiglu"] = ("backbone_config.use_swiglu_ffn", swiglu)
        out["mask_token"] = ("backbone_config.use_mask_token", sub.bool("use_mask_token", b["use_mask_token"]))
    return out


#: The fields both configuration classes share, read the same way.
_READS = {
    "d_model": "d_model", "c2f_blocks": "c2f_num_blocks", "decoder_layers": "decoder_layers",
    "decoder_ffn_dim": "decoder_ffn_dim", "self_heads": "decoder_self_attention_heads",
    "cross_heads": "decoder_cross_attention_heads", "decoder_points": "decoder_n_points",
    "attention_bias": "attention_bias", "num_queries": "num_queries", "group_detr": "group_detr",
}


def _detector(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule: the backbone_config, the C2F width (``d_model × hidden_expansion``), LW-DETR's scales and levels, the
    labels, and the head the class has (the detector, RF-DETR's instance segmentation, the bare model)."""
    t = params["variant"][1]
    d = params["d_model"][1]
    expansion = cfg.raw("hidden_expansion", DEFAULTS[t]["hidden_expansion"])
    if isinstance(expansion, bool) or not isinstance(expansion, (int, float)) or int(d * expansion) < 1:
        raise cfg.error("hidden_expansion", f"must make d_model × hidden_expansion at least 1 (got "
                                            f"{short_value(expansion)})")  # fmt: skip
    params["c2f_hidden"] = ("hidden_expansion", int(d * expansion))
    params.update(_backbone(cfg, t))
    if t == "lw_detr":
        scales = cfg.raw("projector_scale_factors", DEFAULTS[t]["projector_scale_factors"])
        if not isinstance(scales, list) or not scales or any(isinstance(s, bool) or s not in (0.5, 1.0, 2.0) for s in scales):
            raise cfg.error("projector_scale_factors", f"must list scales of 0.5, 1.0 or 2.0 (got {short_value(scales)})")
        params["scales"] = ("projector_scale_factors", [float(s) for s in scales])
        params["num_feature_levels"] = ("num_feature_levels", cfg.int("num_feature_levels", len(scales)))
    params["n_labels"] = num_labels(cfg)
    head = "segmentation" if cls.endswith("InstanceSegmentation") else "none" if cls.endswith("Model") else "detection"
    params["head"] = ("architectures", head)


#: The LW-DETR family's model types (the module's docstring lists them).
ROWS = (
    Row("lw_detr", "lw_detr", ("LwDetrForObjectDetection", "LwDetrModel"), reads=_READS, defaults=DEFAULTS["lw_detr"],
        fixed={"variant": "lw_detr"}, rules=(_detector,), shape_free=_SHAPE_FREE,
        description="LW-DETR: a windowed ViT, a multi-scale C2F projector, a deformable decoder with Group DETR queries"),
    Row("rf_detr", "lw_detr", ("RfDetrForObjectDetection", "RfDetrForInstanceSegmentation", "RfDetrModel"),
        reads={**_READS, "num_feature_levels": "num_feature_levels", "seg_d_ff": "intermediate_size"},
        defaults=DEFAULTS["rf_detr"], fixed={"variant": "rf_detr"}, rules=(_detector,),
        shape_free=_SHAPE_FREE | {"projector_scale_factors"},
        description="RF-DETR: a windowed DINOv2, a C2F projector, LW-DETR's decoder, an instance segmentation head"),
)  # fmt: skip


@hookimpl
def register_model_types(register):
    """Map LW-DETR and RF-DETR."""
    for row in ROWS:
        register(row)

"""Object detection transformers as composite model types: table-transformer on the ``detr`` family,
deformable_detr on the ``deformable_detr`` family, rt_detr_v2 on the ``rt_detr`` family.

* ``table-transformer`` (``modeling_table_transformer.py``): a backbone, a
  post-norm encoder-decoder transformer over its last feature map, a classifier and a box MLP
  (:mod:`registry.plugins.detr`). The backbone is a part of its own when the config gives a ``backbone_config``
  (a transformers ResNet, its batch norms frozen into buffers: the ``resnet`` family with ``frozen_norms``), or
  a timm ResNet the detector builds (``use_timm_backbone``, ``backbone: "resnet50"``: the published Table
  Transformer detection config). ``detr`` itself (``modeling_detr.py``, the family's ``variant = "detr"``,
  checked in tests/test_detr_family.py) waits for a published config.json: ``_composite("detr", "Detr",
  "model.backbone.model")`` maps it. Another backbone model type, a timm model other than timm's plain
  ResNets, or ``backbone_kwargs`` are refused.
* ``deformable_detr`` (``modeling_deformable_detr.py``): the same backbones, their last three feature maps (one
  with ``num_feature_levels = 1``) projected to ``d_model``, multi-scale deformable attention, a class layer and a
  box MLP per decoder layer (shared when ``tie_word_embeddings``; the decoder's own with ``with_box_refine`` and
  ``two_stage``) (:mod:`registry.plugins.deformable_detr`).
* ``rt_detr_v2`` (``modeling_rt_detr_v2.py``): an RTDetrResNet backbone (``backbone_config`` of model_type
  ``rt_detr_resnet``, read here), a hybrid encoder, a deformable decoder (:mod:`registry.plugins.rt_detr`).
"""

from __future__ import annotations

from registry import Composite, ConfigReader, Params, Tower, hookimpl, short_value
from registry.plugins.detr import TIMM_RESNETS
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.hf_common import num_labels

#: DetrConfig's (and TableTransformerConfig's) fields that change no shape: dropouts, initialisation, losses and
#: matcher costs, the encoder-decoder flag; ``dilation`` (DC5: a stride made a dilation); ``use_pretrained_backbone``;
#: and fields of older configs that the class no longer has (``max_position_embeddings``, ``scale_embedding``,
#: ``ce_loss_coefficient``: kept as attributes, read by no layer).
_SHAPE_FREE = frozenset((
    "encoder_layerdrop", "decoder_layerdrop", "is_encoder_decoder", "activation_function", "dropout",
    "attention_dropout", "activation_dropout", "init_std", "init_xavier_std", "auxiliary_loss", "dilation",
    "class_cost", "bbox_cost", "giou_cost", "mask_loss_coefficient", "dice_loss_coefficient", "bbox_loss_coefficient",
    "giou_loss_coefficient", "eos_coefficient", "use_pretrained_backbone", "max_position_embeddings",
    "scale_embedding", "ce_loss_coefficient",
))
#: DetrConfig's ``attribute_map``: another name a config may give a field.
_ALIASES = {"d_model": "hidden_size", "encoder_layers": "num_hidden_layers",
            "encoder_attention_heads": "num_attention_heads"}


def _int(cfg: ConfigReader, name: str, model_type: str) -> int:
    """A whole number under its name or its ``attribute_map`` alias (:meth:`registry.ConfigReader.aliased_int`)."""
    return cfg.aliased_int(name, _ALIASES[name], DEFAULTS[model_type][name])


def _timm_backbone(cfg: ConfigReader) -> str:
    """The timm ResNet a config without ``backbone_config`` names (``DetrConfig.__post_init__``: ``backbone``,
    default ``resnet50``), refused when transformers would build something else."""
    if not cfg.bool("use_timm_backbone", True):
        raise cfg.error("use_timm_backbone", "is false without a backbone_config: give the backbone_config "
                                             "(registry does not guess transformers' default ResNet)")  # fmt: skip
    if cfg.raw("backbone_kwargs"):
        raise cfg.error("backbone_kwargs", "is not supported: registry maps timm backbones with their defaults")
    name = cfg.raw("backbone") or "resnet50"
    if name not in TIMM_RESNETS:
        raise cfg.error("backbone", f"{short_value(name)} is not a timm backbone registry maps "
                                    f"(one of {', '.join(TIMM_RESNETS)})")  # fmt: skip
    return name


def _resnet_widths(cfg: ConfigReader, model_type: str) -> tuple[list[int], dict[str, int]]:
    """A transformers ResNet ``backbone_config``'s stage widths (stem first) and its stage names' indices."""
    sub = cfg.raw("backbone_config")
    widths = [sub.get("embedding_size", DEFAULTS[model_type]["embedding_size"]),
              *sub.get("hidden_sizes", DEFAULTS[model_type]["hidden_sizes"])]  # fmt: skip
    names = sub.get("stage_names") or ["stem", *(f"stage{i}" for i in range(1, len(widths)))]
    return widths, {name: i for i, name in enumerate(names)}


def _feature_maps(cfg: ConfigReader, default_last: bool = True) -> list[int]:
    """The widths of the feature maps a transformers ResNet backbone returns (``out_indices``, else
    ``out_features``, else its last stage: ``BackboneConfigMixin``); their stage indices when not
    ``default_last`` (RT-DETR's backbone, whose default is its last three stages)."""
    widths, index = _resnet_widths(cfg, "resnet" if default_last else "rt_detr_resnet")
    sub = cfg.raw("backbone_config")
    indices = sub.get("out_indices")
    if indices is None and sub.get("out_features") is not None:
        features = sub["out_features"]
        if not isinstance(features, list) or any(f not in index for f in features):
            raise cfg.error("backbone_config.out_features", f"{short_value(features)} names a stage the backbone "
                                                            "does not have")  # fmt: skip
        indices = [index[f] for f in features]
    if indices is None:
        indices = [len(widths) - 1] if default_last else [i for i in (2, 3, 4) if i < len(widths)]
    if not isinstance(indices, list) or not indices or any(
            isinstance(i, bool) or not isinstance(i, int) or not -len(widths) <= i < len(widths) for i in indices):
        raise cfg.error("backbone_config.out_indices", f"{short_value(indices)} is not a list of the backbone's "
                                                       f"stages (0 to {len(widths) - 1})")  # fmt: skip
    indices = [i % len(widths) for i in indices]
    return [widths[i] for i in indices] if default_last else indices


def _timm_widths(name: str, indices: list[int]) -> list[int]:
    """The widths of a timm ResNet's feature maps at ``indices`` (0 the stem)."""
    layer, _ = TIMM_RESNETS[name]
    widths = [64, *(w * (4 if layer == "bottleneck" else 1) for w in (64, 128, 256, 512))]
    return [widths[i] for i in indices]


def _detector(model_type: str):
    """The connector's hyper-parameters: the transformer, the heads, and the backbone's last width."""

    def params(cfg: ConfigReader, towers: dict[str, Params]) -> Params:
        position = cfg.raw("position_embedding_type", DEFAULTS[model_type]["position_embedding_type"])
        if position not in ("sine", "learned"):
            raise cfg.error("position_embedding_type", f"must be sine or learned (got {short_value(position)})")
        label_field, labels = num_labels(cfg)
        out: Params = {
            "variant": ("model_type", "detr" if model_type == "detr" else "table_transformer"),
            "d_model": ("d_model", _int(cfg, "d_model", model_type)),
            "encoder_layers": ("encoder_layers", _int(cfg, "encoder_layers", model_type)),
            "decoder_layers": ("decoder_layers", cfg.int("decoder_layers", DEFAULTS[model_type]["decoder_layers"], minimum=0)),
            "encoder_ffn_dim": ("encoder_ffn_dim", cfg.int("encoder_ffn_dim", DEFAULTS[model_type]["encoder_ffn_dim"])),
            "decoder_ffn_dim": ("decoder_ffn_dim", cfg.int("decoder_ffn_dim", DEFAULTS[model_type]["decoder_ffn_dim"])),
            "encoder_heads": ("encoder_attention_heads", _int(cfg, "encoder_attention_heads", model_type)),
            "decoder_heads": ("decoder_attention_heads",
                              cfg.int("decoder_attention_heads", DEFAULTS[model_type]["decoder_attention_heads"])),
            "num_queries": ("num_queries", cfg.int("num_queries", DEFAULTS[model_type]["num_queries"])),
            "n_labels": (label_field, labels),
            "learned_positions": ("position_embedding_type", position == "learned"),
        }
        if "backbone" in towers:
            for name in ("use_timm_backbone", "backbone", "backbone_kwargs"):
                cfg.raw(name)  # with a backbone_config transformers builds it and reads none of these
            out["backbone_channels"] = ("backbone_config.hidden_sizes", towers["backbone"]["hidden_sizes"][1][-1])
        else:
            name = _timm_backbone(cfg)
            layer, _ = TIMM_RESNETS[name]
            out["timm_backbone"] = ("backbone", name)
            out["backbone_channels"] = ("backbone", 2048 if layer == "bottleneck" else 512)
            out["n_channels"] = ("num_channels", cfg.int("num_channels", DEFAULTS[model_type]["num_channels"]))
        return out

    return params


def _deformable(cfg: ConfigReader, towers: dict[str, Params]) -> Params:
    """The deformable detector's hyper-parameters (``DeformableDetrConfig``)."""
    t = "deformable_detr"
    position = cfg.raw("position_embedding_type", DEFAULTS[t]["position_embedding_type"])
    if position not in ("sine", "learned"):
        raise cfg.error("position_embedding_type", f"must be sine or learned (got {short_value(position)})")
    levels = cfg.int("num_feature_levels", DEFAULTS[t]["num_feature_levels"])
    two_stage, refine = cfg.bool("two_stage", DEFAULTS[t]["two_stage"]), cfg.bool("with_box_refine", DEFAULTS[t]["with_box_refine"])
    if two_stage and not refine:
        raise cfg.error("two_stage", "is true without with_box_refine (DeformableDetrConfig refuses it)")
    label_field, labels = num_labels(cfg)
    tied = cfg.bool("tie_word_embeddings", DEFAULTS[t]["tie_word_embeddings"])
    decoder_layers = cfg.int("decoder_layers", DEFAULTS[t]["decoder_layers"])
    if tied and decoder_layers == 1 and not two_stage:  # _tied_weights_keys then find no copy to tie
        raise cfg.error("decoder_layers", "of 1 with tie_word_embeddings leaves the heads no copy to tie "
                                          "(transformers refuses it)")  # fmt: skip
    out: Params = {
        "d_model": ("d_model", _int(cfg, "d_model", t)),
        "encoder_layers": ("encoder_layers", _int(cfg, "encoder_layers", t)),
        "decoder_layers": ("decoder_layers", decoder_layers),
        "encoder_ffn_dim": ("encoder_ffn_dim", cfg.int("encoder_ffn_dim", DEFAULTS[t]["encoder_ffn_dim"])),
        "decoder_ffn_dim": ("decoder_ffn_dim", cfg.int("decoder_ffn_dim", DEFAULTS[t]["decoder_ffn_dim"])),
        "encoder_heads": ("encoder_attention_heads", _int(cfg, "encoder_attention_heads", t)),
        "decoder_heads": ("decoder_attention_heads", cfg.int("decoder_attention_heads", DEFAULTS[t]["decoder_attention_heads"])),
        "encoder_points": ("encoder_n_points", cfg.int("encoder_n_points", DEFAULTS[t]["encoder_n_points"])),
        "decoder_points": ("decoder_n_points", cfg.int("decoder_n_points", DEFAULTS[t]["decoder_n_points"])),
        "num_feature_levels": ("num_feature_levels", levels),
        "num_queries": ("num_queries", cfg.int("num_queries", DEFAULTS[t]["num_queries"])),
        "n_labels": (label_field, labels),
        "two_stage": ("two_stage", two_stage),
        "with_box_refine": ("with_box_refine", refine),
        "tied_heads": ("tie_word_embeddings", tied),
        "learned_positions": ("position_embedding_type", position == "learned"),
    }
    if "backbone" in towers:
        for name in ("use_timm_backbone", "backbone", "backbone_kwargs"):
            cfg.raw(name)
        out["backbone_channels"] = ("backbone_config.out_indices", _feature_maps(cfg))
    else:
        name = _timm_backbone(cfg)
        out["timm_backbone"] = ("backbone", name)
        out["backbone_channels"] = ("num_feature_levels", _timm_widths(name, [2, 3, 4] if levels > 1 else [4]))
    return out


#: RTDetrV2Config's fields that change no shape: losses, matcher and denoising settings, activations, norms
#: epsilons, initialisation, strides and sizes of the anchors and position encodings, the decoder's sampling method.
RT_DETR_SHAPE_FREE = frozenset((
    "initializer_range", "initializer_bias_prior_prob", "layer_norm_eps", "batch_norm_eps", "feat_strides", "dropout",
    "activation_dropout", "attention_dropout", "positional_encoding_temperature", "encoder_activation_function",
    "activation_function", "decoder_activation_function", "eval_size", "normalize_before", "label_noise_ratio",
    "box_noise_scale", "anchor_image_size", "with_box_refine", "is_encoder_decoder", "matcher_alpha",
    "matcher_gamma", "matcher_class_cost", "matcher_bbox_cost", "matcher_giou_cost", "use_focal_loss",
    "auxiliary_loss", "focal_loss_alpha", "focal_loss_gamma", "weight_loss_vfl", "weight_loss_bbox",
    "weight_loss_giou", "eos_coefficient", "decoder_offset_scale", "decoder_method", "use_pretrained_backbone",
))


def _rt_detr(cfg: ConfigReader, towers: dict[str, Params]) -> Params:
    """RT-DETR v2's hyper-parameters, its RTDetrResNet ``backbone_config`` included."""
    t, b = "rt_detr_v2", DEFAULTS["rt_detr_resnet"]
    sub = cfg.raw("backbone_config")
    if not isinstance(sub, dict):
        raise cfg.error("backbone_config", "missing: give the RTDetrResNet backbone_config (registry does not "
                                           "guess transformers' default backbone)")  # fmt: skip
    if sub.get("model_type") != "rt_detr_resnet":
        raise cfg.error("backbone_config.model_type", f"{short_value(sub.get('model_type'))} is not supported here; "
                                                      "supported: rt_detr_resnet")  # fmt: skip
    for name in ("use_timm_backbone", "backbone", "backbone_kwargs"):
        cfg.raw(name)
    backbone = ConfigReader(sub, cfg.path, cfg.lines)
    layer = backbone.raw("layer_type", b["layer_type"])
    if layer not in ("basic", "bottleneck"):
        raise cfg.error("backbone_config.layer_type", f"must be basic or bottleneck (got {short_value(layer)})")
    hidden = backbone.int_list("hidden_sizes", b["hidden_sizes"])
    maps = _feature_maps(cfg, default_last=False)
    expansion = cfg.raw("hidden_expansion", DEFAULTS[t]["hidden_expansion"])
    width = cfg.int("encoder_hidden_dim", DEFAULTS[t]["encoder_hidden_dim"])
    if isinstance(expansion, bool) or not isinstance(expansion, (int, float)) or int(width * expansion) < 1:
        raise cfg.error("hidden_expansion", f"must make encoder_hidden_dim × hidden_expansion at least 1 (got "
                                            f"{short_value(expansion)})")  # fmt: skip
    tied = cfg.bool("tie_word_embeddings", DEFAULTS[t]["tie_word_embeddings"])
    layers = cfg.int("decoder_layers", DEFAULTS[t]["decoder_layers"])
    if tied and layers == 1:
        raise cfg.error("decoder_layers", "of 1 with tie_word_embeddings leaves the heads no copy to tie "
                                          "(transformers refuses it)")  # fmt: skip
    label_field, labels = num_labels(cfg)
    lists = {}
    for name in ("encoder_in_channels", "encode_proj_layers", "decoder_in_channels"):
        lists[name] = cfg.int_list(name, list(DEFAULTS[t][name]))
    if not lists["decoder_in_channels"] or not lists["encoder_in_channels"]:
        raise cfg.error("decoder_in_channels", "needs at least one level")
    return {
        "n_channels": ("backbone_config.num_channels", backbone.int("num_channels", b["num_channels"])),
        "embedding_size": ("backbone_config.embedding_size", backbone.int("embedding_size", b["embedding_size"])),
        "hidden_sizes": ("backbone_config.hidden_sizes", hidden),
        "depths": ("backbone_config.depths", backbone.int_list("depths", b["depths"])),
        "layer_type": ("backbone_config.layer_type", layer),
        "downsample_in_first_stage": ("backbone_config.downsample_in_first_stage",
                                      backbone.bool("downsample_in_first_stage", b["downsample_in_first_stage"])),
        "frozen_backbone_norms": ("freeze_backbone_batch_norms",
                                  cfg.bool("freeze_backbone_batch_norms", DEFAULTS[t]["freeze_backbone_batch_norms"])),
        "backbone_out": ("backbone_config.out_indices", maps),
        "encoder_hidden_dim": ("encoder_hidden_dim", width),
        "encoder_levels": ("encoder_in_channels", len(lists["encoder_in_channels"])),
        "aifi": ("encode_proj_layers", len(lists["encode_proj_layers"])),
        "encoder_layers": ("encoder_layers", cfg.int("encoder_layers", DEFAULTS[t]["encoder_layers"], minimum=0)),
        "encoder_ffn_dim": ("encoder_ffn_dim", cfg.int("encoder_ffn_dim", DEFAULTS[t]["encoder_ffn_dim"])),
        "encoder_heads": ("encoder_attention_heads", cfg.int("encoder_attention_heads", DEFAULTS[t]["encoder_attention_heads"])),
        "csp_hidden": ("hidden_expansion", int(width * expansion)),
        "d_model": ("d_model", cfg.int("d_model", DEFAULTS[t]["d_model"])),
        "decoder_in_channels": ("decoder_in_channels", lists["decoder_in_channels"]),
        "num_feature_levels": ("num_feature_levels", cfg.int("num_feature_levels", DEFAULTS[t]["num_feature_levels"])),
        "decoder_levels": ("decoder_n_levels", cfg.int("decoder_n_levels", DEFAULTS[t]["decoder_n_levels"])),
        "decoder_points": ("decoder_n_points", cfg.int("decoder_n_points", DEFAULTS[t]["decoder_n_points"])),
        "decoder_layers": ("decoder_layers", layers),
        "decoder_ffn_dim": ("decoder_ffn_dim", cfg.int("decoder_ffn_dim", DEFAULTS[t]["decoder_ffn_dim"])),
        "decoder_heads": ("decoder_attention_heads", cfg.int("decoder_attention_heads", DEFAULTS[t]["decoder_attention_heads"])),
        "num_queries": ("num_queries", cfg.int("num_queries", DEFAULTS[t]["num_queries"])),
        "n_labels": (label_field, labels),
        "denoising": ("num_denoising", cfg.int("num_denoising", DEFAULTS[t]["num_denoising"], minimum=0) > 0),
        "learn_initial_query": ("learn_initial_query", cfg.bool("learn_initial_query", DEFAULTS[t]["learn_initial_query"])),
        "tied_heads": ("tie_word_embeddings", tied),
    }


def _frozen_backbone(cfg: ConfigReader, cls: str, params: dict[str, Params]) -> None:
    """Rule: the backbone is the bare encoder (``load_backbone``), its batch norms frozen into buffers."""
    cfg.raw("num_channels")  # the backbone_config's own num_channels builds the stem
    if "backbone" in params:
        params["backbone"].pop("n_labels", None)
        params["backbone"]["head"] = ("backbone_config", "none")
        params["backbone"]["frozen_norms"] = ("backbone_config", True)


def _composite(model_type: str, prefix: str, backbone_path: str) -> Composite:
    """A DETR-style detector: the optional transformers backbone, then the detector."""
    return Composite(model_type, "composite", (f"{prefix}ForObjectDetection",), (
        Tower("backbone", config="backbone_config", model_type="resnet", optional=True, path=backbone_path),
        Tower("detector", family="detr", params=_detector(model_type)),
    ), rules=(_frozen_backbone,), shape_free=_SHAPE_FREE,
        description=f"{prefix}: a ResNet backbone (transformers' or timm's), an encoder-decoder transformer, box heads")


#: The detection composites (the module's docstring lists them).
COMPOSITES = (
    _composite("table-transformer", "TableTransformer", "model.backbone.conv_encoder.model"),
    Composite("deformable_detr", "composite", ("DeformableDetrForObjectDetection",), (
        Tower("backbone", config="backbone_config", model_type="resnet", optional=True, path="model.backbone.model"),
        Tower("detector", family="deformable_detr", params=_deformable),
    ), rules=(_frozen_backbone,), shape_free=_SHAPE_FREE | {"return_intermediate", "two_stage_num_proposals",
                                                             "focal_alpha", "disable_custom_kernels"},
        description="Deformable DETR: a ResNet backbone (transformers' or timm's), multi-scale deformable "
                    "attention, box heads"),
    Composite("rt_detr_v2", "composite", ("RTDetrV2ForObjectDetection", "RtDetrV2ForObjectDetection"),
              (Tower("detector", family="rt_detr", params=_rt_detr),), shape_free=RT_DETR_SHAPE_FREE,
              description="RT-DETR v2: a ResNet-vd backbone, a hybrid encoder, a deformable decoder"),
)


@hookimpl
def register_model_types(register):
    """Map the detection transformers."""
    for composite in COMPOSITES:
        register(composite)

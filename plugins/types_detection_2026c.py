"""More object detection and segmentation transformers as model types: ``dab-detr`` on the ``dab_detr`` family,
``maskformer`` on the ``swin`` row and the ``maskformer`` family.

* ``dab-detr`` (``modeling_dab_detr.py``, ``DabDetrForObjectDetection``): a timm ResNet (``backbone``, default
  ``resnet50``: ``DabDetrConfig.__post_init__``, or ``backbone_kwargs`` as the published configs give them), a
  DETR encoder-decoder whose queries are anchor boxes, a class layer and a box MLP
  (:mod:`registry.plugins.dab_detr`). ``backbone_kwargs`` may hold ``in_chans`` (which transformers' timm
  backbone does not pass on: the stem takes the timm config's 3 channels), ``out_indices`` ending at the last
  stage (4) and ``output_stride`` (DC5: a dilation, no shape); a transformers ``backbone_config``, another timm
  model or other keys are refused.
* ``maskformer`` (``modeling_maskformer.py``, ``MaskFormerForInstanceSegmentation``): a Swin ``backbone_config``
  read through the ``swin`` row (``MaskFormerSwinModel`` holds SwinModel's tensors; its outputs are stages 1 to
  4) or a ResNet one through the ``resnet`` row (its outputs from ``out_indices``, else ``out_features``, else its
  last stage), then the pixel decoder, DETR's decoder of the ``decoder_config`` and the mask heads
  (:mod:`registry.plugins.maskformer`). Another backbone, a missing ``backbone_config`` or ``decoder_config``
  (transformers' defaults: Swin-base at 384 px, DETR's) are refused. transformers' model builds its loss, which
  needs scipy (a reference dependency of the tests).
"""

from __future__ import annotations

from registry import Composite, ConfigReader, Params, SubConfig, Tower, hookimpl, short_value
from registry.plugins.detr import TIMM_RESNETS
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.hf_common import num_labels

#: DabDetrConfig's fields that change no shape: dropouts, initialisation, losses and matcher costs, the anchors'
#: temperatures and position scale, DC5's ``dilation`` (a stride made a dilation), the random anchor init.
_DAB_FREE = frozenset((
    "is_encoder_decoder", "dropout", "attention_dropout", "activation_dropout", "init_std", "init_xavier_std",
    "auxiliary_loss", "dilation", "class_cost", "bbox_cost", "giou_cost", "cls_loss_coefficient",
    "bbox_loss_coefficient", "giou_loss_coefficient", "focal_alpha", "temperature_height", "temperature_width",
    "random_refpoints_xy", "sine_position_embedding_scale", "initializer_bias_prior_prob", "use_pretrained_backbone",
))
#: DabDetrConfig's ``attribute_map``: another name a config may give a field.
_ALIASES = {"encoder_attention_heads": "num_attention_heads", "encoder_layers": "num_hidden_layers"}


def _aliased(cfg: ConfigReader, name: str, default: int, minimum: int = 1) -> int:
    """A whole number under its name or its ``attribute_map`` alias (:meth:`registry.ConfigReader.aliased_int`)."""
    return cfg.aliased_int(name, _ALIASES[name], default, minimum=minimum)


def _dab_backbone(cfg: ConfigReader) -> str:
    """The timm ResNet of a DAB-DETR config, refused where transformers would build another backbone."""
    if cfg.raw("backbone_config") is not None:
        raise cfg.error("backbone_config", "is not supported for dab-detr: registry maps its timm ResNets "
                                           "(backbone, use_timm_backbone)")  # fmt: skip
    if not cfg.bool("use_timm_backbone", True):
        raise cfg.error("use_timm_backbone", "is false without a backbone_config: registry does not guess "
                                             "transformers' default ResNet")  # fmt: skip
    name = cfg.raw("backbone") or "resnet50"
    if name not in TIMM_RESNETS:
        raise cfg.error("backbone", f"{short_value(name)} is not a timm backbone registry maps "
                                    f"(one of {', '.join(TIMM_RESNETS)})")  # fmt: skip
    kwargs = cfg.raw("backbone_kwargs")
    if kwargs:
        if not isinstance(kwargs, dict) or set(kwargs) - {"in_chans", "out_indices", "output_stride"}:
            raise cfg.error("backbone_kwargs", f"{short_value(kwargs)} is not supported: registry maps in_chans, "
                                               "out_indices and output_stride only")  # fmt: skip
        if kwargs.get("output_stride", 32) not in (8, 16, 32):
            raise cfg.error("backbone_kwargs", f"output_stride {short_value(kwargs['output_stride'])} must be 8, 16 "
                                               "or 32")  # fmt: skip
        indices = kwargs.get("out_indices", [-1])
        if (not isinstance(indices, list) or not indices or indices[-1] not in (4, -1)
                or any(isinstance(i, bool) or not isinstance(i, int) or not -1 <= i <= 4 for i in indices)):
            raise cfg.error("backbone_kwargs", f"out_indices {short_value(indices)} must be stages of the ResNet "
                                               "(0 to 4) ending at its last (4)")  # fmt: skip
    return name


def _dab_detr(cfg: ConfigReader, towers: dict[str, Params]) -> Params:
    """DAB-DETR's hyper-parameters (``DabDetrConfig``)."""
    t = "dab-detr"
    name = _dab_backbone(cfg)
    label_field, labels = num_labels(cfg)
    cfg.expect("query_dim", (4,), "DabDetrConfig requires 4")
    patterns = cfg.raw("num_patterns", DEFAULTS[t]["num_patterns"])
    if not isinstance(patterns, int) or isinstance(patterns, bool) or patterns < 0:  # transformers: 0 with a warning
        raise cfg.error("num_patterns", f"must be a whole number >= 0 (got {short_value(patterns)})")
    activation = cfg.raw("activation_function", DEFAULTS[t]["activation_function"])
    if not isinstance(activation, str):
        raise cfg.error("activation_function", f"must be the name of an activation (got {short_value(activation)})")
    return {
        "d_model": ("hidden_size", cfg.int("hidden_size", DEFAULTS[t]["hidden_size"])),
        "encoder_layers": ("encoder_layers", _aliased(cfg, "encoder_layers", DEFAULTS[t]["encoder_layers"], 0)),
        "decoder_layers": ("decoder_layers", cfg.int("decoder_layers", DEFAULTS[t]["decoder_layers"], minimum=0)),
        "encoder_ffn_dim": ("encoder_ffn_dim", cfg.int("encoder_ffn_dim", DEFAULTS[t]["encoder_ffn_dim"])),
        "decoder_ffn_dim": ("decoder_ffn_dim", cfg.int("decoder_ffn_dim", DEFAULTS[t]["decoder_ffn_dim"])),
        "encoder_heads": ("encoder_attention_heads",
                          _aliased(cfg, "encoder_attention_heads", DEFAULTS[t]["encoder_attention_heads"])),
        "decoder_heads": ("decoder_attention_heads",
                          cfg.int("decoder_attention_heads", DEFAULTS[t]["decoder_attention_heads"])),
        "num_queries": ("num_queries", cfg.int("num_queries", DEFAULTS[t]["num_queries"])),
        "query_dim": ("query_dim", cfg.int("query_dim", DEFAULTS[t]["query_dim"])),
        "num_patterns": ("num_patterns", patterns),
        "n_labels": (label_field, labels),
        "keep_query_pos": ("keep_query_pos", cfg.bool("keep_query_pos", DEFAULTS[t]["keep_query_pos"])),
        "normalize_before": ("normalize_before", cfg.bool("normalize_before", DEFAULTS[t]["normalize_before"])),
        "activation": ("activation_function", activation),
        "tied_heads": ("tie_word_embeddings", cfg.bool("tie_word_embeddings", DEFAULTS[t]["tie_word_embeddings"])),
        "timm_backbone": ("backbone", name),
    }


#: MaskFormerConfig's fields that change no shape (losses and initialisation), and the DETR decoder_config's
#: (its encoder, backbone and position fields: MaskFormer builds only DETR's decoder).
_MASKFORMER_FREE = frozenset((
    "no_object_weight", "use_auxiliary_loss", "init_std", "init_xavier_std", "dice_weight", "cross_entropy_weight",
    "mask_weight", "output_auxiliary_logits", "ce_weight", "num_queries", "num_attention_heads", "num_hidden_layers",
))


def _resnet_outputs(cfg: ConfigReader, towers: dict[str, Params]) -> list[int]:
    """The widths of a ResNet backbone's outputs (``out_indices``, else ``out_features``, else its last stage:
    ``BackboneConfigMixin``)."""
    widths = [towers["backbone"]["embedding_size"][1], *towers["backbone"]["hidden_sizes"][1]]
    sub = cfg.raw("backbone_config")
    names = sub.get("stage_names")
    if names is not None and (not isinstance(names, list) or not all(isinstance(n, str) for n in names)):
        raise cfg.error("backbone_config.stage_names", f"must be a list of stage names (got {short_value(names)})")
    names = names or ["stem", *(f"stage{i}" for i in range(1, len(widths)))]
    indices, features = sub.get("out_indices"), sub.get("out_features")
    if indices is None and features is not None:
        if not isinstance(features, list) or not features or any(f not in names for f in features):
            raise cfg.error("backbone_config.out_features", f"{short_value(features)} must list stages of the "
                                                            f"backbone ({', '.join(names)})")  # fmt: skip
        indices = [names.index(f) for f in features]
    if indices is None:
        indices = [len(widths) - 1]
    if not isinstance(indices, list) or not indices or any(
            isinstance(i, bool) or not isinstance(i, int) or not -len(widths) <= i < len(widths) for i in indices):
        raise cfg.error("backbone_config.out_indices", f"{short_value(indices)} is not a list of the backbone's "
                                                       f"stages (0 to {len(widths) - 1})")  # fmt: skip
    return [widths[i] for i in indices]


def _maskformer(cfg: ConfigReader, towers: dict[str, Params]) -> Params:
    """MaskFormer's sizes around its backbone (``MaskFormerConfig``, its DETR ``decoder_config``)."""
    t, d = "maskformer", "detr"
    if "embed_dim" in towers["backbone"]:  # Swin: MaskFormerSwinBackbone outputs stages 1 to 4, norms every stage
        embed, depths = towers["backbone"]["embed_dim"][1], towers["backbone"]["depths"][1]
        if len(depths) < 4:
            raise cfg.error("backbone_config.depths", f"has {len(depths)} stages: MaskFormer's Swin backbone "
                                                      "outputs stages 1 to 4")  # fmt: skip
        norms = [embed * 2**i for i in range(len(depths))]
        outputs, norms = ("backbone_config.depths", norms[:4]), ("backbone_config.depths", norms)
    else:
        outputs, norms = ("backbone_config.out_features", _resnet_outputs(cfg, towers)), ("backbone_config", [])
    decoder = SubConfig(cfg, "decoder_config")
    decoder.expect("model_type", ("detr",), "MaskFormer's decoder is DETR's")
    width = decoder.aliased_int("d_model", "hidden_size", DEFAULTS[d]["d_model"])
    label_field, labels = num_labels(cfg)
    fpn = cfg.int("fpn_feature_size", DEFAULTS[t]["fpn_feature_size"])
    mask = cfg.aliased_int("mask_feature_size", "hidden_size", DEFAULTS[t]["mask_feature_size"])
    return {
        "output_widths": outputs,
        "stage_norms": norms,
        "fpn_feature_size": ("fpn_feature_size", fpn),
        "mask_feature_size": ("mask_feature_size", mask),
        "d_model": ("decoder_config.d_model", width),
        "decoder_layers": ("decoder_config.decoder_layers",
                           decoder.int("decoder_layers", DEFAULTS[d]["decoder_layers"], minimum=0)),
        "decoder_ffn_dim": ("decoder_config.decoder_ffn_dim", decoder.int("decoder_ffn_dim", DEFAULTS[d]["decoder_ffn_dim"])),
        "decoder_heads": ("decoder_config.decoder_attention_heads",
                          decoder.int("decoder_attention_heads", DEFAULTS[d]["decoder_attention_heads"])),
        "num_queries": ("decoder_config.num_queries", decoder.int("num_queries", DEFAULTS[d]["num_queries"])),
        "n_labels": (label_field, labels),
    }


def _maskformer_backbone(cfg: ConfigReader, cls: str, params: dict[str, Params]) -> None:
    """Rule: MaskFormer builds a Swin backbone as ``MaskFormerSwinBackbone`` (BERT-era names, the model under
    ``model``), a ResNet one as the bare ``ResNetBackbone`` (its batch norms' weights and biases parameters)."""
    if "embed_dim" in params["backbone"]:
        params["backbone"]["maskformer_names"] = ("backbone_config.model_type", True)
    else:
        params["backbone"].pop("n_labels", None)
        params["backbone"]["head"] = ("backbone_config", "none")


#: The detection composites (the module's docstring lists them).
COMPOSITES = (
    Composite("dab-detr", "composite", ("DabDetrForObjectDetection",),
              (Tower("detector", family="dab_detr", params=_dab_detr),), shape_free=_DAB_FREE,
              description="DAB-DETR: a timm ResNet, a DETR encoder-decoder with anchor-box queries, box heads"),
    Composite("maskformer", "composite", ("MaskFormerForInstanceSegmentation",), (
        Tower("backbone", config="backbone_config", model_type="swin", model_types=("resnet",),
              path="model.pixel_level_module.encoder", builds="base"),
        Tower("heads", family="maskformer", params=_maskformer),
    ), rules=(_maskformer_backbone,), shape_free=_MASKFORMER_FREE | {"decoder_config"},
        description="MaskFormer: a Swin backbone, a pixel decoder, DETR's decoder, mask classification heads"),
)


@hookimpl
def register_model_types(register):
    """Map the detection transformers of this module."""
    for composite in COMPOSITES:
        register(composite)

"""Classic convolutional image encoders as rows of data: resnet and regnet on the ``resnet`` family,
mobilenet_v1 and mobilenet_v2 on the ``mobilenet`` family, efficientnet on the ``efficientnet`` family, bit on the
``bit`` family, poolformer on the ``poolformer`` family, mobilevit and mobilevitv2 on the ``mobilevit`` family,
pvt on the ``pvt`` family, cvt on the ``cvt`` family, levit on the ``levit`` family,
focalnet on the ``focalnet`` family, hiera on the ``hiera`` family, dinat on the ``dinat`` family,
convnextv2 on the ``convnext`` family.

* ``resnet`` (``modeling_resnet.py``): a 7 × 7 stem, stages of basic or bottleneck residual layers
  (:mod:`registry.plugins.resnet`), batch norms;
* ``regnet`` (``modeling_regnet.py``): a 3 × 3 stem, stages of X layers (grouped 3 × 3 convolutions of
  ``groups_width`` channels a group) or Y layers (X with squeeze-and-excitation);
* ``mobilenet_v1``, ``mobilenet_v2`` (``modeling_mobilenet_v1.py``, ``modeling_mobilenet_v2.py``): fixed lists
  of widths scaled by ``depth_multiplier`` (:mod:`registry.plugins.mobilenet`); depthwise-separable pairs
  (V1), inverted residuals (V2);
* ``efficientnet`` (``modeling_efficientnet.py``): inverted bottlenecks with squeeze-and-excitation, widths and
  repeats scaled by ``width_coefficient`` and ``depth_coefficient`` (:mod:`registry.plugins.efficientnet`);
* ``bit`` (``modeling_bit.py``): ResNet V2 stages of pre-activation (or post-norm bottleneck) layers with
  weight-standardised convolutions and group norms (:mod:`registry.plugins.bit`);
* ``poolformer`` (``modeling_poolformer.py``): MetaFormer stages, average pooling as the token mixer, 1 × 1
  convolutions as the MLP, group norms, layer scales (:mod:`registry.plugins.poolformer`);
* ``mobilevit``, ``mobilevitv2`` (``modeling_mobilevit.py``, ``modeling_mobilevitv2.py``): inverted residuals
  and transformer layers over unfolded patches (ViT's; V2: separable linear attention, convolutional)
  (:mod:`registry.plugins.mobilevit`);
* ``pvt`` (``modeling_pvt.py``): pyramid stages of transformer layers, keys and values from a spatially
  reduced sequence, position embeddings per stage (:mod:`registry.plugins.pvt`);
* ``cvt`` (``modeling_cvt.py``): transformer stages whose queries, keys and values pass through depthwise
  convolutions with batch norms (:mod:`registry.plugins.cvt`);
* ``levit`` (``modeling_levit.py``): a convolutional stem, attention with learned relative biases, subsampling
  attention between stages, linear layers with batch norms (:mod:`registry.plugins.levit`);
* ``focalnet`` (``modeling_focalnet.py``): Swin-like stages of focal-modulation layers
  (:mod:`registry.plugins.focalnet`);
* ``hiera`` (``modeling_hiera.py``): a hierarchical ViT, stages widening and pooling queries
  (:mod:`registry.plugins.hiera`; HieraForPreTraining's decoder is not mapped);
* ``dinat`` (``modeling_dinat.py``): levels of dilated neighborhood-attention layers with relative position
  biases (:mod:`registry.plugins.dinat`);
* ``convnextv2`` (``modeling_convnextv2.py``): ConvNeXt's stages with global response normalisation in place
  of the layer scale (:mod:`registry.plugins.convnext`).

Each row reads transformers' configuration fields (defaults from :mod:`registry.plugins.generated_defaults`);
the rules check the stage counts and read the classifier's labels (the ``id2label`` rule of
:mod:`registry.plugins.vision_model_types`).
"""

from __future__ import annotations

from registry import ConfigReader, Params, Row, hookimpl, short_value
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.vision_model_types import VISION_SHAPE_FREE, image_labels

#: Backbone outputs and training settings of these configurations: no shapes.
BACKBONE_SHAPE_FREE = VISION_SHAPE_FREE | {"drop_path_rate", "out_features", "out_indices", "stage_names",
                                           "_out_features", "_out_indices"}  # fmt: skip


def _classifier(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule: ``...ForImageClassification`` has a classifier of ``len(id2label)`` (else ``num_labels``) outputs;
    the bare model (``...Model``) none (its pooling has no parameters)."""
    image_labels(cfg, cls, params)
    params.pop("pooler", None)


def _resnet_layer(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (ResNet): ``layer_type`` one of ResNetConfig's ``basic``, ``bottleneck``; the classifier."""
    layer = cfg.raw("layer_type", DEFAULTS["resnet"]["layer_type"])
    if layer not in ("basic", "bottleneck"):
        raise cfg.error("layer_type", f"must be basic or bottleneck (got {short_value(layer)})")
    params["layer_type"] = ("layer_type", layer)
    _classifier(cfg, cls, params)


def _regnet_layer(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (RegNet): ``layer_type`` one of RegNetConfig's ``layer_types`` (``x``, ``y``; transformers builds a Y
    layer for any other value, which registry refuses rather than guess); the classifier."""
    layer = cfg.raw("layer_type", DEFAULTS["regnet"]["layer_type"])
    if layer not in ("x", "y"):
        raise cfg.error("layer_type", f"must be x or y (got {short_value(layer)})")
    params["layer_type"] = ("layer_type", layer)
    _classifier(cfg, cls, params)


def _segmentation(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (MobileNet V2): ``...ForSemanticSegmentation`` has DeepLab's head of ``len(id2label)`` (else
    ``num_labels``) labels; the other classes a classifier or none."""
    if not cls.endswith("ForSemanticSegmentation"):
        _classifier(cfg, cls, params)
        return
    image_labels(cfg, cls.replace("ForSemanticSegmentation", "ForImageClassification"), params)
    params["head"] = ("architectures", "segmentation")


def _mobilevit_head(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (MobileViT, V2): the segmentation model's ASPP takes exactly three ``atrous_rates`` (transformers refuses
    any other number); the head as :func:`_segmentation` reads it."""
    rates = cfg.raw("atrous_rates", [6, 12, 18])
    if cls.endswith("ForSemanticSegmentation") and (not isinstance(rates, list) or len(rates) != 3):
        raise cfg.error("atrous_rates", f"must hold 3 rates (got {short_value(rates)})")
    _segmentation(cfg, cls, params)


def _efficientnet(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (EfficientNet): ``pooling_type`` ``mean`` or ``max`` (EfficientNetModel refuses any other; the pooling
    has no parameters); the classifier."""
    cfg.expect("pooling_type", ("mean", "max"), "EfficientNetModel pools by mean or max")
    _classifier(cfg, cls, params)


def _bit(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (BiT): ``global_padding`` null, ``SAME`` or ``VALID`` (BitConfig refuses any other; padding has no
    parameters); the classifier."""
    padding = cfg.raw("global_padding")
    if padding is not None and not (isinstance(padding, str) and padding.upper() in ("SAME", "VALID")):
        raise cfg.error("global_padding", f"must be null, SAME or VALID (got {short_value(padding)})")
    _classifier(cfg, cls, params)


def _poolformer(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (PoolFormer): ``num_encoder_blocks`` stages, one per entry of ``hidden_sizes`` (a config whose counts
    differ is refused); the classifier."""
    stages = cfg.int("num_encoder_blocks", DEFAULTS["poolformer"]["num_encoder_blocks"])
    if stages != len(params["hidden_sizes"][1]):
        raise cfg.error("num_encoder_blocks", f"is {stages}, but hidden_sizes lists {len(params['hidden_sizes'][1])} "
                                              "stages")  # fmt: skip
    _classifier(cfg, cls, params)


def _pvt(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (PVT): ``num_encoder_blocks`` stages, one per entry of ``hidden_sizes`` (a config whose counts differ
    is refused); ``image_size`` a whole number (a pair is refused: PvtEncoder halves it as one number); the
    classifier of ``len(id2label)``, else ``num_labels``, else PvtConfig's 1000 labels."""
    stages = cfg.int("num_encoder_blocks", DEFAULTS["pvt"]["num_encoder_blocks"])
    if stages != len(params["hidden_sizes"][1]):
        raise cfg.error("num_encoder_blocks", f"is {stages}, but hidden_sizes lists {len(params['hidden_sizes'][1])} "
                                              "stages")  # fmt: skip
    params["image_size"] = ("image_size", cfg.int("image_size", DEFAULTS["pvt"]["image_size"]))
    if cls.endswith("ForImageClassification") and not cfg.has("id2label"):
        params["head"] = ("architectures", "classifier")
        params["n_labels"] = ("num_labels", cfg.int("num_labels", 1000, minimum=0))
        return
    _classifier(cfg, cls, params)


def _cvt(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (CvT): ``qkv_bias`` and ``cls_token``, one true/false per stage; the classifier."""
    for key in ("qkv_bias", "cls_token"):
        value = cfg.raw(key, DEFAULTS["cvt"][key])
        if not isinstance(value, list) or not all(isinstance(v, bool) for v in value):
            raise cfg.error(key, f"must be a list of true/false, one per stage (got {short_value(value)})")
        params[key] = (key, list(value))
    _classifier(cfg, cls, params)


def _levit(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (LeViT): LevitConfig derives ``down_ops`` whatever a config says (``__post_init__``): two subsamplings of
    ``key_dim[0]`` keys, ``hidden_sizes[i] // key_dim[0]`` heads, attention ratio 4, MLP ratio 2, stride 2, so
    LevitEncoder builds exactly three stages; the teacher-distilled class's two classifiers, or the one."""
    sizes, key_dim = params["hidden_sizes"][1], params["key_dim"][1]
    if len(sizes) != 3:
        raise cfg.error("hidden_sizes", f"lists {len(sizes)} stages: LeViT's configuration derives two subsamplings, "
                                        "between three stages")  # fmt: skip
    if min(sizes[:2]) < key_dim[0]:
        raise cfg.error("key_dim", f"key_dim[0] ({key_dim[0]}) leaves a subsampling no heads (hidden_sizes // key_dim)")
    params["down_ops"] = ("hidden_sizes", [[key_dim[0], d // key_dim[0], 4, 2, 2] for d in sizes[:2]])
    teacher = cls == "LevitForImageClassificationWithTeacher"
    _classifier(cfg, "LevitForImageClassification" if teacher else cls, params)
    if teacher:
        params["head"] = ("architectures", "distilled")


def _hiera(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (Hiera): HieraConfig's checks (``num_query_pool`` below the number of stages; ``masked_unit_size[0]``
    divisible by ``query_stride[0]`` to the power of the stages less one); the classifier."""
    stages = len(params["depths"][1])
    pools = cfg.int("num_query_pool", DEFAULTS["hiera"]["num_query_pool"], minimum=0)
    if pools >= stages:
        raise cfg.error("num_query_pool", f"({pools}) must be below the number of stages ({stages})")
    unit = cfg.int_list("masked_unit_size", DEFAULTS["hiera"]["masked_unit_size"])
    stride = cfg.int_list("query_stride", DEFAULTS["hiera"]["query_stride"])
    if not unit or not stride or not stride[0] or unit[0] % stride[0] ** (stages - 1):
        raise cfg.error("masked_unit_size", f"{short_value(unit)}: its first side must be divisible by query_stride[0] "
                                            f"to the power {stages - 1} (query_stride {short_value(stride)})")  # fmt: skip
    _classifier(cfg, cls, params)


def _dinat(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (DiNAT): ``dilations``, one list per level at least as long as its depth (null: DinatConfig's
    default; dilations change no shape); the layer scale when ``layer_scale_init_value`` is above 0; the
    classifier."""
    depths = params["depths"][1]
    dilations = cfg.raw("dilations") or [[1, 8, 1], [1, 4, 1, 4], [1, 2, 1, 2, 1, 2], [1, 1, 1, 1, 1]]
    if not isinstance(dilations, list) or len(dilations) < len(depths) or any(
            not isinstance(d, list) or len(d) < n for d, n in zip(dilations, depths)):  # fmt: skip
        raise cfg.error("dilations", f"must give each level a dilation per layer (depths {short_value(depths)}, "
                                     f"got {short_value(dilations)})")  # fmt: skip
    scale = cfg.raw("layer_scale_init_value", DEFAULTS["dinat"]["layer_scale_init_value"])
    if isinstance(scale, bool) or not isinstance(scale, (int, float)):
        raise cfg.error("layer_scale_init_value", f"must be a number (got {short_value(scale)})")
    params["layer_scale"] = ("layer_scale_init_value", scale > 0)
    _classifier(cfg, cls, params)


def _convnextv2(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (ConvNeXt V2): ``num_stages`` stages, one per entry of ``hidden_sizes`` (a config whose counts differ
    is refused); the classifier."""
    stages = cfg.int("num_stages", DEFAULTS["convnextv2"]["num_stages"])
    if stages != len(params["hidden_sizes"][1]):
        raise cfg.error("num_stages", f"is {stages}, but hidden_sizes lists {len(params['hidden_sizes'][1])} stages")
    _classifier(cfg, cls, params)


_STAGES = {"embedding_size": "embedding_size", "hidden_sizes": "hidden_sizes", "depths": "depths",
           "downsample_in_first_stage": "downsample_in_first_stage", "n_channels": "num_channels"}  # fmt: skip

#: MobileNet's settings that change no shape: the image size, TensorFlow-style padding, the classifier's dropout.
_MOBILENET_SHAPE_FREE = VISION_SHAPE_FREE | {"image_size", "tf_padding", "classifier_dropout_prob"}

#: MobileViT's settings that change no shape: patching, strides, dropouts, the segmentation head's (DeepLabV3's).
_MOBILEVIT_SHAPE_FREE = _MOBILENET_SHAPE_FREE | {"patch_size", "output_stride", "atrous_rates", "aspp_dropout_prob",
                                                 "semantic_loss_ignore_index"}  # fmt: skip

#: The rows (the module's docstring says what each adds).
ROWS = (
    Row("resnet", "resnet", ("ResNetForImageClassification", "ResNetModel"), reads=_STAGES,
        defaults=DEFAULTS["resnet"], rules=(_resnet_layer,), fixed={"variant": "resnet"},
        shape_free=BACKBONE_SHAPE_FREE | {"downsample_in_bottleneck"},
        description="ResNet: stages of basic or bottleneck residual layers, batch norms"),
    Row("regnet", "resnet", ("RegNetForImageClassification", "RegNetModel"),
        reads={**_STAGES, "groups_width": "groups_width"}, defaults=DEFAULTS["regnet"], rules=(_regnet_layer,),
        fixed={"variant": "regnet"}, shape_free=BACKBONE_SHAPE_FREE,
        description="RegNet: stages of grouped-convolution residual layers (Y: squeeze-and-excitation)"),
    Row("mobilenet_v1", "mobilenet", ("MobileNetV1ForImageClassification", "MobileNetV1Model"),
        reads={"depth_multiplier": "depth_multiplier", "min_depth": "min_depth", "n_channels": "num_channels"},
        defaults=DEFAULTS["mobilenet_v1"], rules=(_classifier,), fixed={"variant": "mobilenet_v1"},
        shape_free=_MOBILENET_SHAPE_FREE,
        description="MobileNet V1: depthwise-separable convolutions, widths scaled by depth_multiplier"),
    Row("mobilenet_v2", "mobilenet", ("MobileNetV2ForImageClassification", "MobileNetV2Model",
                                      "MobileNetV2ForSemanticSegmentation"),
        reads={"depth_multiplier": "depth_multiplier", "min_depth": "min_depth", "n_channels": "num_channels",
               "depth_divisible_by": "depth_divisible_by", "expand_ratio": "expand_ratio",
               "first_layer_is_expansion": "first_layer_is_expansion", "finegrained_output": "finegrained_output"},
        defaults=DEFAULTS["mobilenet_v2"], rules=(_segmentation,), fixed={"variant": "mobilenet_v2"},
        # output_stride changes strides and dilations only; semantic_loss_ignore_index is a training setting
        shape_free=_MOBILENET_SHAPE_FREE | {"output_stride", "semantic_loss_ignore_index"},
        description="MobileNet V2: inverted residuals of depthwise convolutions"),
    Row("efficientnet", "efficientnet", ("EfficientNetForImageClassification", "EfficientNetModel"),
        reads={name: name for name in ("width_coefficient", "depth_coefficient", "depth_divisor", "in_channels",
                                       "out_channels", "kernel_sizes", "expand_ratios", "num_block_repeats",
                                       "squeeze_expansion_ratio", "hidden_dim")} | {"n_channels": "num_channels"},
        defaults=DEFAULTS["efficientnet"], rules=(_efficientnet,),
        # num_hidden_layers: EfficientNetConfig derives it from num_block_repeats, whatever a config says
        shape_free=VISION_SHAPE_FREE | {"image_size", "strides", "depthwise_padding", "batch_norm_eps",
                                        "batch_norm_momentum", "dropout_rate", "drop_connect_rate",
                                        "num_hidden_layers"},
        description="EfficientNet: inverted-bottleneck blocks with squeeze-and-excitation, scaled widths and depths"),
    Row("bit", "bit", ("BitForImageClassification", "BitModel"),
        reads={"embedding_size": "embedding_size", "hidden_sizes": "hidden_sizes", "depths": "depths",
               "layer_type": "layer_type", "width_factor": "width_factor", "num_groups": "num_groups",
               "n_channels": "num_channels"},
        defaults=DEFAULTS["bit"], rules=(_bit,),
        shape_free=BACKBONE_SHAPE_FREE | {"embedding_dynamic_padding", "output_stride"},
        description="BiT: ResNet V2 with weight-standardised convolutions and group norms"),
    Row("poolformer", "poolformer", ("PoolFormerForImageClassification", "PoolFormerModel"),
        reads={"hidden_sizes": "hidden_sizes", "depths": "depths", "patch_sizes": "patch_sizes",
               "mlp_ratio": "mlp_ratio", "layer_scale": "use_layer_scale", "n_channels": "num_channels"},
        defaults=DEFAULTS["poolformer"], rules=(_poolformer,),
        # patch_size, stride and hidden_size: PoolFormerConfig keeps them, no module reads them
        shape_free=VISION_SHAPE_FREE | {"patch_size", "stride", "strides", "padding", "pool_size", "drop_path_rate",
                                        "layer_scale_init_value", "hidden_size"},
        description="PoolFormer: MetaFormer stages with average pooling as the token mixer"),
    Row("mobilevit", "mobilevit", ("MobileViTForImageClassification", "MobileViTModel",
                                   "MobileViTForSemanticSegmentation"),
        reads={"neck_hidden_sizes": "neck_hidden_sizes", "hidden_sizes": "hidden_sizes",
               "n_heads": "num_attention_heads", "mlp_ratio": "mlp_ratio", "qkv_bias": "qkv_bias",
               "expand_ratio": "expand_ratio", "conv_kernel_size": "conv_kernel_size", "n_channels": "num_channels",
               "aspp_out_channels": "aspp_out_channels"},
        defaults=DEFAULTS["mobilevit"], rules=(_mobilevit_head,), fixed={"variant": "mobilevit"},
        shape_free=_MOBILEVIT_SHAPE_FREE | {"hidden_dropout_prob", "attention_probs_dropout_prob"},
        description="MobileViT: inverted residuals and ViT layers over unfolded patches"),
    # MobileViTv2ForImageClassification: the class name Apple's checkpoints give (transformers builds MobileViTV2's)
    Row("mobilevitv2", "mobilevit", ("MobileViTV2ForImageClassification", "MobileViTV2Model",
                                     "MobileViTV2ForSemanticSegmentation", "MobileViTv2ForImageClassification",
                                     "MobileViTv2ForSemanticSegmentation"),
        reads={"width_multiplier": "width_multiplier", "base_attn_unit_dims": "base_attn_unit_dims",
               "n_attn_blocks": "n_attn_blocks", "ffn_multiplier": "ffn_multiplier", "expand_ratio": "expand_ratio",
               "conv_kernel_size": "conv_kernel_size", "n_channels": "num_channels",
               "aspp_out_channels": "aspp_out_channels"},
        defaults=DEFAULTS["mobilevitv2"], rules=(_mobilevit_head,), fixed={"variant": "mobilevitv2"},
        shape_free=_MOBILEVIT_SHAPE_FREE | {"attn_dropout", "ffn_dropout"},
        description="MobileViT V2: inverted residuals and separable linear-attention layers over patches"),
    Row("pvt", "pvt", ("PvtForImageClassification", "PvtModel"),
        reads={name: name for name in ("hidden_sizes", "depths", "sequence_reduction_ratios", "patch_sizes", "strides",
                                       "num_attention_heads", "mlp_ratios", "qkv_bias")} | {"n_channels": "num_channels"},
        defaults=DEFAULTS["pvt"], rules=(_pvt,),
        shape_free=VISION_SHAPE_FREE | {"drop_path_rate"},
        description="PVT: pyramid stages of transformer layers with spatially reduced keys and values"),
    Row("cvt", "cvt", ("CvtForImageClassification", "CvtModel"),
        reads={name: name for name in ("depth", "embed_dim", "num_heads", "patch_sizes", "mlp_ratio", "kernel_qkv",
                                       "qkv_projection_method")} | {"n_channels": "num_channels"},
        defaults=DEFAULTS["cvt"], rules=(_cvt,),
        shape_free=VISION_SHAPE_FREE | {"patch_stride", "patch_padding", "attention_drop_rate", "drop_rate",
                                        "drop_path_rate", "padding_kv", "stride_kv", "padding_q", "stride_q"},
        description="CvT: transformer stages with depthwise-convolution query/key/value projections"),
    Row("levit", "levit", ("LevitForImageClassificationWithTeacher", "LevitForImageClassification", "LevitModel"),
        reads={name: name for name in ("hidden_sizes", "depths", "key_dim", "num_attention_heads", "attention_ratio",
                                       "mlp_ratio", "image_size", "patch_size", "kernel_size")}
        | {"n_channels": "num_channels"},
        defaults=DEFAULTS["levit"], rules=(_levit,),
        # down_ops: LevitConfig replaces whatever a config says by its own (the rule)
        shape_free=VISION_SHAPE_FREE | {"stride", "padding", "drop_path_rate", "down_ops"},
        description="LeViT: a convolutional stem, attention with learned biases and MLPs, batch norms"),
    Row("focalnet", "focalnet", ("FocalNetForImageClassification", "FocalNetModel"),
        reads={name: name for name in ("embed_dim", "depths", "focal_levels", "focal_windows", "mlp_ratio",
                                       "patch_size", "use_conv_embed", "use_layerscale")}
        | {"post_layernorm_in_modulation": "use_post_layernorm_in_modulation", "n_channels": "num_channels"},
        defaults=DEFAULTS["focalnet"], rules=(_classifier,),
        # hidden_sizes: FocalNetConfig keeps it, the model doubles embed_dim per stage instead
        shape_free=BACKBONE_SHAPE_FREE | {"image_size", "hidden_sizes", "layerscale_value", "use_post_layernorm",
                                          "normalize_modulator", "encoder_stride"},
        description="FocalNet: stages of focal-modulation layers (stacked depthwise convolutions)"),
    Row("hiera", "hiera", ("HieraModel", "HieraForImageClassification"),
        reads={name: name for name in ("embed_dim", "embed_dim_multiplier", "depths", "num_heads", "mlp_ratio",
                                       "image_size", "patch_size", "patch_stride")} | {"n_channels": "num_channels"},
        defaults=DEFAULTS["hiera"], rules=(_hiera,),
        # the decoder_* fields and the masking settings: HieraForPreTraining's (not mapped); hidden_size: derived
        shape_free=BACKBONE_SHAPE_FREE | {"patch_padding", "masked_unit_attention", "layer_norm_init", "decoder_hidden_size",
                                          "decoder_depth", "decoder_num_heads", "normalize_pixel_loss", "mask_ratio",
                                          "hidden_size"},
        description="Hiera: a hierarchical ViT whose stages widen and pool their queries"),
    Row("dinat", "dinat", ("DinatForImageClassification", "DinatModel"),
        reads={name: name for name in ("embed_dim", "depths", "num_heads", "kernel_size", "mlp_ratio", "qkv_bias")}
        | {"n_channels": "num_channels"},
        defaults=DEFAULTS["dinat"], rules=(_dinat,),
        # hidden_size and num_layers: DinatConfig derives them from embed_dim and depths, whatever a config says
        shape_free=BACKBONE_SHAPE_FREE | {"patch_size", "hidden_size", "num_layers"},
        description="DiNAT: levels of dilated neighborhood-attention layers"),
    Row("convnextv2", "convnext", ("ConvNextV2ForImageClassification", "ConvNextV2Model"),
        reads={"hidden_sizes": "hidden_sizes", "depths": "depths", "n_channels": "num_channels",
               "patch_size": "patch_size"},
        defaults=DEFAULTS["convnextv2"], rules=(_convnextv2,), fixed={"variant": "convnextv2"},
        shape_free=BACKBONE_SHAPE_FREE | {"image_size"},
        description="ConvNeXt V2: stages of depthwise-convolution blocks with global response normalisation"),
)


@hookimpl
def register_model_types(register):
    """Map resnet, regnet, mobilenet_v1, mobilenet_v2, efficientnet, bit, poolformer, mobilevit, mobilevitv2, pvt, cvt, levit, focalnet, hiera, dinat and convnextv2."""
    for row in ROWS:
        register(row)

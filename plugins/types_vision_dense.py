"""Dense-prediction vision model types (depth, matting, segmentation), mapped onto families registry has.

* ``depth_anything`` (``modeling_depth_anything.py``): ``DepthAnythingForDepthEstimation`` on the
  ``depth-anything`` family (:mod:`registry.plugins.depth_anything`). Its ``backbone_config`` is read through the
  ``dinov2`` row (its fields named ``backbone_config.<field>``), as ``Dinov2Backbone`` builds it (every layer, the
  final norm, the mask token with ``use_mask_token``). A config without ``backbone_config`` is refused (transformers
  would build a default DINOv2-small backbone of its own sizes), and so are a named ``backbone`` (a timm or Hub
  checkpoint transformers would download) and a backbone of another model type than ``dinov2``.
* ``sam`` (``modeling_sam.py``) and ``sam_hq`` (``modeling_sam_hq.py``): ``SamModel`` and ``SamHQModel`` on the
  ``sam`` family (:mod:`registry.plugins.sam`), each of the three sub-configs (``vision_config``,
  ``prompt_encoder_config``, ``mask_decoder_config``) read field by field (a sub-config left out: its class's
  defaults, as transformers builds it). The prompt encoder's image and patch sizes only size its inputs.
* ``upernet`` (``modeling_upernet.py``): ``UperNetForSemanticSegmentation`` over a ConvNeXt or a Swin backbone
  (the ``upernet-convnext`` and ``upernet-swin`` families, :mod:`registry.plugins.upernet`), its
  ``backbone_config`` read through the ``convnext`` or ``swin`` row; the output stages from ``out_features``
  (else ``out_indices``, else the last stage). Other backbones (ResNet, the default when ``backbone_config`` is
  left out, and the rest) are refused.
* ``vitmatte`` (``modeling_vitmatte.py``): ``VitMatteForImageMatting`` on the ``vitdet`` family
  (:mod:`registry.plugins.vitdet`, ``head = "matting"``), its ``backbone_config`` (a ``vitdet`` one, another
  model type refused; left out, ViTDet's defaults, as ``VitMatteConfig`` builds it) read field by field.
* ``glpn`` (``modeling_glpn.py``): ``GLPNForDepthEstimation`` and ``GLPNModel`` on the ``glpn`` family
  (:mod:`registry.plugins.glpn`); ``image_size``, ``strides`` and ``downsampling_rates`` change no shape.
"""

from __future__ import annotations

from registry import ConfigReader, Mapped, ModelType, Row, hookimpl, short_value
from registry.plugins.depth_anything import DepthAnythingParams
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.hf_common import num_labels
from registry.plugins.types_vision_more import ROWS as _MORE_ROWS
from registry.plugins.upernet import UperNetConvNextParams, UperNetSwinParams
from registry.plugins.vitdet import VitDetParams
from registry.plugins.vision_model_types import ROWS as _VISION_ROWS
from registry.plugins.vision_model_types import tower_params

#: The dinov2 row: how a DINOv2 backbone's configuration is read.
_DINOV2 = next(row for row in _VISION_ROWS if row.name == "dinov2")


def dinov2_backbone(cfg: ConfigReader, model_type: str) -> dict:
    """The hyper-parameters of a DINOv2 ``backbone_config`` (fields named ``backbone_config.<field>``); a missing
    one, a named ``backbone`` and a backbone of another model type are refused."""
    sub = cfg.raw("backbone_config")
    if sub is None:
        if cfg.raw("backbone") is not None:
            raise cfg.error("backbone", f"{short_value(cfg.raw('backbone'))}: a named backbone (a timm or Hub "
                            "checkpoint transformers would fetch) is not counted; give backbone_config")  # fmt: skip
        raise cfg.error("backbone_config", f"is missing: transformers builds {model_type}'s default DINOv2 backbone, "
                        "which this mapping does not guess; give backbone_config")  # fmt: skip
    if not isinstance(sub, dict):
        raise cfg.error("backbone_config", f"must be an object of the backbone's fields (got {short_value(sub)})")
    kind = sub.get("model_type")
    if kind != "dinov2":
        raise cfg.error("backbone_config", f"model_type {short_value(kind)}: only a dinov2 backbone is mapped")
    return tower_params(cfg, "backbone_config", _DINOV2, "Dinov2Model", DepthAnythingParams.model_fields)


def _map_depth_anything(cfg: ConfigReader, cls: str) -> Mapped:
    """Depth Anything: the DINOv2 backbone, the neck's and the head's sizes."""
    params = dinov2_backbone(cfg, "depth_anything")
    defaults = DEFAULTS["depth_anything"]
    for name, key in (("reassemble_hidden_size", "reassemble_hidden_size"), ("fusion_hidden_size", "fusion_hidden_size"),
                      ("head_hidden_size", "head_hidden_size")):  # fmt: skip
        params[name] = (key, cfg.int(key, defaults[key]))
    sizes = cfg.raw("neck_hidden_sizes", defaults["neck_hidden_sizes"])
    if not isinstance(sizes, list) or any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in sizes):
        raise cfg.error("neck_hidden_sizes", f"must be a list of whole numbers >= 1 (got {short_value(sizes)})")
    params["neck_hidden_sizes"] = ("neck_hidden_sizes", sizes)
    factors = cfg.raw("reassemble_factors", None)  # (4, 2, 1, 0.5) in DepthAnythingConfig: not a plain default
    if factors is None:
        raise cfg.error("reassemble_factors", "is missing: give each feature map's resize factor")
    if not isinstance(factors, list) or any(isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0
                                            for v in factors):  # fmt: skip
        raise cfg.error("reassemble_factors", f"must be a list of numbers above 0 (got {short_value(factors)})")
    params["reassemble_factors"] = ("reassemble_factors", factors)
    cfg.expect("depth_estimation_type", ("relative", "metric"), "transformers knows relative and metric depth")
    if params["reassemble_hidden_size"][1] != params["d_model"][1]:
        raise cfg.error("reassemble_hidden_size", f"({params['reassemble_hidden_size'][1]}) is not the backbone's "
                        f"hidden_size ({params['d_model'][1]}): the reassemble projections could not take its "
                        "features")  # fmt: skip
    _check_feature_maps(cfg, len(sizes))
    return Mapped("depth-anything", params)


def _check_feature_maps(cfg: ConfigReader, n_maps: int) -> None:
    """Refuse a backbone that hands the neck another number of feature maps than ``neck_hidden_sizes`` has (the
    neck raises ValueError): ``out_indices`` (else ``out_features``, else the last stage alone) says how many."""
    sub = cfg.raw("backbone_config")
    chosen = next((sub[key] for key in ("out_indices", "out_features") if isinstance(sub.get(key), list)), [None])
    if len(chosen) != n_maps:
        raise cfg.error("backbone_config", f"its backbone outputs {len(chosen)} feature map(s) (out_indices), "
                        f"neck_hidden_sizes has {n_maps}: the neck could not run")  # fmt: skip


DEPTH_ANYTHING = ModelType(
    "depth_anything", ("DepthAnythingForDepthEstimation",), _map_depth_anything,
    # the head's patch size, which output, the depth scale and kind (activations), the backbone's loading switches
    frozenset(("backbone_config", "patch_size", "head_in_index", "max_depth", "initializer_range", "backbone",
               "use_pretrained_backbone", "use_timm_backbone", "backbone_kwargs")),
    "Depth Anything: a DINOv2 backbone, DPT's neck and a depth head",
)  # fmt: skip


#: What a SAM configuration reads for a shape, by sub-config.
_SAM_READS = {
    **{name: f"vision_config.{key}" for name, key in (
        ("d_model", "hidden_size"), ("n_layers", "num_hidden_layers"), ("n_heads", "num_attention_heads"),
        ("d_ff", "mlp_dim?"), ("mlp_ratio", "mlp_ratio"), ("n_channels", "num_channels"), ("image_size", "image_size"),
        ("patch_size", "patch_size"), ("qkv_bias", "qkv_bias"), ("abs_positions", "use_abs_pos"),
        ("rel_positions", "use_rel_pos"), ("window_size", "window_size"), ("global_layers", "global_attn_indexes"),
        ("output_channels", "output_channels"), ("num_pos_feats", "num_pos_feats"))},
    "prompt_d_model": "prompt_encoder_config.hidden_size", "mask_channels": "prompt_encoder_config.mask_input_channels",
    "n_point_embeddings": "prompt_encoder_config.num_point_embeddings",
    **{name: f"mask_decoder_config.{key}" for name, key in (
        ("decoder_d_model", "hidden_size"), ("decoder_d_ff", "mlp_dim"), ("decoder_n_layers", "num_hidden_layers"),
        ("decoder_n_heads", "num_attention_heads"), ("downsample_rate", "attention_downsample_rate"),
        ("n_multimask", "num_multimask_outputs"), ("iou_depth", "iou_head_depth"),
        ("iou_d_hidden", "iou_head_hidden_dim"))},
}  # fmt: skip
#: Their fields that change no shape: activations, norms' epsilon, dropout, initialisation, the prompt encoder's
#: input sizes (image_embedding_size follows from them), the tie of the two positional embeddings.
_SAM_SHAPE_FREE = frozenset((
    "initializer_range", "tie_word_embeddings", "vision_config.hidden_act", "vision_config.layer_norm_eps",
    "vision_config.attention_dropout", "vision_config.initializer_range", "vision_config.dropout",
    "vision_config.initializer_factor", "prompt_encoder_config.image_size", "prompt_encoder_config.patch_size",
    "prompt_encoder_config.hidden_act", "prompt_encoder_config.layer_norm_eps",
    "prompt_encoder_config.image_embedding_size", "mask_decoder_config.hidden_act", "mask_decoder_config.layer_norm_eps",
))  # fmt: skip

#: UperNet's backbones: model type -> (its row, the class read as, the family, its hyper-parameters).
_UPERNET_BACKBONES = {
    "convnext": (next(r for r in _MORE_ROWS if r.name == "convnext"), "ConvNextModel", "upernet-convnext",
                 UperNetConvNextParams),
    "swin": (next(r for r in _MORE_ROWS if r.name == "swin"), "SwinModel", "upernet-swin", UperNetSwinParams),
}  # fmt: skip


def backbone_out_stages(cfg: ConfigReader, n_stages: int) -> list[int]:
    """The backbone's output stages (indices into ``stem, stage1, ...``): ``out_features`` names them, else
    ``out_indices`` gives them, else the last stage (transformers' BackboneConfigMixin)."""
    sub = cfg.raw("backbone_config")
    names = ["stem", *(f"stage{i}" for i in range(1, n_stages + 1))]
    features, indices = sub.get("out_features"), sub.get("out_indices")
    if features is not None:
        if not isinstance(features, list) or any(f not in names for f in features):
            raise cfg.error("backbone_config.out_features", f"must list stages of {names} (got {short_value(features)})")
        stages = [names.index(f) for f in features]
        if indices is not None and (not isinstance(indices, list)
                                    or any(isinstance(i, bool) or not isinstance(i, int) for i in indices)):
            raise cfg.error("backbone_config.out_indices", f"must list stage numbers 0 to {n_stages} "
                            f"(got {short_value(indices)})")  # fmt: skip
        if indices is not None and indices != stages:
            raise cfg.error("backbone_config.out_indices", f"{short_value(indices)} disagrees with out_features")
        return stages
    if indices is not None:
        if not isinstance(indices, list) or any(isinstance(i, bool) or not isinstance(i, int) or not 0 <= i <= n_stages
                                                for i in indices):  # fmt: skip
            raise cfg.error("backbone_config.out_indices", f"must list stage numbers 0 to {n_stages} "
                            f"(got {short_value(indices)})")  # fmt: skip
        return list(indices)
    return [n_stages]


def _map_upernet(cfg: ConfigReader, cls: str) -> Mapped:
    """UperNet: the ConvNeXt or Swin backbone, its output stages, the decode and auxiliary heads."""
    sub = cfg.raw("backbone_config")
    if not isinstance(sub, dict):
        if sub is None and cfg.raw("backbone") is None:
            raise cfg.error("backbone_config", "is missing: transformers builds UperNet's default ResNet backbone, "
                            "which registry does not map; give backbone_config")  # fmt: skip
        dinov2_backbone(cfg, "upernet")  # refuses a named backbone or a backbone_config that is not an object
    kind = sub.get("model_type")
    if kind not in _UPERNET_BACKBONES:
        raise cfg.error("backbone_config", f"model_type {short_value(kind)}: only convnext and swin backbones are "
                        "mapped for UperNet")  # fmt: skip
    row, backbone_cls, family, fields = _UPERNET_BACKBONES[kind]
    params = tower_params(cfg, "backbone_config", row, backbone_cls, fields.model_fields)
    params.pop("head", None)
    params.pop("n_labels", None)
    n_stages = len(params["depths"][1])
    params["out_stages"] = ("backbone_config.out_features", backbone_out_stages(cfg, n_stages))
    defaults = DEFAULTS["upernet"]
    params["channels"] = ("hidden_size", cfg.int("hidden_size", defaults["hidden_size"]))
    params["pool_scales"] = ("pool_scales", cfg.int_list("pool_scales", defaults["pool_scales"]))
    params["n_labels"] = num_labels(cfg)
    params["auxiliary"] = ("use_auxiliary_head", cfg.bool("use_auxiliary_head", defaults["use_auxiliary_head"]))
    params["aux_in_channels"] = ("auxiliary_in_channels", cfg.int("auxiliary_in_channels",
                                                                  defaults["auxiliary_in_channels"], nullable=True))
    params["aux_channels"] = ("auxiliary_channels", cfg.int("auxiliary_channels", defaults["auxiliary_channels"]))
    params["aux_num_convs"] = ("auxiliary_num_convs", cfg.int("auxiliary_num_convs", defaults["auxiliary_num_convs"],
                                                              minimum=0))
    params["aux_concat_input"] = ("auxiliary_concat_input",
                                  cfg.bool("auxiliary_concat_input", defaults["auxiliary_concat_input"]))
    return Mapped(family, params)


UPERNET = ModelType(
    "upernet", ("UperNetForSemanticSegmentation",), _map_upernet,
    frozenset(("backbone_config", "initializer_range", "auxiliary_loss_weight", "loss_ignore_index", "backbone",
               "use_pretrained_backbone", "use_timm_backbone", "backbone_kwargs")),
    "UperNet: semantic segmentation heads over a ConvNeXt or Swin backbone",
)  # fmt: skip

#: How a ViTDet configuration reads (ViTMatte's backbone_config).
VITDET = Row(
    "vitdet", "vitdet", ("VitDetModel",),
    reads={"d_model": "hidden_size", "n_layers": "num_hidden_layers", "n_heads": "num_attention_heads",
           "mlp_ratio": "mlp_ratio", "n_channels": "num_channels", "image_size": "image_size",
           "pretrain_image_size": "pretrain_image_size", "patch_size": "patch_size", "qkv_bias": "qkv_bias",
           "abs_positions": "use_absolute_position_embeddings", "rel_positions": "use_relative_position_embeddings",
           "window_size": "window_size", "window_layers": "window_block_indices",
           "residual_layers": "residual_block_indices"},
    defaults=DEFAULTS["vitdet"],
)  # fmt: skip


def _map_vitmatte(cfg: ConfigReader, cls: str) -> Mapped:
    """ViTMatte: the ViTDet backbone and the detail-capture decoder's sizes."""
    sub = cfg.raw("backbone_config")
    if sub is None and cfg.raw("backbone") is None:
        sub = {"model_type": "vitdet"}  # VitMatteConfig's default: ViTDet's defaults (out_features stage4, no shape)
    elif not isinstance(sub, dict):
        dinov2_backbone(cfg, "vitmatte")  # refuses a named backbone or a backbone_config that is not an object
    if sub.get("model_type") != "vitdet":
        raise cfg.error("backbone_config", f"model_type {short_value(sub.get('model_type'))}: only a vitdet backbone "
                        "is mapped for ViTMatte")  # fmt: skip
    params = tower_params(cfg, "backbone_config", VITDET, "VitDetModel", VitDetParams.model_fields)
    defaults = DEFAULTS["vitmatte"]
    params["head"] = ("architectures", "matting")
    params["matting_d_model"] = ("hidden_size", cfg.int("hidden_size", defaults["hidden_size"]))
    params["convstream_sizes"] = ("convstream_hidden_sizes",
                                  cfg.int_list("convstream_hidden_sizes", defaults["convstream_hidden_sizes"]))
    if not cfg.has("fusion_hidden_sizes"):  # VitMatteConfig's default is a tuple, which the model cannot take
        raise cfg.error("fusion_hidden_sizes", "is missing: transformers cannot build ViTMatte from its default "
                        "(a tuple it concatenates to a list)")  # fmt: skip
    params["fusion_sizes"] = ("fusion_hidden_sizes", cfg.int_list("fusion_hidden_sizes", defaults["fusion_hidden_sizes"]))
    return Mapped("vitdet", params)


VITMATTE = ModelType(
    "vitmatte", ("VitMatteForImageMatting",), _map_vitmatte,
    frozenset(("backbone_config", "batch_norm_eps", "initializer_range", "backbone", "use_pretrained_backbone",
               "use_timm_backbone", "backbone_kwargs")),
    "ViTMatte: a ViTDet backbone and a detail-capture decoder for image matting",
)  # fmt: skip

def _glpn(cfg: ConfigReader, cls: str, params: dict) -> None:
    """Rule (GLPN): the bare encoder for GLPNModel, the depth decoder and head for GLPNForDepthEstimation."""
    params["head"] = ("architectures", "none" if cls == "GLPNModel" else "depth")


ROWS = (
    Row("glpn", "glpn", ("GLPNForDepthEstimation", "GLPNModel"),
        reads={"n_stages": "num_encoder_blocks", "hidden_sizes": "hidden_sizes", "depths": "depths",
               "n_heads": "num_attention_heads", "sr_ratios": "sr_ratios", "patch_sizes": "patch_sizes",
               "mlp_ratios": "mlp_ratios", "n_channels": "num_channels", "decoder_d_model": "decoder_hidden_size"},
        defaults=DEFAULTS["glpn"], rules=(_glpn,),
        shape_free=frozenset(("strides", "hidden_act", "hidden_dropout_prob", "attention_probs_dropout_prob",
                              "initializer_range", "drop_path_rate", "layer_norm_eps", "max_depth", "head_in_index",
                              "image_size", "downsampling_rates", "classifier_dropout_prob")),
        description="GLPN: a Mix Transformer encoder and a depth decoder with selective feature fusion"),
    Row("sam", "sam", ("SamModel",), reads=_SAM_READS, defaults=DEFAULTS["sam"], shape_free=_SAM_SHAPE_FREE,
        description="Segment Anything: windowed ViT image encoder, prompt encoder, two-way mask decoder"),
    Row("sam_hq", "sam", ("SamHQModel",), reads={**_SAM_READS, "vit_dim": "mask_decoder_config.vit_dim"},
        defaults=DEFAULTS["sam_hq"], fixed={"hq": True}, shape_free=_SAM_SHAPE_FREE,
        description="SAM-HQ: Segment Anything with the HQ token and fused early and final encoder features"),
)  # fmt: skip


@hookimpl
def register_model_types(register):
    """Map depth_anything, glpn, sam, sam_hq, upernet and vitmatte."""
    register(DEPTH_ANYTHING)
    register(UPERNET)
    register(VITMATTE)
    for row in ROWS:
        register(row)

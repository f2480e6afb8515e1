"""Hugging Face vision model types of the sixth wave, as rows of data.

* ``segformer`` (``modeling_segformer.py``): ``SegformerModel``, ``SegformerForImageClassification`` and
  ``SegformerForSemanticSegmentation`` on the ``segformer`` family (:mod:`registry.plugins.segformer`): the Mix
  Transformer encoder of ``num_encoder_blocks`` stages, the classifier or the all-MLP decode head of
  ``decoder_hidden_size`` channels to ``num_labels`` classes. ``strides``, ``downsampling_rates`` and
  ``reshape_last_stage`` change no shape (the patch convolutions' stride and padding; the last stage's reshape).
* ``pvt_v2`` (``modeling_pvt_v2.py``): ``PvtV2Model``, ``PvtV2Backbone`` (the same tensors) and
  ``PvtV2ForImageClassification`` on the ``segformer`` family's ``pvt_v2`` layout (SegFormer's encoder under PVT v2's
  names, ``qkv_bias`` and ``linear_attention`` switches); ``image_size`` and ``strides`` change no shape (no position
  embeddings), nor the backbone outputs.
* ``superpoint`` (``modeling_superpoint.py``): ``SuperPointForKeypointDetection`` on the ``superpoint`` family
  (:mod:`registry.plugins.superpoint`); ``SuperPointModel``, the class the first published configs name (transformers
  5 has none of that name: its auto class builds SuperPointForKeypointDetection), is read as the same model. The
  keypoint selection's fields (threshold, maximum, NMS radius, border) change no shape.
* ``metaclip_2`` (``modeling_metaclip_2.py``): ``MetaClip2Model`` on the ``dual-encoder`` family, CLIP's towers,
  projections and names tensor for tensor (``modular_metaclip_2.py`` builds them from CLIP's classes), read as
  ``clip`` is (a legacy ``<tower>_config_dict`` included) over MetaClip2's own defaults.
* ``textnet`` (``modeling_textnet.py``): ``TextNetModel``, ``TextNetBackbone`` and ``TextNetForImageClassification``
  on the ``textnet`` family (:mod:`registry.plugins.textnet`); ``image_size``, the stem's activation and the backbone
  outputs change no shape.
* ``vivit`` (``modeling_vivit.py``): ``VivitModel`` (with its pooler) and ``VivitForVideoClassification`` on the
  ``vivit`` family (:mod:`registry.plugins.vivit`); ``image_size`` a side or a ``[height, width]`` pair.
* ``vitdet`` (``modeling_vitdet.py``): ``VitDetModel`` on the ``vitdet`` family (:mod:`registry.plugins.vitdet`,
  ``head = "none"``), read as ViTMatte reads its ``backbone_config`` (``types_vision_dense._VITDET``); the backbone
  outputs (``out_features``, ``out_indices``, ``stage_names``) change no shape (VitDetModel has no final norm).
"""

from __future__ import annotations

from dataclasses import replace

from registry import ConfigReader, Mapped, ModelType, Params, Row, hookimpl, short_value
from registry.plugins.dual_encoder import DualEncoderParams
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.hf_common import num_labels
from registry.plugins.types_vision_dense import VITDET
from registry.plugins.vision import VisionParams
from registry.plugins.vision_model_types import CLIP_VISION, dual_text_row, tower_params, tower_config


def _segformer_head(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (SegFormer): the bare encoder for SegformerModel; the classifier or the decode head of transformers'
    ``num_labels`` classes (``len(id2label)`` when ``num_labels`` is not given, else 2) for the head classes."""
    if cls == "SegformerModel":
        params["head"] = ("architectures", "none")
        return
    params["head"] = ("architectures", "classifier" if cls == "SegformerForImageClassification" else "segmentation")
    params["n_labels"] = num_labels(cfg)  # 0 refused (transformers: zero-size classifiers)


def _pvt_v2_head(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (PVT v2): the classifier of PvtV2ForImageClassification, of ``len(id2label)`` outputs when given, else
    ``num_labels`` (2 by default; 0: transformers holds an identity); the bare encoder for the other classes."""
    if cls != "PvtV2ForImageClassification":
        params["head"] = ("architectures", "none")
        return
    params["head"] = ("architectures", "classifier")
    labels = cfg.raw("id2label")
    if isinstance(labels, dict) and not cfg.has("num_labels"):
        params["n_labels"] = ("id2label", len(labels))
    else:
        params["n_labels"] = ("num_labels", cfg.int("num_labels", 2, minimum=0))


def _labels_or_identity(cfg: ConfigReader, params: Params) -> None:
    """The classifier's outputs: ``len(id2label)`` when given (and no ``num_labels``), else ``num_labels`` (2 by
    default; 0: transformers holds an identity)."""
    labels = cfg.raw("id2label")
    if isinstance(labels, dict) and not cfg.has("num_labels"):
        params["n_labels"] = ("id2label", len(labels))
    else:
        params["n_labels"] = ("num_labels", cfg.int("num_labels", 2, minimum=0))


def _textnet_head(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (TextNet): TextNetModel bare, TextNetBackbone under ``textnet``, the classifier's ``fc``."""
    heads = {"TextNetModel": "none", "TextNetBackbone": "backbone"}
    params["head"] = ("architectures", heads.get(cls, "classifier"))
    if cls == "TextNetForImageClassification":
        _labels_or_identity(cfg, params)


def _vivit(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (ViViT): ``image_size`` one side or a ``[height, width]`` pair (VivitTubeletEmbeddings takes either); the
    classifier of VivitForVideoClassification (``len(id2label)``, else ``num_labels``; 0: an identity), the bare
    model's pooler otherwise (``pooler_output_size``, null: ``hidden_size``)."""
    size = cfg.raw("image_size", DEFAULTS["vivit"]["image_size"])
    if isinstance(size, int) and not isinstance(size, bool) and size > 0:
        size = [size, size]
    if not (isinstance(size, list) and len(size) == 2 and all(isinstance(x, int) and not isinstance(x, bool) and x > 0
                                                                for x in size)):  # fmt: skip
        raise cfg.error("image_size", f"must be a whole number or a [height, width] pair (got {short_value(size)})")
    params["image_height"], params["image_width"] = ("image_size", size[0]), ("image_size", size[1])
    params["pooler_dim"] = ("pooler_output_size", cfg.int("pooler_output_size", None, nullable=True))
    if cls != "VivitForVideoClassification":
        params["head"] = ("architectures", "none")
        return
    params["head"] = ("architectures", "classifier")
    labels = cfg.raw("id2label")
    if isinstance(labels, dict) and not cfg.has("num_labels"):
        params["n_labels"] = ("id2label", len(labels))
    else:
        params["n_labels"] = ("num_labels", cfg.int("num_labels", 2, minimum=0))


def _segformer_strides(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (SegFormer): ``strides`` changes no shape, but transformers builds each of the ``num_encoder_blocks``
    stages' patch embedding with ``strides[i]`` (an IndexError for a shorter list): one whole number per stage."""
    n = params.get("n_stages", (None, DEFAULTS["segformer"]["num_encoder_blocks"]))[1]
    strides = cfg.raw("strides", DEFAULTS["segformer"]["strides"])
    if not isinstance(strides, list) or len(strides) < n or any(
            isinstance(s, bool) or not isinstance(s, int) or s < 1 for s in strides[:n]):
        raise cfg.error("strides", f"must list a whole-number stride >= 1 for each of the {n} stages "
                                   f"(got {short_value(strides)})")  # fmt: skip


_MIX_TRANSFORMER_READS = {
    "n_stages": "num_encoder_blocks", "hidden_sizes": "hidden_sizes", "depths": "depths", "n_heads": "num_attention_heads",
    "sr_ratios": "sr_ratios", "patch_sizes": "patch_sizes", "mlp_ratios": "mlp_ratios", "n_channels": "num_channels",
}  # fmt: skip

ROWS = (
    Row("segformer", "segformer",
        ("SegformerForSemanticSegmentation", "SegformerForImageClassification", "SegformerModel"),
        reads={**_MIX_TRANSFORMER_READS, "decoder_d_model": "decoder_hidden_size"},
        defaults=DEFAULTS["segformer"], rules=(_segformer_head, _segformer_strides),
        shape_free=frozenset(("strides", "downsampling_rates", "reshape_last_stage", "hidden_act",
                              "hidden_dropout_prob", "attention_probs_dropout_prob", "classifier_dropout_prob",
                              "initializer_range", "drop_path_rate", "layer_norm_eps", "semantic_loss_ignore_index",
                              "image_size")),
        description="SegFormer: a Mix Transformer encoder and an all-MLP semantic-segmentation head"),
    Row("pvt_v2", "segformer", ("PvtV2ForImageClassification", "PvtV2Model", "PvtV2Backbone"),
        reads={**_MIX_TRANSFORMER_READS, "qkv_bias": "qkv_bias", "linear_attention": "linear_attention"},
        defaults=DEFAULTS["pvt_v2"], fixed={"layout": "pvt_v2"}, rules=(_pvt_v2_head,),
        shape_free=frozenset(("image_size", "strides", "hidden_act", "hidden_dropout_prob", "attention_probs_dropout_prob",
                              "initializer_range", "drop_path_rate", "layer_norm_eps", "out_features", "out_indices",
                              "stage_names")),
        description="PVT v2: the Mix Transformer encoder (overlapping patches, reduced keys and values, Mix-FFN)"),
    Row("superpoint", "superpoint", ("SuperPointForKeypointDetection", "SuperPointModel"),
        reads={"encoder_sizes": "encoder_hidden_sizes", "decoder_d_model": "decoder_hidden_size",
               "keypoint_dim": "keypoint_decoder_dim", "descriptor_dim": "descriptor_decoder_dim"},
        defaults=DEFAULTS["superpoint"],
        shape_free=frozenset(("keypoint_threshold", "max_keypoints", "nms_radius", "border_removal_distance",
                              "initializer_range")),
        description="SuperPoint: a convolutional interest-point detector and descriptor"),
    Row("textnet", "textnet", ("TextNetBackbone", "TextNetModel", "TextNetForImageClassification"),
        reads={"stem_kernel": "stem_kernel_size", "stem_in": "stem_num_channels", "stem_out": "stem_out_channels",
               "hidden_sizes": "hidden_sizes", "kernel_sizes": "conv_layer_kernel_sizes", "strides": "conv_layer_strides"},
        defaults=DEFAULTS["textnet"], rules=(_textnet_head,),
        shape_free=frozenset(("stem_stride", "stem_act_func", "image_size", "batch_norm_eps", "initializer_range",
                              "depths", "out_features", "out_indices", "stage_names")),
        description="TextNet: FAST's backbone of re-parameterisable convolutions"),
    Row("vivit", "vivit", ("VivitForVideoClassification", "VivitModel"),
        reads={"d_model": "hidden_size", "n_layers": "num_hidden_layers", "n_heads": "num_attention_heads",
               "d_ff": "intermediate_size", "n_channels": "num_channels", "n_frames": "num_frames",
               "tubelet_size": "tubelet_size", "qkv_bias": "qkv_bias"},
        defaults=DEFAULTS["vivit"], rules=(_vivit,),
        shape_free=frozenset(("hidden_act", "hidden_dropout_prob", "attention_probs_dropout_prob", "initializer_range",
                              "layer_norm_eps", "pooler_act", "video_size")),
        description="ViViT: a ViT over a video's tubelets (3-D patch embedding)"),
    replace(VITDET, shape_free=frozenset(("hidden_act", "dropout_prob", "drop_path_rate", "initializer_range",
                                           "layer_norm_eps", "out_features", "out_indices", "stage_names")),
            description="ViTDet: a plain ViT backbone with windowed and residual-block layers"),
)  # fmt: skip


#: MetaCLIP 2's vision tower: CLIP's row over MetaClip2VisionConfig's defaults.
_METACLIP_2_VISION = replace(CLIP_VISION, name="metaclip_2_vision_model", defaults=DEFAULTS["metaclip_2_vision_model"])


def _map_metaclip_2(cfg: ConfigReader, cls: str) -> Mapped:
    """MetaCLIP 2: CLIP's mapping (``vision_model_types._map_clip``) over MetaCLIP 2's defaults."""
    params = tower_params(cfg, tower_config(cfg, "vision"), _METACLIP_2_VISION, "CLIPVisionModel", VisionParams.model_fields)
    params |= tower_params(cfg, tower_config(cfg, "text"), dual_text_row("metaclip_2"), cls, DualEncoderParams.model_fields)
    params["projection_dim"] = ("projection_dim", cfg.int("projection_dim", DEFAULTS["metaclip_2"]["projection_dim"]))
    return Mapped("dual-encoder", params)


METACLIP_2 = ModelType(
    "metaclip_2", ("MetaClip2Model",), _map_metaclip_2,
    frozenset(("text_config", "vision_config", "logit_scale_init_value", "initializer_factor", "projection_dim",
               "text_config_dict", "vision_config_dict")),
    "MetaCLIP 2: CLIP's text and vision towers (a worldwide vocabulary)",
)  # fmt: skip


@hookimpl
def register_model_types(register):
    """Map segformer, pvt_v2, superpoint, textnet, vivit, vitdet and metaclip_2."""
    for row in ROWS:
        register(row)
    register(METACLIP_2)

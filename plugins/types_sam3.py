"""SAM 3 (``sam3``, ``Sam3Model``: promptable concept segmentation) and SAM 3 video (``sam3_video``,
``Sam3VideoModel``) as composites of rows of data.

``Sam3Config`` (``configuration_sam3.py`` of transformers 5.25) holds six sub-configs, each read by its own row here
(their families in :mod:`registry.plugins.sam3`) and placed where ``Sam3Model`` holds it, one part each:
``vision_config`` (a ``sam3_vision_model``, its ViT in ``backbone_config``, a ``sam3_vit_model`` that must name its
model_type: transformers cannot build it otherwise) at ``vision_encoder``; ``text_config`` (CLIP's text encoder,
built as ``CLIPTextModelWithProjection``, so with ``text_projection`` of ``projection_dim``) at ``text_encoder``;
``geometry_encoder_config``, ``detr_encoder_config``, ``detr_decoder_config`` and ``mask_decoder_config`` at
``geometry_encoder``, ``detr_encoder``, ``detr_decoder`` and ``mask_decoder``; the ``heads`` part
(``text_projection``, ``dot_product_scoring``) joins them at the root. ``--part`` counts one part alone. A
sub-config left out would take its class's defaults in transformers; registry refuses it rather than guess a
part's sizes. Windows, global layers, RoPE, image sizes, activations, dropout and norms' epsilons change no shape.

``Sam3VideoConfig`` (``configuration_sam3_video.py``) holds a ``sam3`` ``detector_config`` (the same parts, under
``detector_model``) and a ``sam3_tracker_video`` ``tracker_config``: ``Sam3TrackerVideoModel`` built with
``remove_vision_encoder``, i.e. SAM 2's prompt encoder, mask decoder, memory attention and memory encoder on the
``sam2`` family without its image encoder, its width the ``fpn_hidden_size`` of the tracker's ``vision_config``
(part ``tracker``, at ``tracker_model``; a left-out ``tracker_config`` takes its class's defaults, as transformers);
and ``tracker_neck``, a second FPN neck of the detector's vision config (part ``tracker_neck``). The tracking
thresholds change no shape.
"""

from __future__ import annotations

from registry import Composite, ConfigReader, Row, Tower, hookimpl, short_value
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.sam2 import Sam2Params
from registry.plugins.types_sam2 import READS, SHAPE_FREE, rope
from registry.plugins.vision_model_types import tower_params

#: What changes no shape in every detector stage.
_STAGE_FREE = ("dropout", "hidden_act", "hidden_dropout", "layer_norm_eps", "initializer_range")


def _backbone(cfg: ConfigReader, cls: str, params: dict) -> None:
    """Rule: a ``backbone_config`` must be an object naming its model_type ``sam3_vit_model`` (transformers looks
    its configuration class up by that name: a KeyError without it)."""
    backbone = cfg.raw("backbone_config")
    if backbone is None:
        return
    if not isinstance(backbone, dict):
        raise cfg.error("backbone_config", f"must be an object of the ViT's fields (got {short_value(backbone)})")
    kind = backbone.get("model_type")
    if kind != "sam3_vit_model":
        raise cfg.error("backbone_config", f"model_type {short_value(kind)}: give 'sam3_vit_model' (transformers "
                                           "builds its configuration class from that name)")  # fmt: skip


_VIT = ("hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "num_channels", "patch_size",
        "pretrain_image_size")  # fmt: skip
VISION = Row(
    "sam3_vision_model", "sam3-vision", ("Sam3VisionModel",),
    reads={**{name: f"backbone_config.{key}" for name, key in zip(
               ("d_model", "n_layers", "n_heads", "d_ff", "n_channels", "patch_size", "pretrain_image_size"), _VIT)},
           "fpn_hidden_size": "fpn_hidden_size", "scale_factors": "scale_factors?"},
    defaults={**DEFAULTS["sam3_vision_model"], **{f"backbone_config.{k}": v for k, v in DEFAULTS["sam3_vit_model"].items()}},
    rules=(_backbone,),
    shape_free=frozenset(("backbone_feature_sizes", "hidden_act", "layer_norm_eps", "initializer_range", "backbone_config",
                          *(f"backbone_config.{k}" for k in DEFAULTS["sam3_vit_model"] if k not in _VIT),
                          "backbone_config.model_type")),
    description="SAM 3's image encoder: a ViT with 2-D RoPE and windows, an FPN neck",
)  # fmt: skip

_STAGE_READS = {"d_model": "hidden_size", "n_layers": "num_layers|num_hidden_layers",
                "n_heads": "num_attention_heads", "d_ff": "intermediate_size"}  # fmt: skip
STAGES = (
    Row("sam3_geometry_encoder", "sam3-geometry", ("Sam3GeometryEncoder",),
        reads={**_STAGE_READS, "n_layers": "num_layers", "roi_size": "roi_size"},
        defaults=DEFAULTS["sam3_geometry_encoder"], shape_free=frozenset(_STAGE_FREE),
        description="SAM 3's geometry (box prompt) encoder"),
    Row("sam3_detr_encoder", "sam3-detr-encoder", ("Sam3DetrEncoder",), reads=_STAGE_READS,
        defaults=DEFAULTS["sam3_detr_encoder"], shape_free=frozenset(_STAGE_FREE),
        description="SAM 3's DETR encoder"),
    Row("sam3_detr_decoder", "sam3-detr-decoder", ("Sam3DetrDecoder",),
        reads={**_STAGE_READS, "num_queries": "num_queries"}, defaults=DEFAULTS["sam3_detr_decoder"],
        shape_free=frozenset(_STAGE_FREE),
        description="SAM 3's DETR decoder (queries, box refinement, presence token)"),
    Row("sam3_mask_decoder", "sam3-mask-decoder", ("Sam3MaskDecoder",),
        reads={"d_model": "hidden_size", "n_layers": "num_upsampling_stages", "n_heads": "num_attention_heads"},
        defaults=DEFAULTS["sam3_mask_decoder"],
        shape_free=frozenset(("dropout", "layer_norm_eps", "initializer_range")),
        description="SAM 3's mask decoder"),
)  # fmt: skip


def _text_projection(key: str):
    """Rule: ``Sam3Model`` builds ``CLIPTextModelWithProjection``: ``text_projection`` has ``projection_dim``
    outputs (CLIPTextConfig's default when the sub-config ``key`` leaves it out)."""

    def rule(cfg: ConfigReader, cls: str, parts: dict) -> None:
        text = cfg.data
        for name in key.split("."):  # the towers have checked that each level is an object
            text = text[name]
        value = text.get("projection_dim", DEFAULTS["clip_text_model"]["projection_dim"])
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise cfg.error(f"{key}.projection_dim", f"must be a whole number >= 1 (got {short_value(value)})")
        parts["text"]["projection_dim"] = (f"{key}.projection_dim", value)

    rule.__doc__ = _text_projection.__doc__
    return rule


def _heads(cfg: ConfigReader, parts: dict) -> dict:
    """The heads' widths: the text encoder's, the DETR encoder's, the DETR decoder's (and its MLP width)."""
    return {"text_d_model": parts["text"]["d_model"], "encoder_d_model": parts["detr_encoder"]["d_model"],
            "decoder_d_model": parts["detr_decoder"]["d_model"], "decoder_d_ff": parts["detr_decoder"]["d_ff"]}  # fmt: skip


def _detector(config: str, path: str) -> tuple[Tower, ...]:
    """``Sam3Model``'s parts, its sub-configs under ``config`` (``""``: the top level), its modules under ``path``."""
    at = (lambda key: f"{config}.{key}") if config else (lambda key: key)
    where = (lambda name: f"{path}.{name}") if path else (lambda name: name)
    return (Tower("vision", config=at("vision_config"), model_type="sam3_vision_model", path=where("vision_encoder")),
            Tower("text", config=at("text_config"), model_type="clip_text_model", path=where("text_encoder")),
            Tower("geometry", config=at("geometry_encoder_config"), model_type="sam3_geometry_encoder",
                  path=where("geometry_encoder")),
            *(Tower(part, config=at(f"{part}_config"), model_type=f"sam3_{part}", path=where(part))
              for part in ("detr_encoder", "detr_decoder", "mask_decoder")),
            Tower("heads", family="sam3-heads", params=_heads, path=path))  # fmt: skip


SAM3 = Composite(
    "sam3", "composite", ("Sam3Model",), _detector("", ""),
    rules=(_text_projection("text_config"),), shape_free=frozenset(("initializer_range",)),
    description="SAM 3: a ViT with an FPN neck, CLIP's text encoder, a geometry encoder, a DETR encoder-decoder, "
                "a mask decoder",
)  # fmt: skip


def _tracker_width(cfg: ConfigReader, cls: str, params: dict) -> None:
    """Rule: the tracker's width is its ``vision_config``'s ``fpn_hidden_size`` (a ``sam3_vision_model``; the tracker
    builds no image encoder of its own, ``remove_vision_encoder``)."""
    vision = cfg.raw("vision_config")
    vision = {} if vision is None else vision
    if not isinstance(vision, dict):
        raise cfg.error("vision_config", f"must be an object of the vision model's fields (got {short_value(vision)})")
    if vision.get("model_type", "sam3_vision_model") != "sam3_vision_model":
        raise cfg.error("vision_config", f"model_type {short_value(vision.get('model_type'))}: only a sam3_vision_model "
                                         "is mapped here")  # fmt: skip
    width = vision.get("fpn_hidden_size", DEFAULTS["sam3_vision_model"]["fpn_hidden_size"])
    if isinstance(width, bool) or not isinstance(width, int) or width < 1:
        raise cfg.error("vision_config.fpn_hidden_size", f"must be a whole number >= 1 (got {short_value(width)})")
    params["fpn_hidden_size"] = ("vision_config.fpn_hidden_size", width)


#: ``tracker_config`` (a ``sam3_tracker_video``) on the ``sam2`` family: SAM 2's prompt encoder, mask decoder, memory
#: attention and memory encoder, without an image encoder. Read through :func:`_tracker`, not a model type of its own:
#: no published config of ``sam3_tracker_video`` alone was found.
TRACKER = Row("sam3_tracker_video", "sam2", ("Sam3TrackerVideoModel",), reads=READS, defaults=DEFAULTS["sam3_tracker_video"],
              rules=(_tracker_width, rope), fixed={"video": True, "vision_encoder": False},
              shape_free=SHAPE_FREE | {"vision_config", "image_size"})  # fmt: skip


def _tracker(cfg: ConfigReader, parts: dict) -> dict:
    """The tracker's hyper-parameters, read from ``tracker_config`` (which must name no other model type)."""
    sub = cfg.raw("tracker_config")
    if sub is not None and not isinstance(sub, dict):
        raise cfg.error("tracker_config", f"must be an object of the tracker's fields, or null (got {short_value(sub)})")
    kind = (sub or {}).get("model_type", "sam3_tracker_video")
    if kind != "sam3_tracker_video":
        raise cfg.error("tracker_config", f"model_type {short_value(kind)}: only a sam3_tracker_video is mapped here")
    return tower_params(cfg, "tracker_config", TRACKER, "Sam3TrackerVideoModel", Sam2Params.model_fields)


def _neck(cfg: ConfigReader, parts: dict) -> dict:
    """``tracker_neck``: a second FPN neck of the detector's vision config, without its ViT."""
    return {**parts["vision"], "backbone": ("detector_config.vision_config", False)}


def _detector_type(cfg: ConfigReader, cls: str, parts: dict) -> None:
    """Rule: ``detector_config`` is a ``sam3`` config (``Sam3Model``, built by ``AutoModel``)."""
    kind = cfg.raw("detector_config").get("model_type", "sam3")
    if kind != "sam3":
        raise cfg.error("detector_config", f"model_type {short_value(kind)}: only a sam3 detector is mapped here")


SAM3_VIDEO = Composite(
    "sam3_video", "composite", ("Sam3VideoModel",), (
        *_detector("detector_config", "detector_model"),
        Tower("tracker", family="sam2", params=_tracker, path="tracker_model"),
        Tower("tracker_neck", family="sam3-vision", params=_neck, path="tracker_neck"),
    ), rules=(_detector_type, _text_projection("detector_config.text_config")),
    shape_free=frozenset(("initializer_range", "tracker_config", "detector_config", "image_size",
                          *(k for k in DEFAULTS["sam3_video"] if k not in ("detector_config", "tracker_config")))),
    description="SAM 3 video: SAM 3's detector, SAM 2's tracker (memory attention and encoder) and a second FPN neck",
)  # fmt: skip


@hookimpl
def register_model_types(register):
    """Map sam3, sam3_video and the sub-configs' model types."""
    for row in (VISION, *STAGES, SAM3, SAM3_VIDEO):
        register(row)

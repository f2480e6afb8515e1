"""SAM 3 (``sam3``, ``Sam3Model``: promptable concept segmentation) as a composite of rows of data.

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
"""

from __future__ import annotations

from registry import Composite, ConfigReader, Row, Tower, hookimpl, short_value
from registry.plugins.generated_defaults import DEFAULTS

#: Fields no Sam3 configuration class defines that published configs carry (tiny-random/sam3's, written by an
#: earlier port and an older transformers: ``rope_theta`` before ``rope_parameters``); transformers ignores them.
_LEGACY = {"sam3_vision_model": ("fpn_kernel_size", "fpn_stride", "num_feature_levels", *(f"backbone_config.{k}" for k in (
               "qkv_bias", "fpn_hidden_size", "rope_theta", "add_cross_attention", "cross_attention_hidden_size",
               "tie_word_embeddings"))),
           "sam3_detr_decoder": ("box_rpb_mode", "use_presence_token"), "sam3_mask_decoder": ("intermediate_size",)}
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
                          *_LEGACY["sam3_vision_model"],
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
        shape_free=frozenset((*_STAGE_FREE, *_LEGACY["sam3_detr_decoder"])),
        description="SAM 3's DETR decoder (queries, box refinement, presence token)"),
    Row("sam3_mask_decoder", "sam3-mask-decoder", ("Sam3MaskDecoder",),
        reads={"d_model": "hidden_size", "n_layers": "num_upsampling_stages", "n_heads": "num_attention_heads"},
        defaults=DEFAULTS["sam3_mask_decoder"],
        shape_free=frozenset(("dropout", "layer_norm_eps", "initializer_range", *_LEGACY["sam3_mask_decoder"])),
        description="SAM 3's mask decoder"),
)  # fmt: skip


def _text_projection(cfg: ConfigReader, cls: str, parts: dict) -> None:
    """Rule: ``Sam3Model`` builds ``CLIPTextModelWithProjection``: ``text_projection`` has ``projection_dim``
    outputs (CLIPTextConfig's default when the sub-config leaves it out)."""
    value = cfg.raw("text_config").get("projection_dim", DEFAULTS["clip_text_model"]["projection_dim"])
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise cfg.error("text_config.projection_dim", f"must be a whole number >= 1 (got {short_value(value)})")
    parts["text"]["projection_dim"] = ("text_config.projection_dim", value)


def _heads(cfg: ConfigReader, parts: dict) -> dict:
    """The heads' widths: the text encoder's, the DETR encoder's, the DETR decoder's (and its MLP width)."""
    return {"text_d_model": parts["text"]["d_model"], "encoder_d_model": parts["detr_encoder"]["d_model"],
            "decoder_d_model": parts["detr_decoder"]["d_model"], "decoder_d_ff": parts["detr_decoder"]["d_ff"]}  # fmt: skip


SAM3 = Composite(
    "sam3", "composite", ("Sam3Model",), (
        Tower("vision", config="vision_config", model_type="sam3_vision_model", path="vision_encoder"),
        Tower("text", config="text_config", model_type="clip_text_model", path="text_encoder"),
        Tower("geometry", config="geometry_encoder_config", model_type="sam3_geometry_encoder", path="geometry_encoder"),
        Tower("detr_encoder", config="detr_encoder_config", model_type="sam3_detr_encoder", path="detr_encoder"),
        Tower("detr_decoder", config="detr_decoder_config", model_type="sam3_detr_decoder", path="detr_decoder"),
        Tower("mask_decoder", config="mask_decoder_config", model_type="sam3_mask_decoder", path="mask_decoder"),
        Tower("heads", family="sam3-heads", params=_heads),
    ), rules=(_text_projection,), shape_free=frozenset(("initializer_range",)),
    description="SAM 3: a ViT with an FPN neck, CLIP's text encoder, a geometry encoder, a DETR encoder-decoder, "
                "a mask decoder",
)  # fmt: skip


@hookimpl
def register_model_types(register):
    """Map sam3 and its sub-configs' model types."""
    for row in (VISION, *STAGES, SAM3):
        register(row)

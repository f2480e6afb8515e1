"""More vision-language model types, as composites of mapped types: lfm2_vl, exaone4_5, idefics3,
smolvlm and internvl (and the towers they add: ``internvl_vision``, the ``internvl-vision`` family;
``exaone4_5_vision``, the ``qwen-vision`` family's Qwen2.5-VL layout with grouped-query
attention; ``idefics3_vision`` and ``smolvlm_vision``, SigLIP's vision transformer without its head).
LFM2-VL's tower, ``siglip2_vision_model``, is in :mod:`registry.plugins.vision_model_types`.

Each is a :class:`registry.Composite` as in :mod:`registry.plugins.vlm_types`: its towers, its
projector (a layout of the ``projector`` family that pixel-shuffles the vision tokens first), and
where transformers 5.25 puts each part (``modeling_<type>.py``).
"""

from __future__ import annotations

from registry import Composite, ConfigReader, Params, Row, Tower, hookimpl, short_value
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.vision_model_types import VISION_READS, VISION_SHAPE_FREE
from registry.plugins.vlm_types import PROJECTOR, TEXT_MOVES, VISION, composite_lm_head, tie


def _default(cfg: ConfigReader, key: str):
    """transformers' default of a top-level field of this config's model type (its configuration class)."""
    return DEFAULTS[cfg.data["model_type"]][key]


def _width(parts: dict[str, Params], part: str) -> int:
    return parts[part]["d_model"][1]


# --- towers ----------------------------------------------------------------------------------------


#: EXAONE 4.5's vision tower (``Exaone4_5_VisionModel``): Qwen2.5-VL's (RMS norms, SwiGLU MLP, patch
#: merger; window attention has no tensors), its fused query/key/value projection grouped-query.
EXAONE4_5_VISION = Row(
    "exaone4_5_vision", "qwen-vision", ("Exaone4_5_VisionModel",),
    reads={"n_layers": "depth", "n_heads": "num_heads", "n_kv_heads": "num_key_value_heads", "n_channels": "in_channels",
           "patch_size": "patch_size", "temporal_patch_size": "temporal_patch_size",
           "spatial_merge_size": "spatial_merge_size", "d_model": "hidden_size", "d_ff": "intermediate_size",
           "d_out": "out_hidden_size"},
    defaults=DEFAULTS["exaone4_5_vision"], fixed={"layout": "qwen2_5_vl"},
    shape_free=frozenset(("hidden_act", "initializer_range", "rope_parameters", "window_size", "fullatt_block_indexes")),
    description="the vision tower of an exaone4_5 config (vision_config)",
)  # fmt: skip



def _siglip_tower(name: str, cls: str) -> Row:
    """Idefics3's and SmolVLM's vision transformer (``<X>VisionTransformer``): SigLIP's, without its head."""
    return Row(name, "vision", (cls,), reads={**VISION_READS, "d_ff": "intermediate_size"}, defaults=DEFAULTS[name],
               fixed={"layout": "siglip", "class_token": False}, shape_free=VISION_SHAPE_FREE,
               description=f"the vision tower of a {name[:-7]} config (vision_config)")  # fmt: skip


IDEFICS3_VISION = _siglip_tower("idefics3_vision", "Idefics3VisionTransformer")
SMOLVLM_VISION = _siglip_tower("smolvlm_vision", "SmolVLMVisionTransformer")


def _pair(cfg: ConfigReader, key: str) -> tuple[int, int]:
    """A size given as one whole number or as ``[height, width]`` (``InternVLVisionConfig.__post_init__``)."""
    value = cfg.raw(key, DEFAULTS["internvl_vision"][key])
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value, value
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in value):
        return value[0], value[1]
    raise cfg.error(key, f"must be a whole number >= 1 or a list [height, width] of them (got {short_value(value)})")


def _internvl_sizes(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (InternViT): image and patch sizes (square or ``[height, width]``), the norm kind, mean pooling."""
    for key, name in (("image_size", "image"), ("patch_size", "patch")):
        height, width = _pair(cfg, key)
        params[f"{name}_height"], params[f"{name}_width"] = (key, height), (key, width)
    cfg.expect("norm_type", ("layer_norm", "rms_norm"), "InternViT's norms are layer_norm or rms_norm")
    params["rms_norm"] = ("norm_type", cfg.raw("norm_type", DEFAULTS["internvl_vision"]["norm_type"]) == "rms_norm")
    params["final_norm"] = ("use_mean_pooling", not cfg.bool("use_mean_pooling", DEFAULTS["internvl_vision"]["use_mean_pooling"]))


#: InternVL's vision tower (``InternVLVisionModel``).
INTERNVL_VISION = Row(
    "internvl_vision", "internvl-vision", ("InternVLVisionModel",),
    reads={"d_model": "hidden_size", "n_layers": "num_hidden_layers", "n_heads": "num_attention_heads",
           "d_ff": "intermediate_size", "n_channels": "num_channels", "qkv_bias": "attention_bias",
           "qk_norm": "use_qk_norm", "mask_token": "use_mask_token", "positions": "use_absolute_position_embeddings"},
    defaults=DEFAULTS["internvl_vision"], rules=(_internvl_sizes,),
    shape_free=VISION_SHAPE_FREE | {"projection_dropout", "layer_scale_init_value"},
    description="the vision tower of an internvl config (InternViT)",
)  # fmt: skip


# --- projectors ------------------------------------------------------------------------------------


def lfm2_vl_projector(cfg: ConfigReader, parts: dict[str, Params]) -> Params:
    """LFM2-VL's ``Lfm2VlMultiModalProjector``: pixel unshuffle of ``downsample_factor``, an optional
    layer norm, ``linear_1`` to ``projector_hidden_size``, ``linear_2`` to the text width."""
    return {"layout": ("model_type", "lfm2_vl"), "d_in": ("vision_config.hidden_size", _width(parts, "vision")),
            "d_out": ("text_config.hidden_size", _width(parts, "text")),
            "factor": ("downsample_factor", cfg.int("downsample_factor", _default(cfg, "downsample_factor"))),
            "d_hidden": ("projector_hidden_size", cfg.int("projector_hidden_size", _default(cfg, "projector_hidden_size"))),
            "layer_norm": ("projector_use_layernorm", cfg.bool("projector_use_layernorm", _default(cfg, "projector_use_layernorm"))),
            "bias": ("projector_bias", cfg.bool("projector_bias", _default(cfg, "projector_bias")))}  # fmt: skip


def idefics3_connector(cfg: ConfigReader, parts: dict[str, Params]) -> Params:
    """Idefics3's and SmolVLM's connector: pixel shuffle of ``scale_factor``, then one linear without bias
    (``modality_projection.proj``) to the text width."""
    return {"layout": ("model_type", "idefics3"), "d_in": ("vision_config.hidden_size", _width(parts, "vision")),
            "d_out": ("text_config.hidden_size", _width(parts, "text")),
            "factor": ("scale_factor", cfg.int("scale_factor", _default(cfg, "scale_factor")))}  # fmt: skip


def internvl_projector(cfg: ConfigReader, parts: dict[str, Params]) -> Params:
    """InternVL's ``InternVLMultiModalProjector``: pixel shuffle of ``int(1 / downsample_ratio)``, a layer norm,
    ``linear_1`` and ``linear_2`` of the text width."""
    ratio = cfg.raw("downsample_ratio", _default(cfg, "downsample_ratio"))
    if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not 0 < ratio <= 1:
        raise cfg.error("downsample_ratio", f"must be a number in (0, 1] (got {short_value(ratio)})")
    return {"layout": ("model_type", "internvl"), "d_in": ("vision_config.hidden_size", _width(parts, "vision")),
            "d_out": ("text_config.hidden_size", _width(parts, "text")), "factor": ("downsample_ratio", int(1 / ratio))}  # fmt: skip


def _lfm2_vl_tie(cfg: ConfigReader, cls: str, parts: dict[str, Params]) -> tuple[str, ...]:
    """Rule (LFM2-VL): ``tie_embedding``, when given, stands for ``tie_word_embeddings``
    (``Lfm2VlConfig.__post_init__``); then the top level's ties the language model's head."""
    if cfg.has("tie_embedding"):
        cfg.raw("tie_word_embeddings")  # read, and overridden (as transformers does)
        value = cfg.bool("tie_embedding", True)
        parts["text"]["tie_word_embeddings"] = ("tie_embedding", value)
        return ()
    return tie()(cfg, cls, parts)


def _towers(text: str, vision: str, projector, *, vision_types=(), text_types=("*",)) -> tuple[Tower, ...]:
    """Vision tower, projector, language model: in the order transformers builds them."""
    return (
        Tower("vision", config="vision_config", model_type=vision, model_types=vision_types, path=VISION),
        Tower("projector", family="projector", params=projector, path=PROJECTOR),
        Tower("text", config="text_config", model_type=text, model_types=text_types, moves=TEXT_MOVES),
    )


#: LFM2-VL's image processing settings (tiling, token budgets): no shapes.
_LFM2_VL_FREE = frozenset((
    "image_token_id", "projector_hidden_act", "do_image_splitting", "encoder_patch_size", "max_image_tokens",
    "min_image_tokens", "max_pixels_tolerance", "max_tiles", "min_tiles", "tile_size", "use_image_special_tokens",
    "use_thumbnail",
))  # fmt: skip

#: EXAONE 4.5's special tokens' ids: no shapes (the published file's vision_token_id, vision_start_token_id,
#: vision_end_token_id and vocab_size are no fields of ``Exaone4_5_Config``: reported as ignored).
_EXAONE4_5_FREE = frozenset(("image_token_id", "video_token_id"))
#: EXAONE 4.5: the tower (``model.visual``, its merger the connector) and the language model, which
#: ``Exaone4_5_Config`` reads as ``exaone4`` when the file says ``exaone4_5_text``.
_EXAONE4_5_TOWERS = (
    Tower("vision", config="vision_config", model_type="exaone4_5_vision", path="model.visual"),
    Tower("text", config="text_config", model_type="exaone4", renames={"exaone4_5_text": "exaone4"}, moves=TEXT_MOVES),
)

def _idefics3(name: str, cls: str, vision: str, what: str) -> Composite:
    """Idefics3 and SmolVLM: the towers under ``model.vision_model``, ``model.connector``, ``model.text_model``."""
    towers = (
        Tower("vision", config="vision_config", model_type=vision, path="model.vision_model"),
        Tower("projector", family="projector", params=idefics3_connector, path="model.connector"),
        Tower("text", config="text_config", model_type="llama", model_types=("*",), moves={"model": "model.text_model"}),
    )  # fmt: skip
    return Composite(name, "composite", (cls,), towers, rules=(tie(),), shape_free=frozenset(("image_token_id", "use_cache", "_pad_token_id")),
                     description=f"{what}: SigLIP-style tower, pixel-shuffle connector, any mapped language model")  # fmt: skip


#: The composite model types (the module's docstring lists them).
COMPOSITES = (
    Composite("lfm2_vl", "composite", ("Lfm2VlForConditionalGeneration",),
              _towers("lfm2", "siglip2_vision_model", lfm2_vl_projector),
              rules=(_lfm2_vl_tie,), shape_free=_LFM2_VL_FREE | {"tie_embedding"},
              description="LFM2-VL: SigLIP2 tower, pixel-unshuffle projector, any mapped language model"),
    Composite("exaone4_5", "composite", ("Exaone4_5_ForConditionalGeneration",), _EXAONE4_5_TOWERS,
              rules=(composite_lm_head, tie()), shape_free=_EXAONE4_5_FREE,
              description="EXAONE 4.5: Qwen2.5-VL-style tower with grouped-query attention, exaone4"),
    Composite("internvl", "composite", ("InternVLForConditionalGeneration",),
              _towers("qwen2", "internvl_vision", internvl_projector),
              rules=(tie(),), shape_free=frozenset(("image_token_id", "image_seq_length", "projector_hidden_act",
                                                    "vision_feature_layer", "vision_feature_select_strategy")),
              description="InternVL: InternViT tower, pixel-shuffle projector, any mapped language model"),
    _idefics3("idefics3", "Idefics3ForConditionalGeneration", "idefics3_vision", "Idefics3"),
    _idefics3("smolvlm", "SmolVLMForConditionalGeneration", "smolvlm_vision", "SmolVLM"),
)  # fmt: skip


@hookimpl
def register_model_types(register):
    """Map the vision towers and composites of this module."""
    register(EXAONE4_5_VISION)
    register(IDEFICS3_VISION)
    register(SMOLVLM_VISION)
    register(INTERNVL_VISION)
    for composite in COMPOSITES:
        register(composite)

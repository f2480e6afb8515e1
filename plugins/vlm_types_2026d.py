"""Apple's FastVLM (``fast_vlm``) as a composite: a timm FastViT tower, LLaVA's projector, any mapped language model.

transformers 5.25's ``FastVlmForConditionalGeneration`` (``modeling_fast_vlm.py``) builds
``model.vision_tower`` with ``AutoModel.from_config(vision_config)``: the published ``vision_config`` is a
``timm_wrapper`` one, ``TimmWrapperModel``, i.e. ``timm.create_model(architecture, num_classes=0, **model_args)``.
``timm_wrapper`` wraps any timm model, so it stays unmapped as a model type; this row reads the vision config itself
and builds the FastViT architectures of the ``fastvit`` family (:mod:`registry.plugins.fastvit`; FastVLM's is
``fastvit_mci3``, FastViT-HD), refusing any other. ``model_args`` may say ``inference_mode`` (the published
configs: true, timm's fused re-parameterised convolutions; absent or false: the training-time branches); any other
key would change timm's model and is refused. ``model.multi_modal_projector`` is ``FastVlmMultiModalProjector``
(LLaVA's two linears: ``vision_config.hidden_size``, which the config must give, to the text width, then the text
width; biases as ``multimodal_projector_bias``), ``model.language_model`` the ``text_config``'s base model, and
``lm_head`` tied as ``FastVlmConfig.__post_init__`` says (the top-level ``tie_word_embeddings``, or the text
config's when that is false). ``FastVlmConfig.validate_architecture`` takes only ``vision_feature_layer`` -1 and
``vision_feature_select_strategy`` "full"; so does the row.

Images are refused (:data:`FAST_VLM_IMAGES`): the tower gives a token per 64×64 pixels of the processed image, but
the side it is resized to is the processor's (``preprocessor_config.json``), which config.json does not give.
"""

from __future__ import annotations

from registry import (COMMON_SHAPE_FREE, Composite, ConfigReader, ImageRule, ImageTokens, Params, SubConfig, Tower,
                      hookimpl, short_value)
from registry.plugins.fastvit import LAYOUTS
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.vlm_types import PROJECTOR, TEXT_MOVES, VISION, composite_lm_head, tie

_DEFAULTS = DEFAULTS["fast_vlm"]
#: ``TimmWrapperConfig``'s default ``architecture`` (what transformers builds when the vision config names none).
TIMM_DEFAULT_ARCHITECTURE = "resnet50"
#: The vision config's fields that change no shape of the tower: ``TimmWrapperModel`` always builds
#: ``num_classes=0`` and passes timm nothing but ``architecture`` and ``model_args``; ``hidden_size`` is the
#: projector's (read there), ``global_pool`` and ``num_features`` are extra attributes transformers keeps.
TIMM_SHAPE_FREE = frozenset(("do_pooling", "global_pool", "num_features", "num_classes", "label_names",
                             "pretrained_cfg", "initializer_range", "hidden_size"))  # fmt: skip


def _vision(cfg: ConfigReader) -> SubConfig:
    """The ``vision_config``, a ``timm_wrapper`` one (refused otherwise)."""
    sub = SubConfig(cfg, "vision_config")
    kind = sub.raw("model_type", "timm_wrapper")
    if kind != "timm_wrapper":
        raise sub.error("model_type", f"{short_value(kind)} is not supported here; supported: timm_wrapper")
    return sub


def fastvit_tower(cfg: ConfigReader, parts: dict[str, Params]) -> Params:
    """The vision tower's params: the FastViT ``architecture`` and ``model_args``' ``inference_mode``; the vision
    config's other fields are shape-free or refused (``--strict`` names the unknown ones)."""
    sub = _vision(cfg)
    name = sub.raw("architecture", TIMM_DEFAULT_ARCHITECTURE)
    if name not in LAYOUTS:
        raise sub.error("architecture", f"timm architecture {short_value(name)} is not a FastViT registry builds "
                        f"(known: {', '.join(LAYOUTS)}); timm_wrapper towers of other timm models are not mapped")
    args = sub.raw("model_args", None)
    if args is not None and not isinstance(args, dict):
        raise sub.error("model_args", f"must be an object or null (got {short_value(args)})")
    others = sorted(set(args or {}) - {"inference_mode"})
    if others:
        raise sub.error(f"model_args.{others[0]}", "changes timm's model (passed to timm.create_model): registry "
                        "counts the published layouts, with inference_mode only")  # fmt: skip
    fused = (args or {}).get("inference_mode", False)
    if not isinstance(fused, bool):
        raise sub.error("model_args.inference_mode", f"must be true or false (got {short_value(fused)})")
    ignored = sub.finish(COMMON_SHAPE_FREE | TIMM_SHAPE_FREE, "timm_wrapper")
    cfg.nested_ignored += [f"vision_config.{k}" for k in ignored if f"vision_config.{k}" not in cfg.nested_ignored]
    return {"architecture": ("vision_config.architecture", name),
            "inference_mode": ("vision_config.model_args.inference_mode", fused)}


def fast_vlm_projector(cfg: ConfigReader, parts: dict[str, Params]) -> Params:
    """``FastVlmMultiModalProjector``: LLaVA's two linears from ``vision_config.hidden_size`` (required: transformers
    reads it, ``TimmWrapperConfig`` has no default) to the text width."""
    sub = _vision(cfg)
    if not sub.has("hidden_size"):
        raise sub.error("hidden_size", "missing: FastVlmMultiModalProjector reads it (the tower's output channels)")
    return {"layout": ("model_type", "llava"), "d_in": ("vision_config.hidden_size", sub.int("hidden_size", None)),
            "d_out": ("text_config.hidden_size", parts["text"]["d_model"][1]),
            "bias": ("multimodal_projector_bias", cfg.bool("multimodal_projector_bias", _DEFAULTS["multimodal_projector_bias"]))}


def _feature_choice(cfg: ConfigReader, cls: str, parts: dict[str, Params]) -> None:
    """Rule: ``FastVlmConfig.validate_architecture`` takes only ``vision_feature_layer`` -1 and
    ``vision_feature_select_strategy`` "full"."""
    cfg.expect("vision_feature_layer", (-1,), "FastVLM takes the tower's last output only (FastVlmConfig: -1)")
    cfg.expect("vision_feature_select_strategy", ("full",), "FastVLM keeps every position (FastVlmConfig: 'full')")


#: Why ``--images`` is refused (module docstring).
IMAGES_WHY = ("FastVLM's tower gives (side/64)² tokens for the side its processor resizes an image to, and that side "
              "is preprocessor_config.json's crop_size (1024 for the published models), which config.json does not give "
              "(vision_config.pretrained_cfg's input_size is timm's pretraining size, not the processor's)")


def _refuse(inputs, height: int, width: int) -> ImageTokens:
    raise ValueError(f"its images are not modelled: {IMAGES_WHY}")


FAST_VLM_IMAGES = ImageRule("FastVLM (not modelled)", resize="function", size="", patch="", function=_refuse,
                            note=IMAGES_WHY)  # fmt: skip

FAST_VLM = Composite(
    "fast_vlm", "composite", ("FastVlmForConditionalGeneration",), (
        Tower("vision", family="fastvit", params=fastvit_tower, path=VISION),
        Tower("projector", family="projector", params=fast_vlm_projector, path=PROJECTOR),
        Tower("text", config="text_config", model_type="qwen2", model_types=("*",), moves=TEXT_MOVES),
    ), rules=(composite_lm_head, tie(from_text=True), _feature_choice),
    shape_free=frozenset(("image_token_index", "image_seq_length", "projector_hidden_act")),
    description="FastVLM: timm FastViT-HD tower (timm_wrapper), LLaVA's projector, any mapped language model (Qwen2)",
    images=FAST_VLM_IMAGES,
)  # fmt: skip


@hookimpl
def register_model_types(register):
    """Map ``fast_vlm``."""
    register(FAST_VLM)

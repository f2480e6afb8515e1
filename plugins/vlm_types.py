"""The vision-language model types, as composites of mapped types: aya_vision, gemma3, llava, llava_next,
mistral3, paligemma (and the towers they add: ``pixtral``, in :mod:`registry.plugins.pixtral`).

Each is a :class:`registry.Composite`: its towers (the sub-config and the model type that
reads it: ``text_config`` -> ``gemma3_text``, ``vision_config`` -> ``siglip_vision_model``), its
projector (the ``projector`` family, its hyper-parameters from both towers and a few top-level
fields), and where transformers 5.25 puts each part (``model.vision_tower.``,
``model.multi_modal_projector.``, ``model.language_model.``, ``lm_head.``;
``modeling_<type>.py``); how an image becomes tokens (:mod:`registry.plugins.image_rules`). The top-level ``tie_word_embeddings`` ties the language model's head
(transformers reads the composite configuration's, not the text config's).
"""

from __future__ import annotations

from registry import Composite, ConfigReader, Params, Tower, hookimpl, short_value
from registry.plugins import image_rules
from registry.plugins.generated_defaults import DEFAULTS

#: Where transformers 5.25's ``<X>ForConditionalGeneration`` puts the towers.
VISION = "model.vision_tower"
PROJECTOR = "model.multi_modal_projector"
#: The language model's body under ``model.language_model``; its ``lm_head`` at the root.
TEXT_MOVES = {"model": "model.language_model"}


def _default(cfg: ConfigReader, key: str):
    """transformers' default of a top-level field of this config's model type (its configuration class)."""
    return DEFAULTS[cfg.data["model_type"]][key]


def composite_lm_head(cfg: ConfigReader, cls: str, parts: dict[str, Params]) -> None:
    """Rule: the composite's class (``...ForConditionalGeneration``) has the language-modelling head (``lm_head``),
    whatever the language model's own class would say."""
    parts["text"]["lm_head"] = ("architectures", True)


def tie(*, from_text: bool = False):
    """Rule: the top-level ``tie_word_embeddings`` (transformers' default for the type) ties the
    language model's head; ``from_text``: LLaVA's configurations also take the text config's
    when the top level's is false (``LlavaConfig.__post_init__``)."""

    def rule(cfg: ConfigReader, cls: str, parts: dict[str, Params]) -> tuple[str, ...]:
        given = cfg.has("tie_word_embeddings")
        value = cfg.bool("tie_word_embeddings", _default(cfg, "tie_word_embeddings"))
        text = parts["text"]
        untied = not text.get("tie_word_embeddings", ("", False))[1]
        if from_text and not value and not untied:
            return ()  # the text config's true stands
        text["tie_word_embeddings"] = ("tie_word_embeddings", value)
        if value and not given and untied:
            return (f"{cfg.path}: tie_word_embeddings: not given; transformers 5.25 ties the language model's head "
                    f"to its embedding (the {cls} configuration's default), although text_config's is false: a "
                    "checkpoint with its own lm_head holds more (--set tie_word_embeddings=false counts it untied)",)
        return ()

    return rule


def _width(parts: dict[str, Params], part: str) -> int:
    return parts[part]["d_model"][1]


def _feature_layers(cfg: ConfigReader) -> int:
    """How many vision layers' features the projector concatenates: one for a whole number, else the list's length."""
    value = cfg.raw("vision_feature_layer", _default(cfg, "vision_feature_layer"))
    if isinstance(value, int) and not isinstance(value, bool):
        return 1
    if isinstance(value, list) and value and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return len(value)
    raise cfg.error("vision_feature_layer", f"must be a whole number or a non-empty list of them (got {short_value(value)})")


def gemma3_projector(cfg: ConfigReader, parts: dict[str, Params]) -> Params:
    """Gemma 3's ``Gemma3MultiModalProjector``: the vision width to the text width."""
    return {"layout": ("model_type", "gemma3"), "d_in": ("vision_config.hidden_size", _width(parts, "vision")),
            "d_out": ("text_config.hidden_size", _width(parts, "text"))}  # fmt: skip


def llava_projector(cfg: ConfigReader, parts: dict[str, Params]) -> Params:
    """LLaVA's ``LlavaMultiModalProjector``: two linears, biases as ``multimodal_projector_bias`` says."""
    return {"layout": ("model_type", "llava"), "d_in": ("vision_config.hidden_size", _width(parts, "vision")),
            "d_out": ("text_config.hidden_size", _width(parts, "text")),
            "n_feature_layers": ("vision_feature_layer", _feature_layers(cfg)),
            "bias": ("multimodal_projector_bias", cfg.bool("multimodal_projector_bias", _default(cfg, "multimodal_projector_bias")))}


def mistral3_projector(cfg: ConfigReader, parts: dict[str, Params]) -> Params:
    """Mistral 3's ``Mistral3MultiModalProjector``: an RMS norm, the patch merger of ``spatial_merge_size``,
    then LLaVA's two linears."""
    merge = cfg.int("spatial_merge_size", _default(cfg, "spatial_merge_size"))
    return {**llava_projector(cfg, parts), "norm": ("model_type", True), "merge": ("spatial_merge_size", merge)}


def llava_next_projector(cfg: ConfigReader, parts: dict[str, Params]) -> Params:
    """LLaVA-NeXT: LLaVA's projector, and the ``image_newline`` of the language model's width."""
    return {**llava_projector(cfg, parts), "image_newline": ("model_type", True)}


def paligemma_projector(cfg: ConfigReader, parts: dict[str, Params]) -> Params:
    """PaliGemma's ``PaliGemmaMultiModalProjector``: one linear to the top-level ``projection_dim``
    (``PaliGemmaConfig`` writes it into the vision config)."""
    return {"layout": ("model_type", "paligemma"), "d_in": ("vision_config.hidden_size", _width(parts, "vision")),
            "d_out": ("projection_dim", cfg.int("projection_dim", _default(cfg, "projection_dim")))}  # fmt: skip


def aya_vision_projector(cfg: ConfigReader, parts: dict[str, Params]) -> Params:
    """Aya Vision's ``AyaVisionMultiModalProjector``: pixel shuffle of ``downsample_factor``, a layer norm,
    ``linear_1`` to ``alignment_intermediate_size`` (no field of ``AyaVisionConfig``: the projector reads it
    with ``getattr``, the text width when absent), SwiGLU of its halves, ``linear_2`` to the text width."""
    text = _width(parts, "text")
    return {"layout": ("model_type", "aya_vision"), "d_in": ("vision_config.hidden_size", _width(parts, "vision")),
            "d_out": ("text_config.hidden_size", text),
            "factor": ("downsample_factor", cfg.int("downsample_factor", _default(cfg, "downsample_factor"))),
            "d_hidden": ("alignment_intermediate_size", cfg.int("alignment_intermediate_size", text))}  # fmt: skip


def _towers(text: str, vision: str, projector, *, text_types=("*",), vision_types=(), moves=None) -> tuple[Tower, ...]:
    """Vision tower, projector, language model: in the order transformers builds them."""
    return (
        Tower("vision", config="vision_config", model_type=vision, model_types=vision_types, path=VISION),
        Tower("projector", family="projector", params=projector, path=PROJECTOR, moves=moves or {}),
        Tower("text", config="text_config", model_type=text, model_types=text_types, moves=TEXT_MOVES),
    )


_GEMMA3_FREE = frozenset(("boi_token_index", "eoi_token_index", "image_token_index", "mm_tokens_per_image"))
_LLAVA_FREE = frozenset(("image_token_index", "image_seq_length", "projector_hidden_act", "vision_feature_select_strategy"))

#: The composite model types (the module's docstring lists them).
COMPOSITES = (
    Composite("aya_vision", "composite", ("AyaVisionForConditionalGeneration",),
              _towers("cohere2", "siglip_vision_model", aya_vision_projector),
              rules=(tie(),), shape_free=frozenset(("image_token_index", "adapter_layer_norm_eps", "vision_feature_layer",
                                                    "vision_feature_select_strategy")),
              description="Aya Vision: SigLIP tower, pixel-shuffle SwiGLU projector, any mapped language model",
              images=image_rules.AYA_VISION),
    Composite("gemma3", "composite", ("Gemma3ForConditionalGeneration",),
              _towers("gemma3_text", "siglip_vision_model", gemma3_projector, text_types=()),
              rules=(tie(),), shape_free=_GEMMA3_FREE,
              description="Gemma 3 (vision): SigLIP tower, projector, gemma3_text", images=image_rules.GEMMA3),
    Composite("llava", "composite", ("LlavaForConditionalGeneration",),
              _towers("llama", "clip_vision_model", llava_projector, vision_types=("pixtral",)),
              rules=(tie(from_text=True),), shape_free=_LLAVA_FREE | {"multimodal_projector_bias"},
              description="LLaVA: CLIP (or Pixtral) tower, two-layer projector, any mapped language model",
              images=image_rules.LLAVA),
    Composite("llava_next", "composite", ("LlavaNextForConditionalGeneration",),
              _towers("llama", "clip_vision_model", llava_next_projector, moves={"image_newline": "model.image_newline"}),
              rules=(tie(),), shape_free=_LLAVA_FREE | {"multimodal_projector_bias", "image_grid_pinpoints"},
              description="LLaVA-NeXT: CLIP tower, projector and image_newline, any mapped language model", images=image_rules.LLAVA_NEXT),
    Composite("mistral3", "composite", ("Mistral3ForConditionalGeneration", "LightOnOCRForConditionalGeneration"),
              _towers("mistral", "pixtral", mistral3_projector),
              rules=(tie(),), shape_free=frozenset(("image_token_index", "projector_hidden_act")),
              description="Mistral 3: Pixtral tower, patch merger and projector, any mapped language model (LightOnOCR's "
                          "published configs, class LightOnOCRForConditionalGeneration: as transformers builds a mistral3 "
                          "config, Mistral3ForConditionalGeneration)", images=image_rules.MISTRAL3),
    Composite("paligemma", "composite", ("PaliGemmaForConditionalGeneration",),
              _towers("gemma", "siglip_vision_model", paligemma_projector),
              rules=(tie(),), shape_free=frozenset(("image_token_index", "vocab_size", "hidden_size")),
              description="PaliGemma: SigLIP tower, one linear, any mapped language model", images=image_rules.PALIGEMMA),
)  # fmt: skip


@hookimpl
def register_model_types(register):
    """Map the vision-language composites."""
    for composite in COMPOSITES:
        register(composite)

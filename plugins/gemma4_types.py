"""Gemma 4 as users download it: the composite ``gemma4`` (``Gemma4ForConditionalGeneration``) and its towers
``gemma4_vision`` and ``gemma4_audio`` as rows.

``gemma4_vision`` is ``Gemma4VisionModel`` (the ``gemma4-vision`` family of :mod:`registry.plugins.gemma4_vision`),
``gemma4_audio`` ``Gemma4AudioModel`` (the ``gemma4-audio`` family of :mod:`registry.plugins.gemma4_audio`);
the language model is the mapped ``gemma4_text`` (:mod:`registry.plugins.types_2026_flagships`).
``Gemma4ForConditionalGeneration`` (transformers 5.25, ``models/gemma4/modeling_gemma4.py``, ``Gemma4Model``)
holds them at ``model.vision_tower``, ``model.language_model`` and ``model.audio_tower``, with an embedder per
tower (``model.embed_vision``, ``model.embed_audio``: the ``gemma4-embedder`` family, the tower's output width
to the text width) and ``lm_head``, tied as the top-level ``tie_word_embeddings`` says (default true). Both
towers are optional (``Gemma4Config``'s ``SubConfigSpec(optional=True)``): a null or absent ``vision_config``
or ``audio_config`` means no tower and no embedder, as Gemma 4 31B's ``"audio_config": null``.
"""

from __future__ import annotations

import math

from registry import AudioRule, Composite, ConfigReader, ImageRule, ImageTokens, Params, Row, Tower, hookimpl
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.vlm_types import tie

GEMMA4_VISION = Row(
    "gemma4_vision", "gemma4-vision", ("Gemma4VisionModel",),
    reads={"d_model": "hidden_size", "n_layers": "num_hidden_layers", "n_heads": "num_attention_heads",
           "n_kv_heads": "num_key_value_heads", "head_dim": "head_dim", "d_ff": "intermediate_size",
           "patch_size": "patch_size", "n_positions": "position_embedding_size", "clipped": "use_clipped_linears",
           "standardize": "standardize"},
    defaults=DEFAULTS["gemma4_vision"],
    # the projections never take a bias (attention_bias is not read by Gemma4VisionAttention); pooling and the
    # rotary positions learn nothing; global_head_dim and default_output_length are no fields of the class
    # (published configs carry them; no module reads them)
    shape_free=frozenset(("attention_bias", "attention_dropout", "hidden_activation", "rms_norm_eps",
                          "max_position_embeddings", "rope_parameters", "pooling_kernel_size", "initializer_range",
                          "global_head_dim", "default_output_length")),
    description="Gemma 4's vision tower (patch embedder with x/y position tables, bidirectional Gemma layers)",
)  # fmt: skip

GEMMA4_AUDIO = Row(
    "gemma4_audio", "gemma4-audio", ("Gemma4AudioModel",),
    reads={"d_model": "hidden_size", "n_layers": "num_hidden_layers", "n_heads": "num_attention_heads",
           "conv_channels": "subsampling_conv_channels", "conv_kernel": "conv_kernel_size",
           "d_out": "output_proj_dims", "clipped": "use_clipped_linears"},
    defaults=DEFAULTS["gemma4_audio"],
    shape_free=frozenset(("hidden_act", "residual_weight", "attention_chunk_size", "attention_context_left",
                          "attention_context_right", "attention_logit_cap", "attention_invalid_logits_value",
                          "rms_norm_eps", "gradient_clipping", "initializer_range")),
    description="Gemma 4's audio tower (USM conformer, LayerNorm sub-sampling, output projection)",
)  # fmt: skip


#: ``Gemma4ImageProcessor.max_soft_tokens`` (image_processing_gemma4.py), the published configs' ``vision_soft_tokens_per_image``.
MAX_SOFT_TOKENS = 280


def gemma4_resize(inputs, height: int, width: int) -> ImageTokens:
    """``Gemma4ImageProcessor`` (image_processing_gemma4.py, ``get_aspect_ratio_preserving_size``): the image scaled
    to about ``max_soft_tokens × k²`` patches of ``patch_size`` (``k`` the ``pooling_kernel_size``), each side
    rounded down to a multiple of ``k × patch_size`` (a side that rounds to 0 becomes one multiple, the other the
    aspect ratio's whole part of them, at most the budget's); one token per ``k²`` patches
    (``num_soft_tokens_per_image``). The patches are padded to ``max_soft_tokens × k²``: the tower runs over all."""
    patch, k, budget = inputs.patch, inputs.merge, inputs.extra["max_soft_tokens"]
    max_patches, unit = budget * k * k, k * patch
    factor = math.sqrt(max_patches * patch * patch / (height * width))
    h, w = int(math.floor(factor * height / unit)) * unit, int(math.floor(factor * width / unit)) * unit
    if h == 0 and w == 0:
        raise ValueError(f"a {height}x{width} image resizes to 0x0 (Gemma4ImageProcessor refuses it)")
    longest = (max_patches // (k * k)) * unit
    if h == 0:
        h, w = unit, min(int(math.floor(width / height)) * unit, longest)
    elif w == 0:
        h, w = min(int(math.floor(height / width)) * unit, longest), unit
    if h * w > max_patches * patch * patch:
        raise ValueError(f"a {height}x{width} image resizes to {h}x{w}, past {max_patches} patches "
                         "(Gemma4ImageProcessor refuses it)")  # fmt: skip
    tokens = (h // patch) * (w // patch) // (k * k)
    return ImageTokens(h, w, tokens, 1, max_patches, tokens)


GEMMA4_IMAGES = ImageRule(
    "Gemma 4: aspect-preserving resize to a soft-token budget, k² patches pooled per token", resize="function", size="",
    merge="vision_config.pooling_kernel_size", extra={"max_soft_tokens": "vision_soft_tokens_per_image"},
    defaults={"vision_config.patch_size": DEFAULTS["gemma4_vision"]["patch_size"],
              "vision_config.pooling_kernel_size": DEFAULTS["gemma4_vision"]["pooling_kernel_size"],
              "vision_soft_tokens_per_image": MAX_SOFT_TOKENS},
    function=gemma4_resize,
    note="the budget is vision_soft_tokens_per_image (Gemma4ImageProcessor's max_soft_tokens, 280 by default; a "
         "preprocessor_config.json may set 70 to 1,120); the tower runs over the budget's patches, padding included",
)  # fmt: skip


#: ``mel_bins``: ``Gemma4AudioFeatureExtractor``'s ``feature_size`` 128 (no field of the model's config; its
#: ``input_proj_linear`` takes ``subsampling_conv_channels[0] // 4`` of them after the two stride-2 convolutions).
GEMMA4_AUDIO_RULE = AudioRule(
    "Gemma 4: 10 ms mel frames, two stride-2 convolutions, one token per position (25 a second)", kind="mel",
    part="audio", win_length=320, hop_length=160, window_seconds=30, pad_multiple=128, cap=750, mel_bins=128,
    note="Gemma4AudioFeatureExtractor's defaults (20 ms frames every 10 ms at 16 kHz, at most 30 s, padded to 128 "
         "samples) and Gemma4Processor's audio_seq_length 750",
)  # fmt: skip


def _embedder(part: str, width: str, key: str):
    """A connector's params: ``Gemma4MultimodalEmbedder`` of the tower ``part`` (its ``width`` param, read from ``key``)."""

    def params(cfg: ConfigReader, parts: dict[str, Params]) -> Params:
        return {"d_in": (key, parts[part][width][1]), "d_out": ("text_config.hidden_size", parts["text"]["d_model"][1])}

    params.__doc__ = f"The embedder of the {part} tower: {key} to the text width."
    return params


GEMMA4 = Composite(
    "gemma4", "composite", ("Gemma4ForConditionalGeneration",), (
        Tower("vision", config="vision_config", model_type="gemma4_vision", path="model.vision_tower", optional=True),
        Tower("text", config="text_config", model_type="gemma4_text", moves={"model": "model.language_model"}),
        Tower("audio", config="audio_config", model_type="gemma4_audio", path="model.audio_tower", optional=True),
        Tower("embed_vision", family="gemma4-embedder", params=_embedder("vision", "d_model", "vision_config.hidden_size"),
              path="model.embed_vision", requires="vision"),
        Tower("embed_audio", family="gemma4-embedder", params=_embedder("audio", "d_out", "audio_config.output_proj_dims"),
              path="model.embed_audio", requires="audio"),
    ), rules=(tie(),),
    shape_free=frozenset(("boi_token_id", "eoi_token_id", "image_token_id", "video_token_id", "boa_token_id",
                          "eoa_token_index", "eoa_token_id", "audio_token_id", "vision_soft_tokens_per_image",
                          "initializer_range")),
    description="Gemma 4: optional vision and audio towers, their embedders, gemma4_text",
    images=GEMMA4_IMAGES, audio=GEMMA4_AUDIO_RULE,
)  # fmt: skip


@hookimpl
def register_model_types(register):
    """Map ``gemma4_vision``, ``gemma4_audio`` and the composite ``gemma4``."""
    for row in (GEMMA4_VISION, GEMMA4_AUDIO, GEMMA4):
        register(row)

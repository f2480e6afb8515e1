"""Phi-4-multimodal (``phi4_multimodal``) and its towers, as rows of data.

transformers 5.25's ``Phi4MultimodalForCausalLM`` (``modeling_phi4_multimodal.py``) is a Phi-3 language model
(``model.embed_tokens``, ``model.layers`` with fused ``qkv_proj`` and ``gate_up_proj``, ``model.norm``,
``lm_head``) whose ``Phi4MultimodalModel`` also holds the image and audio embeddings,
``model.embed_tokens_extend.image_embed`` and ``model.embed_tokens_extend.audio_embed`` (the towers of
:mod:`registry.plugins.phi4mm_towers`). Its configuration, ``Phi4MultimodalConfig``, keeps the language model's
fields at its top level (no ``text_config``) beside ``vision_config`` (``phi4_multimodal_vision``) and
``audio_config`` (``phi4_multimodal_audio``).

* ``phi4_multimodal_vision`` and ``phi4_multimodal_audio``: the towers' configurations, as
  ``Phi4MultimodalVisionModel`` and ``Phi4MultimodalAudioModel`` build them;
* ``phi4_multimodal``: a :class:`registry.Composite` of the top level read by the ``phi3`` row (``flat``), the
  vision and the audio towers; its rules give the towers the language model's width (their projections) and a
  text field the file leaves out ``Phi4MultimodalConfig``'s default, not Phi-3's.

Microsoft's published ``microsoft/Phi-4-multimodal-instruct`` config is the remote-code ``phi4mm`` one
(``Phi4MMForCausalLM``, its towers under ``embd_layer`` and ``audio_processor``, LoRA adapters inside the base
weights); transformers' ``convert_phi4_multimodal_weights_to_hf.py`` turns it into a ``phi4_multimodal`` config and
drops the adapters (the native checkpoint keeps them apart, in ``vision-lora/`` and ``speech-lora/``): ``phi4mm`` is
counted as that conversion (:mod:`registry.plugins.phi4mm_remote`).
"""

from __future__ import annotations

from registry import Composite, ConfigReader, Params, Row, Tower, hookimpl
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.phi4mm_inputs import PHI4MM, PHI4MM_AUDIO

#: The shape-free fields of the vision configuration (activation, epsilon, dropout, crop size, token ids, the
#: layer whose features are used); ``use_hd_transform`` and ``hd_transform_order`` are the converter's extras.
_VISION_SHAPE_FREE = frozenset(("hidden_act", "layer_norm_eps", "attention_dropout", "crop_size", "image_token_id",
                                "feature_layer", "use_hd_transform", "hd_transform_order"))  # fmt: skip
#: The shape-free fields of the audio configuration; ``nemo_final_size`` is derived (``__post_init__`` computes it
#: from ``input_size`` and ``time_reduction`` whatever a file says).
_AUDIO_SHAPE_FREE = frozenset(("activation", "chunk_size", "left_chunk", "dropout_rate", "conv_activation", "conv_glu_type",
                               "nemo_activation", "initializer_range", "audio_token_id", "feature_layer", "nemo_final_size"))  # fmt: skip

VISION = Row(
    "phi4_multimodal_vision", "phi4mm-vision", ("Phi4MultimodalVisionModel",),
    reads={"d_model": "hidden_size", "n_layers": "num_hidden_layers", "n_heads": "num_attention_heads",
           "d_ff": "intermediate_size", "image_size": "image_size", "patch_size": "patch_size", "n_channels": "num_channels"},
    defaults=DEFAULTS["phi4_multimodal_vision"], shape_free=_VISION_SHAPE_FREE,
    description="Phi-4-multimodal's vision encoder (SigLIP with its pooling head)",
)  # fmt: skip

AUDIO = Row(
    "phi4_multimodal_audio", "phi4mm-audio", ("Phi4MultimodalAudioModel",),
    reads={"d_model": "hidden_size", "n_layers": "num_blocks", "n_heads": "num_attention_heads", "d_ff": "intermediate_size",
           "ext_pw_out_channel": "ext_pw_out_channel", "depthwise_separable_out_channel": "depthwise_separable_out_channel",
           "depthwise_multiplier": "depthwise_multiplier", "kernel_size": "kernel_size", "input_size": "input_size",
           "time_reduction": "time_reduction", "conv_channels": "nemo_conv_channels",
           "bias_max_distance": "bias_max_distance", "bias_symmetric": "bias_symmetric", "downsample_rate": "downsample_rate"},
    defaults=DEFAULTS["phi4_multimodal_audio"], shape_free=_AUDIO_SHAPE_FREE,
    description="Phi-4-multimodal's audio encoder (a conformer)",
)  # fmt: skip

#: ``Phi4MultimodalConfig``'s defaults that differ from ``Phi3Config``'s, and the language model's parameters they give.
_TEXT_DEFAULTS = {"vocab_size": "vocab_size", "num_key_value_heads": "n_kv_heads"}


def text_defaults(cfg: ConfigReader, cls: str, parts: dict[str, Params]) -> None:
    """Rule: a language-model field the file leaves out takes ``Phi4MultimodalConfig``'s default (the ``phi3`` row that
    reads the top level has Phi-3's); a ``text_config`` is refused (transformers does not read one)."""
    if cfg.raw("text_config") is not None:
        raise cfg.error("text_config", "Phi4MultimodalConfig reads the language model's fields at the top level; "
                                       "it ignores a text_config (move its fields up)")  # fmt: skip
    for field, param in _TEXT_DEFAULTS.items():
        if field not in cfg.data and param in parts["text"]:
            parts["text"][param] = (field, DEFAULTS["phi4_multimodal"][field])


def text_width(cfg: ConfigReader, cls: str, parts: dict[str, Params]) -> None:
    """Rule: the image and audio embeddings project to the language model's width (``hidden_size``)."""
    for part in ("vision", "audio"):
        parts[part]["d_text"] = ("hidden_size", parts["text"]["d_model"][1])


COMPOSITE = Composite(
    "phi4_multimodal", "composite", ("Phi4MultimodalForCausalLM",), (
        Tower("text", config="text_config", model_type="phi3", flat=True),
        Tower("vision", config="vision_config", model_type="phi4_multimodal_vision", path="model.embed_tokens_extend.image_embed"),
        Tower("audio", config="audio_config", model_type="phi4_multimodal_audio", path="model.embed_tokens_extend.audio_embed"),
    ), rules=(text_defaults, text_width),
    description="Phi-4-multimodal: Phi-3 language model with SigLIP image and conformer audio embeddings",
    images=PHI4MM, audio=PHI4MM_AUDIO,
)  # fmt: skip


@hookimpl
def register_model_types(register):
    """Map phi4_multimodal, phi4_multimodal_vision and phi4_multimodal_audio."""
    for mapped in (VISION, AUDIO, COMPOSITE):
        register(mapped)

"""Microsoft's remote-code Phi-4-multimodal config (``phi4mm``, ``Phi4MMForCausalLM``), counted as transformers builds it.

The published ``microsoft/Phi-4-multimodal-instruct`` config.json is written for its remote code: the language
model's fields at the top level as in ``phi4_multimodal``, but no ``vision_config`` / ``audio_config``: the audio
encoder under ``audio_processor.config`` (``attention_dim``, ``attention_heads``, ``linear_units``,
``nemo_conv_settings.conv_channels``, ``relative_attention_bias_args.t5_bias_max_distance``, ...), the embeddings'
switches under ``embd_layer``, LoRA adapters (``vision_lora``, ``speech_lora``) that its checkpoint holds inside the
base weights. transformers 5.25 does not read it (AutoConfig needs trust_remote_code); its
``convert_phi4_multimodal_weights_to_hf.py`` (``convert_config``) makes a ``Phi4MultimodalConfig`` of it: those audio
fields renamed, the vision encoder at ``Phi4MultimodalVisionConfig``'s defaults (the remote code's fixed SigLIP
encoder; only ``crop_size`` kept), ``embd_layer``'s ``downsample_rate`` for the audio, the LoRA blocks dropped (and the
adapters' tensors: the native checkpoint keeps them apart, ``vision-lora/`` and ``speech-lora/``).

``phi4mm`` is counted as that converted model, ``Phi4MultimodalForCausalLM``, with a note, only where the remote
code's switches agree with what transformers builds (:data:`AGREES`; another value is refused, naming the field);
the LoRA adapters are named in the note, not counted (transformers' model does not hold them).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from registry import Composite, ConfigReader, Params, Tower, hookimpl, short_value
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.phi4mm_inputs import PHI4MM, PHI4MM_AUDIO
from registry.plugins.phi4mm_types import text_defaults

#: The remote code's switches whose value transformers' model hard-codes (as ``convert_config`` drops them): the image
#: embedding's two-layer MLP projection, separators, 2x2 average pooling and crops; the audio embedding's MLP projection
#: without Q-Former or convolution downsampling; the conformer's NeMo subsampling, T5 bias, LayerNorm and biased GLU in
#: the convolution module, pointwise kernel 1, no batch norm.
AGREES: dict[str, Any] = {
    "embd_layer.embedding_cls": "image_audio",
    "embd_layer.image_embd_layer.embedding_cls": "tune_image",
    "embd_layer.image_embd_layer.projection_cls": "mlp",
    "embd_layer.image_embd_layer.with_learnable_separator": True,
    "embd_layer.image_embd_layer.use_hd_transform": True,
    "embd_layer.image_embd_layer.hd_transform_order": "sub_glb",
    "embd_layer.image_embd_layer.image_token_compression_cls": "avg_pool_2d",
    "embd_layer.audio_embd_layer.embedding_cls": "audio",
    "embd_layer.audio_embd_layer.projection_cls": "mlp",
    "embd_layer.audio_embd_layer.use_qformer": False,
    "embd_layer.audio_embd_layer.use_conv_downsample": False,
    "embd_layer.audio_embd_layer.downsample_rate": 1,
    "audio_processor.name": "cascades",
    "audio_processor.config.input_layer": "nemo_conv",
    "audio_processor.config.relative_attention_bias_args.type": "t5",
    "audio_processor.config.cnn_layer_norm": True,
    "audio_processor.config.bias_in_glu": True,
    "audio_processor.config.batch_norm": False,
    "audio_processor.config.ext_pw_kernel_size": 1,
    "audio_processor.config.depthwise_seperable_out_channel": DEFAULTS["phi4_multimodal_audio"]["depthwise_separable_out_channel"],
    "attention_bias": False,
    "mlp_bias": False,
    "lm_head_bias": False,
}  # fmt: skip
_MISSING = object()


def _get(data: Any, dotted: str) -> Any:
    for name in dotted.split("."):
        if not isinstance(data, dict) or name not in data:
            return _MISSING
        data = data[name]
    return data


def _agrees(cfg: ConfigReader, cls: str, parts: dict[str, Params]) -> tuple[str, ...]:
    """Rule: each switch of :data:`AGREES` the config sets has the value transformers' model builds; the note says
    what is counted, and the LoRA adapters the remote-code checkpoint also holds."""
    for dotted, value in AGREES.items():
        found = _get(cfg.data, dotted)
        if found is not _MISSING and (found != value or type(found) is not type(value)):
            raise cfg.error(dotted, f"{short_value(found)}: transformers' Phi4MultimodalForCausalLM builds only "
                                    f"{short_value(value)} (its conversion drops the field), so the counts would not agree")  # fmt: skip
    cfg.raw("embd_layer")
    adapters = [f"{k} (r {cfg.data[k].get('r')})" for k in ("vision_lora", "speech_lora") if isinstance(cfg.data.get(k), dict)]
    held = f"; the LoRA adapters {' and '.join(adapters)}" if adapters else "; its LoRA adapters"
    return (f"architectures names the remote-code class {cls}: counted as transformers' Phi4MultimodalForCausalLM of the "
            "config convert_phi4_multimodal_weights_to_hf.py makes of it (the same tensors, the audio ones renamed)"
            f"{held} that the remote-code checkpoint holds inside the base weights are not counted",)  # fmt: skip


class _Nested(ConfigReader):
    """A sub-dictionary of the config, its errors naming ``<prefix>.<field>`` at the top-level field's line."""

    def __init__(self, parent: ConfigReader, prefix: str) -> None:
        value = _get(parent.data, prefix)
        if value is _MISSING or not isinstance(value, dict):
            raise parent.error(prefix, "missing or not an object: the remote-code config's audio encoder (registry does "
                                       "not guess a tower's sizes)")  # fmt: skip
        super().__init__(value, parent.path, parent.lines)
        self.prefix = prefix

    def error(self, key: str, message: str):
        """A SpecError naming ``<prefix>.<key>``."""
        return super().error(f"{self.prefix}.{key}", message)


#: The remote audio config's fields (``audio_processor.config``) for the ``phi4mm-audio`` family's parameters, and
#: ``Phi4MultimodalAudioConfig``'s names they are renamed to (``convert_config``).
_AUDIO = {"d_model": ("attention_dim", "hidden_size"), "n_heads": ("attention_heads", "num_attention_heads"),
          "d_ff": ("linear_units", "intermediate_size"), "n_layers": ("num_blocks", "num_blocks"),
          "ext_pw_out_channel": ("ext_pw_out_channel", "ext_pw_out_channel"),
          "depthwise_multiplier": ("depthwise_multiplier", "depthwise_multiplier"),
          "kernel_size": ("kernel_size", "kernel_size"), "input_size": ("input_size", "input_size"),
          "time_reduction": ("time_reduction", "time_reduction")}  # fmt: skip


def audio_params(cfg: ConfigReader, parts: dict[str, Params]) -> Params:
    """The audio tower from ``audio_processor.config``, renamed as ``convert_config`` does (the rest at
    ``Phi4MultimodalAudioConfig``'s defaults), projecting to the language model's width."""
    audio = _Nested(cfg, "audio_processor.config")
    defaults = DEFAULTS["phi4_multimodal_audio"]
    params: Params = {name: (f"audio_processor.config.{old}", audio.int(old, defaults[new])) for name, (old, new) in _AUDIO.items()}
    for name, dotted, field in (("conv_channels", "nemo_conv_settings", "conv_channels"),
                                ("bias_max_distance", "relative_attention_bias_args", "t5_bias_max_distance")):  # fmt: skip
        inner = _Nested(cfg, f"audio_processor.config.{dotted}") if audio.raw(dotted) is not None else None
        new = "nemo_conv_channels" if name == "conv_channels" else "bias_max_distance"
        params[name] = (f"audio_processor.config.{dotted}.{field}", inner.int(field, defaults[new]) if inner else defaults[new])
    params["d_text"] = ("hidden_size", parts["text"]["d_model"][1])
    return params


def vision_params(cfg: ConfigReader, parts: dict[str, Params]) -> Params:
    """The vision tower at ``Phi4MultimodalVisionConfig``'s defaults (the remote code's fixed SigLIP encoder; the
    converted config keeps only ``crop_size``), projecting to the language model's width."""
    vision = DEFAULTS["phi4_multimodal_vision"]
    fields = {"d_model": "hidden_size", "n_layers": "num_hidden_layers", "n_heads": "num_attention_heads",
              "d_ff": "intermediate_size", "image_size": "image_size", "patch_size": "patch_size", "n_channels": "num_channels"}  # fmt: skip
    params: Params = {name: ("embd_layer", vision[field]) for name, field in fields.items()}
    params["d_text"] = ("hidden_size", parts["text"]["d_model"][1])
    return params


#: The image rule on the remote config: the crop size under ``embd_layer`` (``convert_config`` keeps it as the vision
#: config's ``crop_size``), the patch at the vision encoder's 14.
IMAGES = replace(PHI4MM, size="embd_layer.image_embd_layer.crop_size", patch="embd_layer.image_embd_layer.patch_size",
                 defaults={"embd_layer.image_embd_layer.crop_size": DEFAULTS["phi4_multimodal_vision"]["crop_size"],
                           "embd_layer.image_embd_layer.patch_size": DEFAULTS["phi4_multimodal_vision"]["patch_size"]})  # fmt: skip

COMPOSITE = Composite(
    "phi4mm", "composite", ("Phi4MMForCausalLM",), (
        Tower("text", config="text_config", model_type="phi3", flat=True),
        Tower("vision", family="phi4mm-vision", params=vision_params, path="model.embed_tokens_extend.image_embed"),
        Tower("audio", family="phi4mm-audio", params=audio_params, path="model.embed_tokens_extend.audio_embed"),
    ), rules=(text_defaults, _agrees),
    shape_free=frozenset(("audio_processor", "embd_layer", "vision_lora", "speech_lora", "full_attn_mod",
                          "interpolate_factor", "attention_bias", "mlp_bias", "lm_head_bias")),
    description="Phi-4-multimodal's remote-code config, counted as transformers' converted Phi4MultimodalForCausalLM",
    images=IMAGES, audio=PHI4MM_AUDIO,
)  # fmt: skip


@hookimpl
def register_model_types(register):
    """Map phi4mm (the remote-code config) as transformers' converted phi4_multimodal."""
    register(COMPOSITE)

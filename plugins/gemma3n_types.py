"""Gemma 3n's Hugging Face model types as data: ``gemma3n_text`` (its language model), ``gemma3n_audio`` and
``gemma3n_vision`` (its towers) as rows, and the composite ``gemma3n``.

``Gemma3nForCausalLM`` and the bare ``Gemma3nTextModel`` (transformers 5.25,
``configuration_gemma3n.py`` / ``modeling_gemma3n.py``), built by the ``gemma3n`` family
(:mod:`registry.plugins.gemma3n`). Rules cover what ``Gemma3nTextConfig.__post_init__`` checks:
``intermediate_size`` one width or one per layer, ``activation_sparsity_pattern`` one value per
layer; the layer kinds are ``layer_types``, else every fifth layer full.

``gemma3n_audio`` is ``Gemma3nAudioEncoder`` (the ``gemma3n-audio`` family), ``gemma3n_vision`` the timm
model ``TimmWrapperModel`` builds from its ``architecture`` (the ``mobilenetv5`` family; ``model_args``,
which would change timm's model, is refused). ``Gemma3nForConditionalGeneration`` (``gemma3n``) holds them
at ``model.vision_tower``, ``model.language_model`` and ``model.audio_tower``, with the two embedders
``model.embed_vision`` and ``model.embed_audio`` (the ``gemma3n-embedder`` family: each tower's
``vocab_size`` and ``hidden_size`` to the text width) and ``lm_head``, tied as the top-level
``tie_word_embeddings`` says (default true).

Images (:data:`GEMMA3N_IMAGES`) and audio (:data:`GEMMA3N_AUDIO_RULE`) become a fixed number of language-model
tokens each: ``vision_soft_tokens_per_image`` (256) an image, ``audio_soft_tokens_per_image`` (188) a clip.
"""

from __future__ import annotations

from registry import (AudioRule, Composite, ConfigReader, ImageRule, ImageTokens, Params, Row, Tower, hookimpl,
                      short_value)
from registry.plugins.attention_windows import windows
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.hf_common import DECODER_READS, DECODER_RULES, DECODER_SHAPE_FREE, SLIDING, heads_divide_width
from registry.plugins.mobilenetv5 import tower_flops
from registry.plugins.vlm_types import tie

_DEFAULTS = DEFAULTS["gemma3n_text"]


def _widths(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule: ``intermediate_size`` is one whole number, or a list of one per layer (MatFormer)."""
    value, n_layers = cfg.raw("intermediate_size", _DEFAULTS["intermediate_size"]), params["n_layers"][1]
    whole = [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, int) and not isinstance(v, bool)]
    if not whole or len(whole) != (len(value) if isinstance(value, list) else 1) or min(whole) < 1:
        raise cfg.error("intermediate_size", f"must be a positive whole number or a list of them (got {short_value(value)})")
    if isinstance(value, list) and len(value) != n_layers:
        raise cfg.error("intermediate_size", f"lists {len(value)} widths, num_hidden_layers is {n_layers}")
    params["d_ff"] = ("intermediate_size", value if isinstance(value, list) and len(set(value)) > 1 else whole[0])


def _sparsity(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule: ``activation_sparsity_pattern`` (no tensor) must list one number per layer, as the configuration
    checks (absent or null: transformers' default)."""
    value, n_layers = cfg.raw("activation_sparsity_pattern", None), params["n_layers"][1]
    if value is None:
        return
    if not isinstance(value, list) or any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in value):
        raise cfg.error("activation_sparsity_pattern", f"must be a list of numbers, one per layer (got {short_value(value)})")
    if len(value) != n_layers:
        raise cfg.error("activation_sparsity_pattern", f"lists {len(value)} values, num_hidden_layers is {n_layers}")


def _window(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule: ``sliding_window`` is a whole number (the configuration's field is not optional)."""
    if cfg.has("sliding_window") and cfg.raw("sliding_window") is None:
        raise cfg.error("sliding_window", "must not be null (transformers cannot build the model with null)")


#: Gemma 3n's fields that change no shape (softcapping, AltUp's clip and active copy, activation sparsity).
_SHAPE_FREE = frozenset((*DECODER_SHAPE_FREE, *SLIDING, "hidden_activation", "final_logit_softcapping",
                         "rope_local_base_freq", "altup_active_idx", "altup_coef_clip", "altup_correct_scale",
                         "activation_sparsity_pattern"))  # fmt: skip

#: The row (the module's docstring says it).
GEMMA3N_TEXT = Row(
    "gemma3n_text", "gemma3n", ("Gemma3nForCausalLM", "Gemma3nTextModel"),
    reads={**DECODER_READS, "n_kv_heads": "num_key_value_heads", "head_dim": "head_dim",
           "attention_bias": "attention_bias", "per_layer_vocab_size": "vocab_size_per_layer_input",
           "per_layer_dim": "hidden_size_per_layer_input", "altup_inputs": "altup_num_inputs",
           "laurel_rank": "laurel_rank", "kv_shared_layers": "num_kv_shared_layers"},
    defaults=_DEFAULTS,
    rules=(*DECODER_RULES, heads_divide_width, _widths, _sparsity, _window,
           windows("types", _DEFAULTS["sliding_window"], pattern=5)),
    shape_free=_SHAPE_FREE,
    description="Gemma 3n's language model (AltUp, LAuReL, per-layer embeddings, shared keys and values)",
)  # fmt: skip


GEMMA3N_AUDIO = Row(
    "gemma3n_audio", "gemma3n-audio", ("Gemma3nAudioEncoder",),
    reads={"d_model": "hidden_size", "n_layers": "conf_num_hidden_layers", "n_heads": "conf_num_attention_heads",
           "n_mels": "input_feat_size", "conv_channels": "sscp_conv_channel_size",
           "conv_kernels": "sscp_conv_kernel_size", "conv_strides": "sscp_conv_stride_size",
           "lconv_kernel": "conf_conv_kernel_size"},
    defaults=DEFAULTS["gemma3n_audio"],
    # vocab_size sizes the composite's embed_audio, not the tower
    shape_free=frozenset(("vocab_size", "vocab_offset", "rms_norm_eps", "gradient_clipping", "conf_attention_chunk_size",
                          "conf_attention_context_left", "conf_attention_context_right", "conf_attention_logit_cap",
                          "conf_reduction_factor", "conf_residual_weight", "sscp_conv_group_norm_eps")),
    description="Gemma 3n's audio tower (USM conformer)",
)  # fmt: skip


def _no_model_args(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule: ``model_args`` goes to ``timm.create_model`` and may change any shape: refused unless null or empty."""
    if cfg.raw("model_args", None):
        raise cfg.error("model_args", "changes timm's model (passed to timm.create_model): registry counts the "
                        "published layouts only; leave it null")  # fmt: skip


GEMMA3N_VISION = Row(
    "gemma3n_vision", "mobilenetv5", ("TimmWrapperModel",), reads={"architecture": "architecture"},
    defaults=DEFAULTS["gemma3n_vision"], rules=(_no_model_args,),
    # hidden_size and vocab_size size the composite's embed_vision; timm's model fixes the tower's widths
    shape_free=frozenset(("hidden_size", "vocab_size", "vocab_offset", "rms_norm_eps", "do_pooling", "label_names",
                          "num_classes", "pretrained_cfg")),
    description="Gemma 3n's vision tower (timm MobileNetV5 encoder)",
)  # fmt: skip


def _sub(cfg: ConfigReader, config: str, key: str) -> int:
    """A positive whole number of a sub-config (transformers' default of its class when left out)."""
    sub = cfg.raw(config, None)
    if sub is not None and not isinstance(sub, dict):
        raise cfg.error(config, f"must be an object (got {short_value(sub)})")
    value = (sub or {}).get(key, DEFAULTS[f"gemma3n_{config.removesuffix('_config')}"][key])
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise cfg.error(config, f"{key} must be a positive whole number (got {short_value(value)})")
    return value


def _embedder(config: str):
    """A connector's params: ``Gemma3nMultimodalEmbedder`` of the tower ``config`` names."""

    def params(cfg: ConfigReader, parts: dict[str, Params]) -> Params:
        return {"vocab_size": (f"{config}.vocab_size", _sub(cfg, config, "vocab_size")),
                "d_in": (f"{config}.hidden_size", _sub(cfg, config, "hidden_size")),
                "d_out": ("text_config.hidden_size", parts["text"]["d_model"][1])}  # fmt: skip

    params.__doc__ = f"The embedder of {config}: its vocab_size and hidden_size to the text width."
    return params


#: The side every image is resized to: timm 1.0.31's ``input_size`` (3, 768, 768) of ``mobilenetv5_300m_enc``
#: (``mobilenetv5.py`` ``default_cfgs``), the ``size`` 768x768 of the published preprocessor_config.json
#: (transformers 5.25 maps ``gemma3n`` to ``SiglipImageProcessor``, which resizes to it without cropping).
IMAGE_SIDE = 768


def gemma3n_resize(inputs, height: int, width: int) -> ImageTokens:
    """``SiglipImageProcessor`` resizes every image to ``IMAGE_SIDE`` square (``inputs.size``); ``Gemma3nModel.get_image_features``
    reshapes the tower's output to ``vision_soft_tokens_per_image`` tokens (16 × 16 for 768 pixels), which
    ``embed_vision`` projects and ``Gemma3nProcessor`` (``image_seq_length`` 256) places in the sequence."""
    tokens = inputs.fixed_tokens
    return ImageTokens(inputs.size, inputs.size, tokens, 1, tokens, tokens)


def gemma3n_tower_flops(inputs, height: int, width: int) -> dict[str, int]:
    """The MobileNetV5 tower's forward FLOPs on the resized image: :func:`registry.plugins.mobilenetv5.tower_flops`
    of the timm architecture the config's ``vision_config.architecture`` names."""
    return tower_flops(inputs.extra["architecture"], height, width)


GEMMA3N_IMAGES = ImageRule(
    "Gemma 3n: resized to 768x768, a fixed vision_soft_tokens_per_image", resize="function", size="", patch="",
    fixed_tokens="vision_soft_tokens_per_image", extra={"architecture": "vision_config.architecture"},
    defaults={"vision_soft_tokens_per_image": 256, "vision_config.architecture": DEFAULTS["gemma3n_vision"]["architecture"]},
    function=gemma3n_resize, tower_modelled=False, tower_flops=gemma3n_tower_flops, fixed_side=IMAGE_SIDE,
    note=f"every image resized to {IMAGE_SIDE}x{IMAGE_SIDE} (SiglipImageProcessor with the published "
         "preprocessor_config.json, MobileNetV5's input size); the MobileNetV5 tower's FLOPs follow timm's layout "
         "(every convolution at its stage's resolution, the multi-query attention over the feature maps), its "
         "activations are not modelled: they count 0",
)  # fmt: skip

#: Gemma3nAudioFeatureExtractor's defaults (feature_extraction_gemma3n.py: frame_length_ms 32 and hop_length_ms 10 at
#: 16 kHz, 512 and 160 samples, frames unfolded over 513; max_length 480,000 with truncation; pad_to_multiple_of
#: 128); Gemma3nAudioConfig's conf_reduction_factor 4; Gemma3nProcessor's audio_seq_length 188.
GEMMA3N_AUDIO_RULE = AudioRule(
    "Gemma 3n: 10 ms frames, two time-strided convolutions, a fixed 188 tokens a clip", kind="usm", part="audio",
    kernels="conv_kernels", strides="conv_strides", win_length=512, hop_length=160, window_seconds=30,
    pad_multiple=128, cap=188, compression=4, mel_bins="n_mels",
    note="Gemma3nAudioFeatureExtractor's defaults (32 ms frames every 10 ms at 16 kHz, at most 30 s, padded to 128 "
         "samples), conf_reduction_factor 4 and Gemma3nProcessor's audio_seq_length 188 (the model pads the audio's "
         "features to audio_soft_tokens_per_image)",
)  # fmt: skip

def _audio_numbers(cfg: ConfigReader, cls: str, parts: dict[str, Params]) -> tuple[str, ...]:
    """Rule: say so when the config's audio numbers are not the ones GEMMA3N_AUDIO_RULE fixes (188 tokens a clip,
    conf_reduction_factor 4): they shape no tensor, but ``--audio-seconds`` figures use the rule's."""
    tokens = cfg.int("audio_soft_tokens_per_image", GEMMA3N_AUDIO_RULE.cap)
    audio = cfg.raw("audio_config")
    reduction = audio.get("conf_reduction_factor", GEMMA3N_AUDIO_RULE.compression) if isinstance(audio, dict) else None
    if tokens == GEMMA3N_AUDIO_RULE.cap and reduction in (None, GEMMA3N_AUDIO_RULE.compression):
        return ()
    return (f"{cfg.path}: audio_soft_tokens_per_image {tokens}, audio_config.conf_reduction_factor {reduction}: "
            f"--audio-seconds counts {GEMMA3N_AUDIO_RULE.cap} tokens a clip and a reduction of "
            f"{GEMMA3N_AUDIO_RULE.compression}, the published models' (Gemma3nProcessor's audio_seq_length), not "
            "this config's",)


GEMMA3N = Composite(
    "gemma3n", "composite", ("Gemma3nForConditionalGeneration",), (
        Tower("vision", config="vision_config", model_type="gemma3n_vision", path="model.vision_tower"),
        Tower("text", config="text_config", model_type="gemma3n_text", moves={"model": "model.language_model"}),
        Tower("audio", config="audio_config", model_type="gemma3n_audio", path="model.audio_tower"),
        Tower("embed_vision", family="gemma3n-embedder", params=_embedder("vision_config"), path="model.embed_vision"),
        Tower("embed_audio", family="gemma3n-embedder", params=_embedder("audio_config"), path="model.embed_audio"),
    ), rules=(tie(), _audio_numbers),
    shape_free=frozenset(("audio_soft_tokens_per_image", "vision_soft_tokens_per_image", "boi_token_id", "eoi_token_id",
                          "image_token_id", "boa_token_id", "eoa_token_id", "audio_token_id")),
    description="Gemma 3n: MobileNetV5 vision tower, USM audio tower, their embedders, gemma3n_text",
    images=GEMMA3N_IMAGES, audio=GEMMA3N_AUDIO_RULE,
)  # fmt: skip


@hookimpl
def register_model_types(register):
    """Map ``gemma3n_text``, ``gemma3n_audio``, ``gemma3n_vision`` and the composite ``gemma3n``."""
    for row in (GEMMA3N_TEXT, GEMMA3N_AUDIO, GEMMA3N_VISION, GEMMA3N):
        register(row)

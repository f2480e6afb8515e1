"""Audio generation models and neural audio codecs, as rows of data.

As transformers 5.25 builds them:

* ``encodec`` (``EncodecModel``, ``modeling_encodec.py``): Meta's EnCodec, read by the ``encodec`` family
  (:mod:`registry.plugins.encodec`); the quantizer's codebooks are buffers (``target_bandwidths``,
  ``codebook_size`` and ``codebook_dim`` size them, not a parameter).
* ``csm_depth_decoder_model`` (``CsmDepthDecoderForCausalLM``) and ``csm`` (``CsmForConditionalGeneration``):
  Sesame's CSM, its backbone (``csm-backbone``, read from the top level), ``depth_decoder_config`` at
  ``depth_decoder`` (``csm-depth-decoder``, its embedding tied to the backbone's audio embedding when
  ``tie_codebooks_embeddings``) and ``codec_config`` (a ``mimi``) at ``codec_model`` (:mod:`registry.plugins.csm`);
* ``dia`` (``DiaForConditionalGeneration``, ``DiaModel``): Nari Labs' Dia, the ``dia`` family (:mod:`registry.plugins.dia`),
  read from ``encoder_config`` and ``decoder_config`` (dotted fields: one row, one family);
* ``dac`` (``DacModel``, ``modeling_dac.py``): Descript's DAC, read by the ``dac`` family (:mod:`registry.plugins.dac`);
* ``mimi`` (``MimiModel``, ``modeling_mimi.py``): Kyutai's Mimi, read by the ``mimi`` family
  (:mod:`registry.plugins.mimi`), its down/upsampling stride derived as ``MimiConfig`` derives it;
* ``musicgen_decoder`` (``MusicgenForCausalLM``, ``MusicgenModel``): MusicGen's decoder over the codebooks, the
  ``musicgen-decoder`` family (:mod:`registry.plugins.musicgen`);
* ``musicgen`` (``MusicgenForConditionalGeneration``): ``text_encoder`` (a ``t5``, built as ``T5EncoderModel``:
  ``AutoModelForTextEncoding``) at ``text_encoder``, ``audio_encoder`` (an ``encodec``) at ``audio_encoder``,
  ``decoder`` (a ``musicgen_decoder``) at ``decoder``, and ``enc_to_dec_proj`` when the text encoder's width is not the
  decoder's (the ``musicgen-projector`` family);
* ``musicgen_melody_decoder`` (``MusicgenMelodyForCausalLM``, ``MusicgenMelodyModel``) and ``musicgen_melody``
  (``MusicgenMelodyForConditionalGeneration``): the same, but the decoder's layers have no cross-attention (the
  conditioning is prepended to the sequence), ``enc_to_dec_proj`` whenever the widths differ, and
  ``audio_enc_to_dec_proj`` (``num_chroma`` chroma bins to the decoder's width) when ``num_chroma`` is not that width.
"""

from __future__ import annotations

import math

from registry import Composite, ConfigReader, Params, Row, Tower, hookimpl
from registry.plugins.generated_defaults import DEFAULTS

#: The encodec family's hyper-parameters, by the ``EncodecConfig`` field of the same name.
_ENCODEC_FIELDS = ("audio_channels", "num_filters", "hidden_size", "upsampling_ratios", "num_residual_layers",
                   "kernel_size", "last_kernel_size", "residual_kernel_size", "compress", "num_lstm_layers",
                   "norm_type", "use_conv_shortcut")  # fmt: skip

#: ``EncodecConfig``'s fields that size no parameter: the sampling and chunking of the audio, the padding and
#: causality of the convolutions, the dilations (no shape), and what sizes the codebooks (buffers).
_ENCODEC_SHAPE_FREE = ("sampling_rate", "normalize", "chunk_length_s", "overlap",
                       "dilation_growth_rate", "use_causal_conv", "pad_mode", "trim_right_ratio", "codebook_dim")  # fmt: skip

def encodec_quantizers(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (encodec): ``EncodecModel`` refuses a ``codebook_size`` that is not a power of 2, and
    ``EncodecConfig.num_quantizers`` divides by the codebook's bits (``ceil(log2(codebook_size))``) and reads the last of
    ``target_bandwidths``: transformers cannot build a model whose codebook has fewer than 2 entries, or with no
    bandwidth (the codebooks are buffers: nothing else of them is counted)."""
    size = cfg.int("codebook_size", DEFAULTS["encodec"]["codebook_size"], minimum=2)
    if size & (size - 1):
        raise cfg.error("codebook_size", f"must be a power of 2 (got {size}), as EncodecModel requires")
    bandwidths = cfg.raw("target_bandwidths", [1.5, 3.0, 6.0, 12.0, 24.0])
    if not isinstance(bandwidths, list) or not bandwidths or not all(
            isinstance(b, (int, float)) and not isinstance(b, bool) and b >= 0 for b in bandwidths):
        raise cfg.error("target_bandwidths", "must be a non-empty list of numbers >= 0 (transformers reads the last "
                                             "to size the quantizer)")


ENCODEC = Row(
    "encodec", "encodec", ("EncodecModel",),
    reads={name: name for name in _ENCODEC_FIELDS},
    defaults=DEFAULTS["encodec"], rules=(encodec_quantizers,),
    shape_free=frozenset(_ENCODEC_SHAPE_FREE),
    description="EnCodec: SEANet convolutional encoder and decoder with LSTMs; codebooks are buffers",
)  # fmt: skip


def _dac_derived(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (dac): ``DacConfig.__post_init__`` derives ``hidden_size`` (``encoder_hidden_size × 2^len(downsampling_
    ratios)``) and ``upsampling_ratios`` (``downsampling_ratios`` reversed) unless the file gives them (published
    files do)."""
    width, down = params["encoder_hidden_size"][1], params["downsampling_ratios"][1]
    if cfg.has("hidden_size"):
        params["hidden_size"] = ("hidden_size", cfg.int("hidden_size", None))
    else:
        params["hidden_size"] = ("encoder_hidden_size", width * 2 ** len(down) if isinstance(down, list) else width)
    if cfg.has("upsampling_ratios"):
        params["upsampling_ratios"] = ("upsampling_ratios", cfg.int_list("upsampling_ratios", []))
    else:
        params["upsampling_ratios"] = ("downsampling_ratios", list(reversed(down)) if isinstance(down, list) else down)


DAC = Row(
    "dac", "dac", ("DacModel",),
    reads={name: name for name in ("encoder_hidden_size", "downsampling_ratios", "decoder_hidden_size", "n_codebooks",
                                   "codebook_size", "codebook_dim")},
    defaults=DEFAULTS["dac"], rules=(_dac_derived,),
    shape_free=frozenset(("quantizer_dropout", "commitment_loss_weight", "codebook_loss_weight", "sampling_rate",
                          "hop_length")),
    description="DAC: Snake-activated convolutional encoder and decoder, residual vector quantizer",
)  # fmt: skip


def _mimi(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (mimi), as ``MimiConfig`` and ``MimiModel`` derive and check: ``upsampling_ratios`` null or empty means
    ``[8, 6, 5, 4]``; ``head_dim`` null or 0 means ``hidden_size / num_attention_heads``; the latent frame rate is the
    file's ``_frame_rate`` (as ``to_dict()`` saves it) or ``frame_rate`` (or ``sampling_rate / (2 × prod(upsampling_ratios))``), and when it is not the SEANet's
    (``ceil(sampling_rate / prod(upsampling_ratios))``) the encoder downsamples (and the decoder upsamples) by
    ``int(SEANet rate / latent rate)``; a null ``encoder_config`` or ``decoder_config`` drops that half."""
    ratios = cfg.raw("upsampling_ratios")
    ratios = cfg.int_list("upsampling_ratios", []) if ratios else [8, 6, 5, 4]
    params["upsampling_ratios"] = ("upsampling_ratios", ratios)
    if not cfg.raw("head_dim", None):
        params.pop("head_dim", None)
    rate = cfg.raw("sampling_rate", DEFAULTS["mimi"]["sampling_rate"])
    saved = cfg.raw("_frame_rate")  # what MimiConfig.to_dict() writes: it wins over frame_rate when not null
    frame_rate = saved if saved is not None else cfg.raw("frame_rate")
    for key, value, nullable in (("sampling_rate", rate, False),
                                 ("_frame_rate" if saved is not None else "frame_rate", frame_rate, True)):
        if (value is None and not nullable) or value is not None and (
                isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0):
            raise cfg.error(key, f"must be a number > 0 (got {value!r})")
    hop = 1
    for ratio in ratios:
        hop *= ratio
    seanet_rate = -(-rate // hop) if isinstance(rate, int) else math.ceil(rate / hop) if hop else 0
    latent_rate = frame_rate if frame_rate is not None else rate / (2 * hop) if hop else 0
    if hop and latent_rate != seanet_rate:
        params["latent_stride"] = ("frame_rate", int(seanet_rate / latent_rate))
    for half in ("encoder", "decoder"):
        if cfg.has(f"{half}_config") and cfg.raw(f"{half}_config") is None:
            params[half] = (f"{half}_config", False)
    size = cfg.int("codebook_size", DEFAULTS["mimi"]["codebook_size"])
    if size & (size - 1):
        raise cfg.error("codebook_size", f"must be a power of 2 (got {size}), as MimiConfig requires")
    total = cfg.int("num_quantizers", DEFAULTS["mimi"]["num_quantizers"])
    semantic = cfg.int("num_semantic_quantizers", DEFAULTS["mimi"]["num_semantic_quantizers"], minimum=0)
    if semantic >= total:
        raise cfg.error("num_semantic_quantizers", f"must be below num_quantizers ({total}), got {semantic}")


MIMI = Row(
    "mimi", "mimi", ("MimiModel",),
    reads={**{name: name for name in ("audio_channels", "num_filters", "hidden_size", "num_residual_layers",
                                      "kernel_size", "last_kernel_size", "residual_kernel_size", "compress",
                                      "use_conv_shortcut", "attention_bias", "upsample_groups")}, "head_dim": "head_dim?",
           "n_layers": "num_hidden_layers", "n_heads": "num_attention_heads", "n_kv_heads": "num_key_value_heads",
           "d_ff": "intermediate_size", "vq_hidden": "vector_quantization_hidden_dimension"},
    defaults=DEFAULTS["mimi"], rules=(_mimi,),
    shape_free=frozenset(("dilation_growth_rate", "use_causal_conv", "pad_mode", "trim_right_ratio", "codebook_dim",
                          "hidden_act", "max_position_embeddings", "initializer_range", "norm_eps", "use_cache",
                          "use_streaming", "rope_parameters", "sliding_window", "attention_dropout",
                          "layer_scale_initial_scale", "tie_word_embeddings", "normalize", "rope_theta")),
    description="Mimi: SEANet convolutions and transformers around a split residual vector quantizer",
)  # fmt: skip


#: The Llama fields of CSM's backbone and depth decoder (hyper-parameter -> config field).
_CSM_LAYERS = {"d_model": "hidden_size", "n_layers": "num_hidden_layers", "n_heads": "num_attention_heads",
               "n_kv_heads": "num_key_value_heads?", "head_dim": "head_dim?", "d_ff": "intermediate_size",
               "attention_bias": "attention_bias", "mlp_bias": "mlp_bias", "vocab_size": "vocab_size",
               "num_codebooks": "num_codebooks"}  # fmt: skip
#: The fields of CSM's configurations that change no shape.
_CSM_SHAPE_FREE = ("hidden_act", "max_position_embeddings", "initializer_range", "rms_norm_eps", "use_cache",
                   "attention_dropout", "rope_parameters", "rope_scaling", "rope_theta", "tie_word_embeddings")

def _untied_depth_decoder(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (csm_depth_decoder_model): ``CsmDepthDecoderConfig`` refuses ``tie_word_embeddings: true``."""
    cfg.expect("tie_word_embeddings", [False], "CsmDepthDecoderConfig does not support tied word embeddings")


CSM_DEPTH_DECODER = Row(
    "csm_depth_decoder_model", "csm-depth-decoder", ("CsmDepthDecoderForCausalLM",),
    reads={**_CSM_LAYERS, "backbone_hidden_size": "backbone_hidden_size"},
    defaults=DEFAULTS["csm_depth_decoder_model"], rules=(_untied_depth_decoder,),
    shape_free=frozenset(_CSM_SHAPE_FREE) - {"tie_word_embeddings"},
    description="CSM's depth decoder: a small Llama predicting a frame's other codebooks",
)  # fmt: skip


def csm_backbone(cfg: ConfigReader, parts: dict[str, Params]) -> Params:
    """CSM's backbone, read from the top level of the config (``CsmConfig``'s own fields)."""
    defaults = DEFAULTS["csm"]
    params: Params = {}
    for name, spec in _CSM_LAYERS.items():
        key = spec.rstrip("?")
        if name in ("attention_bias", "mlp_bias"):
            params[name] = (key, cfg.bool(key, defaults[key]))
        else:
            params[name] = (key, cfg.int(key, defaults[key], nullable=spec.endswith("?")))
    params["text_vocab_size"] = ("text_vocab_size", cfg.int("text_vocab_size", defaults["text_vocab_size"]))
    return params


def _csm_tie(cfg: ConfigReader, cls: str, parts: dict[str, Params]) -> None:
    """Rule (csm): ``CsmConfig`` sets ``tie_word_embeddings`` from ``tie_codebooks_embeddings`` (whatever the file's
    ``tie_word_embeddings``), which ties the depth decoder's embedding to the backbone's audio embedding."""
    tie = cfg.raw("tie_codebooks_embeddings", True)
    if tie is not None and not isinstance(tie, bool):
        raise cfg.error("tie_codebooks_embeddings", f"must be true, false or null (got {tie!r})")
    if tie:
        parts["decoder"]["shared_embedding"] = ("tie_codebooks_embeddings", True)


def _dia(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (dia): the class decides the head; ``DiaConfig`` requires one delay per channel (``delay_pattern``, by
    default 9 of them)."""
    params["architecture"] = ("architectures", "model" if cls == "DiaModel" else "conditional_generation")
    delays = cfg.raw("delay_pattern")
    delays = [0, 8, 9, 10, 11, 12, 13, 14, 15] if delays is None else delays
    channels = params["num_channels"][1]
    if not isinstance(delays, list) or len(delays) != channels:
        raise cfg.error("delay_pattern", f"must list one delay per channel ({channels}, decoder_config.num_channels), "
                                         f"got {delays!r}")  # fmt: skip


_DIA_ENCODER = {"encoder_d_model": "hidden_size", "encoder_layers": "num_hidden_layers",
                "encoder_n_heads": "num_attention_heads", "encoder_n_kv_heads": "num_key_value_heads",
                "encoder_head_dim": "head_dim", "encoder_d_ff": "intermediate_size", "encoder_vocab_size": "vocab_size"}
_DIA_DECODER = {"d_model": "hidden_size", "n_layers": "num_hidden_layers", "n_heads": "num_attention_heads",
                "n_kv_heads": "num_key_value_heads", "head_dim": "head_dim", "d_ff": "intermediate_size",
                "cross_n_heads": "cross_num_attention_heads", "cross_n_kv_heads": "cross_num_key_value_heads",
                "cross_head_dim": "cross_head_dim", "cross_hidden_size": "cross_hidden_size", "vocab_size": "vocab_size",
                "num_channels": "num_channels"}  # fmt: skip
#: The sub-configs' fields that change no shape.
_DIA_SUB_SHAPE_FREE = ("hidden_act", "initializer_range", "max_position_embeddings", "norm_eps", "rope_parameters",
                       "rope_scaling", "rope_theta", "use_cache", "is_encoder_decoder", "pad_token_id", "eos_token_id",
                       "bos_token_id", "model_type")  # fmt: skip

DIA = Row(
    "dia", "dia", ("DiaForConditionalGeneration", "DiaModel"),
    reads={**{k: f"encoder_config.{v}" for k, v in _DIA_ENCODER.items()},
           **{k: f"decoder_config.{v}" for k, v in _DIA_DECODER.items()}},
    defaults=DEFAULTS["dia"], rules=(_dia,),
    shape_free=frozenset((*(f"{sub}.{f}" for sub in ("encoder_config", "decoder_config") for f in _DIA_SUB_SHAPE_FREE),
                          "norm_eps", "is_encoder_decoder", "initializer_range", "use_cache")),
    description="Dia: byte-level text encoder, decoder over DAC codebooks with cross-attention",
)  # fmt: skip


def _musicgen_architecture(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (musicgen_decoder): the class decides the heads; transformers refuses audio other than mono or stereo."""
    params["architecture"] = ("architectures", "model" if cls.endswith("Model") else "causal_lm")
    cfg.expect("audio_channels", [1, 2], "MusicgenDecoderConfig takes 1 (mono) or 2 (stereo) audio channels")


MUSICGEN_DECODER = Row(
    "musicgen_decoder", "musicgen-decoder", ("MusicgenForCausalLM", "MusicgenModel"),
    reads={"vocab_size": "vocab_size", "num_codebooks": "num_codebooks", "d_model": "hidden_size",
           "n_layers": "num_hidden_layers", "n_heads": "num_attention_heads", "d_ff": "ffn_dim"},
    defaults=DEFAULTS["musicgen_decoder"], rules=(_musicgen_architecture,),
    shape_free=frozenset(("max_position_embeddings", "layerdrop", "activation_function", "dropout", "attention_dropout",
                          "activation_dropout", "initializer_factor", "scale_embedding", "is_decoder",
                          "add_cross_attention", "cross_attention_hidden_size", "tie_word_embeddings")),
    description="MusicGen's decoder: a summed embedding and a head per codebook, BART-like layers without biases",
)  # fmt: skip


MUSICGEN_MELODY_DECODER = Row(
    "musicgen_melody_decoder", "musicgen-decoder", ("MusicgenMelodyForCausalLM", "MusicgenMelodyModel"),
    reads=dict(MUSICGEN_DECODER.reads), fixed={"cross_attention": False},
    defaults=DEFAULTS["musicgen_melody_decoder"], rules=(_musicgen_architecture,),
    shape_free=MUSICGEN_DECODER.shape_free - {"cross_attention_hidden_size"},
    description="MusicGen-Melody's decoder: MusicGen's without cross-attention",
)  # fmt: skip


def _text_encoder(cfg: ConfigReader, cls: str, parts: dict[str, Params]) -> None:
    """Rule (musicgen): the text encoder is built by ``AutoModelForTextEncoding``: T5's encoder alone."""
    parts["text"]["architecture"] = ("architectures", "encoder")


def musicgen_projector(cfg: ConfigReader, parts: dict[str, Params]) -> Params:
    """``enc_to_dec_proj`` when the text encoder's width is not the decoder's and the decoder sets no
    ``cross_attention_hidden_size``; one that is set must be the text encoder's width (as
    ``MusicgenForConditionalGeneration`` requires)."""
    d_text, d_decoder = parts["text"]["d_model"][1], parts["decoder"]["d_model"][1]
    decoder = cfg.raw("decoder")
    cross = decoder.get("cross_attention_hidden_size") if isinstance(decoder, dict) else None
    if cross is not None and cross != d_text:
        raise cfg.error("decoder.cross_attention_hidden_size", f"must be the text encoder's hidden size ({d_text}), "
                                                               f"got {cross}, as MusicgenForConditionalGeneration requires")  # fmt: skip
    return {"d_text": ("text_encoder.d_model", d_text), "d_decoder": ("decoder.hidden_size", d_decoder),
            "text_projection": ("decoder.cross_attention_hidden_size", d_text != d_decoder and cross is None)}  # fmt: skip


def melody_projector(cfg: ConfigReader, parts: dict[str, Params]) -> Params:
    """``enc_to_dec_proj`` when the text encoder's width is not the decoder's, ``audio_enc_to_dec_proj`` when
    ``num_chroma`` is not (``MusicgenMelodyForConditionalGeneration``)."""
    d_text, d_decoder = parts["text"]["d_model"][1], parts["decoder"]["d_model"][1]
    chroma = cfg.int("num_chroma", DEFAULTS["musicgen_melody"]["num_chroma"])
    return {"d_text": ("text_encoder.d_model", d_text), "d_decoder": ("decoder.hidden_size", d_decoder),
            "text_projection": ("text_encoder.d_model", d_text != d_decoder),
            "num_chroma": ("num_chroma", chroma if chroma != d_decoder else None)}  # fmt: skip


#: The composite model types (the module's docstring lists them).
COMPOSITES = (
    Composite("csm", "composite", ("CsmForConditionalGeneration",), (
        Tower("decoder", config="depth_decoder_config", model_type="csm_depth_decoder_model", path="depth_decoder"),
        Tower("audio", config="codec_config", model_type="mimi", path="codec_model"),
        Tower("text", family="csm-backbone", params=csm_backbone),
    ), rules=(_csm_tie,), shape_free=frozenset((*_CSM_SHAPE_FREE, "tie_codebooks_embeddings", "codebook_pad_token_id",
                                                 "codebook_eos_token_id", "audio_token_id", "audio_eos_token_id")),
        description="CSM: a Llama backbone over text and audio codes, a depth decoder, a Mimi codec"),
    Composite("musicgen", "composite", ("MusicgenForConditionalGeneration",), (
        Tower("text", config="text_encoder", model_type="t5", path="text_encoder"),
        Tower("audio", config="audio_encoder", model_type="encodec", path="audio_encoder"),
        Tower("decoder", config="decoder", model_type="musicgen_decoder", path="decoder"),
        Tower("projector", family="musicgen-projector", params=musicgen_projector),
    ), rules=(_text_encoder,), shape_free=frozenset(("is_encoder_decoder", "initializer_factor")),
        description="MusicGen: T5 text encoder, EnCodec audio codec, a decoder over its codebooks"),
    Composite("musicgen_melody", "composite", ("MusicgenMelodyForConditionalGeneration",), (
        Tower("text", config="text_encoder", model_type="t5", path="text_encoder"),
        Tower("audio", config="audio_encoder", model_type="encodec", path="audio_encoder"),
        Tower("decoder", config="decoder", model_type="musicgen_melody_decoder", path="decoder"),
        Tower("projector", family="musicgen-projector", params=melody_projector),
    ), rules=(_text_encoder,), shape_free=frozenset(("is_encoder_decoder", "initializer_factor", "chroma_length")),
        description="MusicGen-Melody: MusicGen conditioned on a melody's chroma too, its decoder without cross-attention"),
)  # fmt: skip

#: Every row of this plugin (the module's docstring lists them).
ROWS = (CSM_DEPTH_DECODER, DAC, DIA, ENCODEC, MIMI, MUSICGEN_DECODER, MUSICGEN_MELODY_DECODER)


@hookimpl
def register_model_types(register):
    """Map csm, csm_depth_decoder_model, dac, dia, encodec, mimi, musicgen_decoder, musicgen, musicgen_melody_decoder and musicgen_melody."""
    for row in (*ROWS, *COMPOSITES):
        register(row)

"""Omni and speech-in model types, as rows of data: qwen2_5_omni and qwen3_asr (composites) and the sub-config types
they read.

As transformers 5.25 builds ``Qwen2_5OmniForConditionalGeneration`` (``modeling_qwen2_5_omni.py``), six parts:

* the thinker (``thinker``, ``Qwen2_5OmniThinkerForConditionalGeneration``, from ``thinker_config``):
  ``audio`` (``thinker_config.audio_config``, ``qwen2_5_omni_audio_encoder``: :mod:`registry.plugins.qwen_omni`) at
  ``thinker.model.audio_tower``; ``vision`` (``thinker_config.vision_config``, ``qwen2_5_omni_vision_encoder``:
  Qwen2.5-VL's tower with separate query, key and value projections, :mod:`registry.plugins.qwen_vision`) at
  ``thinker.model.visual``; ``text`` (``thinker_config.text_config``, ``qwen2_5_omni_text``: a Qwen2 decoder) at
  ``thinker.model.language_model``, its head ``thinker.lm_head`` tied as ``thinker_config.tie_word_embeddings``
  says (default false; neither the top level's nor the text config's flag ties it);
* the talker (``talker``, from ``talker_config``, ``qwen2_5_omni_talker``: :mod:`registry.plugins.qwen_omni`);
* token2wav (``Qwen2_5OmniToken2WavModel``, from ``token2wav_config``): ``dit`` (``token2wav_config.dit_config``,
  ``qwen2_5_omni_dit``) at ``token2wav.code2wav_dit_model`` and ``vocoder`` (``token2wav_config.bigvgan_config``,
  ``qwen2_5_omni_bigvgan``) at ``token2wav.code2wav_bigvgan_model`` (:mod:`registry.plugins.qwen_omni_token2wav`).

``enable_audio_output: false`` builds the thinker alone (no talker, no token2wav). Qwen's published files name the
class ``Qwen2_5OmniModel``, which transformers 5.25 does not have: they are counted as
``Qwen2_5OmniForConditionalGeneration``, the class the model card loads them with, with a note. Their DiT config
still spells its sizes ``dim``, ``depth`` and ``heads``, which ``Qwen2_5OmniDiTConfig`` does not read (it has no
``attribute_map``): transformers builds its defaults (``hidden_size``, ``num_hidden_layers``, ``num_attention_heads``),
and so does registry, listing those fields as ignored.

Images (``--images``): the thinker takes them as Qwen2.5-VL does (``Qwen2_5OmniProcessor``: the
``Qwen2VLImageProcessor`` grid over ``merge_size²`` tokens; ``Qwen2_5OmniVisionEncoder.get_window_index`` is Qwen2.5-VL's),
by :func:`registry.plugins.image_rules.qwen` read at ``thinker_config.vision_config``; the image tokens join the
thinker's language model (the ``text`` part). Audio (``--audio-seconds``, at most 30 s) by :data:`OMNI_AUDIO`, the
``chunked`` rule (:mod:`registry.sources.audio_kinds`): the audio encoder over the attention mask's mel frames in
chunks of ``2 × n_window`` (``thinker_config.audio_config.n_window``; ``modeling_qwen2_5_omni.py``:
``chunk_and_pad_features``), its attention within each chunk, ``ln_post`` and ``proj`` over the pooled tokens, which
join the thinker's language model. Qwen3-ASR's encoder chunks otherwise: :data:`ASR_AUDIO_RULE`, the ``windowed``
rule (any length: its processor neither cuts nor splits; at least 0.5 s, the feature extractor's ``min_length``): three
``Conv2d`` and ``conv_out`` over every chunk of ``2 × n_window`` mel frames (``audio_config.n_window``), 13 tokens a
whole chunk, the layers' attention within windows of ``13 · (n_window_infer // (2 · n_window))`` tokens
(``modeling_qwen3_asr.py``'s ``get_audio_cu_seqlens``), ``ln_post`` and the projector over the tokens, which join the
language model; ``memory --train`` with audio is refused (its front end's saved tensors are not modelled).

``Qwen3ASRForConditionalGeneration`` (``modeling_qwen3_asr.py``; the ``-hf`` checkpoints' flat layout, ``audio_config``
and ``text_config`` at the top level): ``audio`` (``qwen3_asr_encoder``: :mod:`registry.plugins.qwen_omni`) at
``model.audio_tower``, ``projector`` (``model.multi_modal_projector``: ``linear_1``, ``d_model → d_model``, and
``linear_2``, ``d_model → audio_config.output_dim``, with biases) and ``text`` (any mapped language model, a ``qwen3``
by default) at ``model.language_model``, its head ``lm_head`` tied as the top-level ``tie_word_embeddings`` says
(default true; the text config's own flag is not read). Qwen's original files (``thinker_config``, remote code) are
not this layout: they are refused (``thinker_config`` is no field of ``Qwen3ASRConfig``; the towers are missing).
"""

from __future__ import annotations

from dataclasses import replace

from registry import COMMON_SHAPE_FREE, AudioRule, Composite, ConfigReader, Params, Row, SubConfig, Tower, hookimpl, short_value
from registry.plugins.attention_windows import windows
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.hf_common import derived_head_dim, lm_head
from registry.plugins.image_rules import qwen
from registry.plugins.llama_model_types import ROWS as LLAMA_ROWS
from registry.plugins.qwen_vision_types import VISION_ROWS
from registry.plugins.vlm_types import composite_lm_head, tie

_QWEN2 = next(r for r in LLAMA_ROWS if r.name == "qwen2")

#: ``Qwen2_5OmniAudioEncoder`` (``thinker_config.audio_config``), with its configuration's ``attribute_map`` spellings;
#: ``max_source_positions`` only sizes the sinusoid buffer, ``n_window`` the chunks the audio is cut in.
AUDIO = Row(
    "qwen2_5_omni_audio_encoder", "qwen-omni-audio", ("Qwen2_5OmniAudioEncoder",),
    reads={"d_model": "d_model|hidden_size", "n_layers": "encoder_layers|num_hidden_layers",
           "n_heads": "encoder_attention_heads|num_attention_heads", "d_ff": "encoder_ffn_dim|intermediate_size",
           "num_mel_bins": "num_mel_bins", "output_dim": "output_dim"},
    defaults=DEFAULTS["qwen2_5_omni_audio_encoder"],
    shape_free=frozenset(("dropout", "attention_dropout", "activation_function", "activation_dropout", "scale_embedding",
                          "max_source_positions", "n_window")),
    description="Qwen2.5-Omni's audio encoder (thinker_config.audio_config)",
)  # fmt: skip

#: ``Qwen2_5OmniVisionEncoder`` (``thinker_config.vision_config``): Qwen2.5-VL's row, the omni layout.
VISION = replace(VISION_ROWS["qwen2_5_vl_vision"], name="qwen2_5_omni_vision_encoder", classes=("Qwen2_5OmniVisionEncoder",),
                 defaults=DEFAULTS["qwen2_5_omni_vision_encoder"], fixed={"layout": "qwen2_5_omni"},
                 description="Qwen2.5-Omni's vision encoder (thinker_config.vision_config)")  # fmt: skip


def _decoder(name: str, family: str, classes: tuple[str, ...], reads: dict, shape_free: frozenset, description: str) -> Row:
    """A Qwen2 decoder's row (the ``qwen2`` row's reads, biases and rules) with this configuration's defaults."""
    rules = (lm_head, derived_head_dim, windows("qwen", DEFAULTS[name]["sliding_window"]))
    return replace(_QWEN2, name=name, family=family, classes=classes, reads=reads, rules=rules,
                   defaults={"head_dim": None, **DEFAULTS[name]}, shape_free=_QWEN2.shape_free | shape_free,
                   description=description)  # fmt: skip


#: The thinker's language model (``Qwen2_5OmniThinkerTextModel``): its head and tie are the composite's to say.
TEXT = _decoder("qwen2_5_omni_text", "llama", ("Qwen2_5OmniThinkerTextModel",), _QWEN2.reads, frozenset(),
                "Qwen2.5-Omni's thinker language model (thinker_config.text_config)")
#: The talker's configuration fields that change no shape: special tokens, the rotary position's timing.
_TALKER_FREE = frozenset((
    "tie_word_embeddings",  # Qwen2_5OmniTalkerForConditionalGeneration declares no tie
    "audio_token_index", "image_token_index", "video_token_index", "audio_start_token_id", "audio_end_token_id",
    "vision_start_token_id", "vision_end_token_id", "tts_text_start_token_id", "tts_text_end_token_id",
    "tts_text_pad_token_id", "tts_codec_start_token_id", "tts_codec_end_token_id", "tts_codec_pad_token_id",
    "tts_codec_mask_token_id", "position_id_per_seconds", "seconds_per_chunk", "spatial_merge_size",
))  # fmt: skip
TALKER = _decoder("qwen2_5_omni_talker", "qwen-omni-talker",
                  ("Qwen2_5OmniTalkerForConditionalGeneration", "Qwen2_5OmniTalkerModel"),
                  {**{k: v for k, v in _QWEN2.reads.items() if k != "tie_word_embeddings"}, "embedding_size": "embedding_size"},
                  _TALKER_FREE, "Qwen2.5-Omni's talker (talker_config)")  # fmt: skip


def _dilations(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (DiT): ``ECAPA_TimeDelayNet`` refuses ``enc_dilations`` of another length than ``enc_channels``."""
    given = cfg.int_list("enc_dilations", DEFAULTS["qwen2_5_omni_dit"]["enc_dilations"])
    if len(given) != len(params["enc_channels"][1]):
        raise cfg.error("enc_dilations", f"{len(given)} dilations for {len(params['enc_channels'][1])} enc_channels "
                                         "(ECAPA_TimeDelayNet needs one each)")  # fmt: skip


_DIT_SIZES = ("hidden_size", "num_hidden_layers", "num_attention_heads", "head_dim", "ff_mult", "emb_dim", "num_embeds",
              "mel_dim", "enc_emb_dim", "enc_dim", "enc_channels", "enc_kernel_sizes", "enc_attention_channels",
              "enc_res2net_scale", "enc_se_channels")  # fmt: skip
DIT = Row(
    "qwen2_5_omni_dit", "qwen-omni-dit", ("Qwen2_5OmniToken2WavDiTModel",), reads={f: f for f in _DIT_SIZES},
    defaults=DEFAULTS["qwen2_5_omni_dit"], rules=(_dilations,),
    shape_free=frozenset(("rope_parameters", "max_position_embeddings", "block_size", "look_ahead_layers",
                          "look_backward_layers", "repeats", "dropout")),
    description="Qwen2.5-Omni's token2wav DiT (token2wav_config.dit_config)",
)  # fmt: skip


def _vocoder_lists(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (BigVGAN): one stride per upsampling kernel, and per AMP block kernel a list of at least three
    dilations (``Qwen2_5OmniAMPBlock`` takes the first three), as ``Qwen2_5OmniToken2WavBigVGANModel`` needs."""
    defaults = DEFAULTS["qwen2_5_omni_bigvgan"]
    rates = cfg.int_list("upsample_rates", defaults["upsample_rates"])
    if len(rates) != len(params["upsample_kernel_sizes"][1]) or 0 in rates:
        raise cfg.error("upsample_rates", f"needs one stride >= 1 per upsample_kernel_sizes entry (got {short_value(rates)})")
    dilations = cfg.raw("resblock_dilation_sizes", defaults["resblock_dilation_sizes"])
    fine = isinstance(dilations, list) and len(dilations) == len(params["resblock_kernel_sizes"][1]) and all(
        isinstance(d, list) and len(d) >= 3 and all(isinstance(x, int) and not isinstance(x, bool) and x >= 1 for x in d)
        for d in dilations)  # fmt: skip
    if not fine:
        raise cfg.error("resblock_dilation_sizes", "needs, per resblock_kernel_sizes entry, a list of at least three "
                                                   f"whole dilations >= 1 (got {short_value(dilations)})")  # fmt: skip


BIGVGAN = Row(
    "qwen2_5_omni_bigvgan", "qwen-omni-bigvgan", ("Qwen2_5OmniToken2WavBigVGANModel",),
    reads={f: f for f in ("mel_dim", "upsample_initial_channel", "upsample_kernel_sizes", "resblock_kernel_sizes")},
    defaults=DEFAULTS["qwen2_5_omni_bigvgan"], rules=(_vocoder_lists,),
    description="Qwen2.5-Omni's token2wav BigVGAN vocoder (token2wav_config.bigvgan_config)",
)  # fmt: skip

#: The thinker configuration's fields that change no shape (the special tokens, the audio's timing).
_THINKER_FREE = frozenset(("audio_config", "vision_config", "text_config", "audio_token_index", "image_token_index",
                           "video_token_index", "position_id_per_seconds", "seconds_per_chunk", "audio_start_token_id",
                           "audio_end_token_id", "user_token_id"))  # fmt: skip


def _finish(cfg: ConfigReader, key: str, model_type: str, known: frozenset) -> SubConfig:
    """The sub-config ``key`` (its fields other than ``known`` and the common ones listed as ignored with the top
    level's, as a tower's are)."""
    sub = SubConfig(cfg, key)
    sub.read.update(k for k in sub.data if k in known)
    ignored = sub.finish(COMMON_SHAPE_FREE | known, model_type)
    cfg.nested_ignored += [f"{key}.{f}" for f in ignored if f"{key}.{f}" not in cfg.nested_ignored]
    return sub


def _thinker(cfg: ConfigReader, cls: str, parts: dict[str, Params]) -> tuple[str, ...]:
    """Rule: the thinker has its LM head, tied as ``thinker_config.tie_word_embeddings`` says (the thinker's
    ``_tied_weights_keys``, read from its own configuration); the thinker's and token2wav's own fields checked."""
    thinker = _finish(cfg, "thinker_config", "qwen2_5_omni_thinker", _THINKER_FREE | {"tie_word_embeddings"})
    tie = thinker.bool("tie_word_embeddings", DEFAULTS["qwen2_5_omni_thinker"]["tie_word_embeddings"])
    parts["text"]["lm_head"] = ("architectures", True)
    parts["text"]["tie_word_embeddings"] = ("thinker_config.tie_word_embeddings", tie)
    if "dit" in parts:
        _finish(cfg, "token2wav_config", "qwen2_5_omni_token2wav", frozenset(("dit_config", "bigvgan_config")))
    if cls == "Qwen2_5OmniModel":
        return ("architectures names Qwen2_5OmniModel, a class transformers 5.25 does not have: counted as "
                "Qwen2_5OmniForConditionalGeneration, the class the model card loads the checkpoint with",)
    return ()


#: ``Qwen3ASREncoder`` (``audio_config`` of a qwen3_asr config); ``output_dim`` is the projector's width, the
#: sinusoid table's length and the attention windows change no shape.
ASR_AUDIO = Row(
    "qwen3_asr_encoder", "qwen3-asr-audio", ("Qwen3ASREncoder",),
    reads={"d_model": "d_model", "n_layers": "encoder_layers", "n_heads": "encoder_attention_heads",
           "d_ff": "encoder_ffn_dim", "num_mel_bins": "num_mel_bins", "downsample_hidden_size": "downsample_hidden_size"},
    defaults=DEFAULTS["qwen3_asr_encoder"],
    shape_free=frozenset(("dropout", "attention_dropout", "activation_function", "activation_dropout", "scale_embedding",
                          "max_position_embeddings", "n_window", "n_window_infer", "output_dim")),
    description="Qwen3-ASR's audio encoder (audio_config)",
)  # fmt: skip


def _asr_projector(cfg: ConfigReader, parts: dict[str, Params]) -> Params:
    """``Qwen3ASRMultiModalProjector``: ``linear_1`` (``d_model`` to ``d_model``) and ``linear_2`` (to the audio config's
    ``output_dim``), with biases: the ``lfm2_vl`` layout of :mod:`registry.plugins.projector` without its norm."""
    width = parts["audio"]["d_model"][1]
    out = SubConfig(cfg, "audio_config").int("output_dim", DEFAULTS["qwen3_asr_encoder"]["output_dim"])
    return {"layout": ("model_type", "lfm2_vl"), "d_in": ("audio_config.d_model", width),
            "d_hidden": ("audio_config.d_model", width), "d_out": ("audio_config.output_dim", out)}  # fmt: skip


#: Qwen2.5-Omni's audio (module docstring): the attention mask's frames of at most 30 s, in chunks of ``2 × n_window``
#: (``thinker_config.audio_config.n_window``; ``Qwen2_5OmniAudioEncoderConfig``'s default 100 when it is not given).
OMNI_AUDIO = AudioRule(
    "Qwen2.5-Omni: log-mel of the unpadded audio in chunks of 2 x n_window frames, attention within each, average-pooled "
    "by 2", kind="chunked", part="audio", window="n_window", at="thinker_config.audio_config",
    fallback=(("n_window", DEFAULTS["qwen2_5_omni_audio_encoder"]["n_window"]),), after_pool=("ln_post", "proj"),
    note="tokens of the unpadded audio (Qwen2_5OmniProcessor); at most 30 s",
)  # fmt: skip

#: Qwen3-ASR's audio (module docstring; :mod:`registry.sources.audio_kinds`): ``n_window`` and ``n_window_infer`` read
#: in ``audio_config`` (``Qwen3ASREncoderConfig``'s defaults 50 and 800 when it does not give them).
ASR_AUDIO_RULE = AudioRule(
    "Qwen3-ASR: log-mel of the audio (at least 0.5 s) in chunks of 2 x n_window frames through three Conv2d, attention "
    "within windows of n_window_infer frames", kind="windowed", part="audio", window="n_window",
    attention_window="n_window_infer", at="audio_config", mel_bins="num_mel_bins", after_pool=("ln_post",),
    fallback=tuple((f, DEFAULTS["qwen3_asr_encoder"][f]) for f in ("n_window", "n_window_infer", "num_mel_bins")),
    note="tokens as Qwen3ASRProcessor counts them; audio under 0.5 s padded to it",
)  # fmt: skip

_AUDIO_OUT = "enable_audio_output"
#: The composite model types (the module's docstring lists them).
COMPOSITES = (
    Composite("qwen2_5_omni", "composite", ("Qwen2_5OmniForConditionalGeneration", "Qwen2_5OmniModel"), (
        Tower("audio", config="thinker_config.audio_config", model_type="qwen2_5_omni_audio_encoder",
              path="thinker.model.audio_tower"),
        Tower("vision", config="thinker_config.vision_config", model_type="qwen2_5_omni_vision_encoder",
              path="thinker.model.visual"),
        Tower("text", config="thinker_config.text_config", model_type="qwen2_5_omni_text",
              moves={"model": "thinker.model.language_model", "lm_head": "thinker.lm_head"}),
        Tower("talker", config="talker_config", model_type="qwen2_5_omni_talker", path="talker", when=_AUDIO_OUT),
        Tower("dit", config="token2wav_config.dit_config", model_type="qwen2_5_omni_dit",
              path="token2wav.code2wav_dit_model", when=_AUDIO_OUT),
        Tower("vocoder", config="token2wav_config.bigvgan_config", model_type="qwen2_5_omni_bigvgan",
              path="token2wav.code2wav_bigvgan_model", when=_AUDIO_OUT),
    ), rules=(_thinker,), shape_free=frozenset(("thinker_config", "token2wav_config", _AUDIO_OUT)),
        images=qwen("qwen2_5_omni_vision_encoder", at="thinker_config.vision_config"),
        audio=OMNI_AUDIO,
        description="Qwen2.5-Omni: thinker (audio and vision encoders, Qwen2 language model), talker, token2wav (DiT, BigVGAN)"),
    Composite("qwen3_asr", "composite", ("Qwen3ASRForConditionalGeneration",), (
        Tower("audio", config="audio_config", model_type="qwen3_asr_encoder", path="model.audio_tower"),
        Tower("projector", family="projector", params=_asr_projector, path="model.multi_modal_projector"),
        Tower("text", config="text_config", model_type="qwen3", model_types=("*",), moves={"model": "model.language_model"}),
    ), rules=(composite_lm_head, tie()), shape_free=frozenset(("audio_token_id", "timestamp_token_id", "token_classification_bias",
                                                       "tie_word_embeddings")), audio=ASR_AUDIO_RULE,
        description="Qwen3-ASR: a convolution-fronted audio encoder, a two-layer projector, any mapped language model"),
)  # fmt: skip

#: Every row of this plugin (the module's docstring lists them).
ROWS = (AUDIO, VISION, TEXT, TALKER, DIT, BIGVGAN, ASR_AUDIO)


@hookimpl
def register_model_types(register):
    """Map qwen2_5_omni, qwen3_asr and their sub-config types."""
    for row in (*ROWS, *COMPOSITES):
        register(row)

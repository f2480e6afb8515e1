"""Speech model types of 2026's fifth wave, as rows of data: glmasr (and its encoder), univnet, bark, clvp (and its
encoder and decoder), clap (and its towers).

As transformers 5.25 builds them:

* ``glmasr_encoder`` (``modeling_glmasr.py``: ``GlmAsrEncoder``): the ``glmasr-encoder`` family
  (:mod:`registry.plugins.glmasr_encoder`). ``head_dim`` is no declared field of ``GlmAsrEncoderConfig``, but the
  published file gives it and ``LlamaAttention`` reads it (``hidden_size / num_attention_heads`` without it);
  ``GlmAsrEncoderConfig.__post_init__`` sets an absent ``num_key_value_heads`` to ``num_attention_heads``;
* ``glmasr`` (``GlmAsrForConditionalGeneration``; zai-org's GLM-ASR-Nano-2512): ``audio_config`` read by
  ``glmasr_encoder`` at ``model.audio_tower``, the projector ``model.multi_modal_projector`` (``linear_1`` from the
  audio config's ``intermediate_size``, four encoder positions stacked, to twice the language model's width, an
  activation, ``linear_2`` to its width, biases: the ``lfm2_vl`` layout of :mod:`registry.plugins.projector`), and
  ``text_config`` (a ``llama`` by default) at ``model.language_model``, its head ``lm_head`` at the root, tied to the
  embedding as the top-level ``tie_word_embeddings`` says (``GlmAsrConfig``'s default: true). ``GlmAsrConfig`` fills
  the text fields a file leaves out with its own values (GLM-ASR-Nano's sizes), not the language model's: so does
  the rule.

* ``univnet`` (``modeling_univnet.py``: ``UnivNetModel``; the vocoder of TorToise-era TTS, dg845/univnet-dev): the
  ``univnet`` family (:mod:`registry.plugins.univnet`). ``resblock_kernel_sizes`` and ``resblock_dilation_sizes``
  need an entry per ``resblock_stride_sizes`` entry (``UnivNetConfig.validate_architecture``), each a non-empty list
  of dilations (an empty one would leave transformers a kernel predictor of no output channels: refused here).

* ``bark`` (``modeling_bark.py``: ``BarkModel``; suno/bark, suno/bark-small): four parts in transformers' order, each
  at its own path: ``semantic`` and ``coarse_acoustics`` (the ``bark-gpt`` family's ``causal`` layout,
  :mod:`registry.plugins.bark`) from ``semantic_config`` and ``coarse_acoustics_config``, ``fine_acoustics`` (its
  ``fine`` layout) from ``fine_acoustics_config``, and ``codec_model`` read by ``encodec`` from ``codec_config``.
  The three GPT sub-configs' ``model_type`` (``semantic``, ``coarse_acoustics``, ``fine_acoustics``) is no type of
  its own in transformers' auto classes, so they are read here, with ``BarkSubModelConfig``'s ``attribute_map``
  spellings (``num_attention_heads``, ``num_hidden_layers``, ``vocab_size``, ``window_size``); as for every
  composite, a sub-config left out is refused, not guessed. A fine model's heads tied to its embeddings need as many
  outputs as rows (refused otherwise).

* ``clvp_encoder`` (``ClvpEncoder``), ``clvp_decoder`` (``ClvpForCausalLM``) and ``clvp``
  (``ClvpModelForConditionalGeneration``; TorToise's CLVP, susnato/clvp_dev): the families of
  :mod:`registry.plugins.clvp`; the composite puts the conditioning encoder at ``conditioning_encoder`` and
  ``logit_scale`` at the root (from ``decoder_config`` and the text encoder's vocabulary), ``decoder_config`` at
  ``speech_decoder_model``, ``text_config`` at ``text_encoder_model`` and ``speech_config`` at
  ``speech_encoder_model``. An encoder config's ``summary_use_proj`` (a projection ``ClvpSequenceSummary`` would
  add) and ``summary_type`` ``"attn"`` (transformers raises) are refused. The top-level ``projection_dim`` changes no
  shape: each encoder projects to its own.

* ``clap_text_model`` (``ClapTextModel``: RoBERTa's layers and pooler, the ``encoder`` family's ``roberta`` layout),
  ``clap_audio_model`` (``ClapAudioModel``: HTSAT, :mod:`registry.plugins.clap_audio`; ``patch_size`` a number or a
  pair) and ``clap`` (``ClapModel``; LAION's CLAP, laion/clap-htsat-fused): the towers at ``text_model`` and
  ``audio_model``, and the heads (``clap-heads``: two projections to the top-level ``projection_dim``, which
  ``ClapConfig.__post_init__`` writes into both towers' configs, and the two logit scales) at the root. The audio
  tower's ``spec_size``, ``patch_stride``, ``num_classes`` and ``flatten_patch_embeds`` change no shape.

``--audio-seconds`` is refused for glmasr: ``GlmAsrProcessor`` pads each 30 s window to Whisper's 3,000 frames but
counts the tokens of the unpadded frames summed over the windows, a rule no :class:`registry.AudioRule` kind follows
yet.
"""

from __future__ import annotations

from registry import Composite, ConfigReader, Params, Row, SubConfig, Tower, hookimpl
from registry import short_value
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.vlm_types import tie

#: ``GlmAsrEncoder`` (the audio tower of glmasr configs); the module's docstring says why ``head_dim`` is read.
GLMASR_ENCODER = Row(
    "glmasr_encoder", "glmasr-encoder", ("GlmAsrEncoder",),
    reads={"d_model": "hidden_size", "n_layers": "num_hidden_layers", "n_heads": "num_attention_heads",
           "n_kv_heads": "num_key_value_heads?", "head_dim": "head_dim?", "d_ff": "intermediate_size",
           "num_mel_bins": "num_mel_bins"},
    defaults={**DEFAULTS["glmasr_encoder"], "head_dim": None},
    shape_free=frozenset(("hidden_act", "max_position_embeddings", "initializer_range", "rope_parameters",
                          "attention_dropout", "partial_rotary_factor")),
    description="GLM-ASR's audio encoder: Whisper's conv front end, rotary pre-norm layers with grouped keys/values",
)  # fmt: skip


def glmasr_projector(cfg: ConfigReader, parts: dict[str, Params]) -> Params:
    """GLM-ASR's ``GlmAsrMultiModalProjector``: ``linear_1`` (the audio ``intermediate_size`` to twice the text
    width) and ``linear_2`` (to the text width), biases."""
    width = parts["text"]["d_model"][1]
    return {"layout": ("model_type", "lfm2_vl"), "d_in": ("audio_config.intermediate_size", parts["audio"]["d_ff"][1]),
            "d_hidden": ("text_config.hidden_size", 2 * width), "d_out": ("text_config.hidden_size", width)}  # fmt: skip


#: ``GlmAsrConfig``'s values of the text fields a file leaves out (``sub_configs_defaults``' ``init_kwargs``), and the
#: language model's parameters they give.
_GLMASR_TEXT = {"vocab_size": ("vocab_size", 59264), "hidden_size": ("d_model", 2048),
                "intermediate_size": ("d_ff", 6144), "num_hidden_layers": ("n_layers", 28),
                "num_attention_heads": ("n_heads", 16), "num_key_value_heads": ("n_kv_heads", 4)}  # fmt: skip


def glmasr_text_defaults(cfg: ConfigReader, cls: str, parts: dict[str, Params]) -> None:
    """Rule: a text field the file leaves out takes ``GlmAsrConfig``'s value (``GlmAsrConfig.__post_init__`` merges
    them under the file's), not the language model configuration's default."""
    given = SubConfig(cfg, "text_config").data
    for field, (param, value) in _GLMASR_TEXT.items():
        if field not in given and param in parts["text"]:
            parts["text"][param] = (f"text_config.{field}", value)


def _univnet(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (univnet): ``resblock_dilation_sizes``, a list of non-empty lists of whole numbers >= 1 (one per block)."""
    dilations = cfg.raw("resblock_dilation_sizes", DEFAULTS["univnet"]["resblock_dilation_sizes"])
    if not isinstance(dilations, list) or not all(
            isinstance(d, list) and d and all(isinstance(x, int) and not isinstance(x, bool) and x > 0 for x in d)
            for d in dilations):  # fmt: skip
        raise cfg.error("resblock_dilation_sizes", "must be a list of non-empty lists of whole numbers >= 1 "
                                                   "(an LVC block needs a dilation)")
    params["resblock_dilation_sizes"] = ("resblock_dilation_sizes", dilations)


#: ``UnivNetModel`` (the module's docstring says what is checked).
UNIVNET = Row(
    "univnet", "univnet", ("UnivNetModel",),
    reads={k: k for k in ("model_in_channels", "model_hidden_channels", "num_mel_bins", "resblock_kernel_sizes",
                          "resblock_stride_sizes", "kernel_predictor_num_blocks", "kernel_predictor_hidden_channels",
                          "kernel_predictor_conv_size")},
    defaults=DEFAULTS["univnet"], rules=(_univnet,),
    shape_free=frozenset(("initializer_range", "kernel_predictor_dropout", "leaky_relu_slope")),
    description="UnivNet: GAN vocoder of location-variable convolutions and kernel predictors",
)  # fmt: skip


#: ``BarkSubModelConfig``'s fields the ``bark-gpt`` family takes, and their ``attribute_map`` spellings.
_BARK_FIELDS = {"hidden_size": ("hidden_size",), "num_layers": ("num_layers", "num_hidden_layers"),
                "num_heads": ("num_heads", "num_attention_heads"), "block_size": ("block_size", "window_size"),
                "input_vocab_size": ("input_vocab_size", "vocab_size"), "output_vocab_size": ("output_vocab_size",)}  # fmt: skip


def _bark_part(key: str, layout: str):
    """The params function of one of Bark's GPT-style models, read from the sub-config ``key``."""

    def params(cfg: ConfigReader, parts: dict[str, Params]) -> Params:
        sub, defaults = SubConfig(cfg, key), DEFAULTS["bark"]
        out: Params = {"layout": ("model_type", layout)}
        for name, spellings in _BARK_FIELDS.items():
            given = [f for f in spellings if f in sub.data]
            if len(given) == 2 and sub.data[given[0]] != sub.data[given[1]]:
                raise sub.error(given[1], f"{short_value(sub.data[given[1]])} differs from {given[0]} "
                                          f"({short_value(sub.data[given[0]])}): the same field, spelled twice")  # fmt: skip
            field = given[0] if given else spellings[0]
            out[name] = (f"{key}.{field}", sub.int(field, defaults[f"{key}.{spellings[0]}"]))
        out["bias"] = (f"{key}.bias", sub.bool("bias", defaults[f"{key}.bias"]))
        if layout == "fine":
            out["n_codes_total"] = (f"{key}.n_codes_total", sub.int("n_codes_total", defaults[f"{key}.n_codes_total"]))
            out["n_codes_given"] = (f"{key}.n_codes_given", sub.int("n_codes_given", defaults[f"{key}.n_codes_given"],
                                                                    minimum=0))  # fmt: skip
            out["tie_word_embeddings"] = (f"{key}.tie_word_embeddings",
                                          sub.bool("tie_word_embeddings", defaults[f"{key}.tie_word_embeddings"]))
        return out

    return params


def _clvp_encoder(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (clvp_encoder): no ``summary_use_proj`` (registry does not build the summary's projection), no ``summary_type``
    ``"attn"`` (``ClvpSequenceSummary`` raises NotImplementedError)."""
    if cfg.bool("summary_use_proj", False):
        raise cfg.error("summary_use_proj", "true: ClvpSequenceSummary's projection is not built by registry")
    if cfg.raw("summary_type", DEFAULTS["clvp_encoder"]["summary_type"]) == "attn":
        raise cfg.error("summary_type", "'attn': transformers 5.25's ClvpSequenceSummary does not implement it")


#: ``ClvpEncoder`` (the text and speech encoders of clvp configs).
CLVP_ENCODER = Row(
    "clvp_encoder", "clvp-encoder", ("ClvpEncoder",),
    reads={k: k for k in ("vocab_size", "hidden_size", "intermediate_size", "projection_dim", "num_hidden_layers",
                          "num_attention_heads", "use_attention_bias")},
    defaults=DEFAULTS["clvp_encoder"], rules=(_clvp_encoder,),
    shape_free=frozenset(("hidden_act", "layer_norm_eps", "attention_dropout", "dropout", "use_rotary_embedding",
                          "initializer_factor", "summary_proj_to_labels", "summary_activation", "summary_first_dropout",
                          "summary_last_dropout")),
    description="CLVP's text or speech encoder: rotary layers with a gated MLP, a projection",
)  # fmt: skip

#: ``ClvpForCausalLM`` (the speech decoder of clvp configs); the conditioning fields are read by the composite.
CLVP_DECODER = Row(
    "clvp_decoder", "clvp-decoder", ("ClvpForCausalLM",),
    reads={**{k: k for k in ("vocab_size", "max_position_embeddings", "hidden_size", "num_hidden_layers",
                             "num_attention_heads", "use_attention_bias")}, "n_inner": "n_inner?"},
    defaults=DEFAULTS["clvp_decoder"],
    shape_free=frozenset(("activation_function", "resid_pdrop", "embd_pdrop", "attention_dropout", "layer_norm_epsilon",
                          "initializer_range", "initializer_factor", "summary_type", "summary_use_proj",
                          "summary_activation", "summary_proj_to_labels", "summary_first_dropout", "decoder_fixing_codes",
                          "add_cross_attention", "max_text_tokens", "num_mel_attn_blocks", "feature_size")),
    description="CLVP's speech decoder: GPT-2-style layers, a final norm, a head with a bias",
)  # fmt: skip


def clvp_conditioning(cfg: ConfigReader, parts: dict[str, Params]) -> Params:
    """CLVP's conditioning encoder (and ``logit_scale``): the decoder config's width, heads, biases and mel fields, the
    text encoder's vocabulary."""
    sub, defaults, decoder = SubConfig(cfg, "decoder_config"), DEFAULTS["clvp_decoder"], parts["decoder"]
    out: Params = {k: decoder[k] for k in ("hidden_size", "num_attention_heads", "use_attention_bias")}
    out["text_vocab_size"] = parts["text"]["vocab_size"]
    for field in ("max_text_tokens", "feature_size", "num_mel_attn_blocks"):
        out[field] = (f"decoder_config.{field}", sub.int(field, defaults[field], minimum=0 if field == "num_mel_attn_blocks" else 1))
    return out


def _clap_audio(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (clap_audio_model): ``patch_size`` a whole number (a square kernel) or a pair; ``fusion_type``
    ``"channel_map"`` quadruples the patch convolution's inputs (with ``enable_fusion``)."""
    size = cfg.raw("patch_size", DEFAULTS["clap_audio_model"]["patch_size"])
    if isinstance(size, int) and not isinstance(size, bool) and size > 0:
        size = [size, size]
    if not (isinstance(size, list) and len(size) == 2
            and all(isinstance(x, int) and not isinstance(x, bool) and x > 0 for x in size)):  # fmt: skip
        raise cfg.error("patch_size", f"{short_value(size)}: must be a whole number >= 1 or a pair of them")
    params["patch_size"] = ("patch_size", size)
    params["channel_map"] = ("fusion_type", cfg.raw("fusion_type") == "channel_map")


CLAP_TEXT = Row(
    "clap_text_model", "encoder", ("ClapTextModel",),
    reads={"vocab_size": "vocab_size", "d_model": "hidden_size", "n_layers": "num_hidden_layers",
           "n_heads": "num_attention_heads", "d_ff": "intermediate_size", "n_positions": "max_position_embeddings",
           "type_vocab_size": "type_vocab_size"},
    defaults=DEFAULTS["clap_text_model"], fixed={"layout": "roberta", "head": "none", "pooler": True},
    shape_free=frozenset(("hidden_act", "hidden_dropout_prob", "attention_probs_dropout_prob", "layer_norm_eps",
                          "initializer_factor", "projection_dim", "projection_hidden_act")),
    description="CLAP's text tower: RoBERTa with its pooler",
)  # fmt: skip
CLAP_AUDIO = Row(
    "clap_audio_model", "clap-audio", ("ClapAudioModel",),
    reads={k: k for k in ("patch_embeds_hidden_size", "depths", "num_attention_heads", "window_size", "mlp_ratio",
                          "qkv_bias", "patch_embed_input_channels", "enable_fusion", "aff_block_r",
                          "enable_patch_layer_norm", "num_mel_bins")},
    defaults=DEFAULTS["clap_audio_model"], rules=(_clap_audio,),
    shape_free=frozenset(("spec_size", "patch_stride", "num_classes", "flatten_patch_embeds", "hidden_act",
                          "hidden_dropout_prob", "attention_probs_dropout_prob", "drop_path_rate", "layer_norm_eps",
                          "initializer_factor", "projection_dim", "projection_hidden_act", "num_hidden_layers",
                          "hidden_size")),
    description="CLAP's audio tower: HTSAT, a Swin Transformer over the spectrogram",
)  # fmt: skip


def clap_heads(cfg: ConfigReader, parts: dict[str, Params]) -> Params:
    """CLAP's heads: each tower's ``hidden_size`` into the top-level ``projection_dim``."""
    audio = SubConfig(cfg, "audio_config").int("hidden_size", DEFAULTS["clap_audio_model"]["hidden_size"])
    return {"d_text": parts["text"]["d_model"], "d_audio": ("audio_config.hidden_size", audio),
            "projection_dim": ("projection_dim", cfg.int("projection_dim", DEFAULTS["clap"]["projection_dim"]))}  # fmt: skip


#: The composite model types (the module's docstring lists them).
COMPOSITES = (
    Composite("glmasr", "composite", ("GlmAsrForConditionalGeneration",), (
        Tower("audio", config="audio_config", model_type="glmasr_encoder", path="model.audio_tower"),
        Tower("projector", family="projector", params=glmasr_projector, path="model.multi_modal_projector"),
        Tower("text", config="text_config", model_type="llama", model_types=("*",), moves={"model": "model.language_model"}),
    ), rules=(glmasr_text_defaults, tie()),
        shape_free=frozenset(("audio_token_id", "projector_hidden_act", "hidden_size", "vocab_size", "tie_word_embeddings")),
        description="GLM-ASR: rotary Whisper-style audio encoder, two-layer projector, any mapped language model"),
    Composite("bark", "composite", ("BarkModel",), (
        Tower("semantic", family="bark-gpt", params=_bark_part("semantic_config", "causal"), path="semantic"),
        Tower("coarse_acoustics", family="bark-gpt", params=_bark_part("coarse_acoustics_config", "causal"),
              path="coarse_acoustics"),
        Tower("fine_acoustics", family="bark-gpt", params=_bark_part("fine_acoustics_config", "fine"), path="fine_acoustics"),
        Tower("codec", config="codec_config", model_type="encodec", path="codec_model"),
    ), shape_free=frozenset(("initializer_range",)),
        description="Bark: semantic, coarse and fine GPT-style models, an EnCodec codec"),
    Composite("clvp", "composite", ("ClvpModelForConditionalGeneration",), (
        Tower("text", config="text_config", model_type="clvp_encoder", path="text_encoder_model"),
        Tower("speech", config="speech_config", model_type="clvp_encoder", path="speech_encoder_model"),
        Tower("decoder", config="decoder_config", model_type="clvp_decoder", path="speech_decoder_model"),
        Tower("conditioning", family="clvp-conditioning", params=clvp_conditioning),
    ), shape_free=frozenset(("projection_dim", "logit_scale_init_value", "initializer_factor")),
        description="CLVP: text and speech encoders, a conditioning encoder, a GPT-2-style speech decoder"),
    Composite("clap", "composite", ("ClapModel",), (
        Tower("text", config="text_config", model_type="clap_text_model", path="text_model"),
        Tower("audio", config="audio_config", model_type="clap_audio_model", path="audio_model"),
        Tower("heads", family="clap-heads", params=clap_heads),
    ), shape_free=frozenset(("logit_scale_init_value", "projection_hidden_act", "initializer_factor", "hidden_size",
                             "num_hidden_layers")),
        description="CLAP: RoBERTa text tower, HTSAT audio tower, projections into a shared space"),
)  # fmt: skip


@hookimpl
def register_model_types(register):
    """Map glmasr, glmasr_encoder, univnet, bark, clvp, clvp_encoder, clvp_decoder, clap, clap_text_model and
    clap_audio_model."""
    for row in (GLMASR_ENCODER, UNIVNET, CLVP_ENCODER, CLVP_DECODER, CLAP_TEXT, CLAP_AUDIO, *COMPOSITES):
        register(row)

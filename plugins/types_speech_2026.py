"""Speech model types of 2026's wave, as rows of data: wav2vec2-conformer, wav2vec2-bert, speech_to_text, moonshine.

As transformers 5.25 builds them; the first two on the ``speech-encoder`` family
(:mod:`registry.plugins.speech_encoder`) with conformer layers (``layer_kind = "conformer"``,
:mod:`registry.plugins.speech_conformer`):

* ``wav2vec2-conformer`` (``modeling_wav2vec2_conformer.py``: ``Wav2Vec2ConformerModel``, ``...ForCTC``,
  ``...ForPreTraining``, ``...ForSequenceClassification``): wav2vec 2.0's feature encoder, feature projection,
  positional convolution and heads around conformer layers; ``position_embeddings_type`` ``"relative"`` adds the
  relative projection and biases to every attention, ``"rotary"`` and null add nothing; its adapter (``add_adapter``,
  wav2vec 2.0's) is refused as wav2vec2's is. Audio: ``--audio-seconds`` by wav2vec 2.0's rule (the conv feature
  encoder's frames of 16 kHz samples);
* ``wav2vec2-bert`` (``modeling_wav2vec2_bert.py``: ``Wav2Vec2BertModel``, ``...ForCTC``,
  ``...ForSequenceClassification``; w2v-BERT 2.0): no feature encoder (``feature_projection`` takes
  ``feature_projection_input_dim``-wide features from ``SeamlessM4TFeatureExtractor``), no positional convolution,
  conformer layers with ``depthwise_layer_norm`` and, for ``"relative_key"`` positions, a ``distance_embedding``;
  ``use_intermediate_ffn_before_adapter`` and ``add_adapter`` add ``intermediate_ffn`` and ``adapter``, whose width
  ``output_hidden_size`` the CTC head then takes. Audio: ``--audio-seconds`` by the ``stacked`` rule
  (``SeamlessM4TFeatureExtractor``'s fbank frames stacked in pairs; with the adapter, its layers' pooling by
  ``adapter_kernel_size`` and ``adapter_stride``);
* ``speech_to_text`` (``modeling_speech_to_text.py``: ``Speech2TextForConditionalGeneration``, ``Speech2TextModel``;
  facebook/s2t-*): the ``whisper`` family (:mod:`registry.plugins.whisper`) with Speech2Text's ``Conv1dSubsampler``
  (``front_end = "subsampler"``, ``input_feat_per_channel × input_channels`` features in), sinusoidal positions
  (no tables), a bias on ``k_proj`` and ``lm_head`` (tied to the decoder's ``embed_tokens`` unless
  ``tie_word_embeddings`` is false). Audio: ``--audio-seconds`` by the ``kaldi`` rule (``Speech2TextFeatureExtractor``'s
  fbank frames through the subsampler's stride-2 convolutions; the encoder's length follows the audio, unlike
  Whisper's 30 s window);
* ``moonshine`` (``modeling_moonshine.py``: ``MoonshineForConditionalGeneration``, ``MoonshineModel``; Useful
  Sensors' moonshine-tiny/-base): the ``moonshine`` family (:mod:`registry.plugins.moonshine`). transformers'
  ``MoonshineAttention`` writes its heads into the shared config (``num_attention_heads`` and
  ``num_key_value_heads``, which ``attribute_map`` sends to the decoder's fields), so once the encoder has a layer the
  decoder is built with the encoder's heads: read so here, as the reference builds it (the published configs give
  both stacks the same heads). Audio: ``--audio-seconds`` by wav2vec 2.0's rule, 16 kHz samples through
  ``conv1``, ``conv2``, ``conv3`` (``_get_feat_extract_output_lengths``, no padding).
"""

from __future__ import annotations

from registry import AudioRule, ConfigReader, Params, Row, hookimpl, short_value
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.hf_common import num_labels
from registry.plugins.moonshine import CONV_KERNELS, CONV_STRIDES
from registry.plugins.speech_model_types import ENCODER_SHAPE_FREE, QUANTIZER_READS, speech_architecture, speech_encoder_row, number_field


def _positions(cfg: ConfigReader, params: Params, allowed: tuple, default: str) -> str:
    """The config's ``position_embeddings_type``, refused unless transformers builds it (``allowed``)."""
    kind = cfg.raw("position_embeddings_type", default)
    if kind not in allowed:
        names = ", ".join(f'"{k}"' for k in allowed if k) + " or null"
        raise cfg.error("position_embeddings_type", f"{short_value(kind)}: expected {names}")
    params["conformer_positions"] = ("position_embeddings_type", kind if kind in ("relative", "relative_key") else "none")
    kernel = params["depthwise_kernel"][1]
    if kernel % 2 == 0:
        raise cfg.error("conv_depthwise_kernel_size", f"{kernel} is even: transformers needs an odd kernel "
                                                      "('SAME' padding)")  # fmt: skip
    return kind


def _conformer(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (wav2vec2-conformer): the position kind (``relative`` adds tensors, ``rotary`` and null do not; any other
    value, which transformers would silently build without positions, is refused), and the depthwise kernel must be
    odd (transformers raises for 'SAME' padding)."""
    _positions(cfg, params, ("relative", "rotary", None), "relative")


def _bert(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (wav2vec2-bert): the position kind and kernel as wav2vec2-conformer's (with ``relative_key``'s distance
    table of ``left + right + 1`` rows); the mask vector when a masking probability is above 0; the intermediate
    feed-forward only with the adapter, and no adapter under sequence classification (transformers raises for both);
    a CTC head needs ``vocab_size``."""
    defaults = DEFAULTS["wav2vec2-bert"]
    if _positions(cfg, params, ("relative", "relative_key", "rotary", None), "relative_key") == "relative_key":
        rows = 1 + sum(cfg.int(k, defaults[k], minimum=0) for k in ("left_max_position_embeddings", "right_max_position_embeddings"))
        params["distance_positions"] = ("left_max_position_embeddings", rows)
    masked = any([number_field(cfg, k, defaults[k]) > 0 for k in ("mask_time_prob", "mask_feature_prob")])  # both read
    params["masked_spec_embed"] = ("mask_time_prob", masked)
    if params["intermediate_ffn"][1] and not params["adapter"][1]:
        raise cfg.error("use_intermediate_ffn_before_adapter", "true without add_adapter (transformers refuses it)")
    architecture = params["architecture"][1]
    if architecture == "sequence_classification":
        if params["adapter"][1]:
            raise cfg.error("add_adapter", "sequence classification takes no adapter (transformers refuses it)")
        params["n_labels"] = num_labels(cfg)
    if architecture == "ctc" and params["vocab_size"][1] is None:
        raise cfg.error("vocab_size", "must be set for a CTC head (transformers refuses null)")
    if params["adapter_width"][1] is None:
        params["adapter_width"] = ("hidden_size", params["d_model"][1])  # transformers: output_hidden_size or hidden_size


def _subsampler(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (speech_to_text): the subsampler's input is ``input_feat_per_channel × input_channels`` features, and it
    has one convolution per ``conv_kernel_sizes`` entry, which ``num_conv_layers`` must count (transformers refuses
    the config otherwise); ``d_model`` 2 or 3 is refused (``Speech2TextSinusoidalPositionalEmbedding`` divides by
    ``d_model // 2 - 1``)."""
    defaults = DEFAULTS["speech_to_text"]
    field, width = params["d_model"]
    if width in (2, 3):
        raise cfg.error(field, f"{width}: Speech2Text's sinusoidal positions divide by d_model // 2 - 1, zero here")
    channels = cfg.int("input_channels", defaults["input_channels"])
    params["num_mel_bins"] = ("input_feat_per_channel", params["num_mel_bins"][1] * channels)
    layers = cfg.int("num_conv_layers", defaults["num_conv_layers"])
    if layers != len(params["subsampler_kernels"][1]):
        raise cfg.error("num_conv_layers", f"{layers} but conv_kernel_sizes has {len(params['subsampler_kernels'][1])} "
                                           "entries: one per convolution (transformers refuses the config)")  # fmt: skip


def _moonshine_heads(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (moonshine): key/value heads default to the heads (``MoonshineConfig.__post_init__``); with an encoder
    layer, the decoder takes the encoder's heads and key/value heads (the module's docstring says why)."""
    for stack in ("encoder", "decoder"):
        if params[f"n_{stack}_kv_heads"][1] is None:
            params[f"n_{stack}_kv_heads"] = params[f"n_{stack}_heads"]
    if params["n_encoder_layers"][1] > 0:
        params["n_decoder_heads"] = params["n_encoder_heads"]
        params["n_decoder_kv_heads"] = params["n_encoder_kv_heads"]


#: Speech2Text's audio: Kaldi fbank frames through the Conv1dSubsampler (:mod:`registry.sources.audio`).
S2T_AUDIO = AudioRule("Speech2Text: Kaldi fbank frames every 10 ms, stride-2 Conv1d subsampler", kind="kaldi",
                      kernels="subsampler_kernels", note="Speech2TextFeatureExtractor; no padding")
#: Moonshine's audio: 16 kHz samples through its three front-end convolutions (:mod:`registry.sources.audio`).
MOONSHINE_AUDIO = AudioRule("Moonshine: conv front end over 16 kHz samples", kind="samples",
                            note="MoonshineEncoder's _get_feat_extract_output_lengths; no padding")

#: wav2vec2-BERT's audio: fbank frames stacked in pairs, the adapter's pooling (:mod:`registry.sources.audio`).
BERT_AUDIO = AudioRule("wav2vec2-BERT: fbank frames every 10 ms stacked in pairs, the adapter's pooling", kind="stacked",
                       compression=2, adapter="adapter", reduction="adapter_layers", kernels="adapter_kernel",
                       strides="adapter_stride", note="SeamlessM4TFeatureExtractor; no padding but to a pair")

#: The fields of wav2vec2-conformer and wav2vec2-bert that change no shape (beside wav2vec 2.0's).
_CONFORMER_SHAPE_FREE = frozenset(("rotary_embedding_base", "max_source_positions", "conformer_conv_dropout"))

#: Every row of this plugin (the module's docstring lists them).
ROWS = (
    speech_encoder_row("wav2vec2-conformer", "Wav2Vec2Conformer", {**QUANTIZER_READS, "depthwise_kernel": "conv_depthwise_kernel_size"},
                 _conformer, fixed={"layer_kind": "conformer", "base_name": "wav2vec2_conformer"},
                 classes=("Wav2Vec2ConformerForCTC", "Wav2Vec2ConformerModel", "Wav2Vec2ConformerForPreTraining"),
                 shape_free=_CONFORMER_SHAPE_FREE),
    Row(
        "wav2vec2-bert", "speech-encoder",
        ("Wav2Vec2BertForCTC", "Wav2Vec2BertModel", "Wav2Vec2BertForSequenceClassification"),
        reads={
            "vocab_size": "vocab_size?", "d_model": "hidden_size", "n_layers": "num_hidden_layers",
            "n_heads": "num_attention_heads", "d_ff": "intermediate_size", "feature_dim": "feature_projection_input_dim",
            "depthwise_kernel": "conv_depthwise_kernel_size", "classifier_proj_size": "classifier_proj_size",
            "weighted_layer_sum": "use_weighted_layer_sum", "adapter": "add_adapter", "adapter_layers": "num_adapter_layers",
            "adapter_kernel": "adapter_kernel_size", "adapter_width": "output_hidden_size?",
            "intermediate_ffn": "use_intermediate_ffn_before_adapter",
        },
        defaults=DEFAULTS["wav2vec2-bert"],
        fixed={"base_name": "wav2vec2_bert", "layer_kind": "conformer", "feature_encoder": False, "positional_conv": False,
               "conformer_conv_norm": "layer_norm"},
        rules=(speech_architecture, _bert),
        shape_free=ENCODER_SHAPE_FREE | _CONFORMER_SHAPE_FREE | {"adapter_act"},
        description="Wav2Vec2Bert: feature projection of fbank features, conformer encoder, optional adapter",
        audio=BERT_AUDIO,
    ),
    Row(
        "speech_to_text", "whisper", ("Speech2TextForConditionalGeneration", "Speech2TextModel"),
        reads={
            "vocab_size": "vocab_size", "d_model": "d_model|hidden_size", "num_mel_bins": "input_feat_per_channel",
            "n_encoder_layers": "encoder_layers|num_hidden_layers", "n_decoder_layers": "decoder_layers",
            "n_encoder_heads": "encoder_attention_heads|num_attention_heads", "n_decoder_heads": "decoder_attention_heads",
            "encoder_d_ff": "encoder_ffn_dim", "decoder_d_ff": "decoder_ffn_dim",
            "max_source_positions": "max_source_positions", "max_target_positions": "max_target_positions",
            "tie_lm_head": "tie_word_embeddings", "subsampler_kernels": "conv_kernel_sizes",
            "subsampler_channels": "conv_channels",
        },
        defaults=DEFAULTS["speech_to_text"],
        fixed={"front_end": "subsampler", "learned_positions": False, "key_bias": True, "head_name": "lm_head"},
        rules=(speech_architecture, _subsampler),
        shape_free=frozenset(("activation_function", "dropout", "attention_dropout", "activation_dropout",
                              "encoder_layerdrop", "decoder_layerdrop", "init_std", "scale_embedding")),
        description="Speech2Text: Conv1d subsampler over fbank features, transformer encoder, decoder with cross-attention",
        audio=S2T_AUDIO,
    ),
    Row(
        "moonshine", "moonshine", ("MoonshineForConditionalGeneration", "MoonshineModel"),
        reads={
            "vocab_size": "vocab_size", "d_model": "hidden_size", "d_ff": "intermediate_size",
            "n_encoder_layers": "encoder_num_hidden_layers", "n_decoder_layers": "decoder_num_hidden_layers|num_hidden_layers",
            "n_encoder_heads": "encoder_num_attention_heads", "n_encoder_kv_heads": "encoder_num_key_value_heads?",
            "n_decoder_heads": "decoder_num_attention_heads|num_attention_heads",
            "n_decoder_kv_heads": "decoder_num_key_value_heads|num_key_value_heads?",
            "attention_bias": "attention_bias", "tie_lm_head": "tie_word_embeddings",
        },
        defaults=DEFAULTS["moonshine"], fixed={"conv_kernel": list(CONV_KERNELS), "conv_stride": list(CONV_STRIDES)},
        rules=(speech_architecture, _moonshine_heads),
        shape_free=frozenset(("encoder_hidden_act", "decoder_hidden_act", "max_position_embeddings", "rope_parameters",
                              "partial_rotary_factor", "pad_head_dim_to_multiple_of", "attention_dropout",
                              "initializer_range")),
        description="Moonshine: conv front end over 16 kHz samples, Llama-style encoder and decoder with cross-attention",
        audio=MOONSHINE_AUDIO,
    ),
)  # fmt: skip


@hookimpl
def register_model_types(register):
    """Map wav2vec2-conformer, wav2vec2-bert, speech_to_text and moonshine."""
    for row in ROWS:
        register(row)

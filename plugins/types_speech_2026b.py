"""Speech model types of 2026's fourth wave, as rows of data: lasr_ctc, cohere_asr, granite_speech and
granite_speech_plus (and their encoders), speecht5, seamless_m4t and seamless_m4t_v2.

As transformers 5.25 builds them:

* ``lasr_ctc`` (``modeling_lasr.py``: ``LasrForCTC``; Google's MedASR): the ``parakeet`` family
  (:mod:`registry.plugins.parakeet`) with LASR's switches (rotary positions, LayerNorms without a shift, the
  dense/Conv1d subsampler, ``out_norm``), read from ``encoder_config``, under the CTC head. ``LasrEncoderConfig``'s
  ``__post_init__`` sets ``num_key_value_heads`` to ``num_attention_heads`` whatever the file says, so that field
  changes no shape; a ``head_dim`` in the file (no declared field, but ``LasrEncoderAttention`` would take it) is
  refused unless it is ``hidden_size / num_attention_heads``;
* ``cohere_asr`` (``modeling_cohere_asr.py``: ``CohereAsrForConditionalGeneration``; CohereLabs'
  cohere-transcribe-03-2026): the ``cohere-asr`` family (:mod:`registry.plugins.cohere_asr`), the Parakeet encoder
  read from ``encoder_config`` and the decoder from the top level. ``CohereAsrConfig`` fills an absent encoder field
  from its own ``init_kwargs`` (not a configuration class's defaults the generator reads), so every encoder field
  that sets a shape is required here. The NeMo fields the published files keep beside transformers' (``encoder``,
  ``head``, ``preprocessor``, ``decoding``, ...) change no shape;
* ``granite_speech_encoder`` (``GraniteSpeechCTCEncoder``) and ``granite_speech``
  (``GraniteSpeechForConditionalGeneration``; IBM's granite-speech-3.x): ``encoder_config`` read by the former at
  ``model.encoder`` (:mod:`registry.plugins.granite_speech`), the projector at ``model.projector`` from
  ``projector_config`` (a ``blip_2_qformer``, required: registry does not guess its sizes) and the top level's
  ``window_size // downsample_rate`` queries, ``text_config`` (a ``granite`` by default) at
  ``model.language_model``, its ``lm_head`` at the root, tied by the top-level ``tie_word_embeddings``. The LoRA
  adapter the 3.3 checkpoints ship (``has_lora_adapter``) is a separate PEFT file, not counted here;
* ``granite_speech_plus_encoder`` and ``granite_speech_plus`` (``modular_granite_speech_plus.py``; granite-speech-4.1
  "plus"): the same tensors; the encoder's output concatenates the hidden states after the layers of
  ``cat_hidden_layers`` with the last, so the projector's ``encoder_hidden_size`` must be ``hidden_dim × (entries +
  1)`` and each entry in ``0..num_layers - 1`` (``GraniteSpeechPlusConfig.__post_init__`` refuses the config
  otherwise);
* ``speecht5`` (``modeling_speecht5.py``: ``SpeechT5ForSpeechToText``, ``SpeechT5ForTextToSpeech``,
  ``SpeechT5ForSpeechToSpeech``, ``SpeechT5Model``; microsoft/speecht5_asr, _tts, _vc): the ``speecht5`` family
  (:mod:`registry.plugins.speecht5`), the class choosing the pre-nets and post-net. The masking vector exists when a
  masking probability is above 0; ``conv_dim``, ``conv_stride`` and ``conv_kernel`` must have as many entries
  (``SpeechT5Config.validate_architecture``); the ForX classes need ``vocab_size``;
* ``seamless_m4t_v2`` (``modeling_seamless_m4t_v2.py``: ``SeamlessM4Tv2Model`` and the ``ForTextToText``,
  ``ForSpeechToText``, ``ForTextToSpeech``, ``ForSpeechToSpeech`` classes; facebook/seamless-m4t-v2-large): the
  ``seamless-m4t`` family (:mod:`registry.plugins.seamless_m4t`). ``position_embeddings_type`` ``"relative_key"`` adds
  the distance table of ``left_max_position_embeddings + right_max_position_embeddings + 1`` rows, any other value none
  (as the attention reads it); the depthwise kernel must be odd (transformers raises); the vocoder's
  ``upsample_rates`` and ``upsample_kernel_sizes`` must be as long (``zip`` would drop the rest silently), as must
  ``resblock_kernel_sizes`` and ``resblock_dilation_sizes``;
* ``seamless_m4t`` (``modeling_seamless_m4t.py``: ``SeamlessM4TModel`` and its ForX classes; facebook/hf-seamless-m4t-
  medium and -large): the same family with v1's switches (``"relative"`` positions with a BatchNorm conformer, the
  autoregressive text-to-unit model); ``"rotary"`` or null positions add no tensor.

Their audio rules (``--audio-seconds``; :mod:`registry.sources.audio`, :mod:`registry.sources.audio_kinds`): LASR's
unpadded frames and Conv1d (``frames``), Cohere's as Parakeet's up to 30 s, Granite Speech's mel pairs and Q-Former
queries per window (``qformer``), SpeechT5's and SeamlessM4T's for the classes with a speech encoder (``samples``,
``stacked``).
"""

from __future__ import annotations

from registry import AudioRule, Composite, ConfigReader, Params, Row, SubConfig, Tower, hookimpl
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.speech_model_types import number_field
from registry.plugins.vlm_types import tie

#: The parakeet family's hyper-parameters and the encoder config's fields that feed them (LASR's and Cohere's).
_ENCODER = {
    "d_model": "hidden_size", "n_layers": "num_hidden_layers", "n_heads": "num_attention_heads",
    "d_ff": "intermediate_size", "attention_bias": "attention_bias", "convolution_bias": "convolution_bias",
    "conv_kernel": "conv_kernel_size", "num_mel_bins": "num_mel_bins", "subsampling_channels": "subsampling_conv_channels",
    "subsampling_kernel": "subsampling_conv_kernel_size", "subsampling_stride": "subsampling_conv_stride",
}  # fmt: skip
#: LASR's encoder fields that change no shape (``num_key_value_heads``: the module's docstring says why).
_LASR_SHAPE_FREE = ("dropout", "dropout_positions", "layerdrop", "activation_dropout", "attention_dropout", "hidden_act",
                    "max_position_embeddings", "initializer_range", "layer_norm_eps", "feed_forward_residual_weights",
                    "conv_residual_weights", "batch_norm_momentum", "rope_parameters", "num_key_value_heads")  # fmt: skip
#: Parakeet's encoder fields that change no shape (as parakeet_tdt's).
_PARAKEET_SHAPE_FREE = ("dropout", "dropout_positions", "layerdrop", "activation_dropout", "attention_dropout",
                        "hidden_act", "scale_input", "max_position_embeddings", "initializer_range")  # fmt: skip
#: The NeMo training and decoding fields Cohere's published configs keep at the top level.
_COHERE_NEMO = ("encoder", "head", "preprocessor", "decoding", "batch_size", "log_batch_stats", "log_prediction",
                "max_audio_clip_s", "max_seq_len", "model_defaults", "multitask_metrics_cfg", "overlap_chunk_second",
                "prompt_defaults", "prompt_format", "sample_rate", "supported_languages", "transf_decoder",
                "transf_encoder", "use_loss_mask_for_prompt", "transformers.js_config")  # fmt: skip


#: LASR's audio (:mod:`registry.sources.audio_kinds`, ``frames``): LasrFeatureExtractor's unpadded 400-sample frames
#: every 160, then LasrEncoderSubsampling's two Conv1d (no padding).
LASR_AUDIO = AudioRule("LASR: unpadded 25 ms frames every 10 ms, two Conv1d without padding", kind="frames",
                       kernels="subsampling_kernel", strides="subsampling_stride", compression=2,
                       note="LasrFeatureExtractor; no padding")
#: Cohere Transcribe's audio: Parakeet's (CohereAsrFeatureExtractor's centred STFT, ParakeetEncoder's subsampling), up
#: to 30 s (its max_audio_clip_s 35 - overlap_chunk_second 5: longer audio is split where it is quiet).
COHERE_AUDIO = AudioRule("Cohere Transcribe: log-mel frames every 10 ms, conv subsampling", kind="conformer",
                         kernels="subsampling_kernel", strides="subsampling_stride", reduction="subsampling_factor",
                         mel_bins="num_mel_bins", longest=30, note="CohereAsrFeatureExtractor; no padding")


#: SpeechT5's audio: the speech encoder pre-net's conv feature encoder over the 16 kHz samples (SpeechT5FeatureExtractor's
#: input_values, unpadded for one clip); the classes with that pre-net only (speech to text, speech to speech).
SPEECHT5_AUDIO = AudioRule("SpeechT5: conv feature encoder over 16 kHz samples", kind="samples",
                           requires=("architecture", ("speech_to_text", "speech_to_speech")),
                           note="SpeechT5SpeechEncoderPrenet's _get_feat_extract_output_lengths; no padding")


#: SeamlessM4T's speech input (v1 and v2): SeamlessM4TFeatureExtractor's fbank frames stacked in pairs, the speech
#: encoder's adapter pooling them (as wav2vec2-BERT's: :mod:`registry.sources.audio`, ``stacked``); the classes with a
#: speech encoder only.
SEAMLESS_AUDIO = AudioRule("SeamlessM4T: fbank frames every 10 ms stacked in pairs, the adapter's pooling", kind="stacked",
                           compression=2, adapter="adapter", reduction="adapter_layers", kernels="adapter_kernel",
                           strides="adaptor_stride", requires=("architecture", ("model", "speech_to_text", "speech_to_speech")),
                           note="SeamlessM4TFeatureExtractor; no padding but to a pair")


def _granite_audio() -> AudioRule:
    """Granite Speech's audio (:mod:`registry.sources.audio_kinds`, ``qformer``), its window and rate from the top
    level (GraniteSpeechConfig's defaults when absent)."""
    return AudioRule("Granite Speech: mel frames every 10 ms stacked in pairs, Q-Former queries per window",
                     kind="qformer", part="audio", stack=("window_size", "downsample_rate"),
                     fallback=tuple((k, DEFAULTS["granite_speech"][k]) for k in ("window_size", "downsample_rate")),
                     note="GraniteSpeechFeatureExtractor; the encoder's attention scored over all its positions "
                          "(transformers: blocks of context_size), the Q-Former as one sequence of the tokens")


def _lasr_head_dim(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (lasr_ctc): an ``encoder_config.head_dim`` other than ``hidden_size / num_attention_heads`` is refused
    (the family's heads are that wide)."""
    head_dim = cfg.raw("encoder_config", {}).get("head_dim") if isinstance(cfg.raw("encoder_config"), dict) else None
    width, heads = params["d_model"][1], params["n_heads"][1]
    if head_dim is not None and (not isinstance(head_dim, int) or head_dim * heads != width):
        raise cfg.error("encoder_config.head_dim", f"{head_dim}: registry builds LASR heads of hidden_size / "
                                                   f"num_attention_heads ({width} / {heads})")  # fmt: skip


def _granite_encoder(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (granite_speech_encoder): ``context_size`` must be in 1..``max_pos_emb`` (transformers raises)."""
    context = cfg.int("context_size", DEFAULTS["granite_speech_encoder"]["context_size"], minimum=-(2**62))
    if context <= 0 or context > params["max_pos_emb"][1]:
        raise cfg.error("context_size", f"{context}: must be in 1..max_pos_emb ({params['max_pos_emb'][1]}); "
                                        "transformers refuses it")  # fmt: skip


def _cat_layers(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (granite_speech_plus_encoder): ``_granite_encoder``'s check, then each ``cat_hidden_layers`` entry a whole
    number in ``0..num_layers - 1`` (transformers refuses the config otherwise)."""
    _granite_encoder(cfg, cls, params)
    layers = params["n_layers"][1]
    for index in cfg.int_list("cat_hidden_layers", [], null_means=[]):
        if index >= layers:
            raise cfg.error("cat_hidden_layers", f"{index} is out of range 0..{layers - 1} (transformers refuses it)")


def _plus_width(cfg: ConfigReader, cls: str, parts: dict[str, Params]) -> None:
    """Rule (granite_speech_plus): the projector's ``encoder_hidden_size`` must be the encoder's ``hidden_dim`` times
    the hidden states concatenated (``GraniteSpeechPlusConfig.__post_init__``)."""
    sub = SubConfig(cfg, "encoder_config")
    if sub.raw("cat_hidden_layers") is None:
        return
    concat = len(sub.raw("cat_hidden_layers")) + 1
    wanted = parts["audio"]["d_model"][1] * concat
    width = SubConfig(cfg, "projector_config").int("encoder_hidden_size", DEFAULTS["blip_2_qformer"]["encoder_hidden_size"])
    if width != wanted:
        raise cfg.error("projector_config.encoder_hidden_size", f"{width}: must be encoder_config.hidden_dim × "
                                                                f"{concat} = {wanted} (transformers refuses it)")  # fmt: skip


def granite_speech_projector(cfg: ConfigReader, parts: dict[str, Params]) -> Params:
    """Granite Speech's projector: the Q-Former of ``projector_config`` (a ``blip_2_qformer``), the top level's
    ``window_size // downsample_rate`` queries, the language model's width."""
    sub, defaults = SubConfig(cfg, "projector_config"), DEFAULTS["blip_2_qformer"]
    kind = sub.raw("model_type", "blip_2_qformer")
    if kind != "blip_2_qformer":
        raise sub.error("model_type", f"{kind!r}: transformers 5.25 reads a blip_2_qformer here")
    window = cfg.int("window_size", DEFAULTS[cfg.data["model_type"]]["window_size"])
    rate = cfg.int("downsample_rate", DEFAULTS[cfg.data["model_type"]]["downsample_rate"])
    if window // rate < 1:
        raise cfg.error("window_size", f"{window} // downsample_rate ({rate}) leaves no query")
    fields = {"d_model": "hidden_size", "n_layers": "num_hidden_layers", "n_heads": "num_attention_heads",
              "d_ff": "intermediate_size", "d_encoder": "encoder_hidden_size",
              "cross_attention_frequency": "cross_attention_frequency"}  # fmt: skip
    params: Params = {k: (f"projector_config.{f}", sub.int(f, defaults[f], minimum=0 if k == "n_layers" else 1))
                      for k, f in fields.items()}  # fmt: skip
    params["text_input"] = ("projector_config.use_qformer_text_input", sub.bool("use_qformer_text_input", False))
    params["n_queries"] = ("window_size", window // rate)
    params["d_out"] = ("text_config.hidden_size", parts["text"]["d_model"][1])
    return params


#: SpeechT5's classes and the family's ``architecture`` each builds.
_SPEECHT5 = {"SpeechT5ForSpeechToText": "speech_to_text", "SpeechT5ForTextToSpeech": "text_to_speech",
             "SpeechT5ForSpeechToSpeech": "speech_to_speech", "SpeechT5Model": "model"}  # fmt: skip


def _speecht5(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (speecht5): the class's pre-nets and post-net; the masking vector; one ``conv_stride`` entry a
    convolution."""
    params["architecture"] = ("architectures", _SPEECHT5[cls])
    defaults = DEFAULTS["speecht5"]
    masked = any(number_field(cfg, k, defaults[k]) > 0 for k in ("mask_time_prob", "mask_feature_prob"))
    params["masked_spec_embed"] = ("mask_time_prob", masked)
    strides = cfg.int_list("conv_stride", defaults["conv_stride"])
    if len(strides) != len(params["conv_dim"][1]):
        raise cfg.error("conv_stride", f"{len(strides)} entries but conv_dim has {len(params['conv_dim'][1])}: one per "
                                       "convolution (transformers refuses the config)")  # fmt: skip


#: The family's ``architecture`` each SeamlessM4T class builds (``SeamlessM4T`` + suffix; v2: ``SeamlessM4Tv2`` + it).
_SEAMLESS = {"Model": "model", "ForTextToText": "text_to_text", "ForSpeechToText": "speech_to_text",
             "ForTextToSpeech": "text_to_speech", "ForSpeechToSpeech": "speech_to_speech"}  # fmt: skip
#: The config fields of both versions' hyper-parameters (v1 and v2 add their t2u model's).
_SEAMLESS_READS = {
    "vocab_size": "vocab_size", "d_model": "hidden_size", "encoder_layers": "encoder_layers",
    "encoder_heads": "encoder_attention_heads", "encoder_d_ff": "encoder_ffn_dim", "decoder_layers": "decoder_layers",
    "decoder_heads": "decoder_attention_heads", "decoder_d_ff": "decoder_ffn_dim", "speech_layers": "speech_encoder_layers",
    "speech_heads": "speech_encoder_attention_heads", "speech_d_ff": "speech_encoder_intermediate_size",
    "feature_dim": "feature_projection_input_dim", "depthwise_kernel": "conv_depthwise_kernel_size", "adapter": "add_adapter",
    "adapter_layers": "num_adapter_layers", "adapter_kernel": "adaptor_kernel_size", "t2u_vocab_size": "t2u_vocab_size",
    "t2u_encoder_layers": "t2u_encoder_layers", "t2u_encoder_heads": "t2u_encoder_attention_heads",
    "t2u_encoder_d_ff": "t2u_encoder_ffn_dim", "t2u_decoder_layers": "t2u_decoder_layers",
    "t2u_decoder_heads": "t2u_decoder_attention_heads", "unit_vocab_size": "unit_hifi_gan_vocab_size",
    "unit_embed_dim": "unit_embed_dim", "lang_embed_dim": "lang_embed_dim", "spkr_embed_dim": "spkr_embed_dim",
    "vocoder_langs": "vocoder_num_langs", "vocoder_speakers": "vocoder_num_spkrs",
    "vocoder_var_kernel": "variance_predictor_kernel_size", "upsample_channels": "upsample_initial_channel",
    "upsample_kernels": "upsample_kernel_sizes", "resblock_kernels": "resblock_kernel_sizes", "tie_lm_head": "tie_word_embeddings",
}  # fmt: skip
_SEAMLESS_V2_READS = {"char_vocab_size": "char_vocab_size", "var_embed_dim": "t2u_variance_predictor_embed_dim",
                      "var_hidden_dim": "t2u_variance_predictor_hidden_dim", "var_kernel": "t2u_variance_predictor_kernel_size"}
#: The fields of both versions that change no shape (beside each version's own).
_SEAMLESS_FREE = ("activation_dropout", "activation_function", "adaptor_dropout", "adaptor_stride", "attention_dropout",
                  "decoder_layerdrop", "encoder_layerdrop", "dropout", "initializer_range", "layer_norm_eps", "is_encoder_decoder",
                  "max_new_tokens", "max_position_embeddings", "scale_embedding", "speech_encoder_hidden_act",
                  "speech_encoder_dropout", "speech_encoder_layerdrop", "position_embeddings_type", "t2u_bos_token_id",
                  "t2u_pad_token_id", "t2u_eos_token_id", "t2u_max_position_embeddings", "sampling_rate", "upsample_rates",
                  "resblock_dilation_sizes", "leaky_relu_slope", "var_pred_dropout", "vocoder_offset", "decoder_start_token_id")
_SEAMLESS_V1_FREE = ("max_source_positions", "rotary_embedding_base", "num_conv_pos_embeddings", "num_conv_pos_embedding_groups",
                     "t2u_decoder_start_token_id", "t2u_max_new_tokens")
_SEAMLESS_V2_FREE = ("speech_encoder_chunk_size", "speech_encoder_left_chunk_num", "left_max_position_embeddings",
                     "right_max_position_embeddings", "t2u_variance_pred_dropout", "t2u_decoder_ffn_dim")


def _seamless(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (seamless_m4t, seamless_m4t_v2): the class's parts; the speech encoder's positions (v2's ``relative_key``:
    a distance table of ``left + right + 1`` rows; v1's ``relative``: projection and biases; anything else: none, as the
    attention reads it); an odd depthwise kernel (transformers raises); the vocoder's lists as long as each other."""
    defaults = DEFAULTS[cfg.data["model_type"]]
    params["architecture"] = ("architectures", _SEAMLESS[cls.removeprefix("SeamlessM4Tv2").removeprefix("SeamlessM4T")])
    kind = cfg.raw("position_embeddings_type", defaults["position_embeddings_type"])
    v2 = cfg.data["model_type"] == "seamless_m4t_v2"
    positions = kind if kind == ("relative_key" if v2 else "relative") else "none"
    params["speech_positions"] = ("position_embeddings_type", positions)
    if positions == "relative_key":
        rows = sum(cfg.int(k, defaults[k], minimum=0) for k in ("left_max_position_embeddings", "right_max_position_embeddings"))
        params["distance_positions"] = ("left_max_position_embeddings", rows + 1)
    if params["depthwise_kernel"][1] % 2 == 0:
        raise cfg.error("conv_depthwise_kernel_size", f"{params['depthwise_kernel'][1]} is even: transformers needs an odd "
                                                      "kernel ('SAME' padding)")  # fmt: skip
    rates = cfg.int_list("upsample_rates", defaults["upsample_rates"])
    if len(rates) != len(params["upsample_kernels"][1]):
        raise cfg.error("upsample_rates", f"{len(rates)} entries but upsample_kernel_sizes has "
                                          f"{len(params['upsample_kernels'][1])}: one per upsampling")  # fmt: skip
    dilations = cfg.raw("resblock_dilation_sizes", defaults["resblock_dilation_sizes"])
    if not isinstance(dilations, list) or not all(isinstance(d, list) and d and all(isinstance(x, int) and not isinstance(x, bool)
                                                                                   and x > 0 for x in d) for d in dilations):
        raise cfg.error("resblock_dilation_sizes", "must be a list of non-empty lists of whole numbers >= 1")
    params["resblock_dilations"] = ("resblock_dilation_sizes", dilations)


def _seamless_row(v2: bool) -> Row:
    """SeamlessM4T's type (v1: ``seamless_m4t``, BatchNorm conformer, autoregressive t2u; v2: ``seamless_m4t_v2``)."""
    name, prefix = ("seamless_m4t_v2", "SeamlessM4Tv2") if v2 else ("seamless_m4t", "SeamlessM4T")
    fixed = {} if v2 else {"conformer_conv_norm": "batch_norm", "t2u": "autoregressive"}
    reads = {**_SEAMLESS_READS, **(_SEAMLESS_V2_READS if v2 else {"t2u_decoder_d_ff": "t2u_decoder_ffn_dim"})}
    return Row(name, "seamless-m4t", tuple(prefix + suffix for suffix in _SEAMLESS), reads=reads, defaults=DEFAULTS[name],
               fixed=fixed, rules=(_seamless,), audio=SEAMLESS_AUDIO, shape_free=frozenset((*_SEAMLESS_FREE, *(_SEAMLESS_V2_FREE if v2 else _SEAMLESS_V1_FREE))),
               description=f"SeamlessM4T{' v2' if v2 else ''}: text and speech encoders, text decoder, text-to-unit model, "
                           "unit vocoder")  # fmt: skip


def _granite_encoder_row(name: str, cls: str, rule, shape_free: tuple[str, ...]) -> Row:
    """A Granite Speech encoder's type (the plain and the "plus" one: the same tensors)."""
    return Row(
        name, "granite-speech-encoder", (cls,),
        reads={"input_dim": "input_dim", "d_model": "hidden_dim", "n_layers": "num_layers", "n_heads": "num_heads",
               "head_dim": "dim_head?", "ff_mult": "feedforward_mult", "output_dim": "output_dim",
               "max_pos_emb": "max_pos_emb", "conv_kernel": "conv_kernel_size", "conv_expansion": "conv_expansion_factor"},
        defaults=DEFAULTS[name], rules=(rule,), shape_free=frozenset(("context_size", "dropout", *shape_free)),
        description="Granite Speech's conformer CTC encoder (Shaw relative positions, BatchNorm conv module)",
    )  # fmt: skip


def _granite_composite(name: str, cls: str, encoder: str, rules: tuple, words: str) -> Composite:
    """A Granite Speech model type: encoder, windowed Q-Former projector, any mapped language model."""
    return Composite(name, "composite", (cls,), (
        Tower("audio", config="encoder_config", model_type=encoder, path="model.encoder"),
        Tower("projector", family="granite-speech-projector", params=granite_speech_projector, path="model.projector"),
        Tower("text", config="text_config", model_type="granite", model_types=("*",), moves={"model": "model.language_model"}),
    ), rules=(tie(), *rules), shape_free=frozenset(("projector_config", "window_size", "downsample_rate", "audio_token_index",
                                                    "has_lora_adapter", "tie_word_embeddings")),
        description=f"{words}: conformer encoder, windowed Q-Former projector, any mapped language model",
        audio=_granite_audio())  # fmt: skip


#: Every row of this plugin (the module's docstring lists them).
ROWS = (
    Row(
        "lasr_ctc", "parakeet", ("LasrForCTC",),
        reads={**{k: f"encoder_config.{v}" for k, v in _ENCODER.items()}, "vocab_size": "vocab_size"},
        defaults=DEFAULTS["lasr_ctc"],
        fixed={"architecture": "ctc", "positions": "rotary", "norm_bias": False, "subsampling": "dense_conv1d",
               "out_norm": True},
        rules=(_lasr_head_dim,), audio=LASR_AUDIO,
        shape_free=frozenset((*(f"encoder_config.{f}" for f in _LASR_SHAPE_FREE), "encoder_config.head_dim",
                              "ctc_loss_reduction", "ctc_zero_infinity")),
        description="LASR (LasrForCTC, MedASR): conformer encoder with rotary positions, dense/Conv1d subsampler, CTC head",
    ),
    Row(
        "cohere_asr", "cohere-asr", ("CohereAsrForConditionalGeneration",),
        reads={
            **{k: f"encoder_config.{v}" for k, v in _ENCODER.items()},
            "subsampling_factor": "encoder_config.subsampling_factor", "n_kv_heads": "encoder_config.num_key_value_heads?",
            "vocab_size": "vocab_size", "decoder_d_model": "hidden_size", "decoder_n_layers": "num_hidden_layers",
            "decoder_n_heads": "num_attention_heads", "decoder_kv_heads": "num_key_value_heads?",
            "decoder_head_dim": "head_dim?", "decoder_d_ff": "intermediate_size",
            "decoder_positions": "max_position_embeddings", "decoder_attention_bias": "attention_bias",
            "tie_lm_head": "tie_word_embeddings",
        },
        defaults={**DEFAULTS["cohere_asr"], "encoder_config.num_key_value_heads": None},
        fixed={"architecture": "encoder"}, audio=COHERE_AUDIO,
        shape_free=frozenset((*(f"encoder_config.{f}" for f in _PARAKEET_SHAPE_FREE), *_COHERE_NEMO, "hidden_act",
                              "attention_dropout", "initializer_range", "decoder_start_token_id", "is_encoder_decoder")),
        description="Cohere Transcribe: Parakeet FastConformer encoder, transformer decoder with cross-attention",
    ),
    _granite_encoder_row("granite_speech_encoder", "GraniteSpeechCTCEncoder", _granite_encoder, ()),
    _granite_encoder_row("granite_speech_plus_encoder", "GraniteSpeechPlusCTCEncoder", _cat_layers, ("cat_hidden_layers",)),
    Row(
        "speecht5", "speecht5", tuple(_SPEECHT5),
        reads={
            "vocab_size": "vocab_size", "d_model": "hidden_size", "encoder_layers": "encoder_layers",
            "encoder_heads": "encoder_attention_heads", "encoder_d_ff": "encoder_ffn_dim", "decoder_layers": "decoder_layers",
            "decoder_heads": "decoder_attention_heads", "decoder_d_ff": "decoder_ffn_dim",
            "max_relative_position": "encoder_max_relative_position", "conv_dim": "conv_dim", "conv_kernel": "conv_kernel",
            "conv_bias": "conv_bias", "feat_extract_norm": "feat_extract_norm", "pos_conv_kernel": "num_conv_pos_embeddings",
            "pos_conv_groups": "num_conv_pos_embedding_groups", "num_mel_bins": "num_mel_bins",
            "prenet_layers": "speech_decoder_prenet_layers", "prenet_units": "speech_decoder_prenet_units",
            "speaker_embedding_dim": "speaker_embedding_dim", "postnet_layers": "speech_decoder_postnet_layers",
            "postnet_units": "speech_decoder_postnet_units", "postnet_kernel": "speech_decoder_postnet_kernel",
            "reduction_factor": "reduction_factor", "tie_lm_head": "tie_word_embeddings",
        },
        defaults=DEFAULTS["speecht5"], rules=(_speecht5,), audio=SPEECHT5_AUDIO,
        shape_free=frozenset(("encoder_layerdrop", "decoder_layerdrop", "hidden_act", "positional_dropout", "hidden_dropout",
                              "attention_dropout", "activation_dropout", "initializer_range", "layer_norm_eps",
                              "scale_embedding", "feat_proj_dropout", "feat_extract_activation", "conv_stride",
                              "apply_spec_augment", "mask_time_prob", "mask_time_length", "mask_time_min_masks",
                              "mask_feature_prob", "mask_feature_length", "mask_feature_min_masks", "decoder_start_token_id",
                              "speech_decoder_prenet_dropout", "speech_decoder_postnet_dropout", "max_speech_positions",
                              "max_text_positions", "use_guided_attention_loss", "guided_attention_loss_num_heads",
                              "guided_attention_loss_sigma", "guided_attention_loss_scale", "is_encoder_decoder",
                              "num_feat_extract_layers", "max_length")),
        description="SpeechT5: shared encoder-decoder with speech/text pre-nets and post-nets (ASR, TTS, voice conversion)",
    ),
    _seamless_row(v2=False),
    _seamless_row(v2=True),
)  # fmt: skip

#: The composite model types (the module's docstring lists them).
COMPOSITES = (
    _granite_composite("granite_speech", "GraniteSpeechForConditionalGeneration", "granite_speech_encoder", (),
                       "Granite Speech"),
    _granite_composite("granite_speech_plus", "GraniteSpeechPlusForConditionalGeneration", "granite_speech_plus_encoder",
                       (_plus_width,), "Granite Speech Plus (hidden states concatenated)"),
)  # fmt: skip


@hookimpl
def register_model_types(register):
    """Map lasr_ctc, cohere_asr, granite_speech, granite_speech_plus (and their encoders), speecht5, seamless_m4t and
    seamless_m4t_v2."""
    for row in (*ROWS, *COMPOSITES):
        register(row)

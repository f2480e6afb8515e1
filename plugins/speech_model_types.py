"""The Hugging Face speech model types, as rows of data: whisper, wav2vec2, hubert, wavlm.

One :class:`registry.Row` each (config field -> hyper-parameter, transformers' defaults from
:mod:`registry.plugins.generated_defaults`, the switches each type sets) and a few rules where the
logic is real: which class is built, whether the model holds SpecAugment's mask vector, what
transformers refuses (convolution lists of different lengths, adapters, which these families do not
build). The families are :mod:`registry.plugins.whisper` and :mod:`registry.plugins.speech_encoder`.

Classes: ``WhisperForConditionalGeneration`` and ``WhisperModel``; ``Wav2Vec2ForCTC``,
``Wav2Vec2Model`` and ``Wav2Vec2ForPreTraining``; ``HubertForCTC`` and ``HubertModel``;
``WavLMForCTC`` and ``WavLMModel``; ``<Type>ForSequenceClassification`` of the three. The frame
classification and x-vector heads are not mapped.
"""

from __future__ import annotations

from registry import AudioRule, ConfigReader, Params, Row, Rule, hookimpl, short_value
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.hf_common import num_labels

#: The class names of each task, by the architecture they build.
_ARCHITECTURES = {"ForConditionalGeneration": "conditional_generation", "ForCTC": "ctc", "ForPreTraining": "pretraining",
                  "ForSequenceClassification": "sequence_classification"}  # fmt: skip


def speech_architecture(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule: the family's ``architecture`` from the class (the bare ``...Model``: ``model``)."""
    params["architecture"] = ("architectures", next((a for s, a in _ARCHITECTURES.items() if cls.endswith(s)), "model"))


def number_field(cfg: ConfigReader, key: str, default: float) -> float:
    """The config's number ``key`` (``default`` when absent); anything but an int or a float is refused."""
    value = cfg.raw(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise cfg.error(key, f"must be a number (got {short_value(value)})")
    return value


def speech_encoder_rule(name: str) -> Rule:
    """Rule (wav2vec2, hubert, wavlm) for model type ``name``: the mask vector exists when a masking
    probability is above 0; the convolution lists must have one entry per layer (transformers raises
    otherwise); wav2vec2's ``add_adapter`` builds its ``Wav2Vec2Adapter``, other adapters (HuBERT's and WavLM's
    ``add_adapter``, ``adapter_attn_dim``) are refused, not guessed; a CTC head
    needs ``vocab_size``."""
    defaults = DEFAULTS[name]

    def rule(cfg: ConfigReader, cls: str, params: Params) -> None:
        masked = [number_field(cfg, k, defaults[k]) > 0 for k in ("mask_time_prob", "mask_feature_prob")]  # both read
        masked = any(masked)
        params["masked_spec_embed"] = ("mask_time_prob", masked)
        layers = len(params["conv_dim"][1])
        stride = cfg.int_list("conv_stride", defaults["conv_stride"])
        for key, value in (("conv_stride", stride), ("conv_kernel", params["conv_kernel"][1])):
            if len(value) != layers:
                raise cfg.error(key, f"has {len(value)} entries but conv_dim has {layers}: one per convolution "
                                     "(transformers refuses the config)")  # fmt: skip
        if name == "wav2vec2" and cfg.bool("add_adapter", False):  # Wav2Vec2Adapter (its pooling: --audio-seconds ignores it)
            params["adapter"] = ("add_adapter", True)
            params["adapter_kind"] = ("add_adapter", "wav2vec2")
            params["adapter_layers"] = ("num_adapter_layers", cfg.int("num_adapter_layers", defaults["num_adapter_layers"], minimum=0))
            params["adapter_kernel"] = ("adapter_kernel_size", cfg.int("adapter_kernel_size", defaults["adapter_kernel_size"]))
            params["adapter_width"] = ("output_hidden_size", cfg.int("output_hidden_size", None, nullable=True) or params["d_model"][1])
            if params["architecture"][1] == "sequence_classification":
                raise cfg.error("add_adapter", "sequence classification takes no adapter (transformers refuses it)")
        for key in ("adapter_attn_dim",) if name == "wav2vec2" else ("add_adapter", "adapter_attn_dim"):
            if cfg.raw(key) not in (None, False):
                raise cfg.error(key, f"{short_value(cfg.raw(key))}: adapters are not counted yet (the "
                                     "speech-encoder family has no adapter layers); refused rather than guessed")  # fmt: skip
        if params["architecture"][1] == "ctc" and params["vocab_size"][1] is None:
            raise cfg.error("vocab_size", "must be set for a CTC head (transformers refuses null)")
        if params["architecture"][1] == "sequence_classification":
            params["n_labels"] = num_labels(cfg)

    return rule


def _hubert_batch_norm(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (HuBERT): ``conv_pos_batch_norm`` puts a BatchNorm before the positional convolution,
    whose weight is then not weight-normalised."""
    if cfg.bool("conv_pos_batch_norm", DEFAULTS["hubert"]["conv_pos_batch_norm"]):
        params["pos_conv_norm"] = ("conv_pos_batch_norm", "batch_norm")


#: The speech-encoder's reads shared by wav2vec2, hubert and wavlm.
ENCODER_READS = {
    "vocab_size": "vocab_size?", "d_model": "hidden_size", "n_layers": "num_hidden_layers",
    "n_heads": "num_attention_heads", "d_ff": "intermediate_size", "conv_dim": "conv_dim",
    "conv_kernel": "conv_kernel", "conv_bias": "conv_bias", "feat_extract_norm": "feat_extract_norm",
    "pos_conv_kernel": "num_conv_pos_embeddings", "pos_conv_groups": "num_conv_pos_embedding_groups",
    "classifier_proj_size": "classifier_proj_size", "weighted_layer_sum": "use_weighted_layer_sum",
}  # fmt: skip
#: wav2vec 2.0's quantizer (pre-training only).
QUANTIZER_READS = {
    "codevector_groups": "num_codevector_groups", "codevectors_per_group": "num_codevectors_per_group",
    "codevector_dim": "codevector_dim", "proj_codevector_dim": "proj_codevector_dim",
}  # fmt: skip
#: Fields of the speech encoders' configurations that change no shape of the mapped classes: dropouts,
#: activations, SpecAugment's lengths, the losses, the heads this plugin does not map (frame classification,
#: x-vector), adapter sizes (adapters are refused), and post-norm versus stable layer norm
#: (the same tensors in either order); ``num_feat_extract_layers`` is overwritten by ``len(conv_dim)``.
ENCODER_SHAPE_FREE = frozenset("""
    hidden_act hidden_dropout activation_dropout attention_dropout feat_proj_dropout feat_quantizer_dropout
    final_dropout layerdrop layer_norm_eps feat_extract_activation do_stable_layer_norm apply_spec_augment
    mask_time_length mask_time_min_masks mask_feature_length mask_feature_min_masks contrastive_logits_temperature
    num_negatives diversity_loss_weight ctc_loss_reduction ctc_zero_infinity tdnn_dim tdnn_kernel tdnn_dilation
    xvector_output_dim num_ctc_classes adapter_kernel_size adapter_stride num_adapter_layers output_hidden_size max_bucket_distance num_feat_extract_layers
""".split())  # fmt: skip
#: Whisper's fields that change no shape (SpecAugment, the classification head's sizes, generation).
_WHISPER_SHAPE_FREE = frozenset("""
    activation_function dropout attention_dropout activation_dropout encoder_layerdrop decoder_layerdrop init_std
    scale_embedding use_weighted_layer_sum classifier_proj_size apply_spec_augment mask_time_prob mask_time_length
    mask_time_min_masks mask_feature_prob mask_feature_length mask_feature_min_masks median_filter_width
    forced_decoder_ids
""".split())  # fmt: skip

#: Whisper's audio (``WhisperFeatureExtractor``: 16 kHz, hop 160, padded to 30 s; :mod:`registry.sources.audio`).
WHISPER_AUDIO = AudioRule("Whisper: log-mel padded to one 30 s window, conv stride 2",
                          note="WhisperFeatureExtractor pads every clip to 30 s: 1,500 encoder positions")
#: wav2vec2's, HuBERT's and WavLM's audio: 16 kHz samples through the conv feature encoder (``conv_kernel``, ``conv_stride``).
CONV_FRAMES = AudioRule("conv feature encoder over 16 kHz samples", kind="samples",
                        note="_get_feat_extract_output_lengths; no padding")


def speech_encoder_row(name: str, prefix: str, reads: dict, *rules, fixed=None, classes=None, shape_free=frozenset()) -> Row:
    """The row of a wav2vec2-style speech encoder ``name`` (classes ``<prefix>ForCTC``, ``<prefix>Model`` and
    ``<prefix>ForSequenceClassification`` unless ``classes`` says): the shared reads and rules plus its own."""
    return Row(
        name, "speech-encoder",
        (*(classes or (f"{prefix}ForCTC", f"{prefix}Model")), f"{prefix}ForSequenceClassification"),
        reads={**ENCODER_READS, **reads}, defaults=DEFAULTS[name], fixed={"base_name": name, **(fixed or {})},
        rules=(speech_architecture, speech_encoder_rule(name), *rules), shape_free=ENCODER_SHAPE_FREE | shape_free,
        description=f"{prefix}: convolutional feature encoder and transformer encoder over raw audio",
        audio=CONV_FRAMES,
    )  # fmt: skip


#: Every row of this plugin (the module's docstring lists them).
ROWS = (
    Row(
        "whisper", "whisper", ("WhisperForConditionalGeneration", "WhisperModel"),
        reads={
            "vocab_size": "vocab_size", "d_model": "d_model|hidden_size", "num_mel_bins": "num_mel_bins",
            "n_encoder_layers": "encoder_layers|num_hidden_layers", "n_decoder_layers": "decoder_layers",
            "n_encoder_heads": "encoder_attention_heads|num_attention_heads|num_key_value_heads",
            "n_decoder_heads": "decoder_attention_heads", "encoder_d_ff": "encoder_ffn_dim",
            "decoder_d_ff": "decoder_ffn_dim", "max_source_positions": "max_source_positions",
            "max_target_positions": "max_target_positions", "tie_lm_head": "tie_word_embeddings",
        },
        defaults=DEFAULTS["whisper"], rules=(speech_architecture,), shape_free=_WHISPER_SHAPE_FREE,
        description="Whisper: conv front end over log-mel frames, encoder, decoder with cross-attention",
        audio=WHISPER_AUDIO,
    ),  # fmt: skip
    speech_encoder_row("wav2vec2", "Wav2Vec2", QUANTIZER_READS,
                 classes=("Wav2Vec2ForCTC", "Wav2Vec2Model", "Wav2Vec2ForPreTraining")),
    speech_encoder_row("hubert", "Hubert", {"feature_projection_norm": "feat_proj_layer_norm"}, _hubert_batch_norm),
    # WavLM's configuration has a quantizer's fields, but transformers has no WavLM pre-training class
    speech_encoder_row("wavlm", "WavLM", {"relative_position_buckets": "num_buckets"},
                 fixed={"gated_relative_position": True}, shape_free=frozenset(QUANTIZER_READS.values())),
)


@hookimpl
def register_model_types(register):
    """Map the speech model types: whisper, wav2vec2, hubert and wavlm."""
    for row in ROWS:
        register(row)

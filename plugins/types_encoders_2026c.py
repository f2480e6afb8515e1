"""More transformers encoders as rows of data, each with a family of its own: BROS (:mod:`registry.plugins.bros`),
CANINE (:mod:`registry.plugins.canine`), TAPAS (:mod:`registry.plugins.tapas`), Perceiver IO
(:mod:`registry.plugins.perceiver`: its masked LM, its text and image classifiers and the bare model), and the
time-series models PatchTST (:mod:`registry.plugins.patchtst`), PatchTSMixer (:mod:`registry.plugins.patchtsmixer`)
and Informer (:mod:`registry.plugins.informer`).

One :class:`registry.Row` each (config field -> hyper-parameter, transformers' defaults from
:mod:`registry.plugins.generated_defaults`), plus the few rules of its ``modeling_<type>.py`` that decide which
tensors exist: which class's head, how many patches a context makes, and the distribution head of a loss other
than MSE (:mod:`registry.plugins.time_series_heads`).
"""

from __future__ import annotations

from registry import ConfigReader, Params, hookimpl, short_value as short
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.encoder_types import cross_attention_rule
from registry.plugins.hf_common import hf_row, num_labels
from registry.plugins.time_series_heads import DISTRIBUTIONS, distribution_rule

#: The fields of the masking and the training that change no shape (PatchTST, PatchTSMixer).
_MASKING = ("do_mask_input", "mask_type", "random_mask_ratio", "num_forecast_mask_patches", "channel_consistent_masking",
            "unmasked_channel_indices", "mask_value", "num_parallel_samples", "init_std", "scaling", "output_range",
            "head_dropout", "norm_eps")  # fmt: skip


def n_patches(cfg: ConfigReader, defaults: dict) -> tuple[str, int]:
    """The patches a context makes, as ``PatchTSTPatchify`` (and PatchTSMixer's) counts them; a context no longer
    than a patch is refused, as transformers refuses it."""
    context = cfg.int("context_length", defaults["context_length"])
    patch = cfg.int("patch_length", defaults["patch_length"])
    stride = cfg.int("patch_stride", defaults["patch_stride"])
    if context <= patch:
        raise cfg.error("context_length", f"must be greater than patch_length ({patch}; got {context}): "
                        "transformers refuses a context of one patch or less")  # fmt: skip
    return "context_length", (context - patch) // stride + 1


def _choice(cfg: ConfigReader, key: str, default: str, allowed: tuple[str, ...]) -> str:
    value = cfg.raw(key, default)
    if value not in allowed:
        raise cfg.error(key, f"must be one of {', '.join(allowed)} (got {short(value)}): transformers raises on another")
    return value


def _patchtst(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (PatchTST): the patches of the context; the class's head; the norm and positional encoding kinds
    transformers knows; the prediction head's width (pooled with ``pooling_type`` or the cls token)."""
    defaults = DEFAULTS["patchtst"]
    params["n_patches"] = n_patches(cfg, defaults)
    heads = {"PatchTSTForPretraining": "pretraining", "PatchTSTForPrediction": "prediction",
             "PatchTSTForRegression": "regression", "PatchTSTForClassification": "classification"}  # fmt: skip
    params["head"] = ("architectures", heads.get(cls, "none"))
    params["norm"] = ("norm_type", _choice(cfg, "norm_type", defaults["norm_type"], ("batchnorm", "layernorm")))
    _choice(cfg, "positional_encoding_type", defaults["positional_encoding_type"], ("random", "sincos"))
    pooling = cfg.raw("pooling_type", defaults["pooling_type"])
    if pooling is not None and not isinstance(pooling, str):
        raise cfg.error("pooling_type", f"must be \"mean\", \"max\" or null (got {short(pooling)})")
    params["pooled"] = ("pooling_type", bool(pooling) or params["cls_token"][1])
    distribution_rule(cfg, params, defaults, cls in ("PatchTSTForPrediction", "PatchTSTForRegression"))


def _patchtsmixer(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (PatchTSMixer): the patches of the context (transformers recomputes ``num_patches`` from them, whatever the
    config says); the class's head; the norm (a batch norm where ``norm_mlp`` says "batch", as transformers tests
    it); the channel mixer of ``mode = "mix_channel"``; the positional encoding kinds transformers knows; the scale
    injection of the regression and classification heads (``scaling`` std, mean or true)."""
    defaults = DEFAULTS["patchtsmixer"]
    params["n_patches"] = n_patches(cfg, defaults)
    cfg.raw("num_patches")  # recomputed by PatchTSMixerConfig.__post_init__
    heads = {"PatchTSMixerForPretraining": "pretraining", "PatchTSMixerForPrediction": "prediction",
             "PatchTSMixerForRegression": "regression", "PatchTSMixerForTimeSeriesClassification": "classification"}
    params["head"] = ("architectures", heads.get(cls, "none"))
    norm = cfg.raw("norm_mlp", defaults["norm_mlp"])
    if not isinstance(norm, str):
        raise cfg.error("norm_mlp", f"must be a norm's name, \"LayerNorm\" or \"BatchNorm\" (got {short(norm)})")
    params["norm"] = ("norm_mlp", "batchnorm" if "batch" in norm.lower() else "layernorm")
    params["mix_channel"] = ("mode", cfg.raw("mode", defaults["mode"]) == "mix_channel")
    kinds = ("random", "sincos") if params["positions"][1] else (cfg.raw("positional_encoding_type", defaults["positional_encoding_type"]),)  # unused then
    _choice(cfg, "positional_encoding_type", defaults["positional_encoding_type"], kinds)
    params["aggregated"] = ("head_aggregation", cfg.raw("head_aggregation", defaults["head_aggregation"]) is not None)
    scaling = cfg.raw("scaling", defaults["scaling"])
    params["inject_scale"] = ("scaling", params["head"][1] in ("regression", "classification")
                              and any(scaling == s and type(scaling) is type(s) for s in ("std", "mean", True)))
    distribution_rule(cfg, params, defaults, params["head"][1] in ("prediction", "regression"))


def _features(cfg: ConfigReader, key: str, given: object, n_cat: int) -> list[int] | None:
    """``cardinality`` or ``embedding_dimension`` as the configuration keeps it: None unless given (not empty) with
    static categorical features; then one whole number per feature (transformers' ``validate_architecture``)."""
    if not (given and n_cat > 0):
        return None
    if not isinstance(given, list) or any(isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in given):
        raise cfg.error(key, f"must be a list of whole numbers >= 0 (got {short(given)})")
    if len(given) != n_cat:
        raise cfg.error(key, f"must hold one entry per static categorical feature ({n_cat}; got {len(given)})")
    return given


def _informer(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (Informer): the value embedding's inputs and the sinusoidal tables' rows as ``InformerConfig`` derives
    them (lags, static and dynamic features, the categorical features' tables); the class's head, whose distribution
    and loss transformers checks."""
    defaults = DEFAULTS["informer"]
    prediction = cfg.int("prediction_length", defaults["prediction_length"], nullable=True)
    if prediction is None:
        raise cfg.error("prediction_length", "must be given: transformers cannot build the model without it")
    context = cfg.int("context_length", defaults["context_length"], nullable=True) or prediction
    lags = cfg.int_list("lags_sequence", defaults["lags_sequence"], null_means=[1, 2, 3, 4, 5, 6, 7])
    size = params["input_size"][1]
    n_cat = cfg.int("num_static_categorical_features", defaults["num_static_categorical_features"], minimum=0)
    cards = _features(cfg, "cardinality", cfg.raw("cardinality", defaults["cardinality"]), n_cat) or [0]
    widths = _features(cfg, "embedding_dimension", cfg.raw("embedding_dimension", defaults["embedding_dimension"]), n_cat)
    widths = widths or [min(50, (c + 1) // 2) for c in cards]
    extra = sum(cfg.int(k, defaults[k], minimum=0) for k in ("num_dynamic_real_features", "num_time_features",
                                                             "num_static_real_features"))  # fmt: skip
    params["feature_size"] = ("lags_sequence", size * len(lags) + sum(widths) + extra + 2 * size)
    params["n_positions"] = ("context_length", context + prediction)
    params["cardinality"] = ("cardinality", cards if n_cat > 0 else [])
    params["embedding_dims"] = ("embedding_dimension", widths if n_cat > 0 else [])
    params["head"] = ("architectures", "prediction" if cls == "InformerForPrediction" else "none")
    kind = cfg.raw("distribution_output", defaults["distribution_output"])
    loss = cfg.raw("loss", defaults["loss"])
    if params["head"][1] == "prediction":
        if kind not in DISTRIBUTIONS:
            raise cfg.error("distribution_output", f"must be one of {', '.join(DISTRIBUTIONS)} (got {short(kind)}): "
                            "transformers builds no other distribution head")  # fmt: skip
        if loss != "nll":
            raise cfg.error("loss", f"must be \"nll\" (got {short(loss)}): InformerForPrediction knows no other loss")
        params["distribution"] = ("distribution_output", kind)


#: The Perceiver classes mapped, and the head each builds (optical flow and multimodal autoencoding are not mapped).
_PERCEIVER_HEADS = {"PerceiverForMaskedLM": "mlm", "PerceiverModel": "none", "PerceiverForSequenceClassification": "sequence",
                    "PerceiverForImageClassificationLearned": "image_learned",
                    "PerceiverForImageClassificationFourier": "image_fourier",
                    "PerceiverForImageClassificationConvProcessing": "image_conv"}  # fmt: skip


def _perceiver(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (Perceiver): the class's preprocessor and decoder; ``num_labels`` for the classifiers;
    ``cross_attention_shape_for_attention`` where a cross-attention takes its default channels from it (transformers
    raises on another value there); ``image_size`` a whole number for the learned position table (its square)."""
    defaults = DEFAULTS["perceiver"]
    head = _PERCEIVER_HEADS.get(cls, "none")
    params["head"] = ("architectures", head)
    if head not in ("none", "mlm"):
        params["n_labels"] = num_labels(cfg)
    shape = cfg.raw("cross_attention_shape_for_attention", defaults["cross_attention_shape_for_attention"])
    if shape not in ("q", "kv"):
        if params["qk_channels"][1] is None or head not in ("none", "mlm"):
            raise cfg.error("cross_attention_shape_for_attention", f"must be \"q\" or \"kv\" (got {short(shape)}): "
                            "transformers raises on another value")  # fmt: skip
        shape = "kv"  # read by no cross-attention of this class
    params["cross_shape"] = ("cross_attention_shape_for_attention", shape)
    size = cfg.raw("image_size", defaults["image_size"])
    if head == "image_learned":
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise cfg.error("image_size", f"must be a whole number for {cls} (got {short(size)}): its position table "
                            "has image_size ** 2 rows")  # fmt: skip
        params["image_size"] = ("image_size", size)


def _tapas(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (TAPAS): the class's heads (the classifier's ``num_labels``, the aggregation classifier's
    ``num_aggregation_labels``); a cross-attention in the layers of a decoder built with ``add_cross_attention``."""
    heads = {"TapasModel": "model", "TapasForMaskedLM": "mlm", "TapasForSequenceClassification": "sequence",
             "TapasForQuestionAnswering": "qa"}  # fmt: skip
    params["head"] = ("architectures", heads.get(cls, "model"))
    if cls == "TapasForSequenceClassification":
        params["n_labels"] = num_labels(cfg)
    labels = cfg.int("num_aggregation_labels", DEFAULTS["tapas"]["num_aggregation_labels"], minimum=0)
    params["aggregation_labels"] = ("num_aggregation_labels", labels if cls == "TapasForQuestionAnswering" else 0)
    cross_attention_rule(cfg, cls, params)


def _canine(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (CANINE): the class's head: a classifier of ``num_labels`` (of one output for multiple choice) or
    ``qa_outputs`` of ``num_labels``."""
    if cls == "CanineModel":
        return
    params["head"] = ("architectures", "qa" if cls == "CanineForQuestionAnswering" else "classifier")
    params["n_labels"] = ("architectures", 1) if cls == "CanineForMultipleChoice" else num_labels(cfg)


def _bros(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (BROS): the class's heads (``num_labels`` for the token classifiers); a cross-attention in the layers of
    a decoder built with ``add_cross_attention``."""
    heads = {"BrosForTokenClassification": "token", "BrosSpadeEEForTokenClassification": "spade_ee",
             "BrosSpadeELForTokenClassification": "spade_el"}  # fmt: skip
    params["head"] = ("architectures", heads.get(cls, "none"))
    if cls in ("BrosForTokenClassification", "BrosSpadeEEForTokenClassification"):
        params["n_labels"] = num_labels(cfg)
    cross_attention_rule(cfg, cls, params)


@hookimpl
def register_model_types(register):
    """Map the time-series model types."""
    register(hf_row(
        "bros", "bros", ("BrosModel", "BrosForTokenClassification", "BrosSpadeEEForTokenClassification",
                         "BrosSpadeELForTokenClassification"),
        {"vocab_size": "vocab_size", "n_positions": "max_position_embeddings", "type_vocab_size": "type_vocab_size",
         "d_model": "hidden_size", "n_layers": "num_hidden_layers", "n_heads": "num_attention_heads",
         "d_ff": "intermediate_size", "n_relations": "n_relations"},
        _bros,
        shape_free=("hidden_act", "hidden_dropout_prob", "attention_probs_dropout_prob", "initializer_range",
                    "layer_norm_eps", "dim_bbox", "bbox_scale", "classifier_dropout_prob", "classifier_dropout",
                    "dim_bbox_sinusoid_emb_2d", "dim_bbox_sinusoid_emb_1d", "dim_bbox_projection"),
    ))
    register(hf_row(
        "canine", "canine", ("CanineModel", "CanineForSequenceClassification", "CanineForMultipleChoice",
                             "CanineForTokenClassification", "CanineForQuestionAnswering"),
        {"d_model": "hidden_size", "n_layers": "num_hidden_layers", "n_heads": "num_attention_heads",
         "d_ff": "intermediate_size", "type_vocab_size": "type_vocab_size", "hash_functions": "num_hash_functions",
         "hash_buckets": "num_hash_buckets", "downsampling_rate": "downsampling_rate",
         "upsampling_kernel_size": "upsampling_kernel_size"},
        _canine,
        shape_free=("hidden_act", "hidden_dropout_prob", "attention_probs_dropout_prob", "initializer_range",
                    "layer_norm_eps", "max_position_embeddings", "local_transformer_stride"),
    ))
    register(hf_row(
        "tapas", "tapas", ("TapasForQuestionAnswering", "TapasModel", "TapasForMaskedLM", "TapasForSequenceClassification"),
        {"vocab_size": "vocab_size", "n_positions": "max_position_embeddings", "type_vocab_sizes": "type_vocab_sizes",
         "d_model": "hidden_size", "n_layers": "num_hidden_layers", "n_heads": "num_attention_heads",
         "d_ff": "intermediate_size", "tie_word_embeddings": "tie_word_embeddings"},
        _tapas,
        shape_free=("hidden_act", "hidden_dropout_prob", "attention_probs_dropout_prob", "initializer_range",
                    "layer_norm_eps", "positive_label_weight", "aggregation_loss_weight", "use_answer_as_supervision",
                    "answer_loss_importance", "use_normalized_answer_loss", "huber_loss_delta", "temperature",
                    "aggregation_temperature", "use_gumbel_for_cells", "use_gumbel_for_aggregation",
                    "average_approximation_function", "cell_selection_preference", "answer_loss_cutoff", "max_num_rows",
                    "max_num_columns", "average_logits_per_cell", "select_one_column", "allow_empty_column_selection",
                    "init_cell_selection_weights_to_zero", "reset_position_index_per_cell", "disable_per_token_loss",
                    "aggregation_labels", "no_aggregation_label_index"),
    ))
    register(hf_row(
        "perceiver", "perceiver", tuple(_PERCEIVER_HEADS),
        {"num_latents": "num_latents", "d_latents": "d_latents", "d_model": "d_model", "vocab_size": "vocab_size",
         "n_positions": "max_position_embeddings", "qk_channels": "qk_channels?", "v_channels": "v_channels?",
         "cross_heads": "num_cross_attention_heads", "self_heads": "num_self_attention_heads",
         "cross_widening": "cross_attention_widening_factor", "self_widening": "self_attention_widening_factor",
         "self_attends": "num_self_attends_per_block", "num_blocks": "num_blocks"},
        _perceiver,
        shape_free=("hidden_act", "attention_probs_dropout_prob", "initializer_range", "layer_norm_eps",
                    "use_query_residual", "train_size", "num_frames", "audio_samples_per_frame", "samples_per_patch",
                    "output_shape", "output_num_channels", "_label_trainable_num_channels"),
    ))
    register(hf_row(
        "patchtst", "patchtst", ("PatchTSTForPrediction", "PatchTSTModel", "PatchTSTForPretraining",
                                 "PatchTSTForRegression", "PatchTSTForClassification"),
        {"d_model": "d_model|hidden_size", "n_layers": "num_hidden_layers", "n_heads": "num_attention_heads",
         "d_ff": "ffn_dim", "bias": "bias", "patch_length": "patch_length", "n_channels": "num_input_channels",
         "share_embedding": "share_embedding", "cls_token": "use_cls_token", "channel_attention": "channel_attention",
         "share_projection": "share_projection", "prediction_length": "prediction_length", "num_targets": "num_targets"},
        _patchtst,
        shape_free=(*_MASKING, "activation_function", "attention_dropout", "positional_dropout", "path_dropout",
                    "ff_dropout", "pre_norm"),
    ))
    register(hf_row(
        "patchtsmixer", "patchtsmixer", ("PatchTSMixerForPrediction", "PatchTSMixerModel", "PatchTSMixerForPretraining",
                                         "PatchTSMixerForRegression", "PatchTSMixerForTimeSeriesClassification"),
        {"d_model": "d_model|hidden_size", "n_layers": "num_layers|num_hidden_layers", "expansion": "expansion_factor",
         "patch_length": "patch_length", "n_channels": "num_input_channels", "gated_attn": "gated_attn",
         "self_attn": "self_attn", "self_attn_heads": "self_attn_heads", "positions": "use_positional_encoding",
         "prediction_length": "prediction_length", "num_targets": "num_targets"},
        _patchtsmixer,
        shape_free=(*_MASKING, "dropout", "masked_loss", "prediction_channel_indices", "patch_last"),
    ))
    register(hf_row(
        "informer", "informer", ("InformerForPrediction", "InformerModel"),
        {"d_model": "d_model|hidden_size", "encoder_layers": "encoder_layers|num_hidden_layers",
         "decoder_layers": "decoder_layers", "encoder_heads": "encoder_attention_heads|num_attention_heads",
         "decoder_heads": "decoder_attention_heads", "encoder_ffn": "encoder_ffn_dim", "decoder_ffn": "decoder_ffn_dim",
         "distil": "distil", "input_size": "input_size"},
        _informer,
        shape_free=("scaling", "num_parallel_samples", "init_std", "initializer_range", "activation_function", "dropout",
                    "encoder_layerdrop", "decoder_layerdrop", "attention_dropout", "activation_dropout", "use_cache",
                    "attention_type", "sampling_factor", "is_encoder_decoder", "feature_size"),
    ))  # fmt: skip

"""Hugging Face model types built from families registry already has, as rows of data: data2vec-audio,
unispeech and unispeech-sat on the ``speech-encoder`` family; data2vec-vision and ijepa on the ``vision``
family; swinv2 on the ``swin`` family; deberta, layoutlm and nomic_bert on the ``encoder`` family; eurobert
on the ``llama`` family; xlm on its own family (:mod:`registry.plugins.xlm`, built of existing blocks).

* ``unispeech`` (``modeling_unispeech.py``) and ``unispeech-sat`` (``modeling_unispeech_sat.py``): wav2vec 2.0's
  encoder, tensor for tensor, under ``unispeech.`` / ``unispeech_sat.`` (UniSpeech-SAT's mask vector whatever the
  masking probabilities); their pre-training classes with their own heads (the family's ``pretraining_head``);
  the frame-classification and x-vector heads are not mapped.
* ``data2vec-audio`` (``modeling_data2vec_audio.py``): a LayerNorm on every feature-encoder convolution (no
  ``feat_extract_norm`` option) and, in place of the weight-normalised positional convolution, a stack of
  ``num_conv_pos_embeddings`` plain grouped convolutions of kernel ``conv_pos_kernel_size``.
* ``data2vec-vision`` (``modeling_data2vec_vision.py``): BEiT's encoder (layer scale, relative position bias
  tables, mean pooling) under BERT-era names (``encoder.layer.<i>.attention.attention.query``), no
  masked-image-modelling class.
* ``ijepa`` (``modeling_ijepa.py``): ViT's encoder and names under ``ijepa.``, without class token or pooler
  (the position embeddings cover the patches only); the classifier reads the mean patch token.
* ``layoutlm`` (``modeling_layoutlm.py``): BERT's encoder under ``layoutlm.`` with four 2-D position tables
  (``max_2d_position_embeddings`` rows each) and the pooler on every class.
* ``deberta`` (``modeling_deberta.py``): DeBERTa-v2's encoder without its relative-embedding norm and convolution,
  the attention a fused ``in_proj`` without bias beside ``q_bias`` and ``v_bias``, ``pos_proj`` without bias.
* ``nomic_bert`` (``modeling_nomic_bert.py``): a post-norm encoder of Llama-named layers without biases (a gated
  MLP), rotary positions, BERT's MLM head; the remote-code era fields of the published configs (``n_embd``,
  ``qkv_proj_bias``, the MoE fields of v2-moe, ...) are ignored by transformers' port, and here.
* ``swinv2`` (``modeling_swinv2.py``): the swin family's ``version = 2`` (see :mod:`registry.plugins.swin`);
  Swinv2ForMaskedImageModeling is not mapped.
* ``xlm`` (``modeling_xlm.py``): see :mod:`registry.plugins.xlm`; the adaptive-softmax head (``asm``) and the
  SQuAD and multiple-choice classes are not mapped.
* ``eurobert`` (``modeling_eurobert.py``): Llama's layers and names (attention and MLP biases switchable), used as a
  bidirectional encoder (no tensors of its own); EuroBertForMaskedLM's ``lm_head`` has a bias with ``mlp_bias``.
  Its classification classes (a pooling head of their own) are not mapped.

Classes: ``<Type>ForCTC``, ``<Type>Model`` and ``<Type>ForSequenceClassification`` of the three speech types,
``UniSpeechForPreTraining`` and ``UniSpeechSatForPreTraining``;
``Data2VecVisionForImageClassification`` and ``Data2VecVisionModel``; ``IJepaModel`` and
``IJepaForImageClassification``; ``LayoutLMForMaskedLM``, ``LayoutLMModel`` and LayoutLM's sequence-classification,
token-classification and question-answering classes; ``EuroBertForMaskedLM`` and ``EuroBertModel``;
``DebertaForMaskedLM``, ``DebertaModel`` and ``DebertaForSequenceClassification``; ``NomicBertModel``, its MLM
class and its sequence- and token-classification classes; ``XLMWithLMHeadModel``, ``XLMModel``,
``XLMForSequenceClassification`` and ``XLMForTokenClassification``; ``Swinv2ForImageClassification`` and
``Swinv2Model``.
"""

from __future__ import annotations

from registry import ConfigReader, Params, Row, hookimpl
from registry.plugins.encoder_types import name_list_field, whole_field, bert_like_head
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.hf_common import (
    ATTENTION_BIAS_READS, ATTENTION_READS, DECODER_READS, DECODER_RULES, DECODER_SHAPE_FREE, num_labels,
)  # fmt: skip
from registry.plugins.speech_model_types import (
    ENCODER_READS,
    ENCODER_SHAPE_FREE,
    QUANTIZER_READS,
    CONV_FRAMES,
    speech_architecture,
    speech_encoder_rule,
)
from registry.plugins.types_vision_more import BACKBONE_SHAPE_FREE, BEIT_READS, BEIT_SHAPE_FREE, has_layer_scale, swin_rule
from registry.plugins.vision_model_types import VISION_READS, VISION_SHAPE_FREE, image_labels

#: UniSpeech's pre-training fields that change no shape (the share of features replaced by quantized ones).
_PRETRAINING_SHAPE_FREE = frozenset({"replace_prob"})


def _mask_vector_always(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (UniSpeech-SAT): the model holds SpecAugment's mask vector whatever the masking probabilities
    (``UniSpeechSatModel`` creates ``masked_spec_embed`` unconditionally)."""
    params["masked_spec_embed"] = ("mask_time_prob", True)


def _speech_row(name: str, prefix: str, reads: dict, *rules, fixed=None, shape_free=frozenset(), about: str,
                pretraining: bool = False) -> Row:  # fmt: skip
    """A speech-encoder row: the CTC head, the bare model, sequence classification (and pre-training)."""
    classes = (f"{prefix}ForCTC", f"{prefix}Model", f"{prefix}ForSequenceClassification")
    return Row(
        name, "speech-encoder", (*classes, *((f"{prefix}ForPreTraining",) if pretraining else ())),
        reads=reads, defaults=DEFAULTS[name], fixed={"base_name": name.replace("-", "_"), **(fixed or {})},
        rules=(speech_architecture, speech_encoder_rule(name), *rules), shape_free=ENCODER_SHAPE_FREE | shape_free,
        description=about, audio=CONV_FRAMES,
    )  # fmt: skip


def _ijepa(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (I-JEPA): the classifier of the labels on IJepaForImageClassification; no pooler on any class
    (IJepaModel's ``add_pooling_layer`` defaults to false)."""
    image_labels(cfg, cls, params)
    params.pop("pooler", None)


def _data2vec_vision(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (data2vec-vision): BEiT's layer scale (``layer_scale_init_value`` above 0) and mean pooling
    (``use_mean_pooling`` drops the final norm; the pooler's norm is held by the classifier's base model only, which
    Data2VecVisionForImageClassification builds with ``add_pooling_layer=True`` and Data2VecVisionModel without);
    the classifier of the labels."""
    params["layer_scale"] = ("layer_scale_init_value", has_layer_scale(cfg, "data2vec-vision"))
    mean = cfg.bool("use_mean_pooling", DEFAULTS["data2vec-vision"]["use_mean_pooling"])
    params["final_norm"] = ("use_mean_pooling", not mean)
    params["pooler_norm"] = ("use_mean_pooling", mean and cls.endswith("ForImageClassification"))
    image_labels(cfg, cls, params)


def _layoutlm(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (LayoutLM): the pooler on every class (each builds LayoutLMModel with it); the MLM head of
    LayoutLMForMaskedLM; the labels projection on the pooled output (sequence classification) or on every token
    (token classification: the same tensors), or ``qa_outputs`` of ``num_labels`` outputs (question answering)."""
    params["pooler"] = ("architectures", True)
    head = "mlm" if cls.endswith("ForMaskedLM") else "none" if cls.endswith("Model") else "classifier"
    params["head"] = ("architectures", head)
    if head == "classifier":
        params["n_labels"] = num_labels(cfg)
    if cls.endswith("ForQuestionAnswering"):
        params["layout"] = ("architectures", "layoutlm_qa")


def _deberta_v1(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (DeBERTa v1): position rows only with ``position_biased_input``; with ``relative_attention``,
    ``2 × max_relative_positions`` relative embedding rows (``max_position_embeddings`` when below 1) and the
    projections ``pos_att_type`` names (c2p: ``pos_proj``, p2c: ``pos_q_proj``), as DebertaEncoder and
    DisentangledSelfAttention build them; the talking heads (``talking_head``) are refused, not counted."""
    d = params["d_model"][1]
    defaults = DEFAULTS["deberta"]
    positions = cfg.int("max_position_embeddings", defaults["max_position_embeddings"])
    biased = cfg.bool("position_biased_input", defaults["position_biased_input"])
    params["n_positions"] = ("position_biased_input", positions if biased else 0)
    params["embedding_size"] = ("embedding_size", cfg.int("embedding_size", d))
    if cls.endswith("ForSequenceClassification") and cfg.int("pooler_hidden_size", d) != d:
        raise cfg.error("pooler_hidden_size", f"must be hidden_size ({d}): ContextPooler's dense layer is "
                        "pooler_hidden_size wide and takes the hidden states, so the model could not run")  # fmt: skip
    if cfg.bool("talking_head", False):
        raise cfg.error("talking_head", "true adds talking-head projections this mapping does not count; refused "
                        "rather than guessed")  # fmt: skip
    max_relative = whole_field(cfg, "max_relative_positions", defaults["max_relative_positions"])
    attention_types = name_list_field(cfg, "pos_att_type", defaults["pos_att_type"])
    if cfg.bool("relative_attention", defaults["relative_attention"]):
        params["relative_positions"] = ("relative_attention", 2 * (max_relative if max_relative >= 1 else positions))
        params["pos_key_proj"] = ("pos_att_type", "c2p" in attention_types)
        params["pos_query_proj"] = ("pos_att_type", "p2c" in attention_types)


def _nomic_bert(cfg: ConfigReader, cls: str, params: Params) -> tuple[str, ...]:
    """Rule (Nomic BERT): the MLM head of NomicBertForMaskedLM; the labels projection of the classifiers, on the
    pooler (built with ``add_pooling_layer=True``) for sequence classification, on every token for token
    classification; ``head_dim`` other than ``hidden_size / num_attention_heads`` is refused, not guessed (the
    encoder family's attention is ``hidden_size`` wide), and so is an odd head dimension above 4 (transformers'
    RoPE validation refuses it); a note when the file names experts (nomic-embed-text-v2-moe's
    remote-code MoE, which transformers' port does not build)."""
    d, heads = params["d_model"][1], params["n_heads"][1]
    head_dim = cfg.int("head_dim", None, nullable=True)
    if head_dim is not None and head_dim * heads != d:
        raise cfg.error("head_dim", f"{head_dim} × {heads} heads is not hidden_size ({d}): attention of another "
                        "width than the model's is not counted by this mapping; refused rather than guessed")  # fmt: skip
    if d // heads > 4 and (d // heads) % 2:  # transformers' validate_rope lets tiny test heads (<= 4) through
        raise cfg.error("num_attention_heads", f"gives an odd head dimension ({d} / {heads}): the rotary positions "
                        "need an even one (transformers refuses the config)")  # fmt: skip
    head = "mlm" if cls.endswith("ForMaskedLM") else "none" if cls.endswith("Model") else "classifier"
    params["head"] = ("architectures", head)
    params["pooler"] = ("architectures", cls.endswith("ForSequenceClassification"))
    if head == "classifier":
        params["n_labels"] = num_labels(cfg)
    experts = cfg.raw("num_experts")
    if isinstance(experts, int) and not isinstance(experts, bool) and experts > 0:
        return (f"num_experts: {experts}: the remote-code model (trust_remote_code) has mixture-of-experts layers that "
                "transformers' nomic_bert does not build: counted as transformers builds the file, dense, which is "
                "not the checkpoint's model",)  # fmt: skip
    return ()


def _xlm(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (XLM): the head of the class (XLMWithLMHeadModel's projection, refused with the adaptive softmax
    ``asm``; XLMForSequenceClassification's summary projection, ``num_labels`` wide with ``summary_proj_to_labels``
    and labels, else ``hidden_size``, none without ``summary_use_proj``; XLMForTokenClassification's classifier);
    the language table with several languages and ``use_lang_emb``; ``is_encoder`` false and the ``attn`` summary
    are refused, as transformers refuses them (NotImplementedError)."""
    defaults = DEFAULTS["xlm"]
    if not cfg.bool("is_encoder", defaults["is_encoder"]):
        raise cfg.error("is_encoder", "false: transformers' XLMModel can only be an encoder (NotImplementedError)")
    langs = cfg.int("n_langs", defaults["n_langs"], minimum=1)
    by_language = cfg.bool("use_lang_emb", defaults["use_lang_emb"])  # read whatever n_langs says
    params["n_langs"] = ("n_langs", langs if langs > 1 and by_language else 0)
    summary = cfg.raw("summary_type", defaults["summary_type"])  # the summary's fields, read for every class
    to_labels = cfg.bool("summary_proj_to_labels", defaults["summary_proj_to_labels"])
    projected = cfg.bool("summary_use_proj", defaults["summary_use_proj"])
    if cls == "XLMWithLMHeadModel":
        if cfg.bool("asm", defaults["asm"]):
            raise cfg.error("asm", "true: the adaptive softmax head is not counted by this mapping; refused rather "
                            "than guessed")  # fmt: skip
        params["head"] = ("architectures", "lm")
    elif cls == "XLMForSequenceClassification":
        if summary == "attn":
            raise cfg.error("summary_type", "'attn' is not implemented by transformers (NotImplementedError)")
        labels = num_labels(cfg)
        width = labels if to_labels and labels[1] > 0 else ("hidden_size", params["d_model"][1])
        params["head"] = ("architectures", "summary")
        params["summary_dim"] = width if projected else ("summary_use_proj", 0)
    elif cls == "XLMForTokenClassification":
        params["head"] = ("architectures", "classifier")
        params["n_labels"] = num_labels(cfg)
    else:
        params["head"] = ("architectures", "none")


#: data2vec-audio's reads: wav2vec 2.0's, its positional convolutions a stack (no feat_extract_norm field).
_DATA2VEC_AUDIO_READS = {
    **{k: v for k, v in ENCODER_READS.items() if k != "feat_extract_norm"},
    "pos_conv_kernel": "conv_pos_kernel_size", "pos_conv_layers": "num_conv_pos_embeddings",
}  # fmt: skip

#: Every row of this plugin (the module's docstring says what each adds).
ROWS = (
    _speech_row("unispeech", "UniSpeech", {**ENCODER_READS, **QUANTIZER_READS, "n_ctc_classes": "num_ctc_classes"},
                fixed={"pretraining_head": "unispeech"}, shape_free=_PRETRAINING_SHAPE_FREE, pretraining=True,
                about="UniSpeech: wav2vec 2.0's feature encoder and transformer encoder over raw audio"),
    _speech_row("unispeech-sat", "UniSpeechSat", {**ENCODER_READS, **QUANTIZER_READS, "n_clusters": "num_clusters"},
                _mask_vector_always, fixed={"pretraining_head": "unispeech_sat"}, pretraining=True,
                about="UniSpeech-SAT: wav2vec 2.0's feature encoder and transformer encoder over raw audio"),
    _speech_row("data2vec-audio", "Data2VecAudio", _DATA2VEC_AUDIO_READS, fixed={"feat_extract_norm": "layer"},
                about="data2vec-audio: conv feature encoder (a norm on every layer), stacked positional convolutions, "
                      "transformer encoder"),
    Row("data2vec-vision", "vision", ("Data2VecVisionForImageClassification", "Data2VecVisionModel"),
        reads={**VISION_READS, **BEIT_READS}, defaults=DEFAULTS["data2vec-vision"],
        fixed={"layout": "data2vec_vision", "qkv_bias": True, "k_bias": False}, rules=(_data2vec_vision,),
        # vocab_size: the visual tokens of a masked-image-modelling head that transformers does not build here
        shape_free=VISION_SHAPE_FREE | BEIT_SHAPE_FREE | {"vocab_size"},
        description="data2vec-vision: BEiT's encoder (relative position bias, layer scale, mean pooling)"),
    Row("layoutlm", "encoder",
        ("LayoutLMForMaskedLM", "LayoutLMModel", "LayoutLMForSequenceClassification", "LayoutLMForTokenClassification",
         "LayoutLMForQuestionAnswering"),
        reads={"vocab_size": "vocab_size", "d_model": "hidden_size", "n_layers": "num_hidden_layers",
               "n_heads": "num_attention_heads", "d_ff": "intermediate_size", "n_positions": "max_position_embeddings",
               "type_vocab_size": "type_vocab_size", "positions_2d": "max_2d_position_embeddings",
               "tie_word_embeddings": "tie_word_embeddings"},
        defaults=DEFAULTS["layoutlm"], fixed={"layout": "layoutlm"}, rules=(_layoutlm,),
        shape_free={"hidden_act", "hidden_dropout_prob", "attention_probs_dropout_prob", "layer_norm_eps"},
        description="LayoutLM: BERT with 2-D position embeddings of each token's box"),
    Row("deberta", "encoder", ("DebertaForMaskedLM", "DebertaModel", "DebertaForSequenceClassification"),
        reads={"vocab_size": "vocab_size", "d_model": "hidden_size", "n_layers": "num_hidden_layers",
               "n_heads": "num_attention_heads", "d_ff": "intermediate_size", "type_vocab_size": "type_vocab_size",
               "tie_word_embeddings": "tie_word_embeddings", "legacy_head": "legacy"},
        defaults=DEFAULTS["deberta"], fixed={"layout": "deberta_v1"}, rules=(bert_like_head, _deberta_v1),
        shape_free={"hidden_act", "hidden_dropout_prob", "attention_probs_dropout_prob", "layer_norm_eps",
                    "pooler_dropout", "pooler_hidden_act", "pooler_hidden_size"},
        description="DeBERTa (v1): disentangled attention, a fused projection with query and value biases"),
    Row("eurobert", "llama", ("EuroBertForMaskedLM", "EuroBertModel"),
        reads={**DECODER_READS, **ATTENTION_READS, **ATTENTION_BIAS_READS, "mlp_bias": "mlp_bias",
               "lm_head_bias": "mlp_bias"},
        defaults=DEFAULTS["eurobert"], rules=DECODER_RULES,
        # the pooling of the classification classes (not mapped); the encoder's bidirectional mask has no tensors
        shape_free=frozenset(DECODER_SHAPE_FREE) | {"classifier_pooling", "hidden_dropout", "mask_token_id"},
        description="EuroBERT: Llama's layers as a bidirectional encoder, a masked-LM head"),
    Row("nomic_bert", "encoder",
        ("NomicBertModel", "NomicBertForMaskedLM", "NomicBertForSequenceClassification",
         "NomicBertForTokenClassification"),
        reads={"vocab_size": "vocab_size", "d_model": "hidden_size", "n_layers": "num_hidden_layers",
               "n_heads": "num_attention_heads", "d_ff": "intermediate_size", "type_vocab_size": "type_vocab_size",
               "tie_word_embeddings": "tie_word_embeddings"},
        # tie_word_embeddings: a class attribute of NomicBertConfig (True), not one of its fields
        defaults={**DEFAULTS["nomic_bert"], "tie_word_embeddings": True}, rules=(_nomic_bert,),
        fixed={"layout": "nomic_bert", "n_positions": 0, "attention_bias": False, "mlp_bias": False},
        # rotary positions: max_position_embeddings and rope_parameters size no table
        shape_free={"hidden_act", "hidden_dropout_prob", "attention_probs_dropout_prob", "layer_norm_eps",
                    "classifier_dropout", "max_position_embeddings", "rope_parameters"},
        description="Nomic BERT: post-norm encoder, rotary positions, gated MLP, no biases"),
    Row("xlm", "xlm", ("XLMWithLMHeadModel", "XLMModel", "XLMForSequenceClassification", "XLMForTokenClassification"),
        reads={"vocab_size": "vocab_size|n_words", "d_model": "emb_dim|hidden_size",
               "n_layers": "n_layers|num_hidden_layers", "n_heads": "n_heads|num_attention_heads",
               "n_positions": "max_position_embeddings",
               "tie_word_embeddings": "tie_word_embeddings"},
        defaults=DEFAULTS["xlm"], rules=(_xlm,),
        # dropouts, initialisation, token ids, generation and the SQuAD head's sizes (XLMForQuestionAnswering: not
        # mapped); sinusoidal_embeddings only fills the position table; causal masks change no shape
        shape_free={"attention_dropout", "dropout", "embed_init_std", "init_std", "layer_norm_eps", "gelu_activation",
                    "sinusoidal_embeddings", "causal", "lang_id", "mask_index", "mask_token_id", "unk_index",
                    "start_n_top", "end_n_top", "summary_activation", "summary_first_dropout", "summary_last_dropout"},
        description="XLM: post-norm encoder with language embeddings (layers held as parallel lists)"),
    Row("swinv2", "swin", ("Swinv2ForImageClassification", "Swinv2Model"),
        reads={"embed_dim": "embed_dim", "depths": "depths", "num_heads": "num_heads", "window_size": "window_size",
               "mlp_ratio": "mlp_ratio", "qkv_bias": "qkv_bias", "absolute_positions": "use_absolute_embeddings",
               "patch_size": "patch_size", "n_channels": "num_channels"},
        defaults=DEFAULTS["swinv2"], fixed={"version": 2}, rules=(swin_rule,),
        # hidden_size and num_layers: derived from embed_dim and depths; pretrained_window_sizes: buffers only
        shape_free=VISION_SHAPE_FREE | BACKBONE_SHAPE_FREE | {"encoder_stride", "hidden_size", "num_layers",
                                                               "pretrained_window_sizes"},
        description="Swin Transformer V2: scaled cosine attention, continuous position bias, post-norm"),
    Row("ijepa", "vision", ("IJepaModel", "IJepaForImageClassification"),
        reads={**VISION_READS, "d_ff": "intermediate_size", "qkv_bias": "qkv_bias"}, defaults=DEFAULTS["ijepa"],
        fixed={"layout": "ijepa", "class_token": False}, rules=(_ijepa,),
        # the pooler's fields: no mapped class builds the pooler (IJepaModel's add_pooling_layer defaults to false)
        shape_free=VISION_SHAPE_FREE | {"pooler_act", "pooler_output_size"},
        description="I-JEPA: ViT's encoder without class token or pooler"),
)


@hookimpl
def register_model_types(register):
    """Map data2vec-audio, data2vec-vision, deberta, eurobert, ijepa, layoutlm, nomic_bert, swinv2, unispeech, unispeech-sat and xlm."""
    for row in ROWS:
        register(row)

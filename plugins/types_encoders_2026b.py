"""More Hugging Face text encoders, as rows of data: longformer, xmod, fnet, jina_embeddings_v3 (``encoder`` family),
esm, squeezebert, convbert, layoutlmv3, lilt, luke and funnel (families of their own), and the composite modernvbert
(a SigLIP vision model, a pixel-shuffle connector and ModernBERT).

Longformer is RoBERTa with a second query, key and value projection in every layer for the tokens of global
attention (its sliding-window sizes, ``attention_window``, change no shape but must be even and positive, one per
layer, as ``LongformerModel`` asserts). X-MOD is RoBERTa with one bottleneck adapter per language in every layer
(``languages``; ``hidden_size // adapter_reduction_factor`` wide), optionally pre-norm (``pre_norm``: a last norm
held by the encoder). FNet is BERT whose attention is a Fourier transform (no tensors), its embeddings projected
after their norm, the pooler on every class. Jina Embeddings v3 is XLM-RoBERTa with rotary positions and post-norm
layers of other names (its task LoRA adapters are PEFT files, not in the model). ESM (ESM-1b, ESM-2) is a pre-norm
encoder with rotary or learned positions, no segments, a last norm and an attention-contact head
(:mod:`registry.plugins.esm`). SqueezeBERT is BERT with grouped 1x1 convolutions (:mod:`registry.plugins.squeezebert`).
ConvBERT mixes attention heads with span-based dynamic convolutions (:mod:`registry.plugins.convbert`). LayoutLMv3
encodes text tokens with their boxes and image patches (:mod:`registry.plugins.layoutlmv3`). LiLT runs a narrower
layout stream beside the text one (:mod:`registry.plugins.lilt`). LUKE adds entity embeddings and entity-aware
queries to RoBERTa (:mod:`registry.plugins.luke`). The Funnel Transformer pools the sequence between encoder blocks
(:mod:`registry.plugins.funnel`).

One :class:`registry.Row` each (config field -> hyper-parameter, transformers' defaults from
:mod:`registry.plugins.generated_defaults`), plus the few rules of its ``modeling_<type>.py`` that decide which
tensors exist.
"""

from __future__ import annotations

from registry import Composite, ConfigReader, Params, Row, Tower, hookimpl, short_value as short
from registry.plugins.encoder_types import bert_like_head, cross_attention_rule, pooler_on_bare_model
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.hf_common import ABSOLUTE_POSITIONS, hf_row, num_labels
from registry.plugins.image_rules_2026c import MODERNVBERT as MODERNVBERT_IMAGES
from registry.plugins.vlm_types import tie

_DROPOUTS = ("hidden_act", "hidden_dropout_prob", "attention_probs_dropout_prob", "layer_norm_eps")
#: The fields BERT-like configs share.
_BERT_READS = {
    "vocab_size": "vocab_size", "d_model": "hidden_size", "n_layers": "num_hidden_layers",
    "n_heads": "num_attention_heads", "d_ff": "intermediate_size", "tie_word_embeddings": "tie_word_embeddings",
    "n_positions": "max_position_embeddings", "type_vocab_size": "type_vocab_size",
}  # fmt: skip


def _attention_window(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (Longformer): ``attention_window`` is one even, positive size, or a list of one per layer
    (``LongformerModel`` asserts both); it changes no shape."""
    window = cfg.raw("attention_window", DEFAULTS["longformer"]["attention_window"])
    layers = params["n_layers"][1]
    sizes = [window] if not isinstance(window, list) else window
    if isinstance(window, list) and len(window) != layers:
        raise cfg.error("attention_window", f"must hold one size per layer ({layers}; got {len(window)})")
    for size in sizes:
        if isinstance(size, bool) or not isinstance(size, int) or size <= 0 or size % 2:
            raise cfg.error("attention_window", f"must be even and positive sizes (got {short(window)})")


def _xmod(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (X-MOD): an adapter per language (``languages``; the same name twice is one adapter, as transformers'
    ModuleDict holds it), ``hidden_size // adapter_reduction_factor`` wide; the pre-norm layout with ``pre_norm``;
    the causal LM class has the masked LM's head."""
    defaults = DEFAULTS["xmod"]
    languages = cfg.raw("languages", defaults["languages"])
    if not isinstance(languages, list) or not all(isinstance(x, str) for x in languages):
        raise cfg.error("languages", f"must be a list of language codes (got {short(languages)})")
    if any("." in x or not x for x in languages):
        raise cfg.error("languages", "a language code is a module name: not empty, no '.' (torch refuses it)")
    factor = cfg.int("adapter_reduction_factor", defaults["adapter_reduction_factor"], minimum=1)
    if languages and params["d_model"][1] // factor < 1:
        raise cfg.error("adapter_reduction_factor", f"must be <= hidden_size ({params['d_model'][1]}): the adapters "
                        "would be 0 wide (empty layers: refused rather than counted)")  # fmt: skip
    params["adapters"] = ("languages", list(dict.fromkeys(languages)))
    params["adapter_dim"] = ("adapter_reduction_factor", params["d_model"][1] // factor if languages else 0)
    params["adapter_norm"] = ("adapter_layer_norm", cfg.bool("adapter_layer_norm", defaults["adapter_layer_norm"]))
    if cfg.bool("pre_norm", defaults["pre_norm"]):
        params["layout"] = ("pre_norm", "xmod_prenorm")
    if cls == "XmodForCausalLM":
        params["head"] = ("architectures", "mlm")


def _esm(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (ESM): the class's head (the pooler on EsmModel only); a position table with absolute positions, none
    with rotary ones; ESMFold (``is_folding_model``, EsmForProteinFolding) is refused, its folding trunk not mapped."""
    defaults = DEFAULTS["esm"]
    if cfg.bool("is_folding_model", False):
        raise cfg.error("is_folding_model", "true: ESMFold's folding trunk (EsmForProteinFolding) is not mapped; "
                        "refused rather than counted as its language model alone")  # fmt: skip
    kind = cfg.raw("position_embedding_type", defaults["position_embedding_type"])
    if kind not in ("absolute", "rotary"):
        raise cfg.error("position_embedding_type", f"must be \"absolute\" or \"rotary\" (got {short(kind)}): "
                        "transformers 5's ESM builds no positions at all for another value; refused rather than guessed")
    positions = cfg.int("max_position_embeddings", defaults["max_position_embeddings"], minimum=1)
    params["n_positions"] = ("position_embedding_type", positions if kind == "absolute" else 0)
    head = {"EsmForMaskedLM": "mlm", "EsmForSequenceClassification": "classifier",
            "EsmForTokenClassification": "token_classifier"}.get(cls, "none")  # fmt: skip
    params["head"] = ("architectures", head)
    params["pooler"] = ("architectures", cls == "EsmModel")
    if head in ("classifier", "token_classifier"):
        params["n_labels"] = num_labels(cfg)
    cross_attention_rule(cfg, cls, params)


def _jina_pooling_layer(cfg: ConfigReader, cls: str, params: Params) -> tuple[str, ...]:
    """Rule (Jina Embeddings v3): ``add_pooling_layer`` false (JinaEmbeddingsV3Model's argument, which a GGUF
    file's mapping sets: llama.cpp drops the pooler) builds the bare model without its pooler, with a note."""
    if cfg.bool("add_pooling_layer", True):
        return ()
    if cls != "JinaEmbeddingsV3Model":
        raise cfg.error("add_pooling_layer", f"false is JinaEmbeddingsV3Model's argument; {cls} has no pooler to drop")
    params["pooler"] = ("add_pooling_layer", False)
    return ("the pooler is not in the file: counted as JinaEmbeddingsV3Model(config, add_pooling_layer=False)",)


def _pooler_always(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (FNet): the pooler on every class (FNetModel is built with it by each)."""
    params["pooler"] = ("architectures", True)


def _squeezebert(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (SqueezeBERT): the class's head; ``embedding_size`` must be ``hidden_size`` (SqueezeBertEncoder
    asserts it: no layer adapts the widths)."""
    width = cfg.int("embedding_size", DEFAULTS["squeezebert"]["embedding_size"])
    if width != params["d_model"][1]:
        raise cfg.error("embedding_size", f"must equal hidden_size ({params['d_model'][1]}): SqueezeBERT has no "
                        "projection between them (transformers asserts it)")  # fmt: skip
    _class_head(cfg, cls, params)


def _class_head(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (ConvBERT, SqueezeBERT): the masked-LM head, the sequence classifier (``num_labels``), else none."""
    head = "mlm" if cls.endswith("ForMaskedLM") else "none"
    if cls.endswith("ForSequenceClassification"):
        head = "classifier"
        params["n_labels"] = num_labels(cfg)
    params["head"] = ("architectures", head)


def _layoutlmv3(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (LayoutLMv3): the class's head (the token classifier's single Linear below 10 labels, as
    LayoutLMv3ForTokenClassification chooses); the position biases the config asks for; the image's side and patch
    as whole numbers where the patch embedding is built (``int(input_size / patch_size)`` fails on a list)."""
    defaults = DEFAULTS["layoutlmv3"]
    heads = {"LayoutLMv3ForSequenceClassification": "sequence", "LayoutLMv3ForTokenClassification": "token",
             "LayoutLMv3ForQuestionAnswering": "qa"}  # fmt: skip
    head = heads.get(cls, "none")
    if head != "none":
        labels = num_labels(cfg)
        params["n_labels"] = labels
        if head == "token" and labels[1] < 10:
            head = "token_linear"
    params["head"] = ("architectures", head)
    for flag, key, field in (("has_relative_attention_bias", "rel_pos_bins", "rel_pos_bins"),
                             ("has_spatial_attention_bias", "rel_2d_pos_bins", "rel_2d_pos_bins")):  # fmt: skip
        on = cfg.bool(flag, defaults[flag])
        params[key] = (field, cfg.int(field, defaults[field], minimum=1)) if on else (flag, 0)
    if cfg.bool("visual_embed", defaults["visual_embed"]):
        params["image_size"] = ("input_size", cfg.int("input_size", defaults["input_size"], minimum=1))
        params["patch_size"] = ("patch_size", cfg.int("patch_size", defaults["patch_size"], minimum=1))


def _lilt(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (LiLT): the class's head (the classifiers read ``num_labels``)."""
    head = {"LiltForSequenceClassification": "sequence", "LiltForTokenClassification": "token"}.get(cls, "none")
    params["head"] = ("architectures", head)
    if head != "none":
        params["n_labels"] = num_labels(cfg)


#: LUKE's classes with one classifier: how many hidden states it reads.
_LUKE_CLASSIFIERS = {"LukeForEntityClassification": 1, "LukeForEntityPairClassification": 2,
                     "LukeForEntitySpanClassification": 3, "LukeForSequenceClassification": 1,
                     "LukeForTokenClassification": 1}  # fmt: skip


def _luke(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (LUKE): the class's head (a classifier reading 1, 2 or 3 hidden states, ``num_labels`` wide); the pooler
    on every class but the token classifier (LukeModel(config, add_pooling_layer=False))."""
    params["head"] = ("architectures", "mlm" if cls == "LukeForMaskedLM" else "none")
    params["pooler"] = ("architectures", cls != "LukeForTokenClassification")
    if cls in _LUKE_CLASSIFIERS:
        params["head"] = ("architectures", "classifier")
        params["classifier_inputs"] = ("architectures", _LUKE_CLASSIFIERS[cls])
        params["n_labels"] = num_labels(cfg)


#: Funnel's classes: the head, and whether the model is the full one (with its decoder).
_FUNNEL_CLASSES = {"FunnelModel": ("none", True), "FunnelBaseModel": ("none", False),
                   "FunnelForPreTraining": ("pretraining", True), "FunnelForMaskedLM": ("mlm", True),
                   "FunnelForSequenceClassification": ("classifier", False),
                   "FunnelForTokenClassification": ("token_classifier", True)}  # fmt: skip


def _funnel(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (Funnel): the class's head and model (the base model, without decoder, under the sequence classifier);
    blocks of one layer or more; ``block_repeats``, ``pooling_type`` and ``attention_type`` checked as
    FunnelConfig validates them."""
    defaults = DEFAULTS["funnel"]
    sizes = params["block_sizes"][1]
    if not sizes or 0 in sizes:
        raise cfg.error("block_sizes", f"must list one or more blocks of one layer or more (got {short(sizes)})")
    repeats = cfg.raw("block_repeats", None)
    if repeats is not None and (not isinstance(repeats, list) or len(repeats) != len(sizes)):
        raise cfg.error("block_repeats", f"must have the length of block_sizes ({len(sizes)}; got {short(repeats)})")
    for key, allowed in (("pooling_type", ("mean", "max")), ("attention_type", ("relative_shift", "factorized"))):
        if cfg.raw(key, defaults[key]) not in allowed:
            raise cfg.error(key, f"must be one of {', '.join(allowed)} (got {short(cfg.raw(key, None))})")
    head, decoder = _FUNNEL_CLASSES[cls]
    params["head"] = ("architectures", head)
    params["decoder"] = ("architectures", decoder)
    if head in ("classifier", "token_classifier"):
        params["n_labels"] = num_labels(cfg)


#: Every row of this plugin (the module's docstring lists them).
ROWS: tuple[Row, ...] = (
    hf_row("longformer", "encoder",
           ("LongformerForMaskedLM", "LongformerModel", "LongformerForSequenceClassification"),
           _BERT_READS, bert_like_head, pooler_on_bare_model, _attention_window,
           fixed={"layout": "longformer"}, shape_free=(*_DROPOUTS, "onnx_export", "sep_token_id")),  # fmt: skip
    hf_row("xmod", "encoder",
           ("XmodForMaskedLM", "XmodModel", "XmodForSequenceClassification", "XmodForCausalLM"),
           _BERT_READS, ABSOLUTE_POSITIONS, bert_like_head, pooler_on_bare_model, cross_attention_rule, _xmod,
           fixed={"layout": "xmod"},
           # the adapters' norm reuse and order, the default language: no shapes
           shape_free=(*_DROPOUTS, "classifier_dropout", "adapter_reuse_layer_norm", "ln_before_adapter",
                       "default_language")),  # fmt: skip
    hf_row("esm", "esm",
           ("EsmForMaskedLM", "EsmModel", "EsmForSequenceClassification", "EsmForTokenClassification"),
           {"vocab_size": "vocab_size", "d_model": "hidden_size", "n_layers": "num_hidden_layers",
            "n_heads": "num_attention_heads", "d_ff": "intermediate_size", "embedding_norm": "emb_layer_norm_before?",
            "tie_word_embeddings": "tie_word_embeddings"},
           _esm,
           # rotary frequencies are buffers; token dropout and the mask token change no shape; vocab_list and
           # esmfold_config belong to ESMFold (refused)
           shape_free=(*_DROPOUTS, "rope_theta", "token_dropout", "mask_token_id", "vocab_list", "esmfold_config",
                       "max_position_embeddings", "position_embedding_type")),  # fmt: skip
    hf_row("squeezebert", "squeezebert",
           ("SqueezeBertForMaskedLM", "SqueezeBertModel", "SqueezeBertForSequenceClassification"),
           {**_BERT_READS, **{f"{x}_groups": f"{x}_groups" for x in ("q", "k", "v", "post_attention", "intermediate",
                                                                     "output")}},
           _squeezebert, shape_free=_DROPOUTS),  # fmt: skip
    hf_row("convbert", "convbert",
           ("ConvBertForMaskedLM", "ConvBertModel", "ConvBertForSequenceClassification"),
           {**_BERT_READS, "embedding_size": "embedding_size", "head_ratio": "head_ratio",
            "conv_kernel_size": "conv_kernel_size", "n_groups": "num_groups"},
           _class_head, cross_attention_rule, shape_free=(*_DROPOUTS, "classifier_dropout")),  # fmt: skip
    hf_row("layoutlmv3", "layoutlmv3",
           ("LayoutLMv3Model", "LayoutLMv3ForSequenceClassification", "LayoutLMv3ForTokenClassification",
            "LayoutLMv3ForQuestionAnswering"),
           {**{k: v for k, v in _BERT_READS.items() if k != "tie_word_embeddings"},
            "positions_2d": "max_2d_position_embeddings", "coordinate_size": "coordinate_size",
            "shape_size": "shape_size", "text_embed": "text_embed", "visual_embed": "visual_embed",
            "n_channels": "num_channels"},
           _layoutlmv3,
           # the relative positions' ranges size no tensor; no class has tied embeddings (no LM head)
           shape_free=(*_DROPOUTS, "classifier_dropout", "max_rel_pos", "max_rel_2d_pos", "tie_word_embeddings")),
    hf_row("jina_embeddings_v3", "encoder",
           ("JinaEmbeddingsV3Model", "JinaEmbeddingsV3ForMaskedLM", "JinaEmbeddingsV3ForSequenceClassification"),
           {k: v for k, v in _BERT_READS.items() if k != "n_positions"}, bert_like_head, pooler_on_bare_model,
           _jina_pooling_layer, fixed={"layout": "jina_embeddings_v3", "n_positions": 0},
           # rotary positions: no table
           shape_free=(*_DROPOUTS, "classifier_dropout", "max_position_embeddings", "rope_parameters")),  # fmt: skip
    hf_row("lilt", "lilt", ("LiltModel", "LiltForSequenceClassification", "LiltForTokenClassification"),
           {**{k: v for k, v in _BERT_READS.items() if k != "tie_word_embeddings"},
            "positions_2d": "max_2d_position_embeddings", "shrink": "channel_shrink_ratio"},
           _lilt, shape_free=(*_DROPOUTS, "classifier_dropout", "tie_word_embeddings")),  # no LM head: nothing tied
    hf_row("luke", "luke", ("LukeForMaskedLM", "LukeModel", *_LUKE_CLASSIFIERS),
           {**_BERT_READS, "entity_vocab_size": "entity_vocab_size", "entity_width": "entity_emb_size",
            "entity_aware": "use_entity_aware_attention"},
           _luke, shape_free=(*_DROPOUTS, "classifier_dropout")),  # fmt: skip
    hf_row("funnel", "funnel", ("FunnelModel", *(c for c in _FUNNEL_CLASSES if c != "FunnelModel")),
           {"vocab_size": "vocab_size", "d_model": "d_model|hidden_size", "n_heads": "n_head|num_attention_heads",
            "d_head": "d_head", "d_ff": "d_inner", "block_sizes": "block_sizes",
            "n_decoder_layers": "num_decoder_layers", "tie_word_embeddings": "tie_word_embeddings"},
           _funnel,
           # pooling, attention kinds and repeats re-apply the same tensors
           shape_free=("hidden_act", "hidden_dropout", "attention_dropout", "activation_dropout", "layer_norm_eps",
                       "initializer_std", "pooling_type", "attention_type", "separate_cls", "truncate_seq",
                       "pool_q_only", "block_repeats")),  # fmt: skip
    hf_row("fnet", "encoder",
           ("FNetForMaskedLM", "FNetModel", "FNetForPreTraining", "FNetForSequenceClassification"),
           {k: v for k, v in _BERT_READS.items() if k != "n_heads"}, bert_like_head, _pooler_always,
           fixed={"layout": "fnet", "n_heads": 1},  # no attention: n_heads builds nothing
           # the TPU Fourier matrices are buffers
           shape_free=("hidden_act", "hidden_dropout_prob", "layer_norm_eps", "use_tpu_fourier_optimizations",
                       "tpu_short_seq_length")),  # fmt: skip
)


def _modernvbert_connector(cfg: ConfigReader, parts: dict[str, Params]) -> Params:
    """ModernVBERT's connector: pixel shuffle of ``pixel_shuffle_factor``, one linear without bias to the text width."""
    factor = cfg.int("pixel_shuffle_factor", DEFAULTS["modernvbert"]["pixel_shuffle_factor"], minimum=1)
    return {"layout": ("model_type", "modernvbert"), "d_in": ("vision_config.hidden_size", parts["vision"]["d_model"][1]),
            "d_out": ("text_config.hidden_size", parts["text"]["d_model"][1]), "factor": ("pixel_shuffle_factor", factor)}


def _modernvbert_heads(cfg: ConfigReader, cls: str, parts: dict[str, Params]) -> None:
    """Rule (ModernVBERT): ModernBERT's model under ``model.text_model``; the masked LM's ``projection_head`` and
    ``lm_head`` at the root; the classifiers' ``head`` and ``classifier`` (``num_labels`` outputs)."""
    text = parts["text"]
    text["layout"] = ("model_type", "modernvbert_text")
    text["pooler"] = ("architectures", False)
    if cls == "ModernVBertForMaskedLM":
        text["head"] = ("architectures", "mlm")
    else:
        text["head"] = ("architectures", "classifier")
        text["n_labels"] = num_labels(cfg)


#: ModernVBERT: a SigLIP vision model, a pixel-shuffle connector and a ModernBERT language model.
MODERNVBERT = Composite(
    "modernvbert", "composite",
    # ModernVBertModel is not mapped: its towers sit at the root (vision_model, connector, text_model), not under model.
    ("ModernVBertForMaskedLM", "ModernVBertForSequenceClassification", "ModernVBertForTokenClassification"),
    (Tower("vision", config="vision_config", model_type="siglip_vision_model", path="model.vision_model"),
     Tower("projector", family="projector", params=_modernvbert_connector, path="model.connector"),
     Tower("text", config="text_config", model_type="modernbert", moves={"model": "model.text_model"})),
    rules=(_modernvbert_heads, tie()),
    # the classifiers' pooling and dropout, initialisation, the image token: no shapes; the top level's
    # classifier_bias is no field of the heads (they read text_config's)
    shape_free=frozenset(("image_token_id", "initializer_cutoff_factor", "classifier_pooling", "classifier_dropout",
                          "classifier_bias")),
    description="ModernVBERT: SigLIP vision model, pixel-shuffle connector, ModernBERT (masked LM, classifiers)",
    images=MODERNVBERT_IMAGES,
)  # fmt: skip


@hookimpl
def register_model_types(register):
    """Map the encoder model types of this module (its docstring lists them)."""
    for row in ROWS:
        register(row)
    register(MODERNVBERT)

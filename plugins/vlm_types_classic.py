"""Vision-language model types of 2021-2025, as data on families registry already has.

* ``blip-2`` (``modeling_blip_2.py``, transformers 5.25): InstructBLIP's layout without the instruction. BLIP's
  vision tower (``blip_2_vision_model``: the ``vision`` family's ``blip`` layout, a fused ``qkv``), the Q-Former
  (``blip_2_qformer``: the ``qformer`` family without embeddings of its own, only a root ``layernorm``, and the
  instruction tokens' feed-forward only with ``use_qformer_text_input``), the learned queries and
  ``language_projection`` at the root, and any mapped language model under ``language_model`` (OPT's
  ``OPTForCausalLM`` by default, Flan-T5's ``T5ForConditionalGeneration``); the Q-Former's cross-attention reads
  the vision tower's width (``Blip2Config.__post_init__``).
* ``colpali`` (``modeling_colpali.py``): ``ColPaliForRetrieval``, a PaliGemma without its LM head under ``vlm``
  (``AutoModel.from_config(vlm_config)``: ``PaliGemmaModel``'s ``vision_tower``, ``multi_modal_projector`` and bare
  ``language_model``) and ``embedding_proj_layer`` (the text width to ``embedding_dim``, with a bias). Its towers
  are read from the sub-configs of ``vlm_config`` (``vlm_config.vision_config``, ``vlm_config.text_config``); the
  projector's width is ``vlm_config.projection_dim`` (``PaliGemmaConfig`` writes it into the vision config).
* ``vilt`` (``modeling_vilt.py``): the ``vilt`` family; the class names the head (``ViltConfig.__post_init__``
  forces ``tie_word_embeddings``: the masked-LM decoder always shares the word embeddings).
* ``florence2`` (``modeling_florence2.py``): ``Florence2ForConditionalGeneration``, the DaViT backbone
  (``florence_vision``: the ``florence2-vision`` family) under ``model.vision_tower``, its projector
  (``florence2-projector``) under ``model.multi_modal_projector``, BART's encoder-decoder (any mapped one) under
  ``model.language_model`` and ``lm_head`` at the root, tied to the shared embedding as the top-level
  ``tie_word_embeddings`` says.
* ``blip`` (``modeling_blip.py``): BLIP's vision tower (``blip_vision_model``: the ``vision`` family's ``blip``
  layout, biased ``qkv``, always 3 channels) and its BERT text stacks (``blip_text_model``: the ``blip-text``
  family, the class choosing the stacks and heads: the captioning decoder, VQA's encoder and decoder, retrieval's
  encoder and heads, or BlipModel's text model and contrastive projections); ``BlipConfig.__post_init__`` gives
  the text cross-attention the vision width.
* ``visual_bert`` (``modeling_visual_bert.py``): the ``visual-bert`` family, the class naming the head
  (``VisualBertForRegionToPhraseAlignment`` is not mapped).
* ``lxmert`` (``modeling_lxmert.py``): the ``lxmert`` family; the class names the head, the pretraining heads
  follow ``task_obj_predict``, ``task_qa`` and the ``visual_*_loss`` switches.
"""

from __future__ import annotations

from registry import Composite, ConfigReader, Params, Row, SubConfig, Tower, hookimpl, short_value
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.hf_common import num_labels
from registry.plugins.vision_model_types import VISION_READS, VISION_SHAPE_FREE

#: What the Q-Former reads for a shape (BLIP-2's and InstructBLIP's fields).
_QFORMER_READS = {
    "vocab_size": "vocab_size", "n_positions": "max_position_embeddings", "d_model": "hidden_size",
    "n_layers": "num_hidden_layers", "n_heads": "num_attention_heads", "d_ff": "intermediate_size",
    "d_encoder": "encoder_hidden_size", "cross_attention_frequency": "cross_attention_frequency",
}  # fmt: skip
_QFORMER_SHAPE_FREE = frozenset(("hidden_act", "hidden_dropout_prob", "attention_probs_dropout_prob", "layer_norm_eps",
                                 "initializer_range", "pad_token_id"))  # fmt: skip

BLIP2_VISION = Row(
    "blip_2_vision_model", "vision", ("Blip2VisionModel",),
    # no num_channels: the patch convolution always takes 3 (Blip2VisionEmbeddings)
    reads={**{k: v for k, v in VISION_READS.items() if k != "n_channels"}, "d_ff": "intermediate_size", "qkv_bias": "qkv_bias"},
    defaults=DEFAULTS["blip_2_vision_model"], fixed={"layout": "blip", "head": "none", "n_channels": 3},
    shape_free=VISION_SHAPE_FREE,
    description="BLIP-2's vision tower (BLIP's ViT, a fused qkv)",
)  # fmt: skip
BLIP2_QFORMER = Row(
    "blip_2_qformer", "qformer", ("Blip2QFormerModel",),
    reads={**_QFORMER_READS, "text_feed_forward": "use_qformer_text_input"},
    defaults=DEFAULTS["blip_2_qformer"], fixed={"embeddings": False}, shape_free=_QFORMER_SHAPE_FREE,
    description="BLIP-2's Q-Former alone (no embeddings of its own)",
)  # fmt: skip


def _qformer_around(cfg: ConfigReader, cls: str, parts: dict[str, Params]) -> None:
    """Rule (BLIP-2): the Q-Former reads the vision tower's width (``Blip2Config.__post_init__`` sets its
    ``encoder_hidden_size``), with ``num_query_tokens`` learned queries and ``language_projection`` to the
    language model's width."""
    queries = cfg.int("num_query_tokens", DEFAULTS["blip-2"]["num_query_tokens"])
    parts["qformer"] |= {"d_encoder": ("vision_config.hidden_size", parts["vision"]["d_model"][1]),
                         "n_query_tokens": ("num_query_tokens", queries),
                         "d_out": ("text_config.hidden_size", parts["text"]["d_model"][1])}  # fmt: skip


BLIP2 = Composite(
    "blip-2", "composite", ("Blip2ForConditionalGeneration", "Blip2Model"),
    (Tower("vision", config="vision_config", model_type=BLIP2_VISION.name, path="vision_model"),
     Tower("qformer", config="qformer_config", model_type=BLIP2_QFORMER.name),
     Tower("text", config="text_config", model_type="opt", model_types=("*",), path="language_model")),
    rules=(_qformer_around,),  # the language model ties as its own text_config says (the top level's is not read)
    shape_free=frozenset(("num_query_tokens", "image_token_index", "use_decoder_only_language_model", "image_text_hidden_size",
                          "initializer_factor", "initializer_range", "tie_word_embeddings")),
    description="BLIP-2: BLIP's vision tower, a Q-Former and a language model",
)  # fmt: skip


def _colpali_projector(cfg: ConfigReader, parts: dict[str, Params]) -> Params:
    """PaliGemma's ``multi_modal_projector`` (one linear) to ``vlm_config.projection_dim``."""
    vlm = SubConfig(cfg, "vlm_config")
    dim = vlm.int("projection_dim", DEFAULTS["paligemma"]["projection_dim"], minimum=1)
    return {"layout": ("model_type", "paligemma"), "d_in": ("vlm_config.vision_config.hidden_size", parts["vision"]["d_model"][1]),
            "d_out": ("vlm_config.projection_dim", dim)}  # fmt: skip


def _colpali_head(cfg: ConfigReader, parts: dict[str, Params]) -> Params:
    """``embedding_proj_layer``: the text width to ``embedding_dim``, with a bias."""
    dim = cfg.int("embedding_dim", DEFAULTS["colpali"]["embedding_dim"], minimum=1)
    return {"layout": ("model_type", "paligemma"), "d_in": ("vlm_config.text_config.hidden_size", parts["text"]["d_model"][1]),
            "d_out": ("embedding_dim", dim)}  # fmt: skip


def _bare_language_model(cfg: ConfigReader, cls: str, parts: dict[str, Params]) -> None:
    """Rule (ColPali): ``AutoModel`` builds the PaliGemma without an LM head (``PaliGemmaModel``)."""
    parts["text"]["lm_head"] = ("architectures", False)


COLPALI = Composite(
    "colpali", "composite", ("ColPaliForRetrieval",),
    (Tower("vision", config="vlm_config.vision_config", model_type="siglip_vision_model", path="vlm.vision_tower"),
     Tower("projector", family="projector", params=_colpali_projector, path="vlm.multi_modal_projector"),
     Tower("text", config="vlm_config.text_config", model_type="gemma", model_types=("*",), path="vlm.language_model"),
     Tower("head", family="projector", params=_colpali_head, moves={"linear": "embedding_proj_layer"})),
    rules=(_bare_language_model,),
    # the published files also repeat the language model's sizes as a top-level text_config that ColPaliConfig
    # does not read (its get_text_config() is vlm_config's)
    shape_free=frozenset(("vlm_config", "embedding_dim", "text_config", "is_composition")),
    description="ColPali: PaliGemma without its LM head, and a projection of each token to a multi-vector embedding",
)  # fmt: skip


_VILT_HEADS = {"ViltModel": "none", "ViltForMaskedLM": "mlm", "ViltForQuestionAnswering": "vqa",
               "ViltForImageAndTextRetrieval": "retrieval", "ViltForImagesAndTextClassification": "images",
               "ViltForTokenClassification": "tokens"}  # fmt: skip


def _vilt_head(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (ViLT): the class names the head; the classifiers have transformers' ``num_labels`` outputs, NLVR2's
    over ``num_images`` pooled outputs (its default, -1, builds no model)."""
    head = _VILT_HEADS[cls]
    params["head"] = ("architectures", head)
    if head in ("vqa", "images", "tokens"):
        params["n_labels"] = num_labels(cfg)
    if head == "images":
        params["n_images"] = ("num_images", cfg.int("num_images", DEFAULTS["vilt"]["num_images"], minimum=1))


VILT = Row(
    "vilt", "vilt", tuple(_VILT_HEADS),
    reads={"vocab_size": "vocab_size", "n_positions": "max_position_embeddings", "type_vocab_size": "type_vocab_size",
           "modality_type_vocab_size": "modality_type_vocab_size", "d_model": "hidden_size", "n_layers": "num_hidden_layers",
           "n_heads": "num_attention_heads", "d_ff": "intermediate_size", "image_size": "image_size",
           "patch_size": "patch_size", "n_channels": "num_channels", "qkv_bias": "qkv_bias"},
    defaults=DEFAULTS["vilt"], rules=(_vilt_head,),
    shape_free=frozenset(("hidden_act", "hidden_dropout_prob", "attention_probs_dropout_prob", "initializer_range",
                          "layer_norm_eps", "max_image_length", "tie_word_embeddings", "pad_token_id", "num_images")),
    description="ViLT: one transformer over text tokens and image patches (masked LM, VQA, retrieval, NLVR2 heads)",
)  # fmt: skip


def _florence_stages(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (Florence-2's backbone): ``patch_prenorm`` is a list of true or false; ``num_heads`` and ``num_groups``
    list one entry per stage, as ``embed_dim`` does (``Florence2VisionBackbone`` raises otherwise; they change no
    shape)."""
    prenorm = cfg.raw("patch_prenorm", DEFAULTS["florence_vision"]["patch_prenorm"])
    if not isinstance(prenorm, list) or not all(isinstance(v, bool) for v in prenorm):
        raise cfg.error("patch_prenorm", f"must be a list of true or false, one per stage (got {short_value(prenorm)})")
    params["patch_prenorm"] = ("patch_prenorm", prenorm)
    stages = cfg.raw("embed_dim", DEFAULTS["florence_vision"]["embed_dim"])
    for key in ("num_heads", "num_groups"):
        value = cfg.raw(key, DEFAULTS["florence_vision"][key])
        if not isinstance(value, list) or not isinstance(stages, list) or len(value) != len(stages):
            raise cfg.error(key, f"must list one entry per stage of embed_dim ({short_value(stages)}); got {short_value(value)}")


FLORENCE_VISION = Row(
    "florence_vision", "florence2-vision", ("Florence2VisionBackbone",),
    reads={"in_channels": "in_channels", "depths": "depths", "patch_size": "patch_size", "embed_dim": "embed_dim", "qkv_bias": "qkv_bias", "mlp_ratio": "mlp_ratio"},
    defaults=DEFAULTS["florence_vision"], rules=(_florence_stages,),
    shape_free=frozenset(("patch_stride", "patch_padding", "num_heads", "num_groups", "window_size", "drop_path_rate",
                          "activation_function", "projection_dim", "max_temporal_embeddings", "max_position_embeddings",
                          "initializer_range")),
    description="Florence-2's DaViT vision backbone",
)  # fmt: skip


def _florence_projector(cfg: ConfigReader, parts: dict[str, Params]) -> Params:
    """``Florence2MultiModalProjector``: from the last stage's width to ``vision_config.projection_dim``, with
    ``vision_config.max_position_embeddings`` learned rows and columns."""
    vision = SubConfig(cfg, "vision_config")
    defaults = DEFAULTS["florence_vision"]
    return {"d_in": ("vision_config.embed_dim", parts["vision"]["embed_dim"][1][-1]),
            "projection_dim": ("vision_config.projection_dim", vision.int("projection_dim", defaults["projection_dim"], minimum=1)),
            "n_positions": ("vision_config.max_position_embeddings",
                            vision.int("max_position_embeddings", defaults["max_position_embeddings"], minimum=1))}  # fmt: skip


def _florence_text(cfg: ConfigReader, cls: str, parts: dict[str, Params]) -> None:
    """Rule (Florence-2): the language model's head is tied to its shared embedding as the top-level
    ``tie_word_embeddings`` says (``Florence2ForConditionalGeneration._tied_weights_keys``)."""
    parts["text"]["tie_lm_head"] = ("tie_word_embeddings", cfg.bool("tie_word_embeddings", DEFAULTS["florence2"]["tie_word_embeddings"]))


FLORENCE2 = Composite(
    "florence2", "composite", ("Florence2ForConditionalGeneration",),
    (Tower("vision", config="vision_config", model_type=FLORENCE_VISION.name, path="model.vision_tower"),
     Tower("projector", family="florence2-projector", params=_florence_projector, path="model.multi_modal_projector"),
     Tower("text", config="text_config", model_type="bart", model_types=("*",), moves={"model": "model.language_model"})),
    rules=(_florence_text,), shape_free=frozenset(("image_token_id", "is_encoder_decoder", "tie_word_embeddings")),
    description="Florence-2: a DaViT backbone, a projector and BART's encoder-decoder",
)  # fmt: skip


BLIP_VISION = Row(
    "blip_vision_model", "vision", ("BlipVisionModel",),
    reads={**{k: v for k, v in VISION_READS.items() if k != "n_channels"}, "d_ff": "intermediate_size"},
    defaults=DEFAULTS["blip_vision_model"], fixed={"layout": "blip", "head": "none", "n_channels": 3, "qkv_bias": True},
    shape_free=VISION_SHAPE_FREE | {"projection_dim"},
    description="BLIP's vision tower (a ViT with a fused, biased qkv)",
)  # fmt: skip
BLIP_TEXT = Row(
    "blip_text_model", "blip-text", ("BlipTextModel", "BlipTextLMHeadModel"),
    reads={**{k: v for k, v in _QFORMER_READS.items() if k != "cross_attention_frequency"}, "cross_attention": "is_decoder",
           "tie_word_embeddings": "tie_word_embeddings"},
    defaults=DEFAULTS["blip_text_model"], rules=(lambda cfg, cls, params: params.__setitem__(
        "layout", ("architectures", "lm" if cls == "BlipTextLMHeadModel" else "model")),),
    shape_free=_QFORMER_SHAPE_FREE | {"projection_dim", "label_smoothing", "bos_token_id", "eos_token_id", "sep_token_id",
                                      "use_cache"},
    description="BLIP's BERT text model (with cross-attention to the image as a decoder)",
)  # fmt: skip
_BLIP_LAYOUTS = {"BlipForConditionalGeneration": "caption", "BlipForQuestionAnswering": "vqa",
                 "BlipForImageTextRetrieval": "retrieval", "BlipModel": "dual"}  # fmt: skip


def _blip_parts(cfg: ConfigReader, cls: str, parts: dict[str, Params]) -> None:
    """Rule (BLIP): the class chooses the text stacks and heads; the cross-attention and the projections read the
    vision width (``BlipConfig.__post_init__``); the LM decoder is tied unless both the top-level and the text
    config's ``tie_word_embeddings`` are false (the model's and its BlipTextLMHeadModel's ``_tied_weights_keys``
    each tie it)."""
    defaults = DEFAULTS["blip"]
    top = cfg.bool("tie_word_embeddings", defaults["tie_word_embeddings"])
    text_tie = parts["text"]["tie_word_embeddings"][1]
    width = ("vision_config.hidden_size", parts["vision"]["d_model"][1])
    parts["text"] |= {
        "layout": ("architectures", _BLIP_LAYOUTS[cls]), "d_encoder": width, "d_vision": width,
        "image_text_dim": ("image_text_hidden_size", cfg.int("image_text_hidden_size", defaults["image_text_hidden_size"])),
        "projection_dim": ("projection_dim", cfg.int("projection_dim", defaults["projection_dim"])),
        "tie_word_embeddings": ("tie_word_embeddings" if top else "text_config.tie_word_embeddings", top or text_tie),
    }  # fmt: skip


BLIP = Composite(
    "blip", "composite", tuple(_BLIP_LAYOUTS),
    (Tower("vision", config="vision_config", model_type=BLIP_VISION.name, path="vision_model"),
     Tower("text", config="text_config", model_type=BLIP_TEXT.name)),
    rules=(_blip_parts,),
    shape_free=frozenset(("logit_scale_init_value", "label_smoothing", "initializer_factor", "initializer_range")),
    description="BLIP: a ViT and BERT text stacks that cross-attend to the image (captioning, VQA, retrieval)",
)  # fmt: skip


_VISUAL_BERT_HEADS = {"VisualBertModel": "none", "VisualBertForPreTraining": "pretraining",
                      "VisualBertForQuestionAnswering": "labels", "VisualBertForVisualReasoning": "labels",
                      "VisualBertForMultipleChoice": "choice"}  # fmt: skip


def _visual_bert_head(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (VisualBERT): the class names the head; VQA's and NLVR2's classifier has transformers' ``num_labels``
    outputs."""
    params["head"] = ("architectures", _VISUAL_BERT_HEADS[cls])
    if _VISUAL_BERT_HEADS[cls] == "labels":
        params["n_labels"] = num_labels(cfg)


VISUAL_BERT = Row(
    "visual_bert", "visual-bert", tuple(_VISUAL_BERT_HEADS),
    reads={"vocab_size": "vocab_size", "n_positions": "max_position_embeddings", "type_vocab_size": "type_vocab_size",
           "d_model": "hidden_size", "d_visual": "visual_embedding_dim", "n_layers": "num_hidden_layers",
           "n_heads": "num_attention_heads", "d_ff": "intermediate_size", "bypass_transformer": "bypass_transformer",
           "tie_word_embeddings": "tie_word_embeddings"},
    defaults=DEFAULTS["visual_bert"], rules=(_visual_bert_head,),
    shape_free=_QFORMER_SHAPE_FREE | {"special_visual_initialize", "bos_token_id", "eos_token_id"},
    description="VisualBERT: BERT over text tokens and projected detector features",
)  # fmt: skip


_LXMERT_HEADS = {"LxmertModel": "none", "LxmertForQuestionAnswering": "qa", "LxmertForPreTraining": "pretraining"}


def _lxmert_heads(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (LXMERT): the class names the head; ``LxmertForPreTraining`` adds the object prediction head
    (``task_obj_predict``: a decoder per visual loss switched on, of ``num_object_labels``, ``num_attr_labels`` or
    ``visual_feat_dim`` outputs) and the answer head (``task_qa``)."""
    defaults = DEFAULTS["lxmert"]
    params["head"] = ("architectures", _LXMERT_HEADS[cls])
    if cls != "LxmertForPreTraining":
        return
    params["obj_predict"] = ("task_obj_predict", cfg.bool("task_obj_predict", defaults["task_obj_predict"]))
    params["qa"] = ("task_qa", cfg.bool("task_qa", defaults["task_qa"]))
    for loss, labels, param in (("visual_obj_loss", "num_object_labels", "obj_labels"),
                                ("visual_attr_loss", "num_attr_labels", "attr_labels")):
        on = cfg.bool(loss, defaults[loss])
        params[param] = (labels, cfg.int(labels, defaults[labels], minimum=1) if on else 0)
    params["feat_loss"] = ("visual_feat_loss", cfg.bool("visual_feat_loss", defaults["visual_feat_loss"]))


LXMERT = Row(
    "lxmert", "lxmert", tuple(_LXMERT_HEADS),
    reads={"vocab_size": "vocab_size", "n_positions": "max_position_embeddings", "type_vocab_size": "type_vocab_size",
           "d_model": "hidden_size", "n_heads": "num_attention_heads", "d_ff": "intermediate_size", "l_layers": "l_layers",
           "x_layers": "x_layers", "r_layers": "r_layers", "d_visual": "visual_feat_dim", "d_box": "visual_pos_dim",
           "n_qa_labels": "num_qa_labels", "tie_word_embeddings": "tie_word_embeddings"},
    defaults=DEFAULTS["lxmert"], rules=(_lxmert_heads,),
    shape_free=_QFORMER_SHAPE_FREE | {"visual_loss_normalizer", "task_matched", "task_mask_lm", "task_obj_predict", "task_qa",
                                      "visual_obj_loss", "visual_attr_loss", "visual_feat_loss", "num_object_labels",
                                      "num_attr_labels", "bos_token_id", "eos_token_id",
                                      "num_hidden_layers"},  # LxmertConfig.__post_init__ rebuilds it from the three
    description="LXMERT: language, object-relationship and cross-modality encoders",
)  # fmt: skip


@hookimpl
def register_model_types(register):
    """Map blip-2 (and its towers blip_2_vision_model, blip_2_qformer), colpali, vilt, florence2 (florence_vision) and
    blip (blip_vision_model, blip_text_model), visual_bert and lxmert."""
    for row in (BLIP2_VISION, BLIP2_QFORMER, BLIP2, COLPALI, VILT, FLORENCE_VISION, FLORENCE2, BLIP_VISION, BLIP_TEXT, BLIP,
                VISUAL_BERT, LXMERT):
        register(row)

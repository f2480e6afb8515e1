"""Vision-language model types as composites of mapped types: aria, deepseek_vl, deepseek_vl_hybrid, fuyu, got_ocr2,
janus, minicpmv4_6, ovis2 and video_llama_3; and the towers they add: ``aria_text`` (a row of the ``llama-moe``
family), ``ovis2_vision`` (the ``ovis2-vision`` family), ``video_llama_3_vision`` (a layout of the ``vision`` family),
``sam_vision_model`` and ``got_ocr2_vision`` (the ``sam-vision`` family), ``janus_vision_model`` and ``janus_vqgan``
(the ``janus-vision`` and ``janus-vqgan`` families), ``minicpmv4_6_vision`` (the ``minicpmv-vision`` family).

Each is a :class:`registry.Composite` as in :mod:`registry.plugins.vlm_types`: its towers (the sub-config and the model
type that reads it), its connector (a layout of the ``vlm-connector`` family, :mod:`registry.plugins.vlm_connectors_2026c`)
and where transformers 5.25 puts each part (``modeling_<type>.py``).

* ``aria`` (``AriaForConditionalGeneration``, Aria): an Idefics3 vision tower (``model.vision_tower``), the
  cross-attention projector ``AriaProjector`` over the most learned queries ``projector_patch_to_query_dict`` gives
  (``model.multi_modal_projector``), the MoE language model ``aria_text`` (``model.language_model``, ``lm_head``).
* ``aria_text`` (``AriaTextForCausalLM``): Llama's attention, in every layer a router, ``moe_num_experts`` routed
  experts (``moe_topk`` a token) stored fused and ``moe_num_shared_experts`` shared ones held as one MLP of that many
  times ``intermediate_size`` (``AriaSharedExpertsMLP``).
* ``deepseek_vl`` (``DeepseekVLForConditionalGeneration``, DeepSeek-VL 1.3B): a SigLIP vision tower
  (``model.vision_model``), the aligner (``model.aligner``: two linears with a GELU between), any mapped language
  model (Llama in the published checkpoints). The top-level ``tie_word_embeddings`` (``DeepseekVLConfig``'s default:
  true) ties the head.
* ``deepseek_vl_hybrid`` (``DeepseekVLHybridForConditionalGeneration``, DeepSeek-VL 7B): DeepSeek-VL's towers and a
  high-resolution SAM tower (``model.high_res_vision_model``, ``sam_vision_model``: part ``high_res``), whose second
  neck, convolutions, mixing weight and the aligner of both towers are the connector (``model.high_res_vision_neck``,
  ``model.high_res_vision_proj``, ``model.high_res_vision_alpha``, ``model.aligner``).
* ``got_ocr2`` (``GotOcr2ForConditionalGeneration``, GOT-OCR 2.0): SAM's image encoder (``model.vision_tower``,
  ``got_ocr2_vision``: the published file's vision config names only ``""``, its sizes transformers' defaults), two
  convolutions and a linear (``model.multi_modal_projector``), any mapped language model (Qwen2).
* ``fuyu`` (``FuyuForCausalLM``, Fuyu-8B): no vision tower; each patch's pixels go through one linear
  (``model.vision_embed_tokens``) into a Persimmon language model (``model.language_model``). ``FuyuConfig`` takes the
  text config from ``text_config``, or, when the file gives none, from the top level's Persimmon fields
  (``FuyuConfig.__post_init__``): the published Fuyu-8B's ``text_config`` names only ``persimmon``, so its top-level
  sizes are not read (they equal Persimmon's defaults).
* ``janus`` (``JanusForConditionalGeneration``, Janus-Pro): a SigLIP-style vision tower (``model.vision_model``), the
  image tokenizer (``model.vqmodel``, a VQGAN: part ``vq``), the aligner and the image generation's embeddings,
  aligner and head (the connector: ``model.aligner``, ``model.generation_*``; their widths the vision and VQ
  configs' ``projection_dim``, ``depth``, ``num_hidden_layers`` and ``image_token_embed_dim``), any mapped language
  model (Llama). The top-level ``tie_word_embeddings`` (default true) ties the head.
* ``minicpmv4_6`` (``MiniCPMV4_6ForConditionalGeneration``, MiniCPM-V 4.6): SigLIP's vision transformer with a
  window-attention merger (``model.vision_tower``, ``minicpmv4_6_vision``), the merger's MLPs (``model.merger``,
  ``merger_times``), any mapped language model (Qwen3.5's in the published checkpoint).
* ``ovis2`` (``Ovis2ForConditionalGeneration``, Ovis2): its own vision tower with a visual tokenizer head
  (``model.vision_tower``, ``ovis2_vision``: the published files name the vision config's type ``""``), a table of
  the visual words' embeddings (``model.visual_embeddings_table``), any mapped language model (Qwen2). The table's
  width and the head's sizes are the top level's ``hidden_size`` and ``vocab_size``, which must be the language
  model's (registry refuses a config where they differ: the model would not run).
* ``video_llama_3`` (``VideoLlama3ForConditionalGeneration``, VideoLLaMA3): SigLIP's vision transformer with rotary
  positions in place of learned ones (``model.vision_model``, ``video_llama_3_vision``: no position embeddings, no
  head), two linears (``model.projector.readout``), any mapped language model (Qwen2). A top-level
  ``tie_word_embeddings`` false gives way to the text config's true (``VideoLlama3Config.__post_init__``).
"""

from __future__ import annotations

from registry import Composite, ConfigReader, Params, Row, SubConfig, Tower, hookimpl, short_value
from registry.plugins import image_rules_2026c as images
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.hf_common import (
    ATTENTION_BIAS_READS, ATTENTION_READS, DECODER_READS, DECODER_RULES, DECODER_SHAPE_FREE, ROUTER, causal_classes,
)  # fmt: skip
from registry.plugins.vlm_types import PROJECTOR, TEXT_MOVES, VISION, composite_lm_head, tie
from registry.plugins.vision_model_types import VISION_READS, VISION_SHAPE_FREE

#: Aria's language model (``AriaTextModel``): Llama's layers, each feed-forward a router, fused routed experts and
#: the shared experts as one MLP (the ``llama-moe`` family's ``aria`` style).
ARIA_TEXT = Row(
    "aria_text", "llama-moe", causal_classes("AriaText"),
    reads={**DECODER_READS, **ATTENTION_READS, **ATTENTION_BIAS_READS, "head_dim": "head_dim?", "mlp_bias": "mlp_bias",
           "n_experts": "moe_num_experts", "top_k": "moe_topk", "n_shared_experts": "moe_num_shared_experts"},
    defaults=DEFAULTS["aria_text"], fixed={"style": "aria"}, rules=DECODER_RULES,
    shape_free=frozenset(DECODER_SHAPE_FREE) | frozenset(ROUTER),
    description="Aria's language model: Llama attention, fused routed experts, shared experts as one MLP",
)  # fmt: skip

#: Ovis2's vision tower (``Ovis2VisionModel``).
OVIS2_VISION = Row(
    "ovis2_vision", "ovis2-vision", ("Ovis2VisionModel",),
    reads={"d_model": "hidden_size", "n_layers": "num_hidden_layers", "n_heads": "num_attention_heads",
           "d_ff": "intermediate_size", "image_size": "image_size", "patch_size": "patch_size", "n_channels": "num_channels",
           "qkv_bias": "qkv_bias", "mlp_bias": "mlp_bias", "vocab_size": "vocab_size",
           "n_indicator_tokens": "num_visual_indicator_tokens", "hidden_stride": "hidden_stride"},
    defaults=DEFAULTS["ovis2_vision"], shape_free=VISION_SHAPE_FREE | {"rms_norm_eps", "tokenize_function"},
    description="the vision tower of an ovis2 config (vision_config)",
)  # fmt: skip

#: VideoLLaMA3's vision tower (``VideoLlama3VisionModel``): SigLIP's layers and post-norm, rotary positions (no
#: tensors) in place of the position embeddings; any number of patches (no image size).
VIDEO_LLAMA_3_VISION = Row(
    "video_llama_3_vision", "vision", ("VideoLlama3VisionModel",),
    reads={k: v for k, v in {**VISION_READS, "d_ff": "intermediate_size"}.items() if k != "image_size"},
    defaults=DEFAULTS["video_llama_3_vision"],
    fixed={"layout": "siglip", "class_token": False, "position_embeddings": False},
    shape_free=VISION_SHAPE_FREE | {"rope_parameters"},
    description="the vision tower of a video_llama_3 config (vision_config)",
)  # fmt: skip


def _sam_mlp(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (SAM): ``mlp_dim`` null means ``int(hidden_size × mlp_ratio)`` (``SamVisionConfig.__post_init__``)."""
    if params["d_ff"][1] is None:
        ratio = cfg.raw("mlp_ratio", DEFAULTS["sam_vision_model"]["mlp_ratio"])
        if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or ratio <= 0:
            raise cfg.error("mlp_ratio", f"must be a number > 0 (got {short_value(ratio)})")
        params["d_ff"] = ("mlp_ratio", int(params["d_model"][1] * ratio))
    else:
        cfg.read.add("mlp_ratio")


def sam_row(name: str, cls: str, prefix: str, what: str) -> Row:
    """SAM's image encoder (``SamVisionEncoder``) as a model type reads it."""
    mlp = "mlp_dim?" if name == "sam_vision_model" else "mlp_dim"
    return Row(name, "sam-vision", (cls,),
               reads={"d_model": "hidden_size", "n_layers": "num_hidden_layers", "n_heads": "num_attention_heads",
                      "d_ff": mlp, "image_size": "image_size", "patch_size": "patch_size", "n_channels": "num_channels",
                      "d_out": "output_channels", "qkv_bias": "qkv_bias", "abs_positions": "use_abs_pos",
                      "rel_positions": "use_rel_pos", "window_size": "window_size", "global_layers": "global_attn_indexes"},
               defaults=DEFAULTS[name], fixed={"prefix": prefix}, rules=(_sam_mlp,) if name == "sam_vision_model" else (),
               # num_pos_feats: the prompt encoder's (not built here); scale: derived by __post_init__, no shape
               shape_free=VISION_SHAPE_FREE | {"num_pos_feats", "scale"}, description=what)  # fmt: skip


SAM_VISION = sam_row("sam_vision_model", "SamVisionModel", "vision_encoder", "SAM's image encoder (SamVisionModel)")
GOT_OCR2_VISION = sam_row("got_ocr2_vision", "GotOcr2VisionEncoder", "",
                           "the vision tower of a got_ocr2 config (SAM's image encoder)")


def _janus_mlp(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (Janus): the MLP's width is ``int(hidden_size × mlp_ratio)`` (``JanusVisionMLP``)."""
    ratio = cfg.raw("mlp_ratio", DEFAULTS["janus_vision_model"]["mlp_ratio"])
    if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or ratio <= 0:
        raise cfg.error("mlp_ratio", f"must be a number > 0 (got {short_value(ratio)})")
    params["d_ff"] = ("mlp_ratio", int(params["d_model"][1] * ratio))


#: Janus's vision tower (``JanusVisionModel``); projection_dim and depth are the aligner's (read by the connector).
JANUS_VISION = Row(
    "janus_vision_model", "janus-vision", ("JanusVisionModel",),
    reads={**VISION_READS, "qkv_bias": "attention_bias", "qk_norm": "use_qk_norm"},
    defaults=DEFAULTS["janus_vision_model"], rules=(_janus_mlp,),
    shape_free=VISION_SHAPE_FREE | {"hidden_dropout_rate", "projection_dropout", "num_image_tokens", "projection_dim", "depth"},
    description="the vision tower of a janus config (vision_config)",
)  # fmt: skip
#: Janus's image tokenizer (``JanusVQVAE``); projection_dim, num_hidden_layers and image_token_embed_dim are the
#: generation aligner's and head's (read by the connector); num_patches is set by ``JanusConfig`` (no shape).
JANUS_VQGAN = Row(
    "janus_vqgan", "janus-vqgan", ("JanusVQVAE",),
    reads={"base_channels": "base_channels", "channel_multiplier": "channel_multiplier", "n_res_blocks": "num_res_blocks",
           "n_channels": "in_channels", "out_channels": "out_channels", "latent_channels": "latent_channels",
           "double_latent": "double_latent", "embed_dim": "embed_dim", "n_embeddings": "num_embeddings"},
    defaults=DEFAULTS["janus_vqgan"],
    shape_free=frozenset(("dropout", "hidden_act", "initializer_range", "num_patches", "projection_dim",
                          "num_hidden_layers", "image_token_embed_dim")),
    description="the image tokenizer of a janus config (vq_config)",
)  # fmt: skip


def _window(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (MiniCPM-V 4.6): ``window_kernel_size``, the merger's window, a pair of whole numbers >= 1."""
    value = cfg.raw("window_kernel_size", DEFAULTS["minicpmv4_6_vision"]["window_kernel_size"])
    if not (isinstance(value, list) and len(value) == 2 and all(type(v) is int and v >= 1 for v in value)):
        raise cfg.error("window_kernel_size", f"must be [height, width], whole numbers >= 1 (got {short_value(value)})")
    params["window_height"], params["window_width"] = ("window_kernel_size", value[0]), ("window_kernel_size", value[1])


#: MiniCPM-V 4.6's vision tower (``MiniCPMV4_6VisionModel``); insert_layer_id says where the merger runs (no shape).
MINICPMV4_6_VISION = Row(
    "minicpmv4_6_vision", "minicpmv-vision", ("MiniCPMV4_6VisionModel",), reads={**VISION_READS, "d_ff": "intermediate_size"},
    defaults=DEFAULTS["minicpmv4_6_vision"], fixed={"layout": "siglip", "class_token": False}, rules=(_window,),
    shape_free=VISION_SHAPE_FREE | {"insert_layer_id"},
    description="the vision tower of a minicpmv4_6 config (vision_config)",
)  # fmt: skip


def _width(parts: dict[str, Params], part: str) -> int:
    return parts[part]["d_model"][1]


def _queries(cfg: ConfigReader) -> int:
    """The most queries ``projector_patch_to_query_dict`` gives an image (``AriaConfig.__post_init__``: its default
    ``{1225: 128, 4900: 256}``); its keys and values whole numbers (the file writes the keys as strings)."""
    value = cfg.raw("projector_patch_to_query_dict", None)
    if value is None:
        return 256
    if isinstance(value, dict) and value:
        try:
            counts = [int(v) for v in value.values() if not isinstance(v, bool)]
            _ = [int(k) for k in value]
        except (TypeError, ValueError):
            counts = []
        if len(counts) == len(value) and min(counts) >= 1:
            return max(counts)
    raise cfg.error("projector_patch_to_query_dict", f"must map patch counts to query counts, whole numbers >= 1 "
                    f"(got {short_value(value)})")  # fmt: skip


def aria_projector(cfg: ConfigReader, parts: dict[str, Params]) -> Params:
    """``AriaProjector``: learned queries of the vision width, a cross-attention, a norm, and an MLP to the text width."""
    text = ("text_config.hidden_size", _width(parts, "text"))
    return {"layout": ("model_type", "aria"), "d_in": ("vision_config.hidden_size", _width(parts, "vision")),
            "d_out": text, "d_hidden": text, "n_queries": ("projector_patch_to_query_dict", _queries(cfg))}  # fmt: skip


def deepseek_vl_aligner(cfg: ConfigReader, parts: dict[str, Params]) -> Params:
    """``DeepseekVLAligner``: ``linear1`` of the vision width to the text width, ``linear2`` of the text width."""
    return {"layout": ("model_type", "deepseek_vl"), "d_in": ("vision_config.hidden_size", _width(parts, "vision")),
            "d_out": ("text_config.hidden_size", _width(parts, "text"))}  # fmt: skip


def fuyu_patches(cfg: ConfigReader, parts: dict[str, Params]) -> Params:
    """Fuyu's ``vision_embed_tokens``: a patch's ``patch_size² × num_channels`` pixels to the text width."""
    patch = cfg.int("patch_size", DEFAULTS["fuyu"]["patch_size"])
    channels = cfg.int("num_channels", DEFAULTS["fuyu"]["num_channels"])
    if patch < 1 or channels < 1:
        key = "patch_size" if patch < 1 else "num_channels"
        raise cfg.error(key, f"must be >= 1 (got {patch if patch < 1 else channels})")
    return {"layout": ("model_type", "fuyu"), "d_in": ("patch_size", patch**2 * channels),
            "d_out": ("text_config.hidden_size", _width(parts, "text"))}  # fmt: skip


def got_ocr2_projector(cfg: ConfigReader, parts: dict[str, Params]) -> Params:
    """``GotOcr2MultiModalProjector``: convolutions of the SAM neck's channels, then a linear of the text width."""
    return {"layout": ("model_type", "got_ocr2"), "d_in": ("vision_config.output_channels", parts["vision"]["d_out"][1]),
            "d_out": ("text_config.hidden_size", _width(parts, "text"))}  # fmt: skip


def deepseek_vl_hybrid_connector(cfg: ConfigReader, parts: dict[str, Params]) -> Params:
    """DeepSeek-VL 7B's second SAM neck, convolutions, mixing weight and aligner of both towers."""
    return {**deepseek_vl_aligner(cfg, parts), "layout": ("model_type", "deepseek_vl_hybrid"),
            "d_high": ("high_res_vision_config.hidden_size", _width(parts, "high_res")),
            "d_neck": ("high_res_vision_config.output_channels", parts["high_res"]["d_out"][1])}  # fmt: skip


def _sub_int(cfg: ConfigReader, key: str, field: str, model_type: str, lowest: int = 1) -> int:
    """A whole number >= ``lowest`` of a sub-config that its tower leaves to the connector (``model_type``'s default
    if absent)."""
    return SubConfig(cfg, key).int(field, DEFAULTS[model_type][field], minimum=lowest)


_JV, _VQ = "janus_vision_model", "janus_vqgan"


def janus_connector(cfg: ConfigReader, parts: dict[str, Params]) -> Params:
    """Janus's aligner and its image generation's embeddings, aligner and head."""
    vq = parts["vq"]
    return {"layout": ("model_type", "janus"), "d_in": ("vision_config.hidden_size", _width(parts, "vision")),
            "d_out": ("text_config.hidden_size", _width(parts, "text")),
            "d_hidden": ("vision_config.projection_dim", _sub_int(cfg, "vision_config", "projection_dim", _JV)),
            "depth": ("vision_config.depth", _sub_int(cfg, "vision_config", "depth", _JV, 0)),
            "n_codes": ("vq_config.num_embeddings", vq["n_embeddings"][1]), "d_code": ("vq_config.embed_dim", vq["embed_dim"][1]),
            "d_gen": ("vq_config.projection_dim", _sub_int(cfg, "vq_config", "projection_dim", _VQ)),
            "gen_depth": ("vq_config.num_hidden_layers", _sub_int(cfg, "vq_config", "num_hidden_layers", _VQ, 0)),
            "d_gen_in": ("vq_config.image_token_embed_dim", _sub_int(cfg, "vq_config", "image_token_embed_dim", _VQ))}  # fmt: skip


def minicpmv_merger(cfg: ConfigReader, parts: dict[str, Params]) -> Params:
    """``MiniCPMV4_6Merger``: ``merger_times`` MLPs over four merged patches (registry refuses fewer than one, which
    transformers would build as one)."""
    times = cfg.int("merger_times", DEFAULTS["minicpmv4_6"]["merger_times"])
    return {**deepseek_vl_aligner(cfg, parts), "layout": ("model_type", "minicpmv4_6"), "depth": ("merger_times", times)}


def video_llama_3_projector(cfg: ConfigReader, parts: dict[str, Params]) -> Params:
    """``VideoLlama3Projector``: ``readout.0`` of the vision width to the text width, ``readout.2`` of the text width."""
    return {**deepseek_vl_aligner(cfg, parts), "layout": ("model_type", "video_llama_3")}


def ovis2_table(cfg: ConfigReader, parts: dict[str, Params]) -> Params:
    """Ovis2's ``visual_embeddings_table``: the vision config's ``vocab_size`` visual words of the top-level
    ``hidden_size`` (the language model's: :func:`_ovis2_sizes`)."""
    return {"layout": ("model_type", "ovis2"), "d_in": ("vision_config.vocab_size", parts["vision"]["vocab_size"][1]),
            "d_out": ("hidden_size", _width(parts, "text"))}  # fmt: skip


def _ovis2_sizes(cfg: ConfigReader, cls: str, parts: dict[str, Params]) -> None:
    """Rule (Ovis2): the top level's ``hidden_size`` (the visual table's width, the head's inputs) and ``vocab_size``
    (the head's outputs) are the language model's; ``Ovis2Config``'s defaults (1536, 151643) otherwise."""
    for key, name in (("hidden_size", "d_model"), ("vocab_size", "vocab_size")):
        value, text = cfg.int(key, DEFAULTS["ovis2"][key]), parts["text"][name][1]
        if value != text:
            given = "" if cfg.has(key) else " (Ovis2Config's default)"
            raise cfg.error(key, f"{value}{given} differs from text_config.{key} ({text}): Ovis2's head and visual "
                            "embedding table would not fit its language model")  # fmt: skip


def _hybrid_global(cfg: ConfigReader, cls: str, parts: dict[str, Params]) -> None:
    """Rule (DeepSeek-VL 7B): the SAM tower names a global layer (``DeepseekVLHybridModel`` reads the features of
    ``high_res_vision_config.global_attn_indexes[0]``)."""
    if not parts["high_res"]["global_layers"][1]:
        raise cfg.error("high_res_vision_config.global_attn_indexes", "must name at least one layer: "
                        "DeepseekVLHybridModel takes the first one's features")  # fmt: skip


#: The composite model types (the module's docstring lists them).
COMPOSITES = (
    Composite("aria", "composite", ("AriaForConditionalGeneration",),
              (Tower("vision", config="vision_config", model_type="idefics3_vision", path=VISION),
               Tower("projector", family="vlm-connector", params=aria_projector, path=PROJECTOR),
               Tower("text", config="text_config", model_type="aria_text", moves=TEXT_MOVES)),
              rules=(composite_lm_head, tie()),
              # max_value_projector_patch_to_query_dict: written by to_dict(), recomputed from the dict by __post_init__
              shape_free=frozenset(("image_token_index", "vision_feature_layer", "max_value_projector_patch_to_query_dict")),
              description="Aria: Idefics3 vision tower, cross-attention projector of learned queries, MoE language model", images=images.ARIA),
    Composite("deepseek_vl", "composite", ("DeepseekVLForConditionalGeneration",),
              (Tower("vision", config="vision_config", model_type="siglip_vision_model", path="model.vision_model"),
               Tower("projector", family="vlm-connector", params=deepseek_vl_aligner, path="model.aligner"),
               Tower("text", config="text_config", model_type="llama", model_types=("*",), moves=TEXT_MOVES)),
              rules=(composite_lm_head, tie()), shape_free=frozenset(("image_token_id",)),
              description="DeepSeek-VL: SigLIP vision tower, two-linear aligner, any mapped language model", images=images.DEEPSEEK_VL),
    Composite("deepseek_vl_hybrid", "composite", ("DeepseekVLHybridForConditionalGeneration",),
              (Tower("high_res", config="high_res_vision_config", model_type="sam_vision_model",
                     path="model.high_res_vision_model"),
               Tower("vision", config="vision_config", model_type="siglip_vision_model", path="model.vision_model"),
               Tower("projector", family="vlm-connector", params=deepseek_vl_hybrid_connector, path="model"),
               Tower("text", config="text_config", model_type="llama", model_types=("*",), moves=TEXT_MOVES)),
              rules=(_hybrid_global, composite_lm_head, tie()), shape_free=frozenset(("image_token_id",)),
              description="DeepSeek-VL 7B: SigLIP and high-resolution SAM towers, their aligner, any mapped language model", images=images.DEEPSEEK_VL_HYBRID),
    Composite("got_ocr2", "composite", ("GotOcr2ForConditionalGeneration",),
              (Tower("vision", config="vision_config", model_type="got_ocr2_vision", path=VISION, renames={"": "got_ocr2_vision"}),
               Tower("projector", family="vlm-connector", params=got_ocr2_projector, path=PROJECTOR),
               Tower("text", config="text_config", model_type="qwen2", model_types=("*",), moves=TEXT_MOVES)),
              rules=(composite_lm_head, tie()), shape_free=frozenset(("image_token_index", "image_seq_length")),
              description="GOT-OCR 2.0: SAM image encoder, convolutional projector, any mapped language model", images=images.GOT_OCR2),
    Composite("fuyu", "composite", ("FuyuForCausalLM",),
              (Tower("text", config="text_config", model_type="persimmon", flat=True, moves=TEXT_MOVES),
               Tower("projector", family="vlm-connector", params=fuyu_patches, path="model")),
              rules=(composite_lm_head, tie()), shape_free=frozenset(("image_token_id", "image_size", "tie_word_embeddings")),
              description="Fuyu: patches' pixels through one linear into a Persimmon language model, no vision tower", images=images.FUYU),
    Composite("janus", "composite", ("JanusForConditionalGeneration",),
              # JanusConfig reads any vision_config as a JanusVisionConfig (an early Janus-Pro-1B file says siglip)
              (Tower("vision", config="vision_config", model_type="janus_vision_model", path="model.vision_model",
                     renames={"siglip_vision_model": "janus_vision_model"}),
               Tower("vq", config="vq_config", model_type="janus_vqgan", path="model.vqmodel"),
               Tower("text", config="text_config", model_type="llama", model_types=("*",), moves=TEXT_MOVES),
               Tower("projector", family="vlm-connector", params=janus_connector, path="model")),
              rules=(composite_lm_head, tie()), shape_free=frozenset(("image_token_id",)),
              description="Janus: SigLIP-style tower, VQGAN image tokenizer, aligners and image-generation head, any "
                          "mapped language model", images=images.JANUS),
    Composite("minicpmv4_6", "composite", ("MiniCPMV4_6ForConditionalGeneration",),
              (Tower("vision", config="vision_config", model_type="minicpmv4_6_vision", path=VISION),
               Tower("text", config="text_config", model_type="qwen3_5_text", model_types=("*",), moves=TEXT_MOVES),
               Tower("projector", family="vlm-connector", params=minicpmv_merger, path="model.merger")),
              rules=(composite_lm_head, tie()),
              shape_free=frozenset(("image_token_id", "video_token_id", "insert_layer_id", "image_size",
                                    "drop_vision_last_layer", "downsample_mode", "merge_kernel_size", "patch_size")),
              description="MiniCPM-V 4.6: SigLIP tower with a window-attention merger, merger MLPs, any mapped "
                          "language model", images=images.MINICPMV4_6),
    Composite("ovis2", "composite", ("Ovis2ForConditionalGeneration",),
              (Tower("vision", config="vision_config", model_type="ovis2_vision", path=VISION, renames={"": "ovis2_vision"}),
               Tower("text", config="text_config", model_type="qwen2", model_types=("*",), moves=TEXT_MOVES),
               Tower("projector", family="vlm-connector", params=ovis2_table, path="model")),
              rules=(_ovis2_sizes, composite_lm_head, tie()),
              shape_free=frozenset(("image_token_id", "visual_indicator_token_ids", "hidden_size", "vocab_size")),
              description="Ovis2: AIMv2-style tower with a visual tokenizer head, visual embedding table, any mapped "
                          "language model", images=images.OVIS2),
    Composite("video_llama_3", "composite", ("VideoLlama3ForConditionalGeneration",),
              (Tower("vision", config="vision_config", model_type="video_llama_3_vision", path="model.vision_model"),
               Tower("projector", family="vlm-connector", params=video_llama_3_projector, path="model.projector"),
               Tower("text", config="text_config", model_type="qwen2", model_types=("*",), moves=TEXT_MOVES)),
              rules=(composite_lm_head, tie(from_text=True)), shape_free=frozenset(("image_token_id", "video_token_id")),
              description="VideoLLaMA3: SigLIP-style tower with rotary positions, two-linear projector, any mapped "
                          "language model", images=images.VIDEO_LLAMA_3),
)  # fmt: skip


@hookimpl
def register_model_types(register):
    """Map the towers (the module's docstring lists them) and the composites of this module."""
    register(ARIA_TEXT)
    register(OVIS2_VISION)
    register(VIDEO_LLAMA_3_VISION)
    register(SAM_VISION)
    register(GOT_OCR2_VISION)
    register(JANUS_VISION)
    register(JANUS_VQGAN)
    register(MINICPMV4_6_VISION)
    for composite in COMPOSITES:
        register(composite)

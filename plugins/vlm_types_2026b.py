"""Vision-language model types of 2026, second set: glm_ocr (GLM-OCR) and minimax_m3_vl (MiniMax-M3),
composites, with the sub-config types they read.

GLM-OCR is GLM-4.1V's layout made small, as transformers 5.25 builds ``GlmOcrForConditionalGeneration``
(``modeling_glm_ocr.py``, from ``modular_glm_ocr.py``):

* ``vision``: ``vision_config`` read by ``glm_ocr_vision`` (family ``glm4v-vision``,
  :mod:`registry.plugins.glm4v_vision`, with the switches ``GlmOcrVisionModel`` needs) under
  ``model.visual``: no position table and no ``post_conv_layernorm`` (the model deletes both), per-head
  RMS norms of queries and keys, biases on ``attn.proj`` and on the MLP (``attention_bias``), an MLP of
  ``intermediate_size`` (``GlmOcrVisionMlp``), and a merger whose inner width is ``out_hidden_size ×
  in_channels`` (``GlmOcrVisionPatchMerger(context_dim=config.out_hidden_size * config.in_channels)``);
* ``text``: ``text_config`` read by ``glm_ocr_text`` under ``model.language_model``: ``glm4v_text``'s row
  whose query/key/value projections have no bias (``GlmOcrTextAttention``), whatever ``attention_bias`` the
  file gives (the configuration has no such field), and whose head width is the file's ``head_dim`` when
  it gives one (``getattr(config, "head_dim", hidden_size // num_attention_heads)``).

MiniMax-M3 (``MiniMaxM3SparseForConditionalGeneration``, ``modeling_minimax_m3_vl.py``): ``vision_config`` read
by ``minimax_m3_vl_vision`` (family ``minimax-m3-vision``) under ``model.vision_tower``; the projector
(family ``minimax-m3-projector``) under ``model.multi_modal_projector``; ``text_config`` read by
``minimax_m3_vl_text`` (family ``minimax-m3``) under ``model.language_model``, its head at the root. The
published files are of the remote-code era: their ``vision_config`` says ``"clip_vision_model"`` (transformers
builds its own vision configuration class whatever the sub-config names), their ``text_config`` gives the
layer patterns as ``moe_layer_freq`` (0/1 a layer) and ``sparse_attention_config`` (``sparse_attention_freq``,
the indexer's ``sparse_num_index_heads`` and ``sparse_index_dim``), read as ``MiniMaxM3VLTextConfig.__post_init__``
reads them.

GLM-OCR's published checkpoint also stores one multi-token-prediction layer (``layers.16``, the file's
``num_nextn_predict_layers``), which transformers does not build and drops on load
(``GlmOcrPreTrainedModel._keys_to_ignore_on_load_unexpected``); it is not counted, and the file's
``num_nextn_predict_layers`` is reported as ignored.
"""

from __future__ import annotations

from dataclasses import replace

from registry import Composite, ConfigReader, Params, Row, Tower, hookimpl
from registry.plugins.dense_model_types import ROWS as DENSE_ROWS
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.hf_common import lm_head
from registry.plugins.glm4v_types import ROWS as GLM4V_ROWS, SPECIAL_TOKENS
from registry.plugins.image_rules import glm4v
from registry.plugins.image_rules_2026c import MINIMAX_M3_VL
from registry.plugins.vlm_types import composite_lm_head, tie

#: What GLM-OCR's vision configuration reads: GLM-4V's fields, ``attention_bias`` also biasing ``attn.proj`` and
#: the MLP, whose width is ``intermediate_size``.
_OCR_VISION_READS = {
    "d_model": "hidden_size", "n_layers": "depth", "n_heads": "num_heads", "qkv_bias": "attention_bias",
    "proj_bias": "attention_bias", "mlp_bias": "attention_bias", "d_out": "out_hidden_size",
    "mlp_d_ff": "intermediate_size", "n_channels": "in_channels", "image_size": "image_size",
    "patch_size": "patch_size", "temporal_patch_size": "temporal_patch_size", "spatial_merge_size": "spatial_merge_size",
}  # fmt: skip
#: Its fields that change no shape: the activation, dropout, norm epsilon, initialisation, rotary positions.
_VISION_FREE = frozenset(("hidden_act", "attention_dropout", "rms_norm_eps", "initializer_range", "rope_parameters"))


def _ocr_merger(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (GLM-OCR's merger): its gated MLP's inner width is ``out_hidden_size × in_channels``
    (``GlmOcrVisionModel``: ``context_dim=config.out_hidden_size * config.in_channels``)."""
    params["merger_d_ff"] = ("out_hidden_size", params["d_out"][1] * params["n_channels"][1])


def _glm_ocr_vision() -> Row:
    return Row("glm_ocr_vision", "glm4v-vision", ("GlmOcrVisionModel",), reads=_OCR_VISION_READS,
               defaults=DEFAULTS["glm_ocr_vision"], shape_free=_VISION_FREE, rules=(_ocr_merger,),
               fixed={"position_table": False, "post_conv_norm": False, "qk_norm": True},
               description="the vision tower of a glm_ocr config (vision_config)")  # fmt: skip


def _glm_ocr_text() -> Row:
    glm4 = next(r for r in DENSE_ROWS if r.name == "glm4")
    base = next(r for r in GLM4V_ROWS if r.name == "glm4v_text")
    return replace(base, name="glm_ocr_text", classes=("GlmOcrTextModel",),
                   reads={**base.reads, "head_dim": glm4.reads["head_dim"]}, rules=glm4.rules,
                   defaults={"tie_word_embeddings": False, "head_dim": None, **DEFAULTS["glm_ocr_text"]},
                   fixed={**base.fixed, "qkv_bias": False},
                   description="the language model of a glm_ocr config (text_config)")  # fmt: skip


def _m3_layers(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (MiniMax-M3): which layers are dense and which have the indexer, from ``mlp_layer_types`` and
    ``layer_types``, else the remote-code files' ``moe_layer_freq`` and ``sparse_attention_config``'s
    ``sparse_attention_freq``; the indexer's sizes from ``sparse_attention_config`` where it gives them (it
    wins over the flat fields, as ``MiniMaxM3VLTextConfig.__post_init__`` sets them)."""
    n_layers = params["n_layers"][1]
    sparse_cfg = cfg.raw("sparse_attention_config", None) or {}
    if not isinstance(sparse_cfg, dict):
        raise cfg.error("sparse_attention_config", "must be a table")
    for flat, legacy in (("index_n_heads", "sparse_num_index_heads"), ("index_head_dim", "sparse_index_dim")):
        if legacy in sparse_cfg:
            value = sparse_cfg[legacy]
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise cfg.error("sparse_attention_config", f"{legacy} must be a whole number >= 1 (got {value!r})")
            params[flat] = ("sparse_attention_config", value)

    def pattern(key: str, legacy_key: str, legacy: object, kinds: tuple[str, str]) -> list[bool] | None:
        given = cfg.raw(key, None)
        if given is None and legacy is not None:
            key, given = legacy_key, [kinds[1] if f else kinds[0] for f in legacy] if isinstance(legacy, list) else legacy
        if given is None:
            return None
        if not isinstance(given, list) or any(k not in kinds for k in given):
            raise cfg.error(key, f"must be a list of {kinds[0]} or {kinds[1]}")
        if len(given) != n_layers:
            raise cfg.error(key, f"lists {len(given)} layers, num_hidden_layers is {n_layers}")
        return [k == kinds[1] for k in given]

    moe = pattern("mlp_layer_types", "moe_layer_freq", cfg.raw("moe_layer_freq", None), ("dense", "sparse"))
    params["dense_layers"] = ("mlp_layer_types", [i for i, m in enumerate(moe) if not m] if moe else [])
    sparse = pattern("layer_types", "sparse_attention_config", sparse_cfg.get("sparse_attention_freq"),
                     ("full_attention", "minimax_m3_sparse"))
    params["sparse_layers"] = ("layer_types", [i for i, s in enumerate(sparse) if s] if sparse else [])


#: MiniMax-M3's text configuration fields that change no shape.
_M3_TEXT_FREE = frozenset((
    "hidden_act", "max_position_embeddings", "initializer_range", "rms_norm_eps", "use_cache", "pad_token_id",
    "bos_token_id", "eos_token_id", "attention_dropout", "output_router_logits", "router_aux_loss_coef",
    "router_jitter_noise", "rope_parameters", "routed_scaling_factor", "rotary_dim", "swiglu_alpha", "swiglu_limit",
    "index_block_size", "index_topk_blocks", "index_local_blocks",
))  # fmt: skip

_M3_TEXT = Row(
    "minimax_m3_vl_text", "minimax-m3", ("MiniMaxM3VLForCausalLM", "MiniMaxM3VLTextModel"),
    reads={"vocab_size": "vocab_size", "d_model": "hidden_size", "n_layers": "num_hidden_layers",
           "n_heads": "num_attention_heads", "tie_word_embeddings": "tie_word_embeddings",
           "n_kv_heads": "num_key_value_heads", "head_dim": "head_dim", "d_ff": "dense_intermediate_size",
           "expert_d_ff": "intermediate_size", "shared_d_ff": "shared_intermediate_size",
           "n_experts": "num_local_experts|num_experts", "top_k": "num_experts_per_tok",
           "index_n_heads": "index_n_heads", "index_head_dim": "index_head_dim", "mtp_layers": "num_mtp_modules"},
    # num_mtp_modules is no field of MiniMaxM3VLTextConfig: it says what the published checkpoints hold
    defaults={**DEFAULTS["minimax_m3_vl_text"], "num_mtp_modules": 0}, rules=(lm_head, _m3_layers),
    shape_free=_M3_TEXT_FREE, description="the language model of a minimax_m3_vl config (text_config)",
)  # fmt: skip

_M3_VISION = Row(
    "minimax_m3_vl_vision", "minimax-m3-vision", ("MiniMaxM3VLVisionModel",),
    reads={"d_model": "hidden_size", "n_layers": "num_hidden_layers", "n_heads": "num_attention_heads",
           "d_ff": "intermediate_size", "n_channels": "num_channels", "patch_size": "patch_size",
           "temporal_patch_size": "temporal_patch_size"},
    defaults=DEFAULTS["minimax_m3_vl_vision"],
    shape_free=frozenset(("attention_dropout", "hidden_act", "image_size", "initializer_range", "layer_norm_eps",
                          "rope_parameters", "spatial_merge_size")),
    description="the vision tower of a minimax_m3_vl config (vision_config)",
)  # fmt: skip

#: The sub-config types (vision towers and language models).
ROWS = (_glm_ocr_vision(), _glm_ocr_text(), _M3_TEXT, _M3_VISION)


def _m3_projector(cfg: ConfigReader, parts: dict[str, Params]) -> Params:
    """MiniMax-M3's projector: the tower's width to ``projector_hidden_size`` to the text width, then the
    ``spatial_merge_size²`` merged tokens (``merged_hidden_size``) to ``projector_hidden_size`` to the text width."""
    vision = cfg.raw("vision_config", None) or {}
    merge = vision.get("spatial_merge_size", DEFAULTS["minimax_m3_vl_vision"]["spatial_merge_size"])
    if isinstance(merge, bool) or not isinstance(merge, int) or merge < 1:
        raise cfg.error("vision_config.spatial_merge_size", f"must be a whole number >= 1 (got {merge!r})")
    hidden = cfg.int("projector_hidden_size", DEFAULTS["minimax_m3_vl"]["projector_hidden_size"])
    return {"d_in": ("vision_config.hidden_size", parts["vision"]["d_model"][1]),
            "d_hidden": ("projector_hidden_size", hidden), "merge": ("vision_config.spatial_merge_size", merge),
            "d_out": ("text_config.hidden_size", parts["text"]["d_model"][1])}  # fmt: skip


#: The composite model types.
COMPOSITES = (
    Composite("glm_ocr", "composite", ("GlmOcrForConditionalGeneration",), (
        Tower("vision", config="vision_config", model_type="glm_ocr_vision", path="model.visual",
              renames={"glm_ocr": "glm_ocr_vision"}),
        Tower("text", config="text_config", model_type="glm_ocr_text", moves={"model": "model.language_model"}),
    ), rules=(composite_lm_head, tie()), shape_free=SPECIAL_TOKENS, images=glm4v("glm_ocr_vision"),
        description="GLM-OCR: GLM-4V-style vision tower (query/key norms, no position table), GLM-4 language model"),
    Composite("minimax_m3_vl", "composite", ("MiniMaxM3SparseForConditionalGeneration",), (
        Tower("vision", config="vision_config", model_type="minimax_m3_vl_vision", path="model.vision_tower",
              renames={"clip_vision_model": "minimax_m3_vl_vision"}),
        Tower("projector", family="minimax-m3-projector", params=_m3_projector, path="model.multi_modal_projector"),
        Tower("text", config="text_config", model_type="minimax_m3_vl_text", moves={"model": "model.language_model"}),
    ),  # merged_hidden_size: MiniMaxM3VLConfig.__post_init__ recomputes it whatever the file says
        rules=(composite_lm_head, tie(from_text=True)),
        shape_free=frozenset(("image_token_index", "video_token_index", "merged_hidden_size")),
        description="MiniMax-M3: CLIP-like vision tower with 3-D patches, two-stage projector, MoE language model with "
                    "a lightning indexer", images=MINIMAX_M3_VL),
)  # fmt: skip


@hookimpl
def register_model_types(register):
    """Map the 2026 vision-language composites of this module and the sub-config types they read."""
    for row in ROWS:
        register(row)
    for composite in COMPOSITES:
        register(composite)

"""Vision-language model types of 2026, second set: glm_ocr (GLM-OCR), a composite, with the sub-config types
it reads.

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

The published checkpoint also stores one multi-token-prediction layer (``layers.16``, the file's
``num_nextn_predict_layers``), which transformers does not build and drops on load
(``GlmOcrPreTrainedModel._keys_to_ignore_on_load_unexpected``); it is not counted, and the file's
``num_nextn_predict_layers`` is reported as ignored.
"""

from __future__ import annotations

from dataclasses import replace

from registry import Composite, ConfigReader, Params, Row, Tower, hookimpl
from registry.plugins.dense_model_types import ROWS as DENSE_ROWS
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.glm4v_types import ROWS as GLM4V_ROWS
from registry.plugins.image_rules import glm4v
from registry.plugins.vlm_types import tie

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


#: The sub-config types (vision tower and language model).
ROWS = (_glm_ocr_vision(), _glm_ocr_text())


def _lm_head(cfg: ConfigReader, cls: str, parts: dict[str, Params]) -> None:
    """Rule: ``...ForConditionalGeneration`` has the language-modelling head (``lm_head``)."""
    parts["text"]["lm_head"] = ("architectures", True)


#: The composites' top-level fields that change no shape: the special tokens' ids.
_TOKENS = frozenset(("image_token_id", "video_token_id", "image_start_token_id", "image_end_token_id",
                     "video_start_token_id", "video_end_token_id"))  # fmt: skip

#: The composite model types.
COMPOSITES = (
    Composite("glm_ocr", "composite", ("GlmOcrForConditionalGeneration",), (
        Tower("vision", config="vision_config", model_type="glm_ocr_vision", path="model.visual",
              renames={"glm_ocr": "glm_ocr_vision"}),
        Tower("text", config="text_config", model_type="glm_ocr_text", moves={"model": "model.language_model"}),
    ), rules=(_lm_head, tie()), shape_free=_TOKENS, images=glm4v("glm_ocr_vision"),
        description="GLM-OCR: GLM-4V-style vision tower (query/key norms, no position table), GLM-4 language model"),
)  # fmt: skip


@hookimpl
def register_model_types(register):
    """Map the 2026 vision-language composites of this module and the sub-config types they read."""
    for row in ROWS:
        register(row)
    for composite in COMPOSITES:
        register(composite)

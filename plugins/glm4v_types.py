"""GLM's vision-language model types: glm4v (GLM-4.1V-Thinking, GLM-4.6V-Flash) and glm4v_moe (GLM-4.5V,
GLM-4.6V), composites, with the sub-config types they read.

Each composite is a :class:`registry.Composite` of two towers, as transformers 5.25's
``Glm4vForConditionalGeneration`` and ``Glm4vMoeForConditionalGeneration`` hold them
(``modeling_glm4v.py``, ``modeling_glm4v_moe.py``):

* ``vision``: ``vision_config`` read by ``glm4v_vision`` / ``glm4v_moe_vision`` (family ``glm4v-vision``,
  :mod:`registry.plugins.glm4v_vision`) under ``model.visual``, its downsampling convolution and
  merger included (transformers puts them in the tower). Published files name the vision
  sub-config by the composite's own type (``"glm4v_moe"``): transformers renames it, and so does the tower;
* ``text``: ``text_config`` read by the language model's type under ``model.language_model``, its head
  ``lm_head`` at the root, tied as the top-level ``tie_word_embeddings`` says.

The language models' types are rows derived from the mapped GLM-4 decoders:

* ``glm4v_text`` (``Glm4vTextModel``): ``glm4``'s row (four norms a layer, fused gate/up MLP) whose
  query/key/value projections always have biases (``Glm4vTextAttention``; the configuration has no
  ``attention_bias``) and whose head width is ``hidden_size // num_attention_heads`` whatever the
  file says (the configuration has no ``head_dim``);
* ``glm4v_moe_text`` (``Glm4vMoeTextModel``): ``glm4_moe``'s row without query/key norms and without a
  multi-token-prediction layer (``Glm4vMoeTextConfig`` has neither ``use_qk_norm`` nor
  ``num_nextn_predict_layers``, and the model builds neither: the published GLM-4.5V file's
  ``"use_qk_norm": false`` is reported as ignored). Its attention takes ``head_dim`` when the file gives
  one (``getattr(config, "head_dim", ...)``), else ``hidden_size // num_attention_heads``.
"""

from __future__ import annotations

from dataclasses import replace

from registry import Composite, ConfigReader, Params, Row, Tower, hookimpl
from registry.plugins.dense_model_types import ROWS as DENSE_ROWS
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.image_rules import glm4v
from registry.plugins.moe_model_types import GLM4_MOE
from registry.plugins.vlm_types import composite_lm_head, tie

#: What the vision configurations read for a shape (``num_heads``/``depth`` with transformers' spellings).
_VISION_READS = {
    "d_model": "hidden_size", "n_layers": "depth", "n_heads": "num_heads", "qkv_bias": "attention_bias",
    "d_out": "out_hidden_size", "merger_d_ff": "intermediate_size", "n_channels": "in_channels",
    "image_size": "image_size", "patch_size": "patch_size", "temporal_patch_size": "temporal_patch_size",
    "spatial_merge_size": "spatial_merge_size",
}  # fmt: skip
#: Their fields that change no shape: the activation, dropout, norm epsilon, initialisation, rotary positions.
_VISION_FREE = frozenset(("hidden_act", "attention_dropout", "rms_norm_eps", "initializer_range", "rope_parameters"))


def _vision_row(name: str, cls: str) -> Row:
    return Row(name, "glm4v-vision", (cls,), reads=_VISION_READS, defaults=DEFAULTS[name], shape_free=_VISION_FREE,
               description=f"the vision tower of a {name[:-7]} config (vision_config)")  # fmt: skip


def _whole_heads(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (GLM-4.1V's language model): the head width is ``hidden_size // num_attention_heads``
    (``Glm4vTextAttention``), whatever ``head_dim`` the file gives."""
    params["head_dim"] = ("num_attention_heads", params["d_model"][1] // params["n_heads"][1])


def _glm4v_text() -> Row:
    base = next(r for r in DENSE_ROWS if r.name == "glm4")
    reads = {k: v for k, v in base.reads.items() if k not in ("head_dim", "qkv_bias", "tie_word_embeddings")}
    return replace(base, name="glm4v_text", classes=("Glm4vTextModel",), reads=reads,
                   defaults={"tie_word_embeddings": False, **DEFAULTS["glm4v_text"]},
                   fixed={**base.fixed, "qkv_bias": True}, rules=(*base.rules, _whole_heads),
                   description="the language model of a glm4v config (text_config)")  # fmt: skip


def _glm4v_moe_text() -> Row:
    reads = {k: v for k, v in GLM4_MOE.reads.items() if k != "mtp_layers"}
    rules = tuple(r for r in GLM4_MOE.rules if not (r.__doc__ or "").startswith("Rule: per-head query/key norms"))
    return replace(GLM4_MOE, name="glm4v_moe_text", classes=("Glm4vMoeTextModel",), reads=reads, rules=rules,
                   defaults={"head_dim": None, **DEFAULTS["glm4v_moe_text"]},
                   description="the language model of a glm4v_moe config (text_config)")  # fmt: skip


#: The sub-config types (vision towers and language models).
ROWS = (
    _vision_row("glm4v_vision", "Glm4vVisionModel"),
    _vision_row("glm4v_moe_vision", "Glm4vMoeVisionModel"),
    _glm4v_text(),
    _glm4v_moe_text(),
)


#: The composites' top-level fields that change no shape: the special tokens' ids.
SPECIAL_TOKENS = frozenset(("image_token_id", "video_token_id", "image_start_token_id", "image_end_token_id",
                     "video_start_token_id", "video_end_token_id"))  # fmt: skip


def _composite(name: str, cls: str, description: str) -> Composite:
    vision = f"{name}_vision"
    towers = (
        Tower("vision", config="vision_config", model_type=vision, path="model.visual", renames={name: vision}),
        Tower("text", config="text_config", model_type=f"{name}_text", moves={"model": "model.language_model"}),
    )  # fmt: skip
    return Composite(name, "composite", (cls,), towers, rules=(composite_lm_head, tie()), shape_free=SPECIAL_TOKENS, description=description,
                     images=glm4v(vision))


#: The composite model types.
COMPOSITES = (
    _composite("glm4v", "Glm4vForConditionalGeneration",
               "GLM-4.1V-Thinking, GLM-4.6V-Flash: vision tower with downsampling and merger, GLM-4 language model"),
    _composite("glm4v_moe", "Glm4vMoeForConditionalGeneration",
               "GLM-4.5V, GLM-4.6V: vision tower with downsampling and merger, GLM-4.5-Air-style MoE language model"),
)  # fmt: skip


@hookimpl
def register_model_types(register):
    """Map the GLM vision-language composites and the sub-config types they read."""
    for row in ROWS:
        register(row)
    for composite in COMPOSITES:
        register(composite)

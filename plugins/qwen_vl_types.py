"""The Qwen vision-language model types: qwen2_vl, qwen2_5_vl, qwen3_vl, qwen3_vl_moe, qwen3_5 and qwen3_5_moe
(composites), with the sub-config types they read.

Each composite is a :class:`registry.Composite` of two towers, as transformers 5.25's
``<X>ForConditionalGeneration`` holds them (``modeling_qwen2_vl.py`` ... ``modeling_qwen3_5_moe.py``):

* ``vision``: ``vision_config`` read by the tower's own type (``qwen2_vl_vision`` ... ``qwen3_5_moe_vision``,
  the rows of :mod:`registry.plugins.qwen_vision_types`, family ``qwen-vision``) under ``model.visual``.
  The patch merger, which projects the merged patches to the language model's width, is part of this
  tower in transformers (``model.visual.merger``), and so of the ``vision`` part here;
* ``text``: ``text_config`` read by the language model's type under ``model.language_model``, its head
  ``lm_head`` at the root, tied as the top-level ``tie_word_embeddings`` says. Qwen2-VL's and
  Qwen2.5-VL's published files are flat (the language model's fields at the top level, no
  ``text_config``): their configurations then take the text fields from the top level, and so
  does the tower here.

Published files often name their vision sub-config by the composite's own type (``"qwen3_vl"``):
transformers renames it to the vision type (``Qwen3VLConfig.__post_init__``), and so does the tower.

The language models' sub-config types are rows of the Llama-style families: ``qwen2_vl_text`` and
``qwen2_5_vl_text`` are Qwen2 decoders (biases on the query, key and value projections),
``qwen3_vl_text`` a Qwen3 decoder (query/key norms) and ``qwen3_vl_moe_text`` a Qwen3-MoE one, each
with its configuration's own defaults and none of the sliding-window fields the Qwen3-VL
configurations do not have; Qwen3.5's are ``qwen3_5_text`` and ``qwen3_5_moe_text``
(:mod:`registry.plugins.hybrid_types_2026`).
"""

from __future__ import annotations

from dataclasses import replace

from registry import Composite, ConfigReader, Params, Row, Tower, hookimpl
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.image_rules import qwen
from registry.plugins.llama_model_types import ROWS as LLAMA_ROWS
from registry.plugins.qwen_vision_types import VISION_ROWS
from registry.plugins.vlm_types import composite_lm_head, tie

#: Fields of the sliding-window rule (Qwen2's and Qwen3's configurations have them; Qwen3-VL's do not).
_SLIDING_FIELDS = frozenset(("use_sliding_window", "sliding_window", "max_window_layers", "layer_types"))


def _whole_heads(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (Qwen2-VL, Qwen2.5-VL): the attention's head width is ``hidden_size // num_attention_heads`` and
    ``Qwen2VLAttention`` refuses a remainder."""
    width, heads = params["d_model"][1], params["n_heads"][1]
    if width % heads:
        raise cfg.error("num_attention_heads", f"{heads} does not divide hidden_size ({width}); transformers' "
                                               "attention of this model refuses it")  # fmt: skip


def _text_row(base: str, name: str, cls: str, *, sliding: bool, head_dim: bool = True,
              free: frozenset = frozenset()) -> Row:  # fmt: skip
    """The row of a language model's sub-config type: ``base``'s row (its reads, switches and rules) with
    this configuration's defaults and class; the sliding-window rule only where the configuration has
    those fields; without ``head_dim`` the head width is ``hidden_size / num_attention_heads`` whatever
    the file says (Qwen2-VL's attention); ``free``: more fields that change no shape. Where
    ``tie_word_embeddings`` is no field of the configuration, the composite's rule decides (false until then)."""
    row = next(r for r in LLAMA_ROWS if r.name == base)
    rules, shape_free = row.rules, row.shape_free | free
    reads = {k: v for k, v in row.reads.items() if head_dim or k != "head_dim"}
    if not head_dim:
        rules = (*rules, _whole_heads)
    if not sliding:
        rules = tuple(r for r in rules if not (r.__doc__ or "").startswith("Rule: sliding windows"))
        shape_free = shape_free - _SLIDING_FIELDS | free
    defaults = {"head_dim": None, "tie_word_embeddings": False, **DEFAULTS[name]}
    return replace(row, name=name, classes=(cls,), reads=reads, defaults=defaults, rules=rules, shape_free=shape_free,
                   description=f"the language model of a {name[:-5]} config (text_config)")


#: The language models' sub-config types.
TEXT_ROWS = (
    # their attention's head width is hidden_size // num_attention_heads (a remainder refused): no head_dim read
    _text_row("qwen2", "qwen2_vl_text", "Qwen2VLTextModel", sliding=True, head_dim=False),
    _text_row("qwen2", "qwen2_5_vl_text", "Qwen2_5_VLTextModel", sliding=True, head_dim=False),
    _text_row("qwen3", "qwen3_vl_text", "Qwen3VLTextModel", sliding=False),
    # Qwen3VLMoeTextConfig sets sliding_window to None whatever the file says; its model never reads it
    _text_row("qwen3_moe", "qwen3_vl_moe_text", "Qwen3VLMoeTextModel", sliding=False, free=frozenset({"sliding_window"})),
)


#: The composites' top-level fields that change no shape: the special tokens' ids.
_TOKENS = frozenset(("image_token_id", "video_token_id", "vision_start_token_id", "vision_end_token_id"))


def _composite(name: str, cls: str, text: str, *, flat: bool = False, description: str) -> Composite:
    vision = f"{name}_vision"
    towers = (
        Tower("vision", config="vision_config", model_type=vision, path="model.visual", renames={name: vision}),
        Tower("text", config="text_config", model_type=text, moves={"model": "model.language_model"}, flat=flat),
    )  # fmt: skip
    # Qwen2-VL's and Qwen2.5-VL's configurations also take a true tie_word_embeddings of the text config
    return Composite(name, "composite", (cls,), towers, rules=(composite_lm_head, tie(from_text=flat)), shape_free=_TOKENS,
                     description=description, images=qwen(vision))  # fmt: skip


#: The composite model types (the module's docstring lists them).
COMPOSITES = (
    _composite("qwen2_vl", "Qwen2VLForConditionalGeneration", "qwen2_vl_text", flat=True,
               description="Qwen2-VL: vision tower with patch merger, Qwen2 language model"),
    _composite("qwen2_5_vl", "Qwen2_5_VLForConditionalGeneration", "qwen2_5_vl_text", flat=True,
               description="Qwen2.5-VL: vision tower (window attention) with patch merger, Qwen2 language model"),
    _composite("qwen3_vl", "Qwen3VLForConditionalGeneration", "qwen3_vl_text",
               description="Qwen3-VL: vision tower with patch and deepstack mergers, Qwen3 language model"),
    _composite("qwen3_vl_moe", "Qwen3VLMoeForConditionalGeneration", "qwen3_vl_moe_text",
               description="Qwen3-VL-MoE: vision tower with patch and deepstack mergers, Qwen3-MoE language model"),
    _composite("qwen3_5", "Qwen3_5ForConditionalGeneration", "qwen3_5_text",
               description="Qwen3.5: vision tower with patch merger, Qwen3.5 hybrid language model"),
    _composite("qwen3_5_moe", "Qwen3_5MoeForConditionalGeneration", "qwen3_5_moe_text",
               description="Qwen3.5-MoE: vision tower with patch merger, Qwen3.5-MoE hybrid language model"),
)  # fmt: skip


@hookimpl
def register_model_types(register):
    """Map the Qwen vision-language composites and the sub-config types they read."""
    for row in (*VISION_ROWS.values(), *TEXT_ROWS):
        register(row)
    for composite in COMPOSITES:
        register(composite)

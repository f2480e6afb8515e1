"""The vision sub-configs of the Qwen vision-language models, as rows of data (the ``qwen-vision`` family).

A Qwen2-VL, Qwen2.5-VL, Qwen3-VL or Qwen3.5 ``config.json`` holds its vision tower's fields as
``vision_config``; transformers 5 reads it with a configuration class of its own (model types
``qwen2_vl_vision``, ``qwen2_5_vl_vision``, ``qwen3_vl_vision``, ``qwen3_vl_moe_vision``,
``qwen3_5_vision``, ``qwen3_5_moe_vision``; published files often still say ``qwen3_vl`` or
``qwen3_5`` there). :data:`VISION_ROWS` maps each to the family's hyper-parameters; the composite
model types read their ``vision_config`` through them.

Two spellings of published Qwen2-VL and Qwen2.5-VL files, ``in_chans`` and ``spatial_patch_size``,
are not fields of transformers 5's configurations (it reads ``in_channels``, default 3, and
``patch_size``): they are reported as ignored, as transformers ignores them. Qwen3.5's
configuration has no ``deepstack_visual_indexes`` (its tower has no deepstack mergers): a published
Qwen3.5 file's empty list is likewise ignored.
"""

from __future__ import annotations

from registry import ConfigReader, Params, Row
from registry.plugins.generated_defaults import DEFAULTS

#: What every Qwen vision configuration reads for a shape (``num_heads``/``depth`` with
#: transformers' ``attribute_map`` spellings).
_READS = {
    "n_layers": "depth|num_hidden_layers", "n_heads": "num_heads|num_attention_heads", "n_channels": "in_channels",
    "patch_size": "patch_size", "temporal_patch_size": "temporal_patch_size", "spatial_merge_size": "spatial_merge_size",
}  # fmt: skip
#: Their fields that change no shape: the activation, initialisation, the rotary positions' settings.
_SHAPE_FREE = frozenset(("hidden_act", "initializer_range", "rope_parameters"))
#: Qwen3-VL's and Qwen3.5's sizes (the learned position table).
_QWEN3 = {"d_model": "hidden_size", "d_ff": "intermediate_size", "d_out": "out_hidden_size",
          "n_position_embeddings": "num_position_embeddings"}  # fmt: skip


def _qwen2_mlp(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (Qwen2-VL): the MLP is ``embed_dim × mlp_ratio`` wide (``Qwen2VLVisionBlock``; the
    configuration types ``mlp_ratio`` as a whole number)."""
    ratio = cfg.int("mlp_ratio", DEFAULTS["qwen2_vl_vision"]["mlp_ratio"])
    params["d_ff"] = ("mlp_ratio", params["d_model"][1] * ratio)


def _row(name: str, cls: str, layout: str, reads: dict, shape_free: frozenset = frozenset(), *rules, fixed=None) -> Row:
    return Row(name, "qwen-vision", (cls,), reads={**_READS, **reads}, defaults=DEFAULTS[name],
               fixed={"layout": layout, **(fixed or {})}, rules=rules, shape_free=_SHAPE_FREE | shape_free,
               description=f"the vision tower of a {name[:-7]} config (vision_config)")  # fmt: skip


_QWEN3_VL = {**_QWEN3, "deepstack_layers": "deepstack_visual_indexes"}

#: The row of each vision sub-config, by transformers' model type of that sub-config.
VISION_ROWS: dict[str, Row] = {row.name: row for row in (
    # Qwen2-VL: the merger's output width is the vision config's hidden_size; the blocks' is embed_dim
    _row("qwen2_vl_vision", "Qwen2VisionTransformerPretrainedModel", "qwen2_vl",
         {"d_model": "embed_dim", "d_out": "hidden_size"}, frozenset(), _qwen2_mlp),
    _row("qwen2_5_vl_vision", "Qwen2_5_VisionTransformerPretrainedModel", "qwen2_5_vl",
         {"d_model": "hidden_size", "d_ff": "intermediate_size", "d_out": "out_hidden_size"},
         frozenset(("tokens_per_second", "window_size", "fullatt_block_indexes"))),
    _row("qwen3_vl_vision", "Qwen3VLVisionModel", "qwen3_vl", _QWEN3_VL),
    _row("qwen3_vl_moe_vision", "Qwen3VLMoeVisionModel", "qwen3_vl", _QWEN3_VL),
    _row("qwen3_5_vision", "Qwen3_5VisionModel", "qwen3_vl", _QWEN3),
    _row("qwen3_5_moe_vision", "Qwen3_5MoeVisionModel", "qwen3_vl", _QWEN3),
)}  # fmt: skip

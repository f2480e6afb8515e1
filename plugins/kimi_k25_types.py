"""Kimi K2.5 (``kimi_k25``): a composite of mapped parts, as transformers 5.25 builds it (``modeling_kimi_k25.py``).

``Kimi_K25ForConditionalGeneration`` holds MoonViT (``model.vision_tower``, the ``kimi_k25_vision`` sub-config,
the :mod:`registry.plugins.moonvit` family), its projector (``model.mm_projector``, the ``projector``
family's ``kimi_k25`` layout) and a DeepSeek-V3-shaped language model (``model.language_model``, ``lm_head``):
``text_config`` is read as ``deepseek_v3`` (published files say ``kimi_k2``, which ``Kimi_K25Config.__post_init__``
renames), its MoE active count, multi-token-prediction layers and router biases as DeepSeek-V3's.

Moonshot's published configs name their remote-code class ``KimiK25ForConditionalGeneration`` (``auto_map``) and
give the vision tower's sizes in its own names (``vt_hidden_size``, ``vt_num_hidden_layers``,
``init_pos_emb_height``, ...), which transformers' ``Kimi_K25VisionConfig`` does not read: it builds its own
defaults. transformers loads those checkpoints into its native class (``conversion_mapping.py``'s ``kimi_k25``
renames: ``wqkv`` split into ``q_proj``, ``k_proj``, ``v_proj``, ``mm_projector.proj.0`` to ``in_proj``, ...),
the same tensors under other names. So such a config is counted as the native class, with a note, only where
the remote code's sizes and switches (:data:`REMOTE_SIZES`, :data:`REMOTE_SWITCHES`) agree with what the
native class builds; another value is refused, naming the field.
"""

from __future__ import annotations

from typing import Any

from registry import Composite, ConfigReader, Params, Row, Tower, hookimpl, short_value
from registry.plugins import image_rules
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.vlm_types import TEXT_MOVES, tie

#: The remote code's vision sizes (``vision_config``) and the hyper-parameter transformers' native class reads
#: for each (from ``hidden_size``, ``num_hidden_layers``, ... or its default).
REMOTE_SIZES = {"vt_hidden_size": "d_model", "vt_num_hidden_layers": "n_layers", "vt_num_attention_heads": "n_heads",
                "vt_intermediate_size": "d_ff", "init_pos_emb_height": "pos_height", "init_pos_emb_width": "pos_width"}  # fmt: skip
#: The remote code's switches (``vision_config``) whose value transformers' native class hard-codes: the patch
#: merger projector, spatial-then-temporal pooling, learned spatial and fixed temporal positions, a GELU projector.
REMOTE_SWITCHES: dict[str, Any] = {"mm_projector_type": "patchmerger", "merge_type": "sd2_tpool",
                                   "pos_emb_type": "divided_fixed", "projector_hidden_act": "gelu"}  # fmt: skip
#: The remote code's other vision fields: no shapes (the time table is a buffer; attention over space and time);
#: ``mm_hidden_size`` and ``text_hidden_size`` are checked against the projector's widths (:func:`_remote_class`).
_REMOTE_FREE = frozenset(("init_pos_emb_time", "video_attn_type", "projector_ln_eps", "mm_hidden_size", "text_hidden_size"))


def _remote_vision(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule: the remote code's vision sizes and switches, where given, agree with what the native class builds."""
    for field, name in REMOTE_SIZES.items():
        if cfg.has(field):
            value = cfg.raw(field)
            if value != params[name][1] or isinstance(value, bool):
                native = params[name][0]
                raise cfg.error(field, f"{short_value(value)}: the remote code's size, but transformers' Kimi_K25VisionConfig "
                                       f"reads {native} ({params[name][1]}), so the counts would not agree")  # fmt: skip
    for field, value in REMOTE_SWITCHES.items():
        if cfg.has(field) and cfg.raw(field) != value:
            raise cfg.error(field, f"{short_value(cfg.data[field])}: transformers' Kimi_K25VisionModel builds only "
                                   f"{short_value(value)}, so the counts would not agree")  # fmt: skip


#: MoonViT (``Kimi_K25VisionModel``), read from ``vision_config``.
KIMI_K25_VISION = Row(
    "kimi_k25_vision", "moonvit", ("Kimi_K25VisionModel",),
    reads={"d_model": "hidden_size", "n_layers": "num_hidden_layers", "n_heads": "num_attention_heads",
           "d_ff": "intermediate_size", "patch_size": "patch_size", "pos_height": "pos_emb_height",
           "pos_width": "pos_emb_width"},
    defaults=DEFAULTS["kimi_k25_vision"], rules=(_remote_vision,),
    shape_free=frozenset(("hidden_act", "rope_parameters", "pos_emb_time", "merge_kernel_size", *REMOTE_SWITCHES))
    | _REMOTE_FREE,
    description="the vision tower of a kimi_k25 config (MoonViT)",
)  # fmt: skip


def merge_kernel(cfg: ConfigReader) -> tuple[int, int]:
    """``vision_config.merge_kernel_size``: ``[height, width]`` of the patches merged into one token."""
    vision = cfg.raw("vision_config")
    value = vision.get("merge_kernel_size", DEFAULTS["kimi_k25_vision"]["merge_kernel_size"]) if isinstance(vision, dict) else None
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in value):
        return value[0], value[1]
    raise cfg.error("vision_config.merge_kernel_size", f"must be a list [height, width] of whole numbers >= 1 (got {short_value(value)})")


def kimi_k25_projector(cfg: ConfigReader, parts: dict[str, Params]) -> Params:
    """Kimi K2.5's ``Kimi_K25MultimodalProjection``: a LayerNorm of ``projection_hidden_size``, then the merged width
    (the tower's width × the merge kernel's cells) to itself and to the text width."""
    norm = cfg.int("projection_hidden_size", DEFAULTS["kimi_k25"]["projection_hidden_size"], nullable=True)
    if norm is None:
        raise cfg.error("projection_hidden_size", "null: transformers cannot build the projector's pre_norm without it")
    height, width = merge_kernel(cfg)
    return {"layout": ("model_type", "kimi_k25"), "d_in": ("projection_hidden_size", norm),
            "d_hidden": ("vision_config.merge_kernel_size", parts["vision"]["d_model"][1] * height * width),
            "d_out": ("text_config.hidden_size", parts["text"]["d_model"][1])}  # fmt: skip


def _remote_class(cfg: ConfigReader, cls: str, parts: dict[str, Params]) -> tuple[str, ...]:
    """Rule: the remote code's projector widths agree with the native class's; a remote-code class is counted
    as the native one, with a note."""
    vision = cfg.raw("vision_config")
    widths = {"mm_hidden_size": ("projection_hidden_size", cfg.raw("projection_hidden_size", DEFAULTS["kimi_k25"]["projection_hidden_size"])),
              "text_hidden_size": ("text_config.hidden_size", parts["text"]["d_model"][1])}  # fmt: skip
    for field, (native, value) in widths.items():
        if field in vision and value is not None and vision[field] != value:  # null: the projector refuses it
            raise cfg.error(f"vision_config.{field}", f"{short_value(vision[field])}: the remote code's width, but transformers' "
                                                      f"Kimi_K25ForConditionalGeneration takes {native} ({value}), so the counts would not agree")  # fmt: skip
    if cls != "KimiK25ForConditionalGeneration":
        return ()
    return (f"architectures names the remote-code class {cls}: counted as transformers' Kimi_K25ForConditionalGeneration, "
            "which loads its checkpoints under its own names (the same tensors: conversion_mapping.py renames them)",)  # fmt: skip


#: The composite's top-level fields that change no shape: special tokens, the projector's epsilon, the remote
#: code's media settings.
_FREE = frozenset(("image_token_id", "video_token_id", "vision_start_token_id", "vision_end_token_id",
                   "projection_layer_norm_eps", "media_placeholder_token_id", "ignore_index", "use_unified_vision_chunk",
                   "video_placeholder", "auto_map"))  # fmt: skip

KIMI_K25 = Composite(
    "kimi_k25", "composite", ("Kimi_K25ForConditionalGeneration", "KimiK25ForConditionalGeneration"),
    (
        # transformers builds vision_config as Kimi_K25VisionConfig whatever its model_type says: nvidia/Kimi-K2.6-NVFP4
        # publishes it as "" (tests/unseen_configs/kimi-k2.6-nvfp4)
        Tower("vision", config="vision_config", model_type="kimi_k25_vision", path="model.vision_tower",
              renames={"": "kimi_k25_vision"}),
        Tower("text", config="text_config", model_type="deepseek_v3", model_types=("*",), renames={"kimi_k2": "deepseek_v3"},
              moves=TEXT_MOVES),
        Tower("projector", family="projector", params=kimi_k25_projector, path="model.mm_projector"),
    ),
    rules=(tie(), _remote_class), shape_free=_FREE, images=image_rules.KIMI_K25,
    description="Kimi K2.5: MoonViT tower, patch-merger projector, DeepSeek-V3-shaped language model",
)  # fmt: skip


@hookimpl
def register_model_types(register):
    """Map ``kimi_k25`` and its vision tower ``kimi_k25_vision``."""
    register(KIMI_K25_VISION)
    register(KIMI_K25)

"""llama.cpp's mmproj files of the Qwen vision-language models (``qwen2vl_merger``, ``qwen2.5vl_merger``,
``qwen3vl_merger``) and of EXAONE 4.5 (``exaone4_5``, Qwen2.5-VL's tower layout), rows of data read as :mod:`registry.plugins.gguf_mmproj` reads the others.

Qwen's patch merger is part of transformers' vision tower (``model.visual``): the files hold the vision part
alone. Their language models' GGUFs are llama.cpp's ``qwen2vl`` (a Qwen2 decoder), ``qwen3vl`` (a Qwen3 one) and
``qwen3vlmoe`` (a Qwen3-MoE one, with the same ``qwen3vl_merger`` mmproj: the pair is the whole Qwen3-VL-MoE).
"""

from __future__ import annotations

from typing import Any

from registry import GgufMetadata, hookimpl
from registry.plugins.gguf_mmproj import mmproj

#: Qwen2.5-VL's tower (``model.visual``): Qwen2VLVisionModel in convert_hf_to_gguf.py splits the fused ``attn.qkv``
#: into attn_q/k/v and the 3D patch convolution into its two temporal slices (``v.patch_embd.weight`` and
#: ``.weight.1``), joined again here and compared by count; the merger's ``ln_q`` is V_POST_NORM, its
#: ``mlp.0``/``mlp.2`` V_MMPROJ (``mm.0``, ``mm.2``).
QWEN25_VL = {"v.patch_embd.weight": "model.visual.patch_embed.proj.weight",
             "v.patch_embd.weight.1": "model.visual.patch_embed.proj.weight",
             "attn_q": "attn.qkv", "attn_k": "attn.qkv", "attn_v": "attn.qkv", "attn_out": "attn.proj",
             "ln1": "norm1", "ln2": "norm2", "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj",
             "ffn_down": "mlp.down_proj", "v.post_ln": "model.visual.merger.ln_q", "mm.0": "model.visual.merger.mlp.0",
             "mm.2": "model.visual.merger.mlp.2"}  # fmt: skip
#: Its sizes: the converter renames ``depth`` and ``num_heads`` to the generic keys; ``projection_dim`` is the
#: merger's output (``out_hidden_size``, the language model's width).
QWEN25_VL_KEYS = {
    "vision.block_count": "vision_config.depth", "vision.embedding_length": "vision_config.hidden_size",
    "vision.feed_forward_length": "vision_config.intermediate_size", "vision.attention.head_count": "vision_config.num_heads",
    "vision.patch_size": "vision_config.patch_size", "vision.projection_dim": "vision_config.out_hidden_size",
}  # fmt: skip


def _qwen25_vl(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (Qwen2.5-VL): the merge of patches is not written, but the merger's first linear takes the width of
    ``spatial_merge_size``² patches (``mm.0.weight``: its rows); the converter splits a temporal patch of 2 only."""
    vision = config["vision_config"]
    vision.update(spatial_merge_size=_merge_of(meta, vision["hidden_size"]), temporal_patch_size=2)
    config["text_config"]["hidden_size"] = vision["out_hidden_size"]


#: Qwen2-VL's tower: the same splits and merger as Qwen2.5-VL's, a LayerNorm and an ungated ``mlp.fc1``/``fc2`` (gguf-py's
#: V_ENC_FFN_UP/DOWN "visual.blocks.{bid}.mlp.fc1"/"fc2", "# qwen2vl").
QWEN2_VL = {**{k: v for k, v in QWEN25_VL.items() if k not in ("ffn_gate", "ffn_up", "ffn_down")},
            "ffn_up": "mlp.fc1", "ffn_down": "mlp.fc2"}  # fmt: skip
#: Its sizes: Qwen2VLVisionModel writes ``embed_dim`` as the width and ``depth``, ``num_heads``; it writes the
#: vision config's ``hidden_size`` (the merger's output, the language model's width) as ``feed_forward_length``,
#: which is not the MLP's width (``embed_dim * mlp_ratio``, read from ``ffn_up`` by the rule) and is not read.
QWEN2_VL_KEYS = {
    "vision.block_count": "vision_config.depth", "vision.embedding_length": "vision_config.embed_dim",
    "vision.attention.head_count": "vision_config.num_heads", "vision.patch_size": "vision_config.patch_size",
    "vision.projection_dim": "vision_config.hidden_size",
}  # fmt: skip


def _merge_of(meta: GgufMetadata, width: int) -> int:
    """The ``spatial_merge_size`` a Qwen merger's first linear says: it takes the width of merge² patches."""
    rows = meta.rows("mm.0.weight")
    merge = round((rows / width) ** 0.5) if rows and width else 0
    if not merge or merge * merge * width != rows:
        raise meta.error("mm.0.weight", f"{rows} rows are not the width {width} of a square of merged patches")
    return merge


def _qwen2_vl(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (Qwen2-VL): the merge as Qwen2.5-VL's; the MLP's width ``embed_dim * mlp_ratio`` from ``ffn_up``'s rows
    (transformers builds ``int(embed_dim * mlp_ratio)``; the ratio kept exact when it is whole)."""
    vision = config["vision_config"]
    width, inner = vision["embed_dim"], meta.rows("v.blk.0.ffn_up.weight")
    if not inner:
        raise meta.error("v.blk.0.ffn_up.weight", "missing: the MLP's width is its number of rows")
    ratio = inner // width if inner % width == 0 else inner / width
    if int(width * ratio) != inner:
        raise meta.error("v.blk.0.ffn_up.weight", f"{inner} rows are no whole multiple of the width {width}")
    vision.update(spatial_merge_size=_merge_of(meta, width), temporal_patch_size=2, mlp_ratio=ratio)
    config["text_config"]["hidden_size"] = vision["hidden_size"]


#: Qwen3-VL's tower (Qwen3VLVisionModel in convert_hf_to_gguf.py): the splits of Qwen2.5-VL's, the patch convolution's
#: bias, the learned position embedding (V_ENC_EMBD_POS, "visual.pos_embed"), ungated ``linear_fc1``/``fc2`` MLPs; the
#: merger's ``norm`` as V_POST_NORM and ``linear_fc1``/``fc2`` as ``mm.0``/``mm.2``; each deepstack merger as
#: V_DS_NORM/FC1/FC2 (``v.deepstack.<n>.norm``/``fc1``/``fc2``), ``n`` the block feeding it, not its place in the list.
#: Unlike Qwen2-VL's, its ``modify_tensors`` keeps the fused ``attn.qkv`` (V_ENC_ATTN_QKV, ``v.blk.<i>.attn_qkv``);
#: split ``attn_q``/``attn_k``/``attn_v`` (as clip.cpp also loads) are read too.
QWEN3_VL = {**{k: v for k, v in QWEN2_VL.items() if k not in ("ffn_up", "ffn_down", "v.post_ln", "mm.0", "mm.2")},
            "v.patch_embd.bias": "model.visual.patch_embed.proj.bias", "v.position_embd": "model.visual.pos_embed",
            "ffn_up": "mlp.linear_fc1", "ffn_down": "mlp.linear_fc2", "v.post_ln": "model.visual.merger.norm",
            "mm.0": "model.visual.merger.linear_fc1", "mm.2": "model.visual.merger.linear_fc2",
            "norm": "norm", "fc1": "linear_fc1", "fc2": "linear_fc2", "attn_qkv": "attn.qkv"}  # fmt: skip
QWEN3_VL_KEYS = {**QWEN25_VL_KEYS, "vision.feed_forward_length": "vision_config.intermediate_size"}
#: The key listing, per block, whether it feeds a deepstack merger (``GGUFWriter.add_vision_is_deepstack_layers``).
DEEPSTACK = "clip.vision.is_deepstack_layers"


def _qwen3_vl(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (Qwen3-VL): the merge as Qwen2.5-VL's; ``num_position_embeddings`` the rows of ``v.position_embd``; the
    deepstack blocks from ``clip.vision.is_deepstack_layers`` (one flag per block), which must be the blocks the
    file's ``v.deepstack.<n>`` mergers name."""
    vision = config["vision_config"]
    positions = meta.rows("v.position_embd.weight")
    if not positions:
        raise meta.error("v.position_embd.weight", "missing: Qwen3-VL's tower has a learned position embedding")
    flags = meta.data.get(DEEPSTACK)
    items = getattr(flags, "items", None)
    if items is None or len(items) != vision["depth"] or not all(isinstance(f, bool) for f in items):
        raise meta.error(DEEPSTACK, f"must be one true/false per block ({vision['depth']}), written by llama.cpp's "
                         "Qwen3-VL converter")  # fmt: skip
    blocks = [i for i, flag in enumerate(items) if flag]
    named = sorted({int(n.split(".")[2]) for n in meta.tensors if n.startswith("v.deepstack.")})
    if named != blocks:
        raise meta.error(DEEPSTACK, f"says blocks {blocks} feed deepstack mergers, the file's v.deepstack tensors {named}")
    vision.update(spatial_merge_size=_merge_of(meta, vision["hidden_size"]), temporal_patch_size=2,
                  num_position_embeddings=positions, deepstack_visual_indexes=blocks)
    config["text_config"]["hidden_size"] = vision["out_hidden_size"]


#: Qwen3-VL-MoE's mmproj is Qwen3-VL's (convert_hf_to_gguf's Qwen3VLVisionModel converts both, projector type
#: qwen3vl_merger); with llama.cpp's qwen3vlmoe language model (Qwen3VLMoeTextModel, a Qwen3-MoE decoder whose fused
#: experts it splits and transposes into ffn_*_exps) the pair is the whole qwen3_vl_moe, its sub-configs its own types.
QWEN3_VL_MOE = {"model_type": "qwen3_vl_moe", "architectures": ["Qwen3VLMoeForConditionalGeneration"],
                "vision_config": {"model_type": "qwen3_vl_moe_vision"}, "text_config": {"model_type": "qwen3_vl_moe_text"}}


#: EXAONE 4.5's tower (Exaone4_5_VisionModel, Qwen2.5-VL's layout): Exaone4_5VisionModel in llama.cpp's
#: ``conversion/exaone.py`` keeps the grouped-query ``attn.qkv`` fused (``v.blk.<i>.attn_qkv``); the rest as Qwen2.5-VL's.
EXAONE4_5 = {**{k: v for k, v in QWEN25_VL.items() if k not in ("attn_q", "attn_k", "attn_v")}, "attn_qkv": "attn.qkv"}


def _exaone4_5(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (EXAONE 4.5): as Qwen2.5-VL's; the key/value heads from the fused ``attn_qkv`` (the query heads' rows and
    twice the key/value heads', each ``width / heads`` wide), which ``clip.vision.attention.head_count_kv`` must not
    contradict."""
    _qwen25_vl(meta, config)
    vision = config["vision_config"]
    heads, rows = vision["num_heads"], meta.rows("v.blk.0.attn_qkv.weight")
    head = vision["hidden_size"] // heads if heads else 0
    kv = (rows // head - heads) // 2 if rows and head else 0
    if kv < 1 or (heads + 2 * kv) * head != rows or heads % kv:
        raise meta.error("v.blk.0.attn_qkv.weight", f"{rows} rows are not {heads} query heads and as many key as value "
                         f"heads, {head} wide")  # fmt: skip
    if meta.int("clip.vision.attention.head_count_kv", kv) != kv:
        raise meta.error("clip.vision.attention.head_count_kv", f"{meta.data['clip.vision.attention.head_count_kv']} "
                         f"is not the {kv} key/value heads of v.blk.0.attn_qkv.weight")  # fmt: skip
    vision["num_key_value_heads"] = kv


ROWS = (
    # EXAONE 4.5: Qwen2.5-VL's tower with grouped-query attention; its language model's GGUF is llama.cpp's exaone4
    mmproj("exaone4_5", "exaone4_5", "Exaone4_5_ForConditionalGeneration", EXAONE4_5,
           layers="model.visual.blocks", keys=QWEN25_VL_KEYS, rule=_exaone4_5, parts=("vision",),
           vision={"model_type": "exaone4_5_vision"},
           text={"model_type": "exaone4", "num_hidden_layers": 1, "intermediate_size": 1, "num_attention_heads": 1,
                 "num_key_value_heads": 1, "head_dim": 1, "vocab_size": 1},
           completes=("exaone4",), description="EXAONE 4.5's vision tower (grouped-query attention, patch merger); "
           "with an exaone4 GGUF: the whole exaone4_5 model"),
    # Qwen2.5-VL: the patch merger is part of transformers' vision tower (no projector part); its language model's
    # GGUF is llama.cpp's qwen2vl architecture (a Qwen2 decoder), read as qwen2_5_vl_text in the composite
    mmproj("qwen2.5vl_merger", "qwen2_5_vl", "Qwen2_5_VLForConditionalGeneration", QWEN25_VL,
           layers="model.visual.blocks", keys=QWEN25_VL_KEYS, rule=_qwen25_vl, parts=("vision",),
           vision={"model_type": "qwen2_5_vl_vision"},
           text={"model_type": "qwen2_5_vl_text", "num_hidden_layers": 1, "intermediate_size": 1,
                 "num_attention_heads": 1, "num_key_value_heads": 1, "vocab_size": 1},
           completes=("qwen2vl",), text_model_type="qwen2_5_vl_text",
           description="Qwen2.5-VL's vision tower (window attention, patch merger); with a qwen2vl GGUF: the whole "
           "qwen2_5_vl model"),
    # Qwen2-VL: as Qwen2.5-VL (no window attention, LayerNorm, QuickGELU MLP); its language model's GGUF is
    # llama.cpp's qwen2vl architecture too, read as qwen2_vl_text
    mmproj("qwen2vl_merger", "qwen2_vl", "Qwen2VLForConditionalGeneration", QWEN2_VL,
           layers="model.visual.blocks", keys=QWEN2_VL_KEYS, rule=_qwen2_vl, parts=("vision",),
           vision={"model_type": "qwen2_vl_vision"},
           text={"model_type": "qwen2_vl_text", "num_hidden_layers": 1, "intermediate_size": 1,
                 "num_attention_heads": 1, "num_key_value_heads": 1, "vocab_size": 1},
           completes=("qwen2vl",), text_model_type="qwen2_vl_text",
           description="Qwen2-VL's vision tower (patch merger); with a qwen2vl GGUF: the whole qwen2_vl model"),
    # Qwen3-VL: learned position embedding, deepstack mergers; its language model's GGUF is llama.cpp's qwen3vl
    # architecture (a Qwen3 decoder), read as qwen3_vl_text
    mmproj("qwen3vl_merger", "qwen3_vl", "Qwen3VLForConditionalGeneration", QWEN3_VL,
           layers="model.visual.blocks", keys=QWEN3_VL_KEYS, rule=_qwen3_vl, parts=("vision",),
           renumbered={"v.deepstack": "model.visual.deepstack_merger_list"},
           vision={"model_type": "qwen3_vl_vision"},
           text={"model_type": "qwen3_vl_text", "num_hidden_layers": 1, "intermediate_size": 1,
                 "num_attention_heads": 1, "num_key_value_heads": 1, "head_dim": 1, "vocab_size": 1},
           completes=("qwen3vl", "qwen3vlmoe"), text_model_type="qwen3_vl_text",
           completes_as={"qwen3vlmoe": QWEN3_VL_MOE},
           description="Qwen3-VL's vision tower (position embedding, patch merger, deepstack mergers); with a qwen3vl "
           "GGUF: the whole qwen3_vl model, with a qwen3vlmoe GGUF the whole qwen3_vl_moe"),
)  # fmt: skip


@hookimpl
def register_gguf_architectures(register):
    """llama.cpp's mmproj files of Qwen2-VL, Qwen2.5-VL, Qwen3-VL and EXAONE 4.5, one row per projector type (ROWS)."""
    for row in ROWS:
        register(row)

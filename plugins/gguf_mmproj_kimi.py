"""llama.cpp's mmproj file of Kimi K2.5 (``clip.projector_type = "kimik25"``), a row of data and its rule.

Checked against llama.cpp at 0c1e57098 (vendored by llama-cpp-python 0.3.36): ``KimiK25Model`` in
``conversion/kimivl.py`` keeps ``vision_tower.*`` and ``mm_projector.*`` of Moonshot's published checkpoint, writes
``MmprojModel``'s ``clip.vision.*`` keys (the remote code's ``vt_*`` sizes; ``image_size`` the position table's height
times the patch), projector type ``kimik25``, ``clip.vision.projector.scale_factor`` (the merge kernel's side) and,
without the ``clip.`` prefix, ``vision.pos_emb_height`` / ``_width`` / ``_time``. It keeps the fused ``wqkv`` (its
query and key rows permuted for llama.cpp's 2D rotary: same shapes) as ``v.blk.<i>.attn_qkv``, read here as
transformers 5.25's ``attn.q_proj``, ``k_proj``, ``v_proj`` (``conversion_mapping.py``'s ``kimi_k25`` chunks it in
three, as this row cuts it), renames the projector's ``proj.0`` / ``proj.2`` ``mm.1`` / ``mm.2``, and squeezes the
temporal position table ``pos_emb.time_weight`` (a buffer in transformers, no parameter). Nothing is dropped. The
language model is llama.cpp's ``deepseek2`` (``DeepseekV2Model``, Kimi K2's DeepSeek-V3 decoder): with it in the
folder the two count as the whole ``kimi_k25``.
"""

from __future__ import annotations

from typing import Any

from registry import GgufMetadata, hookimpl
from registry.plugins.gguf_mmproj import VISION_KEYS, mmproj

_VISION, _PROJECTOR = "model.vision_tower", "model.mm_projector"

#: MoonViT (Kimi_K25VisionModel) and the patch-merger projector (Kimi_K25MultimodalProjection) in the whole model.
KIMI_K25 = {"v.patch_embd": f"{_VISION}.patch_embed.proj",
            "v.position_embd.weight": f"{_VISION}.patch_embed.pos_emb.position_embeddings",
            "attn_qkv": "attn.q_proj+attn.k_proj+attn.v_proj", "attn_out": "attn.proj", "ln1": "norm1", "ln2": "norm2",
            "ffn_up": "mlp.fc1", "ffn_down": "mlp.fc2", "v.post_ln": f"{_VISION}.final_layernorm",
            "mm.input_norm": f"{_PROJECTOR}.pre_norm", "mm.1": f"{_PROJECTOR}.in_proj", "mm.2": f"{_PROJECTOR}.out_proj"}  # fmt: skip


def _kimi_k25(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (Kimi K2.5): the position table's height and width from ``v.position_embd`` (height, width, width of the
    tower), which ``vision.pos_emb_height`` / ``_width`` must not contradict; the merge kernel from the scale
    factor, which the projector's first linear must take (the tower's width times the kernel's cells);
    ``projection_hidden_size`` the pre-norm's width."""
    vision = config["vision_config"]
    shape = meta.tensors.get("v.position_embd.weight")
    if not shape or len(shape) != 3 or shape[2] != vision["hidden_size"]:
        raise meta.error("v.position_embd.weight", f"shape {list(shape or ())} is not MoonViT's (height, width, "
                         f"{vision['hidden_size']}) position table")  # fmt: skip
    for key, value in (("vision.pos_emb_height", shape[0]), ("vision.pos_emb_width", shape[1])):
        if meta.int(key, value) != value:
            raise meta.error(key, f"{meta.data[key]} is not the position table's {value} (v.position_embd.weight)")
    k = meta.int("clip.vision.projector.scale_factor", minimum=1)
    cols = meta.tensors.get("mm.1.weight", (0, 0))[-1]
    if cols != vision["hidden_size"] * k * k:
        raise meta.error("clip.vision.projector.scale_factor", f"{k}: the projector's mm.1 takes {cols}, not "
                         f"{k}x{k} patches of width {vision['hidden_size']}")  # fmt: skip
    vision.update(pos_emb_height=shape[0], pos_emb_width=shape[1], merge_kernel_size=[k, k])
    config["projection_hidden_size"] = meta.rows("mm.input_norm.weight") or vision["hidden_size"]


ROWS = (
    mmproj("kimik25", "kimi_k25", "Kimi_K25ForConditionalGeneration", KIMI_K25, layers=f"{_VISION}.layers",
           keys={k: v for k, v in VISION_KEYS.items() if k != "vision.image_size"}, rule=_kimi_k25,
           not_parameters=("v.position_embd.time_weight",), vision={"model_type": "kimi_k25_vision"},
           text={"model_type": "deepseek_v3", "num_hidden_layers": 1, "intermediate_size": 1, "num_attention_heads": 1,
                 "num_key_value_heads": 1, "vocab_size": 1, "first_k_dense_replace": 1, "n_group": 1, "topk_group": 1},
           completes=("deepseek2",), description="Kimi K2.5's vision tower (MoonViT) and patch-merger projector; "
           "with a deepseek2 GGUF: the whole kimi_k25 model"),
)  # fmt: skip


@hookimpl
def register_gguf_architectures(register):
    """llama.cpp's mmproj file of Kimi K2.5 (projector type kimik25)."""
    for row in ROWS:
        register(row)

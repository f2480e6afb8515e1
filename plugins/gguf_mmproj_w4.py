"""llama.cpp's mmproj files of 2026 vision-language models, rows of data read as :mod:`registry.plugins.gguf_mmproj`
reads the others.

MiniMax-M3 (``clip.projector_type = "minimax_m3"``), checked against llama.cpp at 0c1e57098: ``MiniMaxM3VisionModel``
in ``conversion/minimax.py`` keeps ``vision_tower.*``, ``multi_modal_projector.*`` and ``patch_merge_mlp.*``, writes
``MmprojModel``'s ``clip.vision.*`` keys and ``clip.vision.spatial_merge_size``, and cuts the 3-D patch convolution
into one 2-D slice per frame (``v.patch_embd.weight``, ``v.patch_embd.weight.1``, ...: joined again here, by count;
their number is ``temporal_patch_size``); it permutes the tower's query/key rows (same shapes). gguf-py's
``tensor_mapping.py`` names the CLIP-like layers (``attn_q`` ... ``attn_out``, ``ln1`` / ``ln2`` for
``layer_norm1`` / ``layer_norm2``, ``ffn_up`` / ``ffn_down`` for ``mlp.fc1`` / ``fc2``), ``pre_layrnorm`` ``v.pre_ln``,
the projector's ``linear_1`` / ``linear_2`` ``mm.1`` / ``mm.2`` and the merge MLP's ``patch_merge_mlp.linear_1`` /
``linear_2`` ``mm.merger.fc1`` / ``fc2`` (transformers' ``merge_linear_1`` / ``merge_linear_2``); ``tools/mtmd/clip.cpp``
loads exactly these. With a ``minimax-m3`` GGUF in the folder the two count as the whole ``minimax_m3_vl`` model.
"""

from __future__ import annotations

from typing import Any

from registry import GgufMetadata, hookimpl
from registry.plugins.gguf_mmproj import ENCODER_LAYER, PROJECTOR, VISION_KEYS, mmproj

_TOWER = "model.vision_tower"
#: The temporal slices of the patch convolution a file may hold (MiniMax-M3's checkpoints: two frames a patch).
_SLICES = 4


def _minimax_m3(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (MiniMax-M3 mmproj): ``temporal_patch_size`` is the number of patch slices, ``num_channels`` the
    slices' second dimension; the projector's inner width (``projector_hidden_size``) the rows of ``mm.1``; the
    merge MLP's first linear takes ``spatial_merge_size²`` tokens of the text width."""
    vision = config["vision_config"]
    patch = meta.tensors.get("v.patch_embd.weight")
    if not patch or len(patch) != 4:
        raise meta.error("v.patch_embd.weight", "missing (or not a 2-D convolution slice): the patch embedding")
    frames = next((t for t in range(1, _SLICES) if f"v.patch_embd.weight.{t}" not in meta.tensors), _SLICES)
    hidden, merger = meta.rows("mm.1.weight"), meta.tensors.get("mm.merger.fc1.weight")
    if hidden is None or not merger or len(merger) != 2:
        raise meta.error("mm.1.weight" if hidden is None else "mm.merger.fc1.weight",
                         "missing (or not a matrix): the projector's widths are its shape")  # fmt: skip
    merge, width = vision["spatial_merge_size"], config["text_config"]["hidden_size"]
    if merger[1] != merge * merge * width:
        raise meta.error("mm.merger.fc1.weight", f"{merger[1]} columns are not spatial_merge_size² ({merge}²) tokens of "
                         f"projection_dim {width}")  # fmt: skip
    vision.update(temporal_patch_size=frames, num_channels=patch[1])
    config["projector_hidden_size"] = hidden


ROWS = (
    mmproj("minimax_m3", "minimax_m3_vl", "MiniMaxM3SparseForConditionalGeneration",
           {"v.patch_embd.weight": f"{_TOWER}.embeddings.proj.weight",
            **{f"v.patch_embd.weight.{t}": f"{_TOWER}.embeddings.proj.weight" for t in range(1, _SLICES)},
            "v.pre_ln": f"{_TOWER}.pre_layrnorm", **ENCODER_LAYER, "mm.1": f"{PROJECTOR}.linear_1",
            "mm.2": f"{PROJECTOR}.linear_2", "mm.merger.fc1": f"{PROJECTOR}.merge_linear_1",
            "mm.merger.fc2": f"{PROJECTOR}.merge_linear_2"},
           layers=f"{_TOWER}.layers", keys={**VISION_KEYS, "vision.spatial_merge_size": "vision_config.spatial_merge_size"},
           rule=_minimax_m3, vision={"model_type": "minimax_m3_vl_vision"},
           text={"model_type": "minimax_m3_vl_text", "num_hidden_layers": 1, "intermediate_size": 1,
                 "dense_intermediate_size": 1, "shared_intermediate_size": 1, "num_attention_heads": 1,
                 "num_key_value_heads": 1, "head_dim": 1, "vocab_size": 1, "num_local_experts": 1,
                 "num_experts_per_tok": 1, "index_n_heads": 1, "index_head_dim": 1},
           completes=("minimax-m3",), description="MiniMax-M3's vision tower (3-D patches) and two-stage projector; "
           "with a minimax-m3 GGUF: the whole minimax_m3_vl model"),
)  # fmt: skip


@hookimpl
def register_gguf_architectures(register):
    """The 2026 mmproj files of this module (see its docstring): clip/minimax_m3."""
    for row in ROWS:
        register(row)

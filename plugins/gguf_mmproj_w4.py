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

MiniCPM-V 4.6 (``clip.projector_type = "minicpmv4_6"``): ``MiniCPMV4_6VisionModel`` in ``conversion/minicpm.py``
writes the SigLIP tower under gguf-py's usual names (``v.patch_embd``, ``v.position_embd``, the layers, ``v.post_ln``),
the window-attention merger ``vit_merger`` as ``v.vit_merger.*`` (``ln1``, ``attn_q`` ... ``attn_out``, ``ds_ln`` for
``pre_norm``, ``ds_ffn_up`` / ``ds_ffn_down`` for ``linear_1`` / ``linear_2``) and the merger's one MLP
``merger.mlp.0`` as ``mm.input_norm`` / ``mm.up`` / ``mm.down`` (tensor_mapping.py knows no second: a
``merger_times`` of one). It writes the preprocessor's slice size as ``clip.vision.image_size``: the tower's own
(its position table's grid) is read from ``v.position_embd``'s rows. A ``4x`` file (``projector.scale_factor`` 2)
leaves ``vit_merger`` out and is refused. Its language model is llama.cpp's ``qwen35`` (a Qwen3.5 decoder, the
``MiniCPMV4_6TextModel``): the two count as the whole ``minicpmv4_6`` model.
"""

from __future__ import annotations

from typing import Any

from registry import GgufMetadata, hookimpl
from registry.plugins.gguf_mmproj import ENCODER_LAYER, PROJECTOR, SIGLIP_TOP, VISION_KEYS, VISION_MODEL, mmproj

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


def _minicpmv4_6(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (MiniCPM-V 4.6 mmproj): the tower's image size from its position table (a square grid of patches), the
    merger's window from ``v.vit_merger.ds_ln`` (``d_model`` × the window's cells, a square), one merger MLP; a ``4x`` file (scale
    factor 2, no ``vit_merger``) refused."""
    vision = config["vision_config"]
    if meta.int("clip.vision.projector.scale_factor", 4) != 4 or "v.vit_merger.ds_ln.weight" not in meta.tensors:
        raise meta.error("clip.vision.projector.scale_factor", "a 4x-downsampling file leaves the tower's vit_merger "
                         "out: not mapped (registry maps MiniCPM-V 4.6's 16x files, scale factor 4)")  # fmt: skip
    d, patch = vision["hidden_size"], vision["patch_size"]
    grid, cells = _square(meta, "v.position_embd.weight", 1), _square(meta, "v.vit_merger.ds_ln.weight", d)
    vision.update(image_size=grid * patch, window_kernel_size=[cells, cells])
    config["merger_times"] = 1


def _square(meta: GgufMetadata, tensor: str, width: int) -> int:
    """The side of the square of ``width``-wide cells that ``tensor``'s rows hold."""
    rows = meta.rows(tensor)
    side = round((rows / width) ** 0.5) if rows and width else 0
    if not side or side * side * width != rows:
        raise meta.error(tensor, f"{rows} rows are not a square of {width}-wide cells")
    return side


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
    mmproj("minicpmv4_6", "minicpmv4_6", "MiniCPMV4_6ForConditionalGeneration",
           {**ENCODER_LAYER, **SIGLIP_TOP,
            **{f"v.vit_merger.{k}": f"{VISION_MODEL}.vit_merger.{v}" for k, v in (
                ("ln1", "layer_norm1"), ("attn_q", "self_attn.q_proj"), ("attn_k", "self_attn.k_proj"),
                ("attn_v", "self_attn.v_proj"), ("attn_out", "self_attn.out_proj"), ("ds_ln", "pre_norm"),
                ("ds_ffn_up", "linear_1"), ("ds_ffn_down", "linear_2"))},
            "mm.input_norm": "model.merger.mlp.0.pre_norm", "mm.up": "model.merger.mlp.0.linear_1",
            "mm.down": "model.merger.mlp.0.linear_2"},
           keys={k: v for k, v in VISION_KEYS.items() if k != "vision.image_size"}, rule=_minicpmv4_6,
           vision={"model_type": "minicpmv4_6_vision"},
           text={"model_type": "qwen3_5_text", "num_hidden_layers": 1, "layer_types": ["full_attention"],
                 "intermediate_size": 1, "num_attention_heads": 1, "num_key_value_heads": 1, "head_dim": 1,
                 "vocab_size": 1, "linear_num_key_heads": 1, "linear_num_value_heads": 1, "linear_key_head_dim": 1,
                 "linear_value_head_dim": 1},
           completes=("qwen35",), description="MiniCPM-V 4.6's SigLIP tower, window-attention merger and merger MLP; "
           "with a qwen35 GGUF: the whole minicpmv4_6 model"),
)  # fmt: skip


@hookimpl
def register_gguf_architectures(register):
    """The 2026 mmproj files of this module (see its docstring): clip/minimax_m3, clip/minicpmv4_6."""
    for row in ROWS:
        register(row)

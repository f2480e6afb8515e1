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

Granite Speech (``clip.projector_type = "granite_speech"``, an audio-only file): ``GraniteSpeechMmprojModel`` in
``conversion/granite.py`` writes ``encoder_config``'s sizes as ``clip.audio.*`` (``embedding_length`` ``hidden_dim``,
``feed_forward_length`` ``hidden_dim × feedforward_mult``, ``num_mel_bins`` ``input_dim``, ``chunk_size``,
``conv_kernel_size``, ``max_pos_emb``) and the projector's ``window_size``, ``downsample_rate`` and head count; it folds
each BatchNorm's running statistics into its weight and bias (the statistics, buffers, are gone), splits ``to_kv``
into ``attn_k`` / ``attn_v`` (joined again here, by count) and squeezes the kernel-1 and depthwise convolutions (by
count). gguf-py names the conformer blocks ``a.blk.<i>`` and the Q-Former's layers ``a.proj_blk.<i>``; the BatchNorm
is ``conv_norm_var`` at 0c1e57098 (``conv_norm`` in files of earlier converters, which clip.cpp loads): both read.
The sizes the keys do not say (the head width, the CTC output, the convolution's expansion, the Q-Former's) come from
the tensors. Its language model is llama.cpp's ``granite``: the two count as the whole ``granite_speech`` model.
"""

from __future__ import annotations

import re
from typing import Any

from registry import GgufArchitecture, GgufMetadata, hookimpl
from registry.plugins.gguf_mmproj import (
    ENCODER_LAYER, PROJECTOR, PROJECTOR_TYPE, SIGLIP_TOP, VISION_KEYS, VISION_MODEL, mmproj,
)  # fmt: skip

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


def _granite_speech(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (Granite Speech mmproj): the encoder's MLP multiple, head width (``attn_rel_pos_emb``'s columns), CTC
    output (``enc_ctc_out``'s rows) and convolution expansion (``conv_pw1``'s rows: twice ``hidden_dim`` × it); the
    Q-Former's width, MLP, layers and cross-attention step (the layers with ``cross_attn_q``: 0, then every step)."""
    enc, d = config["encoder_config"], config["encoder_config"]["hidden_dim"]
    ff, pw1 = meta.int("clip.audio.feed_forward_length"), _rows(meta, "a.blk.0.conv_pw1.weight")
    if ff % d or pw1 % (2 * d):
        raise meta.error("clip.audio.feed_forward_length" if ff % d else "a.blk.0.conv_pw1.weight",
                         f"{ff if ff % d else pw1} is not a whole multiple of embedding_length {d}"
                         + ("" if ff % d else " × 2"))  # fmt: skip
    rel = meta.tensors.get("a.blk.0.attn_rel_pos_emb")
    if not rel or len(rel) != 2:
        raise meta.error("a.blk.0.attn_rel_pos_emb", "missing (or not a matrix): the head width is its columns")
    enc.update(feedforward_mult=ff // d, dim_head=rel[1], output_dim=_rows(meta, "a.enc_ctc_out.weight"),
               conv_expansion_factor=pw1 // (2 * d))  # fmt: skip
    pattern = re.compile(r"a\.proj_blk\.(\d+)\.self_attn_q\.weight")
    layers = sorted({int(m[1]) for n in meta.tensors if (m := pattern.fullmatch(n))})
    cross = [i for i in layers if f"a.proj_blk.{i}.cross_attn_q.weight" in meta.tensors]
    step = cross[1] - cross[0] if len(cross) > 1 else max(len(layers), 1)
    if layers != list(range(len(layers))) or cross != list(range(0, len(layers), step)):
        raise meta.error("a.proj_blk.0.cross_attn_q.weight", f"the Q-Former layers {layers} with cross-attention {cross} "
                         "are not layer 0 and every k-th after it, as Blip2QFormerModel places them")  # fmt: skip
    key = meta.tensors.get("a.proj_blk.0.cross_attn_k.weight")
    config["projector_config"].update(
        hidden_size=_rows(meta, "a.proj_norm.weight"), intermediate_size=_rows(meta, "a.proj_blk.0.ffn_up.weight"),
        num_hidden_layers=len(layers), cross_attention_frequency=step, encoder_hidden_size=key[1] if key else d)


def _rows(meta: GgufMetadata, tensor: str) -> int:
    """The rows of ``tensor``, which must be in the file."""
    rows = meta.rows(tensor)
    if rows is None:
        raise meta.error(tensor, "missing: a size the keys do not say is its number of rows")
    return rows


_ENC, _QF = "model.encoder", "model.projector.qformer"
#: The conformer block's tensors (``a.blk.<i>``, GraniteSpeechConformerBlock) and the Q-Former layer's
#: (``a.proj_blk.<i>``, Blip2QFormerLayer), as gguf-py's tensor_mapping.py names the checkpoint's.
_CONFORMER = {"ffn_norm": "ff1.pre_norm", "ffn_up": "ff1.up_proj", "ffn_down": "ff1.down_proj", "ln1": "attn.pre_norm",
              "attn_q": "attn.to_q", "attn_k": "~attn.to_kv", "attn_v": "~attn.to_kv", "attn_out": "attn.to_out",
              "attn_rel_pos_emb": "attn.rel_pos_emb.weight", "norm_conv": "conv.norm", "conv_pw1": "~conv.up_conv",
              "conv_dw": "~conv.depth_conv.conv", "conv_norm_var": "conv.batch_norm", "conv_norm": "conv.batch_norm",
              "conv_pw2": "~conv.down_conv", "ffn_norm_1": "ff2.pre_norm", "ffn_up_1": "ff2.up_proj",
              "ffn_down_1": "ff2.down_proj", "ln2": "post_norm"}  # fmt: skip
_QFORMER = {"self_attn_q": "attention.attention.query", "self_attn_k": "attention.attention.key",
            "self_attn_v": "attention.attention.value", "self_attn_out": "attention.output.dense",
            "self_attn_norm": "attention.output.LayerNorm", "cross_attn_q": "crossattention.attention.query",
            "cross_attn_k": "crossattention.attention.key", "cross_attn_v": "crossattention.attention.value",
            "cross_attn_out": "crossattention.output.dense", "cross_attn_norm": "crossattention.output.LayerNorm",
            "ffn_up": "intermediate_query.dense", "ffn_down": "output_query.dense", "ffn_norm": "output_query.LayerNorm"}
GRANITE_SPEECH = GgufArchitecture(
    "clip/granite_speech", selected_by=PROJECTOR_TYPE, model_type="granite_speech",
    classes=("GraniteSpeechForConditionalGeneration",), vocab="", rule=_granite_speech, parts=("audio", "projector"),
    keys={"audio.block_count": "encoder_config.num_layers", "audio.embedding_length": "encoder_config.hidden_dim",
          "audio.attention.head_count": "encoder_config.num_heads", "audio.num_mel_bins": "encoder_config.input_dim",
          "audio.conv_kernel_size": "encoder_config.conv_kernel_size", "audio.max_pos_emb": "encoder_config.max_pos_emb",
          "audio.chunk_size": "encoder_config.context_size", "audio.projection_dim": "text_config.hidden_size",
          "audio.projector.window_size": "window_size", "audio.projector.downsample_rate": "downsample_rate",
          "audio.projector.head_count": "projector_config.num_attention_heads"},
    tensors={"a.input_projection": f"{_ENC}.input_linear", "a.enc_ctc_out": f"{_ENC}.out",
             "a.enc_ctc_out_mid": f"{_ENC}.out_mid", "a.proj_query": "model.projector.query",
             "a.proj_norm": f"{_QF}.layernorm", "a.proj_linear": "model.projector.linear",
             **{f"a.blk.{k}": v for k, v in _CONFORMER.items()}, **{f"a.proj_blk.{k}": v for k, v in _QFORMER.items()}},
    renumbered={"a.blk": f"{_ENC}.layers", "a.proj_blk": f"{_QF}.encoder.layer"},
    fixed={"encoder_config": {"model_type": "granite_speech_encoder"}, "projector_config": {"model_type": "blip_2_qformer"},
           "text_config": {"model_type": "granite", "num_hidden_layers": 1, "intermediate_size": 1,
                           "num_attention_heads": 1, "num_key_value_heads": 1, "vocab_size": 1}},
    completes=("granite",), description="Granite Speech's conformer encoder and windowed Q-Former projector; with a "
    "granite GGUF: the whole granite_speech model",
)  # fmt: skip


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
    GRANITE_SPEECH,
)  # fmt: skip


@hookimpl
def register_gguf_architectures(register):
    """The 2026 mmproj files of this module (see its docstring): clip/minimax_m3, clip/minicpmv4_6,
    clip/granite_speech."""
    for row in ROWS:
        register(row)

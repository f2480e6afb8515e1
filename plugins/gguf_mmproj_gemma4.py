"""llama.cpp's mmproj file of Gemma 4 (``clip.vision.projector_type = "gemma4v"``, with ``clip.audio.projector_type =
"gemma4a"`` when it holds the audio tower too), a row of data and its rule.

Checked against llama.cpp at 0c1e57098 (vendored by llama-cpp-python 0.3.36): ``Gemma4VisionAudioModel`` in
``conversion/gemma.py`` writes ``MmprojModel``'s ``clip.vision.*`` keys (``image_size`` a stand-in 224, not read)
and, with an audio tower, ``clip.audio.*`` (``embedding_length``, ``block_count``, ``attention.head_count``,
``num_mel_bins``; ``feed_forward_length`` four times the width). It renames the vision encoder
``vision_model.model.`` and the audio tower ``conformer.``, drops ``.linear`` from the clippable linears' names,
adds ``.weight`` to ``position_embedding_table`` and ``per_dim_scale`` (whose values it passes through softplus),
views the patch embedder's linear as a convolution and squeezes the depthwise convolution (same elements: compared
by count), turns scalars into 1-element tensors; gguf-py's ``tensor_mapping.py`` gives the rest (``v.blk.<i>.*``,
``a.blk.<i>.*``, ``a.conv1d.<n>``, ``a.pre_encode.out``, ``mm.input_projection`` and ``mm.a.input_projection``
for the two embedders). The clippable linears' bounds (``input_min`` ... ``output_max``) and the vision output's
``std_bias``/``std_scale`` are buffers in transformers, no parameters. With a ``gemma4`` GGUF in the folder the
two count as the whole ``gemma4`` model.
"""

from __future__ import annotations

from typing import Any

from registry import GgufMetadata, hookimpl
from registry.plugins.gguf_mmproj import VISION_KEYS, mmproj

_VISION, _AUDIO = "model.vision_tower", "model.audio_tower"
_BOUNDS = ("input_min", "input_max", "output_min", "output_max")

#: The vision tower's and the embedders' tensors (Gemma4VisionModel's names in the whole model; blocks under
#: model.vision_tower.encoder.layers).
VISION = {"v.patch_embd.weight": f"~{_VISION}.patch_embedder.input_proj.weight",
          "v.position_embd.weight": f"{_VISION}.patch_embedder.position_embedding_table",
          "attn_q": "self_attn.q_proj.linear", "attn_k": "self_attn.k_proj.linear", "attn_v": "self_attn.v_proj.linear",
          "attn_out": "self_attn.o_proj.linear", "attn_q_norm": "self_attn.q_norm", "attn_k_norm": "self_attn.k_norm",
          "ffn_gate": "mlp.gate_proj.linear", "ffn_up": "mlp.up_proj.linear", "ffn_down": "mlp.down_proj.linear",
          "ln1": "input_layernorm", "attn_post_norm": "post_attention_layernorm", "ln2": "pre_feedforward_layernorm",
          "ffn_post_norm": "post_feedforward_layernorm",
          "mm.input_projection": "model.embed_vision.embedding_projection",
          "mm.a.input_projection": "model.embed_audio.embedding_projection"}  # fmt: skip
#: The audio tower's (Gemma4AudioModel's): its blocks ``a.blk.<i>`` read as ``model.audio_tower.layers.<i>``.
AUDIO = {"a.conv1d.0": f"{_AUDIO}.subsample_conv_projection.layer0.conv",
         "a.conv1d.0.norm": f"{_AUDIO}.subsample_conv_projection.layer0.norm",
         "a.conv1d.1": f"{_AUDIO}.subsample_conv_projection.layer1.conv",
         "a.conv1d.1.norm": f"{_AUDIO}.subsample_conv_projection.layer1.norm",
         "a.input_projection": f"{_AUDIO}.subsample_conv_projection.input_proj_linear",
         "a.pre_encode.out": f"{_AUDIO}.output_proj",
         **{f"a.blk.{k}": v for k, v in {
             "ffn_up": "feed_forward1.ffw_layer_1.linear", "ffn_down": "feed_forward1.ffw_layer_2.linear",
             "ffn_norm": "feed_forward1.pre_layer_norm", "ffn_post_norm": "feed_forward1.post_layer_norm",
             "ffn_up_1": "feed_forward2.ffw_layer_1.linear", "ffn_down_1": "feed_forward2.ffw_layer_2.linear",
             "ffn_norm_1": "feed_forward2.pre_layer_norm", "ffn_post_norm_1": "feed_forward2.post_layer_norm",
             "per_dim_scale.weight": "self_attn.per_dim_scale", "attn_q": "self_attn.q_proj.linear",
             "attn_k": "self_attn.k_proj.linear", "attn_v": "self_attn.v_proj.linear", "attn_out": "self_attn.post.linear",
             "attn_k_rel": "self_attn.relative_k_proj", "conv_pw1": "lconv1d.linear_start.linear",
             "conv_pw2": "lconv1d.linear_end.linear", "conv_dw.weight": "~lconv1d.depthwise_conv1d.weight",
             "conv_norm": "lconv1d.pre_layer_norm", "norm_conv": "lconv1d.conv_norm", "attn_pre_norm": "norm_pre_attn",
             "attn_post_norm": "norm_post_attn", "ln2": "norm_out"}.items()}}  # fmt: skip
#: The clippable linears' bounds (buffers), in each vision and audio block, and the vision output's standardization.
BOUNDS = (*(f"{p}{linear}.{b}" for p, linears in (
    ("", ("attn_q", "attn_k", "attn_v", "attn_out", "ffn_gate", "ffn_up", "ffn_down")),
    ("a.blk.", ("attn_q", "attn_k", "attn_v", "attn_out", "ffn_up", "ffn_down", "ffn_up_1", "ffn_down_1", "conv_pw1",
                "conv_pw2"))) for linear in linears for b in _BOUNDS), "v.std_bias", "v.std_scale")  # fmt: skip


def _rows(meta: GgufMetadata, name: str, axis: int = 0) -> int:
    """Dimension ``axis`` of tensor ``name``, which the file must hold."""
    shape = meta.tensors.get(name)
    if not shape or len(shape) <= axis:
        raise meta.error(name, f"missing (or shape {list(shape or ())}): Gemma 4's tower has it")
    return shape[axis]


def _gemma4(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (Gemma 4): the vision heads' width from the query norm, the key/value heads from ``attn_k``, the position
    table's size from ``v.position_embd`` (2, size, width); with ``clip.has_audio_encoder``, the audio tower from
    ``clip.audio.*`` and its tensors (the output projection's and the subsampling convolutions' widths, the depthwise
    kernel), its ``feed_forward_length`` checked to be four times the width (what Gemma4AudioConfig builds)."""
    vision = config["vision_config"]
    head = _rows(meta, "v.blk.0.attn_q_norm.weight")
    kv = _rows(meta, "v.blk.0.attn_k.weight")
    if kv % head:
        raise meta.error("v.blk.0.attn_k.weight", f"{kv} rows are no whole number of {head}-wide heads")
    vision.update(head_dim=head, global_head_dim=head, num_key_value_heads=kv // head,
                  position_embedding_size=_rows(meta, "v.position_embd.weight", 1))
    if meta.data.get("clip.has_audio_encoder") is not True:
        return
    width = meta.int("clip.audio.embedding_length", minimum=1)
    if meta.int("clip.audio.feed_forward_length", minimum=1) != 4 * width:
        raise meta.error("clip.audio.feed_forward_length", f"is not four times embedding_length {width} (Gemma 4's "
                         "audio MLP)")  # fmt: skip
    config["audio_config"] = {
        "model_type": "gemma4_audio", "hidden_size": width, "num_hidden_layers": meta.int("clip.audio.block_count"),
        "num_attention_heads": meta.int("clip.audio.attention.head_count", minimum=1),
        "output_proj_dims": _rows(meta, "a.pre_encode.out.weight"),
        "subsampling_conv_channels": [_rows(meta, "a.conv1d.0.weight"), _rows(meta, "a.conv1d.1.weight")],
        "conv_kernel_size": _rows(meta, "a.blk.0.conv_dw.weight", -1),
    }  # fmt: skip


ROWS = (
    mmproj("gemma4v", "gemma4", "Gemma4ForConditionalGeneration", {**VISION, **AUDIO}, layers=f"{_VISION}.encoder.layers",
           keys={k: v for k, v in VISION_KEYS.items() if k != "vision.image_size"}, rule=_gemma4,
           renumbered={"a.blk": f"{_AUDIO}.layers"}, not_parameters=BOUNDS,
           presence={"vision_config.attention_bias": "v.blk.0.attn_q.bias", "vision_config.standardize": "v.std_bias"},
           parts=("vision", "audio", "embed_vision", "embed_audio"), vision={"model_type": "gemma4_vision"},
           text={"model_type": "gemma4_text", "num_hidden_layers": 1, "intermediate_size": 1, "num_attention_heads": 1,
                 "num_key_value_heads": 1, "head_dim": 2, "global_head_dim": 2, "vocab_size": 1,
                 "hidden_size_per_layer_input": 0, "layer_types": ["full_attention"]},
           completes=("gemma4",), description="Gemma 4's vision tower, its audio tower when the file holds one, and "
           "their embedders; with a gemma4 GGUF: the whole gemma4 model"),
)  # fmt: skip


@hookimpl
def register_gguf_architectures(register):
    """llama.cpp's mmproj file of Gemma 4 (vision projector type gemma4v)."""
    for row in ROWS:
        register(row)

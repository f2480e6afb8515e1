"""llama.cpp's mmproj file of GLM-4.1V and GLM-4.5V (``clip.projector_type = "glm4v"``), a row of data and its rule.

Checked against llama.cpp at 0c1e57098 (vendored by llama-cpp-python 0.3.36): ``Glm4VVisionModel`` in
``conversion/qwen3vl.py`` converts both composites' towers. It writes ``MmprojModel``'s ``clip.vision.*`` keys
(``depth`` and ``num_heads`` under the generic names, ``feed_forward_length`` the merger's ``intermediate_size``,
``projection_dim`` the language model's width) and inherits ``Qwen3VLVisionModel.modify_tensors``: the 3D patch
convolution split into its two temporal slices (``v.patch_embd.weight`` and ``.weight.1``, joined again here and
compared by count), its bias kept, the fused ``attn.qkv`` kept (``v.blk.<i>.attn_qkv``). The merger's tensors go
through gguf-py's map (``tensor_mapping.py``, "# glm4v"): ``visual.downsample`` is ``mm.patch_merger``,
``merger.proj`` ``mm.model.fc``, ``merger.post_projection_norm`` ``mm.post_norm``, ``merger.gate_proj`` / ``up_proj``
/ ``down_proj`` ``mm.gate`` / ``mm.up`` / ``mm.down``; ``post_conv_layernorm`` is ``v.norm_embd``. Nothing is
dropped. transformers puts the downsampling convolution and the merger in the vision tower (``model.visual``):
the file holds the vision part alone. Its language models: llama.cpp's ``glm4`` (``Glm4Model``, GLM-4.1V; the
M-RoPE permutation of q/k keeps their shapes), read as ``glm4v_text``, and ``glm4moe`` (``Glm4MoeModel``,
GLM-4.5V), with which the pair is the whole ``glm4v_moe``.
"""

from __future__ import annotations

from typing import Any

from registry import GgufMetadata, hookimpl
from registry.plugins.gguf_mmproj import mmproj

_VISION = "model.visual"

#: The tower's tensors under transformers 5.25's names (Glm4vVisionModel, in the whole model under model.visual).
GLM4V = {"v.patch_embd.weight": f"{_VISION}.patch_embed.proj.weight",
         "v.patch_embd.weight.1": f"{_VISION}.patch_embed.proj.weight",
         "v.patch_embd.bias": f"{_VISION}.patch_embed.proj.bias", "v.norm_embd": f"{_VISION}.post_conv_layernorm",
         "v.position_embd": f"{_VISION}.embeddings.position_embedding",
         "attn_qkv": "attn.qkv", "attn_out": "attn.proj", "ln1": "norm1", "ln2": "norm2",
         "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj", "ffn_down": "mlp.down_proj",
         "v.post_ln": f"{_VISION}.post_layernorm", "mm.patch_merger": f"{_VISION}.downsample",
         "mm.model.fc": f"{_VISION}.merger.proj", "mm.post_norm": f"{_VISION}.merger.post_projection_norm",
         "mm.gate": f"{_VISION}.merger.gate_proj", "mm.up": f"{_VISION}.merger.up_proj",
         "mm.down": f"{_VISION}.merger.down_proj"}  # fmt: skip
#: ``MmprojModel.set_gguf_parameters``' keys as Glm4vVisionConfig's fields.
GLM4V_KEYS = {
    "vision.block_count": "vision_config.depth", "vision.embedding_length": "vision_config.hidden_size",
    "vision.feed_forward_length": "vision_config.intermediate_size", "vision.attention.head_count": "vision_config.num_heads",
    "vision.image_size": "vision_config.image_size", "vision.patch_size": "vision_config.patch_size",
    "vision.projection_dim": "text_config.hidden_size",
}  # fmt: skip


#: What the glm4 and glm4moe rows read that Glm4vTextConfig / Glm4vMoeTextConfig have not: Glm4vTextAttention always
#: has biases and heads hidden_size // num_attention_heads wide; Glm4vMoeTextModel has no query/key norms and no
#: multi-token-prediction layer (a file with one would show its tensors as extra); the tie is the composite's.
TEXT_IGNORES = {"glm4": ("attention_bias", "head_dim", "tie_word_embeddings"),
                "glm4moe": ("use_qk_norm", "num_nextn_predict_layers", "tie_word_embeddings")}


def _glm4v(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (glm4v): the downsampling convolution ``mm.patch_merger`` (out_hidden_size, hidden_size, merge, merge)
    says ``out_hidden_size`` (also the blocks' MLP width and the merger's) and ``spatial_merge_size``; the merger
    maps to the language model's width, so ``out_hidden_size`` must be ``projection_dim``. The converter splits a
    temporal patch of 2 only."""
    vision = config["vision_config"]
    shape = meta.tensors.get("mm.patch_merger.weight")
    if not shape or len(shape) != 4 or shape[1] != vision["hidden_size"] or shape[2] != shape[3]:
        raise meta.error("mm.patch_merger.weight", f"shape {list(shape or ())} is not the downsampling convolution "
                         f"(out, {vision['hidden_size']}, merge, merge) of a glm4v tower")  # fmt: skip
    if shape[0] != config["text_config"]["hidden_size"]:
        raise meta.error("clip.vision.projection_dim", f"{config['text_config']['hidden_size']} is not the width "
                         f"{shape[0]} the merger maps to (mm.patch_merger.weight)")  # fmt: skip
    vision.update(out_hidden_size=shape[0], spatial_merge_size=shape[2], temporal_patch_size=2)


ROWS = (
    mmproj("glm4v", "glm4v", "Glm4vForConditionalGeneration", GLM4V, layers=f"{_VISION}.blocks", keys=GLM4V_KEYS,
           rule=_glm4v, parts=("vision",), presence={"vision_config.attention_bias": "v.blk.0.attn_qkv.bias"},
           vision={"model_type": "glm4v_vision"},
           text={"model_type": "glm4v_text", "num_hidden_layers": 1, "intermediate_size": 1, "num_attention_heads": 1,
                 "num_key_value_heads": 1, "vocab_size": 1},
           completes=("glm4", "glm4moe"), text_model_type="glm4v_text", text_ignores=TEXT_IGNORES,
           completes_as={"glm4moe": {"model_type": "glm4v_moe", "architectures": ["Glm4vMoeForConditionalGeneration"],
                                     "vision_config": {"model_type": "glm4v_moe_vision"},
                                     "text_config": {"model_type": "glm4v_moe_text"}}},
           description="GLM-4.1V's or GLM-4.5V's vision tower (downsampling and merger); with a glm4 GGUF: the whole "
           "glm4v model, with a glm4moe GGUF the whole glm4v_moe"),
)  # fmt: skip


@hookimpl
def register_gguf_architectures(register):
    """llama.cpp's mmproj files of GLM-4.1V and GLM-4.5V (projector type glm4v)."""
    for row in ROWS:
        register(row)

"""llama.cpp's mmproj files of LFM2-VL (``lfm2``) and Idefics3 / SmolVLM (``idefics3``), rows of data read as :mod:`registry.plugins.gguf_mmproj`
reads the others.

LFM2-VL (``LFM2VlModel`` in ``convert_hf_to_gguf.py``): a SigLIP2 tower (its patch embedding a linear
layer, which the converter reshapes to a convolution's ``(width, 3, 16, 16)``: compared by count), then
``Lfm2VlMultiModalProjector``: a pixel unshuffle of ``downsample_factor`` (written as
``clip.vision.projector.scale_factor``), an optional ``layer_norm`` (gguf-py's V_MM_INP_NORM,
``mm.input_norm``), ``linear_1`` and ``linear_2`` (V_MMPROJ, ``mm.1`` and ``mm.2``). Its language
model's GGUF is llama.cpp's ``lfm2`` architecture.

Idefics3 and SmolVLM (``SmolVLMModel`` in ``convert_hf_to_gguf.py``, projector type ``idefics3`` for both):
a SigLIP-style tower under ``model.vision_model``, then the connector's pixel shuffle of ``scale_factor``
(``clip.vision.projector.scale_factor``) and one linear without bias, ``modality_projection.proj``
(gguf-py's V_MMPROJ_FC, ``mm.model.fc``). Their language model's GGUF is llama.cpp's ``llama``.
SmolVLM's classes are Idefics3's under other names (the same tensors): a file of either reads as ``idefics3``.

InternVL (``InternVisionModel`` in ``convert_hf_to_gguf.py``, from the original InternVLChatModel checkpoints):
InternViT with its class token (``v.class_embd``), position embedding, query/key/value split from the fused
``attn.qkv``, layer scales ``ls1``/``ls2`` (transformers' ``lambda_1``/``lambda_2``), optional query/key norms,
then ``mlp1``: a layer norm and two linears (``mm.model.mlp.0``, ``.1``, ``.3``), after a pixel shuffle of
``int(1 / downsample_ratio)`` (written as ``clip.vision.projector.scale_factor``). Its language model's GGUF is
that of the model it wraps (``qwen2``, ``qwen3``, ``llama``).
"""

from __future__ import annotations

from typing import Any

from registry import GgufMetadata, hookimpl
from registry.plugins.gguf_mmproj import ENCODER_LAYER, PROJECTOR, VISION_KEYS, VISION_MODEL, mmproj

#: SigLIP2's embeddings and final norm in the whole model (V_ENC_EMBD_PATCH, V_ENC_EMBD_POS, V_POST_NORM).
SIGLIP2_TOP = {"v.patch_embd.weight": f"~{VISION_MODEL}.embeddings.patch_embedding.weight",
               "v.patch_embd.bias": f"{VISION_MODEL}.embeddings.patch_embedding.bias",
               "v.position_embd": f"{VISION_MODEL}.embeddings.position_embedding",
               "v.post_ln": f"{VISION_MODEL}.post_layernorm"}  # fmt: skip
#: The converter writes ``image_size`` 256 whatever the model (SigLIP2 has none: its ``num_patches`` is read
#: from the position embedding); the projector's scale factor is LFM2-VL's ``downsample_factor``.
LFM2_KEYS = {**{k: v for k, v in VISION_KEYS.items() if k != "vision.image_size"},
             "vision.projector.scale_factor": "downsample_factor"}  # fmt: skip


def _lfm2(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (LFM2-VL): ``num_patches`` the rows of ``v.position_embd``, ``projector_hidden_size`` those of ``mm.1``."""
    for tensor, field, where in (("v.position_embd.weight", "num_patches", config["vision_config"]),
                                 ("mm.1.weight", "projector_hidden_size", config)):  # fmt: skip
        rows = meta.rows(tensor)
        if not rows:
            raise meta.error(tensor, f"missing: LFM2-VL's {field} is its number of rows")
        where[field] = rows


#: Idefics3's tower in the whole model (``model.vision_model``): gguf-py's MMPROJ names for it.
IDEFICS3_VISION = "model.vision_model"
IDEFICS3 = {**ENCODER_LAYER, "v.patch_embd": f"{IDEFICS3_VISION}.embeddings.patch_embedding",
            "v.position_embd": f"{IDEFICS3_VISION}.embeddings.position_embedding",
            "v.post_ln": f"{IDEFICS3_VISION}.post_layernorm", "mm.model.fc": "model.connector.modality_projection.proj"}  # fmt: skip
IDEFICS3_KEYS = {**VISION_KEYS, "vision.projector.scale_factor": "scale_factor"}


def _idefics3(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (Idefics3): the connector takes ``scale_factor``² patches of the tower's width (``mm.model.fc``'s
    columns), which must be what the file's scale factor says."""
    shape = meta.tensors.get("mm.model.fc.weight")
    width, factor = config["vision_config"]["hidden_size"], config["scale_factor"]
    if not shape or len(shape) != 2 or shape[1] != width * factor * factor:
        raise meta.error("mm.model.fc.weight", f"shape {list(shape or ())} does not take {factor}² patches of width "
                         f"{width} (clip.vision.projector.scale_factor {factor})")  # fmt: skip


#: InternViT in the whole model (transformers 5.25's InternVLVisionModel names) and InternVL's projector.
#: The converter names the bare parameters as written: ``v.class_embd`` (with ``.weight`` accepted too),
#: ``v.position_embd.weight`` and ``ls1.weight``/``ls2.weight`` (it adds ``.weight`` to those).
INTERNVL = {"v.class_embd": f"{VISION_MODEL}.embeddings.cls_token", "v.class_embd.weight": f"{VISION_MODEL}.embeddings.cls_token",
            "v.position_embd.weight": f"{VISION_MODEL}.embeddings.position_embeddings",
            "v.patch_embd": f"{VISION_MODEL}.embeddings.patch_embeddings.projection",
            "attn_q": "attention.q_proj", "attn_k": "attention.k_proj", "attn_v": "attention.v_proj",
            "attn_out": "attention.projection_layer", "attn_q_norm": "attention.q_norm", "attn_k_norm": "attention.k_norm",
            "ls1.weight": "lambda_1", "ls2.weight": "lambda_2", "ln1": "layernorm_before", "ln2": "layernorm_after",
            "ffn_up": "mlp.fc1", "ffn_down": "mlp.fc2", "mm.model.mlp.0": f"{PROJECTOR}.layer_norm",
            "mm.model.mlp.1": f"{PROJECTOR}.linear_1", "mm.model.mlp.3": f"{PROJECTOR}.linear_2"}  # fmt: skip


def _internvl(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (InternVL): ``downsample_ratio`` the inverse of the scale factor; RMS norms (InternViT-6B) when the
    layer norms have no bias; the query/key norms and the attention's biases as the file holds them."""
    factor = meta.int("clip.vision.projector.scale_factor")
    config["downsample_ratio"] = 1 / factor
    vision = config["vision_config"]
    vision["norm_type"] = "layer_norm" if "v.blk.0.ln1.bias" in meta.tensors else "rms_norm"


ROWS = (
    mmproj("lfm2", "lfm2_vl", "Lfm2VlForConditionalGeneration",
           {**ENCODER_LAYER, **SIGLIP2_TOP, "mm.input_norm": f"{PROJECTOR}.layer_norm", "mm.1": f"{PROJECTOR}.linear_1",
            "mm.2": f"{PROJECTOR}.linear_2"},
           keys=LFM2_KEYS, rule=_lfm2,
           presence={"projector_bias": "mm.1.bias", "projector_use_layernorm": "mm.input_norm.weight"},
           vision={"model_type": "siglip2_vision_model", "vision_use_head": False},
           text={"model_type": "lfm2", "num_hidden_layers": 1, "intermediate_size": 1, "num_attention_heads": 1,
                 "num_key_value_heads": 1, "vocab_size": 1, "layer_types": ["conv"], "block_auto_adjust_ff_dim": False},
           completes=("lfm2",), description="LFM2-VL's vision tower (SigLIP2) and projector; with an lfm2 GGUF: "
           "the whole lfm2_vl model"),
    mmproj("idefics3", "idefics3", "Idefics3ForConditionalGeneration", IDEFICS3, layers=f"{IDEFICS3_VISION}.encoder.layers",
           keys=IDEFICS3_KEYS, rule=_idefics3, vision={"model_type": "idefics3_vision"},
           text={"model_type": "llama", "num_hidden_layers": 1, "intermediate_size": 1, "num_attention_heads": 1,
                 "num_key_value_heads": 1, "head_dim": 1, "vocab_size": 1},
           completes=("llama",), description="Idefics3's or SmolVLM's vision tower and connector; with a llama GGUF: "
           "the whole idefics3 model (SmolVLM's the same tensors)"),
    mmproj("internvl", "internvl", "InternVLForConditionalGeneration", INTERNVL, layers=f"{VISION_MODEL}.encoder.layer",
           rule=_internvl, presence={"vision_config.use_qk_norm": "v.blk.0.attn_q_norm.weight",
                                     "vision_config.attention_bias": "v.blk.0.attn_q.bias"},
           vision={"model_type": "internvl_vision", "use_mask_token": False, "use_absolute_position_embeddings": True,
                   "use_mean_pooling": True},
           text={"model_type": "qwen2", "num_hidden_layers": 1, "intermediate_size": 1, "num_attention_heads": 1,
                 "num_key_value_heads": 1, "vocab_size": 1, "tie_word_embeddings": True},
           completes=("qwen2", "qwen3", "llama"), description="InternVL's vision tower (InternViT) and projector; "
           "with a qwen2, qwen3 or llama GGUF: the whole internvl model"),
)  # fmt: skip


@hookimpl
def register_gguf_architectures(register):
    """llama.cpp's mmproj files of LFM2-VL, Idefics3, SmolVLM and InternVL, one row per projector type (ROWS)."""
    for row in ROWS:
        register(row)

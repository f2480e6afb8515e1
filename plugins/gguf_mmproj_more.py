"""llama.cpp's mmproj files of LFM2-VL (``lfm2``), rows of data read as :mod:`registry.plugins.gguf_mmproj`
reads the others.

LFM2-VL (``LFM2VlModel`` in ``convert_hf_to_gguf.py``): a SigLIP2 tower (its patch embedding a linear
layer, which the converter reshapes to a convolution's ``(width, 3, 16, 16)``: compared by count), then
``Lfm2VlMultiModalProjector``: a pixel unshuffle of ``downsample_factor`` (written as
``clip.vision.projector.scale_factor``), an optional ``layer_norm`` (gguf-py's V_MM_INP_NORM,
``mm.input_norm``), ``linear_1`` and ``linear_2`` (V_MMPROJ, ``mm.1`` and ``mm.2``). Its language
model's GGUF is llama.cpp's ``lfm2`` architecture.
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
)  # fmt: skip


@hookimpl
def register_gguf_architectures(register):
    """llama.cpp's mmproj files of LFM2-VL, one row per projector type (ROWS)."""
    for row in ROWS:
        register(row)

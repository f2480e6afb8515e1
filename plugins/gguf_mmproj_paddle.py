"""llama.cpp's mmproj file of PaddleOCR-VL (``clip.projector_type = "paddleocr"``), a row of data and its rule.

Checked against llama.cpp at 0c1e57098 (vendored by llama-cpp-python 0.3.36): ``PaddleOCRVisionModel`` in
``conversion/ernie.py`` keeps the checkpoint's ``visual.vision_model.*`` (read as ``model.vision_model.*``, SmolVLM's
SigLIP names in gguf-py's map) and ``mlp_AR.*``, and drops ``packing_position_embedding`` and the tower's ``head``
(neither of which transformers 5.25's ``PaddleOCRVLForConditionalGeneration`` builds). Through
``gguf-py/gguf/tensor_mapping.py``: the SigLIP tower as every other (``v.patch_embd``, ``v.position_embd``,
``v.blk.<i>.*``, ``v.post_ln``), ``mlp_AR.pre_norm`` as ``mm.input_norm`` (V_MM_INP_NORM) and ``mlp_AR.linear_1`` /
``linear_2`` as ``mm.1`` / ``mm.2`` (V_MMPROJ). It writes ``MmprojModel``'s ``clip.vision.*`` keys, but its
``image_size`` is ``sqrt(max_pixels)`` of the preprocessor (1680 for PaddleOCR-VL), not the tower's: the position
embedding's rows (``(image_size / patch_size)²``) say the tower's. It writes no spatial merge: the projector's
``mm.1`` takes ``spatial_merge_size²`` patches of the tower's width. transformers puts the tower in ``model.visual``
and the projector in ``model.projector``. Its language model: llama.cpp's ``paddleocr`` (``PaddleOCRModel``, ERNIE 4.5's
decoder), read as ``paddleocr_vl_text``: the pair is the whole ``paddleocr_vl``.
"""

from __future__ import annotations

import math
from typing import Any

from registry import GgufMetadata, hookimpl
from registry.plugins.gguf_mmproj import ENCODER_LAYER, VISION_KEYS, mmproj

_VISION = "model.visual.vision_model"
_PROJECTOR = "model.projector"

#: The tower and projector under transformers 5.25's names (PaddleOCRVLForConditionalGeneration).
PADDLEOCR = {"v.patch_embd": f"{_VISION}.embeddings.patch_embedding",
             "v.position_embd": f"{_VISION}.embeddings.position_embedding", **ENCODER_LAYER,
             "v.post_ln": f"{_VISION}.post_layernorm", "mm.input_norm": f"{_PROJECTOR}.pre_norm",
             "mm.1": f"{_PROJECTOR}.linear_1", "mm.2": f"{_PROJECTOR}.linear_2"}  # fmt: skip
#: ``clip.vision.image_size`` is the preprocessor's largest side, not the tower's (see the module's docstring).
PADDLEOCR_KEYS = {k: v for k, v in VISION_KEYS.items() if k != "vision.image_size"}


def _paddleocr(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (PaddleOCR-VL): ``image_size`` from the rows of ``v.position_embd`` (a square number of patches of
    ``patch_size``), ``spatial_merge_size`` from the columns of ``mm.1`` (that square of patches of the tower's
    width)."""
    vision = config["vision_config"]
    rows, side = meta.rows("v.position_embd.weight"), 0
    if rows:
        side = math.isqrt(rows)
    if not rows or side * side != rows:
        raise meta.error("v.position_embd.weight", f"{'missing' if rows is None else f'{rows} rows'}: the tower's "
                         "positions are a square number of patches, (image_size / patch_size)²")  # fmt: skip
    vision["image_size"] = side * vision["patch_size"]
    shape, width = meta.tensors.get("mm.1.weight"), vision["hidden_size"]
    merged = shape[1] if shape and len(shape) == 2 else 0
    merge = math.isqrt(merged // width) if merged % width == 0 else 0
    if not merge or merge * merge * width != merged:
        raise meta.error("mm.1.weight", f"shape {list(shape or ())} does not take a square of patches of width {width} "
                         "(spatial_merge_size² × embedding_length columns)")  # fmt: skip
    vision["spatial_merge_size"] = merge


ROWS = (
    mmproj("paddleocr", "paddleocr_vl", "PaddleOCRVLForConditionalGeneration", PADDLEOCR,
           layers=f"{_VISION}.encoder.layers", keys=PADDLEOCR_KEYS, rule=_paddleocr,
           vision={"model_type": "paddleocr_vl_vision"},
           text={"model_type": "paddleocr_vl_text", "num_hidden_layers": 1, "intermediate_size": 1,
                 "num_attention_heads": 1, "num_key_value_heads": 1, "head_dim": 1, "vocab_size": 1},
           completes=("paddleocr",), text_model_type="paddleocr_vl_text",
           description="PaddleOCR-VL's vision tower (SigLIP) and projector; with a paddleocr GGUF: the whole "
           "paddleocr_vl model"),
)  # fmt: skip


@hookimpl
def register_gguf_architectures(register):
    """llama.cpp's mmproj file of PaddleOCR-VL (projector type paddleocr)."""
    for row in ROWS:
        register(row)
